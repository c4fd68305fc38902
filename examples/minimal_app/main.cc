// The smallest useful Bulkhead app: one role of its own ("shouter"), one
// message type of its own, one call, and the helper's exit report.
//
// The same binary is host and helper: MaybeRunHelper takes the helper path
// when the host started this program with --type=shouter.
#include <cctype>
#include <cstdio>
#include <memory>
#include <string>

#include "bulkhead/helper.h"
#include "bulkhead/host.h"
#include "shout.pb.h"

namespace {

int ShouterMain(bulkhead::HelperContext& context) {
  context.channel()
      .Serve<minimal_app::ShoutRequest, minimal_app::ShoutResponse>(
          [](const minimal_app::ShoutRequest& request)
              -> absl::StatusOr<minimal_app::ShoutResponse> {
            if (request.text().empty()) {
              return absl::InvalidArgumentError("nothing to shout");
            }
            minimal_app::ShoutResponse response;
            for (char c : request.text()) {
              response.mutable_text()->push_back(static_cast<char>(
                  std::toupper(static_cast<unsigned char>(c))));
            }
            return response;
          });
  return context.Run();
}

}  // namespace

int main(int argc, char** argv) {
  bulkhead::RoleRegistry roles;
  if (!roles.Add("shouter", &ShouterMain).ok()) return 1;
  if (auto code = bulkhead::MaybeRunHelper(argc, argv, roles)) return *code;

  bulkhead::Host::Options options;
  options.roles = &roles;
  absl::StatusOr<std::unique_ptr<bulkhead::Host>> host =
      bulkhead::Host::Create(options);
  if (!host.ok()) return 1;
  int exit_code = 1;
  (*host)->SetExitHandler([&](const bulkhead::ExitInfo& exit) {
    std::printf("helper %s-%llu ended: %s\n", exit.role.c_str(),
                static_cast<unsigned long long>(exit.helper_id),
                exit.Describe().c_str());
  });
  absl::StatusOr<bulkhead::HelperProcess*> launched = (*host)->Launch(
      "shouter", [&](absl::StatusOr<bulkhead::HelperProcess*> helper) {
        if (!helper.ok()) {
          std::printf("no helper: %s\n", helper.status().ToString().c_str());
          (*host)->Quit();
          return;
        }
        minimal_app::ShoutRequest request;
        request.set_text("hello from bulkhead " BULKHEAD_VERSION_STRING);
        (*helper)->Call<minimal_app::ShoutRequest, minimal_app::ShoutResponse>(
            request, absl::Now() + absl::Seconds(5),
            [&](absl::StatusOr<minimal_app::ShoutResponse> response) {
              if (response.ok()) {
                std::printf("helper answered: %s\n", response->text().c_str());
                exit_code = 0;
              } else {
                std::printf("call failed: %s\n",
                            response.status().ToString().c_str());
              }
              (*host)->Shutdown(absl::Seconds(2), [&] { (*host)->Quit(); });
            });
      });
  if (!launched.ok()) return 1;
  (*host)->Run();
  return exit_code;
}
