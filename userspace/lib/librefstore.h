/* SPDX-License-Identifier: GPL-2.0 */
/*
 * librefstore - thin wrappers around the /dev/refstore ioctls.
 *
 * Every open of /dev/refstore is a heap (see <linux/refstore.h>); the
 * functions here take that file descriptor as @heap.  Each wrapper fills in
 * .size = sizeof(struct ...), leaves flags and reserved fields zero unless
 * asked, and returns 0 or a negative errno; out-parameters are written only
 * on success and may be NULL when the caller does not want them.
 */
#ifndef REFSTORE_LIB_H
#define REFSTORE_LIB_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/refstore.h>

/* Path of the device node and of the module's debugfs directory. */
#define RS_DEVICE "/dev/refstore"
#define RS_DEBUGFS "/sys/kernel/debug/refstore"
#define RS_DEBUGFS_STATS RS_DEBUGFS "/stats"

/*
 * Opens a new heap.  @flags are extra open(2) flags (O_NONBLOCK, say);
 * O_RDWR and O_CLOEXEC are always added.  Returns the fd or -errno.
 */
int rs_open(int flags);

/*
 * ioctl(2) on @heap with the result turned into 0 / -errno: for callers
 * that build the argument themselves (tests of the argument checks).
 */
int rs_ioctl(int heap, unsigned long cmd, void *arg);

/* REFSTORE_IOC_VERSION: @version and @features may be NULL. */
int rs_version(int heap, uint32_t *version, uint64_t *features);

/* REFSTORE_IOC_CREATE: a new object with refcount 1, held by *@handle. */
int rs_create(int heap, uint32_t payload, uint32_t nslots, uint32_t flags,
	      uint64_t tag, uint64_t cookie, uint32_t *handle, uint64_t *id);

/* REFSTORE_IOC_DUP: another strong handle to the object of @handle. */
int rs_dup(int heap, uint32_t handle, uint32_t *new_handle);

/* REFSTORE_IOC_CLOSE: drop a strong or weak handle. */
int rs_close(int heap, uint32_t handle);

/* REFSTORE_IOC_SET_SLOT: @target 0 empties the slot. */
int rs_set_slot(int heap, uint32_t handle, uint32_t slot, uint32_t target);

/*
 * REFSTORE_IOC_SET_SLOT with REFSTORE_SLOT_WEAK: a weak reference that
 * neither counts nor keeps @target alive; @target may be strong or weak.
 */
int rs_set_slot_weak(int heap, uint32_t handle, uint32_t slot, uint32_t target);

/*
 * REFSTORE_IOC_GET_SLOT with the slot's kind: *@slot_flags gets
 * REFSTORE_SLOT_WEAK (and REFSTORE_SLOT_DEAD if its target died).
 */
int rs_get_slot_ex(int heap, uint32_t handle, uint32_t slot, uint32_t *target,
		   uint64_t *target_id, uint32_t *slot_flags);

/*
 * REFSTORE_IOC_GET_SLOT: *@target is a new strong handle (0: empty slot),
 * *@target_id the object's id (0: empty).  The handle is made even when
 * @target is NULL; it is the caller's to close.
 */
int rs_get_slot(int heap, uint32_t handle, uint32_t slot, uint32_t *target,
		uint64_t *target_id);

/* REFSTORE_IOC_WRITE / READ: @len bytes at @off of the payload. */
int rs_write(int heap, uint32_t handle, uint64_t off, const void *buf,
	     uint64_t len);
int rs_read(int heap, uint32_t handle, uint64_t off, void *buf, uint64_t len);

/* REFSTORE_IOC_INFO: fills *@info (size set by the wrapper). */
int rs_info(int heap, uint32_t handle, struct refstore_info *info);

/* REFSTORE_IOC_WEAKREF: *@weak is a new weak handle to @handle's object. */
int rs_weakref(int heap, uint32_t handle, uint32_t *weak);

/*
 * REFSTORE_IOC_WEAKREF with REFSTORE_WEAKREF_* @flags: with
 * REFSTORE_WEAKREF_CALLBACK, @cookie comes back in a REFSTORE_CAUSE_WEAKREF*
 * event when the object dies (weakref.ref(obj, callback)); with
 * REFSTORE_WEAKREF_FROM_WEAK, @handle is a weak handle.
 */
int rs_weakref_ex(int heap, uint32_t handle, uint32_t flags, uint64_t cookie,
		  uint32_t *weak);

