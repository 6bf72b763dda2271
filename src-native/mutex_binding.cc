// Node-API glue for the in-segment Mutex and for wait/notify on shared words.
//
// The JS side takes and releases an uncontended Mutex with Atomics alone;
// these functions run only when a thread must wait, must wake a sleeper, or
// must prove a holder dead. They reach the memory through the SharedMemory's
// ArrayBuffer, its handle (mapping.h), which lib/ passes together with a byte offset
// it has already checked against the segment's size and alignment.
#include <napi.h>

#include <chrono>
#include <climits>
#include <memory>

#include "async_wait.h"
#include "errors.h"
#include "futex.h"
#include "mapping.h"
#include "mutex_core.h"
#include "owner.h"
#include "ring_waits.h"
#include "spin.h"

namespace shmem {

namespace {

// The segment's ArrayBuffer is the handle (mapping.h); detached once closed.
MappingState* Mapping(const Napi::CallbackInfo& info, const char* syscall) {
  auto ab = info[0].As<Napi::ArrayBuffer>();
  MappingState* st = ab.IsDetached() ? nullptr : MappingState::Find(ab.Data());
  if (st == nullptr || !st->mapped()) ThrowClosed(info.Env(), syscall);
  return st;
}

template <typename T>
T* At(MappingState* st, const Napi::Value& offset) {
  return reinterpret_cast<T*>(static_cast<char*>(st->addr()) +
                              static_cast<size_t>(offset.As<Napi::Number>().DoubleValue()));
}

int32_t Int(const Napi::CallbackInfo& info, size_t index) { return info[index].As<Napi::Number>().Int32Value(); }

// 0: acquired, 1: acquired from a dead holder, 2: timed out (or held, for tryLock).
Napi::Value LockResultValue(Napi::Env env, LockOutcome o, const char* syscall) {
  switch (o.result) {
    case LockResult::kAcquired:
      return Napi::Number::New(env, 0);
    case LockResult::kAcquiredOwnerDied:
      return Napi::Number::New(env, 1);
    case LockResult::kTimedOut:
    case LockResult::kCancelled:
      return Napi::Number::New(env, 2);
    case LockResult::kDeadlock:
      ThrowSystemError(env, SysResult::Fail(-EDEADLK, syscall), "");
    case LockResult::kError:
    default:
      ThrowSystemError(env, SysResult::Fail(o.error, syscall), "");
  }
}

// threadIdentity(): [tid, tag, domain] of the calling thread (owner.h).
Napi::Value ThreadIdentityValue(const Napi::CallbackInfo& info) {
  ThreadIdentity id = CurrentThreadIdentity();
  auto result = Napi::Array::New(info.Env(), 3);
  result.Set(0u, Napi::Number::New(info.Env(), id.tid));
  result.Set(1u, Napi::Number::New(info.Env(), id.tag));
  result.Set(2u, Napi::Number::New(info.Env(), IdentityDomain()));
  return result;
}

// mutexLock(shm, offset, tid, tag, timeoutMs)
Napi::Value Lock(const Napi::CallbackInfo& info) {
  MappingState* st = Mapping(info, "mutex_lock");
  double timeout = info[4].As<Napi::Number>().DoubleValue();
  return LockResultValue(info.Env(), MutexLock(At<int32_t>(st, info[1]), Int(info, 2), Int(info, 3), timeout, nullptr),
                         "mutex_lock");
}

// mutexTryLock(shm, offset, tid, tag): also takes over from a dead holder.
Napi::Value TryLock(const Napi::CallbackInfo& info) {
  MappingState* st = Mapping(info, "mutex_trylock");
  return LockResultValue(info.Env(), MutexTryLock(At<int32_t>(st, info[1]), Int(info, 2), Int(info, 3)),
                         "mutex_trylock");
}

// mutexWake(shm, offset): after a JS unlock that found waiters flagged.
Napi::Value Wake(const Napi::CallbackInfo& info) {
  MappingState* st = Mapping(info, "mutex_unlock");
  MutexWakeOne(At<int32_t>(st, info[1]));
  return info.Env().Undefined();
}

// A pending Mutex.lock(): the waiting thread takes the lock on behalf of the
// JS thread (its identity, not the waiting thread's), so that the JS thread
// unlocks it and its death releases it.
class LockWait : public AsyncWait {
 public:
  LockWait(MappingState* st, int32_t* words, int32_t tid, int32_t tag, double timeout_ms)
      : st_(st), words_(words), tid_(tid), tag_(tag), timeout_ms_(timeout_ms) {}
  ~LockWait() override { st_->DropUser(); }

