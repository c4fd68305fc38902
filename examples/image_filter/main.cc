// image_filter: a host that sends images to a `filter` helper and gets them
// back transformed. One input is poisoned (a truncated PGM whose header lies
// about its height): the helper's decoder writes through a null row pointer and
// the helper crashes. The host gets the ExitInfo, launches a new helper and
// finishes the rest of the images.
//
// The same binary is host and helper: MaybeRunHelper takes the helper path
// when the host started this program with --type=filter.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "bulkhead/helper.h"
#include "bulkhead/host.h"
#include "image.pb.h"
#include "pgm.h"

namespace {

using image_filter::FilterImageRequest;
using image_filter::FilterImageResponse;

// The helper side: filters each image it is sent.
int FilterMain(bulkhead::HelperContext& context) {
  context.channel().Serve<FilterImageRequest, FilterImageResponse>(
      [](const FilterImageRequest& request)
          -> absl::StatusOr<FilterImageResponse> {
        FilterImageResponse response;
        std::string pgm = request.pgm();
        if (!image_filter::ApplyFilter(request.filter(), pgm)) {
          return absl::InvalidArgumentError(
              "not a P5 image, or no such filter");
        }
        response.set_pgm(std::move(pgm));
        return response;
      });
  return context.Run();
}

struct Job {
  std::string name;
  std::string filter;
  std::string pgm;
};

std::vector<Job> MakeJobs() {
  using image_filter::MakePgm;
  return {
      {"gradient", "invert", MakePgm(64, 48, [](int x, int) { return x * 4; })},
      {"checkerboard", "blur",
       MakePgm(64, 48,
               [](int x, int y) { return ((x / 8 + y / 8) % 2) * 255; })},
      {"poisoned", "invert", image_filter::MakeTruncatedPgm(64, 48, 10)},
      {"stripes", "invert",
       MakePgm(32, 32, [](int, int y) { return (y % 4 < 2) ? 200 : 20; })},
      {"noise", "blur",
       MakePgm(48, 48,
               [](int x, int y) {
                 return static_cast<uint8_t>((x * 7919 + y * 104729) % 251);
               })},
  };
}

// Sends the jobs one at a time to the current helper, relaunching it when it
// ends while work is left. Runs on the host's loop thread.
class FilterApp {
 public:
  explicit FilterApp(bulkhead::Host& host) : host_(host), jobs_(MakeJobs()) {
    host_.SetExitHandler(
        [this](const bulkhead::ExitInfo& exit) { OnExit(exit); });
  }

  void Start() { LaunchHelper(); }
  int exit_code() const { return failures_ == 1 ? 0 : 1; }

 private:
  void LaunchHelper() {
    absl::StatusOr<bulkhead::HelperProcess*> launched = host_.Launch(
        "filter", [this](absl::StatusOr<bulkhead::HelperProcess*> helper) {
          if (!helper.ok()) return;  // Its ExitInfo says why.
          std::printf("helper %s is ready\n", (*helper)->name().c_str());
          helper_ = *helper;
          SendNext();
        });
    if (!launched.ok()) {
      std::printf("cannot launch: %s\n", launched.status().ToString().c_str());
      host_.Quit();
    }
  }

  void SendNext() {
    if (next_ == jobs_.size()) {
      host_.Shutdown(absl::Seconds(2), [this] { host_.Quit(); });
      return;
    }
    const Job& job = jobs_[next_];
    FilterImageRequest request;
    request.set_name(job.name);
    request.set_filter(job.filter);
    request.set_pgm(job.pgm);
    helper_->Call<FilterImageRequest, FilterImageResponse>(
        request, absl::Now() + absl::Seconds(5),
        [this](absl::StatusOr<FilterImageResponse> response) {
          const Job& job = jobs_[next_++];
          if (!response.ok()) {
            // The helper died with the call in flight; OnExit relaunches it.
            ++failures_;
            std::printf("  %-12s %-6s FAILED: %s\n", job.name.c_str(),
                        job.filter.c_str(),
                        response.status().ToString().c_str());
            helper_ = nullptr;
            return;
          }
          std::printf("  %-12s %-6s %dx%d  mean %6.2f -> %6.2f\n",
                      job.name.c_str(), job.filter.c_str(),
                      image_filter::PgmWidth(response->pgm()),
                      image_filter::PgmHeight(response->pgm()),
                      image_filter::MeanPixel(job.pgm),
                      image_filter::MeanPixel(response->pgm()));
          SendNext();
        });
  }

  void OnExit(const bulkhead::ExitInfo& exit) {
    std::printf("helper %s-%llu ended: %s\n", exit.role.c_str(),
                static_cast<unsigned long long>(exit.helper_id),
                exit.Describe().c_str());
    // Where it crashed: the crashed helper's stack as the host symbolised it,
    // from the first frame in the app's own code (the ones before are
    // Bulkhead's crash handler and the C library's signal trampoline).
    int shown = 0;
    for (const std::string& frame : exit.stack_trace) {
      if (shown == 0 &&
          (frame.find(" bulkhead::") != std::string::npos ||
           frame.find("outside the executable") != std::string::npos)) {
        continue;
      }
      std::printf("    %s\n", frame.c_str());
      if (++shown == 2) break;
    }
    if (exit.kind != bulkhead::ExitKind::kHostShutdown &&
        next_ < jobs_.size()) {
      std::printf("relaunching for the %zu image(s) left\n",
                  jobs_.size() - next_);
      LaunchHelper();
    }
  }

  bulkhead::Host& host_;
  std::vector<Job> jobs_;
  size_t next_ = 0;
  bulkhead::HelperProcess* helper_ = nullptr;  // Owned by the host.
  int failures_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  bulkhead::RoleRegistry roles;
  if (!roles.Add("filter", &FilterMain).ok()) return 1;
  if (auto code = bulkhead::MaybeRunHelper(argc, argv, roles)) return *code;

  bulkhead::Host::Options options;
  options.roles = &roles;
  // The helper's crash report carries its stderr; keep the app's output
  // to what it prints itself.
  options.forward_helper_output = false;
  absl::StatusOr<std::unique_ptr<bulkhead::Host>> host =
      bulkhead::Host::Create(options);
  if (!host.ok()) return 1;
  FilterApp app(**host);
  app.Start();
  (*host)->Run();
  std::printf("done\n");
  return app.exit_code();
}
