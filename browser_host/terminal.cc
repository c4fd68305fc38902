// What terminal_posix.cc and terminal_win.cc share: the environment's say.
#include "browser_host/terminal.h"

#include <cstdlib>
#include <cstring>

namespace bulkhead {

bool UseAnsiSequences(std::FILE* file) {
  const char* term = std::getenv("TERM");
  if (term != nullptr && std::strcmp(term, "dumb") == 0) return false;
  return IsTerminal(file) && EnableAnsiSequences(file);
}

bool UseColor(std::FILE* file) {
  const char* no_color = std::getenv("NO_COLOR");
  return (no_color == nullptr || *no_color == '\0') && UseAnsiSequences(file);
}

}  // namespace bulkhead
