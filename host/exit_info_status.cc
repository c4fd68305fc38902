#include "host/exit_info_status.h"

#include <string>
#include <utility>

#include "absl/strings/cord.h"
#include "host/exit_info_record.h"

namespace bulkhead {

absl::Status AttachExitInfo(absl::Status status, const ExitInfo& exit) {
  if (status.ok()) return status;
  status.SetPayload(kExitInfoTypeUrl,
                    absl::Cord(ExitInfoToRecord(exit).SerializeAsString()));
  return status;
}

std::optional<ExitInfo> ExitInfoFromStatus(const absl::Status& status) {
  auto payload = status.GetPayload(kExitInfoTypeUrl);  // absl::optional.
  if (!payload.has_value()) return std::nullopt;
  ipc::ExitInfoRecord record;
  if (!record.ParseFromString(std::string(*payload))) return std::nullopt;
  absl::StatusOr<ExitInfo> exit = ExitInfoFromRecord(record);
  if (!exit.ok()) return std::nullopt;
  return *std::move(exit);
}

}  // namespace bulkhead
