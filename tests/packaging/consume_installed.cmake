# Installs this build into a scratch prefix, then builds and runs
# examples/minimal_app against the installed package, exactly as an app would
# (find_package(bulkhead CONFIG REQUIRED)). Run by ctest as `cmake -P`.
#   -DBUILD_DIR=<this build> -DSOURCE_DIR=<repo> -DWORK_DIR=<scratch>
foreach(var BUILD_DIR SOURCE_DIR WORK_DIR)
  if(NOT ${var})
    message(FATAL_ERROR "${var} is not set")
  endif()
endforeach()

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out
                  ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  set(last_output "${out}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${WORK_DIR}/prefix)
run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/examples/minimal_app -B ${WORK_DIR}/build
    -G Ninja -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix)
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build -j 2)
run(${WORK_DIR}/build/minimal_app)
message(STATUS "minimal_app said:\n${last_output}")
if(NOT last_output MATCHES "helper answered: HELLO FROM BULKHEAD")
  message(FATAL_ERROR "unexpected output from minimal_app")
endif()
