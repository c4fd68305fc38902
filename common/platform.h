// Which platform's code a source compiles, for the few places that choose inside a file (most
// platform code is in `_linux`/`_posix`/`_mac`/`_win` files that CMake picks: docs/platforms.md).
//
// BULKHEAD_OS_LINUX is defined on Linux, with the kernel's own features (namespaces, seccomp,
// landlock, pidfd, memfd seals, /proc), unless the project is built as a generic POSIX system
// (CMake's BULKHEAD_GENERIC_POSIX, which defines BULKHEAD_GENERIC_POSIX for every target and
// for an app built against such a package): then a Linux machine compiles and runs the code a
// POSIX system that is not Linux takes, as a Mac does. Test `defined(BULKHEAD_OS_LINUX)`, never
// `__linux__` (tests/docs/check_platform_macros.cmake holds the project to it).
#ifndef BULKHEAD_COMMON_PLATFORM_H_
#define BULKHEAD_COMMON_PLATFORM_H_

#if defined(__linux__) && !defined(BULKHEAD_GENERIC_POSIX)
#define BULKHEAD_OS_LINUX 1
#endif

#endif  // BULKHEAD_COMMON_PLATFORM_H_
