// The demo's commands on real helpers: in order, waiting for a helper still
// starting, and what happens when it never gets there.
#include "browser_host/demo_commands.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/host/host_fixture.h"
#include "tests/support/openmetrics_check.h"

namespace bulkhead {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

class DemoCommandsTest : public testing::HostFixture {
 protected:
  // Commands on a supervisor of `role`'s one helper (never restarted).
  void Start(const std::string& role,
             absl::Duration wait_limit = DemoCommands::kDefaultWaitLimit) {
    Supervisor::Events events;
    events.on_started = [this](HelperProcess&) { commands_->Resume(); };
    events.on_exited = [this](const ExitInfo& exit,
                              std::optional<absl::Duration>) {
      exits_.push_back(exit);
      commands_->OnExit(exit);
    };
    supervisor_ = std::make_unique<Supervisor>(*host_, std::move(events));
    commands_ = std::make_unique<DemoCommands>(
        *host_, *supervisor_, config_, absl::Seconds(1),
        DemoCommands::Hooks{
            .print = [this](const std::string& text) { said_.push_back(text); },
            .show_status = [this] { said_.push_back("<status>"); },
            .quit = [this] { said_.push_back("<quit>"); },
            .end_of_input = [this] { said_.push_back("<end of input>"); },
            .on_action = nullptr,
            .starting_up = [this] { return starting_up_; },
            .line_done = [this] { ++lines_done_; }},
        wait_limit);
    RestartPolicy never;
    never.mode = RestartPolicy::Mode::kNever;
    ASSERT_TRUE(supervisor_->Supervise(role, 1, never).ok());
  }

  void TearDown() override {
    commands_.reset();
    supervisor_.reset();
  }

  bool Said(const std::string& text) {
    for (const std::string& line : said_) {
      if (line == text) return true;
    }
    return false;
  }

