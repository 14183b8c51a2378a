// SPDX-License-Identifier: GPL-2.0
/*
 * refstore weak references inside the graph (issue 13):
 *  - weak slots (SET_SLOT with REFSTORE_SLOT_WEAK): not counted, no edge
 *    for the collector, read as dead once their target died, cleared
 *    before any death event of the collection that found their target;
 *    the seed's parent/child tree freed by counting alone;
 *  - weak handles with callbacks (REFSTORE_WEAKREF_CALLBACK), CPython's
 *    order against the object's own death event;
 *  - WEAKREF_COUNT and WEAKREFS (getweakrefcount, getweakrefs);
 *  - a WeakValueDictionary-like cache.
 */
#include "common.h"

/* The slot's answer: *@flags its kind, return the new handle (or 0). */
static inline uint32_t t_get_slot(struct __test_metadata *_metadata, int fd,
				  uint32_t h, uint32_t slot, uint32_t *flags,
				  uint64_t *id)
{
	uint32_t t = 0, f = 0;

	ASSERT_EQ(0, rs_get_slot_ex(fd, h, slot, &t, id, &f));
	if (flags)
		*flags = f;
	return t;
}
#define GET_SLOT(fd, h, slot, flags, id) \
	t_get_slot(_metadata, fd, h, slot, flags, id)

#define WLINK(fd, h, slot, target) \
	ASSERT_EQ(0, rs_set_slot_weak(fd, h, slot, target))

static inline uint64_t t_wcount(struct __test_metadata *_metadata, int fd,
				uint32_t h, uint64_t *handles, uint64_t *slots)
{
	uint64_t n = 0;

	ASSERT_EQ(0, rs_weakref_count(fd, h, &n, handles, slots));
	return n;
}
#define WCOUNT(fd, h) t_wcount(_metadata, fd, h, NULL, NULL)

/* A weak handle with a callback carrying @cookie. */
static inline uint32_t t_weak_cb(struct __test_metadata *_metadata, int fd,
				 uint32_t h, uint64_t cookie)
{
	uint32_t w = 0;

	ASSERT_EQ(0, rs_weakref_ex(fd, h, REFSTORE_WEAKREF_CALLBACK, cookie,
				   &w));
	ASSERT_NE(0, w);
	return w;
}
#define WEAK_CB(fd, h, cookie) t_weak_cb(_metadata, fd, h, cookie)

/* Every queued event, without waiting: how many. */
static inline int t_drain(struct __test_metadata *_metadata, int fd,
			  struct refstore_event *ev, int max)
{
	int fl = fcntl(fd, F_GETFL), n;

	ASSERT_LE(0, fl);
	ASSERT_EQ(0, fcntl(fd, F_SETFL, fl | O_NONBLOCK));
	n = rs_read_events(fd, ev, max);
	ASSERT_EQ(0, fcntl(fd, F_SETFL, fl));
	if (n == -EAGAIN)
		n = 0;
	ASSERT_LE(0, n);
	return n;
}
#define DRAIN(fd, ev, max) t_drain(_metadata, fd, ev, max)

static inline uint64_t t_collections(struct __test_metadata *_metadata, int fd)
{
	struct refstore_gc_stats s = GC_STATS(fd);

	return s.gen[0].collections + s.gen[1].collections +
	       s.gen[2].collections + s.automatic;
}
#define COLLECTIONS(fd) t_collections(_metadata, fd)

/* ---- 1. weak slots ---- */

TEST_F(heap, feature_bits)
{
	uint64_t f = 0;

	ASSERT_EQ(0, rs_version(self->fd, NULL, &f));
	EXPECT_TRUE(f & REFSTORE_FEAT_WEAK_GRAPH);
	EXPECT_TRUE(f & REFSTORE_FEAT_WEAK_QUERY);
}

/* Not counted, and the slot reads empty (WEAK | DEAD) once the target died. */
TEST_F(heap, weak_slot_not_counted)
{
	uint64_t bid, id = 1;
	uint32_t a = CREATE(self->fd, 0, 1), f = 0, t;
	uint32_t b = t_create(_metadata, self->fd, 0, 0, 0, 0, &bid);

	WLINK(self->fd, a, 0, b);
	EXPECT_EQ(1, REFCOUNT(self->fd, b));
	EXPECT_TRUE(INFO(self->fd, b).obj_flags & REFSTORE_OBJ_WEAKREFS);
	t = GET_SLOT(self->fd, a, 0, &f, &id);
	ASSERT_NE(0, t);
	EXPECT_EQ(bid, id);
	EXPECT_EQ(REFSTORE_SLOT_WEAK, f);
	/* The answer is a strong handle, as calling a weakref.ref. */
	EXPECT_EQ(2, REFCOUNT(self->fd, b));
	CLOSE(self->fd, t);
	CLOSE(self->fd, b);
	EXPECT_EQ(1, OBJECTS(self->fd));
	t = GET_SLOT(self->fd, a, 0, &f, &id);
	EXPECT_EQ(0, t);
	EXPECT_EQ(0, id);
	EXPECT_EQ(REFSTORE_SLOT_WEAK | REFSTORE_SLOT_DEAD, f);
	/* rs_get_slot() (no slot_flags) sees an empty slot. */
	ASSERT_EQ(0, rs_get_slot(self->fd, a, 0, &t, &id));
	EXPECT_EQ(0, t);
	/* A strong slot and an empty one answer 0. */
	LINK(self->fd, a, 0, a);
	t = GET_SLOT(self->fd, a, 0, &f, NULL);
	EXPECT_EQ(0, f);
	CLOSE(self->fd, t);
	LINK(self->fd, a, 0, 0);
	EXPECT_EQ(0, GET_SLOT(self->fd, a, 0, &f, NULL));
	EXPECT_EQ(0, f);
	CLOSE(self->fd, a);
	EXPECT_EQ(0, OBJECTS(self->fd));
	EXPECT_EQ(0, STATS(self->fd).bytes);
}

