# Installs Bulkhead into a scratch prefix, then builds and runs the apps in examples/ against
# the installed package, exactly as an app would (find_package(bulkhead CONFIG REQUIRED)), and
# checks what each prints. Run by ctest as `cmake -P`.
#   -DSOURCE_DIR=<repo> -DWORK_DIR=<scratch> -DCXX=<C++ compiler>
#   -DBUILD_DIR=<a built tree>  installs that tree (static libraries, say), or
#   -DSHARED=ON                 configures and builds the libraries afresh with
#                               BUILD_SHARED_LIBS=ON (libraries only) and installs those.
#   -DNO_SYMBOLS=ON             a platform whose crash stacks carry no names.
#   -DNO_SANDBOX=ON             a platform without a sandbox (word_check must refuse to run).
#   -DPKG_CONFIG=<pkg-config> -DPROTOC=<protoc>  also builds examples/minimal_app by hand with
#                               `pkg-config --cflags --libs bulkhead` (skipped when unset).
cmake_minimum_required(VERSION 3.25)
include(${CMAKE_CURRENT_LIST_DIR}/script_steps.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/trace_check.cmake)
require_vars(SOURCE_DIR WORK_DIR CXX)

# Fails unless `output` has every one of the lines after it (plain substrings).
function(expect_lines app output)
  foreach(line IN LISTS ARGN)
    string(FIND "${output}" "${line}" at)
    if(at EQUAL -1)
      message(FATAL_ERROR "${app} did not print \"${line}\"; it printed:\n${output}")
    endif()
  endforeach()
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)
if(SHARED)
  run(${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/bulkhead -G Ninja
      -DCMAKE_CXX_COMPILER=${CXX} -DBUILD_SHARED_LIBS=ON
      -DBULKHEAD_BUILD_TESTS=OFF -DBULKHEAD_BUILD_BENCH=OFF
      # Every library source compiled with only its own include lines (no precompiled header).
      -DBULKHEAD_PCH=OFF)
  run(${CMAKE_COMMAND} --build ${WORK_DIR}/bulkhead -j 2)
  run(${CMAKE_COMMAND} --install ${WORK_DIR}/bulkhead --prefix ${prefix})
  file(GLOB shared_libs ${prefix}/lib*/libbulkhead_host.so*)
  if(NOT shared_libs)
    message(FATAL_ERROR "no libbulkhead_host.so in ${prefix}")
  endif()
elseif(BUILD_DIR)
  run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})
else()
  message(FATAL_ERROR "set BUILD_DIR or SHARED")
endif()
# The same headers whether the libraries are static or shared.
include(${CMAKE_CURRENT_LIST_DIR}/installed_headers.cmake)
bulkhead_check_installed_headers(${prefix} ${CMAKE_CURRENT_LIST_DIR}/installed_headers.txt)

# What each example must print (its README shows a whole run).
set(minimal_app_expect "helper answered: HELLO FROM BULKHEAD")
set(image_filter_expect
  "7 images in "
  "gradient-invert.pgm    invert 64x48  mean 126.00 -> 129.00"
  "poisoned-invert.pgm    invert FAILED: ABORTED: poison: the task killed 2 helpers; the last crashed (signal 11 SIGSEGV)"
  "repro: "
  "noise-blur.pgm         blur   48x48  mean 125.35 -> 124.94"
  "7 images: 5 filtered, 2 poison, 0 lost; "
  "crashed (signal 11 SIGSEGV): the same death, reproduced"
  "trace: ${WORK_DIR}/image_filter_run/trace.json (open it in ui.perfetto.dev)"
  "done")
# A crash's stack names the app's function where the platform symbolizes (Linux; not the generic
# POSIX build, which has no image range: docs/platforms.md).
if(NOT NO_SYMBOLS)
  list(APPEND image_filter_expect "image_filter::ApplyFilter()")
endif()
# image_filter makes its inputs, repros and trace in the directory it is given.
set(image_filter_args ${WORK_DIR}/image_filter_run)
set(plugin_host_expect
  "upper-1 asked the app for 'greeting': \"Hello\""
  "upper-1 result: Hello, PLUGINS RUN IN HELPER PROCESSES OF THEIR OWN"
  "upper-1 ended: stopped-by-host: plugin finished"
  "wordcount-2 result: 4 words of 5+ letters"
  "spin-3 asked the app for 'greeting'"
  "spin-3 ended: hung: no Pong within 2s"
  "done: ok")

