// What terminal_posix.cc and terminal_win.cc share.
#include "browser_host/terminal.h"

#include <cstdlib>
#include <cstring>
#include <string>

namespace bulkhead {

bool UseAnsiSequences(std::FILE* file) {
  const char* term = std::getenv("TERM");
  if (term != nullptr && std::strcmp(term, "dumb") == 0) return false;
  return IsTerminal(file) && EnableAnsiSequences(file);
}

std::string FitToWidth(absl::string_view text, size_t width) {
  if (text.size() <= width) return std::string(text);
  if (width == 0) return "";
  std::string cut(text.substr(0, width - 1));
  cut.push_back(kCutMark);
  return cut;
}

bool UseColor(std::FILE* file) {
  const char* no_color = std::getenv("NO_COLOR");
  return (no_color == nullptr || *no_color == '\0') && UseAnsiSequences(file);
}

}  // namespace bulkhead
