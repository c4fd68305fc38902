#include <cstdio>

#include "helper/exit_codes.h"
#include "helper/zygote.h"

namespace bulkhead {

int RunZygote(int, const char* const*, const RoleRegistry&) {
  std::fprintf(stderr, "--type=zygote: there is no zygote on this platform\n");
  return kExitUsage;
}

}  // namespace bulkhead
