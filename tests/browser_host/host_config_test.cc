#include "browser_host/host_config.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/platform.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sample_roles/builtin_roles.h"
#include "sandbox/sandbox_policy.h"

namespace bulkhead {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class HostConfigTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(RegisterBuiltinRoles(roles_).ok()); }

  absl::StatusOr<HostConfig> Parse(const std::string& text) {
    return ParseHostConfig(text, "host.textproto", roles_);
  }

  // The error for `text`, which must be InvalidArgument.
  std::string Error(const std::string& text) {
    absl::StatusOr<HostConfig> config = Parse(text);
    EXPECT_FALSE(config.ok()) << text;
    if (config.ok()) return "";
    EXPECT_TRUE(absl::IsInvalidArgument(config.status())) << config.status();
    return std::string(config.status().message());
  }

  RoleRegistry roles_;
};

TEST_F(HostConfigTest, EmbeddedDefaultParses) {
  absl::StatusOr<HostConfig> config =
      ParseHostConfig(DefaultHostConfigText(), kDefaultConfigName, roles_);
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->roles.size(), 4u);
  EXPECT_EQ(config->roles[0].name, "renderer");
  EXPECT_EQ(config->roles[3].name, "network");
  for (const RoleConfig& role : config->roles) {
    EXPECT_EQ(role.count, 1);
    EXPECT_EQ(role.sandbox, "default");
    EXPECT_EQ(role.restart.mode, RestartPolicy::Mode::kOnFailure);
    EXPECT_EQ(role.heartbeat.interval, absl::Seconds(1));
    EXPECT_EQ(role.heartbeat.timeout, absl::Seconds(5));
  }
  EXPECT_EQ(config->log_level, LogLevel::kWarning);
}

TEST_F(HostConfigTest, EmbeddedDefaultIsTheSourceFile) {
  std::ifstream file(DEFAULT_CONFIG_PATH, std::ios::binary);
  ASSERT_TRUE(file) << DEFAULT_CONFIG_PATH;
  const std::string text((std::istreambuf_iterator<char>(file)),
                         std::istreambuf_iterator<char>());
  EXPECT_EQ(DefaultHostConfigText(), text);
}

TEST_F(HostConfigTest, RolesOverrideTheDefaultsFieldByField) {
  absl::StatusOr<HostConfig> config = Parse(R"(
    log_level: "info"
    work_interval: "0s"
    defaults {
      sandbox: "none"
      restart { mode: ALWAYS initial_backoff: "50ms" max_restarts: 3 }
      memory_limit_mb: 256
      cpu_limit_seconds: 30
      heartbeat { interval: "2s" deadline: "10s" }
    }
    role { name: "renderer" count: 3 }
    role {
      name: "gpu"
      sandbox: "default"
      restart { mode: NEVER max_backoff: "1s" multiplier: 1.5 jitter: 0 window: "10s" }
      memory_limit_mb: 0
      heartbeat { deadline: "3s" }
    }
  )");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->log_level, LogLevel::kInfo);
  EXPECT_EQ(config->work_interval, absl::ZeroDuration());
  ASSERT_EQ(config->roles.size(), 2u);
  const RoleConfig& renderer = config->roles[0];
  EXPECT_EQ(renderer.count, 3);
  EXPECT_EQ(renderer.sandbox, "none");
  EXPECT_EQ(renderer.restart.mode, RestartPolicy::Mode::kAlways);
  EXPECT_EQ(renderer.restart.initial_backoff, absl::Milliseconds(50));
  EXPECT_EQ(renderer.restart.max_restarts, 3);
  EXPECT_EQ(renderer.memory_limit_bytes, 256u << 20);
  EXPECT_EQ(renderer.cpu_limit, absl::Seconds(30));
  EXPECT_EQ(renderer.heartbeat.interval, absl::Seconds(2));
  EXPECT_EQ(renderer.heartbeat.timeout, absl::Seconds(10));
  const RoleConfig& gpu = config->roles[1];
  EXPECT_EQ(gpu.count, 1);
  EXPECT_EQ(gpu.sandbox, "default");
  EXPECT_EQ(gpu.restart.mode, RestartPolicy::Mode::kNever);
  EXPECT_EQ(gpu.restart.initial_backoff, absl::Milliseconds(50));
  EXPECT_EQ(gpu.restart.max_backoff, absl::Seconds(1));
  EXPECT_EQ(gpu.restart.multiplier, 1.5);
  EXPECT_EQ(gpu.restart.jitter, 0.0);
  EXPECT_EQ(gpu.restart.max_restarts, 3);
  EXPECT_EQ(gpu.restart.window, absl::Seconds(10));
  EXPECT_EQ(gpu.memory_limit_bytes, 0u);
  EXPECT_EQ(gpu.heartbeat.interval, absl::Seconds(2));
  EXPECT_EQ(gpu.heartbeat.timeout, absl::Seconds(3));
}

