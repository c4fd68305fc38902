// A pool of helpers of one role that runs tasks (typed calls) on them: the
// pool launches its helpers, sends each task to the ready helper with the
// fewest calls outstanding, queues the rest (bounded), replaces helpers that
// die, scales between a minimum and a maximum, retries idempotent tasks,
// fails poison ones, and recycles helpers.
//
//   bulkhead::HelperPool::Options options;
//   options.role = "decoder";
//   options.max_helpers = 4;
//   auto pool = bulkhead::HelperPool::Create(*host, options);
//   (*pool)->Submit<DecodeRequest, DecodeResponse>(
//       request, {}, [](absl::StatusOr<DecodeResponse> reply) { ... });
//
// Every task ends exactly once, with one of:
//  - the helper's reply, or the error its handler returned;
//  - DEADLINE_EXCEEDED: its deadline (TaskOptions::deadline, counted from
//    Submit, queueing included) passed first. With Options::kill_on_deadline
//    the helper that was running it is killed at the deadline
//    (HelperProcess::CallOptions::kill_on_deadline: ExitKind::kDeadlineKilled),
//    so that the next task does not queue behind it, and the task ends once
//    that helper has been reaped, its ExitInfo attached. Other tasks that
//    helper held are not blamed for its death (retried when idempotent).
//    A handler that returns DEADLINE_EXCEEDED itself is its own error
//    (ipc::IsHandlerError), not a deadline;
//  - UNAVAILABLE: the helper running it ended (after the retries an
//    idempotent task gets), or the role could not launch a helper;
//  - ABORTED: the task is poison: it has killed Options::poison_kills helpers
//    (see TaskOptions::key);
//  - RESOURCE_EXHAUSTED: the queue was full (WhenFull::kRefuse);
//  - FAILED_PRECONDITION: the role failed (see below);
//  - CANCELLED: the pool shut down (Shutdown) or was destroyed first.
// When a helper's end is the reason (its death, a launch that failed, a failed
// role, a poison task), the status carries that helper's ExitInfo:
// `ExitInfoFromStatus(status)` (host/exit_info_status.h) reads it back.
//
// The input that killed it (opt-in: Options::repro_dir): when a helper dies
// by itself with a task in flight, the pool writes that task's request as a
// repro file (host/repro.h: role, request type and bytes, ExitInfo) in
// `repro_dir`, once per task (a retry or a later submission with the same
// TaskOptions::key that kills again does not write another), at most
// `max_repro_files` files per pool and requests up to
// `max_repro_request_bytes`. A task that then fails carries the file's path in
// its status: `ReproPathFromStatus(status)` below (a retry that succeeds does
// not name it; Stats::repros_written counts it). The file is written on the
// loop thread when the death is heard of (one small synchronous write); a
// write that fails is counted (Stats::repro_write_errors) and the task ends
// as it would without it. Deaths the pool causes (a deadline's kill, a stop)
// write nothing. `ReplayRepro` (host/replay.h) or `browser_host replay FILE`
// feed the file to a fresh helper.
//
// No completion runs inside the call that started it: `Submit` never
// completes its task before it returns (a refusal too runs from the loop,
// later), so a completion may submit the next task without recursing. A
// reply's completion runs from the channel's callback, after the freed helper
// has been given its next task; others from a later turn of the loop. A
// completion may destroy the pool (the completions already decided still
// run, with their own results; the rest end with CANCELLED).
//
// Which tasks are "the same one" for retries and poison: every retry of one
// `Submit` is the same task; tasks submitted with the same non-empty
// TaskOptions::key are the same too, counted in a table of the last
// Options::remembered_keys keys (a key past poison is refused at once). A
// death counts against every task in flight on that helper (one, unless
// calls_per_helper says more), except when the pool itself ended the helper
// (a stop, recycling, another task's deadline, shutdown).
//
// The pool's helpers are its own: launched with LaunchOverrides::restart
// false (the host never restarts them; its restart policy only counts their
// deaths, below), replaced by the pool itself, stopped by Shutdown and killed
// by the destructor. A helper that ends before Ready is a launch failure: when
// no helper of the pool is ready or starting, the queued tasks fail with it
// (UNAVAILABLE, the ExitInfo attached) and so do new ones until the next launch
// is due; launches after failures back off (Options::launch_backoff, doubling
// up to max_launch_backoff), so a role that cannot launch never makes the pool
// spin.
//
// The role's restart policy (Host::Options::default_restart_policy or the
// role's RestartPolicy), when the host has one: every end of a pool's helper
// that the pool did not cause counts against its intensity limit, as the
// host's own restarts do (Host::CountAgainstRestartPolicy; the pool still
// relaunches on its own back-off). A role that fails, by the pool's deaths or
// anyone's, fails the pool: its queued and waiting tasks, and every task
// submitted afterwards, end with FAILED_PRECONDITION naming the role, with
// the ExitInfo of the role's last helper attached; its starting helpers are
// killed and its ready ones finish the tasks they hold and are stopped. It
// launches no more. Use RestartPolicy::ForPerInputDeaths() for a role whose
// helpers die of their input, so that only deaths before Ready count.
//
// Thread: the host's loop thread, like the host (every member and every
// completion). The host must outlive the pool.
#ifndef BULKHEAD_HOST_HELPER_POOL_H_
#define BULKHEAD_HOST_HELPER_POOL_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bulkhead/export.h"
#include "host/helper_process.h"
#include "host/host.h"

