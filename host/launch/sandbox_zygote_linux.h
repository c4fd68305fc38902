// A sandboxed zygote (sandbox_zygote.h), Linux.
//
// It is exec'd once, through the sandboxed exec path (sandbox_child_linux.h),
// into new namespaces under an init that is the host's child:
// `<exe> --type=zygote --sandboxed-zygote --ipc-fd=3`, its stdin, stdout and
// stderr /dev/null (it never writes to, nor blocks on, the host's streams),
// its control socket at fd 3. It forks each helper with
// `CLONE_PARENT | CLONE_PIDFD`: the helper is init's child, init reaps it and
// writes a ZygoteInitRecord (its pid in the namespace and its wait status,
// from the kernel) to a pipe this object reads on the loop, so the host
// still learns how each helper ended from a kernel-produced status. The
// helper's pidfd comes with the zygote's answer (SCM_RIGHTS) and is checked
// (ReadSandboxForkReply); the helper then waits for a "go" byte, which the
// host sends once it has put it in its cgroup.
#ifndef BULKHEAD_HOST_LAUNCH_SANDBOX_ZYGOTE_LINUX_H_
#define BULKHEAD_HOST_LAUNCH_SANDBOX_ZYGOTE_LINUX_H_

#include <sys/types.h>
#include <uv.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/platform_handle.h"
#include "host/launch/helper_cgroup_linux.h"
#include "host/launch/launcher.h"
#include "host/launch/sandbox_zygote.h"
#include "ipc/uv_handle.h"

namespace bulkhead {

// From sandboxed_launcher_linux.cc, shared with the zygote's start.
uint64_t NamespaceFlags(const sandbox::SandboxPolicy& policy);
// clone3 with CLONE_PIDFD (clone where clone3 is missing): the pid, 0 in the
// child; sets `pidfd`.
pid_t CloneWithPidfd(uint64_t flags, int* pidfd);
// The child `pid` (in a new user namespace) is root there, mapped to our ids.
absl::Status WriteIdMaps(pid_t pid);

class SandboxForkedChild;

// What a sandboxed zygote said it forked, checked.
struct SandboxFork {
  pid_t pid = 0;     // In the host's pid namespace.
  pid_t ns_pid = 0;  // In the zygote's.
  ScopedHandle pidfd;
};

// Checks a sandboxed zygote's answer to a fork (`bytes`, with `fds`): a
// ZygoteReply with a pid and exactly one fd, a pidfd whose process is alive,
// numbered `pid` in its innermost pid namespace (/proc/self/fdinfo's NSpid),
// in the zygote's pid namespace (`ns_link`, readlink of /proc/<pid>/ns/pid),
// init's child (`init_pid`, host numbering), and not the zygote
// (`zygote_ns_pid`). Unavailable: the zygote refused this one request (no
// pid, no fd); DataLoss: anything else wrong, and the zygote is given up.
absl::StatusOr<SandboxFork> ReadSandboxForkReply(absl::string_view bytes,
                                                 std::vector<ScopedHandle> fds,
                                                 pid_t init_pid,
                                                 const std::string& ns_link,
                                                 pid_t zygote_ns_pid);

class SandboxZygote : public std::enable_shared_from_this<SandboxZygote> {
 public:
  // Launcher thread: clones init into `key`'s namespaces, execs the zygote
  // and waits up to `timeout` for its hello. Leaves nothing behind on error.
  static absl::StatusOr<std::shared_ptr<SandboxZygote>> Start(
      const ShapeKey& key, absl::Duration timeout);
  // Kills init (the namespace ends with it) and reaps it, then removes the
  // cgroups its helpers left.
  ~SandboxZygote();
  SandboxZygote(const SandboxZygote&) = delete;
  SandboxZygote& operator=(const SandboxZygote&) = delete;

  // Launcher thread: asks for one helper with `argv`, `environment` and the
  // fds `fds` placed at `targets`; `go_target` is the target whose fd is the
  // child's go pipe. Unavailable when it refused this one or is gone (then
  // `usable()` is false); DataLoss when it lied, and it has been given up.
  absl::StatusOr<SandboxFork> Fork(const std::vector<std::string>& argv,
                                   const std::vector<std::string>& environment,
                                   const std::vector<int>& fds,
                                   const std::vector<int>& targets,
                                   int go_target);
  // False once the zygote is given up or has died. Thread-safe.
  bool usable() const { return usable_.load(); }
  const ShapeKey& key() const { return key_; }
  pid_t init_pid() const { return init_pid_; }
  pid_t zygote_pid() const { return zygote_pid_; }

