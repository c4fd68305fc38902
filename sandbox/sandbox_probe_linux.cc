#include <unistd.h>

#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "sandbox/sandbox_probe.h"

namespace bulkhead::sandbox {
namespace {

// The value of `key:` in /proc/self/status, or "" when the kernel does not
// report it.
std::string ProcStatusField(const std::string& key) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    absl::string_view view = line;
    if (absl::ConsumePrefix(&view, key) && absl::ConsumePrefix(&view, ":")) {
      return std::string(absl::StripAsciiWhitespace(view));
    }
  }
  return "";
}

}  // namespace

SandboxReport ProbeSandbox() {
  SandboxReport report;
  const std::string seccomp = ProcStatusField("Seccomp");
  const std::string no_new_privs = ProcStatusField("NoNewPrivs");
  report.layers.emplace_back("seccomp", seccomp == "2"    ? "filter"
                                        : seccomp == "1"  ? "strict"
                                        : seccomp.empty() ? "unknown"
                                                          : "off");
  report.layers.emplace_back("no_new_privs",
                             no_new_privs == "1" ? "on" : "off");
  report.layers.emplace_back("uid", absl::StrCat(::getuid()));
  // The namespace and filesystem layers arrive with the Linux sandbox (issue
  // 5); until then the probe reports what it sees and never claims confinement
  // it cannot observe.
  report.sandboxed = seccomp == "2" && no_new_privs == "1";
  return report;
}

}  // namespace bulkhead::sandbox
