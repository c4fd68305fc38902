// The escape suite's attempts against the file broker (escape_attempts.h):
// each asks the host for a file its rules must refuse and counts as blocked
// when no file comes back.
#include <fcntl.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "helper/diagnostics/escape_attempts.h"
#include "helper/helper_context.h"
#include "ipc/proto/file_broker.pb.h"

namespace bulkhead {
namespace {

// Requests the flood sends at once, straight on the channel (past
// OpenFile's own cap of 64 outstanding): the host must turn some away.
constexpr int kFloodRequests = 2000;

struct BrokerRun {
  std::vector<EscapeAttempt> attempts;
  int left = 0;
  absl::AnyInvocable<void(std::vector<EscapeAttempt>)> done;

  void Finish() {
    if (--left > 0) return;
    auto finish = std::move(done);
    finish(std::move(attempts));
  }
};

std::string Describe(const absl::Status& status) {
  return absl::StrCat(absl::StatusCodeToString(status.code()), ": ",
                      status.message());
}

}  // namespace

void RunBrokerEscapeAttempts(
    HelperContext& context, const EscapeTargets& targets,
    absl::AnyInvocable<void(std::vector<EscapeAttempt>)> done) {
  const std::string dir =
      targets.broker_dir.empty() ? std::string("/tmp") : targets.broker_dir;
  struct Ask {
    const char* name;
    std::string path;
    int flags;
  };
  const std::vector<Ask> asks = {
      {"broker-dotdot", dir + "/../../../../../etc/passwd", O_RDONLY},
      {"broker-absolute-outside", "/etc/passwd", O_RDONLY},
      // In the host, /proc/self is the host: its channel to this helper.
      {"broker-proc-self-fd", "/proc/self/fd/3", O_RDONLY},
      {"broker-symlink-out", dir + "/bulkhead-link-out", O_RDONLY},
      {"broker-fifo", dir + "/bulkhead-fifo", O_RDONLY},
      {"broker-create-under-read", dir + "/bulkhead-escape-created",
       O_WRONLY | O_CREAT | O_TRUNC},
      {"broker-o-path", dir, O_PATH},
      {"broker-directory", dir, O_RDONLY | O_DIRECTORY},
  };
  auto run = std::make_shared<BrokerRun>();
  run->done = std::move(done);
  run->attempts.resize(asks.size() + 1);
  run->left = static_cast<int>(asks.size()) + 1;
  for (size_t i = 0; i < asks.size(); ++i) {
    run->attempts[i].name = asks[i].name;
    context.OpenFile(asks[i].path, asks[i].flags,
                     [run, i](absl::StatusOr<ScopedHandle> file) {
                       EscapeAttempt& attempt = run->attempts[i];
                       attempt.blocked = !file.ok();
                       attempt.outcome = file.ok() ? "SUCCEEDED: got a file"
                                                   : Describe(file.status());
                       run->Finish();
                     });
  }
  // The flood: straight on the channel, as hostile code would.
  struct Tally {
    int left = kFloodRequests, ok = 0, denied = 0, throttled = 0, other = 0;
  };
  auto tally = std::make_shared<Tally>();
  const size_t slot = asks.size();
  run->attempts[slot].name = "broker-flood";
  ipc::OpenFileRequest request;
  request.set_path("/etc/passwd");
  request.set_flags(O_RDONLY);
  for (int i = 0; i < kFloodRequests; ++i) {
    context.channel().Call<ipc::OpenFileRequest, ipc::OpenFileResponse>(
        request, absl::Now() + absl::Seconds(60),
        [run, tally, slot](absl::StatusOr<ipc::OpenFileResponse> answer) {
          if (answer.ok()) {
            ++tally->ok;
          } else if (absl::IsPermissionDenied(answer.status())) {
            ++tally->denied;
          } else if (absl::IsResourceExhausted(answer.status())) {
            ++tally->throttled;
          } else {
            ++tally->other;
          }
          if (--tally->left > 0) return;
          EscapeAttempt& attempt = run->attempts[slot];
          attempt.blocked = tally->throttled > 0;
          attempt.outcome = absl::StrCat(
              attempt.blocked ? "" : "NOT BOUNDED: ", kFloodRequests,
              " requests: ", tally->ok, " files, ", tally->denied, " refused, ",
              tally->throttled, " turned away (RESOURCE_EXHAUSTED), ",
              tally->other, " other");
          run->Finish();
        });
  }
}

}  // namespace bulkhead
