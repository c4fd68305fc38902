#include "host/repro.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "bulkhead/version.h"
#include "common/os_error.h"
#include "common/status_macros.h"
#include "common/utf8.h"
#include "helper/role_registry.h"
#include "host/exit_info_record.h"
#include "ipc/proto/repro.pb.h"

namespace bulkhead {
namespace {

// A file that does not start so is not a repro (and no protobuf parse of it
// is attempted).
constexpr absl::string_view kMagic = "BHREPRO\n";
constexpr size_t kMaxTypeNameBytes = 512;
constexpr size_t kMaxVersionBytes = 64;
// Year 10000, in milliseconds since the epoch: later times are garbage.
constexpr int64_t kMaxUnixMs = 253402300800000;

// A protobuf full name: dot-separated identifiers.
absl::Status CheckTypeName(absl::string_view name) {
  if (name.empty() || name.size() > kMaxTypeNameBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the request's type name must be 1 to ", kMaxTypeNameBytes, " bytes"));
  }
  bool at_start = true;
  for (char c : name) {
    const bool letter =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    if (c == '.' && !at_start) {
      at_start = true;
      continue;
    }
    if (!letter && !(digit && !at_start)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "'", ValidUtf8(name.substr(0, 80)), "' is not a message type name"));
    }
    at_start = false;
  }
  if (at_start) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", ValidUtf8(name.substr(0, 80)), "' is not a message type name"));
  }
  return absl::OkStatus();
}

absl::Status CheckRequestSize(size_t size, size_t max_request_bytes) {
  if (size > max_request_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("the request is ", size, " bytes; a repro keeps at most ",
                     max_request_bytes));
  }
  return absl::OkStatus();
}

absl::Status CheckLine(absl::string_view field, absl::string_view line) {
  if (line.size() > kMaxReproLineBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, " is ", line.size(), " bytes; at most ", kMaxReproLineBytes));
  }
  return absl::OkStatus();
}

template <typename Lines>
absl::Status CheckLines(absl::string_view field, const Lines& lines) {
  if (static_cast<size_t>(lines.size()) > kMaxReproLines) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, " has ", lines.size(), " lines; at most ", kMaxReproLines));
  }
  for (const auto& line : lines) BH_RETURN_IF_ERROR(CheckLine(field, line));
  return absl::OkStatus();
}

// Every rule a repro obeys, whoever made it.
absl::Status CheckRepro(const Repro& repro, size_t max_request_bytes) {
  if (absl::Status role = RoleRegistry::ValidateName(repro.role); !role.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad role: ", role.message()));
  }
  BH_RETURN_IF_ERROR(CheckTypeName(repro.request_type));
  BH_RETURN_IF_ERROR(CheckRequestSize(repro.request.size(), max_request_bytes));
  const ExitInfo& exit = repro.exit;
  if (exit.signal < 0 || exit.signal > 1024) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad signal number ", exit.signal));
  }
  if (exit.pid < 0) return absl::InvalidArgumentError("negative pid");
  if (exit.uptime < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("negative uptime");
  }
  BH_RETURN_IF_ERROR(CheckLine("the syscall", exit.syscall));
  BH_RETURN_IF_ERROR(CheckLine("the detail", exit.detail));
  BH_RETURN_IF_ERROR(
      CheckLine("the launch status", exit.launch_status.message()));
  BH_RETURN_IF_ERROR(CheckLines("the stack trace", exit.stack_trace));
  BH_RETURN_IF_ERROR(CheckLines("the stderr lines", exit.last_stderr_lines));
  if (repro.bulkhead_version.size() > kMaxVersionBytes) {
    return absl::InvalidArgumentError("the version string is too long");
  }
  const int64_t made_ms = absl::ToUnixMillis(repro.made);
  if (made_ms < 0 || made_ms > kMaxUnixMs) {
    return absl::InvalidArgumentError("the time it was made is out of range");
  }
  return absl::OkStatus();
}

std::string Cut(absl::string_view text) {
  return std::string(text.substr(0, kMaxReproLineBytes));
}

absl::Status FilesystemErrorToStatus(const std::error_code& error,
                                     absl::string_view what) {
  const std::error_condition condition = error.default_error_condition();
  if (condition.category() == std::generic_category()) {
    return PosixErrorToStatus(condition.value(), what);
  }
  return absl::UnknownError(absl::StrCat(what, ": ", error.message()));
}

}  // namespace

absl::StatusOr<ExitKind> ExitKindFromName(absl::string_view name) {
  for (int i = 0; i <= static_cast<int>(kLastExitKind); ++i) {
    const ExitKind kind = static_cast<ExitKind>(i);
    if (name == ExitKindName(kind)) return kind;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "'", ValidUtf8(name.substr(0, 80)), "' is not an exit kind"));
}

