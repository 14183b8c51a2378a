// SPDX-License-Identifier: GPL-2.0
/*
 * refstore cycle collector selftests: the seed's cycle, the graph shapes
 * of the kernel's af_unix scm_rights GC tests, generations, freeze,
 * SAVEALL, the gc controls and their error paths, automatic collection,
 * concurrency, debugfs control and tracepoints.
 */
#include <pthread.h>

#include "common.h"

/* An object with @nslots slots and, if @cookie is not 0, a death event. */
#define OBJ(fd, nslots, cookie) CREATE_COOKIE(fd, 0, nslots, cookie)

FIXTURE(gc) {
	int fd;
};

FIXTURE_SETUP(gc)
{
	self->fd = rs_open(O_NONBLOCK);
	ASSERT_LE(0, self->fd);
	/* Only explicit collections, unless a test turns it back on. */
	GC_VALUE(self->fd, GC_DISABLE);
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

	a = OBJ(self->fd, 1, 1);
	b = OBJ(self->fd, 1, 2);
	LINK(self->fd, a, 0, b);
	LINK(self->fd, b, 0, a);
	CLOSE(self->fd, a);
	CLOSE(self->fd, b);
	ASSERT_EQ(2, OBJECTS(self->fd));

	ASSERT_EQ(2, COLLECT(self->fd, 2));
	ASSERT_EQ(0, OBJECTS(self->fd));

	n = read(self->fd, ev, sizeof(ev));
	ASSERT_EQ(2 * sizeof(ev[0]), n);
	EXPECT_EQ(REFSTORE_CAUSE_CYCLE, ev[0].cause);
	EXPECT_EQ(REFSTORE_CAUSE_CYCLE, ev[1].cause);
	EXPECT_EQ(3, ev[0].cookie + ev[1].cookie);
	/* A second collection finds nothing. */
	ASSERT_EQ(0, COLLECT(self->fd, 2));
}

TEST_F(gc, self_reference)
{
	unsigned int a = OBJ(self->fd, 1, 0);

	LINK(self->fd, a, 0, a);
	CLOSE(self->fd, a);
	ASSERT_EQ(1, OBJECTS(self->fd));
	ASSERT_EQ(1, COLLECT(self->fd, 2));
	ASSERT_EQ(0, OBJECTS(self->fd));
}

TEST_F(gc, triangle)
{
	RING(self->fd, 3);
	ASSERT_EQ(3, COLLECT(self->fd, 2));
	ASSERT_EQ(0, OBJECTS(self->fd));
}

/* Two triangles joined by one edge: a -> b -> c -> a, c -> d, d -> e -> f -> d */
TEST_F(gc, cross_edge)
{
	unsigned int h[6];
	int i;

	for (i = 0; i < 6; i++)
		h[i] = OBJ(self->fd, 2, 0);
	LINK(self->fd, h[0], 0, h[1]);
	LINK(self->fd, h[1], 0, h[2]);
	LINK(self->fd, h[2], 0, h[0]);
	LINK(self->fd, h[2], 1, h[3]);
	LINK(self->fd, h[3], 0, h[4]);
	LINK(self->fd, h[4], 0, h[5]);
	LINK(self->fd, h[5], 0, h[3]);
	for (i = 0; i < 6; i++)
		CLOSE(self->fd, h[i]);
	ASSERT_EQ(6, COLLECT(self->fd, 2));
	ASSERT_EQ(0, OBJECTS(self->fd));
}

/* a -> b -> c -> b (an SCC reached from a), and a -> c: backtrack to a */
TEST_F(gc, backtrack_from_scc)
{
	unsigned int a, b, c;

	a = OBJ(self->fd, 2, 0);
	b = OBJ(self->fd, 1, 0);
	c = OBJ(self->fd, 1, 0);
	LINK(self->fd, a, 0, b);
	LINK(self->fd, a, 1, c);
	LINK(self->fd, b, 0, c);
	LINK(self->fd, c, 0, b);
	CLOSE(self->fd, b);
	CLOSE(self->fd, c);
	/* a is still held: its SCC survives. */
	ASSERT_EQ(0, COLLECT(self->fd, 2));
	ASSERT_EQ(3, OBJECTS(self->fd));
	/* a has no cycle: closing it frees a, b and c are left as a ring. */
	CLOSE(self->fd, a);
	ASSERT_EQ(2, OBJECTS(self->fd));
	ASSERT_EQ(2, COLLECT(self->fd, 2));
	ASSERT_EQ(0, OBJECTS(self->fd));
}

