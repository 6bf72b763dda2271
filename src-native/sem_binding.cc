// Node-API glue for named semaphores.
//
// The OS semaphore (sem_t* / HANDLE) is shared by the JS handle and every
// waiting thread through a shared_ptr, so close() never frees it under a
// thread that is still inside sem_clockwait: the last one closes it.
#include <napi.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <vector>

#include "async_wait.h"
#include "errors.h"
#include "name_arg.h"
#include "sem.h"

namespace shmem {

namespace {

struct SemState {
  explicit SemState(OsSem* s) : sem(s) {}
  ~SemState() { SemClose(sem); }
  OsSem* sem;
};

// How long a waiting thread sleeps before it looks for a cancellation. Only
// the release of the thread after a cancel waits for this; acquisitions and
// timeouts are immediate.
constexpr double kSliceMs = 50;

class SemWait : public AsyncWait {
 public:
  SemWait(std::shared_ptr<SemState> sem, double timeout_ms) : sem_(std::move(sem)), timeout_ms_(timeout_ms) {}

 protected:
  void Run() override {
    using Clock = std::chrono::steady_clock;
    const bool forever = timeout_ms_ < 0;
    const auto deadline = Clock::now() + std::chrono::microseconds(
                                             forever ? 0 : static_cast<int64_t>(timeout_ms_ * 1000.0));
    while (!cancelled()) {
      double slice = kSliceMs;
      if (!forever) {
        double left = std::chrono::duration<double, std::milli>(deadline - Clock::now()).count();
        if (left < slice) slice = left > 0 ? left : 0;
      }
      result_ = SemTimedWait(sem_->sem, slice, &acquired_, cancel_flag());
      if (!result_.ok() || acquired_) return;
      if (!forever && Clock::now() >= deadline) return;
    }
  }
  void Undo() override {
    if (acquired_) SemPost(sem_->sem);  // taken for nobody: give it back
    acquired_ = false;
  }
  Completion Result() const override {
    return result_.ok() ? Completion::Boolean(acquired_) : Completion::Error(result_);
  }

 private:
  std::shared_ptr<SemState> sem_;
  double timeout_ms_;
  SysResult result_;
  bool acquired_ = false;
};

struct SemHandle {
  std::shared_ptr<SemState> state;
  std::vector<std::weak_ptr<AsyncWait>> pending;  // JS thread only

  void CancelAll(Napi::Env env) {
    for (auto& weak : pending)
      if (auto w = weak.lock()) w->Cancel(env);
    pending.clear();
  }
};

SemHandle* GetHandle(const Napi::CallbackInfo& info, const char* syscall) {
  auto* h = info[0].As<Napi::External<SemHandle>>().Data();
  if (!h->state) ThrowClosed(info.Env(), syscall);
  return h;
}

Napi::Value NewHandle(Napi::Env env, OsSem* sem) {
  auto* h = new SemHandle();
  h->state = std::make_shared<SemState>(sem);
  // GC or environment teardown (worker exit): cancel waits, release the semaphore.
  return Napi::External<SemHandle>::New(env, h, [](Napi::Env env, SemHandle* h) {
    h->CancelAll(env);
    delete h;
  });
}

Napi::Value Create(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  NameArg name(info[0]);
  unsigned value = info[1].As<Napi::Number>().Uint32Value();
  int mode = info[2].As<Napi::Number>().Int32Value();
  OsSem* sem = nullptr;
  SysResult r = SemCreate(name.c_str(), value, mode, &sem);
  if (!r.ok()) ThrowSystemError(env, r, name.str());
  return NewHandle(env, sem);
}

Napi::Value Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  NameArg name(info[0]);
  OsSem* sem = nullptr;
  SysResult r = SemOpen(name.c_str(), &sem);
  if (!r.ok()) ThrowSystemError(env, r, name.str());
  return NewHandle(env, sem);
}

Napi::Value Unlink(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  NameArg name(info[0]);
  SysResult r = SemUnlink(name.c_str());
  if (!r.ok()) ThrowSystemError(env, r, name.str());
  return env.Undefined();
}

Napi::Value Post(const Napi::CallbackInfo& info) {
  SemHandle* h = GetHandle(info, "sem_post");
  SysResult r = SemPost(h->state->sem);
  if (!r.ok()) ThrowSystemError(info.Env(), r, "");
  return info.Env().Undefined();
}

Napi::Value TryWait(const Napi::CallbackInfo& info) {
  SemHandle* h = GetHandle(info, "sem_trywait");
  bool acquired = false;
  SysResult r = SemTryWait(h->state->sem, &acquired);
  if (!r.ok()) ThrowSystemError(info.Env(), r, "");
  return Napi::Boolean::New(info.Env(), acquired);
}

// semWaitSync(handle, timeoutMs): timeoutMs < 0 waits forever.
Napi::Value WaitSync(const Napi::CallbackInfo& info) {
  SemHandle* h = GetHandle(info, "sem_wait");
  double timeout = info[1].As<Napi::Number>().DoubleValue();
  bool acquired = false;
  SysResult r = SemTimedWait(h->state->sem, timeout, &acquired);
  if (!r.ok()) ThrowSystemError(info.Env(), r, "");
  return Napi::Boolean::New(info.Env(), acquired);
}

// semWaitAsync(handle, timeoutMs, callback(err, acquired)): request
Napi::Value WaitAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SemHandle* h = GetHandle(info, "sem_wait");
  double timeout = info[1].As<Napi::Number>().DoubleValue();
  // Forget settled waits so the list stays short.
  h->pending.erase(std::remove_if(h->pending.begin(), h->pending.end(),
                                  [](const std::weak_ptr<AsyncWait>& w) { return w.expired(); }),
                   h->pending.end());
  auto wait = std::make_shared<SemWait>(h->state, timeout);
  h->pending.push_back(wait);
  return AsyncWait::Start(env, wait, info[2].As<Napi::Function>());
}

// semClose(handle): cancels pending waits; the OS semaphore is closed once the
// last waiting thread has let go of it.
Napi::Value Close(const Napi::CallbackInfo& info) {
  auto* h = info[0].As<Napi::External<SemHandle>>().Data();
  h->CancelAll(info.Env());
  h->state.reset();
  return info.Env().Undefined();
}

}  // namespace

void InitSem(Napi::Env env, Napi::Object exports) {
  exports.Set("semCreate", Napi::Function::New(env, Create, "semCreate"));
  exports.Set("semOpen", Napi::Function::New(env, Open, "semOpen"));
  exports.Set("semUnlink", Napi::Function::New(env, Unlink, "semUnlink"));
  exports.Set("semPost", Napi::Function::New(env, Post, "semPost"));
  exports.Set("semTryWait", Napi::Function::New(env, TryWait, "semTryWait"));
  exports.Set("semWaitSync", Napi::Function::New(env, WaitSync, "semWaitSync"));
  exports.Set("semWaitAsync", Napi::Function::New(env, WaitAsync, "semWaitAsync"));
  exports.Set("semClose", Napi::Function::New(env, Close, "semClose"));
}

}  // namespace shmem
