# cmake -DHEADER=<file.pb.h> -P BulkheadProtoExport.cmake: makes a header that protoc generated
# with `dllexport_decl=BULKHEAD_EXPORT` include the macro's definition, at protoc's own
# insertion point for includes.
if(NOT HEADER)
  message(FATAL_ERROR "HEADER is not set")
endif()
set(marker "// @@protoc_insertion_point(includes)")
file(READ "${HEADER}" text)
string(FIND "${text}" "${marker}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "${HEADER}: no '${marker}'")
endif()
string(REPLACE "${marker}" "#include \"bulkhead/export.h\"\n${marker}" text "${text}")
file(WRITE "${HEADER}" "${text}")
