// POSIX named semaphores: sem_open/sem_post/sem_trywait/sem_clockwait.
#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
#include <time.h>

#include <chrono>
#include <thread>

#include "sem.h"
#include "spin.h"

namespace shmem {

struct OsSem {
  sem_t* sem;
};

SysResult SemCreate(const char* name, unsigned value, int mode, OsSem** out) {
  sem_t* s = sem_open(name, O_CREAT | O_EXCL, static_cast<mode_t>(mode), value);
  if (s == SEM_FAILED) return SysResult::Fail(-errno, "sem_open");
  *out = new OsSem{s};
  return SysResult::Ok();
}

SysResult SemOpen(const char* name, OsSem** out) {
  sem_t* s = sem_open(name, 0);
  if (s == SEM_FAILED) return SysResult::Fail(-errno, "sem_open");
  *out = new OsSem{s};
  return SysResult::Ok();
}

SysResult SemUnlink(const char* name) {
  if (sem_unlink(name) != 0) return SysResult::Fail(-errno, "sem_unlink");
  return SysResult::Ok();
}

void SemClose(OsSem* s) {
  if (s == nullptr) return;
  sem_close(s->sem);
  delete s;
}

SysResult SemPost(OsSem* s) {
  if (sem_post(s->sem) != 0) return SysResult::Fail(-errno, "sem_post");
  return SysResult::Ok();
}

SysResult SemTryWait(OsSem* s, bool* acquired) {
  for (;;) {
    if (sem_trywait(s->sem) == 0) {
      *acquired = true;
      return SysResult::Ok();
    }
    if (errno == EINTR) continue;
    *acquired = false;
    if (errno == EAGAIN) return SysResult::Ok();
    return SysResult::Fail(-errno, "sem_trywait");
  }
}

namespace {

#if defined(__APPLE__)
// macOS has no sem_timedwait (and its sem_init is unsupported): poll
// sem_trywait with a backoff capped at 20 ms, as CPython's semaphore.c does.
// The cap bounds the extra latency; the backoff keeps an idle waiter cheap.
SysResult BlockingWait(OsSem* s, double timeout_ms, bool* acquired, const std::atomic<int>* cancel) {
  using Clock = std::chrono::steady_clock;
  const bool forever = timeout_ms < 0;
  const auto deadline = Clock::now() + std::chrono::microseconds(
                                           forever ? 0 : static_cast<int64_t>(timeout_ms * 1000.0));
  auto delay = std::chrono::microseconds(50);
  for (;;) {
    SysResult r = SemTryWait(s, acquired);
    if (!r.ok() || *acquired) return r;
    auto now = Clock::now();
    if (!forever && now >= deadline) return SysResult::Ok();
    auto sleep_for = delay;
    if (!forever && deadline - now < sleep_for)
      sleep_for = std::chrono::duration_cast<std::chrono::microseconds>(deadline - now);
    std::this_thread::sleep_for(sleep_for);
    if (cancel != nullptr && cancel->load() != 0) return SysResult::Ok();
    delay = std::min(delay * 2, std::chrono::microseconds(20000));
  }
}
#else
struct timespec AddMs(struct timespec t, double ms) {
  int64_t ns = t.tv_nsec + static_cast<int64_t>(ms * 1e6);
  t.tv_sec += ns / 1000000000;
  t.tv_nsec = ns % 1000000000;
  return t;
}

SysResult BlockingWait(OsSem* s, double timeout_ms, bool* acquired, const std::atomic<int>* cancel) {
  if (timeout_ms < 0) {
    while (sem_wait(s->sem) != 0) {
      if (errno != EINTR) return SysResult::Fail(-errno, "sem_wait");
      if (cancel != nullptr && cancel->load() != 0) {
        *acquired = false;
        return SysResult::Ok();
      }
    }
    *acquired = true;
    return SysResult::Ok();
  }
  // An absolute deadline on the monotonic clock: retries after EINTR keep the
  // original deadline and a wall-clock jump does not stretch the wait.
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  struct timespec deadline = AddMs(now, timeout_ms);
  for (;;) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 30))
    int rc = sem_clockwait(s->sem, CLOCK_MONOTONIC, &deadline);
#else
    // Older C libraries: sem_timedwait takes a CLOCK_REALTIME deadline.
    struct timespec rt, mono;
    clock_gettime(CLOCK_REALTIME, &rt);
    clock_gettime(CLOCK_MONOTONIC, &mono);
    double left_ms = (deadline.tv_sec - mono.tv_sec) * 1e3 + (deadline.tv_nsec - mono.tv_nsec) / 1e6;
    struct timespec rt_deadline = AddMs(rt, left_ms > 0 ? left_ms : 0);
    int rc = sem_timedwait(s->sem, &rt_deadline);
#endif
    if (rc == 0) {
      *acquired = true;
      return SysResult::Ok();
    }
    *acquired = false;
    if (errno == EINTR) {
      if (cancel != nullptr && cancel->load() != 0) return SysResult::Ok();
      continue;
    }
    if (errno == ETIMEDOUT) return SysResult::Ok();
    return SysResult::Fail(-errno, "sem_timedwait");
  }
}
#endif

}  // namespace

SysResult SemTimedWait(OsSem* s, double timeout_ms, bool* acquired, const std::atomic<int>* cancel) {
  // Spin briefly before sleeping: under contention the holder usually posts
  // within a microsecond or two, and a futex sleep + wake costs far more.
  for (int i = 0; i < kSpinTries; i++) {
    SysResult r = SemTryWait(s, acquired);
    if (!r.ok() || *acquired) return r;
    if (timeout_ms == 0) return r;
    CpuRelax();
  }
  return BlockingWait(s, timeout_ms, acquired, cancel);
}

}  // namespace shmem
