// UTF-8 checks for text that came from elsewhere (a peer, a helper's output):
// where it stops being well-formed, and a well-formed copy of it.
#ifndef BULKHEAD_COMMON_UTF8_H_
#define BULKHEAD_COMMON_UTF8_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"
#include "bulkhead/export.h"

namespace bulkhead {

// The byte offset of the first byte in `text` that does not begin a
// well-formed UTF-8 sequence (a stray continuation byte, a truncated,
// overlong or surrogate sequence, a code point above U+10FFFF), or
// absl::string_view::npos when `text` is well-formed UTF-8.
BULKHEAD_EXPORT size_t FindInvalidUtf8(absl::string_view text);

// `text` with each such byte replaced by U+FFFD; well-formed text unchanged.
BULKHEAD_EXPORT std::string ValidUtf8(absl::string_view text);

}  // namespace bulkhead

#endif  // BULKHEAD_COMMON_UTF8_H_
