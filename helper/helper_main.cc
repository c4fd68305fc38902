#include "helper/helper_main.h"

#include <uv.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/command_line.h"
#include "common/fd_limit.h"
#include "common/logging.h"
#include "common/platform_handle.h"
#include "common/switches.h"
#include "helper/crash_handler.h"
#include "helper/descendant_sweep.h"
#include "helper/exit_codes.h"
#include "helper/helper_context.h"
#include "helper/memory_limit.h"
#include "helper/parent_watch.h"
#include "helper/zygote.h"
#include "ipc/channel.h"
#include "ipc/uv_loop.h"
#include "sandbox/lockdown.h"

namespace bulkhead {
namespace {

constexpr absl::Duration kHandshakeTimeout = absl::Seconds(10);

struct HelperArgs {
  std::string role;
  RoleMain main = nullptr;
  ScopedHandle channel;
  uint64_t helper_id = 0;
  ScopedHandle crash_pipe;        // Optional.
  ScopedHandle handle_socket;     // Optional: the channel's handle transport.
  bool handles_brokered = false;  // Windows: the host passes handles.
  uint64_t memory_limit = 0;      // Bytes; 0 for none.
  // How long to wait for the Welcome (--handshake-timeout-ms).
  absl::Duration handshake_timeout = kHandshakeTimeout;
  // The fds the command line names (channel, crash pipe, handle socket), and
  // later those the runtime opens for its loop: what the lockdown keeps.
  std::vector<int> runtime_fds;
  bool plant_escape_bait = false;  // --escape-bait.
  // What follows the launcher's own switches (HelperContext::launch_args).
  std::vector<std::string> launch_args;
};

// argv after the switches the launcher writes first (launcher.h's
// BuildArgs): the host's helper_args and the launch's extra_args.
std::vector<std::string> LaunchArgs(int argc, const char* const* argv) {
  static constexpr const char* kLauncherSwitches[] = {
      switches::kType,
      switches::kIpcFd,
      switches::kIpcHandle,
      switches::kHelperId,
      switches::kCrashFd,
      switches::kHandleFd,
      switches::kHandlesBrokered,
      switches::kMemoryLimit,
      switches::kHandshakeTimeoutMs,
      switches::kEscapeBait};
  int i = 1;
  for (; i < argc; ++i) {
    const absl::string_view arg = argv[i];
    bool own = false;
    for (const char* name : kLauncherSwitches) {
      const std::string flag = absl::StrCat("--", name);
      own = own || arg == flag || absl::StartsWith(arg, flag + "=");
    }
    if (!own) break;
  }
  return std::vector<std::string>(argv + i, argv + argc);
}

// The inherited stream whose fd the switch `name` gives; an invalid handle
// when the switch is absent.
absl::StatusOr<ScopedHandle> AdoptOptionalStream(const CommandLine& line,
                                                 const char* name) {
  if (!line.Has(name)) return ScopedHandle();
  absl::StatusOr<int64_t> fd = line.GetInt(name, 0, INT32_MAX);
  if (!fd.ok()) return fd.status();
  absl::StatusOr<ScopedHandle> stream = AdoptInheritedStream(*fd);
  if (!stream.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad --", name, ": ", stream.status().message()));
  }
  return stream;
}

absl::StatusOr<HelperArgs> ParseHelperArgs(const CommandLine& line,
                                           const RoleRegistry& registry) {
  HelperArgs args;
  args.role = *line.Get(switches::kType);
  args.main = registry.Find(args.role);
  if (args.main == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown --type=", args.role,
                     " (known: ", absl::StrJoin(registry.names(), ", "), ")"));
  }
  absl::StatusOr<int64_t> id = line.GetInt(switches::kHelperId, 1, INT64_MAX);
  if (!id.ok()) return id.status();
  args.helper_id = static_cast<uint64_t>(*id);
  if (line.Has(switches::kHandshakeTimeoutMs)) {
    // Up to a day: a host may wait long, never forever.
    absl::StatusOr<int64_t> ms =
        line.GetInt(switches::kHandshakeTimeoutMs, 1, 24 * 3600 * 1000);
    if (!ms.ok()) return ms.status();
    args.handshake_timeout = absl::Milliseconds(*ms);
  }
  // The channel: a C runtime fd (uv_spawn's stdio slot), or on Windows a
  // HANDLE passed explicitly to a sandboxed helper.
  const bool by_handle = line.Has(switches::kIpcHandle);
  const char* channel_switch =
      by_handle ? switches::kIpcHandle : switches::kIpcFd;
  absl::StatusOr<int64_t> number =
      by_handle ? line.GetInt(switches::kIpcHandle, 1, INT64_MAX)
                : line.GetInt(switches::kIpcFd, 0, INT32_MAX);
  if (!number.ok()) return number.status();
  absl::StatusOr<ScopedHandle> channel =
      by_handle ? AdoptInheritedHandle(static_cast<uint64_t>(*number))
                : AdoptInheritedStream(*number);
  if (!channel.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "bad --", channel_switch, ": ", channel.status().message()));
  }
  args.channel = *std::move(channel);
  if (!by_handle) args.runtime_fds.push_back(static_cast<int>(*number));
  for (const char* name : {switches::kCrashFd, switches::kHandleFd}) {
    if (!line.Has(name)) continue;
    absl::StatusOr<int64_t> fd = line.GetInt(name, 0, INT32_MAX);
    if (fd.ok()) args.runtime_fds.push_back(static_cast<int>(*fd));
  }
  args.plant_escape_bait = line.Has(switches::kEscapeBait);
  absl::StatusOr<ScopedHandle> crash_pipe =
      AdoptOptionalStream(line, switches::kCrashFd);
  if (!crash_pipe.ok()) return crash_pipe.status();
  args.crash_pipe = *std::move(crash_pipe);
  absl::StatusOr<ScopedHandle> handle_socket =
      AdoptOptionalStream(line, switches::kHandleFd);
  if (!handle_socket.ok()) return handle_socket.status();
  args.handle_socket = *std::move(handle_socket);
  args.handles_brokered = line.Has(switches::kHandlesBrokered);
  if (line.Has(switches::kMemoryLimit)) {
    absl::StatusOr<int64_t> limit =
        line.GetInt(switches::kMemoryLimit, 1 << 20, INT64_MAX);
    if (!limit.ok()) return limit.status();
    args.memory_limit = static_cast<uint64_t>(*limit);
  }
  return args;
}

