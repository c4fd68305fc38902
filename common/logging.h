// Minimal leveled logging to stderr, prefixed with the process's role so that
// the interleaved output of a host and its helpers stays readable. Thread-safe.
#ifndef BULKHEAD_COMMON_LOGGING_H_
#define BULKHEAD_COMMON_LOGGING_H_

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "bulkhead/export.h"

namespace bulkhead {

enum class LogLevel {
  kDebug = 0,
  kInfo = 1,
  kWarning = 2,
  kError = 3,
  kSilent = 4
};

// Messages below `level` are dropped. Default: kWarning.
BULKHEAD_EXPORT void SetLogLevel(LogLevel level);
BULKHEAD_EXPORT LogLevel GetLogLevel();
// The prefix of every line, e.g. "host" or "renderer-3". Default: "bulkhead".
BULKHEAD_EXPORT void SetLogTag(absl::string_view tag);

BULKHEAD_EXPORT void LogMessage(LogLevel level, absl::string_view message);

// `BH_LOG(kInfo, "launched ", name, " pid ", pid);` formats with absl::StrCat
// only when the level is enabled.
#define BH_LOG(level, ...)                                          \
  do {                                                              \
    if (::bulkhead::LogLevel::level >= ::bulkhead::GetLogLevel()) { \
      ::bulkhead::LogMessage(::bulkhead::LogLevel::level,           \
                             ::absl::StrCat(__VA_ARGS__));          \
    }                                                               \
  } while (0)

}  // namespace bulkhead

#endif  // BULKHEAD_COMMON_LOGGING_H_
