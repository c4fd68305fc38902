#include "host/symbol_index.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/debugging/internal/demangle.h"

namespace bulkhead {

SymbolIndex::SymbolIndex(std::vector<Symbol> symbols, absl::string_view names,
                         std::shared_ptr<const void> owner)
    : symbols_(std::move(symbols)), names_(names), owner_(std::move(owner)) {
  std::stable_sort(
      symbols_.begin(), symbols_.end(),
      [](const Symbol& a, const Symbol& b) { return a.address < b.address; });
  // Aliases (one function, several names): one stays, the one Abseil's
  // symbolizer names: a sized one over one without a size, else the last
  // listed.
  std::vector<Symbol> kept;
  kept.reserve(symbols_.size());
  for (const Symbol& symbol : symbols_) {
    if (!kept.empty() && kept.back().address == symbol.address) {
      if (symbol.size != 0 || kept.back().size == 0) kept.back() = symbol;
      continue;
    }
    kept.push_back(symbol);
  }
  symbols_ = std::move(kept);
}

std::string SymbolIndex::NameFor(uint64_t address) const {
  auto after = std::upper_bound(symbols_.begin(), symbols_.end(), address,
                                [](uint64_t value, const Symbol& symbol) {
                                  return value < symbol.address;
                                });
  if (after == symbols_.begin()) return "";
  const Symbol& symbol = *(after - 1);
  // A symbol without a size names its first byte only.
  if (address - symbol.address >= std::max<uint64_t>(symbol.size, 1)) {
    return "";
  }
  if (symbol.name >= names_.size()) return "";
  // NUL-terminated within the table, or not a name.
  const absl::string_view rest = names_.substr(symbol.name);
  const size_t end = rest.find('\0');
  if (end == 0 || end == absl::string_view::npos) return "";
  const std::string mangled(rest.substr(0, end));
  // Abseil's demangler, as absl::Symbolize uses: the same names as before.
  constexpr int kNameSize = 1024;
  char name[kNameSize];
  if (absl::debugging_internal::Demangle(mangled.c_str(), name, kNameSize)) {
    return name;
  }
  return mangled;
}

}  // namespace bulkhead
