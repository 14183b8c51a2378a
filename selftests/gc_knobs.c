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

#define DBG "/sys/kernel/debug/refstore"
#define GC_PARK DBG "/gc_park"
#define GC_IDLE DBG "/gc_idle"

static int knob_write(const char *path, const char *s)
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

/* The file's contents, NUL-terminated in @buf; -errno on failure. */
static int knob_read(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

static uint64_t parked_id(struct __test_metadata *_metadata)
{
	char buf[32];

	ASSERT_EQ(0, knob_read(GC_PARK, buf, sizeof(buf)));
	return strtoull(buf, NULL, 0);
}

/* Blocks until the collector is idle. */
static void wait_idle(struct __test_metadata *_metadata)
{
	char buf[16];

	ASSERT_EQ(0, knob_read(GC_IDLE, buf, sizeof(buf)));
	ASSERT_STREQ("idle\n", buf);
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
	if (access(GC_PARK, W_OK) || access(GC_IDLE, R_OK))
		SKIP(return, "no test knobs (load the module with test_knobs=1)");
	self->fd = rs_open(0);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(knobs)
{
	if (self->fd >= 0)
		close(self->fd);
	knob_write(GC_PARK, "0");
}

/*
 * Not parked: the knob reads 0 and takes 0, 1 or 2; a step (2) needs a
 * parked thread.
 */
TEST_F(knobs, park_reads_zero_when_not_parked)
{
	EXPECT_EQ(0, parked_id(_metadata));
	EXPECT_EQ(-EINVAL, knob_write(GC_PARK, "3"));
	EXPECT_EQ(-EAGAIN, knob_write(GC_PARK, "2"));
}

/*
 * The thread parks on our heap; we close it, so the thread holds the last
 * reference of a destroyed heap; released, it drops it and goes idle.
 */
TEST_F(knobs, park_holds_closed_heap)
{
	struct refstore_heap_stats hs = STATS(self->fd);
	char dir[64];
	int64_t deadline = t_now_ms() + 60000;

	ASSERT_EQ(0, knob_write(GC_PARK, "1"));
	make_due(_metadata, self->fd);
	while (parked_id(_metadata) != hs.heap_id) {
		ASSERT_LT(t_now_ms(), deadline) TH_LOG("never parked on heap %llu",
						      hs.heap_id);
		usleep(10000);
	}
	close(self->fd);
	self->fd = -1;
	/* Destroyed, though the thread still holds it. */
	snprintf(dir, sizeof(dir), DBG "/heaps/%llu", hs.heap_id);
	EXPECT_NE(0, access(dir, F_OK));
	EXPECT_EQ(hs.heap_id, parked_id(_metadata));

	ASSERT_EQ(0, knob_write(GC_PARK, "0"));
	wait_idle(_metadata);
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
	ASSERT_EQ(0, knob_write(GC_PARK, "1"));
	make_due(_metadata, other);
	while (!(first = parked_id(_metadata))) {
		ASSERT_LT(t_now_ms(), deadline);
		usleep(10000);
	}
	make_due(_metadata, self->fd);
	/* Its timer expired: queued behind the parked thread, not collected. */
	snprintf(path, sizeof(path), DBG "/heaps/%llu/gc",
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

	ASSERT_EQ(0, knob_write(GC_PARK, "0"));
	wait_idle(_metadata);
	ASSERT_EQ(0, ioctl(self->fd, REFSTORE_IOC_GC_GET_STATS, &st));
	EXPECT_EQ(1, st.automatic);
	close(other);
}

/* gc_idle returns once the timed collection the thread took is done. */
TEST_F(knobs, idle_after_timed_collection)
{
	struct refstore_gc_stats st = { .size = sizeof(st) };
	struct refstore_heap_stats hs = STATS(self->fd);
	int64_t deadline = t_now_ms() + 60000;

	/* Parked first, so gc_idle cannot return before the thread has it. */
	ASSERT_EQ(0, knob_write(GC_PARK, "1"));
	make_due(_metadata, self->fd);
	while (parked_id(_metadata) != hs.heap_id) {
		ASSERT_LT(t_now_ms(), deadline);
		usleep(10000);
	}
	ASSERT_EQ(0, ioctl(self->fd, REFSTORE_IOC_GC_GET_STATS, &st));
	EXPECT_EQ(0, st.automatic);
	EXPECT_EQ(2, STATS(self->fd).objects);

	ASSERT_EQ(0, knob_write(GC_PARK, "0"));
	wait_idle(_metadata);
	ASSERT_EQ(0, ioctl(self->fd, REFSTORE_IOC_GC_GET_STATS, &st));
	EXPECT_EQ(1, st.automatic);
	EXPECT_EQ(2, st.gen[0].collected);
	EXPECT_EQ(0, STATS(self->fd).objects);
}

TEST_HARNESS_MAIN
