// C floor for the bulk-64mib row: the same job as bench/bulk.js, in plain C,
// once with two threads and once with two processes, and the ratio between
// them. Whatever the processes variant costs more than the threads variant
// here is the kernel's (tmpfs pages, a second page table, page faults), not
// Node's or shmem's.
//
//   threads:   a pthread that is already running waits on a pipe; the parent
//              mmaps SIZE bytes of anonymous private memory (what Node's
//              array-buffer allocator gets for a SharedArrayBuffer this large:
//              calloc, served by glibc with a fresh zero-filled anonymous
//              private mapping; the pages fault in on first write), memcpy's the
//              prebuilt pattern into it, writes the pointer to the pipe; the
//              thread computes crc32 and writes the result back.
//   processes: a child forked before timing waits on a pipe; the parent does
//              what shmem's SharedMemory.create does (src-native/shm_posix.cc:
//              shm_open O_CREAT|O_EXCL, posix_fallocate, mmap MAP_SHARED, close
//              the fd, madvise(MADV_POPULATE_WRITE) from 1 MiB on), memcpy's
//              the pattern, writes the name to the pipe; the child does what
//              SharedMemory.open does (shm_open, fstat, mmap, close the fd),
//              computes crc32 and writes the result back (munmap after that).
//   processes+populate-read (extra, not shmem's behaviour): the same, with the
//              child asking madvise(MADV_POPULATE_READ) before the crc32: does
//              filling the child's page table in one call beat fault-around?
//
// Round trip = start of allocation/create -> result read by the parent.
// The variants are interleaved, a fresh thread/child per repetition.
// The checksum is zlib's crc32 when built with -DHAVE_ZLIB -lz, otherwise a
// slicing-by-8 CRC-32 giving the same value; the same code in every variant.
//
//   bulk_floor [--mib 64] [--reps 7]  -> one JSON line on stdout
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22  // Linux 5.14
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23  // Linux 5.14
#endif
#define POPULATE_FROM (1u << 20)  // kPopulateFrom in shm_posix.cc

// ------------------------------------------------------------------ checksum

#ifdef HAVE_ZLIB
#include <zlib.h>
static const char* checksum_name(void) {
  static char buf[64];
  snprintf(buf, sizeof buf, "zlib crc32 (libz %s)", zlibVersion());
  return buf;
}
static uint32_t checksum(const unsigned char* p, size_t n) {
  uLong c = crc32(0L, Z_NULL, 0);
  // zlib's length argument is a uInt: feed it in chunks.
  while (n > 0) {
    uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;
    c = crc32(c, p, k);
    p += k;
    n -= k;
  }
  return (uint32_t)c;
}
#else
static uint32_t crc_table[8][256];
static void crc_init(void) {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    crc_table[0][i] = c;
  }
  for (uint32_t i = 0; i < 256; i++)
    for (int t = 1; t < 8; t++) crc_table[t][i] = (crc_table[t - 1][i] >> 8) ^ crc_table[0][crc_table[t - 1][i] & 0xff];
}
static const char* checksum_name(void) { return "slicing-by-8 crc32 (no zlib.h)"; }
static uint32_t checksum(const unsigned char* p, size_t n) {
  if (crc_table[0][1] == 0) crc_init();
  uint32_t c = 0xFFFFFFFFu;
  while (n >= 8) {
    uint64_t v;
    memcpy(&v, p, 8);  // little-endian machine assumed (x64, arm64)
    uint32_t lo = (uint32_t)v ^ c, hi = (uint32_t)(v >> 32);
    c = crc_table[7][lo & 0xff] ^ crc_table[6][(lo >> 8) & 0xff] ^ crc_table[5][(lo >> 16) & 0xff] ^ crc_table[4][lo >> 24] ^
        crc_table[3][hi & 0xff] ^ crc_table[2][(hi >> 8) & 0xff] ^ crc_table[1][(hi >> 16) & 0xff] ^ crc_table[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n--) c = crc_table[0][(c ^ *p++) & 0xff] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}
#endif

// ------------------------------------------------------------------- helpers

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);  // one clock for every process on the machine
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static long minor_faults(int who) {
  struct rusage ru;
  getrusage(who, &ru);
  return ru.ru_minflt;
}

