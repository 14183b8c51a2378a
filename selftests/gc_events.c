// SPDX-License-Identifier: GPL-2.0
/*
 * refstore collection event selftests: gc.callbacks (start/stop records)
 * and the DEBUG_COLLECTABLE / UNCOLLECTABLE / LEAK / STATS reports, read
 * from the heap's fd with its death events. Automatic collection is
 * disabled in each heap, so every record comes from the test's GC_COLLECT.
 */
#include <fcntl.h>

#include "common.h"

FIXTURE(ev) {
	int fd;
};

FIXTURE_SETUP(ev)
{
	self->fd = rs_open(O_NONBLOCK);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, rs_gc_value(self->fd, REFSTORE_IOC_GC_DISABLE, 0, NULL));
}

FIXTURE_TEARDOWN(ev)
{
	close(self->fd);
}

/* A two-object cycle, dropped; cookies 1 and 2 if @notify; tags 11, 12. */
static void t_cycle(struct __test_metadata *_metadata, int fd, bool notify,
		    uint64_t *ida, uint64_t *idb)
{
	uint32_t a, b, fl = notify ? REFSTORE_CREATE_NOTIFY : 0;

	ASSERT_EQ(0, rs_create(fd, 0, 1, fl, 11, notify ? 1 : 0, &a, ida));
	ASSERT_EQ(0, rs_create(fd, 0, 1, fl, 12, notify ? 2 : 0, &b, idb));
	LINK(fd, a, 0, b);
	LINK(fd, b, 0, a);
	CLOSE(fd, a);
	CLOSE(fd, b);
}

static int t_read_all(int fd, struct refstore_event *ev, int max)
{
	ssize_t n = rs_read_events(fd, ev, max);

	return n == -EAGAIN ? 0 : (int)n;
}

TEST_F(ev, callbacks_start_stop)
{
	struct refstore_event ev[8];
	uint64_t ida, idb;

	ASSERT_EQ(0, rs_gc_value(self->fd, REFSTORE_IOC_GC_SET_DEBUG,
				 REFSTORE_GC_DEBUG_CALLBACKS, NULL));
	t_cycle(_metadata, self->fd, false, &ida, &idb);
	EXPECT_EQ(2, COLLECT(self->fd, 2));
	ASSERT_EQ(2, t_read_all(self->fd, ev, 8));
	EXPECT_EQ(REFSTORE_CAUSE_GC_START, ev[0].cause);
	EXPECT_EQ(2, ev[0].count);
	EXPECT_EQ(0, ev[0].cookie);
	EXPECT_EQ(0, ev[0].id);
	EXPECT_EQ(REFSTORE_CAUSE_GC_STOP, ev[1].cause);
	EXPECT_EQ(2, ev[1].count);
	EXPECT_EQ(2, ev[1].id);
	EXPECT_LT(0, ev[1].cookie);
	/* A collection that finds nothing still reports. */
	EXPECT_EQ(0, COLLECT(self->fd, 0));
	ASSERT_EQ(2, t_read_all(self->fd, ev, 8));
	EXPECT_EQ(0, ev[0].count);
	EXPECT_EQ(REFSTORE_CAUSE_GC_STOP, ev[1].cause);
	EXPECT_EQ(0, ev[1].id);
}

/* Off by default: no record. */
TEST_F(ev, nothing_without_flags)
{
	struct refstore_event ev[4];
	uint64_t ida, idb;

	t_cycle(_metadata, self->fd, false, &ida, &idb);
	EXPECT_EQ(2, COLLECT(self->fd, 2));
	EXPECT_EQ(0, t_read_all(self->fd, ev, 4));
	EXPECT_EQ(0, STATS(self->fd).events_queued);
}

