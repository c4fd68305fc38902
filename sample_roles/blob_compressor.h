// CRC-32 and PackBits run-length compression for the built-in "utility" role.

#ifndef BULKHEAD_HELPER_ROLES_BLOB_COMPRESSOR_H_
#define BULKHEAD_HELPER_ROLES_BLOB_COMPRESSOR_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "sample_roles/work.pb.h"

namespace bulkhead::roles {

// Largest blob CompressBlob accepts and DecompressBlob produces: 64 MiB.
inline constexpr uint64_t kMaxBlobBytes = uint64_t{64} << 20;

// IEEE 802.3 CRC-32 (reflected, polynomial 0xEDB88320, initial value and final
// XOR 0xFFFFFFFF), as used by zlib and PNG. Crc32("123456789") == 0xCBF43926.
uint32_t Crc32(absl::string_view data);

// Compresses `request.data` with PackBits and reports its CRC-32 and size.
// The stream is a sequence of packets, each starting with a control byte n:
//   n in [0, 127]:   n + 1 literal bytes follow;
//   n in [129, 255]: one byte follows, to be repeated 257 - n times (2..128);
//   n == 128:        never produced, rejected on decompression.
// Output is at most size + ceil(size / 128) bytes. Returns InvalidArgumentError
// if the data exceeds kMaxBlobBytes.
absl::StatusOr<roles::CompressBlobResponse> CompressBlob(
    const roles::CompressBlobRequest& request);

// Inverts CompressBlob's `compressed` stream. Returns DataLossError if the
// stream is malformed (control byte 128, a literal run cut short, a repeat
// packet without its byte) or would decompress to more than kMaxBlobBytes.
// The input is validated before any output is allocated.
absl::StatusOr<std::string> DecompressBlob(absl::string_view compressed);

}  // namespace bulkhead::roles

#endif  // BULKHEAD_HELPER_ROLES_BLOB_COMPRESSOR_H_
