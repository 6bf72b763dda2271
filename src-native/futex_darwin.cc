// macOS: wait on a shared 32-bit word.
//
// Design (to be enabled and tested with the macOS port): macOS 14.4+ has
// os_sync_wait_on_address / os_sync_wake_by_address_any|all with
// OS_SYNC_WAIT_ON_ADDRESS_SHARED / OS_SYNC_WAKE_BY_ADDRESS_SHARED, which work
// across processes on a shared mapping. Older releases have only the private
// __ulock_wait/__ulock_wake (UL_COMPARE_AND_WAIT_SHARED); a portable fallback
// is to poll the word with a backoff capped at a few milliseconds, as
// sem_posix.cc does for macOS's missing sem_timedwait.
// Until then the slow path polls: correct everywhere, slower to wake.
#include <errno.h>

#include <chrono>
#include <thread>

#include "futex.h"

namespace shmem {

const int kErrAgain = -EAGAIN;
const int kErrTimedOut = -ETIMEDOUT;

int WaitOnAddress32(int32_t* addr, int32_t expected, double timeout_ms, const std::atomic<int>* cancel) {
  using Clock = std::chrono::steady_clock;
  const bool forever = timeout_ms < 0;
  const auto deadline =
      Clock::now() + std::chrono::microseconds(forever ? 0 : static_cast<int64_t>(timeout_ms * 1000.0));
  if (__atomic_load_n(addr, __ATOMIC_SEQ_CST) != expected) return kErrAgain;
  auto delay = std::chrono::microseconds(50);
  for (;;) {
    if (!forever && Clock::now() >= deadline) return kErrTimedOut;
    if (cancel != nullptr && cancel->load() != 0) return 0;
    std::this_thread::sleep_for(delay);
    if (__atomic_load_n(addr, __ATOMIC_SEQ_CST) != expected) return 0;
    delay = std::min(delay * 2, std::chrono::microseconds(2000));
  }
}

// Pollers notice the change by themselves; nobody is counted as woken.
int WakeAddress32(int32_t*, int32_t) { return 0; }

}  // namespace shmem
