// POSIX only: the datagram socket's own failures (handle_transport_test.cc
// has the rest): a frame whose batch never came, values a POSIX peer never
// sends, and a peer that reads nothing.
#include <fcntl.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "ipc/handle_transport.h"
#include "tests/ipc/transport_pair.h"
#include "tests/support/fd_table_filler.h"
#include "tests/support/test_pipe.h"

namespace bulkhead::ipc::testing {
namespace {

using ::bulkhead::testing::DuplicateOfStderr;
using ::bulkhead::testing::MakeTestPipe;
using ::bulkhead::testing::TestPipe;

TEST(HandleTransportPosixTest, ReceivedHandlesAreCloseOnExec) {
  // A helper's own children must not inherit what its host passed it.
  Transports t = MakeTransports();
  std::vector<ScopedHandle> batch;
  batch.push_back(DuplicateOfStderr());
  ASSERT_TRUE(t.end_a.Send(batch).ok());
  absl::StatusOr<std::vector<ScopedHandle>> got = t.end_b.Receive(1, {});
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_NE(::fcntl((*got)[0].get(), F_GETFD) & FD_CLOEXEC, 0);
}

TEST(HandleTransportPosixTest, NoBatchWaitingIsDataLossWithoutBlocking) {
  Transports t = MakeTransports();
  absl::StatusOr<std::vector<ScopedHandle>> got = t.end_b.Receive(1, {});
  EXPECT_TRUE(absl::IsDataLoss(got.status())) << got.status();
}

TEST(HandleTransportPosixTest, HandleValuesInAFrameAreDataLossOnPosix) {
  // Only Windows peers send handle values; here a frame's handles came on
  // the socket, and values beside them are a lie.
  Transports t = MakeTransports();
  const uint64_t values[] = {7};
  absl::StatusOr<std::vector<ScopedHandle>> got = t.end_b.Receive(1, values);
  EXPECT_TRUE(absl::IsDataLoss(got.status())) << got.status();
}

TEST(HandleTransportPosixTest, APeerThatReadsNothingGetsResourceExhausted) {
  Transports t = MakeTransports();
  absl::StatusOr<TestPipe> pipe = MakeTestPipe();
  ASSERT_TRUE(pipe.ok());
  std::vector<ScopedHandle> batch;
  batch.push_back(std::move(pipe->write));
  absl::Status sent;
  int batches = 0;
  // The socket's buffer fills; a send then fails instead of blocking.
  while ((sent = t.end_a.Send(batch)).ok() && batches < 100000) ++batches;
  EXPECT_TRUE(absl::IsResourceExhausted(sent)) << sent;
  EXPECT_GT(batches, 0);
}

TEST(HandleTransportPosixTest,
     ABatchCutAtTheReceiversFdLimitIsResourceExhausted) {
  // Not the peer's fault, so not DATA_LOSS (a protocol violation): the kernel
  // dropped what found no free descriptor here.
  Transports t = MakeTransports();
  std::vector<ScopedHandle> batch;
  batch.push_back(DuplicateOfStderr());
  batch.push_back(DuplicateOfStderr());
  ASSERT_TRUE(t.end_a.Send(batch).ok());
  absl::StatusOr<std::vector<ScopedHandle>> got;
  {
    ::bulkhead::testing::FdTableFiller filler;
    ASSERT_TRUE(filler.Fill().ok());
    got = t.end_b.Receive(2, {});
  }
  EXPECT_TRUE(absl::IsResourceExhausted(got.status())) << got.status();
}

}  // namespace
}  // namespace bulkhead::ipc::testing
