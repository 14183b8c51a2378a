# SPDX-License-Identifier: GPL-2.0
"""A model of /dev/refstore in Python, for the binding's host tests.

It implements the ioctls the binding uses with the uapi's documented
semantics at the level the binding relies on (handles, counts, slots,
payloads, weak handles and weak slots, death events and weak reference
callbacks in the uapi's order, WEAKREF_COUNT/WEAKREFS, a full collection
that frees what no handle reaches, SAVEALL), and records every call so
tests can check what the binding sent. It is not the collector: `make
hostcheck` tests that against CPython separately.
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
        self.weakslots = set()   # indices of slots holding weak references
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
        self.wcb = {}          # weak handle -> cookie of its armed callback
        self.tags = {}         # tag -> [created, name or None], in order
        self.peak = [0, 0]     # objects, bytes

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

    def _weak_entries(self, obj):
        """obj's weak references, newest first: weak handles (newest
        first), then weak slots (a model: the kernel interleaves them)."""
        out = [(h, 0, 0) for h in sorted(self.handles, reverse=True)
               if self.handles[h] == (obj, True)]
        for o in self.objs.values():
            for i in sorted(o.weakslots):
                if o.slots[i] is obj:
                    out.append((0, o.id, i))
        return out

    def _callbacks(self, obj, cause):
        for h, _, _ in self._weak_entries(obj):
            cookie = self.wcb.pop(h, None)
            if cookie is not None:
                self.events.append(U.Event(cookie=cookie, id=obj.id,
                                           cause=cause, count=1))

    def _strong_slots(self, obj):
        return [t for i, t in enumerate(obj.slots)
                if t is not None and i not in obj.weakslots]

    def _free(self, obj, cause):
        obj.alive = False
        del self.objs[obj.id]
        if obj.notify:
            self.events.append(U.Event(cookie=obj.cookie, id=obj.id,
                                       cause=cause, count=1))
        self._callbacks(obj, U.CAUSE_WEAKREF if cause == U.CAUSE_RELEASED
                        else U.CAUSE_WEAKREF_CYCLE)
        strong = self._strong_slots(obj)
        obj.slots, obj.weakslots = [], set()
        for t in strong:
            self._put(t, cause)

    # -- commands

    def do_version(self, a):
        a.version = 1
        a.features = self.features

    @staticmethod
    def charge(obj):
        """What the model charges an object: 64 + payload + 8 a slot."""
        return 64 + len(obj.payload) + 8 * len(obj.slots)

    def _traced(self):
        objs = list(self.objs.values())
        return len(objs), sum(self.charge(o) for o in objs)

    def do_create(self, a):
        obj = _Obj(self.next_id, a)
        obj.bytes = 64 + a.payload_size + 8 * a.nslots
        self.objs[obj.id] = obj
        self.next_id += 1
        self.tags.setdefault(a.tag, [0, None])[0] += 1
        n, b = self._traced()
        self.peak = [max(self.peak[0], n), max(self.peak[1], b)]
        a.handle = self._new_handle(obj)
        a.id = obj.id

    def do_dup(self, a):
        a.new_handle = self._new_handle(self._get(a.handle))

    def do_close(self, a):
        if a.handle not in self.handles:
            _fail(errno.ENOENT)
        obj, weak = self.handles.pop(a.handle)
        self.wcb.pop(a.handle, None)
        if weak:
            obj.weak -= 1
        else:
            self._put(obj)

    def do_set_slot(self, a):
        if a.flags & ~U.SET_SLOT_FLAGS:
            _fail(errno.EINVAL)
        weak = bool(a.flags & U.SLOT_WEAK)
        obj = self._get(a.handle)
        t = None
        if a.target:
            if weak and a.target in self.handles and self.handles[a.target][1]:
                t = self._get(a.target, weak=True)
                if not t.alive:
                    _fail(errno.ENOENT)
            else:
                t = self._get(a.target)
        if a.slot >= len(obj.slots):
            _fail(errno.EINVAL)
        if t is not None and not weak:
            t.refs += 1
        old, obj.slots[a.slot] = obj.slots[a.slot], t
        was_weak = a.slot in obj.weakslots
        obj.weakslots.discard(a.slot)
        if weak and t is not None:
            obj.weakslots.add(a.slot)
        if old is not None and not was_weak:
            self._put(old)

    def do_get_slot(self, a):
        obj = self._get(a.handle)
        if a.slot >= len(obj.slots):
            _fail(errno.EINVAL)
        t = obj.slots[a.slot]
        a.slot_flags = 0
        if a.slot in obj.weakslots:
            a.slot_flags = U.SLOT_WEAK
            if not t.alive:
                a.slot_flags |= U.SLOT_DEAD
                t = None
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
        if a.flags & ~U.WEAKREF_FLAGS or (
                a.cookie and not a.flags & U.WEAKREF_CALLBACK):
            _fail(errno.EINVAL)
        if a.flags & U.WEAKREF_FROM_WEAK:
            obj = self._get(a.handle, weak=True)
            if not obj.alive:
                _fail(errno.ENOENT)
        else:
            obj = self._get(a.handle)
        a.weak = self._new_handle(obj, weak=True)
        if a.flags & U.WEAKREF_CALLBACK:
            self.wcb[a.weak] = a.cookie

    def do_weakref_count(self, a):
        entries = self._weak_entries(self._get(a.handle))
        a.weak_handles = sum(1 for h, _, _ in entries if h)
        a.weak_slots = len(entries) - a.weak_handles
        a.count = len(entries)

    def do_weakrefs(self, a):
        entries = self._weak_entries(self._get(a.handle))
        a.total = len(entries)
        page = entries[a.start:a.start + min(a.capacity, U.WEAKREFS_PAGE)]
        a.count = len(page)
        if page:
            arr = (U.WeakrefEntry * len(page)).from_address(a.entries)
            for e, (h, owner, slot) in zip(arr, page):
                e.handle, e.owner_id, e.slot = h, owner, slot
                e.cookie = self.wcb.get(h, 0) if h else 0
                e.entry_flags = ((0 if h else U.WEAKREF_ENTRY_SLOT) |
                                 (U.WEAKREF_ENTRY_CALLBACK if h in self.wcb
                                  else 0))

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
            stack.extend(self._strong_slots(o))
        every = {id(o): o for o in self.objs.values()}
        start = len(self.events)
        dead = [o for k, o in every.items() if k not in seen]
        if self.gc["debug"] & U.GC_DEBUG_SAVEALL:
            for o in dead:
                o.refs += 1
                self.garbage.append(o)
        else:
            for o in dead:
                self._callbacks(o, U.CAUSE_WEAKREF_CYCLE)
            for o in dead:
                o.alive = False
                del self.objs[o.id]
            for o in dead:
                if o.notify:
                    self.events.append(U.Event(cookie=o.cookie, id=o.id,
                                               cause=U.CAUSE_CYCLE, count=1))
                o.slots = []
        if self.gc["debug"] & U.GC_DEBUG_CALLBACKS:
            self.events.insert(start, U.Event(cause=U.CAUSE_GC_START,
                                              count=a.generation))
            self.events.append(U.Event(cause=U.CAUSE_GC_STOP, id=len(dead),
                                       count=a.generation))
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
        if a.value & ~U.GC_DEBUG_FLAGS:
            _fail(errno.EINVAL)
        self.gc["debug"] = a.value

    def do_gc_get_debug(self, a):
        self._value(a)
        a.value = self.gc["debug"]

    def do_gc_garbage(self, a):
        a.total = len(self.garbage)
        page = self.garbage[a.cursor:a.cursor + min(a.capacity,
                                                    U.SNAPSHOT_MAX)]
        hs = [self._new_handle(o) for o in page]
        a.count = len(hs)
        a.cursor += len(hs)
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

    # -- observability

    def do_traced_memory(self, a):
        if a.flags & ~U.TRACED_RESET_PEAK:
            _fail(errno.EINVAL)
        a.objects, a.bytes = self._traced()
        a.peak_objects, a.peak_bytes = self.peak
        if a.flags:
            self.peak = [a.objects, a.bytes]

    def do_tag_name(self, a):
        if a.name_len == 0:
            _fail(errno.EINVAL)
        if a.name_len >= U.TAG_NAME_MAX:
            _fail(errno.ENAMETOOLONG)
        name = ctypes.string_at(a.name, a.name_len)
        if b"\0" in name:
            _fail(errno.EINVAL)
        self.tags.setdefault(a.tag, [0, None])[1] = name

    def do_snapshot(self, a):
        if a.group == U.GROUP_TAG:
            groups = []
            for tag, (created, name) in self.tags.items():
                objs = [o for o in self.objs.values() if o.tag == tag]
                groups.append((tag, len(objs), sum(map(self.charge, objs)),
                               created, 0, name))
        elif a.group == U.GROUP_CREATOR:
            n, b = self._traced()
            groups = [(0, n, b, self.next_id - 1, os.getpid(), b"python3")]
        else:
            _fail(errno.EINVAL)
        a.total = len(groups)
        a.objects, a.bytes = self._traced()
        a.peak_objects, a.peak_bytes = self.peak
        page = groups[a.cursor:a.cursor + min(a.capacity, U.SNAPSHOT_MAX)]
        arr = (U.Stat * max(len(page), 1)).from_address(a.entries) \
            if page else []
        for e, (key, count, size, created, pid, name) in zip(arr, page):
            e.key, e.count, e.bytes, e.created, e.pid = (key, count, size,
                                                         created, pid)
            e.stat_flags = U.STAT_NAMED if name and a.group == U.GROUP_TAG \
                else 0
            e.name = name or b""
        a.count = len(page)
        a.cursor += len(page)

    def do_objects(self, a):
        ids = sorted(i for i in self.objs if i >= a.cursor)
        if a.flags & U.OBJECTS_GENERATION:
            ids = [i for i in ids if a.generation == 2]  # all in gen 2 here
        page = ids[:min(a.capacity, U.SNAPSHOT_MAX)]
        a.total = len(self.objs)
        if page:
            arr = (U.ObjectInfo * len(page)).from_address(a.entries)
            for e, i in zip(arr, page):
                o = self.objs[i]
                e.id, e.tag, e.refcount = o.id, o.tag, o.refs
                e.payload_size, e.nslots = len(o.payload), len(o.slots)
                e.generation, e.bytes = 2, self.charge(o)
            a.cursor = page[-1] + 1
        a.count = len(page)

    def _live(self, oid):
        if oid not in self.objs:
            _fail(errno.ENOENT)
        return self.objs[oid]

    def do_referents(self, a):
        o = self._live(a.id)
        a.nslots = len(o.slots)
        n = min(a.capacity, a.nslots)
        if n:
            arr = (U.u64 * n).from_address(a.ids)
            for i in range(n):
                t = o.slots[i]
                arr[i] = t.id if t is not None and t.alive else 0

    def do_referrers(self, a):
        t = self._live(a.id)
        refs = [(o.id, i) for o in sorted(self.objs.values(),
                                          key=lambda o: o.id)
                for i, s in enumerate(o.slots) if s is t]
        a.total = len(refs)
        page = refs[a.cursor:a.cursor + min(a.capacity, U.SNAPSHOT_MAX)]
        if page:
            arr = (U.Referrer * len(page)).from_address(a.entries)
            for e, (oid, slot) in zip(arr, page):
                e.id, e.slot = oid, slot
        a.count = len(page)
        a.cursor += len(page)

    def do_id_handle(self, a):
        a.handle = self._new_handle(self._live(a.id))
