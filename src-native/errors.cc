#include "errors.h"

#include "addon_data.h"

#include <errno.h>

namespace shmem {

void SetErrorFactory(Napi::Env env, Napi::Function factory) {
  GetAddonData(env)->error_factory = Napi::Persistent(factory);
}

Napi::Value MakeSystemError(Napi::Env env, SysResult r, const std::string& path) {
  return GetAddonData(env)->error_factory.Call({Napi::Number::New(env, r.code), Napi::String::New(env, r.syscall),
                             path.empty() ? env.Undefined() : Napi::String::New(env, path)});
}

void ThrowSystemError(Napi::Env env, SysResult r, const std::string& path) {
  throw Napi::Error(env, MakeSystemError(env, r, path));
}

void ThrowClosed(Napi::Env env, const char* syscall) {
  ThrowSystemError(env, SysResult::Fail(-EBADF, syscall), "");
}

}  // namespace shmem