/* REFSTORE_IOC_WEAKREF_COUNT, as weakref.getweakrefcount(); NULLs allowed. */
int rs_weakref_count(int heap, uint32_t handle, uint64_t *count,
		     uint64_t *weak_handles, uint64_t *weak_slots);

/*
 * REFSTORE_IOC_WEAKREFS, as weakref.getweakrefs(): up to @capacity entries
 * from position @start; *@count written, *@total in all.
 */
int rs_weakrefs(int heap, uint32_t handle, uint64_t start,
		struct refstore_weakref_entry *entries, uint32_t capacity,
		uint32_t *count, uint64_t *total);

/* REFSTORE_IOC_UPGRADE: a new strong handle from a weak one. */
int rs_upgrade(int heap, uint32_t weak, uint32_t *handle);

/* REFSTORE_IOC_GET_LIMITS / SET_LIMITS (size set by the wrapper). */
int rs_get_limits(int heap, struct refstore_limits *lim);
int rs_set_limits(int heap, const struct refstore_limits *lim);

/* REFSTORE_IOC_HEAP_STATS: fills *@st (size set by the wrapper). */
int rs_heap_stats(int heap, struct refstore_heap_stats *st);

/*
 * REFSTORE_IOC_GC_COLLECT, as gc.collect(): collects @generation (2: full).
 * *@unreachable (may be NULL) is the number of unreachable objects found.
 */
int rs_gc_collect(int heap, uint32_t generation, uint64_t *unreachable);

/*
 * The REFSTORE_IOC_GC_* commands on struct refstore_gc_value: @in is the
 * input value (0 but for SET_DEBUG and SET_DELAY); *@out (may be NULL) the
 * output of the queries (ISENABLED, GET_FREEZE_COUNT, GET_DEBUG,
 * GET_DELAY). The controls (ENABLE, DISABLE, FREEZE, UNFREEZE,
 * CLEAR_GARBAGE, SET_DEBUG, SET_DELAY) return nothing, like their gc
 * counterparts: *@out is then left as @in.
 */
int rs_gc_value(int heap, unsigned long cmd, uint64_t in, uint64_t *out);

/* REFSTORE_IOC_GC_GET_STATS, as gc.get_stats(). */
int rs_gc_get_stats(int heap, struct refstore_gc_stats *st);

/* REFSTORE_IOC_GC_SET_THRESHOLD, as gc.set_threshold(). */
int rs_gc_set_threshold(int heap, uint32_t t0, uint32_t t1, uint32_t t2);

/* REFSTORE_IOC_GC_GET_THRESHOLD, as gc.get_threshold(). */
int rs_gc_get_threshold(int heap, uint32_t threshold[REFSTORE_GC_GENERATIONS]);

/* REFSTORE_IOC_GC_GET_COUNT, as gc.get_count(). */
int rs_gc_get_count(int heap, int64_t count[REFSTORE_GC_GENERATIONS]);

/*
 * REFSTORE_IOC_GC_GARBAGE, as gc.garbage: a new strong handle for each of
 * the first saved objects, at most @capacity and at most
 * REFSTORE_SNAPSHOT_MAX (1024) a call; *@count written, *@total saved.
 * rs_gc_garbage_from() pages through the rest.
 */
int rs_gc_garbage(int heap, uint32_t *handles, uint32_t capacity,
		  uint32_t *count, uint64_t *total);

/*
 * Reads up to @n death events into @buf.  Returns the number read or
 * -errno (-EAGAIN when the heap is O_NONBLOCK and nothing is queued, or
 * another reader of the same heap is copying its events out).
 */
ssize_t rs_read_events(int heap, struct refstore_event *buf, size_t n);

/*
 * Reads the value of the first "@key: value" line of the text file @path
 * (a debugfs file, typically).  Returns 0, -ENOENT if no line has that key,
 * -EINVAL if its value is not a number, or the -errno of open/read.
 */
int rs_debugfs_u64(const char *path, const char *key, uint64_t *val);

/*
 * Reads a file holding one number (a debugfs knob such as "gc_park").
 * Returns 0, -EINVAL if it holds anything else, or the -errno of open/read.
 */
int rs_debugfs_read_u64(const char *path, uint64_t *val);

/* Names for printing: "RELEASED", "ENOENT", "objects", ... */
const char *rs_cause_name(uint32_t cause);
const char *rs_errno_name(int err);
/* Name of feature bit @bit (0..63) or NULL if undefined. */
const char *rs_feature_name(unsigned int bit);

