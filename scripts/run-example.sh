#!/usr/bin/env bash
# Installs, builds, and runs the daemon in the foreground on the built-in example card
# (examples/i350.toml: the seed's host with an Intel I350 whose second port is enp49s0f1).
# Talk to it from another terminal: build/bin/softvf sriov enp49s0f1 numvfs 7
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=build CMAKE_ARGS="-DSOFTVF_BUILD_TESTS=OFF -DSOFTVF_BUILD_BENCH=OFF" ./scripts/build.sh
if [ -z "${SOFTVF_CONTROL:-}" ] && [ "$(id -u)" -ne 0 ]; then
  export SOFTVF_CONTROL=${XDG_RUNTIME_DIR:-/tmp}/softvf/control.sock
  echo "not root: the control socket is $SOFTVF_CONTROL (export SOFTVF_CONTROL for the CLI)"
fi
exec build/bin/softvf daemon "$@"
