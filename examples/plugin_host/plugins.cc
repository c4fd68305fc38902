#include "plugins.h"

#include <cctype>
#include <functional>
#include <sstream>
#include <string>
#include <utility>

#include "plugin.pb.h"

namespace plugin_host {
namespace {

// Runs a plugin: `summary` describes it, and `work(text, setting)` computes
// its output from the task's text and the value of the setting `key`, which
// it asks the app for.
int RunPlugin(bulkhead::HelperContext& context, std::string summary,
              std::string key,
              std::function<std::string(const std::string& text,
                                        const std::string& setting)>
                  work) {
  auto& channel = context.channel();
  channel.Serve<DescribePluginRequest, DescribePluginResponse>(
      [summary](const DescribePluginRequest&)
          -> absl::StatusOr<DescribePluginResponse> {
        DescribePluginResponse response;
        response.set_summary(summary);
        return response;
      });
  channel.On<TaskEvent>([&channel, key, work](const TaskEvent& task) {
    GetSettingRequest request;
    request.set_key(key);
    // The plugin calls the app, and the app answers from its own loop.
    channel.Call<GetSettingRequest, GetSettingResponse>(
        request, absl::Now() + absl::Seconds(5),
        [&channel, work,
         text = task.text()](absl::StatusOr<GetSettingResponse> setting) {
          SubmitResultRequest result;
          result.set_output(setting.ok()
                                ? work(text, setting->value())
                                : "no setting: " + setting.status().ToString());
          channel.Call<SubmitResultRequest, SubmitResultResponse>(
              result, absl::Now() + absl::Seconds(5),
              [](absl::StatusOr<SubmitResultResponse>) {});
        });
  });
  return context.Run();
}

int UpperMain(bulkhead::HelperContext& context) {
  return RunPlugin(context, "greets and upper-cases the text", "greeting",
                   [](const std::string& text, const std::string& greeting) {
                     std::string out = greeting + ", ";
                     for (char c : text) {
                       out.push_back(static_cast<char>(
                           std::toupper(static_cast<unsigned char>(c))));
                     }
                     return out;
                   });
}

int WordCountMain(bulkhead::HelperContext& context) {
  return RunPlugin(context, "counts the long words", "min_length",
                   [](const std::string& text, const std::string& min_length) {
                     const size_t min = std::stoul(min_length);
                     std::istringstream words(text);
                     int count = 0;
                     for (std::string word; words >> word;) {
                       if (word.size() >= min) ++count;
                     }
                     return std::to_string(count) + " words of " + min_length +
                            "+ letters";
                   });
}

int SpinMain(bulkhead::HelperContext& context) {
  return RunPlugin(context, "never finishes", "greeting",
                   [](const std::string&, const std::string&) -> std::string {
                     // A bug: the loop never ends, and the plugin's event loop
                     // stops answering the host's heartbeat.
                     for (volatile bool spin = true; spin;) {
                     }
                     return "unreachable";
                   });
}

}  // namespace

bool RegisterPlugins(bulkhead::RoleRegistry& roles) {
  return roles.Add("upper", &UpperMain).ok() &&
         roles.Add("wordcount", &WordCountMain).ok() &&
         roles.Add("spin", &SpinMain).ok();
}

}  // namespace plugin_host
