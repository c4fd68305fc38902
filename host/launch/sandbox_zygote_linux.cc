#include "host/launch/sandbox_zygote_linux.h"

#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/logging.h"
#include "common/os_error.h"
#include "common/status_macros.h"
#include "common/switches.h"
#include "helper/zygote_wire_linux.h"
#include "host/launch/helper_environment.h"
#include "host/launch/init_reaper_linux.h"
#include "host/launch/launch_options.h"
#include "host/launch/launch_support_linux.h"
#include "host/launch/launcher_thread.h"
#include "host/launch/sandbox_child_linux.h"
#include "host/launch/zygote_host.h"
#include "ipc/proto/zygote.pb.h"
#include "ipc/uv_status.h"

namespace bulkhead {
namespace {

// SandboxZygotes::FallbacksForTesting's count.
std::atomic<uint64_t>& Fallbacks() {
  static std::atomic<uint64_t> count{0};
  return count;
}

// Records kept for helpers not registered yet: a launch registers within a
// turn of the loop, so only a storm of orphans' ends could fill this; the
// lowest pids go first.
constexpr size_t kMaxUnclaimedRecords = 4096;

std::string PidNamespaceLink(pid_t pid) {
  char target[64];
  const ssize_t n = ::readlink(absl::StrCat("/proc/", pid, "/ns/pid").c_str(),
                               target, sizeof(target) - 1);
  return n > 0 ? std::string(target, static_cast<size_t>(n)) : "";
}

// The value of the line `name:` of a /proc file, or "".
std::string ProcField(const std::string& path, absl::string_view name) {
  std::ifstream file(path);
  std::string line;
  const std::string prefix = absl::StrCat(name, ":");
  while (std::getline(file, line)) {
    if (line.rfind(prefix, 0) == 0) return line.substr(prefix.size());
  }
  return "";
}

// The pids of the process `pidfd` names, outermost namespace (ours) first;
// empty once it has exited (the kernel then shows -1) or when unreadable.
std::vector<pid_t> PidfdNamespacePids(int pidfd) {
  std::vector<pid_t> pids;
  for (absl::string_view field : absl::StrSplit(
           ProcField(absl::StrCat("/proc/self/fdinfo/", pidfd), "NSpid"),
           absl::ByAnyChar(" \t"), absl::SkipEmpty())) {
    int value = 0;
    if (!absl::SimpleAtoi(field, &value) || value <= 0) return {};
    pids.push_back(value);
  }
  return pids;
}

// Not exited: a pidfd polls readable once its process has (a zombie still
// takes signals).
bool Alive(int pidfd) {
  pollfd ended = {pidfd, POLLIN, 0};
  return ::poll(&ended, 1, 0) == 0;
}

void KillAndReapPidfd(int pidfd) {
  ::syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0);
  ReapPidfd(pidfd, /*wait=*/true);
}

}  // namespace

