// Where this process's executable is mapped. A crashing helper reports its
// program counters with this base; the host, running the same binary at
// another address, translates them into its own image to symbolise them.
#ifndef BULKHEAD_COMMON_PROCESS_IMAGE_H_
#define BULKHEAD_COMMON_PROCESS_IMAGE_H_

#include <cstdint>

#include "bulkhead/export.h"

namespace bulkhead {

struct ImageRange {
  uint64_t base = 0;  // Load address (the load bias for a Linux PIE).
  uint64_t size = 0;  // Bytes from `base` that belong to the executable.
};

// The main executable's range; {0, 0} where it cannot be determined.
BULKHEAD_EXPORT ImageRange MainExecutableImage();

}  // namespace bulkhead

#endif  // BULKHEAD_COMMON_PROCESS_IMAGE_H_
