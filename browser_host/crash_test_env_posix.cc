#include "browser_host/crash_test_internal.h"

namespace bulkhead {

bool CrashTestUnderWine() { return false; }

const char* CrashTestPlatformName() {
#if defined(__linux__)
  return "linux";
#elif defined(__APPLE__)
  return "macos";
#else
  return "posix";
#endif
}

}  // namespace bulkhead
