// One pending asynchronous wait (Semaphore.wait, Mutex.lock, waitAsync).
//
// Waits never block the event loop or the libuv threadpool: each wait that
// cannot complete at once gets its own short-lived thread, which sleeps in the
// kernel and settles the JS callback through a thread-safe function. A
// pending wait can be cancelled at any moment from the JS thread (AbortSignal,
// close(), environment teardown); if the waiting thread took something that
// nobody will receive (a semaphore unit, a lock), Undo() gives it back, so a
// cancelled wait never takes anything.
#pragma once
#include <napi.h>

#include <atomic>
#include <memory>
#include <mutex>

namespace shmem {

class AsyncWait : public std::enable_shared_from_this<AsyncWait> {
 public:
  virtual ~AsyncWait() = default;

  // Starts the waiting thread; `callback` receives the result through
  // Deliver(). Returns the request handle that JS passes to Cancel().
  static Napi::Value Start(Napi::Env env, std::shared_ptr<AsyncWait> wait, Napi::Function callback,
                           const char* resource_name);

  // From the JS thread: true if the result had not been delivered (and now
  // never will be). Unref's the thread-safe function so that a thread still
  // finishing its current sleep does not hold the process open.
  bool Cancel(Napi::Env env);

  // The wait behind a request handle, or null once it has been settled.
  static std::shared_ptr<AsyncWait> FromRequest(Napi::Value request);

 protected:
  // On the waiting thread: wait until done, polling cancelled() at least every
  // few tens of milliseconds.
  virtual void Run() = 0;
  // Give back what Run() took, when the result will never be delivered.
  // Called from either thread, at most once, only after Run() returned, and
  // while this object (and so whatever it holds, e.g. the mapping) lives.
  virtual void Undo() {}
  // On the JS thread: call `callback` with the result.
  virtual void Deliver(Napi::Env env, Napi::Function callback) = 0;
  bool cancelled() const { return cancel_.load(std::memory_order_relaxed) != 0; }
  const std::atomic<int>* cancel_flag() const { return &cancel_; }

 private:
  enum State : int { kPending, kDone, kCancelled, kDelivered };
  static void ThreadMain(std::shared_ptr<AsyncWait> self);
  static void OnEnvCleanup(void* arg);
  void RemoveCleanupHook(napi_env env);

  // The thread-safe function is freed by Node at environment teardown even
  // while our thread still holds it; its finalizer marks it dead under this
  // mutex, which the waiting thread holds around every call it makes on it.
  struct TsfnGuard {
    std::mutex mu;
    bool dead = false;
  };

  std::shared_ptr<TsfnGuard> guard_ = std::make_shared<TsfnGuard>();
  std::atomic<int> state_{kPending};
  std::atomic<int> cancel_{0};
  Napi::ThreadSafeFunction tsfn_;
  // Holds this wait alive for the environment cleanup hook until removed.
  std::shared_ptr<AsyncWait>* hook_ = nullptr;
};

}  // namespace shmem
