#!/usr/bin/env bash
# Builds the dependencies of the Windows port (libuv, Abseil, Protobuf, GoogleTest + GoogleMock)
# as static mingw-w64 libraries, from Debian's source packages, into a cache prefix outside the
# clone, and prints that prefix (the last line of stdout; everything else goes to stderr):
#
#   prefix=$(scripts/windows_deps.sh)
#   cmake --preset windows -DBULKHEAD_WIN_DEPS_PREFIX="$prefix"
#
# Sourced, it only defines `bulkhead_windows_deps` (same behaviour, prints the prefix).
#
# First it installs the cross compiler and Wine when missing (scripts/setup.sh's installer). The
# prefix is <cache>/<key>, where the key hashes the source package versions, the compiler, the
# mingw-w64 runtime, CMake's version, cmake/mingw-w64-x86_64.cmake, the build flags below and this
# script. A prefix whose stamp file exists (written last) is reused as it is: a warm run costs a
# few dpkg-query calls and no network. Otherwise the sources are fetched with a private apt
# configuration (nothing under /etc/apt or /var/lib/apt is touched), unpacked with their Debian
# patches (so Abseil is configured as on Debian: absl::string_view is its own type) and built,
# about 5 minutes at -j2.
#
# The source versions are those of the installed Linux -dev packages (libuv1-dev, libabsl-dev,
# libprotobuf-dev, libgtest-dev): the Linux protoc generates the code that the Windows libprotobuf
# runs, so they must match. Without those packages, the archive's newest versions are used.
#
# Environment:
#   JOBS=N                    build parallelism (default 2)
#   BULKHEAD_WIN_DEPS_CACHE   cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/bulkhead/win-deps)
#   BULKHEAD_WIN_DEPS_KEEP=3  complete prefixes kept in the cache (least recently used go first)
#   BULKHEAD_SKIP_PACKAGES=1, CI=true   as for scripts/setup.sh

# shellcheck source=scripts/setup.sh
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

BULKHEAD_WIN_TOOLCHAIN="$BULKHEAD_ROOT/cmake/mingw-w64-x86_64.cmake"
BULKHEAD_WIN_SCRIPT="$BULKHEAD_ROOT/scripts/windows_deps.sh"

# Build tools for the cross build (the Linux packages of setup.sh bring cmake, ninja and protoc).
BULKHEAD_WIN_PACKAGES=(g++-mingw-w64-x86-64-posix wine wine64 dpkg-dev xz-utils patch)

# Debian source package : the Linux -dev package built from it (whose version it must have).
BULKHEAD_WIN_SOURCES=(libuv1:libuv1-dev abseil:libabsl-dev protobuf:libprotobuf-dev
  googletest:libgtest-dev)

# Per-package CMake arguments (space-separated, on top of _bwd_cmake_common). Part of the key.
# gtest uses Windows threads, not winpthreads: what MSVC builds get, and what gtest-port.h picks
# for MinGW when GTEST_HAS_PTHREAD is not defined (Debian's patch exports the define anyway).
declare -gA BULKHEAD_WIN_ARGS=(
  [libuv1]="-DLIBUV_BUILD_TESTS=OFF -DLIBUV_BUILD_BENCH=OFF"
  [abseil]="-DABSL_PROPAGATE_CXX_STD=ON -DCMAKE_CXX_STANDARD=20 -DCMAKE_CXX_STANDARD_REQUIRED=ON
    -DABSL_BUILD_TESTING=OFF -DABSL_ENABLE_INSTALL=ON"
  [protobuf]="-Dprotobuf_BUILD_TESTS=OFF -Dprotobuf_BUILD_PROTOC_BINARIES=OFF
    -Dprotobuf_BUILD_LIBPROTOC=OFF -Dprotobuf_WITH_ZLIB=OFF -Dprotobuf_BUILD_SHARED_LIBS=OFF
    -Dprotobuf_BUILD_EXAMPLES=OFF -Dprotobuf_BUILD_CONFORMANCE=OFF -Dprotobuf_INSTALL=ON"
  [googletest]="-DBUILD_GMOCK=ON -DINSTALL_GTEST=ON -Dgtest_disable_pthreads=ON"
)

