// Node-API glue for shared-memory segments. Lifetimes: see mapping.h.
#include <napi.h>

#include "errors.h"
#include "mapping.h"
#include "shm.h"

namespace shmem {

namespace {

void FinalizeBackingStore(napi_env /*env*/, void* /*data*/, void* hint) {
  auto* st = static_cast<MappingState*>(hint);
  st->RequestUnmap();  // no JS object can reach the memory any more
  st->Release();
}

void FinalizeHandle(Napi::Env /*env*/, MappingState* st) { st->Release(); }

// Returns [handle, arrayBuffer].
Napi::Value Wrap(Napi::Env env, const ShmMapping& map) {
  auto* st = new MappingState(map);
  napi_value ab;
  napi_status status =
      napi_create_external_arraybuffer(env, map.addr, map.size, FinalizeBackingStore, st, &ab);
  if (status != napi_ok) {
    ShmMapping m = map;
    ShmUnmap(&m);
    delete st;
    NAPI_THROW_IF_FAILED(env, status, env.Undefined());
  }
  auto handle = Napi::External<MappingState>::New(env, st, FinalizeHandle);
  auto result = Napi::Array::New(env, 2);
  result.Set(0u, handle);
  result.Set(1u, Napi::Value(env, ab));
  return result;
}

// shmCreate(osName: string, size: number, mode: number): [handle, ArrayBuffer]
Napi::Value Create(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = info[0].As<Napi::String>().Utf8Value();
  size_t size = static_cast<size_t>(info[1].As<Napi::Number>().DoubleValue());
  int mode = info[2].As<Napi::Number>().Int32Value();
  ShmMapping map;
  SysResult r = ShmCreate(name, size, mode, &map);
  if (!r.ok()) ThrowSystemError(env, r, name);
  return Wrap(env, map);
}

// shmOpen(osName: string): [handle, ArrayBuffer]
Napi::Value Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = info[0].As<Napi::String>().Utf8Value();
  ShmMapping map;
  SysResult r = ShmOpen(name, &map);
  if (!r.ok()) ThrowSystemError(env, r, name);
  return Wrap(env, map);
}

// shmClose(handle, arrayBuffer): detaches the ArrayBuffer and unmaps if it can.
Napi::Value Close(const Napi::CallbackInfo& info) {
  auto* st = info[0].As<Napi::External<MappingState>>().Data();
  Napi::Value v = info[1];
  if (v.IsArrayBuffer()) {
    auto ab = v.As<Napi::ArrayBuffer>();
    if (!ab.IsDetached() && ab.Data() == st->addr()) {
      ab.Detach();
      st->RequestUnmap();
    }
  }
  return info.Env().Undefined();
}

// shmUnlink(osName: string)
Napi::Value Unlink(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = info[0].As<Napi::String>().Utf8Value();
  SysResult r = ShmUnlink(name);
  if (!r.ok()) ThrowSystemError(env, r, name);
  return env.Undefined();
}

}  // namespace

void InitShm(Napi::Env env, Napi::Object exports) {
  exports.Set("shmCreate", Napi::Function::New(env, Create, "shmCreate"));
  exports.Set("shmOpen", Napi::Function::New(env, Open, "shmOpen"));
  exports.Set("shmClose", Napi::Function::New(env, Close, "shmClose"));
  exports.Set("shmUnlink", Napi::Function::New(env, Unlink, "shmUnlink"));
}

}  // namespace shmem
