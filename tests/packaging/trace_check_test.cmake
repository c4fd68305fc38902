# Tests bulkhead_check_trace (trace_check.cmake), which InstalledPackage.* run on the trace an
# app wrote: a good trace (in TraceRecorder's format) passes, and each way of breaking it fails.
# Run by ctest as `cmake -DWORK_DIR=<scratch> -P trace_check_test.cmake`.
cmake_minimum_required(VERSION 3.25)
if(NOT WORK_DIR)
  message(FATAL_ERROR "WORK_DIR is not set")
endif()

# One helper's life and two tasks, one failed, as HostTrace draws them.
set(good [=[{"traceEvents":[
{"ph":"M","ts":0,"pid":100000001,"tid":100000001,"name":"process_name","args":{"name":"filter-1 (pid 42)"}},
{"ph":"b","ts":5,"pid":7,"tid":7,"name":"a.pgm","args":{},"cat":"task","id":"0x1"},
{"ph":"b","ts":6,"pid":7,"tid":7,"name":"b.pgm","args":{},"cat":"task","id":"0x2"},
{"ph":"B","ts":10,"pid":100000001,"tid":100000001,"name":"filter-1","args":{}},
{"ph":"i","ts":10,"pid":100000001,"tid":100000001,"name":"launch","args":{},"s":"t"},
{"ph":"i","ts":20,"pid":100000001,"tid":100000001,"name":"spawned","args":{"pid":42},"s":"t"},
{"ph":"i","ts":30,"pid":100000001,"tid":100000001,"name":"Ready","args":{},"s":"t"},
{"ph":"e","ts":35,"pid":7,"tid":7,"name":"a.pgm","args":{"status":"OK"},"cat":"task","id":"0x1"},
{"ph":"i","ts":40,"pid":100000001,"tid":100000001,"name":"exit","args":{"kind":"crashed"},"s":"t"},
{"ph":"E","ts":40,"pid":100000001,"tid":100000001,"name":"filter-1","args":{}},
{"ph":"e","ts":41,"pid":7,"tid":7,"name":"b.pgm","args":{"status":"ABORTED"},"cat":"task","id":"0x2"}
],"displayTimeUnit":"ms","otherData":{"max_events":100,"dropped_events":0}}
]=])

# Checks `json` as a trace of role filter, 2 tasks (1 failed), 1 crash; sets `rc` and `err`.
function(check name json)
  set(dir ${WORK_DIR}/${name})
  file(REMOVE_RECURSE ${dir})
  file(WRITE ${dir}/trace.json "${json}")
  file(WRITE ${dir}/check.cmake
       "cmake_minimum_required(VERSION 3.25)\n"
       "include(${CMAKE_CURRENT_LIST_DIR}/trace_check.cmake)\n"
       "bulkhead_check_trace(${dir}/trace.json ROLE filter TASKS 2 FAILED_TASKS 1 CRASHES 1)\n")
  execute_process(COMMAND ${CMAKE_COMMAND} -P ${dir}/check.cmake
                  RESULT_VARIABLE result OUTPUT_QUIET ERROR_VARIABLE error)
  set(rc ${result} PARENT_SCOPE)
  set(err "${error}" PARENT_SCOPE)
endfunction()

set(failures "")
check(good "${good}")
if(NOT rc EQUAL 0)
  string(APPEND failures "the good trace was refused:\n${err}\n")
endif()
# Each: what is broken, then the text replaced and its replacement (no brackets: they would
# keep CMake from splitting the list).
set(breakages
  "not JSON|\"displayTimeUnit\":\"ms\"|\"displayTimeUnit\":\"ms\",,"
  "dropped events|\"dropped_events\":0|\"dropped_events\":3"
  "a span never ended|\"ph\":\"E\"|\"ph\":\"i\""
  "an end without a beginning|\"ph\":\"B\"|\"ph\":\"i\""
  "an async end without a beginning|\"ABORTED\"},\"cat\":\"task\",\"id\":\"0x2\"|\"ABORTED\"},\"cat\":\"task\",\"id\":\"0x9\""
  "out of time order|\"ts\":41|\"ts\":1"
  "no Ready|\"name\":\"Ready\"|\"name\":\"Steady\""
  "the helper not named|filter-1 (pid 42)|other-1 (pid 42)"
  "a task missing|\"cat\":\"task\",\"id\":\"0x1\"},\n{\"ph\":\"i\"|\"cat\":\"call\",\"id\":\"0x1\"},\n{\"ph\":\"i\""
  "no task failed|\"status\":\"ABORTED\"|\"status\":\"OK\""
  "no crash|\"kind\":\"crashed\"|\"kind\":\"normal-exit\""
  "an event without ts|\"ph\":\"i\",\"ts\":20,|\"ph\":\"i\",")
foreach(breakage IN LISTS breakages)
  string(REPLACE "|" ";" parts "${breakage}")
  list(GET parts 0 what)
  list(GET parts 1 from)
  list(GET parts 2 to)
  string(FIND "${good}" "${from}" at)
  if(at EQUAL -1)
    string(APPEND failures "${what}: '${from}' is not in the good trace\n")
    continue()
  endif()
  string(REPLACE "${from}" "${to}" broken "${good}")
  string(MD5 name "${what}")
  check(${name} "${broken}")
  if(rc EQUAL 0)
    string(APPEND failures "not refused: ${what}\n")
  endif()
endforeach()
file(REMOVE_RECURSE ${WORK_DIR})
if(failures)
  message(FATAL_ERROR "${failures}")
endif()
