// Windows: thread identity and proof of death.
//
// Design (for the Windows port, issue 5): identify the owner by thread id and
// the thread's creation time (GetThreadTimes); prove death when OpenThread
// fails with ERROR_INVALID_PARAMETER, GetExitCodeThread reports an exit, or the
// creation time differs (id reused). Until then a holder is never proven dead.
#include <windows.h>

#include "owner.h"

namespace shmem {

ThreadIdentity CurrentThreadIdentity() {
  return ThreadIdentity{static_cast<int32_t>(GetCurrentThreadId() & 0x3fffffff) | 1,
                        static_cast<int32_t>(GetCurrentProcessId() & 0x7fffffff) | 1};
}

ThreadState ProbeThread(int32_t, int32_t*) { return ThreadState::kUnknown; }

}  // namespace shmem