/* A caller of the first GET_SLOT (size 32) gets the old answers. */
TEST_F(heap, get_slot_old_size)
{
	uint32_t a = CREATE(self->fd, 0, 1), b = CREATE(self->fd, 0, 0);
	struct refstore_get_slot g = {
		.size = offsetof(struct refstore_get_slot, slot_flags),
		.handle = a,
	};

	WLINK(self->fd, a, 0, b);
	ASSERT_EQ(0, rs_ioctl(self->fd, REFSTORE_IOC_GET_SLOT, &g));
	EXPECT_NE(0, g.target);
	EXPECT_EQ(0, g.slot_flags);
	CLOSE(self->fd, g.target);
	CLOSE(self->fd, b);
	memset(&g, 0, sizeof(g));
	g.size = sizeof(g);
	g.handle = a;
	g.__reserved2 = 1;
	EXPECT_ERR(EINVAL, rs_ioctl(self->fd, REFSTORE_IOC_GET_SLOT, &g));
}

/*
 * The seed's advice: the parent holds its children strongly, each child
 * holds its parent weakly. Closing the root's handle frees the whole tree
 * by counting, with automatic collection off and no collection run.
 */
TEST_F(heap, seed_tree_freed_by_counting)
{
	enum { NCHILD = 8, NGRAND = 3 };
	struct refstore_event ev[64];
	uint32_t root, child, grand;
	int i, j, n;

	GC_VALUE(self->fd, GC_DISABLE);
	root = CREATE_NOTIFY(self->fd, NCHILD, 1000, NULL);
	for (i = 0; i < NCHILD; i++) {
		child = CREATE_NOTIFY(self->fd, 1 + NGRAND, 100 + i, NULL);
		LINK(self->fd, root, i, child);
		WLINK(self->fd, child, 0, root);
		for (j = 0; j < NGRAND; j++) {
			grand = CREATE_NOTIFY(self->fd, 1, 1, NULL);
			LINK(self->fd, child, 1 + j, grand);
			WLINK(self->fd, grand, 0, child);
			CLOSE(self->fd, grand);
		}
		CLOSE(self->fd, child);
	}
	EXPECT_EQ(1 + NCHILD * (1 + NGRAND), OBJECTS(self->fd));
	EXPECT_EQ(1, REFCOUNT(self->fd, root));
	EXPECT_EQ(NCHILD, WCOUNT(self->fd, root));

	CLOSE(self->fd, root);
	EXPECT_EQ(0, OBJECTS(self->fd));
	EXPECT_EQ(0, STATS(self->fd).bytes);
	EXPECT_EQ(0, COLLECTIONS(self->fd));
	n = DRAIN(self->fd, ev, 64);
	EXPECT_EQ(1 + NCHILD * (1 + NGRAND), n);
	for (i = 0; i < n; i++)
		EXPECT_EQ(REFSTORE_CAUSE_RELEASED, ev[i].cause);
	/* The root dies first: its children lose their last reference in it. */
	EXPECT_EQ(1000, ev[0].cookie);
	EXPECT_EQ(0, COLLECTIONS(self->fd));
}

/* The same tree with strong back-pointers waits for the collector. */
TEST_F(heap, strong_tree_needs_collection)
{
	uint32_t root = CREATE(self->fd, 0, 4), c;
	int i;

	GC_VALUE(self->fd, GC_DISABLE);
	for (i = 0; i < 4; i++) {
		c = CREATE(self->fd, 0, 1);
		LINK(self->fd, root, i, c);
		LINK(self->fd, c, 0, root);
		CLOSE(self->fd, c);
	}
	CLOSE(self->fd, root);
	EXPECT_EQ(5, OBJECTS(self->fd));
	EXPECT_EQ(5, COLLECT(self->fd, 2));
	EXPECT_EQ(0, OBJECTS(self->fd));
}