absl::StatusOr<SandboxFork> ReadSandboxForkReply(absl::string_view bytes,
                                                 std::vector<ScopedHandle> fds,
                                                 pid_t init_pid,
                                                 const std::string& ns_link,
                                                 pid_t zygote_ns_pid) {
  ipc::ZygoteReply reply;
  if (!reply.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError("it answered a fork with garbage");
  }
  if (!reply.error().empty() && reply.pid() == 0 && fds.empty()) {
    return absl::UnavailableError(reply.error());  // This one is exec'd.
  }
  if (!reply.error().empty() || fds.size() != 1) {
    return absl::DataLossError(absl::StrCat(
        "it answered pid ", reply.pid(), " with ", fds.size(),
        " fds (one pidfd expected) and error '", reply.error(), "'"));
  }
  // Checked against the kernel: the fd is a pidfd (fdinfo has NSpid), of a
  // live process, numbered as claimed in its innermost namespace, which is
  // the zygote's, one below ours; it is init's child and not the zygote.
  // (The zygote runs the host's own code: these catch a broken one.)
  const int pidfd = fds[0].get();
  const std::vector<pid_t> pids = PidfdNamespacePids(pidfd);
  if (pids.size() != 2 || pids[1] != reply.pid() ||
      reply.pid() == zygote_ns_pid) {
    return absl::DataLossError(absl::StrCat(
        "it answered pid ", reply.pid(), " with a pidfd of ",
        pids.empty()
            ? std::string("no live process")
            : absl::StrCat("namespace pids ", absl::StrJoin(pids, ","))));
  }
  const pid_t pid = pids[0];
  std::string parent =
      ProcField(absl::StrCat("/proc/", pid, "/status"), "PPid");
  int parent_pid = 0;
  if (PidNamespaceLink(pid) != ns_link ||
      !absl::SimpleAtoi(absl::StripAsciiWhitespace(parent), &parent_pid) ||
      parent_pid != init_pid || !Alive(pidfd)) {
    return absl::DataLossError(
        absl::StrCat("it answered pid ", reply.pid(), " (", pid,
                     " here), not a live child of its namespace's init"));
  }
  SandboxFork fork;
  fork.pid = pid;
  fork.ns_pid = static_cast<pid_t>(reply.pid());
  fork.pidfd = std::move(fds[0]);
  return fork;
}

