// image_filter: an image service on a pool of sandboxed helpers. The app
// makes a directory of PGM images (some poisoned: truncated files whose header
// lies about their height), and sends every file in it to a HelperPool of
// `filter` helpers, which invert or blur them. The helper's decoder writes
// through a null row pointer on a poisoned file and crashes; the pool retries
// that input once on a fresh helper, then fails it as poison with the
// helper's ExitInfo and keeps the input as a repro file. Every image is
// answered. At the end the app replays one repro in a fresh helper, as
// `browser_host replay FILE` would, to show that it still kills. The whole run
// is traced (bulkhead::HostTrace): every helper's life and every task, in
// DIR/trace.json, which ui.perfetto.dev and chrome://tracing open.
//
//   image_filter [DIR]   DIR: where to make the inputs (default: a new
//                        directory under /tmp); repros go to DIR/repros.
//
// The same binary is host and helper: MaybeRunHelper takes the helper path
// when the host started this program with --type=filter.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "bulkhead/helper.h"
#include "bulkhead/host.h"
#include "image.pb.h"
#include "pgm.h"

namespace {

namespace fs = std::filesystem;
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

// The inputs: <name>-<filter>.pgm, the filter named in the file.
bool MakeInputs(const fs::path& dir) {
  using image_filter::MakePgm;
  const std::map<std::string, std::string> files = {
      {"checkerboard-blur.pgm",
       MakePgm(64, 48,
               [](int x, int y) { return ((x / 8 + y / 8) % 2) * 255; })},
      {"gradient-invert.pgm",
       MakePgm(64, 48, [](int x, int) { return x * 4; })},
      {"noise-blur.pgm", MakePgm(48, 48,
                                 [](int x, int y) {
                                   return static_cast<uint8_t>(
                                       (x * 7919 + y * 104729) % 251);
                                 })},
      {"poisoned-invert.pgm", image_filter::MakeTruncatedPgm(64, 48, 10)},
      {"stripes-invert.pgm",
       MakePgm(32, 32, [](int, int y) { return (y % 4 < 2) ? 200 : 20; })},
      {"truncated-blur.pgm", image_filter::MakeTruncatedPgm(40, 40, 3)},
      {"wave-blur.pgm",
       MakePgm(64, 64, [](int x, int y) { return (x * y) % 256; })},
  };
  for (const auto& [name, bytes] : files) {
    std::ofstream out(dir / name, std::ios::binary);
    out << bytes;
    if (!out) return false;
  }
  return true;
}

std::optional<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)),
                    std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) return std::nullopt;
  return bytes;
}

// Where it crashed: the crashed helper's stack as the host symbolised it,
// from the first frame in the app's own code (the ones before are Bulkhead's
// crash handler and the C library's signal trampoline).
void PrintStack(const bulkhead::ExitInfo& exit) {
  int shown = 0;
  for (const std::string& frame : exit.stack_trace) {
    if (shown == 0 &&
        (frame.find(" bulkhead::") != std::string::npos ||
         frame.find("outside the executable") != std::string::npos)) {
      continue;
    }
    std::printf("      %s\n", frame.c_str());
    if (++shown == 2) break;
  }
}

struct Image {
  std::string file;
  std::string filter;
  std::string pgm;
  std::optional<absl::StatusOr<FilterImageResponse>> result;
};

// Sends every image to the pool, prints the results in the files' order once
// all are answered, then replays the first repro. Runs on the host's loop.
class FilterApp {
 public:
  // `trace` (not owned) must outlive this.
  FilterApp(bulkhead::Host& host, bulkhead::HostTrace& trace,
            std::vector<Image> images, fs::path repro_dir)
      : host_(host),
        trace_(trace),
        images_(std::move(images)),
        repro_dir_(repro_dir) {}

