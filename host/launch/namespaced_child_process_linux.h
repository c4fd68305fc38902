// A helper launched in namespaces of its own (sandboxed_launcher_linux.cc):
// two processes, the namespace's init (the host's child) and the helper it
// forked. Its exit is reported as soon as init says how the helper ended
// (the status pipe, sandbox_child_linux.h), without waiting for the kernel to
// tear the namespaces down; init is reaped when it exits, and if it has not
// exited when this object is destroyed, on the loop once it has
// (init_reaper_linux.h).
#ifndef BULKHEAD_HOST_LAUNCH_NAMESPACED_CHILD_PROCESS_LINUX_H_
#define BULKHEAD_HOST_LAUNCH_NAMESPACED_CHILD_PROCESS_LINUX_H_

#include <sys/types.h>
#include <uv.h>

#include <memory>
#include <string>

#include "common/platform_handle.h"
#include "host/launch/helper_cgroup_linux.h"
#include "host/launch/launcher.h"
#include "ipc/uv_handle.h"

namespace bulkhead {

class NamespacedChildProcess final : public ChildProcess {
 public:
  // `status` is the read end of init's status pipe (non-blocking); `cgroup`
  // may be null, and then `cgroup_note` says why there is none.
  NamespacedChildProcess(uv_loop_t* loop, pid_t init_pid,
                         ScopedHandle init_pidfd, ScopedHandle status,
                         std::unique_ptr<HelperCgroup> cgroup,
                         std::string cgroup_note, ExitCallback on_exit);
  // Kills what is still running. Init, which waits for the kernel to empty
  // the namespace, is reaped then on the loop (ReapInitLater), and the cgroup
  // removed after it: the loop does not wait for it.
  ~NamespacedChildProcess() override;

  // Once the helper has exec'd: finds it (init's only child) and starts
  // watching both processes. Errors: the polls could not be made or started.
  absl::Status Watch();

  int64_t pid() const override { return helper_pid_; }
  absl::Status Signal(int signal) override;
  std::string cgroup_path() const override;
  std::string cgroup_description() const override;
  bool killed_for_memory() const override;

 private:
  static void OnStatusReadable(uv_poll_t* poll, int status, int events);
  static void OnInitReadable(uv_poll_t* poll, int status, int events);
  // Whether the helper has ended (its pidfd, or init's report), whatever the
  // loop has handled so far.
  bool HelperEnded() const;
  void ReadStatus();
  void ReapInit();
  // Reports the end once; may destroy this object.
  void Report(int code, int status);

  uv_loop_t* const loop_;  // Not owned.
  const pid_t init_pid_;
  pid_t helper_pid_;
  ScopedHandle init_pidfd_;
  ScopedHandle helper_pidfd_;
  ScopedHandle status_;
  std::unique_ptr<HelperCgroup> cgroup_;
  const std::string cgroup_note_;
  // From Watch() on.
  ipc::UvHandle<uv_poll_t> status_poll_;
  ipc::UvHandle<uv_poll_t> init_poll_;
  ExitCallback on_exit_;
  bool reported_ = false;
  bool init_reaped_ = false;
};

}  // namespace bulkhead

#endif  // BULKHEAD_HOST_LAUNCH_NAMESPACED_CHILD_PROCESS_LINUX_H_
