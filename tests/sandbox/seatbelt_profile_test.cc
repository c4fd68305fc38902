// The seatbelt profile's text, on every platform. What macOS makes of it is
// not tested here (no Mac): seatbelt_profile.h says what is unverified.
#include "sandbox/seatbelt_profile.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sandbox/sandbox_policy.h"

namespace bulkhead::sandbox {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// The profile's lines without its comments and blank lines: the rules, one
// per line as the generator writes them.
std::vector<std::string> Rules(absl::string_view profile) {
  std::vector<std::string> rules;
  for (absl::string_view line : absl::StrSplit(profile, '\n')) {
    if (line.empty() || line.front() == ';') continue;
    rules.emplace_back(line);
  }
  return rules;
}

// The rules that mention `needle`.
std::vector<std::string> RulesWith(absl::string_view profile,
                                   absl::string_view needle) {
  std::vector<std::string> found;
  for (std::string& rule : Rules(profile)) {
    if (absl::StrContains(rule, needle)) found.push_back(std::move(rule));
  }
  return found;
}

// "" when `sbpl` reads as a sequence of balanced s-expressions, each a list:
// parentheses nest and close, strings ("..." and #"...", with backslash
// escapes) end, and `;` comments run to the end of their line outside
// strings. Otherwise what is wrong and where. `lists`, if given, is set to
// the number of top-level lists.
std::string BalanceError(absl::string_view sbpl, int* lists = nullptr) {
  int depth = 0;
  int top_level = 0;
  bool in_string = false;
  bool in_comment = false;
  for (size_t i = 0; i < sbpl.size(); ++i) {
    const char c = sbpl[i];
    if (in_comment) {
      if (c == '\n') in_comment = false;
    } else if (in_string) {
      if (c == '\\') {
        if (++i == sbpl.size()) return "a backslash ends the text";
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == ';') {
      in_comment = true;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '(') {
      if (depth++ == 0) ++top_level;
    } else if (c == ')') {
      if (--depth < 0) return "a ')' closes nothing at " + std::to_string(i);
    } else if (depth == 0 && c != ' ' && c != '\n') {
      return "an atom outside any list at " + std::to_string(i);
    }
  }
  if (in_string) return "a string is not closed";
  if (depth != 0) return std::to_string(depth) + " list(s) not closed";
  if (lists != nullptr) *lists = top_level;
  return "";
}

// The helper's pid the profiles below are made for.
constexpr int64_t kOwnPid = 4321;

SandboxPolicy MustBuild(const SandboxPolicyBuilder& builder) {
  absl::StatusOr<SandboxPolicy> policy = builder.Build();
  EXPECT_TRUE(policy.ok()) << policy.status();
  return policy.ok() ? *std::move(policy) : SandboxPolicy{};
}

std::string MustProfile(const SandboxPolicy& policy) {
  absl::StatusOr<std::string> profile = SeatbeltProfile(policy, kOwnPid);
  EXPECT_TRUE(profile.ok()) << profile.status();
  return profile.ok() ? *std::move(profile) : std::string();
}

TEST(SeatbeltProfileTest, VersionThenDenyDefaultComeFirst) {
  const std::vector<std::string> rules =
      Rules(MustProfile(PresetForRole("renderer")));
  ASSERT_GE(rules.size(), 2u);
  EXPECT_EQ(rules[0], "(version 1)");
  EXPECT_EQ(rules[1], "(deny default)");
}

TEST(SeatbeltProfileTest, AReadOnlyEntryIsReadAndNeverWritten) {
  const std::string profile = MustProfile(
      MustBuild(SandboxPolicyBuilder::FromPolicy(PresetForRole("renderer"))
                    .AddReadOnly("/usr/share/fonts")));
  const std::vector<std::string> rules =
      RulesWith(profile, "\"/usr/share/fonts\"");
  ASSERT_EQ(rules.size(), 1u) << profile;
  EXPECT_THAT(rules[0], HasSubstr("file-read*"));
  EXPECT_THAT(rules[0], HasSubstr("(subpath \"/usr/share/fonts\")"));
  EXPECT_THAT(rules[0], ::testing::Not(HasSubstr("write")));
}

TEST(SeatbeltProfileTest, AReadWriteEntryIsReadAndWrittenButNotMapped) {
  const std::string profile = MustProfile(
      MustBuild(SandboxPolicyBuilder::FromPolicy(PresetForRole("utility"))
                    .AddReadOnly("/srv/data")
                    .AddReadWrite("/srv/data/cache")));
  const std::vector<std::string> rules =
      RulesWith(profile, "\"/srv/data/cache\"");
  ASSERT_EQ(rules.size(), 2u) << profile;
  EXPECT_THAT(rules[0], HasSubstr("(allow file-read* file-write* (subpath"));
  // Inside a read-only directory whose code may be mapped: the deny comes
  // after that allow, so it decides.
  EXPECT_EQ(rules[1],
            "(deny file-map-executable (subpath \"/srv/data/cache\"))");
  EXPECT_LT(profile.find("(subpath \"/srv/data\")"), profile.find(rules[1]));
}

TEST(SeatbeltProfileTest, DevicesAreLiteralsAndTmpfsIsTheScratchParameter) {
  const SandboxPolicy policy =
      MustBuild(SandboxPolicyBuilder::FromPolicy(PresetForRole("renderer"))
                    .AddDevice("/dev/urandom")
                    .AddTmpfs("/scratch", 1 << 20));
  const std::string profile = MustProfile(policy);
  EXPECT_THAT(profile, HasSubstr("(literal \"/dev/urandom\")"));
  const std::vector<std::string> scratch =
      RulesWith(profile, "(param \"SCRATCH_DIR\")");
  // Read and written; never mapped executable, the last rule deciding.
  ASSERT_EQ(scratch.size(), 2u) << profile;
  EXPECT_THAT(scratch[0], HasSubstr("(allow file-read* file-write*"));
  EXPECT_THAT(scratch[1], HasSubstr("(deny file-map-executable"));
  EXPECT_TRUE(RulesWith(profile, "\"/scratch\"").empty()) << profile;
  EXPECT_TRUE(SeatbeltProfileNeedsScratchDir(policy));

  const SandboxPolicy without = PresetForRole("renderer");
  EXPECT_FALSE(SeatbeltProfileNeedsScratchDir(without));
  EXPECT_THAT(MustProfile(without), ::testing::Not(HasSubstr("SCRATCH_DIR")));
}

TEST(SeatbeltProfileTest, NetworkOnlyForTheHostNetwork) {
  const std::string none = MustProfile(PresetForRole("renderer"));
  EXPECT_TRUE(RulesWith(none, "network").empty()) << none;

  const std::string host = MustProfile(PresetForRole("network"));
  EXPECT_THAT(Rules(host), ::testing::Contains("(allow network*)")) << host;
}

TEST(SeatbeltProfileTest, NoNetworkWhenTheNetNamespaceLayerIsOn) {
  // The shape a helper rebuilds from its Welcome: the layers, and the
  // network field left at NoSandboxPolicy's kHost.
  SandboxPolicy rebuilt = NoSandboxPolicy();
  rebuilt.layers = PresetForRole("renderer").layers;
  ASSERT_EQ(rebuilt.network, Network::kHost);
  const std::string profile = MustProfile(rebuilt);
  EXPECT_TRUE(RulesWith(profile, "network").empty()) << profile;
}

TEST(SeatbeltProfileTest, ForkOnlyWhenTheAllowlistHasIt) {
  for (const std::string& name : PresetNames()) {
    const std::string profile = MustProfile(PresetForRole(name));
    EXPECT_TRUE(RulesWith(profile, "process-fork").empty()) << name;
    EXPECT_TRUE(RulesWith(profile, "process-exec").empty()) << name;
  }
  // Set directly, not with AllowSyscall: arm64 has no `fork` for Build() to
  // accept, and the base runtime's clone rules and clone3's ENOSYS would
  // conflict with allowing those outright.
  for (const char* call : {"fork", "vfork", "clone", "clone3"}) {
    SandboxPolicy policy = PresetForRole("renderer");
    policy.allowed_syscalls.push_back(call);
    const std::string forking = MustProfile(policy);
    EXPECT_THAT(Rules(forking), ::testing::Contains("(allow process-fork)"))
        << call;
    EXPECT_TRUE(RulesWith(forking, "process-exec").empty()) << call;
  }
}

// The channel's regions are the helper's own, named with its pid: another
// helper's (or the host's) are out of reach even by a guessed name.
TEST(SeatbeltProfileTest, SharedMemoryOnlyUnderTheHelpersOwnPid) {
  const std::string profile = MustProfile(PresetForRole("renderer"));
  const std::vector<std::string> shm = RulesWith(profile, "ipc-posix-shm");
  ASSERT_EQ(shm.size(), 1u) << profile;
  EXPECT_THAT(shm[0], HasSubstr("(ipc-posix-name-regex #\"^/bh\\.4321\\.\")"));
  EXPECT_THAT(shm[0], Not(HasSubstr("#\"^/bh\\.\"")));
}

TEST(SeatbeltProfileTest, QuotesAndBackslashesInAPathAreEscaped) {
  const std::string profile = MustProfile(
      MustBuild(SandboxPolicyBuilder::FromPolicy(PresetForRole("renderer"))
                    .AddReadOnly("/data/a\"b\\c")));
  EXPECT_THAT(profile, HasSubstr(R"((subpath "/data/a\"b\\c"))")) << profile;
}

TEST(SeatbeltProfileTest, APathThatIsNotAbsoluteIsRefusedByName) {
  SandboxPolicy policy = PresetForRole("renderer");
  policy.filesystem.push_back({FilesystemEntry::Kind::kReadOnly, "data/fonts"});
  absl::StatusOr<std::string> profile = SeatbeltProfile(policy, kOwnPid);
  EXPECT_EQ(profile.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(profile.status().message(), HasSubstr("\"data/fonts\""));
  EXPECT_THAT(profile.status().message(), HasSubstr("not an absolute path"));
}

TEST(SeatbeltProfileTest, APathWithALineBreakIsRefusedByName) {
  // Build() lets a newline through (it is a valid file name); SBPL text
  // would not hold it safely.
  const SandboxPolicy policy =
      MustBuild(SandboxPolicyBuilder::FromPolicy(PresetForRole("renderer"))
                    .AddReadOnly("/data/x\ny"));
  absl::StatusOr<std::string> profile = SeatbeltProfile(policy, kOwnPid);
  EXPECT_EQ(profile.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(profile.status().message(), HasSubstr(R"("/data/x\ny")"));
  EXPECT_THAT(profile.status().message(), HasSubstr("line break"));
}

TEST(SeatbeltProfileTest, APolicyBuildWouldRefuseIsRefused) {
  // Not from Build(): a "device" that is a disk must not become a literal.
  SandboxPolicy policy = PresetForRole("renderer");
  policy.filesystem.push_back({FilesystemEntry::Kind::kDevice, "/dev/disk0"});
  absl::StatusOr<std::string> profile = SeatbeltProfile(policy, kOwnPid);
  EXPECT_EQ(profile.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(profile.status().message(), HasSubstr("/dev/disk0"));
}

TEST(SeatbeltProfileTest, TheBalanceCheckerFindsWhatIsWrong) {
  EXPECT_EQ(BalanceError("(a (b \"c)\") #\"^x\\.\") ; (\n(d)"), "");
  EXPECT_NE(BalanceError("(a"), "");
  EXPECT_NE(BalanceError("(a))"), "");
  EXPECT_NE(BalanceError("(a \"b)"), "");
  EXPECT_NE(BalanceError("(a \"b\\\")"), "");
  EXPECT_NE(BalanceError("(a) b"), "");
  int lists = 0;
  EXPECT_EQ(BalanceError("(a (b)) ; (c)\n(d \")(\")", &lists), "");
  EXPECT_EQ(lists, 2);
}

TEST(SeatbeltProfileTest, EveryProfileIsBalancedSExpressions) {
  std::vector<SandboxPolicy> policies;
  for (const std::string& name : PresetNames()) {
    policies.push_back(PresetForRole(name));
  }
  // Paths that would break out of their string if quoting failed.
  policies.push_back(
      MustBuild(SandboxPolicyBuilder::FromPolicy(PresetForRole("network"))
                    .AddReadOnly("/data/x\") (allow default) (\"")
                    .AddReadWrite("/data/x\") (allow default) (\"/rw;(")
                    .AddReadOnly("/data/back\\")
                    .AddTmpfs("/scratch/a)\"b", 1 << 20)
                    .AddDevice("/dev/null")));
  policies.back().allowed_syscalls.push_back("fork");
  for (const SandboxPolicy& policy : policies) {
    const std::string profile = MustProfile(policy);
    EXPECT_EQ(BalanceError(profile), "") << profile;
    // Each rule line is one whole list: a path that escaped its string would
    // leave a line unbalanced or split it into several lists.
    for (const std::string& rule : Rules(profile)) {
      int lists = 0;
      EXPECT_EQ(BalanceError(rule, &lists), "") << rule;
      EXPECT_EQ(lists, 1) << rule;
    }
  }
}

}  // namespace
}  // namespace bulkhead::sandbox
