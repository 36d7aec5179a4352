#!/usr/bin/env bash
# Can valgrind memcheck run BIN on this CPU? Runs `valgrind BIN --version`.
# Exit 0: yes. Exit 1: no, and the one-line reason is printed on stdout (for
# example valgrind 3.19 stops at an instruction the CPU's CPUID does not
# advertise, such as libhwy's RDTSCP, which libavcodec pulls in).
#   usage: valgrind_probe.sh BIN
set -uo pipefail
bin=$1
if ! command -v valgrind >/dev/null 2>&1; then
  echo "valgrind is not installed"
  exit 1
fi
log=$(valgrind -q --error-exitcode=97 "$bin" --version 2>&1 >/dev/null)
rc=$?
[ "$rc" -eq 0 ] && exit 0
why=$(printf '%s\n' "$log" | grep -m1 -E 'Illegal opcode|unhandled instruction|Unrecognised instruction' |
      sed 's/^==[0-9]*== *//')
where=$(printf '%s\n' "$log" | grep -m1 -E '^==[0-9]+== +at ' | sed 's/^==[0-9]*== *at [0-9A-Fx]*: *//')
echo "valgrind $(valgrind --version | sed 's/valgrind-//') cannot run $(basename "$bin") on this CPU" \
     "(exit $rc${why:+: $why}${where:+ in $where})"
exit 1
