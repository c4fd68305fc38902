// The escape attempts that make sense on every platform: a helper of the
// default sandbox policy (the renderer's) tries to read a file of the user's,
// make a socket, start a process and write outside the temporary directory.
// Each attempt is first made by the same role unsandboxed, and must succeed
// there, so that a refusal is the sandbox's. Run wherever a sandboxed launch
// confines: Linux (namespaces, landlock, seccomp: a refused call may also end
// the helper, SIGSYS), Windows (the lockdown token, untrusted integrity, the
// job), macOS (the seatbelt; never run: docs/platforms.md). Skipped with the
// reason under Wine, which enforces none of the token, and where there is no
// sandboxed launch (the generic POSIX build).
#include <uv.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "host/host.h"
#include "sample_roles/work.pb.h"
#include "tests/host/host_fixture.h"
#include "tests/support/process_probe.h"

namespace bulkhead {
namespace {

class PortableEscapeTest : public testing::HostFixture {
 protected:
  void SetUp() override {
    if (!SandboxedLaunchAvailable()) {
      GTEST_SKIP() << "no sandboxed launch on this platform";
    }
    HostFixture::SetUp();
  }

  // `role` run with `text`, unsandboxed (must succeed) and then sandboxed
  // with its default policy: the sandboxed call's status, which the test
  // expects to be an error; an error of its own when the attempt could not
  // be made.
  absl::StatusOr<absl::Status> Attempt(const std::string& role,
                                       const std::string& text) {
    roles::LayoutTextRequest request;
    request.set_text(text);
    Host::LaunchOverrides unsandboxed;
    unsandboxed.sandboxed = false;
    HelperProcess* free_helper = LaunchReady(role, unsandboxed);
    if (free_helper == nullptr) {
      return absl::InternalError("the unsandboxed helper did not start");
    }
    absl::StatusOr<roles::LayoutTextResponse> free_result =
        CallAndWait<roles::LayoutTextResponse>(free_helper, request);
    if (!free_result.ok()) {
      return absl::InternalError(
          absl::StrCat("unsandboxed, the attempt fails too: ",
                       free_result.status().message()));
    }
    if (testing::RunningUnderWine()) {
      skipped_ = true;
      return absl::OkStatus();  // Not looked at.
    }
    HelperProcess* confined = LaunchReady(role);
    if (confined == nullptr) {
      return absl::InternalError("the sandboxed helper did not start");
    }
    // OK here is the escape; a helper that died of the attempt fails the
    // call (UNAVAILABLE), as a refusal does.
    return CallAndWait<roles::LayoutTextResponse>(confined, request).status();
  }

  // Skips, once the unsandboxed half has run, where the sandbox is not
  // enforced.
  bool Skipped() const { return skipped_; }

  static std::string OwnFile(const std::filesystem::path& dir,
                             const std::string& stem) {
    return (dir / absl::StrCat("bulkhead-", stem, "-", uv_os_getpid(), ".txt"))
        .string();
  }

 private:
  bool skipped_ = false;
};

constexpr char kWineReason[] =
    "Wine drops the token's restricting SIDs and the integrity label: the "
    "sandboxed helper would succeed too";

TEST_F(PortableEscapeTest, CannotReadTheUsersFile) {
  const std::string path =
      OwnFile(std::filesystem::temp_directory_path(), "secret");
  std::FILE* file = std::fopen(path.c_str(), "wb");
  ASSERT_NE(file, nullptr) << path;
  std::fputs("the user's secret", file);
  std::fclose(file);
  const absl::StatusOr<absl::Status> status = Attempt("read-file", path);
  std::remove(path.c_str());
  ASSERT_TRUE(status.ok()) << status.status();
  if (Skipped()) GTEST_SKIP() << kWineReason;
  EXPECT_FALSE(status->ok()) << "a sandboxed helper read " << path;
}

TEST_F(PortableEscapeTest, CannotMakeASocket) {
  const absl::StatusOr<absl::Status> status = Attempt("socket-opener", "");
  ASSERT_TRUE(status.ok()) << status.status();
  if (Skipped()) GTEST_SKIP() << kWineReason;
  EXPECT_FALSE(status->ok()) << "a sandboxed helper made a socket";
}

TEST_F(PortableEscapeTest, CannotStartAProcess) {
  const absl::StatusOr<absl::Status> status = Attempt("spawner", "");
  ASSERT_TRUE(status.ok()) << status.status();
  if (Skipped()) GTEST_SKIP() << kWineReason;
  EXPECT_FALSE(status->ok()) << "a sandboxed helper started a process";
}

// The working directory (the build tree): neither temporary nor the
// helper's.
TEST_F(PortableEscapeTest, CannotWriteOutsideTheTemporaryDirectory) {
  const std::string path = OwnFile(std::filesystem::current_path(), "escape");
  const absl::StatusOr<absl::Status> status = Attempt("write-file", path);
  ASSERT_TRUE(status.ok()) << status.status();
  if (Skipped()) GTEST_SKIP() << kWineReason;
  EXPECT_FALSE(status->ok()) << "a sandboxed helper wrote " << path;
  std::error_code error;
  EXPECT_FALSE(std::filesystem::exists(path, error)) << path;
  std::remove(path.c_str());
}

}  // namespace
}  // namespace bulkhead
