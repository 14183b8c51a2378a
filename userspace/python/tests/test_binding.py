# SPDX-License-Identifier: GPL-2.0
"""The binding's logic on a model of the device (tests/fakedev.py).

No kernel is involved: these check what the binding sends (structures,
sizes, handles), how it maps results and errnos, wrapper lifetimes, and
event dispatch. test_kernel.py runs the same API against the module.
"""

import ctypes
import errno
import inspect
import os
import unittest

import refstore
from refstore import _uapi as U
from fakedev import FakeDevice


def fake_heap(**kw):
    dev = FakeDevice(**{k: v for k, v in kw.items() if k == "features"})
    heap = refstore.Heap(device=dev, **{k: v for k, v in kw.items()
                                        if k != "features"})
    return heap, dev


class ErrorsTest(unittest.TestCase):
    def test_error(self):
        cases = {
            errno.ENOENT: FileNotFoundError,
            errno.EPERM: PermissionError,
            errno.EAGAIN: BlockingIOError,
            errno.EDQUOT: refstore.QuotaError,
            errno.EUSERS: refstore.UserQuotaError,
            errno.ENOBUFS: refstore.GlobalQuotaError,
            errno.ENOSPC: refstore.LimitError,
            errno.EBADSLT: refstore.HandleKindError,
            errno.EOPNOTSUPP: refstore.UnsupportedError,
            errno.EINVAL: OSError,
        }
        for err, cls in cases.items():
            exc = refstore.error(err, "CREATE")
            self.assertIs(type(exc), cls)
            self.assertEqual(exc.errno, err)
            self.assertIn("CREATE", str(exc))
        exc = refstore.error(errno.ENOMEM, "CREATE")
        self.assertIsInstance(exc, MemoryError)
        self.assertEqual(exc.errno, errno.ENOMEM)
        self.assertTrue(issubclass(refstore.UserQuotaError,
                                   refstore.QuotaError))

    def test_ioctl_errno_raises_mapped_exception(self):
        heap, dev = fake_heap()
        for err, cls in ((errno.EDQUOT, refstore.QuotaError),
                         (errno.ENOMEM, MemoryError),
                         (errno.ENOSPC, refstore.LimitError)):
            dev.fail_next = err
            with self.assertRaises(cls):
                heap.new(slots=1)
        a = heap.new()
        with self.assertRaises(FileNotFoundError):
            heap.getrefcount(refstore.Object(heap, 999, 1))
        ref = heap.weakref(a)
        with self.assertRaises(refstore.HandleKindError):
            heap.getrefcount(refstore.Object(heap, ref.handle, a.id))

    def test_open_missing_device(self):
        with self.assertRaises(FileNotFoundError):
            refstore.Heap("/nonexistent/refstore")


class TagsTest(unittest.TestCase):
    def test_encode_tag(self):
        self.assertEqual(refstore.encode_tag(None), 0)
        self.assertEqual(refstore.encode_tag(42), 42)
        self.assertEqual(refstore.encode_tag("Node"),
                         int.from_bytes(b"Node", "little"))
        for bad in ("123456789", -1, 1 << 64, 1.5, "a\0b"):
            with self.assertRaises(ValueError):
                refstore.encode_tag(bad)

    def test_decode_tag(self):
        for t in ("Node", "MyObject", "x", 0, 1, 0xFFFFFFFFFFFFFFFF):
            self.assertEqual(refstore.decode_tag(refstore.encode_tag(t)), t)


