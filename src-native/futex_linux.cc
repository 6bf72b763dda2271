#include <errno.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <climits>

#include "futex.h"

namespace shmem {

const int kErrAgain = -EAGAIN;
const int kErrTimedOut = -ETIMEDOUT;

namespace {
long Futex(int32_t* addr, int op, int32_t val, const struct timespec* ts) {
  return syscall(SYS_futex, addr, op, val, ts, nullptr, 0);
}
}  // namespace

int WaitOnAddress32(int32_t* addr, int32_t expected, double timeout_ms, const std::atomic<int>* cancel) {
  if (timeout_ms < 0) {
    for (;;) {
      // FUTEX_WAIT (not _PRIVATE): the key is the page's inode and offset,
      // shared by every process that maps the segment.
      if (Futex(addr, FUTEX_WAIT, expected, nullptr) == 0) return 0;
      if (errno != EINTR) return -errno;
      if (cancel != nullptr && cancel->load() != 0) return 0;
    }
  }
  // FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC deadline, so an
  // EINTR retry keeps the original deadline.
  struct timespec deadline;
  clock_gettime(CLOCK_MONOTONIC, &deadline);
  int64_t ns = deadline.tv_nsec + static_cast<int64_t>(timeout_ms * 1e6);
  deadline.tv_sec += ns / 1000000000;
  deadline.tv_nsec = ns % 1000000000;
  for (;;) {
    if (syscall(SYS_futex, addr, FUTEX_WAIT_BITSET, expected, &deadline, nullptr, FUTEX_BITSET_MATCH_ANY) == 0)
      return 0;
    if (errno != EINTR) return -errno;
    if (cancel != nullptr && cancel->load() != 0) return 0;
  }
}

int WakeAddress32(int32_t* addr, int32_t count) {
  long n = Futex(addr, FUTEX_WAKE, count, nullptr);
  return n < 0 ? -errno : static_cast<int>(n);
}

}  // namespace shmem
