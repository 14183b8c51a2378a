/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one helper layer of the refstore selftests; every test file includes
 * it and ends with T_HARNESS_MAIN.
 *
 * - the heap fixture (a fresh /dev/refstore open per test);
 * - object helpers that assert through the harness: CREATE, LINK, CLOSE,
 *   RING, INFO, STATS, COLLECT, ... (uppercase: they take the harness'
 *   _metadata implicitly, and an ASSERT inside one ends the calling test,
 *   so they are for the test's own thread only; other threads call the
 *   librefstore functions and count errors);
 * - module-wide debugfs counters (through librefstore) and bounded waits
 *   for them;
 * - the collector's test knob gc_park;
 * - the collector's time bound, off for the suite's heaps (T_HARNESS_MAIN);
 * - the time budget: every harness timeout and every bounded wait is
 *   multiplied by t_slowness, measured once at start (T_HARNESS_MAIN), so
 *   a slow or loaded machine gets proportionally longer, and tests are
 *   sized by operation counts, never by wall time.
 */
#ifndef REFSTORE_SELFTESTS_COMMON_H
#define REFSTORE_SELFTESTS_COMMON_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/refstore.h>

#include <grp.h>
#include <inttypes.h>
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

/* A "# ..." line of TAP, flushed at once (tests fork). */
#define LOG(fmt, ...) do { printf("# " fmt "\n", ##__VA_ARGS__); \
			   fflush(stdout); } while (0)

#define T_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Nanoseconds and milliseconds of CLOCK_MONOTONIC. */
static inline int64_t t_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline int64_t t_now_ms(void)
{
	return t_now_ns() / 1000000;
}

/* ---- the time budget ---- */

/*
 * How much slower than the reference machine this run is (>= 1): set by
 * T_HARNESS_MAIN before any test runs, inherited by the tests' processes.
 */
static unsigned int t_slowness = 1;

/*
 * A CREATE + CLOSE pair on the reference machine, the release kernel in
 * the TCG guest of scripts/vm-run, with the suite's margin included.
 */
#define T_REF_NS_PER_PAIR 80000
#define T_CALIBRATE_PAIRS 500
#define T_SLOWNESS_MAX 50

/* @ms of the reference machine, on this one: for every bounded wait. */
static inline int64_t t_budget_ms(int64_t ms)
{
	return ms * t_slowness;
}

/*
 * Measure t_slowness: the time of CREATE + CLOSE pairs on a fresh heap,
 * against T_REF_NS_PER_PAIR; REFSTORE_SLOWNESS=N in the environment sets
 * a floor (a machine known to be loaded).
 */
static inline unsigned int t_calibrate(void)
{
	const char *env = getenv("REFSTORE_SLOWNESS");
	unsigned long floor = env && *env ? strtoul(env, NULL, 0) : 1;
	unsigned long scale = 1;
	int64_t t0, ns;
	uint32_t h;
	int fd, i;

	fd = rs_open(0);
	if (fd >= 0) {
		t0 = t_now_ns();
		for (i = 0; i < T_CALIBRATE_PAIRS; i++) {
			if (rs_create(fd, 0, 1, 0, 0, 0, &h, NULL) ||
			    rs_close(fd, h))
				break;
		}
		ns = (t_now_ns() - t0) / (i ? i : 1);
		close(fd);
		scale = (ns + T_REF_NS_PER_PAIR - 1) / T_REF_NS_PER_PAIR;
		LOG("time budget: %lld ns per CREATE+CLOSE, reference %d",
		    (long long)ns, T_REF_NS_PER_PAIR);
	}
	if (scale < floor)
		scale = floor;
	if (scale < 1)
		scale = 1;
	if (scale > T_SLOWNESS_MAX)
		scale = T_SLOWNESS_MAX;
	return scale;
}

/*
 * TEST_HARNESS_MAIN with every test's timeout multiplied by t_slowness.
 * The harness arms its alarm from __test_metadata.timeout in this (the
 * parent) process, so scaling the registered tests here is enough.
 */
static inline void t_scale_timeouts(void)
{
	struct __fixture_metadata *f;
	struct __test_metadata *t;

	t_slowness = t_calibrate();
	for (f = __fixture_list; f; f = f->next)
		for (t = f->tests; t; t = t->next)
			t->timeout *= t_slowness;
	LOG("time budget: timeouts and waits x%u", t_slowness);
}


