#!/usr/bin/env python3
"""SharedMemory life-cycle costs on this machine (Python's own API).

Copied unchanged from the project's Python anchors; shmem bench/lifecycle.js
runs it as the baseline of the lifecycle row.

  create : N x (SharedMemory(create=True, size=S); close(); unlink())
  attach : one block exists; N x (SharedMemory(name); close())
Each is run twice: as shipped (3.11: every create/attach registers the name
with the resource_tracker process through a pipe, unlink() unregisters), and
with resource_tracker.register/unregister replaced by no-ops -- what
track=False gives in 3.13 and what a tracker-less port would cost.
A raw floor (_posixshmem.shm_open + ftruncate + mmap + close + shm_unlink,
no memoryview, no tracker) is printed too.
"""
import argparse
import json
import mmap
import os
import sys
import time
from multiprocessing import resource_tracker, shared_memory

try:
    import _posixshmem
except ImportError:          # Windows
    _posixshmem = None


def bench_create(n, size):
    t0 = time.perf_counter()
    for _ in range(n):
        s = shared_memory.SharedMemory(create=True, size=size)
        s.close()
        s.unlink()
    return n / (time.perf_counter() - t0)


def bench_attach(n, size):
    base = shared_memory.SharedMemory(create=True, size=size)
    name = base.name
    t0 = time.perf_counter()
    for _ in range(n):
        s = shared_memory.SharedMemory(name)
        s.close()
    rate = n / (time.perf_counter() - t0)
    base.close()
    base.unlink()
    return rate


def bench_raw_create(n, size):
    pid = os.getpid()
    t0 = time.perf_counter()
    for i in range(n):
        nm = "/rawb_%d_%d" % (pid, i)
        fd = _posixshmem.shm_open(nm, os.O_CREAT | os.O_EXCL | os.O_RDWR, mode=0o600)
        os.ftruncate(fd, size)
        m = mmap.mmap(fd, size)
        m.close()
        os.close(fd)
        _posixshmem.shm_unlink(nm)
    return n / (time.perf_counter() - t0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--size", type=int, default=4096)
    a = ap.parse_args()
    out = {"n": a.n, "size": a.size}
    # warm up the tracker process so its start-up is not in the first row
    w = shared_memory.SharedMemory(create=True, size=a.size)
    w.close(); w.unlink()
    out["create_close_unlink_per_s"] = round(bench_create(a.n, a.size))
    out["attach_close_per_s"] = round(bench_attach(a.n, a.size))
    reg, unreg = resource_tracker.register, resource_tracker.unregister
    resource_tracker.register = lambda name, rtype: None
    resource_tracker.unregister = lambda name, rtype: None
    try:
        out["untracked_create_close_unlink_per_s"] = round(bench_create(a.n, a.size))
        out["untracked_attach_close_per_s"] = round(bench_attach(a.n, a.size))
    finally:
        resource_tracker.register, resource_tracker.unregister = reg, unreg
    if _posixshmem is not None:
        out["raw_posix_create_close_unlink_per_s"] = round(bench_raw_create(a.n, a.size))
    print(json.dumps(out))


if __name__ == "__main__":
    sys.exit(main())
