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

# Square brackets would group list elements (a parameter's value printed after `#` may hold
# them): out of the way first, like GoogleTestAddTests.cmake does.
string(REPLACE "[" "<bh-osb>" output "${output}")
string(REPLACE "]" "<bh-csb>" output "${output}")
string(REPLACE ";" "<bh-semi>" output "${output}")
string(REPLACE "\n" ";" lines "${output}")
# Suites by index (suite_<i> its name, tests_<i> its tests): no two names share a variable.
set(suite_count 0)
foreach(line IN LISTS lines)
  string(REGEX REPLACE " +#.*$" "" line "${line}")  # `# GetParam() = ...`, `# TypeParam = ...`
  foreach(mark osb csb semi)
    if(line MATCHES "<bh-${mark}>")
      message(FATAL_ERROR "a test or suite name of ${TEST_EXECUTABLE} holds '[', ']' or ';': "
                          "${line}")
    endif()
  endforeach()
  if(line MATCHES "^([^ ].*)\\.$")
    set(suite "${CMAKE_MATCH_1}")
    set(index ${suite_count})
    math(EXPR suite_count "${suite_count} + 1")
    set(suite_${index} "${suite}")
    set(tests_${index})
  elseif(line MATCHES "^  ([^ ].*)$" AND DEFINED suite)
    set(test "${CMAKE_MATCH_1}")
    # Disabled tests are not run (gtest's rule: the suite's or the test's name, or a
    # parameterized name's part after a '/', starts with DISABLED_).
    if(NOT suite MATCHES "(^|/)DISABLED_" AND NOT test MATCHES "(^|/)DISABLED_")
      list(APPEND tests_${index} "${test}")
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
set(index 0)
while(index LESS suite_count)
  set(suite "${suite_${index}}")
  set(suite_var ${index})
  math(EXPR index "${index} + 1")
  list(LENGTH tests_${suite_var} count)
  if(count EQUAL 0)
    continue()
  endif()
  math(EXPR batches "(${count} + ${BATCH} - 1) / ${BATCH}")
  set(at 0)
  set(batch 0)
  while(at LESS count)
    math(EXPR batch "${batch} + 1")
    set(filter)
    set(in_batch 0)
    while(at LESS count AND in_batch LESS BATCH)
      list(GET tests_${suite_var} ${at} test)
      list(APPEND filter "${suite}.${test}")
      math(EXPR at "${at} + 1")
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
    # The per-test timeout, plus half of it for each further test, up to 300 s: a hung test
    # costs at most that (twice under Wine, which runs a timed-out entry again).
    math(EXPR timeout "${TEST_TIMEOUT} + ${TEST_TIMEOUT} * (${in_batch} - 1) / 2")
    if(timeout GREATER 300 AND TEST_TIMEOUT LESS 300)
      set(timeout 300)
    endif()
    quote(qname "${name}")
    quote(qfilter "--gtest_filter=${filter}")
    quote(qskipped "${skipped}")
    string(APPEND script
      "add_test(${qname}${executor} ${executable} ${qfilter})\n"
      # A filter that selects nothing (a listing gone stale) passes in gtest: not here.
      "set_tests_properties(${qname} PROPERTIES SKIP_REGULAR_EXPRESSION ${qskipped} "
      "FAIL_REGULAR_EXPRESSION [==[Running 0 tests from]==] "
      "TIMEOUT ${timeout} WORKING_DIRECTORY ${workdir}${quoted_properties})\n")
  endwhile()
endwhile()
file(WRITE "${CTEST_FILE}" "${script}")
