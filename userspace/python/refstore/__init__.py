# SPDX-License-Identifier: GPL-2.0
"""refstore: the kernel's reference-counted object heap, from Python.

A :class:`Heap` is one open of ``/dev/refstore``. Its objects live in the
kernel; each :class:`Object` here is one *handle* to one of them, i.e. one
strong reference the kernel counts. Dropping the Python wrapper closes the
handle, so the kernel object dies exactly when Python would have freed it,
unless slots of other objects or other handles still reference it::

    import refstore
    heap = refstore.Heap()
    a = heap.new(slots=1, tag="Node")
    b = heap.new(slots=1, tag="Node")
    heap.getrefcount(a)          # 2, as sys.getrefcount(a)
    a[0] = b; b[0] = a           # a cycle, through the kernel's slots
    del a, b                     # closes both handles: the cycle leaks...
    heap.gc.collect()            # ...until the kernel's collector frees it: 2

Weak references are :class:`weakref`'s: ``heap.weakref(obj, callback)``,
``heap.finalize(obj, fn, *args)``, ``heap.getweakrefcount(obj)``,
``heap.getweakrefs(obj)``, :class:`WeakValueDictionary`, and weak slots
(``child[PARENT] = refstore.weak(parent)``, Python's ``child.parent =
weakref.ref(parent)``: no reference counted, no cycle; the slot reads None
once the parent died).

``heap.gc`` is :mod:`gc` (collection, thresholds, ``garbage``,
``get_objects``/``get_referents``/``get_referrers``, ``callbacks``);
``heap.tracemalloc`` is :mod:`tracemalloc`
(``take_snapshot().statistics("tag")``, ``get_traced_memory``).

Deaths of objects made with ``on_del=`` (or ``notify=True``) and the
deaths weak references asked to hear of are reported by the kernel as
events; :meth:`Heap.poll_events` reads them and calls the callbacks
(``on_del``, weak reference callbacks, finalizers), which by default
(``autopoll=True``) also happens after every call that can free objects.

Errors raise Python exceptions chosen by errno: ENOENT
:class:`FileNotFoundError`, ENOMEM :class:`MemoryError`, EDQUOT
:class:`QuotaError`, EPERM :class:`PermissionError`; see :func:`error`.

Everything goes through the uapi (``kmod/uapi/linux/refstore.h``,
mirrored in :mod:`refstore._uapi`) with :func:`fcntl.ioctl`; only the
standard library is used.
"""

import collections.abc as _abc
import ctypes
import errno as _errno
import fcntl
import os
import select
import weakref as _weakref

from . import _uapi

__all__ = [
    "DEVICE", "Heap", "Object", "WeakRef", "Event", "GC", "ObjectInfo",
    "weak", "Finalize", "WeakEntry", "WeakValueDictionary", "Tracemalloc",
    "Snapshot", "Statistic", "StatisticDiff",
    "RefstoreError", "QuotaError", "UserQuotaError", "GlobalQuotaError",
    "LimitError", "HandleKindError", "UnsupportedError", "error",
    "encode_tag", "decode_tag",
]

#: The device a :class:`Heap` opens by default.
DEVICE = "/dev/refstore"


# ---- errors ----------------------------------------------------------------

class RefstoreError(OSError):
    """Base of the errors specific to refstore (all are :class:`OSError`)."""


class QuotaError(RefstoreError):
    """EDQUOT: a per-heap limit (objects, bytes, handles) would be exceeded."""


class UserQuotaError(QuotaError):
    """EUSERS: the bytes charged to the heap's user would exceed its cap."""


class GlobalQuotaError(QuotaError):
    """ENOBUFS: all heaps together would exceed the module's cap."""


class LimitError(RefstoreError):
    """ENOSPC: a per-object limit (payload size, slot count) is exceeded."""


class HandleKindError(RefstoreError):
    """EBADSLT: a weak handle where a strong one is needed, or the reverse."""


class UnsupportedError(RefstoreError):
    """The running module lacks the feature a call needs (EOPNOTSUPP)."""


_ERRORS = {
    _errno.EDQUOT: QuotaError,
    _errno.EUSERS: UserQuotaError,
    _errno.ENOBUFS: GlobalQuotaError,
    _errno.ENOSPC: LimitError,
    _errno.EBADSLT: HandleKindError,
    _errno.EOPNOTSUPP: UnsupportedError,
}


def error(err, what):
    """Return the exception for errno ``err`` raised by operation ``what``.

    ENOMEM gives :class:`MemoryError` (with an ``errno`` attribute); the
    refstore-specific errnos their :class:`RefstoreError` subclasses; any
    other errno an :class:`OSError`, which Python itself specialises
    (ENOENT :class:`FileNotFoundError`, EPERM :class:`PermissionError`,
    EAGAIN :class:`BlockingIOError`, EINTR :class:`InterruptedError`...).
    """
    msg = "%s: %s" % (what, os.strerror(err))
    if err == _errno.ENOMEM:
        exc = MemoryError(msg)
        exc.errno = err
        return exc
    cls = _ERRORS.get(err, OSError)
    return cls(err, msg)


# ---- tags ------------------------------------------------------------------

def encode_tag(tag):
    """Return the kernel's 64-bit tag for ``tag``.

    ``None`` is 0, an int is itself (0..2**64-1), a str of up to 8 UTF-8
    bytes is those bytes read as a little-endian number ("Node" stays
    readable in the kernel's debugfs dumps as 0x65646f4e).
    """
    if tag is None:
        return 0
    if isinstance(tag, str):
        raw = tag.encode("utf-8")
        if len(raw) > 8 or b"\0" in raw:
            raise ValueError("a str tag is at most 8 UTF-8 bytes, no NUL: %r"
                             % tag)
        return int.from_bytes(raw, "little")
    if isinstance(tag, int) and 0 <= tag < 1 << 64:
        return tag
    raise ValueError("tag must be None, a str of up to 8 bytes or an int "
                     "0..2**64-1, not %r" % (tag,))


def decode_tag(value):
    """Return ``value`` (a kernel tag) as :func:`encode_tag` made it.

    A value whose bytes are printable ASCII comes back as a str, anything
    else (0 included) as an int.
    """
    raw = value.to_bytes(8, "little").rstrip(b"\0")
    if raw and all(0x20 <= c < 0x7F for c in raw):
        return raw.decode("ascii")
    return value


# ---- the file descriptor ---------------------------------------------------

class _Device:
    """An open /dev/refstore: the only code that touches the descriptor.

    Tests pass an object with the same four methods to :class:`Heap`
    (``device=``) to check the binding's logic without the kernel.
    """

    def __init__(self, path):
        try:
            self.fd = os.open(path, os.O_RDWR | os.O_CLOEXEC | os.O_NONBLOCK)
        except OSError as exc:
            raise error(exc.errno, "open %s" % path) from None

    def ioctl(self, request, arg):
        """Run one ioctl; ``arg`` (a ctypes structure) is updated in place."""
        fcntl.ioctl(self.fd, request, arg, True)

    def read(self, size):
        """read() up to ``size`` bytes of events; BlockingIOError if none."""
        return os.read(self.fd, size)

    def wait(self, timeout):
        """Wait up to ``timeout`` seconds (None: forever) for events."""
        p = select.poll()
        p.register(self.fd, select.POLLIN)
        return bool(p.poll(None if timeout is None else int(timeout * 1000)))

    def close(self):
        """Close the descriptor: the kernel frees the whole heap."""
        os.close(self.fd)


