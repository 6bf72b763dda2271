// Node-API glue for `shmem prune`'s proof that a name is unused (Linux only:
// unused_linux.h). Elsewhere these functions are absent and the command says
// it is not supported.
#include <napi.h>

#include <string>

#include "errors.h"
#include "unused_linux.h"

namespace shmem {

namespace {

// unlinkIfUnused(path, major, minor, ino, dryRun, leaseOptional): 'removed' | 'in-use' | 'changed';
// throws a SystemError.
Napi::Value UnlinkIfUnusedValue(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>().Utf8Value();
  int error = 0;
  const char* syscall = nullptr;
  UnusedResult r = UnlinkIfUnused(path.c_str(), info[1].As<Napi::Number>().Uint32Value(),
                                  info[2].As<Napi::Number>().Uint32Value(),
                                  static_cast<uint64_t>(info[3].As<Napi::Number>().DoubleValue()),
                                  info[4].As<Napi::Boolean>().Value(), info[5].As<Napi::Boolean>().Value(), &error,
                                  &syscall);
  switch (r) {
    case UnusedResult::kRemoved:
      return Napi::String::New(env, "removed");
    case UnusedResult::kInUse:
      return Napi::String::New(env, "in-use");
    case UnusedResult::kChanged:
      return Napi::String::New(env, "changed");
    case UnusedResult::kError:
    default:
      ThrowSystemError(env, SysResult::Fail(error, syscall), path);
  }
}

// leasesSeeReaders(dir): boolean
Napi::Value LeasesSeeReadersValue(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), LeasesSeeReaders(info[0].As<Napi::String>().Utf8Value().c_str()));
}

}  // namespace

void InitUnused(Napi::Env env, Napi::Object exports) {
  exports.Set("unlinkIfUnused", Napi::Function::New(env, UnlinkIfUnusedValue, "unlinkIfUnused"));
  exports.Set("leasesSeeReaders", Napi::Function::New(env, LeasesSeeReadersValue, "leasesSeeReaders"));
}

}  // namespace shmem