TEST_F(HostConfigTest, AppliesToHostOptions) {
  absl::StatusOr<HostConfig> config = Parse(R"(
    defaults { memory_limit_mb: 64 heartbeat { interval: "3s" } }
    role { name: "renderer" sandbox: "none" memory_limit_mb: 128 }
    role { name: "gpu" }
  )");
  ASSERT_TRUE(config.ok()) << config.status();
  Host::Options options;
  options.sandbox_helpers = true;  // As where the platform has a sandbox.
  ApplyHostConfig(*config, options);
  EXPECT_TRUE(options.sandbox_helpers);
  EXPECT_EQ(options.memory_limit_bytes, 64u << 20);
  EXPECT_EQ(options.heartbeat.interval, absl::Seconds(3));
  ASSERT_EQ(options.role_options.count("renderer"), 1u);
  EXPECT_EQ(options.role_options["renderer"].sandbox_helpers, false);
  EXPECT_EQ(options.role_options["renderer"].memory_limit_bytes, 128u << 20);
  EXPECT_EQ(options.role_options["gpu"].sandbox_helpers, true);
  EXPECT_EQ(options.role_options["gpu"].memory_limit_bytes, 64u << 20);
  EXPECT_EQ(options.role_options["gpu"].heartbeat->interval, absl::Seconds(3));
}

TEST_F(HostConfigTest, SandboxPresetAndCpuLimitShapeTheRolesPolicy) {
  absl::StatusOr<HostConfig> config = Parse(R"(
    role { name: "utility" sandbox: "renderer" cpu_limit_seconds: 30 }
    role { name: "network" }
  )");
  ASSERT_TRUE(config.ok()) << config.status();
  Host::Options options;
  ApplyHostConfig(*config, options);
  ASSERT_TRUE(options.sandbox_policy_for_role);
  const sandbox::SandboxPolicy utility =
      options.sandbox_policy_for_role("utility");
  EXPECT_EQ(utility.name, "renderer");
  EXPECT_EQ(utility.limits.cpu_seconds, 30u);
  const sandbox::SandboxPolicy network =
      options.sandbox_policy_for_role("network");
  EXPECT_EQ(network.name, "network");
  EXPECT_EQ(network.limits.cpu_seconds, 0u);
}

TEST_F(HostConfigTest, ARolesViewAndSyscallsAddToItsPreset) {
  absl::StatusOr<HostConfig> config = Parse(R"(
    defaults { filesystem { kind: "dev" path: "/dev/null" } }
    role {
      name: "renderer"
      filesystem { kind: "ro" path: "/usr/share/fonts" }
      filesystem { kind: "tmpfs" path: "/scratch" size_kb: 64 }
      allow_syscalls: "getpriority"
    }
    role { name: "gpu" }
  )");
  ASSERT_TRUE(config.ok()) << config.status();
  Host::Options options;
  ApplyHostConfig(*config, options);
  const sandbox::SandboxPolicy renderer =
      options.sandbox_policy_for_role("renderer");
  ASSERT_EQ(renderer.filesystem.size(), 2u);
  EXPECT_EQ(renderer.filesystem[0].path, "/usr/share/fonts");
  EXPECT_EQ(renderer.filesystem[1],
            (sandbox::FilesystemEntry{sandbox::FilesystemEntry::Kind::kTmpfs,
                                      "/scratch", 64 << 10}));
  EXPECT_NE(std::find(renderer.allowed_syscalls.begin(),
                      renderer.allowed_syscalls.end(), "getpriority"),
            renderer.allowed_syscalls.end());
  // The gpu role keeps the defaults' view, on its own preset.
  const sandbox::SandboxPolicy gpu = options.sandbox_policy_for_role("gpu");
  EXPECT_EQ(gpu.name, "gpu");
  ASSERT_EQ(gpu.filesystem.size(), 1u);
  EXPECT_EQ(gpu.filesystem[0].path, "/dev/null");
  // So does a role the config does not list.
  EXPECT_EQ(options.sandbox_policy_for_role("utility").filesystem.size(), 1u);
}

