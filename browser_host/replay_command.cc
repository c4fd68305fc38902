#include "browser_host/replay_command.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/utf8.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "host/host.h"
#include "host/launch/launch_options.h"
#include "host/replay.h"
#include "host/repro.h"

namespace bulkhead {
namespace {

// How many frames of the recorded stack to print.
constexpr size_t kStackFramesShown = 8;
// Replies and requests are printed up to this many bytes of text.
constexpr size_t kTextShown = 200;

std::string Shorten(std::string text) {
  if (text.size() > kTextShown) {
    text.resize(kTextShown);
    text += "...";
  }
  return PrintableText(text);
}

// `bytes` as `type` in protobuf's text format, when this program knows it.
std::string Describe(const std::string& type, const std::string& bytes) {
  std::string text = absl::StrCat(type, ", ", bytes.size(), " bytes");
  const google::protobuf::Descriptor* descriptor =
      google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(
          type);
  if (descriptor == nullptr) return text;
  std::unique_ptr<google::protobuf::Message> message(
      google::protobuf::MessageFactory::generated_factory()
          ->GetPrototype(descriptor)
          ->New());
  if (!message->ParseFromString(bytes)) return text;
  return absl::StrCat(text, ": ", Shorten(message->ShortDebugString()));
}

// Everything printed of the repro and of the replay helper's answer is
// PrintableText: the file is untrusted, and so is the helper.
void PrintRepro(const std::string& path, const Repro& repro, std::FILE* out) {
  std::fprintf(out, "repro %s\n", path.c_str());
  std::fprintf(out, "  role:    %s\n", repro.role.c_str());
  std::fprintf(out, "  request: %s\n",
               Describe(repro.request_type, repro.request).c_str());
  std::fprintf(out, "  died:    %s\n",
               PrintableText(repro.exit.Describe()).c_str());
  std::fprintf(
      out, "  made:    %s by bulkhead %s\n",
      absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", repro.made, absl::UTCTimeZone())
          .c_str(),
      PrintableText(repro.bulkhead_version).c_str());
  const std::vector<std::string>& stack = repro.exit.stack_trace;
  for (size_t i = 0; i < stack.size() && i < kStackFramesShown; ++i) {
    std::fprintf(out, "  %s %s\n", i == 0 ? "stack:" : "      ",
                 PrintableText(stack[i]).c_str());
  }
  if (stack.size() > kStackFramesShown) {
    std::fprintf(out, "         (%zu more frames)\n",
                 stack.size() - kStackFramesShown);
  }
}

}  // namespace

int RunReplayCommand(const RoleRegistry& roles, const std::string& path,
                     bool sandboxed, std::FILE* out) {
  absl::StatusOr<Repro> repro = ReadRepro(path);
  if (!repro.ok()) {
    std::fprintf(stderr, "browser_host: %s\n",
                 std::string(repro.status().message()).c_str());
    return kReplayBadFile;
  }
  PrintRepro(path, *repro, out);

  Host::Options options;
  options.roles = &roles;
  options.sandbox_helpers = sandboxed && SandboxedLaunchAvailable();
  absl::StatusOr<std::unique_ptr<Host>> created = Host::Create(options);
  if (!created.ok()) {
    std::fprintf(stderr, "browser_host: %s\n",
                 created.status().ToString().c_str());
    return kReplayNotReproduced;
  }
  Host& host = **created;
  std::fprintf(out, "replaying it in a fresh %s helper (%s)\n",
               repro->role.c_str(),
               options.sandbox_helpers ? "sandboxed" : "UNCONFINED");
  std::fflush(out);
  std::optional<absl::StatusOr<ReplayOutcome>> result;
  ReplayOptions replay;
  replay.sandboxed = options.sandbox_helpers;
  if (!sandboxed) {
    replay.on_ready = [out](HelperProcess& helper) {
      std::fprintf(out, "  helper pid %lld\n",
                   static_cast<long long>(helper.pid()));
      std::fflush(out);
    };
  }
  ReplayRepro(host, *repro, std::move(replay),
              [&](absl::StatusOr<ReplayOutcome> outcome) {
                result = std::move(outcome);
                host.Quit();
              });
  host.Run();

  if (!result->ok()) {
    // What the file names does not exist here: not a repro for this binary.
    std::fprintf(stderr, "browser_host: cannot replay %s: %s\n", path.c_str(),
                 std::string(result->status().message()).c_str());
    return kReplayBadFile;
  }
  const ReplayOutcome& outcome = **result;
  const std::string exit = PrintableText(outcome.exit.Describe());
  if (ReproducesDeath(*repro, outcome)) {
    std::fprintf(out, "still crashes: %s\n", exit.c_str());
    return kReplayReproduced;
  }
  if (outcome.died_in_flight) {
    std::fprintf(out, "died otherwise: %s\n", exit.c_str());
  } else if (outcome.call_status.ok()) {
    std::fprintf(out, "answered: %s\n",
                 Describe(outcome.reply_type, outcome.reply).c_str());
  } else if (absl::IsDeadlineExceeded(outcome.call_status)) {
    std::fprintf(out, "no answer in time: %s\n", exit.c_str());
  } else {
    std::fprintf(out, "answered with an error: %s\n",
                 Shorten(outcome.call_status.ToString()).c_str());
  }
  return kReplayNotReproduced;
}

}  // namespace bulkhead
