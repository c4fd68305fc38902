# Sources choose Linux's own code with BULKHEAD_OS_LINUX (common/platform.h), never with the
# compiler's __linux__: the generic POSIX build (BULKHEAD_GENERIC_POSIX) compiles on Linux the
# path a POSIX system that is not Linux takes, and a __linux__ would take Linux's path there
# unseen. Exempt: common/platform.h, which defines the macro, and tests/adversarial/, an app
# built against the installed package (which does not install platform.h). Run by ctest as
#   cmake -DSOURCE_DIR=<repo> -P check_platform_macros.cmake
cmake_minimum_required(VERSION 3.25)
if(NOT SOURCE_DIR)
  message(FATAL_ERROR "SOURCE_DIR is not set")
endif()
file(GLOB_RECURSE sources RELATIVE ${SOURCE_DIR}
     ${SOURCE_DIR}/*.cc ${SOURCE_DIR}/*.h ${SOURCE_DIR}/*.c)
set(offenders "")
foreach(source IN LISTS sources)
  if(source MATCHES "^(build|third_party|tests/adversarial)/|^\\." OR
     source STREQUAL "common/platform.h")
    continue()
  endif()
  file(STRINGS ${SOURCE_DIR}/${source} hits REGEX "__linux__")
  if(hits)
    list(APPEND offenders "${source}: ${hits}")
  endif()
endforeach()
if(offenders)
  list(JOIN offenders "\n  " listed)
  message(FATAL_ERROR "test defined(BULKHEAD_OS_LINUX) (common/platform.h), not __linux__:\n"
                      "  ${listed}")
endif()
list(LENGTH sources count)
message(STATUS "${count} sources: none tests __linux__")
