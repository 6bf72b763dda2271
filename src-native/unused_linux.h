// OS layer (Linux): proof from the kernel that nobody uses a file in
// /dev/shm, for `shmem prune`. No Node-API in here.
//
// The kernel grants a write lease (fcntl F_SETLEASE, F_WRLCK) on a file only
// while no other open file description of it exists, in any process of any
// namespace, and a mapping keeps its file description open after its
// descriptor is closed: a lease granted proves that the file is neither open
// nor mapped anywhere, also by processes that /proc does not show or lets no
// one inspect. While the lease is held, anyone who opens the file waits
// (their open breaks the lease and waits for us to let go): the proof still
// holds when the name is removed.
#pragma once
#include <cstdint>

namespace shmem {

enum class UnusedResult {
  kRemoved,   // proven unused, and removed (or, on a dry run, would be)
  kInUse,     // open or mapped somewhere: left alone
  kChanged,   // no longer the file that was listed (dev, ino): left alone
  kError,     // the proof or the removal failed: *error holds the negative errno
};

// Removes `path` if it is still the file (dev major:minor, ino) and the
// kernel proves that no one has it open or mapped. `dry_run`: only proves it.
// Where leases are switched off (fs.leases-enable = 0) or not supported by
// the file system, the proof is skipped if `lease_optional` (the caller has
// proven it otherwise), else that is an error.
UnusedResult UnlinkIfUnused(const char* path, uint32_t major, uint32_t minor, uint64_t ino, bool dry_run,
                            bool lease_optional, int* error, const char** syscall);

// Does a lease here also see files open only for reading (Linux 5.3+ counts
// them whenever file locking is built in; older kernels only with IMA)?
// Checked on a file of our own in `dir`: open it for reading, then ask for a
// lease through a second descriptor, which must be refused. False also when
// leases cannot be taken at all.
bool LeasesSeeReaders(const char* dir);

}  // namespace shmem
