// libFuzzer target: a repro file (host/repro.h) is whatever a user hands
// `browser_host replay`; reading it must never crash, over-read or accept a
// record past its bounds, and what it accepts must write back as it read.
#include <cstddef>
#include <cstdint>

#include "host/repro.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<bulkhead::Repro> repro = bulkhead::ParseRepro(bytes);
  if (!repro.ok()) return 0;
  if (repro->request.size() > bulkhead::kDefaultMaxReproRequestBytes ||
      repro->exit.stack_trace.size() > bulkhead::kMaxReproLines ||
      repro->exit.last_stderr_lines.size() > bulkhead::kMaxReproLines) {
    __builtin_trap();  // The reader promised bounds.
  }
  // What was accepted is a valid repro: it serializes, and reads back the
  // same.
  absl::StatusOr<std::string> again = bulkhead::SerializeRepro(*repro);
  if (!again.ok()) __builtin_trap();
  absl::StatusOr<bulkhead::Repro> reread = bulkhead::ParseRepro(*again);
  if (!reread.ok() || reread->request != repro->request ||
      reread->role != repro->role ||
      reread->request_type != repro->request_type ||
      reread->exit.kind != repro->exit.kind ||
      reread->exit.signal != repro->exit.signal) {
    __builtin_trap();
  }
  return 0;
}
