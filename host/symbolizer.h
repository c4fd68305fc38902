// Turns a crashed helper's raw program counters into function names. The
// helper is this same executable loaded at another address, so each frame
// inside the helper's image is moved into the host's image and named from
// the executable's function symbols (host/symbol_index.h), or with Abseil's
// symbolizer where there is no such index; frames elsewhere (shared
// libraries) stay addresses. No descriptor stays open for it.
#ifndef BULKHEAD_HOST_SYMBOLIZER_H_
#define BULKHEAD_HOST_SYMBOLIZER_H_

#include <string>
#include <vector>

#include "ipc/crash_record.h"

namespace bulkhead {

// Prepares Abseil's symbolizer for this executable. Idempotent, thread-safe.
void InitializeSymbolizerOnce();

// Whether `path` is this executable's path (as CurrentExecutablePath says,
// asked once per process).
bool IsHostExecutable(const std::string& path);

// Whether names can be found for this executable's own code (false e.g. for
// a mingw build, whose DWARF symbols Windows' symbolizer cannot read, and
// where the executable's image range is unknown: common/process_image.h).
bool CanSymbolizeOwnCode();

// One line per frame, e.g. "#0 0x55d0c1a2b3c4 bulkhead::(anonymous)::Recurse()"
// or "#5 0x7f0e12345678 (outside the executable)". `same_binary` says the
// helper runs the host's executable; otherwise no names are attempted.
std::vector<std::string> SymbolizeCrash(const ipc::CrashRecord& record,
                                        bool same_binary);

}  // namespace bulkhead

#endif  // BULKHEAD_HOST_SYMBOLIZER_H_