/* DEBUG_COLLECTABLE: a record per object found, before its death event. */
TEST_F(ev, collectable_before_death)
{
	struct refstore_event ev[8];
	uint64_t ida, idb;
	int i, seen = 0;

	ASSERT_EQ(0, rs_gc_value(self->fd, REFSTORE_IOC_GC_SET_DEBUG,
				 REFSTORE_GC_DEBUG_COLLECTABLE, NULL));
	t_cycle(_metadata, self->fd, true, &ida, &idb);
	EXPECT_EQ(2, COLLECT(self->fd, 1));
	ASSERT_EQ(4, t_read_all(self->fd, ev, 8));
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(REFSTORE_CAUSE_GC_COLLECTABLE, ev[i].cause);
		EXPECT_EQ(1, ev[i].count);
		if (ev[i].id == ida && ev[i].cookie == 11)
			seen |= 1;
		if (ev[i].id == idb && ev[i].cookie == 12)
			seen |= 2;
	}
	EXPECT_EQ(3, seen);
	EXPECT_EQ(REFSTORE_CAUSE_CYCLE, ev[2].cause);
	EXPECT_EQ(REFSTORE_CAUSE_CYCLE, ev[3].cause);
}

/* DEBUG_LEAK: collectable reports, and the objects saved. */
TEST_F(ev, leak)
{
	struct refstore_event ev[8];
	uint64_t ida, idb;

	ASSERT_EQ(0, rs_gc_value(self->fd, REFSTORE_IOC_GC_SET_DEBUG,
				 REFSTORE_GC_DEBUG_LEAK, NULL));
	t_cycle(_metadata, self->fd, false, &ida, &idb);
	EXPECT_EQ(2, COLLECT(self->fd, 2));
	ASSERT_EQ(2, t_read_all(self->fd, ev, 8));
	EXPECT_EQ(REFSTORE_CAUSE_GC_COLLECTABLE, ev[0].cause);
	EXPECT_EQ(REFSTORE_CAUSE_GC_COLLECTABLE, ev[1].cause);
	EXPECT_EQ(2, GC_STATS(self->fd).garbage);
}

/* DEBUG_UNCOLLECTABLE alone reports nothing: nothing is uncollectable. */
TEST_F(ev, uncollectable_reports_nothing)
{
	struct refstore_event ev[4];
	uint64_t ida, idb;

	ASSERT_EQ(0, rs_gc_value(self->fd, REFSTORE_IOC_GC_SET_DEBUG,
				 REFSTORE_GC_DEBUG_UNCOLLECTABLE, NULL));
	t_cycle(_metadata, self->fd, false, &ida, &idb);
	EXPECT_EQ(2, COLLECT(self->fd, 2));
	EXPECT_EQ(0, t_read_all(self->fd, ev, 4));
}

/* DEBUG_STATS: the figures, on the fd, before the stop record. */
TEST_F(ev, stats_record)
{
	struct refstore_event ev[4];
	uint64_t ida, idb;

	ASSERT_EQ(0, rs_gc_value(self->fd, REFSTORE_IOC_GC_SET_DEBUG,
				 REFSTORE_GC_DEBUG_STATS |
				 REFSTORE_GC_DEBUG_CALLBACKS, NULL));
	t_cycle(_metadata, self->fd, false, &ida, &idb);
	CREATE(self->fd, 0, 1);
	EXPECT_EQ(2, COLLECT(self->fd, 2));
	ASSERT_EQ(3, t_read_all(self->fd, ev, 4));
	EXPECT_EQ(REFSTORE_CAUSE_GC_START, ev[0].cause);
	EXPECT_EQ(REFSTORE_CAUSE_GC_STATS, ev[1].cause);
	EXPECT_EQ(2, ev[1].count);
	EXPECT_LE(2, ev[1].id);
	EXPECT_EQ(2, ev[1].cookie);
	EXPECT_EQ(REFSTORE_CAUSE_GC_STOP, ev[2].cause);
}