_NAMES = {v: k for k, v in _uapi.IOCTLS.items()}


# ---- events ----------------------------------------------------------------

class Event:
    """One event read from the heap.

    Attributes: ``id`` (the object's id), ``cookie`` (given at creation,
    or for a weak reference's event the weak reference's), ``cause``
    ("released": its last reference went; "cycle": the collector freed it;
    "weakref" / "weakref_cycle": the same two deaths as told to a weak
    reference with a callback or a finalizer; "overflow": ``count`` events
    were lost), ``count`` and ``name`` (the ``name=`` given to
    :meth:`Heap.new`, or None).
    """

    __slots__ = ("id", "cookie", "cause", "count", "name")

    def __init__(self, id, cookie, cause, count, name=None):
        self.id = id
        self.cookie = cookie
        self.cause = _uapi.CAUSES.get(cause, cause)
        self.count = count
        self.name = name

    def __repr__(self):
        return ("Event(id=%d, cookie=%d, cause=%r, count=%d, name=%r)"
                % (self.id, self.cookie, self.cause, self.count, self.name))


class _Watch:
    """What the heap does when one watched object dies."""

    __slots__ = ("name", "on_del")

    def __init__(self, name, on_del):
        self.name = name
        self.on_del = on_del


# ---- objects ---------------------------------------------------------------

class ObjectInfo:
    """What REFSTORE_IOC_INFO tells of an object (see :meth:`Object.info`)."""

    __slots__ = ("id", "refcount", "tag", "payload_size", "nslots", "notify",
                 "weakrefs", "creator_pid")

    def __init__(self, raw):
        self.id = raw.id
        self.refcount = raw.refcount
        self.tag = decode_tag(raw.tag)
        self.payload_size = raw.payload_size
        self.nslots = raw.nslots
        self.notify = bool(raw.obj_flags & _uapi.OBJ_NOTIFY)
        self.weakrefs = bool(raw.obj_flags & _uapi.OBJ_WEAKREFS)
        self.creator_pid = raw.creator_pid

    def __repr__(self):
        return "ObjectInfo(%s)" % ", ".join(
            "%s=%r" % (k, getattr(self, k)) for k in self.__slots__)


class Object:
    """One strong handle to a kernel object.

    ``obj[i]`` reads slot i (a new :class:`Object`, or None if empty or
    if it holds a weak reference whose target died), ``obj[i] = other``
    points it at ``other`` (None empties it, as does ``del obj[i]``;
    ``obj[i] = refstore.weak(other)`` or a :class:`WeakRef` stores a weak
    reference, see :class:`weak`), ``len(obj)`` is the slot count. Two
    wrappers compare equal when they name the same kernel object.
    Dropping the wrapper (or :meth:`close`) closes the handle.
    """

    __slots__ = ("_heap", "_handle", "id", "__weakref__")

    def __init__(self, heap, handle, id):
        self._heap = heap
        self._handle = handle
        self.id = id

    @property
    def heap(self):
        """The :class:`Heap` this object belongs to."""
        return self._heap

    @property
    def handle(self):
        """The handle number (0 once closed)."""
        return self._handle

    @property
    def closed(self):
        """True once :meth:`close` ran (or the heap was closed)."""
        return self._handle == 0 or self._heap.closed

    def _h(self):
        if self._handle == 0:
            raise ValueError("operation on a closed refstore object")
        return self._handle

    def close(self):
        """Close the handle now: the kernel object loses one reference.

        Closing twice is harmless, as is closing after the heap was closed.
        """
        h, self._handle = self._handle, 0
        if h and not self._heap.closed:
            self._heap._close_handle(h)

    def __del__(self):
        try:
            self.close()
        except Exception:
            # The heap may be half torn down at interpreter exit.
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def dup(self):
        """Return a new handle (a new strong reference) to this object."""
        return self._heap.dup(self)

    def info(self):
        """Return this object's :class:`ObjectInfo` from the kernel."""
        return self._heap._info(self._h())

    @property
    def tag(self):
        """The tag given at creation, decoded by :func:`decode_tag`."""
        return self.info().tag

    def __len__(self):
        return self.info().nslots

    def _get_slot(self, slot):
        arg = _uapi.GetSlot(handle=self._h(), slot=self._slot(slot))
        self._heap._ioctl(_uapi.IOC_GET_SLOT, arg)
        if arg.target == 0:
            return None, arg.slot_flags
        return Object(self._heap, arg.target, arg.target_id), arg.slot_flags

    def __getitem__(self, slot):
        return self._get_slot(slot)[0]

    def __setitem__(self, slot, target):
        flags = 0
        if isinstance(target, weak):
            target, flags = target.obj, _uapi.SLOT_WEAK
        if target is None:
            th = 0
        elif isinstance(target, Object) and target._heap is self._heap:
            th = target._h()
        elif isinstance(target, WeakRef) and target._heap is self._heap:
            th, flags = target._h(), _uapi.SLOT_WEAK
        else:
            raise TypeError("a slot holds an Object or a WeakRef of the same "
                            "heap, refstore.weak(obj) or None, not %r"
                            % (target,))
        if flags:
            self._heap.require("weak_graph")
        arg = _uapi.SetSlot(flags=flags, handle=self._h(),
                            slot=self._slot(slot), target=th)
        self._heap._ioctl(_uapi.IOC_SET_SLOT, arg)
        self._heap._autopoll()

    def is_weak(self, slot):
        """True if slot ``slot`` holds a weak reference, alive or dead
        (False for a strong or empty slot)."""
        return bool(self._get_slot(slot)[1] & _uapi.SLOT_WEAK)

    def __delitem__(self, slot):
        self[slot] = None

    @staticmethod
    def _slot(slot):
        if not isinstance(slot, int) or slot < 0 or slot >= 1 << 32:
            raise IndexError("slot index must be an int 0..2**32-1, not %r"
                             % (slot,))
        return slot

    def read(self, length=None, offset=0):
        """Return ``length`` payload bytes from ``offset`` (default: the rest)."""
        if length is None:
            length = max(self.info().payload_size - offset, 0)
        buf = ctypes.create_string_buffer(length)
        arg = _uapi.Rw(handle=self._h(), offset=offset, length=length,
                       data=ctypes.addressof(buf))
        self._heap._ioctl(_uapi.IOC_READ, arg)
        return buf.raw

    def write(self, data, offset=0):
        """Write the bytes ``data`` into the payload at ``offset``."""
        data = bytes(data)
        buf = ctypes.create_string_buffer(data, len(data))
        arg = _uapi.Rw(handle=self._h(), offset=offset, length=len(data),
                       data=ctypes.addressof(buf))
        self._heap._ioctl(_uapi.IOC_WRITE, arg)

    @property
    def payload(self):
        """The whole payload as bytes; assigning writes from offset 0."""
        return self.read()

    @payload.setter
    def payload(self, data):
        self.write(data)

    def __int__(self):
        """The payload as a little-endian signed integer (see Heap.new)."""
        return int.from_bytes(self.read(), "little", signed=True)

    def __eq__(self, other):
        if not isinstance(other, Object):
            return NotImplemented
        return self._heap is other._heap and self.id == other.id

    def __hash__(self):
        return hash((id(self._heap), self.id))

    def __repr__(self):
        return "<refstore.Object id=%d handle=%d>" % (self.id, self._handle)


