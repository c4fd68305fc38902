#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "sandbox/filesystem_view_linux.h"
#include "sandbox/lockdown.h"
#include "sandbox/sandbox_policy.h"
#include "sandbox/sandbox_probe.h"
#include "sandbox/thread_census_linux.h"

namespace bulkhead::sandbox {
namespace {

constexpr long kTmpfsMagic = 0x01021994;

std::string State(bool on, const std::string& detail) {
  return absl::StrCat(on ? "on" : "off", detail.empty() ? "" : ": ", detail);
}

// Every thread of the process, for the per-thread layers (capabilities,
// no_new_privs, seccomp): listed from /proc where it can be read; after the
// chroot, the threads the lockdown knew (it refuses to run beside any other,
// and later threads inherit their creator's state), whose capabilities
// capget reads by thread id.
struct Census {
  bool from_proc = false;
  std::vector<internal::ThreadStatus> threads;
};

Census TakeCensus() {
  Census census;
  absl::StatusOr<std::vector<internal::ThreadStatus>> listed =
      internal::ReadThreadStatuses();
  if (listed.ok()) {
    census.from_proc = true;
    census.threads = *std::move(listed);
    return census;
  }
  std::vector<int> tids = {static_cast<int>(::gettid())};
  for (int tid :
       {internal::LockdownCallerThread(), internal::LockdownRecorderThread()}) {
    if (tid != 0 && std::find(tids.begin(), tids.end(), tid) == tids.end()) {
      tids.push_back(tid);
    }
  }
  for (int tid : tids) {
    __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, tid};
    __user_cap_data_struct data[2] = {};
    if (::syscall(SYS_capget, &header, data) != 0) continue;  // Gone.
    internal::ThreadStatus thread;
    thread.tid = tid;
    thread.effective =
        data[0].effective | (static_cast<uint64_t>(data[1].effective) << 32);
    thread.permitted =
        data[0].permitted | (static_cast<uint64_t>(data[1].permitted) << 32);
    census.threads.push_back(std::move(thread));
  }
  return census;
}

std::string ThreadName(const internal::ThreadStatus& thread) {
  return thread.name.empty()
             ? absl::StrCat("thread ", thread.tid)
             : absl::StrCat("thread ", thread.tid, " '", thread.name, "'");
}

std::string Scope(const Census& census) {
  return census.from_proc
             ? absl::StrCat("every thread (", census.threads.size(), ")")
             : absl::StrCat("the ", census.threads.size(),
                            " thread(s) the lockdown knew; no /proc to list "
                            "others");
}

// Read back from the kernel with system calls the lockdown still allows: by
// now /proc is usually out of reach.
std::string ProbeLayer(Layer layer, const LayerOutcome* outcome,
                       const Census& census) {
  const int recorder = internal::LockdownRecorderThread();
  switch (layer) {
    case Layer::kSeccomp: {
      const int mode = ::prctl(PR_GET_SECCOMP, 0, 0, 0, 0);
      if (mode == 2 && census.from_proc) {
        for (const internal::ThreadStatus& thread : census.threads) {
          if (thread.seccomp_mode != 2 && thread.tid != recorder) {
            return State(false,
                         absl::StrCat(ThreadName(thread), " has no filter"));
          }
        }
      }
      return State(
          mode == 2,
          mode == 2   ? absl::StrCat("filter, ", Scope(census),
                                   recorder != 0 ? "; learning mode's recorder "
                                                     "unfiltered by design"
                                                   : "")
          : mode == 1 ? "strict"
                      : "no filter");
    }
    case Layer::kNoNewPrivs: {
      const bool set = ::prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1;
      if (set && census.from_proc) {
        for (const internal::ThreadStatus& thread : census.threads) {
          if (!thread.no_new_privs) {
            return State(false, absl::StrCat(ThreadName(thread),
                                             " has no no_new_privs"));
          }
        }
      }
      return State(set, set ? Scope(census) : "");
    }
    case Layer::kNotDumpable:
      return State(::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0, "");
    case Layer::kDropCapabilities: {
      if (census.threads.empty()) return State(false, "capget failed");
      for (const internal::ThreadStatus& thread : census.threads) {
        if (thread.effective != 0 || thread.permitted != 0) {
          return State(
              false, absl::StrCat(ThreadName(thread), " keeps effective 0x",
                                  absl::Hex(thread.effective), ", permitted 0x",
                                  absl::Hex(thread.permitted)));
        }
      }
      return State(true, absl::StrCat("no capabilities, ", Scope(census)));
    }
    case Layer::kChroot: {
      struct statfs root;
      const bool empty_root = ::statfs("/", &root) == 0 &&
                              root.f_type == kTmpfsMagic &&
                              (root.f_flags & ST_RDONLY) != 0;
      const size_t view = internal::LockdownFilesystemView().size();
      return State(empty_root,
                   !empty_root ? "/ is the host's root"
                   : view == 0 ? "/ is an empty read-only tmpfs"
                               : absl::StrCat("/ is a read-only tmpfs holding "
                                              "the filesystem view (",
                                              view, " entries)"));
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
  const Census census = TakeCensus();
  bool all_required_on = !outcomes.empty();
  for (int i = 0; i < kLayerCount; ++i) {
    const Layer layer = static_cast<Layer>(i);
    const LayerOutcome* outcome = nullptr;
    for (const LayerOutcome& candidate : outcomes) {
      if (candidate.layer == layer) outcome = &candidate;
    }
    const std::string state = ProbeLayer(layer, outcome, census);
    if (outcome != nullptr && outcome->requirement == Requirement::kRequired &&
        state.rfind("on", 0) != 0) {
      all_required_on = false;
    }
    report.layers.emplace_back(LayerName(layer), state);
  }
  report.layers.emplace_back("uid", absl::StrCat(::getuid()));
  report.filesystem =
      internal::ProbeFilesystemView(internal::LockdownFilesystemView());
  for (const FilesystemEntryReport& entry : report.filesystem) {
    if (!entry.in_force) all_required_on = false;
  }
  // The net-ns layer's outcome compared the helper's namespace with the
  // host's; no outcome (an unsandboxed helper, or the layer off) is the
  // host's network.
  report.network = "host: the host's network namespace";
  for (const LayerOutcome& outcome : outcomes) {
    if (outcome.layer == Layer::kNetNamespace && outcome.in_force) {
      report.network =
          absl::StrCat("none: own network namespace ", outcome.detail);
    }
  }
  report.sandboxed = all_required_on;
  return report;
}

}  // namespace bulkhead::sandbox