  HostConfig config_;
  bool starting_up_ = false;
  int lines_done_ = 0;
  std::unique_ptr<Supervisor> supervisor_;
  std::unique_ptr<DemoCommands> commands_;
  std::vector<std::string> said_;
};

// Each line is done once, when it leaves the queue: not while it waits (the
// app's reader reads no further ahead than the lines done).
TEST_F(DemoCommandsTest, ALineIsDoneWhenItLeavesTheQueue) {
  Start("renderer");
  commands_->Run("kill renderer");
  commands_->Run("");
  commands_->Run("frobnicate");
  commands_->Run("status");
  commands_->EndOfInput();
  EXPECT_EQ(lines_done_, 0);  // All behind the waiting one.
  ASSERT_TRUE(RunUntil([&] { return Said("<end of input>"); }))
      << absl::StrJoin(said_, "");
  EXPECT_EQ(lines_done_, 4);
}

TEST_F(DemoCommandsTest, ACommandForAHelperStillStartingWaitsForIt) {
  Start("renderer");
  ASSERT_EQ(host_->FindHelper("renderer")->state(),
            HelperProcess::State::kStarting);
  commands_->Run("kill renderer");
  commands_->Run("status");
  commands_->EndOfInput();
  EXPECT_TRUE(said_.empty()) << absl::StrJoin(said_, "");  // Waiting.
  ASSERT_TRUE(RunUntil([&] { return Said("<end of input>"); }))
      << absl::StrJoin(said_, "");
  EXPECT_THAT(said_, ElementsAre("  killing renderer-1\n", "<status>",
                                 "<end of input>"));
  ASSERT_TRUE(RunUntil([&] { return !exits_.empty(); }));
  EXPECT_EQ(exits_[0].kind, ExitKind::kKilledByHost);
}

// exit7 exits before it is ready: the command waiting for it is not run,
// says why, and the next one runs.
TEST_F(DemoCommandsTest, ACommandWhoseHelperEndsWhileItWaitsIsNotRun) {
  Start("exit7");
  commands_->Run("crash exit7 segv");
  commands_->Run("status");
  ASSERT_TRUE(RunUntil([&] { return Said("<status>"); }))
      << absl::StrJoin(said_, "");
  ASSERT_EQ(said_.size(), 2u) << absl::StrJoin(said_, "");
  EXPECT_THAT(
      said_[0],
      ::testing::Eq("not run: 'crash exit7 segv': exit7-1 ended while it "
                    "waited (error-exit (code 7))\n"));
  EXPECT_EQ(said_[1], "<status>");
}

// While the app is starting up, a command waits even for a ready helper; no
// longer than its limit.
TEST_F(DemoCommandsTest, ACommandWaitsNoLongerThanItsLimit) {
  starting_up_ = true;
  Start("renderer", absl::Milliseconds(300));
  commands_->Run("kill renderer");
  commands_->EndOfInput();
  ASSERT_TRUE(RunUntil([&] { return Said("<end of input>"); }));
  EXPECT_THAT(said_, ElementsAre("not run: 'kill renderer': renderer-1 was "
                                 "not ready within 300ms\n",
                                 "<end of input>"));
  // Not killed: it goes on to Ready (it may still be starting: 300 ms is
  // short for a helper under Wine on a busy machine).
  EXPECT_TRUE(RunUntil([&] {
    HelperProcess* renderer = host_->FindHelper("renderer");
    return renderer != nullptr &&
           renderer->state() == HelperProcess::State::kReady;
  }));
  EXPECT_TRUE(exits_.empty()) << exits_.front().Describe();
}

// Once the app is up (Resume), the waiting command runs.
TEST_F(DemoCommandsTest, ACommandWaitingForTheAppRunsWhenItIsUp) {
  starting_up_ = true;
  Start("renderer");
  commands_->Run("crash renderer exit 5");
  ASSERT_TRUE(RunUntil([&] {
    HelperProcess* renderer = host_->FindHelper("renderer");
    return renderer != nullptr &&
           renderer->state() == HelperProcess::State::kReady;
  }));
  EXPECT_TRUE(said_.empty()) << absl::StrJoin(said_, "");
  starting_up_ = false;
  commands_->Resume();
  ASSERT_TRUE(RunUntil([&] { return !exits_.empty(); }));
  EXPECT_EQ(said_.front(), "  injecting exit into renderer-1\n");
  EXPECT_EQ(exits_[0].kind, ExitKind::kErrorExit);
  EXPECT_EQ(exits_[0].exit_code, 5);
}

TEST_F(DemoCommandsTest, ACommandForNoHelperSaysSoAtOnce) {
  Start("renderer");
  commands_->Run("kill nobody-9");
  EXPECT_THAT(said_, ElementsAre(HasSubstr("no helper 'nobody-9'")));
}

// `metrics`: the OpenMetrics text of the host now, its roles' exits
// included.
TEST_F(DemoCommandsTest, MetricsPrintsTheHostsSnapshotAsOpenMetrics) {
  Start("renderer");
  ASSERT_TRUE(RunUntil([&] {
    HelperProcess* helper = host_->FindHelper("renderer");
    return helper != nullptr && helper->state() == HelperProcess::State::kReady;
  }));
  commands_->Run("metrics");
  ASSERT_EQ(said_.size(), 1u);
  absl::StatusOr<std::vector<testing::OpenMetricsSample>> before =
      testing::CheckOpenMetrics(said_[0]);
  ASSERT_TRUE(before.ok()) << before.status() << "\n" << said_[0];
  EXPECT_THAT(said_[0], HasSubstr("bulkhead_helper_state{role=\"renderer\","));

  const uint64_t id = host_->FindHelper("renderer")->id();
  commands_->Run("kill renderer");
  ASSERT_NE(WaitForExit(id), nullptr);
  said_.clear();
  commands_->Run("metrics");
  ASSERT_EQ(said_.size(), 1u);
  absl::StatusOr<std::vector<testing::OpenMetricsSample>> after =
      testing::CheckOpenMetrics(said_[0]);
  ASSERT_TRUE(after.ok()) << after.status() << "\n" << said_[0];
  EXPECT_THAT(said_[0], HasSubstr("bulkhead_role_exits_total{role=\"renderer\","
                                  "kind=\"killed-by-host\"} 1\n"));
  EXPECT_THAT(said_[0], HasSubstr("bulkhead_role_last_exit_info{role="
                                  "\"renderer\",kind=\"killed-by-host\""));
}

// A helper's bytes in a label (here a launch failure's stderr line, with an
// ANSI colour, a ^A and a NUL) reach the terminal escaped: the
// format lets a label hold them raw, a terminal would obey them.
TEST_F(DemoCommandsTest, MetricsEscapesControlCharactersForTheTerminal) {
  Start("bad-words");
  ASSERT_TRUE(RunUntil([&] { return !exits_.empty(); }));
  ASSERT_EQ(exits_[0].kind, ExitKind::kLaunchFailed);
  commands_->Run("metrics");
  ASSERT_EQ(said_.size(), 1u);
  EXPECT_THAT(said_[0],
              HasSubstr("bulkhead_role_last_exit_info{role=\"bad-words\""));
  EXPECT_THAT(said_[0], HasSubstr("\\x1b[0m"));
  for (char c : said_[0]) {
    const auto byte = static_cast<unsigned char>(c);
    EXPECT_TRUE(c == '\n' || c == '\t' || (byte >= 0x20 && byte != 0x7F))
        << "control character " << static_cast<int>(c) << " in " << said_[0];
  }
}

}  // namespace
}  // namespace bulkhead