/* A weak slot is no edge: a strong/weak pair is no cycle, a weak ring none. */
TEST_F(heap, weak_slot_not_an_edge)
{
	uint32_t a = CREATE(self->fd, 0, 1), b = CREATE(self->fd, 0, 1);
	uint32_t h[4];
	int i;

	LINK(self->fd, a, 0, b);
	WLINK(self->fd, b, 0, a);
	CLOSE(self->fd, b);
	CLOSE(self->fd, a);
	EXPECT_EQ(0, OBJECTS(self->fd));

	for (i = 0; i < 4; i++)
		h[i] = CREATE(self->fd, 0, 1);
	for (i = 0; i < 4; i++)
		WLINK(self->fd, h[i], 0, h[(i + 1) % 4]);
	for (i = 0; i < 4; i++)
		CLOSE(self->fd, h[i]);
	EXPECT_EQ(0, OBJECTS(self->fd));
	EXPECT_EQ(0, STATS(self->fd).bytes);
}

/*
 * A live object's weak slot does not keep a garbage cycle alive: the
 * collector finds it, and the slot reads dead afterwards (never a handle
 * to freed garbage). Garbage with weak slots among itself is freed too.
 */
TEST_F(heap, weak_slot_to_cycle_garbage)
{
	uint32_t a = CREATE(self->fd, 0, 2), b = CREATE(self->fd, 0, 2);
	uint32_t keeper = CREATE(self->fd, 0, 2), f;

	LINK(self->fd, a, 0, b);
	LINK(self->fd, b, 0, a);
	WLINK(self->fd, a, 1, b);
	WLINK(self->fd, b, 1, b);
	WLINK(self->fd, keeper, 0, a);
	WLINK(self->fd, keeper, 1, b);
	CLOSE(self->fd, a);
	CLOSE(self->fd, b);
	EXPECT_EQ(2, COLLECT(self->fd, 2));
	EXPECT_EQ(1, OBJECTS(self->fd));
	EXPECT_EQ(0, GET_SLOT(self->fd, keeper, 0, &f, NULL));
	EXPECT_EQ(REFSTORE_SLOT_WEAK | REFSTORE_SLOT_DEAD, f);
	EXPECT_EQ(0, GET_SLOT(self->fd, keeper, 1, &f, NULL));
	EXPECT_EQ(REFSTORE_SLOT_WEAK | REFSTORE_SLOT_DEAD, f);
	CLOSE(self->fd, keeper);
	EXPECT_EQ(0, STATS(self->fd).bytes);
}

/* SAVEALL: saved garbage is dead to weak slots too (cleared when saved). */
TEST_F(heap, weak_slot_to_saved_garbage)
{
	uint32_t keeper = CREATE(self->fd, 0, 1), f;

	GC_SET_DEBUG(self->fd, REFSTORE_GC_DEBUG_SAVEALL);
	{
		uint32_t a = CREATE(self->fd, 0, 1);

		LINK(self->fd, a, 0, a);
		WLINK(self->fd, keeper, 0, a);
		CLOSE(self->fd, a);
	}
	EXPECT_EQ(1, COLLECT(self->fd, 2));
	EXPECT_EQ(2, OBJECTS(self->fd));
	EXPECT_EQ(0, GET_SLOT(self->fd, keeper, 0, &f, NULL));
	EXPECT_EQ(REFSTORE_SLOT_WEAK | REFSTORE_SLOT_DEAD, f);
	GC_SET_DEBUG(self->fd, 0);
	GC_VALUE(self->fd, GC_CLEAR_GARBAGE);
	EXPECT_EQ(1, COLLECT(self->fd, 2));
	CLOSE(self->fd, keeper);
	EXPECT_EQ(0, OBJECTS(self->fd));
}

/* Overwrites: strong over weak, weak over strong (which may free), self. */
TEST_F(heap, weak_slot_overwrite)
{
	uint32_t a = CREATE(self->fd, 0, 1), b = CREATE(self->fd, 0, 0), f, t;
	uint64_t n;

	WLINK(self->fd, a, 0, b);
	LINK(self->fd, a, 0, b);
	EXPECT_EQ(2, REFCOUNT(self->fd, b));
	EXPECT_EQ(0, WCOUNT(self->fd, b));
	EXPECT_FALSE(INFO(self->fd, b).obj_flags & REFSTORE_OBJ_WEAKREFS);
	CLOSE(self->fd, b);
	/* The slot held the last reference: weak over it frees b. */
	t = GET_SLOT(self->fd, a, 0, NULL, NULL);
	ASSERT_NE(0, t);
	ASSERT_EQ(0, rs_set_slot_weak(self->fd, a, 0, t));
	EXPECT_EQ(1, REFCOUNT(self->fd, t));
	CLOSE(self->fd, t);
	EXPECT_EQ(1, OBJECTS(self->fd));
	EXPECT_EQ(0, GET_SLOT(self->fd, a, 0, &f, NULL));
	EXPECT_EQ(REFSTORE_SLOT_WEAK | REFSTORE_SLOT_DEAD, f);
	/* Weak to itself: the object is its own weak referent. */
	WLINK(self->fd, a, 0, a);
	n = 0;
	EXPECT_EQ(1, t_wcount(_metadata, self->fd, a, NULL, &n));
	EXPECT_EQ(1, n);
	EXPECT_EQ(1, REFCOUNT(self->fd, a));
	/* Emptying a weak slot: weak flag and target 0. */
	WLINK(self->fd, a, 0, 0);
	EXPECT_EQ(0, WCOUNT(self->fd, a));
	EXPECT_EQ(0, GET_SLOT(self->fd, a, 0, &f, NULL));
	EXPECT_EQ(0, f);
	WLINK(self->fd, a, 0, a);
	CLOSE(self->fd, a);
	EXPECT_EQ(0, OBJECTS(self->fd));
	EXPECT_EQ(0, STATS(self->fd).bytes);
}

