#include "browser_host/host_config.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "browser_host/proto/host_config.pb.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "host/file_broker.h"
#include "sandbox/sandbox_policy.h"
#include "sandbox/sandbox_policy_files.h"

namespace bulkhead {
namespace {

using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::Message;
using ::google::protobuf::TextFormat;
using ParseInfoTree = TextFormat::ParseInfoTree;

// Helpers per role. The host's descriptor limit (host/fd_budget.h) is what
// really bounds them: past it, launches are refused by name.
constexpr int kMaxCount = kMaxHelpersPerRole;
constexpr int64_t kMaxMemoryLimitMb = int64_t{1} << 30;  // 1 PiB.

// Keeps the parser's first error, with its (zero-based) position.
class FirstErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    if (error_.has_value()) return;
    error_ = absl::StrCat(line + 1, ":", column + 1, ": ", message);
  }
  const std::optional<std::string>& error() const { return error_; }

 private:
  std::optional<std::string> error_;
};

// A message of the parsed config together with where its fields were
// written, for errors that point at them.
struct Located {
  const Message* message;
  const ParseInfoTree* tree;  // Null when the block was not written.
  std::string path;           // "role[1].restart", for messages.
  // Where the block itself starts, for errors about a missing field.
  TextFormat::ParseLocation block;
};

const FieldDescriptor* Field(const Located& at, const char* name) {
  const FieldDescriptor* field =
      at.message->GetDescriptor()->FindFieldByName(name);
  return field;
}

Located Nested(const Located& at, const char* name, const Message& child,
               int index = -1) {
  const FieldDescriptor* field = Field(at, name);
  Located nested;
  nested.message = &child;
  nested.tree =
      at.tree == nullptr ? nullptr : at.tree->GetTreeForNested(field, index);
  nested.path = absl::StrCat(at.path, at.path.empty() ? "" : ".", name,
                             index >= 0 ? absl::StrCat("[", index, "]") : "");
  nested.block = at.tree == nullptr ? TextFormat::ParseLocation()
                                    : at.tree->GetLocation(field, index);
  if (nested.block.line < 0) nested.block = at.block;
  return nested;
}

// Collects the first semantic error, located.
class Checker {
 public:
  explicit Checker(absl::string_view file_name) : file_name_(file_name) {}

  // Records "file:line:col: path.name: expected <expected>, got <got>"
  // unless an error was recorded already.
  void Fail(const Located& at, const char* name, absl::string_view expected,
            absl::string_view got) {
    if (!status_.ok()) return;
    TextFormat::ParseLocation where = at.block;
    if (at.tree != nullptr && name != nullptr) {
      TextFormat::ParseLocation field =
          at.tree->GetLocation(Field(at, name), -1);
      if (field.line >= 0) where = field;
    }
    const std::string field_path =
        name == nullptr
            ? at.path
            : absl::StrCat(at.path, at.path.empty() ? "" : ".", name);
    status_ = absl::InvalidArgumentError(absl::StrCat(
        file_name_, ":", where.line + 1, ":", where.column + 1, ": ",
        field_path.empty() ? "" : absl::StrCat(field_path, ": "), "expected ",
        expected, got.empty() ? "" : absl::StrCat(", got ", got)));
  }

  // A duration string: parsed, finite, and at least `min` (strictly more
  // when `positive`).
  std::optional<absl::Duration> Duration(const Located& at, const char* name,
                                         const std::string& text,
                                         bool positive) {
    absl::Duration value;
    if (!absl::ParseDuration(text, &value) ||
        value == absl::InfiniteDuration() ||
        value == -absl::InfiniteDuration()) {
      Fail(at, name, "a duration such as \"250ms\", \"1.5s\" or \"2m\"",
           absl::StrCat("\"", text, "\""));
      return std::nullopt;
    }
    if (value < absl::ZeroDuration() ||
        (positive && value == absl::ZeroDuration())) {
      Fail(at, name,
           positive ? "a duration above zero" : "a duration of zero or more",
           absl::StrCat("\"", text, "\""));
      return std::nullopt;
    }
    return value;
  }

