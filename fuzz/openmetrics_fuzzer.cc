// libFuzzer target: label values in a host's OpenMetrics text come from
// helpers and apps (role names, exit descriptions with a helper's stderr
// line, pool names, failure reasons). Whatever bytes they hold, the text
// must keep the format line by line (tests/support/openmetrics_check.h) and
// read back as the values given, made valid UTF-8.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "common/utf8.h"
#include "host/openmetrics.h"
#include "tests/support/openmetrics_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bulkhead;
  // Fields separated by 0x1f: role, exit detail, syscall, pool, reason, ...
  const std::vector<std::string> fields = absl::StrSplit(
      absl::string_view(reinterpret_cast<const char*>(data), size), '\x1f');
  auto field = [&fields](size_t i) {
    return i < fields.size() ? fields[i] : std::string();
  };
  HostSnapshot snapshot;
  HelperSnapshot helper;
  helper.id = 1;
  helper.role = field(0);
  helper.pid = static_cast<int64_t>(size);
  helper.cpu_time = absl::Microseconds(static_cast<int64_t>(size));
  snapshot.helpers.push_back(helper);
  RoleSnapshot role;
  role.role = field(0);
  ExitInfo exit;
  exit.kind =
      size % 2 == 0 ? ExitKind::kSandboxViolation : ExitKind::kBadMessage;
  exit.detail = field(1);
  exit.syscall = field(2);
  exit.role = role.role;
  role.last_exit = exit;
  role.exits[exit.kind] = 1;
  snapshot.roles.push_back(role);
  // A second role, which may read the same as the first once made UTF-8.
  role.role = field(5);
  snapshot.roles.push_back(role);
  PoolSnapshot pool;
  pool.name = field(3);
  pool.role = field(0);
  pool.failed[field(4)] = 1;
  pool.failed[field(6)] = 2;
  pool.latency_quantiles[0.5] = absl::Milliseconds(1);
  snapshot.pools.push_back(pool);

  const std::string text = WriteOpenMetrics(snapshot);
  absl::StatusOr<std::vector<testing::OpenMetricsSample>> samples =
      testing::CheckOpenMetrics(text);
  if (!samples.ok()) __builtin_trap();  // Not well-formed.
  bool saw_role = false;
  for (const testing::OpenMetricsSample& sample : *samples) {
    if (sample.name == "bulkhead_helper_calls_total") {
      saw_role = true;
      if (sample.labels.at("role") != ValidUtf8(field(0))) __builtin_trap();
    }
  }
  if (!saw_role) __builtin_trap();
  return 0;
}
