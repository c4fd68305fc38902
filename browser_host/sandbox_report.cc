#include "browser_host/sandbox_report.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/platform.h"
#include "host/host.h"
#include "sandbox/sandbox_policy.h"

namespace bulkhead {
namespace {

constexpr const char* kRoles[] = {"renderer", "gpu", "utility", "network"};

#if defined(BULKHEAD_OS_LINUX)
constexpr bool kPlatformSeparatesNetwork = true;
#else
constexpr bool kPlatformSeparatesNetwork = false;
#endif

struct RoleReport {
  std::string text;
  bool required_missing = false;
};

// The filesystem view: each entry as the helper's probe found it, or, when
// the helper built none (unsandboxed, or a platform without views), each
// entry of the policy as not in force, saying why.
void DescribeView(const HelperProcess& helper, RoleReport& report) {
  const ipc::SandboxStatus& status = helper.sandbox_status();
  const std::vector<sandbox::FilesystemEntry>& view =
      helper.sandbox_policy().filesystem;
  if (view.empty() && status.filesystem_size() == 0) return;
  absl::StrAppend(&report.text,
                  absl::StrFormat("  %-40s %-6s %-9s %s\n", "FILESYSTEM VIEW",
                                  "KIND", "IN FORCE", "DETAIL"));
  if (status.filesystem_size() == 0) {
    const std::string why = !helper.sandboxed()
                                ? "not sandboxed: the host's whole filesystem"
                                : "no view on this platform";
    for (const sandbox::FilesystemEntry& entry : view) {
      absl::StrAppend(
          &report.text,
          absl::StrFormat("  %-40s %-6s %-9s %s\n", entry.path,
                          sandbox::FilesystemKindName(entry.kind), "no", why));
    }
    return;
  }
  for (const ipc::FilesystemViewStatus& entry : status.filesystem()) {
    if (!entry.in_force()) report.required_missing = true;
    absl::StrAppend(
        &report.text,
        absl::StrFormat("  %-40s %-6s %-9s %s\n", entry.path(), entry.kind(),
                        entry.in_force() ? "yes" : "MISSING", entry.detail()));
  }
}

// The policy's file access, beside the view: each broker rule (what the
// host opens for the helper on request, decided per request) and each file
// handed over at launch (the launch succeeded, so each was opened and sent).
void DescribeFileAccess(const HelperProcess& helper, RoleReport& report) {
  const sandbox::SandboxPolicy& policy = helper.sandbox_policy();
  if (!policy.broker_rules.empty()) {
    absl::StrAppend(
        &report.text,
        absl::StrFormat("  %-40s %-6s %s\n", "BROKER RULE", "MATCH", "ACCESS"));
    for (const sandbox::BrokerRule& rule : policy.broker_rules) {
      absl::StrAppend(&report.text,
                      absl::StrFormat("  %-40s %-6s %s\n", rule.path,
                                      rule.prefix ? "under" : "file",
                                      rule.write ? "write" : "read"));
    }
  }
  if (!policy.preopened.empty()) {
    absl::StrAppend(&report.text,
                    absl::StrFormat("  %-40s %-6s %s\n", "PRE-OPENED FILE",
                                    "ACCESS", "PATH"));
    for (const sandbox::PreopenedFile& file : policy.preopened) {
      absl::StrAppend(
          &report.text,
          absl::StrFormat("  %-40s %-6s %s\n", file.name,
                          file.write ? "write" : "read", file.path));
    }
  }
}

// One role's table: each layer the probe reported, whether the policy
// requires it, and whether the helper found it really in force.
RoleReport DescribeHelper(const HelperProcess& helper) {
  RoleReport report;
  const ipc::SandboxStatus& status = helper.sandbox_status();
  absl::StrAppend(
      &report.text, "  policy: ",
      helper.sandboxed() ? helper.sandbox_policy().name : "none (--no-sandbox)",
      "; sandboxed: ", status.sandboxed() ? "yes" : "NO", "\n");
  // The network the policy asks for and what the helper found in force.
  const std::string asked =
      helper.sandboxed() ? sandbox::NetworkName(helper.sandbox_policy().network)
                         : "host (--no-sandbox)";
  const std::string& found = status.network();
  absl::StrAppend(&report.text, "  network: ", asked,
                  "; in force: ", found.empty() ? "not reported" : found, "\n");
  // Only Linux's sandbox is held to the network here (its net-ns layer).
  // Windows separates it only at the lockdown token level and only where the
  // token is enforced (not under Wine), macOS by its seatbelt (unverified):
  // there the line says what was found and the report does not fail for it.
  if (kPlatformSeparatesNetwork && helper.sandboxed() &&
      helper.sandbox_policy().network == sandbox::Network::kNone &&
      !absl::StartsWith(found, "none")) {
    report.required_missing = true;
  }
  // Names only: a value set by the policy may be anything.
  std::vector<std::string> names;
  for (const std::string& entry : helper.environment()) {
    names.push_back(entry.substr(0, entry.find('=')));
  }
  absl::StrAppend(&report.text, "  environment: ",
                  names.empty() ? "the runtime's only"
                                : absl::StrCat(absl::StrJoin(names, " "),
                                               " and the runtime's"),
                  "\n");
  absl::StrAppend(&report.text,
                  absl::StrFormat("  %-13s %-12s %-9s %s\n", "LAYER",
                                  "REQUIREMENT", "IN FORCE", "DETAIL"));
  // Layers in the order they are applied; anything else the platform's
  // probe reports (e.g. Windows' token and job) after them, by name.
  std::map<std::pair<int, std::string>, std::string> layers;
  for (const auto& [name, state] : status.layers()) {
    std::optional<sandbox::Layer> layer = sandbox::LayerFromName(name);
    layers[{layer ? static_cast<int>(*layer) : sandbox::kLayerCount, name}] =
        state;
  }
  for (const auto& [key, state] : layers) {
    const std::string& name = key.second;
    std::string requirement = "-";
    if (std::optional<sandbox::Layer> layer = sandbox::LayerFromName(name)) {
      requirement = helper.sandboxed()
                        ? sandbox::RequirementName(
                              helper.sandbox_policy().requirement(*layer))
                        : "off";
    }
    std::string in_force = "-";
    std::string detail = state;
    if (absl::StartsWith(state, "on")) {
      in_force = "yes";
      detail = std::string(absl::StripPrefix(state.substr(2), ": "));
    } else if (absl::StartsWith(state, "off")) {
      in_force = "no";
      detail = std::string(absl::StripPrefix(state.substr(3), ": "));
      if (requirement == "required") {
        in_force = "MISSING";
        report.required_missing = true;
      }
    }
    absl::StrAppend(&report.text,
                    absl::StrFormat("  %-13s %-12s %-9s %s\n", name,
                                    requirement, in_force, detail));
  }
  DescribeView(helper, report);
  DescribeFileAccess(helper, report);
  return report;
}

}  // namespace

int RunSandboxReport(const RoleRegistry& roles, bool sandbox_helpers,
                     std::FILE* out, const HostConfig* config) {
  Host::Options options;
  options.roles = &roles;
  options.sandbox_helpers = sandbox_helpers && SandboxedLaunchAvailable();
  if (config != nullptr) ApplyHostConfig(*config, options);
  options.forward_helper_output = false;
  absl::StatusOr<std::unique_ptr<Host>> created = Host::Create(options);
  if (!created.ok()) {
    std::fprintf(stderr, "browser_host: %s\n",
                 created.status().ToString().c_str());
    return 1;
  }
  Host& host = **created;
  // Printed in role order once all have answered (or failed).
  std::map<std::string, std::string> reports;
  int pending = 0;
  int failures = 0;
  auto finish_one = [&] {
    if (--pending > 0) return;
    host.Shutdown(absl::Seconds(2), [&] { host.Quit(); });
  };
  for (const char* role : kRoles) {
    ++pending;
    absl::StatusOr<HelperProcess*> launched = host.Launch(
        role,
        [&, role = std::string(role)](absl::StatusOr<HelperProcess*> helper) {
          if (!helper.ok()) {
            ++failures;
            reports[role] = absl::StrCat(
                "  (no report: ", helper.status().message(), ")\n");
          } else {
            RoleReport report = DescribeHelper(**helper);
            if (report.required_missing) ++failures;
            reports[role] = std::move(report.text);
          }
          finish_one();
        });
    if (!launched.ok()) {
      ++failures;
      reports[role] =
          absl::StrCat("  (not launched: ", launched.status().message(), ")\n");
      finish_one();
    }
  }
  host.Run();
  for (const char* role : kRoles) {
    std::fprintf(out, "%s\n%s\n", role, reports[role].c_str());
  }
  if (!sandbox_helpers) {
    std::fprintf(out,
                 "WARNING: --no-sandbox: helpers ran unconfined (for "
                 "debugging only).\n");
  }
  std::fflush(out);
  return failures == 0 ? 0 : 1;
}

}  // namespace bulkhead
