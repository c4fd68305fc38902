#include "ipc/deferred_tasks.h"

#include <uv.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "ipc/uv_loop.h"

namespace bulkhead::ipc {
namespace {

class DeferredTasksTest : public ::testing::Test {
 protected:
  DeferredTasksTest() {
    uv_loop_init(&loop_);
    tasks_ = std::make_unique<DeferredTasks>(&loop_);
  }
  ~DeferredTasksTest() override {
    tasks_.reset();
    EXPECT_TRUE(DrainAndCloseLoop(&loop_).ok());
  }
  // One turn of the loop; never blocks while tasks wait (the idle handle).
  void Turn() { uv_run(&loop_, UV_RUN_NOWAIT); }

  uv_loop_t loop_;
  std::unique_ptr<DeferredTasks> tasks_;
};

TEST_F(DeferredTasksTest, ATaskRunsOnALaterTurnNeverInsidePost) {
  std::vector<absl::Status> runs;
  tasks_->Post([&](absl::Status run) { runs.push_back(run); });
  EXPECT_TRUE(runs.empty());
  Turn();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_TRUE(runs[0].ok());
  EXPECT_EQ(tasks_->size(), 0u);
}

TEST_F(DeferredTasksTest, TasksPostedByATaskRunOnTheNextTurnInOrder) {
  std::string order;
  tasks_->Post([&](absl::Status) {
    order += "a";
    tasks_->Post([&](absl::Status) { order += "c"; });
  });
  tasks_->Post([&](absl::Status) { order += "b"; });
  Turn();
  EXPECT_EQ(order, "ab");
  Turn();
  EXPECT_EQ(order, "abc");
}

TEST_F(DeferredTasksTest, PostCompletionGivesTheStatusOrCancelled) {
  std::vector<absl::StatusOr<int>> results;
  tasks_->PostCompletion(
      [&](absl::StatusOr<int> result) { results.push_back(result); },
      absl::UnavailableError("not ready"));
  Turn();
  tasks_->PostCompletion(
      [&](absl::StatusOr<int> result) { results.push_back(result); },
      absl::UnavailableError("not ready"));
  tasks_.reset();
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(results[1].status().code(), absl::StatusCode::kCancelled);
}

TEST_F(DeferredTasksTest, ATaskMayDestroyItsOwnerTheRestAreCancelled) {
  std::vector<absl::StatusCode> codes;
  tasks_->Post([&](absl::Status run) {
    codes.push_back(run.code());
    tasks_.reset();
  });
  tasks_->Post([&](absl::Status run) { codes.push_back(run.code()); });
  Turn();
  EXPECT_EQ(codes, (std::vector<absl::StatusCode>{
                       absl::StatusCode::kOk, absl::StatusCode::kCancelled}));
}

}  // namespace
}  // namespace bulkhead::ipc
