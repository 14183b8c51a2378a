// SPDX-License-Identifier: GPL-2.0
/*
 * refstore cycle collector selftests: the seed's cycle, the graph shapes
 * of the kernel's af_unix scm_rights GC tests, generations, freeze,
 * SAVEALL, the gc controls and their error paths, automatic collection,
 * concurrency, debugfs control and tracepoints.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/refstore.h>

#include "kselftest_harness.h"

/* ---- small helpers: every one asserts through the harness ---- */

static unsigned int gc_create(struct __test_metadata *_metadata, int fd,
			      unsigned int nslots, unsigned long long cookie)
{
	struct refstore_create c = {
		.size = sizeof(c),
		.nslots = nslots,
		.flags = cookie ? REFSTORE_CREATE_NOTIFY : 0,
		.cookie = cookie,
	};

	EXPECT_EQ(0, ioctl(fd, REFSTORE_IOC_CREATE, &c));
	return c.handle;
}

static void gc_link(struct __test_metadata *_metadata, int fd,
		    unsigned int h, unsigned int slot, unsigned int target)
{
	struct refstore_set_slot s = {
		.size = sizeof(s), .handle = h, .slot = slot, .target = target,
	};

	EXPECT_EQ(0, ioctl(fd, REFSTORE_IOC_SET_SLOT, &s));
}

static void gc_close(struct __test_metadata *_metadata, int fd,
		     unsigned int h)
{
	struct refstore_close c = { .size = sizeof(c), .handle = h };

	EXPECT_EQ(0, ioctl(fd, REFSTORE_IOC_CLOSE, &c));
}

static unsigned long long gc_objects(struct __test_metadata *_metadata,
				     int fd)
{
	struct refstore_heap_stats s = { .size = sizeof(s) };

	EXPECT_EQ(0, ioctl(fd, REFSTORE_IOC_HEAP_STATS, &s));
	return s.objects;
}

static unsigned long long gc_collect(struct __test_metadata *_metadata,
				     int fd, unsigned int gen)
{
	struct refstore_gc_collect c = { .size = sizeof(c), .generation = gen };

	EXPECT_EQ(0, ioctl(fd, REFSTORE_IOC_GC_COLLECT, &c));
	return c.unreachable;
}

static void gc_value(struct __test_metadata *_metadata, int fd,
		     unsigned long cmd, unsigned long long *out)
{
	struct refstore_gc_value v = { .size = sizeof(v) };

	EXPECT_EQ(0, ioctl(fd, cmd, &v));
	if (out)
		*out = v.value;
}

static void gc_stats(struct __test_metadata *_metadata, int fd,
		     struct refstore_gc_stats *s)
{
	memset(s, 0, sizeof(*s));
	s->size = sizeof(*s);
	EXPECT_EQ(0, ioctl(fd, REFSTORE_IOC_GC_GET_STATS, s));
}

static int gc_upgrade(int fd, unsigned int weak, unsigned int *h)
{
	struct refstore_upgrade u = { .size = sizeof(u), .weak = weak };
	int ret = ioctl(fd, REFSTORE_IOC_UPGRADE, &u);

	*h = u.handle;
	return ret ? -errno : 0;
}

static void gc_set_threshold(struct __test_metadata *_metadata, int fd,
			     unsigned int t0, unsigned int t1, unsigned int t2)
{
	struct refstore_gc_threshold t = {
		.size = sizeof(t), .threshold = { t0, t1, t2 },
	};

	EXPECT_EQ(0, ioctl(fd, REFSTORE_IOC_GC_SET_THRESHOLD, &t));
}

/* Wait up to @ms for the heap to have @want objects; return what it has. */
static unsigned long long gc_wait_objects(struct __test_metadata *_metadata,
					  int fd, unsigned long long want,
					  int ms)
{
	unsigned long long n = gc_objects(_metadata, fd);

	while (n != want && ms > 0) {
		usleep(10000);
		ms -= 10;
		n = gc_objects(_metadata, fd);
	}
	return n;
}

/* A garbage ring of @len objects; returns nothing, all handles closed. */
static void gc_ring(struct __test_metadata *_metadata, int fd, int len)
{
	unsigned int h[64];
	int i;

	ASSERT_LE(len, 64);
	for (i = 0; i < len; i++)
		h[i] = gc_create(_metadata, fd, 1, 0);
	for (i = 0; i < len; i++)
		gc_link(_metadata, fd, h[i], 0, h[(i + 1) % len]);
	for (i = 0; i < len; i++)
		gc_close(_metadata, fd, h[i]);
}

