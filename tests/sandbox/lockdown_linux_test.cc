// The helper's lockdown, run for real in forked children of the test.
#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <functional>
#include <string>

#include "absl/base/config.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "sandbox/lockdown.h"
#include "sandbox/sandbox_probe.h"
#include "sandbox/seccomp_program.h"

namespace bulkhead::sandbox {
namespace {

// Runs `body` in a forked child; returns its exit code (or 100 + signal).
int InChild(const std::function<int()>& body) {
  const pid_t child = ::fork();
  if (child == 0) ::_exit(body());
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

SandboxPolicy OnlyLayers(
    std::initializer_list<std::pair<Layer, Requirement>> layers) {
  SandboxPolicy policy = NoSandboxPolicy();
  for (const auto& [layer, requirement] : layers) {
    policy.layers[static_cast<int>(layer)] = requirement;
  }
  return policy;
}

const std::string* ProbeState(const SandboxReport& report,
                              const std::string& layer) {
  for (const auto& [name, state] : report.layers) {
    if (name == layer) return &state;
  }
  return nullptr;
}

TEST(LockdownTest, RequiredLayerThatFailsStopsTheLockdownNamingIt) {
  // No private mount namespace here: the empty root cannot be made.
  const int code = InChild([] {
    LockdownRequest request;
    request.policy = OnlyLayers({{Layer::kChroot, Requirement::kRequired},
                                 {Layer::kNoNewPrivs, Requirement::kRequired}});
    request.host_namespaces = CurrentNamespaces();
    absl::StatusOr<std::vector<LayerOutcome>> done = LockDown(request);
    if (done.ok()) return 1;
    if (!absl::IsFailedPrecondition(done.status())) return 2;
    if (!absl::StrContains(done.status().message(), "chroot (required)"))
      return 3;
    return 0;
  });
  EXPECT_EQ(code, 0);
}

TEST(LockdownTest, MissingBestEffortLayerIsReportedAndTheRestApplies) {
  const int code = InChild([] {
    LockdownRequest request;
    request.policy =
        OnlyLayers({{Layer::kChroot, Requirement::kBestEffort},
                    {Layer::kNoNewPrivs, Requirement::kRequired},
                    {Layer::kResourceLimits, Requirement::kRequired}});
    request.policy.limits.open_files = 32;
    request.host_namespaces = CurrentNamespaces();
    absl::StatusOr<std::vector<LayerOutcome>> done = LockDown(request);
    if (!done.ok() || done->size() != 3) return 1;
    if ((*done)[0].layer != Layer::kChroot || (*done)[0].in_force) return 2;
    const SandboxReport report = ProbeSandbox();
    const std::string* nnp = ProbeState(report, "no-new-privs");
    const std::string* chroot = ProbeState(report, "chroot");
    if (nnp == nullptr || !absl::StartsWith(*nnp, "on")) return 3;
    if (chroot == nullptr || !absl::StartsWith(*chroot, "off")) return 4;
    // Every required layer is on: sandboxed as far as this policy goes.
    if (!report.sandboxed) return 5;
    // The new fd limit holds.
    if (::fcntl(0, F_DUPFD, 40) != -1 || errno != EINVAL) return 6;
    return 0;
  });
  EXPECT_EQ(code, 0);
}

TEST(LockdownTest, FullLockdownInOwnUserAndMountNamespaces) {
#if defined(ABSL_HAVE_THREAD_SANITIZER)
  GTEST_SKIP() << "ThreadSanitizer restarts its background thread in a forked "
                  "child, and unshare(CLONE_NEWUSER) needs a single-threaded "
                  "process";
#endif
  const uid_t uid = ::geteuid();
  const gid_t gid = ::getegid();
  absl::StatusOr<SandboxPolicy> policy = SandboxPolicyBuilder("test")
                                             .AllowBaseRuntime()
                                             .Disable(Layer::kPidNamespace)
                                             .Disable(Layer::kNetNamespace)
                                             .Disable(Layer::kIpcNamespace)
                                             .Disable(Layer::kUtsNamespace)
                                             .BestEffort(Layer::kLandlock)
                                             .BestEffort(Layer::kCgroup)
                                             .SetOpenFilesLimit(64)
                                             .Build();
  ASSERT_TRUE(policy.ok()) << policy.status();
  absl::StatusOr<std::string> program = CompileSeccompProgram(*policy);
  ASSERT_TRUE(program.ok()) << program.status();
  const auto host_namespaces = CurrentNamespaces();
  const int code = InChild([&] {
    if (::unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) return 10;
    auto write = [](const char* path, const std::string& text) {
      const int fd = ::open(path, O_WRONLY);
      const bool ok = fd >= 0 && ::write(fd, text.data(), text.size()) ==
                                     static_cast<ssize_t>(text.size());
      if (fd >= 0) ::close(fd);
      return ok;
    };
    if (!write("/proc/self/uid_map", absl::StrCat("0 ", uid, " 1")) ||
        !write("/proc/self/setgroups", "deny") ||
        !write("/proc/self/gid_map", absl::StrCat("0 ", gid, " 1"))) {
      return 11;
    }
    LockdownRequest request;
    request.policy = *policy;
    request.seccomp_program = *program;
    request.host_namespaces = host_namespaces;
    absl::StatusOr<std::vector<LayerOutcome>> done = LockDown(request);
    if (!done.ok()) return 12;
    const SandboxReport report = ProbeSandbox();
    for (const char* layer : {"user-ns", "mount-ns", "chroot", "drop-caps",
                              "no-new-privs", "not-dumpable", "seccomp"}) {
      const std::string* state = ProbeState(report, layer);
      if (state == nullptr || !absl::StartsWith(*state, "on")) return 20;
    }
    // The filesystem is gone: the root is empty and paths lead nowhere.
    if (::access("/etc/passwd", F_OK) == 0) return 30;
    return report.sandboxed ? 0 : 31;
  });
  EXPECT_EQ(code, 0);
}

}  // namespace
}  // namespace bulkhead::sandbox
