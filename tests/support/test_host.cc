#include "tests/support/test_host.h"

#include <signal.h>
#include <uv.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <future>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "host/host.h"
#include "sample_roles/work.pb.h"
#include "sandbox/lockdown.h"
#include "sandbox/sandbox_policy.h"
#include "tests/support/process_probe.h"
#include "tests/support/test_roles.h"

namespace bulkhead::testing {

namespace {

// Where helpers lock themselves down (Linux), one more helper, `forker`,
// whose policy lets it fork: its child is a grandchild of the host that must
// not outlive it either, as must every helper's teardown keeper.
bool WithGrandchild() { return sandbox::LockdownAvailable(); }

// Where the platform has it, one more, unsandboxed: `escaper`, whose child
// and grandchild leave its process group and session; they must not outlive
// the host either.
bool WithEscaper() { return TestRoleRegistry().Find("escaper") != nullptr; }

sandbox::SandboxPolicy PolicyFor(absl::string_view role) {
  if (role != "forker") return sandbox::PresetForRole(role);
  absl::StatusOr<sandbox::SandboxPolicy> policy =
      sandbox::SandboxPolicyBuilder("forker")
          .AllowBaseRuntime()
          .BestEffort(sandbox::Layer::kLandlock)
          .BestEffort(sandbox::Layer::kCgroup)
          .AllowSyscallIfArg("clone", 0, 0, 0)
          .Build();
  return policy.ok() ? *policy : sandbox::PresetForRole(role);
}

// The children of `pid`'s main thread, as this process sees them (Linux;
// empty elsewhere): a helper's teardown keeper, and what it forked.
std::vector<int64_t> ChildrenOf(int64_t pid) {
  std::ifstream list(absl::StrCat("/proc/", pid, "/task/", pid, "/children"));
  std::vector<int64_t> children;
  int64_t child = 0;
  while (list >> child) children.push_back(child);
  return children;
}

// Every child of this process, whichever thread started it (Linux; empty
// elsewhere): unsandboxed helpers, sandboxed helpers' namespace inits, and
// the zygote that forks the unsandboxed ones.
std::vector<int64_t> OwnChildren() {
  std::vector<int64_t> children;
  uv_dirent_t entry;
  uv_fs_t scan;
  if (uv_fs_scandir(nullptr, &scan, "/proc/self/task", 0, nullptr) < 0) {
    uv_fs_req_cleanup(&scan);
    return children;
  }
  while (uv_fs_scandir_next(&scan, &entry) != UV_EOF) {
    std::ifstream list(
        absl::StrCat("/proc/self/task/", entry.name, "/children"));
    int64_t child = 0;
    while (list >> child) children.push_back(child);
  }
  uv_fs_req_cleanup(&scan);
  return children;
}

// Whether the escaper `pid` has begun to block its loop (it names itself
// "escaper-hung"), waiting up to 10 seconds.
bool EscaperHung(int64_t pid) {
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  do {
    std::ifstream comm(absl::StrCat("/proc/", pid, "/comm"));
    std::string name;
    if (std::getline(comm, name) && name == "escaper-hung") return true;
    uv_sleep(1);
  } while (absl::Now() < deadline);
  return false;
}

}  // namespace

int RunTestHost(bool on_thread) {
  Host::Options options;
  options.roles = &TestRoleRegistry();
  options.sandbox_policy_for_role = PolicyFor;
  absl::StatusOr<std::unique_ptr<Host>> created = Host::Create(options);
  if (!created.ok()) return 1;
  Host& host = **created;
  std::vector<int64_t> pids;
  const bool with_blocker = std::getenv(kBlockerVariable) != nullptr;
  const size_t expected = 2 + (WithGrandchild() ? 1 : 0) +
                          (WithEscaper() ? 1 : 0) + (with_blocker ? 1 : 0);
  bool forked = false;
  bool blocked = false;
  std::string escapees;
  // On the host's thread, set once everything is up.
  std::promise<void> all_up;
  auto report = [&] {
    std::vector<int64_t> grandchildren;
    for (int64_t helper : pids) {
      for (int64_t child : ChildrenOf(helper)) grandchildren.push_back(child);
    }
    std::printf("GRANDCHILDREN %s\n",
                absl::StrJoin(grandchildren, " ").c_str());
    std::printf("HOST %d\n", static_cast<int>(uv_os_getpid()));
    std::printf("ESCAPEES %s\n", escapees.c_str());
    std::printf("HELPERS %s\n", absl::StrJoin(pids, " ").c_str());
    const std::vector<int64_t> children = OwnChildren();
    std::vector<int64_t> zygotes;
    for (int64_t child : children) {
      // Through rdbuf(), which fails quietly: an istreambuf_iterator throws
      // when the child ends mid-read.
      std::ifstream cmdline(absl::StrCat("/proc/", child, "/cmdline"));
      std::ostringstream read;
      read << cmdline.rdbuf();
      const std::string bytes = read.str();
      if (bytes.find("--type=zygote") != std::string::npos) {
        zygotes.push_back(child);
      }
    }
    std::printf("CHILDREN %s\n", absl::StrJoin(children, " ").c_str());
    std::printf("ZYGOTES %s\n", absl::StrJoin(zygotes, " ").c_str());
    std::fflush(stdout);
  };
  bool reported = false;
  auto maybe_report = [&] {
    if (pids.size() < expected || (WithGrandchild() && !forked) ||
        (WithEscaper() && escapees.empty()) || (with_blocker && !blocked)) {
      return;
    }
    if (reported) return;
    reported = true;
    if (on_thread) {
      all_up.set_value();  // Reported by the main thread, after StopThread.
    } else {
      report();
    }
  };
  bool stopping = false;
  auto shutdown = [&] {
    if (stopping) return;
    stopping = true;
    host.Shutdown(absl::Seconds(2), [&] { host.Quit(); });
  };
  std::vector<const char*> roles = {"renderer", "gpu"};
  if (WithGrandchild()) roles.push_back("forker");
  if (WithEscaper()) roles.push_back("escaper");
  if (with_blocker) roles.push_back("blocker");
  bool launched_all = true;
  auto launch_all = [&] {
    for (const char* role : roles) {
      // gpu unsandboxed: on Linux the zygote forks it.
      Host::LaunchOverrides overrides;
      if (std::string(role) == "gpu" || std::string(role) == "escaper" ||
          std::string(role) == "blocker") {
        overrides.sandboxed = false;
      }
      absl::StatusOr<HelperProcess*> launched = host.Launch(
          role, overrides, [&, role](absl::StatusOr<HelperProcess*> helper) {
            if (!helper.ok()) return;
            HelperProcess* ready = *helper;
            pids.push_back(ready->pid());
            // forker forks once asked, blocker blocks its loop once it has
            // answered: `answered` says each is done.
            bool* answered = std::string(role) == "forker"    ? &forked
                             : std::string(role) == "blocker" ? &blocked
                                                              : nullptr;
            if (answered != nullptr) {
              ready->Call<roles::LayoutTextRequest, roles::LayoutTextResponse>(
                  roles::LayoutTextRequest(), absl::Now() + absl::Seconds(10),
                  [&,
                   answered](absl::StatusOr<roles::LayoutTextResponse> done) {
                    *answered = done.ok();
                    maybe_report();
                  });
            }
            if (std::string(role) == "escaper") {
              roles::LayoutTextRequest request;
              if (const char* text = std::getenv(kEscaperRequestVariable)) {
                request.set_text(text);
              }
              ready->Call<roles::LayoutTextRequest, roles::LayoutTextResponse>(
                  request, absl::Now() + absl::Seconds(10),
                  [&, ready](absl::StatusOr<roles::LayoutTextResponse> done) {
                    if (done.ok() && done->lines_size() == 1) {
                      escapees = done->lines(0);
                      // Asked to, it blocks its loop once it has answered:
                      // wait until it has.
                      if (std::getenv(kEscaperRequestVariable) != nullptr &&
                          !EscaperHung(ready->pid())) {
                        escapees = "not hung";
                      }
                    } else {
                      escapees = "failed";
                    }
                    maybe_report();
                  });
            }
            maybe_report();
          });
      if (!launched.ok()) launched_all = false;
    }
  };
  std::string host_thread;  // The host's thread, then this one.
  if (on_thread) {
    // Everything is launched from the host's own thread, which then stops:
    // the helpers must neither die with it nor outlive the process.
    if (!host.StartThread().ok()) return 1;
    host.Post([&] {
      host_thread = CurrentThreadName();
      launch_all();
    });
    std::future<void> up = all_up.get_future();
    const bool in_time =
        up.wait_for(std::chrono::seconds(30)) == std::future_status::ready;
    host.StopThread();
    if (!in_time || !launched_all) return 1;
    if (!WaitForThreadGone(host_thread, absl::Seconds(10))) return 1;
    for (int64_t pid : pids) {
      if (ProcessDoomed(pid)) {
        std::printf("DIED WITH THE THREAD %lld\n", static_cast<long long>(pid));
        return 1;
      }
    }
    report();
  } else {
    launch_all();
    if (!launched_all) return 1;
  }
  uv_signal_t sigterm;
  uv_signal_init(host.loop(), &sigterm);
  sigterm.data = &shutdown;
  uv_signal_start(
      &sigterm,
      [](uv_signal_t* handle, int) {
        (*static_cast<decltype(shutdown)*>(handle->data))();
      },
      SIGTERM);
  // End of input: the parent closed our stdin.
  uv_pipe_t input;
  uv_pipe_init(host.loop(), &input, 0);
  input.data = &shutdown;
  if (uv_pipe_open(&input, 0) == 0) {
    uv_read_start(
        reinterpret_cast<uv_stream_t*>(&input),
        [](uv_handle_t*, size_t, uv_buf_t* buf) {
          static char byte[64];
          *buf = uv_buf_init(byte, sizeof(byte));
        },
        [](uv_stream_t* stream, ssize_t nread, const uv_buf_t*) {
          if (nread < 0) (*static_cast<decltype(shutdown)*>(stream->data))();
        });
  }
  host.Run();
  uv_close(reinterpret_cast<uv_handle_t*>(&sigterm), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&input), nullptr);
  created->reset();  // Runs the loop until both are closed.
  return 0;
}

}  // namespace bulkhead::testing
