/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * refstore - a store of reference-counted objects with a cycle collector
 *
 * Userspace interface of /dev/refstore.
 */
#ifndef _UAPI_LINUX_REFSTORE_H
#define _UAPI_LINUX_REFSTORE_H

#include <linux/types.h>
#include <linux/const.h>
#include <linux/ioctl.h>

/**
 * DOC: General ioctl format
 *
 * Every open of /dev/refstore is a *heap*: the objects, handles, limits and
 * death-event queue made through that file belong to it. The file may be
 * shared (fork, SCM_RIGHTS); when its last reference is closed, every object
 * of the heap is freed, cycles included.
 *
 * Every ioctl takes a pointer to a structure that starts with ``__u32 size``
 * (set by userspace to sizeof() of the structure it was compiled with) and
 * ``__u32 flags``. Structures grow only by appending fields. A caller built
 * against an older header passes a smaller size and the new fields read as
 * zero; a caller built against a newer header passes a larger size and the
 * call fails with E2BIG unless every byte the kernel does not know is zero.
 * ``size`` may not exceed the page size (E2BIG).
 * Output fields are written back only up to the caller's size; commands
 * that only take input (CLOSE, SET_SLOT, WRITE, READ, SET_LIMITS,
 * GC_ENABLE, GC_DISABLE, GC_FREEZE, GC_UNFREEZE, GC_CLEAR_GARBAGE,
 * GC_SET_THRESHOLD, GC_SET_DEBUG) write nothing back. A command whose
 * results cannot be written back fails with EFAULT and has changed
 * nothing: a handle it made is published only once the caller has its
 * number (until then no other call can see, close or be given it), and
 * GC_COLLECT and GC_GARBAGE commit only once their results are out. No
 * command touches the caller's memory while it holds the heap's lock, so a
 * slow or stalled page fault in one call never stalls another.
 *
 * The command number is ``_IOWR(REFSTORE_IOC_MAGIC, nr, struct)``. The
 * driver checks its direction, magic and ``nr`` (ENOTTY if they do not
 * name a command) but not its size bits: the ``size`` member is
 * authoritative for the length of the structure, so a caller built against
 * a newer header, whose command numbers encode a larger size, still works.
 *
 * Fields named ``__reserved*`` and every flag bit not defined here must be
 * zero. Handles are positive integers local to one heap; 0 is never a valid
 * handle and, where a handle is optional, means "none".
 *
 * Errors common to every ioctl:
 *
 * - ENOTTY: unknown command number or magic.
 * - EFAULT: the argument pointer, or a pointer inside it, is not accessible.
 * - EINVAL: ``size`` is smaller than the first version of the structure,
 *   an unknown flag is set, a reserved field is not zero, or a field is out
 *   of its documented range.
 * - E2BIG: ``size`` is larger than the structure the kernel knows and the
 *   extra bytes are not all zero, or larger than the page size.
 * - ENOENT: a handle does not name anything in this heap.
 * - EBADSLT: a weak handle was passed where a strong one is required, or a
 *   strong handle where a weak one is required.
 * - EOVERFLOW: an offset plus a length overflows 64 bits.
 * - ENOSPC: a per-object limit (payload size, slot count) is exceeded.
 * - EDQUOT: a per-heap limit (objects, bytes, handles) would be exceeded.
 * - EUSERS: the bytes charged to the heap's user (every heap its opener's
 *   user has open, see "Memory limits") would exceed the module's
 *   ``max_user_bytes``;
 *   openers with CAP_SYS_RESOURCE are exempt. open() fails with EUSERS too,
 *   and with EMFILE if the user has ``max_user_heaps`` heaps open already.
 * - ENOBUFS: the bytes charged to all heaps together would exceed the
 *   module's ``max_total_bytes``; no one is exempt. open() fails with it
 *   too.
 * - EPERM: an attempt to raise a heap limit without REFSTORE_LIMITS_RAISE,
 *   or with it but without CAP_SYS_RESOURCE.
 * - ENOMEM: the kernel could not allocate memory; nothing was changed.
 *
 * A call that fails changes nothing in the heap.
 */

/**
 * DOC: Memory limits
 *
 * Every byte the module allocates for a heap is charged three times, and
 * a call that would go over any of the three fails and changes nothing:
 *
 * - the heap's ``max_bytes`` (EDQUOT) bounds its contents, reported as
 *   &struct refstore_heap_stats.bytes: each object at the size the
 *   allocator really gives it (its slab object, and a large slot array and
 *   payload at their kmalloc size rounded up, e.g. 1 MiB for a payload of
 *   512 KiB + 1), weak handles and their lists at their kmalloc size, and
 *   the handle and weak-list tables for the nodes their entries can need
 *   (a node of ~600 bytes per 64 dense entries, one per entry if sparse).
 *   The default is 64 MiB (module parameter ``max_bytes``).
 * - the opener's user's ``max_user_bytes`` (EUSERS) bounds the contents
 *   and the overhead of all the heaps that user has open, the overhead
 *   (``overhead_bytes`` in the heap's debugfs stats) being the heap itself and
 *   its debugfs files (about 6 KiB), its table of creators (at most 256
 *   entries, 16 KiB) and its death-event ring (grown as NOTIFY objects are
 *   made, at most ``max_events`` events of 24 bytes). ``max_user_heaps``
 *   (EMFILE at open) bounds the number of heaps. Default: a sixteenth of
 *   RAM, and 1024 heaps. CAP_SYS_RESOURCE exempts an opener.
 *   The user is the opener's real uid in the initial user namespace; an
 *   opener inside a user namespace is charged to the uid that owns the
 *   outermost one (the namespace whose parent is the initial one), so the
 *   uids a user maps into its namespaces (a subuid range) are all that
 *   one user and share its caps. A namespace root created (a container)
 *   is charged instead to the uid mapped as its uid 0, so each container
 *   is one user of its own, not root; if it maps no uid 0, the opener is
 *   charged to its own uid.
 * - the module's ``max_total_bytes`` (ENOBUFS) bounds all of it together.
 *   Default: a quarter of RAM.
 *
 * The three caps are module parameters root may change at any time (0
 * restores the default); /sys/kernel/debug/refstore/users shows them and
 * what each user is charged. Memory the module does not allocate (the open
 * file itself, a READ or WRITE's transient buffer) is charged only to the
 * caller's memory cgroup.
 */

/** REFSTORE_IOC_MAGIC - ioctl type, unassigned in ioctl-number.rst */
#define REFSTORE_IOC_MAGIC 0xC4

/** REFSTORE_UAPI_VERSION - version reported by REFSTORE_IOC_VERSION */
#define REFSTORE_UAPI_VERSION 1

/* Feature bits reported in &struct refstore_version.features. */
/** REFSTORE_FEAT_OBJECTS - CREATE, DUP, CLOSE, INFO */
#define REFSTORE_FEAT_OBJECTS _BITULL(0)
/** REFSTORE_FEAT_SLOTS - SET_SLOT, GET_SLOT */
#define REFSTORE_FEAT_SLOTS _BITULL(1)
/** REFSTORE_FEAT_PAYLOAD - READ, WRITE */
#define REFSTORE_FEAT_PAYLOAD _BITULL(2)
/** REFSTORE_FEAT_WEAK - WEAKREF, UPGRADE */
#define REFSTORE_FEAT_WEAK _BITULL(3)
/** REFSTORE_FEAT_EVENTS - death events via read() and poll() */
#define REFSTORE_FEAT_EVENTS _BITULL(4)
/** REFSTORE_FEAT_LIMITS - GET_LIMITS, SET_LIMITS */
#define REFSTORE_FEAT_LIMITS _BITULL(5)
/** REFSTORE_FEAT_HEAP_STATS - HEAP_STATS */
#define REFSTORE_FEAT_HEAP_STATS _BITULL(6)
/** REFSTORE_FEAT_GC - the cycle collector and its REFSTORE_IOC_GC_* controls */
#define REFSTORE_FEAT_GC _BITULL(7)
/** REFSTORE_FEAT_GC_DELAY - GC_SET_DELAY, GC_GET_DELAY: the time bound */
#define REFSTORE_FEAT_GC_DELAY _BITULL(8)
/**
 * REFSTORE_FEAT_WEAK_GRAPH - weak slots (REFSTORE_SLOT_WEAK, GET_SLOT's
 * slot_flags) and weak handles with callbacks (REFSTORE_WEAKREF_CALLBACK,
 * REFSTORE_WEAKREF_FROM_WEAK, REFSTORE_CAUSE_WEAKREF*)
 */
