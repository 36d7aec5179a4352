#!/usr/bin/env bash
# Shared by shards.sh and slurm.sh (sourced; set $name first): the quickstart
# sweep cut short, the packages its checks need, and the metric comparison of
# two run logs.

# 2 frames per clip, one timed pass, one thread, INT8 calibrated on 1 frame
short_sets=(--set timing.min_runs=1 --set timing.min_secs=0 --set timing.warmup=0
            --set datasets.0.frames=2 --set threads=1 --set precisions.2.calibration.frames=1)

fail() { echo "$name: FAILED: $*" >&2; exit 1; }

# exit 77 (ctest: skipped) with the reason when the demo data or sqlite3 is missing
short_require() {
  if [ ! -r /usr/share/doc/opencv-doc/examples/data/vtest.avi ]; then
    echo "$name: skipped: the demo data needs the opencv-doc package" >&2
    exit 77
  fi
  if ! command -v sqlite3 >/dev/null; then
    echo "$name: skipped: the sqlite3 shell is not installed (scripts/deps.sh)" >&2
    exit 77
  fi
}

# The ok runs of run logs $1 and $2 have the same clip and frame metrics, bit
# for bit (quote() prints every digit), frame times aside. $3: a scratch folder.
short_same_metrics() {
  local q_clip q_frame q
  q_clip="SELECT r.run_key, r.config_hash, r.params, r.macs, c.clip, c.frames, quote(c.psnr_rgb),
    quote(c.psnr_y), quote(c.ssim_rgb), quote(c.ssim_y), quote(c.niqe), c.psnr_rgb_inf,
    c.psnr_y_inf FROM runs r JOIN clip_metrics c ON c.run_id = r.id WHERE r.status = 'ok'
    ORDER BY 1, 5"
  q_frame="SELECT r.run_key, f.clip, f.frame, quote(f.psnr_rgb), quote(f.psnr_y),
    quote(f.ssim_rgb), quote(f.ssim_y), quote(f.niqe) FROM runs r JOIN frame_metrics f
    ON f.run_id = r.id WHERE r.status = 'ok' ORDER BY 1, 2, 3"
  for q in "$q_clip" "$q_frame"; do
    sqlite3 "$1" "$q" >"$3/metrics_a.txt"
    sqlite3 "$2" "$q" >"$3/metrics_b.txt"
    [ -s "$3/metrics_a.txt" ] || fail "no metrics in $1"
    cmp -s "$3/metrics_a.txt" "$3/metrics_b.txt" \
      || { diff "$3/metrics_a.txt" "$3/metrics_b.txt" | head; fail "metrics of $1 and $2 differ"; }
  done
}
