#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "sandbox/lockdown.h"
#include "sandbox/sandbox_policy.h"
#include "sandbox/sandbox_probe.h"

namespace bulkhead::sandbox {
namespace {

constexpr long kTmpfsMagic = 0x01021994;

std::string State(bool on, const std::string& detail) {
  return absl::StrCat(on ? "on" : "off", detail.empty() ? "" : ": ", detail);
}

// Read back from the kernel with system calls the lockdown still allows: by
// now /proc is out of reach.
std::string ProbeLayer(Layer layer, const LayerOutcome* outcome) {
  switch (layer) {
    case Layer::kSeccomp: {
      const int mode = ::prctl(PR_GET_SECCOMP, 0, 0, 0, 0);
      return State(mode == 2, mode == 2   ? "filter"
                              : mode == 1 ? "strict"
                                          : "no filter");
    }
    case Layer::kNoNewPrivs:
      return State(::prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1, "");
    case Layer::kNotDumpable:
      return State(::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0, "");
    case Layer::kDropCapabilities: {
      __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
      __user_cap_data_struct data[2] = {};
      if (::syscall(SYS_capget, &header, data) != 0) {
        return State(false, "capget failed");
      }
      const bool none = data[0].effective == 0 && data[0].permitted == 0 &&
                        data[1].effective == 0 && data[1].permitted == 0;
      return State(none, none ? "no capabilities"
                              : absl::StrCat("effective 0x",
                                             absl::Hex(data[0].effective)));
    }
    case Layer::kChroot: {
      struct statfs root;
      const bool empty_root = ::statfs("/", &root) == 0 &&
                              root.f_type == kTmpfsMagic &&
                              (root.f_flags & ST_RDONLY) != 0;
      return State(empty_root, empty_root ? "/ is an empty read-only tmpfs"
                                          : "/ is the host's root");
    }
    case Layer::kResourceLimits: {
      rlimit core, files;
      ::getrlimit(RLIMIT_CORE, &core);
      ::getrlimit(RLIMIT_NOFILE, &files);
      const bool limited =
          core.rlim_max == 0 && outcome != nullptr && outcome->in_force;
      return State(limited, absl::StrCat("core=", core.rlim_max,
                                         " nofile=", files.rlim_max));
    }
    default:
      // Namespaces, fds, landlock, cgroup: as the lockdown found them.
      if (outcome == nullptr) return State(false, "not applied");
      return State(outcome->in_force, outcome->detail);
  }
}

}  // namespace

SandboxReport ProbeSandbox() {
  SandboxReport report;
  const std::vector<LayerOutcome>& outcomes = LockdownOutcomes();
  bool all_required_on = !outcomes.empty();
  for (int i = 0; i < kLayerCount; ++i) {
    const Layer layer = static_cast<Layer>(i);
    const LayerOutcome* outcome = nullptr;
    for (const LayerOutcome& candidate : outcomes) {
      if (candidate.layer == layer) outcome = &candidate;
    }
    const std::string state = ProbeLayer(layer, outcome);
    if (outcome != nullptr && outcome->requirement == Requirement::kRequired &&
        state.rfind("on", 0) != 0) {
      all_required_on = false;
    }
    report.layers.emplace_back(LayerName(layer), state);
  }
  report.layers.emplace_back("uid", absl::StrCat(::getuid()));
  report.sandboxed = all_required_on;
  return report;
}

}  // namespace bulkhead::sandbox
