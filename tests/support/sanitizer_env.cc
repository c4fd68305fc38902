#include "tests/support/sanitizer_env.h"

#include <uv.h>

#include <string>

#include "absl/base/config.h"

namespace bulkhead::testing {

bool SanitizerReservesAddressSpace() {
#if defined(ABSL_HAVE_ADDRESS_SANITIZER) || defined(ABSL_HAVE_THREAD_SANITIZER)
  return true;
#else
  return false;
#endif
}

const char* SeccompTrapUnobservableReason() {
#if defined(ABSL_HAVE_ADDRESS_SANITIZER)
  return "AddressSanitizer's runtime aborts in a SIGSYS handler inside the "
         "sandbox's empty root (it reads /proc for the thread's stack)";
#else
  return "";
#endif
}

const char* TrappedForkUnobservableReason() {
#if defined(ABSL_HAVE_THREAD_SANITIZER)
  return "ThreadSanitizer's fork() interceptor fails an internal CHECK when "
         "the seccomp filter traps the clone underneath it";
#else
  return SeccompTrapUnobservableReason();
#endif
}

namespace {

// Appends the flags that leave fatal signals alone to the options variable
// `name` (ASAN_OPTIONS or TSAN_OPTIONS), keeping what it already says.
[[maybe_unused]] void LeaveFatalSignalsAlone(const char* name) {
  char value[4096];
  size_t size = sizeof(value);
  std::string options;
  if (uv_os_getenv(name, value, &size) == 0) options.assign(value, size);
  options += ":handle_segv=0:handle_sigbus=0:handle_sigfpe=0:handle_abort=0";
  uv_os_setenv(name, options.c_str());
}

}  // namespace

void PrepareHelperEnvironment() {
#if defined(ABSL_HAVE_ADDRESS_SANITIZER)
  LeaveFatalSignalsAlone("ASAN_OPTIONS");
#endif
#if defined(ABSL_HAVE_THREAD_SANITIZER)
  // ThreadSanitizer's own SIGSEGV handler, there until the helper installs
  // its crash handler, exits with its code 66 instead (seen in the chaos
  // soak: a SIGSEGV sent to a helper still starting ended as error-exit 66).
  LeaveFatalSignalsAlone("TSAN_OPTIONS");
#endif
}

}  // namespace bulkhead::testing

#if defined(ABSL_HAVE_THREAD_SANITIZER)
// Debian's libuv is not built with ThreadSanitizer, and closes descriptors
// with a raw close system call the runtime never sees: a number libuv freed
// and another thread then opened and closed reads as a race with libuv's last
// read() of it (seen in the chaos soak, once the launcher thread made
// cgroups). The interceptors libuv calls are left out; our own code's are
// all still checked.
extern "C" const char* __tsan_default_suppressions() {
  return "called_from_lib:libuv.so.1\n";
}
#endif
