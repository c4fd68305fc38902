// A zygote that misbehaves, for the host's tests: with
// BULKHEAD_TEST_FAKE_ZYGOTE=<mode> in its environment, a `--type=zygote`
// run of a test binary says hello like a zygote, then answers every fork
// request wrongly:
//   own-pid:  with its own pid;
//   host-pid: with its parent's pid (the host, no child of its own);
//   garbage:  with bytes that are no ZygoteReply;
//   with-fd:  with a ZygoteReply that carries an fd;
//   silent:   not at all.
// Run as a sandboxed zygote (`--sandboxed-zygote`), its answers carry a pidfd
// as a real one's do: own-pid and host-pid (its init there) send that
// process's pidfd; with-fd forks an idle child and sends its pid and pidfd and
// one fd more; and three more modes fork an idle child (CLONE_PARENT, as a
// sandboxed zygote forks) and say
//   wrong-pid: another pid with the child's pidfd;
//   no-fd:     the child's pid and no pidfd;
//   dead-pid:  the pid and pidfd of a child that has exited and been reaped.
// Otherwise it forks nothing.
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
