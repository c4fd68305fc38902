#include "host/exit_info_status.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/cord.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace bulkhead {
namespace {

// One field a line, "name=value", the value C-escaped (so that it holds no
// newline); list fields repeat their name.
void Put(std::string& out, absl::string_view name, absl::string_view value) {
  absl::StrAppend(&out, name, "=", absl::CEscape(value), "\n");
}

std::optional<ExitKind> KindNamed(absl::string_view name) {
  for (int kind = static_cast<int>(ExitKind::kNormalExit);
       kind <= static_cast<int>(ExitKind::kStoppedByHost); ++kind) {
    if (name == ExitKindName(static_cast<ExitKind>(kind))) {
      return static_cast<ExitKind>(kind);
    }
  }
  return std::nullopt;
}

}  // namespace

absl::Status AttachExitInfo(absl::Status status, const ExitInfo& exit) {
  if (status.ok()) return status;
  std::string text;
  Put(text, "kind", ExitKindName(exit.kind));
  Put(text, "exit_code", absl::StrCat(exit.exit_code));
  Put(text, "signal", absl::StrCat(exit.signal));
  Put(text, "core_dumped", exit.core_dumped ? "1" : "0");
  Put(text, "exception_status", absl::StrCat(exit.exception_status));
  Put(text, "syscall", exit.syscall);
  if (!exit.launch_status.ok()) {
    Put(text, "launch_code",
        absl::StrCat(static_cast<int>(exit.launch_status.code())));
    Put(text, "launch_message", exit.launch_status.message());
  }
  Put(text, "detail", exit.detail);
  Put(text, "pid", absl::StrCat(exit.pid));
  Put(text, "role", exit.role);
  Put(text, "helper_id", absl::StrCat(exit.helper_id));
  Put(text, "uptime_ns", absl::StrCat(absl::ToInt64Nanoseconds(exit.uptime)));
  for (const std::string& line : exit.last_stderr_lines) {
    Put(text, "stderr", line);
  }
  for (const std::string& frame : exit.stack_trace) Put(text, "frame", frame);
  status.SetPayload(kExitInfoPayloadUrl, absl::Cord(std::move(text)));
  return status;
}

std::optional<ExitInfo> ExitInfoFromStatus(const absl::Status& status) {
  auto payload = status.GetPayload(kExitInfoPayloadUrl);
  if (!payload.has_value()) return std::nullopt;
  ExitInfo exit;
  int launch_code = 0;
  std::string launch_message;
  for (absl::string_view line :
       absl::StrSplit(std::string(*payload), '\n', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> field =
        absl::StrSplit(line, absl::MaxSplits('=', 1));
    std::string value;
    if (!absl::CUnescape(field.second, &value)) return std::nullopt;
    const absl::string_view name = field.first;
    int64_t number = 0;
    const bool numeric = absl::SimpleAtoi(value, &number);
    if (name == "kind") {
      std::optional<ExitKind> kind = KindNamed(value);
      if (!kind.has_value()) return std::nullopt;
      exit.kind = *kind;
    } else if (name == "exit_code" && numeric) {
      exit.exit_code = number;
    } else if (name == "signal" && numeric) {
      exit.signal = static_cast<int>(number);
    } else if (name == "core_dumped") {
      exit.core_dumped = value == "1";
    } else if (name == "exception_status" && numeric) {
      exit.exception_status = static_cast<uint32_t>(number);
    } else if (name == "syscall") {
      exit.syscall = std::move(value);
    } else if (name == "launch_code" && numeric) {
      launch_code = static_cast<int>(number);
    } else if (name == "launch_message") {
      launch_message = std::move(value);
    } else if (name == "detail") {
      exit.detail = std::move(value);
    } else if (name == "pid" && numeric) {
      exit.pid = number;
    } else if (name == "role") {
      exit.role = std::move(value);
    } else if (name == "helper_id" && numeric) {
      exit.helper_id = static_cast<uint64_t>(number);
    } else if (name == "uptime_ns" && numeric) {
      exit.uptime = absl::Nanoseconds(number);
    } else if (name == "stderr") {
      exit.last_stderr_lines.push_back(std::move(value));
    } else if (name == "frame") {
      exit.stack_trace.push_back(std::move(value));
    }
  }
  if (launch_code != 0) {
    exit.launch_status = absl::Status(
        static_cast<absl::StatusCode>(launch_code), launch_message);
  }
  return exit;
}

}  // namespace bulkhead