// Says Hello and waits for the host's Welcome. Returns the exit code to end
// with, or 0.
int Handshake(uv_loop_t* loop, ipc::Channel& channel, const HelperArgs& args,
              const bool& shutdown_early, ipc::Welcome& welcome_out,
              std::map<std::string, ScopedHandle>& files_out) {
  ipc::Control hello;
  hello.mutable_hello()->set_protocol(ipc::PROTOCOL_VERSION_2);
  hello.mutable_hello()->set_role(args.role);
  hello.mutable_hello()->set_pid(uv_os_getpid());
  hello.mutable_hello()->set_helper_id(args.helper_id);
  int result = kExitHandshakeFailed;
  bool done = false;
  channel.CallControl(
      hello, absl::Now() + args.handshake_timeout,
      [&](absl::StatusOr<ipc::Control> welcome) {
        done = true;
        uv_stop(loop);
        if (shutdown_early) return;
        if (!welcome.ok()) {
          BH_LOG(kError, "handshake failed: ", welcome.status().message());
        } else if (!welcome->has_welcome() ||
                   welcome->welcome().protocol() != ipc::PROTOCOL_VERSION_2) {
          BH_LOG(kError, "handshake failed: the host answered without Welcome");
        } else {
          // The files the host handed over, one handle per name.
          std::vector<ScopedHandle> handles = channel.TakeReceivedHandles();
          const auto& names = welcome->welcome().file_names();
          if (handles.size() != static_cast<size_t>(names.size())) {
            BH_LOG(kError, "handshake failed: the Welcome names ", names.size(),
                   " files and brought ", handles.size());
            return;
          }
          for (int i = 0; i < names.size(); ++i) {
            files_out.insert_or_assign(names[i], std::move(handles[i]));
          }
          welcome_out = welcome->welcome();
          result = 0;
        }
      });
  while (!done && !shutdown_early && uv_run(loop, UV_RUN_DEFAULT) != 0) {
  }
  // The completion refers to this frame: end the call before returning.
  if (!done) channel.Close();
  return shutdown_early ? 0 : result;
}

