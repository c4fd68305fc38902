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
set -u
wine=$1
shift
out=$(mktemp "${TMPDIR:-/tmp}/wine_run.XXXXXX") || exit 125
err=$(mktemp "${TMPDIR:-/tmp}/wine_run.XXXXXX") || exit 125
trap 'rm -f "$out" "$err"' EXIT
"$wine" "$@" >"$out" 2>"$err"
status=$?
cat "$out"
cat "$err" >&2
exit "$status"