FIXTURE(gc) {
	int fd;
};

FIXTURE_SETUP(gc)
{
	self->fd = open("/dev/refstore", O_RDWR | O_NONBLOCK);
	ASSERT_LE(0, self->fd);
	/* Only explicit collections, unless a test turns it back on. */
	gc_value(_metadata, self->fd, REFSTORE_IOC_GC_DISABLE, NULL);
}

FIXTURE_TEARDOWN(gc)
{
	close(self->fd);
}

/* The seed: obj1.ref = obj2, obj2.ref = obj1; del both; gc.collect(). */
TEST_F(gc, seed_cycle_collected_with_events)
{
	struct refstore_event ev[4];
	unsigned int a, b;
	ssize_t n;

	a = gc_create(_metadata, self->fd, 1, 1);
	b = gc_create(_metadata, self->fd, 1, 2);
	gc_link(_metadata, self->fd, a, 0, b);
	gc_link(_metadata, self->fd, b, 0, a);
	gc_close(_metadata, self->fd, a);
	gc_close(_metadata, self->fd, b);
	ASSERT_EQ(2, gc_objects(_metadata, self->fd));

	ASSERT_EQ(2, gc_collect(_metadata, self->fd, 2));
	ASSERT_EQ(0, gc_objects(_metadata, self->fd));

	n = read(self->fd, ev, sizeof(ev));
	ASSERT_EQ(2 * sizeof(ev[0]), n);
	EXPECT_EQ(REFSTORE_CAUSE_CYCLE, ev[0].cause);
	EXPECT_EQ(REFSTORE_CAUSE_CYCLE, ev[1].cause);
	EXPECT_EQ(3, ev[0].cookie + ev[1].cookie);
	/* A second collection finds nothing. */
	ASSERT_EQ(0, gc_collect(_metadata, self->fd, 2));
}

TEST_F(gc, self_reference)
{
	unsigned int a = gc_create(_metadata, self->fd, 1, 0);

	gc_link(_metadata, self->fd, a, 0, a);
	gc_close(_metadata, self->fd, a);
	ASSERT_EQ(1, gc_objects(_metadata, self->fd));
	ASSERT_EQ(1, gc_collect(_metadata, self->fd, 2));
	ASSERT_EQ(0, gc_objects(_metadata, self->fd));
}

TEST_F(gc, triangle)
{
	gc_ring(_metadata, self->fd, 3);
	ASSERT_EQ(3, gc_collect(_metadata, self->fd, 2));
	ASSERT_EQ(0, gc_objects(_metadata, self->fd));
}

/* Two triangles joined by one edge: a -> b -> c -> a, c -> d, d -> e -> f -> d */
TEST_F(gc, cross_edge)
{
	unsigned int h[6];
	int i;

	for (i = 0; i < 6; i++)
		h[i] = gc_create(_metadata, self->fd, 2, 0);
	gc_link(_metadata, self->fd, h[0], 0, h[1]);
	gc_link(_metadata, self->fd, h[1], 0, h[2]);
	gc_link(_metadata, self->fd, h[2], 0, h[0]);
	gc_link(_metadata, self->fd, h[2], 1, h[3]);
	gc_link(_metadata, self->fd, h[3], 0, h[4]);
	gc_link(_metadata, self->fd, h[4], 0, h[5]);
	gc_link(_metadata, self->fd, h[5], 0, h[3]);
	for (i = 0; i < 6; i++)
		gc_close(_metadata, self->fd, h[i]);
	ASSERT_EQ(6, gc_collect(_metadata, self->fd, 2));
	ASSERT_EQ(0, gc_objects(_metadata, self->fd));
}