TEST_F(HostConfigTest, ABadViewIsRefusedWhenParsed) {
  EXPECT_THAT(Error(R"(role { name: "gpu"
      filesystem { kind: "ro" path: "etc" } })"),
              HasSubstr("'etc' (ro): not an absolute path"));
  EXPECT_THAT(Error(R"(role { name: "gpu"
      filesystem { kind: "rx" path: "/etc" } })"),
              HasSubstr("role[0].filesystem[0].kind: expected \"ro\""));
  EXPECT_THAT(Error(R"(role { name: "gpu"
      filesystem { kind: "ro" path: "/etc" size_kb: 4 } })"),
              HasSubstr("size_kb: expected a size only for kind \"tmpfs\""));
  EXPECT_THAT(Error(R"(role { name: "gpu"
      filesystem { kind: "dev" path: "/dev/sda" } })"),
              HasSubstr("the only devices"));
#if defined(BULKHEAD_OS_LINUX)
  // Only where the system-call table exists (Linux) can a name be checked.
  EXPECT_THAT(Error(R"(role { name: "gpu" allow_syscalls: "no_such_call" })"),
              HasSubstr("unknown system call 'no_such_call'"));
#endif
}

TEST_F(HostConfigTest, SyntaxErrorsNameLineAndColumn) {
  // Line 2, column 15: the parser wants a value after "count:".
  EXPECT_THAT(Error("role { name: \"gpu\" }\nrole { count: }\n"),
              StartsWith("host.textproto:2:15: "));
  EXPECT_THAT(Error("role { name: \"gpu\" \n"),
              StartsWith("host.textproto:2:1: "));
  const std::string unknown = Error("role {\n  name: \"gpu\"\n  cont: 2\n}\n");
  // The parser reports an unknown field just after its name.
  EXPECT_THAT(unknown, StartsWith("host.textproto:3:7: "));
  EXPECT_THAT(unknown, HasSubstr("no field named \"cont\""));
  EXPECT_THAT(Error("role { name: \"gpu\" restart { mode: SOMETIMES } }"),
              StartsWith("host.textproto:1:"));
  EXPECT_THAT(Error("role { name: \"gpu\" count: -1 }"),
              StartsWith("host.textproto:1:"));
  EXPECT_THAT(Error("role { name: \"gpu\" count: \"two\" }"),
              HasSubstr("Expected integer"));
}

TEST_F(HostConfigTest, HelperCountsSetNamedRolesAddOthersAndDropZeros) {
  absl::StatusOr<HostConfig> config = Parse(
      "defaults { memory_limit_mb: 64 }\n"
      "role { name: \"renderer\" }\nrole { name: \"gpu\" }");
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_TRUE(
      ApplyHelperCounts("renderer:1000,gpu:0,utility:3", roles_, *config).ok());
  ASSERT_EQ(config->roles.size(), 2u);
  EXPECT_EQ(config->roles[0].name, "renderer");
  EXPECT_EQ(config->roles[0].count, 1000);
  // Not in the config: the defaults' settings.
  EXPECT_EQ(config->roles[1].name, "utility");
  EXPECT_EQ(config->roles[1].count, 3);
  EXPECT_EQ(config->roles[1].memory_limit_bytes, uint64_t{64} << 20);
}