int RunHelper(HelperArgs args) {
  SetLogTag(absl::StrCat(args.role, "-", args.helper_id));
  // Ctrl-C in a terminal signals the whole process group; the host decides when
  // helpers stop.
  std::signal(SIGINT, SIG_IGN);
  if (absl::Status watch = DieWithParent(); !watch.ok()) {
    BH_LOG(kWarning, "cannot tie lifetime to the host: ", watch.message());
  }
  // Before anything can be orphaned: what this helper starts stays its own
  // (descendant_sweep.h).
  if (absl::Status adopted = AdoptOrphanedDescendants();
      !adopted.ok() && !absl::IsUnimplemented(adopted)) {
    BH_LOG(kWarning, "cannot adopt orphans: ", adopted.message());
  }
  // Where the sandbox policy set no descriptor limit of its own (it sets the
  // hard limit too), the helper may use what the hard one allows.
  if (absl::StatusOr<uint64_t> raised = RaiseFdLimitToHard(); !raised.ok()) {
    BH_LOG(kWarning,
           "keeping the descriptor limit: ", raised.status().message());
  }
  if (args.crash_pipe.is_valid()) {
    if (absl::Status installed =
            InstallCrashHandler(std::move(args.crash_pipe));
        !installed.ok()) {
      BH_LOG(kWarning, "no crash reports: ", installed.message());
    }
  }
  InstallOutOfMemoryHandler();
  if (args.memory_limit > 0) {
    if (absl::Status limited = ApplyMemoryLimit(args.memory_limit);
        !limited.ok()) {
      BH_LOG(kError, "cannot apply the memory limit: ", limited.message());
      return kExitUsage;
    }
  }
  // Whatever the runtime opens from here until the role runs is its own (the
  // loop's epoll and eventfd, ...): the lockdown keeps it. Listing the table
  // before and after, rather than reading libuv's private fields, holds for
  // any libuv version.
  const std::vector<int> before_loop = sandbox::OpenDescriptors();
  uv_loop_t loop;
  uv_loop_init(&loop);
  int exit_code = 0;
  {
    // The host is trusted (it could do anything to this helper): its large
    // messages are read in place.
    std::unique_ptr<ipc::Channel> channel =
        ipc::Channel::Create(&loop, {.trust_peer_shared_memory = true});
    HelperContext* context_for_close = nullptr;
    if (args.handle_socket.is_valid() || args.handles_brokered) {
      channel->SetHandleTransport(std::move(args.handle_socket));
    }
    absl::Status opened = channel->Open(std::move(args.channel));
    if (opened.ok()) {
      opened = channel->Start([&](ipc::Channel::CloseReason reason,
                                  const absl::Status& why) {
        const bool violation =
            reason == ipc::Channel::CloseReason::kProtocolViolation;
        if (violation)
          BH_LOG(kError, "host broke the protocol: ", why.message());
        const int code = violation ? kExitProtocolViolation : kExitChannelLost;
        if (context_for_close != nullptr) {
          context_for_close->Quit(code);
        } else {
          uv_stop(&loop);
        }
      });
    }
    // The host may stop a helper that has not finished starting; that is a
    // clean exit too.
    bool shutdown_early = false;
    ipc::Welcome welcome;
    std::map<std::string, ScopedHandle> files;
    channel->OnControl(ipc::Control::kShutdown, [&](const ipc::Control&) {
      shutdown_early = true;
      uv_stop(&loop);
    });
    if (!opened.ok()) {
      BH_LOG(kError, "cannot open the channel: ", opened.message());
      exit_code = kExitChannelLost;
    } else {
      exit_code =
          Handshake(&loop, *channel, args, shutdown_early, welcome, files);
    }
    if (exit_code == 0 && !shutdown_early && !welcome.has_sandbox()) {
      // Unsandboxed, nothing but this helper keeps what it starts from
      // outliving it and the host (a sandboxed one on Linux has its pid
      // namespace; Windows' job holds a sandboxed one's; macOS has no sweep).
      if (absl::Status swept = SweepDescendantsAtEnd();
          !swept.ok() && !absl::IsUnimplemented(swept)) {
        BH_LOG(kWarning,
               "what this helper starts may outlive it: ", swept.message());
      }
    }
    if (exit_code == 0 && !shutdown_early) {
      for (int fd : sandbox::OpenDescriptors()) {
        if (!std::binary_search(before_loop.begin(), before_loop.end(), fd)) {
          args.runtime_fds.push_back(fd);
        }
      }
      HelperContext context(args.role, args.helper_id, &loop, channel.get());
      context.set_runtime_descriptors(args.runtime_fds);
      context.set_plant_escape_bait(args.plant_escape_bait);
      context.set_launch_files(std::move(files));
      context.set_launch_args(std::move(args.launch_args));
      if (welcome.has_sandbox())
        context.set_sandbox_settings(welcome.sandbox());
      context.set_beat_interval(absl::Milliseconds(welcome.beat_interval_ms()));
      context_for_close = &context;
      exit_code = args.main(context);
      context_for_close = nullptr;
    }
  }
  if (absl::Status closed = ipc::DrainAndCloseLoop(&loop); !closed.ok()) {
    BH_LOG(kWarning, "loop teardown: ", closed.message());
  }
  return exit_code;
}

}  // namespace

std::optional<int> MaybeRunHelper(int argc, const char* const* argv,
                                  const RoleRegistry& registry) {
  const CommandLine line = CommandLine::Parse(argc, argv);
  if (!line.Has(switches::kType)) return std::nullopt;
  if (*line.Get(switches::kType) == switches::kZygoteType) {
    return RunZygote(argc, argv, registry);
  }
  absl::StatusOr<HelperArgs> args = ParseHelperArgs(line, registry);
  if (!args.ok()) {
    std::fprintf(stderr, "%s: %s\n", line.program().c_str(),
                 std::string(args.status().message()).c_str());
    return kExitUsage;
  }
  args->launch_args = LaunchArgs(argc, argv);
  return RunHelper(*std::move(args));
}

}  // namespace bulkhead
