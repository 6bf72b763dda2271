// C floor for the pingpong row: two processes, two 32-bit words in a shared
// mapping (A at byte 0, B at byte 64: their own cache lines), the protocol
// the Node row runs, with the same system calls shmem makes (FUTEX_WAIT and
// FUTEX_WAKE without _PRIVATE, as src-native/futex_linux.cc does):
//
//   ping (this process), round i:  t0; A = i; FUTEX_WAKE(A, 1);
//                                   while (B != i) wait(B, i - 1); record now - t0
//   pong (a forked child):          while (A != i) wait(A, i - 1); B = i; FUTEX_WAKE(B, 1)
//
// wait(w, v) is FUTEX_WAIT(w, v) ("nospin", as wait() with no options), or
// first a spin of up to --spin microseconds watching the word (64 pause-
// separated loads between clock reads, as src-native SpinThenWait), then
// FUTEX_WAIT ("spin", as wait(..., { spin })). Every round notifies, as the
// Node protocol does.
//
// "evloop" is the floor for waitAsync: the design it has, in C. Each side's
// main thread sleeps in epoll_wait (an event loop) on an eventfd; a waiter
// thread that is already running gets each wait through a futex-guarded job
// word, sleeps in FUTEX_WAIT on the shared word, and writes the eventfd when
// it changes. A hop therefore costs two wake-ups (waiter thread, then event
// loop) where the blocking version costs one.
//
//   futex_pingpong [--n 20000] [--warmup 2000] [--reps 3] [--spin 20]
//   -> one JSON line on stdout: per mode, p50 and p90 (µs) of each repetition
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <linux/io_uring.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static inline int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static inline void relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

static void futex_wait(int32_t* w, int32_t v) {
  // EAGAIN (the value already changed) and EINTR: the caller looks again.
  syscall(SYS_futex, w, FUTEX_WAIT, v, NULL, NULL, 0);
}

static void futex_wake(int32_t* w) { syscall(SYS_futex, w, FUTEX_WAKE, 1, NULL, NULL, 0); }

// One wait(): returns when *w != v (or after a wake; the caller loops).
static void wait_word(int32_t* w, int32_t v, double spin_us) {
  if (__atomic_load_n(w, __ATOMIC_SEQ_CST) != v) return;
  if (spin_us > 0) {
    int64_t until = now_ns() + (int64_t)(spin_us * 1000);
    do {
      for (int i = 0; i < 64; i++) {
        if (__atomic_load_n(w, __ATOMIC_SEQ_CST) != v) return;
        relax();
      }
    } while (now_ns() < until);
  }
  futex_wait(w, v);
}

// ---- the event-loop design (waitAsync's) ----------------------------------
struct async_waiter {
  pthread_t thread;
  int efd, epfd;
  int32_t job;           // incremented by the main thread for each new wait
  int32_t* volatile w;   // the word to watch, and its old value
  volatile int32_t v;
};

static void* waiter_main(void* arg) {
  struct async_waiter* aw = arg;
  int32_t seen = 0;
  for (;;) {
    int32_t job;
    while ((job = __atomic_load_n(&aw->job, __ATOMIC_SEQ_CST)) == seen)
      syscall(SYS_futex, &aw->job, FUTEX_WAIT_PRIVATE, seen, NULL, NULL, 0);
    seen = job;
    if (job < 0) return NULL;
    int32_t* w = aw->w;
    int32_t v = aw->v;
    while (__atomic_load_n(w, __ATOMIC_SEQ_CST) == v) futex_wait(w, v);
    uint64_t one = 1;
    if (write(aw->efd, &one, sizeof one) != sizeof one) abort();
  }
}

static void async_start(struct async_waiter* aw) {
  aw->job = 0;
  aw->efd = eventfd(0, EFD_CLOEXEC);
  aw->epfd = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = {.events = EPOLLIN};
  if (aw->efd < 0 || aw->epfd < 0 || epoll_ctl(aw->epfd, EPOLL_CTL_ADD, aw->efd, &ev) != 0) abort();
  if (pthread_create(&aw->thread, NULL, waiter_main, aw) != 0) abort();
}

