// SPDX-License-Identifier: GPL-2.0
/*
 * The collector's time bound: a heap with suspects is collected
 * automatically within its delay (GC_SET_DELAY, default from the module
 * parameter gc_delay_ms), with no further call; a heap left alone costs
 * the collector thread nothing; delay 0 turns the bound off.
 *
 * The harness turns the bound off for every heap (common.h); each test
 * here sets its heaps' delays. No test sleeps for a fixed time: a dropped
 * cycle is awaited through its death events (poll() and read(), no
 * ioctl), within a budget; "nothing happened" is checked against a second
 * heap whose own timed collection serves as the clock.
 */
#include <poll.h>

#include "common.h"

#define RS_DEBUGFS_GC RS_DEBUGFS "/gc"

/* The delay the tests give their heaps, ms. */
#define DELAY 100
/* The collector thread's turn after the delay, on the reference machine. */
#define TURN 1000

#define SET_DELAY(fd, ms) \
	ASSERT_EQ(0, rs_gc_value(fd, REFSTORE_IOC_GC_SET_DELAY, ms, NULL))
#define GET_DELAY(fd) t_gc_value(_metadata, fd, REFSTORE_IOC_GC_GET_DELAY, 0)

/* A 2-cycle of NOTIFY objects, both handles closed: garbage. */
static void drop_pair(struct __test_metadata *_metadata, int fd)
{
	uint32_t a = CREATE_NOTIFY(fd, 1, 1, NULL);
	uint32_t b = CREATE_NOTIFY(fd, 1, 2, NULL);

	LINK(fd, a, 0, b);
	LINK(fd, b, 0, a);
	CLOSE(fd, a);
	CLOSE(fd, b);
}

/*
 * Wait, with poll() and read() only, until @want cycle deaths arrived on
 * @fd or the budget of @ms (times t_slowness) is spent; return how many.
 */
static int wait_cycle_deaths(struct __test_metadata *_metadata, int fd,
			     int want, int ms)
{
	int64_t end = t_now_ms() + t_budget_ms(ms);
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct refstore_event ev[4];
	int got = 0, left, ret;
	ssize_t n, i;

	while (got < want) {
		left = end - t_now_ms();
		if (left <= 0)
			break;
		ret = poll(&p, 1, left);
		ASSERT_LE(0, ret);
		if (!ret)
			break;
		n = read(fd, ev, sizeof(ev));
		ASSERT_LT(0, n) TH_LOG("read: %s", strerror(errno));
		for (i = 0; i < n / (ssize_t)sizeof(ev[0]); i++) {
			EXPECT_EQ(REFSTORE_CAUSE_CYCLE, ev[i].cause);
			got++;
		}
	}
	return got;
}
#define WAIT_CYCLE_DEATHS(fd, want, ms) \
	wait_cycle_deaths(_metadata, fd, want, ms)

static uint64_t gc_global(struct __test_metadata *_metadata, const char *key)
{
	uint64_t v = 0;
	int ret = rs_debugfs_u64(RS_DEBUGFS_GC, key, &v);

	ASSERT_EQ(0, ret) TH_LOG("%s %s: %s", RS_DEBUGFS_GC, key,
				 strerror(-ret));
	return v;
}

/* A dropped 2-cycle is freed by the collector thread, with no call. */
TEST_F(heap, dropped_cycle_freed_within_delay)
{
	struct refstore_gc_stats st;
	int64_t t0;

	SET_DELAY(self->fd, DELAY);
	EXPECT_EQ(DELAY, GET_DELAY(self->fd));
	t0 = t_now_ms();
	drop_pair(_metadata, self->fd);
	ASSERT_EQ(2, WAIT_CYCLE_DEATHS(self->fd, 2, DELAY + TURN))
		TH_LOG("the cycle was not collected within %lld ms",
		       (long long)t_budget_ms(DELAY + TURN));
	LOG("collected %lld ms after it was dropped (delay %d)",
	    (long long)(t_now_ms() - t0), DELAY);

	st = GC_STATS(self->fd);
	EXPECT_EQ(1, st.automatic);
	EXPECT_EQ(1, st.gen[0].collections);
	EXPECT_EQ(2, st.gen[0].collected);
	EXPECT_EQ(0, OBJECTS(self->fd));
}

