#include "host/launch/namespaced_child_process_linux.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/os_error.h"
#include "common/status_macros.h"
#include "host/launch/init_reaper_linux.h"
#include "host/launch/sandbox_child_linux.h"
#include "ipc/uv_status.h"

namespace bulkhead {

NamespacedChildProcess::NamespacedChildProcess(
    uv_loop_t* loop, pid_t init_pid, ScopedHandle init_pidfd,
    ScopedHandle status, std::unique_ptr<HelperCgroup> cgroup,
    std::string cgroup_note, ExitCallback on_exit)
    : loop_(loop),
      init_pid_(init_pid),
      helper_pid_(init_pid),
      init_pidfd_(std::move(init_pidfd)),
      status_(std::move(status)),
      cgroup_(std::move(cgroup)),
      cgroup_note_(std::move(cgroup_note)),
      on_exit_(std::move(on_exit)) {}

NamespacedChildProcess::~NamespacedChildProcess() {
  status_poll_.Close();
  init_poll_.Close();
  if (init_reaped_) return;
  // Killing init ends everything in its namespace (after a reported exit it
  // is on its way out anyway). Reaped on the loop once it has exited, and the
  // cgroup removed then: waiting for it here would block the loop.
  if (!reported_) {
    ::syscall(SYS_pidfd_send_signal, init_pidfd_.get(), SIGKILL, nullptr, 0);
  }
  ReapInitLater(loop_, std::move(init_pidfd_), std::move(cgroup_));
}

absl::Status NamespacedChildProcess::Watch() {
  std::ifstream children(
      absl::StrCat("/proc/", init_pid_, "/task/", init_pid_, "/children"));
  pid_t helper = 0;
  if (children >> helper && helper > 0) {
    const int fd = static_cast<int>(::syscall(SYS_pidfd_open, helper, 0));
    if (fd >= 0) {
      helper_pid_ = helper;
      helper_pidfd_.reset(fd);
    }
  }
  // Without it (the helper already died) signals go to init, and the status
  // pipe still says how the helper ended.
  BH_ASSIGN_OR_RETURN(status_poll_,
                      ipc::UvHandle<uv_poll_t>::Init(loop_, status_.get()));
  status_poll_->data = this;
  BH_ASSIGN_OR_RETURN(init_poll_,
                      ipc::UvHandle<uv_poll_t>::Init(loop_, init_pidfd_.get()));
  init_poll_->data = this;
  int rc = uv_poll_start(status_poll_.get(), UV_READABLE, OnStatusReadable);
  if (rc == 0) {
    rc = uv_poll_start(init_poll_.get(), UV_READABLE, OnInitReadable);
  }
  return rc == 0 ? absl::OkStatus() : ipc::UvErrorToStatus(rc, "uv_poll_start");
}

bool NamespacedChildProcess::HelperEnded() const {
  // Init has written how it ended (or is gone itself), or the helper's pidfd
  // says it has exited: readable once the process is a zombie or reaped.
  pollfd fds[2] = {{status_.get(), POLLIN, 0},
                   {helper_pidfd_.get(), POLLIN, 0}};
  const nfds_t count = helper_pidfd_.is_valid() ? 2 : 1;
  int rc;
  while ((rc = ::poll(fds, count, 0)) < 0 && errno == EINTR) {
  }
  return rc > 0;
}

absl::Status NamespacedChildProcess::Signal(int signal) {
  if (reported_) return absl::FailedPreconditionError("already reaped");
  // Not signalled once dead: the signal could not be what ended it, and init,
  // about to report it and exit, must not be killed before it has.
  if (HelperEnded()) return absl::FailedPreconditionError("it has ended");
  // A pidfd names this process and no other, even once its pid is reused.
  const int target =
      helper_pidfd_.is_valid() ? helper_pidfd_.get() : init_pidfd_.get();
  if (::syscall(SYS_pidfd_send_signal, target, signal, nullptr, 0) != 0) {
    if (errno == ESRCH) return absl::FailedPreconditionError("it has ended");
    return LastPosixErrorToStatus("pidfd_send_signal");
  }
  return absl::OkStatus();
}

std::string NamespacedChildProcess::cgroup_path() const {
  return cgroup_ != nullptr ? cgroup_->relative_path() : "";
}

std::string NamespacedChildProcess::cgroup_description() const {
  return cgroup_ != nullptr ? cgroup_->description() : cgroup_note_;
}

bool NamespacedChildProcess::killed_for_memory() const {
  return cgroup_ != nullptr && cgroup_->OutOfMemoryKilled();
}

void NamespacedChildProcess::OnStatusReadable(uv_poll_t* poll, int, int) {
  auto* self = static_cast<NamespacedChildProcess*>(poll->data);
  if (self != nullptr) self->ReadStatus();
}

void NamespacedChildProcess::OnInitReadable(uv_poll_t* poll, int, int) {
  auto* self = static_cast<NamespacedChildProcess*>(poll->data);
  if (self != nullptr) self->ReapInit();
}

void NamespacedChildProcess::ReadStatus() {
  HelperWaitStatus helper;
  const ssize_t n = ::read(status_.get(), &helper, sizeof(helper));
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  uv_poll_stop(status_poll_.get());
  // Init writes its 8 bytes at once; anything else (end-of-file: init was
  // killed first) leaves the report to init's own exit.
  if (n == static_cast<ssize_t>(sizeof(helper))) {
    Report(helper.code, helper.status);
  }
}

void NamespacedChildProcess::ReapInit() {
  siginfo_t info = {};
  if (::waitid(P_PIDFD, static_cast<id_t>(init_pidfd_.get()), &info,
               WEXITED | WNOHANG) != 0 ||
      info.si_pid == 0) {
    return;  // Not yet; the pidfd stays readable until it is reaped.
  }
  init_reaped_ = true;
  uv_poll_stop(init_poll_.get());
  if (reported_) return;
  // The status may have arrived just before init's end.
  HelperWaitStatus helper;
  if (::read(status_.get(), &helper, sizeof(helper)) ==
      static_cast<ssize_t>(sizeof(helper))) {
    Report(helper.code, helper.status);
  } else {
    Report(info.si_code, info.si_status);
  }
}

void NamespacedChildProcess::Report(int code, int status) {
  if (reported_) return;
  reported_ = true;
  uv_poll_stop(status_poll_.get());
  const bool signalled = code == CLD_KILLED || code == CLD_DUMPED;
  // The callback may destroy this object: nothing after it.
  on_exit_(signalled ? 0 : status, signalled ? status : 0);
}

}  // namespace bulkhead
