# SPDX-License-Identifier: GPL-2.0
"""The binding against the real module (/dev/refstore), run in the VM.

Every test opens its own heap, with the collector's time bound off
(set_delay(0)) unless it tests it, so that nothing depends on when the
kernel's collector thread runs. Skipped where /dev/refstore is missing.
"""

import difflib
import errno
import os
import subprocess
import sys
import time
import unittest

import refstore

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.join(os.path.dirname(HERE), "examples")


def setUpModule():
    if not os.path.exists(refstore.DEVICE):
        raise unittest.SkipTest("no %s" % refstore.DEVICE)


class KernelTest(unittest.TestCase):
    def setUp(self):
        self.heap = refstore.Heap()
        self.heap.gc.set_delay(0)

    def tearDown(self):
        self.heap.close()


class HeapKernelTest(KernelTest):
    def test_heap_init(self):
        self.assertEqual(self.heap.version, 1)
        self.assertGreater(self.heap.fileno(), 2)

    def test_heap_features(self):
        f = self.heap.features
        for name in ("objects", "slots", "payload", "weak", "events",
                     "limits", "heap_stats", "gc", "gc_delay", "weak_graph",
                     "weak_query"):
            self.assertIn(name, f)
            self.assertTrue(self.heap.has_feature(name))

    def test_heap_close_closed(self):
        heap = refstore.Heap()
        a = heap.new(slots=1)
        a[0] = a
        heap.close()
        self.assertTrue(heap.closed)
        self.assertTrue(a.closed)
        del a  # no error: the heap and its objects are gone

    def test_heap_new(self):
        a = self.heap.new(slots=2, tag="Node", payload=b"xyz")
        i = a.info()
        self.assertEqual((i.nslots, i.tag, i.payload_size, i.refcount,
                          i.notify), (2, "Node", 3, 1, False))
        self.assertEqual(i.creator_pid, os.getpid())
        self.assertEqual(a.payload, b"xyz")
        self.assertEqual(self.heap.new(payload=4).payload, bytes(4))

    def test_heap_new_int(self):
        self.assertEqual(int(self.heap.new_int(-12345)), -12345)

    def test_heap_getrefcount(self):
        obj = self.heap.new()
        self.assertEqual(self.heap.getrefcount(obj), 2)
        another_ref = self.heap.dup(obj)
        self.assertEqual(self.heap.getrefcount(obj), 3)
        del another_ref
        self.assertEqual(self.heap.getrefcount(obj), 2)

    def test_heap_dup(self):
        a = self.heap.new()
        b = a.dup()
        self.assertEqual(a, b)
        self.assertEqual(self.heap.stats()["handles"], 2)

    def test_heap_info(self):
        a = self.heap.new(notify=True)
        self.heap.weakref(a)
        i = self.heap.info(a)
        self.assertTrue(i.notify)

    def test_heap_weakref(self):
        a = self.heap.new()
        r = self.heap.weakref(a)
        self.assertTrue(a.info().weakrefs)
        self.assertEqual(r(), a)
        del a
        self.assertIsNone(r())
        self.assertEqual(self.heap.stats()["weak_handles"], 1)

    def test_heap_weakref_callback(self):
        seen = []
        a = self.heap.new(slots=1)  # no notify: the kernel's callback
        r = self.heap.weakref(a, callback=seen.append)
        a[0] = a
        del a
        self.assertEqual(seen, [])
        self.assertEqual(self.heap.gc.collect(), 1)
        self.assertEqual(seen, [r])
        self.assertIsNone(r())
        # Dropping the WeakRef cancels its callback in the kernel.
        b = self.heap.new()
        self.heap.weakref(b, callback=seen.append)
        del b
        self.assertEqual(self.heap.poll_events(), [])
        self.assertEqual(seen, [r])
        # From a weak reference (WEAKREF_FROM_WEAK).
        c = self.heap.new()
        r1 = self.heap.weakref(c)
        r2 = self.heap.weakref(r1, callback=seen.append)
        del c
        self.assertEqual(seen, [r, r2])
        with self.assertRaises(FileNotFoundError):
            self.heap.weakref(r1)

    def test_heap_weakref_order(self):
        seen = []
        a = self.heap.new(name="a", on_del=lambda e: seen.append(e.name))
        r1 = self.heap.weakref(a, callback=lambda r: seen.append("r1"))
        r2 = self.heap.weakref(a, callback=lambda r: seen.append("r2"))
        del a
        self.assertEqual(seen, ["a", "r2", "r1"])
        seen.clear()
        b = self.heap.new(slots=1, name="b",
                          on_del=lambda e: seen.append(e.name))
        c = self.heap.new(slots=1, name="c",
                          on_del=lambda e: seen.append(e.name))
        b[0], c[0] = c, b
        rb = self.heap.weakref(b, callback=lambda r: seen.append("rb"))
        rc = self.heap.weakref(c, callback=lambda r: seen.append("rc"))
        del b, c
        self.assertEqual(self.heap.gc.collect(), 2)
        self.assertEqual(sorted(seen[:2]), ["rb", "rc"])
        self.assertEqual(sorted(seen[2:]), ["b", "c"])
        del r1, r2, rb, rc

    def test_heap_finalize(self):
        seen = []
        a = self.heap.new()
        f = self.heap.finalize(a, seen.append, "a gone")
        self.assertTrue(f.alive)
        self.assertEqual(f.peek()[1:], (seen.append, ("a gone",), {}))
        del f
        del a
        self.assertEqual(seen, ["a gone"])
        self.assertEqual(self.heap.stats()["weak_handles"], 0)
        b = self.heap.new()
        f = self.heap.finalize(b, seen.append, "b")
        self.assertIsNotNone(f.detach())
        self.assertEqual(f(), None)
        g = self.heap.finalize(b, lambda: 7)
        self.assertEqual(g(), 7)
        del b
        self.assertEqual(seen, ["a gone"])
        heap = refstore.Heap()
        keep = heap.new()
        heap.finalize(keep, seen.append, "at close")
        heap.close()
        self.assertEqual(seen, ["a gone", "at close"])

    def test_heap_getweakrefcount_getweakrefs(self):
        a = self.heap.new()
        b = self.heap.new(slots=2)
        self.assertEqual(self.heap.getweakrefcount(a), 0)
        self.assertEqual(self.heap.getweakrefs(a), [])
        r = self.heap.weakref(a)
        f = self.heap.finalize(a, print)
        b[1] = refstore.weak(a)
        self.assertEqual(self.heap.getweakrefcount(a), 3)
        self.assertEqual(self.heap.getrefcount(a), 2)
        es = self.heap.getweakrefs(a)
        self.assertEqual(sorted(e.kind for e in es),
                         ["handle", "handle", "slot"])
        byref = {id(e.ref): e for e in es}
        self.assertTrue(byref[id(f)].callback)
        self.assertFalse(byref[id(r)].callback)
        slot = [e for e in es if e.kind == "slot"][0]
        self.assertEqual((slot.owner_id, slot.slot), (b.id, 1))
        many = [self.heap.weakref(a) for _ in range(300)]
        self.assertEqual(len(self.heap.getweakrefs(a)), 303)
        del many
        f.detach()

    def test_heap_stats(self):
        a = self.heap.new(payload=100)
        s = self.heap.stats()
        self.assertEqual((s["objects"], s["handles"], s["created"]),
                         (1, 1, 1))
        self.assertGreater(s["bytes"], 100)
        a.close()

    def test_heap_get_limits(self):
        lim = self.heap.get_limits()
        self.assertEqual(lim["max_slots"], 1024)

    def test_heap_set_limits(self):
        self.heap.set_limits(max_objects=2)
        self.assertEqual(self.heap.get_limits()["max_objects"], 2)
        keep = [self.heap.new(), self.heap.new()]
        with self.assertRaises(refstore.QuotaError) as cm:
            self.heap.new()
        self.assertEqual(cm.exception.errno, errno.EDQUOT)
        with self.assertRaises(PermissionError):
            self.heap.set_limits(max_objects=3)
        del keep

    def test_heap_poll_events(self):
        heap = refstore.Heap(autopoll=False)
        a = heap.new(name="a", cookie=77)
        del a
        evs = heap.poll_events(timeout=5)
        self.assertEqual([(e.name, e.cookie, e.cause) for e in evs],
                         [("a", 77, "released")])
        self.assertEqual(heap.poll_events(), [])
        heap.close()

    def test_heap_events(self):
        heap = refstore.Heap(autopoll=False)
        objs = [heap.new(notify=True, name=i) for i in range(50)]
        del objs
        got = sorted(e.name for e in heap.events(timeout=1))
        self.assertEqual(got, list(range(50)))
        heap.close()

    def test_heap_require(self):
        self.heap.require("gc")
        with self.assertRaises(ValueError):
            self.heap.require("nonexistent")

    def test_linked_list_freed_at_root(self):
        dead = []
        head = self.heap.new(slots=1, name=1, on_del=lambda e: dead.append(
            (e.name, e.cause)))
        second = self.heap.new(slots=1, name=2, on_del=lambda e: dead.append(
            (e.name, e.cause)))
        head[0] = second
        del second
        head = None
        self.assertEqual(sorted(dead), [(1, "released"), (2, "released")])
        self.assertEqual(self.heap.stats()["objects"], 0)

    def test_seed_example(self):
        """examples/seed.py prints examples/seed.expected."""
        out = subprocess.run([sys.executable, os.path.join(EXAMPLES,
                                                           "seed.py")],
                             capture_output=True, text=True, timeout=600)
        self.assertEqual(out.stderr, "")
        self.assertEqual(out.returncode, 0)
        with open(os.path.join(EXAMPLES, "seed.expected")) as f:
            want = f.read()
        if out.stdout != want:
            sys.stdout.write("".join(
                "# " + l for l in difflib.unified_diff(
                    want.splitlines(True), out.stdout.splitlines(True),
                    "seed.expected", "seed.py output")))
        self.assertEqual(out.stdout, want)


