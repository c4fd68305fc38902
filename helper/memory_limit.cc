#include "helper/memory_limit.h"

#include <cstdlib>
#include <new>

#include "helper/exit_codes.h"

namespace bulkhead {

void InstallOutOfMemoryHandler() {
  std::set_new_handler([] { std::_Exit(kExitOutOfMemory); });
}

}  // namespace bulkhead