class weak:
    """``obj[i] = refstore.weak(target)``: store a weak reference in a slot.

    Python's ``self.parent = weakref.ref(parent)``: the slot does not
    count in ``target``'s reference count and is no edge for the cycle
    collector, so a child pointing back at its parent this way makes no
    cycle. Reading the slot gives the target (a new handle) while it
    lives and None once it died. No handle is made for it (storing a
    :class:`WeakRef` in a slot does the same through its weak handle).
    """

    __slots__ = ("obj",)

    def __init__(self, obj):
        if not isinstance(obj, (Object, WeakRef)):
            raise TypeError("refstore.weak() takes an Object or a WeakRef, "
                            "not %r" % (obj,))
        self.obj = obj

    def __repr__(self):
        return "refstore.weak(%r)" % (self.obj,)


class WeakRef:
    """A weak handle: does not keep its object alive.

    Calling it returns a new :class:`Object` (a new strong handle) while the
    object lives, None after it died, as :class:`weakref.ref` does.
    ``callback(ref)``, if given, is called once the kernel's event for the
    object's death is read, if this WeakRef is still alive then (see
    :meth:`Heap.weakref`).
    """

    __slots__ = ("_heap", "_handle", "id", "callback", "_cookie",
                 "__weakref__")

    def __init__(self, heap, handle, id, callback, cookie=0):
        self._heap = heap
        self._handle = handle
        self.id = id
        self.callback = callback
        self._cookie = cookie

    @property
    def handle(self):
        """The weak handle number (0 once closed)."""
        return self._handle

    def _h(self):
        if self._handle == 0:
            raise ValueError("operation on a closed refstore weak reference")
        return self._handle

    def __call__(self):
        if self._handle == 0 or self._heap.closed:
            return None
        arg = _uapi.Upgrade(weak=self._handle)
        try:
            self._heap._ioctl(_uapi.IOC_UPGRADE, arg)
        except FileNotFoundError:
            return None
        return Object(self._heap, arg.handle, self.id)

    def close(self):
        """Close the weak handle (never frees anything; cancels the
        callback if the object has not died yet); idempotent."""
        h, self._handle = self._handle, 0
        if self._cookie:
            self._heap._refs.pop(self._cookie, None)
        if h and not self._heap.closed:
            self._heap._close_handle(h, autopoll=False)

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def __repr__(self):
        return "<refstore.WeakRef id=%d %s>" % (
            self.id, "dead" if self() is None else "alive")


class Finalize:
    """A finalizer, as :class:`weakref.finalize`: made by
    :meth:`Heap.finalize`.

    ``fn(*args, **kwargs)`` is called once, when the kernel's event for the
    object's death is read, or at the latest when the heap is closed (if
    ``atexit`` is true, the default), or when the finalizer is called. The
    heap keeps the finalizer alive until then: dropping it changes nothing.
    It holds one weak handle with a kernel callback
    (REFSTORE_WEAKREF_CALLBACK), closed once it ran or was detached.
    """

    __slots__ = ("_heap", "_handle", "_cookie", "id", "_fn", "_args",
                 "_kwargs", "atexit", "__weakref__")

    def __init__(self, heap, handle, cookie, id, fn, args, kwargs):
        self._heap = heap
        self._handle = handle
        self._cookie = cookie
        self.id = id
        self._fn = fn
        self._args = args
        self._kwargs = kwargs
        #: Run at heap close if still alive (weakref.finalize's atexit).
        self.atexit = True

    @property
    def alive(self):
        """True until the finalizer ran or was detached."""
        return self._fn is not None

    def _object(self):
        if self._heap.closed:
            return None
        arg = _uapi.Upgrade(weak=self._handle)
        try:
            self._heap._ioctl(_uapi.IOC_UPGRADE, arg)
        except FileNotFoundError:
            return None
        return Object(self._heap, arg.handle, self.id)

    def peek(self):
        """``(obj, fn, args, kwargs)`` while alive (obj None if the object
        died but its event was not read yet), else None."""
        if not self.alive:
            return None
        return (self._object(), self._fn, self._args, self._kwargs)

    def detach(self):
        """Cancel the finalizer; return what :meth:`peek` returned before."""
        info = self.peek()
        if info is not None:
            self._end()
        return info

    def _end(self):
        self._fn = None
        self._heap._finalizers.pop(self._cookie, None)
        h, self._handle = self._handle, 0
        if h and not self._heap.closed:
            self._heap._close_handle(h, autopoll=False)

    def __call__(self, _=None):
        """Run the finalizer now if alive (it then will not run again) and
        return fn's result; None if it already ran or was detached."""
        if not self.alive:
            return None
        fn, args, kwargs = self._fn, self._args, self._kwargs
        self._end()
        return fn(*args, **kwargs)

    def __repr__(self):
        return "<refstore.Finalize id=%d %s>" % (
            self.id, "alive" if self.alive else "dead")


class WeakEntry:
    """One weak reference to an object, as :meth:`Heap.getweakrefs` lists it.

    ``kind`` is "handle" (a weak handle: ``handle``, ``cookie`` and
    ``callback`` (True if a callback is armed) are set) or "slot" (a weak
    slot: slot ``slot`` of the object whose id is ``owner_id``). ``ref`` is
    the :class:`WeakRef` or :class:`Finalize` of this heap that owns the
    weak handle, or None (a slot, or a handle made elsewhere).
    """

    __slots__ = ("kind", "handle", "owner_id", "slot", "cookie", "callback",
                 "ref")

    def __init__(self, raw, ref=None):
        is_slot = bool(raw.entry_flags & _uapi.WEAKREF_ENTRY_SLOT)
        self.kind = "slot" if is_slot else "handle"
        self.handle = raw.handle
        self.owner_id = raw.owner_id
        self.slot = raw.slot
        self.cookie = raw.cookie
        self.callback = bool(raw.entry_flags & _uapi.WEAKREF_ENTRY_CALLBACK)
        self.ref = ref

    def __repr__(self):
        if self.kind == "slot":
            return "WeakEntry(slot %d of id %d)" % (self.slot, self.owner_id)
        return "WeakEntry(handle %d%s)" % (
            self.handle, ", callback" if self.callback else "")


class WeakValueDictionary(_abc.MutableMapping):
    """A mapping whose values are objects of one heap, held weakly, as
    :class:`weakref.WeakValueDictionary`.

    ``WeakValueDictionary(heap, other=())``. Each value is a weak handle
    with a kernel callback: once the value's death is read (autopoll, or
    :meth:`Heap.poll_events`), its entry is gone. ``d[key]`` returns a new
    handle, or raises KeyError if the value died meanwhile.
    """

    def __init__(self, heap, other=()):
        self._heap = heap
        self._data = {}
        self.update(other)

    def _remover(self, key):
        selfref = _weakref.ref(self)

        def remove(ref):
            d = selfref()
            if d is not None and d._data.get(key) is ref:
                del d._data[key]
        return remove

    def __getitem__(self, key):
        obj = self._data[key]()
        if obj is None:
            raise KeyError(key)
        return obj

    def __setitem__(self, key, value):
        self._data[key] = self._heap.weakref(value,
                                             callback=self._remover(key))

    def __delitem__(self, key):
        self._data.pop(key).close()

    def __iter__(self):
        return iter(list(self._data))

    def __len__(self):
        return len(self._data)

    def __repr__(self):
        return "<refstore.WeakValueDictionary %d entries>" % len(self)