# What must be in a complete prefix (relative paths).
BULKHEAD_WIN_EXPECTED=(
  include/uv.h lib/libuv_a.a lib/cmake/libuv/libuvConfig.cmake
  include/absl/base/config.h lib/cmake/absl/abslConfig.cmake
  include/google/protobuf/message.h lib/libprotobuf.a lib/cmake/protobuf/protobuf-config.cmake
  include/gtest/gtest.h include/gmock/gmock.h lib/libgtest.a lib/libgmock.a
  lib/cmake/GTest/GTestConfig.cmake
)

_bwd_log() { printf 'windows_deps: %s\n' "$*" >&2; }
_bwd_die() { _bwd_log "error: $*"; exit 1; }

_bwd_cmake_common() {
  printf '%s\n' -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF -DBUILD_TESTING=OFF \
    "-DCMAKE_TOOLCHAIN_FILE=$BULKHEAD_WIN_TOOLCHAIN"
}

# The key's inputs, one per line (also written to <prefix>/bulkhead-win-deps.txt).
# $@: "source=version" pairs.
_bwd_manifest() {
  local cxx=x86_64-w64-mingw32-g++-posix name
  printf 'bulkhead windows deps\n'
  printf 'source %s\n' "$@"
  printf 'compiler %s\n' "$("$cxx" --version | head -n1)"
  printf 'compiler-full-version %s\n' "$("$cxx" -dumpfullversion)"
  printf 'compiler-package %s\n' \
    "$(dpkg-query -W -f='${Version}' g++-mingw-w64-x86-64-posix 2>/dev/null || echo unknown)"
  printf 'mingw-w64-runtime %s\n' \
    "$(dpkg-query -W -f='${Version}' mingw-w64-x86-64-dev 2>/dev/null || echo unknown)"
  printf 'cmake %s\n' "$(cmake --version | head -n1)"
  printf 'toolchain-sha256 %s\n' "$(sha256sum <"$BULKHEAD_WIN_TOOLCHAIN" | cut -d' ' -f1)"
  printf 'script-sha256 %s\n' "$(sha256sum <"$BULKHEAD_WIN_SCRIPT" | cut -d' ' -f1)"
  printf 'flags-common %s\n' "$(_bwd_cmake_common | grep -v TOOLCHAIN | tr '\n' ' ')"
  for name in libuv1 abseil protobuf googletest; do
    local -a args
    read -r -d '' -a args <<<"${BULKHEAD_WIN_ARGS[$name]}" || true
    printf 'flags-%s %s\n' "$name" "${args[*]}"
  done
}

# Private apt configuration: the system's Debian/Ubuntu sources as deb-src, own lists and cache.
_bwd_apt_setup() {
  local dir=$1 src
  mkdir -p "$dir/sources.list.d" "$dir/lists/partial" "$dir/cache/archives/partial"
  : >"$dir/sources.list.d/bulkhead-src.sources"
  : >"$dir/sources.list.d/bulkhead-src.list"
  for src in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list.d/ubuntu.sources; do
    [[ -f $src ]] && sed 's/^Types:.*/Types: deb-src/' "$src" \
      >>"$dir/sources.list.d/bulkhead-src.sources"
  done
  if [[ ! -s $dir/sources.list.d/bulkhead-src.sources && -f /etc/apt/sources.list ]]; then
    sed -n 's/^[[:space:]]*deb\([[:space:]]\)/deb-src\1/p' /etc/apt/sources.list \
      >"$dir/sources.list.d/bulkhead-src.list"
  fi
  [[ -s $dir/sources.list.d/bulkhead-src.sources || -s $dir/sources.list.d/bulkhead-src.list ]] ||
    _bwd_die "no Debian/Ubuntu apt sources found to derive deb-src entries from"
  _bwd_apt_opts=(
    -o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$dir/sources.list.d"
    -o "Dir::State::Lists=$dir/lists" -o "Dir::Cache=$dir/cache"
    -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache="
  )
  # As root, apt downloads as _apt, who cannot enter the (private) download folders: say so
  # instead of being warned about it.
  ((EUID == 0)) && _bwd_apt_opts+=(-o "APT::Sandbox::User=root")
  _bwd_log "fetching the deb-src index (private apt lists in $dir)"
  apt-get "${_bwd_apt_opts[@]}" -q update >&2
}