/* Nested cycles sharing members: a <-> b, b <-> c, c -> a */
TEST_F(gc, mixed_lowpoint)
{
	unsigned int a, b, c;

	a = OBJ(self->fd, 2, 0);
	b = OBJ(self->fd, 2, 0);
	c = OBJ(self->fd, 2, 0);
	LINK(self->fd, a, 0, b);
	LINK(self->fd, b, 0, a);
	LINK(self->fd, b, 1, c);
	LINK(self->fd, c, 0, b);
	LINK(self->fd, c, 1, a);
	CLOSE(self->fd, a);
	CLOSE(self->fd, b);
	CLOSE(self->fd, c);
	ASSERT_EQ(3, COLLECT(self->fd, 2));
	ASSERT_EQ(0, OBJECTS(self->fd));
}

TEST_F(gc, cycle_reachable_from_handle_survives)
{
	unsigned int root, a, b;

	root = OBJ(self->fd, 1, 0);
	a = OBJ(self->fd, 1, 0);
	b = OBJ(self->fd, 1, 0);
	LINK(self->fd, root, 0, a);
	LINK(self->fd, a, 0, b);
	LINK(self->fd, b, 0, a);
	CLOSE(self->fd, a);
	CLOSE(self->fd, b);
	ASSERT_EQ(0, COLLECT(self->fd, 2));
	ASSERT_EQ(3, OBJECTS(self->fd));
	/* Dropping the root leaves the ring: now it is garbage. */
	CLOSE(self->fd, root);
	ASSERT_EQ(2, COLLECT(self->fd, 2));
	ASSERT_EQ(0, OBJECTS(self->fd));
}

TEST_F(gc, garbage_cycle_into_live_objects)
{
	struct refstore_info info = { .size = sizeof(info) };
	unsigned int live, a, b;

	live = OBJ(self->fd, 1, 0);
	a = OBJ(self->fd, 2, 0);
	b = OBJ(self->fd, 1, 0);
	LINK(self->fd, a, 0, b);
	LINK(self->fd, b, 0, a);
	LINK(self->fd, a, 1, live);
	CLOSE(self->fd, a);
	CLOSE(self->fd, b);
	ASSERT_EQ(2, COLLECT(self->fd, 2));
	ASSERT_EQ(1, OBJECTS(self->fd));
	info.handle = live;
	ASSERT_EQ(0, ioctl(self->fd, REFSTORE_IOC_INFO, &info));
	ASSERT_EQ(1, info.refcount);
}

TEST_F(gc, cycle_only_weakly_reachable_is_collected)
{
	struct refstore_weakref w = { .size = sizeof(w) };
	unsigned int a, b, h;

	a = OBJ(self->fd, 1, 0);
	b = OBJ(self->fd, 1, 0);
	LINK(self->fd, a, 0, b);
	LINK(self->fd, b, 0, a);
	w.handle = a;
	ASSERT_EQ(0, ioctl(self->fd, REFSTORE_IOC_WEAKREF, &w));
	CLOSE(self->fd, a);
	CLOSE(self->fd, b);
	/* Upgrading before the collection works and keeps the ring alive. */
	ASSERT_EQ(0, rs_upgrade(self->fd, w.weak, &h));
	ASSERT_EQ(0, COLLECT(self->fd, 2));
	CLOSE(self->fd, h);
	ASSERT_EQ(2, COLLECT(self->fd, 2));
	ASSERT_EQ(-ENOENT, rs_upgrade(self->fd, w.weak, &h));
	CLOSE(self->fd, w.weak);
}

