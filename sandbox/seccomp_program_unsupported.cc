#include "sandbox/seccomp_program.h"

namespace bulkhead::sandbox {

absl::StatusOr<std::string> CompileSeccompProgram(const SandboxPolicy&) {
  return absl::UnimplementedError("no seccomp on this platform");
}

absl::Status InstallSeccompProgram(const std::string&) {
  return absl::UnimplementedError("no seccomp on this platform");
}

}  // namespace bulkhead::sandbox