# Versions of source package $1 in the private index, newest first.
_bwd_index_versions() {
  apt-cache "${_bwd_apt_opts[@]}" showsrc --only-source "$1" 2>/dev/null |
    sed -n 's/^Version: //p' | sort -u | sort -r -V
}

_bwd_run_logged() {  # name logfile command...
  local name=$1 log=$2 start=$SECONDS
  shift 2
  if ! "$@" >>"$log" 2>&1; then
    _bwd_log "$name failed; last lines of $log:"
    tail -n 40 "$log" >&2
    return 1
  fi
  _bwd_log "$name: $((SECONDS - start)) s"
}

# Builds source tree $2 of package $1 and installs it into $3.
_bwd_build_one() {
  local name=$1 src=$2 prefix=$3 work=$4
  local -a common extra
  mapfile -t common < <(_bwd_cmake_common)
  read -r -d '' -a extra <<<"${BULKHEAD_WIN_ARGS[$name]}" || true
  local log="$work/logs/$name.log" build="$work/build/$name"
  mkdir -p "$work/logs"
  # Flags from the environment would silently change the build without changing the key.
  _bwd_run_logged "$name configure" "$log" env -u CFLAGS -u CXXFLAGS -u CPPFLAGS -u LDFLAGS \
    cmake -S "$src" -B "$build" "${common[@]}" "-DCMAKE_INSTALL_PREFIX=$prefix" \
    "-DBULKHEAD_WIN_DEPS_PREFIX=$prefix" "${extra[@]}" &&
  _bwd_run_logged "$name build" "$log" cmake --build "$build" -j "${JOBS:-2}" &&
  _bwd_run_logged "$name install" "$log" cmake --install "$build"
}

_bwd_missing_files() {
  local f
  for f in "${BULKHEAD_WIN_EXPECTED[@]}"; do [[ -e $1/$f ]] || printf '%s\n' "$f"; done
}