/* ---- files ---- */

/* Write @s to @path (debugfs, cgroupfs, tracefs): 0 or -errno. */
static inline int t_write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	size_t len = strlen(s);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, len);
	n = n < 0 ? -errno : (size_t)n == len ? 0 : -EIO;
	close(fd);
	return n;
}

/* ---- objects ---- */

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
/* With a payload too, and a death event if @cookie is not 0. */
#define CREATE_COOKIE(fd, payload, nslots, cookie)			\
	t_create(_metadata, fd, payload, nslots,			\
		 (cookie) ? REFSTORE_CREATE_NOTIFY : 0, cookie, NULL)

/* h.slot = target (0 empties it). */
#define LINK(fd, h, slot, target) \
	ASSERT_EQ(0, rs_set_slot(fd, h, slot, target))
/* Drop a strong or weak handle. */
#define CLOSE(fd, h) ASSERT_EQ(0, rs_close(fd, h))

/* A weak handle to @h's object. */
static inline uint32_t t_weakref(struct __test_metadata *_metadata, int fd,
				 uint32_t h)
{
	uint32_t w = 0;

	ASSERT_EQ(0, rs_weakref(fd, h, &w));
	ASSERT_NE(0, w);
	return w;
}
#define WEAKREF(fd, h) t_weakref(_metadata, fd, h)

/*
 * A garbage ring of @len objects with one slot each (h[i].slot0 =
 * h[i + 1], the last back to the first), every handle closed: only a
 * collection frees it.
 */
static inline void t_ring(struct __test_metadata *_metadata, int fd, int len)
{
	uint32_t h[64];
	int i;

	ASSERT_LE(len, 64);
	for (i = 0; i < len; i++)
		h[i] = t_create(_metadata, fd, 0, 1, 0, 0, NULL);
	for (i = 0; i < len; i++)
		LINK(fd, h[i], 0, h[(i + 1) % len]);
	for (i = 0; i < len; i++)
		CLOSE(fd, h[i]);
}
#define RING(fd, len) t_ring(_metadata, fd, len)

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
#define OBJECTS(fd) (STATS(fd).objects)

/* ---- the collector ---- */

/* gc.collect(@gen): the unreachable objects it found. */
static inline uint64_t t_collect(struct __test_metadata *_metadata, int fd,
				 uint32_t gen)
{
	uint64_t n = 0;

	ASSERT_EQ(0, rs_gc_collect(fd, gen, &n));
	return n;
}
#define COLLECT(fd, gen) t_collect(_metadata, fd, gen)

/* A REFSTORE_IOC_GC_* command of one value: GC_VALUE(fd, GC_ISENABLED). */
static inline uint64_t t_gc_value(struct __test_metadata *_metadata, int fd,
				  unsigned long cmd, uint64_t in)
{
	uint64_t out = 0;

	ASSERT_EQ(0, rs_gc_value(fd, cmd, in, &out));
	return out;
}
#define GC_VALUE(fd, cmd) t_gc_value(_metadata, fd, REFSTORE_IOC_##cmd, 0)
#define GC_SET_DEBUG(fd, flags) \
	t_gc_value(_metadata, fd, REFSTORE_IOC_GC_SET_DEBUG, flags)
#define GC_SET_THRESHOLD(fd, t0, t1, t2) \
	ASSERT_EQ(0, rs_gc_set_threshold(fd, t0, t1, t2))

static inline struct refstore_gc_stats
t_gc_stats(struct __test_metadata *_metadata, int fd)
{
	struct refstore_gc_stats s;

	ASSERT_EQ(0, rs_gc_get_stats(fd, &s));
	return s;
}
#define GC_STATS(fd) t_gc_stats(_metadata, fd)

/*
 * Poll the heap until it has @want objects or the budget of @ms (times
 * t_slowness) is spent; return its last count.  For collections made by
 * the collector thread, which the caller has made due (or released).
 */
static inline uint64_t t_wait_objects(struct __test_metadata *_metadata,
				      int fd, uint64_t want, int ms)
{
	int64_t end = t_now_ms() + t_budget_ms(ms);
	uint64_t n;

	for (;;) {
		n = t_stats(_metadata, fd).objects;
		if (n == want || t_now_ms() >= end)
			return n;
		usleep(2000);
	}
}
#define WAIT_OBJECTS(fd, want, ms) t_wait_objects(_metadata, fd, want, ms)

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

