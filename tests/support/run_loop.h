// Runs a libuv loop until a condition holds, for tests that own their loop.
#ifndef BULKHEAD_TESTS_SUPPORT_RUN_LOOP_H_
#define BULKHEAD_TESTS_SUPPORT_RUN_LOOP_H_

#include <uv.h>

#include <functional>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace bulkhead::testing {

// Runs `loop` until `done()` or `timeout`; returns `done()`. A 5 ms timer
// wakes the loop to look again, and is closed (its close callback run)
// before this returns: it lives on this function's stack.
inline bool RunLoopUntil(uv_loop_t* loop, const std::function<bool()>& done,
                         absl::Duration timeout = absl::Seconds(5)) {
  const absl::Time deadline = absl::Now() + timeout;
  uv_timer_t wake;
  uv_timer_init(loop, &wake);
  uv_timer_start(
      &wake, [](uv_timer_t*) {}, 5, 5);
  while (!done() && absl::Now() < deadline) uv_run(loop, UV_RUN_ONCE);
  uv_close(reinterpret_cast<uv_handle_t*>(&wake), nullptr);
  uv_run(loop, UV_RUN_NOWAIT);
  return done();
}

}  // namespace bulkhead::testing

#endif  // BULKHEAD_TESTS_SUPPORT_RUN_LOOP_H_
