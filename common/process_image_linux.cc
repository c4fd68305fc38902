#include <link.h>

#include <algorithm>

#include "common/process_image.h"

namespace bulkhead {

ImageRange MainExecutableImage() {
  ImageRange range;
  // The first object dl_iterate_phdr reports is the main program.
  dl_iterate_phdr(
      [](struct dl_phdr_info* info, size_t, void* data) -> int {
        auto* out = static_cast<ImageRange*>(data);
        out->base = info->dlpi_addr;
        uint64_t end = 0;
        for (int i = 0; i < info->dlpi_phnum; ++i) {
          const ElfW(Phdr)& header = info->dlpi_phdr[i];
          if (header.p_type != PT_LOAD) continue;
          end = std::max<uint64_t>(end, header.p_vaddr + header.p_memsz);
        }
        out->size = end;
        return 1;  // Stop after the first.
      },
      &range);
  return range;
}

}  // namespace bulkhead
