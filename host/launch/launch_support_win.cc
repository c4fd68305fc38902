#include "host/launch/launch_support_win.h"

#include <io.h>

#include <algorithm>
#include <cstring>
#include <cwchar>
#include <memory>

#include "absl/strings/str_cat.h"
#include "common/os_error.h"
#include "common/status_macros.h"
#include "ipc/uv_status.h"
#include "sandbox/windows_token_win.h"

namespace bulkhead {

absl::StatusOr<std::wstring> Utf8ToWide(const std::string& utf8) {
  if (utf8.empty()) return std::wstring();
  const int size =
      ::MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8.data(),
                            static_cast<int>(utf8.size()), nullptr, 0);
  if (size == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("not valid UTF-8: '", utf8, "'"));
  }
  std::wstring wide(static_cast<size_t>(size), L'\0');
  ::MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8.data(),
                        static_cast<int>(utf8.size()), wide.data(), size);
  return wide;
}

absl::StatusOr<std::wstring> EnvironmentBlock(
    const std::vector<std::string>& variables) {
  std::vector<std::wstring> wide;
  for (const std::string& variable : variables) {
    BH_ASSIGN_OR_RETURN(std::wstring entry, Utf8ToWide(variable));
    wide.push_back(std::move(entry));
  }
  std::sort(wide.begin(), wide.end(),
            [](const std::wstring& a, const std::wstring& b) {
              return ::_wcsicmp(a.c_str(), b.c_str()) < 0;
            });
  std::wstring block;
  for (const std::wstring& entry : wide) {
    block += entry;
    block.push_back(L'\0');
  }
  // An empty block still needs its two NULs.
  if (block.empty()) block.push_back(L'\0');
  block.push_back(L'\0');
  return block;
}

absl::Status MakeInheritable(const ScopedHandle& handle, const char* what) {
  if (!::SetHandleInformation(handle.get(), HANDLE_FLAG_INHERIT,
                              HANDLE_FLAG_INHERIT)) {
    return LastWinErrorToStatus(
        absl::StrCat("SetHandleInformation(", what, ")"));
  }
  return absl::OkStatus();
}

// The NUL device, inheritable.
absl::StatusOr<ScopedHandle> OpenNul(DWORD access) {
  SECURITY_ATTRIBUTES inherit = {sizeof(inherit), nullptr, TRUE};
  HANDLE nul = ::CreateFileW(L"NUL", access, FILE_SHARE_READ | FILE_SHARE_WRITE,
                             &inherit, OPEN_EXISTING, 0, nullptr);
  if (nul == INVALID_HANDLE_VALUE) return LastWinErrorToStatus("open NUL");
  return ScopedHandle(nul);
}

// An inheritable duplicate of this process's standard handle `which`, or NUL
// when it has none (a GUI host, a closed stream).
absl::StatusOr<ScopedHandle> InheritableStdHandle(DWORD which) {
  HANDLE own = ::GetStdHandle(which);
  HANDLE duplicate = nullptr;
  if (own != nullptr && own != INVALID_HANDLE_VALUE &&
      ::DuplicateHandle(::GetCurrentProcess(), own, ::GetCurrentProcess(),
                        &duplicate, 0, /*bInheritHandle=*/TRUE,
                        DUPLICATE_SAME_ACCESS)) {
    return ScopedHandle(duplicate);
  }
  return OpenNul(GENERIC_WRITE);
}

absl::StatusOr<PipeEnds> CreateOutputPipe(const char* what) {
  HANDLE read = nullptr;
  HANDLE write = nullptr;
  if (!::CreatePipe(&read, &write, nullptr, 0)) {
    return LastWinErrorToStatus(absl::StrCat("CreatePipe(", what, ")"));
  }
  PipeEnds ends{ScopedHandle(read), ScopedHandle(write)};
  BH_RETURN_IF_ERROR(MakeInheritable(ends.write, what));
  return ends;
}

// Hands `handle` to libuv as `pipe`'s stream; libuv owns it from then on.
absl::Status OpenInLibuv(uv_pipe_t* pipe, ScopedHandle handle,
                         const char* what) {
  const uv_file fd = uv_open_osfhandle(handle.get());
  if (fd < 0) {
    return absl::InternalError(absl::StrCat(what, ": no C runtime fd left"));
  }
  (void)handle.release();  // The fd owns it now.
  const int rc = uv_pipe_open(pipe, fd);
  if (rc != 0) {
    ::_close(fd);
    return ipc::UvErrorToStatus(rc, absl::StrCat("uv_pipe_open(", what, ")"));
  }
  // For fds 0-2 libuv keeps a duplicate of the handle and leaves the fd to us.
  if (fd <= 2) ::_close(fd);
  return absl::OkStatus();
}

CrtFdTable::CrtFdTable(int count)
    : buffer_(sizeof(int) + count * (1 + sizeof(HANDLE)), 0), count_(count) {
  std::memcpy(buffer_.data(), &count, sizeof(int));
  for (int fd = 0; fd < count; ++fd) Set(fd, INVALID_HANDLE_VALUE);
}