class ErrorsKernelTest(KernelTest):
    def test_error(self):
        a = self.heap.new(slots=1)
        with self.assertRaises(FileNotFoundError):
            self.heap.getrefcount(refstore.Object(self.heap, 12345, 0))
        r = self.heap.weakref(a)
        with self.assertRaises(refstore.HandleKindError):
            refstore.Object(self.heap, r.handle, a.id).info()
        with self.assertRaises(refstore.LimitError):
            self.heap.new(slots=100000)
        with self.assertRaises(OSError) as cm:
            a[1] = a
        self.assertEqual(cm.exception.errno, errno.EINVAL)
        with self.assertRaises(OSError):
            a.read(1)


class ObjectKernelTest(KernelTest):
    def test_object_getitem_setitem_delitem(self):
        a, b = self.heap.new(slots=2), self.heap.new()
        self.assertIsNone(a[0])
        a[1] = b
        self.assertEqual(a[1], b)
        self.assertEqual(self.heap.getrefcount(b), 3)
        del a[1]
        self.assertIsNone(a[1])
        self.assertEqual(len(a), 2)

    def test_object_close_del(self):
        a = self.heap.new()
        a.close()
        self.assertTrue(a.closed)
        b = self.heap.new()
        del b
        self.assertEqual(self.heap.stats()["objects"], 0)

    def test_object_read_write_payload(self):
        a = self.heap.new(payload=10)
        a.write(b"abc", offset=7)
        self.assertEqual(a.read(3, offset=7), b"abc")
        a.payload = b"0123456789"
        self.assertEqual(a.payload, b"0123456789")

    def test_object_tag(self):
        self.assertEqual(self.heap.new(tag="MyObject").tag, "MyObject")

    def test_object_is_weak(self):
        # The tutorial's advice: a child points back at its parent weakly.
        dead = []
        parent = self.heap.new(slots=1, name="parent",
                               on_del=lambda e: dead.append(e.name))
        child = self.heap.new(slots=1, name="child",
                              on_del=lambda e: dead.append(e.name))
        parent[0] = child
        child[0] = refstore.weak(parent)
        self.assertTrue(child.is_weak(0))
        self.assertFalse(parent.is_weak(0))
        self.assertEqual(child[0], parent)
        self.assertEqual(self.heap.getrefcount(parent), 2)
        keep = child
        del child, parent  # no cycle: freed by counting
        self.assertEqual(dead, ["parent"])
        self.assertIsNone(keep[0])
        self.assertTrue(keep.is_weak(0))
        x = self.heap.new()
        keep[0] = self.heap.weakref(x)  # a WeakRef stores weakly too
        self.assertTrue(keep.is_weak(0))
        self.assertEqual(keep[0], x)
        del keep
        self.assertEqual(dead, ["parent", "child"])
        self.assertEqual(self.heap.gc.get_stats()[2]["collections"], 0)

    def test_weakvaluedictionary(self):
        d = refstore.WeakValueDictionary(self.heap)
        a, b = self.heap.new(), self.heap.new()
        d["a"], d["b"] = a, b
        self.assertEqual(d["a"], a)
        self.assertEqual(len(d), 2)
        del a
        self.assertEqual(list(d), ["b"])
        del d["b"]
        self.assertEqual(self.heap.getweakrefcount(b), 0)