  const absl::Status& status() const { return status_; }

 private:
  const std::string file_name_;
  absl::Status status_;
};

// Applies the fields `restart` sets onto `policy`.
void ApplyRestart(Checker& check, const Located& at,
                  const config::RestartConfig& restart, RestartPolicy& policy) {
  switch (restart.mode()) {
    case config::RestartConfig::NEVER:
      policy.mode = RestartPolicy::Mode::kNever;
      break;
    case config::RestartConfig::ON_FAILURE:
      policy.mode = RestartPolicy::Mode::kOnFailure;
      break;
    case config::RestartConfig::ALWAYS:
      policy.mode = RestartPolicy::Mode::kAlways;
      break;
    default:
      if (restart.has_mode()) {
        check.Fail(at, "mode", "NEVER, ON_FAILURE or ALWAYS",
                   config::RestartConfig::Mode_Name(restart.mode()));
      }
  }
  if (restart.has_initial_backoff()) {
    if (auto value = check.Duration(at, "initial_backoff",
                                    restart.initial_backoff(), false)) {
      policy.initial_backoff = *value;
    }
  }
  if (restart.has_max_backoff()) {
    if (auto value =
            check.Duration(at, "max_backoff", restart.max_backoff(), true)) {
      policy.max_backoff = *value;
    }
  }
  if (restart.has_multiplier()) {
    if (!(restart.multiplier() >= 1.0 && restart.multiplier() <= 1000.0)) {
      check.Fail(at, "multiplier", "a number from 1 to 1000",
                 absl::StrCat(restart.multiplier()));
    }
    policy.multiplier = restart.multiplier();
  }
  if (restart.has_jitter()) {
    if (!(restart.jitter() >= 0.0 && restart.jitter() <= 1.0)) {
      check.Fail(at, "jitter", "a number from 0 to 1",
                 absl::StrCat(restart.jitter()));
    }
    policy.jitter = restart.jitter();
  }
  if (restart.has_max_restarts()) {
    if (restart.max_restarts() < 0) {
      check.Fail(at, "max_restarts", "0 or more",
                 absl::StrCat(restart.max_restarts()));
    }
    policy.max_restarts = restart.max_restarts();
  }
  if (restart.has_window()) {
    if (auto value = check.Duration(at, "window", restart.window(), true)) {
      policy.window = *value;
    }
  }
}

// A file access mode: "read" (also when not written) or "write"; whether it
// allows writing, or nullopt after recording the error.
std::optional<bool> ParseAccess(Checker& check, const Located& at, bool written,
                                const std::string& access) {
  if (!written || access == "read") return false;
  if (access == "write") return true;
  check.Fail(at, "access", "\"read\" or \"write\"",
             absl::StrCat("\"", absl::CHexEscape(access), "\""));
  return std::nullopt;
}

// A broker rule's or pre-opened file's path, as the sandbox's policy checks
// it (sandbox::internal::ValidateAbsolutePath); false after recording the
// error.
bool CheckFilePath(Checker& check, const Located& at, const char* name,
                   const std::string& path) {
  if (sandbox::internal::ValidateAbsolutePath(path).ok()) return true;
  check.Fail(at, name,
             "an absolute path without empty, \".\" or \"..\" components "
             "or a trailing separator",
             absl::StrCat("\"", absl::CHexEscape(path), "\""));
  return false;
}

