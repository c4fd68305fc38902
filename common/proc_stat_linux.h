// /proc/<pid>/stat, split into fields (Linux). The command name (field 2) may
// hold spaces, line feeds and ')', so the fields are read from after the
// file's last ')'.
#ifndef BULKHEAD_COMMON_PROC_STAT_LINUX_H_
#define BULKHEAD_COMMON_PROC_STAT_LINUX_H_

#include <cstdint>
#include <string>
#include <vector>

#include "bulkhead/export.h"

namespace bulkhead {

// Fields 3 and on of `path` (e.g. "/proc/self/stat"): field N is at index
// N - 3. Empty when the file cannot be read or is malformed.
BULKHEAD_EXPORT std::vector<std::string> ProcStatFields(
    const std::string& path);

// Field `number` (3 and on) of `fields` as a number; 0 when there is none.
BULKHEAD_EXPORT uint64_t ProcStatField(const std::vector<std::string>& fields,
                                       size_t number);

}  // namespace bulkhead

#endif  // BULKHEAD_COMMON_PROC_STAT_LINUX_H_
