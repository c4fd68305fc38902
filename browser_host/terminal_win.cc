// <uv.h> before <windows.h>: libuv needs winsock2.h first.
#include <uv.h>
// clang-format off
#include <windows.h>
#include <io.h>
// clang-format on

#include "browser_host/terminal.h"

#ifndef ENABLE_VIRTUAL_TERMINAL_PROCESSING
#define ENABLE_VIRTUAL_TERMINAL_PROCESSING 0x0004
#endif

namespace bulkhead {
namespace {

HANDLE ConsoleOf(std::FILE* file) {
  return reinterpret_cast<HANDLE>(_get_osfhandle(_fileno(file)));
}

}  // namespace

bool IsTerminal(std::FILE* file) {
  return uv_guess_handle(_fileno(file)) == UV_TTY;
}

std::optional<TerminalSize> GetTerminalSize(std::FILE* file) {
  CONSOLE_SCREEN_BUFFER_INFO info;
  if (!GetConsoleScreenBufferInfo(ConsoleOf(file), &info)) return std::nullopt;
  const int rows = info.srWindow.Bottom - info.srWindow.Top + 1;
  const int columns = info.srWindow.Right - info.srWindow.Left + 1;
  if (rows <= 0 || columns <= 0) return std::nullopt;
  return TerminalSize{rows, columns};
}

bool EnableAnsiSequences(std::FILE* file) {
  HANDLE console = ConsoleOf(file);
  DWORD mode = 0;
  if (!GetConsoleMode(console, &mode)) return false;
  if (mode & ENABLE_VIRTUAL_TERMINAL_PROCESSING) return true;
  return SetConsoleMode(console, mode | ENABLE_VIRTUAL_TERMINAL_PROCESSING) !=
         0;
}

}  // namespace bulkhead