/* A weak handle can be the target of a weak slot, if its object lives. */
TEST_F(heap, weak_slot_from_weak_handle)
{
	uint32_t a = CREATE(self->fd, 0, 1), b = CREATE(self->fd, 0, 0);
	uint32_t w = WEAKREF(self->fd, b), f, t;

	WLINK(self->fd, a, 0, w);
	t = GET_SLOT(self->fd, a, 0, &f, NULL);
	EXPECT_NE(0, t);
	EXPECT_EQ(REFSTORE_SLOT_WEAK, f);
	CLOSE(self->fd, t);
	EXPECT_EQ(2, WCOUNT(self->fd, b));
	CLOSE(self->fd, b);
	EXPECT_ERR(ENOENT, rs_set_slot_weak(self->fd, a, 0, w));
	/* A strong store of a weak handle stays EBADSLT. */
	EXPECT_ERR(EBADSLT, rs_set_slot(self->fd, a, 0, w));
}

/* Every error of a weak SET_SLOT changes nothing. */
TEST_F(heap, weak_slot_errors)
{
	uint32_t a = CREATE(self->fd, 0, 1), b = CREATE(self->fd, 0, 0);
	uint32_t w = WEAKREF(self->fd, a), big = 0, ob;
	struct refstore_set_slot s = {
		.size = sizeof(s), .flags = REFSTORE_SLOT_WEAK,
		.handle = a, .target = b,
	};
	struct refstore_heap_stats before = STATS(self->fd);
	int other;

	/* Slot index out of range. */
	EXPECT_ERR(EINVAL, rs_set_slot_weak(self->fd, a, 1, b));
	EXPECT_ERR(EINVAL, rs_set_slot_weak(self->fd, a, UINT32_MAX, b));
	/* An unknown flag, a reserved field. */
	s.flags = 1u << 7;
	EXPECT_ERR(EINVAL, rs_ioctl(self->fd, REFSTORE_IOC_SET_SLOT, &s));
	s.flags = REFSTORE_SLOT_WEAK;
	s.__reserved = 1;
	EXPECT_ERR(EINVAL, rs_ioctl(self->fd, REFSTORE_IOC_SET_SLOT, &s));
	/* The owner by a weak handle; no such handles. */
	EXPECT_ERR(EBADSLT, rs_set_slot_weak(self->fd, w, 0, b));
	EXPECT_ERR(ENOENT, rs_set_slot_weak(self->fd, 999, 0, b));
	EXPECT_ERR(ENOENT, rs_set_slot_weak(self->fd, a, 0, 999));

	/*
	 * An object of another heap: its handle means nothing here. The
	 * other heap's handles run past this heap's.
	 */
	other = rs_open(0);
	ASSERT_LE(0, other);
	for (ob = 0; ob < 8; ob++)
		ASSERT_EQ(0, rs_create(other, 0, 0, 0, 0, 0, &big, NULL));
	ASSERT_GT(big, w);
	EXPECT_ERR(ENOENT, rs_set_slot_weak(self->fd, a, 0, big));
	EXPECT_ERR(ENOENT, rs_set_slot(self->fd, a, 0, big));
	close(other);

	STATS_SAME(self->fd, &before);
	EXPECT_EQ(1, WCOUNT(self->fd, a));
	EXPECT_EQ(0, WCOUNT(self->fd, b));
}

/* A weak slot is charged: at the byte limit it fails with EDQUOT. */
TEST_F(heap, weak_slot_byte_limit)
{
	uint32_t a = CREATE(self->fd, 0, 64), b = CREATE(self->fd, 0, 0);
	struct refstore_limits lim = { 0 };
	uint32_t i;
	int ret = 0;

	lim.max_bytes = STATS(self->fd).bytes + 4096;
	ASSERT_EQ(0, rs_set_limits(self->fd, &lim));
	for (i = 0; i < 64 && !ret; i++)
		ret = rs_set_slot_weak(self->fd, a, i, b);
	EXPECT_EQ(-EDQUOT, ret);
	EXPECT_EQ(i - 1, WCOUNT(self->fd, b));
	CLOSE(self->fd, a);
	EXPECT_EQ(0, WCOUNT(self->fd, b));
}

/*
 * CPython's order in a collection: every weak reference to the garbage is
 * cleared, and its callback queued, before any death event; a weak slot
 * to it never hands out a handle again.
 */
