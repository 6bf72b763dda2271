// The in-segment mutex algorithm, portable C++ over the OS layer (futex.h,
// owner.h). No Node-API in here.
//
// The lock is one 64-bit word in shared memory, little-endian:
//   0                          free
//   low 32 bits                owner thread id | kWaiters
//   high 32 bits               owner tag (from the thread's start time)
// The JS side takes and releases an uncontended lock with one
// Atomics.compareExchange each (no native call); this code runs only when a
// thread has to wait, and for proving a holder dead. Waiters sleep on the low
// 32-bit half with a futex, in slices, and between slices check whether the
// holder still lives (owner.h); a dead holder's lock is taken over, and the
// new owner learns that it must repair the protected data.
#pragma once
#include <atomic>
#include <cstdint>

namespace shmem {

constexpr int64_t kWaiters = 0x40000000;       // in the low half: someone sleeps on the futex
constexpr int64_t kTidMask = 0x3fffffff;

inline int64_t OwnerWord(int32_t tid, int32_t tag) {
  return (static_cast<int64_t>(tag) << 32) | static_cast<int64_t>(tid);
}

enum class LockResult { kAcquired, kAcquiredOwnerDied, kTimedOut, kCancelled, kDeadlock, kError };

struct LockOutcome {
  LockResult result;
  int error = 0;  // with kError: negative error code
};

// Takes the lock for `me`, waiting up to timeout_ms (< 0: forever). Spins
// briefly, then sleeps. `cancel` (optional) is polled between sleeps.
// A lock already held by `me` gives kDeadlock, except for an asynchronous
// acquisition (`async_for_me`): another pending lock() of the same JS thread
// may hold it, and this one waits its turn.
LockOutcome MutexLock(int64_t* word, int64_t me, double timeout_ms, const std::atomic<int>* cancel,
                      bool async_for_me = false);

// One attempt without sleeping: takes a free lock, or takes over from a
// holder that is provably dead (kAcquiredOwnerDied). kTimedOut if held.
LockOutcome MutexTryLock(int64_t* word, int64_t me);

// Releases a lock held by `me` (for a cancelled async acquisition, and for
// the JS unlock when waiters are flagged). False if `me` does not hold it.
bool MutexUnlock(int64_t* word, int64_t me);

// Wakes one waiter (after the JS side released a lock with kWaiters set).
void MutexWakeOne(int64_t* word);

}  // namespace shmem
