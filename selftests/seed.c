// SPDX-License-Identifier: GPL-2.0
/*
 * The seed's scenarios (the Python memory-management tutorial) as tests:
 * the linked list head -> second -> third freed by dropping the root,
 * sys.getrefcount() 2/3/2, a long chain freed by one CLOSE without
 * recursion, and the obj1 <-> obj2 cycle that counting alone cannot free.
 */
#include <stdio.h>
#include <stdlib.h>

#include "common.h"

/*
 * Switch the automatic collector off, if the module has one: these tests
 * show reference counting alone (gc.collect() is tested in gc.c).
 */
static void gc_off(struct __test_metadata *_metadata, int fd)
{
	struct refstore_gc_value v = { .size = sizeof(v) };
	uint64_t features = 0;

	ASSERT_EQ(0, rs_version(fd, NULL, &features));
	if (features & REFSTORE_FEAT_GC)
		ASSERT_EQ(0, ioctl(fd, REFSTORE_IOC_GC_DISABLE, &v));
}

/*
 * linked_list = create_linked_list(); linked_list = None: all three nodes
 * are freed, each with its death event.
 */
TEST_F(heap, linked_list_freed_by_root)
{
	struct refstore_event e[8];
	uint32_t head, second, third;
	uint64_t id[3];
	int seen[3] = { 0 }, i;
	ssize_t n;

	head = CREATE_NOTIFY(self->fd, 1, 1, &id[0]);
	second = CREATE_NOTIFY(self->fd, 1, 2, &id[1]);
	third = CREATE_NOTIFY(self->fd, 1, 3, &id[2]);
	ASSERT_EQ(0, rs_set_slot(self->fd, head, 0, second));
	ASSERT_EQ(0, rs_set_slot(self->fd, second, 0, third));
	/* create_linked_list() returns: its locals go away. */
	ASSERT_EQ(0, rs_close(self->fd, second));
	ASSERT_EQ(0, rs_close(self->fd, third));
	EXPECT_EQ(3, STATS(self->fd).objects);
	EXPECT_EQ(0, STATS(self->fd).events_queued);

	/* linked_list = None */
	ASSERT_EQ(0, rs_close(self->fd, head));
	EXPECT_EQ(0, STATS(self->fd).objects);
	EXPECT_EQ(3, STATS(self->fd).freed);

	n = rs_read_events(self->fd, e, 8);
	ASSERT_EQ(3, n);
	for (i = 0; i < n; i++) {
		uint64_t c = e[i].cookie;

		ASSERT_LE(1, c);
		ASSERT_GE(3, c);
		EXPECT_EQ(0, seen[c - 1]);
		seen[c - 1] = 1;
		EXPECT_EQ(id[c - 1], e[i].id);
		EXPECT_EQ(REFSTORE_CAUSE_RELEASED, e[i].cause);
		EXPECT_EQ(1, e[i].count);
	}
}

/* sys.getrefcount(obj) is INFO's refcount + 1 (its own argument). */
TEST_F(heap, getrefcount)
{
	uint32_t obj = CREATE(self->fd, 0, 0), another_ref;

	EXPECT_EQ(1, REFCOUNT(self->fd, obj));		/* Python: 2 */
	ASSERT_EQ(0, rs_dup(self->fd, obj, &another_ref));
	EXPECT_EQ(2, REFCOUNT(self->fd, obj));		/* Python: 3 */
	EXPECT_EQ(2, REFCOUNT(self->fd, another_ref));
	ASSERT_EQ(0, rs_close(self->fd, another_ref));	/* del another_ref */
	EXPECT_EQ(1, REFCOUNT(self->fd, obj));		/* Python: 2 */
	ASSERT_EQ(0, rs_close(self->fd, obj));		/* del obj */
	EXPECT_EQ(0, STATS(self->fd).objects);
}