absl::StatusOr<std::shared_ptr<SandboxZygote>> SandboxZygote::Start(
    const ShapeKey& key, absl::Duration timeout) {
  BH_ASSIGN_OR_RETURN(auto sockets, CreateZygoteSocketPair());
  const int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null_fd < 0) return LastPosixErrorToStatus("open /dev/null");
  ScopedHandle dev_null(null_fd);
  BH_ASSIGN_OR_RETURN(ScopedHandle null_copy, HighCopy(dev_null.get()));
  BH_ASSIGN_OR_RETURN(ScopedHandle control_copy,
                      HighCopy(sockets.second.get()));
  BH_ASSIGN_OR_RETURN(PipeEnds go, MakePipe(O_CLOEXEC));
  BH_ASSIGN_OR_RETURN(PipeEnds exec_error, MakePipe(O_CLOEXEC));
  BH_ASSIGN_OR_RETURN(PipeEnds records, MakePipe(O_CLOEXEC));
  // Init's writes block (it must not lose one); the loop's reads must not.
  ::fcntl(records.read.get(), F_SETFL,
          ::fcntl(records.read.get(), F_GETFL) | O_NONBLOCK);
  BH_ASSIGN_OR_RETURN(ScopedHandle go_copy, HighCopy(go.read.get()));
  BH_ASSIGN_OR_RETURN(ScopedHandle error_copy,
                      HighCopy(exec_error.write.get()));
  BH_ASSIGN_OR_RETURN(ScopedHandle records_copy, HighCopy(records.write.get()));

  std::vector<std::string> args = {
      key.executable,
      absl::StrCat("--", switches::kType, "=", switches::kZygoteType),
      absl::StrCat("--", switches::kIpcFd, "=", kHelperChannelFd),
      absl::StrCat("--", switches::kSandboxedZygote),
      absl::StrCat("--", switches::kZygoteTitleSpace, "=",
                   std::string(kZygoteTitleSpace, '.'))};
  // As the unsandboxed zygote (zygote_host_linux.cc): every symbol bound
  // once, here, and none of the host's environment in its memory.
  std::vector<std::string> variables = HelperEnvironment(
      ZygoteHost::ExtraEnvironmentForTesting(), /*sandboxed=*/true);
  variables.push_back("LD_BIND_NOW=1");
  std::vector<char*> argv, envp;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  for (std::string& variable : variables) envp.push_back(variable.data());
  envp.push_back(nullptr);

  SandboxChildPlan plan;
  plan.executable = key.executable.c_str();
  plan.argv = argv.data();
  plan.envp = envp.data();
  // Never the host's stdout or stderr: a host that does not read them must
  // not stall its zygote (nor be written to by it).
  plan.fds[0] = plan.fds[1] = plan.fds[2] = null_copy.get();
  plan.fds[kHelperChannelFd] = control_copy.get();
  plan.go_fd = go_copy.get();
  plan.error_fd = error_copy.get();
  plan.status_fd = records_copy.get();
  plan.relay_every_child = true;

  int raw_pidfd = -1;
  const pid_t init = CloneWithPidfd(key.namespace_flags, &raw_pidfd);
  if (init == 0) RunSandboxChild(plan);
  if (init < 0) return LastPosixErrorToStatus("clone3 the zygote's init");
  ScopedHandle init_pidfd(raw_pidfd);
  // From here a failure kills and reaps init, and the zygote with it.
  struct KillOnError {
    ScopedHandle* pidfd;
    ~KillOnError() {
      if (pidfd->is_valid()) KillAndReapPidfd(pidfd->get());
    }
  } kill_on_error{&init_pidfd};
  null_copy.reset();
  control_copy.reset();
  go_copy.reset();
  error_copy.reset();
  records_copy.reset();
  go.read.reset();
  exec_error.write.reset();
  records.write.reset();
  sockets.second.reset();
  if ((key.namespace_flags & CLONE_NEWUSER) != 0) {
    BH_RETURN_IF_ERROR(WriteIdMaps(init));
  }
  BH_RETURN_IF_ERROR(
      LetGoAndAwaitExec(std::move(go.write), exec_error.read.get(),
                        absl::StrCat(key.executable, " as a zygote")));
  absl::StatusOr<ZygotePacket> hello =
      ReceiveZygotePacket(sockets.first.get(), absl::Now() + timeout);
  ipc::ZygoteReply reply;
  if (!hello.ok()) {
    return absl::UnavailableError(
        absl::StrCat("no sandboxed zygote: ",
                     absl::IsUnavailable(hello.status())
                         ? absl::StrCat("it ended first: does ", key.executable,
                                        " call MaybeRunHelper?")
                         : std::string(hello.status().message())));
  }
  if (!hello->fds.empty() || !reply.ParseFromString(hello->bytes) ||
      !reply.error().empty() || reply.pid() <= 0 || reply.pid() > INT32_MAX) {
    return absl::UnavailableError(absl::StrCat("no sandboxed zygote: it said '",
                                               reply.error(), "' and pid ",
                                               reply.pid()));
  }
  // Init's only child so far.
  std::ifstream children(
      absl::StrCat("/proc/", init, "/task/", init, "/children"));
  pid_t zygote = 0;
  const int zygote_fd =
      children >> zygote && zygote > 0
          ? static_cast<int>(::syscall(SYS_pidfd_open, zygote, 0))
          : -1;
  if (zygote_fd < 0) {
    return absl::UnavailableError("no sandboxed zygote: it is gone");
  }
  ScopedHandle zygote_pidfd(zygote_fd);
  const std::string ns_link = PidNamespaceLink(init);
  const std::vector<pid_t> zygote_pids = PidfdNamespacePids(zygote_fd);
  if (ns_link.empty()) {
    return absl::UnavailableError("no sandboxed zygote: cannot read /proc");
  }
  // Its pid here and in its own namespace: this process's /proc must be of
  // its pid namespace, and the shape must have a pid namespace of its own.
  if (zygote_pids.size() != 2) {
    return absl::UnavailableError(absl::StrCat(
        "no sandboxed zygote: its pidfd names ", zygote_pids.size(),
        " pids (NSpid), not 2: no pid namespace of its own, or a /proc of "
        "another pid namespace than this process's"));
  }
  // The pid it said is the kernel's (in its namespace): its own end is told
  // from a helper's by that pid.
  if (zygote_pids[1] != reply.pid()) {
    return absl::UnavailableError(
        absl::StrCat("no sandboxed zygote: it said pid ", reply.pid(),
                     ", the kernel says ", zygote_pids[1]));
  }
  std::shared_ptr<SandboxZygote> made(new SandboxZygote(
      key, init, std::move(init_pidfd), zygote, std::move(zygote_pidfd),
      static_cast<pid_t>(reply.pid()), ns_link, std::move(sockets.first),
      std::move(records.read)));
  return made;
}

