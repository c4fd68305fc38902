// main() of the test binaries that launch helpers: the binary is its own helper
// (libuv's run-tests, Chromium's MULTIPROCESS_TEST_MAIN). With --type it runs a
// role; otherwise the tests.
#include <string>

#include "gtest/gtest.h"
#include "helper/helper_main.h"
#include "tests/support/fake_zygote.h"
#include "tests/support/sanitizer_env.h"
#include "tests/support/test_host.h"
#include "tests/support/test_roles.h"

int main(int argc, char** argv) {
  if (argc == 2 && std::string(argv[1]) == bulkhead::testing::kTestHostFlag) {
    return bulkhead::testing::RunTestHost(/*on_thread=*/false);
  }
  if (argc == 2 &&
      std::string(argv[1]) == bulkhead::testing::kTestHostThreadFlag) {
    return bulkhead::testing::RunTestHost(/*on_thread=*/true);
  }
  if (auto exit_code = bulkhead::testing::MaybeRunFakeZygote(argc, argv)) {
    return *exit_code;
  }
  if (auto exit_code = bulkhead::MaybeRunHelper(
          argc, argv, bulkhead::testing::TestRoleRegistry())) {
    return *exit_code;
  }
  bulkhead::testing::PrepareHelperEnvironment();
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