#define REFSTORE_FEAT_WEAK_GRAPH _BITULL(9)
/** REFSTORE_FEAT_WEAK_QUERY - WEAKREF_COUNT, WEAKREFS */
#define REFSTORE_FEAT_WEAK_QUERY _BITULL(10)
/**
 * REFSTORE_FEAT_TRACE - TRACED_MEMORY, TAG_NAME, SNAPSHOT: allocation
 * statistics by tag and by creator, and the heap's fdinfo
 */
#define REFSTORE_FEAT_TRACE _BITULL(12)
/**
 * REFSTORE_FEAT_INSPECT - OBJECTS, REFERENTS, REFERRERS, ID_HANDLE, and
 * &struct refstore_gc_garbage.cursor
 */
#define REFSTORE_FEAT_INSPECT _BITULL(13)
/**
 * REFSTORE_FEAT_GC_EVENTS - collection events on the heap's fd:
 * REFSTORE_GC_DEBUG_CALLBACKS, _COLLECTABLE, _UNCOLLECTABLE, and
 * REFSTORE_GC_DEBUG_STATS records (see "Collection events")
 */
#define REFSTORE_FEAT_GC_EVENTS _BITULL(14)

/**
 * struct refstore_version - REFSTORE_IOC_VERSION
 * @size: sizeof(struct refstore_version)
 * @flags: must be 0
 * @version: out: REFSTORE_UAPI_VERSION of the running module
 * @__reserved: must be 0
 * @features: out: REFSTORE_FEAT_* bits of the calls this module implements
 *
 * Tells userspace what the module supports. Never fails on valid input.
 */
struct refstore_version {
	__u32 size;
	__u32 flags;
	__u32 version;
	__u32 __reserved;
	__u64 features;
};

/** REFSTORE_CREATE_NOTIFY - queue a death event when the object is freed */
#define REFSTORE_CREATE_NOTIFY _BITUL(0)
/** REFSTORE_CREATE_FLAGS - every valid &struct refstore_create flag */
#define REFSTORE_CREATE_FLAGS (REFSTORE_CREATE_NOTIFY)

/**
 * struct refstore_create - REFSTORE_IOC_CREATE
 * @size: sizeof(struct refstore_create)
 * @flags: REFSTORE_CREATE_* bits
 * @payload_size: bytes of payload, zero-filled; may be 0
 * @nslots: number of reference slots, all empty; may be 0
 * @tag: free-form value kept with the object (an allocation site, say)
 * @cookie: with REFSTORE_CREATE_NOTIFY, the value the death event carries;
 *	must be 0 without it
 * @handle: out: a new strong handle to the object
 * @__reserved: must be 0
 * @id: out: the object's id: unique in its heap and never reused there;
 *	ids of different heaps are unrelated (a heap's ids count only its
 *	own objects, from 1)
 *
 * Creates an object with a reference count of one, held by @handle.
 *
 * Errors: ENOSPC if @payload_size or @nslots exceeds the heap's per-object
 * limit; EDQUOT if the heap's object, byte or handle limit would be exceeded.
 */
struct refstore_create {
	__u32 size;
	__u32 flags;
	__u32 payload_size;
	__u32 nslots;
	__u64 tag;
	__u64 cookie;
	__u32 handle;
	__u32 __reserved;
	__u64 id;
};

/**
 * struct refstore_dup - REFSTORE_IOC_DUP
 * @size: sizeof(struct refstore_dup)
 * @flags: must be 0
 * @handle: a strong handle
 * @new_handle: out: another strong handle to the same object
 *
 * Adds one strong reference. Errors: ENOENT, EBADSLT (weak @handle), EDQUOT
 * (handle limit).
 */
struct refstore_dup {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__u32 new_handle;
};

/**
 * struct refstore_close - REFSTORE_IOC_CLOSE
 * @size: sizeof(struct refstore_close)
 * @flags: must be 0
 * @handle: a strong or weak handle
 * @__reserved: must be 0
 *
 * Removes the handle. For a strong handle the object loses one reference;
 * at zero it is freed, and the references in its slots are dropped in turn
 * (iteratively: a chain of any length is freed without recursion). Closing
 * a weak handle never frees anything. Errors: ENOENT.
 */
struct refstore_close {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__u32 __reserved;
};

/**
 * DOC: Weak slots
 *
 * A slot holds a strong reference (the default) or, if SET_SLOT was given
 * REFSTORE_SLOT_WEAK, a weak one: Python's ``self.parent =
 * weakref.ref(parent)``. A weak slot does not count in its target's
 * reference count (INFO.refcount), is not an edge for the cycle collector
 * (a child that points back at its parent weakly makes no cycle, so the
 * tree is freed by counting alone when its root's last reference goes),
 * and when its target dies it reads as empty: GET_SLOT answers @target 0
 * with REFSTORE_SLOT_WEAK | REFSTORE_SLOT_DEAD in @slot_flags, as calling
 * a dead weakref.ref returns None.
 *
 * The kind is chosen per store, with a flag on SET_SLOT, not fixed per
 * slot at CREATE: in Python any attribute may hold a weakref or a strong
 * reference, and which one is a property of the value stored (a
 * WeakValueDictionary's values are all weak, a dict's are not; a tree
 * node's parent attribute may start strong while it is being built). A
 * kind fixed at CREATE would need a second slot array in the CREATE
 * arguments and would make the choice before the program knows it. The
 * cost is one bit of the slot's value, which the collector tests as it
 * walks the slot anyway.
 *
 * As in CPython (gcmodule.c, handle_weakrefs() runs before
 * finalize_garbage()), the weak references to the objects a collection
 * finds unreachable, weak handles and weak slots alike, are all cleared
 * (and their callbacks' events queued) before any death event of that
 * collection is queued: no one can reach collected garbage again through a
 * weak slot, whatever the order it reads its events in.
 */

/** REFSTORE_SLOT_WEAK - SET_SLOT: store a weak reference; GET_SLOT: weak */
#define REFSTORE_SLOT_WEAK _BITUL(0)
/** REFSTORE_SLOT_DEAD - GET_SLOT: a weak slot whose target has died */
#define REFSTORE_SLOT_DEAD _BITUL(1)
/** REFSTORE_SET_SLOT_FLAGS - every valid &struct refstore_set_slot flag */
#define REFSTORE_SET_SLOT_FLAGS (REFSTORE_SLOT_WEAK)

/**
 * struct refstore_set_slot - REFSTORE_IOC_SET_SLOT
 * @size: sizeof(struct refstore_set_slot)
 * @flags: 0 or REFSTORE_SLOT_WEAK
 * @handle: strong handle of the object whose slot changes
 * @slot: slot index, below the object's slot count
 * @target: strong handle of the new target (any object of this heap,
 *	including the object itself), or 0 to empty the slot. With
 *	REFSTORE_SLOT_WEAK it may also be a weak handle, whose object must
 *	be alive (ENOENT otherwise)
 * @__reserved: must be 0
 *
 * Without REFSTORE_SLOT_WEAK the new target gains a reference; with it,
 * none (see "Weak slots"). Then the slot's old content goes: an old strong
 * target loses its reference (which may free it), an old weak reference is
 * dropped. Handles name objects of their own heap only: there is no way to
 * make a slot, weak or strong, point into another heap (a handle number of
 * another heap is ENOENT here, or names this heap's object of that
 * number). A weak slot is charged to the heap like a weak handle (its
 * entry on the target's list of weak references), but is not a handle.
 * Errors: ENOENT, EBADSLT (@handle weak, or @target weak without
 * REFSTORE_SLOT_WEAK), EINVAL (@slot out of range, unknown flag), EDQUOT,
 * EUSERS, ENOBUFS, ENOMEM (the weak reference's entry).
 */
struct refstore_set_slot {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__u32 slot;
	__u32 target;
	__u32 __reserved;
};

/**
 * struct refstore_get_slot - REFSTORE_IOC_GET_SLOT
 * @size: sizeof(struct refstore_get_slot)
 * @flags: must be 0
 * @handle: strong handle of the object to read
 * @slot: slot index, below the object's slot count
 * @target: out: a new strong handle to the slot's object, or 0 if the slot
 *	is empty
 * @__reserved: must be 0
 * @target_id: out: id of the slot's object, or 0 if the slot is empty
 * @slot_flags: out: REFSTORE_SLOT_WEAK if the slot holds a weak reference,
 *	with REFSTORE_SLOT_DEAD if its target has died (or is garbage a
 *	pending GC_COLLECT found, as for UPGRADE); 0 for a strong or empty
 *	slot
 * @__reserved2: must be 0
 *
 * A weak slot whose target is alive answers like a strong one (a new
 * strong handle, as calling a weakref.ref gives the object); one whose
 * target died answers @target 0 and @target_id 0, like an empty slot, and
 * only @slot_flags tells them apart. A caller built before weak slots
 * (@size 32) gets the same answers without @slot_flags.
 *
 * Errors: ENOENT, EBADSLT, EINVAL (@slot out of range), EDQUOT (handle limit).
 */
