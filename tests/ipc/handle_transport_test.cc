// Handles really crossing a transport, in both directions: a pipe's write end
// sent, written through on the far side, read back here; and batches that
// disagree with their frames. On POSIX the two ends are a socket pair; on
// Windows a duplicating end and a brokered end within this process.
#include "ipc/handle_transport.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "tests/ipc/transport_pair.h"
#include "tests/support/test_pipe.h"

namespace bulkhead::ipc::testing {
namespace {

using ::bulkhead::testing::DuplicateOfStderr;
using ::bulkhead::testing::MakeTestPipe;
using ::bulkhead::testing::ReadSome;
using ::bulkhead::testing::TestPipe;
using ::bulkhead::testing::WriteAll;

// What a channel does with a frame's handles: prepare, send, and on the far
// side receive them with the values the frame carried.
absl::StatusOr<std::vector<ScopedHandle>> Pass(HandleTransport& from,
                                               HandleTransport& to,
                                               std::vector<ScopedHandle> batch,
                                               size_t announced) {
  absl::StatusOr<std::vector<uint64_t>> values = from.Prepare(batch);
  if (!values.ok()) return values.status();
  if (absl::Status sent = from.Send(batch); !sent.ok()) return sent;
  batch.clear();  // Ours closed: only the far side's copies are left.
  return to.Receive(announced, *values);
}

TestPipe NewPipe() {
  absl::StatusOr<TestPipe> pipe = MakeTestPipe();
  EXPECT_TRUE(pipe.ok()) << pipe.status();
  return *std::move(pipe);
}

void ExpectWrittenThrough(HandleTransport& from, HandleTransport& to) {
  TestPipe pipe = NewPipe();
  std::vector<ScopedHandle> batch;
  batch.push_back(std::move(pipe.write));
  absl::StatusOr<std::vector<ScopedHandle>> got =
      Pass(from, to, std::move(batch), 1);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->size(), 1u);
  const std::string text = "through the passed pipe";
  ASSERT_TRUE(WriteAll((*got)[0].get(), text).ok());
  got->clear();  // The last write end: the reader sees end-of-file next.
  absl::StatusOr<std::string> read = ReadSome(pipe.read.get(), 64);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, text);
  absl::StatusOr<std::string> end = ReadSome(pipe.read.get(), 1);
  ASSERT_TRUE(end.ok()) << end.status();
  EXPECT_EQ(*end, "");
}

TEST(HandleTransportTest, APipeSentIsWrittenThroughOnTheFarSide) {
  Transports t = MakeTransports();
  ExpectWrittenThrough(t.end_a, t.end_b);
}

TEST(HandleTransportTest, APipeSentTheOtherWayIsWrittenThroughToo) {
  Transports t = MakeTransports();
  ExpectWrittenThrough(t.end_b, t.end_a);
}

TEST(HandleTransportTest, BatchesArriveWholeAndInOrder) {
  Transports t = MakeTransports();
  std::vector<TestPipe> pipes;
  for (int i = 0; i < 3; ++i) pipes.push_back(NewPipe());
  std::vector<ScopedHandle> first, second;
  first.push_back(std::move(pipes[0].write));
  second.push_back(std::move(pipes[1].write));
  second.push_back(std::move(pipes[2].write));
  absl::StatusOr<std::vector<uint64_t>> first_values = t.end_a.Prepare(first);
  absl::StatusOr<std::vector<uint64_t>> second_values = t.end_a.Prepare(second);
  ASSERT_TRUE(first_values.ok() && second_values.ok());
  ASSERT_TRUE(t.end_a.Send(first).ok());
  ASSERT_TRUE(t.end_a.Send(second).ok());
  absl::StatusOr<std::vector<ScopedHandle>> one =
      t.end_b.Receive(1, *first_values);
  absl::StatusOr<std::vector<ScopedHandle>> two =
      t.end_b.Receive(2, *second_values);
  ASSERT_TRUE(one.ok() && two.ok());
  // Each received end writes into the pipe it was sent as.
  ASSERT_TRUE(WriteAll((*one)[0].get(), "a").ok());
  ASSERT_TRUE(WriteAll((*two)[1].get(), "c").ok());
  EXPECT_EQ(*ReadSome(pipes[0].read.get(), 1), "a");
  EXPECT_EQ(*ReadSome(pipes[2].read.get(), 1), "c");
}

TEST(HandleTransportTest, ABatchOfAnotherSizeIsDataLossAndClosesWhatCame) {
  for (const bool forward : {true, false}) {
    SCOPED_TRACE(forward ? "near to far" : "far to near");
    Transports t = MakeTransports();
    TestPipe pipe = NewPipe();
    std::vector<ScopedHandle> batch;
    batch.push_back(std::move(pipe.write));
    absl::StatusOr<std::vector<ScopedHandle>> got =
        forward ? Pass(t.end_a, t.end_b, std::move(batch), 2)
                : Pass(t.end_b, t.end_a, std::move(batch), 2);
    EXPECT_TRUE(absl::IsDataLoss(got.status())) << got.status();
    EXPECT_NE(got.status().message().find("announced 2"), std::string::npos)
        << got.status();
    // The handle that came was closed: the pipe has no writer left.
    absl::StatusOr<std::string> end = ReadSome(pipe.read.get(), 1);
    ASSERT_TRUE(end.ok()) << end.status();
    EXPECT_EQ(*end, "");
  }
}

TEST(HandleTransportTest, AFrameWithoutItsHandlesIsDataLoss) {
  Transports t = MakeTransports();
  absl::StatusOr<std::vector<ScopedHandle>> got = t.end_b.Receive(1, {});
  EXPECT_TRUE(absl::IsDataLoss(got.status())) << got.status();
  EXPECT_NE(got.status().message().find("none came"), std::string::npos)
      << got.status();
}

TEST(HandleTransportTest, EmptyAndOversizeBatchesAreRefused) {
  Transports t = MakeTransports();
  EXPECT_TRUE(absl::IsInvalidArgument(t.end_a.Prepare({}).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(t.end_a.Send({})));
  std::vector<ScopedHandle> many;
  for (size_t i = 0; i <= HandleTransport::kMaxHandlesPerFrame; ++i) {
    many.push_back(DuplicateOfStderr());
  }
  EXPECT_TRUE(absl::IsInvalidArgument(t.end_a.Prepare(many).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(t.end_a.Send(many)));
}

}  // namespace
}  // namespace bulkhead::ipc::testing
