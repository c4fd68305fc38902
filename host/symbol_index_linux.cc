// Linux: the executable's ELF symbol table, mapped read-only for the life of
// the process (only the pages read are loaded).
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "host/symbol_index.h"

namespace bulkhead {
namespace {

struct Mapping {
  const char* data = nullptr;
  size_t size = 0;
  ~Mapping() {
    if (data != nullptr) ::munmap(const_cast<char*>(data), size);
  }
};

std::shared_ptr<Mapping> MapFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return nullptr;
  struct stat info = {};
  void* data = MAP_FAILED;
  if (::fstat(fd, &info) == 0 && info.st_size > 0) {
    data = ::mmap(nullptr, static_cast<size_t>(info.st_size), PROT_READ,
                  MAP_PRIVATE, fd, 0);
  }
  ::close(fd);
  if (data == MAP_FAILED) return nullptr;
  auto mapping = std::make_shared<Mapping>();
  mapping->data = static_cast<const char*>(data);
  mapping->size = static_cast<size_t>(info.st_size);
  return mapping;
}

// Whether [offset, offset + size) lies inside the file.
bool Inside(const Mapping& file, uint64_t offset, uint64_t size) {
  return offset <= file.size && size <= file.size - offset;
}

}  // namespace

std::unique_ptr<SymbolIndex> SymbolIndex::Load(const std::string& path) {
  std::shared_ptr<Mapping> file = MapFile(path);
  if (file == nullptr || !Inside(*file, 0, sizeof(ElfW(Ehdr)))) return nullptr;
  ElfW(Ehdr) header;
  std::memcpy(&header, file->data, sizeof(header));
  if (std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0 ||
      header.e_ident[EI_CLASS] != ELFCLASS64 ||
      header.e_shentsize != sizeof(ElfW(Shdr)) ||
      !Inside(*file, header.e_shoff,
              uint64_t{header.e_shnum} * sizeof(ElfW(Shdr)))) {
    return nullptr;
  }
  std::vector<ElfW(Shdr)> sections(header.e_shnum);
  std::memcpy(sections.data(), file->data + header.e_shoff,
              sections.size() * sizeof(ElfW(Shdr)));
  // The full table if the executable has one, else the dynamic one.
  for (const uint32_t type : {SHT_SYMTAB, SHT_DYNSYM}) {
    for (const ElfW(Shdr) & table : sections) {
      if (table.sh_type != type || table.sh_entsize != sizeof(ElfW(Sym)) ||
          table.sh_link >= sections.size() ||
          !Inside(*file, table.sh_offset, table.sh_size)) {
        continue;
      }
      const ElfW(Shdr)& names = sections[table.sh_link];
      if (!Inside(*file, names.sh_offset, names.sh_size)) continue;
      std::vector<Symbol> symbols;
      const size_t count = table.sh_size / sizeof(ElfW(Sym));
      for (size_t i = 0; i < count; ++i) {
        ElfW(Sym) symbol;
        std::memcpy(&symbol,
                    file->data + table.sh_offset + i * sizeof(ElfW(Sym)),
                    sizeof(symbol));
        const unsigned kind = ELF64_ST_TYPE(symbol.st_info);
        if ((kind != STT_FUNC && kind != STT_GNU_IFUNC) ||
            symbol.st_shndx == SHN_UNDEF || symbol.st_value == 0 ||
            symbol.st_name >= names.sh_size) {
          continue;
        }
        symbols.push_back({symbol.st_value, symbol.st_size, symbol.st_name});
      }
      if (!symbols.empty()) {
        const absl::string_view strings(file->data + names.sh_offset,
                                        names.sh_size);
        return std::make_unique<SymbolIndex>(std::move(symbols), strings,
                                             std::move(file));
      }
    }
  }
  return nullptr;
}

}  // namespace bulkhead