// The `broker` entries of `role`, replacing `out`'s when there are any.
void ApplyBrokerRules(Checker& check, const Located& at,
                      const config::Role& role, RoleConfig& out) {
  if (role.broker_size() > 0) out.broker_rules.clear();
  for (int i = 0; i < role.broker_size(); ++i) {
    const config::BrokerRuleConfig& entry = role.broker(i);
    const Located where = Nested(at, "broker", entry, i);
    if (entry.has_file() == entry.has_under()) {
      check.Fail(where, nullptr,
                 "exactly one of `file` (that file) and `under` (every file "
                 "beneath that directory)",
                 entry.has_file() ? "both" : "neither");
      continue;
    }
    const char* field = entry.has_file() ? "file" : "under";
    const std::string& path = entry.has_file() ? entry.file() : entry.under();
    if (!CheckFilePath(check, where, field, path)) continue;
    std::optional<bool> write =
        ParseAccess(check, where, entry.has_access(), entry.access());
    if (!write.has_value()) continue;
    out.broker_rules.push_back({path, entry.has_under(), *write});
  }
}

// The `preopen` entries of `role`, replacing `out`'s when there are any. Each
// file is opened as the launch opens it (OpenPreopenedFile) and closed: a
// file that is missing, a symbolic link or (for a sandboxed role) a
// directory is refused here rather than at every launch.
void ApplyPreopened(Checker& check, const Located& at, const config::Role& role,
                    RoleConfig& out) {
  if (role.preopen_size() > 0) out.preopened.clear();
  for (int i = 0; i < role.preopen_size(); ++i) {
    const config::PreopenedFileConfig& entry = role.preopen(i);
    const Located where = Nested(at, "preopen", entry, i);
    if (entry.name().empty() ||
        entry.name().size() > sandbox::kMaxPreopenedNameLength) {
      check.Fail(where, "name",
                 absl::StrCat("a name of 1 to ",
                              sandbox::kMaxPreopenedNameLength, " characters"),
                 absl::StrCat("\"", absl::CHexEscape(entry.name()), "\""));
      continue;
    }
    for (int earlier = 0; earlier < i; ++earlier) {
      if (role.preopen(earlier).name() == entry.name()) {
        check.Fail(
            where, "name",
            absl::StrCat("each name once (preopen[", earlier, "] has it)"),
            absl::StrCat("\"", absl::CHexEscape(entry.name()), "\" again"));
      }
    }
    if (!CheckFilePath(check, where, "path", entry.path())) continue;
    std::optional<bool> write =
        ParseAccess(check, where, entry.has_access(), entry.access());
    if (!write.has_value()) continue;
    sandbox::PreopenedFile file{entry.name(), entry.path(), *write};
    if (check.status().ok()) {
      absl::StatusOr<ScopedHandle> opened =
          OpenPreopenedFile(file, out.sandbox != "none");
      if (!opened.ok()) {
        check.Fail(where, "path",
                   out.sandbox != "none"
                       ? "a file the host can open (not a directory, not a "
                         "symbolic link)"
                       : "a file the host can open (not a symbolic link)",
                   opened.status().message());
        continue;
      }
    }
    out.preopened.push_back(std::move(file));
  }
}

