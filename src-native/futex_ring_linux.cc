#include "futex_ring_linux.h"

#include <errno.h>
#include <linux/futex.h>
#include <linux/io_uring.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace shmem {

namespace {
// Linux 6.7 UAPI, not in older headers.
constexpr uint8_t kOpFutexWait = 51;
constexpr uint32_t kFutex2SizeU32 = 0x02;  // FUTEX2_SIZE_U32, shared (no FUTEX2_PRIVATE)
constexpr unsigned kEntries = 256;

struct __kernel_timespec_compat {
  int64_t tv_sec;
  long long tv_nsec;
};
}  // namespace

struct Sqe : io_uring_sqe {};

FutexRing::~FutexRing() {
  if (sqes_ != nullptr) munmap(sqes_, sqes_size_);
  if (cq_ring_ != nullptr && cq_ring_ != sq_ring_) munmap(cq_ring_, cq_ring_size_);
  if (sq_ring_ != nullptr) munmap(sq_ring_, sq_ring_size_);
  if (fd_ >= 0) close(fd_);  // the kernel cancels whatever is still pending
}

bool FutexRing::Open() {
  io_uring_params p;
  memset(&p, 0, sizeof p);
  int fd = static_cast<int>(syscall(__NR_io_uring_setup, kEntries, &p));
  if (fd < 0) return false;
  fd_ = fd;
  sq_ring_size_ = p.sq_off.array + p.sq_entries * sizeof(unsigned);
  cq_ring_size_ = p.cq_off.cqes + p.cq_entries * sizeof(io_uring_cqe);
  bool single = (p.features & IORING_FEAT_SINGLE_MMAP) != 0;
  if (single) sq_ring_size_ = cq_ring_size_ = sq_ring_size_ > cq_ring_size_ ? sq_ring_size_ : cq_ring_size_;
  sq_ring_ = mmap(nullptr, sq_ring_size_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQ_RING);
  if (sq_ring_ == MAP_FAILED) {
    sq_ring_ = nullptr;
    return false;
  }
  cq_ring_ = single ? sq_ring_
                    : mmap(nullptr, cq_ring_size_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
                           IORING_OFF_CQ_RING);
  if (cq_ring_ == MAP_FAILED) {
    cq_ring_ = nullptr;
    return false;
  }
  sqes_size_ = p.sq_entries * sizeof(io_uring_sqe);
  sqes_ = mmap(nullptr, sqes_size_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQES);
  if (sqes_ == MAP_FAILED) {
    sqes_ = nullptr;
    return false;
  }
  char* sq = static_cast<char*>(sq_ring_);
  char* cq = static_cast<char*>(cq_ring_);
  sq_head_ = reinterpret_cast<unsigned*>(sq + p.sq_off.head);
  sq_tail_ = reinterpret_cast<unsigned*>(sq + p.sq_off.tail);
  sq_mask_ = reinterpret_cast<unsigned*>(sq + p.sq_off.ring_mask);
  sq_array_ = reinterpret_cast<unsigned*>(sq + p.sq_off.array);
  cq_head_ = reinterpret_cast<unsigned*>(cq + p.cq_off.head);
  cq_tail_ = reinterpret_cast<unsigned*>(cq + p.cq_off.tail);
  cq_mask_ = reinterpret_cast<unsigned*>(cq + p.cq_off.ring_mask);
  cqes_ = cq + p.cq_off.cqes;

  // Is the futex wait there (Linux 6.7+)? Ask the kernel's opcode probe.
  size_t probe_size = sizeof(io_uring_probe) + 256 * sizeof(io_uring_probe_op);
  auto* probe = static_cast<io_uring_probe*>(calloc(1, probe_size));
  if (probe == nullptr) return false;
  bool ok = syscall(__NR_io_uring_register, fd, IORING_REGISTER_PROBE, probe, 256) == 0 &&
            probe->last_op >= kOpFutexWait && (probe->ops[kOpFutexWait].flags & IO_URING_OP_SUPPORTED);
  free(probe);
  return ok;
}

Sqe* FutexRing::GetSqe() {
  unsigned head = __atomic_load_n(sq_head_, __ATOMIC_ACQUIRE);
  unsigned tail = *sq_tail_;
  if (tail - head >= kEntries) return nullptr;  // full (submission is immediate, so not expected)
  unsigned index = tail & *sq_mask_;
  auto* sqe = reinterpret_cast<Sqe*>(static_cast<io_uring_sqe*>(sqes_) + index);
  memset(sqe, 0, sizeof(io_uring_sqe));
  sq_array_[index] = index;
  __atomic_store_n(sq_tail_, tail + 1, __ATOMIC_RELEASE);
  pending_submit_++;
  return sqe;
}

int FutexRing::Enter(unsigned to_submit) {
  for (;;) {
    long n = syscall(__NR_io_uring_enter, fd_, to_submit, 0, 0, nullptr, 0);
    if (n >= 0) {
      pending_submit_ -= static_cast<unsigned>(n) < pending_submit_ ? static_cast<unsigned>(n) : pending_submit_;
      return 0;
    }
    if (errno != EINTR) return -errno;
  }
}

int FutexRing::SubmitWait(uint64_t id, int32_t* addr, int32_t value, double timeout_ms) {
  Sqe* sqe = GetSqe();
  if (sqe == nullptr) return -EBUSY;
  sqe->opcode = kOpFutexWait;
  sqe->fd = static_cast<int32_t>(kFutex2SizeU32);
  sqe->addr = reinterpret_cast<uint64_t>(addr);
  sqe->off = static_cast<uint32_t>(value);
  sqe->addr3 = FUTEX_BITSET_MATCH_ANY;
  sqe->user_data = id;
  unsigned count = 1;
  __kernel_timespec_compat ts;  // the kernel copies it while preparing the linked timeout
  if (timeout_ms >= 0) {
    sqe->flags |= IOSQE_IO_LINK;
    Sqe* t = GetSqe();
    if (t == nullptr) return -EBUSY;
    int64_t ns = static_cast<int64_t>(timeout_ms * 1e6);
    ts.tv_sec = ns / 1000000000;
    ts.tv_nsec = ns % 1000000000;
    t->opcode = IORING_OP_LINK_TIMEOUT;
    t->addr = reinterpret_cast<uint64_t>(&ts);
    t->len = 1;
    t->user_data = 0;
    count = 2;
  }
  return Enter(count);
}

int FutexRing::SubmitCancel(uint64_t id) {
  Sqe* sqe = GetSqe();
  if (sqe == nullptr) return -EBUSY;
  sqe->opcode = IORING_OP_ASYNC_CANCEL;
  sqe->addr = id;
  sqe->user_data = 0;
  return Enter(1);
}

bool FutexRing::Next(uint64_t* id, int32_t* res) {
  unsigned head = *cq_head_;
  if (head == __atomic_load_n(cq_tail_, __ATOMIC_ACQUIRE)) return false;
  const io_uring_cqe& cqe = static_cast<io_uring_cqe*>(cqes_)[head & *cq_mask_];
  *id = cqe.user_data;
  *res = cqe.res;
  __atomic_store_n(cq_head_, head + 1, __ATOMIC_RELEASE);
  return true;
}

}  // namespace shmem
