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
fail() { echo "slurm: FAILED: $*" >&2; exit 1; }

if [ ! -r /usr/share/doc/opencv-doc/examples/data/vtest.avi ]; then
  echo "slurm: skipped: the demo data needs the opencv-doc package" >&2
  exit 77
fi
command -v sqlite3 >/dev/null || { echo "slurm: skipped: the sqlite3 shell is not installed (scripts/deps.sh)" >&2; exit 77; }
rc=0
slurm_cluster_start "$tmp/cluster" || rc=$?
if [ $rc -eq 77 ]; then
  echo "slurm: skipped: NO SLURM CLUSTER HERE: $slurm_why" >&2
  exit 77
fi
[ $rc -eq 0 ] || fail "slurm_cluster_start"

export VSR_DATA_DIR="$tmp/data"
"$bin" data demo >/dev/null
# short: 2 frames per clip, one timed pass, one thread
sets=(--set timing.min_runs=1 --set timing.min_secs=0 --set timing.warmup=0
      --set datasets.0.frames=2 --set threads=1 --set precisions.2.calibration.frames=1)
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

q_clip="SELECT r.run_key, r.config_hash, r.status, r.params, r.macs, c.clip, c.frames,
  quote(c.psnr_rgb), quote(c.psnr_y), quote(c.ssim_rgb), quote(c.ssim_y), quote(c.niqe),
  c.psnr_rgb_inf, c.psnr_y_inf FROM runs r JOIN clip_metrics c ON c.run_id = r.id ORDER BY 1, 6"
q_frame="SELECT r.run_key, f.clip, f.frame, quote(f.psnr_rgb), quote(f.psnr_y), quote(f.ssim_rgb),
  quote(f.ssim_y), quote(f.niqe) FROM runs r JOIN frame_metrics f ON f.run_id = r.id ORDER BY 1, 2, 3"
for q in "$q_clip" "$q_frame"; do
  sqlite3 "$tmp/one.db" "$q" >"$tmp/a.txt"
  sqlite3 "$m" "$q" >"$tmp/b.txt"
  [ -s "$tmp/a.txt" ] || fail "no metrics in the single-process run log"
  cmp -s "$tmp/a.txt" "$tmp/b.txt" || { diff "$tmp/a.txt" "$tmp/b.txt" | head; fail "metrics differ"; }
done
echo "slurm: ok: $n runs in 4 array tasks on vsrnode, merged, metrics equal to one process"