  // Loop thread: starts reading init's records (once; later calls do
  // nothing). Errors: the polls could not start.
  absl::Status Watch(uv_loop_t* loop);
  // Loop thread: `child` (not owned) hears how the helper `ns_pid` ends.
  // Reads what init has written first. A record that came for `ns_pid`
  // before its helper registered (it died between its go byte and this call)
  // is this helper's when its pidfd says it has ended, and then reaches it
  // on a later turn of the loop, never inside this call; while the helper
  // runs, such a record was an older process's with the same pid, and is
  // dropped. DataLoss when a live helper has that pid already (the zygote
  // lied: it is given up).
  absl::Status Register(pid_t ns_pid, SandboxForkedChild* child);
  void Unregister(pid_t ns_pid, SandboxForkedChild* child);
  // Loop thread: a helper's cgroup, removed now if it is empty, otherwise
  // once it is (its teardown keeper may still be in it when the helper is
  // destroyed; tried again at each end init reports), or once init is
  // reaped.
  void Retire(std::unique_ptr<HelperCgroup> cgroup);

  // The helper `pid` (as this process sees it), forked by Fork, is no longer
  // one about to register (Register was called, or its launch failed or was
  // cancelled and killed it): KillOrphans no longer spares that pid.
  // Thread-safe.
  void ForgetInFlight(pid_t pid);

  // Kills the zygote (not init: the helpers it forked go on) and stops
  // forking. Thread-safe.
  void GiveUp(const absl::Status& why);

 private:
  SandboxZygote(ShapeKey key, pid_t init_pid, ScopedHandle init_pidfd,
                pid_t zygote_pid, ScopedHandle zygote_pidfd,
                pid_t zygote_ns_pid, std::string ns_link, ScopedHandle control,
                ScopedHandle records);
  static void OnRecords(uv_poll_t* poll, int status, int events);
  static void OnInitEnded(uv_poll_t* poll, int status, int events);
  void ReadRecords();
  void InitEnded();
  void RemoveEmptyCgroups();
  void DeliverEarlyRecords();
  // After a helper's end: kills what it left in the namespace (init's
  // children that are neither the zygote nor a helper).
  void KillOrphans();

  const ShapeKey key_;
  const pid_t init_pid_;
  ScopedHandle init_pidfd_;
  const pid_t zygote_pid_;
  const ScopedHandle zygote_pidfd_;
  const pid_t zygote_ns_pid_;
  const std::string ns_link_;  // "pid:[4026532xxx]"
  std::atomic<bool> usable_{true};
  std::mutex control_mutex_;
  ScopedHandle control_;  // Guarded by control_mutex_.
  // Helpers forked (host pids) that the loop has not registered yet.
  // Guarded by control_mutex_.
  std::set<pid_t> in_flight_;
  ScopedHandle records_;  // Non-blocking read end.
  // Loop thread.
  uv_loop_t* loop_ = nullptr;
  ipc::UvHandle<uv_poll_t> records_poll_;
  ipc::UvHandle<uv_poll_t> init_poll_;
  bool init_reaped_ = false;
  std::map<pid_t, SandboxForkedChild*> children_;
  // Records no registered helper took (code, status), the latest per pid, at
  // most kMaxUnclaimedRecords: Register judges them.
  std::map<pid_t, std::pair<int, int>> unclaimed_;
  // Helpers whose record came before they registered, told on the next turn.
  std::vector<std::pair<pid_t, std::pair<int, int>>> early_;
  ipc::UvHandle<uv_timer_t> early_timer_;
  std::vector<std::unique_ptr<HelperCgroup>> retired_;
};

// A helper a sandboxed zygote forked: init's child, signalled through its
// pidfd, its end reported from init's record. Loop thread.
class SandboxForkedChild final : public ChildProcess {
 public:
  SandboxForkedChild(std::shared_ptr<SandboxZygote> zygote, SandboxFork fork,
                     std::unique_ptr<HelperCgroup> cgroup,
                     std::string cgroup_note, ExitCallback on_exit);
  // Kills it (and its process group) if it has not been reported.
  ~SandboxForkedChild() override;

  // Registers with the zygote. Errors: see SandboxZygote::Register.
  absl::Status Watch(uv_loop_t* loop);

  int64_t pid() const override { return pid_; }
  absl::Status Signal(int signal) override;
  std::string cgroup_path() const override;
  std::string cgroup_description() const override;
  bool killed_for_memory() const override;
  bool forked() const override { return true; }

  // From the zygote: init's record (waitid's si_code and si_status). May
  // destroy this object.
  void Report(int code, int status);
  // True once the process has ended (its pidfd is readable).
  bool Ended() const;

 private:
  const std::shared_ptr<SandboxZygote> zygote_;
  const pid_t pid_;
  const pid_t ns_pid_;
  ScopedHandle pidfd_;
  std::unique_ptr<HelperCgroup> cgroup_;
  const std::string cgroup_note_;
  ExitCallback on_exit_;
  bool registered_ = false;
  bool reported_ = false;
  bool watched_ = false;  // Register was called (it may have failed).
};

}  // namespace bulkhead

#endif  // BULKHEAD_HOST_LAUNCH_SANDBOX_ZYGOTE_LINUX_H_
