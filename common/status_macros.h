// Early-return helpers for absl::Status. Abseil 20220623 ships none of its own.
#ifndef BULKHEAD_COMMON_STATUS_MACROS_H_
#define BULKHEAD_COMMON_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Returns from the enclosing function if `expr` (an absl::Status) is not OK.
#define BH_RETURN_IF_ERROR(expr)                                \
  do {                                                          \
    if (::absl::Status bh_status_ = (expr); !bh_status_.ok()) { \
      return bh_status_;                                        \
    }                                                           \
  } while (0)

#define BH_STATUS_MACROS_CONCAT_INNER_(a, b) a##b
#define BH_STATUS_MACROS_CONCAT_(a, b) BH_STATUS_MACROS_CONCAT_INNER_(a, b)

// `BH_ASSIGN_OR_RETURN(auto x, MakeX());` declares `x` from an absl::StatusOr,
// or returns its error from the enclosing function.
#define BH_ASSIGN_OR_RETURN(lhs, expr)                                        \
  BH_ASSIGN_OR_RETURN_IMPL_(BH_STATUS_MACROS_CONCAT_(bh_statusor_, __LINE__), \
                            lhs, expr)

#define BH_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                              \
  if (!statusor.ok()) {                                \
    return std::move(statusor).status();               \
  }                                                    \
  lhs = std::move(statusor).value()

#endif  // BULKHEAD_COMMON_STATUS_MACROS_H_