set(word_check_expect
  "checking 3 documents in a sandboxed helper"
  "letter.txt     10 words, all in the dictionary"
  "typos.txt      7 words, unknown: helpr, sandbx"
  "../secret.txt  not checked: PERMISSION_DENIED"
  "  reading secret.txt itself: No such file or directory"
  "  the broker opening secret.txt: PERMISSION_DENIED"
  "  scratch tmpfs holds: typos.txt: 7 words"
  "helper checker-1 ended: host-shutdown"
  "done")

# With shared libraries, the two apps that use the most of the API (minimal_app's calls are a
# subset of theirs).
set(apps minimal_app image_filter plugin_host word_check)
if(SHARED)
  set(apps image_filter plugin_host)
endif()
foreach(app IN LISTS apps)
  run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/examples/${app} -B ${WORK_DIR}/${app}
      -G Ninja -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_PREFIX_PATH=${prefix})
  run(${CMAKE_COMMAND} --build ${WORK_DIR}/${app} -j 2)
  if(app STREQUAL "word_check" AND NO_SANDBOX)
    # It shows what a sandbox keeps out: without one it says so and fails.
    execute_process(COMMAND ${WORK_DIR}/${app}/${app} RESULT_VARIABLE rc
                    OUTPUT_VARIABLE out ERROR_VARIABLE err)
    if(rc EQUAL 0 OR NOT "${out}${err}" MATCHES "no sandbox on this system")
      message(FATAL_ERROR "word_check without a sandbox: exit ${rc}, said:\n${out}${err}")
    endif()
    continue()
  endif()
  run(${WORK_DIR}/${app}/${app} ${${app}_args})
  message(STATUS "${app} said:\n${last_output}")
  expect_lines(${app} "${last_output}" ${${app}_expect})
endforeach()
# The trace image_filter wrote through the installed HostTrace and TraceRecorder: a file a
# viewer opens, with its helpers' lives (two crashed on each poisoned image) and its 7 tasks,
# the 2 poisoned ones failed.
bulkhead_check_trace(${WORK_DIR}/image_filter_run/trace.json
  ROLE filter TASKS 7 FAILED_TASKS 2 CRASHES 4)

# pkg-config: minimal_app again, compiled and linked by hand with only what bulkhead.pc says.
if(PKG_CONFIG AND PROTOC)
  set(dir ${WORK_DIR}/pkg_config_app)
  file(MAKE_DIRECTORY ${dir})
  file(GLOB pc_dirs ${prefix}/lib*/pkgconfig)
  get_filename_component(libdir "${pc_dirs}" DIRECTORY)
  run(${CMAKE_COMMAND} -E env PKG_CONFIG_PATH=${pc_dirs}
      ${PKG_CONFIG} --cflags --libs bulkhead)
  string(STRIP "${last_output}" flags)
  message(STATUS "pkg-config --cflags --libs bulkhead: ${flags}")
  separate_arguments(flags UNIX_COMMAND "${flags}")
  run(${PROTOC} -I ${SOURCE_DIR}/examples/minimal_app --cpp_out=${dir}
      ${SOURCE_DIR}/examples/minimal_app/shout.proto)
  # The app has headers of its own under every name Bulkhead installs below bulkhead/
  # (ipc/channel.h, host/host.h, ...), first on its include path, each an #error: Bulkhead's
  # headers must reach theirs as bulkhead/... only.
  file(STRINGS ${CMAKE_CURRENT_LIST_DIR}/installed_headers.txt own_headers REGEX "^[^#].*/")
  foreach(header IN LISTS own_headers)
    file(WRITE ${dir}/own_headers/${header}
         "#error \"Bulkhead's headers included the app's own ${header}\"\n")
  endforeach()
  run(${CXX} -std=c++20 -I ${dir}/own_headers -I ${dir} ${SOURCE_DIR}/examples/minimal_app/main.cc
      ${dir}/shout.pb.cc ${flags} -Wl,-rpath,${libdir} -o ${dir}/minimal_app)
  run(${dir}/minimal_app)
  message(STATUS "minimal_app (pkg-config) said:\n${last_output}")
  expect_lines(minimal_app "${last_output}" ${minimal_app_expect})
endif()
