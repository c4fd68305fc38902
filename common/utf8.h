// UTF-8 checks for text that came from elsewhere (a peer, a helper's output):
// where it stops being well-formed, a well-formed copy of it, and a copy safe
// to show on a terminal.
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

// `text` made safe to show on a terminal: control characters other than tab
// (C0, DEL) and bytes that begin no well-formed character become `\xNN`, the
// C1 controls (U+0080-U+009F) `\u00NN`; everything else is unchanged. For
// text another process wrote, so that it cannot move the cursor, clear the
// screen, retitle the window or overwrite what came before it on the line.
BULKHEAD_EXPORT std::string PrintableText(absl::string_view text);

}  // namespace bulkhead

#endif  // BULKHEAD_COMMON_UTF8_H_
