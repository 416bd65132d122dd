#!/usr/bin/env bash
# Installs, builds and runs the whole test suite: unit tests, CLI tests against golden
# output of the real iproute2, and end-to-end transcripts (daemon + CLI + real pciutils).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build} ./scripts/build.sh
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j"$(nproc)"
