#!/usr/bin/env bash
# The README's main job on a fresh Debian 12 machine: install what is
# missing, build (Release), build the demo dataset from Debian's opencv-doc
# imagery, run the quickstart sweep into runs.db, and write the report.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target vsrbench
build/vsrbench data demo
build/vsrbench run configs/quickstart.yaml "$@"
echo "quickstart: results in runs.db, report in reports/quickstart/index.html"