TEST_F(heap, cycle_callbacks_before_deaths)
{
	uint32_t a = CREATE_NOTIFY(self->fd, 1, 1, NULL);
	uint32_t b = CREATE_NOTIFY(self->fd, 1, 2, NULL);
	uint32_t keeper = CREATE(self->fd, 0, 1), wa, wb;
	struct refstore_event ev[8];
	int n, i;

	LINK(self->fd, a, 0, b);
	LINK(self->fd, b, 0, a);
	WLINK(self->fd, keeper, 0, a);
	wa = WEAK_CB(self->fd, a, 11);
	wb = WEAK_CB(self->fd, b, 12);
	CLOSE(self->fd, a);
	CLOSE(self->fd, b);
	EXPECT_EQ(2, COLLECT(self->fd, 2));
	n = DRAIN(self->fd, ev, 8);
	ASSERT_EQ(4, n);
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(REFSTORE_CAUSE_WEAKREF_CYCLE, ev[i].cause);
		EXPECT_TRUE(ev[i].cookie == 11 || ev[i].cookie == 12);
		EXPECT_EQ(1, ev[i].count);
	}
	for (i = 2; i < 4; i++) {
		EXPECT_EQ(REFSTORE_CAUSE_CYCLE, ev[i].cause);
		EXPECT_TRUE(ev[i].cookie == 1 || ev[i].cookie == 2);
	}
	EXPECT_EQ(0, GET_SLOT(self->fd, keeper, 0, NULL, NULL));
	EXPECT_ERR(ENOENT, rs_upgrade(self->fd, wa, NULL));
	CLOSE(self->fd, wa);
	CLOSE(self->fd, wb);
	EXPECT_EQ(0, DRAIN(self->fd, ev, 8));
}

/* ---- 2. callbacks ---- */

/*
 * Counting: the object's own death event first, then its callbacks,
 * newest weak handle first (CPython's subtype_dealloc() and
 * PyObject_ClearWeakRefs()). Once each; the weak handles stay.
 */
TEST_F(heap, callback_on_counting_death)
{
	uint64_t id;
	uint32_t h = CREATE_NOTIFY(self->fd, 0, 1, &id), w1, w2, plain;
	struct refstore_event ev[8];

	w1 = WEAK_CB(self->fd, h, 21);
	plain = WEAKREF(self->fd, h);
	w2 = WEAK_CB(self->fd, h, 22);
	EXPECT_EQ(0, DRAIN(self->fd, ev, 8));
	CLOSE(self->fd, h);
	ASSERT_EQ(3, DRAIN(self->fd, ev, 8));
	EXPECT_EQ(1, ev[0].cookie);
	EXPECT_EQ(REFSTORE_CAUSE_RELEASED, ev[0].cause);
	EXPECT_EQ(22, ev[1].cookie);
	EXPECT_EQ(21, ev[2].cookie);
	EXPECT_EQ(REFSTORE_CAUSE_WEAKREF, ev[1].cause);
	EXPECT_EQ(REFSTORE_CAUSE_WEAKREF, ev[2].cause);
	EXPECT_EQ(id, ev[1].id);
	EXPECT_EQ(id, ev[2].id);
	EXPECT_EQ(3, STATS(self->fd).weak_handles);
	CLOSE(self->fd, w1);
	CLOSE(self->fd, w2);
	CLOSE(self->fd, plain);
	EXPECT_EQ(0, DRAIN(self->fd, ev, 8));
	EXPECT_EQ(3, STATS(self->fd).events_queued);
}

/* A callback does not need the object to have been made with NOTIFY. */
TEST_F(heap, callback_without_notify)
{
	uint32_t a = CREATE(self->fd, 0, 1), b = CREATE(self->fd, 0, 0);
	struct refstore_event ev[4];

	LINK(self->fd, a, 0, b);
	WEAK_CB(self->fd, b, 5);
	CLOSE(self->fd, b);
	EXPECT_EQ(0, DRAIN(self->fd, ev, 4));
	/* b dies with a, by counting. */
	CLOSE(self->fd, a);
	ASSERT_EQ(1, DRAIN(self->fd, ev, 4));
	EXPECT_EQ(5, ev[0].cookie);
	EXPECT_EQ(REFSTORE_CAUSE_WEAKREF, ev[0].cause);
}

/* Closing the weak handle before the death cancels its callback. */
TEST_F(heap, callback_cancelled_by_close)
{
	uint32_t h = CREATE(self->fd, 0, 0), w, w2;
	struct refstore_event ev[4];

	w = WEAK_CB(self->fd, h, 7);
	w2 = WEAK_CB(self->fd, h, 8);
	CLOSE(self->fd, w);
	CLOSE(self->fd, h);
	ASSERT_EQ(1, DRAIN(self->fd, ev, 4));
	EXPECT_EQ(8, ev[0].cookie);
	CLOSE(self->fd, w2);
}