  bool Start() {
    bulkhead::HelperPool::Options options;
    options.role = "filter";
    options.min_helpers = 1;
    options.max_helpers = 2;
    // A poisoned file gets a second chance on a fresh helper (it might have
    // been the helper's fault); the second death makes it poison.
    options.max_attempts = 2;
    options.poison_kills = 2;
    // Keep the input that killed a helper: one repro file per input.
    options.repro_dir = repro_dir_.string();
    absl::StatusOr<std::unique_ptr<bulkhead::HelperPool>> pool =
        bulkhead::HelperPool::Create(host_, options);
    if (!pool.ok()) {
      std::printf("no pool: %s\n", pool.status().ToString().c_str());
      return false;
    }
    pool_ = *std::move(pool);
    for (Image& image : images_) {
      FilterImageRequest request;
      request.set_name(image.file);
      request.set_filter(image.filter);
      request.set_pgm(image.pgm);
      bulkhead::HelperPool::TaskOptions task;
      task.idempotent = true;  // Filtering twice does no harm.
      task.key = image.file;   // The same file is the same input.
      task.deadline = absl::Seconds(10);
      // Traced from submission to answer, with its status.
      pool_->Submit<FilterImageRequest, FilterImageResponse>(
          request, task,
          trace_.TraceTask<FilterImageResponse>(
              image.file,
              [this, &image](absl::StatusOr<FilterImageResponse> result) {
                image.result = std::move(result);
                if (++answered_ == images_.size()) Report();
              }));
    }
    return true;
  }

  int exit_code() const { return ok_ ? 0 : 1; }

 private:
  void Report() {
    int filtered = 0;
    int poison = 0;
    std::optional<std::string> first_repro;
    for (const Image& image : images_) {
      const absl::StatusOr<FilterImageResponse>& result = *image.result;
      if (result.ok()) {
        ++filtered;
        std::printf("  %-22s %-6s %dx%d  mean %6.2f -> %6.2f\n",
                    image.file.c_str(), image.filter.c_str(),
                    image_filter::PgmWidth(result->pgm()),
                    image_filter::PgmHeight(result->pgm()),
                    image_filter::MeanPixel(image.pgm),
                    image_filter::MeanPixel(result->pgm()));
        continue;
      }
      const bool is_poison = absl::IsAborted(result.status());
      if (is_poison) ++poison;
      std::printf("  %-22s %-6s FAILED: %s: %s\n", image.file.c_str(),
                  image.filter.c_str(),
                  absl::StatusCodeToString(result.status().code()).c_str(),
                  std::string(result.status().message()).c_str());
      // Why: the ExitInfo of the helper it killed last.
      if (std::optional<bulkhead::ExitInfo> exit =
              bulkhead::ExitInfoFromStatus(result.status())) {
        std::printf("      helper %s-%llu (pid %lld) %s\n", exit->role.c_str(),
                    static_cast<unsigned long long>(exit->helper_id),
                    static_cast<long long>(exit->pid),
                    exit->Describe().c_str());
        PrintStack(*exit);
      }
      // The input, kept for whoever debugs the decoder.
      if (std::optional<std::string> repro =
              bulkhead::ReproPathFromStatus(result.status())) {
        std::printf("      repro: %s\n", repro->c_str());
        if (!first_repro) first_repro = *repro;
      }
    }
    const bulkhead::HelperPool::Stats stats = pool_->stats();
    std::printf(
        "%zu images: %d filtered, %d poison, 0 lost; %llu helpers died, "
        "%llu repro files\n",
        images_.size(), filtered, poison,
        static_cast<unsigned long long>(stats.helper_deaths),
        static_cast<unsigned long long>(stats.repros_written));
    ok_ = filtered == 5 && poison == 2 && first_repro.has_value();
    pool_->Shutdown(absl::Seconds(2), [this, first_repro] {
      if (first_repro) {
        Replay(*first_repro);
      } else {
        host_.Quit();
      }
    });
  }

