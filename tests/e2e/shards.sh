#!/usr/bin/env bash
# run --shard K/N and merge through the real binary, on the quickstart sweep
# cut short (2 frames per clip, one timed pass):
#  - the dry-run lists of shards 1/4..4/4 are disjoint, their union is the
#    sweep, and they are the same on a second call and under --resume;
#  - a bad K/N exits 2 with one line;
#  - shard 3 is killed with SIGKILL once it has finished a run, then re-run
#    with --resume; merging the 4 run logs gives every run of the sweep ok
#    exactly once with the metrics (clip and frame values, bit for bit) of the
#    same sweep run in one process, and merge --expect finds nothing missing.
#   usage: shards.sh VSRBENCH SOURCE_DIR
set -euo pipefail
bin=$1
src=$2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vsrshards.XXXXXX")
victim=""
trap '[ -z "$victim" ] || kill -9 "$victim" 2>/dev/null || true; [ -n "${VSR_E2E_KEEP:-}" ] || rm -rf "$tmp"' EXIT
name=shards
source "$src/tests/e2e/short_sweep.sh"
short_require
export VSR_DATA_DIR="$tmp/data"
"$bin" data demo >/dev/null
cfg=$src/configs/quickstart.yaml
sets=("${short_sets[@]}")
keys() { awk 'NR > 2 && $1 ~ /^[0-9]+$/ {print $1, $4}' "$@"; }

# ---- the split ----
"$bin" run "$cfg" "${sets[@]}" --dry-run >"$tmp/all.txt"
n=$(keys "$tmp/all.txt" | wc -l)
[ "$n" -ge 4 ] || fail "the sweep has $n runs"
: >"$tmp/union.txt"
for k in 1 2 3 4; do
  "$bin" run "$cfg" "${sets[@]}" --dry-run --shard $k/4 >"$tmp/s$k.txt"
  "$bin" run "$cfg" "${sets[@]}" --dry-run --shard $k/4 >"$tmp/s$k.again.txt"
  cmp -s "$tmp/s$k.txt" "$tmp/s$k.again.txt" || fail "shard $k/4 lists other runs on a second call"
  keys "$tmp/s$k.txt" >>"$tmp/union.txt"
  [ "$(keys "$tmp/s$k.txt" | wc -l)" -ge 1 ] || fail "shard $k/4 is empty"
done
sort -n "$tmp/union.txt" >"$tmp/union.sorted"
keys "$tmp/all.txt" | sort -n >"$tmp/all.sorted"
cmp -s "$tmp/union.sorted" "$tmp/all.sorted" \
  || { diff "$tmp/all.sorted" "$tmp/union.sorted"; fail "the shards are not a partition of the sweep"; }

# ---- bad K/N: exit 2, one line ----
for bad in 0/4 5/4 4 a/b 1/0 -1/3; do
  rc=0
  "$bin" run "$cfg" --dry-run --shard "$bad" >/dev/null 2>"$tmp/err.txt" || rc=$?
  [ $rc -eq 2 ] || fail "--shard $bad: exit $rc, expected 2"
  [ "$(wc -l <"$tmp/err.txt")" -eq 1 ] || fail "--shard $bad: not one line: $(cat "$tmp/err.txt")"
done

# ---- one process, for reference ----
"$bin" run "$cfg" "${sets[@]}" --db "$tmp/one.db" --no-report --progress never -q >/dev/null \
  || fail "the single-process run"

# ---- 4 shards, shard 3 killed after its first finished run, then resumed ----
for k in 1 2 4; do
  "$bin" run "$cfg" "${sets[@]}" --shard $k/4 --db "$tmp/s$k.db" --no-report --progress never -q \
    >/dev/null || fail "shard $k/4"
done
n3=$(keys "$tmp/s3.txt" | wc -l)
"$bin" run "$cfg" "${sets[@]}" --shard 3/4 --db "$tmp/s3.db" --no-report --progress never -q \
  >/dev/null 2>&1 &
victim=$!
ok=0
for _ in $(seq 1 3000); do
  ok=$(sqlite3 "$tmp/s3.db" "SELECT count(*) FROM runs WHERE status = 'ok'" 2>/dev/null || echo 0)
  [ "${ok:-0}" -ge 1 ] && break
  kill -0 "$victim" 2>/dev/null || break
  sleep 0.01
done
kill -9 "$victim" 2>/dev/null || true
wait "$victim" 2>/dev/null || true
victim=""
ok=$(sqlite3 "$tmp/s3.db" "SELECT count(*) FROM runs WHERE status = 'ok'")
[ "$ok" -ge 1 ] && [ "$ok" -lt "$n3" ] \
  || fail "the kill did not land mid-shard ($ok of $n3 runs ok)"
"$bin" run "$cfg" "${sets[@]}" --shard 3/4 --db "$tmp/s3.db" --resume --no-report \
  --progress never -q >"$tmp/resume.txt" 2>&1 || { cat "$tmp/resume.txt"; fail "--resume of shard 3"; }
grep -q "$ok skipped (already finished)" "$tmp/resume.txt" \
  || { cat "$tmp/resume.txt"; fail "the resume did not skip the $ok finished runs"; }

"$bin" merge "$tmp/m.db" "$tmp/s1.db" "$tmp/s2.db" "$tmp/s3.db" "$tmp/s4.db" \
  --expect "$cfg" "${sets[@]}" --shards 4 >"$tmp/merge.txt" 2>&1 \
  || { cat "$tmp/merge.txt"; fail "merge --expect"; }
grep -q "all $n runs of sweep quickstart are in" "$tmp/merge.txt" || fail "merge --expect"
m=$tmp/m.db
[ "$(sqlite3 "$m" "SELECT count(*) FROM runs WHERE status = 'ok'")" = "$n" ] || fail "not $n ok runs"
dups=$(sqlite3 "$m" "SELECT run_key FROM runs WHERE status = 'ok' GROUP BY run_key HAVING count(*) > 1")
[ -z "$dups" ] || fail "ok twice: $dups"
short_same_metrics "$tmp/one.db" "$m" "$tmp"
# the same shards again: nothing new, all duplicates
"$bin" merge "$m" "$tmp/s1.db" "$tmp/s2.db" "$tmp/s3.db" "$tmp/s4.db" -q >"$tmp/again.txt" 2>&1 \
  || fail "merge again"
[ "$(sqlite3 "$m" "SELECT count(*) FROM runs WHERE status = 'ok'")" = "$n" ] || fail "merging twice added runs"
echo "shards: ok: $n runs in 4 shards (shard 3 killed after $ok of $n3 runs, resumed), merged = one process"