struct refstore_get_slot {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__u32 slot;
	__u32 target;
	__u32 __reserved;
	__u64 target_id;
	__u32 slot_flags;
	__u32 __reserved2;
};

/**
 * struct refstore_rw - REFSTORE_IOC_READ and REFSTORE_IOC_WRITE
 * @size: sizeof(struct refstore_rw)
 * @flags: must be 0
 * @handle: strong handle of the object
 * @__reserved: must be 0
 * @offset: byte offset into the payload
 * @length: bytes to copy; 0 is allowed and copies nothing
 * @data: user pointer (as __u64) to @length bytes
 *
 * Copies between the payload and @data. @offset + @length must not exceed
 * the payload size. Errors: ENOENT, EBADSLT, EOVERFLOW (@offset + @length
 * overflows), EINVAL (past the end of the payload), ENOMEM, EFAULT (@data;
 * a WRITE that faults has changed nothing). The bytes pass through a
 * kernel buffer and @data is accessed without the heap's lock held, so a
 * slow or userfaultfd-stalled fault on @data delays only the caller, not
 * other users of the heap; a READ concurrent with a WRITE sees the payload
 * wholly before or wholly after it. Errors about the arguments themselves
 * (EINVAL for flags, reserved fields or a length over the module's
 * max_payload; EOVERFLOW) and ENOMEM are reported before ENOENT/EBADSLT.
 */
struct refstore_rw {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__u32 __reserved;
	__u64 offset;
	__u64 length;
	__u64 data;
};

/* Bits of &struct refstore_info.obj_flags. */
/** REFSTORE_OBJ_NOTIFY - created with REFSTORE_CREATE_NOTIFY */
#define REFSTORE_OBJ_NOTIFY _BITUL(0)
/** REFSTORE_OBJ_WEAKREFS - at least one weak handle names the object */
#define REFSTORE_OBJ_WEAKREFS _BITUL(1)

/**
 * struct refstore_info - REFSTORE_IOC_INFO
 * @size: sizeof(struct refstore_info)
 * @flags: must be 0
 * @handle: strong handle of the object
 * @refcount: out: strong references to the object: its handles plus the
 *	slots that point at it. Python's sys.getrefcount() shows this plus one
 *	for its own argument.
 * @id: out: object id
 * @tag: out: the tag given at creation
 * @payload_size: out: payload bytes
 * @nslots: out: slot count
 * @obj_flags: out: REFSTORE_OBJ_* bits
 * @creator_pid: out: process id of the creator, as it saw itself
 *	(its getpid()); 0 if the heap's table of creators was full
 *
 * Errors: ENOENT, EBADSLT.
 */
struct refstore_info {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__u32 refcount;
	__u64 id;
	__u64 tag;
	__u32 payload_size;
	__u32 nslots;
	__u32 obj_flags;
	__u32 creator_pid;
};

/**
 * REFSTORE_WEAKREF_CALLBACK - queue a REFSTORE_CAUSE_WEAKREF* event with
 * @cookie when the object dies, as weakref.ref(obj, callback) and
 * weakref.finalize(obj, ...)
 */
#define REFSTORE_WEAKREF_CALLBACK _BITUL(0)
/** REFSTORE_WEAKREF_FROM_WEAK - @handle is a weak handle, not a strong one */
#define REFSTORE_WEAKREF_FROM_WEAK _BITUL(1)
/** REFSTORE_WEAKREF_FLAGS - every valid &struct refstore_weakref flag */
#define REFSTORE_WEAKREF_FLAGS (REFSTORE_WEAKREF_CALLBACK | \
				REFSTORE_WEAKREF_FROM_WEAK)

/**
 * struct refstore_weakref - REFSTORE_IOC_WEAKREF
 * @size: sizeof(struct refstore_weakref)
 * @flags: REFSTORE_WEAKREF_* bits
 * @handle: strong handle of the object; with REFSTORE_WEAKREF_FROM_WEAK, a
 *	weak handle of it
 * @weak: out: a new weak handle to it
 * @cookie: with REFSTORE_WEAKREF_CALLBACK, the value its event carries;
 *	must be 0 without it
 *
 * A weak handle does not keep its object alive.
 *
 * With REFSTORE_WEAKREF_CALLBACK the weak handle asks for one event, read
 * from the heap fd like death events, when the object dies: @cookie, the
 * object's id, cause REFSTORE_CAUSE_WEAKREF (freed by counting) or
 * REFSTORE_CAUSE_WEAKREF_CYCLE (found unreachable by the collector, saved
 * by SAVEALL included), count 1. The interest is declared when the weak
 * handle is made, not when the object is: any holder of a handle may ask.
 * It fires once; closing the weak handle before the death cancels it. It
 * counts against max_events like a NOTIFY object (the event ring grows for
 * it), and a full queue drops it like a death event (REFSTORE_CAUSE_OVERFLOW).
 *
 * Order, as CPython's: an object that dies by counting queues its own death
 * event (its __del__) before the callbacks of its weak handles (CPython's
 * subtype_dealloc() calls tp_finalize before PyObject_ClearWeakRefs());
 * a collection queues the callbacks of every object it found unreachable
 * before any of their death events (handle_weakrefs() before
 * finalize_garbage() in gcmodule.c). The callbacks of one object come
 * newest weak handle first, as CPython calls them.
 *
 * Errors: ENOENT (no such handle; with REFSTORE_WEAKREF_FROM_WEAK, also a
 * weak handle whose object has died, so no callback can be asked for a dead
 * object), EBADSLT (@handle of the other kind), EINVAL (unknown flag, or a
 * @cookie without REFSTORE_WEAKREF_CALLBACK), EDQUOT (handle limit), EUSERS,
 * ENOBUFS, ENOMEM.
 */
struct refstore_weakref {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__u32 weak;
	__u64 cookie;
};

/**
 * struct refstore_upgrade - REFSTORE_IOC_UPGRADE
 * @size: sizeof(struct refstore_upgrade)
 * @flags: must be 0
 * @weak: a weak handle
 * @handle: out: a new strong handle to the object
 *
 * Errors: ENOENT if @weak does not exist or its object has been freed (the
 * weak handle itself stays valid until closed), EBADSLT (@weak is strong),
 * EDQUOT (handle limit).
 */
struct refstore_upgrade {
	__u32 size;
	__u32 flags;
	__u32 weak;
	__u32 handle;
};

/** REFSTORE_LIMITS_RAISE - SET_LIMITS may raise limits (CAP_SYS_RESOURCE) */
#define REFSTORE_LIMITS_RAISE _BITUL(0)

/**
 * struct refstore_limits - REFSTORE_IOC_GET_LIMITS and REFSTORE_IOC_SET_LIMITS
 * @size: sizeof(struct refstore_limits)
 * @flags: SET_LIMITS: REFSTORE_LIMITS_RAISE or 0; GET_LIMITS: must be 0
 * @max_objects: live objects in the heap
 * @max_bytes: memory charged to the heap's contents (see "Memory limits")
 * @max_payload: payload bytes of one object
 * @max_slots: slots of one object
 * @max_handles: strong plus weak handles in the heap
 * @max_events: death events waiting to be read
 * @__reserved: must be 0
 *
 * A heap starts with the module parameters' values. SET_LIMITS lowers
 * them: a field of 0 leaves that limit unchanged, a value above the
 * current limit fails with EPERM and changes nothing. With
 * REFSTORE_LIMITS_RAISE in @flags a caller with CAP_SYS_RESOURCE may also
 * raise them (EPERM without it), up to the module's maxima (EINVAL above):
 * 2^32 objects, 8 GiB, the module's max_payload, 65535 slots, 2^31 - 1
 * handles, 2^20 events. A changed limit applies to later allocations; what
 * exists already stays. GET_LIMITS fills in every field and takes no flag.
 */
struct refstore_limits {
	__u32 size;
	__u32 flags;
	__u64 max_objects;
	__u64 max_bytes;
	__u32 max_payload;
	__u32 max_slots;
	__u32 max_handles;
	__u32 max_events;
	__u64 __reserved;
};

