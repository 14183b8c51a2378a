// SPDX-License-Identifier: GPL-2.0
/*
 * Who pays for automatic collection: a collection the thresholds make due
 * runs in the task whose CREATE made it due, before the CREATE returns, as
 * CPython collects inside the allocation that crosses generation 0's
 * threshold; the collector thread runs only timed collections
 * (docs/collector.md, "Who pays for automatic collection").
 *
 * The harness turns timed collections off (module parameter gc_delay_ms 0,
 * common.h), so the thread has nothing to do here: every check is a count,
 * read right after the call, with no wait and no timing window. The
 * thread's own counters are debugfs gc's thread_wakeups and
 * thread_collections.
 */
#include <pthread.h>
#include <sys/wait.h>

#include "common.h"

#define RS_DEBUGFS_GC RS_DEBUGFS "/gc"

static uint64_t gc_global(struct __test_metadata *_metadata, const char *key)
{
	uint64_t v = 0;

	EXPECT_EQ(0, rs_debugfs_u64(RS_DEBUGFS_GC, key, &v)) TH_LOG("%s", key);
	return v;
}

FIXTURE(sync) {
	int fd;
};

FIXTURE_SETUP(sync)
{
	self->fd = rs_open(0);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(sync)
{
	close(self->fd);
}

/*
 * Thresholds (5, 10, 10): the sixth object with a slot puts generation 0
 * over its threshold, and when that CREATE returns generation 0 has been
 * collected, the dropped 2-ring with it: gc.get_count() (0, 1, 0) and
 * get_stats()[0]["collections"] 1, as CPython 3.11 after
 * gc.set_threshold(5, 10, 10) and six container allocations.
 */
TEST_F(sync, threshold_collection_done_when_create_returns)
{
	int64_t count[REFSTORE_GC_GENERATIONS];
	struct refstore_gc_stats st;
	int i;

	GC_SET_THRESHOLD(self->fd, 5, 10, 10);
	RING(self->fd, 2);
	for (i = 0; i < 3; i++)
		CREATE(self->fd, 0, 1);
	ASSERT_EQ(0, rs_gc_get_count(self->fd, count));
	EXPECT_EQ(5, count[0]);
	EXPECT_EQ(0, GC_STATS(self->fd).automatic);

	CREATE(self->fd, 0, 1);
	ASSERT_EQ(0, rs_gc_get_count(self->fd, count));
	EXPECT_EQ(0, count[0]);
	EXPECT_EQ(1, count[1]);
	EXPECT_EQ(0, count[2]);
	st = GC_STATS(self->fd);
	EXPECT_EQ(1, st.automatic);
	EXPECT_EQ(1, st.gen[0].collections);
	EXPECT_EQ(2, st.gen[0].collected);
	EXPECT_EQ(4, OBJECTS(self->fd));
}

/*
 * GC_ENABLE and GC_SET_THRESHOLD collect nothing, as gc.enable() and
 * gc.set_threshold(): generation 0 stays over its threshold until the next
 * CREATE, which collects; the thread is not woken.
 */
TEST_F(sync, controls_collect_nothing)
{
	uint64_t wakeups = gc_global(_metadata, "thread_wakeups");
	int64_t count[REFSTORE_GC_GENERATIONS];
	int i;

	GC_VALUE(self->fd, GC_DISABLE);
	for (i = 0; i < 4; i++)
		CREATE(self->fd, 0, 1);
	GC_SET_THRESHOLD(self->fd, 1, 10, 10);
	GC_VALUE(self->fd, GC_ENABLE);
	GC_SET_THRESHOLD(self->fd, 2, 10, 10);
	ASSERT_EQ(0, rs_gc_get_count(self->fd, count));
	EXPECT_EQ(4, count[0]);
	EXPECT_EQ(0, GC_STATS(self->fd).automatic);

	CREATE(self->fd, 0, 1);
	ASSERT_EQ(0, rs_gc_get_count(self->fd, count));
	EXPECT_EQ(0, count[0]);
	EXPECT_EQ(1, GC_STATS(self->fd).automatic);
	EXPECT_EQ(wakeups, gc_global(_metadata, "thread_wakeups"));
}

/* The creates of the charging test: M collections of generation 0. */
#define T0 4
#define M 50

/*
 * An unprivileged task (uid UNPRIV_UID, forked) makes M * (T0 + 1)
 * objects with threshold T0: M automatic collections of its heap, every
 * one in its own CREATEs; the collector thread neither wakes nor
 * collects. Exit status: 0, or the step that failed.
 */
static int charged_child(void)
{
	struct refstore_gc_stats st;
	uint32_t h;
	int fd, i;

	if (unpriv_drop())
		return 2;
	fd = rs_open(0);
	if (fd < 0)
		return 3;
	if (rs_gc_value(fd, REFSTORE_IOC_GC_SET_DELAY, 0, NULL) ||
	    rs_gc_set_threshold(fd, T0, 1000, 1000))
		return 4;
	for (i = 0; i < M * (T0 + 1); i++) {
		if (rs_create(fd, 0, 1, 0, 0, 0, &h, NULL))
			return 5;
	}
	if (rs_gc_get_stats(fd, &st))
		return 7;
	if (st.automatic != M || st.gen[0].collections != M)
		return 8;
	return 0;
}

TEST(threshold_collections_charged_to_the_creator)
{
	uint64_t wakeups = gc_global(_metadata, "thread_wakeups");
	uint64_t runs = gc_global(_metadata, "thread_collections");
	pid_t pid;
	int status;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(charged_child());
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("the uid %d child failed at step %d (8: not %d automatic collections of generation 0)",
		       UNPRIV_UID, WEXITSTATUS(status), M);
	EXPECT_EQ(wakeups, gc_global(_metadata, "thread_wakeups"));
	EXPECT_EQ(runs, gc_global(_metadata, "thread_collections"));
}

/* Threads creating on one heap. */
#define THREADS 4
#define PER_THREAD 500

struct creator {
	int fd;
	int failures;
};

static void *creator(void *arg)
{
	struct creator *c = arg;
	uint32_t h;
	int i;

	for (i = 0; i < PER_THREAD; i++)
		if (rs_create(c->fd, 0, 1, 0, 0, 0, &h, NULL))
			c->failures++;
	return NULL;
}

/*
 * Four threads of one process create on one heap with threshold 1: every
 * CREATE succeeds, some of them collect (at least the first past the
 * threshold; at most one per two CREATEs, each collection emptying
 * generation 0), one at a time, and the thread takes no part.
 */
TEST_F(sync, threads_on_one_heap)
{
	uint64_t runs = gc_global(_metadata, "thread_collections");
	struct creator c[THREADS];
	pthread_t t[THREADS];
	uint64_t automatic;
	int i;

	GC_SET_THRESHOLD(self->fd, 1, 1000, 1000);
	for (i = 0; i < THREADS; i++) {
		c[i] = (struct creator){ .fd = self->fd };
		ASSERT_EQ(0, pthread_create(&t[i], NULL, creator, &c[i]));
	}
	for (i = 0; i < THREADS; i++) {
		ASSERT_EQ(0, pthread_join(t[i], NULL));
		EXPECT_EQ(0, c[i].failures);
	}
	EXPECT_EQ(THREADS * PER_THREAD, OBJECTS(self->fd));
	automatic = GC_STATS(self->fd).automatic;
	EXPECT_LE(1, automatic);
	EXPECT_GE(THREADS * PER_THREAD / 2, automatic);
	EXPECT_EQ(runs, gc_global(_metadata, "thread_collections"));
	LOG("%llu automatic collections in %d CREATEs by %d threads",
	    (unsigned long long)automatic, THREADS * PER_THREAD, THREADS);
}

T_HARNESS_MAIN
