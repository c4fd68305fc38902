#include "helper/role_registry.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bulkhead {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Distinct functions, so that Find can be checked to return the one registered.
int MainOne(HelperContext&) { return 1; }
int MainTwo(HelperContext&) { return 2; }

TEST(RoleRegistryTest, AddThenFind) {
  RoleRegistry registry;
  ASSERT_TRUE(registry.Add("renderer", MainOne).ok());
  ASSERT_TRUE(registry.Add("gpu", MainTwo).ok());
  EXPECT_EQ(registry.Find("renderer"), &MainOne);
  EXPECT_EQ(registry.Find("gpu"), &MainTwo);
  EXPECT_TRUE(registry.Contains("renderer"));
  EXPECT_TRUE(registry.Contains("gpu"));
}

TEST(RoleRegistryTest, UnknownNameIsNotFound) {
  RoleRegistry registry;
  EXPECT_EQ(registry.Find("renderer"), nullptr);
  EXPECT_FALSE(registry.Contains("renderer"));
  ASSERT_TRUE(registry.Add("renderer", MainOne).ok());
  EXPECT_EQ(registry.Find("render"), nullptr);
  EXPECT_EQ(registry.Find("renderer2"), nullptr);
  EXPECT_EQ(registry.Find("Renderer"), nullptr);
  EXPECT_EQ(registry.Find(""), nullptr);
}

TEST(RoleRegistryTest, DuplicateIsAlreadyExistsAndKeepsTheFirst) {
  RoleRegistry registry;
  ASSERT_TRUE(registry.Add("renderer", MainOne).ok());
  absl::Status again = registry.Add("renderer", MainTwo);
  EXPECT_EQ(again.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(absl::StrContains(again.message(), "renderer")) << again;
  EXPECT_EQ(registry.Find("renderer"), &MainOne);
  EXPECT_THAT(registry.names(), ElementsAre("renderer"));
}

TEST(RoleRegistryTest, BadNamesAreInvalidArgument) {
  const std::vector<std::string> bad = {
      "",          std::string(33, 'a'),  // One over the limit.
      "Renderer",  "GPU",
      "has space", "a/b",
      "../etc",    "dot.ted",
      "tab\t",     std::string("nul\0byte", 8),
  };
  for (const std::string& name : bad) {
    RoleRegistry registry;
    absl::Status status = registry.Add(name, MainOne);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument)
        << "'" << name << "'";
    EXPECT_EQ(RoleRegistry::ValidateName(name).code(),
              absl::StatusCode::kInvalidArgument)
        << "'" << name << "'";
    EXPECT_FALSE(registry.Contains(name)) << "'" << name << "'";
    EXPECT_THAT(registry.names(), IsEmpty());
  }
}

TEST(RoleRegistryTest, GoodNamesIncludeTheEdgesOfTheAlphabet) {
  const std::vector<std::string> good = {"a",
                                         std::string(32, 'z'),
                                         "net-work_2",
                                         "0",
                                         "-",
                                         "_",
                                         "abcdefghijklmnopqrstuvwxyz012345"};
  RoleRegistry registry;
  for (const std::string& name : good) {
    absl::Status status = registry.Add(name, MainOne);
    EXPECT_TRUE(status.ok()) << "'" << name << "': " << status;
    EXPECT_TRUE(registry.Contains(name)) << name;
  }
}

TEST(RoleRegistryTest, NullMainIsInvalidArgument) {
  RoleRegistry registry;
  absl::Status status = registry.Add("renderer", nullptr);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(registry.Contains("renderer"));
  // The name is still free.
  EXPECT_TRUE(registry.Add("renderer", MainOne).ok());
}

TEST(RoleRegistryTest, NamesAreSorted) {
  RoleRegistry registry;
  EXPECT_THAT(registry.names(), IsEmpty());
  for (const char* name :
       {"utility", "gpu", "renderer", "network", "a-role", "z"}) {
    ASSERT_TRUE(registry.Add(name, MainOne).ok()) << name;
  }
  EXPECT_THAT(registry.names(), ElementsAre("a-role", "gpu", "network",
                                            "renderer", "utility", "z"));
}

}  // namespace
}  // namespace bulkhead