# ---- the collector ---------------------------------------------------------

class _Garbage(list):
    """A snapshot of the garbage list; ``del g[:]`` or ``g.clear()`` empties
    the kernel's list too, as ``del gc.garbage[:]`` does in CPython."""

    def __init__(self, gc, items):
        super().__init__(items)
        self._gc = gc

    def __delitem__(self, index):
        if isinstance(index, slice) and index == slice(None):
            super().clear()
            self._gc.clear_garbage()
        else:
            raise TypeError("only `del garbage[:]` changes the kernel's list")

    def clear(self):
        """Empty this list and the kernel's garbage list."""
        del self[:]


class _Callbacks(list):
    """gc.callbacks: a list; changing it turns the kernel's collection
    events on (not empty) or off (empty)."""

    def __init__(self, gc):
        super().__init__()
        self._gc = gc

    def _changed(name):
        def method(self, *args):
            out = getattr(list, name)(self, *args)
            self._gc._sync_callbacks()
            return self if name == "__iadd__" else out
        method.__name__ = name
        method.__doc__ = getattr(list, name).__doc__
        return method

    for _name in ("append", "extend", "insert", "remove", "pop", "clear",
                  "__setitem__", "__delitem__", "__iadd__"):
        locals()[_name] = _changed(_name)
    del _name, _changed


