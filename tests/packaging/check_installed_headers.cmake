# Installs a built tree into a scratch prefix and checks the installed headers against
# installed_headers.txt (installed_headers.cmake). Run by ctest as
#   cmake -DBUILD_DIR=<a built tree> -DWORK_DIR=<scratch> -P check_installed_headers.cmake
cmake_minimum_required(VERSION 3.25)
foreach(var BUILD_DIR WORK_DIR)
  if(NOT ${var})
    message(FATAL_ERROR "${var} is not set")
  endif()
endforeach()
include(${CMAKE_CURRENT_LIST_DIR}/installed_headers.cmake)

file(REMOVE_RECURSE ${WORK_DIR})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${WORK_DIR}/prefix
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install ${BUILD_DIR} failed (${rc}):\n${out}\n${err}")
endif()
bulkhead_check_installed_headers(${WORK_DIR}/prefix
                                 ${CMAKE_CURRENT_LIST_DIR}/installed_headers.txt)
file(REMOVE_RECURSE ${WORK_DIR})