/*
 * A cycle that aged into generation 2 before it was dropped is found too:
 * the timed collection takes the generation of the oldest suspect (here
 * the long-lived rule allows a full collection: nothing is pending).
 */
TEST_F(heap, old_cycle_freed_within_delay)
{
	uint32_t a = CREATE_NOTIFY(self->fd, 1, 1, NULL);
	uint32_t b = CREATE_NOTIFY(self->fd, 1, 2, NULL);

	LINK(self->fd, a, 0, b);
	LINK(self->fd, b, 0, a);
	EXPECT_EQ(0, COLLECT(self->fd, 1));
	EXPECT_EQ(0, COLLECT(self->fd, 2));
	SET_DELAY(self->fd, DELAY);
	CLOSE(self->fd, a);
	CLOSE(self->fd, b);
	ASSERT_EQ(2, WAIT_CYCLE_DEATHS(self->fd, 2, DELAY + TURN));
	EXPECT_EQ(1, GC_STATS(self->fd).automatic);
	EXPECT_EQ(2, GC_STATS(self->fd).gen[2].collected);
	EXPECT_EQ(0, OBJECTS(self->fd));
}

/*
 * A heap whose last call left suspects gets one timed collection, then
 * never wakes the thread again while no call touches it: another heap's
 * timed collection, later, is the only wakeup.
 */
TEST_F(heap, idle_heap_costs_no_wakeups)
{
	struct refstore_gc_stats idle_st, st;
	uint64_t wakeups, idle_wakeups;
	uint32_t a, b;
	int idle, i;

	idle = rs_open(0);
	ASSERT_LE(0, idle);
	SET_DELAY(idle, DELAY);
	for (i = 0; i < 8; i++) {
		CREATE(idle, 16, 0);
		CREATE(idle, 0, 2);
	}
	/* A live cycle with a suspect: b lost a reference, a is held. */
	a = CREATE(idle, 0, 1);
	b = CREATE(idle, 0, 1);
	LINK(idle, a, 0, b);
	LINK(idle, b, 0, a);
	CLOSE(idle, b);
	/* The one timed collection the CLOSE armed; it frees nothing. */
	for (i = 0; GC_STATS(idle).automatic < 1; i++) {
		ASSERT_LT(i, t_budget_ms(DELAY + TURN) / 5);
		usleep(5000);
	}
	idle_st = GC_STATS(idle);
	EXPECT_EQ(1, idle_st.automatic);
	EXPECT_EQ(0, idle_st.gen[0].collected);
	EXPECT_EQ(18, OBJECTS(idle));

	/* From here on the idle heap sees only queries. */
	wakeups = gc_global(_metadata, "thread_wakeups");
	idle_wakeups = gc_global(_metadata, "idle_wakeups");

	/* The clock: a cycle dropped in another heap, collected in time. */
	SET_DELAY(self->fd, DELAY);
	drop_pair(_metadata, self->fd);
	ASSERT_EQ(2, WAIT_CYCLE_DEATHS(self->fd, 2, DELAY + TURN));
	EXPECT_EQ(1, GC_STATS(self->fd).automatic);

	EXPECT_EQ(wakeups + 1, gc_global(_metadata, "thread_wakeups"));
	EXPECT_EQ(idle_wakeups, gc_global(_metadata, "idle_wakeups"));
	st = GC_STATS(idle);
	EXPECT_EQ(idle_st.automatic, st.automatic);
	EXPECT_EQ(idle_st.examined, st.examined);
	EXPECT_EQ(18, OBJECTS(idle));
	close(idle);
}

/*
 * Delay 0: no time bound, as in CPython: the cycle outlives a delay (the
 * clock heap's), and a manual collection still frees it.
 */
