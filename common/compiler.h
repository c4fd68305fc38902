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

#endif  // BULKHEAD_COMMON_COMPILER_H_
