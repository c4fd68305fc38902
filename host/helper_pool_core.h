// HelperPool's insides (host/helper_pool.h), shared by the files that
// implement it, one concern each:
//  - helper_pool.cc: tasks (submission, the queue and its deadlines, runs and
//    their ends, the pump that runs completions), shutdown, the public class;
//  - helper_pool_workers.cc: the pool's helpers (dispatch, launching and
//    scaling, launch failures and back-off, a failed role, recycling);
//  - helper_pool_retry.cc: what a helper's death means for the tasks it held
//    (retries, poison and its key table, repro files).
// Internal: included by those files only, never installed.
#ifndef BULKHEAD_HOST_HELPER_POOL_CORE_H_
#define BULKHEAD_HOST_HELPER_POOL_CORE_H_

#include <uv.h>

#include <cstdint>
#include <deque>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/loop_thread_checker.h"
#include "host/exit_info.h"
#include "host/helper_pool.h"
#include "host/helper_process.h"
#include "host/host.h"
#include "ipc/uv_handle.h"

namespace bulkhead {

class HelperPool::Core {
 public:
  Core(Host& host, Options options);
  ~Core();

  void StartMinimum();
  void Submit(std::unique_ptr<Task> task, TaskOptions options);
  void Shutdown(absl::Duration grace, absl::AnyInvocable<void()> done);
  Stats stats() const;
  const Options& options() const { return options_; }

 private:
  // Starts `timer` to fire once after `delay`, counted from now (the loop's
  // time is refreshed: it was read when the iteration began).
  static void StartTimer(uv_timer_t* timer, uv_timer_cb callback,
                         absl::Duration delay);

  struct Worker {
    enum class State {
      kStarting,  // Launched, not yet Ready.
      kReady,     // Takes tasks.
      kDraining,  // Retired: finishes its tasks, then is stopped.
      kStopping,  // Stopped or killed by the pool; its end is due.
    };
    uint64_t id = 0;
    HelperProcess* helper = nullptr;  // Not owned (the host's).
    State state = State::kStarting;
    std::set<uint64_t> tasks;  // In flight (or waiting for its end).
    uint64_t tasks_run = 0;
    absl::Time ready_at;
    absl::Time idle_since;
    // Its end was the pool's doing (stopped, recycled, killed for another
    // task's deadline, shutdown): the tasks it held are not blamed for it.
    bool ended_by_pool = false;
    // A task's call ended with this helper's death (the call carries the
    // ExitInfo, before the exit report): it did not die idle.
    bool died_in_task = false;
    // Why it is draining: the reason it is stopped with.
    std::string drain_reason;
  };

  struct Entry {
    enum class Where { kWaiting, kQueued, kRunning };
    uint64_t id = 0;
    std::unique_ptr<Task> task;
    TaskOptions options;
    absl::Time deadline;
    Where where = Where::kQueued;
    int attempts = 0;  // Runs started.
    int kills = 0;     // Helpers that died with it in flight.
    uint64_t worker = 0;
    uint64_t token = 0;  // Its current run; older runs' replies are ignored.
    std::string repro_path;  // The repro written for it, if any.
  };

  // A run's end, as the channel reported it; handled from the pump.
  struct RunEnd {
    uint64_t task = 0;
    uint64_t token = 0;
    uint64_t worker = 0;
    absl::StatusOr<Task::Reply> result;
  };

  struct Finished {
    std::unique_ptr<Task> task;
    absl::StatusOr<Task::Reply> result;
  };

  struct KeyRecord {
    int kills = 0;
    std::optional<ExitInfo> last_exit;
    std::string repro_path;  // The repro written for the key, if any.
    std::list<std::string>::iterator lru;
  };

  // Tasks (helper_pool.cc; deaths: helper_pool_retry.cc).
  void Enqueue(Entry& entry, bool front);
  void Unqueue(Entry& entry);
  void AddDeadline(const Entry& entry);
  void EndTask(uint64_t id, absl::StatusOr<Task::Reply> result);
  void StartRun(Entry& entry, Worker& worker);
  void OnRunEnd(RunEnd end);
  void OnTaskHelperDied(Entry& entry, const ExitInfo& exit, bool blame);
  void FailAllQueued(const absl::Status& status);
  // Options::repro_dir: writes the entry's request as a repro of `exit`,
  // unless one was written for it (or its key) already.
  void KeepRepro(Entry& entry, const ExitInfo& exit);
  KeyRecord* FindKey(const std::string& key);
  KeyRecord& TouchKey(const std::string& key);

  // Helpers (helper_pool_workers.cc).
  void Dispatch();
  void ScaleUp();
  void Launch();
  void OnReady(absl::StatusOr<HelperProcess*> helper);
  void OnExit(uint64_t id, const ExitInfo& exit);
  void OnLaunchFailure(const ExitInfo& exit);
  // The role failed (Host::WatchRoleFailed): no more tasks, no more helpers.
  void OnRoleFailed(const std::string& why);
  // No launch until the back-off for the failures in a row so far passed.
  void BackOff();
  void Retire(Worker& worker, const std::string& why);
  void StopWorker(Worker& worker, const std::string& why);
  void Check();
  int Live() const;      // Starting or ready.
  int Starting() const;  // Starting.

  // The pump: runs ends and completions on a later loop turn.
  void ArmPump();
  void Pump();
  // Runs the completions decided so far; false when one destroyed the pool.
  bool RunCompletions();
  // Kill and Stop, which may fail calls at once (see calling_helper_).
  void KillHelper(Worker& worker, const std::string& why);
  void ArmDeadlineTimer();
  void OnDeadlineTimer();
  void MaybeFinishShutdown();

  Host& host_;  // Not owned.
  const Options options_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);

  std::map<uint64_t, Worker> workers_;
  std::map<uint64_t, Entry> tasks_;
  std::deque<uint64_t> queue_;
  std::deque<uint64_t> waiting_;
  std::set<std::pair<absl::Time, uint64_t>> queued_deadlines_;
  uint64_t next_task_ = 1;
  uint64_t next_token_ = 1;

  std::map<std::string, KeyRecord, std::less<>> keys_;
  std::list<std::string> key_lru_;  // Most recently used first.

  std::vector<RunEnd> run_ends_;
  std::vector<Finished> finished_;

  // Launch failures in a row, and the status tasks fail with meanwhile.
  int launch_failures_in_row_ = 0;
  absl::Status launch_error_;
  bool backing_off_ = false;
  // Not OK once the role failed: what the queued and new tasks end with.
  absl::Status role_error_;
  uint64_t role_watch_ = 0;  // Host::WatchRoleFailed's id.

  bool shutting_down_ = false;
  bool destroying_ = false;
  absl::AnyInvocable<void()> shutdown_done_;
  bool shutdown_finished_ = false;

  Stats stats_;
  // Above 0 while the pool calls into a helper (Call, Kill, Stop): a run that
  // ends inside such a call is handled from the pump, never re-entrantly.
  int calling_helper_ = 0;

  ipc::UvHandle<uv_idle_t> pump_;
  ipc::UvHandle<uv_timer_t> deadline_timer_;
  ipc::UvHandle<uv_timer_t> backoff_timer_;
  ipc::UvHandle<uv_timer_t> check_timer_;
  ipc::UvHandle<uv_timer_t> shutdown_timer_;
  LoopThreadChecker loop_thread_{"HelperPool"};
};

}  // namespace bulkhead

#endif  // BULKHEAD_HOST_HELPER_POOL_CORE_H_
