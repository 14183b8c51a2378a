/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every REFSTORE_IOC_* command, in one table, for the tests that must
 * cover all of them (device.c: ENOTTY, EFAULT, EINVAL, E2BIG; fail_nth.c:
 * the fault-injection sweep).  A command added to the uapi is added to
 * T_COMMANDS below, with a builder, and every one of those tests covers
 * it; device.c checks that no command of the header is missing.
 *
 * Per command: its number, sizeof() of its structure, its minimum size
 * (offsetofend of the first version's last field, as kmod/ioctl.c's table
 * has it: a smaller size is EINVAL), whether it writes results back, and
 * a builder that prepares a fresh heap and fills in a valid argument whose
 * call succeeds and does the command's real work (frees something, makes
 * a handle, ...).
 *
 * Include after common.h.
 */
#ifndef REFSTORE_SELFTESTS_COMMANDS_H
#define REFSTORE_SELFTESTS_COMMANDS_H

#include <stddef.h>

#include "common.h"

/*
 * X(NAME, tname, struct, last field of version 1, writes results back):
 * NAME is REFSTORE_IOC_NAME; tname the name of the tests made for it.
 */
#define T_COMMANDS(X)							\
	X(VERSION, version, refstore_version, features, 1)		\
	X(CREATE, create, refstore_create, id, 1)			\
	X(DUP, dup, refstore_dup, new_handle, 1)			\
	X(CLOSE, close, refstore_close, __reserved, 0)			\
	X(SET_SLOT, set_slot, refstore_set_slot, __reserved, 0)		\
	X(GET_SLOT, get_slot, refstore_get_slot, target_id, 1)		\
	X(WRITE, write, refstore_rw, data, 0)				\
	X(READ, read, refstore_rw, data, 0)				\
	X(INFO, info, refstore_info, creator_pid, 1)			\
	X(WEAKREF, weakref, refstore_weakref, weak, 1)			\
	X(UPGRADE, upgrade, refstore_upgrade, handle, 1)		\
	X(GET_LIMITS, get_limits, refstore_limits, __reserved, 1)	\
	X(SET_LIMITS, set_limits, refstore_limits, __reserved, 0)	\
	X(HEAP_STATS, heap_stats, refstore_heap_stats, __reserved, 1)	\
	X(GC_COLLECT, gc_collect, refstore_gc_collect, examined, 1)	\
	X(GC_ENABLE, gc_enable, refstore_gc_value, value, 0)		\
	X(GC_DISABLE, gc_disable, refstore_gc_value, value, 0)		\
	X(GC_ISENABLED, gc_isenabled, refstore_gc_value, value, 1)	\
	X(GC_SET_THRESHOLD, gc_set_threshold, refstore_gc_threshold,	\
	  __reserved, 0)						\
	X(GC_GET_THRESHOLD, gc_get_threshold, refstore_gc_threshold,	\
	  __reserved, 1)						\
	X(GC_GET_COUNT, gc_get_count, refstore_gc_count, count, 1)	\
	X(GC_GET_STATS, gc_get_stats, refstore_gc_stats, garbage, 1)	\
	X(GC_FREEZE, gc_freeze, refstore_gc_value, value, 0)		\
	X(GC_UNFREEZE, gc_unfreeze, refstore_gc_value, value, 0)	\
	X(GC_GET_FREEZE_COUNT, gc_get_freeze_count, refstore_gc_value,	\
	  value, 1)							\
	X(GC_SET_DEBUG, gc_set_debug, refstore_gc_value, value, 0)	\
	X(GC_GET_DEBUG, gc_get_debug, refstore_gc_value, value, 1)	\
	X(GC_GARBAGE, gc_garbage, refstore_gc_garbage, total, 1)	\
	X(GC_CLEAR_GARBAGE, gc_clear_garbage, refstore_gc_value, value, 0) \
	X(GC_SET_DELAY, gc_set_delay, refstore_gc_value, value, 0)	\
	X(GC_GET_DELAY, gc_get_delay, refstore_gc_value, value, 1)	\
	X(WEAKREF_COUNT, weakref_count, refstore_weakref_count,		\
	  weak_slots, 1)						\
	X(WEAKREFS, weakrefs, refstore_weakrefs, total, 1)		\
	X(TRACED_MEMORY, traced_memory, refstore_traced_memory,	\
	  peak_bytes, 1)						\
	X(TAG_NAME, tag_name, refstore_tag_name, __reserved, 0)	\
	X(SNAPSHOT, snapshot, refstore_snapshot, peak_bytes, 1)	\
	X(OBJECTS, objects, refstore_objects, total, 1)		\
	X(REFERENTS, referents, refstore_referents, nslots, 1)		\
	X(REFERRERS, referrers, refstore_referrers, total, 1)		\
	X(ID_HANDLE, id_handle, refstore_id_handle, __reserved, 1)