// Applies the fields `role` sets (all but name and count) onto `out`.
void ApplyRole(Checker& check, const Located& at, const config::Role& role,
               RoleConfig& out) {
  if (role.has_sandbox()) {
    const std::vector<std::string> presets = sandbox::PresetNames();
    if (role.sandbox() != "default" && role.sandbox() != "none" &&
        std::find(presets.begin(), presets.end(), role.sandbox()) ==
            presets.end()) {
      check.Fail(at, "sandbox",
                 absl::StrCat("\"default\", \"none\" or a preset: ",
                              absl::StrJoin(presets, ", ")),
                 absl::StrCat("\"", role.sandbox(), "\""));
    }
    out.sandbox = role.sandbox();
  }
  if (role.has_network()) {
    out.network = sandbox::NetworkFromName(role.network());
    if (!out.network.has_value()) {
      check.Fail(at, "network", "\"none\" or \"host\"",
                 absl::StrCat("\"", role.network(), "\""));
    } else if (*out.network == sandbox::Network::kNone &&
               out.sandbox == "none") {
      check.Fail(at, "network",
                 "\"host\" with sandbox \"none\" (an unsandboxed helper has "
                 "the host's network)",
                 "\"none\"");
    }
  }
  for (int i = 0; i < role.environment_size(); ++i) {
    const std::string& entry = role.environment(i);
    if (!sandbox::CheckEnvironmentEntries("", {entry}).ok()) {
      // A repeated field: the block's position, the entry's index.
      check.Fail(
          at, nullptr,
          absl::StrCat("environment[", i, "] to be \"NAME=value\" or \"NAME\""),
          absl::StrCat("\"", absl::CHexEscape(entry), "\""));
    }
    out.environment.push_back(entry);
  }
  if (role.has_restart()) {
    ApplyRestart(check, Nested(at, "restart", role.restart()), role.restart(),
                 out.restart);
  }
  if (role.has_memory_limit_mb()) {
    if (role.memory_limit_mb() < 0 ||
        role.memory_limit_mb() > kMaxMemoryLimitMb) {
      check.Fail(at, "memory_limit_mb",
                 absl::StrCat("0 (no limit) to ", kMaxMemoryLimitMb, " MiB"),
                 absl::StrCat(role.memory_limit_mb()));
    }
    out.memory_limit_bytes = static_cast<uint64_t>(role.memory_limit_mb())
                             << 20;
  }
  if (role.has_cpu_limit_seconds()) {
    if (role.cpu_limit_seconds() < 0) {
      check.Fail(at, "cpu_limit_seconds", "0 (no limit) or more seconds",
                 absl::StrCat(role.cpu_limit_seconds()));
    }
    out.cpu_limit = absl::Seconds(role.cpu_limit_seconds());
  }
  if (role.filesystem_size() > 0) out.filesystem.clear();
  for (int i = 0; i < role.filesystem_size(); ++i) {
    const config::FilesystemEntryConfig& entry = role.filesystem(i);
    const Located where = Nested(at, "filesystem", entry, i);
    std::optional<sandbox::FilesystemEntry::Kind> kind =
        sandbox::FilesystemKindFromName(entry.kind());
    if (!kind.has_value()) {
      check.Fail(where, "kind", "\"ro\", \"rw\", \"tmpfs\" or \"dev\"",
                 absl::StrCat("\"", entry.kind(), "\""));
      continue;
    }
    if (entry.has_size_kb() &&
        *kind != sandbox::FilesystemEntry::Kind::kTmpfs) {
      check.Fail(where, "size_kb", "a size only for kind \"tmpfs\"",
                 absl::StrCat(entry.size_kb()));
    }
    if (entry.size_kb() > (sandbox::kMaxTmpfsBytes >> 10)) {
      check.Fail(where, "size_kb",
                 absl::StrCat("at most ", sandbox::kMaxTmpfsBytes >> 10),
                 absl::StrCat(entry.size_kb()));
      continue;
    }
    out.filesystem.push_back({*kind, entry.path(), entry.size_kb() << 10});
  }
  if (role.allow_syscalls_size() > 0) {
    out.allow_syscalls.assign(role.allow_syscalls().begin(),
                              role.allow_syscalls().end());
  }
  ApplyBrokerRules(check, at, role, out);
  ApplyPreopened(check, at, role, out);
  if (role.has_heartbeat()) {
    const Located beat = Nested(at, "heartbeat", role.heartbeat());
    if (role.heartbeat().has_interval()) {
      if (auto value = check.Duration(beat, "interval",
                                      role.heartbeat().interval(), true)) {
        out.heartbeat.interval = *value;
      }
    }
    if (role.heartbeat().has_deadline()) {
      if (auto value = check.Duration(beat, "deadline",
                                      role.heartbeat().deadline(), true)) {
        out.heartbeat.timeout = *value;
      }
    }
  }
}

