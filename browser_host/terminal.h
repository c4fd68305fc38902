// The little the demo needs to know about its terminal: whether output goes
// to one, its size, (Windows) switching on ANSI escape sequences, and whether
// to send any. Picked per platform: terminal_posix.cc / terminal_win.cc; what
// they share is in terminal.cc.
#ifndef BULKHEAD_BROWSER_HOST_TERMINAL_H_
#define BULKHEAD_BROWSER_HOST_TERMINAL_H_

#include <cstddef>
#include <cstdio>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace bulkhead {

// Whether `file` is a terminal (libuv's uv_guess_handle says UV_TTY).
bool IsTerminal(std::FILE* file);

struct TerminalSize {
  int rows = 0;
  int columns = 0;
};

// The size of the terminal `file` writes to; nullopt when unknown.
std::optional<TerminalSize> GetTerminalSize(std::FILE* file);

// Makes the terminal interpret ANSI escape sequences (cursor movement,
// scroll regions). True where they work: always on POSIX; on Windows when
// the console accepts ENABLE_VIRTUAL_TERMINAL_PROCESSING.
bool EnableAnsiSequences(std::FILE* file);

// Whether to send ANSI escape sequences (cursor moves, scroll regions,
// colours) to `file`: it is a terminal, TERM is not "dumb" (a terminal that
// takes none), and EnableAnsiSequences succeeded.
bool UseAnsiSequences(std::FILE* file);

// The mark that ends text cut to fit a width.
inline constexpr char kCutMark = '>';

// `text` (ASCII) in at most `width` characters: whole when it fits, else cut
// and ending in `kCutMark`, so that nothing is cut without a sign.
std::string FitToWidth(absl::string_view text, size_t width);

// Whether to colour what goes to `file`: UseAnsiSequences, and NO_COLOR
// unset or empty (https://no-color.org).
bool UseColor(std::FILE* file);

}  // namespace bulkhead

#endif  // BULKHEAD_BROWSER_HOST_TERMINAL_H_
