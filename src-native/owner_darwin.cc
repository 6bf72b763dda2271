// macOS: thread identity and proof of death.
//
// Design (for the macOS port): identify the owner by pid plus the process
// start time from proc_pidinfo(PROC_PIDTBSDINFO) (pbi_start_tvsec/usec), and
// prove death when proc_pidinfo fails with ESRCH, the process is a zombie
// (pbi_status == SZOMB), or its start time differs (pid reused). Thread-level
// ownership needs pthread_threadid_np plus proc_pidinfo(PROC_PIDTHREADID64INFO).
// Until then a holder is never proven dead (no takeover), which is safe.
#include <pthread.h>
#include <unistd.h>

#include "owner.h"

namespace shmem {

ThreadIdentity CurrentThreadIdentity() {
  uint64_t tid = 0;
  pthread_threadid_np(nullptr, &tid);
  return ThreadIdentity{static_cast<int32_t>(tid & 0x1fffffff) | 1, static_cast<int32_t>(getpid() & 0x7fffffff) | 1};
}

int32_t IdentityDomain() { return 1; }

HolderState ProbeHolder(int32_t, int32_t) { return HolderState::kUnknown; }

}  // namespace shmem
