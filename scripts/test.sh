#!/usr/bin/env bash
# The README's test command: install what is missing, then
#  1. a plain build whose end-to-end test runs every vsrbench process under
#     valgrind memcheck;
#  2. an ASan+UBSan build running every test (cmocka units + end to end).
# Extra arguments go to the second ctest (e.g. -R metrics).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
jobs=$(nproc)

cmake -S . -B build-valgrind -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-valgrind -j"$jobs" --target vsrbench
ctest --test-dir build-valgrind --output-on-failure -R '^e2e$'

cmake -S . -B build-asan -DVSR_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-asan -j"$jobs"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"
ctest --test-dir build-asan --output-on-failure -j"$jobs" --timeout 900 "$@"