/* a -> b -> c -> b (an SCC reached from a), and a -> c: backtrack to a */
TEST_F(gc, backtrack_from_scc)
{
	unsigned int a, b, c;

	a = gc_create(_metadata, self->fd, 2, 0);
	b = gc_create(_metadata, self->fd, 1, 0);
	c = gc_create(_metadata, self->fd, 1, 0);
	gc_link(_metadata, self->fd, a, 0, b);
	gc_link(_metadata, self->fd, a, 1, c);
	gc_link(_metadata, self->fd, b, 0, c);
	gc_link(_metadata, self->fd, c, 0, b);
	gc_close(_metadata, self->fd, b);
	gc_close(_metadata, self->fd, c);
	/* a is still held: its SCC survives. */
	ASSERT_EQ(0, gc_collect(_metadata, self->fd, 2));
	ASSERT_EQ(3, gc_objects(_metadata, self->fd));
	/* a has no cycle: closing it frees a, b and c are left as a ring. */
	gc_close(_metadata, self->fd, a);
	ASSERT_EQ(2, gc_objects(_metadata, self->fd));
	ASSERT_EQ(2, gc_collect(_metadata, self->fd, 2));
	ASSERT_EQ(0, gc_objects(_metadata, self->fd));
}

/* Nested cycles sharing members: a <-> b, b <-> c, c -> a */
TEST_F(gc, mixed_lowpoint)
{
	unsigned int a, b, c;

	a = gc_create(_metadata, self->fd, 2, 0);
	b = gc_create(_metadata, self->fd, 2, 0);
	c = gc_create(_metadata, self->fd, 2, 0);
	gc_link(_metadata, self->fd, a, 0, b);
	gc_link(_metadata, self->fd, b, 0, a);
	gc_link(_metadata, self->fd, b, 1, c);
	gc_link(_metadata, self->fd, c, 0, b);
	gc_link(_metadata, self->fd, c, 1, a);
	gc_close(_metadata, self->fd, a);
	gc_close(_metadata, self->fd, b);
	gc_close(_metadata, self->fd, c);
	ASSERT_EQ(3, gc_collect(_metadata, self->fd, 2));
	ASSERT_EQ(0, gc_objects(_metadata, self->fd));
}

TEST_F(gc, cycle_reachable_from_handle_survives)
{
	unsigned int root, a, b;

	root = gc_create(_metadata, self->fd, 1, 0);
	a = gc_create(_metadata, self->fd, 1, 0);
	b = gc_create(_metadata, self->fd, 1, 0);
	gc_link(_metadata, self->fd, root, 0, a);
	gc_link(_metadata, self->fd, a, 0, b);
	gc_link(_metadata, self->fd, b, 0, a);
	gc_close(_metadata, self->fd, a);
	gc_close(_metadata, self->fd, b);
	ASSERT_EQ(0, gc_collect(_metadata, self->fd, 2));
	ASSERT_EQ(3, gc_objects(_metadata, self->fd));
	/* Dropping the root leaves the ring: now it is garbage. */
	gc_close(_metadata, self->fd, root);
	ASSERT_EQ(2, gc_collect(_metadata, self->fd, 2));
	ASSERT_EQ(0, gc_objects(_metadata, self->fd));
}

TEST_F(gc, garbage_cycle_into_live_objects)
{
	struct refstore_info info = { .size = sizeof(info) };
	unsigned int live, a, b;

	live = gc_create(_metadata, self->fd, 1, 0);
	a = gc_create(_metadata, self->fd, 2, 0);
	b = gc_create(_metadata, self->fd, 1, 0);
	gc_link(_metadata, self->fd, a, 0, b);
	gc_link(_metadata, self->fd, b, 0, a);
	gc_link(_metadata, self->fd, a, 1, live);
	gc_close(_metadata, self->fd, a);
	gc_close(_metadata, self->fd, b);
	ASSERT_EQ(2, gc_collect(_metadata, self->fd, 2));
	ASSERT_EQ(1, gc_objects(_metadata, self->fd));
	info.handle = live;
	ASSERT_EQ(0, ioctl(self->fd, REFSTORE_IOC_INFO, &info));
	ASSERT_EQ(1, info.refcount);
}

