#!/usr/bin/env python3
"""multiprocessing.Lock acquire/release pairs per second.

Copied unchanged from the project's Python anchors; shmem bench/mutex-uncontended.js
runs it with --only uncontended (uncontended_mp_lock_ns_per_pair) as the baseline
of the mutex-uncontended row.

  uncontended : one process, N x (acquire(); release())   [and `with lock:`]
  contended   : P processes (default 2) share one Lock, each does N pairs;
                the children wait on an Event, then all start together.
                Rate = P*N / (last end - first start), times taken with
                time.monotonic() (CLOCK_MONOTONIC is system-wide on Linux).
Reference rows: threading.Lock uncontended in the same loop.
"""
import argparse
import json
import multiprocessing
import sys
import threading
import time


def loop_pairs(lock, n):
    acq, rel = lock.acquire, lock.release
    t0 = time.perf_counter()
    for _ in range(n):
        acq()
        rel()
    return time.perf_counter() - t0


def loop_with(lock, n):
    t0 = time.perf_counter()
    for _ in range(n):
        with lock:
            pass
    return time.perf_counter() - t0


def loop_empty(n):
    t0 = time.perf_counter()
    for _ in range(n):
        pass
    return time.perf_counter() - t0


def contender(lock, go, n, q):
    go.wait()
    acq, rel = lock.acquire, lock.release
    t0 = time.monotonic()
    for _ in range(n):
        acq()
        rel()
    t1 = time.monotonic()
    q.put((t0, t1))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000, help="pairs per process")
    ap.add_argument("--procs", type=int, default=2, help="contending processes")
    ap.add_argument("--start-method", choices=["fork", "spawn", "forkserver"], default=None)
    ap.add_argument("--only", choices=["uncontended", "contended"], default=None)
    a = ap.parse_args()
    ctx = multiprocessing.get_context(a.start_method)
    out = {"n": a.n, "start_method": ctx.get_start_method()}

    if a.only in (None, "uncontended"):
        empty = loop_empty(a.n)
        mpl = ctx.Lock()
        t_pairs = loop_pairs(mpl, a.n)
        t_with = loop_with(mpl, a.n)
        thl = threading.Lock()
        t_th = loop_pairs(thl, a.n)
        out["uncontended_mp_lock_pairs_per_s"] = round(a.n / t_pairs)
        out["uncontended_mp_lock_with_per_s"] = round(a.n / t_with)
        out["uncontended_threading_lock_pairs_per_s"] = round(a.n / t_th)
        out["empty_loop_ns_per_iter"] = round(empty / a.n * 1e9, 1)
        out["uncontended_mp_lock_ns_per_pair"] = round(t_pairs / a.n * 1e9, 1)

    if a.only in (None, "contended"):
        lock = ctx.Lock()
        go = ctx.Event()
        q = ctx.Queue()
        ps = [ctx.Process(target=contender, args=(lock, go, a.n, q)) for _ in range(a.procs)]
        for p in ps:
            p.start()
        time.sleep(0.5 if ctx.get_start_method() != "fork" else 0.1)
        go.set()
        spans = [q.get() for _ in ps]
        for p in ps:
            p.join()
        wall = max(s[1] for s in spans) - min(s[0] for s in spans)
        out["contended_procs"] = a.procs
        out["contended_wall_s"] = round(wall, 4)
        out["contended_total_pairs_per_s"] = round(a.procs * a.n / wall)
        out["contended_per_proc_s"] = [round(s[1] - s[0], 4) for s in spans]
    print(json.dumps(out))


if __name__ == "__main__":
    sys.exit(main())
