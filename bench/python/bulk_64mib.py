#!/usr/bin/env python3
"""64 MiB bulk hand-off: parent creates + fills, a running child attaches by name
and checksums.

Copied from the project's Python anchors (shmem bench/bulk.js runs it with
--no-sum --no-copy as an extra reference).  Added here: --no-copy, to skip the
copy-out so the child does exactly what the Node row's child does (attach,
crc32, close).

Shape: the child is started first and
reports ready; the parent then creates the block (createMs), fills it (fillMs,
first touch of every page), sends the NAME through a Pipe ("go"); the child
attaches by name (attachMs) and reads the whole block computing
  * crc32  = zlib.crc32(buf)               (C speed, zero-copy over the memoryview)
  * sum32  = sum of little-endian uint32 words mod 2**32 (same checksum as the
             peer benches; pure Python over memoryview.cast('I'))
  * copyMs = bytes(buf) (one memcpy out of the mapping)
and sends the results back; roundTripMs is go -> result in the parent.
The parent then verifies both checksums against the source pattern.
Fill pattern: random.Random(seed).randbytes(size), built before timing.

Python 3.11 pitfall reproduced by --no-ensure-tracker with --start-method fork:
the child is forked before the parent has used shared memory, so no
resource_tracker process is running yet; the child's attach starts its OWN
tracker, which unlinks the block when the child exits ("leaked shared_memory"
warning) and the parent's unlink() then raises FileNotFoundError.  By default
the parent calls resource_tracker.ensure_running() before starting the child
(spawn does this by itself).
"""
import argparse
import json
import multiprocessing
import random
import sys
import time
import zlib
from multiprocessing import shared_memory

try:
    from multiprocessing import resource_tracker
except ImportError:
    resource_tracker = None


def ms(t):
    return round(t * 1000, 2)


def child(conn, do_sum, do_copy=True):
    conn.send("ready")
    name = conn.recv()
    t0 = time.perf_counter()
    shm = shared_memory.SharedMemory(name)
    t1 = time.perf_counter()
    crc = zlib.crc32(shm.buf)
    t2 = time.perf_counter()
    res = {"attachMs": ms(t1 - t0), "crcMs": ms(t2 - t1), "size": shm.size, "crc32": crc}
    if do_sum:
        t3 = time.perf_counter()
        res["sum32"] = sum(shm.buf.cast("I")) & 0xFFFFFFFF if sys.byteorder == "little" \
            else sum(int.from_bytes(shm.buf[i:i + 4], "little") for i in range(0, shm.size, 4)) & 0xFFFFFFFF
        res["sumMs"] = ms(time.perf_counter() - t3)
    if do_copy:
        t4 = time.perf_counter()
        copy = bytes(shm.buf)
        res["copyMs"] = ms(time.perf_counter() - t4)
        del copy
    shm.close()
    conn.send(res)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mib", type=int, default=64)
    ap.add_argument("--seed", type=int, default=2463534242)
    ap.add_argument("--no-sum", action="store_true", help="skip the pure-Python uint32 sum")
    ap.add_argument("--no-copy", action="store_true", help="skip the copy-out in the child")
    ap.add_argument("--no-ensure-tracker", action="store_true",
                    help="do not start the resource tracker before the child (shows the fork pitfall)")
    ap.add_argument("--start-method", choices=["fork", "spawn", "forkserver"], default="spawn",
                    help="default spawn: a fresh interpreter, like node's child_process.fork")
    a = ap.parse_args()
    size = a.mib << 20
    ctx = multiprocessing.get_context(a.start_method)
    pattern = random.Random(a.seed).randbytes(size)
    want_crc = zlib.crc32(pattern)
    want_sum = sum(memoryview(pattern).cast("I")) & 0xFFFFFFFF if not a.no_sum else None

    if resource_tracker is not None and not a.no_ensure_tracker and sys.platform != "win32":
        resource_tracker.ensure_running()
    here, there = ctx.Pipe()
    p = ctx.Process(target=child, args=(there, not a.no_sum, not a.no_copy))
    p.start()
    assert here.recv() == "ready"

    t0 = time.perf_counter()
    shm = shared_memory.SharedMemory(create=True, size=size)
    t1 = time.perf_counter()
    shm.buf[:size] = pattern               # first touch: page faults + memcpy
    t2 = time.perf_counter()
    shm.buf[:size] = pattern               # second copy: pages already mapped
    t3 = time.perf_counter()
    here.send(shm.name)
    res = here.recv()
    t4 = time.perf_counter()
    p.join()
    out = {"mib": a.mib, "start_method": a.start_method, "createMs": ms(t1 - t0),
           "fillMs": ms(t2 - t1), "refillMs": ms(t3 - t2), "roundTripMs": ms(t4 - t3)}
    out.update({k: v for k, v in res.items() if k.endswith("Ms") or k == "size"})
    out["fill_GBps"] = round(size / (t2 - t1) / 1e9, 2)
    out["crc_GBps"] = round(size / (res["crcMs"] / 1000) / 1e9, 2)
    out["crc_ok"] = res["crc32"] == want_crc
    if want_sum is not None:
        out["sum32"] = res["sum32"]
        out["sum_ok"] = res["sum32"] == want_sum
    out["child_exit"] = p.exitcode
    shm.close()
    try:
        shm.unlink()
    except FileNotFoundError as e:       # someone else's tracker unlinked it
        out["unlink_error"] = repr(e)
    print(json.dumps(out))
    return 0 if (out["crc_ok"] and out.get("sum_ok", True) and p.exitcode == 0
                 and "unlink_error" not in out) else 1


if __name__ == "__main__":
    sys.exit(main())
