# Keeps the layout's promise that the library's tests neither rebuild nor rerun when only the
# demo app changes: none of the given test binaries may have an input under browser_host/ in
# Ninja's build graph: a source, a library or an object (`ninja -t inputs`, recursive), or a
# header one of its objects was compiled with (`ninja -t deps`, what the compiler's depfiles
# recorded). Run by ctest as
#   cmake -DNINJA=<ninja> -DSOURCE_DIR=<repo> -DBUILD_DIR=<build tree> "-DTARGETS=<file>|<file>"
#         -P check_no_app_inputs.cmake
cmake_minimum_required(VERSION 3.25)
foreach(var NINJA SOURCE_DIR BUILD_DIR TARGETS)
  if(NOT ${var})
    message(FATAL_ERROR "${var} is not set")
  endif()
endforeach()

# Lines of `ninja -C BUILD_DIR ARGN` into `out`.
function(ninja_lines out)
  execute_process(COMMAND ${NINJA} -C ${BUILD_DIR} ${ARGN}
                  OUTPUT_VARIABLE output ERROR_VARIABLE error RESULT_VARIABLE result)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "ninja ${ARGN} failed (${result}): ${error}")
  endif()
  string(REGEX MATCHALL "[^\n]+" lines "${output}")
  set(${out} "${lines}" PARENT_SCOPE)
endfunction()

# Whether `path` (relative to the build tree, or absolute) is under the tree's browser_host/,
# source or build side: judged on the path relative to either tree, so that a checkout that
# itself sits in a folder named browser_host/ is not taken for app code.
function(is_app_path out path)
  string(STRIP "${path}" path)
  # Relative paths (ninja's, and a compiler cache's rewritten ones) are the build tree's.
  cmake_path(ABSOLUTE_PATH path BASE_DIRECTORY ${BUILD_DIR} NORMALIZE)
  # The build tree first: it may sit inside the source tree.
  foreach(root IN ITEMS ${BUILD_DIR} ${SOURCE_DIR})
    string(FIND "${path}" "${root}/" at)
    if(at EQUAL 0)
      string(LENGTH "${root}/" length)
      string(SUBSTRING "${path}" ${length} -1 path)
      break()
    endif()
  endforeach()
  if(path MATCHES "^browser_host/")
    set(${out} TRUE PARENT_SCOPE)
  else()
    set(${out} FALSE PARENT_SCOPE)
  endif()
endfunction()

string(REPLACE "|" ";" targets "${TARGETS}")
set(failed "")
foreach(target IN LISTS targets)
  file(RELATIVE_PATH relative ${BUILD_DIR} ${target})
  ninja_lines(inputs -t inputs ${relative})
  list(LENGTH inputs input_count)
  if(input_count LESS 10)
    message(FATAL_ERROR "ninja listed only ${input_count} inputs of ${relative}: ${inputs}")
  endif()
  set(objects "${inputs}")
  list(FILTER objects INCLUDE REGEX "\\.(o|obj)$")
  ninja_lines(deps -t deps ${objects})
  set(headers "${deps}")
  list(FILTER headers INCLUDE REGEX "^ +[^ ]")
  list(LENGTH headers header_count)
  if(header_count LESS 10)
    message(FATAL_ERROR "ninja recorded only ${header_count} headers for the objects of "
                        "${relative}: is the tree built?")
  endif()
  set(app_inputs "")
  foreach(input IN LISTS inputs headers)
    is_app_path(app "${input}")
    if(app)
      string(STRIP "${input}" input)
      list(APPEND app_inputs ${input})
    endif()
  endforeach()
  list(REMOVE_DUPLICATES app_inputs)
  if(app_inputs)
    list(JOIN app_inputs "\n  " shown)
    string(APPEND failed "${relative} depends on app code:\n  ${shown}\n")
  else()
    message(STATUS "${relative}: ${input_count} inputs and ${header_count} header uses, "
                   "none under browser_host/")
  endif()
endforeach()
if(failed)
  message(FATAL_ERROR "${failed}")
endif()
