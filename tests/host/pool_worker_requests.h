// Requests for the `pool-worker` test role (tests/support/test_roles.cc) and
// the pid its answers end with, shared by the pool and one-shot tests.
#ifndef BULKHEAD_TESTS_HOST_POOL_WORKER_REQUESTS_H_
#define BULKHEAD_TESTS_HOST_POOL_WORKER_REQUESTS_H_

#include <cstdint>
#include <string>

#include "absl/strings/numbers.h"
#include "sample_roles/work.pb.h"

namespace bulkhead::testing {

inline roles::LayoutTextRequest PoolWorkerRequest(const std::string& text) {
  roles::LayoutTextRequest request;
  request.set_text(text);
  return request;
}

// The pid a pool-worker's answer ends with; -1 when it has none.
inline int64_t PoolWorkerPid(const roles::LayoutTextResponse& response) {
  int64_t pid = 0;
  if (response.lines_size() == 0 ||
      !absl::SimpleAtoi(response.lines(response.lines_size() - 1), &pid)) {
    return -1;
  }
  return pid;
}

}  // namespace bulkhead::testing

#endif  // BULKHEAD_TESTS_HOST_POOL_WORKER_REQUESTS_H_
