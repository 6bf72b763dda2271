// The one place native code turns an OS failure into a JS exception.
#pragma once
#include <napi.h>

#include <string>

#include "os_result.h"

namespace shmem {

// Called once at load with lib/errors.ts's factory
// (errno, syscall, path) => Error, so that every system error has the same
// shape as Node's fs errors and is built by the same code in JS.
void SetErrorFactory(Napi::Env env, Napi::Function factory);

// Throws a SystemError for `r` (which must not be ok) naming `path`.
[[noreturn]] void ThrowSystemError(Napi::Env env, SysResult r, const std::string& path);

// Throws the use-after-close error (code EBADF) for `syscall`.
[[noreturn]] void ThrowClosed(Napi::Env env, const char* syscall);

// Builds (does not throw) a SystemError value.
Napi::Value MakeSystemError(Napi::Env env, SysResult r, const std::string& path);

}  // namespace shmem
