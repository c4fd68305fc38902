#include <windows.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "sandbox/sandbox_probe.h"

namespace bulkhead::sandbox {
namespace {

// Wine exports wine_get_version from ntdll; Windows does not. Under Wine the
// token and integrity calls succeed but nothing is enforced.
const char* WineVersion() {
  HMODULE ntdll = ::GetModuleHandleA("ntdll.dll");
  if (ntdll == nullptr) return nullptr;
  using GetVersion = const char*(__cdecl*)();
  auto get_version = reinterpret_cast<GetVersion>(
      reinterpret_cast<void*>(::GetProcAddress(ntdll, "wine_get_version")));
  return get_version == nullptr ? nullptr : get_version();
}

std::string IntegrityLevel(HANDLE token) {
  DWORD size = 0;
  ::GetTokenInformation(token, TokenIntegrityLevel, nullptr, 0, &size);
  if (size == 0) return "unknown";
  std::string buffer(size, '\0');
  auto* label = reinterpret_cast<TOKEN_MANDATORY_LABEL*>(buffer.data());
  if (!::GetTokenInformation(token, TokenIntegrityLevel, label, size, &size)) {
    return "unknown";
  }
  const DWORD rid = *::GetSidSubAuthority(
      label->Label.Sid, *::GetSidSubAuthorityCount(label->Label.Sid) - 1);
  if (rid < SECURITY_MANDATORY_LOW_RID) return "untrusted";
  if (rid < SECURITY_MANDATORY_MEDIUM_RID) return "low";
  if (rid < SECURITY_MANDATORY_HIGH_RID) return "medium";
  if (rid < SECURITY_MANDATORY_SYSTEM_RID) return "high";
  return "system";
}

}  // namespace

SandboxReport ProbeSandbox() {
  SandboxReport report;
  HANDLE token = nullptr;
  bool restricted = false;
  std::string integrity = "unknown";
  if (::OpenProcessToken(::GetCurrentProcess(), TOKEN_QUERY, &token)) {
    restricted = ::IsTokenRestricted(token) != FALSE;
    integrity = IntegrityLevel(token);
    ::CloseHandle(token);
  }
  BOOL in_job = FALSE;
  ::IsProcessInJob(::GetCurrentProcess(), nullptr, &in_job);

  report.layers.emplace_back("restricted token", restricted ? "yes" : "no");
  report.layers.emplace_back("integrity level", integrity);
  report.layers.emplace_back("job object", in_job ? "yes" : "no");
  const char* wine = WineVersion();
  if (wine != nullptr) {
    report.layers.emplace_back("enforcement",
                               absl::StrCat("not enforced under Wine ", wine));
  }
  report.sandboxed = wine == nullptr && restricted && in_job &&
                     (integrity == "low" || integrity == "untrusted");
  return report;
}

}  // namespace bulkhead::sandbox
