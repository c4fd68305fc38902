#include "browser_host/console.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "browser_host/terminal.h"

namespace bulkhead {
namespace {

constexpr char kTitle[] =
    "browser_host task manager (type 'help' for commands)";
// Lines kept below the table for messages and the command being typed.
constexpr int kMinScrollLines = 4;

}  // namespace

Console::Mode Console::ChooseMode(std::FILE* out, bool json_events,
                                  bool allow_live) {
  if (json_events) return Mode::kJsonEvents;
  if (allow_live && UseAnsiSequences(out) && GetTerminalSize(out).has_value()) {
    return Mode::kLive;
  }
  return Mode::kAppend;
}

Console::Console(Mode mode, std::FILE* out, std::FILE* err)
    : mode_(mode), out_(out), err_(err) {}

Console::~Console() {
  if (mode_ != Mode::kLive || pinned_lines_ == 0) return;
  // Reset the scroll region (which homes the cursor), then go to the last
  // line so that the shell's prompt comes below everything.
  Write(out_, absl::StrCat("\x1b[r\x1b[", rows_, ";1H\n"));
}

size_t Console::table_width() const {
  std::FILE* const file = mode_ == Mode::kJsonEvents ? err_ : out_;
  if (!IsTerminal(file)) return 0;
  const std::optional<TerminalSize> size = GetTerminalSize(file);
  return size.has_value() ? static_cast<size_t>(size->columns) : 0;
}

void Console::Write(std::FILE* file, absl::string_view text) {
  std::fwrite(text.data(), 1, text.size(), file);
  std::fflush(file);
}

void Console::Message(absl::string_view text) {
  Write(mode_ == Mode::kJsonEvents ? err_ : out_, text);
}

void Console::Table(absl::string_view table, bool requested) {
  switch (mode_) {
    case Mode::kLive:
      Redraw(table);
      return;
    case Mode::kAppend:
      Write(out_, absl::StrCat("\n", table));
      return;
    case Mode::kJsonEvents:
      if (requested) Write(err_, table);
      return;
  }
}

void Console::Json(absl::string_view object) {
  if (mode_ == Mode::kJsonEvents) Write(out_, absl::StrCat(object, "\n"));
}

void Console::Redraw(absl::string_view table) {
  const TerminalSize size =
      GetTerminalSize(out_).value_or(TerminalSize{24, 80});
  std::vector<absl::string_view> lines = {kTitle};
  for (absl::string_view line : absl::StrSplit(table, '\n')) {
    if (!line.empty()) lines.push_back(line);
  }
  const std::string rule(static_cast<size_t>(std::max(size.columns, 1)), '-');
  lines.push_back(rule);
  // Too small a terminal for a pinned table: append it instead.
  const int wanted = static_cast<int>(lines.size());
  if (wanted + kMinScrollLines > size.rows) {
    Write(out_, absl::StrCat("\n", table));
    return;
  }
  std::string text;
  if (wanted != pinned_lines_ || size.rows != rows_) {
    if (pinned_lines_ == 0) absl::StrAppend(&text, "\x1b[2J");
    // Messages scroll in rows wanted+1..rows only (this homes the cursor).
    absl::StrAppend(&text, "\x1b[", wanted + 1, ";", size.rows, "r");
    // Rows the old, taller table used are now part of the scroll region.
    for (int row = wanted + 1; row <= pinned_lines_; ++row) {
      absl::StrAppend(&text, "\x1b[", row, ";1H\x1b[2K");
    }
    absl::StrAppend(&text, "\x1b[", size.rows, ";1H");
    pinned_lines_ = wanted;
    rows_ = size.rows;
  }
  // Save the cursor (it is where messages and typing go), draw, restore.
  absl::StrAppend(&text, "\x1b", "7");
  for (int i = 0; i < wanted; ++i) {
    absl::StrAppend(
        &text, "\x1b[", i + 1, ";1H",
        FitToWidth(lines[i], static_cast<size_t>(std::max(size.columns, 1))),
        "\x1b[K");
  }
  absl::StrAppend(&text, "\x1b", "8");
  Write(out_, text);
}

}  // namespace bulkhead