class GC:
    """The heap's cycle collector, shaped like Python's :mod:`gc` module.

    Reached as ``heap.gc``. DEBUG_STATS and DEBUG_SAVEALL are the flags of
    :meth:`set_debug`.
    """

    DEBUG_STATS = _uapi.GC_DEBUG_STATS
    DEBUG_SAVEALL = _uapi.GC_DEBUG_SAVEALL
    DEBUG_COLLECTABLE = _uapi.GC_DEBUG_COLLECTABLE
    DEBUG_UNCOLLECTABLE = _uapi.GC_DEBUG_UNCOLLECTABLE
    DEBUG_LEAK = _uapi.GC_DEBUG_LEAK

    def __init__(self, heap):
        # A proxy: heap.gc must not keep the heap alive (a cycle would
        # leave closing it to Python's own collector).
        self._heap = _weakref.proxy(heap)
        #: gc.callbacks: ``cb(phase, info)`` with phase "start" or "stop"
        #: and info {"generation", "collected", "uncollectable"}, run when
        #: the collection's events are read (REFSTORE_GC_DEBUG_CALLBACKS
        #: is set while the list is not empty).
        self.callbacks = _Callbacks(self)

    def _sync_callbacks(self):
        want = _uapi.GC_DEBUG_CALLBACKS if self.callbacks else 0
        cur = self._value(_uapi.IOC_GC_GET_DEBUG)
        if cur & _uapi.GC_DEBUG_CALLBACKS != want:
            self._heap.require("gc_events")
            self._value(_uapi.IOC_GC_SET_DEBUG,
                        cur & ~_uapi.GC_DEBUG_CALLBACKS | want)

    def _run_callbacks(self, raw):
        phase = "start" if raw.cause == _uapi.CAUSE_GC_START else "stop"
        info = {"generation": raw.count,
                "collected": raw.id if phase == "stop" else 0,
                "uncollectable": 0}
        for cb in list(self.callbacks):
            cb(phase, info)

    def _ids(self, request, arg_of, entry, key):
        """Page through OBJECTS/REFERRERS-like calls; return the entries."""
        self._heap.require("inspect")
        out = []
        cursor = 0
        page = (entry * _uapi.SNAPSHOT_MAX)()
        while True:
            arg = arg_of(cursor, page)
            self._heap._ioctl(request, arg)
            out.extend(key(e) for e in page[:arg.count])
            if arg.count == 0 or arg.cursor == cursor:
                return out
            cursor = arg.cursor

    def _handles(self, ids):
        out = []
        for oid in ids:
            obj = self._heap.from_id(oid)
            if obj is not None:
                out.append(obj)
        return out

    def get_objects(self, generation=None):
        """Every live object of the heap (of ``generation`` 0..2 only, or
        3 for the frozen ones, if given) as a list of new handles, in id
        order (gc.get_objects()). Objects that die meanwhile are left out."""
        flags, gen = 0, 0
        if generation is not None:
            if generation not in (0, 1, 2, _uapi.GEN_FROZEN):
                raise ValueError("invalid generation")
            flags, gen = _uapi.OBJECTS_GENERATION, generation

        def arg_of(cursor, page):
            return _uapi.Objects(flags=flags, generation=gen,
                                 entry_size=ctypes.sizeof(_uapi.ObjectInfo),
                                 cursor=cursor, capacity=len(page),
                                 entries=ctypes.addressof(page))
        ids = self._ids(_uapi.IOC_OBJECTS, arg_of, _uapi.ObjectInfo,
                        lambda e: e.id)
        return self._handles(ids)

    def get_referents(self, *objs):
        """The objects the slots of ``objs`` point at, as new handles, in
        slot order (gc.get_referents()); empty and weak slots are left out
        (a weak slot keeps nothing alive: REFERENTS without slot_flags)."""
        self._heap.require("inspect")
        ids = []
        for obj in objs:
            n = 16
            while True:
                buf = (_uapi.u64 * n)()
                arg = _uapi.Referents(id=obj.id, ids=ctypes.addressof(buf),
                                      capacity=n)
                self._heap._ioctl(_uapi.IOC_REFERENTS, arg)
                if arg.nslots <= n:
                    ids.extend(i for i in buf[:arg.nslots] if i)
                    break
                n = arg.nslots
        return self._handles(ids)

    def get_referrers(self, *objs):
        """The objects with a slot pointing at any of ``objs``, as new
        handles, each once (gc.get_referrers(); handles are not objects,
        so they are not listed)."""
        seen = []
        for obj in objs:
            def arg_of(cursor, page, oid=obj.id):
                return _uapi.Referrers(id=oid, entries=ctypes.addressof(page),
                                       cursor=cursor, capacity=len(page))
            for rid in self._ids(_uapi.IOC_REFERRERS, arg_of, _uapi.Referrer,
                                 lambda e: e.id):
                if rid not in seen:
                    seen.append(rid)
        return self._handles(seen)

    def _value(self, request, value=0):
        self._heap.require("gc")
        arg = _uapi.GcValue(value=value)
        self._heap._ioctl(request, arg)
        return arg.value

    def enable(self):
        """Enable automatic collection (gc.enable())."""
        self._value(_uapi.IOC_GC_ENABLE)

    def disable(self):
        """Disable automatic collection (gc.disable())."""
        self._value(_uapi.IOC_GC_DISABLE)

    def isenabled(self):
        """True if automatic collection is enabled (gc.isenabled())."""
        return bool(self._value(_uapi.IOC_GC_ISENABLED))

    def collect(self, generation=2):
        """Collect generations 0..``generation`` now and return how many
        unreachable objects were found (gc.collect()). Death callbacks of
        the objects freed run before it returns (with autopoll)."""
        self._heap.require("gc")
        if generation not in (0, 1, 2):
            raise ValueError("invalid generation")
        arg = _uapi.GcCollect(generation=generation)
        self._heap._ioctl(_uapi.IOC_GC_COLLECT, arg)
        self._heap._autopoll()
        return arg.unreachable

    def get_stats(self):
        """Per generation, a dict of collections, collected, uncollectable
        (gc.get_stats())."""
        return [{"collections": g["collections"], "collected": g["collected"],
                 "uncollectable": g["uncollectable"]}
                for g in self.get_stats_ex()["gen"]]

    def get_stats_ex(self):
        """Everything GC_GET_STATS reports: ``gen`` (as get_stats()),
        ``pause_total_ns``, ``pause_max_ns``, ``examined``, ``automatic``
        and ``garbage``."""
        self._heap.require("gc")
        arg = _uapi.GcStats()
        self._heap._ioctl(_uapi.IOC_GC_GET_STATS, arg)
        return {
            "gen": [{"collections": g.collections, "collected": g.collected,
                     "uncollectable": g.uncollectable} for g in arg.gen],
            "pause_total_ns": arg.pause_total_ns,
            "pause_max_ns": arg.pause_max_ns,
            "examined": arg.examined,
            "automatic": arg.automatic,
            "garbage": arg.garbage,
        }

    def get_count(self):
        """The three generation counts as a tuple (gc.get_count())."""
        self._heap.require("gc")
        arg = _uapi.GcCount()
        self._heap._ioctl(_uapi.IOC_GC_GET_COUNT, arg)
        return tuple(arg.count)

    def get_threshold(self):
        """The three thresholds as a tuple (gc.get_threshold())."""
        self._heap.require("gc")
        arg = _uapi.GcThreshold()
        self._heap._ioctl(_uapi.IOC_GC_GET_THRESHOLD, arg)
        return tuple(arg.threshold)

    def set_threshold(self, threshold0, threshold1=None, threshold2=None):
        """Set the thresholds (gc.set_threshold()); those not given stay."""
        cur = list(self.get_threshold())
        for i, t in enumerate((threshold0, threshold1, threshold2)):
            if t is not None:
                if not isinstance(t, int) or t < 0:
                    raise ValueError("threshold must be an int >= 0")
                cur[i] = t
        arg = _uapi.GcThreshold()
        arg.threshold[:] = cur
        self._heap._ioctl(_uapi.IOC_GC_SET_THRESHOLD, arg)

    def freeze(self):
        """Move every tracked object to the permanent generation
        (gc.freeze())."""
        self._value(_uapi.IOC_GC_FREEZE)

    def unfreeze(self):
        """Move the permanent generation back to generation 2
        (gc.unfreeze())."""
        self._value(_uapi.IOC_GC_UNFREEZE)

    def get_freeze_count(self):
        """Objects in the permanent generation (gc.get_freeze_count())."""
        return self._value(_uapi.IOC_GC_GET_FREEZE_COUNT)

    def set_debug(self, flags):
        """Set the debug flags: DEBUG_STATS, DEBUG_SAVEALL, DEBUG_COLLECTABLE,
        DEBUG_UNCOLLECTABLE, DEBUG_LEAK (gc.set_debug()). The reports
        come as events (``Event.cause`` "gc_stats", "gc_collectable")."""
        if self.callbacks:
            flags |= _uapi.GC_DEBUG_CALLBACKS
        self._value(_uapi.IOC_GC_SET_DEBUG, flags)

    def get_debug(self):
        """The debug flags (gc.get_debug()), without the one gc.callbacks
        sets."""
        return self._value(_uapi.IOC_GC_GET_DEBUG) & \
            ~_uapi.GC_DEBUG_CALLBACKS

    @property
    def garbage(self):
        """The objects collections kept under DEBUG_SAVEALL, as a list of
        new handles (gc.garbage); ``del heap.gc.garbage[:]`` empties it."""
        self._heap.require("gc")
        if self._heap.has_feature("inspect"):
            # A page of at most SNAPSHOT_MAX handles per call, by cursor.
            objs = []
            page = (_uapi.u32 * _uapi.SNAPSHOT_MAX)()
            cursor = 0
            while True:
                arg = _uapi.GcGarbage(capacity=len(page), cursor=cursor,
                                      handles=ctypes.addressof(page))
                self._heap._ioctl(_uapi.IOC_GC_GARBAGE, arg)
                objs.extend(self._heap._wrap(h) for h in page[:arg.count])
                cursor = arg.cursor
                if arg.count == 0 or cursor >= arg.total:
                    return _Garbage(self, objs)
        # A module without a cursor returns the whole list in one call.
        total = None
        while True:
            arg = _uapi.GcGarbage()
            self._heap._ioctl(_uapi.IOC_GC_GARBAGE, arg)
            total = arg.total
            handles = (_uapi.u32 * max(total, 1))()
            arg = _uapi.GcGarbage(capacity=total,
                                  handles=ctypes.addressof(handles))
            self._heap._ioctl(_uapi.IOC_GC_GARBAGE, arg)
            objs = [self._heap._wrap(h) for h in handles[:arg.count]]
            if arg.total <= total:
                return _Garbage(self, objs)
            del objs  # the list grew meanwhile: ask again

    def clear_garbage(self):
        """Empty the kernel's garbage list (``del gc.garbage[:]``)."""
        self._value(_uapi.IOC_GC_CLEAR_GARBAGE)
        self._heap._autopoll()

    def set_delay(self, ms):
        """Collect garbage at most ``ms`` milliseconds after the call that
        made it (0..60000; 0: thresholds only, as in CPython)."""
        self._heap.require("gc_delay")
        self._value(_uapi.IOC_GC_SET_DELAY, ms)

    def get_delay(self):
        """The heap's collection delay in milliseconds."""
        self._heap.require("gc_delay")
        return self._value(_uapi.IOC_GC_GET_DELAY)


# ---- allocation statistics ------------------------------------------------

def _fmt_size(n, sign=False):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 10 * 1024 or unit == "GiB":
            fmt = ("%+d %s" if sign else "%d %s") if unit == "B" else \
                ("%+.1f %s" if sign else "%.1f %s")
            return fmt % (n, unit)
        n /= 1024


class Statistic:
    """One group of a :class:`Snapshot`, as tracemalloc.Statistic: ``name``
    (the tag decoded or named with :meth:`Tracemalloc.name_tag`; for a
    creator, its command name), ``key`` (the tag, or the creator's index),
    ``pid`` (creator), ``count`` live objects, ``size`` their bytes,
    ``created`` objects ever made, ``other`` (the group of what is not
    tracked on its own)."""

    __slots__ = ("key", "name", "pid", "count", "size", "created", "other")

    def __init__(self, raw, group):
        self.key = raw.key
        self.pid = raw.pid
        self.count = raw.count
        self.size = raw.bytes
        self.created = raw.created
        self.other = bool(raw.stat_flags & _uapi.STAT_OTHER)
        name = raw.name.decode("utf-8", "replace")
        if self.other:
            name = "<other>"
        elif group == _uapi.GROUP_TAG and not raw.stat_flags & \
                _uapi.STAT_NAMED:
            name = decode_tag(raw.key)
        self.name = name

    def __str__(self):
        avg = self.size // self.count if self.count else 0
        return "%s: size=%s, count=%d, average=%s" % (
            self.name, _fmt_size(self.size), self.count, _fmt_size(avg))

    def __repr__(self):
        return "<Statistic %s>" % self