// One waitAsync(w, v) and the event loop's sleep until it settles.
static void async_wait_word(struct async_waiter* aw, int32_t* w, int32_t v) {
  aw->w = w;
  aw->v = v;
  __atomic_add_fetch(&aw->job, 1, __ATOMIC_SEQ_CST);
  syscall(SYS_futex, &aw->job, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
  struct epoll_event ev;
  while (epoll_wait(aw->epfd, &ev, 1, -1) != 1) {
  }
  uint64_t count;
  if (read(aw->efd, &count, sizeof count) != sizeof count) abort();
}

static void async_stop(struct async_waiter* aw) {
  __atomic_store_n(&aw->job, -1, __ATOMIC_SEQ_CST);
  syscall(SYS_futex, &aw->job, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
  pthread_join(aw->thread, NULL);
  close(aw->efd);
  close(aw->epfd);
}


// ---- the io_uring design (waitAsync's on Linux 6.7+) ------------------------
// Each wait is an IORING_OP_FUTEX_WAIT on a ring whose fd the main thread
// polls with epoll: one wake-up per hop, as a blocking wait.
#include <linux/io_uring.h>
#define OP_FUTEX_WAIT 51
#define FUTEX2_SIZE_U32 0x02
struct ring {
  int fd, ep;
  unsigned *sq_tail, *sq_mask, *sq_array, *cq_head, *cq_tail, *cq_mask;
  struct io_uring_sqe* sqes;
  struct io_uring_cqe* cqes;
};
static int ring_setup(struct ring* r) {
  struct io_uring_params p;
  memset(&p, 0, sizeof p);
  r->fd = (int)syscall(__NR_io_uring_setup, 8, &p);
  if (r->fd < 0) return -1;
  size_t sqsz = p.sq_off.array + p.sq_entries * sizeof(unsigned);
  size_t cqsz = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
  if (sqsz < cqsz) sqsz = cqsz;
  char* sq = mmap(0, sqsz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQ_RING);
  if (sq == MAP_FAILED || !(p.features & IORING_FEAT_SINGLE_MMAP)) return -1;
  r->sqes = mmap(0, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
                 r->fd, IORING_OFF_SQES);
  if (r->sqes == MAP_FAILED) return -1;
  r->sq_tail = (unsigned*)(sq + p.sq_off.tail);
  r->sq_mask = (unsigned*)(sq + p.sq_off.ring_mask);
  r->sq_array = (unsigned*)(sq + p.sq_off.array);
  r->cq_head = (unsigned*)(sq + p.cq_off.head);
  r->cq_tail = (unsigned*)(sq + p.cq_off.tail);
  r->cq_mask = (unsigned*)(sq + p.cq_off.ring_mask);
  r->cqes = (struct io_uring_cqe*)(sq + p.cq_off.cqes);
  r->ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = {.events = EPOLLIN};
  return epoll_ctl(r->ep, EPOLL_CTL_ADD, r->fd, &ev);
}
// One waitAsync(w, v): submit, then the event loop sleeps until the completion.
// Returns the completion's result (-EINVAL: no futex wait in this kernel).
static int ring_wait_word(struct ring* r, int32_t* w, int32_t v) {
  unsigned tail = *r->sq_tail, idx = tail & *r->sq_mask;
  struct io_uring_sqe* s = &r->sqes[idx];
  memset(s, 0, sizeof *s);
  s->opcode = OP_FUTEX_WAIT;
  s->fd = FUTEX2_SIZE_U32;
  s->addr = (uint64_t)(uintptr_t)w;
  s->off = (uint32_t)v;
  s->addr3 = FUTEX_BITSET_MATCH_ANY;
  s->user_data = 1;
  r->sq_array[idx] = idx;
  __atomic_store_n(r->sq_tail, tail + 1, __ATOMIC_RELEASE);
  if (syscall(__NR_io_uring_enter, r->fd, 1, 0, 0, NULL, 0) != 1) abort();
  for (;;) {
    unsigned head = *r->cq_head;
    if (head != __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE)) {
      int res = r->cqes[head & *r->cq_mask].res;
      __atomic_store_n(r->cq_head, head + 1, __ATOMIC_RELEASE);
      return res;
    }
    struct epoll_event ev;
    epoll_wait(r->ep, &ev, 1, -1);
  }
}
static int uring_ok = -1;  // probed once: 1 if this kernel has IORING_OP_FUTEX_WAIT
static int probe_uring(void) {
  struct ring r;
  if (ring_setup(&r) != 0) return 0;
  int32_t word = 1;  // not equal to 0: the wait completes at once with -EAGAIN if supported
  int res = ring_wait_word(&r, &word, 0);
  close(r.fd);
  close(r.ep);
  return res == -EAGAIN;
}

// spin_us == -1 selects the thread event-loop design, -2 the io_uring one.
static void pong(int32_t* a, int32_t* b, int total, double spin_us) {
  struct async_waiter aw;
  struct ring rg;
  if (spin_us == -1) async_start(&aw);
  if (spin_us == -2 && ring_setup(&rg) != 0) _exit(3);
  for (int32_t i = 1; i <= total; i++) {
    while (__atomic_load_n(a, __ATOMIC_SEQ_CST) != i) {
      if (spin_us == -1) async_wait_word(&aw, a, i - 1);
      else if (spin_us == -2) ring_wait_word(&rg, a, i - 1);
      else wait_word(a, i - 1, spin_us);
    }
    __atomic_store_n(b, i, __ATOMIC_SEQ_CST);
    futex_wake(b);
  }
  if (spin_us == -1) async_stop(&aw);
  _exit(0);
}

static int cmp_i64(const void* x, const void* y) {
  int64_t a = *(const int64_t*)x, b = *(const int64_t*)y;
  return a < b ? -1 : a > b;
}

static pid_t child_pid;
static void on_signal(int sig) {
  if (child_pid > 0) kill(child_pid, SIGKILL);
  signal(sig, SIG_DFL);
  raise(sig);
}

// One run: returns p50 and p90 of the timed round trips, in µs.
static void run(int32_t* base, int n, int warmup, double spin_us, int64_t* samples, double* p50, double* p90) {
  int32_t* a = base;
  int32_t* b = base + 16;  // byte 64
  __atomic_store_n(a, 0, __ATOMIC_SEQ_CST);
  __atomic_store_n(b, 0, __ATOMIC_SEQ_CST);
  int total = warmup + n;
  pid_t pid = fork();
  if (pid < 0) {
    perror("fork");
    exit(1);
  }
  if (pid == 0) pong(a, b, total, spin_us);
  child_pid = pid;
  struct async_waiter aw;
  struct ring rg;
  if (spin_us == -1) async_start(&aw);
  if (spin_us == -2 && ring_setup(&rg) != 0) exit(3);
  for (int32_t i = 1; i <= total; i++) {
    int64_t t0 = now_ns();
    __atomic_store_n(a, i, __ATOMIC_SEQ_CST);
    futex_wake(a);
    while (__atomic_load_n(b, __ATOMIC_SEQ_CST) != i) {
      if (spin_us == -1) async_wait_word(&aw, b, i - 1);
      else if (spin_us == -2) ring_wait_word(&rg, b, i - 1);
      else wait_word(b, i - 1, spin_us);
    }
    int64_t t1 = now_ns();
    if (i > warmup) samples[i - warmup - 1] = t1 - t0;
  }
  if (spin_us == -1) async_stop(&aw);
  if (spin_us == -2) {
    close(rg.fd);
    close(rg.ep);
  }
  int status;
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "futex_pingpong: pong child failed\n");
    exit(1);
  }
  child_pid = 0;
  if (__atomic_load_n(b, __ATOMIC_SEQ_CST) != total) {
    fprintf(stderr, "futex_pingpong: sequence ended at %d, expected %d\n", *b, total);
    exit(1);
  }
  qsort(samples, (size_t)n, sizeof(int64_t), cmp_i64);
  *p50 = samples[n / 2] / 1000.0;
  *p90 = samples[(int)(n * 0.9)] / 1000.0;
}