class HeapTest(unittest.TestCase):
    def test_heap_init(self):
        heap, dev = fake_heap()
        self.assertEqual(dev.calls[0][0], "VERSION")
        self.assertEqual(heap.version, 1)
        self.assertIsInstance(heap.gc, refstore.GC)
        self.assertIn("Heap", repr(heap))

    def test_heap_features(self):
        heap, _ = fake_heap(features=(1 << 0) | (1 << 7) | (1 << 40))
        self.assertEqual(heap.features, {"objects", "gc", "bit40"})

    def test_heap_has_feature(self):
        heap, _ = fake_heap(features=1 << 3)
        self.assertTrue(heap.has_feature("weak"))
        self.assertFalse(heap.has_feature("gc"))
        with self.assertRaises(ValueError):
            heap.has_feature("teleport")

    def test_heap_require(self):
        heap, dev = fake_heap(features=1)
        heap.require("objects")
        n = len(dev.calls)
        for call in (heap.gc.collect, heap.gc.enable, heap.stats,
                     heap.get_limits, heap.poll_events, heap.gc.get_delay):
            with self.assertRaises(refstore.UnsupportedError):
                call()
        a = heap.new()
        with self.assertRaises(refstore.UnsupportedError):
            heap.weakref(a)
        # No unsupported ioctl reached the device.
        self.assertEqual([c[0] for c in dev.calls[n:]], ["CREATE"])

    def test_heap_close_closed(self):
        heap, dev = fake_heap()
        a = heap.new()
        self.assertFalse(heap.closed)
        heap.close()
        heap.close()
        self.assertTrue(dev.closed)
        self.assertTrue(heap.closed)
        self.assertTrue(a.closed)
        del a  # no CLOSE after the heap is gone
        self.assertNotIn("CLOSE", [c[0] for c in dev.calls])
        with self.assertRaises(ValueError):
            heap.new()

    def test_heap_del(self):
        # Dropping the last reference closes the heap at once: nothing in
        # the binding makes a cycle with it.
        heap, dev = fake_heap()
        a = heap.new()
        gc = heap.gc
        del heap
        self.assertFalse(dev.closed)  # a still holds it
        del a
        self.assertTrue(dev.closed)
        with self.assertRaises(ReferenceError):
            gc.collect()

    def test_heap_context(self):
        dev = FakeDevice()
        with refstore.Heap(device=dev) as heap:
            heap.new()
        self.assertTrue(dev.closed)

    def test_heap_fileno(self):
        heap, dev = fake_heap()
        self.assertEqual(heap.fileno(), dev.fd)
        heap.close()
        with self.assertRaises(ValueError):
            heap.fileno()

    def test_heap_new(self):
        heap, dev = fake_heap()
        a = heap.new(slots=3, tag="Node", payload=b"abc")
        c = U.Create.from_buffer_copy(dev.calls[1][1])
        self.assertEqual((c.size, c.flags, c.nslots, c.payload_size),
                         (ctypes.sizeof(U.Create), 0, 3, 3))
        self.assertEqual(c.tag, refstore.encode_tag("Node"))
        self.assertEqual(a.payload, b"abc")
        self.assertEqual(len(a), 3)
        b = heap.new(payload=16)
        self.assertEqual(b.payload, bytes(16))
        self.assertEqual(heap.new().payload, b"")
        with self.assertRaises(ValueError):
            heap.new(slots=-1)
        with self.assertRaises(ValueError):
            heap.new(tag="much too long")

    def test_heap_new_notify(self):
        heap, dev = fake_heap()
        heap.new(on_del=lambda e: None)
        heap.new(notify=True)
        heap.new(cookie=99)
        cs = [U.Create.from_buffer_copy(c[1]) for c in dev.calls
              if c[0] == "CREATE"]
        self.assertEqual([c.flags for c in cs], [U.CREATE_NOTIFY] * 3)
        self.assertEqual(len({c.cookie for c in cs}), 3)
        self.assertEqual(cs[2].cookie, 99)

    def test_heap_new_int(self):
        heap, _ = fake_heap()
        for v in (0, 1, -5, 1 << 62):
            o = heap.new_int(v)
            self.assertEqual(int(o), v)
            self.assertEqual(o.tag, "int")

    def test_heap_dup(self):
        heap, _ = fake_heap()
        a = heap.new()
        b = heap.dup(a)
        self.assertEqual(a, b)
        self.assertNotEqual(a.handle, b.handle)
        self.assertEqual(heap.getrefcount(a), 3)

    def test_heap_getrefcount(self):
        # The seed's sys.getrefcount sequence: 2, 3, 2.
        heap, _ = fake_heap()
        obj = heap.new()
        self.assertEqual(heap.getrefcount(obj), 2)
        another_ref = heap.dup(obj)
        self.assertEqual(heap.getrefcount(obj), 3)
        del another_ref
        self.assertEqual(heap.getrefcount(obj), 2)

    def test_heap_info(self):
        heap, _ = fake_heap()
        a = heap.new(slots=2, tag=7, payload=5, notify=True)
        i = heap.info(a)
        self.assertEqual((i.id, i.refcount, i.tag, i.payload_size, i.nslots,
                          i.notify, i.weakrefs, i.creator_pid),
                         (a.id, 1, 7, 5, 2, True, False, os.getpid()))
        self.assertIn("refcount=1", repr(i))

    def test_heap_weakref(self):
        heap, _ = fake_heap()
        a = heap.new()
        r = heap.weakref(a)
        self.assertTrue(heap.info(a).weakrefs)
        self.assertEqual(r(), a)
        self.assertEqual(heap.getrefcount(a), 2)  # r() was dropped already
        del a
        self.assertIsNone(r())
        self.assertIn("dead", repr(r))

    def test_heap_weakref_callback(self):
        heap, dev = fake_heap()
        seen = []
        a = heap.new()  # no notify needed: the kernel's weakref callback
        r = heap.weakref(a, callback=seen.append)
        self.assertEqual(r.callback, seen.append)
        sent = U.Weakref.from_buffer_copy(dev.calls[-1][1])
        self.assertEqual(sent.flags, U.WEAKREF_CALLBACK)
        self.assertNotEqual(sent.cookie, 0)
        del a
        self.assertEqual(seen, [r])
        self.assertIsNone(r())
        # A dropped WeakRef cancels its callback (as in weakref).
        c = heap.new()
        heap.weakref(c, callback=seen.append)
        self.assertEqual(dev.wcb, {})
        del c
        self.assertEqual(seen, [r])
        # A weak reference made from a weak one (WEAKREF_FROM_WEAK).
        d = heap.new()
        r1 = heap.weakref(d)
        r2 = heap.weakref(r1, callback=seen.append)
        sent = U.Weakref.from_buffer_copy(dev.calls[-1][1])
        self.assertEqual(sent.flags, U.WEAKREF_CALLBACK | U.WEAKREF_FROM_WEAK)
        self.assertEqual(r2(), d)
        del d
        self.assertEqual(seen, [r, r2])
        with self.assertRaises(FileNotFoundError):
            heap.weakref(r1)  # dead
        with self.assertRaises(TypeError):
            heap.weakref(42)
        with self.assertRaises(refstore.UnsupportedError):
            h2, _ = fake_heap(features=1 << U.FEATURES["weak"])
            h2.weakref(h2.new(), callback=print)

    def test_heap_weakref_order(self):
        # Counting: the object's on_del, then its callbacks newest first.
        heap, _ = fake_heap()
        seen = []
        a = heap.new(name="a", on_del=lambda e: seen.append(e.name))
        r1 = heap.weakref(a, callback=lambda r: seen.append("r1"))
        r2 = heap.weakref(a, callback=lambda r: seen.append("r2"))
        del a
        self.assertEqual(seen, ["a", "r2", "r1"])
        # A collection: every callback before any on_del.
        seen.clear()
        b = heap.new(slots=1, name="b", on_del=lambda e: seen.append(e.name))
        c = heap.new(slots=1, name="c", on_del=lambda e: seen.append(e.name))
        b[0], c[0] = c, b
        rb = heap.weakref(b, callback=lambda r: seen.append("rb"))
        rc = heap.weakref(c, callback=lambda r: seen.append("rc"))
        del b, c
        self.assertEqual(heap.gc.collect(), 2)
        self.assertEqual(sorted(seen[:2]), ["rb", "rc"])
        self.assertEqual(sorted(seen[2:]), ["b", "c"])
        del r1, r2, rb, rc

    def test_heap_finalize(self):
        heap, dev = fake_heap()
        seen = []
        a = heap.new()
        f = heap.finalize(a, seen.append, "a gone")
        del f  # the heap keeps it
        self.assertEqual(heap.getweakrefcount(a), 1)
        del a
        self.assertEqual(seen, ["a gone"])
        self.assertEqual(heap._finalizers, {})
        self.assertEqual(heap.stats()["weak_handles"], 0)
        # At heap close, those left run, newest first.
        b = heap.new()
        heap.finalize(b, seen.append, "b1")
        heap.finalize(b, seen.append, "b2")
        f3 = heap.finalize(b, seen.append, "b3")
        f3.atexit = False
        heap.close()
        self.assertEqual(seen, ["a gone", "b2", "b1"])

    def test_finalize_call_alive(self):
        heap, _ = fake_heap()
        a = heap.new()
        f = heap.finalize(a, lambda x, y=0: x + y, 1, y=2)
        self.assertTrue(f.alive)
        self.assertIn("alive", repr(f))
        self.assertEqual(f(), 3)
        self.assertFalse(f.alive)
        self.assertIsNone(f())
        self.assertEqual(heap.getweakrefcount(a), 0)

    def test_finalize_peek_detach(self):
        heap, _ = fake_heap()
        seen = []
        a = heap.new()
        f = heap.finalize(a, seen.append, 1)
        obj, fn, args, kwargs = f.peek()
        self.assertEqual((obj, fn, args, kwargs), (a, seen.append, (1,), {}))
        del obj
        self.assertEqual(f.detach()[1:], (seen.append, (1,), {}))
        self.assertIsNone(f.detach())
        self.assertIsNone(f.peek())
        del a
        self.assertEqual(seen, [])

    def test_heap_getweakrefcount(self):
        heap, dev = fake_heap()
        a = heap.new()
        b = heap.new(slots=2)
        self.assertEqual(heap.getweakrefcount(a), 0)
        r = heap.weakref(a)
        b[1] = refstore.weak(a)
        self.assertEqual(heap.getweakrefcount(a), 2)
        self.assertEqual(heap.getrefcount(a), 2)  # neither counts
        del r
        self.assertEqual(heap.getweakrefcount(a), 1)
        with self.assertRaises(refstore.UnsupportedError):
            h2, _ = fake_heap(features=1)
            h2.getweakrefcount(h2.new())

    def test_heap_getweakrefs(self):
        heap, dev = fake_heap()
        a = heap.new()
        b = heap.new(slots=2)
        self.assertEqual(heap.getweakrefs(a), [])
        r = heap.weakref(a)
        f = heap.finalize(a, print)
        b[1] = refstore.weak(a)
        es = heap.getweakrefs(a)
        self.assertEqual([e.kind for e in es], ["handle", "handle", "slot"])
        self.assertIs(es[0].ref, f)
        self.assertTrue(es[0].callback)
        self.assertIs(es[1].ref, r)
        self.assertFalse(es[1].callback)
        self.assertEqual((es[2].owner_id, es[2].slot, es[2].ref),
                         (b.id, 1, None))
        self.assertIn("slot 1", repr(es[2]))
        self.assertIn("callback", repr(es[0]))
        # Pages of REFSTORE_WEAKREFS_PAGE entries.
        many = [heap.weakref(a) for _ in range(U.WEAKREFS_PAGE + 10)]
        self.assertEqual(len(heap.getweakrefs(a)), U.WEAKREFS_PAGE + 13)
        del many
        f.detach()

    def test_object_is_weak(self):
        heap, dev = fake_heap()
        parent = heap.new(slots=1, name="parent", notify=True)
        child = heap.new(slots=1)
        parent[0] = child
        child[0] = refstore.weak(parent)
        sent = U.SetSlot.from_buffer_copy(dev.calls[-1][1])
        self.assertEqual(sent.flags, U.SLOT_WEAK)
        self.assertTrue(child.is_weak(0))
        self.assertFalse(parent.is_weak(0))
        self.assertEqual(child[0], parent)
        self.assertEqual(heap.getrefcount(parent), 2)
        # No cycle: dropping the parent frees it by counting, and the
        # child's weak slot reads None.
        keep = child
        del parent, child
        self.assertEqual(dev.objs[keep.id].refs, 1)
        self.assertIsNone(keep[0])
        self.assertTrue(keep.is_weak(0))
        # A WeakRef in a slot stores a weak reference too.
        x = heap.new()
        keep[0] = heap.weakref(x)
        self.assertTrue(keep.is_weak(0))
        self.assertEqual(keep[0], x)
        keep[0] = x
        self.assertFalse(keep.is_weak(0))
        keep[0] = None
        self.assertFalse(keep.is_weak(0))
        with self.assertRaises(TypeError):
            refstore.weak(3)
        self.assertIn("refstore.weak", repr(refstore.weak(x)))
        with self.assertRaises(refstore.UnsupportedError):
            h2, _ = fake_heap(features=1)
            h2.new(slots=1)[0] = refstore.weak(h2.new())

    def test_weakvaluedictionary_getitem_setitem_delitem_len(self):
        heap, _ = fake_heap()
        d = refstore.WeakValueDictionary(heap)
        a, b = heap.new(), heap.new()
        d["a"] = a
        d["b"] = b
        self.assertEqual(len(d), 2)
        self.assertEqual(d["a"], a)
        self.assertEqual(heap.getrefcount(a), 2)
        self.assertEqual(sorted(d), ["a", "b"])
        del a  # its callback removes the entry
        self.assertEqual(list(d), ["b"])
        with self.assertRaises(KeyError):
            d["a"]
        d["b"] = heap.new()  # replaced: b's weak handle goes
        self.assertEqual(heap.getweakrefcount(b), 0)
        self.assertEqual(len(d), 0)  # the new value died at once
        d["b"] = b
        del d["b"]
        self.assertEqual(heap.getweakrefcount(b), 0)
        self.assertIn("0 entries", repr(d))
        d2 = refstore.WeakValueDictionary(heap, {"x": b})
        self.assertEqual(d2.get("x"), b)
        self.assertIsNone(d2.get("y"))

    def test_heap_stats(self):
        heap, _ = fake_heap()
        a = heap.new()
        s = heap.stats()
        self.assertEqual(s["objects"], 1)
        a.close()
        self.assertEqual(s["handles"], 1)
        self.assertNotIn("size", s)
        self.assertNotIn("_reserved", s)

    def test_heap_get_limits(self):
        heap, _ = fake_heap()
        self.assertEqual(heap.get_limits()["max_slots"], 4096)
        self.assertEqual(set(heap.get_limits()), set(refstore.Heap._LIMITS))

    def test_heap_set_limits(self):
        heap, dev = fake_heap()
        heap.set_limits(max_objects=10)
        self.assertEqual(dev.limits["max_objects"], 10)
        self.assertEqual(dev.limits["max_bytes"], 0)
        self.assertEqual(dev.limits_flags, 0)
        heap.set_limits(raise_limits=True, max_slots=9)
        self.assertEqual(dev.limits_flags, U.LIMITS_RAISE)
        with self.assertRaises(TypeError):
            heap.set_limits(max_cats=1)

    def test_heap_poll_events(self):
        heap, dev = fake_heap(autopoll=False)
        seen = []
        a = heap.new(name="a", on_del=seen.append)
        b = heap.new(notify=True, cookie=5)
        c = heap.new()  # no event
        del a, b, c
        self.assertEqual(seen, [])
        evs = heap.poll_events()
        self.assertEqual([(e.name, e.cause) for e in evs],
                         [("a", "released"), (None, "released")])
        self.assertEqual(evs[1].cookie, 5)
        self.assertEqual(seen, [evs[0]])
        self.assertIn("released", repr(evs[0]))
        self.assertEqual(heap.poll_events(), [])
        self.assertEqual(heap.poll_events(timeout=1), [])

    def test_heap_poll_events_overflow(self):
        heap, dev = fake_heap()
        dev.events.append(U.Event(cause=U.CAUSE_OVERFLOW, count=7))
        evs = heap.poll_events()
        self.assertEqual(evs[0].cause, "overflow")
        self.assertEqual(heap.events_lost, 7)

    def test_heap_events(self):
        heap, dev = fake_heap(autopoll=False)
        objs = [heap.new(name=str(i), notify=True) for i in range(100)]
        del objs
        names = [e.name for e in heap.events(timeout=0.1)]
        self.assertEqual(sorted(names, key=int), [str(i) for i in range(100)])

    def test_autopoll(self):
        # The seed's linked list: dropping the root frees the chain, and
        # each node's on_del runs before the assignment statement ends.
        heap, _ = fake_heap()
        dead = []

        def node(v):
            return heap.new(slots=1, tag="Node", name=v,
                            on_del=lambda e: dead.append(e.name))
        head, second, third = node(1), node(2), node(3)
        head[0] = second
        second[0] = third
        del second, third
        self.assertEqual(dead, [])
        head = None
        self.assertEqual(dead, [1, 2, 3])