class GCKernelTest(KernelTest):
    def test_gc_enable_disable_isenabled(self):
        gc = self.heap.gc
        self.assertTrue(gc.isenabled())
        gc.disable()
        self.assertFalse(gc.isenabled())
        gc.enable()
        self.assertTrue(gc.isenabled())

    def test_gc_collect(self):
        out = []
        obj1 = self.heap.new(slots=1, name="obj1",
                             on_del=lambda e: out.append((e.name, e.cause)))
        obj2 = self.heap.new(slots=1, name="obj2",
                             on_del=lambda e: out.append((e.name, e.cause)))
        obj1[0] = obj2
        obj2[0] = obj1
        del obj1, obj2
        self.assertEqual(out, [])
        self.assertEqual(self.heap.gc.collect(), 2)
        self.assertEqual(sorted(out), [("obj1", "cycle"), ("obj2", "cycle")])
        self.assertEqual(self.heap.gc.collect(0), 0)

    def test_gc_get_stats(self):
        self.heap.gc.collect(1)
        st = self.heap.gc.get_stats()
        self.assertEqual(st[1]["collections"], 1)
        self.assertEqual(st[0]["collections"], 0)
        ex = self.heap.gc.get_stats_ex()
        self.assertEqual(ex["gen"], st)
        self.assertEqual(ex["automatic"], 0)

    def test_gc_get_count(self):
        keep = [self.heap.new(slots=1) for _ in range(3)]
        self.assertEqual(self.heap.gc.get_count()[0], 3)
        del keep

    def test_gc_get_threshold_set_threshold(self):
        gc = self.heap.gc
        self.assertEqual(gc.get_threshold(), (700, 10, 10))
        gc.set_threshold(5)
        self.assertEqual(gc.get_threshold(), (5, 10, 10))
        gc.set_threshold(1, 2, 3)
        self.assertEqual(gc.get_threshold(), (1, 2, 3))
        with self.assertRaises(OSError):
            gc.set_threshold(2000000)

    def test_gc_freeze_unfreeze_get_freeze_count(self):
        gc = self.heap.gc
        a = self.heap.new(slots=1)
        a[0] = a
        del a
        gc.freeze()
        self.assertEqual(gc.get_freeze_count(), 1)
        self.assertEqual(gc.collect(), 0)  # frozen: never examined
        gc.unfreeze()
        self.assertEqual(gc.get_freeze_count(), 0)
        self.assertEqual(gc.collect(), 1)

    def test_gc_set_debug_get_debug(self):
        gc = self.heap.gc
        gc.set_debug(gc.DEBUG_STATS)
        self.assertEqual(gc.get_debug(), gc.DEBUG_STATS)
        with self.assertRaises(OSError):
            gc.set_debug(1 << 20)

    def test_gc_garbage_clear_garbage(self):
        gc = self.heap.gc
        gc.set_debug(gc.DEBUG_SAVEALL)
        a = self.heap.new(slots=1)
        a[0] = a
        aid = a.id
        del a
        self.assertEqual(gc.collect(), 1)
        g = gc.garbage
        self.assertEqual([o.id for o in g], [aid])
        del g[:]
        self.assertEqual(gc.garbage, [])
        self.assertEqual(gc.get_stats_ex()["garbage"], 0)
        gc.collect()
        self.assertEqual(len(gc.garbage), 1)
        gc.clear_garbage()
        self.assertEqual(gc.garbage, [])

    def test_gc_set_delay_get_delay(self):
        # The time bound: a dropped cycle is freed by the kernel's thread
        # within the delay, with no call from us (waits up to 60 s).
        gc = self.heap.gc
        gc.set_delay(20)
        self.assertEqual(gc.get_delay(), 20)
        seen = []
        a = self.heap.new(slots=1, name="auto",
                          on_del=lambda e: seen.append((e.name, e.cause)))
        a[0] = a
        del a
        # Any read may deliver the event (autopoll reads after the CLOSE
        # too, and the thread may already be done by then): wait for the
        # callback, not for one particular read.
        deadline = time.monotonic() + 60
        while not seen:
            self.assertLess(time.monotonic(), deadline)
            self.heap.poll_events(timeout=1)
        self.assertEqual(seen, [("auto", "cycle")])
        # The thread counts its collection once it is done with it, which
        # may be just after the event was readable: wait for that too.
        deadline = time.monotonic() + 60
        while gc.get_stats_ex()["automatic"] == 0:
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.01)
        with self.assertRaises(OSError):
            gc.set_delay(60001)