/*
 * Everything a failing call must leave as it was: the heap's counters and
 * the collector's state (gc.isenabled(), get_debug(), get_threshold(),
 * get_count(), get_freeze_count(), get_stats() but for the pause times).
 */
struct t_state {
	struct refstore_heap_stats heap;
	uint64_t enabled, debug, frozen;
	struct refstore_gc_threshold threshold;
	struct refstore_gc_count count;
	struct refstore_gc_stats gc;
};

static inline struct t_state t_state(struct __test_metadata *_metadata,
				     int fd)
{
	struct t_state s = {
		.threshold.size = sizeof(s.threshold),
		.count.size = sizeof(s.count),
	};

	s.heap = t_stats(_metadata, fd);
	s.enabled = t_gc_value(_metadata, fd, REFSTORE_IOC_GC_ISENABLED, 0);
	s.debug = t_gc_value(_metadata, fd, REFSTORE_IOC_GC_GET_DEBUG, 0);
	s.frozen = t_gc_value(_metadata, fd,
			      REFSTORE_IOC_GC_GET_FREEZE_COUNT, 0);
	ASSERT_EQ(0, rs_ioctl(fd, REFSTORE_IOC_GC_GET_THRESHOLD, &s.threshold));
	ASSERT_EQ(0, rs_ioctl(fd, REFSTORE_IOC_GC_GET_COUNT, &s.count));
	s.gc = t_gc_stats(_metadata, fd);
	return s;
}
#define STATE(fd) t_state(_metadata, fd)

/* The collector's part of t_state only. */
static inline void t_gc_state_same(struct __test_metadata *_metadata, int fd,
				   const struct t_state *before,
				   const char *what)
{
	struct t_state now = t_state(_metadata, fd);
	int g;

	EXPECT_EQ(before->enabled, now.enabled) TH_LOG("%s: isenabled", what);
	EXPECT_EQ(before->debug, now.debug) TH_LOG("%s: debug", what);
	EXPECT_EQ(before->frozen, now.frozen) TH_LOG("%s: frozen", what);
	EXPECT_EQ(before->gc.garbage, now.gc.garbage)
		TH_LOG("%s: garbage", what);
	EXPECT_EQ(before->gc.examined, now.gc.examined)
		TH_LOG("%s: examined", what);
	EXPECT_EQ(before->gc.automatic, now.gc.automatic)
		TH_LOG("%s: automatic", what);
	for (g = 0; g < REFSTORE_GC_GENERATIONS; g++) {
		EXPECT_EQ(before->threshold.threshold[g],
			  now.threshold.threshold[g])
			TH_LOG("%s: threshold[%d]", what, g);
		EXPECT_EQ(before->count.count[g], now.count.count[g])
			TH_LOG("%s: count[%d]", what, g);
		EXPECT_EQ(before->gc.gen[g].collections,
			  now.gc.gen[g].collections)
			TH_LOG("%s: gen[%d].collections", what, g);
		EXPECT_EQ(before->gc.gen[g].collected, now.gc.gen[g].collected)
			TH_LOG("%s: gen[%d].collected", what, g);
		EXPECT_EQ(before->gc.gen[g].uncollectable,
			  now.gc.gen[g].uncollectable)
			TH_LOG("%s: gen[%d].uncollectable", what, g);
	}
}
#define GC_STATE_SAME(fd, before, what) \
	t_gc_state_same(_metadata, fd, before, what)

static inline void t_state_same(struct __test_metadata *_metadata, int fd,
				const struct t_state *before,
				const char *what)
{
	t_stats_same(_metadata, fd, &before->heap);
	t_gc_state_same(_metadata, fd, before, what);
}
#define STATE_SAME(fd, before, what) t_state_same(_metadata, fd, before, what)

/* ---- module-wide debugfs stats ---- */

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
 * Poll the global counter @key until it equals @want or the budget of @ms
 * (times t_slowness) is spent; return
 * its last value.  Heap teardown after the last close may be deferred, so
 * tests wait for it instead of sleeping a fixed time.
 */
