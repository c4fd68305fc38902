// clang-format off
#include <windows.h>
#include <aclapi.h>
// clang-format on

#include <algorithm>
#include <atomic>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/os_error.h"
#include "common/status_macros.h"
#include "sandbox/windows_sandbox.h"
#include "sandbox/windows_token_win.h"

namespace bulkhead::sandbox {
namespace {

// Set by DropStartupToken once it has dropped one.
std::atomic<bool> startup_token_dropped{false};

// A SID in its own storage.
class WellKnownSid {
 public:
  explicit WellKnownSid(WELL_KNOWN_SID_TYPE type) {
    DWORD size = sizeof(storage_);
    ok_ = ::CreateWellKnownSid(type, nullptr, storage_, &size) != FALSE;
  }
  bool ok() const { return ok_; }
  PSID get() { return storage_; }

 private:
  alignas(SID) BYTE storage_[SECURITY_MAX_SID_SIZE] = {};
  bool ok_ = false;
};

// Gives `sids` GENERIC_ALL in the token's default DACL: the DACL of every
// object the helper creates without an explicit one.
absl::Status GrantInDefaultDacl(HANDLE token, const std::vector<PSID>& sids) {
  BH_ASSIGN_OR_RETURN(std::vector<uint64_t> buffer,
                      QueryToken(token, TokenDefaultDacl,
                                 "GetTokenInformation(TokenDefaultDacl)"));
  const auto* current = reinterpret_cast<TOKEN_DEFAULT_DACL*>(buffer.data());
  std::vector<EXPLICIT_ACCESSW> entries(sids.size());
  for (size_t i = 0; i < sids.size(); ++i) {
    entries[i].grfAccessPermissions = GENERIC_ALL;
    entries[i].grfAccessMode = GRANT_ACCESS;
    entries[i].grfInheritance = NO_INHERITANCE;
    entries[i].Trustee.TrusteeForm = TRUSTEE_IS_SID;
    entries[i].Trustee.TrusteeType = TRUSTEE_IS_UNKNOWN;
    entries[i].Trustee.ptstrName = static_cast<LPWSTR>(sids[i]);
  }
  PACL updated = nullptr;
  const DWORD error =
      ::SetEntriesInAclW(static_cast<ULONG>(entries.size()), entries.data(),
                         current->DefaultDacl, &updated);
  if (error != ERROR_SUCCESS) return WinErrorToStatus(error, "SetEntriesInAcl");
  TOKEN_DEFAULT_DACL dacl = {updated};
  const bool set = ::SetTokenInformation(token, TokenDefaultDacl, &dacl,
                                         sizeof(dacl)) != FALSE;
  const DWORD set_error = ::GetLastError();
  ::LocalFree(updated);
  if (!set) {
    return WinErrorToStatus(set_error, "SetTokenInformation(TokenDefaultDacl)");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status SetTokenIntegrity(HANDLE token, WindowsIntegrity integrity) {
  IntegrityLabelSid label_sid(integrity == WindowsIntegrity::kUntrusted
                                  ? SECURITY_MANDATORY_UNTRUSTED_RID
                                  : SECURITY_MANDATORY_LOW_RID);
  TOKEN_MANDATORY_LABEL label = {};
  label.Label.Sid = label_sid.get();
  label.Label.Attributes = SE_GROUP_INTEGRITY;
  if (!::SetTokenInformation(token, TokenIntegrityLevel, &label,
                             sizeof(label) + ::GetLengthSid(label_sid.get()))) {
    return LastWinErrorToStatus(
        absl::StrCat("SetTokenInformation(TokenIntegrityLevel ",
                     WindowsIntegrityName(integrity), ")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<ScopedHandle> CreateRestrictedHelperToken(
    WindowsTokenLevel level) {
  // The filtered token's handle gets the access of this one: enough to launch
  // with it (query, duplicate, assign) and to adjust its defaults.
  HANDLE raw = nullptr;
  if (!::OpenProcessToken(::GetCurrentProcess(),
                          TOKEN_QUERY | TOKEN_DUPLICATE | TOKEN_ASSIGN_PRIMARY |
                              TOKEN_ADJUST_DEFAULT,
                          &raw)) {
    return LastWinErrorToStatus("OpenProcessToken");
  }
  const ScopedHandle process_token(raw);
  BH_ASSIGN_OR_RETURN(std::vector<uint64_t> user_buffer,
                      QueryToken(process_token.get(), TokenUser,
                                 "GetTokenInformation(TokenUser)"));
  BH_ASSIGN_OR_RETURN(std::vector<uint64_t> groups_buffer,
                      QueryToken(process_token.get(), TokenGroups,
                                 "GetTokenInformation(TokenGroups)"));
  PSID user = reinterpret_cast<TOKEN_USER*>(user_buffer.data())->User.Sid;
  const auto* groups = reinterpret_cast<TOKEN_GROUPS*>(groups_buffer.data());

  // Chrome's USER_LIMITED exceptions: the groups that every user's resources
  // are shared with stay usable; everything else (Administrators above all)
  // may only deny.
  WellKnownSid kept[] = {
      WellKnownSid(WinWorldSid), WellKnownSid(WinBuiltinUsersSid),
      WellKnownSid(WinInteractiveSid), WellKnownSid(WinAuthenticatedUserSid)};
  WellKnownSid restricted_code(WinRestrictedCodeSid);
  for (WellKnownSid& sid : kept) {
    if (!sid.ok()) return LastWinErrorToStatus("CreateWellKnownSid");
  }
  if (!restricted_code.ok()) {
    return LastWinErrorToStatus("CreateWellKnownSid(RESTRICTED)");
  }
  WellKnownSid null_sid(WinNullSid);
  if (!null_sid.ok()) return LastWinErrorToStatus("CreateWellKnownSid(NULL)");
  const bool lockdown = level == WindowsTokenLevel::kLockdown;
  std::vector<SID_AND_ATTRIBUTES> deny_only;
  std::vector<SID_AND_ATTRIBUTES> restricting;
  if (lockdown) {
    deny_only.push_back({user, 0});
    restricting.push_back({null_sid.get(), 0});
  } else {
    restricting = {{user, 0}, {restricted_code.get(), 0}};
  }
  for (DWORD i = 0; i < groups->GroupCount; ++i) {
    const SID_AND_ATTRIBUTES& group = groups->Groups[i];
    // The integrity label is not a group one can disable or restrict to.
    if ((group.Attributes & SE_GROUP_INTEGRITY) != 0) continue;
    bool keep = !lockdown && (group.Attributes & SE_GROUP_LOGON_ID) != 0;
    for (WellKnownSid& sid : kept)
      keep = keep || (!lockdown && ::EqualSid(group.Sid, sid.get()));
    (keep ? restricting : deny_only).push_back({group.Sid, 0});
  }

  HANDLE restricted = nullptr;
  if (!::CreateRestrictedToken(process_token.get(), DISABLE_MAX_PRIVILEGE,
                               static_cast<DWORD>(deny_only.size()),
                               deny_only.data(), 0, nullptr,
                               static_cast<DWORD>(restricting.size()),
                               restricting.data(), &restricted)) {
    return LastWinErrorToStatus("CreateRestrictedToken");
  }
  ScopedHandle token(restricted);
  BH_RETURN_IF_ERROR(
      GrantInDefaultDacl(token.get(), {user, restricted_code.get()}));
  BH_RETURN_IF_ERROR(SetTokenIntegrity(token.get(), WindowsIntegrity::kLow));
  return token;
}

absl::StatusOr<ScopedHandle> CreateImpersonationToken(HANDLE token) {
  HANDLE impersonation = nullptr;
  if (!::DuplicateTokenEx(token, TOKEN_IMPERSONATE | TOKEN_QUERY, nullptr,
                          SecurityImpersonation, TokenImpersonation,
                          &impersonation)) {
    return LastWinErrorToStatus("DuplicateTokenEx(TokenImpersonation)");
  }
  return ScopedHandle(impersonation);
}

absl::Status LowerProcessIntegrity(WindowsIntegrity integrity) {
  HANDLE raw = nullptr;
  if (!::OpenProcessToken(::GetCurrentProcess(),
                          TOKEN_ADJUST_DEFAULT | TOKEN_QUERY, &raw)) {
    return LastWinErrorToStatus("OpenProcessToken(TOKEN_ADJUST_DEFAULT)");
  }
  const ScopedHandle token(raw);
  return SetTokenIntegrity(token.get(), integrity);
}

bool ThreadHasToken() {
  HANDLE raw = nullptr;
  // Checked against the thread's own token (OpenAsSelf false): the process's
  // lockdown token could open nothing. Any refusal but "no token" means there
  // is one this thread may not open.
  if (::OpenThreadToken(::GetCurrentThread(), TOKEN_QUERY,
                        /*OpenAsSelf=*/FALSE, &raw)) {
    ::CloseHandle(raw);
    return true;
  }
  return ::GetLastError() != ERROR_NO_TOKEN;
}

absl::StatusOr<bool> DropStartupToken() {
  const bool had = ThreadHasToken();
  // Unconditionally, as Chrome's LowerToken does.
  if (!::RevertToSelf()) return LastWinErrorToStatus("RevertToSelf");
  if (ThreadHasToken()) {
    return absl::InternalError(
        "the thread still has a token after RevertToSelf");
  }
  if (had) startup_token_dropped.store(true, std::memory_order_relaxed);
  return had;
}

bool StartupTokenDropped() {
  return startup_token_dropped.load(std::memory_order_relaxed);
}

absl::StatusOr<std::unique_ptr<AlternateDesktop>> AlternateDesktop::Create() {
  HWINSTA station = ::GetProcessWindowStation();
  if (station == nullptr)
    return LastWinErrorToStatus("GetProcessWindowStation");
  wchar_t station_name[256] = {};
  DWORD needed = 0;
  if (!::GetUserObjectInformationW(station, UOI_NAME, station_name,
                                   sizeof(station_name) - sizeof(wchar_t),
                                   &needed)) {
    return LastWinErrorToStatus("GetUserObjectInformation(window station)");
  }
  // As Chrome makes its own: the DACL of the desktop the host is on, where
  // the host may read it and it has one; else the default DACL (the host's
  // token's: its user). Under Wine the host's desktop refuses READ_CONTROL.
  PACL current_dacl = nullptr;
  PSECURITY_DESCRIPTOR current = nullptr;
  const bool copy_dacl =
      ::GetSecurityInfo(::GetThreadDesktop(::GetCurrentThreadId()),
                        SE_WINDOW_OBJECT, DACL_SECURITY_INFORMATION, nullptr,
                        nullptr, &current_dacl, nullptr,
                        &current) == ERROR_SUCCESS &&
      current_dacl != nullptr;
  SECURITY_DESCRIPTOR descriptor;
  ::InitializeSecurityDescriptor(&descriptor, SECURITY_DESCRIPTOR_REVISION);
  ::SetSecurityDescriptorDacl(&descriptor, TRUE, current_dacl, FALSE);
  SECURITY_ATTRIBUTES attributes = {sizeof(attributes), &descriptor, FALSE};
  DWORD error = ERROR_SUCCESS;
  const std::string name =
      absl::StrCat(kAlternateDesktopPrefix, ::GetCurrentProcessId());
  const std::wstring wide_name(name.begin(), name.end());
  HDESK desktop = ::CreateDesktopW(wide_name.c_str(), nullptr, nullptr, 0,
                                   DESKTOP_CREATEWINDOW | DESKTOP_READOBJECTS |
                                       DESKTOP_WRITEOBJECTS | READ_CONTROL |
                                       WRITE_DAC | WRITE_OWNER,
                                   copy_dacl ? &attributes : nullptr);
  const DWORD create_error = ::GetLastError();
  if (current != nullptr) ::LocalFree(current);
  if (desktop == nullptr) {
    return WinErrorToStatus(create_error, absl::StrCat("CreateDesktop ", name));
  }
  auto made = std::unique_ptr<AlternateDesktop>(new AlternateDesktop(
      desktop, std::wstring(station_name) + L"\\" + wide_name));

  // Chrome's kDesktopDenyMask, denied to RESTRICTED: a restricted token
  // passes its restricting check through RESTRICTED, and these are rights no
  // helper needs (hooks, journaling, menus, windows, switching, the DACL).
  WellKnownSid restricted_code(WinRestrictedCodeSid);
  if (!restricted_code.ok()) {
    return LastWinErrorToStatus("CreateWellKnownSid(RESTRICTED)");
  }
  PACL dacl = nullptr;
  PSECURITY_DESCRIPTOR own = nullptr;
  error =
      ::GetSecurityInfo(desktop, SE_WINDOW_OBJECT, DACL_SECURITY_INFORMATION,
                        nullptr, nullptr, &dacl, nullptr, &own);
  if (error != ERROR_SUCCESS) {
    return WinErrorToStatus(error, "GetSecurityInfo(desktop)");
  }
  if (dacl == nullptr) {
    // A NULL DACL would become one holding only the deny: nobody could use
    // the desktop. Not made so above; refused rather than guessed at.
    ::LocalFree(own);
    return absl::InternalError("the new desktop has a NULL DACL");
  }
  EXPLICIT_ACCESSW entry = {};
  entry.grfAccessPermissions = WRITE_DAC | WRITE_OWNER | DELETE |
                               DESKTOP_CREATEMENU | DESKTOP_CREATEWINDOW |
                               DESKTOP_HOOKCONTROL | DESKTOP_JOURNALPLAYBACK |
                               DESKTOP_JOURNALRECORD | DESKTOP_SWITCHDESKTOP;
  entry.grfAccessMode = DENY_ACCESS;
  entry.Trustee.TrusteeForm = TRUSTEE_IS_SID;
  entry.Trustee.TrusteeType = TRUSTEE_IS_WELL_KNOWN_GROUP;
  entry.Trustee.ptstrName = static_cast<LPWSTR>(restricted_code.get());
  PACL updated = nullptr;
  error = ::SetEntriesInAclW(1, &entry, dacl, &updated);
  ::LocalFree(own);
  if (error != ERROR_SUCCESS) {
    return WinErrorToStatus(error, "SetEntriesInAcl(desktop)");
  }
  error =
      ::SetSecurityInfo(desktop, SE_WINDOW_OBJECT, DACL_SECURITY_INFORMATION,
                        nullptr, nullptr, updated, nullptr);
  ::LocalFree(updated);
  if (error != ERROR_SUCCESS) {
    return WinErrorToStatus(error, "SetSecurityInfo(desktop DACL)");
  }

  // Its integrity label lowered to untrusted, the lowest a helper runs at
  // (Chrome's AlternateDesktop::UpdateDesktopIntegrity): an unlabelled
  // desktop counts as Medium, which low and untrusted helpers may not write.
  IntegrityLabelSid untrusted(SECURITY_MANDATORY_UNTRUSTED_RID);
  alignas(ACL) BYTE sacl_buffer[128] = {};
  PACL sacl = reinterpret_cast<PACL>(sacl_buffer);
  if (!::InitializeAcl(sacl, sizeof(sacl_buffer), ACL_REVISION) ||
      !::AddMandatoryAce(sacl, ACL_REVISION, 0,
                         SYSTEM_MANDATORY_LABEL_NO_WRITE_UP, untrusted.get())) {
    return LastWinErrorToStatus("AddMandatoryAce(desktop)");
  }
  error =
      ::SetSecurityInfo(desktop, SE_WINDOW_OBJECT, LABEL_SECURITY_INFORMATION,
                        nullptr, nullptr, nullptr, sacl);
  if (error != ERROR_SUCCESS) {
    return WinErrorToStatus(error, "SetSecurityInfo(desktop label)");
  }
  return made;
}

AlternateDesktop::~AlternateDesktop() {
  ::CloseDesktop(static_cast<HDESK>(desktop_));
}

absl::StatusOr<ScopedHandle> CreateHelperJob(const JobLimits& limits) {
  HANDLE raw = ::CreateJobObjectW(nullptr, nullptr);
  if (raw == nullptr) return LastWinErrorToStatus("CreateJobObject");
  ScopedHandle job(raw);

  JOBOBJECT_EXTENDED_LIMIT_INFORMATION extended = {};
  JOBOBJECT_BASIC_LIMIT_INFORMATION& basic = extended.BasicLimitInformation;
  basic.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE |
                     JOB_OBJECT_LIMIT_DIE_ON_UNHANDLED_EXCEPTION;
  if (limits.active_processes > 0) {
    basic.LimitFlags |= JOB_OBJECT_LIMIT_ACTIVE_PROCESS;
    basic.ActiveProcessLimit = limits.active_processes;
  }
  if (limits.memory_limit_bytes > 0) {
    basic.LimitFlags |= JOB_OBJECT_LIMIT_PROCESS_MEMORY;
    // Clamped: a 32-bit SIZE_T cannot hold the presets' 8 GiB.
    extended.ProcessMemoryLimit = static_cast<SIZE_T>(std::min<uint64_t>(
        limits.memory_limit_bytes, (std::numeric_limits<SIZE_T>::max)()));
  }
  if (!::SetInformationJobObject(job.get(), JobObjectExtendedLimitInformation,
                                 &extended, sizeof(extended))) {
    return LastWinErrorToStatus(
        "SetInformationJobObject(JobObjectExtendedLimitInformation)");
  }

  JOBOBJECT_BASIC_UI_RESTRICTIONS ui = {};
  ui.UIRestrictionsClass =
      JOB_OBJECT_UILIMIT_DESKTOP | JOB_OBJECT_UILIMIT_DISPLAYSETTINGS |
      JOB_OBJECT_UILIMIT_EXITWINDOWS | JOB_OBJECT_UILIMIT_GLOBALATOMS |
      JOB_OBJECT_UILIMIT_HANDLES | JOB_OBJECT_UILIMIT_READCLIPBOARD |
      JOB_OBJECT_UILIMIT_WRITECLIPBOARD | JOB_OBJECT_UILIMIT_SYSTEMPARAMETERS;
  if (!::SetInformationJobObject(job.get(), JobObjectBasicUIRestrictions, &ui,
                                 sizeof(ui))) {
    return LastWinErrorToStatus(
        "SetInformationJobObject(JobObjectBasicUIRestrictions)");
  }
  return job;
}

uint64_t HelperMitigationPolicy(bool strict) {
  const uint64_t strict_only =
      PROCESS_CREATION_MITIGATION_POLICY_FONT_DISABLE_ALWAYS_ON |
      PROCESS_CREATION_MITIGATION_POLICY_IMAGE_LOAD_PREFER_SYSTEM32_ALWAYS_ON;
  return (strict ? strict_only : 0) |
         PROCESS_CREATION_MITIGATION_POLICY_STRICT_HANDLE_CHECKS_ALWAYS_ON |
         PROCESS_CREATION_MITIGATION_POLICY_EXTENSION_POINT_DISABLE_ALWAYS_ON |
         PROCESS_CREATION_MITIGATION_POLICY_IMAGE_LOAD_NO_REMOTE_ALWAYS_ON |
         PROCESS_CREATION_MITIGATION_POLICY_IMAGE_LOAD_NO_LOW_LABEL_ALWAYS_ON |
         PROCESS_CREATION_MITIGATION_POLICY_HEAP_TERMINATE_ALWAYS_ON |
         PROCESS_CREATION_MITIGATION_POLICY_BOTTOM_UP_ASLR_ALWAYS_ON |
         PROCESS_CREATION_MITIGATION_POLICY_HIGH_ENTROPY_ASLR_ALWAYS_ON;
}

std::string WineVersion() {
  HMODULE ntdll = ::GetModuleHandleW(L"ntdll.dll");
  if (ntdll == nullptr) return "";
  using GetVersionFn = const char*(__cdecl*)();
  auto get_version = reinterpret_cast<GetVersionFn>(
      reinterpret_cast<void*>(::GetProcAddress(ntdll, "wine_get_version")));
  const char* version = get_version == nullptr ? nullptr : get_version();
  return version == nullptr ? "" : version;
}

}  // namespace bulkhead::sandbox
