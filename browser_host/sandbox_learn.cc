#include "browser_host/sandbox_learn.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "browser_host/demo_work.h"
#include "host/host.h"
#include "sandbox/lockdown.h"
#include "sandbox/sandbox_policy.h"

namespace bulkhead {
namespace {

constexpr absl::Duration kDeadline = absl::Seconds(10);

// How `preset` treats `call`.
std::string PresetVerdict(const sandbox::SandboxPolicy& preset,
                          const std::string& call) {
  const auto& allowed = preset.allowed_syscalls;
  if (std::find(allowed.begin(), allowed.end(), call) != allowed.end()) {
    return "allowed";
  }
  for (const sandbox::ArgumentRule& rule : preset.argument_rules) {
    if (rule.syscall == call) return "allowed for some arguments";
  }
  for (const auto& [name, error] : preset.errno_syscalls) {
    if (name == call) return absl::StrCat("fails with errno ", error);
  }
  return "NOT ALLOWED: a violation under the preset";
}

void Print(std::FILE* out, const std::string& role,
           const sandbox::SandboxPolicy& preset,
           const std::vector<std::string>& made) {
  std::fprintf(out, "%s made %zu distinct system calls after lockdown:\n",
               role.c_str(), made.size());
  int violations = 0;
  for (const std::string& call : made) {
    const std::string verdict = PresetVerdict(preset, call);
    if (absl::StartsWith(verdict, "NOT")) ++violations;
    std::fprintf(out, "  %-22s %s\n", call.c_str(), verdict.c_str());
  }
  std::vector<std::string> unused;
  for (const std::string& call : preset.allowed_syscalls) {
    if (std::find(made.begin(), made.end(), call) == made.end()) {
      unused.push_back(call);
    }
  }
  std::fprintf(out,
               "\nDifference from the '%s' preset: %d call(s) it would refuse; "
               "%zu it allows were not made this run (other paths may need "
               "them):\n  %s\n",
               preset.name.c_str(), violations, unused.size(),
               absl::StrJoin(unused, " ").c_str());
  // What the role made beyond what every helper's runtime gets anyway.
  absl::StatusOr<sandbox::SandboxPolicy> base =
      sandbox::SandboxPolicyBuilder("base").AllowBaseRuntime().Build();
  std::vector<std::string> extra;
  for (const std::string& call : made) {
    if (!base.ok() || absl::StartsWith(PresetVerdict(*base, call), "NOT")) {
      extra.push_back(call);
    }
  }
  std::fprintf(out,
               "\nProposed policy (the runtime's base set, plus what the role "
               "made beyond it):\n"
               "  sandbox::SandboxPolicyBuilder(\"%s\")\n"
               "      .AllowBaseRuntime()\n",
               role.c_str());
  // A role that made sockets needs the host's network: its own sockets
  // follow from that choice (Build refuses `socket` with Network::kNone).
  const auto socket = std::find(extra.begin(), extra.end(), "socket");
  if (socket != extra.end()) {
    extra.erase(socket);
    std::fprintf(out, "      .SetNetwork(sandbox::Network::kHost)\n");
  }
  if (!extra.empty()) {
    std::fprintf(out, "      .AllowSyscalls({\"%s\"})\n",
                 absl::StrJoin(extra, "\", \"").c_str());
  }
  std::fprintf(out, "      .Build();\n");
  std::fprintf(out,
               "\nTightest allowlist seen this run (may miss rarer paths):\n"
               "      .AllowSyscalls({\"%s\"})\n",
               absl::StrJoin(made, "\", \"").c_str());
}

}  // namespace

int RunSandboxLearn(const RoleRegistry& roles, const std::string& role,
                    std::FILE* out) {
  // A usage error first, on every platform.
  if (!roles.Contains(role)) {
    std::fprintf(stderr,
                 "browser_host: sandbox-learn: unknown role '%s' (known: %s)\n",
                 role.c_str(), absl::StrJoin(roles.names(), ", ").c_str());
    return 2;
  }
  if (!sandbox::LockdownAvailable()) {
    std::fprintf(stderr,
                 "browser_host: sandbox-learn: learning mode needs Linux's "
                 "seccomp user notifications; not available here\n");
    return 1;
  }
  Host::Options options;
  options.roles = &roles;
  options.forward_helper_output = false;
  options.sandbox_helpers = SandboxedLaunchAvailable();
  options.sandbox_policy_for_role = [](absl::string_view name) {
    sandbox::SandboxPolicy policy = sandbox::PresetForRole(name);
    policy.violation_action = sandbox::ViolationAction::kLearn;
    return policy;
  };
  absl::StatusOr<std::unique_ptr<Host>> created = Host::Create(options);
  if (!created.ok()) {
    std::fprintf(stderr, "browser_host: %s\n",
                 created.status().ToString().c_str());
    return 1;
  }
  Host& host = **created;
  std::optional<absl::Status> result;
  std::vector<std::string> made;
  auto finish = [&](absl::Status status) {
    result = std::move(status);
    host.Shutdown(absl::Seconds(2), [&] { host.Quit(); });
  };
  absl::StatusOr<HelperProcess*> launched =
      host.Launch(role, [&](absl::StatusOr<HelperProcess*> helper) {
        if (!helper.ok()) return finish(helper.status());
        HelperProcess* learner = *helper;
        SendSampleWork(*learner, absl::Now() + kDeadline,
                       [&, learner](absl::StatusOr<std::string> work) {
                         if (!work.ok() && !absl::IsNotFound(work.status())) {
                           return finish(work.status());
                         }
                         ipc::Control ask;
                         ask.mutable_learned();
                         learner->CallControl(
                             ask, absl::Now() + kDeadline,
                             [&](absl::StatusOr<ipc::Control> reply) {
                               if (!reply.ok()) return finish(reply.status());
                               made.assign(reply->learned().syscalls().begin(),
                                           reply->learned().syscalls().end());
                               finish(absl::OkStatus());
                             });
                       });
      });
  if (!launched.ok()) {
    std::fprintf(stderr, "browser_host: sandbox-learn: %s\n",
                 launched.status().ToString().c_str());
    return 1;
  }
  host.Run();
  if (!result.has_value() || !result->ok()) {
    std::fprintf(stderr, "browser_host: sandbox-learn: %s\n",
                 result.has_value() ? result->ToString().c_str()
                                    : "the helper never reported");
    return 1;
  }
  std::fprintf(out,
               "sandbox-learn: ran %s's sample work with its seccomp filter in "
               "learning mode (every call allowed and recorded; every other "
               "layer in force).\n\n",
               role.c_str());
  Print(out, role, sandbox::PresetForRole(role), made);
  std::fflush(out);
  return 0;
}

}  // namespace bulkhead
