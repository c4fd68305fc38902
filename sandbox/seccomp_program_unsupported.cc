#include "sandbox/seccomp_program.h"

namespace bulkhead::sandbox {

absl::StatusOr<std::string> CompileSeccompProgram(const SandboxPolicy&) {
  return absl::UnimplementedError("no seccomp on this platform");
}

absl::StatusOr<int> InstallSeccompProgram(const std::string&, bool) {
  return absl::UnimplementedError("no seccomp on this platform");
}

}  // namespace bulkhead::sandbox
