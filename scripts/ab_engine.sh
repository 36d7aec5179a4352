#!/usr/bin/env bash
# Alternate two (or more) bench_engine binaries on the same model and report,
# per binary, the minimum of each column (frame median, then each layer's
# mean) and the mean of the frame medians over the rounds. For judging an
# engine change on a machine whose speed drifts from minute to minute: each
# round runs every binary once, back to back, so drift hits them alike, and
# the minimum is the run least disturbed by other load.
#
#   scripts/ab_engine.sh ROUNDS BIN_A BIN_B [BIN_C ...] -- BENCH_ENGINE_ARGS...
#   e.g. cp build/bench_engine /tmp/be_new  (and an older build as /tmp/be_old)
#        scripts/ab_engine.sh 10 /tmp/be_old /tmp/be_new -- \
#            --model ABPN --size 320x180 -p int8 -t 1 -n 31 --layers
#
# The columns are those bench_engine --model prints for ONE precision: the
# frame's median ms (first), then with --layers each layer's mean us.
set -euo pipefail

if [ $# -lt 4 ]; then
    sed -n '2,16p' "$0" >&2
    exit 2
fi
rounds=$1
shift
bins=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
    [ -x "$1" ] || { echo "ab_engine.sh: $1: not an executable (a bench_engine binary)" >&2; exit 2; }
    bins+=("$1")
    shift
done
[ "${1:-}" = "--" ] || { echo "ab_engine.sh: expected -- before the bench_engine arguments" >&2; exit 2; }
shift
case "$rounds" in '' | *[!0-9]*) echo "ab_engine.sh: ROUNDS must be a number" >&2; exit 2 ;; esac

out=$(mktemp)
trap 'rm -f "$out"' EXIT
echo "# $(date -u '+%F %T') UTC, load $(cut -d' ' -f1-3 /proc/loadavg): $rounds rounds of: $*"
for ((r = 0; r < rounds; r++)); do
    for i in "${!bins[@]}"; do
        printf '%s ' "$i" >>"$out"
        # the precision row's median, then each layer row's mean
        "${bins[$i]}" "$@" 2>&1 | awk -F'|' '$2 != " layer " && (/^\| (fp32|fp16|fp16n|int8) \|/ || /^\| [a-z_0-9]+ \| [a-z_0-9]+ \|/) {
            v = $4 + 0; if ($2 ~ /^ (fp32|fp16|fp16n|int8) $/) v = $3 + 0; printf "%s ", v }' >>"$out" || true
        echo >>"$out"
        if [ "$(tail -n 1 "$out")" = "$i " ]; then
            echo "ab_engine.sh: ${bins[$i]} $*: printed no timing rows (run it alone to see why)" >&2
            exit 1
        fi
    done
done
for i in "${!bins[@]}"; do
    awk -v i="$i" -v name="${bins[$i]}" '$1 == i {
        for (k = 2; k <= NF; k++) { if (!(k in m) || $k < m[k]) m[k] = $k }
        s += $2; n++; nf = NF }
        END { printf "%s: min frame %.3f ms, layers (us):", name, m[2];
              for (k = 3; k <= nf; k++) printf " %.0f", m[k];
              printf "; mean of frame medians %.3f ms (%d rounds)\n", s / n, n }' "$out"
done
