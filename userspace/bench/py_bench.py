# SPDX-License-Identifier: GPL-2.0
"""CPython's gc on the graph shapes of host_bench.c, for scripts/bench.

Usage: python3 py_bench.py SHAPE N [ARG] [--reps R]   (shapes as host_bench)
       python3 py_bench.py sizeof

Objects are instances of classes with __slots__ of ARG references (the
closest CPython has to a refstore object with slots). The interpreter's
own objects are moved out of the way with gc.freeze() first and automatic
collection is off (gc.disable()), so gc.collect() examines the benchmark's
objects only; the garbage is built untimed and only gc.collect() is timed
(for the list, only the `del` of its root: a refcount cascade, no gc).
Times are the thread's CPU time (time.thread_time_ns()), like host_bench,
so a run that loses the CPU to another process is not charged for it.
Output: "py shape=... n=... reclaimed=... ns=..." like host_bench.
"""
import gc
import random
import sys
import time


class S1:
    __slots__ = ("s0",)


class S2:
    __slots__ = ("s0", "s1")


def build_rings(n, length):
    for _ in range(n // length):
        ring = [S1() for _ in range(length)]
        for i in range(length):
            ring[i].s0 = ring[(i + 1) % length]
    # the last ring's list dies here; every ring is garbage now


def build_random(n, deg):
    cls = {1: S1, 2: S2}[deg]
    names = cls.__slots__
    rnd = random.Random(1)
    nodes = [cls() for _ in range(n)]
    for o in nodes:
        for name in names:
            setattr(o, name, nodes[rnd.randrange(n)])
    del nodes


def build_list(n):
    root = prev = S1()
    for _ in range(n - 1):
        o = S1()
        prev.s0 = o
        prev = o
    return root


def median(v):
    v = sorted(v)
    return v[len(v) // 2]


def main(argv):
    reps = 1
    if "--reps" in argv:
        i = argv.index("--reps")
        reps = int(argv[i + 1])
        del argv[i:i + 2]
    shape = argv[1]
    if shape == "sizeof":
        for k, cls in ((1, S1), (2, S2)):
            print(f"py shape=sizeof slots={k} getsizeof={sys.getsizeof(cls())} "
                  f"basicsize={cls.__basicsize__} "
                  f"gchead={sys.getsizeof(cls()) - cls.__basicsize__}")
        print(f"py shape=version version={sys.version.split()[0]} "
              f"executable={sys.executable}")
        return
    n = int(argv[2]) if len(argv) > 2 else 0
    arg = int(argv[3]) if len(argv) > 3 else 0

    gc.disable()
    gc.collect()
    gc.freeze()
    live = None
    if shape == "scaling":
        live = build_list(n) if n else None
        gc.collect()
    times = []
    got = 0
    for _ in range(reps):
        if shape == "ring":
            build_rings(n, arg)
        elif shape == "random":
            build_random(n, arg)
        elif shape == "list":
            root = build_list(n)
        elif shape == "scaling":
            build_rings(2000, 2)
        else:
            sys.exit("py_bench: bad shape")
        if shape == "list":
            t0 = time.thread_time_ns()
            del root
            t = time.thread_time_ns() - t0
            got = n
        else:
            t0 = time.thread_time_ns()
            got = gc.collect()
            t = time.thread_time_ns() - t0
        times.append(t)
    del live
    print(f"py shape={shape} n={n} arg={arg} reclaimed={got} "
          f"ns={median(times)} reps={reps}")


if __name__ == "__main__":
    main(sys.argv)
