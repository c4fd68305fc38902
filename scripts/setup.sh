#!/usr/bin/env bash
# Shared set-up for run.sh and test.sh.
#
# Sourced, it defines the functions below and changes nothing else. Run directly, it installs the
# missing system packages and exits:
#   scripts/setup.sh
#
# Environment:
#   JOBS                     parallel build/test jobs (default 2)
#   BULKHEAD_EXTRA_PACKAGES  more Debian packages to require, space-separated
#   BULKHEAD_SKIP_PACKAGES=1 do not check or install system packages (dependencies come from
#                            elsewhere, e.g. the `fetch` preset or vcpkg)
#   CI=true                  never prompt (sudo -n)
#   BULKHEAD_CCACHE=0        compile without ccache (see bulkhead_compiler_cache)

BULKHEAD_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# What the default build needs on Debian 12 / Ubuntu (see third_party/CMakeLists.txt).
BULKHEAD_PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libuv1-dev libprotobuf-dev protobuf-compiler libabsl-dev libgtest-dev
  # The tsan preset builds with clang and its sanitizer runtimes.
  clang libclang-rt-dev
  # The compiler cache: a second build of the same sources (another checkout, the package
  # tests' own builds, the next CI run on this machine) compiles only what changed.
  ccache
  # Python 3 with PyYAML: the check that keeps .github/workflows valid
  # (tests/docs/check_workflows.py, ctest entry Docs.WorkflowsParse).
  python3-yaml
)

# Only for the test that renders browser_host's crash-test report in a real browser
# (tests/browser_host/crash_test_report_html_test.sh installs it when missing; ~100+ MB once).
BULKHEAD_HTML_TEST_PACKAGES=(chromium)

bulkhead_log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }

# Prints each named package that is not installed, one a line.
bulkhead_missing_packages() {
  local pkg status
  for pkg in "$@"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null) || status=""
    [[ $status == "install ok installed" ]] || printf '%s\n' "$pkg"
  done
}

# Installs whatever of BULKHEAD_PACKAGES (+ BULKHEAD_EXTRA_PACKAGES) is missing. Touches apt only
# when something is missing, so it costs a few dpkg-query calls when nothing is.
bulkhead_install_packages() {
  local -a extra=()
  read -r -a extra <<<"${BULKHEAD_EXTRA_PACKAGES:-}"
  bulkhead_install_package_list "${BULKHEAD_PACKAGES[@]}" "${extra[@]}"
}

# Installs whatever of the named Debian packages is missing (apt-get --no-install-recommends,
# through sudo when not root, sudo -n under CI or without a terminal). Does nothing when
# BULKHEAD_SKIP_PACKAGES=1 or when nothing is missing.
bulkhead_install_package_list() {
  [[ ${BULKHEAD_SKIP_PACKAGES:-0} == 1 ]] && return 0
  if ! command -v dpkg-query >/dev/null 2>&1; then
    bulkhead_log "not Debian/Ubuntu: not installing packages; see README.md, Dependencies"
    return 0
  fi
  local -a missing=() sudo=()
  mapfile -t missing < <(bulkhead_missing_packages "$@")
  ((${#missing[@]} == 0)) && return 0

  bulkhead_log "missing packages: ${missing[*]}"
  if ((EUID != 0)); then
    if ! command -v sudo >/dev/null 2>&1; then
      bulkhead_log "not root and no sudo; run as root: apt-get install ${missing[*]}"
      return 1
    fi
    sudo=(sudo)
    # No password prompt in CI or without a terminal: fail instead of hanging.
    [[ ${CI:-} == true || ! -t 0 ]] && sudo+=(-n)
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "${missing[@]}"
}

# Compiles through ccache (when it is installed and BULKHEAD_CCACHE is not 0): exports the
# launcher variables CMake reads when it first configures a build tree (the trees the package
# tests configure themselves; bulkhead_configure passes them to the presets' trees, so that
# turning it off takes effect there too), and the settings the build needs, each unless already
# set: paths relative to the checkout in the cache key (another checkout's build hits it too),
# and the sloppiness precompiled headers need (pch_defines,time_macros; include_file_mtime and
# _ctime, since a precompiled header is always newer than its build started, at the price of
# ccache's guard against a header edited during a compile). Where the cache lives and its size
# are ccache's own settings (~/.cache/ccache by default, 5 GB; CCACHE_DIR, ccache.conf).
bulkhead_compiler_cache() {
  if [[ ${BULKHEAD_CCACHE:-1} == 0 ]]; then
    export CMAKE_C_COMPILER_LAUNCHER="" CMAKE_CXX_COMPILER_LAUNCHER=""
    return 0
  fi
  command -v ccache >/dev/null 2>&1 || return 0
  export CMAKE_C_COMPILER_LAUNCHER=${CMAKE_C_COMPILER_LAUNCHER:-ccache}
  export CMAKE_CXX_COMPILER_LAUNCHER=${CMAKE_CXX_COMPILER_LAUNCHER:-ccache}
  export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$BULKHEAD_ROOT}
  export CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-true}
  export CCACHE_SLOPPINESS=${CCACHE_SLOPPINESS:-pch_defines,time_macros,include_file_mtime,include_file_ctime}
}

# Configures preset $1 unless build/$1 was configured, with the same extra cmake arguments ($2...),
# since CMakePresets.json last changed. (A configured tree re-runs CMake by itself when a
# CMakeLists.txt changes.) Different arguments than last time (e.g. another -D...PREFIX) give a
# fresh configure, so that nothing found with the old ones stays cached.
bulkhead_configure() {
  local preset=$1
  shift
  # The compiler launcher (bulkhead_compiler_cache), part of what the tree was configured with.
  bulkhead_compiler_cache
  set -- "$@" "-DCMAKE_C_COMPILER_LAUNCHER=${CMAKE_C_COMPILER_LAUNCHER:-}" \
    "-DCMAKE_CXX_COMPILER_LAUNCHER=${CMAKE_CXX_COMPILER_LAUNCHER:-}"
  local dir="$BULKHEAD_ROOT/build/$preset"
  local stamp="$dir/.bulkhead-configured" args="" fresh=()
  (($#)) && args=$(printf '%s\n' "$@")
  if [[ -f $stamp && -f $dir/build.ninja ]]; then
    if [[ $(<"$stamp") != "$args" ]]; then
      fresh=(--fresh)
    elif [[ ! $BULKHEAD_ROOT/CMakePresets.json -nt $stamp &&
            ! $BULKHEAD_ROOT/CMakeUserPresets.json -nt $stamp ]]; then
      return 0
    fi
  fi
  (cd "$BULKHEAD_ROOT" && cmake --preset "$preset" "${fresh[@]}" "$@") &&
    printf '%s' "$args" >"$stamp"
}

# Builds preset $1 (configure it first).
bulkhead_build() {
  (cd "$BULKHEAD_ROOT" && cmake --build --preset "$1" -j "${JOBS:-2}")
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  set -euo pipefail
  bulkhead_install_packages
fi
