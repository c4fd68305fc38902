// Compiler-specific annotations, in one place.
#ifndef BULKHEAD_COMMON_COMPILER_H_
#define BULKHEAD_COMMON_COMPILER_H_

// For code that commits undefined behaviour on purpose (fault injection):
// UBSan must let the hardware fault happen instead of reporting it.
#if defined(__GNUC__) || defined(__clang__)
#define BH_NO_SANITIZE_UNDEFINED __attribute__((no_sanitize("undefined")))
#else
#define BH_NO_SANITIZE_UNDEFINED
#endif

// ASan and TSan reserve terabytes of address space for their shadow memory,
// so an address-space limit (RLIMIT_AS) cannot work in those builds.
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define BH_SANITIZER_RESERVES_ADDRESS_SPACE 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define BH_SANITIZER_RESERVES_ADDRESS_SPACE 1
#endif
#ifndef BH_SANITIZER_RESERVES_ADDRESS_SPACE
#define BH_SANITIZER_RESERVES_ADDRESS_SPACE 0
#endif

// AddressSanitizer (and its LeakSanitizer) in this build.
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BH_ADDRESS_SANITIZER 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define BH_ADDRESS_SANITIZER 1
#endif
#ifndef BH_ADDRESS_SANITIZER
#define BH_ADDRESS_SANITIZER 0
#endif

// ThreadSanitizer in this build.
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define BH_THREAD_SANITIZER 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define BH_THREAD_SANITIZER 1
#endif
#ifndef BH_THREAD_SANITIZER
#define BH_THREAD_SANITIZER 0
#endif

#endif  // BULKHEAD_COMMON_COMPILER_H_
