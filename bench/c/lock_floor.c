// C floor for the mutex-uncontended row: what Mutex.lockSync() + unlock()
// do on their fast paths, with nothing around them: one 64-bit
// compare-exchange 0 -> ID (take) and one ID -> 0 (release) on a word in a
// MAP_SHARED mapping (shared memory, as a segment is), sequentially
// consistent as Atomics.compareExchange is, each result checked as the JS
// checks it.
//
//   lock_floor [--n 10000000] [--reps 5]  -> one JSON line on stdout
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

// Not inlined, as a JS call into lockSync()/unlock() is not free either; the
// floor is still only the two atomic instructions and a call each.
__attribute__((noinline)) static int lock_fast(int64_t* w, int64_t id) {
  int64_t expected = 0;
  return __atomic_compare_exchange_n(w, &expected, id, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

__attribute__((noinline)) static int unlock_fast(int64_t* w, int64_t id) {
  int64_t expected = id;
  return __atomic_compare_exchange_n(w, &expected, 0, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

static double loop(int64_t* w, int64_t id, long n) {
  double t0 = now_ns();
  for (long i = 0; i < n; i++) {
    if (!lock_fast(w, id)) abort();
    if (!unlock_fast(w, id)) abort();
  }
  return (now_ns() - t0) / n;
}

static int cmp_double(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char** argv) {
  long n = 10000000;
  int reps = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--n")) n = atol(argv[i + 1]);
    else if (!strcmp(argv[i], "--reps")) reps = atoi(argv[i + 1]);
  }
  if (n <= 0 || reps <= 0 || reps > 1000) {
    fprintf(stderr, "usage: lock_floor [--n 10000000] [--reps 5]\n");
    return 2;
  }
  int64_t* w = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (w == MAP_FAILED) {
    perror("mmap");
    return 1;
  }
  // The owner word's shape: (tag << 32) | tid.
  int64_t id = ((int64_t)12345 << 32) | (int64_t)syscall(SYS_gettid);
  loop(w, id, n / 10 + 1);  // warm-up, not timed
  double ns[reps], s[reps];
  for (int r = 0; r < reps; r++) ns[r] = loop(w, id, n);
  memcpy(s, ns, sizeof s);
  qsort(s, (size_t)reps, sizeof(double), cmp_double);
  double m = reps % 2 ? s[reps / 2] : (s[reps / 2 - 1] + s[reps / 2]) / 2;
  printf("{\"n\":%ld,\"reps\":%d,\"nsPerPair\":[", n, reps);
  for (int r = 0; r < reps; r++) printf("%s%.3f", r ? "," : "", ns[r]);
  printf("],\"nsPerPairMedian\":%.3f}\n", m);
  munmap(w, 4096);
  return 0;
}