/* No callback can be asked for a dead object; argument errors. */
TEST_F(heap, callback_errors)
{
	uint32_t h = CREATE(self->fd, 0, 0), w = WEAKREF(self->fd, h), w2 = 0;
	struct refstore_weakref a = { .size = sizeof(a), .handle = h };
	struct refstore_heap_stats before;

	/* From a live weak handle: fine. */
	ASSERT_EQ(0, rs_weakref_ex(self->fd, w, REFSTORE_WEAKREF_FROM_WEAK |
				   REFSTORE_WEAKREF_CALLBACK, 3, &w2));
	CLOSE(self->fd, w2);
	CLOSE(self->fd, h);
	before = STATS(self->fd);
	EXPECT_ERR(ENOENT, rs_weakref_ex(self->fd, w, REFSTORE_WEAKREF_FROM_WEAK |
					 REFSTORE_WEAKREF_CALLBACK, 3, &w2));
	EXPECT_ERR(ENOENT, rs_weakref_ex(self->fd, w, REFSTORE_WEAKREF_FROM_WEAK,
					 0, &w2));
	/* The kinds: a weak handle without FROM_WEAK, a strong one with it. */
	EXPECT_ERR(EBADSLT, rs_weakref_ex(self->fd, w, REFSTORE_WEAKREF_CALLBACK,
					  3, &w2));
	h = CREATE(self->fd, 0, 0);
	before = STATS(self->fd);
	EXPECT_ERR(EBADSLT, rs_weakref_ex(self->fd, h, REFSTORE_WEAKREF_FROM_WEAK,
					  0, &w2));
	/* A cookie without CALLBACK; an unknown flag. */
	a.handle = h;
	a.cookie = 1;
	EXPECT_ERR(EINVAL, rs_ioctl(self->fd, REFSTORE_IOC_WEAKREF, &a));
	a.cookie = 0;
	a.flags = 1u << 5;
	EXPECT_ERR(EINVAL, rs_ioctl(self->fd, REFSTORE_IOC_WEAKREF, &a));
	EXPECT_ERR(ENOENT, rs_weakref_ex(self->fd, 999,
					 REFSTORE_WEAKREF_CALLBACK, 1, &w2));
	STATS_SAME(self->fd, &before);
}

/* A full queue counts the callbacks it drops: one OVERFLOW report. */
TEST_F(heap, callback_queue_full)
{
	struct refstore_limits lim = { .max_events = 2 };
	uint32_t h = CREATE(self->fd, 0, 0);
	struct refstore_event ev[8];
	int i;

	ASSERT_EQ(0, rs_set_limits(self->fd, &lim));
	for (i = 0; i < 5; i++)
		WEAK_CB(self->fd, h, 100 + i);
	CLOSE(self->fd, h);
	EXPECT_EQ(2, STATS(self->fd).events_queued);
	EXPECT_EQ(3, STATS(self->fd).events_dropped);
	ASSERT_EQ(3, DRAIN(self->fd, ev, 8));
	EXPECT_EQ(REFSTORE_CAUSE_OVERFLOW, ev[0].cause);
	EXPECT_EQ(3, ev[0].count);
	EXPECT_EQ(104, ev[1].cookie);
	EXPECT_EQ(103, ev[2].cookie);
}

/* The ring grows with armed callbacks: none is lost below max_events. */
TEST_F(heap, callback_ring_grows)
{
	enum { N = 300 };
	uint32_t h = CREATE(self->fd, 0, 0);
	struct refstore_event ev[N + 1];
	int i;

	for (i = 0; i < N; i++)
		WEAK_CB(self->fd, h, i + 1);
	CLOSE(self->fd, h);
	EXPECT_EQ(0, STATS(self->fd).events_dropped);
	ASSERT_EQ(N, DRAIN(self->fd, ev, N + 1));
	for (i = 0; i < N; i++)
		EXPECT_EQ(N - i, ev[i].cookie);
}

/* Callbacks of saved garbage (SAVEALL) fire once, when it is saved. */
TEST_F(heap, callback_saveall_once)
{
	uint32_t a = CREATE(self->fd, 0, 1);
	struct refstore_event ev[4];

	LINK(self->fd, a, 0, a);
	WEAK_CB(self->fd, a, 9);
	CLOSE(self->fd, a);
	GC_SET_DEBUG(self->fd, REFSTORE_GC_DEBUG_SAVEALL);
	EXPECT_EQ(1, COLLECT(self->fd, 2));
	ASSERT_EQ(1, DRAIN(self->fd, ev, 4));
	EXPECT_EQ(REFSTORE_CAUSE_WEAKREF_CYCLE, ev[0].cause);
	GC_SET_DEBUG(self->fd, 0);
	GC_VALUE(self->fd, GC_CLEAR_GARBAGE);
	EXPECT_EQ(1, COLLECT(self->fd, 2));
	EXPECT_EQ(0, DRAIN(self->fd, ev, 4));
	EXPECT_EQ(0, OBJECTS(self->fd));
}

/* ---- 3. counts and lists ---- */