TEST_F(gc, cycle_only_weakly_reachable_is_collected)
{
	struct refstore_weakref w = { .size = sizeof(w) };
	unsigned int a, b, h;

	a = gc_create(_metadata, self->fd, 1, 0);
	b = gc_create(_metadata, self->fd, 1, 0);
	gc_link(_metadata, self->fd, a, 0, b);
	gc_link(_metadata, self->fd, b, 0, a);
	w.handle = a;
	ASSERT_EQ(0, ioctl(self->fd, REFSTORE_IOC_WEAKREF, &w));
	gc_close(_metadata, self->fd, a);
	gc_close(_metadata, self->fd, b);
	/* Upgrading before the collection works and keeps the ring alive. */
	ASSERT_EQ(0, gc_upgrade(self->fd, w.weak, &h));
	ASSERT_EQ(0, gc_collect(_metadata, self->fd, 2));
	gc_close(_metadata, self->fd, h);
	ASSERT_EQ(2, gc_collect(_metadata, self->fd, 2));
	ASSERT_EQ(-ENOENT, gc_upgrade(self->fd, w.weak, &h));
	gc_close(_metadata, self->fd, w.weak);
}

TEST_F(gc, garbage_tail_freed_with_cycle)
{
	unsigned int a, b, tail, leaf;

	a = gc_create(_metadata, self->fd, 2, 0);
	b = gc_create(_metadata, self->fd, 1, 0);
	tail = gc_create(_metadata, self->fd, 1, 0);
	leaf = gc_create(_metadata, self->fd, 0, 0);
	gc_link(_metadata, self->fd, a, 0, b);
	gc_link(_metadata, self->fd, b, 0, a);
	gc_link(_metadata, self->fd, a, 1, tail);
	gc_link(_metadata, self->fd, tail, 0, leaf);
	gc_close(_metadata, self->fd, a);
	gc_close(_metadata, self->fd, b);
	gc_close(_metadata, self->fd, tail);
	gc_close(_metadata, self->fd, leaf);
	ASSERT_EQ(4, gc_objects(_metadata, self->fd));
	/* The ring and the tail hanging off it; the leaf has no slots. */
	EXPECT_LE(2, gc_collect(_metadata, self->fd, 2));
	ASSERT_EQ(0, gc_objects(_metadata, self->fd));
}

/* A ring through an object of generation 2 survives gen 0, not gen 2. */
TEST_F(gc, partial_collection_keeps_cycle_through_older_object)
{
	unsigned int old, young;

	old = gc_create(_metadata, self->fd, 1, 0);
	/* Made a suspect twice and surviving two collections: generation 2. */
	gc_link(_metadata, self->fd, old, 0, old);
	gc_link(_metadata, self->fd, old, 0, 0);
	gc_collect(_metadata, self->fd, 0);
	gc_link(_metadata, self->fd, old, 0, old);
	gc_link(_metadata, self->fd, old, 0, 0);
	gc_collect(_metadata, self->fd, 1);

	young = gc_create(_metadata, self->fd, 1, 0);
	gc_link(_metadata, self->fd, old, 0, young);
	gc_link(_metadata, self->fd, young, 0, old);
	gc_close(_metadata, self->fd, old);
	gc_close(_metadata, self->fd, young);
	ASSERT_EQ(0, gc_collect(_metadata, self->fd, 0));
	ASSERT_EQ(2, gc_objects(_metadata, self->fd));
	ASSERT_EQ(2, gc_collect(_metadata, self->fd, 2));
	ASSERT_EQ(0, gc_objects(_metadata, self->fd));
}

TEST_F(gc, stats_count_collections)
{
	struct refstore_gc_stats before, after;

	gc_stats(_metadata, self->fd, &before);
	gc_ring(_metadata, self->fd, 2);
	gc_ring(_metadata, self->fd, 5);
	ASSERT_EQ(7, gc_collect(_metadata, self->fd, 2));
	gc_collect(_metadata, self->fd, 0);
	gc_stats(_metadata, self->fd, &after);
	EXPECT_EQ(before.gen[2].collections + 1, after.gen[2].collections);
	EXPECT_EQ(before.gen[2].collected + 7, after.gen[2].collected);
	EXPECT_EQ(before.gen[0].collections + 1, after.gen[0].collections);
	EXPECT_EQ(0, after.gen[2].uncollectable);
	EXPECT_LE(before.examined + 7, after.examined);
	EXPECT_LT(0, after.pause_max_ns);
	EXPECT_LE(after.pause_max_ns, after.pause_total_ns);
}

