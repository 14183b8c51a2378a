/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared pieces of the refstore selftests: the heap fixture (a fresh
 * /dev/refstore open per test) and helpers that assert through the harness.
 *
 * Helpers take the harness' _metadata implicitly through the macros below,
 * so an ASSERT inside one ends the calling test (the harness longjmps).
 */
#ifndef REFSTORE_SELFTESTS_COMMON_H
#define REFSTORE_SELFTESTS_COMMON_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/refstore.h>

#include "librefstore.h"
#include "kselftest_harness.h"

/* One heap per test. */
FIXTURE(heap) {
	int fd;
};

FIXTURE_SETUP(heap)
{
	self->fd = rs_open(0);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", RS_DEVICE,
				      strerror(-self->fd));
}

FIXTURE_TEARDOWN(heap)
{
	if (self->fd >= 0)
		close(self->fd);
}

/* Library calls return -errno: ASSERT_ERR(ENOENT, rs_close(fd, 99)). */
#define ASSERT_ERR(err, call) ASSERT_EQ(-(err), (call))
#define EXPECT_ERR(err, call) EXPECT_EQ(-(err), (call))

/* Milliseconds of CLOCK_MONOTONIC, for bounded waits. */
static inline int64_t t_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline uint32_t t_create(struct __test_metadata *_metadata, int fd,
				uint32_t payload, uint32_t nslots,
				uint32_t flags, uint64_t cookie, uint64_t *id)
{
	uint32_t h = 0;

	ASSERT_EQ(0, rs_create(fd, payload, nslots, flags, 0, cookie, &h, id));
	ASSERT_NE(0, h);
	return h;
}

/* A plain object: CREATE(fd, payload, nslots). */
#define CREATE(fd, payload, nslots) \
	t_create(_metadata, fd, payload, nslots, 0, 0, NULL)
/* An object that queues a death event carrying @cookie. */
#define CREATE_NOTIFY(fd, nslots, cookie, idp) \
	t_create(_metadata, fd, 0, nslots, REFSTORE_CREATE_NOTIFY, cookie, idp)

static inline struct refstore_info t_info(struct __test_metadata *_metadata,
					  int fd, uint32_t h)
{
	struct refstore_info i;

	ASSERT_EQ(0, rs_info(fd, h, &i));
	return i;
}
#define INFO(fd, h) t_info(_metadata, fd, h)
#define REFCOUNT(fd, h) (INFO(fd, h).refcount)

static inline struct refstore_heap_stats
t_stats(struct __test_metadata *_metadata, int fd)
{
	struct refstore_heap_stats s;

	ASSERT_EQ(0, rs_heap_stats(fd, &s));
	return s;
}
#define STATS(fd) t_stats(_metadata, fd)

/*
 * Assert that the heap's counters equal a snapshot taken earlier: used
 * after a failing call, which must change nothing.
 */
static inline void t_stats_same(struct __test_metadata *_metadata, int fd,
				const struct refstore_heap_stats *before)
{
	struct refstore_heap_stats now = t_stats(_metadata, fd);

	EXPECT_EQ(before->objects, now.objects);
	EXPECT_EQ(before->bytes, now.bytes);
	EXPECT_EQ(before->handles, now.handles);
	EXPECT_EQ(before->weak_handles, now.weak_handles);
	EXPECT_EQ(before->created, now.created);
	EXPECT_EQ(before->freed, now.freed);
	EXPECT_EQ(before->events_queued, now.events_queued);
	EXPECT_EQ(before->events_dropped, now.events_dropped);
	EXPECT_EQ(before->events_pending, now.events_pending);
}
#define STATS_SAME(fd, before) t_stats_same(_metadata, fd, before)

/* INFO of @h equals @before, field by field. */
static inline void t_info_same(struct __test_metadata *_metadata, int fd,
			       uint32_t h, const struct refstore_info *before)
{
	struct refstore_info now = t_info(_metadata, fd, h);

	EXPECT_EQ(before->refcount, now.refcount);
	EXPECT_EQ(before->id, now.id);
	EXPECT_EQ(before->tag, now.tag);
	EXPECT_EQ(before->payload_size, now.payload_size);
	EXPECT_EQ(before->nslots, now.nslots);
	EXPECT_EQ(before->obj_flags, now.obj_flags);
	EXPECT_EQ(before->creator_pid, now.creator_pid);
}
#define INFO_SAME(fd, h, before) t_info_same(_metadata, fd, h, before)

/* The module-wide "key: value" counter of debugfs' stats file. */
static inline uint64_t t_global(struct __test_metadata *_metadata,
				const char *key)
{
	uint64_t v = 0;
	int ret = rs_debugfs_u64(RS_DEBUGFS_STATS, key, &v);

	ASSERT_EQ(0, ret) TH_LOG("%s %s: %s", RS_DEBUGFS_STATS, key,
				 strerror(-ret));
	return v;
}
#define GLOBAL(key) t_global(_metadata, key)

/*
 * Poll the global counter @key until it equals @want or @ms pass; return
 * its last value.  Heap teardown after the last close may be deferred, so
 * tests wait for it instead of sleeping a fixed time.
 */
static inline uint64_t t_wait_global(struct __test_metadata *_metadata,
				     const char *key, uint64_t want, int ms)
{
	int64_t end = t_now_ms() + ms;
	uint64_t v;

	for (;;) {
		v = t_global(_metadata, key);
		if (v == want || t_now_ms() >= end)
			return v;
		usleep(5000);
	}
}
#define WAIT_GLOBAL(key, want, ms) t_wait_global(_metadata, key, want, ms)

/*
 * The global "objects" count to compare against after a test, taken once
 * the heaps of earlier tests are gone (bounded wait for only @own_heaps
 * heaps to be left; other users of the module are not waited for).
 */
static inline uint64_t t_objects_baseline(struct __test_metadata *_metadata,
					  uint64_t own_heaps)
{
	WAIT_GLOBAL("heaps", own_heaps, 5000);
	return GLOBAL("objects");
}
#define OBJECTS_BASELINE(own_heaps) t_objects_baseline(_metadata, own_heaps)

#endif /* REFSTORE_SELFTESTS_COMMON_H */
