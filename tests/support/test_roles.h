// Roles that misbehave on purpose, for tests that launch real helpers of the
// test binary itself. All of them serve LayoutTextRequest, so a test triggers
// the behaviour with a Call.
//   stall:   blocks its loop forever inside the handler (a hung helper).
//   closer:  closes its end of the channel, then blocks (it hangs up).
//   garbage: writes raw bytes to the channel, chosen by the request's `text`:
//            "not-protobuf", "oversize", "reply-to-nothing", "second-hello",
//            "empty-control".
//   exit7:   writes two lines to stderr and exits with code 7 before Ready.
//   exit0:   writes a line to stderr and exits with code 0 before Ready.
//   bad-words: writes kBadWords as its last stderr line and exits with code 0
//            before Ready: launch-failed, with that line in its ExitInfo's
//            launch_status (and so in ExitInfo::Describe()).
//   deaf:    sends Ready, then blocks its loop forever: it never reads its
//            channel again, so only a kill (or its job closing) ends it.
//   flooder: writes lines to stdout as fast as the host takes them, and
//            answers each call with the request's text as its one line.
//   nested-host: a host of its own. The request's `text` names a role; it
//            launches a helper in it (sandboxed where available), waits for
//            Ready and answers with the helper's pid as the only line.
//   write-file: creates the file the request's `text` names (and removes it);
//            answers OK, or the error (PermissionDenied when refused).
//   spawner: starts a process (its own binary listing its tests) and answers
//            OK once it started, or the error when it could not.
//   pipe-writer: on a one-way LayoutTextRequest that came with a handle,
//            writes the request's text into it; on one without, makes a
//            pipe, writes the text into it and sends its read end back with
//            a one-way LayoutTextResponse (handles in both directions).
//   env-reader: answers the environment variable the request's `text` names
//            ("<unset>" when there is none), or with "@cwd" its working
//            directory, as its one line.
//   pool-worker: work for HelperPool's tests, by the request's text: echo,
//            abort on every n-th task, abort (poison), stay busy, grow its
//            memory, refuse (test_roles.cc has the words).
//   files:   "take NAME" answers with the first bytes of the file the host
//            handed it as NAME (TakeFile), or the error; "open FLAGS PATH"
//            answers "asked" and then sends a one-way LayoutTextResponse with
//            what OpenFile gave ("ok" and the first bytes, or the code's
//            number and message; "inside" last when the callback ran inside
//            OpenFile); "burst N PATH" calls OpenFile N times at once and
//            then sends a one-way "burst", ok, exhausted, other, and how many
//            callbacks ran inside OpenFile; "flood N PATH" sends N broker
//            requests straight to the host and then a one-way "flood", ok,
//            denied, exhausted, other.
//   warm-threader: a warm-up that leaves a thread running (launch-failed).
//   warm-failer: a warm-up "load-model" that fails (launch-failed).
//   warm-forker: a warm-up that leaves a (double-forked) process running
//     (launch-failed once processes are counted).
//   early-forker: the same process, started by main before Run() (a
//     sandboxed launch fails; unsandboxed it runs and answers "running").
//   warm-joiner: a warm-up that starts and joins a thread; answers "warmed".
// plus the built-in roles (renderer, gpu, utility, network).
#ifndef BULKHEAD_TESTS_SUPPORT_TEST_ROLES_H_
#define BULKHEAD_TESTS_SUPPORT_TEST_ROLES_H_

#include "absl/strings/string_view.h"
#include "helper/role_registry.h"

namespace bulkhead::testing {

// Hostile text for the host's outputs to carry: a quote, a backslash, a tab,
// control characters (an ANSI colour), a NUL, UTF-8 ("é") and bytes that are
// not UTF-8 (a stray 0xff 0xfe, and 0xc3 cut short).
inline constexpr char kBadWordsBytes[] =
    "say \"hi\" back\\slash\ttab\x01\x1b[0m nul\0 caf\xc3\xa9 bad\xff\xfe\xc3"
    " end";
inline constexpr absl::string_view kBadWords{kBadWordsBytes,
                                             sizeof(kBadWordsBytes) - 1};
// kBadWords as valid UTF-8: each byte that is not, replaced by U+FFFD.
inline constexpr char kBadWordsAsUtf8Bytes[] =
    "say \"hi\" back\\slash\ttab\x01\x1b[0m nul\0 caf\xc3\xa9 "
    "bad\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd end";
inline constexpr absl::string_view kBadWordsAsUtf8{
    kBadWordsAsUtf8Bytes, sizeof(kBadWordsAsUtf8Bytes) - 1};

// The registry the test binaries run their helpers from (built once).
const RoleRegistry& TestRoleRegistry();

// Adds the platform's own test roles (test_roles_linux.cc: violator,
// forker, escaper, fd-starved, threaded, fd-keeper; test_roles_win.cc:
// process-opener; none elsewhere); false when one could not be added.
bool AddPlatformTestRoles(RoleRegistry& roles);
// Adds the roles of test_roles_files.cc (files, warm-threader, warm-failer,
// warm-joiner, warm-forker, early-forker); false when one could not be added.
bool AddFileTestRoles(RoleRegistry& roles);

}  // namespace bulkhead::testing

#endif  // BULKHEAD_TESTS_SUPPORT_TEST_ROLES_H_
