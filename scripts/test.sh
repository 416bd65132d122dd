#!/usr/bin/env bash
# Installs, builds and runs the whole test suite: unit tests, CLI tests against golden
# output of the real iproute2, end-to-end transcripts (daemon + CLI + real pciutils),
# integration tests with DPDK testpmd, the wire (veth, namespaces, TAPs) and QEMU guests;
# then all of it again built with AddressSanitizer + UndefinedBehaviorSanitizer, where a
# sanitizer report (the leak checker's included) anywhere in the daemon fails the test;
# last, a short run of every libFuzzer target over its corpus (scripts/fuzz.sh, built with
# clang into build-fuzz/).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build} ./scripts/build.sh
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j"$(nproc)"

if [ "${SOFTVF_SKIP_SANITIZERS:-0}" != 1 ]; then
  BUILD_DIR=build-asan CMAKE_ARGS="-DSOFTVF_SANITIZE=ON -DSOFTVF_BUILD_BENCH=OFF" ./scripts/build.sh
  ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure -j"$(nproc)" -E 'guest.test_soak'
  # (The soak is about time, not memory errors: its 2 minutes run once, above.)
fi
if [ "${SOFTVF_SKIP_FUZZ:-0}" != 1 ]; then
  ./scripts/fuzz.sh
fi
