// How each case is set up, each fault's expected end, and the escape
// fault's targets and verdict.
#include <uv.h>

#include <csignal>
#include <filesystem>
#include <set>
#include <string>

#include "absl/base/config.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "browser_host/crash_test/crash_test_internal.h"
#include "common/switches.h"
#include "sandbox/lockdown.h"

namespace bulkhead {
namespace {

#if defined(ABSL_HAVE_ADDRESS_SANITIZER) || defined(ABSL_HAVE_THREAD_SANITIZER)
constexpr bool kSanitizerReservesAddressSpace = true;
#else
constexpr bool kSanitizerReservesAddressSpace = false;
#endif
#if defined(ABSL_HAVE_ADDRESS_SANITIZER)
constexpr bool kAddressSanitizer = true;
#else
constexpr bool kAddressSanitizer = false;
#endif

CaseExpectation Crash(int signal, const char* name) {
  CaseExpectation expected;
  expected.kind = ExitKind::kCrashed;
  expected.signal = signal;
  expected.description = absl::StrCat("crashed (", name, ")");
  return expected;
}

CaseExpectation Kind(ExitKind kind) {
  CaseExpectation expected;
  expected.kind = kind;
  expected.description = ExitKindName(kind);
  return expected;
}

}  // namespace

Host::Options CrashCaseHostOptions(const RoleRegistry& roles,
                                   const CrashTestOptions& test,
                                   const std::string& role,
                                   const std::string& fault, bool sandboxed) {
  Host::Options options;
  options.roles = &roles;
  options.sandbox_helpers = sandboxed;
  options.forward_helper_output = false;
  options.handshake_timeout = absl::Seconds(10);
  // Quick hang detection, with room for a loaded machine.
  options.heartbeat.interval = absl::Milliseconds(200);
  options.heartbeat.timeout = absl::Seconds(2);
  if (fault == "escape") {
    // Descriptors and a thread left from before the lockdown, for the
    // escape suite to try through.
    options.helper_args.push_back(absl::StrCat("--", switches::kEscapeBait));
  }
  if (fault == "oom") {
    Host::RoleOptions& victim = options.role_options[role];
    victim.memory_limit_bytes = test.memory_limit_bytes;
    // Touching hundreds of megabytes keeps the loop busy: not a hang.
    Heartbeat::Options heartbeat = options.heartbeat;
    heartbeat.timeout = absl::Seconds(30);
    victim.heartbeat = heartbeat;
  }
  return options;
}

RestartPolicy CrashCaseRestartPolicy() {
  RestartPolicy policy;
  policy.mode = RestartPolicy::Mode::kAlways;
  policy.initial_backoff = absl::Milliseconds(10);
  policy.jitter = 0;
  return policy;
}

CaseExpectation ExpectationFor(const std::string& fault, bool sandboxed) {
  if (fault == "segv") return Crash(SIGSEGV, "SIGSEGV");
  if (fault == "abort") return Crash(SIGABRT, "SIGABRT");
  if (fault == "div_zero") return Crash(SIGFPE, "SIGFPE");
  if (fault == "stack_overflow") {
    CaseExpectation expected = Crash(SIGSEGV, "SIGSEGV");
    if (CrashTestUnderWine()) {
      expected.skip_reason =
          "under Wine a stack overflow wedges the helper in its "
          "unhandled-exception filter; needs real Windows";
    }
    return expected;
  }
  if (fault == "hang" || fault == "deadlock") return Kind(ExitKind::kHung);
  if (fault == "exit") {
    CaseExpectation expected = Kind(ExitKind::kErrorExit);
    expected.exit_code = kCrashTestExitCode;
    expected.description =
        absl::StrCat("error-exit (code ", kCrashTestExitCode, ")");
    return expected;
  }
  if (fault == "bad_message" || fault == "flood") {
    return Kind(ExitKind::kBadMessage);
  }
  if (fault == "oom") {
    CaseExpectation expected = Kind(ExitKind::kOutOfMemory);
    if (kSanitizerReservesAddressSpace) {
      expected.skip_reason =
          "a sanitizer reserves terabytes of address space: no memory limit "
          "can be set in this build";
    } else if (CrashTestUnderWine()) {
      expected.skip_reason =
          "Wine accepts job memory limits but does not enforce them";
    }
    return expected;
  }
  if (fault == "fork_bomb") {
    if (sandboxed && sandbox::LockdownAvailable()) {
      // glibc's fork() is clone without CLONE_THREAD, which the filter
      // refuses.
      CaseExpectation expected = Kind(ExitKind::kSandboxViolation);
      expected.syscall = "clone";
      expected.description = "sandbox-violation (syscall clone)";
      if (kAddressSanitizer) {
        expected.skip_reason =
            "AddressSanitizer's runtime aborts in a SIGSYS handler inside the "
            "sandbox's empty root";
      }
      return expected;
    }
    // Unconfined, the bomb multiplies (bounded) and the helper lives on: the
    // host must be able to kill it with every child.
    CaseExpectation expected = Kind(ExitKind::kKilledByHost);
    expected.kill_after_ack = true;
    expected.description = "killed-by-host";
    return expected;
  }
  CaseExpectation unknown;
  unknown.skip_reason = absl::StrCat("no expectation for fault ", fault);
  return unknown;
}

std::string ExitMismatch(const CaseExpectation& expected,
                         const ExitInfo& exit) {
  if (exit.kind != expected.kind) {
    return absl::StrCat("expected ", expected.description, ", got ",
                        exit.Describe());
  }
  if (expected.kind == ExitKind::kCrashed && exit.signal != expected.signal) {
    return absl::StrCat("expected signal ", expected.signal, ", got ",
                        exit.Describe());
  }
  if (expected.kind == ExitKind::kErrorExit &&
      exit.exit_code != expected.exit_code) {
    return absl::StrCat("expected exit code ", expected.exit_code, ", got ",
                        exit.Describe());
  }
  if (expected.kind == ExitKind::kSandboxViolation &&
      exit.syscall != expected.syscall) {
    return absl::StrCat("expected syscall ", expected.syscall, ", got ",
                        exit.Describe());
  }
  return "";
}

const std::string& PlantEnvironmentCanary() {
  static const std::string* const canary = [] {
    auto* value = new std::string(
        absl::StrCat("escape-canary-", uv_os_getpid(), "-not-for-helpers"));
    uv_os_setenv("BULKHEAD_ESCAPE_CANARY", value->c_str());
    return value;
  }();
  return *canary;
}

std::unique_ptr<EscapeListeners> EscapeListeners::Create(uv_loop_t* loop) {
  std::unique_ptr<EscapeListeners> listeners(new EscapeListeners());
  auto on_connection = [](uv_stream_t*, int) {};  // Reached is enough.
  listeners->tcp_ = ipc::UvHandle<uv_tcp_t>(loop);
  sockaddr_in address;
  uv_ip4_addr("127.0.0.1", 0, &address);
  if (uv_tcp_bind(listeners->tcp_.get(), reinterpret_cast<sockaddr*>(&address),
                  0) == 0 &&
      uv_listen(listeners->tcp_.stream(), 8, on_connection) == 0) {
    sockaddr_storage bound;
    int size = sizeof(bound);
    if (uv_tcp_getsockname(listeners->tcp_.get(),
                           reinterpret_cast<sockaddr*>(&bound), &size) == 0) {
      listeners->port_ =
          ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    }
  }
  listeners->abstract_ = ListenOnAbstractSocket(listeners->abstract_name_);
  char temp[1024];
  size_t temp_size = sizeof(temp);
  if (uv_os_tmpdir(temp, &temp_size) == 0) {
    listeners->path_ =
        absl::StrCat(std::string(temp, temp_size), "/bulkhead-crash-test-",
                     uv_os_getpid(), ".sock");
    listeners->unix_ = ipc::UvHandle<uv_pipe_t>(loop, /*ipc=*/0);
    if (uv_pipe_bind(listeners->unix_.get(), listeners->path_.c_str()) != 0 ||
        uv_listen(listeners->unix_.stream(), 8, on_connection) != 0) {
      listeners->path_.clear();
    }
  }
  return listeners;
}

EscapeListeners::~EscapeListeners() = default;

void EscapeListeners::FillTargets(int64_t sibling_pid,
                                  ipc::EscapeTargets& targets) const {
  targets.set_host_pid(uv_os_getpid());
  targets.set_sibling_pid(sibling_pid);
  targets.set_tcp_port(port_);
  targets.set_unix_socket_path(path_);
  targets.set_abstract_socket_name(abstract_name_);
  char home[1024];
  size_t home_size = sizeof(home);
  targets.set_home_dir(uv_os_homedir(home, &home_size) == 0
                           ? std::string(home, home_size)
                           : std::string("/root"));
  targets.set_sibling_channel_path(
      absl::StrCat("/proc/", sibling_pid, "/fd/3"));
  targets.set_environment_canary(PlantEnvironmentCanary());
}

void FillViewTargets(const std::vector<sandbox::FilesystemEntry>& view,
                     ipc::EscapeTargets& targets) {
  using Kind = sandbox::FilesystemEntry::Kind;
  auto is_directory = [](const std::string& path) {
    std::error_code error;
    return std::filesystem::is_directory(path, error);
  };
  bool holds_passwd = false;
  for (const sandbox::FilesystemEntry& entry : view) {
    if (entry.path == "/" ||
        absl::StartsWith("/etc/passwd/", entry.path + "/")) {
      holds_passwd = true;
    }
    if (entry.kind == Kind::kReadOnly && targets.view_ro_dir().empty() &&
        is_directory(entry.path)) {
      targets.set_view_ro_dir(entry.path);
    } else if (entry.kind == Kind::kReadWrite &&
               targets.view_rw_dir().empty() && is_directory(entry.path)) {
      targets.set_view_rw_dir(entry.path);
    } else if (entry.kind == Kind::kTmpfs && targets.view_tmpfs_dir().empty()) {
      targets.set_view_tmpfs_dir(entry.path);
      targets.set_view_tmpfs_bytes(entry.size_bytes);
    }
  }
  if (targets.view_ro_dir().empty()) {
    targets.clear_view_rw_dir();
    targets.clear_view_tmpfs_dir();
    targets.clear_view_tmpfs_bytes();
    return;
  }
  if (!holds_passwd) targets.set_view_outside_file("/etc/passwd");
}

EscapeVerdict JudgeEscape(const std::string& role, const ipc::Fault& answer) {
  // The network role's job is reaching the network.
  static const std::set<std::string> kAllowedForNetwork = {
      "socket-inet", "socket-inet6", "connect-tcp-localhost"};
  EscapeVerdict verdict;
  for (const ipc::EscapeAttempt& attempt : answer.escape_results()) {
    if (role == "network" && kAllowedForNetwork.contains(attempt.name())) {
      continue;
    }
    if (attempt.name() == "raise-rlimit-as" && kSanitizerReservesAddressSpace) {
      continue;
    }
    ++verdict.attempts;
    if (attempt.blocked()) {
      ++verdict.blocked;
    } else {
      absl::StrAppend(&verdict.unblocked, verdict.unblocked.empty() ? "" : "; ",
                      attempt.name(), " -> ", attempt.outcome());
    }
  }
  return verdict;
}

}  // namespace bulkhead
