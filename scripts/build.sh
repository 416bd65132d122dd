#!/usr/bin/env bash
# Installs the dependencies (Debian packages) and builds softvf into build/.
# BUILD_DIR and CMAKE_ARGS may be set to build elsewhere or differently.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
build=${BUILD_DIR:-build}
cmake -S . -B "$build" -G Ninja ${CMAKE_ARGS:-} >/dev/null
cmake --build "$build" -j"$(nproc)"
