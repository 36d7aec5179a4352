#!/usr/bin/env bash
# Install the Debian 12 packages vsrbench builds, tests and runs with.
# Installs only what is missing; needs root (or sudo) when something is.
set -euo pipefail

PKGS=(
  build-essential cmake pkg-config    # compiler and build
  libavformat-dev libavcodec-dev libavutil-dev libswscale-dev  # FFmpeg 5.1 decode/encode
  ffmpeg                              # reference psnr/ssim filters in bench/, test fixtures
  libsqlite3-dev                      # the run log
  libfyaml-dev                        # YAML configs with line numbers
  libjansson-dev                      # JSON output (report.json, run --json, eval --format json)
  libcmocka-dev                       # unit tests
  zlib1g-dev                          # crc32: core/crc.c (.vsrw checksum) and the hostile-input test
  libpthreadpool-dev                  # the caller-owned thread pool
  gnuplot-nox                         # plots, driven through a pipe
  opencv-doc                          # real imagery for the demo dataset (vtest.avi, photos)
  valgrind                            # the memory check of the end-to-end test
  clang libclang-rt-14-dev            # optional: libFuzzer for scripts/fuzz.sh (CI smoke); gcc builds all else
  slurm-wlm munge                     # tests/e2e/slurm.sh: a one-node Slurm cluster runs a sweep as a job array
  sqlite3                             # the shell the shard/merge and Slurm tests query run logs with
  libprotobuf-c-dev protobuf-c-compiler  # ONNX import: protoc-c compiles models/onnx.proto, libprotobuf-c decodes
  python3-numpy                       # tests: tests/reference/tflite_int/ref.py (TFLite integer kernels) checks INT8 exports
  python3-scipy                       # tools/bench_metrics: scripts/basicsr_metrics.py, the BasicSR SSIM/NIQE anchor (scipy.ndimage, .signal, .special)
  python3-pyarmnn libarmnn-cpuref-backend22  # tests only: Arm NN's TfLiteParser, the independent reader of exported .tflite (scripts/tflite_check.py)
)

# node and npm (Debian's nodejs, npm) unless a node is on PATH already: ONNX
# Runtime comes from npm below
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  PKGS+=(nodejs npm)
fi

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "vsrbench: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

NPM_DIR="${VSR_NPM_DIR:-$(cd "$(dirname "$0")/.." && pwd)/.npm-deps}"
# npm package $1 at version $2 into $NPM_DIR, unless that version is there
# (--ignore-scripts: the packages below need no install scripts)
npm_pkg() {
  local pj="$NPM_DIR/node_modules/$1/package.json"
  if [ ! -f "$pj" ] || ! grep -q "\"version\": \"$2\"" "$pj"; then
    echo "vsrbench: installing $1@$2 (npm) into $NPM_DIR" >&2
    mkdir -p "$NPM_DIR"
    npm install --prefix "$NPM_DIR" --ignore-scripts --no-audit --no-fund --silent \
      "$1@$2" >/dev/null
  fi
}

# ONNX Runtime, the CPU runtime a user would pick instead of vsrbench: npm's
# onnxruntime-node carries libonnxruntime for linux-x64 (no install scripts
# needed). scripts/ort_run.cjs runs exported models in it: the ONNX export
# test compares its outputs with vsrbench's, bench_engine times it.
ORT_VERSION=1.30.0
npm_pkg onnxruntime-node "$ORT_VERSION"

# LiteRT (TensorFlow Lite's runtime, renamed), the independent reader of the
# TFLite exports: npm's @litertjs/core is Google's build of the LiteRT
# interpreter to WebAssembly (TFLite's flatbuffer reader, builtin kernels and
# XNNPACK delegate). scripts/litert_run.mjs runs a .tflite in it under node;
# test_models_export compares its outputs with vsrbench's (Debian's Arm NN
# 20.08 has no DEPTH_TO_SPACE, so it cannot run a whole zoo model).
LITERT_VERSION=2.5.3
npm_pkg @litertjs/core "$LITERT_VERSION"