/**
 * struct refstore_heap_stats - REFSTORE_IOC_HEAP_STATS
 * @size: sizeof(struct refstore_heap_stats)
 * @flags: must be 0
 * @heap_id: out: the heap's id, its directory name under
 *	/sys/kernel/debug/refstore/heaps/
 * @objects: out: live objects
 * @bytes: out: bytes the heap's contents take, charged against its
 *	max_bytes (see "Memory limits")
 * @handles: out: strong handles
 * @weak_handles: out: weak handles
 * @created: out: objects ever created in this heap
 * @freed: out: objects ever freed in this heap
 * @events_queued: out: death events ever queued
 * @events_dropped: out: death events lost because the queue was full
 * @events_pending: out: records the next read() calls would return: queued
 *	death events, plus one for a pending REFSTORE_CAUSE_OVERFLOW report
 * @__reserved: must be 0
 */
struct refstore_heap_stats {
	__u32 size;
	__u32 flags;
	__u64 heap_id;
	__u64 objects;
	__u64 bytes;
	__u64 handles;
	__u64 weak_handles;
	__u64 created;
	__u64 freed;
	__u64 events_queued;
	__u64 events_dropped;
	__u32 events_pending;
	__u32 __reserved;
};

/* Values of &struct refstore_event.cause. */
/** REFSTORE_CAUSE_RELEASED - the last strong reference was dropped */
#define REFSTORE_CAUSE_RELEASED 1
/**
 * REFSTORE_CAUSE_CYCLE - found unreachable and freed by the cycle collector:
 * a cycle's members, and objects with slots reachable only from garbage
 * (counted in gc.collect()'s result, as in Python). Objects without slots
 * that only garbage referenced die by counting, with REFSTORE_CAUSE_RELEASED.
 */
#define REFSTORE_CAUSE_CYCLE 2
/** REFSTORE_CAUSE_OVERFLOW - @count events were lost; cookie and id are 0 */
#define REFSTORE_CAUSE_OVERFLOW 3
/**
 * REFSTORE_CAUSE_WEAKREF - a weak handle's callback (REFSTORE_WEAKREF_CALLBACK):
 * its object was freed by counting; @cookie is the weak handle's
 */
#define REFSTORE_CAUSE_WEAKREF 4
/**
 * REFSTORE_CAUSE_WEAKREF_CYCLE - a weak handle's callback: its object was
 * found unreachable by the collector
 */
#define REFSTORE_CAUSE_WEAKREF_CYCLE 5

/**
 * DOC: Collection events
 *
 * Python's gc.callbacks and the DEBUG_* flags' reports, on the heap's fd:
 * with the REFSTORE_GC_DEBUG_* bits below set (GC_SET_DEBUG, no privilege
 * needed), each collection of the heap queues records in the same queue
 * as death events, read with read() and waited for with poll(), in the
 * same 24-byte &struct refstore_event, told apart by @cause:
 *
 * - REFSTORE_CAUSE_GC_START (CALLBACKS), gc.callbacks' "start": @count is
 *   the generation; @cookie 1 for an automatic collection (the thresholds'
 *   or the time bound's), 0 for GC_COLLECT; @id 0.
 * - REFSTORE_CAUSE_GC_STOP (CALLBACKS), "stop": @count the generation;
 *   @id the objects collected (found unreachable: freed, or saved with
 *   SAVEALL; 0 if a GC_COLLECT whose answer could not be written was
 *   undone); @cookie the time its scan took under the heap's lock, in ns.
 *   "uncollectable" is always 0 in refstore and not reported.
 * - REFSTORE_CAUSE_GC_COLLECTABLE (COLLECTABLE), per object a collection
 *   found unreachable, queued before its death event: @id the object's
 *   id, @cookie its tag, @count the generation collected.
 * - REFSTORE_CAUSE_GC_UNCOLLECTABLE (UNCOLLECTABLE): never queued;
 *   refstore objects have no legacy finalizers, so nothing is
 *   uncollectable.
 * - REFSTORE_CAUSE_GC_STATS (STATS), per collection, before its STOP: @count
 *   the generation, @id the objects examined, @cookie those found
 *   unreachable.
 *
 * The queue grows for these records as they come, past the room it keeps
 * for the deaths of the heap's NOTIFY objects and callback weak handles
 * (a record never takes a death's place), up to the heap's max_events;
 * past that (or if the kernel cannot grow it) a record is counted lost
 * like a death event (REFSTORE_CAUSE_OVERFLOW).
 */
/** REFSTORE_CAUSE_GC_START - a collection starts */
#define REFSTORE_CAUSE_GC_START 16
/** REFSTORE_CAUSE_GC_STOP - a collection ended */
#define REFSTORE_CAUSE_GC_STOP 17
/** REFSTORE_CAUSE_GC_COLLECTABLE - an object found unreachable */
#define REFSTORE_CAUSE_GC_COLLECTABLE 18
/** REFSTORE_CAUSE_GC_UNCOLLECTABLE - reserved: never queued */
#define REFSTORE_CAUSE_GC_UNCOLLECTABLE 19
/** REFSTORE_CAUSE_GC_STATS - a collection's figures (DEBUG_STATS) */
#define REFSTORE_CAUSE_GC_STATS 20

/**
 * struct refstore_event - a death event, as returned by read()
 * @cookie: the cookie given at creation (for REFSTORE_CAUSE_WEAKREF*, the
 *	weak handle's)
 * @id: the object's id
 * @cause: REFSTORE_CAUSE_*
 * @count: 1 for a death; for REFSTORE_CAUSE_OVERFLOW, the events lost
 *	(at most U32_MAX in one report; more losses come in the next one)
 *
 * read() on the heap fd returns whole events, as many as fit in the buffer,
 * oldest first. It blocks until one is queued unless the file is
 * O_NONBLOCK (then EAGAIN). A buffer smaller than one event gives EINVAL.
 * Readers of one heap take turns, and a turn lasts until the events are
 * copied out, however long a fault on the buffer takes: a blocking read()
 * waits for it, an O_NONBLOCK one fails with EAGAIN instead, even while
 * poll() reports EPOLLIN; when the turn ends with events left, pollers
 * (epoll, edge-triggered too) are woken again.
 * poll() reports EPOLLIN while events are queued. When the queue is full a
 * death is counted, not queued, and the next read() reports the loss first
 * as one REFSTORE_CAUSE_OVERFLOW event.
 */
struct refstore_event {
	__u64 cookie;
	__u64 id;
	__u32 cause;
	__u32 count;
};

/**
 * DOC: Cycle collector
 *
 * Counting frees an object as soon as its last strong reference goes, but
 * not a cycle (obj1.slot0 = obj2, obj2.slot0 = obj1). Each heap has a
 * collector modelled on Python's gc module. An object whose count is
 * decremented to a non-zero value becomes a *suspect*; a collection runs
 * trial deletion over the objects reachable from suspects and frees those
 * reachable only from each other, with REFSTORE_CAUSE_CYCLE death events.
 *
 * Objects live in generations 0 (young), 1 and 2 (old), and objects moved
 * there by FREEZE in a permanent generation that is never examined. A
 * collection of generation g examines generations 0..g; survivors move one
 * generation up. A collection of generation 2 is full: it finds every
 * unreachable cycle outside the permanent generation. Automatic
 * collection (on by default) starts when generation 0's count (objects with
 * slots allocated minus freed since the last collection, at least 0)
 * exceeds threshold 0; it collects the oldest generation g whose count
 * (collections of generation g - 1 since the last one of g) exceeds
 * threshold g. Defaults: 700, 10, 10. As in CPython, where the allocation
 * that crosses threshold 0 collects, the CREATE that does runs the
 * collection in the calling task before it returns (its CPU time is the
 * caller's; one task of a heap collects at a time, others return at once),
 * so GC_GET_COUNT and GC_GET_STATS count it when CREATE has returned.
 * GC_ENABLE and GC_SET_THRESHOLD collect nothing, as gc.enable() and
 * gc.set_threshold(): the next CREATE does.
 *
 * Automatic collection also has a time bound, so that garbage does not wait
 * for a program that stopped allocating: a call that leaves the heap with
 * suspects (CLOSE, SET_SLOT, ...) arms the heap's timer, unless it is
 * armed; when it expires, the module's ``refstore_gc`` kernel thread, which
 * runs these timed collections and no others, collects the youngest
 * generation that holds every suspect (generation 1 instead of 2 while
 * CPython's long-lived rule holds the full collection back). A cycle
 * dropped in generations 0 or 1 is thus freed within the heap's delay
 * (GC_SET_DELAY; the module parameter gc_delay_ms gives new heaps theirs,
 * 200 ms unless set), plus the thread's turn. A heap no call touched since
 * its last timed collection arms nothing and costs no wakeup, and the timer
 * is armed for at least 9 times the last timed pauses (scan, commit and
 * frees) of all the heaps charged to the same user together (the heap's
 * own if it was opened with CAP_SYS_RESOURCE), at most 60 s: one user gets
 * about a tenth of the thread however many heaps it opens, and only the
 * user's own collections lengthen its wait.
 */

