#!/usr/bin/env bash
# Fuzz the readers of outside bytes with libFuzzer (clang).
#
#   scripts/fuzz.sh --list              the targets
#   scripts/fuzz.sh TARGET SECONDS      build and fuzz one target
#   scripts/fuzz.sh --smoke SECONDS     every target for SECONDS each; fails on any crash
#
# Builds in build-fuzz/ (CC=clang, -DVSR_FUZZ=ON -DVSR_SANITIZE=ON: libFuzzer
# + ASan + UBSan, leaks detected) and runs with -timeout=${VSR_FUZZ_TIMEOUT:-10}
# (wall seconds per input, a hang is a finding; raise it on a loaded
# machine) and -rss_limit_mb=2048. The corpus is a scratch copy (never the
# repository) of the seeds: the project's own files of that kind
# (configs/, models/maps/, models/weights/, tests/reference/onnx/),
# tests/fuzz/seeds/<target>/,
# small media made with ffmpeg, ../shared's files when present, and
# tests/fuzz/regress/<target>/. A crash is kept under
# build-fuzz/artifacts/<target>/; move a fixed one into
# tests/fuzz/regress/<target>/ so ctest replays it on every build.
# Prints one line per target: target, seconds, execs, crashes found.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${VSR_FUZZ_BUILD:-$ROOT/build-fuzz}"
TARGETS=(run_config train_config name_map npy tflite_parse tflite_import vsrw image_decode onnx device_log)

usage() {
  echo "usage: scripts/fuzz.sh --list | TARGET SECONDS | --smoke SECONDS" >&2
  exit 2
}

build() {
  command -v clang >/dev/null ||
    { echo "fuzz: needs clang and libclang-rt-14-dev (scripts/deps.sh)" >&2; exit 1; }
  # configured every time (cheap): a target added since the last configure
  # is then known to the build
  CC=clang cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DVSR_FUZZ=ON -DVSR_SANITIZE=ON >/dev/null
  cmake --build "$BUILD" -j2 --target "${@/#/fuzz_}" >/dev/null
}

# seed_corpus TARGET DIR: copy the seeds of TARGET into DIR
seed_corpus() {
  local t=$1 dir=$2 shared="$ROOT/../shared"
  local -a files=()
  case $t in
    run_config) files=("$ROOT"/configs/*.yaml) ;;
    train_config) files=("$ROOT"/configs/train_*.yaml) ;;
    name_map) files=("$ROOT"/models/maps/*.yaml) ;;
    npy) [ -d "$shared/data/weights/swrn/npy" ] &&
           mapfile -t files < <(find "$shared/data/weights/swrn/npy" -name '*.npy' -size -64k | sort | head -8) ;;
    tflite_parse | tflite_import)
      [ -d "$shared/data/weights" ] &&
        mapfile -t files < <(find "$shared/data/weights" -name '*.tflite' -size -400k | sort | head -4) ;;
    vsrw) files=("$ROOT"/models/weights/ELSR.vsrw "$ROOT"/models/weights/MVSR_13_3.vsrw) ;;
    onnx) files=("$ROOT"/tests/reference/onnx/*.onnx) ;; # PyTorch exports and crafted bad files
    image_decode)
      if command -v ffmpeg >/dev/null; then
        local q=(ffmpeg -loglevel error -y -f lavfi -i)
        "${q[@]}" testsrc=size=16x12:rate=1 -frames:v 1 "$dir/rgb.png"
        "${q[@]}" testsrc=size=16x12:rate=1 -frames:v 1 -pix_fmt gray "$dir/gray.png"
        "${q[@]}" testsrc=size=16x12:rate=1 -frames:v 1 -pix_fmt rgba64be "$dir/rgba16.png"
        "${q[@]}" testsrc=size=16x16:rate=1 -frames:v 1 "$dir/rgb.jpg"
        "${q[@]}" testsrc=size=16x12:rate=1 -frames:v 1 "$dir/rgb.bmp"
        "${q[@]}" testsrc=size=16x12:rate=5 -frames:v 3 -c:v ffv1 "$dir/clip.mkv"
        "${q[@]}" testsrc=size=16x16:rate=5 -frames:v 3 -c:v mpeg4 "$dir/clip.avi"
      fi ;;
  esac
  for f in "${files[@]}" "$ROOT/tests/fuzz/seeds/$t"/* "$ROOT/tests/fuzz/regress/$t"/*; do
    if [ -f "$f" ]; then cp "$f" "$dir/$(basename "$(dirname "$f")")_$(basename "$f")"; fi
  done
}

# fuzz_one TARGET SECONDS: run it; print the summary; return 1 on a finding
fuzz_one() {
  local t=$1 secs=$2
  local scratch art log
  scratch=$(mktemp -d "${TMPDIR:-/tmp}/vsrfuzz-$t.XXXXXX")
  art="$BUILD/artifacts/$t"
  log="$BUILD/artifacts/$t.log"
  mkdir -p "$scratch/corpus" "$art"
  seed_corpus "$t" "$scratch/corpus"
  local before after rc=0
  # findings are crash-/leak-/timeout-/oom- files; slow-unit- files are
  # libFuzzer's notes on inputs slower than the timeout's report threshold
  findings() { find "$art" -type f ! -name 'slow-unit-*' | wc -l; }
  before=$(findings)
  local slow_before
  slow_before=$(find "$art" -type f -name 'slow-unit-*' | wc -l)
  (cd "$scratch" && TMPDIR="$scratch" "$BUILD/tests/fuzz/fuzz_$t" \
      -max_total_time="$secs" -timeout="${VSR_FUZZ_TIMEOUT:-10}" -rss_limit_mb=2048 -print_final_stats=1 \
      -close_fd_mask=3 -artifact_prefix="$art/" corpus) >"$log" 2>&1 || rc=$?
  after=$(findings)
  local slow=$(($(find "$art" -type f -name 'slow-unit-*' | wc -l) - slow_before))
  local execs
  execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | tail -1 | awk '{print $2}')
  rm -rf "$scratch"
  local found=$((after - before))
  [ "$rc" -ne 0 ] && [ "$found" -eq 0 ] && found=1 # died without an artifact
  echo "fuzz: $t ${secs}s, ${execs:-?} execs, $found crashes found$([ "$found" -gt 0 ] && echo " (see $log, $art/)")$([ "$slow" -gt 0 ] && echo ", $slow slow input(s) noted in $art/")"
  [ "$found" -eq 0 ]
}

[ $# -ge 1 ] || usage
case $1 in
  --list) printf '%s\n' "${TARGETS[@]}" ;;
  --smoke)
    [ $# -eq 2 ] || usage
    build "${TARGETS[@]}"
    fail=0
    for t in "${TARGETS[@]}"; do fuzz_one "$t" "$2" || fail=1; done
    exit $fail ;;
  *)
    [ $# -eq 2 ] || usage
    printf '%s\n' "${TARGETS[@]}" | grep -qx -- "$1" || { echo "fuzz: no target '$1' (--list)" >&2; exit 2; }
    build "$1"
    fuzz_one "$1" "$2" ;;
esac