static void die(const char* what) {
  fprintf(stderr, "bulk_floor: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void write_all(int fd, const void* buf, size_t n) {
  const char* p = buf;
  while (n > 0) {
    ssize_t k = write(fd, p, n);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) die("write");
    p += k;
    n -= (size_t)k;
  }
}

static void read_all(int fd, void* buf, size_t n) {
  char* p = buf;
  while (n > 0) {
    ssize_t k = read(fd, p, n);
    if (k < 0 && errno == EINTR) continue;
    if (k < 0) die("read");
    if (k == 0) {
      fprintf(stderr, "bulk_floor: peer closed the pipe\n");
      exit(1);
    }
    p += k;
    n -= (size_t)k;
  }
}

// The name of the segment that exists right now, unlinked on every way out.
static char live_name[64];

static void unlink_live(void) {
  if (live_name[0]) shm_unlink(live_name);
  live_name[0] = 0;
}

static void on_signal(int sig) {
  if (live_name[0]) shm_unlink(live_name);
  signal(sig, SIG_DFL);
  raise(sig);
}

// What the reader reports back (thread or child).
struct result {
  uint32_t crc;
  uint64_t size;
  double attach_ms;  // shm_open+fstat+mmap (processes), 0 (threads)
  double crc_ms;
  long crc_faults;   // minor faults during the checksum, of the reader alone
};

struct sample {
  double round_trip, create, fill, handoff, attach, crc;
  long fill_faults, crc_faults;
};

// ------------------------------------------------------------------- threads

struct thread_arg {
  int in, out;  // pipe ends: pointer in, result out
  size_t size;
};

static void* reader_thread(void* p) {
  struct thread_arg* a = p;
  unsigned char* buf;
  read_all(a->in, &buf, sizeof buf);
  struct result r = {0};
  double t1 = now_ms();
  long f0 = minor_faults(RUSAGE_THREAD);
  r.crc = checksum(buf, a->size);
  r.crc_faults = minor_faults(RUSAGE_THREAD) - f0;
  r.crc_ms = now_ms() - t1;
  r.size = a->size;
  write_all(a->out, &r, sizeof r);
  return NULL;
}

static struct sample threads_once(const unsigned char* pattern, size_t size, uint32_t want) {
  int to[2], from[2];
  if (pipe(to) || pipe(from)) die("pipe");
  struct thread_arg a = {to[0], from[1], size};
  pthread_t th;
  if (pthread_create(&th, NULL, reader_thread, &a)) die("pthread_create");
  usleep(20000);  // the thread is running and blocked in read() before timing starts

  struct sample s = {0};
  double t0 = now_ms();
  // What a SharedArrayBuffer this large gets in Node: calloc, which glibc
  // serves with a fresh anonymous private mapping (zero pages on first touch).
  // mmap directly, so that glibc's sliding mmap threshold cannot turn it into
  // a memset of recycled heap at smaller --mib.
  unsigned char* buf = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (buf == MAP_FAILED) die("mmap anonymous");
  double t1 = now_ms();
  long f0 = minor_faults(RUSAGE_SELF);
  memcpy(buf, pattern, size);
  s.fill_faults = minor_faults(RUSAGE_SELF) - f0;
  double t2 = now_ms();
  write_all(to[1], &buf, sizeof buf);
  struct result r;
  read_all(from[0], &r, sizeof r);
  double t3 = now_ms();

  if (r.crc != want) {
    fprintf(stderr, "bulk_floor: threads: bad checksum %08x (want %08x)\n", r.crc, want);
    exit(1);
  }
  pthread_join(th, NULL);
  munmap(buf, size);
  close(to[0]), close(to[1]), close(from[0]), close(from[1]);
  s.round_trip = t3 - t0;
  s.create = t1 - t0;
  s.fill = t2 - t1;
  s.handoff = t3 - t2;
  s.attach = 0;
  s.crc = r.crc_ms;
  s.crc_faults = r.crc_faults;
  return s;
}

