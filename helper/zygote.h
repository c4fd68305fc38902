// A zygote, as Chromium calls it: a helper process that only forks helpers.
// The host starts it once (`<exe> --type=zygote --ipc-fd=3`); it has loaded
// the binary and its libraries, and each helper it forks on the host's
// request starts from that state instead of a fresh exec. A forked helper
// shares the zygote's pages copy-on-write, so it starts faster and, above
// all, its teardown when it dies is a fraction of an exec'd process's (see
// docs/DESIGN.md, "Zygote").
//
// Each helper is forked with CLONE_PARENT: it is the host's child, not the
// zygote's, so the host watches, signals and reaps it exactly as an exec'd
// helper, and learns how it ended from the kernel. The zygote never holds a
// child, and has nothing to reap.
//
// Linux only (zygote_linux.cc). Elsewhere RunZygote says so and fails.
#ifndef BULKHEAD_HELPER_ZYGOTE_H_
#define BULKHEAD_HELPER_ZYGOTE_H_

#include "helper/role_registry.h"

namespace bulkhead {

// Runs the zygote on the SOCK_SEQPACKET socket at `--ipc-fd` until the host
// closes it; returns the exit code. `argc`/`argv` are main's: their memory is
// where a forked helper writes its own command line.
//
// In a forked helper this returns too, with the helper's exit code, after
// running it like MaybeRunHelper would with the argv the host sent.
int RunZygote(int argc, const char* const* argv, const RoleRegistry& registry);

}  // namespace bulkhead

#endif  // BULKHEAD_HELPER_ZYGOTE_H_
