#!/usr/bin/env bash
# gen-oracle-expected.sh ORACLE [CASES-DIR]
#
# Regenerates the expected outputs of the differential tests: for each
# CASES-DIR/NAME.sieve (default: tests/oracle/cases next to this script)
# it runs Pigeonhole's sieve-test through ORACLE (the path of
# ../shared/tools/sieve-oracle.sh) and writes CASES-DIR/NAME.expected.
#
# Each case runs on tests/oracle/messages/plain.eml unless the script has
# a line "# msg: FILE.eml"; the envelope is always
# alice@example.org -> bob@example.net (the test uses the same).
# `cargo test -p rampart-sieve-engine --test oracle` then checks that our
# engine prints exactly these lines; it needs no oracle.
#
# To refresh after adding or changing a case:
#   apt-get install -y dovecot-core dovecot-sieve
#   bash sieve-engine/scripts/gen-oracle-expected.sh ../shared/tools/sieve-oracle.sh
set -eu
ORACLE=${1:?usage: $0 PATH/sieve-oracle.sh [CASES-DIR]}
HERE=$(cd "$(dirname "$0")/.." && pwd)
CASES=${2:-$HERE/tests/oracle/cases}
MSGS=$HERE/tests/oracle/messages
n=0
for s in "$CASES"/*.sieve; do
  name=$(basename "$s" .sieve)
  msg=$(sed -n 's/^# msg: *//p' "$s" | head -n 1)
  msg=${msg:-plain.eml}
  bash "$ORACLE" "$s" "$MSGS/$msg" alice@example.org bob@example.net > "$CASES/$name.expected"
  n=$((n + 1))
done
echo "wrote $n expected outputs to $CASES"