class ObjectTest(unittest.TestCase):
    def test_object_heap(self):
        heap, _ = fake_heap()
        self.assertIs(heap.new().heap, heap)

    def test_object_handle(self):
        heap, _ = fake_heap()
        a = heap.new()
        self.assertGreater(a.handle, 0)
        a.close()
        self.assertEqual(a.handle, 0)

    def test_object_closed(self):
        heap, _ = fake_heap()
        a = heap.new()
        self.assertFalse(a.closed)
        a.close()
        self.assertTrue(a.closed)
        with self.assertRaises(ValueError):
            a.info()

    def test_object_close(self):
        heap, dev = fake_heap()
        a = heap.new()
        h = a.handle
        a.close()
        a.close()
        closes = [U.Close.from_buffer_copy(c[1]).handle for c in dev.calls
                  if c[0] == "CLOSE"]
        self.assertEqual(closes, [h])

    def test_object_del(self):
        # Dropping the wrapper closes its handle: the object dies.
        heap, dev = fake_heap()
        a = heap.new()
        self.assertEqual(len(dev.objs), 1)
        del a
        self.assertEqual(len(dev.objs), 0)
        self.assertEqual(dev.handles, {})

    def test_object_context(self):
        heap, dev = fake_heap()
        with heap.new() as a:
            self.assertEqual(len(dev.objs), 1)
        self.assertTrue(a.closed)
        self.assertEqual(len(dev.objs), 0)

    def test_object_dup(self):
        heap, _ = fake_heap()
        a = heap.new()
        b = a.dup()
        a.close()
        self.assertEqual(heap.getrefcount(b), 2)

    def test_object_info(self):
        heap, _ = fake_heap()
        a = heap.new(tag="x")
        self.assertEqual(a.info().tag, "x")

    def test_object_tag(self):
        heap, _ = fake_heap()
        self.assertEqual(heap.new(tag="Node").tag, "Node")
        self.assertEqual(heap.new(tag=3).tag, 3)
        self.assertEqual(heap.new().tag, 0)

    def test_object_len(self):
        heap, _ = fake_heap()
        self.assertEqual(len(heap.new(slots=5)), 5)

    def test_object_getitem(self):
        heap, _ = fake_heap()
        a, b = heap.new(slots=2), heap.new()
        a[1] = b
        self.assertIsNone(a[0])
        got = a[1]
        self.assertEqual(got, b)
        self.assertNotEqual(got.handle, b.handle)  # a new handle
        self.assertEqual(heap.getrefcount(b), 4)   # b, slot, got, +1
        with self.assertRaises(OSError):
            a[2]
        with self.assertRaises(IndexError):
            a[-1]

    def test_object_setitem(self):
        heap, dev = fake_heap()
        a, b = heap.new(slots=1), heap.new()
        a[0] = b
        self.assertEqual(heap.getrefcount(b), 3)
        a[0] = None
        s = U.SetSlot.from_buffer_copy(dev.calls[-1][1])
        self.assertEqual((s.handle, s.slot, s.target), (a.handle, 0, 0))
        self.assertEqual(heap.getrefcount(b), 2)
        a[0] = a  # a self-reference is fine
        with self.assertRaises(TypeError):
            a[0] = 5
        other, _ = fake_heap()
        with self.assertRaises(TypeError):
            a[0] = other.new()

    def test_object_delitem(self):
        heap, _ = fake_heap()
        a, b = heap.new(slots=1), heap.new()
        a[0] = b
        del a[0]
        self.assertIsNone(a[0])

    def test_object_read(self):
        heap, _ = fake_heap()
        a = heap.new(payload=b"hello world")
        self.assertEqual(a.read(5), b"hello")
        self.assertEqual(a.read(offset=6), b"world")
        self.assertEqual(a.read(0), b"")
        with self.assertRaises(OSError):
            a.read(100)

    def test_object_write(self):
        heap, _ = fake_heap()
        a = heap.new(payload=8)
        a.write(b"xy", offset=3)
        self.assertEqual(a.read(), b"\0\0\0xy\0\0\0")
        a.write(bytearray(b"ab"))
        self.assertEqual(a.read(2), b"ab")

    def test_object_payload(self):
        heap, _ = fake_heap()
        a = heap.new(payload=4)
        a.payload = b"abcd"
        self.assertEqual(a.payload, b"abcd")

    def test_object_int(self):
        heap, _ = fake_heap()
        self.assertEqual(int(heap.new_int(-3)), -3)

    def test_object_eq_hash(self):
        heap, _ = fake_heap()
        a = heap.new()
        b = a.dup()
        c = heap.new()
        self.assertEqual(a, b)
        self.assertNotEqual(a, c)
        self.assertEqual(len({a, b, c}), 2)
        self.assertNotEqual(a, 1)

    def test_object_repr(self):
        heap, _ = fake_heap()
        self.assertIn("refstore.Object id=1", repr(heap.new()))