SandboxZygote::SandboxZygote(ShapeKey key, pid_t init_pid,
                             ScopedHandle init_pidfd, pid_t zygote_pid,
                             ScopedHandle zygote_pidfd, pid_t zygote_ns_pid,
                             std::string ns_link, ScopedHandle control,
                             ScopedHandle records)
    : key_(std::move(key)),
      init_pid_(init_pid),
      init_pidfd_(std::move(init_pidfd)),
      zygote_pid_(zygote_pid),
      zygote_pidfd_(std::move(zygote_pidfd)),
      zygote_ns_pid_(zygote_ns_pid),
      ns_link_(std::move(ns_link)),
      control_(std::move(control)),
      records_(std::move(records)) {}

SandboxZygote::~SandboxZygote() {
  records_poll_.Close();
  init_poll_.Close();
  early_timer_.Close();
  {
    std::lock_guard<std::mutex> lock(control_mutex_);
    control_.reset();
  }
  // Its namespace ends with init: whatever a helper left there goes too.
  if (!init_reaped_) KillAndReapPidfd(init_pidfd_.get());
  retired_.clear();
}

void SandboxZygote::GiveUp(const absl::Status& why) {
  std::lock_guard<std::mutex> lock(control_mutex_);
  if (!usable_.exchange(false)) return;
  Fallbacks().fetch_add(1);
  BH_LOG(kWarning, "sandboxed zygote (pid ", zygote_pid_,
         ") given up: ", why.message(),
         "; helpers of its shape are exec'd from now on");
  // Init's record says when it is gone; its helpers go on.
  ::syscall(SYS_pidfd_send_signal, zygote_pidfd_.get(), SIGKILL, nullptr, 0);
  control_.reset();
}

absl::StatusOr<SandboxFork> SandboxZygote::Fork(
    const std::vector<std::string>& argv,
    const std::vector<std::string>& environment, const std::vector<int>& fds,
    const std::vector<int>& targets, int go_target) {
  ipc::ZygoteFork request = NewZygoteFork(argv, environment, targets);
  request.set_go_fd(go_target);
  request.set_new_mount_namespace((key_.namespace_flags & CLONE_NEWNS) != 0);
  if (request.ByteSizeLong() > kMaxZygotePacketBytes) {
    return absl::UnavailableError("the command line is too long to send");
  }
  absl::StatusOr<ZygotePacket> answer;
  absl::StatusOr<SandboxFork> fork = absl::UnavailableError("not asked");
  {
    std::lock_guard<std::mutex> lock(control_mutex_);
    if (!control_.is_valid()) {
      return absl::UnavailableError("the sandboxed zygote is gone");
    }
    absl::Status sent = SendZygotePacket(control_.get(), request, fds);
    answer = sent.ok()
                 ? ReceiveZygotePacket(control_.get(),
                                       absl::Now() + kZygoteForkReplyTimeout)
                 : absl::StatusOr<ZygotePacket>(sent);
    if (answer.ok()) {
      fork = ReadSandboxForkReply(answer->bytes, std::move(answer->fds),
                                  init_pid_, ns_link_, zygote_ns_pid_);
      // Not an orphan, while the loop has yet to register it.
      if (fork.ok()) in_flight_.insert(fork->pid);
    }
  }
  if (!answer.ok()) {
    GiveUp(answer.status());
    return absl::UnavailableError(answer.status().message());
  }
  if (!fork.ok() && !absl::IsUnavailable(fork.status())) GiveUp(fork.status());
  return fork;
}

void SandboxZygote::ForgetInFlight(pid_t pid) {
  std::lock_guard<std::mutex> lock(control_mutex_);
  in_flight_.erase(pid);
}

