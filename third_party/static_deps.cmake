# BULKHEAD_STATIC_DEPS: points the system's Abseil, Protobuf and libuv targets at their static
# archives, so that bulkhead's executables carry them instead of loading ~40 shared libraries.
# Every helper is a fresh exec of its binary, and the dynamic loader is most of what a helper's
# start and death cost: on the project's VM (release, launch_bench) a helper reached Ready in
# 1.65 ms instead of 3.9 ms (sandboxed 2.9 ms instead of 6.0 ms), and a crash reached the host
# as an ExitInfo in ~300 µs instead of ~465 µs (crash_latency_bench). Off by default: the
# figures' floors (a fork+exec of the same binary) speed up even more, so the ratios the issues
# set targets for get worse while every absolute figure gets better.
#
# Only for static builds of bulkhead (Debian's archives are not position-independent enough for a
# shared library), and all or nothing per dependency: a package whose archives are not all there
# stays shared, lest one program hold two copies of it.

# The archive beside a shared library: libfoo.so[.N...] -> libfoo.a; empty when there is none.
function(_bulkhead_archive_of location out)
  string(REGEX REPLACE "\\.so(\\.[0-9]+)*$" ".a" archive "${location}")
  if(archive STREQUAL location OR NOT EXISTS "${archive}")
    set(archive "")
  endif()
  set(${out} "${archive}" PARENT_SCOPE)
endfunction()

# The IMPORTED_LOCATION* properties `target` sets.
set(_bulkhead_location_properties IMPORTED_LOCATION IMPORTED_LOCATION_NONE IMPORTED_LOCATION_NOCONFIG
    IMPORTED_LOCATION_RELEASE IMPORTED_LOCATION_RELWITHDEBINFO IMPORTED_LOCATION_DEBUG)

# Sets `out` to TRUE when every location of every target in `targets` has an archive.
function(_bulkhead_archives_complete targets out)
  foreach(target IN LISTS targets)
    get_target_property(type ${target} TYPE)
    if(NOT type MATCHES "SHARED_LIBRARY|UNKNOWN_LIBRARY")
      continue()
    endif()
    foreach(property IN LISTS _bulkhead_location_properties)
      get_target_property(location ${target} ${property})
      if(location AND location MATCHES "\\.so")
        _bulkhead_archive_of("${location}" archive)
        if(NOT archive)
          set(${out} FALSE PARENT_SCOPE)
          return()
        endif()
      endif()
    endforeach()
  endforeach()
  set(${out} TRUE PARENT_SCOPE)
endfunction()

function(_bulkhead_use_archives targets)
  foreach(target IN LISTS targets)
    foreach(property IN LISTS _bulkhead_location_properties)
      get_target_property(location ${target} ${property})
      if(location AND location MATCHES "\\.so")
        _bulkhead_archive_of("${location}" archive)
        set_target_properties(${target} PROPERTIES ${property} "${archive}")
      endif()
    endforeach()
  endforeach()
endfunction()

get_directory_property(_bulkhead_imported IMPORTED_TARGETS)

# Protobuf: the runtime; its archive also needs zlib (shared is fine) and threads.
set(_bulkhead_protobuf_static FALSE)
if(TARGET protobuf::libprotobuf)
  _bulkhead_archives_complete(protobuf::libprotobuf _bulkhead_protobuf_static)
  find_package(ZLIB QUIET)
  find_package(Threads REQUIRED)
  if(_bulkhead_protobuf_static AND TARGET ZLIB::ZLIB)
    _bulkhead_use_archives(protobuf::libprotobuf)
    set_property(TARGET protobuf::libprotobuf APPEND PROPERTY
                 INTERFACE_LINK_LIBRARIES ZLIB::ZLIB Threads::Threads)
  else()
    set(_bulkhead_protobuf_static FALSE)
  endif()
endif()

# Abseil: every absl:: target found here; static only when Protobuf is too (or is absent), since
# a shared Protobuf built on Abseil would bring the shared Abseil as well: two copies.
set(_bulkhead_absl "")
foreach(target IN LISTS _bulkhead_imported)
  if(target MATCHES "^absl::")
    list(APPEND _bulkhead_absl ${target})
  endif()
endforeach()
_bulkhead_archives_complete("${_bulkhead_absl}" _bulkhead_absl_static)
if(_bulkhead_absl_static AND (_bulkhead_protobuf_static OR NOT TARGET protobuf::libprotobuf))
  _bulkhead_use_archives("${_bulkhead_absl}")
else()
  set(_bulkhead_absl_static FALSE)
endif()

# libuv, found through pkg-config (Debian): its `libuv-static` package names the archive (uv_a)
# and what it needs. The imported target is changed, not bulkhead_deps::uv, whose export an
# installed package recreates from plain `libuv`.
set(_bulkhead_uv_static FALSE)
if(TARGET PkgConfig::LIBUV)
  pkg_check_modules(LIBUV_STATIC QUIET libuv-static)
  find_library(_bulkhead_uv_archive NAMES libuv_a.a HINTS ${LIBUV_STATIC_LIBRARY_DIRS})
  if(LIBUV_STATIC_FOUND AND _bulkhead_uv_archive)
    set(_bulkhead_uv_libraries ${LIBUV_STATIC_LIBRARIES})
    list(REMOVE_ITEM _bulkhead_uv_libraries uv uv_a)
    set_target_properties(PkgConfig::LIBUV PROPERTIES
      INTERFACE_LINK_LIBRARIES "${_bulkhead_uv_archive};${_bulkhead_uv_libraries}")
    set(_bulkhead_uv_static TRUE)
  endif()
endif()

message(STATUS "bulkhead: static dependencies: abseil ${_bulkhead_absl_static}, "
               "protobuf ${_bulkhead_protobuf_static}, libuv ${_bulkhead_uv_static}")
