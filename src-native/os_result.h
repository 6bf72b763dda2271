// Result type shared by the OS layer (no Node-API in the OS layer).
#pragma once

namespace shmem {

// 0 on success, else a negative errno-style code (libuv numbering on Windows)
// together with the name of the system call that failed, so that the JS layer
// can build an fs-like SystemError (code, errno, syscall, path).
struct SysResult {
  int code = 0;
  const char* syscall = nullptr;
  bool ok() const { return code == 0; }
  static SysResult Ok() { return SysResult{}; }
  static SysResult Fail(int code, const char* syscall) { return SysResult{code, syscall}; }
};

}  // namespace shmem
