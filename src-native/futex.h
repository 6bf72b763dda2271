// OS layer: sleep on a 32-bit word in shared memory until another process
// (or thread) wakes it. Linux: futex without FUTEX_PRIVATE_FLAG, so waiters
// in every process that maps the page are found. futex_linux.cc; the other
// platforms are in futex_darwin.cc and futex_win32.cc. No Node-API in here.
#pragma once
#include <atomic>
#include <cstdint>

namespace shmem {

// Sleeps while *addr == expected, up to timeout_ms (< 0: forever).
// Returns 0 when woken (or spuriously), -EAGAIN (libuv UV_EAGAIN on Windows)
// if *addr != expected at the time of the call, -ETIMEDOUT on timeout, or
// another negative error code. Retries EINTR with the time left, unless
// `cancel` is set: then it returns 0 (a wake) so that the caller looks at it.
int WaitOnAddress32(int32_t* addr, int32_t expected, double timeout_ms, const std::atomic<int>* cancel = nullptr);

// Wakes up to `count` waiters on addr (INT32_MAX: all) in every process.
// Returns the number woken, or a negative error code.
int WakeAddress32(int32_t* addr, int32_t count);

extern const int kErrAgain;     // the code WaitOnAddress32 returns for "not equal"
extern const int kErrTimedOut;  // ... and for a timeout

}  // namespace shmem