TEST_F(HostConfigTest, BadHelperCountsNameWhatIsWrong) {
  absl::StatusOr<HostConfig> config = Parse("role { name: \"renderer\" }");
  ASSERT_TRUE(config.ok()) << config.status();
  auto error = [&](const std::string& spec) {
    HostConfig copy = *config;
    return std::string(ApplyHelperCounts(spec, roles_, copy).message());
  };
  EXPECT_EQ(error(""),
            "--helpers: expected ROLE:COUNT[,ROLE:COUNT...], got nothing");
  EXPECT_EQ(error("renderer"),
            "--helpers: expected ROLE:COUNT, got 'renderer'");
  EXPECT_EQ(error("renderer:x"),
            "--helpers: expected ROLE:COUNT, got 'renderer:x'");
  EXPECT_EQ(error("plumber:2"),
            "--helpers: unknown role 'plumber'; one of gpu, network, "
            "renderer, utility");
  EXPECT_EQ(error("renderer:10001"),
            "--helpers: renderer: expected a count of 0 to 10000, got 10001");
  EXPECT_EQ(error("renderer:-1"),
            "--helpers: renderer: expected a count of 0 to 10000, got -1");
  EXPECT_EQ(error("renderer:2,renderer:3"),
            "--helpers: role 'renderer' named twice");
  EXPECT_EQ(error("renderer:0"),
            "--helpers: no role left to start (every count is 0)");
}

TEST_F(HostConfigTest, BadValuesNameTheFieldAndWhatWasExpected) {
  EXPECT_EQ(Error("role { name: \"gpu\" }\nrole {\n  name: \"plumber\"\n}"),
            "host.textproto:3:3: role[1].name: expected a role: one of gpu, "
            "network, renderer, utility, got \"plumber\"");
  EXPECT_EQ(Error("role { name: \"gpu\"\n       count: 0 }"),
            "host.textproto:2:8: role[0].count: expected 1 to 10000, got 0");
  EXPECT_EQ(Error("role { name: \"gpu\" count: -3 }"),
            "host.textproto:1:20: role[0].count: expected 1 to 10000, got -3");
  EXPECT_THAT(Error("role { name: \"gpu\" }\nrole { name: \"gpu\" }"),
              StartsWith("host.textproto:2:8: role[1].name: expected each "
                         "role once"));
  EXPECT_THAT(Error("role { count: 2 }"),
              StartsWith("host.textproto:1:1: role[0]: expected a `name`"));
  EXPECT_THAT(Error(""), HasSubstr("expected at least one `role"));
  EXPECT_THAT(Error("role { name: \"gpu\" sandbox: \"strict\" }"),
              HasSubstr("role[0].sandbox: expected \"default\", \"none\" or a "
                        "preset: renderer, gpu, utility, network, got "
                        "\"strict\""));
  EXPECT_THAT(Error("log_level: \"loud\" role { name: \"gpu\" }"),
              StartsWith("host.textproto:1:1: log_level: expected "));
  EXPECT_THAT(Error("role { name: \"gpu\" memory_limit_mb: -1 }"),
              HasSubstr("memory_limit_mb: expected 0 (no limit)"));
  EXPECT_THAT(Error("role { name: \"gpu\" cpu_limit_seconds: -1 }"),
              HasSubstr("cpu_limit_seconds: expected 0 (no limit)"));
  EXPECT_THAT(
      Error("role { name: \"gpu\" heartbeat { interval: \"soon\" } }"),
      HasSubstr("role[0].heartbeat.interval: expected a duration such as"));
  EXPECT_THAT(Error("role { name: \"gpu\" heartbeat { deadline: \"0s\" } }"),
              HasSubstr("role[0].heartbeat.deadline: expected a duration "
                        "above zero, got \"0s\""));
  EXPECT_THAT(Error("role { name: \"gpu\" restart { jitter: 2 } }"),
              HasSubstr("role[0].restart.jitter: expected a number from 0 "
                        "to 1, got 2"));
  EXPECT_THAT(
      Error("role { name: \"gpu\" restart { multiplier: 0.5 } }"),
      HasSubstr("role[0].restart.multiplier: expected a number from 1"));
  EXPECT_THAT(Error("role { name: \"gpu\" restart { mode: 7 } }"),
              HasSubstr("role[0].restart.mode: expected NEVER, ON_FAILURE or "
                        "ALWAYS"));
  EXPECT_THAT(Error("role { name: \"gpu\" network: \"all\" }"),
              HasSubstr("role[0].network: expected \"none\" or \"host\", got "
                        "\"all\""));
  EXPECT_THAT(
      Error("role { name: \"gpu\" sandbox: \"none\" network: \"none\" }"),
      HasSubstr("role[0].network: expected \"host\" with sandbox \"none\""));
  EXPECT_THAT(Error("role { name: \"gpu\" environment: \"=x\" }"),
              HasSubstr("role[0]: expected environment[0] to be "
                        "\"NAME=value\" or \"NAME\", got \"=x\""));
  EXPECT_THAT(Error("defaults { name: \"gpu\" } role { name: \"gpu\" }"),
              StartsWith("host.textproto:1:12: defaults.name: expected no "
                         "name"));
}

