// Windows only: sections a peer may send that map fine but would fault the
// reader.
#include <windows.h>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "ipc/shared_memory.h"

namespace bulkhead::ipc {
namespace {

TEST(SharedMemoryWinTest, AReservedButUncommittedSectionIsDataLoss) {
  // SEC_RESERVE: the view maps, but its pages are not there until the
  // creator commits them; reading one would be an access violation.
  constexpr DWORD kSize = 1 << 20;
  HANDLE section =
      ::CreateFileMappingW(INVALID_HANDLE_VALUE, nullptr,
                           PAGE_READWRITE | SEC_RESERVE, 0, kSize, nullptr);
  ASSERT_NE(section, nullptr);
  absl::StatusOr<ReadOnlySharedMemoryMapping> mapping =
      ReadOnlySharedMemoryMapping::MapFixedSize(ScopedHandle(section), kSize);
  EXPECT_TRUE(absl::IsDataLoss(mapping.status())) << mapping.status();
}

}  // namespace
}  // namespace bulkhead::ipc
