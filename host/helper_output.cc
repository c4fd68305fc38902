#include "host/helper_output.h"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "host/launch/launcher.h"
#include "host/symbolizer.h"
#include "ipc/crash_record.h"
#include "sandbox/syscall_table.h"

namespace bulkhead {

HelperOutput::HelperOutput(uv_loop_t* loop, bool forward,
                           std::string executable)
    : stdout_(loop, forward ? &OutputWriter::Stdout() : nullptr),
      stderr_(loop, forward ? &OutputWriter::Stderr() : nullptr),
      crash_pipe_(loop),
      executable_(std::move(executable)) {}

absl::Status HelperOutput::Start(const std::string& prefix,
                                 std::function<void()> on_eof) {
  absl::Status reading = stdout_.Start(prefix, on_eof);
  if (reading.ok()) reading = stderr_.Start(prefix, on_eof);
  if (reading.ok()) {
    reading = crash_pipe_.Start(
        [this](absl::string_view bytes) {
          // A record is small; anything beyond one is a lie and is cut.
          const size_t room =
              ipc::kMaxCrashRecordBytes + 1 - crash_bytes_.size();
          crash_bytes_.append(bytes.data(), std::min(room, bytes.size()));
          SymbolizeCompleteRecord();
        },
        std::move(on_eof));
  }
  return reading;
}

bool HelperOutput::still_open() const {
  return stdout_.is_open() || stderr_.is_open() || crash_pipe_.is_open();
}

std::string HelperOutput::ViolatingSyscall() const {
  absl::StatusOr<ipc::CrashRecord> record = ipc::ParseCrashRecord(crash_bytes_);
  // Only a seccomp trap's record carries a system call.
  if (!record.ok() || record->syscall_number == 0) return "unknown";
  return sandbox::SyscallName(record->syscall_number);
}

void HelperOutput::SymbolizeCompleteRecord() {
  absl::StatusOr<ipc::CrashRecord> record = ipc::ParseCrashRecord(crash_bytes_);
  if (!record.ok()) return;  // Not all here yet (or a lie: see CrashStack).
  crash_stack_ = SymbolizeCrash(*record, IsHostExecutable(executable_));
  crash_stack_bytes_ = crash_bytes_.size();
}

std::vector<std::string> HelperOutput::CrashStack() {
  if (crash_bytes_.empty()) return {};
  // Named when it arrived, unless more bytes followed it.
  if (crash_stack_bytes_ == crash_bytes_.size()) {
    crash_stack_bytes_ = 0;
    return std::move(crash_stack_);
  }
  absl::StatusOr<ipc::CrashRecord> record = ipc::ParseCrashRecord(crash_bytes_);
  if (!record.ok()) {
    // The helper is not trusted, dying or not: report, never crash on it.
    return {absl::StrCat(
        "(unreadable crash record: ", record.status().message(), ")")};
  }
  return SymbolizeCrash(*record, IsHostExecutable(executable_));
}

}  // namespace bulkhead
