#include "ipc/sigpipe.h"

namespace bulkhead::ipc {

void IgnoreSigpipe() {}

}  // namespace bulkhead::ipc
