// Windows only: which segment a mapped view belongs to.
//
// futex_win32.cc must key a waited word the same way in every process, and
// processes map a segment at different addresses: the key is the segment's
// name plus the word's byte offset. futex.h takes only an address, so
// shm_win32.cc tells futex_win32.cc the name of every view it maps and
// unmaps; the callers of futex.h stay the same on every platform.
#pragma once
#include <cstddef>
#include <string>

namespace shmem {

// A view of the section `name` (the OS name) is mapped at [addr, addr + size).
void FutexTrackView(void* addr, size_t size, const std::string& name);

// The view at `addr` is about to be unmapped: forget it and close the wait
// objects opened for it. No wait on it can be running (the mapping's users
// have let go, see mapping.h).
void FutexForgetView(void* addr);

}  // namespace shmem
