// Sanitizer settings for the helpers a test launches.
#ifndef BULKHEAD_TESTS_SUPPORT_SANITIZER_ENV_H_
#define BULKHEAD_TESTS_SUPPORT_SANITIZER_ENV_H_

namespace bulkhead::testing {

// In a sanitizer build, makes the helpers this process launches leave fatal
// signals to their own crash handler (ASan and TSan would otherwise catch
// SIGSEGV themselves and exit with their own code, TSan's being 66), so that
// fault tests see real crashes.
// Memory-error detection is unchanged. A no-op elsewhere.
void PrepareHelperEnvironment();

// True in an AddressSanitizer or ThreadSanitizer build, where address-space
// limits (RLIMIT_AS) cannot work: the sanitizer reserves terabytes.
bool SanitizerReservesAddressSpace();

// Why a seccomp trap cannot be observed in this build, or "" when it can:
// AddressSanitizer's runtime, entered from the SIGSYS handler inside the
// sandbox's empty root, asks /proc for the thread's stack and aborts (CHECK
// on pthread_getattr_np) before the trap can end the helper.
const char* SeccompTrapUnobservableReason();

// The same for a trap on the clone underneath fork(): also unobservable under
// ThreadSanitizer, whose fork() interceptor fails an internal CHECK then.
const char* TrappedForkUnobservableReason();

}  // namespace bulkhead::testing

#endif  // BULKHEAD_TESTS_SUPPORT_SANITIZER_ENV_H_
