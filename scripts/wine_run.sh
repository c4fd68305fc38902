#!/usr/bin/env bash
# Runs a Windows program under Wine for ctest and for gtest_discover_tests (the windows preset's
# CMAKE_CROSSCOMPILING_EMULATOR, cmake/mingw-w64-x86_64.cmake): `wine_run.sh WINE PROGRAM ARGS...`.
# The program's stdout and stderr go to files, printed once it has exited; the exit status is
# the program's.
#
# Why: Wine starts some processes on demand (a headless conhost.exe for a console program,
# services.exe, plugplay.exe) with the standard handles of the program that caused them. One
# that outlived its program kept ctest's output pipe open, and ctest waited for the test's
# timeout after its "[  PASSED  ]": seen here with `conhost.exe --server 0x38 --headless` the
# only holder (with wineserver) of the pipe of a test that had ended (2026-12-06). Given files,
# such a process holds a file nobody waits on.
#
# A program that fails having printed nothing at all is run again, up to 3 times in all, each
# retry said on stderr: Wine now and then fails to start a program (CI, 2026-12-07: a test of
# pure arithmetic, TaskManagerTest.TheSandboxColumnShowsTheNetworkInForce, "failed" in 0.07 s
# with no output), and every program run here (a gtest binary) prints before it does anything.
# A program that really fails before printing still fails, three times.
set -u
wine=$1
shift
out=$(mktemp "${TMPDIR:-/tmp}/wine_run.XXXXXX") || exit 125
err=$(mktemp "${TMPDIR:-/tmp}/wine_run.XXXXXX") || exit 125
trap 'rm -f "$out" "$err"' EXIT
for attempt in 1 2 3; do
  "$wine" "$@" >"$out" 2>"$err"
  status=$?
  if ((status == 0)) || [[ -s $out ]] || ((attempt == 3)); then
    break
  fi
  printf 'wine_run.sh: %s exited %d having printed nothing (stderr: %s); Wine did not start it: running it again (attempt %d of 3)\n' \
    "$1" "$status" "$(head -c 300 "$err" | tr '\n' ' ')" $((attempt + 1)) >&2
done
cat "$out"
cat "$err" >&2
exit "$status"
