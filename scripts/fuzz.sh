#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, clang with ASan and UBSan) into build-fuzz/ and runs
# each one over its committed corpus for FUZZ_SECONDS seconds (default 15). Any crash,
# sanitizer report, leak or slow input fails the run; the input that did it is kept in
# build-fuzz/artifacts/. New inputs go to a scratch folder, so fuzz/corpus stays as
# committed. `./scripts/fuzz.sh NAME...` runs only those targets (e.g. vhost_user_message).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
build=${FUZZ_BUILD_DIR:-build-fuzz}
seconds=${FUZZ_SECONDS:-15}
cxx=${FUZZ_CXX:-clang++-14}
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" -DSOFTVF_FUZZ=ON \
    -DSOFTVF_BUILD_TESTS=OFF -DSOFTVF_BUILD_BENCH=OFF >/dev/null
fi
cmake --build "$build" --target fuzz_targets -j"$(nproc)"

symbolizer=$(command -v llvm-symbolizer-14 || command -v llvm-symbolizer || true)
[ -x /usr/lib/llvm-14/bin/llvm-symbolizer ] && symbolizer=/usr/lib/llvm-14/bin/llvm-symbolizer
export ASAN_SYMBOLIZER_PATH=$symbolizer UBSAN_OPTIONS=print_stacktrace=1

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in fuzz/*_fuzz.cc; do targets+=("$(basename "$f" _fuzz.cc)"); done
fi
mkdir -p "$build/artifacts"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
failed=()
for name in "${targets[@]}"; do
  mkdir -p "$scratch/$name"
  log="$build/artifacts/$name.log"
  if "$build/bin/${name}_fuzz" "$scratch/$name" "fuzz/corpus/$name" \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
      -print_final_stats=1 -artifact_prefix="$build/artifacts/$name-" >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    echo "fuzz $name: ok, $runs runs ($rate/s) in ${seconds}s"
  else
    echo "fuzz $name: FAILED (log: $log)"
    grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -20 || true
    failed+=("$name")
  fi
done
if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz targets failed: ${failed[*]}"
  exit 1
fi