#define T_CMD_INDEX(NAME, tname, type, last, out) T_CMD_##NAME,
enum t_cmd_index { T_COMMANDS(T_CMD_INDEX) T_NCMDS };
#undef T_CMD_INDEX

/* Room for any command's structure and a tail of bytes past it. */
#define T_ARG_MAX 256

/*
 * One call being set up: the heap, the argument, and what the argument
 * points at (payload bytes, the GC_GARBAGE handle array).  The builder
 * records the handles it made in h[] and w for later checks.
 */
struct t_call {
	int fd;
	uint32_t h[4];
	uint32_t w;
	union {
		uint8_t bytes[T_ARG_MAX];
		uint64_t align;
		struct { uint32_t size, flags; } head;
	} arg;
	uint8_t buf[256];
};

typedef void (*t_build_t)(struct __test_metadata *_metadata,
			  struct t_call *c);

struct t_cmd {
	const char *name;
	unsigned long cmd;
	uint32_t size;		/* sizeof() of the structure */
	uint32_t min_size;	/* offsetofend() of version 1's last field */
	bool writes_back;	/* output fields are copied back */
	t_build_t build;
};

#define t_offsetofend(type, member) \
	(offsetof(type, member) + sizeof(((type *)0)->member))

/* The argument as @type, with .size = sizeof(@type) and the rest zero. */
#define T_ARG(c, type)							\
	({								\
		type *__a = (type *)(c)->arg.bytes;			\
		_Static_assert(sizeof(type) <= T_ARG_MAX, "T_ARG_MAX");	\
		memset((c)->arg.bytes, 0, sizeof((c)->arg.bytes));	\
		__a->size = sizeof(type);				\
		__a;							\
	})

#define T_BUILD(NAME)							\
	static void t_build_##NAME(struct __test_metadata *_metadata,	\
				   struct t_call *c)

T_BUILD(VERSION)
{
	T_ARG(c, struct refstore_version);
}

T_BUILD(CREATE)
{
	struct refstore_create *a = T_ARG(c, struct refstore_create);

	a->payload_size = 100;
	a->nslots = 2;
	a->tag = 7;
}

T_BUILD(DUP)
{
	struct refstore_dup *a = T_ARG(c, struct refstore_dup);

	c->h[0] = CREATE(c->fd, 8, 1);
	a->handle = c->h[0];
}

/* The last handle of a NOTIFY object: it dies, an event is queued. */
T_BUILD(CLOSE)
{
	struct refstore_close *a = T_ARG(c, struct refstore_close);

	c->h[0] = CREATE_COOKIE(c->fd, 8, 1, 42);
	a->handle = c->h[0];
}

/* a.slot0 = b, b's only reference: replacing it with c frees b. */
T_BUILD(SET_SLOT)
{
	struct refstore_set_slot *a = T_ARG(c, struct refstore_set_slot);

	c->h[0] = CREATE(c->fd, 0, 1);
	c->h[1] = CREATE(c->fd, 0, 0);
	LINK(c->fd, c->h[0], 0, c->h[1]);
	CLOSE(c->fd, c->h[1]);
	c->h[2] = CREATE(c->fd, 0, 0);
	a->handle = c->h[0];
	a->target = c->h[2];
}

