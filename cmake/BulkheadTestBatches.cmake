# bulkhead_discover_tests(<target> [TEST_FILTER <filter>] [TEST_PREFIX <p>] [TEST_SUFFIX <s>]
#                         [TIMEOUT <seconds per test>] [PROPERTIES <name> <value>...]):
# registers the GoogleTest tests of <target> with ctest, like gtest_discover_tests (whose
# options these are), but in batches: up to BULKHEAD_TEST_BATCH tests of one suite per ctest
# entry, so each batch is one process.
#
# Why: under Wine every process costs about half a second to start, and under AddressSanitizer
# a third of one; with one process per test that start-up was most of the windows preset's test
# time (449 of its 775 tests took under a second). A batch pays it once. BULKHEAD_TEST_BATCH=1
# (the default outside the CI presets) is gtest_discover_tests itself: one entry per test.
#
# A batch is named `<prefix><suite>.<test><suffix>` when it holds one test, `<prefix><suite>.*
# <suffix>` when it holds the whole suite, else `<prefix><suite>.*[<k>/<n>]<suffix>`; its output (ctest --output-on-failure) names the failed
# test. It counts as skipped only when every test in it was, and fails when it ran none; its
# timeout is TIMEOUT (default 60) plus half of it per further test, up to 300 s.
include_guard(GLOBAL)
include(GoogleTest)

set(BULKHEAD_TEST_BATCH 1 CACHE STRING
    "Tests of one GoogleTest suite per ctest entry (1: one entry per test)")

function(bulkhead_discover_tests target)
  cmake_parse_arguments(ARG "" "TEST_FILTER;TEST_PREFIX;TEST_SUFFIX;TIMEOUT" "PROPERTIES" ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 60)
  endif()
  if(NOT BULKHEAD_TEST_BATCH MATCHES "^[1-9][0-9]*$")
    message(FATAL_ERROR "BULKHEAD_TEST_BATCH must be a whole number above 0, not "
                        "'${BULKHEAD_TEST_BATCH}'")
  endif()
  if(BULKHEAD_TEST_BATCH EQUAL 1)
    set(filter_args)
    if(ARG_TEST_FILTER)
      set(filter_args TEST_FILTER "${ARG_TEST_FILTER}")
    endif()
    # NO_PRETTY_VALUES: parameter values stay out of ctest's names (raw bytes of a struct would
    # differ from run to run).
    gtest_discover_tests(${target} DISCOVERY_TIMEOUT 30 NO_PRETTY_VALUES ${filter_args}
                         TEST_PREFIX "${ARG_TEST_PREFIX}" TEST_SUFFIX "${ARG_TEST_SUFFIX}"
                         PROPERTIES TIMEOUT ${ARG_TIMEOUT} ${ARG_PROPERTIES})
    return()
  endif()

  # As gtest_discover_tests does it: after each link, list the tests and write a ctest script
  # that the directory's test file includes.
  get_property(counter TARGET ${target} PROPERTY BULKHEAD_BATCH_COUNTER)
  if(NOT counter)
    set(counter 1)
  endif()
  math(EXPR next "${counter} + 1")
  set_property(TARGET ${target} PROPERTY BULKHEAD_BATCH_COUNTER ${next})
  set(ctest_file "${CMAKE_CURRENT_BINARY_DIR}/${target}_batches${counter}.cmake")
  set(include_file "${CMAKE_CURRENT_BINARY_DIR}/${target}_batches${counter}_include.cmake")
  get_property(emulator TARGET ${target} PROPERTY CROSSCOMPILING_EMULATOR)
  # Properties travel as one argument, `|`-separated: a value may not be a list.
  string(REPLACE ";" "|" properties "${ARG_PROPERTIES}")
  add_custom_command(TARGET ${target} POST_BUILD
    BYPRODUCTS "${ctest_file}"
    COMMAND "${CMAKE_COMMAND}"
            "-DTEST_EXECUTABLE=$<TARGET_FILE:${target}>"
            "-DTEST_EXECUTOR=${emulator}"
            "-DTEST_FILTER=${ARG_TEST_FILTER}"
            "-DTEST_PREFIX=${ARG_TEST_PREFIX}"
            "-DTEST_SUFFIX=${ARG_TEST_SUFFIX}"
            "-DTEST_WORKING_DIR=${CMAKE_CURRENT_BINARY_DIR}"
            "-DTEST_TIMEOUT=${ARG_TIMEOUT}"
            "-DTEST_PROPERTIES=${properties}"
            "-DBATCH=${BULKHEAD_TEST_BATCH}"
            "-DCTEST_FILE=${ctest_file}"
            -P "${PROJECT_SOURCE_DIR}/cmake/BulkheadTestBatchesList.cmake"
    VERBATIM)
  file(WRITE "${include_file}"
    "if(EXISTS \"${ctest_file}\")\n"
    "  include(\"${ctest_file}\")\n"
    "else()\n"
    "  add_test(${target}_NOT_BUILT ${target}_NOT_BUILT)\n"
    "endif()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${include_file}")
endfunction()
