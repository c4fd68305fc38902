#include "browser_host/roles/text_layout.h"

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

namespace bulkhead::roles {
namespace {

constexpr uint32_t kMaxWidth = 10000;
constexpr size_t kMaxTextBytes = size_t{1} << 20;
constexpr size_t kValid = static_cast<size_t>(-1);

// Returns the byte offset of the first malformed sequence in `text` (bad lead
// byte, truncated or overlong sequence, surrogate, or code point above
// U+10FFFF), or kValid if `text` is well-formed UTF-8.
size_t FindInvalidUtf8(absl::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    size_t length;
    uint32_t code_point;
    uint32_t min_code_point;
    if (lead < 0x80) {
      ++i;
      continue;
    } else if ((lead & 0xE0) == 0xC0) {
      length = 2;
      code_point = lead & 0x1F;
      min_code_point = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3;
      code_point = lead & 0x0F;
      min_code_point = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4;
      code_point = lead & 0x07;
      min_code_point = 0x10000;
    } else {
      return i;
    }
    if (text.size() - i < length) return i;
    for (size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return i;
      code_point = (code_point << 6) | (next & 0x3F);
    }
    if (code_point < min_code_point || code_point > 0x10FFFF ||
        (code_point >= 0xD800 && code_point <= 0xDFFF)) {
      return i;
    }
    i += length;
  }
  return kValid;
}

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
