// OS layer: who a thread is, and proof that a thread is dead.
//
// A mutex owner is identified by its thread id and a tag derived from the
// thread's start time. A thread id alone can be reused by a new thread after
// the owner died, and a zombie still has its id; the (id, start time) pair
// names exactly one thread that ever lived, so "that id now belongs to a
// thread with another start time" proves the owner is gone. owner_linux.cc
// reads /proc; other platforms in owner_darwin.cc / owner_win32.cc.
#pragma once
#include <cstdint>

namespace shmem {

struct ThreadIdentity {
  int32_t tid;  // 1 .. 0x3fffffff
  int32_t tag;  // 1 .. 0x7fffffff, from the thread's start time
};

// The calling thread's identity (computed once per thread).
ThreadIdentity CurrentThreadIdentity();

// True only when the thread (tid, tag) provably no longer runs: no such
// thread, a zombie, or the id now belongs to a thread with another start time.
// A live, stopped or traced thread is never reported dead.
bool ThreadIsDead(int32_t tid, int32_t tag);

}  // namespace shmem
