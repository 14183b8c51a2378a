# SPDX-License-Identifier: GPL-2.0
"""The uapi of /dev/refstore (kmod/uapi/linux/refstore.h), mirrored in ctypes.

Every structure here has the header's fields in the header's order with the
same fixed-width types, so ctypes lays them out as the C compiler does.
tests/test_layout.py compiles a C program against the header and compares
every size and offset with these classes, so a change to the header that is
not made here fails ``make hostcheck``.
"""

import ctypes

u32 = ctypes.c_uint32
u64 = ctypes.c_uint64
s64 = ctypes.c_int64

IOC_MAGIC = 0xC4
UAPI_VERSION = 1

# REFSTORE_FEAT_* bit numbers (the header's _BITULL(n)).
FEATURES = {
    "objects": 0,
    "slots": 1,
    "payload": 2,
    "weak": 3,
    "events": 4,
    "limits": 5,
    "heap_stats": 6,
    "gc": 7,
    "gc_delay": 8,
    "weak_graph": 9,
    "weak_query": 10,
    "trace": 12,
    "inspect": 13,
    "gc_events": 14,
}

CREATE_NOTIFY = 1 << 0
OBJ_NOTIFY = 1 << 0
OBJ_WEAKREFS = 1 << 1
LIMITS_RAISE = 1 << 0

SLOT_WEAK = 1 << 0
SLOT_DEAD = 1 << 1
SET_SLOT_FLAGS = SLOT_WEAK
WEAKREF_CALLBACK = 1 << 0
WEAKREF_FROM_WEAK = 1 << 1
WEAKREF_FLAGS = WEAKREF_CALLBACK | WEAKREF_FROM_WEAK
WEAKREF_ENTRY_SLOT = 1 << 0
WEAKREF_ENTRY_CALLBACK = 1 << 1
WEAKREFS_PAGE = 256

CAUSE_RELEASED = 1
CAUSE_CYCLE = 2
CAUSE_OVERFLOW = 3
CAUSE_WEAKREF = 4
CAUSE_WEAKREF_CYCLE = 5
CAUSE_GC_START = 16
CAUSE_GC_STOP = 17
CAUSE_GC_COLLECTABLE = 18
CAUSE_GC_UNCOLLECTABLE = 19
CAUSE_GC_STATS = 20
CAUSES = {
    CAUSE_RELEASED: "released",
    CAUSE_CYCLE: "cycle",
    CAUSE_OVERFLOW: "overflow",
    CAUSE_WEAKREF: "weakref",
    CAUSE_WEAKREF_CYCLE: "weakref_cycle",
    CAUSE_GC_START: "gc_start",
    CAUSE_GC_STOP: "gc_stop",
    CAUSE_GC_COLLECTABLE: "gc_collectable",
    CAUSE_GC_UNCOLLECTABLE: "gc_uncollectable",
    CAUSE_GC_STATS: "gc_stats",
}

GC_GENERATIONS = 3
GC_DEBUG_STATS = 1 << 0
GC_DEBUG_SAVEALL = 1 << 1
GC_DEBUG_COLLECTABLE = 1 << 2
GC_DEBUG_UNCOLLECTABLE = 1 << 3
GC_DEBUG_CALLBACKS = 1 << 4
GC_DEBUG_LEAK = GC_DEBUG_COLLECTABLE | GC_DEBUG_UNCOLLECTABLE | \
    GC_DEBUG_SAVEALL
GC_DEBUG_FLAGS = GC_DEBUG_STATS | GC_DEBUG_SAVEALL | GC_DEBUG_COLLECTABLE | \
    GC_DEBUG_UNCOLLECTABLE | GC_DEBUG_CALLBACKS

TRACED_RESET_PEAK = 1 << 0
TAG_NAME_MAX = 64
GROUP_TAG = 0
GROUP_CREATOR = 1
STAT_NAMED = 1 << 0
STAT_OTHER = 1 << 1
SNAPSHOT_MAX = 1024
OBJ_FROZEN = 1 << 16
OBJ_GARBAGE = 1 << 17
OBJ_SUSPECT = 1 << 18
OBJ_COLLECTING = 1 << 19
GEN_FROZEN = 3
OBJECTS_GENERATION = 1 << 0


