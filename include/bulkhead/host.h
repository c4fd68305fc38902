// The host side of Bulkhead, for apps: launch helpers of your own roles,
// talk to them, watch them end, restart them.
//
//   bulkhead::Host             owns a loop and the helpers launched on it;
//                              Launch(role[, LaunchOverrides], on_ready)
//   bulkhead::HelperProcess    one helper: Call/Send/On via channel(), Kill
//   bulkhead::ExitInfo         why a helper ended; ExitInfoFromStatus reads
//                              it from a call that failed because of it
//   bulkhead::RestartPolicy    backoff and intensity limit: set
//                              Host::Options::default_restart_policy (or a
//                              role's) and the host restarts helpers itself
//   bulkhead::Supervisor       restarts with a fixed count per role, by hand
//   bulkhead::HelperPool       runs tasks on a pool of helpers of one role:
//                              queue, deadlines, retries, poison, recycling
//   bulkhead::OneShotRunner    one request per fresh helper, discarded after,
//                              with the reply and how the helper ended
//   bulkhead::ExitInfoFromStatus  the ExitInfo a failed task's status carries
//   bulkhead::ReproPathFromStatus the repro file a pool wrote for it
//                              (HelperPool::Options::repro_dir)
//   bulkhead::Repro            the input that killed a helper, as a file:
//                              MakeRepro, WriteRepro, ReadRepro, and
//                              ReplayRepro to feed it to a fresh helper
//   bulkhead::TakeHostSnapshot what the helpers, roles (and pools) are doing
//                              now; WriteOpenMetrics turns it into the
//                              OpenMetrics (Prometheus) text format
//   bulkhead::HostTrace        draws the helpers' lives (launch, Ready,
//                              calls, exits, restarts) into a TraceRecorder,
//                              which writes a Perfetto / chrome://tracing file
//
// Events: Host::SetHelperStartedHandler (every Ready, restarts included),
// SetExitHandler (every end, with its ExitInfo), SetRoleFailedHandler (past
// the restart intensity limit), SetLifecycleHandler (every stage), WatchExit
// (one helper's end).
//
// Threads: one thread runs the host's loop and every callback: the app's
// (Host::Run(), or its own uv_run on Host::Options::loop) or one the host owns
// (Host::StartThread()). Host::Post is the entry for other threads.
// host/host.h has the rules.
#ifndef BULKHEAD_HOST_H_
#define BULKHEAD_HOST_H_

#include "bulkhead/version.h"
#include "host/exit_info.h"
#include "host/exit_info_status.h"
#include "host/helper_pool.h"
#include "host/helper_process.h"
#include "host/host.h"
#include "host/one_shot_runner.h"
#include "host/replay.h"
#include "host/repro.h"
#include "host/host_snapshot.h"
#include "host/host_trace.h"
#include "host/openmetrics.h"
#include "host/restart_policy.h"
#include "host/supervisor.h"
#include "host/trace_recorder.h"

#endif  // BULKHEAD_HOST_H_
