#include <windows.h>

#include "common/process_image.h"

namespace bulkhead {

ImageRange MainExecutableImage() {
  ImageRange range;
  auto* module =
      reinterpret_cast<const unsigned char*>(::GetModuleHandleW(nullptr));
  if (module == nullptr) return range;
  const auto* dos = reinterpret_cast<const IMAGE_DOS_HEADER*>(module);
  const auto* nt =
      reinterpret_cast<const IMAGE_NT_HEADERS*>(module + dos->e_lfanew);
  range.base = reinterpret_cast<uint64_t>(module);
  range.size = nt->OptionalHeader.SizeOfImage;
  return range;
}

}  // namespace bulkhead