namespace bulkhead {

class BULKHEAD_EXPORT HelperPool {
 public:
  struct Options {
    // The role of every helper (Host::CheckRole must accept it).
    std::string role;
    // Helpers kept running even when idle, and the most at once.
    int min_helpers = 1;
    int max_helpers = 4;
    // Tasks one helper runs at once (its handler runs them one after the
    // other on its loop, so more than one only hides the round trip).
    int calls_per_helper = 1;
    // Tasks waiting for a helper, at most; past it Submit refuses or holds
    // the task, per TaskOptions::when_full.
    size_t max_queued = 256;
    // Tasks without a deadline of their own get this one.
    absl::Duration default_deadline = absl::Seconds(30);
    // Kill the helper running a task whose deadline passed
    // (HelperProcess::CallOptions::kill_on_deadline). While a task runs
    // within its deadline its helper is busy, not hung: the heartbeat
    // (LaunchOverrides::heartbeat) does not kill it, however long it takes.
    bool kill_on_deadline = true;
    // A helper idle this long is stopped, while more than min_helpers run.
    absl::Duration idle_timeout = absl::Seconds(30);

    // Retries: an idempotent task whose helper died runs again on another
    // helper, up to `max_attempts` runs in all.
    int max_attempts = 3;
    // A task (the same submission, or the same key) that has been in flight
    // on this many helpers that died is poison: failed with ABORTED and never
    // run again.
    int poison_kills = 2;
    // Keys remembered for poison (the least recently used are forgotten).
    size_t remembered_keys = 1024;

    // Recycling (0 or zero for never): a helper that has run this many
    // tasks, has been ready this long, or whose resident memory passed this
    // many bytes takes no more tasks, finishes those it holds, and is
    // stopped (kStoppedByHost); a new one takes its place as needed. Create
    // refuses recycle_above_resident_bytes (Unimplemented) where the OS does
    // not give a process's memory (common/process_info.h).
    uint64_t recycle_after_tasks = 0;
    absl::Duration recycle_after = absl::ZeroDuration();
    uint64_t recycle_above_resident_bytes = 0;
    // How often idle time, lifetime and resident memory are checked.
    absl::Duration check_interval = absl::Milliseconds(250);

    // The grace of a helper being stopped (HelperProcess::Stop).
    absl::Duration stop_grace = absl::Seconds(2);
    // The wait before launching again after a launch failed, doubling with
    // each failure in a row up to `max_launch_backoff`.
    absl::Duration launch_backoff = absl::Milliseconds(100);
    absl::Duration max_launch_backoff = absl::Seconds(10);
    // How the helpers are launched; `restart` is always false.
    Host::LaunchOverrides launch;

    // Repro files (see above): the directory they are written to, which must
    // exist; empty, the default: none are written.
    std::string repro_dir;
    // The most files this pool writes, and the largest request kept (a
    // larger one is not written, counted in Stats::repro_write_errors).
    size_t max_repro_files = 100;
    size_t max_repro_request_bytes = size_t{1} << 20;
  };

  // What Submit does when the queue is full.
  enum class WhenFull {
    kRefuse,  // The task ends with RESOURCE_EXHAUSTED.
    // The task waits (its deadline running) until there is room; the waiting
    // tasks are the caller's to bound.
    kWait,
  };

  struct TaskOptions {
    // From Submit to the end (queueing included); Options::default_deadline
    // when unset.
    std::optional<absl::Duration> deadline;
    // Safe to run more than once: retried when its helper dies.
    bool idempotent = false;
    // Names the input for poison counting across submissions (e.g. a hash
    // of the file); empty: this submission alone.
    std::string key;
    WhenFull when_full = WhenFull::kRefuse;
  };

  struct Stats {
    int helpers = 0;  // Launched and not yet ended (starting included).
    int ready = 0;    // Taking tasks.
    int busy = 0;     // Ready with at least one task in flight.
    size_t queued = 0;
    size_t waiting = 0;  // Held for room (WhenFull::kWait).
    uint64_t submitted = 0;
    uint64_t succeeded = 0;
    uint64_t failed = 0;  // Every other end, the four below included.
    uint64_t deadline_exceeded = 0;
    uint64_t poisoned = 0;
    uint64_t refused = 0;
    uint64_t retried = 0;  // Runs again after a helper died.
    uint64_t launches = 0;
    uint64_t launch_failures = 0;
    uint64_t helper_deaths = 0;  // Ends the pool did not ask for.
    uint64_t recycled = 0;
    uint64_t scaled_down = 0;
    uint64_t repros_written = 0;
    // Repros not written: over a cap (files or request bytes) or the write
    // failed.
    uint64_t repro_write_errors = 0;
  };