TEST_F(gc, disable_stops_automatic_collection)
{
	struct refstore_gc_stats s;
	unsigned long long was;
	int i;

	gc_set_threshold(_metadata, self->fd, 10, 10, 10);
	for (i = 0; i < 20; i++)
		gc_ring(_metadata, self->fd, 2);
	usleep(100000);
	gc_stats(_metadata, self->fd, &s);
	ASSERT_EQ(0, s.automatic);
	ASSERT_EQ(40, gc_objects(_metadata, self->fd));
	/* Manual collection still works while disabled. */
	ASSERT_EQ(40, gc_collect(_metadata, self->fd, 2));
	gc_value(_metadata, self->fd, REFSTORE_IOC_GC_ISENABLED, &was);
	ASSERT_EQ(0, was);
	gc_value(_metadata, self->fd, REFSTORE_IOC_GC_ENABLE, NULL);
	gc_value(_metadata, self->fd, REFSTORE_IOC_GC_ISENABLED, &was);
	ASSERT_EQ(1, was);
}

TEST_F(gc, automatic_collection_by_threshold)
{
	struct refstore_gc_stats s;
	int i;

	gc_set_threshold(_metadata, self->fd, 10, 10, 10);
	gc_value(_metadata, self->fd, REFSTORE_IOC_GC_ENABLE, NULL);
	for (i = 0; i < 20; i++)
		gc_ring(_metadata, self->fd, 2);
	/* The thread runs asynchronously: poll, bounded, no fixed sleep. */
	for (i = 0; i < 500; i++) {
		gc_stats(_metadata, self->fd, &s);
		if (s.automatic && gc_objects(_metadata, self->fd) < 40)
			break;
		usleep(10000);
	}
	ASSERT_LT(0, s.automatic);
	ASSERT_GT(40, gc_objects(_metadata, self->fd));
}

TEST_F(gc, count_and_threshold_round_trip)
{
	struct refstore_gc_threshold t = { .size = sizeof(t) };
	struct refstore_gc_count c = { .size = sizeof(c) };

	ASSERT_EQ(0, ioctl(self->fd, REFSTORE_IOC_GC_GET_THRESHOLD, &t));
	EXPECT_EQ(700, t.threshold[0]);
	EXPECT_EQ(10, t.threshold[1]);
	EXPECT_EQ(10, t.threshold[2]);
	gc_set_threshold(_metadata, self->fd, 5, 6, 7);
	ASSERT_EQ(0, ioctl(self->fd, REFSTORE_IOC_GC_GET_THRESHOLD, &t));
	EXPECT_EQ(5, t.threshold[0]);
	EXPECT_EQ(7, t.threshold[2]);

	gc_create(_metadata, self->fd, 1, 0);
	gc_create(_metadata, self->fd, 0, 0);
	ASSERT_EQ(0, ioctl(self->fd, REFSTORE_IOC_GC_GET_COUNT, &c));
	/* Only objects with slots count, as CPython counts containers. */
	EXPECT_EQ(1, c.count[0]);
	gc_collect(_metadata, self->fd, 0);
	ASSERT_EQ(0, ioctl(self->fd, REFSTORE_IOC_GC_GET_COUNT, &c));
	EXPECT_EQ(0, c.count[0]);
	EXPECT_EQ(1, c.count[1]);
}

TEST_F(gc, freeze_keeps_garbage_until_unfreeze)
{
	unsigned long long n;

	gc_ring(_metadata, self->fd, 2);
	gc_value(_metadata, self->fd, REFSTORE_IOC_GC_FREEZE, NULL);
	gc_value(_metadata, self->fd, REFSTORE_IOC_GC_GET_FREEZE_COUNT, &n);
	ASSERT_EQ(2, n);
	ASSERT_EQ(0, gc_collect(_metadata, self->fd, 2));
	ASSERT_EQ(2, gc_objects(_metadata, self->fd));
	gc_value(_metadata, self->fd, REFSTORE_IOC_GC_UNFREEZE, NULL);
	gc_value(_metadata, self->fd, REFSTORE_IOC_GC_GET_FREEZE_COUNT, &n);
	ASSERT_EQ(0, n);
	ASSERT_EQ(2, gc_collect(_metadata, self->fd, 2));
	ASSERT_EQ(0, gc_objects(_metadata, self->fd));
}

