// macOS: wait on a shared 32-bit word.
//
// macOS 14.4+ has os_sync_wait_on_address / os_sync_wake_by_address_any in
// libSystem, with a SHARED flag that keys the wait on the physical page, so
// waiters in every process that maps the segment are found (the macOS twin of
// a futex without FUTEX_PRIVATE_FLAG). The functions are looked up at run
// time (dlsym), so one binary loads on older releases too; there, and if a
// call fails in a way the documentation does not list, the word is polled
// with a backoff capped at 2 ms, as sem_posix.cc does for macOS's missing
// sem_timedwait: correct everywhere, slower to wake.
//
// A kernel wait is done in slices of at most 100 ms, each followed by a look
// at the word, the cancel flag and the deadline. A wait therefore never
// depends on a wake alone: if a wake were lost, the waiter would still see the
// change within a slice. (This file is compile-checked here for arm64 and
// x86_64 but cannot be run: there is no macOS machine here.)
#include <dlfcn.h>
#include <errno.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <thread>

#include "futex.h"

namespace shmem {

const int kErrAgain = -EAGAIN;
const int kErrTimedOut = -ETIMEDOUT;

namespace {

// <os/os_sync_wait_on_address.h> (macOS 14.4 SDK); declared here so that
// older SDKs build this file.
constexpr uint32_t kWaitShared = 1;    // OS_SYNC_WAIT_ON_ADDRESS_SHARED
constexpr uint32_t kWakeShared = 1;    // OS_SYNC_WAKE_BY_ADDRESS_SHARED
constexpr uint32_t kMachAbsolute = 32;  // OS_CLOCK_MACH_ABSOLUTE_TIME; the timeout is relative, in ns
using WaitFn = int (*)(void* addr, uint64_t value, size_t size, uint32_t flags, uint32_t clock, uint64_t timeout_ns);
using WakeFn = int (*)(void* addr, size_t size, uint32_t flags);

struct OsSync {
  WaitFn wait = nullptr;
  WakeFn wake_any = nullptr;
  bool available() const { return wait != nullptr && wake_any != nullptr; }
};

const OsSync& Api() {
  static const OsSync api = [] {
    OsSync a;
    a.wait = reinterpret_cast<WaitFn>(dlsym(RTLD_DEFAULT, "os_sync_wait_on_address_with_timeout"));
    a.wake_any = reinterpret_cast<WakeFn>(dlsym(RTLD_DEFAULT, "os_sync_wake_by_address_any"));
    return a;
  }();
  return api;
}

using Clock = std::chrono::steady_clock;

int32_t Load(int32_t* addr) { return __atomic_load_n(addr, __ATOMIC_SEQ_CST); }

// The fallback: poll with a backoff from 50 µs up to 2 ms.
int Poll(int32_t* addr, int32_t expected, bool forever, Clock::time_point deadline, const std::atomic<int>* cancel) {
  auto delay = std::chrono::microseconds(50);
  for (;;) {
    if (!forever && Clock::now() >= deadline) return kErrTimedOut;
    if (cancel != nullptr && cancel->load() != 0) return 0;
    std::this_thread::sleep_for(delay);
    if (Load(addr) != expected) return 0;
    delay = std::min(delay * 2, std::chrono::microseconds(2000));
  }
}

constexpr int64_t kSliceNs = 100'000'000;

}  // namespace

int WaitOnAddress32(int32_t* addr, int32_t expected, double timeout_ms, const std::atomic<int>* cancel) {
  const bool forever = timeout_ms < 0;
  const auto deadline =
      Clock::now() + std::chrono::microseconds(forever ? 0 : static_cast<int64_t>(timeout_ms * 1000.0));
  if (Load(addr) != expected) return kErrAgain;
  const OsSync& api = Api();
  if (!api.available()) return Poll(addr, expected, forever, deadline, cancel);
  for (;;) {
    int64_t slice = kSliceNs;
    if (!forever) {
      int64_t left = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - Clock::now()).count();
      if (left <= 0) return kErrTimedOut;
      slice = std::min(slice, left);
    }
    // The kernel compares the word with `expected` and sleeps only if equal.
    int rc = api.wait(addr, static_cast<uint32_t>(expected), sizeof(int32_t), kWaitShared, kMachAbsolute,
                      static_cast<uint64_t>(slice));
    if (rc >= 0) return 0;  // woken (the result counts the waiters left)
    int err = errno;
    if (cancel != nullptr && cancel->load() != 0) return 0;
    if (err == ETIMEDOUT || err == EINTR) {
      if (Load(addr) != expected) return 0;
      continue;  // the deadline is checked at the top
    }
    if (err == EFAULT && Load(addr) != expected) return 0;  // the word changed before the kernel read it
    return Poll(addr, expected, forever, deadline, cancel);  // anything else: do not depend on the call
  }
}

int WakeAddress32(int32_t* addr, int32_t count) {
  const OsSync& api = Api();
  if (!api.available()) return 0;  // pollers notice the change by themselves; nobody is counted
  // One waiter per call: the count woken is exact, and ENOENT says nobody is
  // left. (A woken thread would have to be back asleep within the next call
  // to be woken twice; the bound keeps even that finite.)
  int woken = 0;
  const int bound = std::min(count, 1 << 20);
  while (woken < bound) {
    if (api.wake_any(addr, sizeof(int32_t), kWakeShared) != 0) break;  // ENOENT: no waiter (or an error)
    woken++;
  }
  return woken;
}

}  // namespace shmem