  // Starts Options::min_helpers helpers. InvalidArgument for inconsistent
  // options; the host's error when it refuses the role; FailedPrecondition
  // when the role has failed (Host::role_failed).
  static absl::StatusOr<std::unique_ptr<HelperPool>> Create(Host& host,
                                                            Options options);
  // Every task not yet ended ends now, on this thread, with CANCELLED (its
  // completion must not call the pool); the pool's helpers are killed.
  ~HelperPool();
  HelperPool(const HelperPool&) = delete;
  HelperPool& operator=(const HelperPool&) = delete;

  // Runs `request` on one of the pool's helpers (Serve<Req, Resp> there);
  // `done` runs once, later, on the loop thread (see above for the ends).
  template <typename Req, typename Resp>
  void Submit(const Req& request, TaskOptions options,
              absl::AnyInvocable<void(absl::StatusOr<Resp>)> done) {
    SubmitTask(std::make_unique<TypedTask<Req, Resp>>(request, std::move(done)),
               std::move(options));
  }

  // Stops taking tasks: queued and waiting tasks end with CANCELLED, tasks in
  // flight finish (or end when their helper does), helpers are stopped
  // (killed after `grace`), and `done` runs, later, once every helper of the
  // pool has ended. Submit afterwards: CANCELLED.
  void Shutdown(absl::Duration grace, absl::AnyInvocable<void()> done);

  Stats stats() const;
  const Options& options() const;

  // A task with its request and completion, without their types.
  class Task {
   public:
    virtual ~Task() = default;
    using Reply = std::unique_ptr<google::protobuf::Message>;
    // Calls `helper` with `call` (HelperProcess::Call); `done` runs once with
    // the reply or the error.
    virtual void Start(
        HelperProcess& helper, absl::Time deadline,
        HelperProcess::CallOptions call,
        absl::AnyInvocable<void(absl::StatusOr<Reply>)> done) = 0;
    // Runs the app's completion.
    virtual void Finish(absl::StatusOr<Reply> result) = 0;
    // The request, for a repro file; null when the task cannot give it.
    virtual const google::protobuf::Message* request() const { return nullptr; }

   protected:
    // `helper.Call<Req, Resp>`, its reply handed on without its type.
    template <typename Req, typename Resp>
    static void CallHelper(
        HelperProcess& helper, const Req& request, absl::Time deadline,
        HelperProcess::CallOptions call,
        absl::AnyInvocable<void(absl::StatusOr<Reply>)> done) {
      helper.Call<Req, Resp>(
          request, deadline, call,
          [done = std::move(done)](absl::StatusOr<Resp> reply) mutable {
            if (!reply.ok()) {
              done(reply.status());
              return;
            }
            done(Reply(std::make_unique<Resp>(*std::move(reply))));
          });
    }
  };

 private:
  template <typename Req, typename Resp>
  class TypedTask final : public Task {
   public:
    TypedTask(const Req& request,
              absl::AnyInvocable<void(absl::StatusOr<Resp>)> done)
        : request_(request), done_(std::move(done)) {}
    void Start(HelperProcess& helper, absl::Time deadline,
               HelperProcess::CallOptions call,
               absl::AnyInvocable<void(absl::StatusOr<Reply>)> done) override {
      CallHelper<Req, Resp>(helper, request_, deadline, call, std::move(done));
    }
    void Finish(absl::StatusOr<Reply> result) override {
      if (!result.ok()) {
        done_(result.status());
        return;
      }
      done_(std::move(*static_cast<Resp*>(result->get())));
    }
    const google::protobuf::Message* request() const override {
      return &request_;
    }

   private:
    const Req request_;
    absl::AnyInvocable<void(absl::StatusOr<Resp>)> done_;
  };

  class Core;  // helper_pool.cc.
  explicit HelperPool(std::unique_ptr<Core> core);
  void SubmitTask(std::unique_ptr<Task> task, TaskOptions options);

  std::unique_ptr<Core> core_;
};

// The path of the repro file written for the task that ended with `status`
// (Options::repro_dir), carried as a Status payload under
// kReproPathPayloadUrl; nullopt when none was written.
inline constexpr char kReproPathPayloadUrl[] =
    "type.bulkhead/bulkhead.ReproPath";
BULKHEAD_EXPORT std::optional<std::string> ReproPathFromStatus(
    const absl::Status& status);

}  // namespace bulkhead

#endif  // BULKHEAD_HOST_HELPER_POOL_H_
