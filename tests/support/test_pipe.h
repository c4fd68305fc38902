// A pipe for tests that pass handles: the same few calls on POSIX and Windows.
#ifndef BULKHEAD_TESTS_SUPPORT_TEST_PIPE_H_
#define BULKHEAD_TESTS_SUPPORT_TEST_PIPE_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/platform_handle.h"

namespace bulkhead::testing {

struct TestPipe {
  ScopedHandle read;
  ScopedHandle write;
};
absl::StatusOr<TestPipe> MakeTestPipe();

// Writes all of `bytes` to `handle`.
absl::Status WriteAll(NativeHandle handle, absl::string_view bytes);
// Reads up to `max` bytes; empty at end of file (every write end closed).
absl::StatusOr<std::string> ReadSome(NativeHandle handle, size_t max);

// A handle of a resource that stays open, to send: a duplicate of stderr.
ScopedHandle DuplicateOfStderr();

}  // namespace bulkhead::testing

#endif  // BULKHEAD_TESTS_SUPPORT_TEST_PIPE_H_
