# Install rules: libraries, headers (under include/bulkhead/), and a CMake
# package so that apps can `find_package(bulkhead CONFIG REQUIRED)` and link
# `bulkhead::bulkhead`. Apps include <bulkhead/host.h> and <bulkhead/helper.h>;
# the other installed headers are what those two need, not API of their own.
include(CMakePackageConfigHelpers)

configure_file(${PROJECT_SOURCE_DIR}/include/bulkhead/version.h.in
               ${PROJECT_BINARY_DIR}/include/bulkhead/version.h @ONLY)

set(_bulkhead_include_dest ${CMAKE_INSTALL_INCLUDEDIR}/bulkhead)
install(TARGETS bulkhead_common bulkhead_ipc bulkhead_sandbox bulkhead_helper
                bulkhead_host bulkhead_bulkhead bulkhead_deps_uv
  EXPORT bulkheadTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY common ipc helper sandbox browser_host
  DESTINATION ${_bulkhead_include_dest}
  FILES_MATCHING PATTERN "*.h"
  PATTERN "proto" EXCLUDE)
install(DIRECTORY ${PROJECT_BINARY_DIR}/ipc/proto
  DESTINATION ${_bulkhead_include_dest}/ipc
  FILES_MATCHING PATTERN "*.pb.h")
install(FILES include/bulkhead/host.h include/bulkhead/helper.h
              ${PROJECT_BINARY_DIR}/include/bulkhead/version.h
  DESTINATION ${_bulkhead_include_dest}/bulkhead)
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
