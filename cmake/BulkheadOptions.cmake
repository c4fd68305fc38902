# Warning and sanitizer flags, applied per target through `bulkhead_configure_target` rather
# than globally, so that an embedding project's own targets are left alone.

function(bulkhead_configure_target target)
  target_compile_features(${target} PUBLIC cxx_std_20)
  if(MSVC)
    target_compile_options(${target} PRIVATE /W4)
  else()
    # Frame pointers: a crashed helper's stack trace is walked with them.
    target_compile_options(${target} PRIVATE -Wall -Wextra -fno-omit-frame-pointer)
    if(BULKHEAD_WERROR)
      target_compile_options(${target} PRIVATE -Werror)
    endif()
    if(MINGW)
      # A unity build's object outgrows COFF's 32,768 sections ("file too big").
      target_compile_options(${target} PRIVATE -Wa,-mbig-obj)
    endif()
  endif()
  if(WIN32)
    # windows.h's min and max macros would swallow std::min, std::max and numeric_limits' max
    # under MSVC (mingw leaves them out in C++, so only the msvc preset would break).
    target_compile_definitions(${target} PRIVATE NOMINMAX)
  endif()
  if(BULKHEAD_GENERIC_POSIX)
    # Also in an app's build against such a package: its headers then say the same.
    target_compile_definitions(${target} PUBLIC BULKHEAD_GENERIC_POSIX)
    # Forced in first, unless the target has a precompiled header: then it is the header's last
    # part (bulkhead_precompile_headers), since a header forced in before it would keep the
    # compiler from using the precompiled one.
    target_compile_options(${target} PRIVATE
      "$<$<NOT:$<BOOL:$<TARGET_PROPERTY:BULKHEAD_PCH_USED>>>:SHELL:-include ${PROJECT_SOURCE_DIR}/cmake/generic_posix_poison.h>")
  endif()
  if(BULKHEAD_SANITIZE)
    target_compile_options(${target} PRIVATE
      -fsanitize=${BULKHEAD_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
    # UBSan's vptr check probes memory by writing it to a pipe: in a process at its
    # descriptor limit (a case the tests make on purpose) the pipe fails and every
    # virtual call reads as a wrong dynamic type.
    if(BULKHEAD_SANITIZE MATCHES "undefined")
      target_compile_options(${target} PRIVATE -fno-sanitize=vptr)
    endif()
    # Build tree only: an installed package must not impose sanitizers.
    target_link_options(${target} PUBLIC
      $<BUILD_INTERFACE:-fsanitize=${BULKHEAD_SANITIZE}>)
  endif()
  # Coverage feedback from the code under test, not just the fuzzer's own file: without it
  # libFuzzer mutates blind. Off in the asan preset, whose fuzzers run as regression tests.
  if(BULKHEAD_FUZZ_COVERAGE)
    target_compile_options(${target} PRIVATE -fsanitize=fuzzer-no-link)
  endif()
endfunction()

# Precompiled headers (BULKHEAD_PCH): the third-party headers that nearly every source of
# `target` includes (the standard library's, Abseil's, Protobuf's message.h, plus ARGN: GoogleTest
# and GoogleMock in test binaries), parsed once per target instead of once per source. Parsing
# them is about half of a test file's compile and a quarter of a library file's; with the header
# precompiled, host_test.cc took 7.1 s of CPU instead of 9.2 s, helper_pool.cc 3.9 s instead of
# 5.5 s (g++ 12, debug, 2026-12-06). The precompiled header costs about 6-10 s per target, so only
# targets with many sources get one. The header is forced into every source of the target, so a
# missing include line goes unnoticed there: the shared-library package test
# (tests/packaging/consume_installed.cmake) builds the libraries with BULKHEAD_PCH=OFF.
function(bulkhead_precompile_headers target)
  if(NOT BULKHEAD_PCH)
    return()
  endif()
  get_target_property(sources ${target} SOURCES)
  list(FILTER sources INCLUDE REGEX "\\.cc$")
  list(LENGTH sources count)
  if(count LESS 8)
    return()
  endif()
  target_precompile_headers(${target} PRIVATE
    <algorithm> <cstdint> <functional> <map> <memory> <optional> <string> <utility> <vector>
    <absl/status/status.h> <absl/status/statusor.h> <absl/strings/str_cat.h>
    <absl/strings/string_view.h> <absl/time/time.h> <google/protobuf/message.h> ${ARGN})
  if(BULKHEAD_GENERIC_POSIX)
    target_precompile_headers(${target} PRIVATE
      "${PROJECT_SOURCE_DIR}/cmake/generic_posix_poison.h")
    set_target_properties(${target} PROPERTIES BULKHEAD_PCH_USED ON)
  endif()
  # Clang records each header's modification time in the precompiled header and refuses it when
  # one differs. A compiler cache (scripts/setup.sh uses ccache) may hand this build a precompiled
  # header made in another checkout, whose files have other times but the same contents: without
  # the times, clang still checks each header's size.
  if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    target_compile_options(${target} PRIVATE "SHELL:-Xclang -fno-pch-timestamp")
  endif()
endfunction()

# Adds a library target `bulkhead_<name>` with alias `bulkhead::<name>`, whose public headers
# are included as "<folder>/<file>.h" from the source root (or the install include dir).
# Static or shared as BUILD_SHARED_LIBS says. Symbols are hidden unless declared with
# BULKHEAD_EXPORT ("bulkhead/export.h", generated in common/CMakeLists.txt): the same export
# header serves every bulkhead library, so they all define the same symbol while being built.
function(bulkhead_add_library name)
  add_library(bulkhead_${name} ${ARGN})
  add_library(bulkhead::${name} ALIAS bulkhead_${name})
  set_target_properties(bulkhead_${name} PROPERTIES
    EXPORT_NAME ${name}
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    DEFINE_SYMBOL BULKHEAD_BUILDING_LIBRARY)
  get_target_property(type bulkhead_${name} TYPE)
  if(type STREQUAL "STATIC_LIBRARY")
    # BULKHEAD_EXPORT expands to nothing, for the library and for its users.
    target_compile_definitions(bulkhead_${name} PUBLIC BULKHEAD_STATIC_DEFINE)
  elseif(type STREQUAL "SHARED_LIBRARY")
    # Installed side by side, the libraries find each other from wherever they are.
    set_target_properties(bulkhead_${name} PROPERTIES
      VERSION ${PROJECT_VERSION}
      SOVERSION ${PROJECT_VERSION_MAJOR}
      INSTALL_RPATH "$<IF:$<PLATFORM_ID:Darwin>,@loader_path,$ORIGIN>")
    if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
      # A symbol another bulkhead library needs but that is not exported fails here, not in an
      # app's link.
      target_link_options(bulkhead_${name} PRIVATE "LINKER:--no-undefined")
    endif()
  endif()
  target_include_directories(bulkhead_${name} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}>
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}>
    $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  bulkhead_configure_target(bulkhead_${name})
endfunction()
