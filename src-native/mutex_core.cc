#include "mutex_core.h"

#include <chrono>

#include "futex.h"
#include "owner.h"
#include "spin.h"

namespace shmem {

namespace {

// Between two sleeps a waiter checks that the holder lives. A holder killed
// while waiters sleep is found within one slice.
constexpr double kSliceMs = 10;
constexpr int kLockSpins = 1000;
constexpr int kMaxBackoffPauses = 16;

inline int32_t Load(int32_t* w) { return __atomic_load_n(w, __ATOMIC_ACQUIRE); }
inline void Store(int32_t* w, int32_t v) { __atomic_store_n(w, v, __ATOMIC_SEQ_CST); }
inline bool Cas(int32_t* w, int32_t* expected, int32_t desired) {
  return __atomic_compare_exchange_n(w, expected, desired, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}
inline int32_t* Tag(int32_t* words) { return words + 1; }
inline int32_t Holder(int32_t v) { return v & kTidMask; }

inline int32_t* Domain(int32_t* words) { return words + 3; }

// Takes a lock word `v` (observed held) over if its holder is provably dead.
// `flags` are kept on the new word (kWaiters: others may sleep on it).
bool TakeOverIfDead(int32_t* words, int32_t v, int32_t tid, int32_t tag, int32_t flags) {
  if (Holder(v) == tid) return false;
  // The holder's thread id means something here only if everyone who uses
  // this mutex numbers threads as we do (the same pid namespace).
  int32_t domain = Load(Domain(words));
  if (domain <= 0 || domain != IdentityDomain()) return false;
  // Freeze the word's history before reading the tag: while kProbe stays
  // set, the lock cannot have passed to another holder and back.
  if (!(v & kProbe)) {
    int32_t probed = v | kProbe;
    if (!Cas(words, &v, probed)) return false;
    v = probed;
  }
  if (ProbeHolder(Holder(v), Load(Tag(words))) != HolderState::kDead) return false;
  Store(Tag(words), 0);  // the tag must never name anyone but the holder
  if (!Cas(words, &v, tid | flags)) return false;
  Store(Tag(words), tag);
  return true;
}

}  // namespace

LockOutcome MutexTryLock(int32_t* words, int32_t tid, int32_t tag) {
  int32_t v = 0;
  if (Cas(words, &v, tid)) {
    Store(Tag(words), tag);
    return {LockResult::kAcquired};
  }
  if (Holder(v) == tid) return {LockResult::kDeadlock};
  if (TakeOverIfDead(words, v, tid, tag, v & kWaiters)) return {LockResult::kAcquiredOwnerDied};
  return {LockResult::kTimedOut};
}

LockOutcome MutexLock(int32_t* words, int32_t tid, int32_t tag, double timeout_ms, const std::atomic<int>* cancel,
                      bool async_for_me) {
  using Clock = std::chrono::steady_clock;
  const bool forever = timeout_ms < 0;
  const auto deadline =
      Clock::now() + std::chrono::microseconds(forever ? 0 : static_cast<int64_t>(timeout_ms * 1000.0));

  // Spin first: a holder in a short critical section releases within a
  // microsecond, far sooner than a futex sleep and wake. Backing off (1, 2,
  // 4 … pauses between looks) keeps the waiter from stealing the cache line
  // from the holder, who needs it to release.
  for (int i = 0, pauses = 1; i < kLockSpins; i++) {
    int32_t v = Load(words);
    if (v == 0) {
      if (Cas(words, &v, tid)) {
        Store(Tag(words), tag);
        return {LockResult::kAcquired};
      }
    } else if (Holder(v) == tid && !async_for_me) {
      return {LockResult::kDeadlock};
    }
    for (int p = 0; p < pauses; p++) CpuRelax();
    if (pauses < kMaxBackoffPauses) pauses <<= 1;
  }

  for (;;) {
    int32_t v = Load(words);
    if (v == 0) {
      // Taken after sleeping: others may sleep too, so keep them flagged
      // (costs at most one spurious wake at unlock).
      if (Cas(words, &v, tid | kWaiters)) {
        Store(Tag(words), tag);
        return {LockResult::kAcquired};
      }
      continue;
    }
    if (Holder(v) == tid && !async_for_me) return {LockResult::kDeadlock};
    if (!(v & kWaiters)) {
      int32_t flagged = v | kWaiters;
      if (!Cas(words, &v, flagged)) continue;
      v = flagged;
    }
    double slice = kSliceMs;
    if (!forever) {
      double left = std::chrono::duration<double, std::milli>(deadline - Clock::now()).count();
      if (left <= 0) return {LockResult::kTimedOut};
      if (left < slice) slice = left;
    }
    int rc = WaitOnAddress32(words, v, slice, cancel);
    if (rc == kErrTimedOut) {
      // Still held after a whole slice: prove the holder alive or take over.
      int32_t now = Load(words);
      if (now != 0 && Holder(now) == Holder(v) && TakeOverIfDead(words, now, tid, tag, kWaiters))
        return {LockResult::kAcquiredOwnerDied};
    } else if (rc != 0 && rc != kErrAgain) {
      return {LockResult::kError, rc};
    }
    if (cancel != nullptr && cancel->load() != 0) return {LockResult::kCancelled};
  }
}

bool MutexUnlock(int32_t* words, int32_t tid) {
  if (Holder(Load(words)) != tid) return false;
  Store(Tag(words), 0);
  int32_t prev = __atomic_exchange_n(words, 0, __ATOMIC_SEQ_CST);
  if (prev & kWaiters) WakeAddress32(words, 1);
  return true;
}

void MutexWakeOne(int32_t* words) { WakeAddress32(words, 1); }

}  // namespace shmem
