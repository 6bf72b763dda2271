#include "mutex_core.h"

#include <chrono>

#include "futex.h"
#include "owner.h"
#include "spin.h"

namespace shmem {

namespace {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the lock word's low half is at the lower address");

// Between two sleeps a waiter checks that the holder lives. A holder killed
// while waiters sleep is found within one slice.
constexpr double kSliceMs = 10;
constexpr int kLockSpins = 1000;
constexpr int kMaxBackoffPauses = 16;

inline int64_t Load(int64_t* w) { return __atomic_load_n(w, __ATOMIC_ACQUIRE); }
inline bool Cas(int64_t* w, int64_t* expected, int64_t desired) {
  return __atomic_compare_exchange_n(w, expected, desired, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}
inline int32_t* Low(int64_t* w) { return reinterpret_cast<int32_t*>(w); }

bool HolderIsDead(int64_t v) {
  return ThreadIsDead(static_cast<int32_t>(v & kTidMask), static_cast<int32_t>(v >> 32));
}

}  // namespace

LockOutcome MutexTryLock(int64_t* word, int64_t me) {
  int64_t v = 0;
  if (Cas(word, &v, me)) return {LockResult::kAcquired};
  if ((v & ~kWaiters) == me) return {LockResult::kDeadlock};
  if (HolderIsDead(v)) {
    // Keep the waiters flag: sleepers must still be woken at unlock.
    if (Cas(word, &v, me | (v & kWaiters))) return {LockResult::kAcquiredOwnerDied};
  }
  return {LockResult::kTimedOut};
}

LockOutcome MutexLock(int64_t* word, int64_t me, double timeout_ms, const std::atomic<int>* cancel,
                      bool async_for_me) {
  using Clock = std::chrono::steady_clock;
  const bool forever = timeout_ms < 0;
  const auto deadline =
      Clock::now() + std::chrono::microseconds(forever ? 0 : static_cast<int64_t>(timeout_ms * 1000.0));

  // Spin first: a holder in a short critical section releases within a
  // microsecond, far sooner than a futex sleep and wake.
  // Backing off (1, 2, 4 … pauses between looks) keeps the waiter from
  // stealing the cache line from the holder, who needs it to release.
  for (int i = 0, pauses = 1; i < kLockSpins; i++) {
    int64_t v = Load(word);
    if (v == 0) {
      if (Cas(word, &v, me)) return {LockResult::kAcquired};
    } else if ((v & ~kWaiters) == me && !async_for_me) {
      return {LockResult::kDeadlock};
    }
    for (int p = 0; p < pauses; p++) CpuRelax();
    if (pauses < kMaxBackoffPauses) pauses <<= 1;
  }

  for (;;) {
    int64_t v = Load(word);
    if (v == 0) {
      // Taken after sleeping: others may sleep too, so keep them flagged
      // (costs at most one spurious wake at unlock).
      if (Cas(word, &v, me | kWaiters)) return {LockResult::kAcquired};
      continue;
    }
    if ((v & ~kWaiters) == me && !async_for_me) return {LockResult::kDeadlock};
    if (!(v & kWaiters)) {
      int64_t flagged = v | kWaiters;
      if (!Cas(word, &v, flagged)) continue;
      v = flagged;
    }
    double slice = kSliceMs;
    if (!forever) {
      double left = std::chrono::duration<double, std::milli>(deadline - Clock::now()).count();
      if (left <= 0) return {LockResult::kTimedOut};
      if (left < slice) slice = left;
    }
    int rc = WaitOnAddress32(Low(word), static_cast<int32_t>(v), slice);
    if (rc == kErrTimedOut) {
      // Still held after a whole slice: prove the holder alive or take over.
      int64_t now = Load(word);
      if (now == v && (v & ~kWaiters) != me && HolderIsDead(v)) {
        if (Cas(word, &now, me | kWaiters)) return {LockResult::kAcquiredOwnerDied};
      }
    } else if (rc != 0 && rc != kErrAgain) {
      return {LockResult::kError, rc};
    }
    if (cancel != nullptr && cancel->load() != 0) return {LockResult::kCancelled};
  }
}

bool MutexUnlock(int64_t* word, int64_t me) {
  int64_t v = me;
  if (Cas(word, &v, 0)) return true;
  if (v != (me | kWaiters)) return false;
  __atomic_store_n(word, 0, __ATOMIC_RELEASE);
  WakeAddress32(Low(word), 1);
  return true;
}

void MutexWakeOne(int64_t* word) { WakeAddress32(Low(word), 1); }

}  // namespace shmem
