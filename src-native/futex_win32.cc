// Windows: wait on a shared 32-bit word.
//
// WaitOnAddress/WakeByAddress* wake threads of the same process only, so a
// cross-process design needs a kernel object per waited word. Design (for the
// Windows port, issue 5): a named event per (segment name, offset) that
// waiters open and wait on after re-checking the word, and that notify()
// pulses; or a named semaphore per word with a waiter count kept next to it in
// the segment so that notify(count) releases exactly that many. Until then the
// slow path polls the word with a capped backoff: correct, slower to wake.
#include <windows.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "futex.h"

namespace shmem {

const int kErrAgain = -4088;     // UV_EAGAIN
const int kErrTimedOut = -4039;  // UV_ETIMEDOUT

int WaitOnAddress32(int32_t* addr, int32_t expected, double timeout_ms, const std::atomic<int>* cancel) {
  using Clock = std::chrono::steady_clock;
  const bool forever = timeout_ms < 0;
  const auto deadline =
      Clock::now() + std::chrono::microseconds(forever ? 0 : static_cast<int64_t>(timeout_ms * 1000.0));
  if (InterlockedCompareExchange(reinterpret_cast<volatile LONG*>(addr), 0, 0) != expected) return kErrAgain;
  auto delay = std::chrono::microseconds(1000);
  for (;;) {
    if (!forever && Clock::now() >= deadline) return kErrTimedOut;
    if (cancel != nullptr && cancel->load() != 0) return 0;
    SleepEx(static_cast<DWORD>((delay.count() + 999) / 1000), TRUE);  // alertable: a cancel's APC ends it
    if (InterlockedCompareExchange(reinterpret_cast<volatile LONG*>(addr), 0, 0) != expected) return 0;
    delay = std::min(delay * 2, std::chrono::microseconds(2000));
  }
}

int WakeAddress32(int32_t*, int32_t) { return 0; }

}  // namespace shmem
