#include "async_wait.h"

#include <thread>

namespace shmem {

Napi::Value AsyncWait::Start(Napi::Env env, std::shared_ptr<AsyncWait> wait, Napi::Function callback,
                             const char* resource_name) {
  wait->tsfn_ = Napi::ThreadSafeFunction::New(
      env, callback, resource_name, 0, 1, new std::shared_ptr<TsfnGuard>(wait->guard_),
      [](Napi::Env, std::shared_ptr<TsfnGuard>* guard) {
        {
          std::lock_guard<std::mutex> lock((*guard)->mu);
          (*guard)->dead = true;
        }
        delete guard;
      });
  // Environment teardown (worker exit, process exit) cancels the wait so that
  // its thread lets go of the OS object and the mapping.
  wait->hook_ = new std::shared_ptr<AsyncWait>(wait);
  napi_add_env_cleanup_hook(env, OnEnvCleanup, wait->hook_);
  std::thread(ThreadMain, wait).detach();
  // Weak: a settled wait is freed (with what it holds, such as the mapping)
  // without waiting for the GC to collect the request handle.
  auto* holder = new std::weak_ptr<AsyncWait>(wait);
  return Napi::External<std::weak_ptr<AsyncWait>>::New(env, holder,
                                                       [](Napi::Env, std::weak_ptr<AsyncWait>* p) { delete p; });
}

std::shared_ptr<AsyncWait> AsyncWait::FromRequest(Napi::Value request) {
  return request.As<Napi::External<std::weak_ptr<AsyncWait>>>().Data()->lock();
}

void AsyncWait::OnEnvCleanup(void* arg) {
  auto* hook = static_cast<std::shared_ptr<AsyncWait>*>(arg);
  std::shared_ptr<AsyncWait> self = *hook;
  self->hook_ = nullptr;
  delete hook;
  self->cancel_.store(1);
  int s = kPending;
  if (!self->state_.compare_exchange_strong(s, kCancelled) && s == kDone &&
      self->state_.compare_exchange_strong(s, kCancelled)) {
    self->Undo();
  }
}

void AsyncWait::RemoveCleanupHook(napi_env env) {
  if (hook_ == nullptr) return;
  napi_remove_env_cleanup_hook(env, OnEnvCleanup, hook_);
  delete hook_;
  hook_ = nullptr;
}

bool AsyncWait::Cancel(Napi::Env env) {
  cancel_.store(1);
  for (;;) {
    int s = state_.load();
    if (s == kCancelled || s == kDelivered) return false;
    if (state_.compare_exchange_weak(s, kCancelled)) {
      if (s == kDone) Undo();  // taken for nobody: give it back
      tsfn_.Unref(env);
      RemoveCleanupHook(env);
      return true;
    }
  }
}

void AsyncWait::ThreadMain(std::shared_ptr<AsyncWait> self) {
  self->Run();
  int expected = kPending;
  if (!self->state_.compare_exchange_strong(expected, kDone)) {
    self->Undo();  // cancelled while we were finishing
  } else {
    auto* data = new std::shared_ptr<AsyncWait>(self);
    std::unique_lock<std::mutex> lock(self->guard_->mu);
    napi_status status = self->guard_->dead ? napi_closing : self->tsfn_.BlockingCall(data, [](Napi::Env env, Napi::Function cb,
                                                            std::shared_ptr<AsyncWait>* data) {
      std::shared_ptr<AsyncWait> w = *data;
      delete data;
      int s = kDone;
      if (!w->state_.compare_exchange_strong(s, kDelivered)) return;  // cancelled meanwhile: settled in JS
      if (env == nullptr) {
        w->Undo();  // torn down with the call still queued: nobody receives it
        return;
      }
      w->RemoveCleanupHook(env);
      w->Deliver(env, cb);
    });
    lock.unlock();
    if (status != napi_ok) {
      // The environment is gone: nobody will receive the result.
      delete data;
      int s = kDone;
      if (self->state_.compare_exchange_strong(s, kCancelled)) self->Undo();
    }
  }
  std::lock_guard<std::mutex> lock(self->guard_->mu);
  if (!self->guard_->dead) self->tsfn_.Release();
}

}  // namespace shmem
