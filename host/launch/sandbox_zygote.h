// Sandboxed helpers forked from a zygote per sandbox shape (issue #17):
// the host's side. Linux (sandbox_zygote_linux.cc); elsewhere Available() is
// false and sandboxed helpers are exec'd (or, on Windows, created) as before.
//
// A *shape* is what of a policy must be fixed before the fork: the
// executable and the namespaces (user, pid, net, ipc, uts, mount). Helpers of
// one shape share their zygote's namespaces; everything else of their
// policies (each child's own mount namespace and the filesystem view built in
// it, rlimits, cgroup, capabilities, no_new_privs, Landlock, seccomp,
// close-fds) the child applies after the fork, as an exec'd helper does, in
// sandbox/lockdown.h. docs/DESIGN.md, "Zygote", has the whole design.
//
// Thread: a zygote is started and asked to fork on the launcher thread
// (launcher_thread.h), so that its init's parent-death signal follows a
// thread that lives as long as the process; everything else is the loop's.
#ifndef BULKHEAD_HOST_LAUNCH_SANDBOX_ZYGOTE_H_
#define BULKHEAD_HOST_LAUNCH_SANDBOX_ZYGOTE_H_

#include <compare>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "sandbox/sandbox_policy.h"

namespace bulkhead {

class SandboxZygote;  // sandbox_zygote_linux.h

// The part of a sandboxed launch that one zygote serves.
struct ShapeKey {
  std::string executable;
  // CLONE_NEW* flags of the policy's namespace layers.
  uint64_t namespace_flags = 0;

  auto operator<=>(const ShapeKey&) const = default;
};

// A host's sandboxed zygotes, one per shape, each started on its first launch
// and kept until the host ends (or it is given up: it died or lied; later
// launches of its shape are exec'd).
class SandboxZygotes {
 public:
  // Whether this platform and build can fork sandboxed helpers (Linux with
  // pidfds; not under ThreadSanitizer, whose runtime thread a fork loses).
  static bool Available();

  SandboxZygotes();
  // Kills every zygote's namespace (its init, and so whatever still runs in
  // it) and reaps the inits. Loop thread.
  ~SandboxZygotes();
  SandboxZygotes(const SandboxZygotes&) = delete;
  SandboxZygotes& operator=(const SandboxZygotes&) = delete;

  // Launcher thread: the zygote for `key`, started now on the first call for
  // it; null when it could not start or has been given up (the caller execs).
  std::shared_ptr<SandboxZygote> ForShape(const ShapeKey& key);

  // How many sandboxed zygotes of this process could not start or were given
  // up so far, in every host: a test that expects its helpers forked checks
  // this did not move (a loaded machine may slow a zygote past its deadline).
  static uint64_t FallbacksForTesting();

 private:
  std::mutex mutex_;
  // A null entry: tried, and it did not start.
  std::map<ShapeKey, std::shared_ptr<SandboxZygote>> zygotes_;
};

}  // namespace bulkhead

#endif  // BULKHEAD_HOST_LAUNCH_SANDBOX_ZYGOTE_H_