TEST_F(heap, delay_zero_disables_the_bound)
{
	int clock = rs_open(0);

	ASSERT_LE(0, clock);
	SET_DELAY(self->fd, DELAY);
	SET_DELAY(self->fd, 0);
	EXPECT_EQ(0, GET_DELAY(self->fd));
	drop_pair(_metadata, self->fd);

	SET_DELAY(clock, DELAY);
	drop_pair(_metadata, clock);
	ASSERT_EQ(2, WAIT_CYCLE_DEATHS(clock, 2, DELAY + TURN));

	EXPECT_EQ(2, OBJECTS(self->fd));
	EXPECT_EQ(0, GC_STATS(self->fd).automatic);
	EXPECT_EQ(2, COLLECT(self->fd, 0));
	EXPECT_EQ(2, WAIT_CYCLE_DEATHS(self->fd, 2, TURN));
	EXPECT_EQ(0, OBJECTS(self->fd));
	close(clock);
}

/* GC_DISABLE stops the timed collections too, as the threshold ones. */
TEST_F(heap, disabled_heap_has_no_timed_collection)
{
	int clock = rs_open(0);

	ASSERT_LE(0, clock);
	SET_DELAY(self->fd, DELAY);
	GC_VALUE(self->fd, GC_DISABLE);
	drop_pair(_metadata, self->fd);

	SET_DELAY(clock, DELAY);
	drop_pair(_metadata, clock);
	ASSERT_EQ(2, WAIT_CYCLE_DEATHS(clock, 2, DELAY + TURN));

	EXPECT_EQ(2, OBJECTS(self->fd));
	EXPECT_EQ(0, GC_STATS(self->fd).automatic);
	close(clock);
}

/* New heaps take gc_delay_ms, clamped to 60000. */
TEST_F(heap, default_delay_from_param)
{
	uint64_t was;
	int fd;

	if (param_get("gc_delay_ms", &was))
		SKIP(return, "no gc_delay_ms parameter");
	LOG("gc_delay_ms at start: %lld", (long long)t_gc_delay_param);
	EXPECT_EQ(was, GET_DELAY(self->fd));

	ASSERT_EQ(0, param_set("gc_delay_ms", 150));
	fd = rs_open(0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(150, GET_DELAY(fd));
	close(fd);

	ASSERT_EQ(0, param_set("gc_delay_ms", 70000));
	fd = rs_open(0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(60000, GET_DELAY(fd));
	close(fd);

	ASSERT_EQ(0, param_set("gc_delay_ms", was));
	/* An open heap keeps its own. */
	EXPECT_EQ(was, GET_DELAY(self->fd));
}

/* The errno contract of SET_DELAY and GET_DELAY; a failure changes nothing. */
TEST_F(heap, delay_errors)
{
	struct refstore_gc_value v = { .size = sizeof(v) };

	SET_DELAY(self->fd, 60000);
	EXPECT_EQ(60000, GET_DELAY(self->fd));
	EXPECT_ERR(EINVAL, rs_gc_value(self->fd, REFSTORE_IOC_GC_SET_DELAY,
				       60001, NULL));
	EXPECT_ERR(EINVAL, rs_gc_value(self->fd, REFSTORE_IOC_GC_SET_DELAY,
				       1ULL << 32, NULL));
	v.flags = 1;
	v.value = 10;
	EXPECT_ERR(EINVAL, rs_ioctl(self->fd, REFSTORE_IOC_GC_SET_DELAY, &v));
	EXPECT_ERR(EINVAL, rs_ioctl(self->fd, REFSTORE_IOC_GC_GET_DELAY, &v));
	EXPECT_ERR(EINVAL, rs_gc_value(self->fd, REFSTORE_IOC_GC_GET_DELAY,
				       1, NULL));
	EXPECT_EQ(60000, GET_DELAY(self->fd));
	SET_DELAY(self->fd, 0);
	EXPECT_EQ(0, GET_DELAY(self->fd));
}

/* VERSION reports the feature. */
TEST_F(heap, feature_bit)
{
	struct refstore_version v = { .size = sizeof(v) };

	ASSERT_EQ(0, rs_ioctl(self->fd, REFSTORE_IOC_VERSION, &v));
	EXPECT_NE(0, v.features & REFSTORE_FEAT_GC_DELAY);
}

T_HARNESS_MAIN