T_BUILD(GET_SLOT)
{
	struct refstore_get_slot *a = T_ARG(c, struct refstore_get_slot);

	c->h[0] = CREATE(c->fd, 0, 1);
	c->h[1] = CREATE(c->fd, 0, 0);
	LINK(c->fd, c->h[0], 0, c->h[1]);
	a->handle = c->h[0];
}

/* 200 bytes of 0xab over a zeroed payload. */
T_BUILD(WRITE)
{
	struct refstore_rw *a = T_ARG(c, struct refstore_rw);

	c->h[0] = CREATE(c->fd, 200, 0);
	memset(c->buf, 0xab, sizeof(c->buf));
	a->handle = c->h[0];
	a->length = 200;
	a->data = (uintptr_t)c->buf;
}

T_BUILD(READ)
{
	struct refstore_rw *a = T_ARG(c, struct refstore_rw);

	c->h[0] = CREATE(c->fd, 200, 0);
	a->handle = c->h[0];
	a->length = 200;
	a->data = (uintptr_t)c->buf;
}

T_BUILD(INFO)
{
	struct refstore_info *a = T_ARG(c, struct refstore_info);

	c->h[0] = CREATE(c->fd, 8, 2);
	a->handle = c->h[0];
}

/* The object's first weak handle: its weak list is made too. */
T_BUILD(WEAKREF)
{
	struct refstore_weakref *a = T_ARG(c, struct refstore_weakref);

	c->h[0] = CREATE(c->fd, 8, 0);
	a->handle = c->h[0];
}

T_BUILD(UPGRADE)
{
	struct refstore_upgrade *a = T_ARG(c, struct refstore_upgrade);

	c->h[0] = CREATE(c->fd, 8, 0);
	c->w = WEAKREF(c->fd, c->h[0]);
	a->weak = c->w;
}

T_BUILD(GET_LIMITS)
{
	T_ARG(c, struct refstore_limits);
}

T_BUILD(SET_LIMITS)
{
	struct refstore_limits *a = T_ARG(c, struct refstore_limits);

	a->max_objects = 1000;
	a->max_slots = 10;
}

T_BUILD(HEAP_STATS)
{
	T_ARG(c, struct refstore_heap_stats);
}

/* A full collection with a garbage 2-ring to free. */
T_BUILD(GC_COLLECT)
{
	struct refstore_gc_collect *a = T_ARG(c, struct refstore_gc_collect);

	RING(c->fd, 2);
	a->generation = 2;
}

/* Each state-changing control is built to change the state. */
T_BUILD(GC_ENABLE)
{
	GC_VALUE(c->fd, GC_DISABLE);
	T_ARG(c, struct refstore_gc_value);
}

T_BUILD(GC_DISABLE)
{
	GC_VALUE(c->fd, GC_ENABLE);
	T_ARG(c, struct refstore_gc_value);
}

T_BUILD(GC_ISENABLED)
{
	T_ARG(c, struct refstore_gc_value);
}

T_BUILD(GC_SET_THRESHOLD)
{
	struct refstore_gc_threshold *a =
		T_ARG(c, struct refstore_gc_threshold);

	a->threshold[0] = 5;
	a->threshold[1] = 6;
	a->threshold[2] = 7;
}

T_BUILD(GC_GET_THRESHOLD)
{
	T_ARG(c, struct refstore_gc_threshold);
}

T_BUILD(GC_GET_COUNT)
{
	T_ARG(c, struct refstore_gc_count);
}

T_BUILD(GC_GET_STATS)
{
	T_ARG(c, struct refstore_gc_stats);
}

/* A garbage 2-ring to move to the permanent generation. */
T_BUILD(GC_FREEZE)
{
	RING(c->fd, 2);
	T_ARG(c, struct refstore_gc_value);
}

/* A frozen garbage 2-ring to move back. */
T_BUILD(GC_UNFREEZE)
{
	RING(c->fd, 2);
	GC_VALUE(c->fd, GC_FREEZE);
	T_ARG(c, struct refstore_gc_value);
}

T_BUILD(GC_GET_FREEZE_COUNT)
{
	T_ARG(c, struct refstore_gc_value);
}

