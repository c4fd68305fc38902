#include "ipc/crash_record.h"

#include <cstring>

#include "absl/strings/str_cat.h"

namespace bulkhead::ipc {

size_t EncodeCrashRecord(const CrashRecordHeader& header,
                         const uint64_t* frames, size_t frame_count,
                         char* out) {
  if (frame_count > kMaxCrashFrames) frame_count = kMaxCrashFrames;
  CrashRecordHeader copy = header;
  copy.frame_count = static_cast<uint32_t>(frame_count);
  std::memcpy(out, &copy, sizeof(copy));
  std::memcpy(out + sizeof(copy), frames, frame_count * sizeof(uint64_t));
  return sizeof(copy) + frame_count * sizeof(uint64_t);
}

absl::StatusOr<CrashRecord> ParseCrashRecord(absl::string_view bytes) {
  CrashRecordHeader header;
  if (bytes.size() < sizeof(header)) {
    return absl::DataLossError(
        absl::StrCat("crash record of ", bytes.size(), " bytes is truncated"));
  }
  std::memcpy(&header, bytes.data(), sizeof(header));
  if (header.magic != kCrashRecordMagic ||
      header.version != kCrashRecordVersion) {
    return absl::DataLossError("not a crash record (bad magic or version)");
  }
  if (header.frame_count > kMaxCrashFrames) {
    return absl::DataLossError(
        absl::StrCat("crash record claims ", header.frame_count, " frames"));
  }
  const size_t expected =
      sizeof(header) + header.frame_count * sizeof(uint64_t);
  if (bytes.size() != expected) {
    return absl::DataLossError(absl::StrCat("crash record is ", bytes.size(),
                                            " bytes, expected ", expected));
  }
  CrashRecord record;
  record.signal = header.signal;
  record.exception_status = header.exception_status;
  record.fault_address = header.fault_address;
  record.syscall_number = header.syscall_number;
  record.image_base = header.image_base;
  record.frames.resize(header.frame_count);
  if (header.frame_count > 0) {
    std::memcpy(record.frames.data(), bytes.data() + sizeof(header),
                header.frame_count * sizeof(uint64_t));
  }
  return record;
}

}  // namespace bulkhead::ipc
