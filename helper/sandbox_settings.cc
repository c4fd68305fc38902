#include "helper/sandbox_settings.h"

#include "absl/strings/str_cat.h"
#include "sandbox/filesystem_view.h"
#include "sandbox/lockdown.h"
#include "sandbox/seccomp_program.h"

namespace bulkhead {

using sandbox::FilesystemEntry;
using sandbox::Layer;
using sandbox::Requirement;

namespace {

ipc::FilesystemViewEntry::Kind ToWire(FilesystemEntry::Kind kind) {
  switch (kind) {
    case FilesystemEntry::Kind::kReadOnly:
      return ipc::FilesystemViewEntry::KIND_READ_ONLY;
    case FilesystemEntry::Kind::kReadWrite:
      return ipc::FilesystemViewEntry::KIND_READ_WRITE;
    case FilesystemEntry::Kind::kTmpfs:
      return ipc::FilesystemViewEntry::KIND_TMPFS;
    case FilesystemEntry::Kind::kDevice:
      return ipc::FilesystemViewEntry::KIND_DEVICE;
  }
  return ipc::FilesystemViewEntry::KIND_UNSPECIFIED;
}

std::optional<FilesystemEntry::Kind> FromWire(
    ipc::FilesystemViewEntry::Kind kind) {
  switch (kind) {
    case ipc::FilesystemViewEntry::KIND_READ_ONLY:
      return FilesystemEntry::Kind::kReadOnly;
    case ipc::FilesystemViewEntry::KIND_READ_WRITE:
      return FilesystemEntry::Kind::kReadWrite;
    case ipc::FilesystemViewEntry::KIND_TMPFS:
      return FilesystemEntry::Kind::kTmpfs;
    case ipc::FilesystemViewEntry::KIND_DEVICE:
      return FilesystemEntry::Kind::kDevice;
    default:
      return std::nullopt;
  }
}

}  // namespace

absl::StatusOr<ipc::SandboxSettings> MakeSandboxSettings(
    const sandbox::SandboxPolicy& policy) {
  // At launch, on the host's filesystem, before anything is spawned.
  if (absl::Status view =
          sandbox::CheckFilesystemViewAtLaunch(policy.filesystem);
      !view.ok()) {
    return absl::Status(
        view.code(),
        absl::StrCat("sandbox policy '", policy.name, "': ", view.message()));
  }
  ipc::SandboxSettings settings;
  settings.set_policy_name(policy.name);
  for (const FilesystemEntry& entry : policy.filesystem) {
    ipc::FilesystemViewEntry* out = settings.add_filesystem();
    out->set_kind(ToWire(entry.kind));
    out->set_path(entry.path);
    out->set_size_bytes(entry.size_bytes);
  }
  for (int i = 0; i < sandbox::kLayerCount; ++i) {
    const Layer layer = static_cast<Layer>(i);
    if (!policy.enabled(layer)) continue;
    (*settings.mutable_layers())[sandbox::LayerName(layer)] =
        policy.requirement(layer) == Requirement::kRequired;
  }
  // Only where the helper has Linux's layers to apply it with.
  if (policy.enabled(Layer::kSeccomp) && sandbox::LockdownAvailable()) {
    absl::StatusOr<std::string> program =
        sandbox::CompileSeccompProgram(policy);
    if (!program.ok()) {
      return absl::Status(
          program.status().code(),
          absl::StrCat("sandbox policy '", policy.name,
                       "': seccomp program: ", program.status().message()));
    }
    settings.set_seccomp_program(*std::move(program));
  }
  settings.set_forks(sandbox::AllowsFork(policy));
  settings.set_reaches_host_network(sandbox::ReachesHostNetwork(policy));
  settings.set_learning(policy.violation_action ==
                        sandbox::ViolationAction::kLearn);
  settings.set_address_space_bytes(policy.limits.address_space_bytes);
  settings.set_open_files(policy.limits.open_files);
  settings.set_processes(policy.limits.processes);
  settings.set_cpu_seconds(policy.limits.cpu_seconds);
  for (const auto& [name, inode] : sandbox::CurrentNamespaces()) {
    (*settings.mutable_host_namespaces())[name] = inode;
  }
  return settings;
}

absl::StatusOr<sandbox::LockdownRequest> LockdownRequestFromSettings(
    const ipc::SandboxSettings& settings) {
  sandbox::LockdownRequest request;
  request.policy = sandbox::NoSandboxPolicy();
  request.policy.name = settings.policy_name();
  for (const auto& [name, required] : settings.layers()) {
    std::optional<Layer> layer = sandbox::LayerFromName(name);
    if (!layer.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown sandbox layer '", name, "' in the Welcome"));
    }
    request.policy.layers[static_cast<int>(*layer)] =
        required ? Requirement::kRequired : Requirement::kBestEffort;
  }
  // The host's answers for both (AllowsFork, ReachesHostNetwork), so that
  // the helper's confinement is the one its host chose, whatever the layers.
  request.policy.network = settings.reaches_host_network()
                               ? sandbox::Network::kHost
                               : sandbox::Network::kNone;
  if (settings.forks()) request.policy.allowed_syscalls.push_back("fork");
  request.policy.violation_action = settings.learning()
                                        ? sandbox::ViolationAction::kLearn
                                        : sandbox::ViolationAction::kTrap;
  request.policy.limits.address_space_bytes = settings.address_space_bytes();
  request.policy.limits.open_files = settings.open_files();
  request.policy.limits.processes = settings.processes();
  request.policy.limits.cpu_seconds = settings.cpu_seconds();
  for (const ipc::FilesystemViewEntry& entry : settings.filesystem()) {
    std::optional<FilesystemEntry::Kind> kind = FromWire(entry.kind());
    if (!kind.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown filesystem view entry kind ", entry.kind(),
                       " in the Welcome"));
    }
    request.policy.filesystem.push_back(
        {*kind, entry.path(), entry.size_bytes()});
  }
  if (absl::Status view =
          sandbox::CheckFilesystemView(request.policy.filesystem);
      !view.ok()) {
    return view;
  }
  request.seccomp_program = settings.seccomp_program();
  request.cgroup_path = settings.cgroup_path();
  request.cgroup_description = settings.cgroup_description();
  request.host_namespaces.insert(settings.host_namespaces().begin(),
                                 settings.host_namespaces().end());
  return request;
}

}  // namespace bulkhead
