#!/usr/bin/env bash
# Installs missing Debian packages, then builds and runs the whole ctest suite for each preset:
# `debug`, then `asan` (ASan+UBSan). Every preset runs even if an earlier one failed; a summary
# line per preset ends the output and the exit status is non-zero if any failed.
set -euo pipefail
# shellcheck source=scripts/setup.sh
source "$(dirname "${BASH_SOURCE[0]}")/scripts/setup.sh"

usage() {
  cat <<USAGE
usage: ${0##*/} [--fast] [--preset NAME]
  (no flags)     build and test presets: debug, asan
  --fast         debug only (skip asan)
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

presets=(debug asan)
while (($#)); do
  case $1 in
    --fast) presets=(debug) ;;
    --preset)
      (($# >= 2)) || usage_error "--preset needs a name"
      presets=("$2")
      shift ;;
    --preset=*) presets=("${1#--preset=}") ;;
    # --windows: reserved for the Windows port (mingw-w64 cross-build, tests run under Wine).
    # Not implemented yet; when it is, it adds a preset here like the others.
    --windows) usage_error "--windows is not implemented yet" ;;
    -h | --help) usage; exit 0 ;;
    *) usage_error "unknown argument: $1" ;;
  esac
  shift
done

# stdin is /dev/null for the tests, and sudo never prompts under CI (see setup.sh).
ctest_args=(--output-on-failure -j "${JOBS:-2}")

bulkhead_install_packages

summary=()
failed=0
for preset in "${presets[@]}"; do
  printf '\n==== %s ====\n' "$preset"
  start=$SECONDS
  if ! bulkhead_configure "$preset"; then
    result="FAIL (configure)"
  elif ! bulkhead_build "$preset"; then
    result="FAIL (build)"
  elif ! (cd "$BULKHEAD_ROOT" && ctest --preset "$preset" "${ctest_args[@]}" </dev/null); then
    result="FAIL (tests)"
  else
    result="PASS"
  fi
  [[ $result == PASS ]] || failed=1
  summary+=("$(printf '%-8s %-17s %4ds' "$preset" "$result" $((SECONDS - start)))")
done

printf '\n==== summary ====\n'
printf '%s\n' "${summary[@]}"
exit "$failed"