// Where a role's restart settings are written, for the cross-field check:
// the role's own block if it sets either backoff, else the defaults'.
Located BackoffBlame(const Located& role, const Located& defaults) {
  const config::Role& written = static_cast<const config::Role&>(*role.message);
  if (written.restart().has_initial_backoff() ||
      written.restart().has_max_backoff()) {
    return Nested(role, "restart", written.restart());
  }
  const config::Role& fallback =
      static_cast<const config::Role&>(*defaults.message);
  return Nested(defaults, "restart", fallback.restart());
}

}  // namespace

std::optional<LogLevel> ParseLogLevelName(absl::string_view name) {
  if (name == "debug") return LogLevel::kDebug;
  if (name == "info") return LogLevel::kInfo;
  if (name == "warning") return LogLevel::kWarning;
  if (name == "error") return LogLevel::kError;
  return std::nullopt;
}

absl::StatusOr<HostConfig> ParseHostConfig(absl::string_view text,
                                           absl::string_view file_name,
                                           const RoleRegistry& registry) {
  config::HostConfig proto;
  ParseInfoTree tree;
  FirstErrorCollector errors;
  TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  parser.WriteLocationsTo(&tree);
  if (!parser.ParseFromString(std::string(text), &proto)) {
    return absl::InvalidArgumentError(absl::StrCat(
        file_name, ":", errors.error().value_or("0:0: not a HostConfig")));
  }

  Checker check(file_name);
  HostConfig config;
  const Located top{&proto, &tree, "", TextFormat::ParseLocation(0, 0)};
  if (proto.has_log_level()) {
    std::optional<LogLevel> level = ParseLogLevelName(proto.log_level());
    if (!level.has_value()) {
      check.Fail(top, "log_level",
                 "\"debug\", \"info\", \"warning\" or \"error\"",
                 absl::StrCat("\"", proto.log_level(), "\""));
    }
    config.log_level = level.value_or(LogLevel::kWarning);
  }
  if (proto.has_work_interval()) {
    if (auto value = check.Duration(top, "work_interval", proto.work_interval(),
                                    false)) {
      config.work_interval = *value;
    }
  }

  const Located defaults = Nested(top, "defaults", proto.defaults());
  if (proto.defaults().has_name()) {
    check.Fail(defaults, "name",
               "no name in `defaults` (it applies to every role)", "");
  }
  if (proto.defaults().has_count()) {
    check.Fail(defaults, "count", "no count in `defaults` (set it per role)",
               "");
  }
  RoleConfig base;
  ApplyRole(check, defaults, proto.defaults(), base);
  if (check.status().ok() && base.sandbox != "none") {
    absl::StatusOr<sandbox::SandboxPolicy> policy =
        SandboxPolicyForRole(base, "renderer");
    if (!policy.ok()) {
      check.Fail(defaults, nullptr,
                 "a `filesystem` and `allow_syscalls` the sandbox accepts",
                 policy.status().message());
    }
  }
  config.defaults = base;

  if (proto.role_size() == 0) {
    check.Fail(top, nullptr, "at least one `role { name: \"...\" }` block",
               "none");
  }
  for (int i = 0; i < proto.role_size(); ++i) {
    const config::Role& role = proto.role(i);
    const Located at = Nested(top, "role", role, i);
    RoleConfig out = base;
    if (!role.has_name()) {
      check.Fail(at, nullptr, "a `name` in every role block", "none");
    } else if (!registry.Contains(role.name())) {
      check.Fail(at, "name",
                 absl::StrCat("a role: one of ",
                              absl::StrJoin(registry.names(), ", ")),
                 absl::StrCat("\"", role.name(), "\""));
    }
    out.name = role.name();
    for (const RoleConfig& earlier : config.roles) {
      if (earlier.name == out.name && role.has_name()) {
        check.Fail(at, "name", "each role once (add to its `count` instead)",
                   absl::StrCat("\"", role.name(), "\" again"));
      }
    }
    if (role.has_count()) {
      if (role.count() < 1 || role.count() > kMaxCount) {
        check.Fail(at, "count", absl::StrCat("1 to ", kMaxCount),
                   absl::StrCat(role.count()));
      }
      out.count = role.count();
    }
    ApplyRole(check, at, role, out);
    if (check.status().ok() && out.sandbox != "none") {
      // The role's whole policy, as its helpers will get it.
      absl::StatusOr<sandbox::SandboxPolicy> policy =
          SandboxPolicyForRole(out, out.name);
      if (!policy.ok()) {
        check.Fail(at, nullptr,
                   "a `filesystem` and `allow_syscalls` the sandbox accepts",
                   policy.status().message());
      }
    }
    if (check.status().ok() &&
        out.restart.max_backoff < out.restart.initial_backoff) {
      check.Fail(
          BackoffBlame(at, defaults), "max_backoff",
          absl::StrCat("at least initial_backoff (",
                       absl::FormatDuration(out.restart.initial_backoff), ")"),
          absl::FormatDuration(out.restart.max_backoff));
    }
    config.roles.push_back(std::move(out));
  }
  if (!check.status().ok()) return check.status();
  return config;
}

