// Linux: thread identity and proof of death.
//
// The tag is not the thread's start time read from /proc by the thread
// itself: under qemu-user (Docker Desktop's linux/amd64 on Apple Silicon, or
// an arm64 build tested on x86) the emulator answers a process's reads of its
// own /proc/<pid>/stat with a made-up line whose start time is the
// emulator's estimate, a tick or two off the kernel's, so another process
// read a different start time for the same live thread, took it for a reused
// id and took the lock away. Instead:
//
//   - tag: a moment at which the thread surely existed, from the kernel's
//     boot clock (clock_gettime(CLOCK_BOOTTIME) when the identity is first
//     asked for), in clock ticks, as /proc counts a thread's start time.
//     Emulators pass the clock through.
//   - a waiter reads the thread under that id from /proc/<tid>/task/<tid>/stat
//     (a path qemu does not rewrite, also for its own threads): no such
//     thread, or a zombie, proves the holder dead; a live thread that started
//     after the tag's moment is not the holder (the holder existed then, under
//     that id), so the holder died and the id was reused. A live thread that
//     started before it may be the holder: alive.
//   - both clocks are taken back to the initial time namespace (a process in
//     a time namespace sees boot time shifted by its offset, in /proc too);
//   - the domain is the pid namespace: a thread id means another thread, or
//     none, in another one.
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "owner.h"

