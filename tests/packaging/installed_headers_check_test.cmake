# Tests bulkhead_check_installed_headers (installed_headers.cmake) on made-up installs: each
# spelling of an include that would reach a project header without the bulkhead/ prefix (and
# so find an app's own header of that name) must fail the check; the prefixed one passes.
# Run by ctest as `cmake -DWORK_DIR=<scratch> -P installed_headers_check_test.cmake`.
cmake_minimum_required(VERSION 3.25)
if(NOT WORK_DIR)
  message(FATAL_ERROR "WORK_DIR is not set")
endif()

# Runs the check on an install of host.h (holding `host_h`) and ipc/channel.h; sets `rc`.
function(check_install name host_h)
  set(prefix ${WORK_DIR}/${name})
  file(REMOVE_RECURSE ${prefix})
  file(WRITE ${prefix}/include/bulkhead/host.h "${host_h}")
  file(WRITE ${prefix}/include/bulkhead/ipc/channel.h "#pragma once\n")
  file(WRITE ${prefix}/expected.txt "host.h\nipc/channel.h\n")
  file(WRITE ${prefix}/check.cmake
       "include(${CMAKE_CURRENT_LIST_DIR}/installed_headers.cmake)\n"
       "bulkhead_check_installed_headers(${prefix} ${prefix}/expected.txt)\n")
  execute_process(COMMAND ${CMAKE_COMMAND} -P ${prefix}/check.cmake
                  RESULT_VARIABLE result OUTPUT_QUIET ERROR_VARIABLE err)
  set(rc ${result} PARENT_SCOPE)
  set(err "${err}" PARENT_SCOPE)
endfunction()

set(failures "")
check_install(prefixed "#pragma once\n#include \"bulkhead/ipc/channel.h\"\n")
if(NOT rc EQUAL 0)
  string(APPEND failures "the prefixed include was refused:\n${err}\n")
endif()
foreach(spelling
    "#include \"ipc/channel.h\"  // the channel"
    "#if defined(X)\n#  include \"ipc/channel.h\"\n#endif"
    "# include \"ipc/channel.h\""
    "  #include \"ipc/channel.h\""
    "#include <ipc/channel.h>"
    "#include<ipc/channel.h>")
  string(MD5 name "${spelling}")
  check_install(${name} "#pragma once\n${spelling}\n")
  if(rc EQUAL 0)
    string(APPEND failures "not refused: ${spelling}\n")
  endif()
endforeach()
file(REMOVE_RECURSE ${WORK_DIR})
if(failures)
  message(FATAL_ERROR "${failures}")
endif()
