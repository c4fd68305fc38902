// Test roles for files handed over at launch, the file broker and warm-ups
// (test_roles.h lists them with the others).
#include <fcntl.h>
#if !defined(_WIN32)
#include <sys/wait.h>
#include <unistd.h>
#endif

#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "helper/helper_context.h"
#include "ipc/proto/file_broker.pb.h"
#include "sample_roles/work.pb.h"
#include "tests/support/test_pipe.h"
#include "tests/support/test_roles.h"

namespace bulkhead::testing {
namespace {

// The answer a one-way LayoutTextResponse carries: lines[0] is "ok" or the
// status code's number, then the file's first bytes or the error message.
roles::LayoutTextResponse Outcome(const absl::StatusOr<ScopedHandle>& file,
                                  bool read) {
  roles::LayoutTextResponse response;
  if (!file.ok()) {
    response.add_lines(absl::StrCat(static_cast<int>(file.status().code())));
    response.add_lines(std::string(file.status().message()));
    return response;
  }
  response.add_lines("ok");
  if (read) {
    absl::StatusOr<std::string> bytes = ReadSome(file->get(), 4096);
    response.add_lines(bytes.ok() ? *bytes
                                  : std::string(bytes.status().message()));
  }
  return response;
}

int FilesMain(HelperContext& context) {
  context.channel().Serve<roles::LayoutTextRequest, roles::LayoutTextResponse>(
      [&context](const roles::LayoutTextRequest& request)
          -> absl::StatusOr<roles::LayoutTextResponse> {
        std::vector<std::string> words =
            absl::StrSplit(request.text(), absl::MaxSplits(' ', 2));
        roles::LayoutTextResponse response;
        if (words.size() == 2 && words[0] == "take") {
          absl::StatusOr<ScopedHandle> file = context.TakeFile(words[1]);
          return Outcome(file, true);
        }
        int number = 0;
        if (words.size() == 3 && words[0] == "open" &&
            absl::SimpleAtoi(words[1], &number)) {
          // Answered later, one-way; "inside" when the callback ran inside
          // OpenFile.
          auto inside = std::make_shared<bool>(true);
          const bool read = (number & (O_WRONLY | O_RDWR)) == 0;
          context.OpenFile(
              words[2], number,
              [&context, inside, read](absl::StatusOr<ScopedHandle> file) {
                roles::LayoutTextResponse outcome = Outcome(file, read);
                if (*inside) outcome.add_lines("inside");
                (void)context.channel().Send(outcome);
              });
          *inside = false;
          response.add_lines("asked");
          return response;
        }
        if (words.size() == 3 && words[0] == "burst" &&
            absl::SimpleAtoi(words[1], &number)) {
          // N OpenFile calls at once: past the client's cap of outstanding
          // requests some complete at once, which must still be from the
          // loop, never inside OpenFile.
          struct Tally {
            int left, ok = 0, exhausted = 0, other = 0, inside = 0;
          };
          auto tally = std::make_shared<Tally>(Tally{number});
          for (int i = 0; i < number; ++i) {
            auto inside = std::make_shared<bool>(true);
            context.OpenFile(
                words[2], O_RDONLY,
                [&context, tally, inside](absl::StatusOr<ScopedHandle> file) {
                  if (*inside) ++tally->inside;
                  if (file.ok()) {
                    ++tally->ok;
                  } else if (absl::IsResourceExhausted(file.status())) {
                    ++tally->exhausted;
                  } else {
                    ++tally->other;
                  }
                  if (--tally->left > 0) return;
                  roles::LayoutTextResponse outcome;
                  outcome.add_lines("burst");
                  for (int count : {tally->ok, tally->exhausted, tally->other,
                                    tally->inside}) {
                    outcome.add_lines(absl::StrCat(count));
                  }
                  (void)context.channel().Send(outcome);
                });
            *inside = false;
          }
          response.add_lines("asked");
          return response;
        }
        if (words.size() == 3 && words[0] == "flood" &&
            absl::SimpleAtoi(words[1], &number)) {
          // Straight to the host, past OpenFile's own cap: what a hostile
          // helper would do.
          struct Tally {
            int left, ok = 0, denied = 0, exhausted = 0, other = 0;
          };
          auto tally = std::make_shared<Tally>(Tally{number});
          ipc::OpenFileRequest ask;
          ask.set_path(words[2]);
          ask.set_flags(O_RDONLY);
          for (int i = 0; i < number; ++i) {
            context.channel().Call<ipc::OpenFileRequest, ipc::OpenFileResponse>(
                ask, absl::Now() + absl::Seconds(60),
                [&context, tally](absl::StatusOr<ipc::OpenFileResponse> done) {
                  if (done.ok()) {
                    ++tally->ok;
                  } else if (absl::IsPermissionDenied(done.status())) {
                    ++tally->denied;
                  } else if (absl::IsResourceExhausted(done.status())) {
                    ++tally->exhausted;
                  } else {
                    ++tally->other;
                  }
                  if (--tally->left > 0) return;
                  roles::LayoutTextResponse outcome;
                  outcome.add_lines("flood");
                  for (int count : {tally->ok, tally->denied, tally->exhausted,
                                    tally->other}) {
                    outcome.add_lines(absl::StrCat(count));
                  }
                  (void)context.channel().Send(outcome);
                });
          }
          response.add_lines("asked");
          return response;
        }
        return absl::InvalidArgumentError(
            "take NAME | open FLAGS PATH | burst N PATH | flood N PATH");
      });
  return context.Run();
}

// Starts a thread that never ends: the launch must fail, naming the warm-up.
int WarmThreaderMain(HelperContext& context) {
  context.SetWarmUp("spawn-background-thread", [] {
    std::thread([] {
      for (;;) std::this_thread::sleep_for(std::chrono::hours(1));
    }).detach();
    return absl::OkStatus();
  });
  return context.Run();
}

// Starts a process that outlives the warm-up (a library that spawns a daemon
// as it loads, double-forked): made before the lockdown, it would keep
// everything the lockdown takes from the helper (its system calls, its
// capabilities, the channel). The launch must fail, naming the warm-up.
int WarmForkerMain(HelperContext& context) {
  context.SetWarmUp("spawn-daemon", [] {
#if defined(_WIN32)
    return absl::OkStatus();
#else
    const pid_t child = ::fork();
    if (child < 0) return absl::InternalError("fork failed");
    if (child == 0) {
      if (::fork() == 0) {
        for (;;) ::pause();
      }
      ::_exit(0);
    }
    ::waitpid(child, nullptr, 0);
    return absl::OkStatus();
#endif
  });
  context.channel().Serve<roles::LayoutTextRequest, roles::LayoutTextResponse>(
      [](const roles::LayoutTextRequest&)
          -> absl::StatusOr<roles::LayoutTextResponse> {
        roles::LayoutTextResponse response;
        response.add_lines("running");
        return response;
      });
  return context.Run();
}

// The same daemon, started by the role's main before Run() with no warm-up:
// a sandboxed launch must refuse to run it unconfined.
int EarlyForkerMain(HelperContext& context) {
#if !defined(_WIN32)
  const pid_t child = ::fork();
  if (child == 0) {
    if (::fork() == 0) {
      for (;;) ::pause();
    }
    ::_exit(0);
  }
  if (child > 0) ::waitpid(child, nullptr, 0);
#endif
  context.channel().Serve<roles::LayoutTextRequest, roles::LayoutTextResponse>(
      [](const roles::LayoutTextRequest&)
          -> absl::StatusOr<roles::LayoutTextResponse> {
        roles::LayoutTextResponse response;
        response.add_lines("running");
        return response;
      });
  return context.Run();
}

int WarmFailerMain(HelperContext& context) {
  context.SetWarmUp("load-model",
                    [] { return absl::NotFoundError("model.bin is missing"); });
  return context.Run();
}

// A warm-up that uses a thread and ends it, then takes work.
int WarmJoinerMain(HelperContext& context) {
  auto warmed = std::make_shared<bool>(false);
  context.SetWarmUp("joined-thread", [warmed] {
    std::thread([warmed] { *warmed = true; }).join();
    return absl::OkStatus();
  });
  context.channel().Serve<roles::LayoutTextRequest, roles::LayoutTextResponse>(
      [warmed](const roles::LayoutTextRequest&)
          -> absl::StatusOr<roles::LayoutTextResponse> {
        roles::LayoutTextResponse response;
        response.add_lines(*warmed ? "warmed" : "cold");
        return response;
      });
  return context.Run();
}

}  // namespace

bool AddFileTestRoles(RoleRegistry& roles) {
  return roles.Add("files", &FilesMain).ok() &&
         roles.Add("warm-threader", &WarmThreaderMain).ok() &&
         roles.Add("warm-failer", &WarmFailerMain).ok() &&
         roles.Add("warm-forker", &WarmForkerMain).ok() &&
         roles.Add("early-forker", &EarlyForkerMain).ok() &&
         roles.Add("warm-joiner", &WarmJoinerMain).ok();
}

}  // namespace bulkhead::testing
