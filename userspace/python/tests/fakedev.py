# SPDX-License-Identifier: GPL-2.0
"""A model of /dev/refstore in Python, for the binding's host tests.

It implements the ioctls the binding uses with the uapi's documented
semantics at the level the binding relies on (handles, counts, slots,
payloads, weak handles, death events, a full collection that frees what no
handle reaches, SAVEALL), and records every call so tests can check what
the binding sent. It is not the collector: `make hostcheck` tests that
against CPython separately.
"""

import ctypes
import errno
import os

import refstore
from refstore import _uapi as U


class _Obj:
    def __init__(self, oid, c):
        self.id = oid
        self.tag = c.tag
        self.payload = bytearray(c.payload_size)
        self.slots = [None] * c.nslots
        self.refs = 0
        self.notify = bool(c.flags & U.CREATE_NOTIFY)
        self.cookie = c.cookie
        self.alive = True
        self.weak = 0


def _fail(err):
    raise OSError(err, os.strerror(err))


class FakeDevice:
    """Stands in for refstore._Device (see refstore.Heap's device=)."""

    def __init__(self, features=None):
        self.features = (sum(1 << b for b in U.FEATURES.values())
                         if features is None else features)
        self.fd = -1
        self.calls = []
        self.handles = {}   # handle -> (obj, weak)
        self.next_handle = 1
        self.next_id = 1
        self.events = []
        self.objs = {}      # id -> every allocated object
        self.garbage = []
        self.gc = {"enabled": 1, "debug": 0, "frozen": 0, "delay": 200,
                   "threshold": [700, 10, 10], "stats": [[0, 0, 0]] * 3}
        self.gc["stats"] = [[0, 0, 0] for _ in range(3)]
        self.closed = False
        self.fail_next = None  # errno the next ioctl fails with

    # -- the _Device interface

    def ioctl(self, request, arg):
        name = refstore._NAMES[request]
        self.calls.append((name, bytes(arg)))
        assert arg.size == ctypes.sizeof(arg), "size not set"
        if self.fail_next:
            err, self.fail_next = self.fail_next, None
            _fail(err)
        getattr(self, "do_" + name.lower())(arg)

    def read(self, size):
        if not self.events:
            raise BlockingIOError(errno.EAGAIN, "no events")
        n = size // ctypes.sizeof(U.Event)
        out, self.events = self.events[:n], self.events[n:]
        return b"".join(bytes(e) for e in out)

    def wait(self, timeout):
        return bool(self.events)

    def close(self):
        self.closed = True

    # -- helpers

    def _get(self, h, weak=False):
        if h not in self.handles:
            _fail(errno.ENOENT)
        obj, w = self.handles[h]
        if w != weak:
            _fail(errno.EBADSLT)
        return obj

    def _new_handle(self, obj, weak=False):
        h = self.next_handle
        self.next_handle += 1
        self.handles[h] = (obj, weak)
        if weak:
            obj.weak += 1
        else:
            obj.refs += 1
        return h

    def _put(self, obj, cause=U.CAUSE_RELEASED):
        obj.refs -= 1
        if obj.refs == 0:
            self._free(obj, cause)

    def _free(self, obj, cause):
        obj.alive = False
        del self.objs[obj.id]
        if obj.notify:
            self.events.append(U.Event(cookie=obj.cookie, id=obj.id,
                                       cause=cause, count=1))
        slots, obj.slots = obj.slots, []
        for t in slots:
            if t is not None:
                self._put(t, cause)

    # -- commands

    def do_version(self, a):
        a.version = 1
        a.features = self.features

    def do_create(self, a):
        obj = _Obj(self.next_id, a)
        self.objs[obj.id] = obj
        self.next_id += 1
        a.handle = self._new_handle(obj)
        a.id = obj.id

    def do_dup(self, a):
        a.new_handle = self._new_handle(self._get(a.handle))

    def do_close(self, a):
        if a.handle not in self.handles:
            _fail(errno.ENOENT)
        obj, weak = self.handles.pop(a.handle)
        if weak:
            obj.weak -= 1
        else:
            self._put(obj)

    def do_set_slot(self, a):
        obj = self._get(a.handle)
        t = self._get(a.target) if a.target else None
        if a.slot >= len(obj.slots):
            _fail(errno.EINVAL)
        if t is not None:
            t.refs += 1
        old, obj.slots[a.slot] = obj.slots[a.slot], t
        if old is not None:
            self._put(old)

    def do_get_slot(self, a):
        obj = self._get(a.handle)
        if a.slot >= len(obj.slots):
            _fail(errno.EINVAL)
        t = obj.slots[a.slot]
        a.target = self._new_handle(t) if t else 0
        a.target_id = t.id if t else 0

    def _rw(self, a):
        obj = self._get(a.handle)
        if a.offset + a.length > len(obj.payload):
            _fail(errno.EINVAL)
        return obj

    def do_write(self, a):
        obj = self._rw(a)
        obj.payload[a.offset:a.offset + a.length] = ctypes.string_at(
            a.data, a.length)

    def do_read(self, a):
        obj = self._rw(a)
        ctypes.memmove(a.data, bytes(obj.payload[a.offset:a.offset + a.length]),
                       a.length)

    def do_info(self, a):
        obj = self._get(a.handle)
        a.refcount = obj.refs
        a.id = obj.id
        a.tag = obj.tag
        a.payload_size = len(obj.payload)
        a.nslots = len(obj.slots)
        a.obj_flags = (U.OBJ_NOTIFY if obj.notify else 0) | \
            (U.OBJ_WEAKREFS if obj.weak else 0)
        a.creator_pid = os.getpid()

    def do_weakref(self, a):
        a.weak = self._new_handle(self._get(a.handle), weak=True)

    def do_upgrade(self, a):
        obj = self._get(a.weak, weak=True)
        if not obj.alive:
            _fail(errno.ENOENT)
        a.handle = self._new_handle(obj)

    def do_get_limits(self, a):
        a.max_objects, a.max_bytes = 1 << 20, 64 << 20
        a.max_payload, a.max_slots = 1 << 20, 4096
        a.max_handles, a.max_events = 1 << 20, 4096

    def do_set_limits(self, a):
        self.limits = {k: getattr(a, k) for k in refstore.Heap._LIMITS}
        self.limits_flags = a.flags

    def do_heap_stats(self, a):
        a.heap_id = 7
        a.objects = len(self.objs)
        a.handles = sum(1 for _, w in self.handles.values() if not w)
        a.weak_handles = sum(1 for _, w in self.handles.values() if w)
        a.created = self.next_id - 1
        a.events_pending = len(self.events)

    def do_gc_collect(self, a):
        if a.generation > 2:
            _fail(errno.EINVAL)
        # Everything reachable from handles and the garbage list lives.
        roots = [o for o, w in self.handles.values() if not w and o.alive]
        roots += self.garbage
        seen, stack = set(), list(roots)
        while stack:
            o = stack.pop()
            if id(o) in seen:
                continue
            seen.add(id(o))
            stack.extend(t for t in o.slots if t is not None)
        every = {id(o): o for o in self.objs.values()}
        dead = [o for k, o in every.items() if k not in seen]
        if self.gc["debug"] & U.GC_DEBUG_SAVEALL:
            for o in dead:
                o.refs += 1
                self.garbage.append(o)
        else:
            for o in dead:
                o.alive = False
                del self.objs[o.id]
            for o in dead:
                if o.notify:
                    self.events.append(U.Event(cookie=o.cookie, id=o.id,
                                               cause=U.CAUSE_CYCLE, count=1))
                o.slots = []
        st = self.gc["stats"][a.generation]
        st[0] += 1
        st[1] += len(dead)
        a.unreachable = len(dead)
        a.examined = len(every)

    def _value(self, a, must_zero=True):
        if must_zero and a.value:
            _fail(errno.EINVAL)

    def do_gc_enable(self, a):
        self._value(a)
        self.gc["enabled"] = 1

    def do_gc_disable(self, a):
        self._value(a)
        self.gc["enabled"] = 0

    def do_gc_isenabled(self, a):
        self._value(a)
        a.value = self.gc["enabled"]

    def do_gc_set_threshold(self, a):
        self.gc["threshold"] = list(a.threshold)

    def do_gc_get_threshold(self, a):
        a.threshold[:] = self.gc["threshold"]

    def do_gc_get_count(self, a):
        a.count[:] = [3, 2, 1]

    def do_gc_get_stats(self, a):
        for g, st in zip(a.gen, self.gc["stats"]):
            g.collections, g.collected, g.uncollectable = st
        a.garbage = len(self.garbage)

    def do_gc_freeze(self, a):
        self._value(a)
        self.gc["frozen"] = len(self.objs)

    def do_gc_unfreeze(self, a):
        self._value(a)
        self.gc["frozen"] = 0

    def do_gc_get_freeze_count(self, a):
        self._value(a)
        a.value = self.gc["frozen"]

    def do_gc_set_debug(self, a):
        if a.value & ~(U.GC_DEBUG_STATS | U.GC_DEBUG_SAVEALL):
            _fail(errno.EINVAL)
        self.gc["debug"] = a.value

    def do_gc_get_debug(self, a):
        self._value(a)
        a.value = self.gc["debug"]

    def do_gc_garbage(self, a):
        a.total = len(self.garbage)
        hs = [self._new_handle(o) for o in self.garbage[:a.capacity]]
        a.count = len(hs)
        if hs:
            arr = (U.u32 * len(hs)).from_address(a.handles)
            arr[:] = hs

    def do_gc_clear_garbage(self, a):
        self._value(a)
        g, self.garbage = self.garbage, []
        for o in g:
            self._put(o, U.CAUSE_CYCLE)

    def do_gc_set_delay(self, a):
        if a.value > 60000:
            _fail(errno.EINVAL)
        self.gc["delay"] = a.value

    def do_gc_get_delay(self, a):
        self._value(a)
        a.value = self.gc["delay"]