  // What `browser_host replay FILE` does, through the API: the input, fed to
  // a fresh (sandboxed) helper of its role.
  void Replay(const std::string& path) {
    absl::StatusOr<bulkhead::Repro> repro = bulkhead::ReadRepro(path);
    if (!repro.ok()) {
      std::printf("cannot read %s: %s\n", path.c_str(),
                  repro.status().ToString().c_str());
      ok_ = false;
      host_.Quit();
      return;
    }
    std::printf("replaying %s (%s, %zu bytes)\n",
                fs::path(path).filename().c_str(), repro->request_type.c_str(),
                repro->request.size());
    bulkhead::ReplayRepro(
        host_, *repro, {},
        [this,
         repro = *repro](absl::StatusOr<bulkhead::ReplayOutcome> outcome) {
          if (!outcome.ok()) {
            std::printf("  replay failed: %s\n",
                        outcome.status().ToString().c_str());
            ok_ = false;
          } else {
            const bool again = bulkhead::ReproducesDeath(repro, *outcome);
            std::printf(
                "  the fresh helper %s: %s\n", outcome->exit.Describe().c_str(),
                again ? "the same death, reproduced" : "NOT reproduced");
            ok_ = ok_ && again;
          }
          host_.Shutdown(absl::Seconds(2), [this] { host_.Quit(); });
        });
  }

  bulkhead::Host& host_;
  bulkhead::HostTrace& trace_;
  std::vector<Image> images_;
  fs::path repro_dir_;
  std::unique_ptr<bulkhead::HelperPool> pool_;
  size_t answered_ = 0;
  bool ok_ = false;
};

}  // namespace

int main(int argc, char** argv) {
  bulkhead::RoleRegistry roles;
  if (!roles.Add("filter", &FilterMain).ok()) return 1;
  if (auto code = bulkhead::MaybeRunHelper(argc, argv, roles)) return *code;

  fs::path dir;
  if (argc > 1) {
    dir = argv[1];
  } else {
    char name[] = "/tmp/image_filter.XXXXXX";
    if (mkdtemp(name) == nullptr) return 1;
    dir = name;
  }
  std::error_code error;
  fs::create_directories(dir / "repros", error);
  if (error || !MakeInputs(dir)) {
    std::printf("cannot make the inputs in %s\n", dir.c_str());
    return 1;
  }
  std::vector<Image> images;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".pgm") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& file : files) {
    std::optional<std::string> bytes = ReadFile(file);
    if (!bytes) return 1;
    // <name>-<filter>.pgm
    const std::string stem = file.stem().string();
    images.push_back(
        {file.filename().string(), stem.substr(stem.rfind('-') + 1), *bytes});
  }
  std::printf("%zu images in %s\n", images.size(), dir.c_str());

  bulkhead::Host::Options options;
  options.roles = &roles;
  // The helper's crash report carries its stderr; keep the app's output
  // to what it prints itself.
  options.forward_helper_output = false;
  // The trace's events, kept in memory until the end: at most 100,000 (a
  // run makes a few hundred), the rest dropped and counted in the file.
  bulkhead::TraceRecorder recorder({.max_events = 100'000});
  absl::StatusOr<std::unique_ptr<bulkhead::Host>> host =
      bulkhead::Host::Create(options);
  if (!host.ok()) return 1;
  int exit_code = 1;
  {
    bulkhead::HostTrace trace(**host, recorder, "image_filter");
    (*host)->SetLifecycleHandler(trace.LifecycleHandler());
    FilterApp app(**host, trace, std::move(images), dir / "repros");
    if (app.Start()) {
      (*host)->Run();
      exit_code = app.exit_code();
    }
    // The handler borrows `trace`, which ends here.
    (*host)->SetLifecycleHandler(nullptr);
  }
  const fs::path trace_path = dir / "trace.json";
  if (absl::Status written = recorder.WriteFile(trace_path.string());
      !written.ok()) {
    std::printf("%s\n", written.ToString().c_str());
    return 1;
  }
  std::printf("trace: %s (open it in ui.perfetto.dev)\n", trace_path.c_str());
  std::printf("done\n");
  return exit_code;
}
