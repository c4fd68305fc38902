# Install rules: libraries, headers (under include/bulkhead/), a CMake package so that apps can
# `find_package(bulkhead CONFIG REQUIRED)` and link `bulkhead::bulkhead`, and a pkg-config file
# (bulkhead.pc).
#
# Apps include <bulkhead/host.h> and <bulkhead/helper.h>. The internal headers installed beside
# them are exactly those the two reach through their includes (found by scanning them at
# configure time): what the public classes' declarations need, not API of their own. Every
# other internal header stays out of the installed tree.
#
# Everything installed is reached as <bulkhead/...> only: apps get <prefix>/include on their
# include path (not <prefix>/include/bulkhead), and the installed copies of the headers say
# "bulkhead/ipc/channel.h" where the sources say "ipc/channel.h", so an app with an
# `ipc/channel.h` of its own builds against the package.
include(CMakePackageConfigHelpers)

configure_file(${PROJECT_SOURCE_DIR}/include/bulkhead/version.h.in
               ${PROJECT_BINARY_DIR}/include/bulkhead/version.h @ONLY)

# Sets `out_sources` to the project headers (paths relative to the source root) reachable
# through `#include "..."` from `roots`, and `out_generated` to the generated ones (relative to
# the build root: protoc's *.pb.h and include/bulkhead/{version,export}.h).
function(bulkhead_reachable_headers out_sources out_generated)
  set(todo ${ARGN})
  set(sources)
  set(generated)
  while(todo)
    list(POP_FRONT todo header)
    if(header IN_LIST sources)
      continue()
    endif()
    list(APPEND sources ${header})
    set_property(DIRECTORY ${PROJECT_SOURCE_DIR} APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
                 ${PROJECT_SOURCE_DIR}/${header})
    file(STRINGS ${PROJECT_SOURCE_DIR}/${header} lines REGEX "^#include \"")
    foreach(line IN LISTS lines)
      string(REGEX REPLACE "^#include \"([^\"]+)\".*" "\\1" included "${line}")
      if(EXISTS ${PROJECT_SOURCE_DIR}/${included})
        list(APPEND todo ${included})
      elseif(EXISTS ${PROJECT_SOURCE_DIR}/include/${included})
        list(APPEND todo include/${included})
      elseif(included MATCHES "\\.pb\\.h$")
        string(REGEX REPLACE "\\.pb\\.h$" ".proto" proto "${included}")
        if(EXISTS ${PROJECT_SOURCE_DIR}/${proto})
          list(APPEND generated ${included})
        endif()
      endif()
    endforeach()
  endwhile()
  list(REMOVE_DUPLICATES generated)
  set(${out_sources} ${sources} PARENT_SCOPE)
  set(${out_generated} ${generated} PARENT_SCOPE)
endfunction()

# Writes `content` to `path` unless the file already holds exactly that (keeps its timestamp).
function(bulkhead_write_if_changed path content)
  if(EXISTS ${path})
    file(READ ${path} old)
    if(old STREQUAL content)
      return()
    endif()
  endif()
  file(WRITE ${path} "${content}")
endfunction()

set(_bulkhead_include_dest ${CMAKE_INSTALL_INCLUDEDIR}/bulkhead)
install(TARGETS bulkhead_common bulkhead_ipc bulkhead_sandbox bulkhead_helper
                bulkhead_host bulkhead_bulkhead bulkhead_deps_uv
  EXPORT bulkheadTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

bulkhead_reachable_headers(_bulkhead_headers _bulkhead_generated_headers
  include/bulkhead/host.h include/bulkhead/helper.h)
# The project's own include paths the installed headers may use, as the sources spell them.
set(_bulkhead_project_includes ${_bulkhead_generated_headers})
foreach(header IN LISTS _bulkhead_headers)
  if(NOT header MATCHES "^include/")
    list(APPEND _bulkhead_project_includes ${header})
  endif()
endforeach()
# The installed copies, staged in the build tree with their includes prefixed.
set(_bulkhead_staged_include ${PROJECT_BINARY_DIR}/installed_include/bulkhead)
foreach(header IN LISTS _bulkhead_headers)
  string(REGEX REPLACE "^include/bulkhead/" "" installed "${header}")
  file(READ ${PROJECT_SOURCE_DIR}/${header} content)
  foreach(included IN LISTS _bulkhead_project_includes)
    string(REPLACE "#include \"${included}\"" "#include \"bulkhead/${included}\"" content
           "${content}")
  endforeach()
  bulkhead_write_if_changed(${_bulkhead_staged_include}/${installed} "${content}")
  get_filename_component(dir "${installed}" DIRECTORY)
  install(FILES ${_bulkhead_staged_include}/${installed}
          DESTINATION ${_bulkhead_include_dest}/${dir})
endforeach()
# protoc's headers include only "bulkhead/export.h" and Protobuf's own: installed as they are.
foreach(header IN LISTS _bulkhead_generated_headers)
  get_filename_component(dir "${header}" DIRECTORY)
  install(FILES ${PROJECT_BINARY_DIR}/${header} DESTINATION ${_bulkhead_include_dest}/${dir})
endforeach()
install(FILES ${PROJECT_BINARY_DIR}/include/bulkhead/version.h
              ${PROJECT_BINARY_DIR}/include/bulkhead/export.h
  DESTINATION ${_bulkhead_include_dest})

install(EXPORT bulkheadTargets
  NAMESPACE bulkhead::
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/bulkhead)
configure_package_config_file(cmake/bulkheadConfig.cmake.in
  ${PROJECT_BINARY_DIR}/bulkheadConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/bulkhead)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/bulkheadConfigVersion.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/bulkheadConfig.cmake
              ${PROJECT_BINARY_DIR}/bulkheadConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/bulkhead)

# pkg-config. Its dependencies are named by their own .pc files (Debian's Abseil, Protobuf and
# libuv ship them); every one is in `Requires`, since a static Bulkhead needs them all at link
# time and the public headers use Abseil, Protobuf and libuv types.
file(RELATIVE_PATH BULKHEAD_PC_PREFIX_FROM_PCDIR
     ${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_PREFIX})
string(REGEX REPLACE "/$" "" BULKHEAD_PC_PREFIX_FROM_PCDIR "${BULKHEAD_PC_PREFIX_FROM_PCDIR}")
set(BULKHEAD_PC_REQUIRES
  "protobuf libuv absl_any_invocable absl_flat_hash_map absl_flat_hash_set absl_random_random absl_span absl_status absl_statusor absl_strings absl_symbolize absl_synchronization absl_time")
set(BULKHEAD_PC_CFLAGS "")
set(BULKHEAD_PC_LIBS_PRIVATE "")
if(NOT BUILD_SHARED_LIBS)
  set(BULKHEAD_PC_CFLAGS " -DBULKHEAD_STATIC_DEFINE")
  if(WIN32)
    set(BULKHEAD_PC_LIBS_PRIVATE "Libs.private: -lpsapi -ladvapi32\n")
  endif()
endif()
# The package's headers say what the libraries were built as (common/platform.h).
if(BULKHEAD_GENERIC_POSIX)
  string(APPEND BULKHEAD_PC_CFLAGS " -DBULKHEAD_GENERIC_POSIX")
endif()
configure_file(cmake/bulkhead.pc.in ${PROJECT_BINARY_DIR}/bulkhead.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/bulkhead.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
