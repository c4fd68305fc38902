// ScopedHandle and the stream helpers on Windows.
#include <windows.h>

#include <string>

#include "common/platform_handle.h"
#include "gtest/gtest.h"

namespace bulkhead {
namespace {

bool IsOpen(HANDLE handle) {
  DWORD flags = 0;
  return ::GetHandleInformation(handle, &flags) != 0;
}

TEST(ScopedHandleWinTest, ClosesOnDestruction) {
  HANDLE event = ::CreateEventA(nullptr, TRUE, FALSE, nullptr);
  ASSERT_NE(event, nullptr);
  { ScopedHandle owner(event); }
  EXPECT_FALSE(IsOpen(event));
}

TEST(ScopedHandleWinTest, ReleaseGivesUpOwnership) {
  HANDLE event = ::CreateEventA(nullptr, TRUE, FALSE, nullptr);
  ASSERT_NE(event, nullptr);
  {
    ScopedHandle owner(event);
    EXPECT_EQ(owner.release(), event);
  }
  EXPECT_TRUE(IsOpen(event));
  ::CloseHandle(event);
}

TEST(CreateStreamPairWinTest, BytesFlowBothWays) {
  absl::StatusOr<HandlePair> pair = CreateStreamPair();
  ASSERT_TRUE(pair.ok()) << pair.status();
  ASSERT_TRUE(pair->first.is_valid());
  ASSERT_TRUE(pair->second.is_valid());
  // Both ends are overlapped: do each transfer as overlapped I/O and wait.
  auto transfer = [](HANDLE from, HANDLE to) {
    OVERLAPPED write_op = {};
    write_op.hEvent = ::CreateEventA(nullptr, TRUE, FALSE, nullptr);
    DWORD done = 0;
    if (!::WriteFile(from, "ping", 4, nullptr, &write_op) &&
        ::GetLastError() != ERROR_IO_PENDING) {
      return false;
    }
    ::GetOverlappedResult(from, &write_op, &done, TRUE);
    char buffer[4] = {};
    OVERLAPPED read_op = {};
    read_op.hEvent = ::CreateEventA(nullptr, TRUE, FALSE, nullptr);
    if (!::ReadFile(to, buffer, 4, nullptr, &read_op) &&
        ::GetLastError() != ERROR_IO_PENDING) {
      return false;
    }
    ::GetOverlappedResult(to, &read_op, &done, TRUE);
    ::CloseHandle(write_op.hEvent);
    ::CloseHandle(read_op.hEvent);
    return done == 4 && std::string(buffer, 4) == "ping";
  };
  EXPECT_TRUE(transfer(pair->first.get(), pair->second.get()));
  EXPECT_TRUE(transfer(pair->second.get(), pair->first.get()));
}

TEST(AdoptInheritedStreamWinTest, RejectsStdioAndClosedNumbers) {
  for (int64_t number : {0, 1, 2, -1, 70000}) {
    EXPECT_EQ(AdoptInheritedStream(number).status().code(),
              absl::StatusCode::kInvalidArgument)
        << number;
  }
  EXPECT_EQ(AdoptInheritedStream(977).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace bulkhead
