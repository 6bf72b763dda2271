// Handing a finished wait to its JS callback — the one place where a result
// that was produced off the JS thread (a waiter thread, the io_uring) becomes
// JS values and a call.
//
// A completion can arrive for an environment that is going away: a worker
// being terminated (worker.terminate(), process.exit() in it) stops running
// JS at any moment, also in the middle of the call. Then the completion is
// dropped: no JS value, no exception (a C++ exception here would end the
// whole process), and the caller gives back what the wait took. So this code
// uses the Node-API C functions and checks every status, instead of
// node-addon-api's wrappers, which throw on failure.
#pragma once
#include <napi.h>

#include "os_result.h"

namespace shmem {

// What a finished wait hands to callback(err, value).
struct Completion {
  enum Kind { kNumber, kBoolean };
  Kind kind = kNumber;
  double value = 0;
  SysResult error;  // not ok: callback(SystemError) instead

  static Completion Number(double v) { return Completion{kNumber, v, SysResult::Ok()}; }
  static Completion Boolean(bool v) { return Completion{kBoolean, v ? 1.0 : 0.0, SysResult::Ok()}; }
  static Completion Error(SysResult e) { return Completion{kNumber, 0, e}; }
};

// Calls callback(null, value) or callback(SystemError) on the JS thread (the
// callback held by a reference), through
// napi_make_callback when `context` is given (so that promise continuations
// run right after), else napi_call_function (a thread-safe function's call,
// which Node wraps itself). Returns false if the call could not be made or was
// cut short because the environment is stopping: the result was not received.
// An exception thrown by JS that did run (a process.nextTick callback run at
// the end of the call, say) is reported as uncaught, as Node does for its own
// callbacks, and the result counts as received.
bool CallCompletion(napi_env env, napi_ref callback, const Completion& result, napi_async_context context);

}  // namespace shmem
