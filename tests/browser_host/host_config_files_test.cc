// A browser_host config's file access on real helpers: a role's `broker` rules
// and `preopen` files, parsed (ParseHostConfig) and applied (ApplyHostConfig)
// as browser_host does, reach the helper of that role: it takes the
// pre-opened file by name and the broker opens what the rules allow and
// refuses the rest. Sandboxed where the platform can, and with sandbox
// "none". Run as root and, through Unprivileged.SandboxedHelpers (the name
// matches *HostFilesTest*), as nobody.
#include <fcntl.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "browser_host/host_config.h"
#include "gtest/gtest.h"
#include "sample_roles/work.pb.h"
#include "tests/host/host_fixture.h"
#include "tests/support/process_probe.h"

namespace bulkhead {
namespace {

namespace fs = std::filesystem;

class ConfiguredHostFilesTest
    : public testing::HostFixture,
      public ::testing::WithParamInterface<const char*> {
 protected:
  bool Sandboxed() const { return std::string(GetParam()) != "none"; }

  void SetUp() override {
    if (Sandboxed() && !SandboxedLaunchAvailable()) {
      GTEST_SKIP() << "no sandboxed launch here";
    }
    const ::testing::TestInfo* test =
        ::testing::UnitTest::GetInstance()->current_test_info();
    // Written with '/', as a config would be (Windows takes it too).
    dir_ = (fs::path(::testing::TempDir()) /
            absl::StrCat("bulkhead-config-files-", uv_os_getpid(), "-",
                         absl::StrReplaceAll(test->name(), {{"/", "-"}})))
               .generic_string();
    fs::create_directories(dir_ + "/documents");
    Write(dir_ + "/documents/letter.txt", "brokered");
    Write(dir_ + "/model.bin", "pre-opened");
    Write(dir_ + "/secret.txt", "secret");
    // The config as a user writes it, for the test role that takes and opens
    // files.
    absl::StatusOr<HostConfig> config =
        ParseHostConfig(absl::StrCat("role {\n"
                                     "  name: \"files\"\n"
                                     "  sandbox: \"",
                                     GetParam(),
                                     "\"\n"
                                     "  broker { under: \"",
                                     dir_,
                                     "/documents\" }\n"
                                     "  preopen { name: \"model\" path: \"",
                                     dir_, "/model.bin\" }\n}\n"),
                        "files.textproto", testing::TestRoleRegistry());
    ASSERT_TRUE(config.ok()) << config.status();
    config_ = *std::move(config);
    HostFixture::SetUp();
  }

  void ModifyOptions(Host::Options& options) override {
    options.forward_helper_output = false;
    ApplyHostConfig(config_, options);
  }

  void TearDown() override {
    std::error_code ignored;
    if (!dir_.empty()) fs::remove_all(dir_, ignored);
  }

  static void Write(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
  }

  std::vector<std::string> Ask(HelperProcess* helper, const std::string& text) {
    roles::LayoutTextRequest request;
    request.set_text(text);
    absl::StatusOr<roles::LayoutTextResponse> response =
        CallAndWait<roles::LayoutTextResponse>(helper, request);
    EXPECT_TRUE(response.ok()) << response.status();
    if (!response.ok()) return {};
    return {response->lines().begin(), response->lines().end()};
  }

  // The files role's "open FLAGS PATH", and the one-way answer that follows:
  // "ok" and the file's first bytes, or the status code's number and message.
  std::vector<std::string> Open(HelperProcess* helper,
                                const std::string& path) {
    std::optional<std::vector<std::string>> outcome;
    helper->channel().On<roles::LayoutTextResponse>(
        [&](const roles::LayoutTextResponse& response) {
          outcome.emplace(response.lines().begin(), response.lines().end());
        });
    EXPECT_EQ(Ask(helper, absl::StrCat("open ", O_RDONLY, " ", path)),
              std::vector<std::string>{"asked"});
    EXPECT_TRUE(RunUntil([&] { return outcome.has_value(); }));
    return outcome.value_or(std::vector<std::string>{"no answer"});
  }

  std::string dir_;
  HostConfig config_;
};

TEST_P(ConfiguredHostFilesTest, TheRoleReadsItsPreopenedAndBrokeredFiles) {
  HelperProcess* helper = LaunchReady("files");
  ASSERT_NE(helper, nullptr);
  EXPECT_EQ(helper->sandboxed(), Sandboxed());
  // Wine takes the restricted token and job but enforces little, so its probe
  // says "not sandboxed"; the files must arrive anyway.
  if (Sandboxed() && !testing::RunningUnderWine()) {
    EXPECT_TRUE(helper->sandbox_status().sandboxed());
  }
  EXPECT_EQ(Ask(helper, "take model"),
            (std::vector<std::string>{"ok", "pre-opened"}));
  EXPECT_EQ(Open(helper, dir_ + "/documents/letter.txt"),
            (std::vector<std::string>{"ok", "brokered"}));
  // Outside the rule: refused, and the helper goes on.
  const std::vector<std::string> refused = Open(helper, dir_ + "/secret.txt");
  ASSERT_FALSE(refused.empty());
  EXPECT_EQ(refused[0],
            absl::StrCat(static_cast<int>(absl::StatusCode::kPermissionDenied)))
      << refused.back();
  EXPECT_EQ(helper->broker_requests(), 2u);
  EXPECT_EQ(helper->broker_requests_denied(), 1u);
  EXPECT_EQ(helper->state(), HelperProcess::State::kReady);
}

INSTANTIATE_TEST_SUITE_P(Sandbox, ConfiguredHostFilesTest,
                         ::testing::Values("default", "none"),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           return std::string(info.param) == "none"
                                      ? "Unsandboxed"
                                      : "Sandboxed";
                         });

}  // namespace
}  // namespace bulkhead