absl::StatusOr<Repro> MakeReproFromBytes(absl::string_view role,
                                         absl::string_view request_type,
                                         absl::string_view request,
                                         const ExitInfo& exit,
                                         size_t max_request_bytes) {
  // Checked before anything is copied: a pool keeps no big request for a
  // repro it cannot make.
  BH_RETURN_IF_ERROR(CheckRequestSize(request.size(), max_request_bytes));
  Repro repro;
  repro.role = std::string(role);
  repro.request_type = std::string(request_type);
  repro.request = std::string(request);
  repro.exit.kind = exit.kind;
  repro.exit.exit_code = exit.exit_code;
  repro.exit.signal = exit.signal;
  repro.exit.core_dumped = exit.core_dumped;
  repro.exit.exception_status = exit.exception_status;
  repro.exit.syscall = Cut(exit.syscall);
  if (!exit.launch_status.ok()) {
    repro.exit.launch_status = absl::Status(exit.launch_status.code(),
                                            Cut(exit.launch_status.message()));
  }
  repro.exit.detail = Cut(exit.detail);
  repro.exit.pid = exit.pid;
  repro.exit.role = repro.role;
  repro.exit.helper_id = exit.helper_id;
  repro.exit.uptime = std::max(exit.uptime, absl::ZeroDuration());
  repro.exit.was_ready = exit.was_ready;
  // The stack's first frames (where it crashed), stderr's last lines.
  for (size_t i = 0; i < exit.stack_trace.size() && i < kMaxReproLines; ++i) {
    repro.exit.stack_trace.push_back(Cut(exit.stack_trace[i]));
  }
  const size_t lines = exit.last_stderr_lines.size();
  for (size_t i = lines > kMaxReproLines ? lines - kMaxReproLines : 0;
       i < lines; ++i) {
    repro.exit.last_stderr_lines.push_back(Cut(exit.last_stderr_lines[i]));
  }
  repro.made = absl::Now();
  repro.bulkhead_version = BULKHEAD_VERSION_STRING;
  BH_RETURN_IF_ERROR(CheckRepro(repro, max_request_bytes));
  return repro;
}

absl::StatusOr<Repro> MakeRepro(absl::string_view role,
                                const google::protobuf::Message& request,
                                const ExitInfo& exit,
                                size_t max_request_bytes) {
  const size_t size = request.ByteSizeLong();
  BH_RETURN_IF_ERROR(CheckRequestSize(size, max_request_bytes));
  std::string bytes;
  if (!request.SerializeToString(&bytes)) {
    return absl::InvalidArgumentError(
        absl::StrCat("the request (", request.GetTypeName(),
                     ") does not serialize: required fields are missing"));
  }
  return MakeReproFromBytes(role, request.GetDescriptor()->full_name(), bytes,
                            exit, max_request_bytes);
}

absl::StatusOr<std::string> SerializeRepro(const Repro& repro,
                                           size_t max_request_bytes) {
  BH_RETURN_IF_ERROR(CheckRepro(repro, max_request_bytes));
  ipc::Repro wire;
  wire.set_format_version(kReproFormatVersion);
  wire.set_role(repro.role);
  wire.set_request_type(repro.request_type);
  wire.set_request(repro.request);
  wire.set_made_unix_ms(absl::ToUnixMillis(repro.made));
  wire.set_bulkhead_version(repro.bulkhead_version);
  *wire.mutable_exit_info() = ExitInfoToRecord(repro.exit);
  std::string record;
  if (!wire.SerializeToString(&record)) {
    return absl::InternalError("the repro does not serialize");
  }
  std::string bytes(kMagic);
  const uint32_t size = static_cast<uint32_t>(record.size());
  for (int shift = 0; shift < 32; shift += 8) {
    bytes.push_back(static_cast<char>((size >> shift) & 0xff));
  }
  bytes += record;
  return bytes;
}

