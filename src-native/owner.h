// OS layer: who a thread is, and proof that a thread is dead.
//
// A Mutex holder leaves three facts in the segment: its thread id (in the
// lock word), a tag (next word), and, per mutex, the domain of everyone who
// uses it (the fourth word): the namespace in which thread ids mean
// something (Linux: the pid namespace). A waiter that finds the lock held
// for a while asks the OS about that thread id. The answer counts only if it
// is the same whichever process asks, so nothing in it may come from a
// process reading facts about itself that an emulator or a namespace could
// show it differently than others see them (qemu-user, for one, rewrites a
// process's own /proc/<pid>/stat). Where the facts cannot be shown to mean
// the same thing to the holder and to the waiter (another domain, an
// unreadable clock), the holder is never proven dead: waiters wait, or time
// out. Per-OS files: owner_linux.cc, owner_win32.cc, owner_darwin.cc.
#pragma once
#include <cstdint>

namespace shmem {

struct ThreadIdentity {
  int32_t tid;  // 1 .. 0x1fffffff
  int32_t tag;  // 1 .. 0x7fffffff, never 0 (0 in the segment: not written yet)
};

// The calling thread's identity (computed once per thread).
ThreadIdentity CurrentThreadIdentity();

// This process's domain: thread ids of two processes can be compared only if
// their domains are equal. A positive number, or 0 if unknown (then this
// process can neither prove others dead nor be proven dead).
int32_t IdentityDomain();

enum class HolderState {
  kDead,     // proven: no thread has this id, it is a zombie, or the id was reused
  kAlive,    // the holder may live (also stopped or traced): never take its lock
  kUnknown,  // cannot tell (no /proc, no permission): never treat as dead
};

// What became of the holder that wrote (tid, tag) in this process's domain.
// tag 0 (the holder has not written it yet) proves nothing about reuse.
HolderState ProbeHolder(int32_t tid, int32_t tag);

}  // namespace shmem
