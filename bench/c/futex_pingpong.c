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

// spin_us < 0 selects the event-loop design.
static void pong(int32_t* a, int32_t* b, int total, double spin_us) {
  struct async_waiter aw;
  if (spin_us < 0) async_start(&aw);
  for (int32_t i = 1; i <= total; i++) {
    while (__atomic_load_n(a, __ATOMIC_SEQ_CST) != i) {
      if (spin_us < 0) async_wait_word(&aw, a, i - 1);
      else wait_word(a, i - 1, spin_us);
    }
    __atomic_store_n(b, i, __ATOMIC_SEQ_CST);
    futex_wake(b);
  }
  if (spin_us < 0) async_stop(&aw);
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
  if (spin_us < 0) async_start(&aw);
  for (int32_t i = 1; i <= total; i++) {
    int64_t t0 = now_ns();
    __atomic_store_n(a, i, __ATOMIC_SEQ_CST);
    futex_wake(a);
    while (__atomic_load_n(b, __ATOMIC_SEQ_CST) != i) {
      if (spin_us < 0) async_wait_word(&aw, b, i - 1);
      else wait_word(b, i - 1, spin_us);
    }
    int64_t t1 = now_ns();
    if (i > warmup) samples[i - warmup - 1] = t1 - t0;
  }
  if (spin_us < 0) async_stop(&aw);
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
  double np50[reps], np90[reps], sp50[reps], sp90[reps], ep50[reps], ep90[reps];
  for (int r = 0; r < reps; r++) {  // interleaved
    run(base, n, warmup, 0, samples, &np50[r], &np90[r]);
    run(base, n, warmup, spin_us, samples, &sp50[r], &sp90[r]);
    run(base, n, warmup, -1, samples, &ep50[r], &ep90[r]);
  }
  printf("{\"n\":%d,\"warmup\":%d,\"reps\":%d,", n, warmup, reps);
  print_mode("nospin", 0, np50, np90, reps);
  printf(",");
  print_mode("spin", spin_us, sp50, sp90, reps);
  printf(",");
  print_mode("evloop", 0, ep50, ep90, reps);
  printf("}\n");
  return 0;
}