TEST_F(gc, garbage_tail_freed_with_cycle)
{
	unsigned int a, b, tail, leaf;

	a = OBJ(self->fd, 2, 0);
	b = OBJ(self->fd, 1, 0);
	tail = OBJ(self->fd, 1, 0);
	leaf = OBJ(self->fd, 0, 0);
	LINK(self->fd, a, 0, b);
	LINK(self->fd, b, 0, a);
	LINK(self->fd, a, 1, tail);
	LINK(self->fd, tail, 0, leaf);
	CLOSE(self->fd, a);
	CLOSE(self->fd, b);
	CLOSE(self->fd, tail);
	CLOSE(self->fd, leaf);
	ASSERT_EQ(4, OBJECTS(self->fd));
	/*
	 * The ring and the tail hanging off it: 3 unreachable objects with
	 * slots (CAUSE_CYCLE); the slotless leaf dies by counting.
	 */
	EXPECT_EQ(3, COLLECT(self->fd, 2));
	ASSERT_EQ(0, OBJECTS(self->fd));
}

/* A ring through an object of generation 2 survives gen 0, not gen 2. */
TEST_F(gc, partial_collection_keeps_cycle_through_older_object)
{
	unsigned int old, young;

	old = OBJ(self->fd, 1, 0);
	/* Made a suspect twice and surviving two collections: generation 2. */
	LINK(self->fd, old, 0, old);
	LINK(self->fd, old, 0, 0);
	COLLECT(self->fd, 0);
	LINK(self->fd, old, 0, old);
	LINK(self->fd, old, 0, 0);
	COLLECT(self->fd, 1);

	young = OBJ(self->fd, 1, 0);
	LINK(self->fd, old, 0, young);
	LINK(self->fd, young, 0, old);
	CLOSE(self->fd, old);
	CLOSE(self->fd, young);
	ASSERT_EQ(0, COLLECT(self->fd, 0));
	ASSERT_EQ(2, OBJECTS(self->fd));
	ASSERT_EQ(2, COLLECT(self->fd, 2));
	ASSERT_EQ(0, OBJECTS(self->fd));
}

TEST_F(gc, stats_count_collections)
{
	struct refstore_gc_stats before, after;

	before = GC_STATS(self->fd);
	RING(self->fd, 2);
	RING(self->fd, 5);
	ASSERT_EQ(7, COLLECT(self->fd, 2));
	COLLECT(self->fd, 0);
	after = GC_STATS(self->fd);
	EXPECT_EQ(before.gen[2].collections + 1, after.gen[2].collections);
	EXPECT_EQ(before.gen[2].collected + 7, after.gen[2].collected);
	EXPECT_EQ(before.gen[0].collections + 1, after.gen[0].collections);
	EXPECT_EQ(0, after.gen[2].uncollectable);
	/* The full one examined the 7 ring objects, the gen 0 one nothing. */
	EXPECT_EQ(before.examined + 7, after.examined);
	EXPECT_EQ(before.gen[0].collected, after.gen[0].collected);
	EXPECT_LT(0, after.pause_max_ns);
	EXPECT_LE(after.pause_max_ns, after.pause_total_ns);
}

TEST_F(gc, disable_stops_automatic_collection)
{
	struct refstore_gc_stats s;
	unsigned long long was;
	int i;

	GC_SET_THRESHOLD(self->fd, 10, 10, 10);
	for (i = 0; i < 20; i++)
		RING(self->fd, 2);
	/*
	 * Over the threshold but disabled: the CREATEs, which run the
	 * automatic collections, collected nothing.
	 */
	s = GC_STATS(self->fd);
	ASSERT_EQ(0, s.automatic);
	ASSERT_EQ(40, OBJECTS(self->fd));
	/* Manual collection still works while disabled. */
	ASSERT_EQ(40, COLLECT(self->fd, 2));
	was = GC_VALUE(self->fd, GC_ISENABLED);
	ASSERT_EQ(0, was);
	GC_VALUE(self->fd, GC_ENABLE);
	was = GC_VALUE(self->fd, GC_ISENABLED);
	ASSERT_EQ(1, was);
}

/*
 * Threshold 10: five garbage 2-rings bring count 0 to 10, not over it;
 * the eleventh object with slots makes the heap due, and its CREATE
 * collects generation 0 once before it returns (as CPython's allocation):
 * the ten ring objects, not the held one.
 */
