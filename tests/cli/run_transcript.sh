#!/usr/bin/env bash
# Runs a transcript: starts `softvf daemon` on the card named in the script, runs each
# command line through the CLI, and compares what it printed (stdout, stderr, exit code)
# with the golden transcript beside the script (NAME.cmds -> NAME.golden).
#
# Script lines:
#   # config: PATH          the card (relative to the repository; "builtin" = example)
#   # comment               ignored
#   !daemon PATH            start a second daemon on PATH and record how it fails
#   ARGS...                 `softvf ARGS...` against the running daemon
# UPDATE_GOLDEN=1 rewrites the golden file instead of comparing.
set -uo pipefail
softvf=$1
script=$2
repo=$(cd "$(dirname "$0")/../.." && pwd)
golden=${script%.cmds}.golden
work=$(mktemp -d)
sock=$work/control.sock
trap 'kill "$daemon_pid" 2>/dev/null; wait "$daemon_pid" 2>/dev/null; rm -rf "$work"' EXIT

config=$(sed -n 's/^# config: *//p' "$script" | head -n1)
args=(daemon --control "$sock")
[ "$config" != builtin ] && [ -n "$config" ] && args+=(--config "$repo/$config")

# The daemon says it is ready on stdout once its socket listens: wait for that line.
mkfifo "$work/out"
"$softvf" "${args[@]}" >"$work/out" 2>"$work/daemon.err" &
daemon_pid=$!
exec 3<"$work/out"
ready=0
while IFS= read -r -t 30 line <&3; do
  case $line in *"control socket"*) ready=1; break ;; esac
done
if [ $ready != 1 ]; then
  echo "daemon did not come up:"; cat "$work/daemon.err"; exit 1
fi
cat <&3 >/dev/null &

out=$work/transcript
: >"$out"
while IFS= read -r line || [ -n "$line" ]; do
  case $line in ''|'#'*) continue ;; esac
  line=${line//@WORK@/$work}
  if [[ $line == '!daemon '* ]]; then
    path=${line#!daemon }
    echo "\$ softvf daemon --config $path" >>"$out"
    (cd "$repo" && timeout 20 "$softvf" daemon --config "$path" --control "$work/second.sock") \
      >"$work/o" 2>"$work/e"
    code=$?
  else
    read -ra words <<<"$line"
    echo "\$ softvf ${line//$work/@WORK@}" >>"$out"
    (cd "$repo" && "$softvf" --control "$sock" "${words[@]}") >"$work/o" 2>"$work/e"
    code=$?
  fi
  # The temporary folder's name changes every run; the transcript names it @WORK@.
  sed "s|$work|@WORK@|g" "$work/o" >>"$out"
  sed "s|$work|@WORK@|g; s/^/stderr: /" "$work/e" >>"$out"
  echo "[exit $code]" >>"$out"
done <"$script"

if [ "${UPDATE_GOLDEN:-}" = 1 ]; then
  cp "$out" "$golden"
  echo "updated $golden"
  exit 0
fi
if diff -u "$golden" "$out"; then
  echo "transcript $(basename "$script"): matches"
else
  echo "transcript $(basename "$script"): differs from $golden"
  exit 1
fi