T_BUILD(GC_SET_DEBUG)
{
	struct refstore_gc_value *a = T_ARG(c, struct refstore_gc_value);

	a->value = REFSTORE_GC_DEBUG_SAVEALL;
}

T_BUILD(GC_GET_DEBUG)
{
	T_ARG(c, struct refstore_gc_value);
}

/* Two objects saved by SAVEALL, for a garbage list of two. */
static inline void t_saved_ring(struct __test_metadata *_metadata, int fd)
{
	GC_SET_DEBUG(fd, REFSTORE_GC_DEBUG_SAVEALL);
	RING(fd, 2);
	ASSERT_EQ(2, COLLECT(fd, 2));
	ASSERT_EQ(2, GC_STATS(fd).garbage);
}

/* Two saved objects, handed out as two new handles. */
T_BUILD(GC_GARBAGE)
{
	struct refstore_gc_garbage *a = T_ARG(c, struct refstore_gc_garbage);

	t_saved_ring(_metadata, c->fd);
	a->capacity = sizeof(c->buf) / sizeof(uint32_t);
	a->handles = (uintptr_t)c->buf;
}

/* Two saved objects to drop from the garbage list. */
T_BUILD(GC_CLEAR_GARBAGE)
{
	t_saved_ring(_metadata, c->fd);
	T_ARG(c, struct refstore_gc_value);
}

/* A new delay; the suite's heaps start with none (common.h). */
T_BUILD(GC_SET_DELAY)
{
	struct refstore_gc_value *a = T_ARG(c, struct refstore_gc_value);

	a->value = 100;
}

T_BUILD(GC_GET_DELAY)
{
	T_ARG(c, struct refstore_gc_value);
}

/* An object with a weak handle and a weak slot to it. */
static inline void t_weak_both(struct __test_metadata *_metadata,
			       struct t_call *c)
{
	c->h[0] = CREATE(c->fd, 8, 0);
	c->h[1] = CREATE(c->fd, 0, 1);
	c->w = WEAKREF(c->fd, c->h[0]);
	ASSERT_EQ(0, rs_set_slot_weak(c->fd, c->h[1], 0, c->h[0]));
}

T_BUILD(WEAKREF_COUNT)
{
	struct refstore_weakref_count *a =
		T_ARG(c, struct refstore_weakref_count);

	t_weak_both(_metadata, c);
	a->handle = c->h[0];
}

/* Both entries, into c->buf. */
T_BUILD(WEAKREFS)
{
	struct refstore_weakrefs *a = T_ARG(c, struct refstore_weakrefs);

	t_weak_both(_metadata, c);
	a->handle = c->h[0];
	a->capacity = sizeof(c->buf) / sizeof(struct refstore_weakref_entry);
	a->entries = (uintptr_t)c->buf;
}

/* Read the totals and reset the peak (after a close, so it moves). */
T_BUILD(TRACED_MEMORY)
{
	struct refstore_traced_memory *a =
		T_ARG(c, struct refstore_traced_memory);

	c->h[0] = CREATE(c->fd, 8, 0);
	c->h[1] = CREATE(c->fd, 8, 0);
	CLOSE(c->fd, c->h[1]);
	a->flags = REFSTORE_TRACED_RESET_PEAK;
}

/* Names a tag no object has yet: the heap's first table entry. */
T_BUILD(TAG_NAME)
{
	struct refstore_tag_name *a = T_ARG(c, struct refstore_tag_name);

	memcpy(c->buf, "site.c:1", 8);
	a->tag = 99;
	a->name = (uintptr_t)c->buf;
	a->name_len = 8;
}

/* Two groups (tags 1 and 2) into c->buf. */
T_BUILD(SNAPSHOT)
{
	struct refstore_snapshot *a = T_ARG(c, struct refstore_snapshot);
	uint32_t h;

	ASSERT_EQ(0, rs_create(c->fd, 8, 0, 0, 1, 0, &h, NULL));
	ASSERT_EQ(0, rs_create(c->fd, 8, 0, 0, 2, 0, &h, NULL));
	a->entry_size = sizeof(struct refstore_stat);
	a->capacity = sizeof(c->buf) / sizeof(struct refstore_stat);
	a->entries = (uintptr_t)c->buf;
}

