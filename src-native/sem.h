// OS layer for named counting semaphores. sem_posix.cc (Linux, macOS) and
// sem_win32.cc. No Node-API in here.
#pragma once
#include <atomic>
#include <string>

#include "os_result.h"

namespace shmem {

struct OsSem;  // opaque: sem_t* on POSIX, a HANDLE on Windows

SysResult SemCreate(const char* name, unsigned value, int mode, OsSem** out);
SysResult SemOpen(const char* name, OsSem** out);
SysResult SemUnlink(const char* name);
void SemClose(OsSem* s);

SysResult SemPost(OsSem* s);

// *acquired = false when the semaphore was not available (not an error).
SysResult SemTryWait(OsSem* s, bool* acquired);

// Blocks up to timeout_ms (< 0: forever). *acquired = false on timeout.
// A short spin with SemTryWait comes first: a contended semaphore that is
// released within a few microseconds is taken without sleeping in the kernel.
// EINTR is retried, unless `cancel` is set: then it returns (not acquired).
SysResult SemTimedWait(OsSem* s, double timeout_ms, bool* acquired, const std::atomic<int>* cancel = nullptr);

}  // namespace shmem