absl::StatusOr<Repro> ParseRepro(absl::string_view bytes,
                                 size_t max_request_bytes) {
  if (bytes.size() > MaxReproFileBytes(max_request_bytes)) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "a repro file is at most ", MaxReproFileBytes(max_request_bytes),
        " bytes; this is ", bytes.size()));
  }
  if (bytes.substr(0, kMagic.size()) != kMagic) {
    return absl::InvalidArgumentError(
        "not a repro file (it does not start with \"BHREPRO\")");
  }
  bytes.remove_prefix(kMagic.size());
  // The record's size: a file cut short (at a field boundary, where protobuf
  // would parse what is left) is told from a whole one.
  if (bytes.size() < 4) {
    return absl::InvalidArgumentError("a truncated repro file");
  }
  uint32_t size = 0;
  for (int i = 3; i >= 0; --i) {
    size = (size << 8) | static_cast<unsigned char>(bytes[i]);
  }
  bytes.remove_prefix(4);
  if (bytes.size() != size) {
    return absl::InvalidArgumentError(absl::StrCat(
        bytes.size() < size ? "a truncated repro file: "
                            : "a damaged repro file: ",
        "its record is ", bytes.size(), " bytes; its header says ", size));
  }
  ipc::Repro wire;
  if (!wire.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InvalidArgumentError(
        "a damaged repro file: its record does not parse");
  }
  if (wire.format_version() != kReproFormatVersion) {
    // Who wrote it, when the field says (bounded, and made printable).
    std::string writer;
    if (!wire.bulkhead_version().empty() &&
        wire.bulkhead_version().size() <= kMaxVersionBytes) {
      writer = absl::StrCat(" (written by Bulkhead ",
                            ValidUtf8(wire.bulkhead_version()), ")");
    }
    return absl::UnimplementedError(
        absl::StrCat("repro format version ", wire.format_version(), writer,
                     "; this build reads version ", kReproFormatVersion,
                     " only: make the repro again with this build"));
  }
  Repro repro;
  repro.role = wire.role();
  repro.request_type = wire.request_type();
  repro.request = wire.request();
  repro.bulkhead_version = wire.bulkhead_version();
  if (wire.made_unix_ms() < 0 || wire.made_unix_ms() > kMaxUnixMs) {
    return absl::InvalidArgumentError("the time it was made is out of range");
  }
  repro.made = absl::FromUnixMillis(wire.made_unix_ms());
  const ipc::ExitInfoRecord& exit = wire.exit_info();
  // Counted before anything is copied.
  BH_RETURN_IF_ERROR(CheckLines("the stack trace", exit.stack_trace()));
  BH_RETURN_IF_ERROR(CheckLines("the stderr lines", exit.last_stderr_lines()));
  absl::StatusOr<ExitInfo> read = ExitInfoFromRecord(exit);
  if (!read.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("a damaged repro file: ", read.status().message()));
  }
  repro.exit = *std::move(read);
  // The role is the repro's (CheckRepro checks its name).
  repro.exit.role = repro.role;
  BH_RETURN_IF_ERROR(CheckRepro(repro, max_request_bytes));
  return repro;
}

absl::StatusOr<Repro> ReadRepro(const std::string& path,
                                size_t max_request_bytes) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": is a directory, not a repro file"));
  }
  // A FIFO or socket would be waited on (for a writer, a peer) for ever.
  if (const std::filesystem::file_status status =
          std::filesystem::status(path, error);
      std::filesystem::is_fifo(status) || std::filesystem::is_socket(status)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": is not a regular file, not a repro file"));
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return LastPosixErrorToStatus(absl::StrCat("open ", path));
  }
  // One byte past the cap tells a file over it (or an endless one, like
  // /dev/zero) from one just at it, without reading further.
  const size_t cap = MaxReproFileBytes(max_request_bytes);
  std::string bytes(cap + 1, '\0');
  file.read(bytes.data(), static_cast<std::streamsize>(cap + 1));
  if (file.bad()) return LastPosixErrorToStatus(absl::StrCat("read ", path));
  bytes.resize(static_cast<size_t>(file.gcount()));
  absl::StatusOr<Repro> repro = ParseRepro(bytes, max_request_bytes);
  if (!repro.ok()) {
    return absl::Status(repro.status().code(),
                        absl::StrCat(path, ": ", repro.status().message()));
  }
  return repro;
}

absl::Status WriteRepro(const std::string& path, const Repro& repro,
                        WriteReproOptions options) {
  BH_ASSIGN_OR_RETURN(const std::string bytes,
                      SerializeRepro(repro, options.max_request_bytes));
  absl::BitGen random;
  const std::string temp =
      absl::StrCat(path, ".tmp-", absl::Hex(absl::Uniform<uint64_t>(random)));
  // "x": never follows or truncates a file someone else put there.
  std::FILE* file = std::fopen(temp.c_str(), "wbx");
  if (file == nullptr) {
    return LastPosixErrorToStatus(absl::StrCat("create ", temp));
  }
  const bool written =
      std::fwrite(bytes.data(), 1, bytes.size(), file) == bytes.size();
  const int write_errno = errno;
  const bool closed = std::fclose(file) == 0;
  const int close_errno = errno;
  std::error_code ignored;
  if (!written || !closed) {
    std::filesystem::remove(temp, ignored);
    return PosixErrorToStatus(written ? close_errno : write_errno,
                              absl::StrCat("write ", temp));
  }
  std::error_code error;
  if (options.overwrite) {
    std::filesystem::rename(temp, path, error);
#if defined(_WIN32)
    // MinGW's rename does not replace an existing file: remove it first
    // (not atomic there; a reader may see no file for a moment).
    if (error) {
      std::error_code removed;
      std::filesystem::remove(path, removed);
      error.clear();
      std::filesystem::rename(temp, path, error);
    }
#endif
  } else {
    // A link fails when the path exists, in one step: no window in which
    // another writer's file is replaced.
    std::filesystem::create_hard_link(temp, path, error);
  }
  std::filesystem::remove(temp, ignored);
  if (error) {
    if (error == std::errc::file_exists) {
      return absl::AlreadyExistsError(
          absl::StrCat(path, ": a file is there already (not overwritten)"));
    }
    return FilesystemErrorToStatus(error, absl::StrCat("write ", path));
  }
  return absl::OkStatus();
}

}  // namespace bulkhead
