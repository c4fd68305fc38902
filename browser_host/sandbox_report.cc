#include "browser_host/sandbox_report.h"

#include <map>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "browser_host/host.h"

namespace bulkhead {
namespace {

constexpr const char* kRoles[] = {"renderer", "gpu", "utility", "network"};

}  // namespace

int RunSandboxReport(const RoleRegistry& roles, std::FILE* out) {
  Host::Options options;
  options.roles = &roles;
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
          std::string text;
          if (!helper.ok()) {
            ++failures;
            text = absl::StrCat("  (no report: ", helper.status().message(),
                                ")\n");
          } else {
            const ipc::SandboxStatus& status = (*helper)->sandbox_status();
            text = absl::StrCat(
                "  sandboxed: ", status.sandboxed() ? "yes" : "NO", "\n");
            // The map keeps layers in a stable (sorted) order.
            std::map<std::string, std::string> layers(status.layers().begin(),
                                                      status.layers().end());
            for (const auto& [layer, state] : layers) {
              absl::StrAppend(&text, "  ", layer, ": ", state, "\n");
            }
          }
          reports[role] = std::move(text);
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
    std::fprintf(out, "%s\n%s", role, reports[role].c_str());
  }
  std::fflush(out);
  return failures == 0 ? 0 : 1;
}

}  // namespace bulkhead
