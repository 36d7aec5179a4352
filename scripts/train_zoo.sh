#!/usr/bin/env bash
# Retrain the committed zoo weights (models/weights/) with their recorded
# budgets: one `vsrbench train` per model, into runs/<MODEL>/, logged to
# runs.db. Trainings are deterministic per seed, whatever the thread count.
#
#   scripts/train_zoo.sh [--install] [MODEL...]     (default: all of them)
#
# --install copies each finished runs/<MODEL>/<MODEL>.vsrw over
# models/weights/<MODEL>.vsrw. Check the result on Vid4 before committing
# (docs/MODELS.md, "Weights trained in C"). Time on 2 cores: about an hour
# for all; single models are in models/weights/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."

install=0
if [ "${1:-}" = "--install" ]; then
  install=1
  shift
fi

# model -> training config (one budget per family)
declare -A CFG=(
  [ELSR]="configs/train_elsr.yaml --set steps=16000 --set optimizer.lr=2e-3"
  [ABPN]="configs/train_abpn.yaml"
  [SWRN]="configs/train_swrn.yaml"
  [XLSR]="configs/train_xlsr.yaml"
)
for m in MVSR_13 MVSR_13_2 MVSR_13_3 MVSR_14 MVSR_15 MVSR_23 MVSR_25; do
  CFG[$m]="configs/train_mvsr13.yaml" # the MVSR variants share MVSR_13's budget
done
for m in QuickSRNet_S QuickSRNet_M; do
  CFG[$m]="configs/train_quicksrnet.yaml"
done
models=("$@")
if [ ${#models[@]} -eq 0 ]; then
  models=(ELSR ABPN SWRN MVSR_13 MVSR_13_2 MVSR_13_3 MVSR_14 MVSR_15 MVSR_23 MVSR_25 XLSR QuickSRNet_S QuickSRNet_M)
fi

scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null # the quickstart's build
cmake --build build -j"$(nproc)" --target vsrbench >/dev/null

for m in "${models[@]}"; do
  if [ -z "${CFG[$m]:-}" ]; then
    echo "train_zoo: no recorded budget for '$m' (known: ${!CFG[*]})" >&2
    exit 2
  fi
  # shellcheck disable=SC2086 # the config entry is a command-line fragment
  build/vsrbench train ${CFG[$m]} --set model="$m" --set name="$m" \
    --set out_dir="runs/$m" --resume
  if [ $install -eq 1 ]; then
    cp "runs/$m/$m.vsrw" "models/weights/$m.vsrw"
    echo "train_zoo: installed models/weights/$m.vsrw"
  fi
done