TEST_F(gc, saveall_keeps_garbage_list)
{
	struct refstore_gc_value dbg = {
		.size = sizeof(dbg), .value = REFSTORE_GC_DEBUG_SAVEALL,
	};
	struct refstore_gc_garbage g = { .size = sizeof(g) };
	struct refstore_gc_collect c = { .size = sizeof(c), .generation = 2 };
	struct refstore_gc_stats s;
	unsigned int handles[4];

	ASSERT_EQ(0, ioctl(self->fd, REFSTORE_IOC_GC_SET_DEBUG, &dbg));
	gc_ring(_metadata, self->fd, 2);
	ASSERT_EQ(0, ioctl(self->fd, REFSTORE_IOC_GC_COLLECT, &c));
	/* As CPython: saved objects count as collected, not uncollectable. */
	ASSERT_EQ(2, c.unreachable);
	ASSERT_EQ(0, c.uncollectable);
	ASSERT_EQ(2, gc_objects(_metadata, self->fd));
	gc_stats(_metadata, self->fd, &s);
	EXPECT_EQ(0, s.gen[2].uncollectable);
	EXPECT_EQ(2, s.gen[2].collected);
	EXPECT_EQ(2, s.garbage);

	/* gc.garbage: a handle per object */
	g.capacity = 4;
	g.handles = (unsigned long)handles;
	ASSERT_EQ(0, ioctl(self->fd, REFSTORE_IOC_GC_GARBAGE, &g));
	ASSERT_EQ(2, g.count);
	ASSERT_EQ(2, g.total);
	gc_close(_metadata, self->fd, handles[0]);
	gc_close(_metadata, self->fd, handles[1]);

	/* del gc.garbage[:] and collect without SAVEALL */
	dbg.value = 0;
	ASSERT_EQ(0, ioctl(self->fd, REFSTORE_IOC_GC_SET_DEBUG, &dbg));
	gc_value(_metadata, self->fd, REFSTORE_IOC_GC_CLEAR_GARBAGE, NULL);
	gc_stats(_metadata, self->fd, &s);
	EXPECT_EQ(0, s.garbage);
	ASSERT_EQ(2, gc_collect(_metadata, self->fd, 2));
	ASSERT_EQ(0, gc_objects(_metadata, self->fd));
}

TEST_F(gc, garbage_bad_pointer_leaves_no_handle)
{
	struct refstore_gc_value dbg = {
		.size = sizeof(dbg), .value = REFSTORE_GC_DEBUG_SAVEALL,
	};
	struct refstore_gc_garbage g = { .size = sizeof(g), .capacity = 2 };
	struct refstore_heap_stats hs = { .size = sizeof(hs) };

	ASSERT_EQ(0, ioctl(self->fd, REFSTORE_IOC_GC_SET_DEBUG, &dbg));
	gc_ring(_metadata, self->fd, 2);
	gc_collect(_metadata, self->fd, 2);
	g.handles = 8; /* not mapped */
	ASSERT_EQ(-1, ioctl(self->fd, REFSTORE_IOC_GC_GARBAGE, &g));
	ASSERT_EQ(EFAULT, errno);
	ASSERT_EQ(0, ioctl(self->fd, REFSTORE_IOC_HEAP_STATS, &hs));
	ASSERT_EQ(0, hs.handles);
}

TEST_F(gc, collect_bad_generation)
{
	struct refstore_gc_collect c = { .size = sizeof(c), .generation = 3 };

	ASSERT_EQ(-1, ioctl(self->fd, REFSTORE_IOC_GC_COLLECT, &c));
	ASSERT_EQ(EINVAL, errno);
}

TEST_F(gc, collect_nonzero_reserved)
{
	struct refstore_gc_collect c = { .size = sizeof(c), .__reserved = 1 };

	ASSERT_EQ(-1, ioctl(self->fd, REFSTORE_IOC_GC_COLLECT, &c));
	ASSERT_EQ(EINVAL, errno);
}

TEST_F(gc, set_debug_unknown_flag)
{
	struct refstore_gc_value v = { .size = sizeof(v), .value = 1 << 7 };

	ASSERT_EQ(-1, ioctl(self->fd, REFSTORE_IOC_GC_SET_DEBUG, &v));
	ASSERT_EQ(EINVAL, errno);
}

TEST_F(gc, enable_nonzero_value)
{
	struct refstore_gc_value v = { .size = sizeof(v), .value = 1 };

	ASSERT_EQ(-1, ioctl(self->fd, REFSTORE_IOC_GC_ENABLE, &v));
	ASSERT_EQ(EINVAL, errno);
}

