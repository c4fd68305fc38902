// The adversarial app: built against the installed package like any app,
// it launches helpers of its own roles (adversarial_roles.cc) that misbehave,
// each sandboxed and unsandboxed, beside a sibling that must keep answering,
// and checks the exact ExitInfo the host reports and that nothing is left
// behind: no process of the helper's (by the tag on its command line, its
// process group and session), no new child or zombie of the host, the host's
// descriptors back to where they were. Run by ctest
// (tests/adversarial/run_adversarial.cmake); prints one line per case and
// exits non-zero when a case fails that is not on the known-failures list.
//
//   adversarial_app [--only=SUBSTRING] [--mode=sandboxed|unsandboxed]
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "adversarial_cases.h"
#include "adversarial_roles.h"
#include "bulkhead/helper.h"
#include "bulkhead/host.h"
#include "mode_run.h"

namespace adversarial {
namespace {

FILE* g_verdicts = stdout;

void PrintResult(const Result& result, const std::string& status,
                 const std::string& note) {
  std::string timing = absl::StrCat(
      "loop lag ", absl::ToInt64Milliseconds(result.lag.max_loop()),
      "ms, machine ", absl::ToInt64Milliseconds(result.lag.max_machine()),
      "ms");
  if (result.took != absl::ZeroDuration()) {  // A case, not a mode's check.
    timing = absl::StrFormat("ready %.2fs, exit %.2fs, done %.2fs, %s",
                             absl::ToDoubleSeconds(result.ready_after),
                             absl::ToDoubleSeconds(result.exit_after),
                             absl::ToDoubleSeconds(result.took), timing);
  }
  std::fprintf(g_verdicts, "%-5s %s: %s [%s]%s\n", status.c_str(),
               result.name.c_str(),
               result.described.empty() ? "-" : result.described.c_str(),
               timing.c_str(), note.c_str());
  for (const std::string& problem : result.problems) {
    std::fprintf(g_verdicts, "        %s\n", problem.c_str());
  }
}

}  // namespace
}  // namespace adversarial

int main(int argc, char** argv) {
  bulkhead::RoleRegistry roles;
  if (absl::Status registered = adversarial::RegisterRoles(roles);
      !registered.ok()) {
    std::fprintf(stderr, "%s\n", registered.ToString().c_str());
    return 2;
  }
  if (auto code = bulkhead::MaybeRunHelper(argc, argv, roles)) return *code;

  using adversarial::Mode;
  if (FILE* verdicts = fdopen(dup(STDOUT_FILENO), "w")) {
    adversarial::g_verdicts = verdicts;
    dup2(STDERR_FILENO, STDOUT_FILENO);
  }
  FILE* const out = adversarial::g_verdicts;
  std::string only;
  std::vector<Mode> modes = {Mode::kUnsandboxed, Mode::kSandboxed};
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (absl::ConsumePrefix(&arg, "--only=")) {
      only = std::string(arg);
    } else if (arg == "--mode=sandboxed") {
      modes = {Mode::kSandboxed};
    } else if (arg == "--mode=unsandboxed") {
      modes = {Mode::kUnsandboxed};
    } else {
      std::fprintf(stderr,
                   "usage: %s [--only=SUBSTRING] "
                   "[--mode=sandboxed|unsandboxed]\n",
                   argv[0]);
      return 2;
    }
  }
  std::vector<adversarial::Case> cases;
  for (adversarial::Case& c : adversarial::AllCases()) {
    if (absl::StrContains(c.name, only)) cases.push_back(std::move(c));
  }
  if (!bulkhead::SandboxedLaunchAvailable()) {
    std::fprintf(out, "SKIP  every sandboxed case: no sandboxed launch here\n");
    modes.erase(std::remove(modes.begin(), modes.end(), Mode::kSandboxed),
                modes.end());
  }
  const std::string nonce =
      absl::StrCat(getpid(), "-", absl::ToUnixMicros(absl::Now()));
  const absl::Time start = absl::Now();
  int passed = 0, failed = 0;
  std::vector<std::string> xfail, xpass;
  for (Mode mode : modes) {
    adversarial::ModeRun run(mode, roles, nonce, cases);
    for (const adversarial::Result& result : run.Run()) {
      const std::string case_name =
          result.name.substr(0, result.name.rfind('/'));
      const std::optional<adversarial::KnownFailureNote> known =
          adversarial::KnownFailure(case_name, mode);
      if (result.problems.empty()) {
        ++passed;
        if (known && known->sometimes_passes) {
          adversarial::PrintResult(
              result, "PASS",
              " (on the known-failures list; fails only by timing)");
        } else if (known) {
          xpass.push_back(result.name);
          adversarial::PrintResult(
              result, "XPASS", " (on the known-failures list: take it off)");
        } else {
          adversarial::PrintResult(result, "PASS", "");
        }
      } else if (known) {
        xfail.push_back(absl::StrCat(result.name, ": ", known->why));
        adversarial::PrintResult(result, "XFAIL",
                                 absl::StrCat(" (known: ", known->why, ")"));
      } else {
        ++failed;
        adversarial::PrintResult(result, "FAIL", "");
      }
      std::fflush(out);
    }
  }
  std::fprintf(out, "\nKnown failures (XFAIL, not counted as failures): %zu\n",
               xfail.size());
  for (const std::string& line : xfail)
    std::fprintf(out, "  %s\n", line.c_str());
  if (!xpass.empty()) {
    std::fprintf(out, "Passing but on the known-failures list (XPASS): %s\n",
                 absl::StrJoin(xpass, ", ").c_str());
  }
  std::fprintf(
      out,
      "adversarial: %d passed, %d failed, %zu known failures, %zu xpass in "
      "%.1fs\n",
      passed, failed, xfail.size(), xpass.size(),
      absl::ToDoubleSeconds(absl::Now() - start));
  return failed == 0 ? 0 : 1;
}
