// HelperPool's repro files (Options::repro_dir) on real helpers of the
// `pool-worker` test role: a poison input leaves a file that ReadRepro reads
// and ReplayRepro replays to the same death; one file per input; the caps.
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "host/exit_info_status.h"
#include "host/helper_pool.h"
#include "host/replay.h"
#include "host/repro.h"
#include "sample_roles/work.pb.h"
#include "tests/host/pool_fixture.h"

namespace bulkhead::testing {
namespace {

namespace fs = std::filesystem;
using roles::LayoutTextRequest;
using roles::LayoutTextResponse;

class HelperPoolReproTest : public PoolFixture {
 protected:
  void SetUp() override {
    PoolFixture::SetUp();
    dir_ = fs::path(::testing::TempDir()) /
           absl::StrCat(
               "pool_repro_", getpid(), "_",
               ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    PoolFixture::TearDown();
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  HelperPool::Options PoolOptions() {
    HelperPool::Options options = PoolFixture::PoolOptions();
    options.max_helpers = 1;
    options.repro_dir = dir_.string();
    return options;
  }

  int FilesInDir() const {
    int files = 0;
    for (const auto& entry : fs::directory_iterator(dir_)) {
      (void)entry;
      ++files;
    }
    return files;
  }

  fs::path dir_;
};

TEST_F(HelperPoolReproTest, APoisonTaskLeavesAReproThatReplaysToTheSameDeath) {
  std::unique_ptr<HelperPool> pool = MakePool(PoolOptions());
  ASSERT_NE(pool, nullptr);
  Submit(*pool, 0, "echo:fine");
  Submit(*pool, 1, "crash");
  Submit(*pool, 2, "refuse");
  ASSERT_TRUE(AllDone(3));

  // Neither an answer nor the handler's error leaves a repro.
  ASSERT_TRUE(results_.at(0).ok()) << results_.at(0).status();
  EXPECT_FALSE(ReproPathFromStatus(results_.at(2).status()).has_value());

  const absl::Status status = results_.at(1).status();
  ASSERT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  std::optional<ExitInfo> died = ExitInfoFromStatus(status);
  ASSERT_TRUE(died.has_value());
  ASSERT_EQ(died->kind, ExitKind::kCrashed) << died->Describe();
  std::optional<std::string> path = ReproPathFromStatus(status);
  ASSERT_TRUE(path.has_value()) << status;
  EXPECT_EQ(fs::path(*path).parent_path(), dir_);
  EXPECT_EQ(FilesInDir(), 1);
  EXPECT_EQ(pool->stats().repros_written, 1u);
  EXPECT_EQ(pool->stats().repro_write_errors, 0u);

  absl::StatusOr<Repro> repro = ReadRepro(*path);
  ASSERT_TRUE(repro.ok()) << repro.status();
  EXPECT_EQ(repro->role, "pool-worker");
  EXPECT_EQ(repro->request_type, "bulkhead.roles.LayoutTextRequest");
  LayoutTextRequest request;
  ASSERT_TRUE(request.ParseFromString(repro->request));
  EXPECT_EQ(request.text(), "crash");
  EXPECT_EQ(repro->exit.kind, ExitKind::kCrashed);
  EXPECT_EQ(repro->exit.signal, SIGABRT);
  EXPECT_EQ(repro->exit.pid, died->pid);

  // Fed to a fresh helper, sandboxed as the role's own would be where the
  // machine allows it, the input kills it the same way.
  ReplayOptions replay;
  replay.sandboxed = SandboxedLaunchAvailable();
  std::optional<absl::StatusOr<ReplayOutcome>> outcome;
  ReplayRepro(*host_, *repro, std::move(replay),
              [&](absl::StatusOr<ReplayOutcome> result) {
                outcome = std::move(result);
              });
  ASSERT_TRUE(RunUntil([&] { return outcome.has_value(); }, absl::Seconds(30)));
  ASSERT_TRUE(outcome->ok()) << outcome->status();
  EXPECT_TRUE((*outcome)->died_in_flight);
  EXPECT_EQ((*outcome)->exit.kind, ExitKind::kCrashed)
      << (*outcome)->exit.Describe();
  EXPECT_EQ((*outcome)->exit.signal, SIGABRT);
  EXPECT_NE((*outcome)->exit.pid, died->pid);
  EXPECT_TRUE(ReproducesDeath(*repro, **outcome));
}

TEST_F(HelperPoolReproTest, OneFilePerInputAcrossRetriesAndKeys) {
  HelperPool::Options options = PoolOptions();
  options.max_attempts = 5;
  options.poison_kills = 2;
  std::unique_ptr<HelperPool> pool = MakePool(options);
  ASSERT_NE(pool, nullptr);
  // Retried once, then poison: two deaths, one file.
  HelperPool::TaskOptions retried;
  retried.idempotent = true;
  Submit(*pool, 0, "crash", retried);
  ASSERT_TRUE(AllDone(1));
  ASSERT_EQ(results_.at(0).status().code(), absl::StatusCode::kAborted);
  std::optional<std::string> first =
      ReproPathFromStatus(results_.at(0).status());
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(pool->stats().helper_deaths, 2u);
  EXPECT_EQ(FilesInDir(), 1);

  // Submissions with one key: the first writes, the second (poison) and the
  // refused third carry the same file.
  HelperPool::TaskOptions keyed;
  keyed.key = "input-7";
  for (int i = 1; i <= 3; ++i) {
    Submit(*pool, i, "crash", keyed);
    ASSERT_TRUE(AllDone(i + 1));
  }
  std::optional<std::string> keyed_path =
      ReproPathFromStatus(results_.at(1).status());
  ASSERT_TRUE(keyed_path.has_value()) << results_.at(1).status();
  EXPECT_NE(*keyed_path, *first);
  EXPECT_EQ(results_.at(2).status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(results_.at(3).status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(ReproPathFromStatus(results_.at(2).status()), keyed_path);
  EXPECT_EQ(ReproPathFromStatus(results_.at(3).status()), keyed_path);
  EXPECT_EQ(FilesInDir(), 2);
  EXPECT_EQ(pool->stats().repros_written, 2u);
}

TEST_F(HelperPoolReproTest, BoundedByFilesAndRequestSizeAndOffByDefault) {
  HelperPool::Options options = PoolOptions();
  options.max_repro_files = 1;
  options.max_repro_request_bytes = 64;
  std::unique_ptr<HelperPool> pool = MakePool(options);
  ASSERT_NE(pool, nullptr);
  // "crash" is followed by nothing the worker reads, so a long request is
  // still poison: over the request cap, nothing is kept.
  Submit(*pool, 0, "crash:" + std::string(200, 'x'));
  ASSERT_TRUE(AllDone(1));
  EXPECT_TRUE(ExitInfoFromStatus(results_.at(0).status()).has_value());
  EXPECT_FALSE(ReproPathFromStatus(results_.at(0).status()).has_value());
  Submit(*pool, 1, "crash");
  ASSERT_TRUE(AllDone(2));
  EXPECT_TRUE(ReproPathFromStatus(results_.at(1).status()).has_value());
  // Past the file cap.
  Submit(*pool, 2, "crash");
  ASSERT_TRUE(AllDone(3));
  EXPECT_TRUE(ExitInfoFromStatus(results_.at(2).status()).has_value());
  EXPECT_FALSE(ReproPathFromStatus(results_.at(2).status()).has_value());
  EXPECT_EQ(FilesInDir(), 1);
  EXPECT_EQ(pool->stats().repros_written, 1u);
  EXPECT_EQ(pool->stats().repro_write_errors, 2u);

  // Without a repro_dir nothing is written.
  HelperPool::Options off = PoolOptions();
  off.repro_dir.clear();
  std::unique_ptr<HelperPool> quiet = MakePool(off);
  ASSERT_NE(quiet, nullptr);
  Submit(*quiet, 3, "crash");
  ASSERT_TRUE(AllDone(4));
  EXPECT_FALSE(ReproPathFromStatus(results_.at(3).status()).has_value());
  EXPECT_EQ(quiet->stats().repros_written, 0u);
  EXPECT_EQ(FilesInDir(), 1);
}

TEST_F(HelperPoolReproTest, AMissingDirectoryIsCountedAndTheTaskStillEnds) {
  HelperPool::Options options = PoolOptions();
  options.repro_dir = (dir_ / "missing").string();
  std::unique_ptr<HelperPool> pool = MakePool(options);
  ASSERT_NE(pool, nullptr);
  Submit(*pool, 0, "crash");
  ASSERT_TRUE(AllDone(1));
  EXPECT_EQ(results_.at(0).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(ReproPathFromStatus(results_.at(0).status()).has_value());
  EXPECT_EQ(pool->stats().repro_write_errors, 1u);
}

}  // namespace
}  // namespace bulkhead::testing
