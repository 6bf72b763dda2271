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

enum class ThreadState {
  kDead,     // proven: no thread has this id, or it is a zombie
  kRunning,  // a live thread (also stopped or traced) has this id; *tag is its tag
  kUnknown,  // cannot tell (no /proc, no permission): never treat as dead
};

// What runs under thread id `tid` now. The caller compares *tag with the
// holder's tag: a different tag means the id was reused and the holder died.
ThreadState ProbeThread(int32_t tid, int32_t* tag);

}  // namespace shmem
