// LD_PRELOAD library for the lifecycle row's "without the kernel" reference:
// answers the system calls that shmem makes for a segment (shm_open,
// posix_fallocate, fstat, mmap, close, munmap, shm_unlink) in user space, so
// that a Node process running shmem's create/open loops measures only what
// Node, Node-API and shmem's own code cost per cycle. Nothing is created: the
// "descriptor" is a number the kernel never hands out, and the "mappings" are
// 4 KiB slots of a static array (distinct while live, as real mappings are).
// Every other call goes to libc.
//
//   cc -O2 -shared -fPIC -o no_kernel_shm.so no_kernel_shm.c -ldl
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>

#define FAKE_FD 0x7ffffff0  // above any RLIMIT_NOFILE: never a real descriptor
#define SLOT 4096
#define SLOTS 1024

static char slots[SLOTS][SLOT] __attribute__((aligned(SLOT)));
static int free_list[SLOTS];
static int free_count = -1;

static void* take_slot(void) {
  if (free_count < 0) {
    for (int i = 0; i < SLOTS; i++) free_list[i] = SLOTS - 1 - i;
    free_count = SLOTS;
  }
  if (free_count == 0) return NULL;
  return slots[free_list[--free_count]];
}

static int is_slot(const void* p) {
  uintptr_t a = (uintptr_t)p, b = (uintptr_t)slots;
  return a >= b && a < b + sizeof slots;
}

// A marker the bench child checks, so it never runs its loops for real by mistake.
int shmem_bench_no_kernel(void) { return 1; }

int shm_open(const char* name, int flags, mode_t mode) {
  (void)name, (void)flags, (void)mode;
  return FAKE_FD;
}

int shm_unlink(const char* name) {
  (void)name;
  return 0;
}

int posix_fallocate(int fd, off_t offset, off_t len) {
  static int (*real)(int, off_t, off_t);
  if (fd == FAKE_FD) return 0;
  if (!real) real = (int (*)(int, off_t, off_t))dlsym(RTLD_NEXT, "posix_fallocate");
  return real(fd, offset, len);
}
int posix_fallocate64(int fd, off_t offset, off_t len) { return posix_fallocate(fd, offset, len); }

int fstat(int fd, struct stat* st) {
  static int (*real)(int, struct stat*);
  if (fd == FAKE_FD) {
    memset(st, 0, sizeof *st);
    st->st_mode = S_IFREG | 0600;
    st->st_size = SLOT;
    return 0;
  }
  if (!real) real = (int (*)(int, struct stat*))dlsym(RTLD_NEXT, "fstat");
  return real(fd, st);
}
int fstat64(int fd, struct stat64* st) { return fstat(fd, (struct stat*)st); }  // the same layout on 64-bit Linux

void* mmap(void* addr, size_t len, int prot, int flags, int fd, off_t off) {
  static void* (*real)(void*, size_t, int, int, int, off_t);
  if (fd == FAKE_FD) {
    void* p = len <= SLOT ? take_slot() : NULL;
    if (!p) {
      errno = ENOMEM;
      return MAP_FAILED;
    }
    return p;
  }
  if (!real) real = (void* (*)(void*, size_t, int, int, int, off_t))dlsym(RTLD_NEXT, "mmap");
  return real(addr, len, prot, flags, fd, off);
}
void* mmap64(void* addr, size_t len, int prot, int flags, int fd, off_t off) { return mmap(addr, len, prot, flags, fd, off); }

int munmap(void* addr, size_t len) {
  static int (*real)(void*, size_t);
  if (is_slot(addr)) {
    free_list[free_count++] = (int)(((char*)addr - slots[0]) / SLOT);
    return 0;
  }
  if (!real) real = (int (*)(void*, size_t))dlsym(RTLD_NEXT, "munmap");
  return real(addr, len);
}

int close(int fd) {
  static int (*real)(int);
  if (fd == FAKE_FD) return 0;
  if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "close");
  return real(fd);
}
