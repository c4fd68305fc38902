// The Windows token, job and mitigation primitives, read back from the
// objects they made. Wine applies part of them (see windows_sandbox.h): what it
// drops is skipped there, with the reason.
#include <windows.h>

#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "sandbox/sandbox_probe.h"
#include "sandbox/windows_sandbox.h"

namespace bulkhead::sandbox {
namespace {

bool UnderWine() { return !WineVersion().empty(); }

std::vector<uint64_t> Query(HANDLE token, TOKEN_INFORMATION_CLASS info_class) {
  DWORD size = 0;
  ::GetTokenInformation(token, info_class, nullptr, 0, &size);
  std::vector<uint64_t> buffer((size + 7) / 8 + 1);
  if (size == 0 ||
      !::GetTokenInformation(token, info_class, buffer.data(), size, &size)) {
    return {};
  }
  return buffer;
}

// The attributes of `sid` among the token's groups; nullopt when absent.
std::optional<DWORD> GroupAttributes(HANDLE token, WELL_KNOWN_SID_TYPE type) {
  BYTE sid[SECURITY_MAX_SID_SIZE];
  DWORD sid_size = sizeof(sid);
  if (!::CreateWellKnownSid(type, nullptr, sid, &sid_size)) return std::nullopt;
  std::vector<uint64_t> buffer = Query(token, TokenGroups);
  if (buffer.empty()) return std::nullopt;
  const auto* groups = reinterpret_cast<TOKEN_GROUPS*>(buffer.data());
  for (DWORD i = 0; i < groups->GroupCount; ++i) {
    if (::EqualSid(groups->Groups[i].Sid, sid)) {
      return groups->Groups[i].Attributes;
    }
  }
  return std::nullopt;
}

HANDLE ProcessToken() {
  HANDLE token = nullptr;
  ::OpenProcessToken(::GetCurrentProcess(), TOKEN_QUERY, &token);
  return token;
}

TEST(WindowsSandboxTest, WineIsDetectedThroughNtdll) {
  HMODULE ntdll = ::GetModuleHandleW(L"ntdll.dll");
  ASSERT_NE(ntdll, nullptr);
  const bool wine = ::GetProcAddress(ntdll, "wine_get_version") != nullptr;
  EXPECT_EQ(UnderWine(), wine) << WineVersion();
}

TEST(WindowsSandboxTest, AdministratorsMayOnlyDenyInTheHelperToken) {
  absl::StatusOr<ScopedHandle> token =
      CreateRestrictedHelperToken(WindowsTokenLevel::kLimited);
  ASSERT_TRUE(token.ok()) << token.status();
  ScopedHandle own(ProcessToken());
  const std::optional<DWORD> before =
      GroupAttributes(own.get(), WinBuiltinAdministratorsSid);
  if (!before.has_value()) {
    GTEST_SKIP() << "this user is not in Administrators";
  }
  const std::optional<DWORD> after =
      GroupAttributes(token->get(), WinBuiltinAdministratorsSid);
  ASSERT_TRUE(after.has_value());
  EXPECT_NE(*after & SE_GROUP_USE_FOR_DENY_ONLY, 0u);
  // The groups everyone's files are shared with stay usable.
  const std::optional<DWORD> everyone =
      GroupAttributes(token->get(), WinWorldSid);
  ASSERT_TRUE(everyone.has_value());
  EXPECT_EQ(*everyone & SE_GROUP_USE_FOR_DENY_ONLY, 0u);
}

TEST(WindowsSandboxTest, HelperTokenIsRestrictedLowAndPrivilegeFree) {
  absl::StatusOr<ScopedHandle> token =
      CreateRestrictedHelperToken(WindowsTokenLevel::kLimited);
  ASSERT_TRUE(token.ok()) << token.status();
  if (UnderWine()) {
    GTEST_SKIP() << "Wine " << WineVersion()
                 << " accepts but drops restricting SIDs, "
                    "DISABLE_MAX_PRIVILEGE and the integrity label";
  }
  EXPECT_TRUE(::IsTokenRestricted(token->get()));
  std::vector<uint64_t> privileges = Query(token->get(), TokenPrivileges);
  ASSERT_FALSE(privileges.empty());
  EXPECT_LE(
      reinterpret_cast<TOKEN_PRIVILEGES*>(privileges.data())->PrivilegeCount,
      1u);  // SeChangeNotify at most.
  std::vector<uint64_t> label = Query(token->get(), TokenIntegrityLevel);
  ASSERT_FALSE(label.empty());
  PSID sid = reinterpret_cast<TOKEN_MANDATORY_LABEL*>(label.data())->Label.Sid;
  EXPECT_EQ(*::GetSidSubAuthority(sid, *::GetSidSubAuthorityCount(sid) - 1),
            static_cast<DWORD>(SECURITY_MANDATORY_LOW_RID));
}

// Every group, and the user, deny-only: even Everyone and the logon SID,
// which the limited level keeps.
TEST(WindowsSandboxTest, TheLockdownTokenLeavesNoGroupToGrantAccess) {
  absl::StatusOr<ScopedHandle> token =
      CreateRestrictedHelperToken(WindowsTokenLevel::kLockdown);
  ASSERT_TRUE(token.ok()) << token.status();
  const std::optional<DWORD> everyone =
      GroupAttributes(token->get(), WinWorldSid);
  ASSERT_TRUE(everyone.has_value());
  EXPECT_NE(*everyone & SE_GROUP_USE_FOR_DENY_ONLY, 0u);
  // The user, and every group left (the logon SID among them).
  // (Wine 8.0 makes the groups deny-only, not the user.)
  std::vector<uint64_t> user = Query(token->get(), TokenUser);
  ASSERT_FALSE(user.empty());
  if (!UnderWine()) {
    EXPECT_NE(reinterpret_cast<TOKEN_USER*>(user.data())->User.Attributes &
                  SE_GROUP_USE_FOR_DENY_ONLY,
              0u);
  }
  std::vector<uint64_t> groups = Query(token->get(), TokenGroups);
  ASSERT_FALSE(groups.empty());
  const auto* list = reinterpret_cast<TOKEN_GROUPS*>(groups.data());
  for (DWORD i = 0; i < list->GroupCount; ++i) {
    if ((list->Groups[i].Attributes & SE_GROUP_INTEGRITY) != 0) continue;
    EXPECT_NE(list->Groups[i].Attributes & SE_GROUP_USE_FOR_DENY_ONLY, 0u)
        << "group " << i << " can grant access";
  }
  absl::StatusOr<ScopedHandle> limited =
      CreateRestrictedHelperToken(WindowsTokenLevel::kLimited);
  ASSERT_TRUE(limited.ok()) << limited.status();
  const std::optional<DWORD> limited_everyone =
      GroupAttributes(limited->get(), WinWorldSid);
  ASSERT_TRUE(limited_everyone.has_value());
  EXPECT_EQ(*limited_everyone & SE_GROUP_USE_FOR_DENY_ONLY, 0u);
}

// Its one restricting SID is NULL (S-1-0-0).
TEST(WindowsSandboxTest, TheLockdownTokensOnlyRestrictingSidIsNull) {
  absl::StatusOr<ScopedHandle> token =
      CreateRestrictedHelperToken(WindowsTokenLevel::kLockdown);
  ASSERT_TRUE(token.ok()) << token.status();
  if (UnderWine()) {
    GTEST_SKIP() << "Wine " << WineVersion()
                 << " accepts but drops restricting SIDs";
  }
  std::vector<uint64_t> buffer = Query(token->get(), TokenRestrictedSids);
  ASSERT_FALSE(buffer.empty());
  const auto* sids = reinterpret_cast<TOKEN_GROUPS*>(buffer.data());
  ASSERT_EQ(sids->GroupCount, 1u);
  EXPECT_TRUE(::IsWellKnownSid(sids->Groups[0].Sid, WinNullSid));
}

TEST(WindowsSandboxTest, AnImpersonationCopyIsAnImpersonationToken) {
  absl::StatusOr<ScopedHandle> limited =
      CreateRestrictedHelperToken(WindowsTokenLevel::kLimited);
  ASSERT_TRUE(limited.ok()) << limited.status();
  absl::StatusOr<ScopedHandle> copy = CreateImpersonationToken(limited->get());
  ASSERT_TRUE(copy.ok()) << copy.status();
  TOKEN_TYPE type = TokenPrimary;
  DWORD size = 0;
  ASSERT_TRUE(::GetTokenInformation(copy->get(), TokenType, &type, sizeof(type),
                                    &size));
  EXPECT_EQ(type, TokenImpersonation);
}

// DropStartupToken on a thread that impersonates ends it, and says so; on
// one that does not, it does nothing and says that.
TEST(WindowsSandboxTest, DroppingTheStartupTokenEndsImpersonation) {
  absl::StatusOr<bool> nothing = DropStartupToken();
  ASSERT_TRUE(nothing.ok()) << nothing.status();
  EXPECT_FALSE(*nothing);
  HANDLE own = nullptr;
  ASSERT_TRUE(::OpenProcessToken(::GetCurrentProcess(),
                                 TOKEN_DUPLICATE | TOKEN_QUERY, &own));
  ScopedHandle own_token(own);
  absl::StatusOr<ScopedHandle> copy = CreateImpersonationToken(own);
  ASSERT_TRUE(copy.ok()) << copy.status();
  ASSERT_TRUE(::SetThreadToken(nullptr, copy->get()));
  EXPECT_TRUE(ThreadHasToken());
  absl::StatusOr<bool> dropped = DropStartupToken();
  if (!dropped.ok()) ::RevertToSelf();  // Never leave the test impersonating.
  ASSERT_TRUE(dropped.ok()) << dropped.status();
  EXPECT_TRUE(*dropped);
  HANDLE left = nullptr;
  EXPECT_FALSE(
      ::OpenThreadToken(::GetCurrentThread(), TOKEN_QUERY, TRUE, &left));
  EXPECT_EQ(::GetLastError(), static_cast<DWORD>(ERROR_NO_TOKEN));
}

TEST(WindowsSandboxTest, AJobForAForkingRoleHasItsProcessLimit) {
  absl::StatusOr<ScopedHandle> job = CreateHelperJob({.active_processes = 12});
  ASSERT_TRUE(job.ok()) << job.status();
  if (UnderWine()) {
    GTEST_SKIP() << "Wine " << WineVersion()
                 << " reports no job limits (QueryInformationJobObject "
                    "returns zeros)";
  }
  JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits = {};
  ASSERT_TRUE(::QueryInformationJobObject(job->get(),
                                          JobObjectExtendedLimitInformation,
                                          &limits, sizeof(limits), nullptr));
  EXPECT_EQ(limits.BasicLimitInformation.ActiveProcessLimit, 12u);
}

TEST(WindowsSandboxTest, JobKillsOnCloseAndAllowsOneProcess) {
  absl::StatusOr<ScopedHandle> job = CreateHelperJob({});
  ASSERT_TRUE(job.ok()) << job.status();
  if (UnderWine()) {
    GTEST_SKIP() << "Wine " << WineVersion()
                 << " reports no job limits (QueryInformationJobObject "
                    "returns zeros) and enforces only kill-on-close, which "
                    "UnsandboxedHostTest.JobKillsTheHelperWhenItsHostDies "
                    "checks by its effect";
  }
  JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits = {};
  ASSERT_TRUE(::QueryInformationJobObject(job->get(),
                                          JobObjectExtendedLimitInformation,
                                          &limits, sizeof(limits), nullptr));
  const DWORD flags = limits.BasicLimitInformation.LimitFlags;
  EXPECT_NE(flags & JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE, 0u);
  EXPECT_NE(flags & JOB_OBJECT_LIMIT_ACTIVE_PROCESS, 0u);
  EXPECT_EQ(limits.BasicLimitInformation.ActiveProcessLimit, 1u);
  EXPECT_NE(flags & JOB_OBJECT_LIMIT_DIE_ON_UNHANDLED_EXCEPTION, 0u);
  EXPECT_EQ(flags & JOB_OBJECT_LIMIT_PROCESS_MEMORY, 0u);
}

TEST(WindowsSandboxTest, JobCarriesTheMemoryLimit) {
  absl::StatusOr<ScopedHandle> job =
      CreateHelperJob({.memory_limit_bytes = 256u << 20});
  ASSERT_TRUE(job.ok()) << job.status();
  if (UnderWine()) {
    GTEST_SKIP() << "Wine " << WineVersion()
                 << " reports no job limits (QueryInformationJobObject "
                    "returns zeros) and enforces only kill-on-close, which "
                    "UnsandboxedHostTest.JobKillsTheHelperWhenItsHostDies "
                    "checks by its effect";
  }
  JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits = {};
  ASSERT_TRUE(::QueryInformationJobObject(job->get(),
                                          JobObjectExtendedLimitInformation,
                                          &limits, sizeof(limits), nullptr));
  EXPECT_NE(
      limits.BasicLimitInformation.LimitFlags & JOB_OBJECT_LIMIT_PROCESS_MEMORY,
      0u);
  EXPECT_EQ(limits.ProcessMemoryLimit, static_cast<SIZE_T>(256u << 20));
}

TEST(WindowsSandboxTest, JobRestrictsTheUserInterface) {
  absl::StatusOr<ScopedHandle> job = CreateHelperJob({});
  ASSERT_TRUE(job.ok()) << job.status();
  if (UnderWine()) {
    GTEST_SKIP() << "Wine " << WineVersion()
                 << " accepts UI restrictions without storing them "
                    "(NtSetInformationJobObject stub for class 4)";
  }
  JOBOBJECT_BASIC_UI_RESTRICTIONS ui = {};
  ASSERT_TRUE(::QueryInformationJobObject(
      job->get(), JobObjectBasicUIRestrictions, &ui, sizeof(ui), nullptr));
  for (DWORD limit :
       {JOB_OBJECT_UILIMIT_DESKTOP, JOB_OBJECT_UILIMIT_DISPLAYSETTINGS,
        JOB_OBJECT_UILIMIT_EXITWINDOWS, JOB_OBJECT_UILIMIT_GLOBALATOMS,
        JOB_OBJECT_UILIMIT_HANDLES, JOB_OBJECT_UILIMIT_READCLIPBOARD,
        JOB_OBJECT_UILIMIT_WRITECLIPBOARD,
        JOB_OBJECT_UILIMIT_SYSTEMPARAMETERS}) {
    EXPECT_NE(ui.UIRestrictionsClass & limit, 0u) << std::hex << limit;
  }
}

TEST(WindowsSandboxTest, StrictMitigationsAddFontsAndSystem32First) {
  const uint64_t strict = HelperMitigationPolicy(/*strict=*/true);
  const uint64_t base = HelperMitigationPolicy(/*strict=*/false);
  EXPECT_EQ(strict & base, base) << "strict drops a base mitigation";
  EXPECT_NE(strict & PROCESS_CREATION_MITIGATION_POLICY_FONT_DISABLE_ALWAYS_ON,
            0u);
  EXPECT_EQ(base & PROCESS_CREATION_MITIGATION_POLICY_FONT_DISABLE_ALWAYS_ON,
            0u);
  EXPECT_NE(
      strict &
          PROCESS_CREATION_MITIGATION_POLICY_IMAGE_LOAD_PREFER_SYSTEM32_ALWAYS_ON,
      0u);
}

TEST(WindowsSandboxTest, MitigationsIncludeStrictHandlesAndNoRemoteImages) {
  const uint64_t policy = HelperMitigationPolicy(/*strict=*/false);
  EXPECT_EQ(
      policy & PROCESS_CREATION_MITIGATION_POLICY_STRICT_HANDLE_CHECKS_MASK,
      PROCESS_CREATION_MITIGATION_POLICY_STRICT_HANDLE_CHECKS_ALWAYS_ON);
  EXPECT_EQ(
      policy & PROCESS_CREATION_MITIGATION_POLICY_IMAGE_LOAD_NO_REMOTE_MASK,
      PROCESS_CREATION_MITIGATION_POLICY_IMAGE_LOAD_NO_REMOTE_ALWAYS_ON);
}

TEST(WindowsSandboxTest, ProbeOfThisProcessSaysItIsNotSandboxed) {
  const SandboxReport report = ProbeSandbox();
  EXPECT_FALSE(report.sandboxed);
  bool saw_enforcement = false;
  for (const auto& [layer, state] : report.layers) {
    if (layer == "restricted token") {
      EXPECT_EQ(state, "no");
    }
    if (layer == "enforcement") saw_enforcement = true;
  }
  EXPECT_EQ(saw_enforcement, UnderWine());
}

}  // namespace
}  // namespace bulkhead::sandbox
