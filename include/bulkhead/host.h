// The host side of Bulkhead, for apps: launch helpers of your own roles,
// talk to them, watch them end, restart them.
//
//   bulkhead::Host             owns a loop and the helpers launched on it
//   bulkhead::HelperProcess    one helper: Call/Send/On via channel(), Kill
//   bulkhead::ExitInfo         why a helper ended
//   bulkhead::Supervisor       restart policies per role
//
// Thread: one thread runs the host's loop (Host::Run(), or the app's own
// uv_run on Host::Options::loop) and every callback; Host::Post is the only
// entry for other threads. browser_host/host.h has the rules.
#ifndef BULKHEAD_HOST_H_
#define BULKHEAD_HOST_H_

#include "browser_host/exit_info.h"
#include "browser_host/helper_process.h"
#include "browser_host/host.h"
#include "browser_host/supervisor.h"
#include "bulkhead/version.h"

#endif  // BULKHEAD_HOST_H_
