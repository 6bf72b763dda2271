#include "async_wait.h"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "addon_data.h"
#include "ring_waits.h"

#ifndef _WIN32
#include <pthread.h>
#include <signal.h>
#else
#include <windows.h>
#endif

namespace shmem {

namespace {

#ifndef _WIN32
// SIGURG, as Go's runtime uses it to preempt threads: ignored by default, so
// a process that receives one unexpectedly is unaffected; with this empty
// handler (installed without SA_RESTART) it interrupts the pool thread's
// sem_clockwait / futex wait with EINTR.
void OnInterrupt(int) {}

// False if the process already handles SIGURG itself: then no interrupts are
// sent, and a cancelled wait lets go at the end of its current slice instead.
std::atomic<bool> interrupt_installed{false};

void InstallInterruptHandler() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa;
    if (sigaction(SIGURG, nullptr, &sa) != 0) return;
    if (!(sa.sa_flags & SA_SIGINFO) && sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN) return;
    if (sa.sa_flags & SA_SIGINFO) return;
    sa = {};
    sa.sa_handler = OnInterrupt;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    if (sigaction(SIGURG, &sa, nullptr) == 0) interrupt_installed = true;
  });
}

void* CurrentThread() { return reinterpret_cast<void*>(pthread_self()); }
void Interrupt(void* thread) {
  if (interrupt_installed) pthread_kill(reinterpret_cast<pthread_t>(thread), SIGURG);
}
#else
// Windows: the waits are alertable (WaitForSingleObjectEx, SleepEx), and an
// empty APC queued to the thread ends them with WAIT_IO_COMPLETION.
void InstallInterruptHandler() {}
void CALLBACK OnInterrupt(ULONG_PTR) {}
void* CurrentThread() {
  // A real handle (GetCurrentThread() is a pseudo-handle), kept for the
  // thread's life: pool threads are few and long-lived.
  thread_local HANDLE self = OpenThread(THREAD_SET_CONTEXT, FALSE, GetCurrentThreadId());
  return self;
}
void Interrupt(void* thread) {
  if (thread != nullptr) QueueUserAPC(OnInterrupt, static_cast<HANDLE>(thread), 0);
}
#endif

// How long Cancel() waits for the pool thread to let go. It is interrupted at
// once, so this is only a bound for the unexpected (a process that handles
// SIGURG itself: then the thread lets go at the end of its current slice).
constexpr auto kStopTimeout = std::chrono::milliseconds(2000);

}  // namespace

// The per-environment pool. JS-thread-only members are marked; the rest are
// guarded by mu_.
class WaitService : public std::enable_shared_from_this<WaitService> {
 public:
  static std::shared_ptr<WaitService> For(Napi::Env env) {
    AddonData* data = GetAddonData(env);
    if (!data->waits) {
      InstallInterruptHandler();
      auto service = std::make_shared<WaitService>();
      service->Init(env);
      data->waits = service;
    }
    return data->waits;
  }

  // JS thread.
  void Submit(Napi::Env env, const std::shared_ptr<AsyncWait>& w) {
    if (pending_.empty()) tsfn_.Ref(env);
    pending_[w.get()] = w;
    bool spawn;
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push_back(w);
      spawn = static_cast<int>(queue_.size()) > idle_;
      if (spawn) threads_++;
    }
    if (spawn) {
      std::thread(&WaitService::ThreadMain, shared_from_this()).detach();
    } else {
      cv_.notify_one();
    }
  }

  // JS thread: the wait is settled (delivered or cancelled).
  void Forget(Napi::Env env, AsyncWait* w) {
    if (pending_.erase(w) != 0 && pending_.empty() && !dead_) tsfn_.Unref(env);
  }

  // Pool thread: hands a finished wait to the JS thread. False if the
  // environment is gone, in which case nobody will ever receive it.
  bool Post(const std::shared_ptr<AsyncWait>& w) {
    std::lock_guard<std::mutex> lock(mu_);
    if (dead_) return false;
    auto* data = new std::shared_ptr<AsyncWait>(w);
    if (tsfn_.BlockingCall(data, CallJs) != napi_ok) {
      delete data;
      return false;
    }
    return true;
  }

 private:
  void Init(Napi::Env env) {
    // A placeholder JS function: every call carries its own callback.
    Napi::Function noop = Napi::Function::New(env, [](const Napi::CallbackInfo&) {});
    auto* self = new std::weak_ptr<WaitService>(shared_from_this());
    tsfn_ = Napi::ThreadSafeFunction::New(env, noop, "shmem.wait", 0, 1, self,
                                          [](Napi::Env, std::weak_ptr<WaitService>* self) {
                                            // Node frees the function at teardown, even while
                                            // pool threads still hold it: from now on they must
                                            // not touch it.
                                            if (auto s = self->lock()) s->Shutdown();
                                            delete self;
                                          });
    tsfn_.Unref(env);
    napi_add_env_cleanup_hook(env, OnCleanup, new std::weak_ptr<WaitService>(shared_from_this()));
  }

  static void OnCleanup(void* arg) {
    auto* self = static_cast<std::weak_ptr<WaitService>*>(arg);
    if (auto s = self->lock()) s->Shutdown();
    delete self;
  }

  static void CallJs(Napi::Env env, Napi::Function, std::shared_ptr<AsyncWait>* data) {
    std::shared_ptr<AsyncWait> w = *data;
    delete data;
    w->OnResult(env);
  }

  // JS thread, at environment teardown: cancel everything, let threads go.
  void Shutdown() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (dead_) return;
      dead_ = true;
      queue_.clear();
    }
    cv_.notify_all();
    for (auto& [ptr, weak] : pending_) {
      if (auto w = weak.lock()) {
        w->Abandon();
        w->callback_.Reset();
      }
    }
    pending_.clear();
  }

  void ThreadMain() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      idle_++;
      bool timed_out = !cv_.wait_for(lock, std::chrono::seconds(5), [this] { return dead_ || !queue_.empty(); });
      idle_--;
      if (dead_ || (timed_out && queue_.empty())) break;
      std::shared_ptr<AsyncWait> w = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      w->Execute(*this);
      w.reset();  // before sleeping again: frees what the wait holds
      lock.lock();
    }
    threads_--;
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<AsyncWait>> queue_;
  int idle_ = 0;
  int threads_ = 0;
  bool dead_ = false;
  Napi::ThreadSafeFunction tsfn_;
  std::unordered_map<AsyncWait*, std::weak_ptr<AsyncWait>> pending_;  // JS thread only
};