class WeakRefTest(unittest.TestCase):
    def test_weakref_call(self):
        heap, _ = fake_heap()
        a = heap.new()
        r = heap.weakref(a)
        self.assertEqual(r(), a)
        a.close()
        self.assertIsNone(r())

    def test_weakref_handle(self):
        heap, dev = fake_heap()
        r = heap.weakref(heap.new())
        self.assertTrue(dev.handles[r.handle][1])

    def test_weakref_close(self):
        heap, dev = fake_heap()
        a = heap.new()
        r = heap.weakref(a)
        r.close()
        r.close()
        self.assertEqual(r.handle, 0)
        self.assertIsNone(r())
        self.assertEqual(heap.stats()["weak_handles"], 0)

    def test_weakref_del(self):
        heap, _ = fake_heap()
        a = heap.new()
        r = heap.weakref(a)
        del r
        self.assertEqual(heap.stats()["weak_handles"], 0)


class GCTest(unittest.TestCase):
    def test_gc_enable_disable_isenabled(self):
        heap, _ = fake_heap()
        self.assertTrue(heap.gc.isenabled())
        heap.gc.disable()
        self.assertFalse(heap.gc.isenabled())
        heap.gc.enable()
        self.assertTrue(heap.gc.isenabled())

    def test_gc_collect(self):
        # The seed's obj1/obj2 cycle.
        heap, _ = fake_heap()
        out = []
        obj1 = heap.new(slots=1, name="obj1",
                        on_del=lambda e: out.append(e.name))
        obj2 = heap.new(slots=1, name="obj2",
                        on_del=lambda e: out.append(e.name))
        obj1[0] = obj2
        obj2[0] = obj1
        del obj1, obj2
        self.assertEqual(out, [])
        self.assertEqual(heap.gc.collect(), 2)
        self.assertEqual(out, ["obj1", "obj2"])
        self.assertEqual(heap.gc.collect(0), 0)
        with self.assertRaises(ValueError):
            heap.gc.collect(3)

    def test_gc_get_stats(self):
        heap, _ = fake_heap()
        heap.gc.collect()
        st = heap.gc.get_stats()
        self.assertEqual(len(st), 3)
        self.assertEqual(st[2], {"collections": 1, "collected": 0,
                                 "uncollectable": 0})

    def test_gc_get_stats_ex(self):
        heap, _ = fake_heap()
        st = heap.gc.get_stats_ex()
        self.assertEqual(set(st), {"gen", "pause_total_ns", "pause_max_ns",
                                   "examined", "automatic", "garbage"})

    def test_gc_get_count(self):
        heap, _ = fake_heap()
        self.assertEqual(heap.gc.get_count(), (3, 2, 1))

    def test_gc_get_threshold(self):
        heap, _ = fake_heap()
        self.assertEqual(heap.gc.get_threshold(), (700, 10, 10))

    def test_gc_set_threshold(self):
        heap, _ = fake_heap()
        heap.gc.set_threshold(100)
        self.assertEqual(heap.gc.get_threshold(), (100, 10, 10))
        heap.gc.set_threshold(1, 2, 3)
        self.assertEqual(heap.gc.get_threshold(), (1, 2, 3))
        with self.assertRaises(ValueError):
            heap.gc.set_threshold(-1)

    def test_gc_freeze_unfreeze_get_freeze_count(self):
        heap, _ = fake_heap()
        a = heap.new()
        heap.gc.freeze()
        self.assertEqual(heap.gc.get_freeze_count(), 1)
        a.close()
        heap.gc.unfreeze()
        self.assertEqual(heap.gc.get_freeze_count(), 0)

    def test_gc_set_debug_get_debug(self):
        heap, _ = fake_heap()
        heap.gc.set_debug(heap.gc.DEBUG_SAVEALL | heap.gc.DEBUG_STATS)
        self.assertEqual(heap.gc.get_debug(), 3)
        with self.assertRaises(OSError):
            heap.gc.set_debug(1 << 5)

    def test_gc_garbage(self):
        heap, _ = fake_heap()
        self.assertEqual(heap.gc.garbage, [])
        heap.gc.set_debug(heap.gc.DEBUG_SAVEALL)
        a, b = heap.new(slots=1), heap.new(slots=1)
        a[0], b[0] = b, a
        ids = {a.id, b.id}
        del a, b
        self.assertEqual(heap.gc.collect(), 2)
        g = heap.gc.garbage
        self.assertEqual({o.id for o in g}, ids)
        with self.assertRaises(TypeError):
            del g[0]
        del g[:]
        self.assertEqual(heap.gc.garbage, [])

    def test_gc_garbage_pages(self):
        # More than one call's SNAPSHOT_MAX: the binding pages by cursor.
        heap, _ = fake_heap()
        heap.gc.set_debug(heap.gc.DEBUG_SAVEALL)
        n = U.SNAPSHOT_MAX + 3
        for _ in range(n):
            a = heap.new(slots=1)
            a[0] = a
            del a
        self.assertEqual(heap.gc.collect(), n)
        g = heap.gc.garbage
        self.assertEqual(len({o.id for o in g}), n)

    def test_gc_clear_garbage(self):
        heap, dev = fake_heap()
        heap.gc.set_debug(heap.gc.DEBUG_SAVEALL)
        a = heap.new(slots=1)
        a[0] = a
        del a
        heap.gc.collect()
        heap.gc.garbage.clear()
        self.assertEqual(heap.gc.get_stats_ex()["garbage"], 0)
        heap.gc.collect()
        heap.gc.clear_garbage()
        self.assertEqual(heap.gc.get_stats_ex()["garbage"], 0)
        # Cleared, the cycle is garbage again for a collection without
        # SAVEALL.
        heap.gc.set_debug(0)
        self.assertEqual(heap.gc.collect(), 1)
        self.assertEqual(dev.objs, {})

    def test_gc_set_delay_get_delay(self):
        heap, _ = fake_heap()
        self.assertEqual(heap.gc.get_delay(), 200)
        heap.gc.set_delay(0)
        self.assertEqual(heap.gc.get_delay(), 0)
        with self.assertRaises(OSError):
            heap.gc.set_delay(60001)


