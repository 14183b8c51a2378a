// SPDX-License-Identifier: GPL-2.0
/*
 * The collector thread through its debugfs test knobs (module parameter
 * test_knobs=1; skipped without): gc_park holds the thread on a heap it
 * dequeued, gc_idle waits until it has nothing queued or in hand. The
 * thread runs only timed collections (a heap's delay expired with
 * suspects left), so the tests queue heaps that way. No test here sleeps
 * for a collection: each waits for the state it needs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "common.h"

/* The id of the heap the parked thread holds (0: none). */
static uint64_t parked_id(struct __test_metadata *_metadata)
{
	uint64_t id = 0;

	ASSERT_EQ(0, rs_debugfs_read_u64(RS_DEBUGFS_GC_PARK, &id));
	return id;
}

/*
 * Delay 1 ms and a dropped 2-ring: the CLOSEs arm the heap's timer, whose
 * expiry queues the heap for the thread, time-due.
 */
static void make_due(struct __test_metadata *_metadata, int fd)
{
	ASSERT_EQ(0, rs_gc_value(fd, REFSTORE_IOC_GC_SET_DELAY, 1, NULL));
	RING(fd, 2);
}

FIXTURE(knobs) {
	int fd;
};

FIXTURE_SETUP(knobs)
{
	self->fd = -1;
	if (!t_gc_park_present() || access(RS_DEBUGFS_GC_IDLE, R_OK))
		SKIP(return, "no test knobs (load the module with test_knobs=1)");
	self->fd = rs_open(0);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(knobs)
{
	if (self->fd >= 0)
		close(self->fd);
	t_gc_park(false);
}

/*
 * Not parked: the knob reads 0 and takes 0, 1 or 2; a step (2) needs a
 * parked thread.
 */
TEST_F(knobs, park_reads_zero_when_not_parked)
{
	EXPECT_EQ(0, parked_id(_metadata));
	EXPECT_EQ(-EINVAL, t_write_str(RS_DEBUGFS_GC_PARK, "3"));
	EXPECT_EQ(-EAGAIN, t_gc_park_step());
}

/*
 * The thread parks on our heap; we close it, so the thread holds the last
 * reference of a destroyed heap; released, it drops it and goes idle.
 */
TEST_F(knobs, park_holds_closed_heap)
{
	struct refstore_heap_stats hs = STATS(self->fd);
	char dir[64];

	ASSERT_EQ(0, t_gc_park(true));
	make_due(_metadata, self->fd);
	ASSERT_EQ(hs.heap_id, WAIT_GC_PARKED(hs.heap_id, 60000))
		TH_LOG("never parked on heap %llu", (unsigned long long)hs.heap_id);
	close(self->fd);
	self->fd = -1;
	/* Destroyed, though the thread still holds it. */
	snprintf(dir, sizeof(dir), RS_DEBUGFS "/heaps/%llu", hs.heap_id);
	EXPECT_NE(0, access(dir, F_OK));
	EXPECT_EQ(hs.heap_id, parked_id(_metadata));

	ASSERT_EQ(0, t_gc_park(false));
	WAIT_GC_IDLE();
	EXPECT_EQ(0, parked_id(_metadata));
}

/* A due heap waits while the thread is parked on another one. */
TEST_F(knobs, park_blocks_the_queue)
{
	struct refstore_gc_stats st = { .size = sizeof(st) };
	int other = rs_open(0);
	uint64_t first, queued = 0;
	char path[96];
	int64_t deadline = t_now_ms() + 60000;

	ASSERT_LE(0, other);
	ASSERT_EQ(0, t_gc_park(true));
	make_due(_metadata, other);
	first = STATS(other).heap_id;
	ASSERT_EQ(first, WAIT_GC_PARKED(first, 60000));
	make_due(_metadata, self->fd);
	/* Its timer expired: queued behind the parked thread, not collected. */
	snprintf(path, sizeof(path), RS_DEBUGFS "/heaps/%llu/gc",
		 (unsigned long long)STATS(self->fd).heap_id);
	for (;;) {
		ASSERT_EQ(0, rs_debugfs_u64(path, "queued", &queued));
		if (queued)
			break;
		ASSERT_LT(t_now_ms(), deadline);
		usleep(10000);
	}
	ASSERT_EQ(0, ioctl(self->fd, REFSTORE_IOC_GC_GET_STATS, &st));
	EXPECT_EQ(0, st.automatic);

	ASSERT_EQ(0, t_gc_park(false));
	WAIT_GC_IDLE();
	ASSERT_EQ(0, ioctl(self->fd, REFSTORE_IOC_GC_GET_STATS, &st));
	EXPECT_EQ(1, st.automatic);
	close(other);
}

/* gc_idle returns once the timed collection the thread took is done. */
TEST_F(knobs, idle_after_timed_collection)
{
	struct refstore_gc_stats st = { .size = sizeof(st) };
	struct refstore_heap_stats hs = STATS(self->fd);

	/* Parked first, so gc_idle cannot return before the thread has it. */
	ASSERT_EQ(0, t_gc_park(true));
	make_due(_metadata, self->fd);
	ASSERT_EQ(hs.heap_id, WAIT_GC_PARKED(hs.heap_id, 60000))
		TH_LOG("never parked on heap %llu", (unsigned long long)hs.heap_id);
	ASSERT_EQ(0, ioctl(self->fd, REFSTORE_IOC_GC_GET_STATS, &st));
	EXPECT_EQ(0, st.automatic);
	EXPECT_EQ(2, STATS(self->fd).objects);

	ASSERT_EQ(0, t_gc_park(false));
	WAIT_GC_IDLE();
	ASSERT_EQ(0, ioctl(self->fd, REFSTORE_IOC_GC_GET_STATS, &st));
	EXPECT_EQ(1, st.automatic);
	EXPECT_EQ(2, st.gen[0].collected);
	EXPECT_EQ(0, STATS(self->fd).objects);
}

TEST_HARNESS_MAIN