class ObsKernelTest(KernelTest):
    def test_heap_from_id(self):
        a = self.heap.new()
        b = self.heap.from_id(a.id)
        self.assertEqual(b, a)
        self.assertEqual(self.heap.getrefcount(a), 3)
        oid = a.id
        del a, b
        self.assertIsNone(self.heap.from_id(oid))

    def test_gc_get_objects_get_referents_get_referrers(self):
        a, b, c = (self.heap.new(slots=2), self.heap.new(slots=1),
                   self.heap.new())
        a[0] = a[1] = c
        b[0] = c
        self.assertEqual(self.heap.gc.get_objects(), [a, b, c])
        self.assertEqual(self.heap.gc.get_referents(a), [c, c])
        # REFERRERS lists in the kernel's order, which is not id order.
        self.assertEqual(sorted(self.heap.gc.get_referrers(c),
                                key=lambda o: o.id), [a, b])
        self.assertEqual(self.heap.gc.get_referrers(a), [])
        many = [self.heap.new() for _ in range(1100)]
        self.assertEqual(len(self.heap.gc.get_objects()), 1103)
        del many
        self.heap.gc.freeze()
        self.assertEqual(len(self.heap.gc.get_objects(generation=3)), 3)
        self.assertEqual(self.heap.gc.get_objects(generation=0), [])

    def test_gc_callbacks(self):
        seen = []
        self.heap.gc.callbacks.append(lambda p, i: seen.append((p, i)))
        a = self.heap.new(slots=1)
        a[0] = a
        del a
        self.assertEqual(self.heap.gc.collect(), 1)
        self.assertEqual([p for p, _ in seen], ["start", "stop"])
        self.assertEqual(seen[1][1], {"generation": 2, "collected": 1,
                                      "uncollectable": 0})
        self.heap.gc.callbacks.clear()
        self.assertEqual(self.heap.gc.get_debug(), 0)
        self.heap.gc.collect()
        self.assertEqual(len(seen), 2)

    def test_tracemalloc(self):
        tm = self.heap.tracemalloc
        tm.start()
        self.assertTrue(tm.is_tracing())
        cells = [self.heap.new(tag="cell", payload=8) for _ in range(3)]
        tm.name_tag(7, "seed.py:42")
        n7 = self.heap.new(tag=7, payload=1000)
        size, peak = tm.get_traced_memory()
        self.assertGreater(size, 1000)
        self.assertEqual(tm.get_traced_objects(), (4, 4))
        snap = tm.take_snapshot()
        stats = snap.statistics("tag")
        self.assertEqual([(s.name, s.count) for s in stats],
                         [("seed.py:42", 1), ("cell", 3)])
        self.assertIn("cell: size=", str(stats[1]))
        self.assertEqual(snap.statistics("creator")[0].pid, os.getpid())
        del cells
        tm.reset_peak()
        self.assertEqual(tm.get_traced_objects(), (1, 1))
        del n7
        with self.assertRaises(OSError):
            tm.name_tag(8, "x" * 64)

    def test_snapshot_compare_to(self):
        tm = self.heap.tracemalloc
        cells = [self.heap.new(tag="cell", payload=8) for _ in range(3)]
        n7 = self.heap.new(tag=7, payload=1000)
        old = tm.take_snapshot()
        del n7
        cells += [self.heap.new(tag="cell", payload=8) for _ in range(2)]
        diffs = tm.take_snapshot().compare_to(old, "tag")
        # bytes are the kernel's charges: counts are exact, sizes relative
        self.assertEqual([(d.key, d.count, d.count_diff) for d in diffs],
                         [(7, 0, -1), (refstore.encode_tag("cell"), 5, 2)])
        self.assertLess(diffs[0].size_diff, -1000)
        self.assertEqual(diffs[0].size, 0)
        self.assertEqual(diffs[1].size_diff * 5, diffs[1].size * 2)
        self.assertIn("count=5 (+2)", str(diffs[1]))
        del cells
