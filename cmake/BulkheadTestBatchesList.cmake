# cmake -P script run after each link of a test binary registered by bulkhead_discover_tests
# (BulkheadTestBatches.cmake): lists the binary's tests and writes CTEST_FILE, one add_test per
# batch of up to BATCH tests of one suite.
# In: TEST_EXECUTABLE, TEST_EXECUTOR (a list, may be empty), TEST_FILTER, TEST_PREFIX,
# TEST_SUFFIX, TEST_WORKING_DIR, TEST_TIMEOUT (seconds per test), TEST_PROPERTIES (`|`-separated name value
# pairs), BATCH, CTEST_FILE.
cmake_minimum_required(VERSION 3.25)

set(filter_arg)
if(TEST_FILTER)
  set(filter_arg "--gtest_filter=${TEST_FILTER}")
endif()
execute_process(
  COMMAND ${TEST_EXECUTOR} "${TEST_EXECUTABLE}" --gtest_list_tests ${filter_arg}
  TIMEOUT 60
  OUTPUT_VARIABLE output
  ERROR_VARIABLE errors
  WORKING_DIRECTORY "${TEST_WORKING_DIR}"
  RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "listing the tests of ${TEST_EXECUTABLE} failed (${result}):\n"
                      "${output}\n${errors}")
endif()

# Quotes one ctest argument so that any test name survives.
function(quote out value)
  set(eq "=")
  while(value MATCHES "]${eq}]")
    string(APPEND eq "=")
  endwhile()
  set(${out} "[${eq}[${value}]${eq}]" PARENT_SCOPE)
endfunction()

set(suites)
string(REPLACE ";" "\\;" output "${output}")
string(REPLACE "\n" ";" lines "${output}")
foreach(line IN LISTS lines)
  string(REGEX REPLACE " +#.*$" "" line "${line}")  # `# GetParam() = ...`, `# TypeParam = ...`
  if(line MATCHES "^([^ ].*)\\.$")
    set(suite "${CMAKE_MATCH_1}")
    string(MAKE_C_IDENTIFIER "${suite}" suite_var)
    list(APPEND suites "${suite}")
    set(tests_${suite_var})
  elseif(line MATCHES "^  ([^ ].*)$" AND DEFINED suite)
    set(test "${CMAKE_MATCH_1}")
    # Disabled tests are not run, as with gtest_discover_tests.
    if(NOT suite MATCHES "^DISABLED_|/DISABLED_" AND NOT test MATCHES "^DISABLED_")
      list(APPEND tests_${suite_var} "${test}")
    endif()
  endif()
endforeach()

string(REPLACE "|" ";" properties "${TEST_PROPERTIES}")
set(quoted_properties)
foreach(value IN LISTS properties)
  quote(q "${value}")
  string(APPEND quoted_properties " ${q}")
endforeach()
set(executor)
foreach(part IN LISTS TEST_EXECUTOR)
  quote(q "${part}")
  string(APPEND executor " ${q}")
endforeach()
quote(executable "${TEST_EXECUTABLE}")
quote(workdir "${TEST_WORKING_DIR}")

set(script "")
foreach(suite IN LISTS suites)
  string(MAKE_C_IDENTIFIER "${suite}" suite_var)
  list(LENGTH tests_${suite_var} count)
  if(count EQUAL 0)
    continue()
  endif()
  math(EXPR batches "(${count} + ${BATCH} - 1) / ${BATCH}")
  set(index 0)
  set(batch 0)
  while(index LESS count)
    math(EXPR batch "${batch} + 1")
    set(filter)
    set(in_batch 0)
    while(index LESS count AND in_batch LESS BATCH)
      list(GET tests_${suite_var} ${index} test)
      list(APPEND filter "${suite}.${test}")
      math(EXPR index "${index} + 1")
      math(EXPR in_batch "${in_batch} + 1")
    endwhile()
    if(in_batch EQUAL 1)
      set(name "${TEST_PREFIX}${suite}.${test}${TEST_SUFFIX}")
      set(skipped "\\[  SKIPPED \\] 1 test,")
    elseif(batches EQUAL 1)
      set(name "${TEST_PREFIX}${suite}.*${TEST_SUFFIX}")
      set(skipped "\\[  SKIPPED \\] ${in_batch} tests,")
    else()
      set(name "${TEST_PREFIX}${suite}.*[${batch}/${batches}]${TEST_SUFFIX}")
      set(skipped "\\[  SKIPPED \\] ${in_batch} tests,")
    endif()
    list(JOIN filter ":" filter)
    math(EXPR timeout "${TEST_TIMEOUT} * ${in_batch}")
    if(timeout GREATER 600)
      set(timeout 600)
    endif()
    quote(qname "${name}")
    quote(qfilter "--gtest_filter=${filter}")
    quote(qskipped "${skipped}")
    string(APPEND script
      "add_test(${qname}${executor} ${executable} ${qfilter})\n"
      "set_tests_properties(${qname} PROPERTIES SKIP_REGULAR_EXPRESSION ${qskipped} "
      "TIMEOUT ${timeout} WORKING_DIRECTORY ${workdir}${quoted_properties})\n")
  endwhile()
endforeach()
file(WRITE "${CTEST_FILE}" "${script}")
