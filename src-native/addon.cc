// Module entry: one line per concept.
#include <napi.h>

#include "addon_data.h"
#include "errors.h"

namespace shmem {
void InitShm(Napi::Env env, Napi::Object exports);
void InitSem(Napi::Env env, Napi::Object exports);
void InitMutex(Napi::Env env, Napi::Object exports);
void InitAsyncWait(Napi::Env env, Napi::Object exports);
void InitExitUnlink(Napi::Env env, Napi::Object exports);
#ifdef __linux__
void InitUnused(Napi::Env env, Napi::Object exports);
#endif
}  // namespace shmem

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  env.SetInstanceData(new shmem::AddonData());
  exports.Set("setErrorFactory", Napi::Function::New(env, [](const Napi::CallbackInfo& info) {
                shmem::SetErrorFactory(info.Env(), info[0].As<Napi::Function>());
              }));
  shmem::InitShm(env, exports);
  shmem::InitSem(env, exports);
  shmem::InitMutex(env, exports);
  shmem::InitAsyncWait(env, exports);
  shmem::InitExitUnlink(env, exports);
#ifdef __linux__
  shmem::InitUnused(env, exports);
#endif
  return exports;
}

NODE_API_MODULE(shmem, Init)