TEST_F(gc, automatic_collection_by_threshold)
{
	struct refstore_gc_count c = { .size = sizeof(c) };
	struct refstore_gc_stats s;
	int i;

	GC_SET_THRESHOLD(self->fd, 10, 10, 10);
	GC_VALUE(self->fd, GC_ENABLE);
	for (i = 0; i < 5; i++)
		RING(self->fd, 2);
	ASSERT_EQ(0, rs_ioctl(self->fd, REFSTORE_IOC_GC_GET_COUNT, &c));
	ASSERT_EQ(10, c.count[0]);
	ASSERT_EQ(0, GC_STATS(self->fd).automatic);
	OBJ(self->fd, 1, 0);
	/* Synchronous: no wait. */
	ASSERT_EQ(1, OBJECTS(self->fd));
	s = GC_STATS(self->fd);
	EXPECT_EQ(1, s.automatic);
	EXPECT_EQ(1, s.gen[0].collections);
	EXPECT_EQ(10, s.gen[0].collected);
	EXPECT_EQ(0, s.gen[1].collections);
	EXPECT_EQ(0, s.gen[2].collections);
	EXPECT_EQ(10, s.examined);
	ASSERT_EQ(0, rs_ioctl(self->fd, REFSTORE_IOC_GC_GET_COUNT, &c));
	EXPECT_EQ(0, c.count[0]);
	EXPECT_EQ(1, c.count[1]);
}

TEST_F(gc, count_and_threshold_round_trip)
{
	struct refstore_gc_threshold t = { .size = sizeof(t) };
	struct refstore_gc_count c = { .size = sizeof(c) };

	ASSERT_EQ(0, ioctl(self->fd, REFSTORE_IOC_GC_GET_THRESHOLD, &t));
	EXPECT_EQ(700, t.threshold[0]);
	EXPECT_EQ(10, t.threshold[1]);
	EXPECT_EQ(10, t.threshold[2]);
	GC_SET_THRESHOLD(self->fd, 5, 6, 7);
	ASSERT_EQ(0, ioctl(self->fd, REFSTORE_IOC_GC_GET_THRESHOLD, &t));
	EXPECT_EQ(5, t.threshold[0]);
	EXPECT_EQ(6, t.threshold[1]);
	EXPECT_EQ(7, t.threshold[2]);

	OBJ(self->fd, 1, 0);
	OBJ(self->fd, 0, 0);
	ASSERT_EQ(0, ioctl(self->fd, REFSTORE_IOC_GC_GET_COUNT, &c));
	/* Only objects with slots count, as CPython counts containers. */
	EXPECT_EQ(1, c.count[0]);
	COLLECT(self->fd, 0);
	ASSERT_EQ(0, ioctl(self->fd, REFSTORE_IOC_GC_GET_COUNT, &c));
	EXPECT_EQ(0, c.count[0]);
	EXPECT_EQ(1, c.count[1]);
}

TEST_F(gc, freeze_keeps_garbage_until_unfreeze)
{
	unsigned long long n;

	RING(self->fd, 2);
	GC_VALUE(self->fd, GC_FREEZE);
	n = GC_VALUE(self->fd, GC_GET_FREEZE_COUNT);
	ASSERT_EQ(2, n);
	ASSERT_EQ(0, COLLECT(self->fd, 2));
	ASSERT_EQ(2, OBJECTS(self->fd));
	GC_VALUE(self->fd, GC_UNFREEZE);
	n = GC_VALUE(self->fd, GC_GET_FREEZE_COUNT);
	ASSERT_EQ(0, n);
	ASSERT_EQ(2, COLLECT(self->fd, 2));
	ASSERT_EQ(0, OBJECTS(self->fd));
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
	RING(self->fd, 2);
	ASSERT_EQ(0, ioctl(self->fd, REFSTORE_IOC_GC_COLLECT, &c));
	/* As CPython: saved objects count as collected, not uncollectable. */
	ASSERT_EQ(2, c.unreachable);
	ASSERT_EQ(0, c.uncollectable);
	ASSERT_EQ(2, OBJECTS(self->fd));
	s = GC_STATS(self->fd);
	EXPECT_EQ(0, s.gen[2].uncollectable);
	EXPECT_EQ(2, s.gen[2].collected);
	EXPECT_EQ(2, s.garbage);

	/* gc.garbage: a handle per object */
	g.capacity = 4;
	g.handles = (unsigned long)handles;
	ASSERT_EQ(0, ioctl(self->fd, REFSTORE_IOC_GC_GARBAGE, &g));
	ASSERT_EQ(2, g.count);
	ASSERT_EQ(2, g.total);
	CLOSE(self->fd, handles[0]);
	CLOSE(self->fd, handles[1]);

	/* del gc.garbage[:] and collect without SAVEALL */
	dbg.value = 0;
	ASSERT_EQ(0, ioctl(self->fd, REFSTORE_IOC_GC_SET_DEBUG, &dbg));
	GC_VALUE(self->fd, GC_CLEAR_GARBAGE);
	s = GC_STATS(self->fd);
	EXPECT_EQ(0, s.garbage);
	ASSERT_EQ(2, COLLECT(self->fd, 2));
	ASSERT_EQ(0, OBJECTS(self->fd));
}