static inline uint64_t t_wait_global(struct __test_metadata *_metadata,
				     const char *key, uint64_t want, int ms)
{
	int64_t end = t_now_ms() + t_budget_ms(ms);
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

/*
 * The module-wide counters a test that leaks nothing leaves as it found
 * them.  Without _metadata: usable in a child process or a sweep.
 */
struct t_globals {
	int64_t heaps, objects, bytes;
};

/* A module-wide counter, or -1 if the stats file cannot be read. */
static inline int64_t t_global_or_neg(const char *key)
{
	uint64_t v;

	return rs_debugfs_u64(RS_DEBUGFS_STATS, key, &v) ? -1 : (int64_t)v;
}

static inline struct t_globals t_globals_now(void)
{
	return (struct t_globals){ t_global_or_neg("heaps"),
				   t_global_or_neg("objects"),
				   t_global_or_neg("bytes") };
}

/*
 * Wait (budget @ms times t_slowness) until the counters equal @want: heap
 * teardown after the last close may be deferred.  Returns the last ones.
 */
static inline struct t_globals t_globals_wait(const struct t_globals *want,
					      int ms)
{
	int64_t end = t_now_ms() + t_budget_ms(ms);
	struct t_globals g;

	for (;;) {
		g = t_globals_now();
		if ((g.heaps == want->heaps && g.objects == want->objects &&
		     g.bytes == want->bytes) || t_now_ms() >= end)
			return g;
		usleep(2000);
	}
}

/* ---- gc_park: the collector's test knob (module loaded test_knobs=1) ---- */

#define RS_DEBUGFS_GC_PARK RS_DEBUGFS "/gc_park"

/*
 * gc_park: writing 1 makes the collector thread, when it next takes a
 * pending heap, hold its reference and park before locking it, until 0 is
 * written; writing 2 lets it go on with that heap and park on the next
 * one it takes (one step of the queue); reading it gives the id of the
 * heap the parked thread holds (0 if none).
 */
static inline int t_gc_park(bool on)
{
	return t_write_str(RS_DEBUGFS_GC_PARK, on ? "1" : "0");
}

static inline int t_gc_park_step(void)
{
	return t_write_str(RS_DEBUGFS_GC_PARK, "2");
}

static inline bool t_gc_park_present(void)
{
	return access(RS_DEBUGFS_GC_PARK, W_OK) == 0;
}

/*
 * Wait (budget @ms times t_slowness) until the parked collector holds the
 * heap @heap_id; return the id it holds at the end (0: none yet).
 */
static inline uint64_t t_wait_gc_parked(struct __test_metadata *_metadata,
					uint64_t heap_id, int ms)
{
	int64_t end = t_now_ms() + t_budget_ms(ms);
	uint64_t id = 0;

	for (;;) {
		ASSERT_EQ(0, rs_debugfs_read_u64(RS_DEBUGFS_GC_PARK, &id));
		if (id == heap_id || t_now_ms() >= end)
			return id;
		usleep(2000);
	}
}
#define WAIT_GC_PARKED(heap_id, ms) t_wait_gc_parked(_metadata, heap_id, ms)

#define RS_DEBUGFS_GC_IDLE RS_DEBUGFS "/gc_idle"

/*
 * gc_idle (test_knobs=1): a read blocks until the collector thread has no
 * heap queued or in hand, then gives "idle".
 */
static inline void t_wait_gc_idle(struct __test_metadata *_metadata)
{
	char buf[16] = "";
	int fd = open(RS_DEBUGFS_GC_IDLE, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	ASSERT_LE(0, fd) TH_LOG("%s: %s", RS_DEBUGFS_GC_IDLE, strerror(errno));
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	ASSERT_LT(0, n);
	ASSERT_STREQ("idle\n", buf);
}
#define WAIT_GC_IDLE() t_wait_gc_idle(_metadata)

/*
 * Unprivileged clients (quota.c, accounting.c, hardening.c): dropping to an unprivileged user in a forked child, the module's
 * writable parameters, /proc/meminfo and the debugfs "users" file.
 *
 * The suite runs as root in the guest; a test that needs an unprivileged
 * client forks, and the child drops every group and capability by
 * becoming uid/gid UNPRIV_UID (setgroups, setresgid, setresuid: a full
 * change of ids clears the capability sets). /dev/refstore is 0666, so the
 * child can open it; a site that ships it 0660 with a group would add that
 * group in unpriv_drop().
 */
#define UNPRIV_UID 1000
#define RS_PARAMS "/sys/module/refstore/parameters/"
#define RS_DEBUGFS_USERS RS_DEBUGFS "/users"

/* Become UNPRIV_UID with no groups and no capabilities: 0 or -errno. */
static inline int unpriv_drop(void)
{
	if (setgroups(0, NULL) || setresgid(UNPRIV_UID, UNPRIV_UID, UNPRIV_UID) ||
	    setresuid(UNPRIV_UID, UNPRIV_UID, UNPRIV_UID))
		return -errno;
	if (geteuid() != UNPRIV_UID)
		return -EPERM;
	return 0;
}

/* A module parameter's value: 0 or -errno. */
static inline int param_get(const char *name, uint64_t *val)
{
	char path[128];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), RS_PARAMS "%s", name);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	ok = fscanf(f, "%" SCNu64, val) == 1;
	fclose(f);
	return ok ? 0 : -EINVAL;
}