absl::Status SandboxZygote::Watch(uv_loop_t* loop) {
  if (loop_ != nullptr) return absl::OkStatus();
  loop_ = loop;
  BH_ASSIGN_OR_RETURN(records_poll_,
                      ipc::UvHandle<uv_poll_t>::Init(loop, records_.get()));
  records_poll_->data = this;
  BH_ASSIGN_OR_RETURN(init_poll_,
                      ipc::UvHandle<uv_poll_t>::Init(loop, init_pidfd_.get()));
  init_poll_->data = this;
  int rc = uv_poll_start(records_poll_.get(), UV_READABLE, OnRecords);
  if (rc == 0) rc = uv_poll_start(init_poll_.get(), UV_READABLE, OnInitEnded);
  return rc == 0 ? absl::OkStatus() : ipc::UvErrorToStatus(rc, "uv_poll_start");
}

absl::Status SandboxZygote::Register(pid_t ns_pid, SandboxForkedChild* child) {
  // Still in flight while ReadRecords may sweep orphans: spared.
  ReadRecords();
  ForgetInFlight(static_cast<pid_t>(child->pid()));
  if (init_reaped_) {
    return absl::UnavailableError("the sandboxed zygote's namespace has ended");
  }
  if (!children_.emplace(ns_pid, child).second) {
    const absl::Status lie = absl::DataLossError(
        absl::StrCat("it answered pid ", ns_pid, ", a helper's still running"));
    GiveUp(lie);
    return lie;
  }
  auto early = unclaimed_.find(ns_pid);
  if (early != unclaimed_.end()) {
    const std::pair<int, int> record = early->second;
    unclaimed_.erase(early);
    // Init writes a record only for a process that has ended: while this
    // one runs, the record was an older process's with the same pid.
    if (child->Ended()) {
      early_.emplace_back(ns_pid, record);
      if (early_timer_.get() == nullptr) {
        early_timer_ = ipc::UvHandle<uv_timer_t>(loop_);
        early_timer_->data = this;
      }
      uv_timer_start(
          early_timer_.get(),
          [](uv_timer_t* timer) {
            static_cast<SandboxZygote*>(timer->data)->DeliverEarlyRecords();
          },
          0, 0);
    }
  }
  return absl::OkStatus();
}

void SandboxZygote::DeliverEarlyRecords() {
  // A report may destroy the last helper holding this zygote.
  const std::shared_ptr<SandboxZygote> keep = shared_from_this();
  std::vector<std::pair<pid_t, std::pair<int, int>>> early = std::move(early_);
  early_.clear();
  for (const auto& [pid, record] : early) {
    auto it = children_.find(pid);
    if (it == children_.end()) continue;  // Destroyed since.
    SandboxForkedChild* child = it->second;
    children_.erase(it);
    child->Report(record.first, record.second);  // May destroy `child`.
  }
}

void SandboxZygote::Unregister(pid_t ns_pid, SandboxForkedChild* child) {
  auto it = children_.find(ns_pid);
  if (it != children_.end() && it->second == child) children_.erase(it);
}

void SandboxZygote::Retire(std::unique_ptr<HelperCgroup> cgroup) {
  if (cgroup != nullptr) retired_.push_back(std::move(cgroup));
  RemoveEmptyCgroups();
}

void SandboxZygote::RemoveEmptyCgroups() {
  retired_.erase(std::remove_if(retired_.begin(), retired_.end(),
                                [](const std::unique_ptr<HelperCgroup>& c) {
                                  return c->TryRemove();
                                }),
                 retired_.end());
}

void SandboxZygote::OnRecords(uv_poll_t* poll, int, int) {
  static_cast<SandboxZygote*>(poll->data)->ReadRecords();
}

void SandboxZygote::OnInitEnded(uv_poll_t* poll, int, int) {
  static_cast<SandboxZygote*>(poll->data)->InitEnded();
}

