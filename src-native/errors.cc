#include "errors.h"

#include <errno.h>

namespace shmem {

namespace {
// Per-environment (main thread and each worker) so that a worker's factory
// never outlives its isolate; node-addon-api deletes it at env teardown.
struct AddonData {
  Napi::FunctionReference factory;
};
}  // namespace

void SetErrorFactory(Napi::Env env, Napi::Function factory) {
  auto* data = new AddonData();
  data->factory = Napi::Persistent(factory);
  env.SetInstanceData(data);
}

Napi::Value MakeSystemError(Napi::Env env, SysResult r, const std::string& path) {
  auto* data = env.GetInstanceData<AddonData>();
  return data->factory.Call({Napi::Number::New(env, r.code), Napi::String::New(env, r.syscall),
                             path.empty() ? env.Undefined() : Napi::String::New(env, path)});
}

void ThrowSystemError(Napi::Env env, SysResult r, const std::string& path) {
  throw Napi::Error(env, MakeSystemError(env, r, path));
}

void ThrowClosed(Napi::Env env, const char* syscall) {
  ThrowSystemError(env, SysResult::Fail(-EBADF, syscall), "");
}

}  // namespace shmem
