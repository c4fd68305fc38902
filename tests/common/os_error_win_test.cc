// WinErrorToStatus, and JoinWindowsCommandLine against Windows' own parser.
#include <windows.h>
// After windows.h.
#include <shellapi.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/command_line.h"
#include "common/os_error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bulkhead {
namespace {

using ::testing::HasSubstr;

TEST(WinErrorToStatusTest, SuccessIsOk) {
  EXPECT_TRUE(WinErrorToStatus(ERROR_SUCCESS, "anything").ok());
}

TEST(WinErrorToStatusTest, MapsCodesAndKeepsTheNumberAndWhat) {
  const absl::Status denied =
      WinErrorToStatus(ERROR_ACCESS_DENIED, "CreateRestrictedToken");
  EXPECT_EQ(denied.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(denied.message()),
              HasSubstr("CreateRestrictedToken: Windows error 5"));
  EXPECT_EQ(WinErrorToStatus(ERROR_FILE_NOT_FOUND, "x").code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(WinErrorToStatus(ERROR_INVALID_PARAMETER, "x").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(WinErrorToStatus(ERROR_BROKEN_PIPE, "x").code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(WinErrorToStatus(ERROR_NOT_ENOUGH_QUOTA, "x").code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(WinErrorToStatus(0x12345678, "x").code(),
            absl::StatusCode::kUnknown);
}

TEST(WinErrorToStatusTest, LastErrorIsTheThreadsError) {
  ::SetLastError(ERROR_PRIVILEGE_NOT_HELD);
  const absl::Status status = LastWinErrorToStatus("CreateProcessAsUserW");
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(status.message()), HasSubstr("Windows error 1314"));
}

std::vector<std::string> SplitByWindows(const std::string& line) {
  std::wstring wide(line.begin(), line.end());  // ASCII only here.
  int argc = 0;
  wchar_t** argv = ::CommandLineToArgvW(wide.c_str(), &argc);
  std::vector<std::string> args;
  for (int i = 0; i < argc; ++i) {
    std::wstring arg = argv[i];
    args.emplace_back(arg.begin(), arg.end());
  }
  ::LocalFree(argv);
  return args;
}

TEST(JoinWindowsCommandLineWinTest, WindowsSplitsItBackIntoTheSameArgv) {
  const std::vector<std::string> argv = {"C:\\Program Files\\helper.exe",
                                         "--type=renderer",
                                         "two words",
                                         "",
                                         "say \"hi\"",
                                         "trailing\\",
                                         "with space\\",
                                         "a\\\\\"b",
                                         "\\\\server\\x"};
  absl::StatusOr<std::string> line = JoinWindowsCommandLine(argv);
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_EQ(SplitByWindows(*line), argv) << *line;
}

}  // namespace
}  // namespace bulkhead
