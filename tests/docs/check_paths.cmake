# Keeps the docs honest about the tree: every path into the repository that a page names (a
# word such as `host/launch/launcher.h` or `tests/docs/`, whose first folder is one of the
# repository's own, written anywhere on the page, or a Markdown link's target, which is relative
# to the page) must exist; a glob such as `helper/crash_handler_*.cc` must match a file, and a
# program such as `bench/launch_bench` is there when its `bench/launch_bench.cc` is, and a
# `.pb.h` when its `.proto` is. `build/` is not checked: it is what a build makes. Run by ctest as
#   cmake -DSOURCE_DIR=<repo> "-DDOCS=<page>|<page>" -P check_paths.cmake
cmake_minimum_required(VERSION 3.25)
foreach(var SOURCE_DIR DOCS)
  if(NOT ${var})
    message(FATAL_ERROR "${var} is not set")
  endif()
endforeach()

# The repository's own top folders: a path starting elsewhere (/tmp/..., <prefix>/lib/...,
# bulkhead/host/host.h as an app includes it) is not about this tree.
file(GLOB entries RELATIVE ${SOURCE_DIR} ${SOURCE_DIR}/*)
set(top_folders "")
foreach(entry IN LISTS entries)
  if(IS_DIRECTORY ${SOURCE_DIR}/${entry} AND NOT entry MATCHES "^(build|\\..*)$")
    list(APPEND top_folders ${entry})
  endif()
endforeach()

string(REPLACE "|" ";" DOCS "${DOCS}")
set(problems "")
set(checked 0)
foreach(doc IN LISTS DOCS)
  file(READ ${doc} text)
  get_filename_component(doc_dir ${doc} DIRECTORY)
  # Link targets marked @LINK@<target>@, and no square brackets left: CMake does not split a
  # list at a ';' inside them.
  string(REGEX REPLACE "\\]\\(([^)# ]+)[)#]" " @LINK@\\1@ " text "${text}")
  string(REGEX REPLACE "[][]" " " text "${text}")
  string(REGEX MATCHALL "@LINK@[^@]+@" links "${text}")
  # A path starts a word: not after another path character, '<' (<vcpkg>/scripts/...), '~' or
  # a link's mark.
  string(REGEX MATCHALL "(^|[^A-Za-z0-9_.*/<>~$@-])[A-Za-z0-9_.*-]+(/[A-Za-z0-9_.*-]+)+/?"
         words "${text}")
  set(paths "")
  foreach(word IN LISTS words)
    string(REGEX REPLACE "^[^A-Za-z0-9_.*-]" "" word "${word}")
    string(REGEX REPLACE "[.]+$" "" word "${word}")  # A sentence's full stop.
    string(REGEX MATCH "^[^/]+" first "${word}")
    if(first IN_LIST top_folders)
      list(APPEND paths "${SOURCE_DIR}/${word}")
    endif()
  endforeach()
  foreach(link IN LISTS links)
    string(REGEX REPLACE "^@LINK@(.*)@$" "\\1" target "${link}")
    if(NOT target MATCHES "^[a-z]+:")  # https:, mailto:
      list(APPEND paths "${doc_dir}/${target}")
    endif()
  endforeach()
  list(REMOVE_DUPLICATES paths)
  foreach(path IN LISTS paths)
    math(EXPR checked "${checked} + 1")
    if(path MATCHES "[*]")
      file(GLOB found ${path})
    elseif(EXISTS ${path} OR EXISTS ${path}.cc)  # bench/launch_bench: the program.
      set(found yes)
    elseif(path MATCHES "[.]pb[.]h$")  # protoc's, from the .proto beside it.
      string(REGEX REPLACE "[.]pb[.]h$" ".proto" proto "${path}")
      set(found "")
      if(EXISTS ${proto})
        set(found yes)
      endif()
    else()
      set(found "")
    endif()
    if(NOT found)
      file(RELATIVE_PATH shown ${SOURCE_DIR} ${path})
      string(APPEND problems "${doc}: names `${shown}`, which is not in the tree\n")
    endif()
  endforeach()
endforeach()
if(problems)
  message(FATAL_ERROR "${problems}")
endif()
if(checked EQUAL 0)
  message(FATAL_ERROR "no path found in ${DOCS}")
endif()
message(STATUS "${checked} paths named in the docs, all in the tree")
