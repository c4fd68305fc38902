#include "browser_host/symbolizer.h"

#include <mutex>

#include "absl/debugging/symbolize.h"
#include "absl/strings/str_cat.h"
#include "browser_host/launcher.h"
#include "common/process_image.h"

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

}  // namespace

void InitializeSymbolizerOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Abseil keeps the pointer.
    absl::InitializeSymbolizer(OwnExecutablePath().c_str());
  });
}

bool IsHostExecutable(const std::string& path) {
  return !OwnExecutablePath().empty() && path == OwnExecutablePath();
}

bool CanSymbolizeOwnCode() {
  InitializeSymbolizerOnce();
  char name[256];
  return absl::Symbolize(reinterpret_cast<const void*>(&CanSymbolizeOwnCode),
                         name, sizeof(name));
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
    char name[512];
    // A return address points just past the call: look up the call itself
    // (except for the faulting instruction, frame 0).
    const uint64_t lookup = host.base + offset - (i > 0 ? 1 : 0);
    if (in_image && absl::Symbolize(reinterpret_cast<const void*>(lookup), name,
                                    sizeof(name))) {
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
