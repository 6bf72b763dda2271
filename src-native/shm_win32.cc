// Windows shared memory: named, pagefile-backed file mappings.
//
// A Windows section has no persistent name: it exists while any handle or
// view is open, and the last close removes it. There is no unlink. This
// file keeps the section handle for the life of the mapping (ShmUnmap closes
// it); ShmUnlink can only check that the name exists (see README).
// Every mapped view is reported to futex_win32.cc with its name, which is
// how a waited word gets the same key in every process.
#include <windows.h>

#include "futex_win32.h"
#include "shm.h"
#include "win32_errors.h"

namespace shmem {

SysResult ShmCreate(const char* name, size_t size, int /*mode*/, ShmMapping* out) {
  std::wstring wname = Widen(name);
  ULONGLONG sz = static_cast<ULONGLONG>(size);
  // SEC_COMMIT (the default) charges the whole size against the commit limit
  // now: a system out of memory fails here, not at first touch.
  HANDLE h = CreateFileMappingW(INVALID_HANDLE_VALUE, nullptr, PAGE_READWRITE, static_cast<DWORD>(sz >> 32),
                                static_cast<DWORD>(sz & 0xffffffffu), wname.c_str());
  if (h == nullptr) return SysResult::Fail(UvErrorCreatingNamed(GetLastError()), "CreateFileMappingW");
  if (GetLastError() == ERROR_ALREADY_EXISTS) {
    CloseHandle(h);
    return SysResult::Fail(UvErrorFromWin32(ERROR_ALREADY_EXISTS), "CreateFileMappingW");
  }
  void* addr = MapViewOfFile(h, FILE_MAP_ALL_ACCESS, 0, 0, size);
  if (addr == nullptr) {
    DWORD e = GetLastError();
    CloseHandle(h);  // the last handle: the name goes with it
    return SysResult::Fail(UvErrorFromWin32(e), "MapViewOfFile");
  }
  out->addr = addr;
  out->size = size;
  out->os_handle = h;
  FutexTrackView(addr, size, name);
  return SysResult::Ok();
}

SysResult ShmOpen(const char* name, ShmMapping* out) {
  std::wstring wname = Widen(name);
  HANDLE h = OpenFileMappingW(FILE_MAP_ALL_ACCESS, FALSE, wname.c_str());
  if (h == nullptr) return SysResult::Fail(UvErrorOpeningNamed(GetLastError()), "OpenFileMappingW");
  void* addr = MapViewOfFile(h, FILE_MAP_ALL_ACCESS, 0, 0, 0);
  if (addr == nullptr) {
    DWORD e = GetLastError();
    CloseHandle(h);
    return SysResult::Fail(UvErrorFromWin32(e), "MapViewOfFile");
  }
  // The section's size is not queryable with documented APIs; the view's
  // region size is the size rounded up to a page, as Python reports it.
  MEMORY_BASIC_INFORMATION info;
  if (VirtualQuery(addr, &info, sizeof info) == 0) {
    DWORD e = GetLastError();
    UnmapViewOfFile(addr);
    CloseHandle(h);
    return SysResult::Fail(UvErrorFromWin32(e), "VirtualQuery");
  }
  out->addr = addr;
  out->size = info.RegionSize;
  out->os_handle = h;
  FutexTrackView(addr, info.RegionSize, name);
  return SysResult::Ok();
}

void ShmUnmap(ShmMapping* m) {
  if (m->addr != nullptr) {
    FutexForgetView(m->addr);
    UnmapViewOfFile(m->addr);
  }
  if (m->os_handle != nullptr) CloseHandle(static_cast<HANDLE>(m->os_handle));
  m->addr = nullptr;
  m->os_handle = nullptr;
}

SysResult ShmUnlink(const char* name) {
  // No unlink on Windows: the name disappears with the last handle. Report
  // ENOENT for a name that does not exist, as on POSIX.
  std::wstring wname = Widen(name);
  HANDLE h = OpenFileMappingW(FILE_MAP_READ, FALSE, wname.c_str());
  if (h == nullptr) return SysResult::Fail(UvErrorOpeningNamed(GetLastError()), "OpenFileMappingW");
  CloseHandle(h);
  return SysResult::Ok();
}

}  // namespace shmem
