#!/usr/bin/env bash
# Installs missing Debian packages, then builds and runs the whole ctest suite for each preset:
# `debug` (gcc), then `asan` (clang, ASan+UBSan, with the libFuzzer targets of fuzz/ run as
# tests, each over a fixed number of inputs: fuzz/CMakeLists.txt), then `tsan` (clang,
# ThreadSanitizer, on the tests where threads meet: tests/CMakeLists.txt), then `posix` (gcc,
# Linux built as a POSIX system that is not Linux: docs/platforms.md). Each runs the chaos
# soak (ctest label `soak`) alone: 60 s of chaos in debug, 30 s under a sanitizer. The `fuzz`
# preset (`--preset fuzz`) builds the fuzzers with coverage in every library, for fuzzing runs
# longer than a test's. Every preset runs even if an earlier one
# failed; a summary line per preset ends the output and the exit status is non-zero if any
# failed.
#
# --windows: the `windows` preset instead, a mingw-w64 cross-build whose tests run under Wine.
# scripts/windows_deps.sh installs the cross compiler and Wine and builds the Windows libraries
# into a cache outside the clone (minutes the first time, then instant); scripts/wine_env.sh
# gives the tests a private Wine prefix (build/wine) and server.
set -euo pipefail
# shellcheck source=scripts/setup.sh
source "$(dirname "${BASH_SOURCE[0]}")/scripts/setup.sh"
# shellcheck source=scripts/wine_env.sh
source "$BULKHEAD_ROOT/scripts/wine_env.sh"

usage() {
  cat <<USAGE
usage: ${0##*/} [--fast] [--windows] [--preset NAME]
  (no flags)     build and test presets: debug, asan, tsan, posix
  --fast         debug only (skip the sanitizer builds)
  --windows      just preset windows: mingw-w64 cross-build, tests under Wine
  --preset NAME  just preset NAME (any of: cmake --list-presets=test)
  -h, --help     this help
Environment: JOBS=N (default 2), CI=true (never prompts).
USAGE
}

usage_error() {
  printf '%s: %s\n' "${0##*/}" "$1" >&2
  usage >&2
  exit 2
}

presets=(debug asan tsan posix)
while (($#)); do
  case $1 in
    --fast) presets=(debug) ;;
    --preset)
      (($# >= 2)) || usage_error "--preset needs a name"
      presets=("$2")
      shift ;;
    --preset=*) presets=("${1#--preset=}") ;;
    --windows) presets=(windows) ;;
    -h | --help) usage; exit 0 ;;
    *) usage_error "unknown argument: $1" ;;
  esac
  shift
done

# stdin is /dev/null for the tests, and sudo never prompts under CI (see setup.sh).
ctest_args=(--output-on-failure -j "${JOBS:-2}")

bulkhead_install_packages
bulkhead_compiler_cache

# The windows preset: Windows libraries (cache prefix) and Wine, both before building, since
# gtest_discover_tests runs the test .exe files under Wine at build time. Sets configure_args.
windows_setup() {
  local prefix
  prefix=$("$BULKHEAD_ROOT/scripts/windows_deps.sh" | tail -n 1) || return 1
  [[ -n $prefix && -d $prefix ]] || return 1
  configure_args=("-DBULKHEAD_WIN_DEPS_PREFIX=$prefix")
  bulkhead_wine_start
}

summary=()
failed=0
for preset in "${presets[@]}"; do
  printf '\n==== %s ====\n' "$preset"
  start=$SECONDS
  configure_args=()
  repeat_args=()
  # Under Wine a test binary whose tests all passed kept ctest waiting until
  # its timeout: a process Wine had started for it (a headless conhost.exe)
  # outlived it holding ctest's pipe. scripts/wine_run.sh now keeps the pipe
  # away from such processes; a timeout still gets one more run, so a test
  # that really hangs times out twice.
  [[ $preset == windows ]] && repeat_args=(--repeat after-timeout:2)
  if [[ $preset == windows ]] && ! windows_setup; then
    result="FAIL (windows deps or wine)"
  elif ! bulkhead_configure "$preset" "${configure_args[@]}"; then
    result="FAIL (configure)"
  elif ! bulkhead_build "$preset"; then
    result="FAIL (build)"
  elif ! (cd "$BULKHEAD_ROOT" && ctest --preset "$preset" "${ctest_args[@]}" \
              "${repeat_args[@]}" </dev/null); then
    result="FAIL (tests)"
  else
    result="PASS"
  fi
  [[ $result == PASS ]] || failed=1
  summary+=("$(printf '%-8s %-27s %4ds' "$preset" "$result" $((SECONDS - start)))")
  # The failed tests by name, so that the last lines of a long run say what broke: each failed
  # ctest entry (a batch of one suite's tests: cmake/BulkheadTestBatches.cmake), then the
  # GoogleTest tests that failed in the run (gtest's "[  FAILED  ] Suite.Test (N ms)" lines in
  # ctest's log; a batch that crashed or timed out names no test).
  failed_log=$BULKHEAD_ROOT/build/$preset/Testing/Temporary/LastTestsFailed.log
  test_log=$BULKHEAD_ROOT/build/$preset/Testing/Temporary/LastTest.log
  if [[ $result == "FAIL (tests)" && -f $failed_log ]]; then
    while IFS= read -r line; do
      summary+=("         failed: ${line#*:}")
    done <"$failed_log"
    if [[ -f $test_log ]]; then
      while IFS= read -r line; do
        summary+=("           gtest: $line")
      done < <(sed -nE 's/^\[  FAILED  \] ([^ ]+)(, where .*)? \([0-9]+ ms\)$/\1/p' "$test_log" |
                 sort -u)
    fi
  fi
done

printf '\n==== summary ====\n'
printf '%s\n' "${summary[@]}"
exit "$failed"
