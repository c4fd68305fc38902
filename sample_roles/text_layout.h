// Greedy word wrap for the built-in "renderer" role.

#ifndef BULKHEAD_HELPER_ROLES_TEXT_LAYOUT_H_
#define BULKHEAD_HELPER_ROLES_TEXT_LAYOUT_H_

#include "absl/status/statusor.h"
#include "sample_roles/work.pb.h"

namespace bulkhead::roles {

// Wraps `request.text` (UTF-8) greedily into lines of at most `request.width`
// columns, one column per Unicode code point.
//
// - Runs of ASCII whitespace (space, \t, \r, \v, \f) separate words; words on
//   one line are joined by a single space.
// - '\n' ends a paragraph: the current line is emitted even if empty, so blank
//   lines are kept. A final '\n' terminates the last line rather than adding
//   an empty one; empty text yields no lines.
// - A word wider than `width` starts a new line and is broken hard every
//   `width` code points; its remainder may be followed by further words.
//
// `word_count` counts words before any hard breaks; `longest_line` is in
// columns. Returns InvalidArgumentError if `width` is 0 or above 10000, the
// text exceeds 1 MiB, or the text is not valid UTF-8.
absl::StatusOr<roles::LayoutTextResponse> LayoutText(
    const roles::LayoutTextRequest& request);

}  // namespace bulkhead::roles

#endif  // BULKHEAD_HELPER_ROLES_TEXT_LAYOUT_H_