void SandboxZygote::KillOrphans() {
  // Init's children are the zygote, the helpers (registered, or forked and
  // about to be: `in_flight_`, under the lock that also holds off the next
  // fork) and what a helper started and left when it ended, which in a
  // namespace of its own would have ended with it. Those are killed.
  std::lock_guard<std::mutex> lock(control_mutex_);
  std::ifstream list(
      absl::StrCat("/proc/", init_pid_, "/task/", init_pid_, "/children"));
  pid_t pid = 0;
  while (list >> pid) {
    if (pid == zygote_pid_ || in_flight_.count(pid) != 0) continue;
    bool helper = false;
    for (const auto& [ns_pid, child] : children_) {
      helper = helper || child->pid() == pid;
    }
    if (helper) continue;
    const int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (fd < 0) continue;
    ScopedHandle pidfd(fd);
    // Still init's child (not a reused pid) now that the pidfd holds it.
    std::string parent =
        ProcField(absl::StrCat("/proc/", pid, "/status"), "PPid");
    int parent_pid = 0;
    if (absl::SimpleAtoi(absl::StripAsciiWhitespace(parent), &parent_pid) &&
        parent_pid == init_pid_) {
      ::syscall(SYS_pidfd_send_signal, pidfd.get(), SIGKILL, nullptr, 0);
    }
  }
}

void SandboxZygote::ReadRecords() {
  // A report may destroy the last helper holding this zygote.
  const std::shared_ptr<SandboxZygote> keep = shared_from_this();
  bool any = false;
  for (;;) {
    ZygoteInitRecord record;
    const ssize_t n = ::read(records_.get(), &record, sizeof(record));
    if (n < 0 && errno == EINTR) continue;
    // Init writes each record whole (12 bytes, below PIPE_BUF).
    if (n != static_cast<ssize_t>(sizeof(record))) {
      if (any && !init_reaped_) KillOrphans();
      return;
    }
    any = true;
    if (record.pid == zygote_ns_pid_) {
      GiveUp(absl::UnavailableError(absl::StrCat(
          "it ended (code ", record.code, ", status ", record.status, ")")));
      continue;
    }
    // Any end (a helper's keeper, an orphan) may have emptied a cgroup.
    if (!retired_.empty()) RemoveEmptyCgroups();
    auto it = children_.find(record.pid);
    if (it == children_.end()) {
      // An orphan's, one destroyed before its end, or one not registered
      // yet (it died between its go byte and Register): kept for Register.
      unclaimed_[record.pid] = {record.code, record.status};
      if (unclaimed_.size() > kMaxUnclaimedRecords) {
        unclaimed_.erase(unclaimed_.begin());
      }
      continue;
    }
    SandboxForkedChild* child = it->second;
    children_.erase(it);
    child->Report(record.code, record.status);  // May destroy `child`.
  }
}

void SandboxZygote::InitEnded() {
  if (!ReapPidfd(init_pidfd_.get(), /*wait=*/false)) return;
  const std::shared_ptr<SandboxZygote> keep = shared_from_this();
  init_reaped_ = true;
  init_poll_.Close();
  ReadRecords();
  GiveUp(absl::UnavailableError("its namespace's init ended"));
  // Killed with its namespace, whatever init could not say.
  while (!children_.empty()) {
    SandboxForkedChild* child = children_.begin()->second;
    children_.erase(children_.begin());
    child->Report(CLD_KILLED, SIGKILL);
  }
  records_poll_.Close();
  early_timer_.Close();
  unclaimed_.clear();
  retired_.clear();
}

SandboxForkedChild::SandboxForkedChild(std::shared_ptr<SandboxZygote> zygote,
                                       SandboxFork fork,
                                       std::unique_ptr<HelperCgroup> cgroup,
                                       std::string cgroup_note,
                                       ExitCallback on_exit)
    : zygote_(std::move(zygote)),
      pid_(fork.pid),
      ns_pid_(fork.ns_pid),
      pidfd_(std::move(fork.pidfd)),
      cgroup_(std::move(cgroup)),
      cgroup_note_(std::move(cgroup_note)),
      on_exit_(std::move(on_exit)) {}

