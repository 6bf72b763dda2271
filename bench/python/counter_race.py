#!/usr/bin/env python3
"""Counter race without sleeps: P processes attach by name, K increments each.

Copied from the project's Python anchors (shmem bench/counter-semaphore.js runs
it as the baseline of the counter-semaphore row).  Added here: the "-q" modes,
an 8-byte counter through memoryview.cast('q'), the same width as the Node
row's BigInt64Array counter.

Shape: the parent creates a
4096-byte block with the counter at offset 0 set to 0, starts P children
(default start method: spawn, a fresh interpreter like node's
child_process.fork); each attaches by name, reports ready, waits for "go",
does K increments, reports done.  wall = "go" sent -> last "done" received
(parent clock).  ops/s = P*K/wall, lost = P*K - final.

Modes
  plain       i32 = buf.cast('i'); i32[0] = i32[0] + 1          (no lock)
  lock        the same inside `with lock:` (one multiprocessing.Lock)
  plain-q     q = buf.cast('q'); q[0] = q[0] + 1  (8-byte counter, no lock)
  lock-q      the same inside `with lock:`
  plain-bytes the article's packing: int.from_bytes(buf[0:8]) +1 int.to_bytes  (no lock)
  lock-bytes  the same inside `with lock:` -- the article's counter_int loop
              body without its time.sleep(0.005)
"""
import argparse
import json
import multiprocessing
import sys
import time
from multiprocessing import shared_memory

try:
    from multiprocessing import resource_tracker
except ImportError:
    resource_tracker = None

ORDER = sys.byteorder


def child(name, mode, k, lock, conn):
    shm = shared_memory.SharedMemory(name)
    buf = shm.buf
    i32 = buf.cast("q" if mode.endswith("-q") else "i")
    conn.send("ready")
    conn.recv()
    if mode in ("plain", "plain-q"):
        for _ in range(k):
            i32[0] = i32[0] + 1
    elif mode in ("lock", "lock-q"):
        for _ in range(k):
            with lock:
                i32[0] = i32[0] + 1
    elif mode == "plain-bytes":
        for _ in range(k):
            c = int.from_bytes(buf[0:8], byteorder=ORDER)
            buf[0:8] = int.to_bytes(c + 1, 8, byteorder=ORDER)
    elif mode == "lock-bytes":
        for _ in range(k):
            with lock:
                c = int.from_bytes(buf[0:8], byteorder=ORDER)
                buf[0:8] = int.to_bytes(c + 1, 8, byteorder=ORDER)
    conn.send("done")
    i32.release()
    del buf
    shm.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mode", choices=["plain", "lock", "plain-q", "lock-q", "plain-bytes", "lock-bytes"], default="lock")
    ap.add_argument("--P", type=int, default=2)
    ap.add_argument("--K", type=int, default=1_000_000)
    ap.add_argument("--start-method", choices=["fork", "spawn", "forkserver"], default="spawn")
    a = ap.parse_args()
    ctx = multiprocessing.get_context(a.start_method)
    if resource_tracker is not None and sys.platform != "win32":
        resource_tracker.ensure_running()
    shm = shared_memory.SharedMemory(create=True, size=4096)
    shm.buf[0:8] = bytes(8)
    lock = ctx.Lock() if a.mode.startswith("lock") else None
    conns, ps = [], []
    for _ in range(a.P):
        here, there = ctx.Pipe()
        p = ctx.Process(target=child, args=(shm.name, a.mode, a.K, lock, there))
        p.start()
        conns.append(here)
        ps.append(p)
    for c in conns:
        assert c.recv() == "ready"
    t0 = time.perf_counter()
    for c in conns:
        c.send("go")
    for c in conns:
        assert c.recv() == "done"
    wall = time.perf_counter() - t0
    for p in ps:
        p.join()
    if a.mode.endswith("bytes") or a.mode.endswith("-q"):
        final = int.from_bytes(shm.buf[0:8], byteorder=ORDER)
    else:
        final = int.from_bytes(shm.buf[0:4], byteorder=ORDER, signed=True)
    total = a.P * a.K
    out = {"mode": a.mode, "P": a.P, "K": a.K, "start_method": a.start_method,
           "final": final, "lost": total - final, "wallMs": round(wall * 1000, 1),
           "opsPerSec": round(total / wall), "exitcodes": [p.exitcode for p in ps]}
    shm.close()
    shm.unlink()
    print(json.dumps(out))


if __name__ == "__main__":
    sys.exit(main())
