#include "common/logging.h"

#include <atomic>
#include <cstdio>
#include <string>

#include "absl/synchronization/mutex.h"

namespace bulkhead {
namespace {

std::atomic<LogLevel> g_level{LogLevel::kWarning};

absl::Mutex& TagMutex() {
  static absl::Mutex mutex;
  return mutex;
}

std::string& Tag() {
  static std::string* tag = new std::string("bulkhead");
  return *tag;
}

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kError:
      return "error";
    case LogLevel::kSilent:
      break;
  }
  return "?";
}

}  // namespace

void SetLogLevel(LogLevel level) {
  g_level.store(level, std::memory_order_relaxed);
}
LogLevel GetLogLevel() { return g_level.load(std::memory_order_relaxed); }

void SetLogTag(absl::string_view tag) {
  absl::MutexLock lock(&TagMutex());
  Tag() = std::string(tag);
}

void LogMessage(LogLevel level, absl::string_view message) {
  std::string line;
  {
    absl::MutexLock lock(&TagMutex());
    line = absl::StrCat("[", Tag(), " ", LevelName(level), "] ", message, "\n");
  }
  // One fwrite per line keeps lines whole when several processes share the
  // terminal.
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace bulkhead
