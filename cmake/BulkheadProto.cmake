# bulkhead_generate_protos(<target> <file.proto>...): compiles .proto files (paths relative to
# the current source dir) with protoc into the build tree, keeping their path from the project
# root, so `ipc/proto/envelope.proto` is included as "ipc/proto/envelope.pb.h". The generated
# sources are added to <target>.
#
# Written out instead of using FindProtobuf's `protobuf_generate`, whose output paths in CMake
# 3.25 are relative to the current folder rather than to the import root.
set(_bulkhead_proto_export_script ${CMAKE_CURRENT_LIST_DIR}/BulkheadProtoExport.cmake)

function(bulkhead_generate_protos target)
  set(well_known_dir "${Protobuf_INCLUDE_DIR}")
  if(NOT well_known_dir AND TARGET protobuf::libprotobuf)
    get_target_property(well_known_dir protobuf::libprotobuf INTERFACE_INCLUDE_DIRECTORIES)
  endif()
  set(include_args -I "${PROJECT_SOURCE_DIR}")
  foreach(dir IN LISTS well_known_dir)
    if(dir AND NOT dir MATCHES "^\\$<")
      list(APPEND include_args -I "${dir}")
    endif()
  endforeach()

  foreach(proto IN LISTS ARGN)
    get_filename_component(abs "${proto}" ABSOLUTE)
    file(RELATIVE_PATH rel "${PROJECT_SOURCE_DIR}" "${abs}")
    string(REGEX REPLACE "\\.proto$" "" stem "${rel}")
    set(out_h "${PROJECT_BINARY_DIR}/${stem}.pb.h")
    set(out_cc "${PROJECT_BINARY_DIR}/${stem}.pb.cc")
    # The message classes are exported from a shared library (BULKHEAD_EXPORT, which the
    # generated header then includes from "bulkhead/export.h").
    add_custom_command(
      OUTPUT "${out_h}" "${out_cc}"
      COMMAND protobuf::protoc ${include_args}
              --cpp_out=dllexport_decl=BULKHEAD_EXPORT:${PROJECT_BINARY_DIR} "${abs}"
      COMMAND ${CMAKE_COMMAND} -DHEADER=${out_h} -P ${_bulkhead_proto_export_script}
      DEPENDS "${abs}" protobuf::protoc ${_bulkhead_proto_export_script}
      COMMENT "protoc ${rel}"
      VERBATIM)
    target_sources(${target} PRIVATE "${out_h}" "${out_cc}")
    # Generated code is not ours to warn about.
    set_source_files_properties("${out_cc}" PROPERTIES COMPILE_OPTIONS "-w")
  endforeach()
endfunction()
