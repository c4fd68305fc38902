// Forced into every source of the generic POSIX build (BULKHEAD_GENERIC_POSIX, CMakeLists.txt):
// the Linux-only calls, flags and fields that a POSIX system that is not Linux (macOS) lacks,
// poisoned, so that code on the generic path that uses one fails to compile here, on Linux,
// instead of on the first Mac that builds it. The headers that declare them are included first
// (a poisoned name may not appear even in a later declaration).
#ifndef BULKHEAD_CMAKE_GENERIC_POSIX_POISON_H_
#define BULKHEAD_CMAKE_GENERIC_POSIX_POISON_H_

#if defined(__cplusplus)
#include <csignal>
#include <cstdlib>
#else
#include <signal.h>
#include <stdlib.h>
#endif
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

// Flags glibc defines as macros that name themselves: undefined first, so that a use is
// reported as the poisoned name.
#undef MSG_NOSIGNAL
#undef SOCK_CLOEXEC
#undef SOCK_NONBLOCK
#undef MSG_CMSG_CLOEXEC
#undef O_PATH
#undef O_TMPFILE
#undef F_SETPIPE_SZ
#undef F_GETPIPE_SZ
#undef si_syscall
#pragma GCC poison F_SETPIPE_SZ F_GETPIPE_SZ
#pragma GCC poison MSG_NOSIGNAL SOCK_CLOEXEC SOCK_NONBLOCK MSG_CMSG_CLOEXEC O_PATH O_TMPFILE
#pragma GCC poison pipe2 accept4 dup3 memfd_create close_range mremap
#pragma GCC poison si_syscall sigtimedwait ppoll
#pragma GCC poison prctl unshare setns pidfd_open pidfd_send_signal
#pragma GCC poison epoll_create epoll_create1 signalfd eventfd inotify_init1 timerfd_create
#pragma GCC poison getrandom

#endif  // BULKHEAD_CMAKE_GENERIC_POSIX_POISON_H_
