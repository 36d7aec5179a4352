#!/usr/bin/env bash
# End to end: demo data -> run (sweep, SQLite) -> report -> eval, through the
# real binary. With VSR_E2E_WRAPPER=valgrind (the plain build's ctest sets
# it) every vsrbench process runs under memcheck and any error or definite
# leak fails the test. Where valgrind cannot run the binary on this CPU (see
# valgrind_probe.sh) the test says so in one loud line and exits 77, which
# ctest reports as skipped; scripts/test.sh then relies on the ASan+LSan run.
#   usage: e2e.sh VSRBENCH SOURCE_DIR
set -euo pipefail
bin=$1
src=$2
wrap=()
if [ "${VSR_E2E_WRAPPER:-}" = valgrind ]; then
  if ! why=$("$src/tests/e2e/valgrind_probe.sh" "$bin"); then
    echo "e2e: skipped: NO VALGRIND MEMORY CHECK ON THIS CPU: $why" >&2
    exit 77
  fi
  wrap=(valgrind -q --error-exitcode=97 --leak-check=full
        --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect)
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vsre2e.XXXXXX")
trap '[ -n "${VSR_E2E_KEEP:-}" ] || rm -rf "$tmp"' EXIT
export VSR_DATA_DIR="$tmp/data"
vsr() { "${wrap[@]}" "$bin" "$@"; }
fail() { echo "e2e: FAILED: $*" >&2; exit 1; }

if [ ! -r /usr/share/doc/opencv-doc/examples/data/vtest.avi ]; then
  echo "e2e: skipped: the demo data needs the opencv-doc package" >&2
  exit 77
fi

vsr data demo >"$tmp/demo.txt"
[ -f "$VSR_DATA_DIR/demo/GT/vtest/00000000.png" ] || fail "demo GT frame missing"

# SWRN with its published weights when ../shared is there, bicubic always.
models="[bicubic]"
shared=${VSR_SHARED_DIR:-}
if [ -n "$shared" ] && [ -d "$shared/data/weights/swrn/npy" ]; then
  vsr models --import SWRN --npy "$shared/data/weights/swrn/npy" \
      --map "$src/models/maps/swrn.yaml" -o "$tmp/swrn.vsrw" >/dev/null
  # the same weights read straight from the npy folder, under a label of their
  # own (a label is not the zoo type: the map names SWRN)
  models="[bicubic, {name: SWRN, weights: $tmp/swrn.vsrw},
           {name: SWRN_npy, type: SWRN, variant: npy,
            weights: {npy: $shared/data/weights/swrn/npy, map: $src/models/maps/swrn.yaml}}]"
fi
cat >"$tmp/e2e.yaml" <<YAML
name: e2e
datasets: [{name: demo, type: demo, frames: 3, clips: [vtest]}]
metrics: {psnr: {crop_border: 4, channels: [y, rgb]}, ssim: {crop_border: 4, channels: [y]}}
models: $models
precisions: [fp32, {name: int8, calibration: {method: minmax, frames: 2}}]
exclude: [{model: bicubic, precision: [int8]}]
threads: 2
timing: {warmup: 1, runs: 1, min_runs: 1, min_secs: 0}
output: {db: $tmp/runs.db, report_dir: $tmp/report}
YAML
vsr run "$tmp/e2e.yaml" --progress never --no-report >"$tmp/run.txt" \
  || { cat "$tmp/run.txt"; fail "vsrbench run"; }
grep -q "0 failed" "$tmp/run.txt" || { cat "$tmp/run.txt"; fail "a run failed"; }
# Imported SWRN beats bicubic in PSNR-Y in FP32 and INT8 (independent
# oracle: the published Vid4 margins in docs/MODELS.md are ~+1.3 dB).
if [ "$models" != "[bicubic]" ]; then
  # PSNR-Y is the next-to-last column of the summary (the interval and the
  # noisy mark before it vary in width)
  awk '$2 ~ /^bicubic\// {b=$(NF-1)} $2 ~ /^SWRN\// {s[$2]=$(NF-1); n++}
       END {if (n != 4) exit 1; for (k in s) if (s[k] <= b + 0.5) exit 1}' "$tmp/run.txt" \
    || { cat "$tmp/run.txt"; fail "SWRN does not beat bicubic by 0.5 dB"; }
  # imported .vsrw and npy folder: the same weights, the same PSNR-Y
  for p in fp32 int8; do
    a=$(awk -v p="$p" '$2 ~ "^SWRN/base/" p {print $(NF-1)}' "$tmp/run.txt")
    b=$(awk -v p="$p" '$2 ~ "^SWRN/npy/" p {print $(NF-1)}' "$tmp/run.txt")
    [ -n "$a" ] && [ "$a" = "$b" ] || { cat "$tmp/run.txt"; fail "SWRN $p: .vsrw $a != npy $b"; }
  done
fi

# The recorded bicubic PSNR-Y equals what eval computes on the same frames.
vsr report --db "$tmp/runs.db" --out "$tmp/report" --format md,csv,html --no-plots >/dev/null
[ -s "$tmp/report/index.html" ] || fail "report index.html missing"
grep -q bicubic "$tmp/report/index.html" || fail "bicubic row missing from the report"

# eval of GT against itself: inf / 1 (BasicSR convention, no crash)
vsr eval --gt "$VSR_DATA_DIR/demo/GT/vtest" --sr "$VSR_DATA_DIR/demo/GT/vtest" \
  --crop-border 4 --y --format csv >"$tmp/eval.csv"
grep -q inf "$tmp/eval.csv" || fail "eval of identical frames is not inf"

# Bad input: a missing config is a one-line error and exit 2, nothing written.
set +e
vsr run "$tmp/missing.yaml" --db "$tmp/bad.db" 2>"$tmp/err.txt" >/dev/null
rc=$?
set -e
[ "$rc" -ne 0 ] || fail "missing config accepted"
grep -q missing.yaml "$tmp/err.txt" || fail "error does not name the config"
[ ! -e "$tmp/bad.db" ] || fail "a failed run left a db behind"
echo "e2e: 1 passed, 0 failed"