TEST_F(gc, threshold_too_large)
{
	struct refstore_gc_threshold t = {
		.size = sizeof(t), .threshold = { 1000001, 10, 10 },
	};
	struct refstore_gc_threshold back = { .size = sizeof(back) };

	ASSERT_EQ(-1, ioctl(self->fd, REFSTORE_IOC_GC_SET_THRESHOLD, &t));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(0, ioctl(self->fd, REFSTORE_IOC_GC_GET_THRESHOLD, &back));
	ASSERT_EQ(700, back.threshold[0]);
}

TEST_F(gc, garbage_nonzero_count)
{
	struct refstore_gc_garbage g = { .size = sizeof(g), .count = 1 };

	ASSERT_EQ(-1, ioctl(self->fd, REFSTORE_IOC_GC_GARBAGE, &g));
	ASSERT_EQ(EINVAL, errno);
}

TEST_F(gc, idle_collection_examines_nothing)
{
	struct refstore_gc_collect c = { .size = sizeof(c), .generation = 2 };
	unsigned int h = gc_create(_metadata, self->fd, 1, 0);

	/* Nothing was ever decremented: no suspect, nothing to look at. */
	ASSERT_EQ(0, ioctl(self->fd, REFSTORE_IOC_GC_COLLECT, &c));
	ASSERT_EQ(0, c.examined);
	gc_close(_metadata, self->fd, h);
}

/* ---- concurrency ---- */

struct gc_worker {
	int fd;
	int rounds;
	int failures;
};

static void *gc_mutator(void *arg)
{
	struct gc_worker *w = arg;
	int i;

	for (i = 0; i < w->rounds; i++) {
		struct refstore_create c = { .size = sizeof(c), .nslots = 2 };
		struct refstore_create d = { .size = sizeof(d), .nslots = 2 };
		struct refstore_set_slot s = { .size = sizeof(s) };
		struct refstore_get_slot g = { .size = sizeof(g) };
		struct refstore_close x = { .size = sizeof(x) };

		if (ioctl(w->fd, REFSTORE_IOC_CREATE, &c) ||
		    ioctl(w->fd, REFSTORE_IOC_CREATE, &d)) {
			w->failures++;
			continue;
		}
		s.handle = c.handle; s.slot = 0; s.target = d.handle;
		w->failures += !!ioctl(w->fd, REFSTORE_IOC_SET_SLOT, &s);
		s.handle = d.handle; s.slot = 1; s.target = c.handle;
		w->failures += !!ioctl(w->fd, REFSTORE_IOC_SET_SLOT, &s);
		x.handle = c.handle;
		w->failures += !!ioctl(w->fd, REFSTORE_IOC_CLOSE, &x);
		/* Take a new reference into the ring while collections run. */
		g.handle = d.handle;
		g.slot = 1;
		w->failures += !!ioctl(w->fd, REFSTORE_IOC_GET_SLOT, &g);
		x.handle = d.handle;
		w->failures += !!ioctl(w->fd, REFSTORE_IOC_CLOSE, &x);
		if (i % 2 && g.target) {
			x.handle = g.target;
			w->failures += !!ioctl(w->fd, REFSTORE_IOC_CLOSE, &x);
		} else if (g.target) {
			/* keep it: this ring must survive every collection */
			struct refstore_info info = {
				.size = sizeof(info), .handle = g.target,
			};

			w->failures += !!ioctl(w->fd, REFSTORE_IOC_INFO, &info);
			w->failures += info.refcount < 2;
			x.handle = g.target;
			w->failures += !!ioctl(w->fd, REFSTORE_IOC_CLOSE, &x);
		}
	}
	return NULL;
}

static void *gc_collector(void *arg)
{
	struct gc_worker *w = arg;
	int i;

	for (i = 0; i < w->rounds; i++) {
		struct refstore_gc_collect c = {
			.size = sizeof(c), .generation = i % 3,
		};

		w->failures += !!ioctl(w->fd, REFSTORE_IOC_GC_COLLECT, &c);
	}
	return NULL;
}