TEST_F(HostConfigTest, MaxBackoffBelowInitialPointsAtWhereItIsWritten) {
  EXPECT_EQ(Error("role {\n  name: \"gpu\"\n  restart {\n"
                  "    initial_backoff: \"2s\"\n    max_backoff: \"1s\"\n"
                  "  }\n}\n"),
            "host.textproto:5:5: role[0].restart.max_backoff: expected at "
            "least initial_backoff (2s), got 1s");
  // Written in the defaults: the error points there.
  EXPECT_THAT(Error("defaults {\n  restart { max_backoff: \"10ms\" }\n}\n"
                    "role { name: \"gpu\" }\n"),
              StartsWith("host.textproto:2:13: defaults.restart.max_backoff: "
                         "expected at least initial_backoff (100ms)"));
}

TEST_F(HostConfigTest, MissingFileIsNotFound) {
  absl::StatusOr<HostConfig> config =
      LoadHostConfigFile("/nonexistent/host.textproto", roles_);
  ASSERT_FALSE(config.ok());
  EXPECT_TRUE(absl::IsNotFound(config.status())) << config.status();
  EXPECT_THAT(std::string(config.status().message()),
              HasSubstr("/nonexistent/host.textproto"));
}

TEST_F(HostConfigTest, AnEndlessFileIsRefusedAfterItsCap) {
  // /dev/zero never ends: the read must stop at the cap, not fill memory.
  absl::StatusOr<HostConfig> config = LoadHostConfigFile("/dev/zero", roles_);
  ASSERT_FALSE(config.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(config.status())) << config.status();
  EXPECT_THAT(std::string(config.status().message()),
              HasSubstr("/dev/zero: larger than 1 MiB"));
}

TEST_F(HostConfigTest, ADirectoryIsNotAConfigFile) {
  absl::StatusOr<HostConfig> config = LoadHostConfigFile("/", roles_);
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()), HasSubstr("/: "));
}

TEST_F(HostConfigTest, LoadsAFile) {
  const std::string path = ::testing::TempDir() + "host_config_test.textproto";
  {
    std::ofstream file(path, std::ios::binary);
    file << "role { name: \"utility\" count: 2 }\nrole { name: \"bogus\" }\n";
  }
  absl::StatusOr<HostConfig> config = LoadHostConfigFile(path, roles_);
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()),
              StartsWith(path + ":2:8: role[1].name: expected a role"));
  std::remove(path.c_str());
}

TEST_F(HostConfigTest, NetworkAndEnvironmentShapeTheRolesPolicy) {
  absl::StatusOr<HostConfig> config = Parse(R"(
    defaults { environment: "LANG=C.UTF-8" }
    role { name: "utility" network: "host" environment: "TZ" }
    role { name: "network" network: "none" }
    role { name: "gpu" }
  )");
  ASSERT_TRUE(config.ok()) << config.status();
  Host::Options options;
  ApplyHostConfig(*config, options);
  const sandbox::SandboxPolicy utility =
      options.sandbox_policy_for_role("utility");
  EXPECT_EQ(utility.network, sandbox::Network::kHost);
  EXPECT_FALSE(utility.enabled(sandbox::Layer::kNetNamespace));
  EXPECT_EQ(utility.environment,
            (std::vector<std::string>{"LANG=C.UTF-8", "TZ"}));
  const sandbox::SandboxPolicy network =
      options.sandbox_policy_for_role("network");
  EXPECT_EQ(network.network, sandbox::Network::kNone);
  EXPECT_TRUE(network.enabled(sandbox::Layer::kNetNamespace));
  const sandbox::SandboxPolicy gpu = options.sandbox_policy_for_role("gpu");
  EXPECT_EQ(gpu.network, sandbox::Network::kNone);
  EXPECT_EQ(gpu.environment, (std::vector<std::string>{"LANG=C.UTF-8"}));
  // A role the config does not list gets the defaults' environment.
  EXPECT_EQ(options.sandbox_policy_for_role("renderer").environment,
            (std::vector<std::string>{"LANG=C.UTF-8"}));
}

