#include "tests/support/file_contents.h"

#include <fstream>
#include <sstream>

namespace bulkhead::testing {

std::string FileContents(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

}  // namespace bulkhead::testing
