#!/usr/bin/env bash
# The quickstart sweep on a real one-node Slurm cluster that this test starts
# and stops (slurm_cluster.sh): `vsrbench slurm --tasks 4 --submit` (a 4-task
# array plus the afterany merge job), then: the merged run log has every run of
# the sweep exactly once, each with its shard and node, and the same metrics
# (clip and frame values, bit for bit) as the same sweep run in one process.
# Exits 77 (ctest: skipped) with the reason on one line when slurmd cannot run.
#   usage: slurm.sh VSRBENCH SOURCE_DIR
set -euo pipefail
bin=$1
src=$2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vsrslurm.XXXXXX")
source "$src/tests/e2e/slurm_cluster.sh"
trap 'slurm_cluster_stop; [ -n "${VSR_E2E_KEEP:-}" ] || rm -rf "$tmp"' EXIT
name=slurm
source "$src/tests/e2e/short_sweep.sh"
short_require
rc=0
slurm_cluster_start "$tmp/cluster" || rc=$?
if [ $rc -eq 77 ]; then
  echo "slurm: skipped: NO SLURM CLUSTER HERE: $slurm_why" >&2
  exit 77
fi
[ $rc -eq 0 ] || fail "slurm_cluster_start"

export VSR_DATA_DIR="$tmp/data"
"$bin" data demo >/dev/null
sets=("${short_sets[@]}")
cfg=$src/configs/quickstart.yaml
n=$("$bin" run "$cfg" "${sets[@]}" --dry-run | sed -n 's/^sweep [^:]*: \([0-9]*\) run.*/\1/p')
[ "$n" -gt 0 ] || fail "dry run counts no runs"

"$bin" run "$cfg" "${sets[@]}" --db "$tmp/one.db" --no-report --progress never -q >/dev/null \
  || fail "the single-process run"

"$bin" slurm "$cfg" "${sets[@]}" --tasks 4 --dir "$tmp/job" --submit >"$tmp/submit.txt" \
  || { cat "$tmp/submit.txt"; fail "vsrbench slurm --submit"; }
ids=$(sed -n 's/^submitted: array job \([0-9]*\) .*merge job \([0-9]*\) .*/\1,\2/p' "$tmp/submit.txt")
[ -n "$ids" ] || { cat "$tmp/submit.txt"; fail "no job ids"; }
# wait for the array and the merge job (bounded: 5 min)
for _ in $(seq 1 600); do
  [ -z "$(squeue -h -j "$ids" 2>/dev/null)" ] && break
  sleep 0.5
done
[ -z "$(squeue -h -j "$ids" 2>/dev/null)" ] || fail "the jobs did not finish within 5 min"
[ -f "$tmp/job/merged.db" ] || { cat "$tmp/job/logs/"*.out; fail "no merged.db"; }
grep -q "all $n runs of sweep quickstart are in" "$tmp/job/logs/merge.out" \
  || { cat "$tmp/job/logs/"*.out; fail "the merge job did not find every run"; }
[ -f "$tmp/job/report/index.html" ] || fail "the merge job wrote no report"

m=$tmp/job/merged.db
[ "$(sqlite3 "$m" "SELECT count(*) FROM runs")" = "$n" ] || fail "merged.db has not $n runs"
dups=$(sqlite3 "$m" "SELECT run_key FROM runs GROUP BY run_key HAVING count(*) > 1")
[ -z "$dups" ] || fail "runs twice in merged.db: $dups"
[ "$(sqlite3 "$m" "SELECT count(*) FROM runs WHERE status = 'ok'")" = "$n" ] || fail "a run is not ok"
# provenance: every run from a shard of 4, on the cluster's node, all 4 shards used
[ "$(sqlite3 "$m" "SELECT count(*) FROM run_provenance WHERE node = 'vsrnode' AND shard LIKE '_/4'")" = "$n" ] \
  || fail "provenance: $(sqlite3 "$m" "SELECT * FROM run_provenance")"
[ "$(sqlite3 "$m" "SELECT count(DISTINCT shard) FROM run_provenance")" = 4 ] || fail "not 4 shards"

short_same_metrics "$tmp/one.db" "$m" "$tmp"
echo "slurm: ok: $n runs in 4 array tasks on vsrnode, merged, metrics equal to one process"
