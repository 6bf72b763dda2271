#include <errno.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "owner.h"

namespace shmem {

namespace {

enum class Probe { kGone, kZombie, kAlive, kUnknown };

// Reads /proc/<tid>/stat: state (field 3) and starttime (field 22, clock ticks
// since boot). /proc/<tid> resolves thread ids of every process in our pid
// namespace, not only thread-group leaders.
Probe ReadStat(int32_t tid, unsigned long long* starttime) {
  // Without /proc (not mounted, or hidden) nothing can be proven: a missing
  // file must not be read as a dead owner.
  static const bool proc_ok = access("/proc/self/stat", R_OK) == 0;
  if (!proc_ok) return Probe::kUnknown;
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(tid));
  int fd;
  do {
    fd = open(path, O_RDONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return errno == ENOENT || errno == ESRCH ? Probe::kGone : Probe::kUnknown;
  char buf[1024];
  ssize_t n;
  do {
    n = read(fd, buf, sizeof buf - 1);
  } while (n < 0 && errno == EINTR);
  close(fd);
  if (n <= 0) return n == 0 || errno == ESRCH ? Probe::kGone : Probe::kUnknown;
  buf[n] = '\0';
  // comm (field 2) may contain spaces and parentheses: fields resume after the last ')'.
  char* p = strrchr(buf, ')');
  if (p == nullptr || p[1] != ' ') return Probe::kUnknown;
  char state = p[2];
  p += 2;  // at field 3
  for (int field = 3; field < 22; field++) {
    p = strchr(p, ' ');
    if (p == nullptr) return Probe::kUnknown;
    p++;
  }
  *starttime = strtoull(p, nullptr, 10);
  // Z: zombie; X: dead (being reaped). Stopped (T), tracing (t), disk sleep
  // (D) and the rest are alive.
  if (state == 'Z' || state == 'X') return Probe::kZombie;
  return Probe::kAlive;
}

int32_t TagFromStartTime(unsigned long long starttime) {
  return static_cast<int32_t>(starttime % 0x7ffffffeULL) + 1;
}

}  // namespace

ThreadIdentity CurrentThreadIdentity() {
  thread_local ThreadIdentity id = [] {
    ThreadIdentity self;
    self.tid = static_cast<int32_t>(syscall(SYS_gettid));
    unsigned long long start = 0;
    ReadStat(self.tid, &start);
    self.tag = TagFromStartTime(start);
    return self;
  }();
  return id;
}

ThreadState ProbeThread(int32_t tid, int32_t* tag) {
  unsigned long long start = 0;
  switch (ReadStat(tid, &start)) {
    case Probe::kGone:
    case Probe::kZombie:
      return ThreadState::kDead;
    case Probe::kAlive:
      *tag = TagFromStartTime(start);
      return ThreadState::kRunning;
    case Probe::kUnknown:
    default:
      return ThreadState::kUnknown;
  }
}

}  // namespace shmem
