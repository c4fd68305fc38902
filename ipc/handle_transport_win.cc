// Windows: the host duplicates handles into and out of its helper (see the
// header). The end is the peer's process handle on the host, invalid in the
// helper.
// uv.h first: it includes winsock2.h, which must precede windows.h.
#include <uv.h>
#include <windows.h>

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "common/os_error.h"
#include "ipc/handle_transport.h"

namespace bulkhead::ipc {
namespace {

HANDLE AsHandle(uint64_t value) {
  return reinterpret_cast<HANDLE>(static_cast<uintptr_t>(value));
}

uint64_t AsValue(HANDLE handle) {
  return static_cast<uint64_t>(reinterpret_cast<uintptr_t>(handle));
}

// Null, and the pseudo-handles (-1 this process, -2 this thread, and the
// token pseudo-handles below them), which a peer must never name: duplicated
// from the peer they would give a handle to the peer itself.
bool IsRealHandleValue(uint64_t value) {
  return value != 0 && static_cast<int64_t>(value) > 0;
}

// Closes `value`, a handle in `process`, from here.
void CloseInProcess(HANDLE process, uint64_t value) {
  ::DuplicateHandle(process, AsHandle(value), nullptr, nullptr, 0, FALSE,
                    DUPLICATE_CLOSE_SOURCE);
}

}  // namespace

absl::StatusOr<HandlePair> HandleTransport::CreatePair() {
  HANDLE self = nullptr;
  if (!::DuplicateHandle(::GetCurrentProcess(), ::GetCurrentProcess(),
                         ::GetCurrentProcess(), &self, PROCESS_DUP_HANDLE,
                         FALSE, 0)) {
    return LastWinErrorToStatus("DuplicateHandle(this process)");
  }
  return HandlePair{ScopedHandle(self), ScopedHandle()};
}

absl::StatusOr<std::vector<uint64_t>> HandleTransport::Prepare(
    absl::Span<const ScopedHandle> handles) {
  if (absl::Status size = CheckBatchSize(handles.size()); !size.ok()) {
    return size;
  }
  // The broker puts copies into the peer; a brokered side makes copies here,
  // which the broker takes (closing them here) when it reads the frame.
  for (const ScopedHandle& handle : handles) {
    // A pseudo-handle (this thread, a token...) would give the peer a real,
    // full-access handle to something of ours.
    if (!IsRealHandleValue(AsValue(handle.get()))) {
      return absl::InvalidArgumentError("cannot send a null or pseudo-handle");
    }
  }
  const bool broker = end_.is_valid();
  HANDLE target = broker ? end_.get() : ::GetCurrentProcess();
  std::vector<uint64_t> values;
  values.reserve(handles.size());
  for (const ScopedHandle& handle : handles) {
    HANDLE copy = nullptr;
    if (!::DuplicateHandle(::GetCurrentProcess(), handle.get(), target, &copy,
                           0, FALSE, DUPLICATE_SAME_ACCESS)) {
      const absl::Status error = LastWinErrorToStatus("DuplicateHandle");
      Cancel(values);
      return error;
    }
    values.push_back(AsValue(copy));
  }
  return values;
}

absl::Status HandleTransport::Send(absl::Span<const ScopedHandle> handles) {
  // Prepare made the copies; the frame carries their values.
  return CheckBatchSize(handles.size());
}

void HandleTransport::Cancel(absl::Span<const uint64_t> values) {
  HANDLE holder = end_.is_valid() ? end_.get() : ::GetCurrentProcess();
  for (const uint64_t value : values) CloseInProcess(holder, value);
}

absl::StatusOr<std::vector<ScopedHandle>> HandleTransport::Receive(
    size_t count, absl::Span<const uint64_t> values) {
  // Where the batch's handles are: in the peer for a broker, here otherwise.
  const bool broker = end_.is_valid();
  HANDLE holder = broker ? end_.get() : ::GetCurrentProcess();
  if (values.size() != count) {
    // What did come is closed where it is, lest it leak there.
    for (const uint64_t value : values) {
      if (IsRealHandleValue(value)) CloseInProcess(holder, value);
    }
    if (values.empty()) {
      return absl::DataLossError(absl::StrCat(
          "the frame announced ", count, " handle(s), but none came with it"));
    }
    return absl::DataLossError(absl::StrCat("the frame announced ", count,
                                            " handle(s) but carried ",
                                            values.size(), " handle value(s)"));
  }
  std::vector<ScopedHandle> handles;
  handles.reserve(count);
  absl::Status failure;
  for (const uint64_t value : values) {
    if (!IsRealHandleValue(value)) {
      failure = absl::DataLossError(
          absl::StrCat("the peer sent ", value, ", which is not a handle"));
      continue;
    }
    if (!broker) {
      // The host duplicated it into this process: it is ours already.
      handles.emplace_back(AsHandle(value));
      continue;
    }
    // Take it out of the peer, closing it there; a value the peer does not
    // hold fails here and gives nothing.
    HANDLE local = nullptr;
    if (!::DuplicateHandle(holder, AsHandle(value), ::GetCurrentProcess(),
                           &local, 0, FALSE,
                           DUPLICATE_SAME_ACCESS | DUPLICATE_CLOSE_SOURCE)) {
      failure = absl::DataLossError(absl::StrCat(
          "the peer sent handle value ", value, ", which it does not hold (",
          LastWinErrorToStatus("DuplicateHandle").message(), ")"));
      continue;
    }
    handles.emplace_back(local);
  }
  if (!failure.ok()) return failure;  // `handles` closes what came.
  return handles;
}

}  // namespace bulkhead::ipc
