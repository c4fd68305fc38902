# Helpers for the `cmake -P` scripts that build and run apps against an installed
# Bulkhead (consume_installed.cmake, ../adversarial/run_adversarial.cmake).

# Fails unless each named variable is set (-D on the command line).
function(require_vars)
  foreach(var IN LISTS ARGN)
    if(NOT ${var})
      message(FATAL_ERROR "${var} is not set")
    endif()
  endforeach()
endfunction()

# Runs a command; fails with its output unless it exits 0. Its stdout is left
# in `last_output`.
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out
                  ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  set(last_output "${out}" PARENT_SCOPE)
endfunction()
