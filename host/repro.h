// The input that killed a helper, kept as a small file: a repro names the
// role, the request's message type and bytes, and how the helper died
// (ExitInfo), so that the request can be handed to whoever debugs the role
// and fed again to a fresh helper (host/replay.h, `browser_host replay FILE`).
//
//   // A helper of `role` died with `request` in flight, as `exit` says:
//   absl::StatusOr<bulkhead::Repro> repro =
//       bulkhead::MakeRepro("decoder", request, exit);
//   if (repro.ok()) status = bulkhead::WriteRepro("poison.repro", *repro);
//   ...
//   absl::StatusOr<bulkhead::Repro> read = bulkhead::ReadRepro("poison.repro");
//
// The file is "BHREPRO\n", the record's size (4 bytes, little-endian) and
// the record, one serialized `bulkhead.ipc.Repro` (ipc/proto/repro.proto):
// at most MaxReproFileBytes in all. Whoever keeps requests
// in flight (a pool of helpers, an app's own dispatcher) calls MakeRepro when
// the helper that held one dies; nothing here keeps requests by itself
// (HelperPool does, with Options::repro_dir).
//
// Pure functions and file I/O, no loop: any thread.
#ifndef BULKHEAD_HOST_REPRO_H_
#define BULKHEAD_HOST_REPRO_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "bulkhead/export.h"
#include "google/protobuf/message.h"
#include "host/exit_info.h"

namespace bulkhead {

// The format this build writes, and the only one it reads. 2: the exit is an
// ipc::ExitInfoRecord, the record a failed task's status carries; version 1
// files (Bulkhead 0.2.0 before that) are refused (Unimplemented, saying so).
inline constexpr uint32_t kReproFormatVersion = 2;
// A request larger than this is not kept (MakeRepro) nor read (ReadRepro)
// unless the caller raises the cap.
inline constexpr size_t kDefaultMaxReproRequestBytes = size_t{1} << 20;
// What a repro holds besides its request, at most: the ExitInfo's strings
// (detail, syscall, launch status, stack, stderr lines), each capped below.
inline constexpr size_t kMaxReproOverheadBytes = 320 * 1024;
// Each of `exit.stack_trace` and `exit.last_stderr_lines` is cut to this many
// lines, and each line (and `exit.detail`, `exit.syscall` and the message of
// `exit.launch_status`) to kMaxReproLineBytes, by MakeRepro; ReadRepro
// refuses more.
inline constexpr size_t kMaxReproLines = 256;
inline constexpr size_t kMaxReproLineBytes = 512;
// The size of the largest file ReadRepro reads, for a request cap `max`.
constexpr size_t MaxReproFileBytes(size_t max_request_bytes) {
  return max_request_bytes + kMaxReproOverheadBytes;
}

struct BULKHEAD_EXPORT Repro {
  // The role of the helper that died (RoleRegistry::ValidateName holds).
  std::string role;
  // The request's full message type name, e.g. "bulkhead.roles.
  // LayoutTextRequest": the type the role serves (the channel dispatches
  // by it).
  std::string request_type;
  // The request, serialized.
  std::string request;
  // How the helper died: every field of ExitInfo, `exit.role` being `role`.
  ExitInfo exit;
  // When the repro was made, and by which bulkhead version.
  absl::Time made;
  std::string bulkhead_version;
};

// A repro of `request`, sent to a helper of `role` that ended as `exit`;
// `made` is now and the version this build's. The ExitInfo's strings are cut
// to the caps above (the stack keeps its first frames). InvalidArgument for a
// bad role name; ResourceExhausted when the serialized request is over
// `max_request_bytes` (then nothing is kept: a caller that wants the repro
// anyway raises the cap).
BULKHEAD_EXPORT absl::StatusOr<Repro> MakeRepro(
    absl::string_view role, const google::protobuf::Message& request,
    const ExitInfo& exit,
    size_t max_request_bytes = kDefaultMaxReproRequestBytes);
// The same for a request the caller kept serialized, as `request_type`.
// InvalidArgument also for a type name that is not a protobuf full name.
BULKHEAD_EXPORT absl::StatusOr<Repro> MakeReproFromBytes(
    absl::string_view role, absl::string_view request_type,
    absl::string_view request, const ExitInfo& exit,
    size_t max_request_bytes = kDefaultMaxReproRequestBytes);

struct WriteReproOptions {
  // Replace a file already at the path (atomically). False: AlreadyExists.
  bool overwrite = false;
  size_t max_request_bytes = kDefaultMaxReproRequestBytes;
};

// Writes `repro` to `path`: to a new file beside it first, which then takes
// the path in one step (a hard link, or a rename when overwriting), so that
// readers never see half a repro. Errors: AlreadyExists (a file is there and
// `overwrite` is off), the OS's (PermissionDenied, NotFound for a missing
// directory, ...) naming the path, InvalidArgument or ResourceExhausted for a
// repro that ReadRepro would refuse. A failed write leaves nothing behind.
BULKHEAD_EXPORT absl::Status WriteRepro(const std::string& path,
                                        const Repro& repro,
                                        WriteReproOptions options = {});

// Reads the repro at `path`. The file is untrusted: at most
// MaxReproFileBytes(max_request_bytes) bytes are read, and every field is
// checked (ParseRepro). Errors: the OS's naming the path (NotFound, ...),
// InvalidArgument for a directory, a FIFO or a socket (never waited on),
// anything not a repro or a bad field,
// ResourceExhausted for a file over the cap, Unimplemented for another
// format version.
BULKHEAD_EXPORT absl::StatusOr<Repro> ReadRepro(
    const std::string& path,
    size_t max_request_bytes = kDefaultMaxReproRequestBytes);

// The file's bytes to a repro and back (what ReadRepro and WriteRepro do
// besides I/O). ParseRepro's errors are ReadRepro's without the OS's.
BULKHEAD_EXPORT absl::StatusOr<Repro> ParseRepro(
    absl::string_view bytes,
    size_t max_request_bytes = kDefaultMaxReproRequestBytes);
BULKHEAD_EXPORT absl::StatusOr<std::string> SerializeRepro(
    const Repro& repro,
    size_t max_request_bytes = kDefaultMaxReproRequestBytes);

// The kind of `name` ("crashed"), the inverse of ExitKindName.
BULKHEAD_EXPORT absl::StatusOr<ExitKind> ExitKindFromName(
    absl::string_view name);

}  // namespace bulkhead

#endif  // BULKHEAD_HOST_REPRO_H_