// ----------------------------------------------------------------- processes

static void child_main(int in, int out, int populate_read) {
  char name[64];
  uint8_t len;
  read_all(in, &len, 1);
  read_all(in, name, len);
  name[len] = 0;

  struct result r = {0};
  double t0 = now_ms();
  int fd;
  do fd = shm_open(name, O_RDWR, 0);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) die("child shm_open");
  struct stat st;
  if (fstat(fd, &st)) die("child fstat");
  size_t size = (size_t)st.st_size;
  unsigned char* buf = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (buf == MAP_FAILED) die("child mmap");
  close(fd);
  if (populate_read) madvise(buf, size, MADV_POPULATE_READ);  // best effort, as shmem's populate
  double t1 = now_ms();
  long f0 = minor_faults(RUSAGE_SELF);
  r.crc = checksum(buf, size);
  r.crc_faults = minor_faults(RUSAGE_SELF) - f0;
  double t2 = now_ms();
  r.size = size;
  r.attach_ms = t1 - t0;
  r.crc_ms = t2 - t1;
  write_all(out, &r, sizeof r);
  munmap(buf, size);  // clean-up after the result, as bench/children/bulk.js
  _exit(0);
}

static struct sample processes_once(const unsigned char* pattern, size_t size, uint32_t want, int rep, int populate_read) {
  int to[2], from[2], ready[2];
  if (pipe(to) || pipe(from) || pipe(ready)) die("pipe");
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    close(to[1]), close(from[0]), close(ready[0]);
    live_name[0] = 0;  // the parent owns the segment
    unsigned char warm[4096] = {0};
    volatile uint32_t sink = checksum(warm, sizeof warm);  // load and warm the code before 'ready'
    (void)sink;
    write_all(ready[1], "r", 1);
    child_main(to[0], from[1], populate_read);
  }
  close(to[0]), close(from[1]), close(ready[1]);
  char c;
  read_all(ready[0], &c, 1);  // the child is running and about to block in read()
  usleep(20000);

  char name[64];
  snprintf(name, sizeof name, "/shmem_cfloor_%d_%d_%d", (int)getpid(), rep, populate_read);
  struct sample s = {0};

  double t0 = now_ms();
  int fd;
  do fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) die("shm_open");
  strcpy(live_name, name);
  int rc;
  do rc = posix_fallocate(fd, 0, (off_t)size);
  while (rc == EINTR);
  if (rc != 0) {
    errno = rc;
    die("posix_fallocate");
  }
  unsigned char* buf = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (buf == MAP_FAILED) die("mmap");
  close(fd);
  if (size >= POPULATE_FROM) madvise(buf, size, MADV_POPULATE_WRITE);  // best effort, as shmem
  double t1 = now_ms();
  long f0 = minor_faults(RUSAGE_SELF);
  memcpy(buf, pattern, size);
  s.fill_faults = minor_faults(RUSAGE_SELF) - f0;
  double t2 = now_ms();
  uint8_t len = (uint8_t)strlen(name);
  char msg[65];
  msg[0] = (char)len;
  memcpy(msg + 1, name, len);
  write_all(to[1], msg, 1 + (size_t)len);
  struct result r;
  read_all(from[0], &r, sizeof r);
  double t3 = now_ms();

  munmap(buf, size);
  unlink_live();
  if (r.crc != want || r.size != size) {
    fprintf(stderr, "bulk_floor: processes: bad checksum %08x (want %08x)\n", r.crc, want);
    exit(1);
  }
  int status;
  waitpid(pid, &status, 0);
  close(to[1]), close(from[0]), close(ready[0]);
  s.round_trip = t3 - t0;
  s.create = t1 - t0;
  s.fill = t2 - t1;
  s.handoff = t3 - t2;
  s.attach = r.attach_ms;
  s.crc = r.crc_ms;
  s.crc_faults = r.crc_faults;
  return s;
}

// -------------------------------------------------------------------- output

