// What a crashing helper writes to its crash pipe from its signal handler (or
// unhandled-exception filter): a fixed binary record, built without
// allocating, so that it can be written from a context where almost nothing
// is allowed. The host parses it as untrusted input.
#ifndef BULKHEAD_IPC_CRASH_RECORD_H_
#define BULKHEAD_IPC_CRASH_RECORD_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "bulkhead/export.h"

namespace bulkhead::ipc {

inline constexpr uint32_t kCrashRecordMagic = 0x52434842;  // "BHCR"
inline constexpr uint32_t kCrashRecordVersion = 1;
inline constexpr size_t kMaxCrashFrames = 64;

// Little-endian on the wire; host and helper are the same binary on the same
// machine, so the layout is simply the struct's.
struct CrashRecordHeader {
  uint32_t magic = kCrashRecordMagic;
  uint32_t version = kCrashRecordVersion;
  int32_t signal = 0;             // POSIX signal, 0 on Windows.
  uint32_t exception_status = 0;  // Windows exception code, 0 on POSIX.
  uint64_t fault_address = 0;     // si_addr / ExceptionAddress.
  uint64_t image_base = 0;        // Where the helper's executable was loaded.
  uint32_t frame_count = 0;       // Program counters that follow.
  // SIGSYS from a seccomp trap: the system call that was refused (si_syscall).
  int32_t syscall_number = 0;
};

// The largest record a helper may send.
inline constexpr size_t kMaxCrashRecordBytes =
    sizeof(CrashRecordHeader) + kMaxCrashFrames * sizeof(uint64_t);

struct CrashRecord {
  int signal = 0;
  uint32_t exception_status = 0;
  uint64_t fault_address = 0;
  uint64_t image_base = 0;
  int syscall_number = 0;
  std::vector<uint64_t> frames;
};

// Serializes into `out` (at least kMaxCrashRecordBytes); returns the length.
// Allocation-free and async-signal-safe.
BULKHEAD_EXPORT size_t EncodeCrashRecord(const CrashRecordHeader& header,
                                         const uint64_t* frames,
                                         size_t frame_count, char* out);

// Parses what the host read from a crash pipe. DataLoss for anything that is
// not exactly one well-formed record.
BULKHEAD_EXPORT absl::StatusOr<CrashRecord> ParseCrashRecord(
    absl::string_view bytes);

}  // namespace bulkhead::ipc

#endif  // BULKHEAD_IPC_CRASH_RECORD_H_
