#include <windows.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/platform_handle.h"
#include "sandbox/sandbox_probe.h"
#include "sandbox/windows_sandbox.h"
#include "sandbox/windows_token_win.h"

namespace bulkhead::sandbox {
namespace {

// This process's token, for queries. The pseudo-handle (Windows 8+) needs no
// access check, which a restricted token with deny-only groups may fail on its
// own token object (Wine's token objects grant only Administrators); older
// systems open the token.
class ProcessToken {
 public:
  ProcessToken() {
    TOKEN_TYPE type;
    DWORD size = 0;
    // GetCurrentProcessToken(), spelled out for older SDK headers.
    HANDLE pseudo = reinterpret_cast<HANDLE>(static_cast<LONG_PTR>(-4));
    if (::GetTokenInformation(pseudo, TokenType, &type, sizeof(type), &size)) {
      handle_ = pseudo;
      return;
    }
    HANDLE opened = nullptr;
    if (::OpenProcessToken(::GetCurrentProcess(), TOKEN_QUERY, &opened)) {
      owned_.reset(opened);
      handle_ = opened;
    }
  }
  // Null when the token cannot be read at all.
  HANDLE get() const { return handle_; }

 private:
  ScopedHandle owned_;
  HANDLE handle_ = nullptr;
};

// QueryToken's buffer, or empty when the token cannot be read.
std::vector<uint64_t> Query(HANDLE token, TOKEN_INFORMATION_CLASS info_class) {
  return QueryToken(token, info_class, "GetTokenInformation")
      .value_or(std::vector<uint64_t>());
}

std::string IntegrityLevel(HANDLE token) {
  std::vector<uint64_t> buffer = Query(token, TokenIntegrityLevel);
  if (buffer.empty()) return "unknown";
  const auto* label = reinterpret_cast<TOKEN_MANDATORY_LABEL*>(buffer.data());
  const DWORD rid = *::GetSidSubAuthority(
      label->Label.Sid, *::GetSidSubAuthorityCount(label->Label.Sid) - 1);
  if (rid < SECURITY_MANDATORY_LOW_RID) return "untrusted";
  if (rid < SECURITY_MANDATORY_MEDIUM_RID) return "low";
  if (rid < SECURITY_MANDATORY_HIGH_RID) return "medium";
  if (rid < SECURITY_MANDATORY_SYSTEM_RID) return "high";
  return "system";
}

int DenyOnlyGroups(HANDLE token) {
  std::vector<uint64_t> buffer = Query(token, TokenGroups);
  if (buffer.empty()) return 0;
  const auto* groups = reinterpret_cast<TOKEN_GROUPS*>(buffer.data());
  int count = 0;
  for (DWORD i = 0; i < groups->GroupCount; ++i) {
    if ((groups->Groups[i].Attributes & SE_GROUP_USE_FOR_DENY_ONLY) != 0) {
      ++count;
    }
  }
  return count;
}

// -1 when unknown.
int Privileges(HANDLE token) {
  std::vector<uint64_t> buffer = Query(token, TokenPrivileges);
  if (buffer.empty()) return -1;
  return static_cast<int>(
      reinterpret_cast<TOKEN_PRIVILEGES*>(buffer.data())->PrivilegeCount);
}

// What the token's restricting SIDs make of it (windows_confinement.h):
// "lockdown" (the NULL SID alone), "limited" (RESTRICTED among them), "none"
// (not a restricted token), else "other".
std::string TokenLevel(HANDLE token) {
  std::vector<uint64_t> buffer = Query(token, TokenRestrictedSids);
  if (buffer.empty()) return "none";
  const auto* sids = reinterpret_cast<TOKEN_GROUPS*>(buffer.data());
  if (sids->GroupCount == 0) return "none";
  alignas(SID) BYTE null_sid[SECURITY_MAX_SID_SIZE] = {};
  alignas(SID) BYTE restricted_code[SECURITY_MAX_SID_SIZE] = {};
  DWORD size = sizeof(null_sid);
  ::CreateWellKnownSid(WinNullSid, nullptr, null_sid, &size);
  size = sizeof(restricted_code);
  ::CreateWellKnownSid(WinRestrictedCodeSid, nullptr, restricted_code, &size);
  if (sids->GroupCount == 1 && ::EqualSid(sids->Groups[0].Sid, null_sid)) {
    return "lockdown";
  }
  for (DWORD i = 0; i < sids->GroupCount; ++i) {
    if (::EqualSid(sids->Groups[i].Sid, restricted_code)) return "limited";
  }
  return "other";
}

// The start-up token a lockdown-level helper's first thread is launched with:
// "still held" while the calling thread impersonates, "dropped at lockdown"
// once DropStartupToken has dropped it, "none" when there never was one.
std::string StartupToken() {
  if (ThreadHasToken()) return "still held";
  return StartupTokenDropped() ? "dropped at lockdown" : "none";
}

// The desktop this thread is on: "alternate (bulkhead-1234)" when it is one
// of bulkhead's, else "the user's (Default)".
std::string Desktop() {
  HDESK desktop = ::GetThreadDesktop(::GetCurrentThreadId());
  wchar_t name[256] = {};
  DWORD needed = 0;
  if (desktop == nullptr ||
      !::GetUserObjectInformationW(desktop, UOI_NAME, name,
                                   sizeof(name) - sizeof(wchar_t), &needed)) {
    return absl::StrCat("unknown (Windows error ", ::GetLastError(), ")");
  }
  std::string narrow;
  for (const wchar_t* c = name; *c != 0; ++c) {
    narrow += *c < 0x80 ? static_cast<char>(*c) : '?';
  }
  return narrow.rfind(kAlternateDesktopPrefix, 0) == 0
             ? absl::StrCat("alternate (", narrow, ")")
             : absl::StrCat("the user's (", narrow, ")");
}

}  // namespace

SandboxReport ProbeSandbox() {
  SandboxReport report;
  const ProcessToken token;
  // Restricting SIDs make a token "restricted"; deny-only groups alone (all
  // Wine applies of a restricted token) only take rights away.
  bool restricted = false;
  std::string level = "unknown";
  std::string restriction = "unknown";
  std::string integrity = "unknown";
  std::string privileges = "unknown";
  if (token.get() != nullptr) {
    restricted = ::IsTokenRestricted(token.get()) != FALSE;
    const int deny_only = DenyOnlyGroups(token.get());
    restriction = restricted      ? "yes"
                  : deny_only > 0 ? absl::StrCat("no restricting SIDs; ",
                                                 deny_only, " deny-only groups")
                                  : "no";
    integrity = IntegrityLevel(token.get());
    // Not asked of a token that is not restricted (Wine does not know the
    // query, and there would be nothing to find).
    level = restricted ? TokenLevel(token.get()) : "none";
    if (const int count = Privileges(token.get()); count >= 0) {
      privileges = absl::StrCat(count, " left");
    }
  }
  const std::string desktop = Desktop();
  BOOL in_job = FALSE;
  ::IsProcessInJob(::GetCurrentProcess(), nullptr, &in_job);

  report.layers.emplace_back("restricted token", restriction);
  report.layers.emplace_back("token level", level);
  report.layers.emplace_back("start-up token", StartupToken());
  report.layers.emplace_back("privileges", privileges);
  report.layers.emplace_back("integrity level", integrity);
  report.layers.emplace_back("job object", in_job ? "yes" : "no");
  report.layers.emplace_back("desktop", desktop);
  const std::string wine = WineVersion();
  if (!wine.empty()) {
    report.layers.emplace_back("enforcement",
                               absl::StrCat("not enforced under Wine ", wine));
  }
  report.sandboxed = wine.empty() && restricted && in_job &&
                     (integrity == "low" || integrity == "untrusted") &&
                     desktop.rfind("alternate", 0) == 0;
  // A limited token leaves the network alone. With the lockdown token a
  // socket cannot be opened (what Chrome's renderer relies on; checked on a
  // real Windows by SandboxedLauncherTest.ALockedDownHelperOpensNoSocket).
  report.network =
      wine.empty() && level == "lockdown"
          ? "none: the lockdown token"
          : "host: the Windows sandbox does not separate the network here";
  return report;
}

}  // namespace bulkhead::sandbox