/** REFSTORE_GC_GENERATIONS - collectable generations (0, 1, 2) */
#define REFSTORE_GC_GENERATIONS 3

/**
 * struct refstore_gc_collect - REFSTORE_IOC_GC_COLLECT, as gc.collect()
 * @size: sizeof(struct refstore_gc_collect)
 * @flags: must be 0
 * @generation: 0, 1 or 2 (full)
 * @__reserved: must be 0
 * @unreachable: out: unreachable objects found (gc.collect()'s result),
 *	freed or, with SAVEALL, kept on the garbage list
 * @uncollectable: out: always 0 (CPython counts objects with legacy
 *	finalizers here; refstore objects have none)
 * @examined: out: objects examined
 *
 * Collects synchronously in the caller, whether automatic collection is
 * enabled or not. Errors: EINVAL (@generation > 2), EINTR (a signal came
 * while waiting for the heap).
 */
struct refstore_gc_collect {
	__u32 size;
	__u32 flags;
	__u32 generation;
	__u32 __reserved;
	__u64 unreachable;
	__u64 uncollectable;
	__u64 examined;
};

/**
 * struct refstore_gc_value - one value in or out
 * @size: sizeof(struct refstore_gc_value)
 * @flags: must be 0
 * @value: see each command
 *
 * - REFSTORE_IOC_GC_ENABLE, _DISABLE: in: must be 0; nothing is written
 *   back, as gc.enable() and gc.disable() return None. ENABLE collects
 *   nothing, even if a generation is due: the next CREATE does.
 * - REFSTORE_IOC_GC_ISENABLED: out: 1 if enabled (gc.isenabled()).
 * - REFSTORE_IOC_GC_SET_DEBUG: in: REFSTORE_GC_DEBUG_* (gc.set_debug());
 *   EINVAL for unknown bits.
 * - REFSTORE_IOC_GC_GET_DEBUG: out: the debug flags (gc.get_debug()).
 * - REFSTORE_IOC_GC_FREEZE: moves every tracked object, saved garbage
 *   included, into the permanent generation (gc.freeze()); nothing is
 *   written back.
 * - REFSTORE_IOC_GC_UNFREEZE: moves the permanent generation back to
 *   generation 2 (gc.unfreeze()); they are examined by the next full
 *   collection. Nothing is written back.
 * - REFSTORE_IOC_GC_GET_FREEZE_COUNT: out: gc.get_freeze_count().
 * - REFSTORE_IOC_GC_CLEAR_GARBAGE: empties the garbage list
 *   (``del gc.garbage[:]``), dropping its reference to each object: one
 *   nothing else references is freed (with no second death event); the
 *   others stay in their generation and are examined again by the next
 *   collection of it. Nothing is written back.
 *
 * - REFSTORE_IOC_GC_SET_DELAY: in: the heap's collection delay in
 *   milliseconds, 0..60000 (EINVAL above): garbage is collected at most
 *   this long after the call that made it, or longer if the user's own
 *   timed collections ask for more (see the collector's DOC); 0
 *   turns the time bound off, leaving the thresholds alone to start
 *   automatic collection, as in CPython. Nothing is written back.
 * - REFSTORE_IOC_GC_GET_DELAY: out: the heap's delay in milliseconds.
 *
 * For every command but SET_DEBUG and SET_DELAY, @value must be 0 on input
 * (EINVAL).
 * The state the input-only commands change is read back with GC_ISENABLED,
 * GC_GET_FREEZE_COUNT and GC_GET_STATS.garbage.
 */
struct refstore_gc_value {
	__u32 size;
	__u32 flags;
	__u64 value;
};

/**
 * REFSTORE_GC_DEBUG_STATS - a REFSTORE_CAUSE_GC_STATS record per collection
 * on the heap's fd (see "Collection events"); never in the kernel log
 */
#define REFSTORE_GC_DEBUG_STATS _BITUL(0)
/**
 * REFSTORE_GC_DEBUG_SAVEALL - keep unreachable objects on the garbage list,
 * as gc.DEBUG_SAVEALL: the list holds a strong reference to each; they
 * count as collected, and their weak handles are cleared and their death
 * events (REFSTORE_CAUSE_CYCLE) queued when they are saved, once: their
 * later free, if any, queues no second event.
 */
#define REFSTORE_GC_DEBUG_SAVEALL _BITUL(1)
/**
 * REFSTORE_GC_DEBUG_COLLECTABLE - a REFSTORE_CAUSE_GC_COLLECTABLE record per
 * object found unreachable, as gc.DEBUG_COLLECTABLE
 */
#define REFSTORE_GC_DEBUG_COLLECTABLE _BITUL(2)
/** REFSTORE_GC_DEBUG_UNCOLLECTABLE - as gc.DEBUG_UNCOLLECTABLE: reports nothing */
#define REFSTORE_GC_DEBUG_UNCOLLECTABLE _BITUL(3)
/**
 * REFSTORE_GC_DEBUG_CALLBACKS - REFSTORE_CAUSE_GC_START and _STOP records
 * around every collection (gc.callbacks)
 */
#define REFSTORE_GC_DEBUG_CALLBACKS _BITUL(4)
/** REFSTORE_GC_DEBUG_LEAK - as gc.DEBUG_LEAK */
#define REFSTORE_GC_DEBUG_LEAK (REFSTORE_GC_DEBUG_COLLECTABLE | \
				REFSTORE_GC_DEBUG_UNCOLLECTABLE | \
				REFSTORE_GC_DEBUG_SAVEALL)
/** REFSTORE_GC_DEBUG_FLAGS - every valid debug flag */
#define REFSTORE_GC_DEBUG_FLAGS (REFSTORE_GC_DEBUG_STATS | REFSTORE_GC_DEBUG_SAVEALL | \
				 REFSTORE_GC_DEBUG_COLLECTABLE | \
				 REFSTORE_GC_DEBUG_UNCOLLECTABLE | \
				 REFSTORE_GC_DEBUG_CALLBACKS)

/**
 * struct refstore_gc_threshold - REFSTORE_IOC_GC_SET_THRESHOLD and _GET_
 * @size: sizeof(struct refstore_gc_threshold)
 * @flags: must be 0
 * @threshold: gc.set_threshold() / gc.get_threshold(); threshold 0 of 0
 *	disables automatic collection, like in Python
 * @__reserved: must be 0
 *
 * SET_THRESHOLD collects nothing, as gc.set_threshold(), even if a
 * generation is over its new threshold: the next CREATE does.
 *
 * Errors: EINVAL if a threshold is above 1000000.
 */
struct refstore_gc_threshold {
	__u32 size;
	__u32 flags;
	__u32 threshold[REFSTORE_GC_GENERATIONS];
	__u32 __reserved;
};

/**
 * struct refstore_gc_count - REFSTORE_IOC_GC_GET_COUNT, as gc.get_count()
 * @size: sizeof(struct refstore_gc_count)
 * @flags: must be 0
 * @count: out: per generation (see the collector's DOC); count 0 does not
 *	go below zero when more objects are freed than allocated
 */
struct refstore_gc_count {
	__u32 size;
	__u32 flags;
	__s64 count[REFSTORE_GC_GENERATIONS];
};

/**
 * struct refstore_gc_gen_stats - one generation of gc.get_stats()
 * @collections: collections of this generation
 * @collected: unreachable objects they found (freed, or kept by SAVEALL)
 * @uncollectable: always 0 (see struct refstore_gc_collect)
 */
struct refstore_gc_gen_stats {
	__u64 collections;
	__u64 collected;
	__u64 uncollectable;
};

/**
 * struct refstore_gc_stats - REFSTORE_IOC_GC_GET_STATS, as gc.get_stats()
 * @size: sizeof(struct refstore_gc_stats)
 * @flags: must be 0
 * @gen: out: per generation
 * @pause_total_ns: out: time spent collecting, with the heap locked
 * @pause_max_ns: out: the longest single collection
 * @examined: out: objects examined by all collections
 * @automatic: out: automatic collections: the thresholds' (run by the
 *	CREATE that made them due) and the time bound's (run by the kernel
 *	thread)
 * @garbage: out: objects on the garbage list
 */
struct refstore_gc_stats {
	__u32 size;
	__u32 flags;
	struct refstore_gc_gen_stats gen[REFSTORE_GC_GENERATIONS];
	__u64 pause_total_ns;
	__u64 pause_max_ns;
	__u64 examined;
	__u64 automatic;
	__u64 garbage;
};

