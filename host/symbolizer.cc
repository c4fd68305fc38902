#include "host/symbolizer.h"

#include <mutex>

#include "absl/debugging/symbolize.h"
#include "absl/strings/str_cat.h"
#include "common/process_image.h"
#include "host/launch/launcher.h"
#include "host/symbol_index.h"

namespace bulkhead {
namespace {

// Neither changes while the process runs; each costs system calls to find.
const std::string& OwnExecutablePath() {
  static const std::string* const path = [] {
    absl::StatusOr<std::string> self = CurrentExecutablePath();
    return new std::string(self.ok() ? *self : "");
  }();
  return *path;
}

const ImageRange& OwnImage() {
  static const ImageRange image = MainExecutableImage();
  return image;
}

// Null where the platform or the executable has none.
const SymbolIndex* OwnSymbols() {
  static const SymbolIndex* const index =
      SymbolIndex::Load(OwnExecutablePath()).release();
  return index;
}

// The name of the function at `address` (as linked) in this executable.
std::string NameInOwnImage(uint64_t address) {
  // With an index, Abseil's symbolizer is never asked: on ELF it opens the
  // executable on first use and keeps that descriptor (without O_CLOEXEC) for
  // the life of the process, so a crash frame outside every function (a PLT
  // stub) added a descriptor to the host at a random moment.
  if (const SymbolIndex* index = OwnSymbols(); index != nullptr) {
    return index->NameFor(address);
  }
  char name[512];
  const auto* runtime =
      reinterpret_cast<const void*>(OwnImage().base + address);
  return absl::Symbolize(runtime, name, sizeof(name)) ? name : "";
}

}  // namespace

void InitializeSymbolizerOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Abseil keeps the pointer.
    absl::InitializeSymbolizer(OwnExecutablePath().c_str());
    OwnSymbols();
  });
}

bool IsHostExecutable(const std::string& path) {
  return !OwnExecutablePath().empty() && path == OwnExecutablePath();
}

bool CanSymbolizeOwnCode() {
  InitializeSymbolizerOnce();
  // A crash's frames are placed by the image range first: none, no names.
  if (OwnImage().size == 0) return false;
  const auto here = reinterpret_cast<uintptr_t>(&CanSymbolizeOwnCode);
  return !NameInOwnImage(here - OwnImage().base).empty();
}

std::vector<std::string> SymbolizeCrash(const ipc::CrashRecord& record,
                                        bool same_binary) {
  InitializeSymbolizerOnce();
  const ImageRange& host = OwnImage();
  std::vector<std::string> lines;
  lines.reserve(record.frames.size());
  for (size_t i = 0; i < record.frames.size(); ++i) {
    const uint64_t pc = record.frames[i];
    std::string line = absl::StrCat("#", i, " 0x", absl::Hex(pc));
    const uint64_t offset = pc - record.image_base;
    const bool in_image = same_binary && host.size != 0 &&
                          pc >= record.image_base && offset < host.size;
    // A return address points just past the call: look up the call itself
    // (except for the faulting instruction, frame 0).
    const std::string name =
        in_image ? NameInOwnImage(offset - (i > 0 ? 1 : 0)) : "";
    if (!name.empty()) {
      absl::StrAppend(&line, " ", name);
    } else if (in_image) {
      absl::StrAppend(&line, " (executable+0x", absl::Hex(offset), ")");
    } else {
      absl::StrAppend(&line, " (outside the executable)");
    }
    lines.push_back(std::move(line));
  }
  return lines;
}

}  // namespace bulkhead