static int cmp_double(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

static double median(double* xs, int n) {
  double* s = malloc(sizeof(double) * (size_t)n);
  memcpy(s, xs, sizeof(double) * (size_t)n);
  qsort(s, (size_t)n, sizeof(double), cmp_double);
  double m = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  free(s);
  return m;
}

#define FIELD_MEDIAN(samples, n, field)                                   \
  ({                                                                      \
    double _xs[n];                                                        \
    for (int _i = 0; _i < (n); _i++) _xs[_i] = (double)(samples)[_i].field; \
    median(_xs, (n));                                                     \
  })

static double print_variant(const char* key, struct sample* s, int n) {
  double rt[n];
  for (int i = 0; i < n; i++) rt[i] = s[i].round_trip;
  double m = median(rt, n);
  printf("\"%s\":{\"roundTripMs\":[", key);
  for (int i = 0; i < n; i++) printf("%s%.3f", i ? "," : "", rt[i]);
  printf("],\"median\":%.3f,\"breakdown\":{\"roundTripMs\":%.2f,\"createMs\":%.2f,\"fillMs\":%.2f,\"handoffMs\":%.2f,"
         "\"attachMs\":%.2f,\"crcMs\":%.2f,\"fillFaults\":%.0f,\"crcFaults\":%.0f}}",
         m, m, FIELD_MEDIAN(s, n, create), FIELD_MEDIAN(s, n, fill), FIELD_MEDIAN(s, n, handoff), FIELD_MEDIAN(s, n, attach),
         FIELD_MEDIAN(s, n, crc), FIELD_MEDIAN(s, n, fill_faults), FIELD_MEDIAN(s, n, crc_faults));
  return m;
}

int main(int argc, char** argv) {
  int mib = 64, reps = 7;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--mib")) mib = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--reps")) reps = atoi(argv[i + 1]);
  }
  if (mib <= 0 || reps <= 0 || reps > 1000) {
    fprintf(stderr, "usage: bulk_floor [--mib 64] [--reps 7]\n");
    return 2;
  }
  atexit(unlink_live);
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  signal(SIGHUP, on_signal);
  signal(SIGPIPE, on_signal);

  size_t size = (size_t)mib << 20;
  // The pattern of bench/bulk.js (xorshift32 words, little-endian), built
  // before timing and touched, so the crc32 matches zlib.crc32 there.
  uint32_t* pattern = malloc(size);
  if (!pattern) die("malloc");
  uint32_t x = 2463534242u;
  for (size_t i = 0; i < size / 4; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    pattern[i] = x;
  }
  uint32_t want = checksum((unsigned char*)pattern, size);

  // One untimed round of each, to warm code and allocator paths.
  threads_once((unsigned char*)pattern, size, want);
  processes_once((unsigned char*)pattern, size, want, -1, 0);

  struct sample* th = calloc((size_t)reps, sizeof *th);
  struct sample* pr = calloc((size_t)reps, sizeof *pr);
  struct sample* pp = calloc((size_t)reps, sizeof *pp);
  for (int i = 0; i < reps; i++) {
    // Alternate the order so that neither variant always runs right after the other.
    if (i % 2 == 0) {
      th[i] = threads_once((unsigned char*)pattern, size, want);
      pr[i] = processes_once((unsigned char*)pattern, size, want, i, 0);
    } else {
      pr[i] = processes_once((unsigned char*)pattern, size, want, i, 0);
      th[i] = threads_once((unsigned char*)pattern, size, want);
    }
    pp[i] = processes_once((unsigned char*)pattern, size, want, i, 1);
  }

  printf("{\"mib\":%d,\"reps\":%d,\"checksum\":\"%s\",\"crc\":%u,", mib, reps, checksum_name(), want);
  double mt = print_variant("threads", th, reps);
  printf(",");
  double mp = print_variant("processes", pr, reps);
  printf(",");
  double mpp = print_variant("processesPopulateRead", pp, reps);
  printf(",\"ratio\":%.4f,\"ratioPopulateRead\":%.4f}\n", mp / mt, mpp / mt);
  return 0;
}
