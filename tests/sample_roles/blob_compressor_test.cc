#include "sample_roles/blob_compressor.h"

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"

namespace bulkhead::roles {
namespace {

std::string Bytes(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

std::string Compress(std::string data) {
  roles::CompressBlobRequest request;
  request.set_data(std::move(data));
  absl::StatusOr<roles::CompressBlobResponse> response = CompressBlob(request);
  EXPECT_TRUE(response.ok()) << response.status();
  return response.ok() ? response->compressed() : "";
}

// Checks the round trip, the reported metadata and the worst-case size bound.
void ExpectRoundTrip(const std::string& data) {
  roles::CompressBlobRequest request;
  request.set_data(data);
  absl::StatusOr<roles::CompressBlobResponse> response = CompressBlob(request);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->original_size(), data.size());
  EXPECT_EQ(response->crc32(), Crc32(data));
  EXPECT_LE(response->compressed().size(),
            data.size() + (data.size() + 127) / 128);
  absl::StatusOr<std::string> restored = DecompressBlob(response->compressed());
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_EQ(*restored, data);
}

TEST(Crc32Test, MatchesKnownVectors) {
  EXPECT_EQ(Crc32(""), 0x00000000u);
  EXPECT_EQ(Crc32("a"), 0xE8B7BE43u);
  EXPECT_EQ(Crc32("123456789"), 0xCBF43926u);
  EXPECT_EQ(Crc32("The quick brown fox jumps over the lazy dog"), 0x414FA339u);
  EXPECT_EQ(Crc32(std::string(32, '\0')), 0x190A55ADu);
  EXPECT_EQ(Crc32(std::string(32, '\xff')), 0xFF6CAB0Bu);
  std::string all_bytes;
  for (int i = 0; i < 256; ++i) all_bytes.push_back(static_cast<char>(i));
  EXPECT_EQ(Crc32(all_bytes), 0x29058C73u);
}

TEST(Crc32Test, DetectsSingleBitFlip) {
  std::string data = "bulkhead helper payload";
  const uint32_t original = Crc32(data);
  data[5] ^= 0x01;
  EXPECT_NE(Crc32(data), original);
}

TEST(BlobCompressorTest, EmptyBlob) {
  roles::CompressBlobRequest request;
  absl::StatusOr<roles::CompressBlobResponse> response = CompressBlob(request);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->compressed(), "");
  EXPECT_EQ(response->crc32(), 0u);
  EXPECT_EQ(response->original_size(), 0u);
  absl::StatusOr<std::string> restored = DecompressBlob("");
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_EQ(*restored, "");
}

TEST(BlobCompressorTest, ProducesExpectedPackBitsPackets) {
  EXPECT_EQ(Compress("aaaa"), Bytes({0xFD, 'a'}));
  EXPECT_EQ(Compress("abc"), Bytes({0x02, 'a', 'b', 'c'}));
  EXPECT_EQ(Compress("aab"), Bytes({0x02, 'a', 'a', 'b'}));
  EXPECT_EQ(Compress("abbbc"), Bytes({0x00, 'a', 0xFE, 'b', 0x00, 'c'}));
  EXPECT_EQ(Compress(std::string(128, 'a')), Bytes({0x81, 'a'}));
  EXPECT_EQ(Compress(std::string(129, 'a')), Bytes({0x81, 'a', 0x00, 'a'}));
  EXPECT_EQ(Compress(std::string(130, 'x')),
            Bytes({0x81, 'x', 0x01, 'x', 'x'}));
  EXPECT_EQ(Compress(std::string(131, 'x')), Bytes({0x81, 'x', 0xFE, 'x'}));
}

TEST(BlobCompressorTest, SplitsLongLiteralRunsAt128Bytes) {
  std::string data;
  for (int i = 0; i < 200; ++i) data.push_back(static_cast<char>(i));
  const std::string compressed = Compress(data);
  ASSERT_EQ(compressed.size(), 202u);
  EXPECT_EQ(static_cast<unsigned char>(compressed[0]), 127);
  EXPECT_EQ(compressed.substr(1, 128), data.substr(0, 128));
  EXPECT_EQ(static_cast<unsigned char>(compressed[129]), 71);
  EXPECT_EQ(compressed.substr(130), data.substr(128));
}

TEST(BlobCompressorTest, DecompressesReferencePackBitsStream) {
  // The example from Apple Technical Note TN1023.
  const std::string packed =
      Bytes({0xFE, 0xAA, 0x02, 0x80, 0x00, 0x2A, 0xFD, 0xAA, 0x03, 0x80, 0x00,
             0x2A, 0x22, 0xF7, 0xAA});
  const std::string unpacked = Bytes(
      {0xAA, 0xAA, 0xAA, 0x80, 0x00, 0x2A, 0xAA, 0xAA, 0xAA, 0xAA, 0x80, 0x00,
       0x2A, 0x22, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA});
  absl::StatusOr<std::string> restored = DecompressBlob(packed);
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_EQ(*restored, unpacked);
}

TEST(BlobCompressorTest, RoundTripsRandomData) {
  std::mt19937 rng(2024);
  for (size_t size :
       {1u, 2u, 3u, 127u, 128u, 129u, 255u, 256u, 1000u, 65537u}) {
    std::string data(size, '\0');
    for (char& c : data) c = static_cast<char>(rng());
    ExpectRoundTrip(data);
  }
}

TEST(BlobCompressorTest, RoundTripsAndShrinksRepetitiveData) {
  std::mt19937 rng(99);
  for (int trial = 0; trial < 50; ++trial) {
    std::string data;
    while (data.size() < 10000) {
      // Mix runs of every interesting length with short literal stretches.
      data.append(1 + rng() % 300, static_cast<char>(rng() % 4));
      for (int i = static_cast<int>(rng() % 5); i > 0; --i) {
        data.push_back(static_cast<char>(rng()));
      }
    }
    ExpectRoundTrip(data);
  }
  const std::string zeros(100000, '\0');
  ExpectRoundTrip(zeros);
  EXPECT_EQ(Compress(zeros).size(), 2 * ((zeros.size() + 127) / 128));
}

TEST(BlobCompressorTest, RoundTripsTextWithShortRuns) {
  ExpectRoundTrip("aabbccddeeff  \n\n\tzz");
  ExpectRoundTrip("Mississippi: aaa bbbb ccccc\x80\x80\x80\xff\xff");
}

TEST(BlobCompressorTest, RejectsMalformedStreams) {
  const std::vector<std::string> malformed = {
      Bytes({0x80}),                  // Unused control byte.
      Bytes({0xFD, 'a', 0x80, 'b'}),  // 128 after a valid packet.
      Bytes({0x02, 'a', 'b'}),        // Literal run one byte short.
      Bytes({0x7F}),                  // Literal run with no bytes.
      Bytes({0x00}),                  // Single literal missing.
      Bytes({0xFD}),                  // Repeat packet missing its byte.
      Bytes({0x00, 'a', 0x81}),       // Same, after a valid packet.
  };
  for (const std::string& stream : malformed) {
    absl::StatusOr<std::string> result = DecompressBlob(stream);
    EXPECT_EQ(result.status().code(), absl::StatusCode::kDataLoss)
        << absl::BytesToHexString(stream);
  }
  EXPECT_TRUE(absl::StrContains(
      DecompressBlob(Bytes({0x00, 'a', 0x80})).status().message(), "offset 2"));
}

TEST(BlobCompressorTest, TruncatedValidStreamsAreRejectedOrShorter) {
  std::mt19937 rng(5);
  std::string data;
  for (int i = 0; i < 2000; ++i) {
    data.append(rng() % 2 ? 1 : 1 + rng() % 200, static_cast<char>(rng()));
  }
  const std::string compressed = Compress(data);
  for (size_t cut = 0; cut < compressed.size(); ++cut) {
    absl::StatusOr<std::string> result =
        DecompressBlob(absl::string_view(compressed).substr(0, cut));
    if (result.ok()) {
      // Cutting on a packet boundary yields a strict prefix of the data.
      EXPECT_LT(result->size(), data.size());
      EXPECT_EQ(*result, data.substr(0, result->size()));
    } else {
      EXPECT_EQ(result.status().code(), absl::StatusCode::kDataLoss);
    }
  }
}

TEST(BlobCompressorTest, RejectsDecompressionBeyondLimit) {
  std::string bomb;
  for (uint64_t i = 0; i < kMaxBlobBytes / 128; ++i) bomb += Bytes({0x81, 'z'});
  absl::StatusOr<std::string> at_limit = DecompressBlob(bomb);
  ASSERT_TRUE(at_limit.ok()) << at_limit.status();
  EXPECT_EQ(at_limit->size(), kMaxBlobBytes);

  bomb += Bytes({0x00, 'z'});
  EXPECT_EQ(DecompressBlob(bomb).status().code(), absl::StatusCode::kDataLoss);
}

TEST(BlobCompressorTest, RejectsInputOver64MiB) {
  roles::CompressBlobRequest request;
  request.set_data(std::string(kMaxBlobBytes + 1, 'q'));
  absl::StatusOr<roles::CompressBlobResponse> response = CompressBlob(request);
  EXPECT_EQ(response.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(response.status().message(), "64 MiB"))
      << response.status();
}

TEST(BlobCompressorTest, AcceptsInputOfExactly64MiB) {
  roles::CompressBlobRequest request;
  request.set_data(std::string(kMaxBlobBytes, 'q'));
  absl::StatusOr<roles::CompressBlobResponse> response = CompressBlob(request);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->original_size(), kMaxBlobBytes);
  EXPECT_EQ(response->compressed().size(), 2 * kMaxBlobBytes / 128);
}

}  // namespace
}  // namespace bulkhead::roles
