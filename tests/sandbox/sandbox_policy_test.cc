// The policy builder's checks and the built-in presets.
#include "sandbox/sandbox_policy.h"

#include <algorithm>
#include <cerrno>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "sandbox/syscall_table.h"

namespace bulkhead::sandbox {
namespace {

bool Allows(const SandboxPolicy& policy, const std::string& name) {
  return std::find(policy.allowed_syscalls.begin(),
                   policy.allowed_syscalls.end(),
                   name) != policy.allowed_syscalls.end();
}

bool HasArgumentRule(const SandboxPolicy& policy, const std::string& name) {
  return std::any_of(
      policy.argument_rules.begin(), policy.argument_rules.end(),
      [&](const ArgumentRule& rule) { return rule.syscall == name; });
}

TEST(SandboxPolicyTest, LayerNamesRoundTrip) {
  for (int i = 0; i < kLayerCount; ++i) {
    const Layer layer = static_cast<Layer>(i);
    std::optional<Layer> parsed = LayerFromName(LayerName(layer));
    ASSERT_TRUE(parsed.has_value()) << LayerName(layer);
    EXPECT_EQ(*parsed, layer);
  }
  EXPECT_FALSE(LayerFromName("moat").has_value());
}

TEST(SandboxPolicyTest, BuilderStartsWithEveryLayerRequired) {
  absl::StatusOr<SandboxPolicy> policy =
      SandboxPolicyBuilder("strict").AllowBaseRuntime().Build();
  ASSERT_TRUE(policy.ok()) << policy.status();
  for (int i = 0; i < kLayerCount; ++i) {
    EXPECT_EQ(policy->layers[i], Requirement::kRequired)
        << LayerName(static_cast<Layer>(i));
  }
  EXPECT_FALSE(policy->disabled());
  EXPECT_TRUE(NoSandboxPolicy().disabled());
}

TEST(SandboxPolicyTest, UnknownSystemCallIsRejectedByName) {
  if (!SyscallTableAvailable()) GTEST_SKIP() << "no system-call table here";
  absl::StatusOr<SandboxPolicy> policy = SandboxPolicyBuilder("typo")
                                             .AllowBaseRuntime()
                                             .AllowSyscall("opne")
                                             .Build();
  ASSERT_FALSE(policy.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(policy.status()));
  EXPECT_TRUE(absl::StrContains(policy.status().message(), "'opne'"))
      << policy.status();
  EXPECT_TRUE(absl::StrContains(policy.status().message(), "'typo'"));
}

TEST(SandboxPolicyTest, SeccompWithoutNoNewPrivsIsRejected) {
  absl::StatusOr<SandboxPolicy> policy = SandboxPolicyBuilder("x")
                                             .AllowBaseRuntime()
                                             .Disable(Layer::kNoNewPrivs)
                                             .Build();
  ASSERT_FALSE(policy.ok());
  EXPECT_TRUE(absl::StrContains(policy.status().message(), "no-new-privs"));
}

TEST(SandboxPolicyTest, EmptyAllowlistIsRejected) {
  absl::StatusOr<SandboxPolicy> policy = SandboxPolicyBuilder("empty").Build();
  ASSERT_FALSE(policy.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(policy.status()));
}

TEST(SandboxPolicyTest, CallBothAllowedAndFailedIsRejected) {
  if (!SyscallTableAvailable()) GTEST_SKIP() << "no system-call table here";
  absl::StatusOr<SandboxPolicy> policy = SandboxPolicyBuilder("both")
                                             .AllowBaseRuntime()
                                             .AllowSyscall("openat")
                                             .Build();
  ASSERT_FALSE(policy.ok());
  EXPECT_TRUE(absl::StrContains(policy.status().message(), "openat"));
}

// Helpers forked from one zygote share a pid namespace: a call that reaches
// another process through a descriptor or a request the filter cannot check
// cannot be allowed, outright or by argument; failing it with an errno can.
TEST(SandboxPolicyTest, CallsThatReachAnotherProcessCannotBeAllowed) {
  for (const char* name : {"ptrace", "pidfd_send_signal", "pidfd_getfd",
                           "process_madvise", "process_mrelease", "setsid"}) {
    SCOPED_TRACE(name);
    absl::StatusOr<SandboxPolicy> outright = SandboxPolicyBuilder("test")
                                                 .AllowBaseRuntime()
                                                 .AllowSyscall(name)
                                                 .Build();
    ASSERT_FALSE(outright.ok());
    EXPECT_TRUE(absl::IsInvalidArgument(outright.status()));
    EXPECT_TRUE(absl::StrContains(outright.status().message(),
                                  absl::StrCat(name, " cannot be allowed")))
        << outright.status();
    EXPECT_FALSE(SandboxPolicyBuilder("test")
                     .AllowBaseRuntime()
                     .AllowSyscallIfArg(name, 0, ~uint64_t{0}, 0)
                     .Build()
                     .ok());
    EXPECT_TRUE(SandboxPolicyBuilder("test")
                    .AllowBaseRuntime()
                    .FailSyscallWith(name, EPERM)
                    .Build()
                    .ok());
  }
}

// No preset names a call that reaches another process; those that name one by
// pid (the filter then lets through the caller's own only) are these.
TEST(SandboxPolicyTest, PresetsReachNoOtherProcess) {
  for (const std::string& role : PresetNames()) {
    SCOPED_TRACE(role);
    const SandboxPolicy preset = PresetForRole(role);
    for (const char* name : {"ptrace",
                             "pidfd_send_signal",
                             "pidfd_getfd",
                             "process_madvise",
                             "process_mrelease",
                             "kill",
                             "tkill",
                             "rt_sigqueueinfo",
                             "rt_tgsigqueueinfo",
                             "pidfd_open",
                             "process_vm_readv",
                             "process_vm_writev",
                             "kcmp",
                             "sched_setparam",
                             "sched_setattr",
                             "sched_setaffinity",
                             "setpriority",
                             "ioprio_set",
                             "perf_event_open",
                             "get_robust_list",
                             "move_pages",
                             "migrate_pages"}) {
      EXPECT_FALSE(Allows(preset, name)) << name;
      EXPECT_FALSE(HasArgumentRule(preset, name)) << name;
    }
    EXPECT_TRUE(Allows(preset, "tgkill"));
    EXPECT_TRUE(Allows(preset, "prlimit64"));
    EXPECT_TRUE(HasArgumentRule(preset, "sched_setscheduler"));
  }
}

TEST(SandboxPolicyTest, PresetsDifferAsDocumented) {
  const SandboxPolicy renderer = PresetForRole("renderer");
  const SandboxPolicy gpu = PresetForRole("gpu");
  const SandboxPolicy network = PresetForRole("network");
  // The renderer is strictest: no sockets, no network.
  EXPECT_TRUE(renderer.enabled(Layer::kNetNamespace));
  EXPECT_FALSE(HasArgumentRule(renderer, "socket"));
  EXPECT_FALSE(Allows(renderer, "connect"));
  // gpu and utility get a little more than the renderer.
  EXPECT_GT(gpu.allowed_syscalls.size(), renderer.allowed_syscalls.size());
  EXPECT_GT(PresetForRole("utility").allowed_syscalls.size(),
            renderer.allowed_syscalls.size());
  // The network role keeps the host's network and may open sockets, but has
  // no filesystem either.
  EXPECT_FALSE(network.enabled(Layer::kNetNamespace));
  EXPECT_TRUE(HasArgumentRule(network, "socket"));
  EXPECT_TRUE(Allows(network, "connect"));
  EXPECT_EQ(network.requirement(Layer::kChroot), Requirement::kRequired);
  // The network is the policy's own choice, not the role's name.
  EXPECT_EQ(network.network, Network::kHost);
  EXPECT_EQ(renderer.network, Network::kNone);
  EXPECT_EQ(gpu.network, Network::kNone);
  // No preset hands the host's environment on.
  EXPECT_TRUE(renderer.environment.empty());
  EXPECT_TRUE(network.environment.empty());
  // An unknown role gets the strictest.
  EXPECT_EQ(PresetForRole("plugin").allowed_syscalls,
            renderer.allowed_syscalls);
  // Kernel-dependent layers are best effort.
  EXPECT_EQ(renderer.requirement(Layer::kLandlock), Requirement::kBestEffort);
}

// A view entry Build() must refuse, with `reason` and the path in the error.
void ExpectViewRefused(SandboxPolicyBuilder builder, const std::string& path,
                       const std::string& reason) {
  absl::StatusOr<SandboxPolicy> policy = builder.Build();
  ASSERT_FALSE(policy.ok()) << path;
  EXPECT_EQ(policy.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(policy.status().message(),
                                absl::StrCat("'", path, "'")))
      << policy.status();
  EXPECT_TRUE(absl::StrContains(policy.status().message(), reason))
      << policy.status();
}

SandboxPolicyBuilder Renderer() {
  return SandboxPolicyBuilder::FromPolicy(PresetForRole("renderer"));
}

TEST(SandboxPolicyTest, FromPolicyStartsFromThePresetAndAdds) {
  absl::StatusOr<SandboxPolicy> policy =
      Renderer().AllowSyscall("getpriority").Build();
  ASSERT_TRUE(policy.ok()) << policy.status();
  const SandboxPolicy preset = PresetForRole("renderer");
  EXPECT_EQ(policy->name, preset.name);
  EXPECT_EQ(policy->layers, preset.layers);
  EXPECT_EQ(policy->limits.open_files, preset.limits.open_files);
  for (const std::string& name : preset.allowed_syscalls) {
    EXPECT_NE(std::find(policy->allowed_syscalls.begin(),
                        policy->allowed_syscalls.end(), name),
              policy->allowed_syscalls.end())
        << name;
  }
  EXPECT_EQ(policy->allowed_syscalls.size(),
            preset.allowed_syscalls.size() + 1);
}

TEST(SandboxPolicyTest, AViewIsKeptInOrder) {
  absl::StatusOr<SandboxPolicy> policy = Renderer()
                                             .AddReadOnly("/usr/share/fonts")
                                             .AddReadWrite("/var/cache/app")
                                             .AddTmpfs("/scratch", 1 << 20)
                                             .AddDevice("/dev/null")
                                             .Build();
  ASSERT_TRUE(policy.ok()) << policy.status();
  ASSERT_EQ(policy->filesystem.size(), 4u);
  EXPECT_EQ(policy->filesystem[0],
            (FilesystemEntry{FilesystemEntry::Kind::kReadOnly,
                             "/usr/share/fonts", 0}));
  EXPECT_EQ(
      policy->filesystem[2],
      (FilesystemEntry{FilesystemEntry::Kind::kTmpfs, "/scratch", 1 << 20}));
  // Built again from the result: the same policy.
  absl::StatusOr<SandboxPolicy> again =
      SandboxPolicyBuilder::FromPolicy(*policy).Build();
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->filesystem, policy->filesystem);
  EXPECT_EQ(again->allowed_syscalls, policy->allowed_syscalls);
}

TEST(SandboxPolicyTest, MalformedViewPathsAreRefusedByName) {
  ExpectViewRefused(Renderer().AddReadOnly("usr/share"), "usr/share",
                    "not an absolute path");
  ExpectViewRefused(Renderer().AddReadOnly(""), "", "empty path");
  ExpectViewRefused(Renderer().AddReadOnly("/"), "/", "root itself");
  ExpectViewRefused(Renderer().AddReadOnly("/usr/../etc"), "/usr/../etc",
                    "'.' and '..'");
  ExpectViewRefused(Renderer().AddReadWrite("/srv/./x"), "/srv/./x",
                    "'.' and '..'");
  ExpectViewRefused(Renderer().AddReadOnly("/usr//share"), "/usr//share",
                    "'//'");
  ExpectViewRefused(Renderer().AddReadOnly("/usr/share/"), "/usr/share/",
                    "trailing '/'");
  ExpectViewRefused(Renderer().AddReadOnly(std::string("/a\0b", 4)),
                    std::string("/a\0b", 4), "NUL");
}

TEST(SandboxPolicyTest, ConflictingViewEntriesAreRefused) {
  ExpectViewRefused(Renderer().AddReadOnly("/data").AddReadOnly("/data"),
                    "/data", "listed twice");
  ExpectViewRefused(Renderer().AddReadOnly("/data").AddReadWrite("/data"),
                    "/data", "listed twice");
  // Inside a tmpfs, a device, or a read-write entry; read-only inside
  // read-only.
  ExpectViewRefused(
      Renderer().AddTmpfs("/scratch", 4096).AddReadOnly("/scratch/fonts"),
      "/scratch/fonts", "inside '/scratch' (tmpfs)");
  ExpectViewRefused(Renderer().AddReadWrite("/data").AddReadOnly("/data/keys"),
                    "/data/keys", "inside '/data' (rw)");
  ExpectViewRefused(Renderer().AddReadOnly("/data/keys").AddReadWrite("/data"),
                    "/data/keys", "inside '/data' (rw)");
  ExpectViewRefused(Renderer().AddReadOnly("/data").AddReadOnly("/data/sub"),
                    "/data/sub", "inside '/data' (ro)");
  // What is allowed: read-write inside read-only; siblings with a common
  // prefix are not nested.
  EXPECT_TRUE(
      Renderer().AddReadOnly("/data").AddReadWrite("/data/cache").Build().ok());
  EXPECT_TRUE(
      Renderer().AddReadOnly("/data").AddReadWrite("/data-cache").Build().ok());
}

TEST(SandboxPolicyTest, TmpfsSizesAndDevicesAreChecked) {
  ExpectViewRefused(Renderer().AddTmpfs("/scratch", 0), "/scratch", "size 0");
  ExpectViewRefused(Renderer().AddTmpfs("/scratch", kMaxTmpfsBytes + 1),
                    "/scratch", "at most");
  EXPECT_TRUE(Renderer().AddTmpfs("/scratch", kMaxTmpfsBytes).Build().ok());
  ExpectViewRefused(Renderer().AddDevice("/dev/sda"), "/dev/sda",
                    "the only devices");
  ExpectViewRefused(Renderer().AddDevice("/dev/mem"), "/dev/mem",
                    "the only devices");
  ExpectViewRefused(Renderer().AddReadOnly("/dev/null"), "/dev/null",
                    "with AddDevice");
  ExpectViewRefused(Renderer().AddReadOnly("/dev"), "/dev", "with AddDevice");
  ExpectViewRefused(Renderer().AddReadOnly("/proc/self"), "/proc/self",
                    "/proc and /sys");
  ExpectViewRefused(Renderer().AddReadWrite("/sys"), "/sys", "/proc and /sys");
  for (const char* device :
       {"/dev/null", "/dev/zero", "/dev/urandom", "/dev/random"}) {
    EXPECT_TRUE(Renderer().AddDevice(device).Build().ok()) << device;
  }
}

TEST(SandboxPolicyTest, AViewNeedsTheChroot) {
  absl::StatusOr<SandboxPolicy> policy =
      Renderer().Disable(Layer::kChroot).AddReadOnly("/data").Build();
  ASSERT_FALSE(policy.ok());
  EXPECT_TRUE(
      absl::StrContains(policy.status().message(), "needs the chroot layer"))
      << policy.status();
}

// Without a view every path-based call fails (EACCES) or traps; with one the
// open/stat family goes through, and the write family only when something
// is writable. open/openat never with a set-id mode.
TEST(SandboxPolicyTest, TheViewOpensTheFilterAsFarAsItNeeds) {
  if (!SyscallTableAvailable()) GTEST_SKIP() << "no system-call table";
  auto allowed = [](const SandboxPolicy& policy, const char* name) {
    return std::find(policy.allowed_syscalls.begin(),
                     policy.allowed_syscalls.end(),
                     name) != policy.allowed_syscalls.end();
  };
  auto fails = [](const SandboxPolicy& policy, const char* name) {
    for (const auto& [call, error] : policy.errno_syscalls) {
      if (call == name) return true;
    }
    return false;
  };
  auto by_argument = [](const SandboxPolicy& policy, const char* name) {
    for (const ArgumentRule& rule : policy.argument_rules) {
      if (rule.syscall == name) return &rule;
    }
    return static_cast<const ArgumentRule*>(nullptr);
  };
  const SandboxPolicy none = *Renderer().Build();
  EXPECT_TRUE(fails(none, "openat"));
  EXPECT_FALSE(allowed(none, "getdents64"));
  EXPECT_FALSE(allowed(none, "unlinkat"));

  const SandboxPolicy read_only = *Renderer().AddReadOnly("/data").Build();
  EXPECT_FALSE(fails(read_only, "openat"));
  const ArgumentRule* openat = by_argument(read_only, "openat");
  ASSERT_NE(openat, nullptr);
  EXPECT_EQ(openat->arg, 3);
  ASSERT_EQ(openat->allowed_masked_values.size(), 1u);
  EXPECT_EQ(openat->allowed_masked_values[0],
            (std::pair<uint64_t, uint64_t>{06000, 0}));
  EXPECT_TRUE(allowed(read_only, "getdents64"));
  EXPECT_TRUE(allowed(read_only, "readlinkat"));
  EXPECT_FALSE(fails(read_only, "readlinkat"));
  EXPECT_FALSE(allowed(read_only, "unlinkat"));
  EXPECT_FALSE(allowed(read_only, "mkdirat"));

  const SandboxPolicy writable = *Renderer().AddTmpfs("/scratch", 4096).Build();
  EXPECT_TRUE(allowed(writable, "unlinkat"));
  EXPECT_TRUE(allowed(writable, "mkdirat"));
  EXPECT_TRUE(allowed(writable, "renameat2"));
  for (const SandboxPolicy* policy : {&none, &read_only, &writable}) {
    EXPECT_FALSE(allowed(*policy, "symlinkat"));
    EXPECT_FALSE(allowed(*policy, "linkat"));
    EXPECT_FALSE(allowed(*policy, "fchmod"));
    EXPECT_FALSE(allowed(*policy, "fchmodat"));
  }
}

}  // namespace
TEST(SandboxPolicyTest, NetworkIsOneChoiceThatDecidesTheLayerAndTheSockets) {
  absl::StatusOr<SandboxPolicy> none =
      SandboxPolicyBuilder("none").AllowBaseRuntime().Build();
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_EQ(none->network, Network::kNone);
  EXPECT_EQ(none->requirement(Layer::kNetNamespace), Requirement::kRequired);
  EXPECT_FALSE(HasArgumentRule(*none, "socket"));

  absl::StatusOr<SandboxPolicy> host = SandboxPolicyBuilder("host")
                                           .AllowBaseRuntime()
                                           .SetNetwork(Network::kHost)
                                           .Build();
  ASSERT_TRUE(host.ok()) << host.status();
  EXPECT_FALSE(host->enabled(Layer::kNetNamespace));
  EXPECT_TRUE(HasArgumentRule(*host, "socket"));
  EXPECT_TRUE(Allows(*host, "connect"));

  // Back to none: the sockets go with it.
  const SandboxPolicy back = WithNetwork(*host, Network::kNone);
  EXPECT_TRUE(back.enabled(Layer::kNetNamespace));
  EXPECT_FALSE(HasArgumentRule(back, "socket"));
  EXPECT_FALSE(Allows(back, "connect"));
  EXPECT_TRUE(SandboxPolicyBuilder("x").AllowBaseRuntime().Build().ok());
}