// A directory with one file in it, for the config's file access: paths
// written with '/' (the config's own, and one Windows accepts too).
class HostConfigFilesTest : public HostConfigTest {
 protected:
  void SetUp() override {
    HostConfigTest::SetUp();
    dir_ =
        (std::filesystem::path(::testing::TempDir()) /
         ("host-config-files-" +
          std::string(
              ::testing::UnitTest::GetInstance()->current_test_info()->name())))
            .generic_string();
    std::filesystem::create_directories(dir_);
    file_ = dir_ + "/data.txt";
    std::ofstream(file_, std::ios::binary) << "data";
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  // "under /d read", "file /d/f write": a rule as the report shows it.
  static std::vector<std::string> Rules(const sandbox::SandboxPolicy& policy) {
    std::vector<std::string> rules;
    for (const sandbox::BrokerRule& rule : policy.broker_rules) {
      rules.push_back((rule.prefix ? "under " : "file ") + rule.path +
                      (rule.write ? " write" : " read"));
    }
    return rules;
  }
  // "name /path read".
  static std::vector<std::string> Preopened(
      const sandbox::SandboxPolicy& policy) {
    std::vector<std::string> files;
    for (const sandbox::PreopenedFile& file : policy.preopened) {
      files.push_back(file.name + " " + file.path +
                      (file.write ? " write" : " read"));
    }
    return files;
  }

  std::string dir_;
  std::string file_;
};

TEST_F(HostConfigFilesTest, BrokerRulesAndPreopenedFilesShapeTheRolesPolicy) {
#if defined(_WIN32)
  // Windows' pre-opened file opens no directory, sandboxed or not.
  const std::string folder;
  const std::vector<std::string> gpu_files = {"data " + file_ + " write"};
#else
  const std::string folder =
      "preopen { name: \"folder\" path: \"" + dir_ + "\" }";
  const std::vector<std::string> gpu_files = {"data " + file_ + " write",
                                              "folder " + dir_ + " read"};
#endif
  absl::StatusOr<HostConfig> config = Parse(R"(
    defaults { broker { under: ")" + dir_ + R"(" } }
    role {
      name: "renderer"
      broker { file: ")" + file_ + R"(" access: "write" }
      broker { under: ")" + dir_ + R"(" access: "read" }
      preopen { name: "data" path: ")" + file_ +
                                            R"(" }
    }
    role {
      name: "gpu"
      sandbox: "none"
      preopen { name: "data" path: ")" + file_ +
                                            R"(" access: "write" }
      )" + folder + R"(
    }
    role { name: "utility" }
  )");
  ASSERT_TRUE(config.ok()) << config.status();
  Host::Options options;
  ApplyHostConfig(*config, options);
  const sandbox::SandboxPolicy renderer =
      options.sandbox_policy_for_role("renderer");
  EXPECT_EQ(Rules(renderer),
            (std::vector<std::string>{"file " + file_ + " write",
                                      "under " + dir_ + " read"}));
  EXPECT_EQ(Preopened(renderer),
            (std::vector<std::string>{"data " + file_ + " read"}));
  // Its view and system calls are the preset's: the file access is all the
  // config added.
  EXPECT_EQ(renderer.filesystem, sandbox::PresetForRole("renderer").filesystem);
  // Unsandboxed, the role keeps the defaults' rule and its own files (on
  // POSIX a directory too: only a sandboxed helper is refused one).
  const sandbox::SandboxPolicy gpu = options.sandbox_policy_for_role("gpu");
  EXPECT_EQ(Rules(gpu), (std::vector<std::string>{"under " + dir_ + " read"}));
  EXPECT_EQ(Preopened(gpu), gpu_files);
  // A role without its own gets the defaults', as does one the config does
  // not list.
  for (const char* role : {"utility", "network"}) {
    const sandbox::SandboxPolicy policy = options.sandbox_policy_for_role(role);
    EXPECT_EQ(Rules(policy),
              (std::vector<std::string>{"under " + dir_ + " read"}))
        << role;
    EXPECT_TRUE(policy.preopened.empty()) << role;
  }
}

TEST_F(HostConfigFilesTest, ABadRuleOrFileIsRefusedNamingItsEntry) {
  auto role = [](const std::string& fields) {
    return "role { name: \"gpu\" " + fields + " }";
  };
  EXPECT_EQ(Error("role {\n  name: \"gpu\"\n  broker { under: \"etc\" }\n}"),
            "host.textproto:3:12: role[0].broker[0].under: expected an "
            "absolute path without empty, \".\" or \"..\" components or a "
            "trailing separator, got \"etc\"");
  EXPECT_THAT(Error(role("broker { file: \"" + dir_ + "/../secret\" }")),
              HasSubstr("role[0].broker[0].file: expected an absolute path"));
  EXPECT_THAT(Error(role("broker { under: \"" + dir_ + "/\" }")),
              HasSubstr("role[0].broker[0].under: expected an absolute path"));
  EXPECT_THAT(
      Error(role("broker { file: \"" + file_ + "\" under: \"" + dir_ + "\" }")),
      HasSubstr("role[0].broker[0]: expected exactly one of `file` "
                "(that file) and `under` (every file beneath that "
                "directory), got both"));
  EXPECT_THAT(Error(role("broker { access: \"read\" }")),
              HasSubstr("role[0].broker[0]: expected exactly one of `file`"));
  EXPECT_THAT(
      Error(role("broker { under: \"" + dir_ + "\" }\n broker { under: \"" +
                 dir_ + "\" access: \"exec\" }")),
      HasSubstr("role[0].broker[1].access: expected \"read\" or "
                "\"write\", got \"exec\""));
  EXPECT_THAT(Error(role("preopen { name: \"data\" path: \"" + file_ +
                         "\" access: \"rw\" }")),
              HasSubstr("role[0].preopen[0].access: expected \"read\" or "
                        "\"write\", got \"rw\""));
  EXPECT_THAT(Error(role("preopen { name: \"data\" path: \"data.txt\" }")),
              HasSubstr("role[0].preopen[0].path: expected an absolute path"));
  EXPECT_THAT(Error(role("preopen { path: \"" + file_ + "\" }")),
              HasSubstr("role[0].preopen[0].name: expected a name of 1 to 64 "
                        "characters, got \"\""));
  EXPECT_THAT(Error(role("preopen { name: \"" + std::string(65, 'n') +
                         "\" path: \"" + file_ + "\" }")),
              HasSubstr("role[0].preopen[0].name: expected a name of 1 to 64"));
  EXPECT_THAT(
      Error(role("preopen { name: \"data\" path: \"" + file_ +
                 "\" }\n preopen { name: \"data\" path: \"" + file_ + "\" }")),
      HasSubstr("role[0].preopen[1].name: expected each name once "
                "(preopen[0] has it), got \"data\" again"));
  // Opened when parsed, as at launch.
  const std::string missing = Error(
      role("preopen { name: \"model\" path: \"" + dir_ + "/no-such-file\" }"));
  EXPECT_THAT(missing, HasSubstr("role[0].preopen[0].path: expected a file "
                                 "the host can open"));
  EXPECT_THAT(missing, HasSubstr("no-such-file"));
  EXPECT_THAT(
      Error(role("preopen { name: \"folder\" path: \"" + dir_ + "\" }")),
      HasSubstr("role[0].preopen[0].path: expected a file the host "
                "can open (not a directory, not a symbolic link)"));
  // In the defaults, the error says so.
  EXPECT_THAT(Error("defaults { preopen { name: \"m\" path: \"" + dir_ +
                    "/gone\" } }\n" + role("")),
              HasSubstr("defaults.preopen[0].path: expected a file"));
#if !defined(_WIN32)
  std::filesystem::create_symlink(file_, dir_ + "/link.txt");
  EXPECT_THAT(
      Error(role("preopen { name: \"link\" path: \"" + dir_ + "/link.txt\" }")),
      HasSubstr("role[0].preopen[0].path: expected a file the host "
                "can open"));
#endif
}

}  // namespace
}  // namespace bulkhead