TEST_F(gc, mutators_race_collections)
{
	struct gc_worker w[4];
	pthread_t t[4];
	int i;

	gc_set_threshold(_metadata, self->fd, 50, 5, 5);
	gc_value(_metadata, self->fd, REFSTORE_IOC_GC_ENABLE, NULL);
	for (i = 0; i < 4; i++) {
		w[i].fd = self->fd;
		w[i].rounds = i < 3 ? 300 : 100;
		w[i].failures = 0;
		ASSERT_EQ(0, pthread_create(&t[i], NULL,
					    i < 3 ? gc_mutator : gc_collector,
					    &w[i]));
	}
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, pthread_join(t[i], NULL));
		EXPECT_EQ(0, w[i].failures);
	}
	gc_collect(_metadata, self->fd, 2);
	ASSERT_EQ(0, gc_wait_objects(_metadata, self->fd, 0, 5000));
}

/* Closing the heap while another thread collects it. */
static void *gc_collect_once(void *arg)
{
	struct gc_worker *w = arg;
	struct refstore_gc_collect c = { .size = sizeof(c), .generation = 2 };

	ioctl(w->fd, REFSTORE_IOC_GC_COLLECT, &c);
	return NULL;
}

TEST(heap_closed_during_collection)
{
	struct gc_worker w;
	pthread_t t;
	int fd2, i;

	w.fd = open("/dev/refstore", O_RDWR);
	ASSERT_LE(0, w.fd);
	for (i = 0; i < 2000; i++)
		gc_ring(_metadata, w.fd, 2);
	fd2 = dup(w.fd);
	ASSERT_EQ(0, pthread_create(&t, NULL, gc_collect_once, &w));
	close(fd2);
	ASSERT_EQ(0, pthread_join(t, NULL));
	close(w.fd);
}

/* ---- debugfs control and tracepoints ---- */

static int gc_write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	n = n < 0 ? -errno : 0;
	close(fd);
	return n;
}

#define GC_CONTROL "/sys/kernel/debug/refstore/control"

TEST_F(gc, debugfs_control_collect)
{
	gc_ring(_metadata, self->fd, 3);
	ASSERT_EQ(0, gc_write_file(GC_CONTROL, "collect\n"));
	ASSERT_EQ(0, gc_objects(_metadata, self->fd));
}

TEST_F(gc, debugfs_control_collect_one_heap)
{
	struct refstore_heap_stats hs = { .size = sizeof(hs) };
	char verb[64];

	gc_ring(_metadata, self->fd, 2);
	ASSERT_EQ(0, ioctl(self->fd, REFSTORE_IOC_HEAP_STATS, &hs));
	snprintf(verb, sizeof(verb), "collect=%llu", hs.heap_id);
	ASSERT_EQ(0, gc_write_file(GC_CONTROL, verb));
	ASSERT_EQ(0, gc_objects(_metadata, self->fd));
}

TEST(debugfs_control_unknown_verb)
{
	ASSERT_EQ(-EINVAL, gc_write_file(GC_CONTROL, "scan"));
}

TEST(debugfs_control_unknown_heap)
{
	ASSERT_EQ(-ENOENT, gc_write_file(GC_CONTROL, "collect=999999999"));
}

#define GC_TRACING "/sys/kernel/tracing"

TEST_F(gc, tracepoints_fire)
{
	char buf[8192];
	ssize_t n;
	int fd;

	if (access(GC_TRACING "/events/refstore", F_OK))
		SKIP(return, "no tracefs events on this kernel");
	ASSERT_EQ(0, gc_write_file(GC_TRACING "/trace", ""));
	ASSERT_EQ(0, gc_write_file(GC_TRACING "/events/refstore/enable", "1"));
	gc_ring(_metadata, self->fd, 2);
	gc_collect(_metadata, self->fd, 2);
	ASSERT_EQ(0, gc_write_file(GC_TRACING "/events/refstore/enable", "0"));

	fd = open(GC_TRACING "/trace", O_RDONLY);
	ASSERT_LE(0, fd);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	ASSERT_LT(0, n);
	buf[n] = '\0';
	EXPECT_NE(NULL, strstr(buf, "obj_create:"));
	EXPECT_NE(NULL, strstr(buf, "gc_start:"));
	EXPECT_NE(NULL, strstr(buf, "gc_end:"));
	EXPECT_NE(NULL, strstr(buf, "collected=2"));
	EXPECT_NE(NULL, strstr(buf, "cause=cycle"));
}

TEST_HARNESS_MAIN
