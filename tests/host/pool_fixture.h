// A Host (HostFixture) with HelperPools (or OneShotRunners) of the
// `pool-worker` test role (tests/support/test_roles.cc): the pool's options,
// its creation, and tasks whose results are kept by number, shared by the
// pool and one-shot tests.
#ifndef BULKHEAD_TESTS_HOST_POOL_FIXTURE_H_
#define BULKHEAD_TESTS_HOST_POOL_FIXTURE_H_

#include <map>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "host/helper_pool.h"
#include "sample_roles/work.pb.h"
#include "tests/host/host_fixture.h"
#include "tests/host/pool_worker_requests.h"

namespace bulkhead::testing {

class PoolFixture : public HostFixture {
 protected:
  using Result = absl::StatusOr<roles::LayoutTextResponse>;

  // Unsandboxed by default (forked from the zygote: fast, and pids are the
  // host's); tests that want the sandbox say so.
  HelperPool::Options PoolOptions() {
    HelperPool::Options options;
    options.role = "pool-worker";
    options.launch.sandboxed = false;
    options.check_interval = absl::Milliseconds(20);
    return options;
  }

  // `T::Create(*host_, options)` (a HelperPool, a OneShotRunner); null, with
  // a test failure, when it fails.
  template <typename T, typename Options>
  std::unique_ptr<T> Make(Options options) {
    absl::StatusOr<std::unique_ptr<T>> made =
        T::Create(*host_, std::move(options));
    EXPECT_TRUE(made.ok()) << made.status();
    return made.ok() ? *std::move(made) : nullptr;
  }

  std::unique_ptr<HelperPool> MakePool(HelperPool::Options options) {
    return Make<HelperPool>(std::move(options));
  }

  // Submits `text`; the result lands in `results_[id]`, and a second
  // completion of the same task is counted in `doubled_`.
  void Submit(HelperPool& pool, int id, const std::string& text,
              HelperPool::TaskOptions options = {}) {
    pool.Submit<roles::LayoutTextRequest, roles::LayoutTextResponse>(
        PoolWorkerRequest(text), std::move(options), [this, id](Result result) {
          if (results_.count(id) != 0) ++doubled_;
          results_.emplace(id, std::move(result));
        });
  }

  // Runs the loop until `count` tasks have ended (30 s at most).
  bool AllDone(size_t count) {
    return RunUntil([&] { return results_.size() >= count; },
                    absl::Seconds(30));
  }

  std::map<int, Result> results_;
  int doubled_ = 0;
};

}  // namespace bulkhead::testing

#endif  // BULKHEAD_TESTS_HOST_POOL_FIXTURE_H_
