#include "completion.h"

#include "addon_data.h"

namespace shmem {

namespace {

// The SystemError for `e`, built by lib/errors.ts's factory; null if it could
// not be built (the environment is stopping).
napi_value MakeError(napi_env env, SysResult e) {
  AddonData* data = nullptr;
  if (napi_get_instance_data(env, reinterpret_cast<void**>(&data)) != napi_ok || data == nullptr) return nullptr;
  napi_value factory, recv, argv[3], error;
  if (data->error_factory.IsEmpty()) return nullptr;
  if (napi_get_reference_value(env, data->error_factory, &factory) != napi_ok || factory == nullptr) return nullptr;
  if (napi_get_undefined(env, &recv) != napi_ok || napi_create_int32(env, e.code, &argv[0]) != napi_ok ||
      napi_create_string_utf8(env, e.syscall != nullptr ? e.syscall : "", NAPI_AUTO_LENGTH, &argv[1]) != napi_ok ||
      napi_get_undefined(env, &argv[2]) != napi_ok)
    return nullptr;
  if (napi_call_function(env, recv, factory, 3, argv, &error) != napi_ok) return nullptr;
  return error;
}

// After a failed call: true if it failed because the environment is stopping
// (nothing was received), false if JS that ran threw (now reported).
bool Stopping(napi_env env) {
  bool pending = false;
  // No exception pending: Node refused to enter JS at all (it no longer can).
  if (napi_is_exception_pending(env, &pending) != napi_ok || !pending) return true;
  napi_value exception;
  if (napi_get_and_clear_last_exception(env, &exception) != napi_ok) return true;
  // V8 reports termination (worker.terminate()) as an exception whose value
  // is null. Reporting it as uncaught would run JS in a stopping isolate,
  // which Node itself never does (it checks before it reports).
  napi_valuetype type;
  if (napi_typeof(env, exception, &type) != napi_ok || type == napi_null || type == napi_undefined) return true;
  napi_fatal_exception(env, exception);
  return false;
}

}  // namespace

bool CallCompletion(napi_env env, napi_ref callback_ref, const Completion& result, napi_async_context context) {
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return false;
  bool received = false;
  napi_value callback = nullptr, recv, argv[2], out;
  size_t argc = 2;
  bool values = callback_ref != nullptr && napi_get_reference_value(env, callback_ref, &callback) == napi_ok &&
                callback != nullptr && napi_get_global(env, &recv) == napi_ok;
  if (values && !result.error.ok()) {
    argv[0] = MakeError(env, result.error);
    values = argv[0] != nullptr;
    argc = 1;
  } else if (values) {
    values = napi_get_null(env, &argv[0]) == napi_ok &&
             (result.kind == Completion::kBoolean ? napi_get_boolean(env, result.value != 0, &argv[1])
                                                  : napi_create_double(env, result.value, &argv[1])) == napi_ok;
  }
  if (!values) {
    // Building the arguments failed: only a stopping environment does that.
    bool pending = false;
    if (napi_is_exception_pending(env, &pending) == napi_ok && pending) {
      napi_value ignored;
      napi_get_and_clear_last_exception(env, &ignored);
    }
  } else {
    napi_status status = context != nullptr ? napi_make_callback(env, context, recv, callback, argc, argv, &out)
                                            : napi_call_function(env, recv, callback, argc, argv, &out);
    received = status == napi_ok || !Stopping(env);
  }
  napi_close_handle_scope(env, scope);
  return received;
}

}  // namespace shmem