void CrtFdTable::Set(int fd, HANDLE handle) {
  constexpr unsigned char kOpen = 0x01, kPipe = 0x08, kDevice = 0x40;
  unsigned char flags = 0;
  if (handle != INVALID_HANDLE_VALUE) {
    const DWORD type = ::GetFileType(handle);
    flags = kOpen | (type == FILE_TYPE_PIPE   ? kPipe
                     : type == FILE_TYPE_CHAR ? kDevice
                                              : 0);
  }
  buffer_[sizeof(int) + fd] = flags;
  std::memcpy(&buffer_[sizeof(int) + count_ + fd * sizeof(HANDLE)], &handle,
              sizeof(HANDLE));
}

void CrtFdTable::AttachTo(STARTUPINFOW& info) {
  info.cbReserved2 = static_cast<WORD>(buffer_.size());
  info.lpReserved2 = reinterpret_cast<BYTE*>(buffer_.data());
}

AttributeList::~AttributeList() {
  if (initialized_) ::DeleteProcThreadAttributeList(get());
}

absl::Status AttributeList::Init(DWORD count) {
  SIZE_T size = 0;
  ::InitializeProcThreadAttributeList(nullptr, count, 0, &size);
  storage_.resize((size + sizeof(uint64_t) - 1) / sizeof(uint64_t));
  if (!::InitializeProcThreadAttributeList(get(), count, 0, &size)) {
    return LastWinErrorToStatus("InitializeProcThreadAttributeList");
  }
  initialized_ = true;
  return absl::OkStatus();
}

absl::Status AttributeList::Update(DWORD_PTR attribute, void* value,
                                   size_t size, const char* what) {
  if (!::UpdateProcThreadAttribute(get(), 0, attribute, value, size, nullptr,
                                   nullptr)) {
    return LastWinErrorToStatus(
        absl::StrCat("UpdateProcThreadAttribute(", what, ")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<HelperObjectSecurity>>
HelperObjectSecurity::Create() {
  auto security =
      std::unique_ptr<HelperObjectSecurity>(new HelperObjectSecurity());
  HANDLE raw = nullptr;
  if (!::OpenProcessToken(::GetCurrentProcess(), TOKEN_QUERY, &raw)) {
    return LastWinErrorToStatus("OpenProcessToken");
  }
  const ScopedHandle token(raw);
  BH_ASSIGN_OR_RETURN(security->user_,
                      sandbox::QueryToken(token.get(), TokenUser,
                                          "GetTokenInformation(TokenUser)"));
  PSID user = reinterpret_cast<TOKEN_USER*>(security->user_.data())->User.Sid;
  DWORD sid_size = sizeof(security->system_);
  if (!::CreateWellKnownSid(WinLocalSystemSid, nullptr, security->system_,
                            &sid_size)) {
    return LastWinErrorToStatus("CreateWellKnownSid(SYSTEM)");
  }
  // The host's own integrity level (Medium when it cannot be read): a label
  // may not be set above the caller's.
  DWORD rid = SECURITY_MANDATORY_MEDIUM_RID;
  if (absl::StatusOr<std::vector<uint64_t>> host_label = sandbox::QueryToken(
          token.get(), TokenIntegrityLevel, "TokenIntegrityLevel");
      host_label.ok()) {
    PSID sid =
        reinterpret_cast<TOKEN_MANDATORY_LABEL*>(host_label->data())->Label.Sid;
    rid = *::GetSidSubAuthority(sid, *::GetSidSubAuthorityCount(sid) - 1);
  }
  security->label_.emplace(rid);

  PACL dacl = reinterpret_cast<PACL>(security->dacl_);
  PACL sacl = reinterpret_cast<PACL>(security->sacl_);
  if (!::InitializeAcl(dacl, sizeof(security->dacl_), ACL_REVISION) ||
      !::AddAccessAllowedAce(dacl, ACL_REVISION, GENERIC_ALL, user) ||
      !::AddAccessAllowedAce(dacl, ACL_REVISION, GENERIC_ALL,
                             security->system_)) {
    return LastWinErrorToStatus("the helper objects' DACL");
  }
  if (!::InitializeAcl(sacl, sizeof(security->sacl_), ACL_REVISION) ||
      !::AddMandatoryAce(sacl, ACL_REVISION, 0,
                         SYSTEM_MANDATORY_LABEL_NO_WRITE_UP |
                             SYSTEM_MANDATORY_LABEL_NO_READ_UP,
                         security->label_->get())) {
    return LastWinErrorToStatus("the helper objects' label");
  }
  if (!::InitializeSecurityDescriptor(&security->descriptor_,
                                      SECURITY_DESCRIPTOR_REVISION) ||
      !::SetSecurityDescriptorDacl(&security->descriptor_, TRUE, dacl, FALSE) ||
      !::SetSecurityDescriptorSacl(&security->descriptor_, TRUE, sacl, FALSE)) {
    return LastWinErrorToStatus("the helper objects' security descriptor");
  }
  security->attributes_ = {sizeof(SECURITY_ATTRIBUTES), &security->descriptor_,
                           FALSE};
  return security;
}

}  // namespace bulkhead