class _Struct(ctypes.Structure):
    """Base of the ioctl structures: ``size`` is filled in on creation."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if any(name == "size" for name, _ in self._fields_):
            self.size = ctypes.sizeof(self)


class Version(_Struct):
    _fields_ = [("size", u32), ("flags", u32), ("version", u32),
                ("_reserved", u32), ("features", u64)]


class Create(_Struct):
    _fields_ = [("size", u32), ("flags", u32), ("payload_size", u32),
                ("nslots", u32), ("tag", u64), ("cookie", u64),
                ("handle", u32), ("_reserved", u32), ("id", u64)]


class Dup(_Struct):
    _fields_ = [("size", u32), ("flags", u32), ("handle", u32),
                ("new_handle", u32)]


class Close(_Struct):
    _fields_ = [("size", u32), ("flags", u32), ("handle", u32),
                ("_reserved", u32)]


class SetSlot(_Struct):
    _fields_ = [("size", u32), ("flags", u32), ("handle", u32),
                ("slot", u32), ("target", u32), ("_reserved", u32)]


class GetSlot(_Struct):
    _fields_ = [("size", u32), ("flags", u32), ("handle", u32),
                ("slot", u32), ("target", u32), ("_reserved", u32),
                ("target_id", u64), ("slot_flags", u32), ("_reserved2", u32)]


class Rw(_Struct):
    _fields_ = [("size", u32), ("flags", u32), ("handle", u32),
                ("_reserved", u32), ("offset", u64), ("length", u64),
                ("data", u64)]


class Info(_Struct):
    _fields_ = [("size", u32), ("flags", u32), ("handle", u32),
                ("refcount", u32), ("id", u64), ("tag", u64),
                ("payload_size", u32), ("nslots", u32), ("obj_flags", u32),
                ("creator_pid", u32)]


class Weakref(_Struct):
    _fields_ = [("size", u32), ("flags", u32), ("handle", u32),
                ("weak", u32), ("cookie", u64)]


class Upgrade(_Struct):
    _fields_ = [("size", u32), ("flags", u32), ("weak", u32),
                ("handle", u32)]


class Limits(_Struct):
    _fields_ = [("size", u32), ("flags", u32), ("max_objects", u64),
                ("max_bytes", u64), ("max_payload", u32), ("max_slots", u32),
                ("max_handles", u32), ("max_events", u32),
                ("_reserved", u64)]


class HeapStats(_Struct):
    _fields_ = [("size", u32), ("flags", u32), ("heap_id", u64),
                ("objects", u64), ("bytes", u64), ("handles", u64),
                ("weak_handles", u64), ("created", u64), ("freed", u64),
                ("events_queued", u64), ("events_dropped", u64),
                ("events_pending", u32), ("_reserved", u32)]


class Event(ctypes.Structure):
    """struct refstore_event: one death event as read() returns it."""

    _fields_ = [("cookie", u64), ("id", u64), ("cause", u32), ("count", u32)]


class GcCollect(_Struct):
    _fields_ = [("size", u32), ("flags", u32), ("generation", u32),
                ("_reserved", u32), ("unreachable", u64),
                ("uncollectable", u64), ("examined", u64)]


class GcValue(_Struct):
    _fields_ = [("size", u32), ("flags", u32), ("value", u64)]


class GcThreshold(_Struct):
    _fields_ = [("size", u32), ("flags", u32),
                ("threshold", u32 * GC_GENERATIONS), ("_reserved", u32)]


class GcCount(_Struct):
    _fields_ = [("size", u32), ("flags", u32), ("count", s64 * GC_GENERATIONS)]


class GcGenStats(ctypes.Structure):
    _fields_ = [("collections", u64), ("collected", u64),
                ("uncollectable", u64)]


class GcStats(_Struct):
    _fields_ = [("size", u32), ("flags", u32),
                ("gen", GcGenStats * GC_GENERATIONS),
                ("pause_total_ns", u64), ("pause_max_ns", u64),
                ("examined", u64), ("automatic", u64), ("garbage", u64)]


class GcGarbage(_Struct):
    _fields_ = [("size", u32), ("flags", u32), ("capacity", u32),
                ("count", u32), ("handles", u64), ("total", u64),
                ("cursor", u64)]


class TracedMemory(_Struct):
    _fields_ = [("size", u32), ("flags", u32), ("objects", u64),
                ("bytes", u64), ("peak_objects", u64), ("peak_bytes", u64)]


class TagName(_Struct):
    _fields_ = [("size", u32), ("flags", u32), ("tag", u64), ("name", u64),
                ("name_len", u32), ("_reserved", u32)]


class Stat(ctypes.Structure):
    """struct refstore_stat: one group of a SNAPSHOT."""

    _fields_ = [("key", u64), ("count", u64), ("bytes", u64),
                ("created", u64), ("pid", u32), ("stat_flags", u32),
                ("name", ctypes.c_char * TAG_NAME_MAX)]


class Snapshot(_Struct):
    _fields_ = [("size", u32), ("flags", u32), ("group", u32),
                ("entry_size", u32), ("cursor", u64), ("capacity", u32),
                ("count", u32), ("entries", u64), ("total", u64),
                ("objects", u64), ("bytes", u64), ("peak_objects", u64),
                ("peak_bytes", u64)]


class ObjectInfo(ctypes.Structure):
    """struct refstore_object_info: one object as OBJECTS lists it."""

    _fields_ = [("id", u64), ("tag", u64), ("refcount", u32),
                ("payload_size", u32), ("nslots", u32), ("generation", u32),
                ("obj_flags", u32), ("creator_pid", u32), ("bytes", u64)]


class Objects(_Struct):
    _fields_ = [("size", u32), ("flags", u32), ("generation", u32),
                ("entry_size", u32), ("cursor", u64), ("capacity", u32),
                ("count", u32), ("entries", u64), ("total", u64)]


class Referents(_Struct):
    _fields_ = [("size", u32), ("flags", u32), ("id", u64), ("ids", u64),
                ("capacity", u32), ("nslots", u32), ("slot_flags", u64)]


class Referrer(ctypes.Structure):
    """struct refstore_referrer: one slot pointing at an object."""

    _fields_ = [("id", u64), ("slot", u32), ("_reserved", u32)]


class Referrers(_Struct):
    _fields_ = [("size", u32), ("flags", u32), ("id", u64),
                ("entries", u64), ("cursor", u64), ("capacity", u32),
                ("count", u32), ("total", u64)]


class IdHandle(_Struct):
    _fields_ = [("size", u32), ("flags", u32), ("id", u64), ("handle", u32),
                ("_reserved", u32)]


class WeakrefCount(_Struct):
    _fields_ = [("size", u32), ("flags", u32), ("handle", u32),
                ("_reserved", u32), ("count", u64), ("weak_handles", u64),
                ("weak_slots", u64)]


class WeakrefEntry(ctypes.Structure):
    """struct refstore_weakref_entry: one weak reference WEAKREFS lists."""

    _fields_ = [("owner_id", u64), ("cookie", u64), ("handle", u32),
                ("slot", u32), ("entry_flags", u32), ("_reserved", u32)]


class Weakrefs(_Struct):
    _fields_ = [("size", u32), ("flags", u32), ("handle", u32),
                ("capacity", u32), ("entries", u64), ("start", u64),
                ("count", u32), ("_reserved", u32), ("total", u64)]


# C name of each structure, for the layout test.
C_NAMES = {
    Version: "refstore_version", Create: "refstore_create",
    Dup: "refstore_dup", Close: "refstore_close",
    SetSlot: "refstore_set_slot", GetSlot: "refstore_get_slot",
    Rw: "refstore_rw", Info: "refstore_info", Weakref: "refstore_weakref",
    Upgrade: "refstore_upgrade", Limits: "refstore_limits",
    HeapStats: "refstore_heap_stats", Event: "refstore_event",
    GcCollect: "refstore_gc_collect", GcValue: "refstore_gc_value",
    GcThreshold: "refstore_gc_threshold", GcCount: "refstore_gc_count",
    GcGenStats: "refstore_gc_gen_stats", GcStats: "refstore_gc_stats",
    GcGarbage: "refstore_gc_garbage",
    WeakrefCount: "refstore_weakref_count",
    WeakrefEntry: "refstore_weakref_entry", Weakrefs: "refstore_weakrefs",
    TracedMemory: "refstore_traced_memory", TagName: "refstore_tag_name",
    Stat: "refstore_stat", Snapshot: "refstore_snapshot",
    ObjectInfo: "refstore_object_info", Objects: "refstore_objects",
    Referents: "refstore_referents", Referrer: "refstore_referrer",
    Referrers: "refstore_referrers", IdHandle: "refstore_id_handle",
}


def _iowr(nr, struct):
    """The number _IOWR(REFSTORE_IOC_MAGIC, nr, struct) has on Linux."""
    return (3 << 30) | (ctypes.sizeof(struct) << 16) | (IOC_MAGIC << 8) | nr


IOC_VERSION = _iowr(0x00, Version)
IOC_CREATE = _iowr(0x01, Create)
IOC_DUP = _iowr(0x02, Dup)
IOC_CLOSE = _iowr(0x03, Close)
IOC_SET_SLOT = _iowr(0x04, SetSlot)
IOC_GET_SLOT = _iowr(0x05, GetSlot)
IOC_WRITE = _iowr(0x06, Rw)
IOC_READ = _iowr(0x07, Rw)
IOC_INFO = _iowr(0x08, Info)
IOC_WEAKREF = _iowr(0x09, Weakref)
IOC_UPGRADE = _iowr(0x0A, Upgrade)
IOC_GET_LIMITS = _iowr(0x0B, Limits)
IOC_SET_LIMITS = _iowr(0x0C, Limits)
IOC_HEAP_STATS = _iowr(0x0D, HeapStats)
IOC_WEAKREF_COUNT = _iowr(0x0E, WeakrefCount)
IOC_WEAKREFS = _iowr(0x0F, Weakrefs)
IOC_GC_COLLECT = _iowr(0x20, GcCollect)
IOC_GC_ENABLE = _iowr(0x21, GcValue)
IOC_GC_DISABLE = _iowr(0x22, GcValue)
IOC_GC_ISENABLED = _iowr(0x23, GcValue)
IOC_GC_SET_THRESHOLD = _iowr(0x24, GcThreshold)
IOC_GC_GET_THRESHOLD = _iowr(0x25, GcThreshold)
IOC_GC_GET_COUNT = _iowr(0x26, GcCount)
IOC_GC_GET_STATS = _iowr(0x27, GcStats)
IOC_GC_FREEZE = _iowr(0x28, GcValue)
IOC_GC_UNFREEZE = _iowr(0x29, GcValue)
IOC_GC_GET_FREEZE_COUNT = _iowr(0x2A, GcValue)
IOC_GC_SET_DEBUG = _iowr(0x2B, GcValue)
IOC_GC_GET_DEBUG = _iowr(0x2C, GcValue)
IOC_GC_GARBAGE = _iowr(0x2D, GcGarbage)
IOC_GC_CLEAR_GARBAGE = _iowr(0x2E, GcValue)
IOC_GC_SET_DELAY = _iowr(0x2F, GcValue)
IOC_GC_GET_DELAY = _iowr(0x30, GcValue)
IOC_TRACED_MEMORY = _iowr(0x40, TracedMemory)
IOC_TAG_NAME = _iowr(0x41, TagName)
IOC_SNAPSHOT = _iowr(0x42, Snapshot)
IOC_OBJECTS = _iowr(0x43, Objects)
IOC_REFERENTS = _iowr(0x44, Referents)
IOC_REFERRERS = _iowr(0x45, Referrers)
IOC_ID_HANDLE = _iowr(0x46, IdHandle)

# Every command, by its C name, for the layout test.
IOCTLS = {name[4:]: value for name, value in globals().items()
          if name.startswith("IOC_") and name != "IOC_MAGIC"}