/**
 * struct refstore_gc_garbage - REFSTORE_IOC_GC_GARBAGE, as gc.garbage
 * @size: sizeof(struct refstore_gc_garbage)
 * @flags: must be 0
 * @capacity: number of __u32 entries at @handles; more than
 *	REFSTORE_SNAPSHOT_MAX are filled up to that many
 * @count: out: handles written; ignored in, as OBJECTS' and REFERRERS',
 *	so one structure may be reused page after page
 * @handles: user pointer (as __u64) to an array of @capacity handles
 * @total: out: objects on the garbage list
 * @cursor: in: the first object to return, counted from the head of the
 *	list, as gc.garbage[cursor:]; out: @cursor + @count, where the next
 *	page starts (REFSTORE_FEAT_INSPECT; a caller whose @size ends before
 *	it always starts at the head, so sees the first
 *	REFSTORE_SNAPSHOT_MAX objects at most)
 *
 * Writes a new strong handle for each of the @capacity objects from
 * @cursor on the heap's garbage list (made by collections with SAVEALL),
 * but for at most REFSTORE_SNAPSHOT_MAX of them per call: @count is
 * smaller than @capacity when the list ends or that bound is reached, and
 * the caller pages on with @cursor until it reaches @total.
 * With @capacity 0, only @total is returned. Skipping @cursor objects
 * costs a walk over them. Errors: EFAULT (@handles; no handle is left
 * behind), EDQUOT (handle limit; none is left behind).
 */
struct refstore_gc_garbage {
	__u32 size;
	__u32 flags;
	__u32 capacity;
	__u32 count;
	__u64 handles;
	__u64 total;
	__u64 cursor;
};

/**
 * DOC: Allocation statistics
 *
 * Like Python's tracemalloc, every heap keeps, always and at O(1) cost per
 * CREATE and per free, what its live objects take: in total (with the
 * peaks since the heap was opened or the peak was last reset), by tag and
 * by creator. An object's bytes are what it is charged (see "Memory
 * limits"): the totals here are the objects' part of
 * &struct refstore_heap_stats.bytes, which also counts handles and weak
 * handles.
 *
 * A tag is the free-form &struct refstore_create.tag. TAG_NAME gives one a
 * name ("file.c:42" for librefstore's call-site tags) that the statistics
 * report with it. A heap tracks its first 1024 distinct tags (named or
 * used); objects of later tags are counted together in one group flagged
 * REFSTORE_STAT_OTHER. The table is charged to the heap's overhead (about
 * 128 bytes a tag, and 2 KiB once).
 *
 * The same figures, with the heap's handles, suspects and collector state,
 * are in /proc/<pid>/fdinfo/<fd> of the heap's file, readable by its owner
 * without privilege.
 */

/** REFSTORE_TRACED_RESET_PEAK - after reading, set the peaks to the current values */
#define REFSTORE_TRACED_RESET_PEAK _BITUL(0)

/**
 * struct refstore_traced_memory - REFSTORE_IOC_TRACED_MEMORY
 * @size: sizeof(struct refstore_traced_memory)
 * @flags: 0 or REFSTORE_TRACED_RESET_PEAK (tracemalloc.reset_peak())
 * @objects: out: live objects
 * @bytes: out: bytes they are charged (tracemalloc.get_traced_memory()[0])
 * @peak_objects: out: the most live objects since the heap was opened or
 *	the peak reset
 * @peak_bytes: out: the most bytes, likewise (get_traced_memory()[1])
 *
 * The values written back are those before any reset. Errors: EINVAL
 * (unknown flag).
 */
struct refstore_traced_memory {
	__u32 size;
	__u32 flags;
	__u64 objects;
	__u64 bytes;
	__u64 peak_objects;
	__u64 peak_bytes;
};

/** REFSTORE_TAG_NAME_MAX - the longest tag name, terminating NUL included */
#define REFSTORE_TAG_NAME_MAX 64

/**
 * struct refstore_tag_name - REFSTORE_IOC_TAG_NAME
 * @size: sizeof(struct refstore_tag_name)
 * @flags: must be 0
 * @tag: the tag to name; any value, used by objects already or not
 * @name: user pointer (as __u64) to @name_len bytes: the name, without
 *	a NUL; a NUL inside it is EINVAL
 * @name_len: 1 .. REFSTORE_TAG_NAME_MAX - 1
 * @__reserved: must be 0
 *
 * Names @tag in this heap's statistics; naming it again replaces the name.
 * Errors: EINVAL (@name_len 0, a NUL in the name), ENAMETOOLONG (@name_len
 * too large), EFAULT (@name), ENOSPC (the heap tracks 1024 tags already
 * and @tag is not one of them), EUSERS, ENOBUFS, ENOMEM (the table's
 * memory, see "Memory limits").
 */
struct refstore_tag_name {
	__u32 size;
	__u32 flags;
	__u64 tag;
	__u64 name;
	__u32 name_len;
	__u32 __reserved;
};

/* Values of &struct refstore_snapshot.group. */
/** REFSTORE_GROUP_TAG - one group per tag (tracemalloc's 'lineno') */
#define REFSTORE_GROUP_TAG 0
/** REFSTORE_GROUP_CREATOR - one group per creating process ('filename') */
#define REFSTORE_GROUP_CREATOR 1

/* Bits of &struct refstore_stat.stat_flags. */
/** REFSTORE_STAT_NAMED - @name is the tag's name given by TAG_NAME */
#define REFSTORE_STAT_NAMED _BITUL(0)
/**
 * REFSTORE_STAT_OTHER - the group of everything not tracked on its own:
 * tags past the heap's first 1024, or creators past its first 256; @key
 * is then 0
 */
#define REFSTORE_STAT_OTHER _BITUL(1)

/**
 * struct refstore_stat - one group of a snapshot (a tracemalloc Statistic)
 * @key: REFSTORE_GROUP_TAG: the tag; REFSTORE_GROUP_CREATOR: the creator's
 *	index in the heap (stable for the heap's life)
 * @count: live objects of the group
 * @bytes: bytes they are charged
 * @created: objects of the group ever created
 * @pid: REFSTORE_GROUP_CREATOR: the creator's process id, as it saw
 *	itself; else 0
 * @stat_flags: REFSTORE_STAT_* bits
 * @name: NUL-terminated: the tag's name (empty if none was given), or the
 *	creator's command name
 */
struct refstore_stat {
	__u64 key;
	__u64 count;
	__u64 bytes;
	__u64 created;
	__u32 pid;
	__u32 stat_flags;
	char name[REFSTORE_TAG_NAME_MAX];
};

/** REFSTORE_SNAPSHOT_MAX - the most groups one SNAPSHOT call returns */
#define REFSTORE_SNAPSHOT_MAX 1024

/**
 * struct refstore_snapshot - REFSTORE_IOC_SNAPSHOT
 * @size: sizeof(struct refstore_snapshot)
 * @flags: must be 0
 * @group: REFSTORE_GROUP_*
 * @entry_size: sizeof(struct refstore_stat) as the caller knows it: at
 *	least the first version's 104 bytes, a multiple of 8, at most 4096;
 *	entries are @entry_size apart, bytes past the kernel's struct zeroed
 * @cursor: in: the first group to return, 0 to start; out: the group to
 *	ask for next. Groups are never removed and only appended (a tag's
 *	or creator's group stays, at count 0, when its objects die), so
 *	pages taken one after the other see every group once
 * @capacity: entries at @entries; more than REFSTORE_SNAPSHOT_MAX are
 *	filled up to that many
 * @count: out: entries written
 * @entries: user pointer (as __u64) to @capacity entries
 * @total: out: groups the heap has now; the walk is done when @cursor
 *	reaches it
 * @objects: out: live objects of the heap (all groups)
 * @bytes: out: their bytes
 * @peak_objects: out: as &struct refstore_traced_memory
 * @peak_bytes: out: as &struct refstore_traced_memory
 *
 * With @capacity 0 only the totals are returned. Entries and totals of one
 * call are one consistent view. Errors: EINVAL (@group unknown,
 * @entry_size), EFAULT (@entries).
 */
struct refstore_snapshot {
	__u32 size;
	__u32 flags;
	__u32 group;
	__u32 entry_size;
	__u64 cursor;
	__u32 capacity;
	__u32 count;
	__u64 entries;
	__u64 total;
	__u64 objects;
	__u64 bytes;
	__u64 peak_objects;
	__u64 peak_bytes;
};

