#include "helper/sandbox_settings.h"

#include "absl/strings/str_cat.h"
#include "sandbox/seccomp_program.h"

namespace bulkhead {

using sandbox::Layer;
using sandbox::Requirement;

absl::StatusOr<ipc::SandboxSettings> MakeSandboxSettings(
    const sandbox::SandboxPolicy& policy) {
  ipc::SandboxSettings settings;
  settings.set_policy_name(policy.name);
  for (int i = 0; i < sandbox::kLayerCount; ++i) {
    const Layer layer = static_cast<Layer>(i);
    if (!policy.enabled(layer)) continue;
    (*settings.mutable_layers())[sandbox::LayerName(layer)] =
        policy.requirement(layer) == Requirement::kRequired;
  }
  if (policy.enabled(Layer::kSeccomp)) {
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
  request.policy.violation_action = settings.learning()
                                        ? sandbox::ViolationAction::kLearn
                                        : sandbox::ViolationAction::kTrap;
  request.policy.limits.address_space_bytes = settings.address_space_bytes();
  request.policy.limits.open_files = settings.open_files();
  request.policy.limits.processes = settings.processes();
  request.policy.limits.cpu_seconds = settings.cpu_seconds();
  request.seccomp_program = settings.seccomp_program();
  request.cgroup_path = settings.cgroup_path();
  request.cgroup_description = settings.cgroup_description();
  request.host_namespaces.insert(settings.host_namespaces().begin(),
                                 settings.host_namespaces().end());
  return request;
}

}  // namespace bulkhead