# Removes all but the $BULKHEAD_WIN_DEPS_KEEP most recently used complete prefixes.
_bwd_prune() {
  local cache=$1 keep=${BULKHEAD_WIN_DEPS_KEEP:-3} stamp
  local -a stamps
  mapfile -t stamps < <(ls -1t "$cache"/*/.bulkhead-complete 2>/dev/null)
  for stamp in "${stamps[@]:keep}"; do
    _bwd_log "pruning old prefix ${stamp%/.bulkhead-complete}"
    rm -rf "${stamp%/.bulkhead-complete}"
  done
}

bulkhead_windows_deps() (
  set -euo pipefail
  local cache=${BULKHEAD_WIN_DEPS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bulkhead/win-deps}
  local pair src dev ver key prefix manifest
  local -A want=()
  local -a order=() pins=()

  bulkhead_install_package_list "${BULKHEAD_WIN_PACKAGES[@]}" >&2
  command -v x86_64-w64-mingw32-g++-posix >/dev/null ||
    _bwd_die "x86_64-w64-mingw32-g++-posix not found (package g++-mingw-w64-x86-64-posix)"

  # Versions: those of the Linux -dev packages when installed.
  for pair in "${BULKHEAD_WIN_SOURCES[@]}"; do
    src=${pair%%:*} dev=${pair#*:}
    order+=("$src")
    ver=""
    [[ -z $(bulkhead_missing_packages "$dev") ]] &&
      ver=$(dpkg-query -W -f='${source:Version}' "$dev")
    want[$src]=$ver
  done

  _bwd_key() {
    pins=()
    for src in "${order[@]}"; do pins+=("$src=${want[$src]}"); done
    manifest=$(_bwd_manifest "${pins[@]}")
    key=$(printf '%s\n' "$manifest" | sha256sum | cut -c1-16)
    prefix="$cache/$key"
  }
  _bwd_complete() {
    [[ -f $prefix/.bulkhead-complete && -z $(_bwd_missing_files "$prefix") ]]
  }

  mkdir -p "$cache"
  cache=$(cd "$cache" && pwd -P)
  local all_known=1
  for src in "${order[@]}"; do [[ -n ${want[$src]} ]] || all_known=0; done
  if ((all_known)); then
    _bwd_key
    if _bwd_complete; then
      touch "$prefix/.bulkhead-complete"  # recently used, for pruning
      _bwd_log "using cached $prefix"
      printf '%s\n' "$prefix"
      return 0
    fi
  fi

  # One builder at a time per cache (another checkout may be building the same key).
  exec 9>"$cache/.lock"
  if ! flock -n 9; then
    _bwd_log "waiting for another windows_deps.sh to finish (lock $cache/.lock)"
    flock 9
  fi

  local start=$SECONDS sources="$cache/sources"
  work=$(mktemp -d "$cache/work.XXXXXX")  # not local: the EXIT trap needs it
  trap 'rc=$?; if ((rc)); then _bwd_log "failed; logs and sources kept in $work"; else rm -rf "$work"; fi' EXIT
  mkdir -p "$sources"

  # Resolve the versions against the archive unless every .dsc is already downloaded.
  local need_index=0
  for src in "${order[@]}"; do
    [[ -n ${want[$src]} && -f $sources/${src}_${want[$src]#*:}.dsc ]] || need_index=1
  done
  if ((need_index)); then
    _bwd_apt_setup "$work/apt"
    local -a avail
    for src in "${order[@]}"; do
      mapfile -t avail < <(_bwd_index_versions "$src")
      ((${#avail[@]})) || _bwd_die "source package $src not in the deb-src index"
      if [[ -z ${want[$src]} ]]; then
        want[$src]=${avail[0]}
      elif ! printf '%s\n' "${avail[@]}" | grep -qxF -- "${want[$src]}"; then
        # The archive moved on (e.g. a security update not yet installed here): take its
        # version if the upstream version is the same (protoc and libprotobuf must agree).
        local up_want=${want[$src]#*:} up_have=${avail[0]#*:}
        [[ ${up_want%-*} == "${up_have%-*}" ]] ||
          _bwd_die "$src ${want[$src]} (installed -dev package) is not in the archive, which has" \
            "${avail[*]}; upgrade the Linux packages (apt-get install --only-upgrade ...)"
        _bwd_log "warning: $src ${want[$src]} is not in the archive; using ${avail[0]}"
        want[$src]=${avail[0]}
      fi
    done
    local -a fetch=()
    for src in "${order[@]}"; do
      [[ -f $sources/${src}_${want[$src]#*:}.dsc ]] || fetch+=("$src=${want[$src]}")
    done
    if ((${#fetch[@]})); then
      _bwd_log "downloading source packages: ${fetch[*]}"
      (cd "$sources" && apt-get "${_bwd_apt_opts[@]}" -q source --download-only "${fetch[@]}") >&2
    fi
  fi
  # (Re)computed now that the versions are known, and now that we hold the lock: another
  # process may just have built this prefix.
  _bwd_key
  if _bwd_complete; then
    _bwd_log "using cached $prefix"
    printf '%s\n' "$prefix"
    return 0
  fi

  _bwd_log "building into $prefix (key inputs below; logs in $work/logs)"
  printf '%s\n' "$manifest" | sed 's/^/  /' >&2
  rm -rf "$prefix"
  mkdir -p "$prefix" "$work/src" "$work/logs"

  for src in "${order[@]}"; do
    local dsc="$sources/${src}_${want[$src]#*:}.dsc" tree="$work/src/$src"
    _bwd_run_logged "$src unpack" "$work/logs/$src-unpack.log" dpkg-source -x "$dsc" "$tree"
    _bwd_build_one "$src" "$tree" "$prefix" "$work"
  done

  local missing
  missing=$(_bwd_missing_files "$prefix")
  [[ -z $missing ]] || _bwd_die "incomplete install in $prefix, missing: ${missing//$'\n'/ }"
  printf '%s\n' "$manifest" >"$prefix/bulkhead-win-deps.txt"
  touch "$prefix/.bulkhead-complete"
  _bwd_log "done in $((SECONDS - start)) s: $prefix ($(du -sh "$prefix" | cut -f1))"
  _bwd_prune "$cache"
  printf '%s\n' "$prefix"
)

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  set -euo pipefail
  bulkhead_windows_deps
fi
