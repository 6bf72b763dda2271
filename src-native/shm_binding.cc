// Node-API glue for shared-memory segments. Lifetimes: see mapping.h.
#include <napi.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>

#include "errors.h"
#include "mapping.h"
#include "name_arg.h"
#include "shm.h"

namespace shmem {

namespace {

// V8 counts an external buffer's bytes towards its external memory, but a
// mapping costs more than its bytes: a kernel mapping each (vm.max_map_count).
// A segment dropped without close() is only unmapped after the GC has freed
// its buffer (and Node has run the finalizer on a later turn of the event
// loop); small segments that live long enough to reach the old generation
// would otherwise pile up mappings with no reason for V8 to run a full GC. So
// each mapping is charged up to a floor of 64 KiB (on top of V8's own count
// of its bytes): V8's external-memory limit (64 MiB) then asks for a GC every
// thousand or so of them. close() gives the charge back at once.
constexpr int64_t kMinChargePerMapping = 64 * 1024;

void Uncharge(napi_env env, MappingState* st) {
  int64_t charge = st->TakeCharge();
  int64_t ignored;
  if (charge != 0) napi_adjust_external_memory(env, -charge, &ignored);
}

void FinalizeBackingStore(napi_env env, void* /*data*/, void* hint) {
  auto* st = static_cast<MappingState*>(hint);
  Uncharge(env, st);
  st->RequestUnmap();  // no JS object can reach the memory any more
  st->Release();
}

// Returns a Buffer over the whole mapping; its ArrayBuffer is the handle that
// lib/ passes back (mapping.h). A Buffer rather than a bare ArrayBuffer: Node
// makes external ArrayBuffers through a Buffer anyway, so this saves lib/
// making a second view.
Napi::Value Wrap(Napi::Env env, const ShmMapping& map) {
  auto* st = new MappingState(map);
  napi_value buffer;
  napi_status status = napi_create_external_buffer(env, map.size, map.addr, FinalizeBackingStore, st, &buffer);
  if (status != napi_ok) {
    st->RequestUnmap();
    st->Release();
    NAPI_THROW_IF_FAILED(env, status, env.Undefined());
  }
  int64_t charge = kMinChargePerMapping - static_cast<int64_t>(std::min<size_t>(map.size, kMinChargePerMapping));
  int64_t ignored;
  if (charge > 0 && napi_adjust_external_memory(env, charge, &ignored) == napi_ok) st->SetCharge(charge);
  return Napi::Value(env, buffer);
}

// The kernel limits the number of mappings a process may have (Linux:
// vm.max_map_count, 65530 by default). If shmem used them all up, V8's own
// next mmap would fail and Node would abort with a fatal out-of-memory error,
// not an exception: a loop that drops segments without close() and never
// lets the event loop turn (where Node frees collected buffers) gets there.
// So shmem stops short of the limit, leaving room for everything else in the
// process, and fails create/open with ENOMEM before anything is made.
size_t MappingBudget() {
#if defined(__linux__)
  static const size_t budget = [] {
    size_t limit = 65530;
    if (FILE* f = fopen("/proc/sys/vm/max_map_count", "re")) {
      unsigned long v;
      if (fscanf(f, "%lu", &v) == 1 && v > 0) limit = v;
      fclose(f);
    }
    size_t headroom = std::max<size_t>(8192, limit / 8);
    return limit > 2 * headroom ? limit - headroom : limit / 2;
  }();
  return budget;
#else
  return SIZE_MAX;  // macOS and Windows have no per-process mapping count limit of this kind
#endif
}

void CheckBudget(Napi::Env env, const NameArg& name) {
  if (MappingState::LiveCount() >= MappingBudget()) ThrowSystemError(env, SysResult::Fail(-ENOMEM, "mmap"), name.str());
}

// shmCreate(osName: string, size: number, mode: number): Buffer
Napi::Value Create(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  NameArg name(info[0]);
  size_t size = static_cast<size_t>(info[1].As<Napi::Number>().DoubleValue());
  int mode = info[2].As<Napi::Number>().Int32Value();
  CheckBudget(env, name);
  ShmMapping map;
  SysResult r = ShmCreate(name.c_str(), size, mode, &map);
  if (!r.ok()) ThrowSystemError(env, r, name.str());
  return Wrap(env, map);
}

// shmOpen(osName: string): Buffer
Napi::Value Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  NameArg name(info[0]);
  CheckBudget(env, name);
  ShmMapping map;
  SysResult r = ShmOpen(name.c_str(), &map);
  if (!r.ok()) ThrowSystemError(env, r, name.str());
  return Wrap(env, map);
}

// shmClose(arrayBuffer): detaches the segment's ArrayBuffer (every view drops
// to length 0) and unmaps unless a pending wait still uses the memory. An
// ArrayBuffer already detached (closed, or moved away with ab.transfer(): then
// its new owner keeps the memory until the GC frees it) is left alone.
Napi::Value Close(const Napi::CallbackInfo& info) {
  auto ab = info[0].As<Napi::ArrayBuffer>();
  if (!ab.IsDetached()) {
    MappingState* st = MappingState::Find(ab.Data());
    if (st != nullptr) {
      ab.Detach();
      Uncharge(info.Env(), st);
      st->RequestUnmap();
    }
  }
  return info.Env().Undefined();
}

// shmUnlink(osName: string)
Napi::Value Unlink(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  NameArg name(info[0]);
  SysResult r = ShmUnlink(name.c_str());
  if (!r.ok()) ThrowSystemError(env, r, name.str());
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
