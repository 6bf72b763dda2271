// C floor for the lifecycle row: the system calls shmem makes per cycle
// (src-native/shm_posix.cc), with nothing else around them.
//
//   create+close+unlink: shm_open(O_CREAT|O_EXCL|O_RDWR, 0600) + posix_fallocate(4096)
//                        + mmap(MAP_SHARED) + close(fd) + munmap + shm_unlink
//   open+close:          shm_open(O_RDWR) + fstat + mmap(MAP_SHARED) + close(fd) + munmap
//                        (on a segment created once beforehand)
// Segments under 1 MiB get no madvise(MADV_POPULATE_WRITE) in shmem, so none here.
// Also, for reference, create+close+unlink with ftruncate in place of
// posix_fallocate, as Python's SharedMemory does (no reservation):
//   createCloseUnlinkFtruncatePerS
//
//   lifecycle_floor [--n 20000] [--reps 5] [--size 4096]  -> one JSON line on stdout
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static char live_name[64];  // the segment that exists right now, unlinked on every way out

static void unlink_live(void) {
  if (live_name[0]) shm_unlink(live_name);
  live_name[0] = 0;
}

static void on_signal(int sig) {
  if (live_name[0]) shm_unlink(live_name);
  signal(sig, SIG_DFL);
  raise(sig);
}

static void die(const char* what) {
  fprintf(stderr, "lifecycle_floor: %s: %s\n", what, strerror(errno));
  exit(1);  // atexit: unlink_live
}

static unsigned counter;

// shmem's ShmCreate: shm_open, posix_fallocate, mmap, close (the name stays in live_name).
// With `truncate_only`, ftruncate sets the size instead (Python's way: nothing reserved).
static void* create_as(size_t size, char* name, size_t cap, int truncate_only) {
  // A name of shmem's shape and length: prefix, pid, counter, 8 hex digits.
  unsigned k = ++counter;
  snprintf(name, cap, "/cfl_%x_%x_%08x", (unsigned)getpid(), k, k * 2654435761u);
  int fd;
  do fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) die("shm_open(O_CREAT|O_EXCL)");
  strcpy(live_name, name);
  if (truncate_only) {
    if (ftruncate(fd, (off_t)size) != 0) die("ftruncate");
  } else {
    int rc;
    do rc = posix_fallocate(fd, 0, (off_t)size);
    while (rc == EINTR);
    if (rc != 0) {
      errno = rc;
      die("posix_fallocate");
    }
  }
  void* addr = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (addr == MAP_FAILED) die("mmap");
  close(fd);
  return addr;
}

static void* create(size_t size, char* name, size_t cap) { return create_as(size, name, cap, 0); }

static double create_loop_as(int n, size_t size, int truncate_only) {
  char name[64];
  double t0 = now_s();
  for (int i = 0; i < n; i++) {
    void* addr = create_as(size, name, sizeof name, truncate_only);
    munmap(addr, size);  // close()
    if (shm_unlink(name) != 0) die("shm_unlink");  // unlink()
    live_name[0] = 0;
  }
  return n / (now_s() - t0);
}

static double create_loop(int n, size_t size) { return create_loop_as(n, size, 0); }

static double open_loop(int n, const char* name) {
  double t0 = now_s();
  for (int i = 0; i < n; i++) {
    int fd;
    do fd = shm_open(name, O_RDWR, 0);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) die("shm_open");
    struct stat st;
    if (fstat(fd, &st) != 0) die("fstat");
    void* addr = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (addr == MAP_FAILED) die("mmap");
    close(fd);
    munmap(addr, (size_t)st.st_size);  // close()
  }
  return n / (now_s() - t0);
}

static int cmp_double(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

static void print_list(const char* key, double* xs, int n) {
  double s[n];
  memcpy(s, xs, sizeof s);
  qsort(s, (size_t)n, sizeof(double), cmp_double);
  double m = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  printf("\"%s\":[", key);
  for (int i = 0; i < n; i++) printf("%s%.0f", i ? "," : "", xs[i]);
  printf("],\"%sMedian\":%.0f", key, m);
}

int main(int argc, char** argv) {
  int n = 20000, reps = 5;
  long size = 4096;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--n")) n = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--reps")) reps = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--size")) size = atol(argv[i + 1]);
  }
  if (n <= 0 || reps <= 0 || reps > 1000 || size <= 0 || size >= (1 << 20)) {
    fprintf(stderr, "usage: lifecycle_floor [--n 20000] [--reps 5] [--size 4096 (< 1 MiB)]\n");
    return 2;
  }
  atexit(unlink_live);
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  signal(SIGHUP, on_signal);

  create_loop(500, (size_t)size);  // warm-up, not timed

  double cr[reps], op[reps], ct[reps];
  for (int r = 0; r < reps; r++) {
    cr[r] = create_loop(n, (size_t)size);
    ct[r] = create_loop_as(n, (size_t)size, 1);
    char name[64];
    void* base = create((size_t)size, name, sizeof name);  // stays in live_name until unlinked
    if (r == 0) open_loop(500, name);  // warm-up, not timed
    op[r] = open_loop(n, name);
    munmap(base, (size_t)size);
    unlink_live();
  }
  printf("{\"n\":%d,\"reps\":%d,\"size\":%ld,", n, reps, size);
  print_list("createCloseUnlinkPerS", cr, reps);
  printf(",");
  print_list("openClosePerS", op, reps);
  printf(",");
  print_list("createCloseUnlinkFtruncatePerS", ct, reps);
  printf("}\n");
  return 0;
}
