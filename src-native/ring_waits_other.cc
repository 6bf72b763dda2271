// No io_uring here: waitAsync() uses the waiter-thread pool (async_wait.h).
#include "ring_waits.h"

namespace shmem {

bool RingWaitAsync(Napi::Env, int32_t*, int32_t, double, Napi::Function, Napi::Value*) { return false; }
bool RingCancel(Napi::Env, Napi::Value) { return false; }

}  // namespace shmem