/* Two objects, listed into c->buf (48 bytes each). */
T_BUILD(OBJECTS)
{
	struct refstore_objects *a = T_ARG(c, struct refstore_objects);

	c->h[0] = CREATE(c->fd, 8, 1);
	c->h[1] = CREATE(c->fd, 0, 0);
	a->entry_size = sizeof(struct refstore_object_info);
	a->capacity = sizeof(c->buf) / sizeof(struct refstore_object_info);
	a->entries = (uintptr_t)c->buf;
}

/*
 * a.slot0 = weak b, a.slot1 = b: a's two slots' targets into c->buf, and
 * their flags (slot_flags) after them.
 */
T_BUILD(REFERENTS)
{
	struct refstore_referents *a = T_ARG(c, struct refstore_referents);
	uint64_t id;

	ASSERT_EQ(0, rs_create(c->fd, 0, 2, 0, 0, 0, &c->h[0], &id));
	c->h[1] = CREATE(c->fd, 0, 0);
	ASSERT_EQ(0, rs_set_slot_weak(c->fd, c->h[0], 0, c->h[1]));
	LINK(c->fd, c->h[0], 1, c->h[1]);
	a->id = id;
	a->ids = (uintptr_t)c->buf;
	a->capacity = 2;
	a->slot_flags = (uintptr_t)(c->buf + 2 * sizeof(uint64_t));
}

/* b, pointed at by a's slot 0 and its own slot 1. */
T_BUILD(REFERRERS)
{
	struct refstore_referrers *a = T_ARG(c, struct refstore_referrers);
	uint64_t id;

	c->h[0] = CREATE(c->fd, 0, 1);
	ASSERT_EQ(0, rs_create(c->fd, 0, 2, 0, 0, 0, &c->h[1], &id));
	LINK(c->fd, c->h[0], 0, c->h[1]);
	LINK(c->fd, c->h[1], 1, c->h[1]);
	a->id = id;
	a->entries = (uintptr_t)c->buf;
	a->capacity = sizeof(c->buf) / sizeof(struct refstore_referrer);
}

/* b, reachable only through a's slot: a handle to it by id. */
T_BUILD(ID_HANDLE)
{
	struct refstore_id_handle *a = T_ARG(c, struct refstore_id_handle);
	uint64_t id;

	c->h[0] = CREATE(c->fd, 0, 1);
	ASSERT_EQ(0, rs_create(c->fd, 0, 0, 0, 0, 0, &c->h[1], &id));
	LINK(c->fd, c->h[0], 0, c->h[1]);
	CLOSE(c->fd, c->h[1]);
	a->id = id;
}

#define T_CMD_ENTRY(NAME, tname, type, last, out)			\
	[T_CMD_##NAME] = {						\
		.name = #NAME,						\
		.cmd = REFSTORE_IOC_##NAME,				\
		.size = sizeof(struct type),				\
		.min_size = t_offsetofend(struct type, last),		\
		.writes_back = out,					\
		.build = t_build_##NAME,				\
	},
static const struct t_cmd t_cmds[T_NCMDS] __attribute__((unused)) = {
	T_COMMANDS(T_CMD_ENTRY)
};
#undef T_CMD_ENTRY

/*
 * Set up @e's call on a fresh heap (opened with @open_flags): c->fd is the
 * heap, c->arg the argument.  The caller closes c->fd.
 */
static inline void t_call_prepare(struct __test_metadata *_metadata,
				  const struct t_cmd *e, struct t_call *c,
				  int open_flags)
{
	memset(c, 0, sizeof(*c));
	c->fd = rs_open(open_flags);
	ASSERT_LE(0, c->fd) TH_LOG("%s: open: %s", e->name, strerror(-c->fd));
	e->build(_metadata, c);
	ASSERT_EQ(e->size, c->arg.head.size) TH_LOG("%s: builder", e->name);
}

#endif /* REFSTORE_SELFTESTS_COMMANDS_H */
