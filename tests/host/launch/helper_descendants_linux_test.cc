// However an unsandboxed helper ends, what it started goes with it, also
// what left its process group and session (setsid) and what a double fork
// orphaned: killed by the host (KillHelperDescendants), crashed or exited by
// itself (helper/descendant_sweep.h).
// The host's own death is host_death_test's.
#include <csignal>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "sample_roles/work.pb.h"
#include "tests/host/host_fixture.h"
#include "tests/support/process_probe.h"

namespace bulkhead {
namespace {

enum class End { kKilled, kCrashed, kExited };

struct HelperEnd {
  const char* name;
  End end;
};

class HelperDescendantsTest : public testing::HostFixture,
                              public ::testing::WithParamInterface<HelperEnd> {
 protected:
  void ModifyOptions(Host::Options& options) override {
    options.forward_helper_output = false;
  }
};

TEST_P(HelperDescendantsTest, NothingTheHelperStartedOutlivesIt) {
  if (testing::TestRoleRegistry().Find("escaper") == nullptr) {
    GTEST_SKIP() << "no escaper role on this platform";
  }
  Host::LaunchOverrides unsandboxed;
  unsandboxed.sandboxed = false;
  unsandboxed.restart = false;
  HelperProcess* helper = nullptr;
  bool finished = false;
  absl::StatusOr<HelperProcess*> launched = host_->Launch(
      "escaper", unsandboxed, [&](absl::StatusOr<HelperProcess*> ready) {
        finished = true;
        if (ready.ok()) helper = *ready;
      });
  ASSERT_TRUE(launched.ok()) << launched.status();
  ASSERT_TRUE(RunUntil([&] { return finished; }));
  ASSERT_NE(helper, nullptr);
  const uint64_t id = helper->id();

  absl::StatusOr<roles::LayoutTextResponse> started =
      CallAndWait<roles::LayoutTextResponse>(helper,
                                             roles::LayoutTextRequest());
  ASSERT_TRUE(started.ok()) << started.status();
  ASSERT_EQ(started->lines_size(), 1);
  std::vector<int64_t> escapees;
  for (absl::string_view word : absl::StrSplit(started->lines(0), ' ')) {
    int64_t pid = 0;
    ASSERT_TRUE(absl::SimpleAtoi(word, &pid)) << started->lines(0);
    escapees.push_back(pid);
  }
  ASSERT_EQ(escapees.size(), 2u);

  if (GetParam().end == End::kKilled) {
    helper->Kill(HostAction::kKillRequested, "test");
  } else {
    roles::LayoutTextRequest ending;
    ending.set_text(GetParam().end == End::kCrashed ? "crash" : "exit");
    helper->Call<roles::LayoutTextRequest, roles::LayoutTextResponse>(
        ending, absl::Now() + absl::Seconds(30),
        [](absl::StatusOr<roles::LayoutTextResponse>) {});
  }
  const ExitInfo* exit = WaitForExit(id);
  ASSERT_NE(exit, nullptr);
  switch (GetParam().end) {
    case End::kKilled:
      EXPECT_EQ(exit->kind, ExitKind::kKilledByHost) << exit->Describe();
      break;
    case End::kCrashed:
      EXPECT_EQ(exit->kind, ExitKind::kCrashed) << exit->Describe();
      EXPECT_EQ(exit->signal, SIGSEGV) << exit->Describe();
      break;
    case End::kExited:
      EXPECT_EQ(exit->kind, ExitKind::kErrorExit) << exit->Describe();
      EXPECT_EQ(exit->exit_code, 3) << exit->Describe();
      break;
  }
  for (int64_t pid : escapees) {
    EXPECT_TRUE(testing::WaitForProcessGone(pid, absl::Seconds(5)))
        << pid << " outlived its helper, which ended: " << exit->Describe();
  }
}

INSTANTIATE_TEST_SUITE_P(Ends, HelperDescendantsTest,
                         ::testing::Values(HelperEnd{"killed", End::kKilled},
                                           HelperEnd{"crashed", End::kCrashed},
                                           HelperEnd{"exited", End::kExited}),
                         [](const ::testing::TestParamInfo<HelperEnd>& info) {
                           return std::string(info.param.name);
                         });

}  // namespace
}  // namespace bulkhead