/* ---- allocation statistics (observe.c) ---- */

/*
 * REFSTORE_IOC_TRACED_MEMORY, as tracemalloc.get_traced_memory();
 * @flags REFSTORE_TRACED_RESET_PEAK also does reset_peak() after reading.
 */
int rs_traced_memory(int heap, uint32_t flags,
		     struct refstore_traced_memory *tm);

/* REFSTORE_IOC_TAG_NAME: @name (a C string) for @tag in @heap's statistics. */
int rs_tag_name(int heap, uint64_t tag, const char *name);

/*
 * REFSTORE_IOC_SNAPSHOT: up to @capacity groups of @group
 * (REFSTORE_GROUP_*) from *@cursor, which is advanced; *@count written;
 * *@totals (may be NULL) the call's whole answer.
 */
int rs_snapshot(int heap, uint32_t group, uint64_t *cursor,
		struct refstore_stat *entries, uint32_t capacity,
		uint32_t *count, struct refstore_snapshot *totals);

/*
 * Every group of @group, paged: *@out is malloc()ed (free() it), *@n
 * entries; *@totals (may be NULL) the last page's totals.
 */
int rs_snapshot_all(int heap, uint32_t group, struct refstore_stat **out,
		    size_t *n, struct refstore_snapshot *totals);

/* Tags made by rs_site_tag() have this bit set; plain tags should not. */
#define RS_SITE_TAG_BIT (1ull << 63)

/*
 * A tag for a call site, named "file.c:LINE" in @heap (registered with
 * TAG_NAME the first time this process uses it with @heap): a hash of the
 * name with RS_SITE_TAG_BIT set, the same in every heap and process.
 */
uint64_t rs_site_tag(int heap, const char *file, int line);

/* The tag of the line it is written on, like tracemalloc's lineno. */
#define RS_HERE(heap) rs_site_tag(heap, __FILE__, __LINE__)

/*
 * Reads "@key:\tvalue" from /proc/@pid/fdinfo/@fd (a heap's fdinfo).
 * Returns 0, -ENOENT (no such key), -EINVAL, or the -errno of open.
 */
int rs_fdinfo_u64(pid_t pid, int fd, const char *key, uint64_t *val);

/* ---- inspection (observe.c) ---- */

/*
 * REFSTORE_IOC_OBJECTS, as gc.get_objects(): up to @capacity objects with
 * ids >= *@cursor (advanced), in id order; @flags
 * REFSTORE_OBJECTS_GENERATION lists only @generation.
 */
int rs_objects(int heap, uint32_t flags, uint32_t generation,
	       uint64_t *cursor, struct refstore_object_info *v,
	       uint32_t capacity, uint32_t *count, uint64_t *total);

/* Every object, paged: *@out is malloc()ed (free() it), *@n entries. */
int rs_objects_all(int heap, struct refstore_object_info **out, size_t *n);

/*
 * REFSTORE_IOC_REFERENTS: slot i's target id in @ids[i] (0: empty, or
 * weak: a weak slot is no edge).
 */
int rs_referents(int heap, uint64_t id, uint64_t *ids, uint32_t capacity,
		 uint32_t *nslots);

/*
 * The same with each slot's REFSTORE_SLOT_WEAK / REFSTORE_SLOT_DEAD bits
 * in @slot_flags[i] (NULL: as rs_referents()); a live weak slot's target
 * id is then in @ids[i] (0 if it died). -E2BIG: a module without them.
 */
int rs_referents_ex(int heap, uint64_t id, uint64_t *ids,
		    uint32_t *slot_flags, uint32_t capacity, uint32_t *nslots);

/* REFSTORE_IOC_REFERRERS: slots pointing at @id, from *@cursor. */
int rs_referrers(int heap, uint64_t id, uint64_t *cursor,
		 struct refstore_referrer *v, uint32_t capacity,
		 uint32_t *count, uint64_t *total);

/* REFSTORE_IOC_ID_HANDLE: a new strong handle to the object of @id. */
int rs_id_handle(int heap, uint64_t id, uint32_t *handle);

/* REFSTORE_IOC_GC_GARBAGE from *@cursor (advanced): gc.garbage[cursor:]. */
int rs_gc_garbage_from(int heap, uint64_t *cursor, uint32_t *handles,
		       uint32_t capacity, uint32_t *count, uint64_t *total);

#endif /* REFSTORE_LIB_H */