/* Set a (root-writable) module parameter: 0 or -errno. */
static inline int param_set(const char *name, uint64_t val)
{
	char path[128];
	FILE *f;
	int ret = 0;

	snprintf(path, sizeof(path), RS_PARAMS "%s", name);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	if (fprintf(f, "%" PRIu64 "\n", val) < 0)
		ret = -EIO;
	if (fclose(f))
		ret = -errno;
	return ret;
}

/* ---- the collector's time bound ---- */

/*
 * A heap's garbage is collected automatically at most GC_SET_DELAY ms
 * after the call that made it, the default coming from the module
 * parameter gc_delay_ms. A test that makes garbage and then looks at it
 * (COLLECT's count, GC_STATS, death events, a fault-injection sweep) must
 * not race that timer: T_HARNESS_MAIN sets the parameter to 0 before any
 * test runs, so every heap the suite opens has no time bound, and puts
 * the old value back at the end. gc_auto.c sets delays per heap.
 * t_gc_delay_param is the value found, -1 if it could not be read.
 */
static int64_t t_gc_delay_param = -1;

static inline void t_gc_delay_off(void)
{
	uint64_t v;
	int ret;

	if (param_get("gc_delay_ms", &v))
		return;
	t_gc_delay_param = v;
	ret = param_set("gc_delay_ms", 0);
	if (ret)
		LOG("gc_delay_ms: %s: collection timers stay on", strerror(-ret));
}

static inline void t_gc_delay_restore(void)
{
	if (t_gc_delay_param >= 0)
		param_set("gc_delay_ms", t_gc_delay_param);
}

#define T_HARNESS_MAIN							\
	static void __attribute__((constructor))			\
	__constructor_order_last(void)					\
	{								\
		if (!__constructor_order)				\
			__constructor_order = _CONSTRUCTOR_ORDER_BACKWARD; \
	}								\
	int main(int argc, char **argv)					\
	{								\
		int ret;						\
									\
		t_gc_delay_off();					\
		t_scale_timeouts();					\
		ret = test_harness_run(argc, argv);			\
		t_gc_delay_restore();					\
		return ret;						\
	}

/* A /proc/meminfo figure, in bytes (0 if absent). */
static inline uint64_t meminfo(const char *key)
{
	char line[256];
	size_t len = strlen(key);
	uint64_t kb = 0;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, len) && line[len] == ':') {
			kb = strtoull(line + len + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return kb * 1024;
}

/* Slab memory, reclaimable or not: the allocator's figure. */
static inline uint64_t slab_bytes(void)
{
	return meminfo("SReclaimable") + meminfo("SUnreclaim");
}

/*
 * What debugfs' users file says of @uid: 0 and its heaps and bytes (both
 * 0 for a user without heaps), or -errno if the file cannot be read.
 */
static inline int user_charge(unsigned int uid, uint64_t *heaps,
			      uint64_t *bytes)
{
	char line[256];
	unsigned int u;
	uint64_t h, b;
	FILE *f = fopen(RS_DEBUGFS_USERS, "r");

	if (!f)
		return -errno;
	*heaps = *bytes = 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%u %" SCNu64 " %" SCNu64, &u, &h, &b) == 3 &&
		    u == uid) {
			*heaps = h;
			*bytes = b;
		}
	}
	fclose(f);
	return 0;
}

#endif /* REFSTORE_SELFTESTS_COMMON_H */