TEST_F(gc, garbage_bad_pointer_leaves_no_handle)
{
	struct refstore_gc_value dbg = {
		.size = sizeof(dbg), .value = REFSTORE_GC_DEBUG_SAVEALL,
	};
	struct refstore_gc_garbage g = { .size = sizeof(g), .capacity = 2 };
	struct refstore_heap_stats hs = { .size = sizeof(hs) };

	ASSERT_EQ(0, ioctl(self->fd, REFSTORE_IOC_GC_SET_DEBUG, &dbg));
	RING(self->fd, 2);
	COLLECT(self->fd, 2);
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

/* @n self-cycles, dropped and collected with SAVEALL: the garbage list. */
static void t_saved_garbage(struct __test_metadata *_metadata, int fd, int n)
{
	uint32_t h;
	int i;

	GC_SET_DEBUG(fd, REFSTORE_GC_DEBUG_SAVEALL);
	for (i = 0; i < n; i++) {
		h = OBJ(fd, 1, 0);
		LINK(fd, h, 0, h);
		CLOSE(fd, h);
	}
	ASSERT_EQ(n, COLLECT(fd, 2));
}

/*
 * @count is out only, as OBJECTS' and REFERRERS': one structure, its
 * @count and @cursor left from the last call, pages through the list.
 */
TEST_F(gc, garbage_nonzero_count)
{
	struct refstore_gc_garbage g = { .size = sizeof(g), .count = 1 };
	uint32_t hs[2];
	int i, pages = 0;
	uint64_t seen = 0;

	t_saved_garbage(_metadata, self->fd, 3);
	g.capacity = 2;
	g.handles = (uintptr_t)hs;
	do {
		ASSERT_EQ(0, ioctl(self->fd, REFSTORE_IOC_GC_GARBAGE, &g))
			TH_LOG("page %d, count %u in: %s", pages, g.count,
			       strerror(errno));
		EXPECT_EQ(3, g.total);
		for (i = 0; i < (int)g.count; i++)
			CLOSE(self->fd, hs[i]);
		seen += g.count;
		pages++;
	} while (g.count && pages < 10);
	EXPECT_EQ(3, seen);
	EXPECT_EQ(3, g.cursor);
	EXPECT_EQ(3, pages);	/* 2, 1, then 0 with count 1 in */
}

static int t_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * One call returns at most REFSTORE_SNAPSHOT_MAX handles, whatever
 * @capacity says (its buffers are not charged); the rest is paged with
 * @cursor, each object once.
 */
TEST_F(gc, garbage_pages_past_snapshot_max)
{
	const int n = REFSTORE_SNAPSHOT_MAX + 5;
	struct refstore_gc_garbage g = { .size = sizeof(g) };
	uint32_t *hs = calloc(n, sizeof(*hs));
	uint64_t *ids = calloc(n, sizeof(*ids));
	int i, got = 0;

	ASSERT_NE(NULL, hs);
	ASSERT_NE(NULL, ids);
	t_saved_garbage(_metadata, self->fd, n);

	/* A capacity far past the list and the bound: one page of the bound. */
	g.capacity = UINT32_MAX;
	g.handles = (uintptr_t)hs;
	ASSERT_EQ(0, ioctl(self->fd, REFSTORE_IOC_GC_GARBAGE, &g));
	EXPECT_EQ(n, g.total);
	ASSERT_EQ(REFSTORE_SNAPSHOT_MAX, g.count);
	EXPECT_EQ(REFSTORE_SNAPSHOT_MAX, g.cursor);
	EXPECT_EQ(REFSTORE_SNAPSHOT_MAX, STATS(self->fd).handles);
	for (i = 0; i < (int)g.count; i++) {
		ids[got++] = INFO(self->fd, hs[i]).id;
		CLOSE(self->fd, hs[i]);
	}

	/* The next page, the same structure: the rest, then the end. */
	ASSERT_EQ(0, ioctl(self->fd, REFSTORE_IOC_GC_GARBAGE, &g));
	ASSERT_EQ(5, g.count);
	EXPECT_EQ(n, g.cursor);
	for (i = 0; i < (int)g.count; i++) {
		ids[got++] = INFO(self->fd, hs[i]).id;
		CLOSE(self->fd, hs[i]);
	}
	ASSERT_EQ(0, ioctl(self->fd, REFSTORE_IOC_GC_GARBAGE, &g));
	EXPECT_EQ(0, g.count);
	EXPECT_EQ(n, g.cursor);

	/* Each saved object once: ids are distinct. */
	ASSERT_EQ(n, got);
	qsort(ids, n, sizeof(*ids), t_cmp_u64);
	for (i = 1; i < n; i++)
		EXPECT_NE(ids[i - 1], ids[i]);
	free(ids);
	free(hs);
}

TEST_F(gc, idle_collection_examines_nothing)
{
	struct refstore_gc_collect c = { .size = sizeof(c), .generation = 2 };
	unsigned int h = OBJ(self->fd, 1, 0);

	/* Nothing was ever decremented: no suspect, nothing to look at. */
	ASSERT_EQ(0, ioctl(self->fd, REFSTORE_IOC_GC_COLLECT, &c));
	ASSERT_EQ(0, c.examined);
	CLOSE(self->fd, h);
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

	GC_SET_THRESHOLD(self->fd, 50, 5, 5);
	GC_VALUE(self->fd, GC_ENABLE);
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
	COLLECT(self->fd, 2);
	ASSERT_EQ(0, WAIT_OBJECTS(self->fd, 0, 5000));
}

/*
 * The heap's file is released while the collector thread holds the heap:
 * the thread, parked by the gc_park knob after taking its reference and
 * before locking the heap, holds the last reference when the only fd is
 * closed; released, it must find the heap dead, collect nothing, and let
 * it go.  Needs the module loaded with test_knobs=1.
 */
FIXTURE(parked) {
	bool parked;
};

FIXTURE_SETUP(parked)
{
	if (!t_gc_park_present())
		SKIP(return, "no %s: the module was not loaded with test_knobs=1",
		     RS_DEBUGFS_GC_PARK);
}

FIXTURE_TEARDOWN(parked)
{
	if (self->parked)
		t_gc_park(false);
}

static uint64_t gc_module_stat(struct __test_metadata *_metadata,
			       const char *key)
{
	uint64_t v = 0;

	ASSERT_EQ(0, rs_debugfs_u64(RS_DEBUGFS "/gc", key, &v)) TH_LOG("%s", key);
	return v;
}

TEST_F(parked, heap_closed_during_collection)
{
	struct t_globals base, now;
	uint64_t collections, collected, heap_id;
	int fd, i;

	if (_metadata->skip)
		return;	/* 6.1's harness runs the test after a setup SKIP */
	OBJECTS_BASELINE(0);
	base = t_globals_now();
	collections = gc_module_stat(_metadata, "collections");
	collected = gc_module_stat(_metadata, "collected");

	fd = rs_open(0);
	ASSERT_LE(0, fd);
	heap_id = STATS(fd).heap_id;
	GC_SET_THRESHOLD(fd, 10, 10, 10);
	GC_VALUE(fd, GC_ENABLE);
	ASSERT_EQ(0, t_gc_park(true));
	self->parked = true;
	/* Ten garbage objects and one more: not due by the thresholds. */
	for (i = 0; i < 5; i++)
		RING(fd, 2);
	OBJ(fd, 0, 0);
	/* The thread runs timed collections: the delay queues the heap. */
	ASSERT_EQ(0, rs_gc_value(fd, REFSTORE_IOC_GC_SET_DELAY, 1, NULL));
	ASSERT_EQ(heap_id, WAIT_GC_PARKED(heap_id, 10000))
		TH_LOG("the collector thread never took heap %llu",
		       (unsigned long long)heap_id);
	/* Parked before locking it: nothing collected yet. */
	EXPECT_EQ(0, GC_STATS(fd).automatic);
	EXPECT_EQ(11, OBJECTS(fd));
	EXPECT_EQ(base.heaps + 1, t_globals_now().heaps);

	/* The thread now holds the last reference. */
	close(fd);
	ASSERT_EQ(0, t_gc_park(false));
	self->parked = false;

	now = t_globals_wait(&base, 10000);
	EXPECT_EQ(base.heaps, now.heaps);
	EXPECT_EQ(base.objects, now.objects);
	EXPECT_EQ(base.bytes, now.bytes);
	/* The release freed the heap's objects, not a collection. */
	EXPECT_EQ(collections, gc_module_stat(_metadata, "collections"));
	EXPECT_EQ(collected, gc_module_stat(_metadata, "collected"));
	EXPECT_EQ(0, rs_debugfs_read_u64(RS_DEBUGFS_GC_PARK, &heap_id));
	EXPECT_EQ(0, heap_id);
}

/* ---- debugfs control and tracepoints ---- */

#define GC_CONTROL "/sys/kernel/debug/refstore/control"

TEST_F(gc, debugfs_control_collect)
{
	RING(self->fd, 3);
	ASSERT_EQ(0, t_write_str(GC_CONTROL, "collect\n"));
	ASSERT_EQ(0, OBJECTS(self->fd));
}

TEST_F(gc, debugfs_control_collect_one_heap)
{
	struct refstore_heap_stats hs = { .size = sizeof(hs) };
	char verb[64];

	RING(self->fd, 2);
	ASSERT_EQ(0, ioctl(self->fd, REFSTORE_IOC_HEAP_STATS, &hs));
	snprintf(verb, sizeof(verb), "collect=%llu", hs.heap_id);
	ASSERT_EQ(0, t_write_str(GC_CONTROL, verb));
	ASSERT_EQ(0, OBJECTS(self->fd));
}

TEST(debugfs_control_unknown_verb)
{
	ASSERT_EQ(-EINVAL, t_write_str(GC_CONTROL, "scan"));
}

TEST(debugfs_control_unknown_heap)
{
	ASSERT_EQ(-ENOENT, t_write_str(GC_CONTROL, "collect=999999999"));
}

#define GC_TRACING "/sys/kernel/tracing"

TEST_F(gc, tracepoints_fire)
{
	char buf[8192];
	ssize_t n;
	int fd;

	if (access(GC_TRACING "/events/refstore", F_OK))
		SKIP(return, "no tracefs events on this kernel");
	ASSERT_EQ(0, t_write_str(GC_TRACING "/trace", ""));
	ASSERT_EQ(0, t_write_str(GC_TRACING "/events/refstore/enable", "1"));
	RING(self->fd, 2);
	COLLECT(self->fd, 2);
	ASSERT_EQ(0, t_write_str(GC_TRACING "/events/refstore/enable", "0"));

	fd = open(GC_TRACING "/trace", O_RDONLY);
	ASSERT_LE(0, fd);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	ASSERT_LT(0, n);
	buf[n] = '\0';
	EXPECT_NE(NULL, strstr(buf, "obj_create:"));
	EXPECT_NE(NULL, strstr(buf, "slot_set:"));
	EXPECT_NE(NULL, strstr(buf, "gc_start:"));
	EXPECT_NE(NULL, strstr(buf, "gc_end:"));
	EXPECT_NE(NULL, strstr(buf, "collected=2"));
	EXPECT_NE(NULL, strstr(buf, "cause=cycle"));
}

T_HARNESS_MAIN
