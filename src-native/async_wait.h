// Asynchronous waits (Semaphore.wait, Mutex.lock, waitAsync) without the
// event loop or the libuv threadpool.
//
// Each pending wait sleeps in the kernel on a thread of its own, taken from a
// small per-environment pool (threads are reused, and leave after idling a
// few seconds), and is settled on the JS thread through one thread-safe
// function per environment, which holds the event loop open only while waits
// are pending. Creating a thread and a thread-safe function per wait cost
// about 40 µs; a pooled thread and a shared function cost a few.
//
// A pending wait can be cancelled at any moment from the JS thread
// (AbortSignal, close(), environment teardown); if its thread took something
// that nobody will receive (a semaphore unit, a lock), Undo() gives it back,
// so a cancelled wait never takes anything. Cancel() also interrupts the
// thread's sleep (a signal makes the system call return EINTR) and waits
// until the thread has let go, so that right after an abort the semaphore or
// lock is as if the wait had never been made: a post() that follows cannot
// be taken by the cancelled wait.
#pragma once
#include <napi.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>

#include "completion.h"

namespace shmem {

class WaitService;

class AsyncWait : public std::enable_shared_from_this<AsyncWait> {
 public:
  virtual ~AsyncWait() = default;

  // Queues the wait for a pool thread; `callback` receives Result().
  // Returns the request handle that JS passes to Cancel().
  static Napi::Value Start(Napi::Env env, std::shared_ptr<AsyncWait> wait, Napi::Function callback);

  // From the JS thread: true if the result had not been delivered (and now
  // never will be).
  bool Cancel(Napi::Env env);

  // The wait behind a request handle, or null once it has been settled.
  static std::shared_ptr<AsyncWait> FromRequest(Napi::Value request);

 protected:
  // On a pool thread: wait until done, polling cancelled() at least every
  // few tens of milliseconds.
  virtual void Run() = 0;
  // Give back what Run() took, when the result will never be delivered.
  // Called from either thread, at most once, only after Run() returned, and
  // while this object (and so whatever it holds, e.g. the mapping) lives.
  virtual void Undo() {}
  // On the JS thread: what the callback receives. If it cannot be received
  // (the environment is stopping), Undo() follows.
  virtual Completion Result() const = 0;

  bool cancelled() const { return cancel_.load(std::memory_order_relaxed) != 0; }
  const std::atomic<int>* cancel_flag() const { return &cancel_; }

 private:
  friend class WaitService;
  enum State : int { kPending, kDone, kCancelled, kDelivered };

  // On a pool thread: Run(), then hand the result to the JS thread.
  void Execute(WaitService& service);
  // On the JS thread, when the result arrives.
  void OnResult(Napi::Env env);
  // From the JS thread or at teardown: no result will be delivered.
  bool Abandon();

  // Interrupts Run() and waits (briefly) until the pool thread is out of it.
  void StopRunner();

  std::atomic<int> state_{kPending};
  std::atomic<int> cancel_{0};
  std::mutex run_mu_;
  std::condition_variable run_cv_;
  bool running_ = false;  // a pool thread is inside Run() (or its Undo)
  void* runner_ = nullptr;  // that thread, for the interrupt
  Napi::FunctionReference callback_;  // JS thread only; reset when settled
  std::weak_ptr<WaitService> service_;
};

}  // namespace shmem
