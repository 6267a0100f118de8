#!/usr/bin/env bash
# eval.sh [--peers] CORPUS...
#
# Evaluates rampart's Bayes classifier on labelled corpora and, with
# --peers, runs bogofilter and SpamAssassin's Bayes on the very same split.
#
# Each CORPUS is a directory whose subdirectories hold one message per
# file; a subdirectory whose name starts with "spam" is spam, one whose
# name contains "ham" is ham (the SpamAssassin public corpus layout:
# spam, spam_2, easy_ham, easy_ham_2, hard_ham). Within each class the
# files are sorted by path and alternate between training (even
# positions) and test (odd positions): a fixed, content-blind split.
#
# Prints, for rampart:
#   - in-process figures (eval_split example): ROC AUC, FP and FN at the
#     default cutoffs (ham < 0.20 <= unsure < 0.507 <= spam), train and
#     classify messages per second on one core;
#   - the CLI path: wall and CPU time of `rampart bayes learn` and
#     `rampart bayes classify` on the same files (rayon, all cores),
#     with AUC/FP/FN recomputed from its output, then classify again
#     with one thread (RAYON_NUM_THREADS=1).
# With --peers, then runs BAYES_PEERS (default
# /work/shared/tools/bayes-peers.sh) on the same four directories, and
# times bogofilter and the CLI side by side in ROUNDS alternating rounds.
#
# Environment: CARGO_TARGET_DIR (default: target/ of the workspace),
# KEEP=1 keeps the work directory, ROUNDS (default 11) the alternating
# rounds.
set -euo pipefail
PEERS=0
if [ "${1:-}" = "--peers" ]; then PEERS=1; shift; fi
if [ $# -lt 1 ]; then
  echo "usage: $0 [--peers] CORPUS..." >&2
  exit 2
fi
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
W=$(mktemp -d "${TMPDIR:-/tmp}/rampart-bayes-eval.XXXXXX")
if [ "${KEEP:-0}" != 1 ]; then trap 'rm -rf "$W"' EXIT; fi
mkdir -p "$W"/train/spam "$W"/train/ham "$W"/test/spam "$W"/test/ham "$W"/data

: > "$W/spam.list"; : > "$W/ham.list"
for c in "$@"; do
  [ -d "$c" ] || { echo "not a directory: $c" >&2; exit 2; }
  for d in "$c"/*/; do
    name=$(basename "$d")
    case "$name" in
      spam*) find "$d" -maxdepth 1 -type f ! -name 'cmds' >> "$W/spam.list" ;;
      *ham*) find "$d" -maxdepth 1 -type f ! -name 'cmds' >> "$W/ham.list" ;;
    esac
  done
done
split() { # LIST CLASS
  LC_ALL=C sort "$1" | awk -v w="$W" -v c="$2" '{
    n = split($0, parts, "/"); base = parts[n-1] "-" parts[n];
    dest = (NR % 2 == 1) ? w "/train/" c "/" base : w "/test/" c "/" base;
    print $0 "\t" dest }' | while IFS=$'\t' read -r src dst; do
      cp "$src" "$dst"
    done
}
split "$W/spam.list" spam
split "$W/ham.list" ham
for s in train test; do
  echo "split: $s spam=$(ls "$W/$s/spam" | wc -l) ham=$(ls "$W/$s/ham" | wc -l)"
done

( cd "$ROOT" && cargo build -q --release -p rampart-spam-bayes --example eval_split )
EVAL="$TARGET/release/examples/eval_split"
echo "== rampart, in process (one core)"
"$EVAL" "$W/train/spam" "$W/train/ham" "$W/test/spam" "$W/test/ham"

RAMPART="$TARGET/release/rampart"
if ( cd "$ROOT" && cargo build -q --release -p bins --bin rampart ); then
echo "== rampart CLI (all cores)"
# Wall time (date, nanoseconds) and CPU time (user and system, all
# threads, from GNU time) into OUT as "wall user sys".
timed() { # OUT CMD...
  local out=$1; shift
  local t0 t1
  t0=$(date +%s.%N)
  /usr/bin/time -f "%U %S" -o "$out.cpu" "$@"
  t1=$(date +%s.%N)
  echo "$(echo "$t1 - $t0" | bc) $(cat "$out.cpu")" > "$out"
}
timed "$W/t.learn" "$RAMPART" --data "$W/data" bayes learn -q --spam "$W/train/spam" --ham "$W/train/ham"
# A run of the CLI takes a tenth of a second, so one run is at the
# mercy of the machine; the median of five (wall and CPU of the median
# run by wall time) is reported, with the fastest and slowest.
for k in 1 2 3 4 5; do
  timed "$W/t.classify.$k" "$RAMPART" --data "$W/data" bayes classify "$W/test/spam" "$W/test/ham" > "$W/cli.tsv"
done
sort -n "$W"/t.classify.? > "$W/t.classify.all"
sed -n 3p "$W/t.classify.all" > "$W/t.classify"
RAYON_NUM_THREADS=1 timed "$W/t.classify1" "$RAMPART" --data "$W/data" bayes classify "$W/test/spam" "$W/test/ham" > "$W/cli1.tsv"
cmp -s "$W/cli.tsv" "$W/cli1.tsv" || echo "warning: one-thread output differs" >&2
ntrain=$(( $(ls "$W/train/spam" | wc -l) + $(ls "$W/train/ham" | wc -l) ))
awk -F'\t' -v ntrain="$ntrain" -v tl="$(cat "$W/t.learn")" -v tc="$(cat "$W/t.classify")" -v tc1="$(cat "$W/t.classify1")" \
  -v fastest="$(head -1 "$W/t.classify.all" | cut -d' ' -f1)" -v slowest="$(tail -1 "$W/t.classify.all" | cut -d' ' -f1)" '
  { truth = ($1 ~ /\/test\/spam\//) ? "spam" : "ham"; n++;
    p[n] = $2; y[n] = truth;
    if (truth == "ham") { nh++; if ($3 == "spam") fp++ }
    else { ns++; if ($3 != "spam") fn++ } }
  END {
    # Mann-Whitney AUC, quadratic but fine for a few thousand messages.
    for (i = 1; i <= n; i++) if (y[i] == "spam") for (j = 1; j <= n; j++) if (y[j] == "ham") {
      if (p[i] > p[j]) w += 1; else if (p[i] == p[j]) w += 0.5 }
    split(tl, l, " "); split(tc, c, " "); split(tc1, c1, " ");
    printf "cli: test spam=%d ham=%d | FP=%d (%.2f%%) FN=%d (caught %.2f%%) | AUC=%.6f\n",
      ns, nh, fp, 100*fp/nh, fn, 100*(ns-fn)/ns, w/(ns*nh)
    printf "cli: learn %d in %.2fs (%.0f/s; CPU %.2fs)\n", ntrain, l[1], ntrain/l[1], l[2]+l[3]
    printf "cli: classify %d, all threads, in %.3fs (%.0f/s; CPU %.2fs, %.0f/s per CPU second; median of 5 runs, %.3fs to %.3fs)\n",
      n, c[1], n/c[1], c[2]+c[3], n/(c[2]+c[3]), fastest, slowest
    printf "cli: classify %d, one thread, in %.2fs (%.0f/s; CPU %.2fs)\n",
      n, c1[1], n/c1[1], c1[2]+c1[3] }' "$W/cli.tsv"
else
  echo "== rampart CLI skipped: the rampart binary does not build"
fi

if [ "$PEERS" = 1 ]; then
  P=${BAYES_PEERS:-/work/shared/tools/bayes-peers.sh}
  echo "== peers ($P)"
  bash "$P" "$W/train/spam" "$W/train/ham" "$W/test/spam" "$W/test/ham" "$W/peers" > /dev/null
  cat "$W/peers/summary.txt"
fi

# One run each is a noisy ratio (a CLI run takes a tenth of a second),
# so bogofilter and the CLI are also timed in alternating rounds on the
# same test files: bogofilter as the peers script runs it (its own word
# list trained on the same training files, `xargs bogofilter -T -B`),
# then `rampart bayes classify`; the medians of the wall times give the
# ratio. ROUNDS (default 11; 0 skips this).
ROUNDS=${ROUNDS:-11}
if [ "$PEERS" = 1 ] && [ "$ROUNDS" -gt 0 ] && [ -x "$RAMPART" ] && command -v bogofilter > /dev/null; then
  echo "== side by side: bogofilter and the rampart CLI, $ROUNDS alternating rounds"
  mkdir -p "$W/bogo"
  ( cd "$W" && find train/spam -type f | LC_ALL=C sort > bogo/trainspam \
      && find train/ham -type f | LC_ALL=C sort > bogo/trainham \
      && find test/spam test/ham -type f | LC_ALL=C sort > bogo/testfiles \
      && xargs -d '\n' bogofilter -d bogo -s -B < bogo/trainspam \
      && xargs -d '\n' bogofilter -d bogo -n -B < bogo/trainham )
  wall() { # CMD...: prints the wall time of CMD in seconds
    local t0 t1
    # bogofilter -T exits 1 for ham, so xargs exits 123: not an error.
    t0=$(date +%s.%N); "$@" > /dev/null 2>&1 || true; t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc
  }
  bogo() ( cd "$W" && xargs -d '\n' bogofilter -d bogo -T -B < bogo/testfiles )
  : > "$W/rounds"
  for k in $(seq "$ROUNDS"); do
    echo "$(wall bogo) $(wall "$RAMPART" --data "$W/data" bayes classify "$W/test/spam" "$W/test/ham")" >> "$W/rounds"
  done
  n=$(wc -l < "$W/bogo/testfiles")
  awk -v n="$n" '
    function median(a, k,   i, j, t) {
      for (i = 2; i <= k; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j+1] = a[j]; a[j+1] = t }
      return (k % 2) ? a[(k+1)/2] : (a[k/2] + a[k/2+1]) / 2 }
    { k++; b[k] = $1; r[k] = $2; q[k] = $1 / $2 }
    END {
      mb = median(b, k); mr = median(r, k); mq = median(q, k)
      printf "rounds: %d; bogofilter median %.3fs (%.0f/s), rampart median %.3fs (%.0f/s): %.2fx by medians; per-round ratios %.2fx to %.2fx (median %.2fx)\n",
        k, mb, n/mb, mr, n/mr, mb/mr, q[1], q[k], mq }' "$W/rounds"
fi