SandboxForkedChild::~SandboxForkedChild() {
  if (registered_) zygote_->Unregister(ns_pid_, this);
  // Watch failed before Register took it off the zygote's in-flight list.
  if (!watched_) zygote_->ForgetInFlight(static_cast<pid_t>(pid_));
  if (!reported_) {
    ::syscall(SYS_pidfd_send_signal, pidfd_.get(), SIGKILL, nullptr, 0);
    // What it started is in its process group (it leads its session, and
    // nothing it starts may leave it): its keeper, a keeper-shaped clone.
    // (Report swept it already otherwise.)
    SweepProcessTree(pid_);
  }
  zygote_->Retire(std::move(cgroup_));
}

absl::Status SandboxForkedChild::Watch(uv_loop_t* loop) {
  BH_RETURN_IF_ERROR(zygote_->Watch(loop));
  // Register takes it off the in-flight list, whatever it returns.
  watched_ = true;
  absl::Status registered = zygote_->Register(ns_pid_, this);
  if (absl::IsDataLoss(registered)) {
    // The zygote answered with a live helper's pid: that process is another
    // helper's, never to be signalled or swept as this one.
    reported_ = true;
  }
  BH_RETURN_IF_ERROR(registered);
  registered_ = true;
  return absl::OkStatus();
}

bool SandboxForkedChild::Ended() const {
  pollfd ended = {pidfd_.get(), POLLIN, 0};
  return ::poll(&ended, 1, 0) > 0;
}

absl::Status SandboxForkedChild::Signal(int signal) {
  if (reported_) return absl::FailedPreconditionError("already reaped");
  pollfd ended = {pidfd_.get(), POLLIN, 0};
  if (::poll(&ended, 1, 0) > 0) {
    return absl::FailedPreconditionError("it has ended");
  }
  if (::syscall(SYS_pidfd_send_signal, pidfd_.get(), signal, nullptr, 0) != 0) {
    if (errno == ESRCH) return absl::FailedPreconditionError("it has ended");
    return LastPosixErrorToStatus("pidfd_send_signal");
  }
  return absl::OkStatus();
}

std::string SandboxForkedChild::cgroup_path() const {
  return cgroup_ != nullptr ? cgroup_->relative_path() : "";
}

std::string SandboxForkedChild::cgroup_description() const {
  return cgroup_ != nullptr ? cgroup_->description() : cgroup_note_;
}

bool SandboxForkedChild::killed_for_memory() const {
  return cgroup_ != nullptr && cgroup_->OutOfMemoryKilled();
}

void SandboxForkedChild::Report(int code, int status) {
  if (reported_) return;
  reported_ = true;
  registered_ = false;  // The zygote has dropped it.
  SweepProcessTree(pid_);
  const bool signalled = code == CLD_KILLED || code == CLD_DUMPED;
  // The callback may destroy this object: nothing after it.
  on_exit_(signalled ? 0 : status, signalled ? status : 0);
}

bool SandboxZygotes::Available() { return ZygoteHost::Available(); }

uint64_t SandboxZygotes::FallbacksForTesting() { return Fallbacks().load(); }

bool ForkSandboxedHelpersByDefault() {
  const char* setting = std::getenv("BULKHEAD_SANDBOXED_ZYGOTE");
  if (setting != nullptr && std::string(setting) == "0") return false;
  return SandboxZygotes::Available();
}

SandboxZygotes::SandboxZygotes() = default;

SandboxZygotes::~SandboxZygotes() = default;

std::shared_ptr<SandboxZygote> SandboxZygotes::ForShape(const ShapeKey& key) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = zygotes_.find(key);
  if (it == zygotes_.end()) {
    // One exec into the namespaces, as a launch: a few milliseconds, once.
    absl::StatusOr<std::shared_ptr<SandboxZygote>> started =
        SandboxZygote::Start(key, absl::Seconds(10));
    if (!started.ok()) {
      Fallbacks().fetch_add(1);
      BH_LOG(kWarning, started.status().message(),
             "; sandboxed helpers of this shape are exec'd");
    }
    it = zygotes_.emplace(key, started.ok() ? *started : nullptr).first;
  }
  return it->second != nullptr && it->second->usable() ? it->second : nullptr;
}

}  // namespace bulkhead
