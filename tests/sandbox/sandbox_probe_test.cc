// The status probe, run in the (unconfined) test process.
#include "sandbox/sandbox_probe.h"

#include <set>
#include <string>

#include "gtest/gtest.h"

namespace bulkhead::sandbox {
namespace {

TEST(SandboxProbeTest, ReportsEachLayerOnceWithAState) {
  const SandboxReport report = ProbeSandbox();
  ASSERT_FALSE(report.layers.empty());
  std::set<std::string> names;
  for (const auto& [layer, state] : report.layers) {
    EXPECT_FALSE(layer.empty());
    EXPECT_FALSE(state.empty()) << layer;
    EXPECT_TRUE(names.insert(layer).second) << layer << " reported twice";
  }
}

}  // namespace
}  // namespace bulkhead::sandbox