namespace shmem {

namespace {

// Tags are ticks modulo kTagPeriod, plus 1 (0 means "not written yet").
// kTagUnknown says the holder could not read the clock: no reuse is ever
// proven against it.
constexpr uint64_t kTagPeriod = 0x7ffffffe;
constexpr int32_t kTagUnknown = 0x7fffffff;
// A tag is at most this many ticks in the future of a waiter's clock (the
// two normalisations round separately)...
constexpr uint64_t kFutureTicks = 100;
// ... and a thread must have started this many ticks after the tag's moment
// to prove that it is another thread.
constexpr uint64_t kMarginTicks = 2;

int64_t TickNs() {
  static const int64_t ns = [] {
    long hz = sysconf(_SC_CLK_TCK);
    return hz > 0 ? 1000000000LL / hz : 10000000LL;
  }();
  return ns;
}

bool ReadFile(const char* path, char* buf, size_t size, int* error) {
  int fd;
  do {
    fd = open(path, O_RDONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    *error = errno;
    return false;
  }
  ssize_t n;
  do {
    n = read(fd, buf, size - 1);
  } while (n < 0 && errno == EINTR);
  *error = n < 0 ? errno : 0;
  close(fd);
  if (n < 0) return false;
  buf[n] = '\0';
  return true;
}

// This process's boot-time offset (its time namespace's) in ns: what to
// subtract from its CLOCK_BOOTTIME, and from the start times /proc shows it,
// to get the initial namespace's. 0 where the kernel has no time namespaces.
bool BoottimeOffsetNs(int64_t* offset) {
  static int64_t cached = 0;
  static const int state = [] {
    char buf[256];
    int error = 0;
    if (!ReadFile("/proc/self/timens_offsets", buf, sizeof buf, &error)) return error == ENOENT ? 1 : -1;
    // Lines "<clock> <seconds> <nanoseconds>"; the clock by name or number (7: CLOCK_BOOTTIME).
    for (char* line = buf; line != nullptr && *line != '\0';) {
      char name[32];
      long long sec = 0, nsec = 0;
      if (sscanf(line, "%31s %lld %lld", name, &sec, &nsec) == 3 &&
          (strcmp(name, "boottime") == 0 || strcmp(name, "7") == 0))
        cached = sec * 1000000000LL + nsec;
      line = strchr(line, '\n');
      if (line != nullptr) line++;
    }
    return 1;
  }();
  *offset = cached;
  return state == 1;
}

// Now, in ticks since boot in the initial time namespace.
bool NowTicks(uint64_t* ticks) {
  int64_t offset;
  timespec ts;
  if (!BoottimeOffsetNs(&offset) || clock_gettime(CLOCK_BOOTTIME, &ts) != 0) return false;
  int64_t ns = static_cast<int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec - offset;
  if (ns < 0) return false;
  *ticks = static_cast<uint64_t>(ns / TickNs());
  return true;
}

enum class Probe { kGone, kZombie, kAlive, kUnknown };

// Reads /proc/<tid>/task/<tid>/stat: state (field 3) and starttime (field 22,
// ticks since boot as this process's time namespace sees it). /proc/<tid>
// resolves the thread ids of every process in our pid namespace, not only
// thread-group leaders.
Probe ReadStat(int32_t tid, uint64_t* starttime) {
  // Without /proc (not mounted, or hidden) nothing can be proven: a missing
  // file must not be read as a dead owner.
  static const bool proc_ok = access("/proc/self/stat", R_OK) == 0;
  if (!proc_ok) return Probe::kUnknown;
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/task/%d/stat", static_cast<int>(tid), static_cast<int>(tid));
  char buf[1024];
  int error = 0;
  if (!ReadFile(path, buf, sizeof buf, &error)) return error == ENOENT || error == ESRCH ? Probe::kGone : Probe::kUnknown;
  if (buf[0] == '\0') return Probe::kGone;  // the thread went away while we read
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
  char* end = nullptr;
  *starttime = strtoull(p, &end, 10);
  if (end == p) return Probe::kUnknown;
  // Z: zombie; X: dead (being reaped). Stopped (T), tracing (t), disk sleep
  // (D) and the rest are alive.
  if (state == 'Z' || state == 'X') return Probe::kZombie;
  return Probe::kAlive;
}

}  // namespace

ThreadIdentity CurrentThreadIdentity() {
  thread_local ThreadIdentity id = [] {
    ThreadIdentity self;
    self.tid = static_cast<int32_t>(syscall(SYS_gettid));
    uint64_t now;
    self.tag = NowTicks(&now) ? static_cast<int32_t>(now % kTagPeriod) + 1 : kTagUnknown;
    return self;
  }();
  return id;
}

int32_t IdentityDomain() {
  // The pid namespace's inode number (unique while it exists; 0xEFFFFFFC for
  // the initial one, the others from 0xF0000000 up, so the low 31 bits keep
  // them apart). 0 if it cannot be read (Linux before 3.8, no /proc).
  static const int32_t domain = [] {
    struct stat st;
    if (stat("/proc/self/ns/pid", &st) != 0) return 0;
    return static_cast<int32_t>(st.st_ino & 0x7fffffff);
  }();
  return domain;
}

HolderState ProbeHolder(int32_t tid, int32_t tag) {
  uint64_t start = 0;
  switch (ReadStat(tid, &start)) {
    case Probe::kGone:
    case Probe::kZombie:
      return HolderState::kDead;
    case Probe::kUnknown:
      return HolderState::kUnknown;
    case Probe::kAlive:
      break;
  }
  // A live thread has the id: is it the holder? Only a start after the tag's
  // moment says no.
  if (tag <= 0 || tag == kTagUnknown) return HolderState::kAlive;
  int64_t offset;
  uint64_t now;
  if (!BoottimeOffsetNs(&offset) || !NowTicks(&now)) return HolderState::kUnknown;
  int64_t start_ticks = static_cast<int64_t>(start) - offset / TickNs();
  if (start_ticks < 0 || static_cast<uint64_t>(start_ticks) > now + kFutureTicks) return HolderState::kUnknown;
  // The tag's moment in full: the latest tick, not after now (plus the
  // rounding allowance), that the tag names. A tag older than one period
  // (about 248 days) comes out later than it was, never earlier: that can
  // only fail to prove a death, never prove a wrong one.
  uint64_t latest = now + kFutureTicks;
  uint64_t back = (latest % kTagPeriod + kTagPeriod - static_cast<uint64_t>(tag - 1) % kTagPeriod) % kTagPeriod;
  if (back > latest) return HolderState::kAlive;  // names a moment before boot: not the holder's
  uint64_t moment = latest - back;
  return static_cast<uint64_t>(start_ticks) > moment + kMarginTicks ? HolderState::kDead : HolderState::kAlive;
}

}  // namespace shmem
