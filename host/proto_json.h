// Bulkhead's JSON formats (the trace file, host/trace_recorder.h; and
// browser_host's `--json-events` and `crash-test --json`) are protobuf
// messages (ipc/proto/trace_event.proto, browser_host/proto/*.proto, whose
// comments document each format) written by protobuf's JSON printer, so that
// a format and its schema cannot drift apart: the tests parse the output back
// into the schema. Internal: not installed.
//
// How every format is printed:
//  - JSON names are the .proto field names, exactly.
//  - Fields without presence are always written (0, "", false, []); proto3
//    `optional` fields and message fields only when set. (The printer writes
//    the latter after the former, each group in field-number order.)
//  - google.protobuf.Struct keys are written sorted.
//  - On one line.
// Text a helper controls may hold any bytes: pass every string through
// ValidUtf8 (common/utf8.h) before it goes into a message (the printer would
// drop bytes that are not UTF-8, and protobuf logs an error for each such
// field).
#ifndef BULKHEAD_HOST_PROTO_JSON_H_
#define BULKHEAD_HOST_PROTO_JSON_H_

#include <string>

#include "absl/status/statusor.h"
#include "common/utf8.h"
#include "google/protobuf/message.h"

namespace bulkhead {

// `message` as JSON, as described above. Errors (Internal): the printer
// failed, which for this app's messages is a bug.
absl::StatusOr<std::string> PrintJson(const google::protobuf::Message& message);

}  // namespace bulkhead

#endif  // BULKHEAD_HOST_PROTO_JSON_H_