/* Past max_events the records are counted lost, like death events. */
TEST_F(ev, overflow)
{
	struct refstore_limits lim = { .max_events = 4 };
	struct refstore_event ev[16];
	uint32_t h[10];
	int i, n;

	ASSERT_EQ(0, rs_set_limits(self->fd, &lim));
	ASSERT_EQ(0, rs_gc_value(self->fd, REFSTORE_IOC_GC_SET_DEBUG,
				 REFSTORE_GC_DEBUG_COLLECTABLE, NULL));
	for (i = 0; i < 10; i++)
		h[i] = CREATE(self->fd, 0, 1);
	for (i = 0; i < 10; i++)
		LINK(self->fd, h[i], 0, h[(i + 1) % 10]);
	for (i = 0; i < 10; i++)
		CLOSE(self->fd, h[i]);
	EXPECT_EQ(10, COLLECT(self->fd, 2));
	n = t_read_all(self->fd, ev, 16);
	ASSERT_EQ(5, n);
	EXPECT_EQ(REFSTORE_CAUSE_OVERFLOW, ev[0].cause);
	EXPECT_EQ(6, ev[0].count);
	for (i = 1; i < n; i++)
		EXPECT_EQ(REFSTORE_CAUSE_GC_COLLECTABLE, ev[i].cause);
}

/*
 * Records do not take the room kept for deaths: five NOTIFY objects (a
 * ring of 8), two collections' four records left unread, then the five
 * deaths: all nine are read, no loss (max_events is far above nine).
 */
TEST_F(ev, records_leave_room_for_deaths)
{
	struct refstore_event ev[16];
	uint32_t h[5];
	int i, n;

	for (i = 0; i < 5; i++)
		ASSERT_EQ(0, rs_create(self->fd, 0, 0, REFSTORE_CREATE_NOTIFY,
				       0, 100 + i, &h[i], NULL));
	ASSERT_EQ(0, rs_gc_value(self->fd, REFSTORE_IOC_GC_SET_DEBUG,
				 REFSTORE_GC_DEBUG_CALLBACKS, NULL));
	EXPECT_EQ(0, COLLECT(self->fd, 2));
	EXPECT_EQ(0, COLLECT(self->fd, 0));
	for (i = 0; i < 5; i++)
		CLOSE(self->fd, h[i]);
	n = t_read_all(self->fd, ev, 16);
	ASSERT_EQ(9, n);
	for (i = 0; i < 4; i++)
		EXPECT_EQ(i % 2 ? REFSTORE_CAUSE_GC_STOP :
			  REFSTORE_CAUSE_GC_START, ev[i].cause);
	for (i = 4; i < n; i++) {
		EXPECT_EQ(REFSTORE_CAUSE_RELEASED, ev[i].cause);
		EXPECT_EQ(100 + i - 4, ev[i].cookie);
	}
	EXPECT_EQ(0, STATS(self->fd).events_dropped);
}

TEST_F(ev, debug_flags_checked)
{
	uint64_t v = 0;

	EXPECT_ERR(EINVAL, rs_gc_value(self->fd, REFSTORE_IOC_GC_SET_DEBUG,
				       1u << 5, NULL));
	ASSERT_EQ(0, rs_gc_value(self->fd, REFSTORE_IOC_GC_SET_DEBUG,
				 REFSTORE_GC_DEBUG_LEAK |
				 REFSTORE_GC_DEBUG_CALLBACKS, NULL));
	ASSERT_EQ(0, rs_gc_value(self->fd, REFSTORE_IOC_GC_GET_DEBUG, 0, &v));
	EXPECT_EQ(REFSTORE_GC_DEBUG_LEAK | REFSTORE_GC_DEBUG_CALLBACKS, v);
}

TEST_F(ev, feature_bit)
{
	uint64_t features = 0;

	ASSERT_EQ(0, rs_version(self->fd, NULL, &features));
	EXPECT_TRUE(features & REFSTORE_FEAT_GC_EVENTS);
}

TEST_HARNESS_MAIN
