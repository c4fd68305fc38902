#include "sample_roles/text_layout.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "common/utf8.h"

namespace bulkhead::roles {
namespace {

constexpr uint32_t kMaxWidth = 10000;
constexpr size_t kMaxTextBytes = size_t{1} << 20;
constexpr size_t kValid = absl::string_view::npos;

bool IsContinuationByte(char c) {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

// Number of code points in valid UTF-8 `s`.
size_t CountCodePoints(absl::string_view s) {
  return static_cast<size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return !IsContinuationByte(c); }));
}

// Byte length of the first `n` code points of valid UTF-8 `s`.
size_t PrefixBytes(absl::string_view s, size_t n) {
  size_t i = 0;
  for (size_t seen = 0; i < s.size(); ++i) {
    if (!IsContinuationByte(s[i]) && seen++ == n) break;
  }
  return i;
}

// Accumulates words into lines of at most `width` columns.
class LineFiller {
 public:
  LineFiller(size_t width, roles::LayoutTextResponse* out)
      : width_(width), out_(out) {}

  void AddWord(absl::string_view word) {
    size_t columns = CountCodePoints(word);
    if (columns_ > 0) {
      if (columns_ + 1 + columns <= width_) {
        absl::StrAppend(&line_, " ", word);
        columns_ += 1 + columns;
        return;
      }
      EmitLine();
    }
    while (columns > width_) {
      const size_t bytes = PrefixBytes(word, width_);
      line_.assign(word.data(), bytes);
      columns_ = width_;
      EmitLine();
      word.remove_prefix(bytes);
      columns -= width_;
    }
    line_.assign(word.data(), word.size());
    columns_ = columns;
  }

  // Emits the current line, even when it is empty.
  void EmitLine() {
    out_->add_lines(std::move(line_));
    out_->set_longest_line(std::max<uint32_t>(out_->longest_line(),
                                              static_cast<uint32_t>(columns_)));
    line_.clear();
    columns_ = 0;
  }

 private:
  const size_t width_;
  roles::LayoutTextResponse* const out_;
  std::string line_;
  size_t columns_ = 0;
};

}  // namespace

absl::StatusOr<roles::LayoutTextResponse> LayoutText(
    const roles::LayoutTextRequest& request) {
  if (request.width() == 0 || request.width() > kMaxWidth) {
    return absl::InvalidArgumentError(absl::StrCat(
        "width must be in [1, ", kMaxWidth, "], got ", request.width()));
  }
  absl::string_view text = request.text();
  if (text.size() > kMaxTextBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("text is ", text.size(), " bytes; the limit is ",
                     kMaxTextBytes, " bytes (1 MiB)"));
  }
  if (const size_t bad = FindInvalidUtf8(text); bad != kValid) {
    return absl::InvalidArgumentError(
        absl::StrCat("text is not valid UTF-8 at byte offset ", bad));
  }

  roles::LayoutTextResponse response;
  if (text.empty()) return response;
  // A trailing '\n' terminates the last paragraph instead of starting one.
  if (text.back() == '\n') text.remove_suffix(1);

  LineFiller filler(request.width(), &response);
  uint32_t word_count = 0;
  for (absl::string_view paragraph : absl::StrSplit(text, '\n')) {
    for (absl::string_view word : absl::StrSplit(
             paragraph, absl::ByAnyChar(" \t\r\v\f"), absl::SkipEmpty())) {
      filler.AddWord(word);
      ++word_count;
    }
    filler.EmitLine();
  }
  response.set_word_count(word_count);
  return response;
}

}  // namespace bulkhead::roles
