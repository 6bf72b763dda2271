// Win32 error -> libuv error code (the negative numbers Node reports on
// Windows, e.g. ENOENT = -4058), so that err.code matches Linux.
#pragma once
#ifdef _WIN32
#include <windows.h>

#include <string>

namespace shmem {

inline int UvErrorFromWin32(DWORD e) {
  switch (e) {
    case ERROR_FILE_NOT_FOUND:
    case ERROR_PATH_NOT_FOUND:
    case ERROR_INVALID_NAME:
      return -4058;  // UV_ENOENT
    case ERROR_ALREADY_EXISTS:
    case ERROR_FILE_EXISTS:
      return -4075;  // UV_EEXIST
    case ERROR_ACCESS_DENIED:
      return -4092;  // UV_EACCES
    case ERROR_NOT_ENOUGH_MEMORY:
    case ERROR_OUTOFMEMORY:
    case ERROR_COMMITMENT_LIMIT:
      return -4057;  // UV_ENOMEM
    case ERROR_DISK_FULL:
      return -4055;  // UV_ENOSPC
    case ERROR_FILENAME_EXCED_RANGE:
      return -4064;  // UV_ENAMETOOLONG
    case ERROR_INVALID_HANDLE:
      return -4083;  // UV_EBADF
    case ERROR_TOO_MANY_POSTS:
      return -4067;  // UV_EOVERFLOW (sem_post past the maximum)
    case ERROR_INVALID_PARAMETER:
    default:
      return -4071;  // UV_EINVAL
  }
}

// Errors of the calls that create or open a named object. Sections and
// semaphores share one namespace on Windows: a name held by an object of the
// other kind gives ERROR_INVALID_HANDLE. Said as POSIX would: the name is
// taken (EEXIST) when creating, and no object of this kind has it (ENOENT)
// when opening.
inline int UvErrorCreatingNamed(DWORD e) { return e == ERROR_INVALID_HANDLE ? -4075 : UvErrorFromWin32(e); }
inline int UvErrorOpeningNamed(DWORD e) { return e == ERROR_INVALID_HANDLE ? -4058 : UvErrorFromWin32(e); }

// UTF-8 -> UTF-16 for the W APIs; names are used as given (Python does the same).
inline std::wstring Widen(const std::string& s) {
  if (s.empty()) return std::wstring();
  int n = MultiByteToWideChar(CP_UTF8, 0, s.data(), static_cast<int>(s.size()), nullptr, 0);
  std::wstring w(static_cast<size_t>(n), L'\0');
  MultiByteToWideChar(CP_UTF8, 0, s.data(), static_cast<int>(s.size()), &w[0], n);
  return w;
}

}  // namespace shmem
#endif
