#!/usr/bin/env bash
# The README's test command: install what is missing, then
#  0. the quickstart's build (Release, as scripts/quickstart.sh does): -O3
#     inlining shows -Werror warnings the other builds do not, and the
#     README's first command must compile;
#  1. a plain build whose end-to-end test runs every vsrbench process under
#     valgrind memcheck, where valgrind can run vsrbench on this CPU (probed
#     first; where it cannot, one loud line says why);
#  2. an ASan+UBSan build running every test (cmocka units + end to end) with
#     LeakSanitizer on, after a canary proves LSan reports leaks here;
#  3. a fuzz smoke: every libFuzzer target of tests/fuzz for a few seconds
#     (scripts/fuzz.sh --smoke; VSR_FUZZ_SMOKE_SECS, default 15), so a reader
#     that regresses fails here. ctest already replayed every regression
#     input in steps 1-2.
# The last lines say how memory was checked. Extra arguments go to the
# second ctest (e.g. -R metrics).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
jobs=$(nproc)

# ctest says "Skipped" but not why: print each skipped test's reason (the
# "skipped: ..." line it printed) from ctest's log of the last run.
skip_reasons() {
  awk '/^[0-9]+\/[0-9]+ Testing: / {t=$3} /skipped: / && t != "" {
         sub(/^.*skipped: /, ""); print "  skipped: " t ": " $0}' \
      "$1/Testing/Temporary/LastTest.log"
}

cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-release -j"$jobs" --target vsrbench

cmake -S . -B build-valgrind -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-valgrind -j"$jobs" --target vsrbench
if why=$(tests/e2e/valgrind_probe.sh build-valgrind/vsrbench); then
  memcheck="valgrind memcheck on every vsrbench process of the end-to-end run (step 1)"
else
  echo "=== MEMORY CHECK: $why; the valgrind end-to-end pass is skipped and the" \
       "end-to-end run is memory-checked by ASan+LSan in step 2 instead ===" >&2
  memcheck="NOT valgrind ($why); ASan+LSan on the end-to-end run instead (step 2)"
fi
ctest --test-dir build-valgrind --output-on-failure -R '^e2e$'
skip_reasons build-valgrind

# LeakSanitizer can be unusable in some sandboxes (ptrace): prove it reports
# a leak before trusting its silence.
canary=$(mktemp -d "${TMPDIR:-/tmp}/vsrlsan.XXXXXX")
trap 'rm -rf "$canary"' EXIT
printf '#include <stdlib.h>\nvoid *volatile p;\nint main(void){p=malloc(7);p=0;return 0;}\n' \
  >"$canary/leak.c"
cc -fsanitize=address -g "$canary/leak.c" -o "$canary/leak"
if ASAN_OPTIONS=detect_leaks=1 "$canary/leak" 2>"$canary/err" ||
   ! grep -q "detected memory leaks" "$canary/err"; then
  echo "=== MEMORY CHECK: LeakSanitizer does not report leaks on this machine:" \
       "$(head -n1 "$canary/err") ===" >&2
  exit 1
fi

cmake -S . -B build-asan -DVSR_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-asan -j"$jobs"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"
ctest --test-dir build-asan --output-on-failure -j"$jobs" --timeout 900 "$@"
skip_reasons build-asan

if command -v clang >/dev/null 2>&1; then
  scripts/fuzz.sh --smoke "${VSR_FUZZ_SMOKE_SECS:-15}"
else
  echo "=== FUZZ SMOKE SKIPPED: clang is not installed (scripts/deps.sh installs it) ===" >&2
fi
echo "memory check: $memcheck; ASan+UBSan+LSan on every test (step 2)"
