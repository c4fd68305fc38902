// Small Linux-only probes of processes and the CPU, shared by the tests of the
// zygotes, the descendant sweep and the escape attempts (a process's parent:
// process_probe.h's ParentProcessOf).
#ifndef BULKHEAD_TESTS_SUPPORT_PROC_PROBE_LINUX_H_
#define BULKHEAD_TESTS_SUPPORT_PROC_PROBE_LINUX_H_

#include <linux/audit.h>

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/kernel_file_linux.h"

namespace bulkhead::testing {

// The seccomp_data.arch of this build's CPU.
#if defined(__x86_64__)
inline constexpr uint32_t kAuditArch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
inline constexpr uint32_t kAuditArch = AUDIT_ARCH_AARCH64;
#endif

// The NUL-separated bytes of /proc/<pid>/cmdline; empty once it has gone,
// even mid-read (never an exception, which an istreambuf_iterator throws when
// the read fails with ESRCH).
inline std::string CommandLineBytes(int64_t pid) {
  return ReadKernelFile(absl::StrCat("/proc/", pid, "/cmdline"));
}

// Forked by a zygote, not exec'd: a forked helper's command line is written
// over the zygote's padded one, so it ends in NULs; an exec'd one ends in one.
inline bool LooksForked(int64_t pid) {
  const std::string bytes = CommandLineBytes(pid);
  return bytes.size() >= 2 && bytes[bytes.size() - 2] == '\0';
}

}  // namespace bulkhead::testing

#endif  // BULKHEAD_TESTS_SUPPORT_PROC_PROBE_LINUX_H_
