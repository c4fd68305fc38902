// libFuzzer target: what the host reads from a crashed helper's crash pipe is
// untrusted; parsing it must never crash or over-read.
#include <cstddef>
#include <cstdint>

#include "ipc/crash_record.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto record = bulkhead::ipc::ParseCrashRecord(
      absl::string_view(reinterpret_cast<const char*>(data), size));
  if (record.ok() && record->frames.size() > bulkhead::ipc::kMaxCrashFrames) {
    __builtin_trap();  // The parser promised a bound.
  }
  return 0;
}
