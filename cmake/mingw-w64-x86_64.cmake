# Cross-compiling for 64-bit Windows from Debian with mingw-w64 (`-posix` thread model: the
# default `-win32` one has no std::mutex/std::thread, which Abseil and Protobuf need).
#
#   cmake --preset windows        (CMakePresets.json names this file)
#   cmake -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64-x86_64.cmake \
#         -DBULKHEAD_WIN_DEPS_PREFIX=<prefix from scripts/windows_deps.sh> ...
#
# Libraries, headers and CMake/pkg-config packages are looked up only in the mingw sysroot and
# in BULKHEAD_WIN_DEPS_PREFIX (static Windows builds of libuv, Abseil, Protobuf and GoogleTest,
# made by scripts/windows_deps.sh); programs only on the build machine, so `protoc` is the Linux
# one (same version as the Windows libprotobuf). Executables link libgcc/libstdc++/winpthread
# statically and need only system DLLs; they run (and gtest_discover_tests lists their tests)
# under Wine.
#
# scripts/windows_deps.sh builds the dependencies with this file too, and keys its cache on its
# content: editing it rebuilds them.

set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(_bulkhead_triple x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${_bulkhead_triple}-gcc-posix)
set(CMAKE_CXX_COMPILER ${_bulkhead_triple}-g++-posix)
set(CMAKE_RC_COMPILER ${_bulkhead_triple}-windres)
# The gcc wrappers understand LTO objects; plain ar/ranlib do not.
find_program(CMAKE_AR NAMES ${_bulkhead_triple}-gcc-ar-posix REQUIRED NO_CMAKE_FIND_ROOT_PATH)
find_program(CMAKE_RANLIB NAMES ${_bulkhead_triple}-gcc-ranlib-posix REQUIRED
  NO_CMAKE_FIND_ROOT_PATH)

# Where the Windows dependencies are: -DBULKHEAD_WIN_DEPS_PREFIX=... or the environment variable
# of the same name. CMake re-reads the toolchain file for every try_compile project; forward the
# variable to them.
if(NOT BULKHEAD_WIN_DEPS_PREFIX AND DEFINED ENV{BULKHEAD_WIN_DEPS_PREFIX})
  set(BULKHEAD_WIN_DEPS_PREFIX "$ENV{BULKHEAD_WIN_DEPS_PREFIX}")
endif()
set(BULKHEAD_WIN_DEPS_PREFIX "${BULKHEAD_WIN_DEPS_PREFIX}" CACHE PATH
  "Prefix with the Windows (mingw-w64) builds of the dependencies (scripts/windows_deps.sh)")
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES BULKHEAD_WIN_DEPS_PREFIX)

set(CMAKE_FIND_ROOT_PATH /usr/${_bulkhead_triple})
if(BULKHEAD_WIN_DEPS_PREFIX)
  list(APPEND CMAKE_FIND_ROOT_PATH "${BULKHEAD_WIN_DEPS_PREFIX}")
  # Also as a prefix (not only a root) so that find_package(... CONFIG) sees <prefix>/lib/cmake.
  list(APPEND CMAKE_PREFIX_PATH "${BULKHEAD_WIN_DEPS_PREFIX}")
endif()
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# pkg-config (third_party's libuv fallback) must not see the build machine's .pc files.
if(BULKHEAD_WIN_DEPS_PREFIX)
  set(ENV{PKG_CONFIG_LIBDIR} "${BULKHEAD_WIN_DEPS_PREFIX}/lib/pkgconfig")
else()
  set(ENV{PKG_CONFIG_LIBDIR} "/usr/${_bulkhead_triple}/lib/pkgconfig")
endif()
set(ENV{PKG_CONFIG_PATH} "")
set(ENV{PKG_CONFIG_SYSROOT_DIR} "")

# Code generation runs on the build machine: the Linux protoc. (FindProtobuf and our
# third_party/CMakeLists.txt take it from this variable; the Windows prefix has no protoc.)
find_program(_bulkhead_protoc NAMES protoc PATHS /usr/bin NO_CMAKE_FIND_ROOT_PATH)
if(_bulkhead_protoc)
  set(Protobuf_PROTOC_EXECUTABLE "${_bulkhead_protoc}" CACHE FILEPATH
    "protoc that runs on the build machine")
endif()
unset(_bulkhead_protoc CACHE)

# Tests (and gtest_discover_tests at build time) run the .exe files under Wine, through
# scripts/wine_run.sh, which keeps ctest's pipes away from what Wine starts on demand.
# (Debian 12 has no wine64 command: `wine` runs 64-bit programs too.)
find_program(BULKHEAD_WINE NAMES wine wine64 NO_CMAKE_FIND_ROOT_PATH)
if(BULKHEAD_WINE)
  set(CMAKE_CROSSCOMPILING_EMULATOR
      "${CMAKE_CURRENT_LIST_DIR}/../scripts/wine_run.sh;${BULKHEAD_WINE}")
endif()

# Self-contained executables: no libgcc_s/libstdc++/libwinpthread DLLs to copy next to them.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static -static-libgcc -static-libstdc++")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-static-libgcc -static-libstdc++")
set(CMAKE_MODULE_LINKER_FLAGS_INIT "-static-libgcc -static-libstdc++")
