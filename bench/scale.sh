#!/usr/bin/env bash
# System figures for the 1024-VF scale check: the real daemon and CLI, wall-clock time of
# each command as a user runs it. Usage: bench/scale.sh [BUILD_DIR]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
softvf=${1:-$repo/build}/bin/softvf
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
mkfifo "$work/out"
"$softvf" daemon --config "$repo/bench/scale-1024-card.toml" --control "$work/s" >"$work/out" &
pid=$!
exec 3<"$work/out"
while IFS= read -r -t 30 line <&3; do [[ $line == *"control socket"* ]] && break; done
cat <&3 >/dev/null &

run() {  # prints seconds for one command, its output discarded
  local t0 t1
  t0=$(date +%s%N)
  "$softvf" --control "$work/s" "$@" >"$work/last" 2>&1
  t1=$(date +%s%N)
  awk -v c="softvf $*" -v ns=$((t1 - t0)) 'BEGIN { printf "%-45s %8.3f s\n", c, ns / 1e9 }'
}
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
run sriov enp59s0np0 numvfs 1024
echo "  VFs in lspci: $("$softvf" --control "$work/s" lspci -d 15b3:101e | wc -l)"
run link show enp59s0np0
echo "  vf lines: $(grep -c '^    vf ' "$work/last")"
run link show
run lspci
run lspci -vvv
run iommu groups
run link set enp59s0np0 vf 1023 mac 02:00:00:00:03:ff vlan 100
run sriov enp59s0np0 numvfs 0
