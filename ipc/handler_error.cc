#include "ipc/handler_error.h"

#include "absl/strings/cord.h"

namespace bulkhead::ipc {

absl::Status MarkHandlerError(absl::Status status) {
  if (!status.ok()) status.SetPayload(kHandlerErrorTypeUrl, absl::Cord());
  return status;
}

bool IsHandlerError(const absl::Status& status) {
  return !status.ok() && status.GetPayload(kHandlerErrorTypeUrl).has_value();
}

}  // namespace bulkhead::ipc
