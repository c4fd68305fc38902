// The host's side of the zygote (helper/zygote.h): starts one, asks it to fork
// helpers, and stops it. Linux only (zygote_host_linux.cc); elsewhere
// Available() is false and helpers are exec'd.
//
// Thread: the host's loop thread. The zygote is spawned on the launcher
// thread (launcher_thread.h), whose exit is the process's, so it and the
// helpers it forks (that thread's children, CLONE_PARENT) die with the host
// process and not with the loop thread. Start and Spawn block the loop thread
// briefly: Start until the zygote is up (one exec, a few ms, once per host),
// Spawn until the zygote has forked (~0.1 ms), as uv_spawn blocks until its
// exec.
#ifndef BULKHEAD_HOST_LAUNCH_ZYGOTE_HOST_H_
#define BULKHEAD_HOST_LAUNCH_ZYGOTE_HOST_H_

#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/platform_handle.h"
#include "host/launch/launcher.h"

namespace bulkhead {

class ExitWatch;

// What a zygote's answer to a fork (`bytes`, which came with `fd_count` fds)
// says: the new helper's pid. Unavailable when the zygote refused this one
// request (it stays usable); DataLoss when the answer is garbage or names no
// unreaped child of this process other than the zygote (`zygote_pid`), which
// is then given up. Linux; Unimplemented elsewhere.
absl::StatusOr<int64_t> ReadForkReply(absl::string_view bytes, size_t fd_count,
                                      int64_t zygote_pid);

class ZygoteHost {
 public:
  // Whether this platform and build can fork helpers from a zygote.
  static bool Available();

  // Starts `executable --type=zygote` and waits up to `timeout` for it to say
  // it is up. Fails with the reason (e.g. the executable does not call
  // MaybeRunHelper) and leaves no process behind. If the zygote dies later,
  // `loop` reaps it at once.
  static absl::StatusOr<std::unique_ptr<ZygoteHost>> Start(
      uv_loop_t* loop, const std::string& executable, absl::Duration timeout);

  // Entries (helper_environment.h's syntax: "NAME=value" or "NAME") added
  // to the environment of every zygote started after this call, which is
  // otherwise only what the runtime needs. For tests (a fake zygote reads its
  // mode from a variable); empty by default.
  static void SetExtraEnvironmentForTesting(std::vector<std::string> entries);
  // Those entries (sandboxed zygotes take them too).
  static std::vector<std::string> ExtraEnvironmentForTesting();

  // Closes the zygote's socket, then kills and reaps it. Helpers it forked
  // are the host's children and stay.
  ~ZygoteHost();
  ZygoteHost(const ZygoteHost&) = delete;
  ZygoteHost& operator=(const ZygoteHost&) = delete;

  int64_t pid() const { return pid_; }
  // What it runs, and so what the helpers it forks run.
  const std::string& executable() const { return executable_; }
  // False once the zygote has failed (died, stopped answering, lied): it is
  // then gone, and Spawn refuses.
  bool alive() const { return control_.is_valid(); }

  // Forks a helper with `argv` (HelperCommandLine), exactly the environment
  // `environment` ("NAME=value" strings, helper_environment.h) and the
  // streams `stdio` says, as SpawnHelper would exec it; the helper is this
  // process's child.
  // Unavailable: nothing was started and `stdio` and `on_exit` are untouched,
  // so the caller may exec the helper instead. Any other error: `stdio` may be
  // partly used. On success `on_exit` has been moved into the child.
  absl::StatusOr<std::unique_ptr<ChildProcess>> Spawn(
      uv_loop_t* loop, const std::vector<std::string>& argv,
      const std::vector<std::string>& environment, const ChildStdio& stdio,
      ChildProcess::ExitCallback& on_exit);

 private:
  ZygoteHost(std::string executable, int64_t pid, ScopedHandle control);
  // Asks for one fork: the helper's pid, or Unavailable.
  absl::StatusOr<int64_t> Fork(const std::vector<std::string>& argv,
                               const std::vector<std::string>& environment,
                               const std::vector<int>& fds,
                               const std::vector<int>& targets);
  // The zygote cannot be used any more: logs why, kills and reaps it.
  absl::Status Fail(const absl::Status& why);
  // It ended on its own and `watch_` reaped it.
  void Ended(int64_t exit_status, int term_signal);

  const std::string executable_;
  int64_t pid_ = 0;
  ScopedHandle control_;
  std::unique_ptr<ExitWatch> watch_;  // Null where there is none.
  bool reaped_ = false;
};

}  // namespace bulkhead

#endif  // BULKHEAD_HOST_LAUNCH_ZYGOTE_HOST_H_
