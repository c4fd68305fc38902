// A debug-build check that a loop-owned object is used only on its loop's
// thread (STYLE: one thread owns the loop; each class comment names its
// thread; debug builds check it), as Chromium's THREAD_CHECKER.
//
//   class Channel {
//     ...
//     LoopThreadChecker loop_thread_{"ipc::Channel"};
//   };
//   void Channel::Close() {
//     BH_DCHECK_ON_LOOP_THREAD(loop_thread_);
//     ...
//   }
//
// The checker binds to the first thread that checks it, and from then on a
// check on any other thread prints the object, the function and both thread
// ids to stderr and aborts. A loop may pass from one thread to another only
// at a hand-over its owner orders while nothing else touches it (a host's
// `StartThread` and `StopThread`): there the owner calls `Detach()` on its own
// checker and those of the loop-owned objects it holds, and their next checks
// bind anew.
//
// The check runs where `BULKHEAD_DCHECK_IS_ON`: in builds without NDEBUG (the
// debug, asan, tsan and clang presets); the macro is empty in release builds.
// The class has the same layout either way, so that an app built with NDEBUG
// and the library without it (or the reverse) agree on the classes that hold
// one; only the library's own .cc files use the macro. Thread-safe.
#ifndef BULKHEAD_COMMON_LOOP_THREAD_CHECKER_H_
#define BULKHEAD_COMMON_LOOP_THREAD_CHECKER_H_

#include <atomic>
#include <thread>

#include "bulkhead/export.h"

#if defined(NDEBUG)
#define BULKHEAD_DCHECK_IS_ON 0
#else
#define BULKHEAD_DCHECK_IS_ON 1
#endif

namespace bulkhead {

class BULKHEAD_EXPORT LoopThreadChecker {
 public:
  // `owner` names the object in the message, e.g. "ipc::Channel" (a string
  // literal: not copied).
  explicit LoopThreadChecker(const char* owner) : owner_(owner) {}
  LoopThreadChecker(const LoopThreadChecker&) = delete;
  LoopThreadChecker& operator=(const LoopThreadChecker&) = delete;

  // Binds to the calling thread when unbound; otherwise aborts unless called
  // on the bound thread. `function` names the entry point in the message. Use
  // BH_DCHECK_ON_LOOP_THREAD, which is empty in release builds.
  void Check(const char* function) const;
  // The loop changes threads: the next `Check` binds anew.
  void Detach() { thread_.store(std::thread::id(), std::memory_order_relaxed); }

 private:
  const char* const owner_;
  mutable std::atomic<std::thread::id> thread_{};
};

}  // namespace bulkhead

#if BULKHEAD_DCHECK_IS_ON
#define BH_DCHECK_ON_LOOP_THREAD(checker) (checker).Check(__func__)
#else
#define BH_DCHECK_ON_LOOP_THREAD(checker) \
  do {                                    \
  } while (0)
#endif

#endif  // BULKHEAD_COMMON_LOOP_THREAD_CHECKER_H_
