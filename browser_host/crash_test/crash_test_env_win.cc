// clang-format off
#include <uv.h>  // Before <windows.h>.
#include <windows.h>
// clang-format on

#include "browser_host/crash_test/crash_test_internal.h"

namespace bulkhead {

bool CrashTestUnderWine() {
  HMODULE ntdll = ::GetModuleHandleA("ntdll.dll");
  return ntdll != nullptr &&
         ::GetProcAddress(ntdll, "wine_get_version") != nullptr;
}

ScopedHandle ListenOnAbstractSocket(std::string& name) {
  name.clear();  // No abstract unix sockets here.
  return ScopedHandle();
}

const char* CrashTestPlatformName() {
  return CrashTestUnderWine() ? "windows (wine)" : "windows";
}

}  // namespace bulkhead
