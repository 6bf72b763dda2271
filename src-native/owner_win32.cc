// Windows: thread identity and proof of death.
//
// The owner is a thread id plus a tag from the thread's creation time
// (GetThreadTimes). A holder is proven dead when no thread has its id
// (OpenThread fails with ERROR_INVALID_PARAMETER), when the thread under that
// id has exited (its handle is signaled; a thread object can outlive the
// thread while someone holds a handle), or when the id now belongs to a
// thread created at another time (the id was reused).
//
// Why not a named kernel mutex, whose WAIT_ABANDONED reports a dead holder for
// free: every lock and unlock would then be a system call (about a
// microsecond), where the in-segment Mutex takes and releases an uncontended
// lock with one atomic each in JS, the same on every platform. Proof of death
// is only needed on the slow path, when a waiter has found the lock held.
#include <windows.h>

#include "owner.h"

namespace shmem {

namespace {

int32_t TagFromCreation(const FILETIME& created) {
  ULARGE_INTEGER t;
  t.LowPart = created.dwLowDateTime;
  t.HighPart = created.dwHighDateTime;
  uint64_t ms = t.QuadPart / 10000;  // 100 ns units -> ms
  return static_cast<int32_t>(ms % 0x7ffffffeULL) + 1;
}

bool CreationTag(HANDLE thread, int32_t* tag) {
  FILETIME created, exited, kernel, user;
  if (!GetThreadTimes(thread, &created, &exited, &kernel, &user)) return false;
  *tag = TagFromCreation(created);
  return true;
}

}  // namespace

ThreadIdentity CurrentThreadIdentity() {
  thread_local ThreadIdentity id = [] {
    ThreadIdentity self;
    self.tid = static_cast<int32_t>(GetCurrentThreadId());
    if (!CreationTag(GetCurrentThread(), &self.tag)) self.tag = 1;
    return self;
  }();
  return id;
}

// Thread ids are unique across the machine: one domain.
int32_t IdentityDomain() { return 1; }

HolderState ProbeHolder(int32_t tid, int32_t tag) {
  HANDLE h = OpenThread(THREAD_QUERY_LIMITED_INFORMATION | SYNCHRONIZE, FALSE, static_cast<DWORD>(tid));
  if (h == nullptr) return GetLastError() == ERROR_INVALID_PARAMETER ? HolderState::kDead : HolderState::kUnknown;
  HolderState state = HolderState::kUnknown;
  int32_t running = 0;
  if (WaitForSingleObject(h, 0) == WAIT_OBJECT_0) {
    state = HolderState::kDead;  // exited; only its object is left
  } else if (CreationTag(h, &running)) {
    // Created at another time than the holder: the id was reused.
    state = tag == 0 || running == tag ? HolderState::kAlive : HolderState::kDead;
  }
  CloseHandle(h);
  return state;
}

}  // namespace shmem