/**
 * DOC: Inspection
 *
 * Python's gc.get_objects(), gc.get_referents() and gc.get_referrers():
 * OBJECTS, REFERENTS and REFERRERS read the heap's graph by object id and
 * make no handle, so no reference count moves while one looks; ID_HANDLE
 * turns an id found that way into a strong handle. Each call walks the
 * heap's objects under its lock (O(objects); REFERRERS also every slot:
 * O(objects + slots)), so a page of a large heap costs a full walk.
 * Objects whose last reference is gone, and the garbage a collection in
 * progress found (REFSTORE_OBJ_COLLECTING), are not handed out by
 * ID_HANDLE (ENOENT).
 */

/* More bits of &struct refstore_info.obj_flags, in &struct refstore_object_info. */
/** REFSTORE_OBJ_FROZEN - in the permanent generation (GC_FREEZE) */
#define REFSTORE_OBJ_FROZEN _BITUL(16)
/** REFSTORE_OBJ_GARBAGE - on the garbage list (SAVEALL) */
#define REFSTORE_OBJ_GARBAGE _BITUL(17)
/** REFSTORE_OBJ_SUSPECT - lost a reference since the collector last examined it */
#define REFSTORE_OBJ_SUSPECT _BITUL(18)
/** REFSTORE_OBJ_COLLECTING - found unreachable by a collection not yet done */
#define REFSTORE_OBJ_COLLECTING _BITUL(19)

/** REFSTORE_GEN_FROZEN - &struct refstore_object_info.generation of frozen objects */
#define REFSTORE_GEN_FROZEN 3

/**
 * struct refstore_object_info - one object, as OBJECTS lists it
 * @id: the object's id
 * @tag: its tag
 * @refcount: strong references (handles plus slots pointing at it)
 * @payload_size: payload bytes
 * @nslots: slot count
 * @generation: 0, 1, 2, or REFSTORE_GEN_FROZEN
 * @obj_flags: REFSTORE_OBJ_* bits
 * @creator_pid: as &struct refstore_info.creator_pid
 * @bytes: what the object is charged
 */
struct refstore_object_info {
	__u64 id;
	__u64 tag;
	__u32 refcount;
	__u32 payload_size;
	__u32 nslots;
	__u32 generation;
	__u32 obj_flags;
	__u32 creator_pid;
	__u64 bytes;
};

/** REFSTORE_OBJECTS_GENERATION - list only objects of @generation */
#define REFSTORE_OBJECTS_GENERATION _BITUL(0)

/**
 * struct refstore_objects - REFSTORE_IOC_OBJECTS, as gc.get_objects()
 * @size: sizeof(struct refstore_objects)
 * @flags: 0 or REFSTORE_OBJECTS_GENERATION
 * @generation: with REFSTORE_OBJECTS_GENERATION: 0..2 or
 *	REFSTORE_GEN_FROZEN; else must be 0
 * @entry_size: sizeof(struct refstore_object_info) as the caller knows it:
 *	at least 48, a multiple of 8, at most 4096; bytes past the kernel's
 *	structure are zeroed
 * @cursor: in: the smallest id to list (0 or 1 to start); out: one past
 *	the last id listed, where the next page starts
 * @capacity: entries at @entries; more than REFSTORE_SNAPSHOT_MAX are
 *	filled up to that many
 * @count: out: entries written, in increasing id order; fewer than
 *	@capacity (and REFSTORE_SNAPSHOT_MAX) only at the end
 * @entries: user pointer (as __u64) to the entries
 * @total: out: live objects in the heap
 *
 * Errors: EINVAL (flags, @generation, @entry_size), EFAULT (@entries),
 * ENOMEM.
 */
struct refstore_objects {
	__u32 size;
	__u32 flags;
	__u32 generation;
	__u32 entry_size;
	__u64 cursor;
	__u32 capacity;
	__u32 count;
	__u64 entries;
	__u64 total;
};

/**
 * struct refstore_referents - REFSTORE_IOC_REFERENTS, as gc.get_referents()
 * @size: sizeof(struct refstore_referents): 32 (no @slot_flags) or 40
 * @flags: must be 0
 * @id: the object's id
 * @ids: user pointer (as __u64) to @capacity __u64: slot i's target's
 *	id, 0 for an empty slot. Without @slot_flags a weak slot reads 0
 *	too (a weak slot is no edge); with it, a weak slot reads its
 *	target's id while the target lives, 0 once it has died
 * @capacity: entries at @ids and at @slot_flags
 * @nslots: out: the object's slot count; min(@capacity, @nslots) are
 *	written
 * @slot_flags: user pointer (as __u64) to @capacity __u32: slot i's
 *	REFSTORE_SLOT_WEAK and REFSTORE_SLOT_DEAD bits, as GET_SLOT's
 *	@slot_flags (0 for a strong or empty slot; a weak slot whose target
 *	died, or is garbage a pending GC_COLLECT found, has both); 0: not
 *	wanted, and weak slots read 0 in @ids. A module older than this
 *	field answers E2BIG to a non-zero one
 *
 * A weak slot keeps nothing alive: a caller asking what keeps objects
 * alive (gc.get_referents()) leaves @slot_flags 0 and sees strong slots
 * only; one drawing the graph asks for the flags to draw weak edges too.
 * On EFAULT either array may have been written in part; the call changes
 * nothing else, and @nslots is not written back.
 *
 * Errors: ENOENT (no live object has @id), EFAULT (@ids, or a non-zero
 * @slot_flags, not writable where entries are written), ENOMEM.
 */
struct refstore_referents {
	__u32 size;
	__u32 flags;
	__u64 id;
	__u64 ids;
	__u32 capacity;
	__u32 nslots;
	__u64 slot_flags;
};

/**
 * struct refstore_referrer - one slot that points at an object
 * @id: the referring object's id
 * @slot: the slot's index
 * @__reserved: 0
 */
struct refstore_referrer {
	__u64 id;
	__u32 slot;
	__u32 __reserved;
};

/**
 * struct refstore_referrers - REFSTORE_IOC_REFERRERS, as gc.get_referrers()
 * @size: sizeof(struct refstore_referrers)
 * @flags: must be 0
 * @id: the object's id
 * @entries: user pointer (as __u64) to @capacity referrers
 * @cursor: in: referring slots to skip (0 to start); out: where the next
 *	page starts
 * @capacity: entries at @entries; more than REFSTORE_SNAPSHOT_MAX are
 *	filled up to that many
 * @count: out: entries written
 * @total: out: slots of the heap that point at the object (an object
 *	pointing at it twice counts twice); its handles are its refcount
 *	minus @total. Strong slots only: a weak slot keeps nothing alive
 *	and is not listed
 *
 * Walks every object and slot of the heap: O(objects + slots) per call.
 * Errors: ENOENT (no live object has @id), EFAULT (@entries), ENOMEM.
 */
struct refstore_referrers {
	__u32 size;
	__u32 flags;
	__u64 id;
	__u64 entries;
	__u64 cursor;
	__u32 capacity;
	__u32 count;
	__u64 total;
};

/**
 * struct refstore_id_handle - REFSTORE_IOC_ID_HANDLE
 * @size: sizeof(struct refstore_id_handle)
 * @flags: must be 0
 * @id: an object's id
 * @handle: out: a new strong handle to it
 * @__reserved: must be 0
 *
 * Errors: ENOENT (no live object has @id: it died, or a collection in
 * progress found it unreachable), EDQUOT (handle limit), ENOMEM.
 */
struct refstore_id_handle {
	__u32 size;
	__u32 flags;
	__u64 id;
	__u32 handle;
	__u32 __reserved;
};

#define REFSTORE_IOC_VERSION \
	_IOWR(REFSTORE_IOC_MAGIC, 0x00, struct refstore_version)
#define REFSTORE_IOC_CREATE \
	_IOWR(REFSTORE_IOC_MAGIC, 0x01, struct refstore_create)
#define REFSTORE_IOC_DUP \
	_IOWR(REFSTORE_IOC_MAGIC, 0x02, struct refstore_dup)
#define REFSTORE_IOC_CLOSE \
	_IOWR(REFSTORE_IOC_MAGIC, 0x03, struct refstore_close)
#define REFSTORE_IOC_SET_SLOT \
	_IOWR(REFSTORE_IOC_MAGIC, 0x04, struct refstore_set_slot)
#define REFSTORE_IOC_GET_SLOT \
	_IOWR(REFSTORE_IOC_MAGIC, 0x05, struct refstore_get_slot)
#define REFSTORE_IOC_WRITE \
	_IOWR(REFSTORE_IOC_MAGIC, 0x06, struct refstore_rw)