class StatisticDiff:
    """One group's change between two :class:`Snapshot`\ s, as
    tracemalloc.StatisticDiff: ``size`` and ``count`` in the newer one,
    ``size_diff`` and ``count_diff`` from the older one (negative: it
    shrank; a group gone has ``size`` and ``count`` 0), and the group:
    ``key``, ``name`` (also as ``traceback``, tracemalloc's name for it),
    ``pid``, ``other``, as in :class:`Statistic`."""

    __slots__ = ("key", "name", "traceback", "pid", "other", "size",
                 "size_diff", "count", "count_diff")

    def __init__(self, stat, size, size_diff, count, count_diff):
        self.key = stat.key
        self.name = self.traceback = stat.name
        self.pid = stat.pid
        self.other = stat.other
        self.size = size
        self.size_diff = size_diff
        self.count = count
        self.count_diff = count_diff

    def _sort_key(self):
        # tracemalloc's order, the group's identity last in place of its
        # traceback
        return (abs(self.size_diff), self.size, abs(self.count_diff),
                self.count, (self.other, self.key))

    def __str__(self):
        text = "%s: size=%s (%s), count=%d (%+d)" % (
            self.name, _fmt_size(self.size), _fmt_size(self.size_diff, True),
            self.count, self.count_diff)
        if self.count:
            text += ", average=%s" % _fmt_size(self.size // self.count)
        return text

    def __repr__(self):
        return "<StatisticDiff %s>" % self


class Snapshot:
    """The heap's allocation statistics at one moment (SNAPSHOT, by tag
    and by creator), as tracemalloc.Snapshot. ``objects``, ``size``,
    ``peak_objects``, ``peak_size``: the heap's totals then."""

    _GROUPS = {"tag": _uapi.GROUP_TAG, "lineno": _uapi.GROUP_TAG,
               "creator": _uapi.GROUP_CREATOR,
               "filename": _uapi.GROUP_CREATOR}

    def __init__(self, heap):
        self._stats = {}
        for group in (_uapi.GROUP_TAG, _uapi.GROUP_CREATOR):
            self._stats[group] = self._take(heap, group)

    def _take(self, heap, group):
        out = []
        cursor = 0
        page = (_uapi.Stat * 64)()
        while True:
            arg = _uapi.Snapshot(group=group,
                                 entry_size=ctypes.sizeof(_uapi.Stat),
                                 cursor=cursor, capacity=len(page),
                                 entries=ctypes.addressof(page))
            heap._ioctl(_uapi.IOC_SNAPSHOT, arg)
            if group == _uapi.GROUP_TAG and cursor == 0:
                self.objects, self.size = arg.objects, arg.bytes
                self.peak_objects = arg.peak_objects
                self.peak_size = arg.peak_bytes
            out.extend(Statistic(e, group) for e in page[:arg.count])
            if arg.count == 0 or arg.cursor >= arg.total:
                return out
            cursor = arg.cursor

    def _live(self, key_type):
        group = self._GROUPS.get(key_type)
        if group is None:
            raise ValueError("unknown key_type: %r" % (key_type,))
        return [s for s in self._stats[group] if s.count]

    def statistics(self, key_type="tag", cumulative=False):
        """The groups with live objects, biggest first (by size, then
        count), as tracemalloc's Snapshot.statistics(): ``key_type`` "tag"
        (alias "lineno") or "creator" (alias "filename"). A group has one
        "frame", so ``cumulative`` changes nothing."""
        stats = self._live(key_type)
        stats.sort(key=lambda s: (s.size, s.count), reverse=True)
        return stats

    def compare_to(self, old_snapshot, key_type="tag", cumulative=False):
        """The change since ``old_snapshot`` (an older :class:`Snapshot` of
        the same heap), as tracemalloc's Snapshot.compare_to(): one
        :class:`StatisticDiff` per group with live objects in either,
        biggest change first (by abs(size_diff), size, abs(count_diff),
        count, then the group). ``key_type`` and ``cumulative`` as in
        :meth:`statistics`."""
        old = {(s.other, s.key): s for s in old_snapshot._live(key_type)}
        diffs = []
        for s in self._live(key_type):
            o = old.pop((s.other, s.key), None)
            diffs.append(StatisticDiff(s, s.size,
                                       s.size - (o.size if o else 0),
                                       s.count,
                                       s.count - (o.count if o else 0)))
        diffs.extend(StatisticDiff(o, 0, -o.size, 0, -o.count)
                     for o in old.values())
        diffs.sort(key=StatisticDiff._sort_key, reverse=True)
        return diffs


class Tracemalloc:
    """The heap's allocation statistics, shaped like :mod:`tracemalloc`.

    Reached as ``heap.tracemalloc``. The kernel always traces, so
    :meth:`start` only checks the feature exists.
    """

    def __init__(self, heap):
        self._heap = _weakref.proxy(heap)

    def start(self):
        """tracemalloc.start(): the kernel traces always; checks the
        module has the feature."""
        self._heap.require("trace")

    def is_tracing(self):
        """True where the module keeps statistics."""
        return self._heap.has_feature("trace")

    def _traced(self, flags=0):
        self._heap.require("trace")
        arg = _uapi.TracedMemory(flags=flags)
        self._heap._ioctl(_uapi.IOC_TRACED_MEMORY, arg)
        return arg

    def get_traced_memory(self):
        """``(size, peak)`` in bytes, as tracemalloc.get_traced_memory()."""
        arg = self._traced()
        return (arg.bytes, arg.peak_bytes)

    def get_traced_objects(self):
        """``(objects, peak)``: live objects and their peak."""
        arg = self._traced()
        return (arg.objects, arg.peak_objects)

    def reset_peak(self):
        """Set the peaks to the current values (tracemalloc.reset_peak())."""
        self._traced(_uapi.TRACED_RESET_PEAK)

    def name_tag(self, tag, name):
        """Name ``tag`` (see :func:`encode_tag`) ``name`` (a str of at most
        63 UTF-8 bytes) in the statistics."""
        self._heap.require("trace")
        raw = name.encode("utf-8")
        buf = ctypes.create_string_buffer(raw, len(raw))
        arg = _uapi.TagName(tag=encode_tag(tag), name=ctypes.addressof(buf),
                            name_len=len(raw))
        self._heap._ioctl(_uapi.IOC_TAG_NAME, arg)

    def take_snapshot(self):
        """A :class:`Snapshot` of the heap's statistics now."""
        self._heap.require("trace")
        return Snapshot(self._heap)


# ---- the heap --------------------------------------------------------------

class Heap:
    """One open of /dev/refstore: a heap of kernel objects.

    ``Heap(path=DEVICE, autopoll=True)``. With ``autopoll``, the death
    events of watched objects are read, and their callbacks run, after
    every call that can free objects (a handle closed, a slot changed, a
    collection); without it only :meth:`poll_events` and :meth:`events`
    read them. ``device`` replaces the file descriptor layer (tests).
    Closing the heap (:meth:`close`, ``with``, or dropping it once no
    :class:`Object` remains) frees every object in it.
    """

    def __init__(self, path=DEVICE, *, autopoll=True, device=None):
        self._dev = device if device is not None else _Device(path)
        self.autopoll = autopoll
        self._watch = {}
        self._refs = {}          # cookie -> weakref to a WeakRef
        self._finalizers = {}    # cookie -> Finalize (kept alive)
        self._weak = _weakref.WeakValueDictionary()  # handle -> owner
        self._dispatching = False
        self._cookie = 0
        #: Death events the kernel could not queue (overflow reports).
        self.events_lost = 0
        arg = _uapi.Version()
        self._ioctl(_uapi.IOC_VERSION, arg)
        #: The module's REFSTORE_UAPI_VERSION.
        self.version = arg.version
        #: The module's REFSTORE_FEAT_* bits.
        self.feature_bits = arg.features
        #: The gc-like interface to this heap's collector (:class:`GC`).
        self.gc = GC(self)
        #: The tracemalloc-like statistics (:class:`Tracemalloc`).
        self.tracemalloc = Tracemalloc(self)

    # -- features

    @property
    def features(self):
        """Names of the features the running module has (see _uapi.FEATURES);
        bits this binding does not know appear as "bit<N>"."""
        names = {v: k for k, v in _uapi.FEATURES.items()}
        return frozenset(names.get(b, "bit%d" % b) for b in range(64)
                         if self.feature_bits >> b & 1)

    def has_feature(self, name):
        """True if the running module implements feature ``name``."""
        bit = _uapi.FEATURES.get(name)
        if bit is None:
            raise ValueError("unknown feature %r" % name)
        return bool(self.feature_bits >> bit & 1)

    def require(self, name):
        """Raise :class:`UnsupportedError` unless feature ``name`` exists.

        Every call whose ioctl belongs to a feature checks it first, so a
        binding newer than the module fails with a clear message instead
        of ENOTTY.
        """
        if not self.has_feature(name):
            raise UnsupportedError(
                _errno.EOPNOTSUPP,
                "the refstore module has no %r feature" % name)

    # -- plumbing

    @property
    def closed(self):
        """True once the heap was closed."""
        return self._dev is None

    def _ioctl(self, request, arg):
        if self._dev is None:
            raise ValueError("operation on a closed refstore heap")
        try:
            self._dev.ioctl(request, arg)
        except OSError as exc:
            raise error(exc.errno, _NAMES.get(request, hex(request))) from None

    def _close_handle(self, handle, autopoll=True):
        self._ioctl(_uapi.IOC_CLOSE, _uapi.Close(handle=handle))
        if autopoll:
            self._autopoll()

    def _info(self, handle):
        arg = _uapi.Info(handle=handle)
        self._ioctl(_uapi.IOC_INFO, arg)
        return ObjectInfo(arg)

    def _wrap(self, handle):
        arg = _uapi.Info(handle=handle)
        self._ioctl(_uapi.IOC_INFO, arg)
        return Object(self, handle, arg.id)

    def _autopoll(self):
        if (self.autopoll and not self._dispatching and
                (self._watch or self._refs or self._finalizers or
                 self.gc.callbacks)):
            self.poll_events()

    def fileno(self):
        """The heap's file descriptor (for select/poll: readable when
        death events are queued)."""
        if self._dev is None:
            raise ValueError("operation on a closed refstore heap")
        return self._dev.fd

    def close(self):
        """Close the heap: the kernel frees all its objects. Idempotent.

        Finalizers that did not run yet and have ``atexit`` set run then,
        newest first (weakref.finalize's rule at interpreter exit)."""
        dev, self._dev = self._dev, None
        if dev is not None:
            dev.close()
            fins, self._finalizers = self._finalizers, {}
            for f in sorted(fins.values(), key=lambda f: -f._cookie):
                if f.atexit:
                    f()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- objects

    def new(self, slots=0, tag=None, payload=None, *, name=None, on_del=None,
            notify=False, cookie=None):
        """Create an object and return its first handle.

        ``slots``: number of reference slots (empty). ``tag``: see
        :func:`encode_tag`. ``payload``: None (no payload), an int n (n
        zero bytes), or bytes (copied in). With ``on_del``, ``notify`` or
        ``cookie``, the kernel reports the object's death:
        ``on_del(event)`` is then called (see :meth:`poll_events`) with an
        :class:`Event` whose ``name`` is ``name`` and ``cookie`` is
        ``cookie`` (default: a number unique in this heap).
        """
        if payload is None:
            data, size = b"", 0
        elif isinstance(payload, int):
            data, size = b"", payload
        else:
            data = bytes(payload)
            size = len(data)
        if size < 0 or size >= 1 << 32 or slots < 0 or slots >= 1 << 32:
            raise ValueError("payload size and slots must be 0..2**32-1")
        watch = on_del is not None or notify or cookie is not None
        if watch and cookie is None:
            self._cookie += 1
            cookie = self._cookie
        arg = _uapi.Create(flags=_uapi.CREATE_NOTIFY if watch else 0,
                           payload_size=size, nslots=slots,
                           tag=encode_tag(tag), cookie=cookie or 0)
        self._ioctl(_uapi.IOC_CREATE, arg)
        obj = Object(self, arg.handle, arg.id)
        if watch:
            self._watch[arg.id] = _Watch(name, on_del)
        if data:
            obj.write(data)
        return obj

    def new_int(self, value, slots=0, tag="int", **kwargs):
        """Create an object whose payload is ``value`` as 8 little-endian
        bytes (read back with ``int(obj)``)."""
        return self.new(slots, tag, value.to_bytes(8, "little", signed=True),
                        **kwargs)

    def dup(self, obj):
        """Return a new handle to ``obj``: one more strong reference, as
        ``another_ref = obj`` is one more in CPython."""
        arg = _uapi.Dup(handle=obj._h())
        self._ioctl(_uapi.IOC_DUP, arg)
        return Object(self, arg.new_handle, obj.id)

    def from_id(self, id):
        """A new handle to the live object ``id`` (ID_HANDLE), or None if
        no live object has that id."""
        self.require("inspect")
        arg = _uapi.IdHandle(id=id)
        try:
            self._ioctl(_uapi.IOC_ID_HANDLE, arg)
        except FileNotFoundError:
            return None
        return Object(self, arg.handle, id)

    def getrefcount(self, obj):
        """The kernel's count of strong references to ``obj`` plus one, as
        sys.getrefcount() counts its own argument: handles plus slots."""
        return self._info(obj._h()).refcount + 1

    def info(self, obj):
        """``obj``'s :class:`ObjectInfo`."""
        return self._info(obj._h())

    def _weakref(self, obj, cookie):
        flags = 0
        if cookie:
            self.require("weak_graph")
            flags |= _uapi.WEAKREF_CALLBACK
        if isinstance(obj, WeakRef):
            self.require("weak_graph")
            flags |= _uapi.WEAKREF_FROM_WEAK
        elif not isinstance(obj, Object):
            raise TypeError("cannot create a weak reference to %r" % (obj,))
        arg = _uapi.Weakref(flags=flags, handle=obj._h(), cookie=cookie)
        self._ioctl(_uapi.IOC_WEAKREF, arg)
        return arg.weak

    def _next_cookie(self):
        self._cookie += 1
        return self._cookie

    def weakref(self, obj, callback=None):
        """Return a :class:`WeakRef` to ``obj`` (an :class:`Object`, or a
        :class:`WeakRef` whose object is alive), as weakref.ref(obj,
        callback).

        ``callback(ref)`` is called once, when the kernel's event for the
        object's death is read, if the WeakRef is still alive then (as in
        :mod:`weakref`: dropping it cancels the callback in the kernel).
        Any object may be given one (REFSTORE_WEAKREF_CALLBACK): it need
        not be made with ``notify``.
        """
        self.require("weak")
        cookie = self._next_cookie() if callback is not None else 0
        h = self._weakref(obj, cookie)
        ref = WeakRef(self, h, obj.id, callback, cookie)
        self._weak[h] = ref
        if cookie:
            self._refs[cookie] = _weakref.ref(ref)
        return ref

    def finalize(self, obj, fn, *args, **kwargs):
        """Return a :class:`Finalize` that calls ``fn(*args, **kwargs)``
        once ``obj`` dies, as weakref.finalize(obj, fn, *args, **kwargs).

        It runs when the death's event is read (with autopoll, right after
        the call that freed ``obj``), after ``obj``'s own ``on_del`` if it
        was freed by counting and before every ``on_del`` of a collection
        if the collector freed it (CPython's order). ``fn`` and ``args``
        must not hold ``obj`` itself, or it could not die.
        """
        self.require("weak_graph")
        cookie = self._next_cookie()
        h = self._weakref(obj, cookie)
        f = Finalize(self, h, cookie, obj.id, fn, args, kwargs)
        self._finalizers[cookie] = f
        self._weak[h] = f
        return f

    def getweakrefcount(self, obj):
        """The number of weak references to ``obj``: weak handles (every
        :class:`WeakRef` and :class:`Finalize`, in any process) plus weak
        slots pointing at it, as weakref.getweakrefcount()."""
        self.require("weak_query")
        arg = _uapi.WeakrefCount(handle=obj._h())
        self._ioctl(_uapi.IOC_WEAKREF_COUNT, arg)
        return arg.count

    def getweakrefs(self, obj):
        """The weak references to ``obj``, newest first, as a list of
        :class:`WeakEntry` (weakref.getweakrefs(); weak slots included,
        which have no weakref object of their own)."""
        self.require("weak_query")
        out = []
        page = (_uapi.WeakrefEntry * _uapi.WEAKREFS_PAGE)()
        while True:
            arg = _uapi.Weakrefs(handle=obj._h(),
                                 capacity=_uapi.WEAKREFS_PAGE,
                                 entries=ctypes.addressof(page),
                                 start=len(out))
            self._ioctl(_uapi.IOC_WEAKREFS, arg)
            for raw in page[:arg.count]:
                ref = None
                if not raw.entry_flags & _uapi.WEAKREF_ENTRY_SLOT:
                    ref = self._weak.get(raw.handle)
                out.append(WeakEntry(raw, ref))
            if arg.count == 0 or len(out) >= arg.total:
                return out

    # -- heap-wide

    def stats(self):
        """The heap's counters (HEAP_STATS) as a dict: heap_id, objects,
        bytes, handles, weak_handles, created, freed, events_queued,
        events_dropped, events_pending."""
        self.require("heap_stats")
        arg = _uapi.HeapStats()
        self._ioctl(_uapi.IOC_HEAP_STATS, arg)
        return {name: getattr(arg, name) for name, _ in arg._fields_
                if name not in ("size", "flags", "_reserved")}

    _LIMITS = ("max_objects", "max_bytes", "max_payload", "max_slots",
               "max_handles", "max_events")

    def get_limits(self):
        """The heap's limits as a dict (max_objects, max_bytes, max_payload,
        max_slots, max_handles, max_events)."""
        self.require("limits")
        arg = _uapi.Limits()
        self._ioctl(_uapi.IOC_GET_LIMITS, arg)
        return {name: getattr(arg, name) for name in self._LIMITS}

    def set_limits(self, *, raise_limits=False, **limits):
        """Change limits given by keyword (e.g. ``max_objects=10``).

        Lowering is always allowed; raising needs ``raise_limits=True`` and
        CAP_SYS_RESOURCE (else PermissionError).
        """
        self.require("limits")
        unknown = set(limits) - set(self._LIMITS)
        if unknown:
            raise TypeError("unknown limits: %s" % ", ".join(sorted(unknown)))
        arg = _uapi.Limits(flags=_uapi.LIMITS_RAISE if raise_limits else 0,
                           **limits)
        self._ioctl(_uapi.IOC_SET_LIMITS, arg)

    # -- events

    def poll_events(self, timeout=0):
        """Read the queued death events, run their callbacks, return them.

        Waits up to ``timeout`` seconds (None: forever) for the first one.
        Events come in the kernel's (CPython's) order: for an object
        freed by counting, its ``on_del(event)`` then the callbacks of its
        weak references (newest first); for a collection, every weak
        reference callback and finalizer first, then every ``on_del``. An
        overflow event adds its count to :attr:`events_lost`.
        """
        self.require("events")
        if timeout != 0 and self._dev is not None:
            if not self._dev.wait(timeout):
                return []
        size = ctypes.sizeof(_uapi.Event)
        out = []
        dispatching, self._dispatching = self._dispatching, True
        try:
            while self._dev is not None:
                try:
                    raw = self._dev.read(size * 64)
                except BlockingIOError:
                    break
                except OSError as exc:
                    raise error(exc.errno, "read events") from None
                if not raw:
                    break
                for off in range(0, len(raw) - size + 1, size):
                    ev = _uapi.Event.from_buffer_copy(raw, off)
                    out.append(self._dispatch(ev))
        finally:
            self._dispatching = dispatching
        return out

    def _dispatch(self, raw):
        if raw.cause == _uapi.CAUSE_OVERFLOW:
            self.events_lost += raw.count
            return Event(raw.id, raw.cookie, raw.cause, raw.count)
        if raw.cause >= _uapi.CAUSE_GC_START:
            # Collection records (gc.callbacks, DEBUG_* reports).
            if raw.cause in (_uapi.CAUSE_GC_START, _uapi.CAUSE_GC_STOP):
                self.gc._run_callbacks(raw)
            return Event(raw.id, raw.cookie, raw.cause, raw.count)
        if raw.cause in (_uapi.CAUSE_WEAKREF, _uapi.CAUSE_WEAKREF_CYCLE):
            ev = Event(raw.id, raw.cookie, raw.cause, raw.count)
            f = self._finalizers.get(raw.cookie)
            if f is not None:
                f()
                return ev
            r = self._refs.pop(raw.cookie, None)
            ref = r() if r is not None else None
            if ref is not None and ref.callback is not None:
                ref.callback(ref)
            return ev
        w = self._watch.pop(raw.id, None)
        ev = Event(raw.id, raw.cookie, raw.cause, raw.count,
                   w.name if w else None)
        if w is not None and w.on_del is not None:
            w.on_del(ev)
        return ev

    def events(self, timeout=None):
        """Iterate over death events as they come (callbacks run as in
        :meth:`poll_events`); ends after ``timeout`` seconds without one
        (None: never)."""
        while True:
            evs = self.poll_events(timeout)
            if not evs:
                return
            yield from evs

    def __repr__(self):
        return "<refstore.Heap %s>" % ("closed" if self.closed else
                                      "fd=%s" % getattr(self._dev, "fd", "?"))