 protected:
  void Run() override { outcome_ = MutexLock(words_, tid_, tag_, timeout_ms_, cancel_flag(), true); }
  void Undo() override {
    if (outcome_.result == LockResult::kAcquired || outcome_.result == LockResult::kAcquiredOwnerDied)
      MutexUnlock(words_, tid_);  // taken for nobody: release it
    outcome_.result = LockResult::kCancelled;
  }
  Completion Result() const override {
    switch (outcome_.result) {
      case LockResult::kAcquired:
        return Completion::Number(0);
      case LockResult::kAcquiredOwnerDied:
        return Completion::Number(1);
      case LockResult::kTimedOut:
      case LockResult::kCancelled:
        return Completion::Number(2);
      case LockResult::kDeadlock:
        return Completion::Error(SysResult::Fail(-EDEADLK, "mutex_lock"));
      case LockResult::kError:
      default:
        return Completion::Error(SysResult::Fail(outcome_.error, "mutex_lock"));
    }
  }

 private:
  MappingState* st_;
  int32_t* words_;
  int32_t tid_;
  int32_t tag_;
  double timeout_ms_;
  LockOutcome outcome_{LockResult::kCancelled};
};

// mutexLockAsync(shm, offset, tid, tag, timeoutMs, callback(err, result)): request
Napi::Value LockAsync(const Napi::CallbackInfo& info) {
  MappingState* st = Mapping(info, "mutex_lock");
  if (!st->AddUser()) ThrowClosed(info.Env(), "mutex_lock");
  auto wait = std::make_shared<LockWait>(st, At<int32_t>(st, info[1]), Int(info, 2), Int(info, 3),
                                         info[4].As<Napi::Number>().DoubleValue());
  return AsyncWait::Start(info.Env(), wait, info[5].As<Napi::Function>());
}

// ---- wait / notify on Int32 words -------------------------------------------------

// The twin of Atomics.wait's results.
enum WaitCode { kOk = 0, kNotEqual = 1, kTimedOutCode = 2 };

// A short spin before sleeping: a notifier that follows within microseconds
// (a ping-pong between two processes on two cores) is seen without the
// kernel's sleep and wake, which cost tens of microseconds.
WaitCode SpinThenWait(int32_t* addr, int32_t value, double timeout_ms, double spin_us, int* error) {
  if (__atomic_load_n(addr, __ATOMIC_SEQ_CST) != value) return kNotEqual;
  if (spin_us > 0) {
    using Clock = std::chrono::steady_clock;
    auto until = Clock::now() + std::chrono::nanoseconds(static_cast<int64_t>(spin_us * 1000));
    do {
      for (int i = 0; i < 64; i++) {
        if (__atomic_load_n(addr, __ATOMIC_SEQ_CST) != value) return kOk;
        CpuRelax();
      }
    } while (Clock::now() < until);
  }
  int rc = WaitOnAddress32(addr, value, timeout_ms);
  if (rc == 0) return kOk;
  // The value changed after the first check: that is a wake, as with Atomics.wait.
  if (rc == kErrAgain) return kOk;
  if (rc == kErrTimedOut) return kTimedOutCode;
  *error = rc;
  return kOk;
}

// wait(shm, byteOffset, value, timeoutMs, spinUs): 0 ok, 1 not-equal, 2 timed-out
Napi::Value Wait(const Napi::CallbackInfo& info) {
  MappingState* st = Mapping(info, "futex_wait");
  int error = 0;
  WaitCode code = SpinThenWait(At<int32_t>(st, info[1]), info[2].As<Napi::Number>().Int32Value(),
                               info[3].As<Napi::Number>().DoubleValue(), info[4].As<Napi::Number>().DoubleValue(),
                               &error);
  if (error != 0) ThrowSystemError(info.Env(), SysResult::Fail(error, "futex_wait"), "");
  return Napi::Number::New(info.Env(), code);
}

// A pending waitAsync(): sleeps in slices so that a cancel is noticed.
class WordWait : public AsyncWait {
 public:
  WordWait(MappingState* st, int32_t* addr, int32_t value, double timeout_ms)
      : st_(st), addr_(addr), value_(value), timeout_ms_(timeout_ms) {}
  ~WordWait() override { st_->DropUser(); }

