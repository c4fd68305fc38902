#include "common/process_tree_linux.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

namespace bulkhead {
namespace {

// Runs where sanitizers' runtimes must not be entered (see the header).
#define BH_RAW_CODE \
  __attribute__((no_sanitize("address", "thread", "undefined")))

// How many children one round signals before it waits for them; the rest
// are the next round's.
constexpr int kMaxPerRound = 128;

struct Stat {
  char state = 0;  // 0: unreadable (gone).
  long parent = 0;
  long exit_signal = -1;  // -1: unread.
};

BH_RAW_CODE long Call(long number, long a = 0, long b = 0, long c = 0,
                      long d = 0) {
  return ::syscall(number, a, b, c, d);
}

BH_RAW_CODE int64_t NowMs() {
  timespec now = {};
  Call(SYS_clock_gettime, CLOCK_MONOTONIC, reinterpret_cast<long>(&now));
  return static_cast<int64_t>(now.tv_sec) * 1000 + now.tv_nsec / 1000000;
}

// Appends `text` at `at` (within `end`); returns the new end.
BH_RAW_CODE char* Append(char* at, char* end, const char* text) {
  while (*text != '\0' && at < end - 1) *at++ = *text++;
  *at = '\0';
  return at;
}

BH_RAW_CODE char* AppendNumber(char* at, char* end, long number) {
  char digits[24];
  int count = 0;
  do {
    digits[count++] = static_cast<char>('0' + number % 10);
    number /= 10;
  } while (number > 0 && count < 23);
  while (count > 0 && at < end - 1) *at++ = digits[--count];
  *at = '\0';
  return at;
}

// Reads up to `size` - 1 bytes of `path`, NUL-terminated; -1 on failure.
BH_RAW_CODE long ReadSmallFile(const char* path, char* buffer, long size) {
  const long fd = Call(SYS_openat, AT_FDCWD, reinterpret_cast<long>(path),
                       O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  long total = 0;
  while (total < size - 1) {
    const long got = Call(SYS_read, fd, reinterpret_cast<long>(buffer + total),
                          size - 1 - total);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    total += got;
  }
  Call(SYS_close, fd);
  buffer[total] = '\0';
  return total;
}

// State and parent from /proc/<pid>/stat, read after the command name's
// last ')' (it may hold anything).
BH_RAW_CODE Stat ReadStat(long pid) {
  char path[64];
  AppendNumber(Append(path, path + sizeof(path), "/proc/"), path + sizeof(path),
               pid);
  Append(path + __builtin_strlen(path), path + sizeof(path), "/stat");
  char text[512];
  Stat stat;
  if (ReadSmallFile(path, text, sizeof(text)) <= 0) return stat;
  const char* close = nullptr;
  for (const char* at = text; *at != '\0'; ++at) {
    if (*at == ')') close = at;
  }
  // ") S 123 ..."
  if (close == nullptr || close[1] != ' ' || close[2] == '\0' ||
      close[3] != ' ') {
    return stat;
  }
  long parent = 0;
  const char* at = close + 4;
  for (; *at >= '0' && *at <= '9'; ++at) parent = parent * 10 + (*at - '0');
  stat.state = close[2];
  stat.parent = parent;
  // The exit signal is field 38; the parent was field 4.
  for (int field = 4; field < 38 && *at != '\0'; ++at) {
    if (*at == ' ') ++field;
  }
  if (*at >= '0' && *at <= '9') {
    long exit_signal = 0;
    for (; *at >= '0' && *at <= '9'; ++at) {
      exit_signal = exit_signal * 10 + (*at - '0');
    }
    stat.exit_signal = exit_signal;
  }
  return stat;
}

BH_RAW_CODE bool Ended(char state) {
  return state == 0 || state == 'Z' || state == 'X';
}

struct Round {
  int root;
  KillSpare spare;
  int pidfds[kMaxPerRound];
  int count = 0;
  int seen = 0;         // Children listed, alive or not.
  bool more = false;    // Children were left for the next round.
  bool listed = false;  // A children list could be read.
};

BH_RAW_CODE bool Spared(const Round& round, const Stat& stat) {
  return round.spare.exit_signal != 0 &&
         stat.exit_signal == round.spare.exit_signal;
}

// Whether the process `pidfd` names has ended, every thread of it: a pidfd
// polls readable only then. A thread-group leader that has exited while
// other threads of its process run reads as a zombie ('Z') in /proc, and its
// children are not handed on until the last thread has gone.
BH_RAW_CODE bool AllThreadsEnded(long pidfd) {
  pollfd wait = {static_cast<int>(pidfd), POLLIN, 0};
  return Call(SYS_poll, reinterpret_cast<long>(&wait), 1, 0) == 1;
}

// Signals `child` if it is a live child of the round's root.
BH_RAW_CODE void Consider(Round& round, long child) {
  if (child <= 0 || child == round.spare.pids[0] ||
      child == round.spare.pids[1]) {
    return;
  }
  if (round.count == kMaxPerRound) {
    round.more = true;
    return;
  }
  Stat before = ReadStat(child);
  if (before.parent == round.root) ++round.seen;
  // A zombie may still have live threads (see AllThreadsEnded): only a
  // process that is gone is left alone here.
  if (before.parent != round.root || before.state == 0 || before.state == 'X' ||
      Spared(round, before)) {
    return;
  }
  const long pidfd = Call(SYS_pidfd_open, child, 0);
  if (pidfd < 0) {
    // No pidfds (before 5.3, or no fd left): the pid was checked, and is
    // signalled at once.
    if (errno != ESRCH && !Ended(before.state)) {
      Call(SYS_kill, child, SIGKILL);
      round.more = true;
    }
    return;
  }
  // The pidfd names whatever held the pid when it was opened: still the
  // root's child, or not signalled.
  const Stat after = ReadStat(child);
  if (after.parent != round.root || after.state == 0 || after.state == 'X' ||
      Spared(round, after) || AllThreadsEnded(pidfd) ||
      Call(SYS_pidfd_send_signal, pidfd, SIGKILL, 0, 0) != 0) {
    Call(SYS_close, pidfd);
    return;
  }
  round.pidfds[round.count++] = static_cast<int>(pidfd);
}

// The pids in a /proc/<pid>/task/<tid>/children list.
BH_RAW_CODE void ConsiderList(Round& round, const char* list, long size) {
  long pid = 0;
  bool in_number = false;
  for (long i = 0; i < size; ++i) {
    const char c = list[i];
    if (c >= '0' && c <= '9') {
      pid = pid * 10 + (c - '0');
      in_number = true;
    } else {
      if (in_number) Consider(round, pid);
      pid = 0;
      in_number = false;
    }
  }
  // A number cut off by a full buffer is the next round's.
  if (in_number) round.more = true;
}

// Calls `visit(round, path, number)` for each numeric entry of the
// directory `path`; false when it cannot be opened. (A function, not a
// lambda: lambdas would be instrumented.)
using Visit = void (*)(Round& round, const char* path, long number);
BH_RAW_CODE bool ForEachNumberIn(const char* path, Visit visit, Round& round) {
  const long fd = Call(SYS_openat, AT_FDCWD, reinterpret_cast<long>(path),
                       O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return false;
  alignas(8) char entries[4096];
  for (;;) {
    const long got = Call(SYS_getdents64, fd, reinterpret_cast<long>(entries),
                          sizeof(entries));
    if (got <= 0) break;
    for (long at = 0; at < got;) {
      // struct linux_dirent64: ino (8), off (8), reclen (2), type (1), name.
      unsigned short length;
      __builtin_memcpy(&length, entries + at + 16, sizeof(length));
      const char* name = entries + at + 19;
      long number = 0;
      bool numeric = name[0] != '\0';
      for (const char* c = name; *c != '\0'; ++c) {
        if (*c < '0' || *c > '9') {
          numeric = false;
          break;
        }
        number = number * 10 + (*c - '0');
      }
      if (numeric) visit(round, path, number);
      at += length;
    }
  }
  Call(SYS_close, fd);
  return true;
}

// The children of one of the root's threads, /proc/<root>/task/<tid>.
BH_RAW_CODE void VisitThread(Round& round, const char* tasks, long tid) {
  char path[96];
  char* end = Append(path, path + sizeof(path), tasks);
  end = Append(end, path + sizeof(path), "/");
  end = AppendNumber(end, path + sizeof(path), tid);
  Append(end, path + sizeof(path), "/children");
  char list[4096];
  const long size = ReadSmallFile(path, list, sizeof(list));
  if (size < 0) return;
  round.listed = true;
  ConsiderList(round, list, size);
}

BH_RAW_CODE void VisitProcess(Round& round, const char*, long pid) {
  Consider(round, pid);
}

// Signals the root's live children (up to kMaxPerRound).
BH_RAW_CODE void Collect(Round& round) {
  char tasks[64];
  AppendNumber(Append(tasks, tasks + sizeof(tasks), "/proc/"),
               tasks + sizeof(tasks), round.root);
  Append(tasks + __builtin_strlen(tasks), tasks + sizeof(tasks), "/task");
  ForEachNumberIn(tasks, VisitThread, round);
  // Without the children lists (CONFIG_PROC_CHILDREN unset): every process's
  // parent.
  if (!round.listed) ForEachNumberIn("/proc", VisitProcess, round);
}

}  // namespace

BH_RAW_CODE int KillDescendants(int root, const KillSpare& spare,
                                int timeout_ms, bool* finished) {
  if (finished != nullptr) *finished = root <= 0;
  if (root <= 0) return 0;
  const int saved_errno = errno;
  const int64_t deadline = NowMs() + timeout_ms;
  int killed = 0;
  int seen_before = -1;
  for (;;) {
    Round round;
    round.root = root;
    round.spare = spare;
    Collect(round);
    killed += round.count;
    // A pidfd polls readable once its process has exited, and by then its
    // children have been handed to their reaper.
    pollfd waits[kMaxPerRound];
    for (int i = 0; i < round.count; ++i) {
      waits[i] = {round.pidfds[i], POLLIN, 0};
    }
    int pending = round.count;
    while (pending > 0) {
      const int64_t left = deadline - NowMs();
      if (left <= 0) break;
      const long ready =
          Call(SYS_poll, reinterpret_cast<long>(waits), round.count, left);
      if (ready < 0 && errno != EINTR) break;
      for (int i = 0; i < round.count && ready > 0; ++i) {
        if (waits[i].fd >= 0 && waits[i].revents != 0) {
          waits[i].fd = -1;  // poll skips it from now on.
          --pending;
        }
      }
    }
    for (int i = 0; i < round.count; ++i) Call(SYS_close, round.pidfds[i]);
    // Done when a round finds none alive, and no more children than the one
    // before: a child that ended between the listing and the look at it
    // (one of a chain that forks and exits) has handed its children to the
    // root by then, and the next listing has them. (The root does not reap
    // meanwhile, so the children listed only grow.)
    if (round.count == 0 && !round.more && round.seen == seen_before) {
      if (finished != nullptr) *finished = true;
      break;
    }
    // A round that killed none waits for none: the one that confirms it is
    // taken even past the deadline.
    if (NowMs() >= deadline && (round.count > 0 || round.more)) break;
    seen_before = round.seen;
  }
  errno = saved_errno;
  return killed;
}

}  // namespace bulkhead
