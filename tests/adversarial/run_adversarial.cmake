# Installs a built Bulkhead tree into a scratch prefix, builds the adversarial app
# (this folder, a project of its own) against it with find_package, and runs it.
# Run by ctest as `cmake -P`:
#   -DSOURCE_DIR=<this folder> -DBUILD_DIR=<a built tree> -DWORK_DIR=<scratch>
#   -DCXX=<C++ compiler>
# The app's own output (one line per case, the known failures, a summary) is
# printed whatever happens and kept in <WORK_DIR>/verdicts.txt; the test fails
# when the app exits non-zero.
cmake_minimum_required(VERSION 3.25)
include(${CMAKE_CURRENT_LIST_DIR}/../packaging/script_steps.cmake)
require_vars(SOURCE_DIR BUILD_DIR WORK_DIR CXX)

file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)
run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})
run(${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/app -G Ninja
    -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_PREFIX_PATH=${prefix})
run(${CMAKE_COMMAND} --build ${WORK_DIR}/app -j 2)
# Helpers' forwarded output goes to stderr; the app's verdicts to stdout.
execute_process(COMMAND ${WORK_DIR}/app/adversarial_app RESULT_VARIABLE rc
                OUTPUT_VARIABLE out ERROR_FILE ${WORK_DIR}/helpers_stderr.log)
# Kept beside the run for reading when ctest shows no output (the test passed).
file(WRITE ${WORK_DIR}/verdicts.txt "${out}")
message("${out}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "adversarial_app failed (${rc}); the helpers' output is in "
                      "${WORK_DIR}/helpers_stderr.log")
endif()
