// OS layer (Linux 6.7+): waits on shared 32-bit words submitted to an
// io_uring (IORING_OP_FUTEX_WAIT), whose file descriptor an event loop can
// poll. The kernel completes a wait when the word is woken (FUTEX_WAKE from
// any process) — one wake-up of the event loop per wait, where a helper
// thread costs two (the thread, then the loop). No Node-API in here.
#pragma once
#include <cstdint>

namespace shmem {

class FutexRing {
 public:
  FutexRing() = default;
  ~FutexRing();
  FutexRing(const FutexRing&) = delete;
  FutexRing& operator=(const FutexRing&) = delete;

  // Sets up the ring; false if io_uring or its futex wait is unavailable
  // (older kernel, io_uring disabled by sysctl or seccomp).
  bool Open();
  int fd() const { return fd_; }

  // Queues a wait for *addr != value (0 = not equal at submission, as
  // FUTEX_WAIT), tagged `id` (> 0), ending after timeout_ms (< 0: never).
  // Returns 0 or a negative errno.
  int SubmitWait(uint64_t id, int32_t* addr, int32_t value, double timeout_ms);

  // Asks the kernel to cancel the wait tagged `id` (its completion then
  // reports -ECANCELED).
  int SubmitCancel(uint64_t id);

  // Calls fn(id, result) for each finished wait: 0 woken, -EAGAIN the word
  // differed at submission, -ECANCELED cancelled or timed out. Completions of
  // internal operations (timeouts, cancels) are skipped.
  template <typename Fn>
  void Drain(Fn fn) {
    for (;;) {
      uint64_t id;
      int32_t res;
      if (!Next(&id, &res)) return;
      if (id != 0) fn(id, res);
    }
  }

 private:
  bool Next(uint64_t* id, int32_t* res);
  struct Sqe* GetSqe();
  int Enter(unsigned to_submit);

  int fd_ = -1;
  void* sq_ring_ = nullptr;
  void* cq_ring_ = nullptr;
  void* sqes_ = nullptr;
  unsigned sq_ring_size_ = 0, cq_ring_size_ = 0, sqes_size_ = 0;
  unsigned *sq_head_ = nullptr, *sq_tail_ = nullptr, *sq_mask_ = nullptr, *sq_array_ = nullptr;
  unsigned *cq_head_ = nullptr, *cq_tail_ = nullptr, *cq_mask_ = nullptr;
  void* cqes_ = nullptr;
  unsigned pending_submit_ = 0;
};

}  // namespace shmem
