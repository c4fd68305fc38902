# bulkhead_embed_text(<target> <input> <function>): compiles the text file <input> (relative to
# the current source dir) into <target> as `absl::string_view bulkhead::<function>()`, so that a
# file such as a default config ships inside the executable byte for byte. The .cc is generated
# at build time and regenerated when <input> changes.
#
# Script mode (what the build runs):
#   cmake -DINPUT=<file> -DOUTPUT=<file.cc> -DFUNCTION=<name> -P BulkheadEmbedText.cmake
if(CMAKE_SCRIPT_MODE_FILE)
  file(READ "${INPUT}" content)
  set(delimiter "bulkhead_embed")
  if(content MATCHES "\\)${delimiter}\"")
    message(FATAL_ERROR "${INPUT} contains the raw-string delimiter )${delimiter}\"")
  endif()
  file(WRITE "${OUTPUT}"
    "// Generated from ${INPUT} by BulkheadEmbedText.cmake: do not edit.\n"
    "#include \"absl/strings/string_view.h\"\n\n"
    "namespace bulkhead {\n\n"
    "absl::string_view ${FUNCTION}() {\n"
    "  static constexpr char kText[] = R\"${delimiter}(${content})${delimiter}\";\n"
    "  return absl::string_view(kText, sizeof(kText) - 1);\n"
    "}\n\n"
    "}  // namespace bulkhead\n")
  return()
endif()

set(_bulkhead_embed_text_script "${CMAKE_CURRENT_LIST_FILE}")

function(bulkhead_embed_text target input function)
  get_filename_component(abs "${input}" ABSOLUTE)
  file(RELATIVE_PATH rel "${PROJECT_SOURCE_DIR}" "${abs}")
  set(out "${PROJECT_BINARY_DIR}/${rel}.cc")
  add_custom_command(
    OUTPUT "${out}"
    COMMAND ${CMAKE_COMMAND} -DINPUT=${abs} -DOUTPUT=${out} -DFUNCTION=${function}
            -P "${_bulkhead_embed_text_script}"
    DEPENDS "${abs}" "${_bulkhead_embed_text_script}"
    COMMENT "embedding ${rel}"
    VERBATIM)
  target_sources(${target} PRIVATE "${out}")
endfunction()