#define REFSTORE_IOC_READ \
	_IOWR(REFSTORE_IOC_MAGIC, 0x07, struct refstore_rw)
#define REFSTORE_IOC_INFO \
	_IOWR(REFSTORE_IOC_MAGIC, 0x08, struct refstore_info)
#define REFSTORE_IOC_WEAKREF \
	_IOWR(REFSTORE_IOC_MAGIC, 0x09, struct refstore_weakref)
#define REFSTORE_IOC_UPGRADE \
	_IOWR(REFSTORE_IOC_MAGIC, 0x0a, struct refstore_upgrade)
#define REFSTORE_IOC_GET_LIMITS \
	_IOWR(REFSTORE_IOC_MAGIC, 0x0b, struct refstore_limits)
#define REFSTORE_IOC_SET_LIMITS \
	_IOWR(REFSTORE_IOC_MAGIC, 0x0c, struct refstore_limits)
#define REFSTORE_IOC_HEAP_STATS \
	_IOWR(REFSTORE_IOC_MAGIC, 0x0d, struct refstore_heap_stats)

/**
 * struct refstore_weakref_count - REFSTORE_IOC_WEAKREF_COUNT
 * @size: sizeof(struct refstore_weakref_count)
 * @flags: must be 0
 * @handle: strong handle of the object
 * @__reserved: must be 0
 * @count: out: weakref.getweakrefcount(): @weak_handles + @weak_slots
 * @weak_handles: out: weak handles naming the object
 * @weak_slots: out: weak slots pointing at it
 *
 * Changes nothing. Errors: ENOENT, EBADSLT.
 */
struct refstore_weakref_count {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__u32 __reserved;
	__u64 count;
	__u64 weak_handles;
	__u64 weak_slots;
};

/** REFSTORE_WEAKREF_ENTRY_SLOT - the entry is a weak slot, not a handle */
#define REFSTORE_WEAKREF_ENTRY_SLOT _BITUL(0)
/** REFSTORE_WEAKREF_ENTRY_CALLBACK - a weak handle whose callback is armed */
#define REFSTORE_WEAKREF_ENTRY_CALLBACK _BITUL(1)

/**
 * struct refstore_weakref_entry - one weak reference, as WEAKREFS lists it
 * @owner_id: a weak slot: id of the object whose slot it is; a weak
 *	handle: 0
 * @cookie: a weak handle with a callback: its cookie; else 0
 * @handle: a weak handle: its number; a weak slot: 0
 * @slot: a weak slot: its index; a weak handle: 0
 * @entry_flags: REFSTORE_WEAKREF_ENTRY_* bits
 * @__reserved: 0
 */
struct refstore_weakref_entry {
	__u64 owner_id;
	__u64 cookie;
	__u32 handle;
	__u32 slot;
	__u32 entry_flags;
	__u32 __reserved;
};

/** REFSTORE_WEAKREFS_PAGE - the most entries one WEAKREFS call writes */
#define REFSTORE_WEAKREFS_PAGE 256

/**
 * struct refstore_weakrefs - REFSTORE_IOC_WEAKREFS, as weakref.getweakrefs()
 * @size: sizeof(struct refstore_weakrefs)
 * @flags: must be 0
 * @handle: strong handle of the object
 * @capacity: number of entries at @entries
 * @entries: user pointer (as __u64) to @capacity struct refstore_weakref_entry
 * @start: position of the first entry wanted: 0, then the previous call's
 *	@start + @count for the next page
 * @count: out: entries written, at most @capacity and REFSTORE_WEAKREFS_PAGE
 * @__reserved: must be 0
 * @total: out: weak references to the object (WEAKREF_COUNT's count)
 *
 * Lists the object's weak handles and weak slots, newest first, from
 * position @start; with @capacity 0 only @total is returned. Nothing is
 * made: a weak handle is listed by its number and a weak slot by its
 * owner's id and index, so listing has no side effect (no handle to
 * close, nothing charged). Pages are positions in a list other calls may
 * change between two pages: a reference made meanwhile shifts the rest by
 * one; a @start at or past the end gives @count 0. Errors: ENOENT,
 * EBADSLT, EFAULT (@entries), ENOMEM.
 */
struct refstore_weakrefs {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__u32 capacity;
	__u64 entries;
	__u64 start;
	__u32 count;
	__u32 __reserved;
	__u64 total;
};

#define REFSTORE_IOC_WEAKREF_COUNT \
	_IOWR(REFSTORE_IOC_MAGIC, 0x0e, struct refstore_weakref_count)
#define REFSTORE_IOC_WEAKREFS \
	_IOWR(REFSTORE_IOC_MAGIC, 0x0f, struct refstore_weakrefs)

#define REFSTORE_IOC_GC_COLLECT \
	_IOWR(REFSTORE_IOC_MAGIC, 0x20, struct refstore_gc_collect)
#define REFSTORE_IOC_GC_ENABLE \
	_IOWR(REFSTORE_IOC_MAGIC, 0x21, struct refstore_gc_value)
#define REFSTORE_IOC_GC_DISABLE \
	_IOWR(REFSTORE_IOC_MAGIC, 0x22, struct refstore_gc_value)
#define REFSTORE_IOC_GC_ISENABLED \
	_IOWR(REFSTORE_IOC_MAGIC, 0x23, struct refstore_gc_value)
#define REFSTORE_IOC_GC_SET_THRESHOLD \
	_IOWR(REFSTORE_IOC_MAGIC, 0x24, struct refstore_gc_threshold)
#define REFSTORE_IOC_GC_GET_THRESHOLD \
	_IOWR(REFSTORE_IOC_MAGIC, 0x25, struct refstore_gc_threshold)
#define REFSTORE_IOC_GC_GET_COUNT \
	_IOWR(REFSTORE_IOC_MAGIC, 0x26, struct refstore_gc_count)
#define REFSTORE_IOC_GC_GET_STATS \
	_IOWR(REFSTORE_IOC_MAGIC, 0x27, struct refstore_gc_stats)
#define REFSTORE_IOC_GC_FREEZE \
	_IOWR(REFSTORE_IOC_MAGIC, 0x28, struct refstore_gc_value)
#define REFSTORE_IOC_GC_UNFREEZE \
	_IOWR(REFSTORE_IOC_MAGIC, 0x29, struct refstore_gc_value)
#define REFSTORE_IOC_GC_GET_FREEZE_COUNT \
	_IOWR(REFSTORE_IOC_MAGIC, 0x2a, struct refstore_gc_value)
#define REFSTORE_IOC_GC_SET_DEBUG \
	_IOWR(REFSTORE_IOC_MAGIC, 0x2b, struct refstore_gc_value)
#define REFSTORE_IOC_GC_GET_DEBUG \
	_IOWR(REFSTORE_IOC_MAGIC, 0x2c, struct refstore_gc_value)
#define REFSTORE_IOC_GC_GARBAGE \
	_IOWR(REFSTORE_IOC_MAGIC, 0x2d, struct refstore_gc_garbage)
#define REFSTORE_IOC_GC_CLEAR_GARBAGE \
	_IOWR(REFSTORE_IOC_MAGIC, 0x2e, struct refstore_gc_value)
#define REFSTORE_IOC_GC_SET_DELAY \
	_IOWR(REFSTORE_IOC_MAGIC, 0x2f, struct refstore_gc_value)
#define REFSTORE_IOC_GC_GET_DELAY \
	_IOWR(REFSTORE_IOC_MAGIC, 0x30, struct refstore_gc_value)

#define REFSTORE_IOC_TRACED_MEMORY \
	_IOWR(REFSTORE_IOC_MAGIC, 0x40, struct refstore_traced_memory)
#define REFSTORE_IOC_TAG_NAME \
	_IOWR(REFSTORE_IOC_MAGIC, 0x41, struct refstore_tag_name)
#define REFSTORE_IOC_SNAPSHOT \
	_IOWR(REFSTORE_IOC_MAGIC, 0x42, struct refstore_snapshot)
#define REFSTORE_IOC_OBJECTS \
	_IOWR(REFSTORE_IOC_MAGIC, 0x43, struct refstore_objects)
#define REFSTORE_IOC_REFERENTS \
	_IOWR(REFSTORE_IOC_MAGIC, 0x44, struct refstore_referents)
#define REFSTORE_IOC_REFERRERS \
	_IOWR(REFSTORE_IOC_MAGIC, 0x45, struct refstore_referrers)
#define REFSTORE_IOC_ID_HANDLE \
	_IOWR(REFSTORE_IOC_MAGIC, 0x46, struct refstore_id_handle)

#endif /* _UAPI_LINUX_REFSTORE_H */
