// Windows named semaphores: CreateSemaphoreW / WaitForSingleObject / ReleaseSemaphore.
// Like sections, a named semaphore lives while any handle is open; there is no unlink.
#include <windows.h>

#include <climits>

#include "sem.h"
#include "spin.h"
#include "win32_errors.h"

namespace shmem {

struct OsSem {
  HANDLE handle;
};

SysResult SemCreate(const char* name, unsigned value, int /*mode*/, OsSem** out) {
  std::wstring wname = Widen(name);
  HANDLE h = CreateSemaphoreW(nullptr, static_cast<LONG>(value), LONG_MAX, wname.c_str());
  if (h == nullptr) return SysResult::Fail(UvErrorCreatingNamed(GetLastError()), "CreateSemaphoreW");
  if (GetLastError() == ERROR_ALREADY_EXISTS) {
    CloseHandle(h);
    return SysResult::Fail(UvErrorFromWin32(ERROR_ALREADY_EXISTS), "CreateSemaphoreW");
  }
  *out = new OsSem{h};
  return SysResult::Ok();
}

SysResult SemOpen(const char* name, OsSem** out) {
  std::wstring wname = Widen(name);
  HANDLE h = OpenSemaphoreW(SEMAPHORE_ALL_ACCESS, FALSE, wname.c_str());
  if (h == nullptr) return SysResult::Fail(UvErrorOpeningNamed(GetLastError()), "OpenSemaphoreW");
  *out = new OsSem{h};
  return SysResult::Ok();
}

SysResult SemUnlink(const char* name) {
  std::wstring wname = Widen(name);
  HANDLE h = OpenSemaphoreW(SYNCHRONIZE, FALSE, wname.c_str());
  if (h == nullptr) return SysResult::Fail(UvErrorOpeningNamed(GetLastError()), "OpenSemaphoreW");
  CloseHandle(h);
  return SysResult::Ok();
}

void SemClose(OsSem* s) {
  if (s == nullptr) return;
  CloseHandle(s->handle);
  delete s;
}

SysResult SemPost(OsSem* s) {
  if (!ReleaseSemaphore(s->handle, 1, nullptr)) return SysResult::Fail(UvErrorFromWin32(GetLastError()), "ReleaseSemaphore");
  return SysResult::Ok();
}

namespace {
// Alertable, so that a cancelled asynchronous wait is interrupted at once
// (an APC from async_wait.cc ends it with WAIT_IO_COMPLETION).
SysResult Wait(OsSem* s, DWORD ms, bool* acquired, const std::atomic<int>* cancel = nullptr) {
  ULONGLONG deadline = ms == INFINITE ? 0 : GetTickCount64() + ms;
  for (;;) {
    DWORD rc = WaitForSingleObjectEx(s->handle, ms, TRUE);
    if (rc == WAIT_OBJECT_0) {
      *acquired = true;
      return SysResult::Ok();
    }
    *acquired = false;
    if (rc == WAIT_TIMEOUT) return SysResult::Ok();
    if (rc == WAIT_IO_COMPLETION) {
      if (cancel != nullptr && cancel->load() != 0) return SysResult::Ok();
      if (ms != INFINITE) {
        ULONGLONG now = GetTickCount64();
        ms = now >= deadline ? 0 : static_cast<DWORD>(deadline - now);
      }
      continue;
    }
    return SysResult::Fail(UvErrorFromWin32(GetLastError()), "WaitForSingleObject");
  }
}
}  // namespace

SysResult SemTryWait(OsSem* s, bool* acquired) { return Wait(s, 0, acquired); }

SysResult SemTimedWait(OsSem* s, double timeout_ms, bool* acquired, const std::atomic<int>* cancel) {
  for (int i = 0; i < kSpinTries; i++) {
    SysResult r = SemTryWait(s, acquired);
    if (!r.ok() || *acquired || timeout_ms == 0) return r;
    CpuRelax();
  }
  DWORD ms = timeout_ms < 0 ? INFINITE : static_cast<DWORD>(timeout_ms + 0.999);
  return Wait(s, ms, acquired, cancel);
}

}  // namespace shmem
