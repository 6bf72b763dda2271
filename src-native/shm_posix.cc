// POSIX shared memory: shm_open + mmap (Linux and macOS).
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shm.h"

namespace shmem {

namespace {

int OpenRetry(const char* name, int flags, mode_t mode) {
  int fd;
  do {
    fd = shm_open(name, flags, mode);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

void CloseFd(int fd) {
  // close() must not be retried on EINTR on Linux: the descriptor is gone either way.
  close(fd);
}

// Makes the whole size real now. On Linux tmpfs, posix_fallocate allocates the
// pages (and sets the size), so a full /dev/shm gives ENOSPC here rather than
// SIGBUS when a page is first touched.
SysResult Reserve(int fd, size_t size) {
#if defined(__APPLE__)
  // macOS: ftruncate works only once on a shm object and there is no
  // posix_fallocate; the object is memory-backed (no tmpfs quota), so setting
  // the size is the reservation.
  if (ftruncate(fd, static_cast<off_t>(size)) != 0) return SysResult::Fail(-errno, "ftruncate");
  return SysResult::Ok();
#else
  int rc;
  do {
    rc = posix_fallocate(fd, 0, static_cast<off_t>(size));
  } while (rc == EINTR);
  if (rc == 0) return SysResult::Ok();
  if (rc != EOPNOTSUPP && rc != EINVAL) return SysResult::Fail(-rc, "posix_fallocate");
  // A file system without fallocate support: fall back to setting the size.
  if (ftruncate(fd, static_cast<off_t>(size)) != 0) return SysResult::Fail(-errno, "ftruncate");
  return SysResult::Ok();
#endif
}

SysResult Map(int fd, size_t size, ShmMapping* out) {
  void* addr = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (addr == MAP_FAILED) return SysResult::Fail(-errno, "mmap");
  out->addr = addr;
  out->size = size;
  return SysResult::Ok();
}

#if defined(__linux__)
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23  // Linux 5.14
#endif
// Segments from this size on get their page tables filled at create: the
// creator almost always writes the memory next, and one madvise maps every
// (already reserved) page at once instead of taking a fault per 4 KiB page
// (64 MiB: 16,384 faults). Small segments fault in a page or two cheaper
// than a system call.
constexpr size_t kPopulateFrom = 1 << 20;

void PopulateForWrite(const ShmMapping& m) {
  // Best effort: older kernels answer EINVAL, and the pages fault in as usual.
  if (m.size >= kPopulateFrom) madvise(m.addr, m.size, MADV_POPULATE_WRITE);
}
#else
void PopulateForWrite(const ShmMapping&) {}
#endif

}  // namespace

SysResult ShmCreate(const char* name, size_t size, int mode, ShmMapping* out) {
  int fd = OpenRetry(name, O_CREAT | O_EXCL | O_RDWR, static_cast<mode_t>(mode));
  if (fd < 0) return SysResult::Fail(-errno, "shm_open");
  SysResult r = Reserve(fd, size);
  if (r.ok()) r = Map(fd, size, out);
  CloseFd(fd);  // the mapping keeps the object alive; no descriptor is held
  if (r.ok()) PopulateForWrite(*out);
  if (!r.ok()) shm_unlink(name);  // a failed create leaves no name behind
  return r;
}

SysResult ShmOpen(const char* name, ShmMapping* out) {
  int fd = OpenRetry(name, O_RDWR, 0);
  if (fd < 0) return SysResult::Fail(-errno, "shm_open");
  struct stat st;
  SysResult r;
  if (fstat(fd, &st) != 0) {
    r = SysResult::Fail(-errno, "fstat");
  } else if (st.st_size <= 0) {
    // A name whose creator never set a size (e.g. it crashed half-way): nothing to map.
    r = SysResult::Fail(-EINVAL, "mmap");
  } else {
    r = Map(fd, static_cast<size_t>(st.st_size), out);
  }
  CloseFd(fd);
  return r;
}

void ShmUnmap(ShmMapping* m) {
  if (m->addr != nullptr) munmap(m->addr, m->size);
  m->addr = nullptr;
}

SysResult ShmUnlink(const char* name) {
  if (shm_unlink(name) != 0) return SysResult::Fail(-errno, "shm_unlink");
  return SysResult::Ok();
}

}  // namespace shmem
