#include "host/exit_info_record.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "common/utf8.h"

namespace bulkhead {

ipc::ExitInfoRecord ExitInfoToRecord(const ExitInfo& exit) {
  ipc::ExitInfoRecord record;
  record.set_kind(static_cast<int32_t>(exit.kind));
  record.set_kind_name(ExitKindName(exit.kind));
  record.set_exit_code(exit.exit_code);
  record.set_signal(exit.signal);
  record.set_core_dumped(exit.core_dumped);
  record.set_exception_status(exit.exception_status);
  record.set_syscall(exit.syscall);
  record.set_launch_status_code(
      static_cast<int32_t>(exit.launch_status.code()));
  record.set_launch_status_message(std::string(exit.launch_status.message()));
  record.set_detail(exit.detail);
  record.set_pid(exit.pid);
  record.set_role(exit.role);
  record.set_helper_id(exit.helper_id);
  record.set_uptime_ns(absl::ToInt64Nanoseconds(exit.uptime));
  for (const std::string& line : exit.last_stderr_lines) {
    record.add_last_stderr_lines(line);
  }
  for (const std::string& frame : exit.stack_trace) {
    record.add_stack_trace(frame);
  }
  record.set_was_ready(exit.was_ready);
  return record;
}

absl::StatusOr<ExitInfo> ExitInfoFromRecord(const ipc::ExitInfoRecord& record) {
  if (record.kind() < 0 ||
      record.kind() > static_cast<int32_t>(kLastExitKind)) {
    return absl::InvalidArgumentError(
        absl::StrCat("exit kind ", record.kind(), " is not an exit kind"));
  }
  ExitInfo exit;
  exit.kind = static_cast<ExitKind>(record.kind());
  // The name is there for whoever reads the bytes; a writer whose kinds were
  // numbered otherwise is caught here.
  if (!record.kind_name().empty() &&
      record.kind_name() != ExitKindName(exit.kind)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "exit kind ", record.kind(), " is named '",
        ValidUtf8(absl::string_view(record.kind_name()).substr(0, 80)),
        "' in the record, not '", ExitKindName(exit.kind), "'"));
  }
  // absl::StatusCode runs from 0 (kOk) to 16 (kUnauthenticated).
  if (record.launch_status_code() < 0 ||
      record.launch_status_code() >
          static_cast<int32_t>(absl::StatusCode::kUnauthenticated)) {
    return absl::InvalidArgumentError(absl::StrCat("launch status code ",
                                                   record.launch_status_code(),
                                                   " is not a status code"));
  }
  exit.exit_code = record.exit_code();
  exit.signal = record.signal();
  exit.core_dumped = record.core_dumped();
  exit.exception_status = record.exception_status();
  exit.syscall = record.syscall();
  if (record.launch_status_code() != 0) {
    exit.launch_status =
        absl::Status(static_cast<absl::StatusCode>(record.launch_status_code()),
                     record.launch_status_message());
  }
  exit.detail = record.detail();
  exit.pid = record.pid();
  exit.role = record.role();
  exit.helper_id = record.helper_id();
  exit.uptime = absl::Nanoseconds(record.uptime_ns());
  exit.last_stderr_lines.assign(record.last_stderr_lines().begin(),
                                record.last_stderr_lines().end());
  exit.stack_trace.assign(record.stack_trace().begin(),
                          record.stack_trace().end());
  exit.was_ready = record.was_ready();
  return exit;
}

}  // namespace bulkhead
