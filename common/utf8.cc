#include "common/utf8.h"

#include <cstdint>

namespace bulkhead {
namespace {

constexpr char kReplacement[] = "\xEF\xBF\xBD";  // U+FFFD in UTF-8.

// The length of the well-formed UTF-8 sequence at the start of non-empty
// `text`, or 0 when none starts there.
size_t SequenceLength(absl::string_view text) {
  const auto lead = static_cast<unsigned char>(text[0]);
  if (lead < 0x80) return 1;
  size_t length;
  uint32_t code_point;
  uint32_t min_code_point;
  if ((lead & 0xE0) == 0xC0) {
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
    return 0;
  }
  if (text.size() < length) return 0;
  for (size_t i = 1; i < length; ++i) {
    const auto next = static_cast<unsigned char>(text[i]);
    if ((next & 0xC0) != 0x80) return 0;
    code_point = (code_point << 6) | (next & 0x3F);
  }
  if (code_point < min_code_point || code_point > 0x10FFFF ||
      (code_point >= 0xD800 && code_point <= 0xDFFF)) {
    return 0;
  }
  return length;
}

// Appends `prefix` and `byte` in two lowercase hex digits.
void AppendEscape(std::string& out, const char* prefix, unsigned char byte) {
  constexpr char kDigits[] = "0123456789abcdef";
  out += prefix;
  out += kDigits[byte >> 4];
  out += kDigits[byte & 0xF];
}

}  // namespace

size_t FindInvalidUtf8(absl::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const size_t length = SequenceLength(text.substr(i));
    if (length == 0) return i;
    i += length;
  }
  return absl::string_view::npos;
}

std::string ValidUtf8(absl::string_view text) {
  std::string valid;
  valid.reserve(text.size());
  while (!text.empty()) {
    const size_t length = SequenceLength(text);
    if (length == 0) {
      valid += kReplacement;
      text.remove_prefix(1);
    } else {
      valid.append(text.data(), length);
      text.remove_prefix(length);
    }
  }
  return valid;
}

std::string PrintableText(absl::string_view text) {
  std::string printable;
  printable.reserve(text.size());
  while (!text.empty()) {
    const size_t length = SequenceLength(text);
    const auto lead = static_cast<unsigned char>(text[0]);
    if (length == 0 ||
        (length == 1 && lead != '\t' && (lead < 0x20 || lead == 0x7F))) {
      // A control character or a byte that begins no character.
      AppendEscape(printable, "\\x", lead);
      text.remove_prefix(1);
      continue;
    }
    // U+0080-U+009F, the C1 controls (CSI is U+009B), are C2 80-C2 9F.
    if (length == 2 && lead == 0xC2 &&
        static_cast<unsigned char>(text[1]) < 0xA0) {
      AppendEscape(printable, "\\u00", static_cast<unsigned char>(text[1]));
    } else {
      printable.append(text.data(), length);
    }
    text.remove_prefix(length);
  }
  return printable;
}

}  // namespace bulkhead
