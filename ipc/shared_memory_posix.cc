#include <sys/mman.h>

#include "ipc/shared_memory.h"

namespace bulkhead::ipc {

void WritableSharedMemoryRegion::Unmap() {
  if (data_ != nullptr) munmap(data_, size_);
  data_ = nullptr;
}

void ReadOnlySharedMemoryMapping::Unmap() {
  if (data_ != nullptr) munmap(const_cast<char*>(data_), size_);
  data_ = nullptr;
}

}  // namespace bulkhead::ipc