class ObsTest(unittest.TestCase):
    """heap.tracemalloc, gc.get_objects/referents/referrers, callbacks."""

    def test_heap_from_id(self):
        heap, _ = fake_heap()
        a = heap.new()
        b = heap.from_id(a.id)
        self.assertEqual(b, a)
        self.assertNotEqual(b.handle, a.handle)
        self.assertEqual(heap.getrefcount(a), 3)
        self.assertIsNone(heap.from_id(12345))

    def test_gc_get_objects(self):
        heap, _ = fake_heap()
        a, b = heap.new(), heap.new(slots=1)
        b[0] = heap.new()
        objs = heap.gc.get_objects()
        self.assertEqual([o.id for o in objs], [a.id, b.id, b[0].id])
        self.assertEqual(len(heap.gc.get_objects(generation=2)), 3)
        self.assertEqual(heap.gc.get_objects(generation=0), [])
        with self.assertRaises(ValueError):
            heap.gc.get_objects(generation=4)
        many = [heap.new() for _ in range(U.SNAPSHOT_MAX + 5)]
        self.assertEqual(len(heap.gc.get_objects()), U.SNAPSHOT_MAX + 8)
        del many

    def test_gc_get_referents(self):
        heap, _ = fake_heap()
        a, b = heap.new(slots=20), heap.new()
        a[3] = b
        a[19] = a
        self.assertEqual(heap.gc.get_referents(a), [b, a])
        self.assertEqual(heap.gc.get_referents(b), [])
        self.assertEqual(heap.gc.get_referents(a, a), [b, a, b, a])

    def test_gc_get_referrers(self):
        heap, _ = fake_heap()
        a, b, c = heap.new(slots=2), heap.new(slots=1), heap.new()
        a[0] = a[1] = c
        b[0] = c
        self.assertEqual(heap.gc.get_referrers(c), [a, b])
        self.assertEqual(heap.gc.get_referrers(a), [])
        self.assertEqual(heap.gc.get_referrers(c, a), [a, b])

    def test_gc_callbacks(self):
        heap, dev = fake_heap()
        seen = []
        heap.gc.callbacks.append(lambda p, i: seen.append((p, i)))
        self.assertEqual(dev.gc["debug"], U.GC_DEBUG_CALLBACKS)
        self.assertEqual(heap.gc.get_debug(), 0)
        heap.gc.set_debug(heap.gc.DEBUG_STATS)
        self.assertEqual(dev.gc["debug"],
                         U.GC_DEBUG_CALLBACKS | U.GC_DEBUG_STATS)
        heap.gc.set_debug(0)
        a = heap.new(slots=1)
        a[0] = a
        del a
        heap.gc.collect()
        self.assertEqual(seen, [
            ("start", {"generation": 2, "collected": 0, "uncollectable": 0}),
            ("stop", {"generation": 2, "collected": 1, "uncollectable": 0})])
        heap.gc.callbacks.clear()
        self.assertEqual(dev.gc["debug"], 0)
        heap.gc.callbacks += [print]
        self.assertEqual(dev.gc["debug"], U.GC_DEBUG_CALLBACKS)
        del heap.gc.callbacks[0]
        self.assertEqual(dev.gc["debug"], 0)

    def test_tracemalloc_start_is_tracing(self):
        heap, _ = fake_heap()
        heap.tracemalloc.start()
        self.assertTrue(heap.tracemalloc.is_tracing())
        h2, _ = fake_heap(features=1)
        self.assertFalse(h2.tracemalloc.is_tracing())
        with self.assertRaises(refstore.UnsupportedError):
            h2.tracemalloc.start()

    def test_tracemalloc_get_traced_memory_get_traced_objects_reset_peak(self):
        heap, dev = fake_heap()
        objs = [heap.new(payload=36) for _ in range(10)]
        self.assertEqual(heap.tracemalloc.get_traced_memory(), (1000, 1000))
        self.assertEqual(heap.tracemalloc.get_traced_objects(), (10, 10))
        del objs[5:]
        self.assertEqual(heap.tracemalloc.get_traced_memory(), (500, 1000))
        heap.tracemalloc.reset_peak()
        self.assertEqual(heap.tracemalloc.get_traced_objects(), (5, 5))

    def test_tracemalloc_name_tag_take_snapshot(self):
        heap, _ = fake_heap()
        cells = [heap.new(tag="cell", payload=8) for _ in range(3)]
        node = heap.new(tag="Node", slots=4)
        heap.new(tag="gone")
        heap.tracemalloc.name_tag(7, "seed.py:42")
        n7 = heap.new(tag=7, payload=1000)
        with self.assertRaises(OSError):
            heap.tracemalloc.name_tag(8, "x" * 64)
        snap = heap.tracemalloc.take_snapshot()
        self.assertEqual((snap.objects, snap.size), (5, 1064 + 96 + 3 * 72))
        self.assertEqual(snap.peak_objects, 5)
        self.assertGreaterEqual(snap.peak_size, snap.size)
        self.assertIsInstance(snap, refstore.Snapshot)
        del cells, node, n7

    @staticmethod
    def _tagged_heap():
        """3 cells, one object of tag 7 named seed.py:42, one gone."""
        heap, _ = fake_heap()
        cells = [heap.new(tag="cell", payload=8) for _ in range(3)]
        heap.tracemalloc.name_tag(7, "seed.py:42")
        n7 = heap.new(tag=7, payload=1000)
        heap.new(tag="gone")
        return heap, cells, n7

    def test_snapshot_statistics(self):
        heap, cells, n7 = self._tagged_heap()
        snap = heap.tracemalloc.take_snapshot()
        stats = snap.statistics("tag")
        self.assertEqual([(s.name, s.count, s.size) for s in stats],
                         [("seed.py:42", 1, 1064), ("cell", 3, 216)])
        self.assertEqual(str(stats[1]),
                         "cell: size=216 B, count=3, average=72 B")
        self.assertEqual(stats[1].created, 3)
        self.assertIn("cell", repr(stats[1]))
        self.assertEqual(snap.statistics("lineno")[0].name, "seed.py:42")
        by = snap.statistics("creator")
        self.assertEqual((by[0].pid, by[0].count, by[0].name),
                         (os.getpid(), 4, "python3"))
        self.assertEqual(snap.statistics("filename")[0].count, 4)
        with self.assertRaises(ValueError):
            snap.statistics("traceback")
        del cells, n7
        # The snapshot does not change afterwards.
        self.assertEqual(snap.statistics()[1].count, 3)

    def test_snapshot_compare_to(self):
        heap, cells, n7 = self._tagged_heap()
        old = heap.tracemalloc.take_snapshot()
        del n7
        cells += [heap.new(tag="cell", payload=8) for _ in range(2)]
        node = heap.new(tag="Node", slots=4)
        new = heap.tracemalloc.take_snapshot()
        diffs = new.compare_to(old, "tag")
        # biggest change first: the group gone, then the growth
        self.assertEqual([(d.name, d.size, d.size_diff, d.count, d.count_diff)
                          for d in diffs],
                         [("seed.py:42", 0, -1064, 0, -1),
                          ("cell", 360, 144, 5, 2),
                          ("Node", 96, 96, 1, 1)])
        self.assertIsInstance(diffs[0], refstore.StatisticDiff)
        self.assertEqual(diffs[0].traceback, "seed.py:42")
        self.assertEqual(diffs[0].key, 7)
        self.assertEqual(str(diffs[1]),
                         "cell: size=360 B (+144 B), count=5 (+2), "
                         "average=72 B")
        self.assertEqual(str(diffs[0]),
                         "seed.py:42: size=0 B (-1064 B), count=0 (-1)")
        self.assertIn("+144 B", repr(diffs[1]))
        self.assertEqual([d.name for d in new.compare_to(old, "lineno")],
                         ["seed.py:42", "cell", "Node"])
        # by creator: one group, 4 objects then 6, 824 bytes fewer
        by = new.compare_to(old, "creator", cumulative=True)
        self.assertEqual([(d.count, d.count_diff, d.size_diff) for d in by],
                         [(6, 2, 96 + 144 - 1064)])
        self.assertEqual(by[0].pid, os.getpid())
        # against itself: no change, ordered by size then count
        same = new.compare_to(new)
        self.assertEqual([(d.name, d.size_diff, d.count_diff) for d in same],
                         [("cell", 0, 0), ("Node", 0, 0)])
        self.assertEqual(str(same[1]),
                         "Node: size=96 B (+0 B), count=1 (+0), average=96 B")
        with self.assertRaises(ValueError):
            new.compare_to(old, "traceback")
        del cells, node

    def test_statisticdiff_sort_order(self):
        # tracemalloc's key: abs(size_diff), size, abs(count_diff), count
        class S:
            other = False
            pid = 0

            def __init__(self, key):
                self.key, self.name = key, "k%d" % key
        d = [refstore.StatisticDiff(S(1), 100, -50, 1, -1),
             refstore.StatisticDiff(S(2), 200, 50, 2, 1),
             refstore.StatisticDiff(S(3), 200, 50, 3, -2),
             refstore.StatisticDiff(S(4), 200, 50, 3, 2),
             refstore.StatisticDiff(S(5), 10, 60, 1, 1)]
        d.sort(key=refstore.StatisticDiff._sort_key, reverse=True)
        self.assertEqual([x.key for x in d], [5, 4, 3, 2, 1])


