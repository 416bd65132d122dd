#!/usr/bin/env bash
# Regenerates the committed seed corpus of fuzz targets: runs each target for SECONDS
# (default 60) from its current corpus with inputs of at most MAX_LEN bytes (default 384;
# card_config and control_request: 4096), then keeps at most MAX_FILES (default 48) of the
# inputs, those that together cover the most features (libFuzzer -merge=1, then a greedy
# set cover: fuzz/pick_corpus.py), so the committed corpus stays a few KB. Hand-made seeds
# and regress-* inputs (crashes that were fixed) are always kept. Needs the targets built:
# ./scripts/fuzz.sh builds them.
#   fuzz/make-corpus.sh [NAME...]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${FUZZ_BUILD_DIR:-build-fuzz}
seconds=${SECONDS_PER_TARGET:-60}
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in fuzz/*_fuzz.cc; do targets+=("$(basename "$f" _fuzz.cc)"); done
fi
for name in "${targets[@]}"; do
  corpus=fuzz/corpus/$name
  max_len=${MAX_LEN:-384}
  case $name in card_config | control_request) max_len=${MAX_LEN:-4096} ;; esac
  mkdir -p "$corpus"
  work=$(mktemp -d)
  mkdir "$work/new" "$work/merged"
  cp -r "$corpus"/. "$work/new/" 2>/dev/null || true
  "$build/bin/${name}_fuzz" "$work/new" -max_total_time="$seconds" -max_len="$max_len" \
    -timeout=10 -artifact_prefix="$work/" >/dev/null 2>&1 || echo "$name: the run stopped early (see $work)"
  "$build/bin/${name}_fuzz" -merge=1 -merge_control_file="$work/control" "$work/merged" \
    "$work/new" >/dev/null 2>&1
  # Generated inputs are named by their content's SHA-1; others are hand-made or regress-*.
  find "$corpus" -type f -regextype posix-extended -regex '.*/[0-9a-f]{40}' -delete
  python3 fuzz/pick_corpus.py "$work/control" "${MAX_FILES:-48}" | while read -r path; do
    base=$(basename "$path")
    [[ $base =~ ^[0-9a-f]{40}$ ]] && cp "$path" "$corpus/"
  done
  rm -rf "$work"
  echo "$name: $(ls "$corpus" | wc -l) inputs, $(cat "$corpus"/* | wc -c) bytes"
done
