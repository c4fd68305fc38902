// A host to be killed: the test binary run with --bulkhead-test-host starts a
// Host with two helpers, prints "HELPERS <pid> <pid>" once both are ready, and
// then serves until SIGTERM or end of input (both: clean shutdown, exit 0) or
// until it is killed. Tests use it to check that no helper outlives its host.
// Where the platform has the `escaper` role (Linux), an unsandboxed escaper
// is among them, and "ESCAPEES <child> <grandchild>" names the processes it
// started that left its process group and session. "HOST <pid>" names the
// host itself.
// With --bulkhead-test-host-thread, the host runs on its own thread for the
// launches, which then stops (Host::StopThread) before "HELPERS" is printed:
// exit code 1 when a helper died with the thread.
#ifndef BULKHEAD_TESTS_SUPPORT_TEST_HOST_H_
#define BULKHEAD_TESTS_SUPPORT_TEST_HOST_H_

namespace bulkhead::testing {

inline constexpr char kTestHostFlag[] = "--bulkhead-test-host";
inline constexpr char kTestHostThreadFlag[] = "--bulkhead-test-host-thread";

// When set, the text of the request the test host sends the escaper
// (tests/support/test_roles_linux.cc).
inline constexpr char kEscaperRequestVariable[] =
    "BULKHEAD_TEST_ESCAPER_REQUEST";

// When set, the test host also runs `blocker` (tests/support/test_roles.cc),
// unsandboxed, whose loop is blocked by the time HELPERS is printed.
inline constexpr char kBlockerVariable[] = "BULKHEAD_TEST_HOST_BLOCKER";

int RunTestHost(bool on_thread);

}  // namespace bulkhead::testing

#endif  // BULKHEAD_TESTS_SUPPORT_TEST_HOST_H_
