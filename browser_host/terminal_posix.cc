#include <sys/ioctl.h>
#include <unistd.h>
#include <uv.h>

#include "browser_host/terminal.h"

namespace bulkhead {

bool IsTerminal(std::FILE* file) {
  return uv_guess_handle(fileno(file)) == UV_TTY;
}

std::optional<TerminalSize> GetTerminalSize(std::FILE* file) {
  struct winsize size = {};
  if (ioctl(fileno(file), TIOCGWINSZ, &size) != 0 || size.ws_row == 0 ||
      size.ws_col == 0) {
    return std::nullopt;
  }
  return TerminalSize{size.ws_row, size.ws_col};
}

bool EnableAnsiSequences(std::FILE* /*file*/) { return true; }

}  // namespace bulkhead
