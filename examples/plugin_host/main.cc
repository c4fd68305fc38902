// plugin_host: runs untrusted plugins, each in a helper process of its own
// role, one after the other. Calls go both ways: the app asks a plugin to
// describe itself and hands it a task; the plugin calls the app for a setting
// and to submit its result. One plugin hangs: the host's heartbeat finds it
// unresponsive and kills it (kHung), and the app carries on.
//
// The same binary is host and helper: MaybeRunHelper takes the helper path
// when the host started this program with --type=<plugin>.
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bulkhead/helper.h"
#include "bulkhead/host.h"
#include "plugin.pb.h"
#include "plugins.h"

namespace {

using namespace plugin_host;  // The app's messages.

const std::map<std::string, std::string> kSettings = {
    {"greeting", "Hello"},
    {"min_length", "5"},
};

// Runs the plugins in turn: launch, describe, task, result (or hang), stop.
// Runs on the host's loop thread.
class PluginApp {
 public:
  explicit PluginApp(bulkhead::Host& host) : host_(host) {
    host_.SetExitHandler(
        [this](const bulkhead::ExitInfo& exit) { OnExit(exit); });
  }

  void Start() { RunNext(); }
  int exit_code() const { return results_ == 2 && hung_ == 1 ? 0 : 1; }

 private:
  void RunNext() {
    if (next_ == plugins_.size()) {
      host_.Shutdown(absl::Seconds(2), [this] { host_.Quit(); });
      return;
    }
    const std::string role = plugins_[next_++];
    absl::StatusOr<bulkhead::HelperProcess*> launched = host_.Launch(
        role, [this](absl::StatusOr<bulkhead::HelperProcess*> plugin) {
          if (plugin.ok()) Describe(**plugin);
        });
    if (!launched.ok()) {
      std::printf("cannot launch %s: %s\n", role.c_str(),
                  launched.status().ToString().c_str());
      RunNext();
      return;
    }
    ServeApp(**launched);
  }

  // What the app offers the plugin: calls in the other direction.
  void ServeApp(bulkhead::HelperProcess& plugin) {
    const std::string name = plugin.name();
    const uint64_t id = plugin.id();
    plugin.channel().Serve<GetSettingRequest, GetSettingResponse>(
        [name](const GetSettingRequest& request)
            -> absl::StatusOr<GetSettingResponse> {
          auto it = kSettings.find(request.key());
          if (it == kSettings.end()) {
            return absl::NotFoundError("no setting " + request.key());
          }
          std::printf("  %s asked the app for '%s': \"%s\"\n", name.c_str(),
                      request.key().c_str(), it->second.c_str());
          GetSettingResponse response;
          response.set_value(it->second);
          return response;
        });
    plugin.channel().Serve<SubmitResultRequest, SubmitResultResponse>(
        [this, name, id](const SubmitResultRequest& request)
            -> absl::StatusOr<SubmitResultResponse> {
          std::printf("  %s result: %s\n", name.c_str(),
                      request.output().c_str());
          ++results_;
          // Done with this plugin: stop it once this call has been answered.
          host_.Post([this, id] {
            if (bulkhead::HelperProcess* done = host_.FindHelper(id)) {
              done->Stop(absl::Seconds(2), "plugin finished");
            }
          });
          return SubmitResultResponse();
        });
  }

  void Describe(bulkhead::HelperProcess& plugin) {
    const uint64_t id = plugin.id();
    plugin.Call<DescribePluginRequest, DescribePluginResponse>(
        DescribePluginRequest(), absl::Now() + absl::Seconds(5),
        [this, id](absl::StatusOr<DescribePluginResponse> response) {
          bulkhead::HelperProcess* plugin = host_.FindHelper(id);
          if (!response.ok() || plugin == nullptr) return;
          std::printf("plugin %s (pid %lld): %s\n", plugin->name().c_str(),
                      static_cast<long long>(plugin->pid()),
                      response->summary().c_str());
          TaskEvent task;
          task.set_text("plugins run in helper processes of their own");
          if (absl::Status sent = plugin->channel().Send(task); !sent.ok()) {
            std::printf("  cannot send the task: %s\n",
                        sent.ToString().c_str());
          }
        });
  }

  void OnExit(const bulkhead::ExitInfo& exit) {
    std::printf("  %s-%llu ended: %s\n", exit.role.c_str(),
                static_cast<unsigned long long>(exit.helper_id),
                exit.Describe().c_str());
    if (exit.kind == bulkhead::ExitKind::kHung) ++hung_;
    RunNext();
  }

  bulkhead::Host& host_;
  const std::vector<std::string> plugins_ = {"upper", "wordcount", "spin"};
  size_t next_ = 0;
  int results_ = 0;
  int hung_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  bulkhead::RoleRegistry roles;
  if (!RegisterPlugins(roles)) return 1;
  if (auto code = bulkhead::MaybeRunHelper(argc, argv, roles)) return *code;

  bulkhead::Host::Options options;
  options.roles = &roles;
  // A plugin whose loop does not answer a Ping within 2 s is hung.
  options.heartbeat.interval = absl::Milliseconds(250);
  options.heartbeat.timeout = absl::Seconds(2);
  absl::StatusOr<std::unique_ptr<bulkhead::Host>> host =
      bulkhead::Host::Create(options);
  if (!host.ok()) return 1;
  PluginApp app(**host);
  app.Start();
  (*host)->Run();
  std::printf("done: %s\n", app.exit_code() == 0 ? "ok" : "unexpected");
  return app.exit_code();
}
