#include "tests/support/test_roles.h"

#include "common/platform.h"

#if defined(BULKHEAD_OS_LINUX)
#include <sys/prctl.h>
#endif

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/compiler.h"
#include "common/os_error.h"
#include "helper/helper_context.h"
#include "host/host.h"
#include "ipc/frame_codec.h"
#include "ipc/uv_handle.h"
#include "sample_roles/builtin_roles.h"
#include "sample_roles/work.pb.h"
#include "tests/support/test_pipe.h"

namespace bulkhead::testing {
namespace {

[[noreturn]] void BlockForever() {
  std::promise<void>().get_future().wait();
  std::abort();  // Unreachable.
}

// Queues `bytes` on the channel's pipe behind the channel's back; libuv keeps
// writes on one stream in order, so they precede the handler's reply.
void WriteRaw(HelperContext& context, const std::string& bytes) {
  struct RawWrite {
    uv_write_t request;
    std::string bytes;
  };
  auto* write = new RawWrite{{}, bytes};
  uv_buf_t buf = uv_buf_init(write->bytes.data(),
                             static_cast<unsigned>(write->bytes.size()));
  const int rc = uv_write(
      &write->request, reinterpret_cast<uv_stream_t*>(context.channel().pipe()),
      &buf, 1, [](uv_write_t* request, int) {
        delete reinterpret_cast<RawWrite*>(request);
      });
  if (rc != 0) std::abort();
}

std::string Frame(const ipc::Envelope& envelope) {
  std::string out;
  if (!ipc::AppendFrame(envelope, ipc::kDefaultMaxFrameSize, &out).ok())
    std::abort();
  return out;
}

std::string GarbageFor(const std::string& kind) {
  if (kind == "not-protobuf")
    return std::string("\x04\x00\x00\x00\xff\xff\xff\xff", 8);
  if (kind == "oversize") return std::string("\xff\xff\xff\x7f", 4);
  ipc::Envelope envelope;
  envelope.set_seq(1000);
  if (kind == "reply-to-nothing") {
    envelope.set_is_reply(true);
    envelope.set_call_id(12345);
    envelope.mutable_control()->mutable_pong();
  } else if (kind == "second-hello") {
    envelope.set_call_id(77);
    envelope.mutable_control()->mutable_hello()->set_protocol(
        ipc::PROTOCOL_VERSION_2);
  } else if (kind == "empty-control") {
    envelope.mutable_control();
  } else {
    std::abort();
  }
  return Frame(envelope);
}

int StallMain(HelperContext& context) {
  context.channel().Serve<roles::LayoutTextRequest, roles::LayoutTextResponse>(
      [](const roles::LayoutTextRequest&)
          -> absl::StatusOr<roles::LayoutTextResponse> { BlockForever(); });
  return context.Run();
}

// Answers its first call, then blocks its loop for good once the answer has
// left (a frame queued behind a write still in flight, as under Wine when a
// Pong was being written, is sent only by a later loop iteration): from then
// on the helper never again reads its channel, and only a parent watch
// (helper/parent_watch.h) can end it when its host is killed.
int BlockerMain(HelperContext& context) {
  static uv_timer_t block;
  uv_timer_init(context.loop(), &block);
  block.data = &context.channel();
  context.channel().Serve<roles::LayoutTextRequest, roles::LayoutTextResponse>(
      [](const roles::LayoutTextRequest&)
          -> absl::StatusOr<roles::LayoutTextResponse> {
        // Every millisecond until nothing waits to be written.
        uv_timer_start(
            &block,
            [](uv_timer_t* timer) {
              if (static_cast<ipc::Channel*>(timer->data)->queued_bytes() ==
                  0) {
                BlockForever();
              }
            },
            0, 1);
        roles::LayoutTextResponse response;
        response.add_lines("blocking");
        return response;
      });
  return context.Run();
}

int CloserMain(HelperContext& context) {
  context.channel().Serve<roles::LayoutTextRequest, roles::LayoutTextResponse>(
      [&context](const roles::LayoutTextRequest&)
          -> absl::StatusOr<roles::LayoutTextResponse> {
        context.channel().Close();
        BlockForever();
      });
  return context.Run();
}

int GarbageMain(HelperContext& context) {
  context.channel().Serve<roles::LayoutTextRequest, roles::LayoutTextResponse>(
      [&context](const roles::LayoutTextRequest& request)
          -> absl::StatusOr<roles::LayoutTextResponse> {
        WriteRaw(context, GarbageFor(request.text()));
        return roles::LayoutTextResponse();
      });
  return context.Run();
}

// What an app's handler does to its helper, by the request's text: "crash"
// (a null write), "sleep:<ms>" (blocks the loop, then echoes), "refuse" (the
// handler's own INVALID_ARGUMENT), "args" (its launch arguments, a line
// each), anything else echoed.
// The worker role's "crash": a write through null, as the app's own bug would
// be (UBSan's null check left out, so that the helper really faults).
BH_NO_SANITIZE_UNDEFINED void WorkerMainCrash() {
  *static_cast<volatile int*>(nullptr) = 1;
}

int WorkerMain(HelperContext& context) {
  context.channel().Serve<roles::LayoutTextRequest, roles::LayoutTextResponse>(
      [&context](const roles::LayoutTextRequest& request)
          -> absl::StatusOr<roles::LayoutTextResponse> {
        const std::string& text = request.text();
        if (text == "args") {
          roles::LayoutTextResponse response;
          for (const std::string& arg : context.launch_args())
            response.add_lines(arg);
          return response;
        }
        if (text == "crash") {
          // Through a volatile pointer: a frame of its own, named for the
          // role, and one UndefinedBehaviorSanitizer does not stop first.
          void (*volatile crash)() = &WorkerMainCrash;
          crash();
        } else if (text.rfind("sleep:", 0) == 0) {
          std::this_thread::sleep_for(
              std::chrono::milliseconds(std::atoi(text.c_str() + 6)));
        } else if (text == "refuse") {
          return absl::InvalidArgumentError("the handler refuses this input");
        }
        roles::LayoutTextResponse response;
        response.add_lines(text);
        return response;
      });
  return context.Run();
}

int Exit7Main(HelperContext&) {
  std::fputs("exit7: on stdout\n", stdout);
  std::fflush(stdout);
  std::fputs("exit7: first words\nexit7: about to exit with 7\n", stderr);
  return 7;
}

int Exit0Main(HelperContext&) {
  std::fputs("exit0: leaving before Ready\n", stderr);
  return 0;
}

int BadWordsMain(HelperContext&) {
  std::fputs("bad-words: leaving before Ready\n", stderr);
  std::fwrite(kBadWords.data(), 1, kBadWords.size(), stderr);
  std::fputs("\n", stderr);
  return 0;
}

int FlooderMain(HelperContext& context) {
  // Every turn of the loop, between calls: 64 lines of 100 bytes on stdout,
  // as fast as the host takes them, until the process is stopped.
  ipc::UvHandle<uv_idle_t> flood(context.loop());
  uv_idle_start(flood.get(), [](uv_idle_t*) {
    static const std::string kLine = std::string(99, 'f') + "\n";
    for (int i = 0; i < 64; ++i)
      std::fwrite(kLine.data(), 1, kLine.size(), stdout);
    std::fflush(stdout);
  });
  context.channel().Serve<roles::LayoutTextRequest, roles::LayoutTextResponse>(
      [](const roles::LayoutTextRequest& request)
          -> absl::StatusOr<roles::LayoutTextResponse> {
        roles::LayoutTextResponse response;
        response.add_lines(request.text());
        return response;
      });
  return context.Run();
}

int DeafMain(HelperContext& context) {
  // Runs in the loop's first turn, after Run() has sent Ready; the process
  // only ends by being killed.
  ipc::UvHandle<uv_timer_t> deafen(context.loop());
  uv_timer_start(
      deafen.get(), [](uv_timer_t*) { BlockForever(); }, 0, 0);
  return context.Run();
}

// Launches a helper in `role` from `host` (created on first use) and runs the
// host's loop until it is ready. The helper outlives the call: the host's loop
// is not run again, and the host lives until this process ends.
absl::StatusOr<int64_t> LaunchGrandchild(std::unique_ptr<Host>& host,
                                         const std::string& role) {
  if (host == nullptr) {
    Host::Options options;
    options.roles = &TestRoleRegistry();
    absl::StatusOr<std::unique_ptr<Host>> created = Host::Create(options);
    if (!created.ok()) return created.status();
    host = *std::move(created);
  }
  std::optional<absl::StatusOr<HelperProcess*>> ready;
  absl::StatusOr<HelperProcess*> launched = host->Launch(
      role, [&](absl::StatusOr<HelperProcess*> helper) { ready = helper; });
  if (!launched.ok()) return launched.status();
  // Bounded: a helper that never gets ready is killed at the handshake
  // timeout, and `ready` then holds why.
  while (!ready.has_value()) uv_run(host->loop(), UV_RUN_ONCE);
  if (!ready->ok()) return ready->status();
  return (**ready)->pid();
}

int NestedHostMain(HelperContext& context) {
  std::unique_ptr<Host> host;
  context.channel().Serve<roles::LayoutTextRequest, roles::LayoutTextResponse>(
      [&host](const roles::LayoutTextRequest& request)
          -> absl::StatusOr<roles::LayoutTextResponse> {
        absl::StatusOr<int64_t> pid = LaunchGrandchild(host, request.text());
        if (!pid.ok()) return pid.status();
        roles::LayoutTextResponse response;
        response.add_lines(absl::StrCat(*pid));
        return response;
      });
  return context.Run();
}

int WriteFileMain(HelperContext& context) {
  context.channel().Serve<roles::LayoutTextRequest, roles::LayoutTextResponse>(
      [](const roles::LayoutTextRequest& request)
          -> absl::StatusOr<roles::LayoutTextResponse> {
        std::FILE* file = std::fopen(request.text().c_str(), "wb");
        if (file == nullptr) {
          return LastPosixErrorToStatus(
              absl::StrCat("create ", request.text()));
        }
        std::fclose(file);
        std::remove(request.text().c_str());
        return roles::LayoutTextResponse();
      });
  return context.Run();
}

// Opens the file named by the request's text for reading: an error status
// (PermissionDenied where access is denied) when it cannot.
int ReadFileMain(HelperContext& context) {
  context.channel().Serve<roles::LayoutTextRequest, roles::LayoutTextResponse>(
      [](const roles::LayoutTextRequest& request)
          -> absl::StatusOr<roles::LayoutTextResponse> {
        std::FILE* file = std::fopen(request.text().c_str(), "rb");
        if (file == nullptr) {
          return LastPosixErrorToStatus(absl::StrCat("open ", request.text()));
        }
        std::fclose(file);
        return roles::LayoutTextResponse();
      });
  return context.Run();
}

// Makes an IPv4 TCP socket (uv_tcp_init_ex makes it at once) and closes it:
// PermissionDenied, with the reason, when the system refuses access
// (EACCES, EPERM); Internal for any other failure.
int SocketOpenerMain(HelperContext& context) {
  context.channel().Serve<roles::LayoutTextRequest, roles::LayoutTextResponse>(
      [&context](const roles::LayoutTextRequest&)
          -> absl::StatusOr<roles::LayoutTextResponse> {
        auto* tcp = new uv_tcp_t;
        if (const int error = uv_tcp_init_ex(context.loop(), tcp, AF_INET);
            error != 0) {
          delete tcp;
          const std::string why = absl::StrCat("socket: ", uv_strerror(error));
          // Only a refusal is PermissionDenied; anything else is not the
          // sandbox's doing.
          return error == UV_EACCES || error == UV_EPERM
                     ? absl::PermissionDeniedError(why)
                     : absl::InternalError(why);
        }
        uv_close(reinterpret_cast<uv_handle_t*>(tcp), [](uv_handle_t* handle) {
          delete reinterpret_cast<uv_tcp_t*>(handle);
        });
        return roles::LayoutTextResponse();
      });
  return context.Run();
}

// Answers the value of the environment variable named by the request's text,
// as its one line ("<unset>" when there is none); for "@cwd", its working
// directory.
int EnvReaderMain(HelperContext& context) {
  context.channel().Serve<roles::LayoutTextRequest, roles::LayoutTextResponse>(
      [](const roles::LayoutTextRequest& request)
          -> absl::StatusOr<roles::LayoutTextResponse> {
        roles::LayoutTextResponse response;
        if (request.text() == "@cwd") {
          char directory[4096];
          size_t size = sizeof(directory);
          if (uv_cwd(directory, &size) != 0) return absl::InternalError("cwd");
          response.add_lines(std::string(directory, size));
          return response;
        }
        const char* value = std::getenv(request.text().c_str());
        response.add_lines(value == nullptr ? "<unset>" : value);
        return response;
      });
  return context.Run();
}

int SpawnerMain(HelperContext& context) {
  context.channel().Serve<roles::LayoutTextRequest, roles::LayoutTextResponse>(
      [&context](const roles::LayoutTextRequest&)
          -> absl::StatusOr<roles::LayoutTextResponse> {
        char path[4096];
        size_t size = sizeof(path);
        if (uv_exepath(path, &size) != 0) return absl::InternalError("exepath");
        char list_tests[] = "--gtest_list_tests";
        char* args[] = {path, list_tests, nullptr};
        uv_process_options_t options = {};
        options.file = path;
        options.args = args;
        // Not waited for: it lists the tests and exits on its own (its
        // handle is closed at once).
        absl::StatusOr<ipc::UvHandle<uv_process_t>> process =
            ipc::UvHandle<uv_process_t>::Spawn(context.loop(), options);
        if (!process.ok()) {
          return absl::PermissionDeniedError(process.status().message());
        }
        return roles::LayoutTextResponse();
      });
  return context.Run();
}

int PipeWriterMain(HelperContext& context) {
  context.channel().On<roles::LayoutTextRequest>(
      [&context](const roles::LayoutTextRequest& request) {
        std::vector<ScopedHandle> handles =
            context.channel().TakeReceivedHandles();
        if (!handles.empty()) {
          // The sandbox lets the write through: the handle is all it reaches.
          (void)WriteAll(handles[0].get(), request.text());
          return;
        }
        absl::StatusOr<TestPipe> pipe = MakeTestPipe();
        if (!pipe.ok() || !WriteAll(pipe->write.get(), request.text()).ok()) {
          return;
        }
        pipe->write.reset();  // The host reads the text, then end-of-file.
        std::vector<ScopedHandle> read_end;
        read_end.push_back(std::move(pipe->read));
        roles::LayoutTextResponse response;
        response.add_lines("the read end");
        (void)context.channel().SendWithHandles(response, std::move(read_end));
      });
  return context.Run();
}

// Work for a pool, chosen by the request's text; each answer's last line is
// the helper's pid.
//   "echo:<s>"      answers <s>.
//   "every:<n>:<s>" answers <s>, but aborts on this helper's n-th, 2n-th, ...
//                   task of any kind.
//   "crash"         aborts (a poison input).
//   "busy:<ms>"     works (sleeps) for <ms> milliseconds, then answers.
//   "grow:<mb>"     allocates and touches <mb> MiB, kept until it exits.
//   "refuse"        the handler's error: InvalidArgument.
//   "rename:<s>"    sets its own command name (Linux, prctl PR_SET_NAME) to
//                   <s>, as any process may: a hostile one hides in it.
int PoolWorkerMain(HelperContext& context) {
  context.channel().Serve<roles::LayoutTextRequest, roles::LayoutTextResponse>(
      [tasks = uint64_t{0}, kept = std::vector<std::unique_ptr<char[]>>()](
          const roles::LayoutTextRequest& request) mutable
      -> absl::StatusOr<roles::LayoutTextResponse> {
        ++tasks;
        std::vector<std::string> parts =
            absl::StrSplit(request.text(), absl::MaxSplits(':', 2));
        const std::string& verb = parts[0];
        roles::LayoutTextResponse response;
        int number = 0;
        if (parts.size() > 1) (void)absl::SimpleAtoi(parts[1], &number);
        if (verb == "echo" && parts.size() > 1) {
          response.add_lines(request.text().substr(5));
        } else if (verb == "every" && parts.size() == 3 && number > 0) {
          if (tasks % static_cast<uint64_t>(number) == 0) std::abort();
          response.add_lines(parts[2]);
        } else if (verb == "crash") {
          std::abort();
        } else if (verb == "busy") {
          uv_sleep(static_cast<unsigned>(number));
        } else if (verb == "grow") {
          const size_t bytes = static_cast<size_t>(number) << 20;
          kept.push_back(std::make_unique<char[]>(bytes));
          for (size_t i = 0; i < bytes; i += 4096) kept.back()[i] = 1;
        } else if (verb == "rename" && parts.size() > 1) {
#if defined(BULKHEAD_OS_LINUX)
          ::prctl(PR_SET_NAME, request.text().substr(7).c_str());
#endif
        } else if (verb == "refuse") {
          return absl::InvalidArgumentError("refused by the handler");
        } else {
          return absl::InternalError("pool-worker: unknown request");
        }
        response.add_lines(absl::StrCat(uv_os_getpid()));
        return response;
      });
  return context.Run();
}

}  // namespace

const RoleRegistry& TestRoleRegistry() {
  static const RoleRegistry* registry = [] {
    auto* roles = new RoleRegistry;
    if (!RegisterBuiltinRoles(*roles).ok() ||
        !roles->Add("stall", &StallMain).ok() ||
        !roles->Add("closer", &CloserMain).ok() ||
        !roles->Add("blocker", &BlockerMain).ok() ||
        !roles->Add("garbage", &GarbageMain).ok() ||
        !roles->Add("exit7", &Exit7Main).ok() ||
        !roles->Add("exit0", &Exit0Main).ok() ||
        !roles->Add("bad-words", &BadWordsMain).ok() ||
        !roles->Add("deaf", &DeafMain).ok() ||
        !roles->Add("flooder", &FlooderMain).ok() ||
        !roles->Add("nested-host", &NestedHostMain).ok() ||
        !roles->Add("write-file", &WriteFileMain).ok() ||
        !roles->Add("spawner", &SpawnerMain).ok() ||
        !roles->Add("read-file", &ReadFileMain).ok() ||
        !roles->Add("socket-opener", &SocketOpenerMain).ok() ||
        !roles->Add("env-reader", &EnvReaderMain).ok() ||
        !roles->Add("pipe-writer", &PipeWriterMain).ok() ||
        !roles->Add("pool-worker", &PoolWorkerMain).ok() ||
        !roles->Add("worker", &WorkerMain).ok() ||
        !AddPlatformTestRoles(*roles) || !AddFileTestRoles(*roles)) {
      std::abort();
    }
    return roles;
  }();
  return *registry;
}

}  // namespace bulkhead::testing