Napi::Value AsyncWait::Start(Napi::Env env, std::shared_ptr<AsyncWait> wait, Napi::Function callback) {
  auto service = WaitService::For(env);
  wait->callback_ = Napi::Persistent(callback);
  wait->service_ = service;
  service->Submit(env, wait);
  // Weak: a settled wait is freed (with what it holds, such as the mapping)
  // without waiting for the GC to collect the request handle.
  auto* holder = new std::weak_ptr<AsyncWait>(wait);
  return Napi::External<std::weak_ptr<AsyncWait>>::New(env, holder,
                                                       [](Napi::Env, std::weak_ptr<AsyncWait>* p) { delete p; });
}

std::shared_ptr<AsyncWait> AsyncWait::FromRequest(Napi::Value request) {
  return request.As<Napi::External<std::weak_ptr<AsyncWait>>>().Data()->lock();
}

bool AsyncWait::Abandon() {
  cancel_.store(1);
  for (;;) {
    int s = state_.load();
    if (s == kCancelled || s == kDelivered) return false;
    if (state_.compare_exchange_weak(s, kCancelled)) {
      if (s == kDone) Undo();  // taken for nobody: give it back
      return true;
    }
  }
}

void AsyncWait::StopRunner() {
  std::unique_lock<std::mutex> lock(run_mu_);
  if (!running_) return;
  Interrupt(runner_);
  run_cv_.wait_for(lock, kStopTimeout, [this] { return !running_; });
}

bool AsyncWait::Cancel(Napi::Env env) {
  if (!Abandon()) return false;
  StopRunner();
  callback_.Reset();
  if (auto service = service_.lock()) service->Forget(env, this);
  return true;
}

void AsyncWait::Execute(WaitService& service) {
  {
    std::lock_guard<std::mutex> lock(run_mu_);
    running_ = true;
    runner_ = CurrentThread();
  }
  if (!cancelled()) Run();
  int expected = kPending;
  bool cancelled_meanwhile = !state_.compare_exchange_strong(expected, kDone);
  if (cancelled_meanwhile) Undo();  // cancelled while we were finishing
  {
    std::lock_guard<std::mutex> lock(run_mu_);
    running_ = false;
  }
  run_cv_.notify_all();
  if (cancelled_meanwhile) return;
  if (!service.Post(shared_from_this())) {
    int s = kDone;
    if (state_.compare_exchange_strong(s, kCancelled)) Undo();  // the environment is gone
  }
}

void AsyncWait::OnResult(Napi::Env env) {
  int s = kDone;
  if (!state_.compare_exchange_strong(s, kDelivered)) return;  // cancelled meanwhile: settled in JS
  if (env == nullptr) {
    Undo();  // torn down with the call still queued: nobody receives it
    return;
  }
  if (auto service = service_.lock()) service->Forget(env, this);
  bool received = CallCompletion(env, callback_, Result(), nullptr);
  callback_.Reset();
  if (!received) Undo();  // the environment is stopping: nobody receives it
}

// cancelWait(request): true if the wait (of any kind) had not been settled,
// and now never will be.
void InitAsyncWait(Napi::Env env, Napi::Object exports) {
  exports.Set("cancelWait", Napi::Function::New(
                                env,
                                [](const Napi::CallbackInfo& info) -> Napi::Value {
                                  if (info[0].IsNumber())  // a waitAsync() on the io_uring
                                    return Napi::Boolean::New(info.Env(), RingCancel(info.Env(), info[0]));
                                  auto wait = AsyncWait::FromRequest(info[0]);
                                  return Napi::Boolean::New(info.Env(), wait && wait->Cancel(info.Env()));
                                },
                                "cancelWait"));
}

}  // namespace shmem
