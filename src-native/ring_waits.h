// waitAsync() through the kernel's io_uring futex wait where the system has it
// (Linux 6.7+): the event loop polls the ring and wakes once per completed
// wait. Elsewhere, or when io_uring is unavailable (disabled by sysctl or a
// seccomp policy), these return false and waitAsync() uses the waiter-thread
// pool (async_wait.h).
#pragma once
#include <napi.h>

#include <cstdint>

namespace shmem {

// Queues a wait for *addr != value, ending after timeout_ms (< 0: never), that
// calls `callback(null, code)` with 0 (woken) or 2 (timed out). False if the
// ring is not available; *request is a Number that RingCancel takes.
bool RingWaitAsync(Napi::Env env, int32_t* addr, int32_t value, double timeout_ms, Napi::Function callback,
                   Napi::Value* request);

// From the JS thread: true if the wait had not settled (and now never will).
bool RingCancel(Napi::Env env, Napi::Value request);

}  // namespace shmem
