// This executable's function symbols, read once and sorted, so that naming a
// crashed helper's frames is a binary search each. Abseil's symbolizer scans
// the whole symbol table with pread for every address it has not named
// before: ~100 us a frame here, most of a millisecond for a fresh crash.
//
// Thread-safe once built (const).
#ifndef BULKHEAD_HOST_SYMBOL_INDEX_H_
#define BULKHEAD_HOST_SYMBOL_INDEX_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace bulkhead {

class SymbolIndex {
 public:
  struct Symbol {
    uint64_t address = 0;  // As linked (the load address subtracted).
    uint64_t size = 0;
    uint64_t name = 0;  // Offset of its mangled name in `names`.
  };

  // Reads `path`'s function symbols (ELF .symtab, else .dynsym; see
  // symbol_index_linux.cc). Null where there are none to read (another
  // format, stripped, unreadable): callers fall back to Abseil's symbolizer.
  static std::unique_ptr<SymbolIndex> Load(const std::string& path);

  // `names` (kept alive by `owner`) holds the NUL-terminated names.
  SymbolIndex(std::vector<Symbol> symbols, absl::string_view names,
              std::shared_ptr<const void> owner);

  // The demangled name of the function whose code holds `address` (as
  // linked), or "" when none does.
  std::string NameFor(uint64_t address) const;

  size_t size() const { return symbols_.size(); }

 private:
  std::vector<Symbol> symbols_;  // Sorted by address, one an address.
  absl::string_view names_;
  std::shared_ptr<const void> owner_;
};

}  // namespace bulkhead

#endif  // BULKHEAD_HOST_SYMBOL_INDEX_H_
