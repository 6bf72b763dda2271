// OS layer for named shared-memory segments. One implementation per platform:
// shm_posix.cc (Linux, macOS) and shm_win32.cc. No Node-API in here.
#pragma once
#include <cstddef>
#include <string>

#include "os_result.h"

namespace shmem {

struct ShmMapping {
  void* addr = nullptr;
  size_t size = 0;
  void* os_handle = nullptr;  // Windows: the section handle, which keeps the name alive. POSIX: unused.
};

// `name` is the OS object name (POSIX: with the leading '/'). Exclusive create;
// the memory is zero-filled and reserved up front so that a full /dev/shm
// fails here with ENOSPC instead of raising SIGBUS on first touch later.
// On failure nothing is left behind (the name is removed again).
SysResult ShmCreate(const char* name, size_t size, int mode, ShmMapping* out);

// Attaches to an existing segment; the size comes from the system.
SysResult ShmOpen(const char* name, ShmMapping* out);

// Unmaps (and on Windows closes the section handle). Idempotent on a zeroed mapping.
void ShmUnmap(ShmMapping* m);

// Removes the name; existing mappings stay valid.
SysResult ShmUnlink(const char* name);

}  // namespace shmem
