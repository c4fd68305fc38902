// Reads a whole file, for tests that check what a program wrote.
#ifndef BULKHEAD_TESTS_SUPPORT_FILE_CONTENTS_H_
#define BULKHEAD_TESTS_SUPPORT_FILE_CONTENTS_H_

#include <string>

namespace bulkhead::testing {

// The bytes of the file at `path`; empty when it cannot be read.
std::string FileContents(const std::string& path);

}  // namespace bulkhead::testing

#endif  // BULKHEAD_TESTS_SUPPORT_FILE_CONTENTS_H_
