#!/usr/bin/env bash
# bench-vs-clamscan.sh RAMPART GENDIR WORKDIR [SIGCOUNTS] [TOTAL_MB]
#
# Throughput of `rampart scan` against clamscan on the same generated
# signature sets and files, in one run:
#   RAMPART    the rampart binary (build with `cargo build --release -p bins`)
#   GENDIR     a folder holding the generators gen-sigs.py and gen-files.py
#              (signature sets with planted instances; see their --help)
#   WORKDIR    scratch folder (sets and corpora are kept for reruns)
#   SIGCOUNTS  body signature counts, default "10000 100000"
#   TOTAL_MB   size of each file corpus, default 200
#
# For each count it prints: load time (scan of one tiny file, the best of
# three runs, since a busy machine adds noise to short runs), total wall
# time, scan-only throughput (MB / (wall - load)), the same over CPU
# time (user + sys, which other load on the machine disturbs less), peak
# RSS, and whether the normalized --allmatch outputs of both scanners
# are identical. The last column compares with clamscan: wall-clock
# throughput ratio (CPU-time ratio). clamscan is single-threaded;
# rampart uses every core (RAYON_NUM_THREADS limits it; the line
# "rampart-1t" repeats the run on one thread).
set -euo pipefail
if [ $# -lt 3 ]; then
    sed -n '2,21p' "$0" >&2
    exit 2
fi
RAMPART=$(realpath "$1")
GEN=$(realpath "$2")
WORK=$3
COUNTS=${4:-"10000 100000"}
MB=${5:-200}
HERE=$(cd "$(dirname "$0")" && pwd)
command -v clamscan >/dev/null || { echo "clamscan not installed" >&2; exit 2; }
mkdir -p "$WORK"
WORK=$(realpath "$WORK")

# measure NAME CMD...: runs CMD with stdout to $WORK/NAME.out, prints
# "wall_s rss_kb cpu_s".
measure() {
    local name=$1
    shift
    /usr/bin/time -f "%e %M %U %S" -o "$WORK/$name.time" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" || true
    tail -1 "$WORK/$name.time" | awk '{ printf "%s %s %.2f\n", $1, $2, $3 + $4 }'
}

printf '%-11s %7s %7s %7s %7s %8s %8s %7s %5s %s\n' \
    scanner sigs load_s wall_s cpu_s "MB/s" "cpuMB/s" rss_MB same "x clamscan"
for n in $COUNTS; do
    sigs="$WORK/sigs-$n"
    corpus="$WORK/corpus-$n"
    if [ ! -f "$sigs/gen.ndb" ]; then
        python3 "$GEN/gen-sigs.py" "$n" 1 "$sigs" >/dev/null
    fi
    if [ ! -d "$corpus/files" ]; then
        python3 "$GEN/gen-files.py" "$sigs" "$corpus" 1 --total-mb "$MB" >/dev/null
    fi
    dbs=()
    for f in "$sigs"/gen.*db "$sigs"/gen.hsb; do dbs+=(-d "$f"); done
    size_mb=$(du -sm --apparent-size "$corpus/files" | cut -f1)
    tiny="$WORK/tiny.txt"
    echo hello >"$tiny"
    cd "$corpus"
    for who in clamscan rampart rampart-1t; do
        case $who in
            clamscan) cmd=(clamscan --no-summary --allmatch -r --max-scantime=0
                           --max-filesize=2000M --max-scansize=4000M) ;;
            rampart) cmd=(env RAYON_NUM_THREADS=0 "$RAMPART" scan --no-summary --allmatch -r) ;;
            rampart-1t) cmd=(env RAYON_NUM_THREADS=1 "$RAMPART" scan --no-summary --allmatch -r) ;;
        esac
        read -r load _ lcpu < <(for k in 1 2 3; do
            measure "$who-$n-load" "${cmd[@]}" "${dbs[@]}" "$tiny"
        done | sort -n | head -1)
        read -r wall rss cpu < <(measure "$who-$n" "${cmd[@]}" "${dbs[@]}" files)
        python3 "$HERE/normalize.py" <"$WORK/$who-$n.out" >"$WORK/$who-$n.tsv"
        same=-
        if [ "$who" != clamscan ]; then
            if cmp -s "$WORK/clamscan-$n.tsv" "$WORK/$who-$n.tsv"; then same=yes; else same=NO; fi
        fi
        rate() { python3 -c "w=$1-$2; print(f'{$size_mb/w:.1f}' if w>0 else 'inf')"; }
        mbs=$(rate "$wall" "$load")
        cmbs=$(rate "$cpu" "$lcpu")
        ratio=-
        if [ "$who" = clamscan ]; then
            base_mbs=$mbs
            base_cmbs=$cmbs
        else
            ratio=$(python3 -c "print(f'{$mbs/$base_mbs:.1f} ({$cmbs/$base_cmbs:.1f})')")
        fi
        printf '%-11s %7s %7s %7s %7s %8s %8s %7s %5s %s\n' "$who" "$n" "$load" "$wall" "$cpu" \
            "$mbs" "$cmbs" "$((rss / 1024))" "$same" "$ratio"
    done
    cd - >/dev/null
    echo "($size_mb MB in $(find "$corpus/files" -type f | wc -l) files; outputs in $WORK)"
done