 protected:
  void Run() override {
    using Clock = std::chrono::steady_clock;
    const bool forever = timeout_ms_ < 0;
    const auto deadline =
        Clock::now() + std::chrono::microseconds(forever ? 0 : static_cast<int64_t>(timeout_ms_ * 1000.0));
    while (!cancelled()) {
      double slice = 50;
      if (!forever) {
        double left = std::chrono::duration<double, std::milli>(deadline - Clock::now()).count();
        if (left <= 0) {
          code_ = kTimedOutCode;
          return;
        }
        if (left < slice) slice = left;
      }
      int rc = WaitOnAddress32(addr_, value_, slice, cancel_flag());
      // Woken, or the value changed since JS checked it (it was equal then).
      if (rc == 0 || rc == kErrAgain) {
        code_ = kOk;
        return;
      }
      if (rc != kErrTimedOut) {
        error_ = rc;
        return;
      }
    }
  }
  Completion Result() const override {
    return error_ != 0 ? Completion::Error(SysResult::Fail(error_, "futex_wait")) : Completion::Number(code_);
  }

 private:
  MappingState* st_;
  int32_t* addr_;
  int32_t value_;
  double timeout_ms_;
  WaitCode code_ = kOk;
  int error_ = 0;
};

// waitAsync(shm, byteOffset, value, timeoutMs, callback(err, code)): request
Napi::Value WaitAsync(const Napi::CallbackInfo& info) {
  MappingState* st = Mapping(info, "futex_wait");
  int32_t* addr = At<int32_t>(st, info[1]);
  int32_t value = info[2].As<Napi::Number>().Int32Value();
  double timeout = info[3].As<Napi::Number>().DoubleValue();
  // The kernel's futex wait keys on the segment's inode and offset, not on the
  // mapping: the segment may be closed while it is pending.
  Napi::Value request;
  if (RingWaitAsync(info.Env(), addr, value, timeout, info[4].As<Napi::Function>(), &request)) return request;
  if (!st->AddUser()) ThrowClosed(info.Env(), "futex_wait");
  auto wait = std::make_shared<WordWait>(st, addr, value, timeout);
  return AsyncWait::Start(info.Env(), wait, info[4].As<Napi::Function>());
}

// notify(shm, byteOffset, count): number of waiters woken, in every process
Napi::Value Notify(const Napi::CallbackInfo& info) {
  MappingState* st = Mapping(info, "futex_wake");
  double count = info[2].As<Napi::Number>().DoubleValue();
  int32_t n = count >= INT32_MAX ? INT32_MAX : static_cast<int32_t>(count);
  int rc = WakeAddress32(At<int32_t>(st, info[1]), n);
  if (rc < 0) ThrowSystemError(info.Env(), SysResult::Fail(rc, "futex_wake"), "");
  return Napi::Number::New(info.Env(), rc);
}

}  // namespace

void InitMutex(Napi::Env env, Napi::Object exports) {
  exports.Set("threadIdentity", Napi::Function::New(env, ThreadIdentityValue, "threadIdentity"));
  exports.Set("mutexLock", Napi::Function::New(env, Lock, "mutexLock"));
  exports.Set("mutexTryLock", Napi::Function::New(env, TryLock, "mutexTryLock"));
  exports.Set("mutexWake", Napi::Function::New(env, Wake, "mutexWake"));
  exports.Set("mutexLockAsync", Napi::Function::New(env, LockAsync, "mutexLockAsync"));
  exports.Set("futexWait", Napi::Function::New(env, Wait, "futexWait"));
  exports.Set("futexWaitAsync", Napi::Function::New(env, WaitAsync, "futexWaitAsync"));
  exports.Set("futexWake", Napi::Function::New(env, Notify, "futexWake"));
}

}  // namespace shmem