absl::Status ApplyHelperCounts(absl::string_view spec,
                               const RoleRegistry& registry,
                               HostConfig& config) {
  if (spec.empty()) {
    return absl::InvalidArgumentError(
        "--helpers: expected ROLE:COUNT[,ROLE:COUNT...], got nothing");
  }
  std::vector<std::string> named;
  for (absl::string_view item : absl::StrSplit(spec, ',')) {
    const std::vector<absl::string_view> parts = absl::StrSplit(item, ':');
    int count = 0;
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[1], &count)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--helpers: expected ROLE:COUNT, got '", item, "'"));
    }
    const std::string role(parts[0]);
    if (!registry.Contains(role)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--helpers: unknown role '", role, "'; one of ",
                       absl::StrJoin(registry.names(), ", ")));
    }
    if (std::find(named.begin(), named.end(), role) != named.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--helpers: role '", role, "' named twice"));
    }
    named.push_back(role);
    if (count < 0 || count > kMaxCount) {
      return absl::InvalidArgumentError(
          absl::StrCat("--helpers: ", role, ": expected a count of 0 to ",
                       kMaxCount, ", got ", parts[1]));
    }
    auto it = std::find_if(
        config.roles.begin(), config.roles.end(),
        [&role](const RoleConfig& listed) { return listed.name == role; });
    if (count == 0) {
      if (it != config.roles.end()) config.roles.erase(it);
      continue;
    }
    if (it == config.roles.end()) {
      RoleConfig added = config.defaults;
      added.name = role;
      config.roles.push_back(std::move(added));
      it = config.roles.end() - 1;
    }
    it->count = count;
  }
  if (config.roles.empty()) {
    return absl::InvalidArgumentError(
        "--helpers: no role left to start (every count is 0)");
  }
  return absl::OkStatus();
}

absl::StatusOr<HostConfig> LoadHostConfigFile(const std::string& path,
                                              const RoleRegistry& registry) {
  // A config is a few KiB; the cap keeps a wrong path (/dev/zero, a log that
  // grows) from filling memory.
  constexpr std::streamsize kMaxBytes = 1 << 20;
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": is a directory, not a config file"));
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return absl::NotFoundError(absl::StrCat(
        path, ": cannot read the config file: ", std::strerror(errno)));
  }
  std::string text(static_cast<size_t>(kMaxBytes) + 1, '\0');
  file.read(text.data(), kMaxBytes + 1);
  if (file.bad()) {
    return absl::DataLossError(
        absl::StrCat(path, ": read error: ", std::strerror(errno)));
  }
  if (file.gcount() > kMaxBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": larger than 1 MiB, which no config is"));
  }
  text.resize(static_cast<size_t>(file.gcount()));
  return ParseHostConfig(text, path, registry);
}

}  // namespace bulkhead
