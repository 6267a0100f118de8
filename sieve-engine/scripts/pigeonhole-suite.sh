#!/usr/bin/env bash
# pigeonhole-suite.sh PATH [RAMPART]
#
# Runs Pigeonhole's own Sieve test suite (the .svtest files under PATH,
# for example ../shared/data/sieve/pigeonhole/tests) through
# `rampart sieve test-suite`, in place (the suite is LGPL-2.1: it is read
# from PATH, never copied into this project), and prints the number of
# passed and failed tests per folder, then the totals.
#
# RAMPART is the rampart binary (default: built with cargo, release).
# Set VERBOSE=1 to see every failing test.
set -u
ROOT=${1:?usage: $0 PATH-TO-PIGEONHOLE-TESTS [RAMPART]}
BIN=${2:-}
if [ -z "$BIN" ]; then
  HERE=$(cd "$(dirname "$0")/../.." && pwd)
  (cd "$HERE" && cargo build -q --release -p bins) || exit 2
  BIN=${CARGO_TARGET_DIR:-$HERE/target}/release/rampart
fi
TOTAL_P=0; TOTAL_F=0
printf '%-45s %7s %7s\n' folder passed failed
while IFS= read -r dir; do
  mapfile -t files < <(find "$dir" -maxdepth 1 -name '*.svtest' | sort)
  [ ${#files[@]} -eq 0 ] && continue
  out=$("$BIN" sieve test-suite --quiet "${files[@]}" 2>&1)
  line=$(printf '%s\n' "$out" | tail -n 1)
  p=$(printf '%s' "$line" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
  f=$(printf '%s' "$line" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
  if [ -z "$p" ]; then p=0; f=${#files[@]}; fi
  [ -n "${VERBOSE:-}" ] && printf '%s\n' "$out" | grep 'FAIL'
  printf '%-45s %7s %7s\n' "${dir#"$ROOT"/}" "$p" "$f"
  TOTAL_P=$((TOTAL_P + p)); TOTAL_F=$((TOTAL_F + f))
done < <(find "$ROOT" -type d | sort)
printf '%-45s %7s %7s\n' TOTAL "$TOTAL_P" "$TOTAL_F"
