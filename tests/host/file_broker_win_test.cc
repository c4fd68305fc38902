// The file broker's Windows opens (host/file_broker_win.cc): a component that
// Win32 would rewrite before CreateFileW acts (trailing dots and spaces, a
// backslash inside it, a device name) is refused before anything is created
// or truncated outside the rule's directory.
#include <fcntl.h>

#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "host/file_broker.h"

namespace bulkhead {
namespace {

namespace fs = std::filesystem;

TEST(FileBrokerWinTest, AComponentWin32WouldRewriteIsRefusedBeforeAnyCreate) {
  const fs::path root =
      fs::path(::testing::TempDir()) /
      absl::StrCat("broker_win_",
                   ::testing::UnitTest::GetInstance()->random_seed());
  fs::remove_all(root);
  fs::create_directories(root / "pub");
  const std::string pub = (root / "pub").string();
  const int create = _O_CREAT | _O_WRONLY | _O_TRUNC;
  const std::vector<std::vector<std::string>> refused = {
      {".. ", "outside.txt"},
      {"..  .", "outside.txt"},
      {"..\\outside.txt"},
      {"outside.txt."},
      {"NUL"},
      {"con.txt"},
      {"com1"},
      {"x:stream"}};
  for (const std::vector<std::string>& parts : refused) {
    absl::StatusOr<ScopedHandle> opened = OpenBeneath(pub, parts, create);
    EXPECT_EQ(opened.status().code(), absl::StatusCode::kPermissionDenied)
        << parts.front() << ": " << opened.status();
  }
  EXPECT_FALSE(fs::exists(root / "outside.txt"));
  // A plain name is created where the rule says.
  absl::StatusOr<ScopedHandle> plain = OpenBeneath(pub, {"inside.txt"}, create);
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_TRUE(fs::exists(root / "pub" / "inside.txt"));
  plain = absl::StatusOr<ScopedHandle>(absl::CancelledError());  // Closes it.
  std::error_code ignored;
  fs::remove_all(root, ignored);
}

}  // namespace
}  // namespace bulkhead