static void print_mode(const char* name, double spin_us, double* p50, double* p90, int reps) {
  printf("\"%s\":{\"spinUs\":%g,\"p50\":[", name, spin_us);
  for (int r = 0; r < reps; r++) printf("%s%.3f", r ? "," : "", p50[r]);
  printf("],\"p90\":[");
  for (int r = 0; r < reps; r++) printf("%s%.3f", r ? "," : "", p90[r]);
  printf("]}");
}

int main(int argc, char** argv) {
  int n = 20000, warmup = 2000, reps = 3;
  double spin_us = 20;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--n")) n = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--warmup")) warmup = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--reps")) reps = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--spin")) spin_us = atof(argv[i + 1]);
  }
  if (n <= 0 || warmup < 0 || reps <= 0 || reps > 1000 || !(spin_us > 0)) {
    fprintf(stderr, "usage: futex_pingpong [--n 20000] [--warmup 2000] [--reps 3] [--spin 20 (µs, > 0)]\n");
    return 2;
  }
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  signal(SIGHUP, on_signal);
  int32_t* base = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) {
    perror("mmap");
    return 1;
  }
  int64_t* samples = malloc(sizeof(int64_t) * (size_t)n);
  if (!samples) return 1;
  double np50[reps], np90[reps], sp50[reps], sp90[reps], ep50[reps], ep90[reps], up50[reps], up90[reps];
  uring_ok = probe_uring();
  for (int r = 0; r < reps; r++) {  // interleaved
    run(base, n, warmup, 0, samples, &np50[r], &np90[r]);
    run(base, n, warmup, spin_us, samples, &sp50[r], &sp90[r]);
    run(base, n, warmup, -1, samples, &ep50[r], &ep90[r]);
    if (uring_ok) run(base, n, warmup, -2, samples, &up50[r], &up90[r]);
  }
  printf("{\"n\":%d,\"warmup\":%d,\"reps\":%d,", n, warmup, reps);
  print_mode("nospin", 0, np50, np90, reps);
  printf(",");
  print_mode("spin", spin_us, sp50, sp90, reps);
  printf(",");
  print_mode("evloop", 0, ep50, ep90, reps);
  if (uring_ok) {
    printf(",");
    print_mode("uring", 0, up50, up90, reps);
  }
  printf("}\n");
  return 0;
}