class ApiTest(unittest.TestCase):
    """Every public function is documented and has a test."""

    def _public(self):
        for name in refstore.__all__:
            obj = getattr(refstore, name)
            if inspect.isclass(obj):
                yield name, obj
                for attr, member in vars(obj).items():
                    if attr.startswith("_") and attr not in (
                            "__call__", "__getitem__", "__setitem__",
                            "__delitem__", "__len__", "__int__"):
                        continue
                    if callable(member) or isinstance(member, property):
                        yield "%s.%s" % (name, attr), member
            elif callable(obj):
                yield name, obj

    def test_docstrings(self):
        missing = [n for n, m in self._public()
                   if not (getattr(m, "__doc__", None) or "").strip()
                   and not n.endswith(("__getitem__", "__setitem__",
                                       "__delitem__", "__len__", "__call__"))]
        self.assertEqual(missing, [])

    def test_every_public_function_has_a_test(self):
        here = os.path.dirname(os.path.abspath(__file__))
        names = set()
        for f in ("test_binding.py", "test_kernel.py"):
            with open(os.path.join(here, f)) as fh:
                names |= set(l.split("def ")[1].split("(")[0]
                             for l in fh if l.strip().startswith("def test_"))
        untested = []
        for n, m in self._public():
            cls, _, attr = n.partition(".")
            if not attr:
                if inspect.isclass(m):
                    continue  # a class: its members are checked
                prefix, attr = "test_", cls
            else:
                prefix, attr = "test_%s_" % cls.lower(), attr.strip("_")
            if not any(t.startswith(prefix) and attr in t[len(prefix) - 1:]
                       for t in names):
                untested.append(n)
        self.assertEqual(untested, [])