TEST_F(heap, weakref_count_and_list)
{
	enum { NH = 5, NS = 4 };
	uint32_t h = CREATE(self->fd, 0, 0), o = CREATE(self->fd, 0, NS);
	uint32_t w[NH], cnt;
	struct refstore_weakref_entry e[NH + NS + 1], page[3];
	struct refstore_heap_stats before;
	uint64_t handles, slots, total, oid = INFO(self->fd, o).id;
	int i, seen_h = 0, seen_s = 0, got;

	EXPECT_EQ(0, WCOUNT(self->fd, h));
	for (i = 0; i < NH; i++)
		w[i] = i == 2 ? WEAK_CB(self->fd, h, 77) : WEAKREF(self->fd, h);
	for (i = 0; i < NS; i++)
		WLINK(self->fd, o, i, h);
	before = STATS(self->fd);
	EXPECT_EQ(NH + NS, t_wcount(_metadata, self->fd, h, &handles, &slots));
	EXPECT_EQ(NH, handles);
	EXPECT_EQ(NS, slots);

	ASSERT_EQ(0, rs_weakrefs(self->fd, h, 0, e, NH + NS + 1, &cnt, &total));
	EXPECT_EQ(NH + NS, cnt);
	EXPECT_EQ(NH + NS, total);
	/* Newest first: the slots, last one first, then the handles. */
	EXPECT_EQ(REFSTORE_WEAKREF_ENTRY_SLOT, e[0].entry_flags);
	EXPECT_EQ(NS - 1, e[0].slot);
	for (i = 0; i < (int)cnt; i++) {
		if (e[i].entry_flags & REFSTORE_WEAKREF_ENTRY_SLOT) {
			EXPECT_EQ(oid, e[i].owner_id);
			EXPECT_EQ(0, e[i].handle);
			seen_s++;
		} else {
			EXPECT_EQ(w[NH - 1 - seen_h], e[i].handle);
			EXPECT_EQ(0, e[i].owner_id);
			if (e[i].handle == w[2]) {
				EXPECT_EQ(REFSTORE_WEAKREF_ENTRY_CALLBACK,
					  e[i].entry_flags);
				EXPECT_EQ(77, e[i].cookie);
			}
			seen_h++;
		}
	}
	EXPECT_EQ(NH, seen_h);
	EXPECT_EQ(NS, seen_s);

	/* Paged: the same entries, three at a time. */
	for (got = 0; got < NH + NS; got += cnt) {
		ASSERT_EQ(0, rs_weakrefs(self->fd, h, got, page, 3, &cnt, NULL));
		ASSERT_NE(0, cnt);
		for (i = 0; i < (int)cnt; i++)
			EXPECT_EQ(0, memcmp(&page[i], &e[got + i], sizeof(page[i])));
	}
	EXPECT_EQ(NH + NS, got);
	ASSERT_EQ(0, rs_weakrefs(self->fd, h, got, page, 3, &cnt, &total));
	EXPECT_EQ(0, cnt);
	ASSERT_EQ(0, rs_weakrefs(self->fd, h, UINT64_MAX, page, 3, &cnt, NULL));
	EXPECT_EQ(0, cnt);
	/* Capacity 0: only the total. */
	ASSERT_EQ(0, rs_weakrefs(self->fd, h, 0, NULL, 0, &cnt, &total));
	EXPECT_EQ(0, cnt);
	EXPECT_EQ(NH + NS, total);
	/* No side effect: no handle made, nothing charged. */
	STATS_SAME(self->fd, &before);

	/* Errors. */
	EXPECT_ERR(EFAULT, rs_weakrefs(self->fd, h, 0, (void *)8, 3, &cnt, NULL));
	EXPECT_ERR(EBADSLT, rs_weakrefs(self->fd, w[0], 0, e, 3, &cnt, NULL));
	EXPECT_ERR(EBADSLT, rs_weakref_count(self->fd, w[0], NULL, NULL, NULL));
	EXPECT_ERR(ENOENT, rs_weakrefs(self->fd, 999, 0, e, 3, &cnt, NULL));
	EXPECT_ERR(ENOENT, rs_weakref_count(self->fd, 999, NULL, NULL, NULL));
	STATS_SAME(self->fd, &before);

	/* Closing handles and emptying slots takes them off. */
	CLOSE(self->fd, w[0]);
	LINK(self->fd, o, 0, 0);
	EXPECT_EQ(NH + NS - 2, WCOUNT(self->fd, h));
	CLOSE(self->fd, o);
	EXPECT_EQ(NH - 1, WCOUNT(self->fd, h));
}

