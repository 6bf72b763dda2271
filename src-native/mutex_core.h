// The in-segment mutex algorithm, portable C++ over the OS layer (futex.h,
// owner.h). No Node-API in here.
//
// A mutex is four 32-bit words in shared memory:
//   [0] lock    0 when free, else the holder's thread id | flags
//               (kWaiters: someone sleeps on this word; kProbe: a waiter is
//               checking whether the holder lives)
//   [1] tag     the holder's tag (owner.h), or 0: written by the holder right
//               after it takes the lock, cleared before it lets go (and
//               before a takeover), so it is never the tag of anyone but the
//               current holder
//   [2] magic   written by Mutex.create, checked by Mutex.attach
//   [3] domain  the domain (owner.h: the pid namespace on Linux) of every
//               process that created or attached the mutex, or -1 once two
//               domains have used it (or one that does not know its own):
//               set by lib/mutex.ts at create and attach, never per lock
// The JS side takes and releases a free lock with one 32-bit compare-and-swap
// and a store each (no native call); this code runs only when a thread has to
// wait, and to prove a holder dead. Waiters sleep on the lock word with a
// futex, in slices; after a slice that ended with the lock still held they
// check the holder, only if the domain is their own:
//   - the waiter sets kProbe, so that the word cannot pass to another holder
//     and back unnoticed, then reads the tag and asks the OS (ProbeHolder):
//     no thread with that id, or a zombie, or a thread that cannot be the
//     one that wrote the tag (the id was reused after the holder died),
//     proves it dead. A tag of 0 (the holder is between its compare-and-swap
//     and its tag store) proves nothing about reuse.
// A dead holder's lock is taken over, and the new owner learns that it must
// repair the protected data (kAcquiredOwnerDied). Everything else, including
// "cannot tell", leaves the lock to its holder.
#pragma once
#include <atomic>
#include <cstdint>

namespace shmem {

constexpr int32_t kWaiters = 0x40000000;
constexpr int32_t kProbe = 0x20000000;
constexpr int32_t kTidMask = 0x1fffffff;

enum class LockResult { kAcquired, kAcquiredOwnerDied, kTimedOut, kCancelled, kDeadlock, kError };

struct LockOutcome {
  LockResult result;
  int error = 0;  // with kError: negative error code
};

// Takes the lock for thread (tid, tag), waiting up to timeout_ms (< 0:
// forever). Spins briefly, then sleeps. `cancel` (optional) is polled between
// sleeps. A lock already held by `tid` gives kDeadlock, except for an
// asynchronous acquisition (`async_for_me`): another pending lock() of the
// same JS thread may hold it, and this one waits its turn.
LockOutcome MutexLock(int32_t* words, int32_t tid, int32_t tag, double timeout_ms, const std::atomic<int>* cancel,
                      bool async_for_me = false);

// One attempt without sleeping: takes a free lock, or takes over from a
// holder that is provably dead (kAcquiredOwnerDied). kTimedOut if held.
LockOutcome MutexTryLock(int32_t* words, int32_t tid, int32_t tag);

// Releases a lock held by `tid` (for a cancelled async acquisition). False if
// `tid` does not hold it.
bool MutexUnlock(int32_t* words, int32_t tid);

// Wakes one sleeper (after the JS side released a lock with kWaiters set).
void MutexWakeOne(int32_t* words);

}  // namespace shmem
