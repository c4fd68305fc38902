// Windows only: what a helper may lie about when the host takes its handles
// out of it (ipc/handle_transport_win.cc). Here the "helper" is this process:
// the duplicating end holds a handle to it.
#include <windows.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "ipc/handle_transport.h"
#include "tests/support/test_pipe.h"

namespace bulkhead::ipc::testing {
namespace {

using ::bulkhead::testing::DuplicateOfStderr;

HandleTransport Broker() {
  absl::StatusOr<HandlePair> pair = HandleTransport::CreatePair();
  EXPECT_TRUE(pair.ok()) << pair.status();
  return HandleTransport(std::move(pair->first));
}

TEST(HandleTransportWinTest, PseudoHandlesAreRefused) {
  // -1 names the sending process itself, -2 its thread: duplicated from the
  // helper they would give the host a handle to the helper, not one it sent.
  HandleTransport broker = Broker();
  for (const uint64_t value : {~uint64_t{0}, ~uint64_t{1}, uint64_t{0}}) {
    const uint64_t values[] = {value};
    absl::StatusOr<std::vector<ScopedHandle>> got = broker.Receive(1, values);
    EXPECT_TRUE(absl::IsDataLoss(got.status())) << value << got.status();
  }
}

TEST(HandleTransportWinTest, PseudoHandlesAreNeverSent) {
  // Duplicated into a helper, this thread's pseudo-handle would become a
  // full-access handle to a host thread.
  HandleTransport broker = Broker();
  std::vector<ScopedHandle> batch;
  batch.emplace_back(::GetCurrentThread());
  EXPECT_TRUE(absl::IsInvalidArgument(broker.Prepare(batch).status()));
  (void)batch[0].release();  // Not ours to close.
}

TEST(HandleTransportWinTest, AValueThePeerDoesNotHoldIsDataLoss) {
  HandleTransport broker = Broker();
  const uint64_t values[] = {0x7ffffff0};  // Far above any handle in use.
  absl::StatusOr<std::vector<ScopedHandle>> got = broker.Receive(1, values);
  EXPECT_TRUE(absl::IsDataLoss(got.status())) << got.status();
  EXPECT_NE(got.status().message().find("does not hold"), std::string::npos)
      << got.status();
}

TEST(HandleTransportWinTest, TheBrokerTakesTheHandleOutOfThePeer) {
  // The brokered side's copy is closed where it was once the broker has it.
  absl::StatusOr<HandlePair> pair = HandleTransport::CreatePair();
  ASSERT_TRUE(pair.ok());
  HandleTransport broker(std::move(pair->first));
  HandleTransport brokered(std::move(pair->second));
  std::vector<ScopedHandle> batch;
  batch.push_back(DuplicateOfStderr());
  absl::StatusOr<std::vector<uint64_t>> values = brokered.Prepare(batch);
  ASSERT_TRUE(values.ok()) << values.status();
  ASSERT_EQ(values->size(), 1u);
  HANDLE left_in_peer = reinterpret_cast<HANDLE>((*values)[0]);
  DWORD flags = 0;
  EXPECT_TRUE(::GetHandleInformation(left_in_peer, &flags));
  absl::StatusOr<std::vector<ScopedHandle>> got = broker.Receive(1, *values);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->size(), 1u);
  // Within one process the copy may take the freed value; once it is closed
  // too, nothing of the batch is left in the "peer".
  got->clear();
  EXPECT_FALSE(::GetHandleInformation(left_in_peer, &flags));
}

TEST(HandleTransportWinTest, CancelClosesThePreparedCopies) {
  absl::StatusOr<HandlePair> pair = HandleTransport::CreatePair();
  ASSERT_TRUE(pair.ok());
  HandleTransport brokered(std::move(pair->second));
  std::vector<ScopedHandle> batch;
  batch.push_back(DuplicateOfStderr());
  absl::StatusOr<std::vector<uint64_t>> values = brokered.Prepare(batch);
  ASSERT_TRUE(values.ok()) << values.status();
  brokered.Cancel(*values);
  DWORD flags = 0;
  EXPECT_FALSE(
      ::GetHandleInformation(reinterpret_cast<HANDLE>((*values)[0]), &flags));
}

}  // namespace
}  // namespace bulkhead::ipc::testing
