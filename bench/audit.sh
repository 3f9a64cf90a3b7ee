#!/usr/bin/env bash
# bench/audit: how fast `ticketctl audit --top 10` summarises a log.
#
#   bash bench/audit.sh            (make bench-audit)
#
# Generates 1 GB (10^9 bytes) of records with bench/audit_gen.pl into
# $AUDIT_BENCH_FILE (default /tmp/ticket-audit-1g.jsonl; reused when it is
# there and large enough), reads it once so that the page cache holds it
# as it would a recent log, then times the summary.  Then the same for a
# gzip'd copy of its first 100 MB.  Goal: 1 GB in under 10 s.

set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${TICKET_BUILD:-$root/build}
case $build in /*) ;; *) build=$root/$build ;; esac
ctl=$build/ticketctl
file=${AUDIT_BENCH_FILE:-/tmp/ticket-audit-1g.jsonl}
gz=${file%.jsonl}-100m.jsonl.gz
size=1000000000
gzsize=100000000

[ -x "$ctl" ] || { echo "bench/audit: no $ctl: make ticketctl" >&2; exit 2; }

filesize() { stat -c %s "$1" 2>/dev/null || echo 0; }

if [ "$(filesize "$file")" -lt "$size" ]; then
    echo "bench/audit: generating $file (1 GB, about a minute)"
    perl "$root/bench/audit_gen.pl" --bytes "$size" --out "$file.tmp"
    mv "$file.tmp" "$file"
fi

if [ ! -s "$gz" ] || [ "$gz" -ot "$file" ]; then
    head -c "$gzsize" "$file" | sed '$d' | gzip -6 > "$gz.tmp"
    mv "$gz.tmp" "$gz"
fi

# wall time of one run, in seconds; the output goes to $out
now() { date +%s.%N; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT

calc() { awk "BEGIN { print $1 }"; }

run() {
    local t0 t1
    t0=$(now)
    "$ctl" audit --top 10 "$@" > "$out"
    t1=$(now)
    calc "$t1 - $t0"
}

cat "$file" > /dev/null                  # warm the page cache

bytes=$(filesize "$file")
best=
for i in 1 2 3; do
    s=$(run "$file")
    if [ -z "$best" ] || [ "$(calc "$s < $best")" = 1 ]; then
        best=$s
    fi
done
records=$(awk 'NR == 1 { print $2 }' "$out")
printf 'ticketctl audit: %.2f GB in %.2f s (%.0f MB/s), %s records, best of 3\n' \
    "$(calc "$bytes / 1000000000")" "$best" \
    "$(calc "$bytes / 1000000 / $best")" "$records"
echo "  command: $ctl audit --top 10 $file"

gzbytes=$(filesize "$gz")
plain=$(gzip -dc "$gz" | wc -c)
s=$(run "$gz")
printf 'ticketctl audit: gzip %.2f MB (%.2f MB of records) in %.2f s (%.0f MB/s of records)\n' \
    "$(calc "$gzbytes / 1000000")" "$(calc "$plain / 1000000")" \
    "$s" "$(calc "$plain / 1000000 / $s")"
echo "  command: $ctl audit --top 10 $gz"

if [ "$(calc "$best < 10")" != 1 ]; then
    echo "bench/audit: goal missed: 1 GB in under 10 s" >&2
fi