TEST(SandboxPolicyTest, ContradictoryNetworksAreRefused) {
  absl::StatusOr<SandboxPolicy> no_namespace =
      SandboxPolicyBuilder("p")
          .AllowBaseRuntime()
          .Disable(Layer::kNetNamespace)
          .Build();
  ASSERT_TRUE(absl::IsInvalidArgument(no_namespace.status()));
  EXPECT_TRUE(absl::StrContains(no_namespace.status().message(),
                                "network none needs the net-ns layer"));
  absl::StatusOr<SandboxPolicy> sockets = SandboxPolicyBuilder("p")
                                              .AllowBaseRuntime()
                                              .AllowSyscall("socket")
                                              .Build();
  ASSERT_TRUE(absl::IsInvalidArgument(sockets.status()));
  EXPECT_TRUE(
      absl::StrContains(sockets.status().message(), "socket is allowed"));
  absl::StatusOr<SandboxPolicy> host_in_namespace =
      SandboxPolicyBuilder("p")
          .AllowBaseRuntime()
          .SetNetwork(Network::kHost)
          .Require(Layer::kNetNamespace)
          .Build();
  ASSERT_TRUE(absl::IsInvalidArgument(host_in_namespace.status()));
  EXPECT_TRUE(absl::StrContains(host_in_namespace.status().message(),
                                "network host, but the net-ns layer is on"));
}

TEST(SandboxPolicyTest, EnvironmentEntriesAreKeptInOrderAndChecked) {
  absl::StatusOr<SandboxPolicy> policy = SandboxPolicyBuilder("p")
                                             .AllowBaseRuntime()
                                             .SetEnv("LANG", "C.UTF-8")
                                             .PassEnv("TZ")
                                             .Build();
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_EQ(policy->environment,
            (std::vector<std::string>{"LANG=C.UTF-8", "TZ"}));
  EXPECT_TRUE(absl::IsInvalidArgument(SandboxPolicyBuilder("p")
                                          .AllowBaseRuntime()
                                          .PassEnv("")
                                          .Build()
                                          .status()));
  EXPECT_TRUE(absl::IsInvalidArgument(SandboxPolicyBuilder("p")
                                          .AllowBaseRuntime()
                                          .SetEnv("A", std::string("b\0c", 3))
                                          .Build()
                                          .status()));
  EXPECT_EQ(NetworkFromName("host"), Network::kHost);
  EXPECT_EQ(NetworkFromName("none"), Network::kNone);
  EXPECT_FALSE(NetworkFromName("all").has_value());
}

}  // namespace bulkhead::sandbox
