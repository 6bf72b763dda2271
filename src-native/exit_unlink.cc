// unlinkOnExit: the Node-API functions over ExitUnlinks (exit_unlink.h).
//
// The list lives in native code, per environment, because the one moment
// that catches every way a worker ends (including worker.terminate(), where
// no JS runs any more) is the environment's teardown, when the addon's
// instance data is freed. lib/ adds a process 'exit' listener for the main
// thread's process.exit() and fatal errors, which skip that teardown.
#include "exit_unlink.h"

#include <napi.h>

#include "addon_data.h"
#include "sem.h"
#include "shm.h"

namespace shmem {

void ExitUnlinks::Forget(Kind kind, const std::string& os_name) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.kind == kind && it->second.os_name == os_name) {
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
}

void ExitUnlinks::RunAll() {
  // Taken out first: a second run (the 'exit' listener, then the teardown)
  // finds nothing, so a name re-created meanwhile by someone else survives.
  std::map<int, Entry> entries;
  entries.swap(entries_);
  for (const auto& [id, e] : entries) {
    // Errors are ignored: the name may be gone already (ENOENT), and at exit
    // there is nobody left to report to.
    if (e.kind == kSegment) {
      ShmUnlink(e.os_name.c_str());
    } else {
      SemUnlink(e.os_name.c_str());
    }
  }
}

namespace {

ExitUnlinks& List(Napi::Env env) { return GetAddonData(env)->exit_unlinks; }

ExitUnlinks::Kind KindOf(const Napi::Value& v) {
  return v.As<Napi::Number>().Int32Value() == 1 ? ExitUnlinks::kSemaphore : ExitUnlinks::kSegment;
}

// exitUnlinkAdd(kind: 0 segment | 1 semaphore, osName)
Napi::Value Add(const Napi::CallbackInfo& info) {
  List(info.Env()).Add(KindOf(info[0]), info[1].As<Napi::String>().Utf8Value());
  return info.Env().Undefined();
}

// exitUnlinkForget(kind, osName)
Napi::Value Forget(const Napi::CallbackInfo& info) {
  List(info.Env()).Forget(KindOf(info[0]), info[1].As<Napi::String>().Utf8Value());
  return info.Env().Undefined();
}

// exitUnlinkRun(): removes every registered name now.
Napi::Value Run(const Napi::CallbackInfo& info) {
  List(info.Env()).RunAll();
  return info.Env().Undefined();
}

}  // namespace

void InitExitUnlink(Napi::Env env, Napi::Object exports) {
  exports.Set("exitUnlinkAdd", Napi::Function::New(env, Add, "exitUnlinkAdd"));
  exports.Set("exitUnlinkForget", Napi::Function::New(env, Forget, "exitUnlinkForget"));
  exports.Set("exitUnlinkRun", Napi::Function::New(env, Run, "exitUnlinkRun"));
}

}  // namespace shmem