TEST_F(heap, weakref_query_bad_args)
{
	uint32_t h = CREATE(self->fd, 0, 0);
	struct refstore_weakref_count c = { .size = sizeof(c), .handle = h };
	struct refstore_weakrefs l = { .size = sizeof(l), .handle = h };

	c.flags = 1;
	EXPECT_ERR(EINVAL, rs_ioctl(self->fd, REFSTORE_IOC_WEAKREF_COUNT, &c));
	c.flags = 0;
	c.__reserved = 1;
	EXPECT_ERR(EINVAL, rs_ioctl(self->fd, REFSTORE_IOC_WEAKREF_COUNT, &c));
	c.__reserved = 0;
	c.size = offsetof(struct refstore_weakref_count, weak_slots);
	EXPECT_ERR(EINVAL, rs_ioctl(self->fd, REFSTORE_IOC_WEAKREF_COUNT, &c));
	l.flags = 1;
	EXPECT_ERR(EINVAL, rs_ioctl(self->fd, REFSTORE_IOC_WEAKREFS, &l));
	l.flags = 0;
	l.__reserved = 1;
	EXPECT_ERR(EINVAL, rs_ioctl(self->fd, REFSTORE_IOC_WEAKREFS, &l));
	l.__reserved = 0;
	l.size = offsetof(struct refstore_weakrefs, total);
	EXPECT_ERR(EINVAL, rs_ioctl(self->fd, REFSTORE_IOC_WEAKREFS, &l));
}

/* ---- 4. a weak container ---- */

/*
 * A WeakValueDictionary-like cache: one object whose slots are all weak,
 * key i in slot i. It keeps none of its values alive; an entry whose value
 * died reads as gone, and the slot can be reused.
 */
TEST_F(heap, weak_value_cache)
{
	enum { N = 16 };
	uint32_t cache = CREATE(self->fd, 0, N), val[N], f, t;
	uint64_t id[N], got;
	int i, alive;

	GC_VALUE(self->fd, GC_DISABLE);
	for (i = 0; i < N; i++) {
		val[i] = t_create(_metadata, self->fd, 8, 1, 0, 0, &id[i]);
		WLINK(self->fd, cache, i, val[i]);
	}
	/* Values reference each other strongly: the cache changes nothing. */
	for (i = 0; i + 1 < N; i += 2)
		LINK(self->fd, val[i], 0, val[i + 1]);
	for (i = 0; i < N; i++)
		EXPECT_EQ(i % 2 ? 2 : 1, REFCOUNT(self->fd, val[i]));

	/* Drop every value whose key is a multiple of 4, and its partner. */
	for (i = 0; i < N; i++)
		if (i % 4 == 0 || i % 4 == 1)
			CLOSE(self->fd, val[i]);
	EXPECT_EQ(1 + N / 2, OBJECTS(self->fd));
	for (i = 0, alive = 0; i < N; i++) {
		t = GET_SLOT(self->fd, cache, i, &f, &got);
		if (i % 4 == 0 || i % 4 == 1) {
			EXPECT_EQ(0, t);
			EXPECT_EQ(REFSTORE_SLOT_WEAK | REFSTORE_SLOT_DEAD, f);
			continue;
		}
		ASSERT_NE(0, t);
		EXPECT_EQ(id[i], got);
		CLOSE(self->fd, t);
		alive++;
	}
	EXPECT_EQ(N / 2, alive);
	/* A dead entry's slot takes a new value. */
	WLINK(self->fd, cache, 0, val[2]);
	t = GET_SLOT(self->fd, cache, 0, &f, &got);
	EXPECT_EQ(id[2], got);
	CLOSE(self->fd, t);
	EXPECT_EQ(2, WCOUNT(self->fd, val[2]));
	/* Dropping the cache frees no value; dropping the values frees all. */
	CLOSE(self->fd, cache);
	EXPECT_EQ(N / 2, OBJECTS(self->fd));
	for (i = 0; i < N; i++)
		if (!(i % 4 == 0 || i % 4 == 1))
			CLOSE(self->fd, val[i]);
	EXPECT_EQ(0, OBJECTS(self->fd));
	EXPECT_EQ(0, COLLECTIONS(self->fd));
	EXPECT_EQ(0, STATS(self->fd).bytes);
}

/* A heap closed with weak slots and armed callbacks in it leaks nothing. */
TEST(heap_close_with_weak_slots)
{
	uint32_t a, b, c;
	int fd = rs_open(0);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, rs_create(fd, 0, 2, 0, 0, 0, &a, NULL));
	ASSERT_EQ(0, rs_create(fd, 0, 2, 0, 0, 0, &b, NULL));
	ASSERT_EQ(0, rs_create(fd, 0, 0, 0, 0, 0, &c, NULL));
	ASSERT_EQ(0, rs_set_slot(fd, a, 0, b));
	ASSERT_EQ(0, rs_set_slot(fd, b, 0, a));
	ASSERT_EQ(0, rs_set_slot_weak(fd, a, 1, c));
	ASSERT_EQ(0, rs_set_slot_weak(fd, b, 1, b));
	ASSERT_EQ(0, rs_weakref_ex(fd, a, REFSTORE_WEAKREF_CALLBACK, 1, NULL));
	ASSERT_EQ(0, rs_close(fd, a));
	ASSERT_EQ(0, rs_close(fd, b));
	close(fd);
	/* The module's WARN on leftover bytes would taint; fail_nth checks leaks. */
}

T_HARNESS_MAIN
