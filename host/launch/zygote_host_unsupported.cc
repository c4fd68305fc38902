#include "host/launch/exit_watch.h"
#include "host/launch/zygote_host.h"

namespace bulkhead {

bool ZygoteHost::Available() { return false; }

absl::StatusOr<int64_t> ReadForkReply(absl::string_view, size_t, int64_t) {
  return absl::UnimplementedError("no zygote on this platform");
}

absl::StatusOr<std::unique_ptr<ZygoteHost>> ZygoteHost::Start(
    uv_loop_t*, const std::string&, absl::Duration) {
  return absl::UnimplementedError("no zygote on this platform");
}

ZygoteHost::ZygoteHost(std::string executable, int64_t pid,
                       ScopedHandle control)
    : executable_(std::move(executable)),
      pid_(pid),
      control_(std::move(control)) {}

ZygoteHost::~ZygoteHost() = default;

void ZygoteHost::SetExtraEnvironmentForTesting(std::vector<std::string>) {}

std::vector<std::string> ZygoteHost::ExtraEnvironmentForTesting() {
  return {};
}

absl::StatusOr<std::unique_ptr<ChildProcess>> ZygoteHost::Spawn(
    uv_loop_t*, const std::vector<std::string>&,
    const std::vector<std::string>&, const ChildStdio&,
    ChildProcess::ExitCallback&) {
  return absl::UnavailableError("no zygote on this platform");
}

bool ZygoteAvailable() { return ZygoteHost::Available(); }

}  // namespace bulkhead
