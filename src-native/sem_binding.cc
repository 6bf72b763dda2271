// Node-API glue for named semaphores.
//
// Async waits never block the event loop or the libuv threadpool: each
// wait() that cannot take the semaphore at once gets its own short-lived
// thread, which sleeps in the kernel and settles the promise through a
// thread-safe function. A pending wait can be cancelled (AbortSignal,
// close(), GC, worker exit) at any moment from the JS thread; if the waiting
// thread took a unit that nobody will receive, the unit is posted back, so
// a cancelled wait never consumes the semaphore.
//
// The OS semaphore (sem_t* / HANDLE) is shared by the JS handle and every
// waiting thread through a shared_ptr, so close() never frees it under a
// thread that is still inside sem_clockwait: the last thread closes it.
#include <napi.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "errors.h"
#include "sem.h"

namespace shmem {

namespace {

struct SemState {
  explicit SemState(OsSem* s) : sem(s) {}
  ~SemState() { SemClose(sem); }
  OsSem* sem;
};

enum WaitState : int { kPending, kAcquired, kTimedOut, kFailed, kCancelled, kDelivered };

// How long a waiting thread sleeps before it looks for a cancellation. Only
// the release of the thread after a cancel waits for this; acquisitions and
// timeouts are immediate.
constexpr double kSliceMs = 50;

struct WaitRequest {
  std::shared_ptr<SemState> sem;
  std::atomic<int> state{kPending};
  SysResult error;
  Napi::ThreadSafeFunction tsfn;

  // From the JS thread. True if the result had not been delivered yet, in
  // which case it never will be. The thread may still be asleep for up to one
  // slice; unref its thread-safe function so that it does not hold the event
  // loop (and process exit) open meanwhile.
  bool Cancel(Napi::Env env) {
    for (;;) {
      int s = state.load();
      if (s == kCancelled || s == kDelivered) return false;
      if (state.compare_exchange_weak(s, kCancelled)) {
        if (s == kAcquired) SemPost(sem->sem);  // taken for nobody: give it back
        tsfn.Unref(env);
        return true;
      }
    }
  }
};

struct SemHandle {
  std::shared_ptr<SemState> state;
  std::vector<std::shared_ptr<WaitRequest>> pending;  // JS thread only

  void CancelAll(Napi::Env env) {
    for (auto& r : pending) r->Cancel(env);
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
  std::string name = info[0].As<Napi::String>().Utf8Value();
  unsigned value = info[1].As<Napi::Number>().Uint32Value();
  int mode = info[2].As<Napi::Number>().Int32Value();
  OsSem* sem = nullptr;
  SysResult r = SemCreate(name, value, mode, &sem);
  if (!r.ok()) ThrowSystemError(env, r, name);
  return NewHandle(env, sem);
}

Napi::Value Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = info[0].As<Napi::String>().Utf8Value();
  OsSem* sem = nullptr;
  SysResult r = SemOpen(name, &sem);
  if (!r.ok()) ThrowSystemError(env, r, name);
  return NewHandle(env, sem);
}

Napi::Value Unlink(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = info[0].As<Napi::String>().Utf8Value();
  SysResult r = SemUnlink(name);
  if (!r.ok()) ThrowSystemError(env, r, name);
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

void WaitThread(std::shared_ptr<WaitRequest> req, double timeout_ms) {
  using Clock = std::chrono::steady_clock;
  const bool forever = timeout_ms < 0;
  const auto deadline = Clock::now() + std::chrono::microseconds(
                                           forever ? 0 : static_cast<int64_t>(timeout_ms * 1000.0));
  int outcome = kPending;
  while (req->state.load() == kPending) {
    double slice = kSliceMs;
    if (!forever) {
      double left = std::chrono::duration<double, std::milli>(deadline - Clock::now()).count();
      if (left < slice) slice = left > 0 ? left : 0;
    }
    bool acquired = false;
    SysResult r = SemTimedWait(req->sem->sem, slice, &acquired);
    if (!r.ok()) {
      req->error = r;
      outcome = kFailed;
    } else if (acquired) {
      outcome = kAcquired;
    } else if (!forever && Clock::now() >= deadline) {
      outcome = kTimedOut;
    } else {
      continue;
    }
    int expected = kPending;
    if (!req->state.compare_exchange_strong(expected, outcome)) {
      // Cancelled while we were taking it: nobody will receive this unit.
      if (outcome == kAcquired) SemPost(req->sem->sem);
      outcome = kCancelled;
    }
    break;
  }
  if (outcome != kPending && outcome != kCancelled) {
    auto* data = new std::shared_ptr<WaitRequest>(req);
    napi_status s = req->tsfn.BlockingCall(data, [](Napi::Env env, Napi::Function cb,
                                                    std::shared_ptr<WaitRequest>* data) {
      std::shared_ptr<WaitRequest> req = *data;
      delete data;
      int s = req->state.exchange(kDelivered);
      if (s == kCancelled) {
        req->state.store(kCancelled);
        return;  // already settled in JS (abort or close)
      }
      if (env == nullptr) {
        // Torn down with the call still queued: nobody receives the unit.
        if (s == kAcquired) SemPost(req->sem->sem);
        return;
      }
      if (s == kFailed) {
        cb.Call({MakeSystemError(env, req->error, "")});
      } else {
        cb.Call({env.Null(), Napi::Boolean::New(env, s == kAcquired)});
      }
    });
    if (s != napi_ok) {
      // The environment is going away (worker exit): nobody will get the unit.
      // The environment is gone, so there is nothing to unref; just make sure
      // a unit taken for it is given back.
      delete data;
      int expected = kAcquired;
      if (req->state.compare_exchange_strong(expected, kCancelled)) SemPost(req->sem->sem);
    }
  }
  req->tsfn.Release();
}

// semWaitAsync(handle, timeoutMs, callback(err, acquired)): request
Napi::Value WaitAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SemHandle* h = GetHandle(info, "sem_wait");
  double timeout = info[1].As<Napi::Number>().DoubleValue();
  auto req = std::make_shared<WaitRequest>();
  req->sem = h->state;
  req->tsfn = Napi::ThreadSafeFunction::New(env, info[2].As<Napi::Function>(), "shmem.semaphore.wait", 0, 1);
  h->pending.push_back(req);
  // Prune requests that have settled so the list stays short.
  h->pending.erase(std::remove_if(h->pending.begin(), h->pending.end(),
                                  [](const std::shared_ptr<WaitRequest>& p) {
                                    int s = p->state.load();
                                    return s == kDelivered || s == kCancelled;
                                  }),
                   h->pending.end());
  std::thread(WaitThread, req, timeout).detach();
  auto* holder = new std::shared_ptr<WaitRequest>(req);
  return Napi::External<std::shared_ptr<WaitRequest>>::New(
      env, holder, [](Napi::Env, std::shared_ptr<WaitRequest>* p) { delete p; });
}

// semCancel(request): true if the wait had not been settled (and now never will be).
Napi::Value Cancel(const Napi::CallbackInfo& info) {
  auto* req = info[0].As<Napi::External<std::shared_ptr<WaitRequest>>>().Data();
  return Napi::Boolean::New(info.Env(), (*req)->Cancel(info.Env()));
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
  exports.Set("semCancel", Napi::Function::New(env, Cancel, "semCancel"));
  exports.Set("semClose", Napi::Function::New(env, Close, "semClose"));
}

}  // namespace shmem