/*
 * A chain of nodes, each holding the next in slot 0, reachable only from
 * the head's handle: one CLOSE frees all of it, iteratively.
 *
 * The seed's size is 1,000,000 nodes, the default.  Under QEMU TCG with
 * slub_debug it needs more than 1 GiB of guest memory to stay fast:
 * scripts/check-vm boots with 2 GiB, where it takes ~30 s on 6.1.
 * REFSTORE_CHAIN_N in the environment changes the size (the debug
 * kernel's suite runs a smaller chain: KASAN makes every node costly).
 */
#define CHAIN_N_DEFAULT 1000000

static unsigned int chain_n(void)
{
	const char *s = getenv("REFSTORE_CHAIN_N");
	unsigned long n = s ? strtoul(s, NULL, 0) : 0;

	return n >= 2 && n <= 4000000 ? n : CHAIN_N_DEFAULT;
}

TEST_F_TIMEOUT(heap, long_chain_one_close, 300)
{
	const unsigned int n = chain_n();
	struct refstore_heap_stats s;
	int64_t t0, t1, t2;
	uint32_t head, prev, x;
	unsigned int i;

	gc_off(_metadata, self->fd);
	/* A million nodes (~80 MB) exceed the default max_bytes: root raises it. */
	ASSERT_EQ(0, rs_set_limits(self->fd, &(struct refstore_limits){
		.flags = REFSTORE_LIMITS_RAISE, .max_bytes = 1ULL << 30 }));
	t0 = t_now_ms();
	head = CREATE(self->fd, 0, 1);
	prev = head;
	for (i = 1; i < n; i++) {
		ASSERT_EQ(0, rs_create(self->fd, 0, 1, 0, 0, 0, &x, NULL))
			TH_LOG("node %u", i);
		ASSERT_EQ(0, rs_set_slot(self->fd, prev, 0, x));
		if (prev != head)
			ASSERT_EQ(0, rs_close(self->fd, prev));
		prev = x;
	}
	ASSERT_EQ(0, rs_close(self->fd, prev));
	s = STATS(self->fd);
	ASSERT_EQ(n, s.objects);
	ASSERT_EQ(1, s.handles);

	t1 = t_now_ms();
	ASSERT_EQ(0, rs_close(self->fd, head));
	t2 = t_now_ms();
	s = STATS(self->fd);
	EXPECT_EQ(0, s.objects);
	EXPECT_EQ(0, s.handles);
	EXPECT_EQ(0, s.bytes);
	EXPECT_EQ(n, s.freed);
	TH_LOG("%u nodes: built in %lld ms, freed by one CLOSE in %lld ms",
	       n, (long long)(t1 - t0), (long long)(t2 - t1));
}

/*
 * obj1.ref = obj2; obj2.ref = obj1; del obj1; del obj2: counting alone
 * keeps both alive (the automatic collector is off).  Closing the heap
 * frees the cycle.
 */
TEST_F(heap, two_cycle_lives_until_heap_closed)
{
	uint64_t base = OBJECTS_BASELINE(1);
	uint32_t obj1, obj2;

	gc_off(_metadata, self->fd);
	obj1 = CREATE(self->fd, 0, 1);
	obj2 = CREATE(self->fd, 0, 1);
	ASSERT_EQ(0, rs_set_slot(self->fd, obj1, 0, obj2));
	ASSERT_EQ(0, rs_set_slot(self->fd, obj2, 0, obj1));
	EXPECT_EQ(2, REFCOUNT(self->fd, obj1));
	ASSERT_EQ(0, rs_close(self->fd, obj1));
	ASSERT_EQ(0, rs_close(self->fd, obj2));

	EXPECT_EQ(2, STATS(self->fd).objects);
	EXPECT_EQ(0, STATS(self->fd).handles);
	EXPECT_EQ(0, STATS(self->fd).freed);
	EXPECT_EQ(base + 2, GLOBAL("objects"));

	close(self->fd);
	self->fd = -1;
	EXPECT_EQ(base, WAIT_GLOBAL("objects", base, 5000));
}

T_HARNESS_MAIN
