#include "unused_linux.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

namespace shmem {

namespace {

int OpenForLease(const char* path) {
  int fd;
  do {
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

bool SameFile(const struct stat& st, uint32_t major_, uint32_t minor_, uint64_t ino) {
  return S_ISREG(st.st_mode) && major(st.st_dev) == major_ && minor(st.st_dev) == minor_ &&
         static_cast<uint64_t>(st.st_ino) == ino;
}

}  // namespace

UnusedResult UnlinkIfUnused(const char* path, uint32_t major_, uint32_t minor_, uint64_t ino, bool dry_run,
                            bool lease_optional, int* error, const char** syscall) {
  *error = 0;
  *syscall = "open";
  int fd = OpenForLease(path);
  if (fd < 0) {
    if (errno == ENOENT || errno == ELOOP) return UnusedResult::kChanged;
    *error = -errno;
    return UnusedResult::kError;
  }
  UnusedResult result;
  struct stat st;
  if (fstat(fd, &st) != 0) {
    *syscall = "fstat";
    *error = -errno;
    result = UnusedResult::kError;
  } else if (!SameFile(st, major_, minor_, ino)) {
    result = UnusedResult::kChanged;
  } else if (fcntl(fd, F_SETLEASE, F_WRLCK) != 0 && !(lease_optional && (errno == EINVAL || errno == ENOLCK))) {
    // EAGAIN: another open file description (or mapping) exists.
    *syscall = "fcntl";
    *error = -errno;
    result = errno == EAGAIN || errno == EBUSY ? UnusedResult::kInUse : UnusedResult::kError;
  } else {
    result = UnusedResult::kRemoved;
    struct stat now;
    // The name must still be this file (not replaced since it was opened).
    if (lstat(path, &now) != 0 || !SameFile(now, major_, minor_, ino)) {
      result = UnusedResult::kChanged;
    } else if (!dry_run && unlink(path) != 0) {
      *syscall = "unlink";
      *error = -errno;
      result = errno == ENOENT ? UnusedResult::kChanged : UnusedResult::kError;
    }
    fcntl(fd, F_SETLEASE, F_UNLCK);
  }
  close(fd);
  return result;
}

bool LeasesSeeReaders(const char* dir) {
  char path[4096];
  snprintf(path, sizeof path, "%s/.shmem-lease-check-XXXXXX", dir);
  int probe = mkostemp(path, O_CLOEXEC);
  if (probe < 0) return false;
  close(probe);
  bool sees = false;
  int reader = OpenForLease(path);
  int leaser = reader < 0 ? -1 : OpenForLease(path);
  if (leaser >= 0) {
    if (fcntl(leaser, F_SETLEASE, F_WRLCK) == 0) {
      fcntl(leaser, F_SETLEASE, F_UNLCK);  // granted despite a reader: readers are not counted
    } else {
      sees = errno == EAGAIN;
      // And without the reader, the lease must be granted (leases work at all).
      close(reader);
      reader = -1;
      if (sees && fcntl(leaser, F_SETLEASE, F_WRLCK) == 0) {
        fcntl(leaser, F_SETLEASE, F_UNLCK);
      } else {
        sees = false;
      }
    }
  }
  if (reader >= 0) close(reader);
  if (leaser >= 0) close(leaser);
  unlink(path);
  return sees;
}

}  // namespace shmem
