// A zygote that misbehaves, for the host's tests: with
// BULKHEAD_TEST_FAKE_ZYGOTE=<mode> in its environment, a `--type=zygote`
// run of a test binary says hello like a zygote, then answers every fork
// request wrongly:
//   own-pid:  with its own pid;
//   host-pid: with its parent's pid (the host, no child of its own);
//   garbage:  with bytes that are no ZygoteReply;
//   with-fd:  with a ZygoteReply that carries an fd;
//   silent:   not at all.
// It forks nothing.
#ifndef BULKHEAD_TESTS_SUPPORT_FAKE_ZYGOTE_H_
#define BULKHEAD_TESTS_SUPPORT_FAKE_ZYGOTE_H_

#include <optional>

namespace bulkhead::testing {

inline constexpr char kFakeZygoteVariable[] = "BULKHEAD_TEST_FAKE_ZYGOTE";

// nullopt unless this is a `--type=zygote` run with the variable set (Linux);
// otherwise runs the fake until its socket closes and returns the exit code.
std::optional<int> MaybeRunFakeZygote(int argc, char** argv);

}  // namespace bulkhead::testing

#endif  // BULKHEAD_TESTS_SUPPORT_FAKE_ZYGOTE_H_
