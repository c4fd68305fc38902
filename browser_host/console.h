// Where browser_host's demo writes what it has to say, in one of three modes:
//  - kLive: stdout is a terminal that understands ANSI escape sequences
//    (UseAnsiSequences: not TERM=dumb). The task manager table is pinned to
//    the top of the screen and redrawn in place; messages (and the commands
//    typed) scroll in the region below.
//  - kAppend: plain appended lines, for pipes and files: messages as they
//    come, every table in full.
//  - kJsonEvents: stdout carries only `Json` lines, one object each; messages
//    go to stderr, and tables only when asked for (`status`), also to stderr.
//
// Thread: the host's loop thread.
#ifndef BULKHEAD_BROWSER_HOST_CONSOLE_H_
#define BULKHEAD_BROWSER_HOST_CONSOLE_H_

#include <cstddef>
#include <cstdio>
#include <string>

#include "absl/strings/string_view.h"

namespace bulkhead {

class Console {
 public:
  enum class Mode { kLive, kAppend, kJsonEvents };

  // Picks kJsonEvents when `json_events`, else kLive when `out` is a terminal
  // of known size that takes ANSI sequences (and `allow_live`), else kAppend.
  static Mode ChooseMode(std::FILE* out, bool json_events, bool allow_live);

  // Not owned: `out` and `err` must outlive the console.
  Console(Mode mode, std::FILE* out, std::FILE* err);
  // kLive: gives the whole screen back to scrolling, cursor below the table.
  ~Console();
  Console(const Console&) = delete;
  Console& operator=(const Console&) = delete;

  Mode mode() const { return mode_; }
  // How wide a table may be where `Table` shows it: the terminal's width, or
  // 0 (no limit) when it does not go to a terminal of known size.
  size_t table_width() const;

  // A message of whole lines (ends with '\n').
  void Message(absl::string_view text);
  // A fresh task manager table. `requested`: the user asked for it (`status`)
  // rather than the periodic refresh, which kJsonEvents does not show.
  void Table(absl::string_view table, bool requested);
  // One JSON object (no newline); kJsonEvents only, dropped otherwise.
  void Json(absl::string_view object);

 private:
  void Write(std::FILE* file, absl::string_view text);
  void Redraw(absl::string_view table);

  const Mode mode_;
  std::FILE* const out_;  // Not owned.
  std::FILE* const err_;  // Not owned.
  // kLive: lines pinned at the top, and the terminal height they were laid
  // out for (0: not yet).
  int pinned_lines_ = 0;
  int rows_ = 0;
};

}  // namespace bulkhead

#endif  // BULKHEAD_BROWSER_HOST_CONSOLE_H_
