#include "sample_roles/blob_compressor.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace bulkhead::roles {
namespace {

constexpr size_t kMaxPacket = 128;  // Bytes a single packet can describe.
constexpr size_t kMinRepeat = 3;    // Shorter runs are cheaper as literals.
constexpr unsigned char kUnusedControl = 128;

constexpr std::array<uint32_t, 256> MakeCrcTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t crc = i;
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 1) ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
    }
    table[i] = crc;
  }
  return table;
}

constexpr std::array<uint32_t, 256> kCrcTable = MakeCrcTable();

// Length of the run of identical bytes starting at `data[pos]`, capped at
// kMaxPacket.
size_t RunLength(absl::string_view data, size_t pos) {
  const size_t end = std::min(data.size(), pos + kMaxPacket);
  size_t i = pos + 1;
  while (i < end && data[i] == data[pos]) ++i;
  return i - pos;
}

void AppendLiterals(absl::string_view literals, std::string* out) {
  out->push_back(static_cast<char>(literals.size() - 1));
  out->append(literals.data(), literals.size());
}

std::string PackBits(absl::string_view data) {
  std::string out;
  out.reserve(data.size() + (data.size() + kMaxPacket - 1) / kMaxPacket);
  size_t literal_start = 0;
  size_t pos = 0;
  while (pos < data.size()) {
    const size_t run = RunLength(data, pos);
    if (run < kMinRepeat) {
      pos += run;
      continue;
    }
    for (size_t start = literal_start; start < pos; start += kMaxPacket) {
      AppendLiterals(data.substr(start, std::min(kMaxPacket, pos - start)),
                     &out);
    }
    out.push_back(static_cast<char>(257 - run));
    out.push_back(data[pos]);
    pos += run;
    literal_start = pos;
  }
  for (size_t start = literal_start; start < data.size(); start += kMaxPacket) {
    AppendLiterals(
        data.substr(start, std::min(kMaxPacket, data.size() - start)), &out);
  }
  return out;
}

}  // namespace

uint32_t Crc32(absl::string_view data) {
  uint32_t crc = 0xFFFFFFFFu;
  for (char c : data) {
    crc = kCrcTable[(crc ^ static_cast<unsigned char>(c)) & 0xFF] ^ (crc >> 8);
  }
  return ~crc;
}

absl::StatusOr<roles::CompressBlobResponse> CompressBlob(
    const roles::CompressBlobRequest& request) {
  const std::string& data = request.data();
  if (data.size() > kMaxBlobBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("blob is ", data.size(), " bytes; the limit is ",
                     kMaxBlobBytes, " bytes (64 MiB)"));
  }
  roles::CompressBlobResponse response;
  response.set_compressed(PackBits(data));
  response.set_crc32(Crc32(data));
  response.set_original_size(data.size());
  return response;
}

absl::StatusOr<std::string> DecompressBlob(absl::string_view compressed) {
  // Pass 1: validate packet structure and size the output.
  uint64_t total = 0;
  for (size_t pos = 0; pos < compressed.size();) {
    const auto control = static_cast<unsigned char>(compressed[pos]);
    const size_t remaining = compressed.size() - pos - 1;
    if (control == kUnusedControl) {
      return absl::DataLossError(
          absl::StrCat("invalid control byte 128 at offset ", pos));
    }
    if (control < kUnusedControl) {
      const size_t count = size_t{control} + 1;
      if (remaining < count) {
        return absl::DataLossError(
            absl::StrCat("literal packet at offset ", pos, " needs ", count,
                         " bytes but only ", remaining, " remain"));
      }
      total += count;
      pos += 1 + count;
    } else {
      if (remaining < 1) {
        return absl::DataLossError(
            absl::StrCat("repeat packet at offset ", pos, " has no byte"));
      }
      total += 257 - size_t{control};
      pos += 2;
    }
    if (total > kMaxBlobBytes) {
      return absl::DataLossError(absl::StrCat(
          "stream decompresses to more than ", kMaxBlobBytes, " bytes"));
    }
  }

  // Pass 2: the stream is well-formed, so no bounds checks are needed.
  std::string out;
  out.reserve(total);
  for (size_t pos = 0; pos < compressed.size();) {
    const auto control = static_cast<unsigned char>(compressed[pos]);
    if (control < kUnusedControl) {
      out.append(compressed.data() + pos + 1, size_t{control} + 1);
      pos += size_t{control} + 2;
    } else {
      out.append(257 - size_t{control}, compressed[pos + 1]);
      pos += 2;
    }
  }
  return out;
}

}  // namespace bulkhead::roles
