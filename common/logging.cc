#include "common/logging.h"

#include <atomic>
#include <cstdio>
#include <mutex>
#include <string>

namespace bulkhead {
namespace {

std::atomic<LogLevel> g_level{LogLevel::kWarning};

// std::mutex rather than absl::Mutex: ThreadSanitizer sees through the C++
// library's, not through a prebuilt Abseil's.
std::mutex& TagMutex() {
  static std::mutex mutex;
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
  std::lock_guard<std::mutex> lock(TagMutex());
  Tag() = std::string(tag);
}

void LogMessage(LogLevel level, absl::string_view message) {
  std::string line;
  {
    std::lock_guard<std::mutex> lock(TagMutex());
    line = absl::StrCat("[", Tag(), " ", LevelName(level), "] ", message, "\n");
  }
  // One fwrite per line keeps lines whole when several processes share the
  // terminal.
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace bulkhead
