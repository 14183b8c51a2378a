// SPDX-License-Identifier: GPL-2.0
/*
 * refstore fail-nth selftests, after tools/testing/selftests/iommu/
 * iommufd_fail_nth.c: every ioctl, read() of events and open() of the
 * heap are run with their n-th fault point failing, n = 1, 2, ..., until
 * the call runs without reaching the armed fault.
 *
 * Two injectors, one fixture variant each:
 *  - module: the module's own /sys/kernel/debug/refstore/fail_nth (every
 *    kernel): fails the module's allocations and user copies;
 *  - kernel: the kernel's /proc/self/task/<tid>/fail-nth with failslab and
 *    fail_page_alloc (debug kernels only; skipped elsewhere).
 *
 * Every iteration runs on a fresh heap prepared without injection. A call
 * that fails must fail with ENOMEM or EFAULT, change nothing (HEAP_STATS
 * objects, bytes, handles, weak handles, pending events; plus what the
 * call itself would have changed), and leave the heap usable. After the
 * heap is closed, the module-wide debugfs stats (objects, bytes, heaps)
 * are back to where they were: nothing leaked. A fault injected inside the
 * XArray may be retried there, so a call can succeed with a fault
 * injected; the sweep ends only when the fail-nth file still reads
 * non-zero after the call (the fault point was never reached).
 *
 * Output: "# <CALL>: N fault points (F failed, A absorbed)" per call.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/refstore.h>

#include "kselftest_harness.h"
#include "librefstore.h"

#define DEV "/dev/refstore"
#define DBG "/sys/kernel/debug/refstore"
#define MOD_FAIL_NTH DBG "/fail_nth"
/* Bound of one sweep: far above any call's fault points. */
#define MAX_NTH 400

#define LOG(fmt, ...) do { printf("# " fmt "\n", ##__VA_ARGS__); \
			   fflush(stdout); } while (0)

static int rs(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

/* Module-wide "key: value" from debugfs stats; -1 if unreadable. */
static int64_t global_stat(const char *key)
{
	uint64_t v;

	return rs_debugfs_u64(DBG "/stats", key, &v) ? -1 : (int64_t)v;
}

struct globals {
	int64_t heaps, objects, bytes;
};

static struct globals globals_now(void)
{
	return (struct globals){ global_stat("heaps"), global_stat("objects"),
				 global_stat("bytes") };
}

/* Heap teardown may lag the close a little: wait up to 5 s. */
static struct globals globals_wait(const struct globals *want)
{
	struct globals g;
	int i;

	for (i = 0; i < 1000; i++) {
		g = globals_now();
		if (g.heaps == want->heaps && g.objects == want->objects &&
		    g.bytes == want->bytes)
			break;
		usleep(5000);
	}
	return g;
}

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -EIO;
}

/* ---- the state one iteration works on ---- */

struct st {
	int fd;			/* the heap, made without injection */
	uint32_t h[4];		/* handles prep made */
	uint32_t w;		/* a weak handle prep made */
	uint32_t out[4];	/* what the call returned */
	int newfd;		/* open(): the new heap */
	uint8_t buf[256];
};

#define PREP(name) static void prep_##name(struct __test_metadata *_metadata, \
					   struct st *st)
#define CALL(name) static int call_##name(struct st *st)
typedef void (*prep_t)(struct __test_metadata *, struct st *);
typedef int (*call_t)(struct st *);
/* Extra "unchanged" check after a failed call; snapshot taken by prep. */
typedef void (*same_t)(struct __test_metadata *, struct st *);

static uint32_t mk(struct __test_metadata *_metadata, int fd,
		   uint32_t payload, uint32_t nslots, uint64_t cookie)
{
	struct refstore_create c = {
		.size = sizeof(c), .payload_size = payload, .nslots = nslots,
		.flags = cookie ? REFSTORE_CREATE_NOTIFY : 0, .cookie = cookie,
	};

	EXPECT_EQ(0, rs(fd, REFSTORE_IOC_CREATE, &c));
	return c.handle;
}

static void link_slot(struct __test_metadata *_metadata, int fd, uint32_t h,
		      uint32_t slot, uint32_t target)
{
	struct refstore_set_slot s = { .size = sizeof(s), .handle = h,
				       .slot = slot, .target = target };

	EXPECT_EQ(0, rs(fd, REFSTORE_IOC_SET_SLOT, &s));
}

static void put(struct __test_metadata *_metadata, int fd, uint32_t h)
{
	struct refstore_close c = { .size = sizeof(c), .handle = h };

	EXPECT_EQ(0, rs(fd, REFSTORE_IOC_CLOSE, &c));
}

static struct refstore_heap_stats hstats(struct __test_metadata *_metadata,
					 int fd)
{
	struct refstore_heap_stats s = { .size = sizeof(s) };

	EXPECT_EQ(0, rs(fd, REFSTORE_IOC_HEAP_STATS, &s));
	return s;
}

static void gcval(struct __test_metadata *_metadata, int fd,
		  unsigned long cmd, uint64_t in)
{
	struct refstore_gc_value v = { .size = sizeof(v), .value = in };

	EXPECT_EQ(0, rs(fd, cmd, &v));
}

/* A garbage 2-cycle: both handles closed. */
static void cycle2(struct __test_metadata *_metadata, int fd)
{
	uint32_t a = mk(_metadata, fd, 0, 1, 0), b = mk(_metadata, fd, 0, 1, 0);

	link_slot(_metadata, fd, a, 0, b);
	link_slot(_metadata, fd, b, 0, a);
	put(_metadata, fd, a);
	put(_metadata, fd, b);
}

/* ---- fixture: the injector ---- */

FIXTURE(fail_nth) {
	int inj;		/* the fail-nth file (kept open: kernel) */
	bool kernel;
	struct globals base;
};

FIXTURE_VARIANT(fail_nth) {
	bool kernel;
};

FIXTURE_VARIANT_ADD(fail_nth, module) { .kernel = false };
FIXTURE_VARIANT_ADD(fail_nth, kernel) { .kernel = true };

FIXTURE_SETUP(fail_nth)
{
	static const char * const quiet[] = {
		"fail_usercopy", "fail_futex", "fail_function",
		"fail_make_request", "fail_io_timeout", "fail_mmc_request",
	};
	char path[64];
	unsigned int i;

	self->inj = -1;
	self->kernel = variant->kernel;
	if (variant->kernel) {
		snprintf(path, sizeof(path), "/proc/self/task/%ld/fail-nth",
			 (long)syscall(SYS_gettid));
		if (access(path, F_OK))
			SKIP(return, "kernel fail-nth absent (needs CONFIG_FAULT_INJECTION, failslab, fail_page_alloc: the debug kernel); the module injector covers this kernel");
		/*
		 * GFP_KERNEL allocations may fail too; quiet. User pages stay
		 * exempt (fail_page_alloc's ignore-gfp-highmem keeps its Y).
		 */
		ASSERT_EQ(0, write_str("/sys/kernel/debug/failslab/ignore-gfp-wait", "N"));
		ASSERT_EQ(0, write_str("/sys/kernel/debug/fail_page_alloc/ignore-gfp-wait", "N"));
		/*
		 * Every injector that counts fail-nth down prints a stack
		 * trace per failure unless quiet; those present must be.
		 */
		ASSERT_EQ(0, write_str("/sys/kernel/debug/failslab/verbose", "0"));
		ASSERT_EQ(0, write_str("/sys/kernel/debug/fail_page_alloc/verbose", "0"));
		for (i = 0; i < sizeof(quiet) / sizeof(quiet[0]); i++) {
			snprintf(path, sizeof(path), "/sys/kernel/debug/%s/verbose",
				 quiet[i]);
			if (!access(path, F_OK))
				ASSERT_EQ(0, write_str(path, "0"));
		}
		snprintf(path, sizeof(path), "/proc/self/task/%ld/fail-nth",
			 (long)syscall(SYS_gettid));
	} else {
		snprintf(path, sizeof(path), "%s", MOD_FAIL_NTH);
	}
	/* Opened once: opening it under injection would allocate. */
	self->inj = open(path, O_RDWR);
	ASSERT_LE(0, self->inj) TH_LOG("%s: %s", path, strerror(errno));
	self->base = globals_now();
	ASSERT_LE(0, self->base.objects) TH_LOG("no %s/stats", DBG);
}

static int arm(FIXTURE_DATA(fail_nth) *self, int n);

FIXTURE_TEARDOWN(fail_nth)
{
	if (self->inj >= 0) {
		arm(self, 0);
		close(self->inj);
	}
}

/*
 * The module's file is a debugfs attribute: not seekable, and a read at a
 * non-zero position continues the last one; so it is reopened each time
 * (opening it passes no fault point of the module). The kernel's
 * /proc/.../fail-nth is kept open: opening it would allocate.
 */
static int inj_fd(FIXTURE_DATA(fail_nth) *self, int flags)
{
	return self->kernel ? self->inj : open(MOD_FAIL_NTH, flags);
}

static void inj_done(FIXTURE_DATA(fail_nth) *self, int fd)
{
	if (!self->kernel && fd >= 0)
		close(fd);
}

static int arm(FIXTURE_DATA(fail_nth) *self, int n)
{
	char s[16];
	int len = snprintf(s, sizeof(s), "%d", n);
	int fd = inj_fd(self, O_WRONLY);
	int ret = pwrite(fd, s, len, 0) == len ? 0 : -errno;

	if (!self->kernel && ret == -ESPIPE)
		ret = write(fd, s, len) == len ? 0 : -errno;
	inj_done(self, fd);
	return ret;
}

static long armed_left(FIXTURE_DATA(fail_nth) *self)
{
	char s[32] = "";
	int fd = inj_fd(self, O_RDONLY);
	ssize_t n = self->kernel ? pread(fd, s, sizeof(s) - 1, 0) :
				   read(fd, s, sizeof(s) - 1);

	if (n < 0)
		n = -errno;
	inj_done(self, fd);
	/*
	 * fail_usercopy counts fail-nth down too: if reading the count back
	 * faulted, the read's own copy took the last count, so the call
	 * before it never reached the armed fault.
	 */
	if (self->kernel && n == -EFAULT)
		return 1;
	if (n <= 0)
		return n < 0 ? n : -EIO;
	s[n] = '\0';
	return strtol(s, NULL, 10);
}

static int open_heap(void)
{
	int fd = open(DEV, O_RDWR | O_NONBLOCK);
	struct refstore_gc_value v = { .size = sizeof(v) };
	/* A small event ring: kmalloc, never vmalloc (its failures warn). */
	struct refstore_limits l = { .size = sizeof(l), .max_events = 64 };

	if (fd < 0)
		return -errno;
	/* No collector thread changing the heap under the sweep. */
	if (rs(fd, REFSTORE_IOC_GC_DISABLE, &v) ||
	    rs(fd, REFSTORE_IOC_SET_LIMITS, &l)) {
		close(fd);
		return -EIO;
	}
	return fd;
}

/* The heap still works: an object can be made, written, read, closed. */
static void usable(struct __test_metadata *_metadata, int fd)
{
	uint64_t v = 0x5a5a1234, r = 0;
	uint32_t h = mk(_metadata, fd, 8, 1, 0);
	struct refstore_rw w = { .size = sizeof(w), .handle = h, .length = 8,
				 .data = (uintptr_t)&v };
	struct refstore_rw rd = w;

	rd.data = (uintptr_t)&r;
	EXPECT_EQ(0, rs(fd, REFSTORE_IOC_WRITE, &w));
	EXPECT_EQ(0, rs(fd, REFSTORE_IOC_READ, &rd));
	EXPECT_EQ(v, r);
	put(_metadata, fd, h);
}

/* Commands that take input only: no copy-out, no allocation. */
static bool input_only(const char *name)
{
	return !strcmp(name, "CLOSE") || !strcmp(name, "SET_SLOT") ||
	       !strcmp(name, "SET_LIMITS");
}

static void sweep(struct __test_metadata *_metadata,
		  FIXTURE_DATA(fail_nth) *self, bool kernel, const char *name,
		  prep_t prep, call_t call, same_t same)
{
	struct refstore_heap_stats before, after;
	int n, failed = 0, absorbed = 0, points = -1;
	struct globals g;
	long left;
	int ret;

	if (self->inj < 0)
		return;	/* skipped in setup */
	for (n = 1; n <= MAX_NTH; n++) {
		struct st st = { .newfd = -1 };

		st.fd = open_heap();
		ASSERT_LE(0, st.fd) TH_LOG("%s: open: %s", name, strerror(-st.fd));
		if (prep)
			prep(_metadata, &st);
		ASSERT_TRUE(_metadata->passed) TH_LOG("%s: prep failed", name);
		before = hstats(_metadata, st.fd);

		ASSERT_EQ(0, arm(self, n));
		ret = call(&st);
		left = armed_left(self);
		arm(self, 0);
		ASSERT_LE(0, left) TH_LOG("%s: fail-nth %d: reading it back: %s",
					  name, n, strerror(-left));

		if (ret) {
			ASSERT_EQ(0, left)
				TH_LOG("%s: fail-nth %d: failed with %s, no fault injected",
				       name, n, strerror(-ret));
			EXPECT_TRUE(ret == -ENOMEM || ret == -EFAULT)
				TH_LOG("%s: fail-nth %d: %s, want ENOMEM or EFAULT",
				       name, n, strerror(-ret));
			after = hstats(_metadata, st.fd);
			EXPECT_EQ(before.objects, after.objects)
				TH_LOG("%s: fail-nth %d (%s): objects changed",
				       name, n, strerror(-ret));
			EXPECT_EQ(before.bytes, after.bytes)
				TH_LOG("%s: fail-nth %d (%s): bytes changed",
				       name, n, strerror(-ret));
			EXPECT_EQ(before.handles, after.handles)
				TH_LOG("%s: fail-nth %d (%s): handles changed",
				       name, n, strerror(-ret));
			EXPECT_EQ(before.weak_handles, after.weak_handles)
				TH_LOG("%s: fail-nth %d (%s): weak handles changed",
				       name, n, strerror(-ret));
			EXPECT_EQ(before.events_pending, after.events_pending)
				TH_LOG("%s: fail-nth %d (%s): pending events changed",
				       name, n, strerror(-ret));
			if (same)
				same(_metadata, &st);
			failed++;
		} else if (!left) {
			absorbed++;	/* injected, retried inside, succeeded */
		} else {
			points = n - 1;
		}
		usable(_metadata, st.fd);
		if (st.newfd >= 0)
			close(st.newfd);
		close(st.fd);

		g = globals_wait(&self->base);
		EXPECT_EQ(self->base.heaps, g.heaps)
			TH_LOG("%s: fail-nth %d: heaps leaked", name, n);
		EXPECT_EQ(self->base.objects, g.objects)
			TH_LOG("%s: fail-nth %d: objects leaked", name, n);
		EXPECT_EQ(self->base.bytes, g.bytes)
			TH_LOG("%s: fail-nth %d: bytes leaked", name, n);
		if (!_metadata->passed || points >= 0)
			break;
	}
	if (!_metadata->passed)
		return;
	ASSERT_LE(0, points) TH_LOG("%s: still failing at fail-nth %d", name, n);
	LOG("%s: %d fault points (%d failed cleanly, %d absorbed)%s", name,
	    points, failed, absorbed, kernel ? " [kernel fail-nth]" : "");
	/*
	 * The module has a fault point on the way out of every call that
	 * reports something; calls that only take input (and allocate
	 * nothing) write nothing back, so they cannot fail once accepted.
	 */
	if (!kernel && input_only(name)) {
		EXPECT_EQ(0, points);
	} else if (!kernel) {
		EXPECT_LE(1, points);
	}
}

#define SWEEP(name, same) sweep(_metadata, self, variant->kernel, #name, \
				prep_##name, call_##name, same)

/* ---- the calls ---- */

#define prep_CREATE NULL
CALL(CREATE)
{
	struct refstore_create c = { .size = sizeof(c), .payload_size = 100,
				     .nslots = 2, .tag = 7 };
	int ret = rs(st->fd, REFSTORE_IOC_CREATE, &c);

	st->out[0] = c.handle;
	return ret;
}

#define prep_CREATE_NOTIFY NULL
CALL(CREATE_NOTIFY)
{
	struct refstore_create c = { .size = sizeof(c), .payload_size = 16,
				     .nslots = 1, .flags = REFSTORE_CREATE_NOTIFY,
				     .cookie = 0xc00c1e };

	return rs(st->fd, REFSTORE_IOC_CREATE, &c);
}

PREP(DUP) { st->h[0] = mk(_metadata, st->fd, 8, 1, 0); }
CALL(DUP)
{
	struct refstore_dup d = { .size = sizeof(d), .handle = st->h[0] };

	return rs(st->fd, REFSTORE_IOC_DUP, &d);
}

/* CLOSE of the last handle of a NOTIFY object: it dies, an event queues. */
PREP(CLOSE) { st->h[0] = mk(_metadata, st->fd, 8, 1, 42); }
CALL(CLOSE)
{
	struct refstore_close c = { .size = sizeof(c), .handle = st->h[0] };

	return rs(st->fd, REFSTORE_IOC_CLOSE, &c);
}

/* a.slot0 = b, b's only reference; emptying the slot frees b. */
PREP(SET_SLOT)
{
	st->h[0] = mk(_metadata, st->fd, 0, 1, 0);
	st->h[1] = mk(_metadata, st->fd, 0, 0, 0);
	link_slot(_metadata, st->fd, st->h[0], 0, st->h[1]);
	put(_metadata, st->fd, st->h[1]);
	st->h[2] = mk(_metadata, st->fd, 0, 0, 0);
}
CALL(SET_SLOT)
{
	struct refstore_set_slot s = { .size = sizeof(s), .handle = st->h[0],
				       .slot = 0, .target = st->h[2] };

	return rs(st->fd, REFSTORE_IOC_SET_SLOT, &s);
}

PREP(GET_SLOT)
{
	st->h[0] = mk(_metadata, st->fd, 0, 1, 0);
	st->h[1] = mk(_metadata, st->fd, 0, 0, 0);
	link_slot(_metadata, st->fd, st->h[0], 0, st->h[1]);
}
CALL(GET_SLOT)
{
	struct refstore_get_slot g = { .size = sizeof(g), .handle = st->h[0] };

	return rs(st->fd, REFSTORE_IOC_GET_SLOT, &g);
}

PREP(WRITE) { st->h[0] = mk(_metadata, st->fd, 200, 0, 0); }
CALL(WRITE)
{
	struct refstore_rw w = { .size = sizeof(w), .handle = st->h[0],
				 .length = 200, .data = (uintptr_t)st->buf };

	memset(st->buf, 0xab, sizeof(st->buf));
	return rs(st->fd, REFSTORE_IOC_WRITE, &w);
}
/* A failed WRITE left the payload as it was: zeros. */
static void same_WRITE(struct __test_metadata *_metadata, struct st *st)
{
	uint8_t got[200], zero[200] = { 0 };
	struct refstore_rw r = { .size = sizeof(r), .handle = st->h[0],
				 .length = 200, .data = (uintptr_t)got };

	EXPECT_EQ(0, rs(st->fd, REFSTORE_IOC_READ, &r));
	EXPECT_EQ(0, memcmp(got, zero, sizeof(got)))
		TH_LOG("WRITE failed but changed the payload");
}

PREP(READ) { st->h[0] = mk(_metadata, st->fd, 200, 0, 0); }
CALL(READ)
{
	struct refstore_rw r = { .size = sizeof(r), .handle = st->h[0],
				 .length = 200, .data = (uintptr_t)st->buf };

	return rs(st->fd, REFSTORE_IOC_READ, &r);
}

PREP(INFO) { st->h[0] = mk(_metadata, st->fd, 8, 2, 0); }
CALL(INFO)
{
	struct refstore_info i = { .size = sizeof(i), .handle = st->h[0] };

	return rs(st->fd, REFSTORE_IOC_INFO, &i);
}

/* The object's first weak handle: its weak list is made too. */
PREP(WEAKREF) { st->h[0] = mk(_metadata, st->fd, 8, 0, 0); }
CALL(WEAKREF)
{
	struct refstore_weakref w = { .size = sizeof(w), .handle = st->h[0] };

	return rs(st->fd, REFSTORE_IOC_WEAKREF, &w);
}

/* A second weak handle: the list exists. */
PREP(WEAKREF_2ND)
{
	struct refstore_weakref w = { .size = sizeof(w) };

	st->h[0] = mk(_metadata, st->fd, 8, 0, 0);
	w.handle = st->h[0];
	EXPECT_EQ(0, rs(st->fd, REFSTORE_IOC_WEAKREF, &w));
}
#define call_WEAKREF_2ND call_WEAKREF

PREP(UPGRADE)
{
	struct refstore_weakref w = { .size = sizeof(w) };

	st->h[0] = mk(_metadata, st->fd, 8, 0, 0);
	w.handle = st->h[0];
	EXPECT_EQ(0, rs(st->fd, REFSTORE_IOC_WEAKREF, &w));
	st->w = w.weak;
}
CALL(UPGRADE)
{
	struct refstore_upgrade u = { .size = sizeof(u), .weak = st->w };

	return rs(st->fd, REFSTORE_IOC_UPGRADE, &u);
}

#define prep_GET_LIMITS NULL
CALL(GET_LIMITS)
{
	struct refstore_limits l = { .size = sizeof(l) };

	return rs(st->fd, REFSTORE_IOC_GET_LIMITS, &l);
}

#define prep_SET_LIMITS NULL
CALL(SET_LIMITS)
{
	struct refstore_limits l = { .size = sizeof(l), .max_objects = 1000,
				     .max_slots = 10 };

	return rs(st->fd, REFSTORE_IOC_SET_LIMITS, &l);
}
/* A failed SET_LIMITS lowered nothing. */
static void same_SET_LIMITS(struct __test_metadata *_metadata, struct st *st)
{
	struct refstore_limits l = { .size = sizeof(l) };

	EXPECT_EQ(0, rs(st->fd, REFSTORE_IOC_GET_LIMITS, &l));
	EXPECT_NE(1000, l.max_objects) TH_LOG("SET_LIMITS failed but applied");
	EXPECT_NE(10, l.max_slots) TH_LOG("SET_LIMITS failed but applied");
}

#define prep_HEAP_STATS NULL
CALL(HEAP_STATS)
{
	struct refstore_heap_stats s = { .size = sizeof(s) };

	return rs(st->fd, REFSTORE_IOC_HEAP_STATS, &s);
}

/* A full collection with a garbage 2-cycle to free. */
PREP(GC_COLLECT) { cycle2(_metadata, st->fd); }
CALL(GC_COLLECT)
{
	struct refstore_gc_collect c = { .size = sizeof(c), .generation = 2 };

	return rs(st->fd, REFSTORE_IOC_GC_COLLECT, &c);
}

/* Two saved garbage objects (SAVEALL), handed out as two handles. */
PREP(GC_GARBAGE)
{
	struct refstore_gc_collect c = { .size = sizeof(c), .generation = 2 };

	gcval(_metadata, st->fd, REFSTORE_IOC_GC_SET_DEBUG,
	      REFSTORE_GC_DEBUG_SAVEALL);
	cycle2(_metadata, st->fd);
	EXPECT_EQ(0, rs(st->fd, REFSTORE_IOC_GC_COLLECT, &c));
	EXPECT_EQ(2, c.unreachable);
}
CALL(GC_GARBAGE)
{
	uint32_t *hs = (uint32_t *)st->buf;
	struct refstore_gc_garbage g = { .size = sizeof(g), .capacity = 4,
					 .handles = (uintptr_t)hs };

	return rs(st->fd, REFSTORE_IOC_GC_GARBAGE, &g);
}

/* read() of one pending death event. */
PREP(READ_EVENTS)
{
	put(_metadata, st->fd, mk(_metadata, st->fd, 0, 0, 77));
	EXPECT_EQ(1, hstats(_metadata, st->fd).events_pending);
}
CALL(READ_EVENTS)
{
	struct refstore_event ev[2];
	ssize_t n = read(st->fd, ev, sizeof(ev));

	if (n < 0)
		return -errno;
	return n == sizeof(ev[0]) && ev[0].cookie == 77 ? 0 : -EPROTO;
}

/* open(): a new heap; the prepared one is only watched. */
#define prep_OPEN NULL
CALL(OPEN)
{
	st->newfd = open(DEV, O_RDWR);
	return st->newfd < 0 ? -errno : 0;
}

TEST_F_TIMEOUT(fail_nth, create, 120) { SWEEP(CREATE, NULL); }
TEST_F_TIMEOUT(fail_nth, create_notify, 120) { SWEEP(CREATE_NOTIFY, NULL); }
TEST_F_TIMEOUT(fail_nth, dup, 120) { SWEEP(DUP, NULL); }
TEST_F_TIMEOUT(fail_nth, close, 120) { SWEEP(CLOSE, NULL); }
TEST_F_TIMEOUT(fail_nth, set_slot, 120) { SWEEP(SET_SLOT, NULL); }
TEST_F_TIMEOUT(fail_nth, get_slot, 120) { SWEEP(GET_SLOT, NULL); }
TEST_F_TIMEOUT(fail_nth, write, 120) { SWEEP(WRITE, same_WRITE); }
TEST_F_TIMEOUT(fail_nth, read, 120) { SWEEP(READ, NULL); }
TEST_F_TIMEOUT(fail_nth, info, 120) { SWEEP(INFO, NULL); }
TEST_F_TIMEOUT(fail_nth, weakref, 120) { SWEEP(WEAKREF, NULL); }
TEST_F_TIMEOUT(fail_nth, weakref_2nd, 120) { SWEEP(WEAKREF_2ND, NULL); }
TEST_F_TIMEOUT(fail_nth, upgrade, 120) { SWEEP(UPGRADE, NULL); }
TEST_F_TIMEOUT(fail_nth, get_limits, 120) { SWEEP(GET_LIMITS, NULL); }
TEST_F_TIMEOUT(fail_nth, set_limits, 120) { SWEEP(SET_LIMITS, same_SET_LIMITS); }
TEST_F_TIMEOUT(fail_nth, heap_stats, 120) { SWEEP(HEAP_STATS, NULL); }
TEST_F_TIMEOUT(fail_nth, gc_collect, 120) { SWEEP(GC_COLLECT, NULL); }
TEST_F_TIMEOUT(fail_nth, gc_garbage, 120) { SWEEP(GC_GARBAGE, NULL); }
TEST_F_TIMEOUT(fail_nth, read_events, 120) { SWEEP(READ_EVENTS, NULL); }
TEST_F_TIMEOUT(fail_nth, open, 120) { SWEEP(OPEN, NULL); }

/*
 * The same contract without fault injection: a real EFAULT on the way out
 * (the argument is readable but not writable) must change nothing either.
 * One per kind of call: one that makes a handle (undone by the module),
 * one that drops one, one that collects.
 */
FIXTURE(ro) {
	int fd;
	void *page;
};

FIXTURE_SETUP(ro)
{
	self->fd = open_heap();
	ASSERT_LE(0, self->fd);
	self->page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->page);
}

FIXTURE_TEARDOWN(ro)
{
	close(self->fd);
	munmap(self->page, 4096);
}

TEST_F(ro, create_undone)
{
	struct refstore_create *c = self->page;
	struct refstore_heap_stats b = hstats(_metadata, self->fd);

	*c = (struct refstore_create){ .size = sizeof(*c), .nslots = 1 };
	ASSERT_EQ(0, mprotect(self->page, 4096, PROT_READ));
	EXPECT_EQ(-EFAULT, rs(self->fd, REFSTORE_IOC_CREATE, c));
	EXPECT_EQ(b.objects, hstats(_metadata, self->fd).objects);
	EXPECT_EQ(b.handles, hstats(_metadata, self->fd).handles);
}

TEST_F(ro, close_unchanged)
{
	struct refstore_close *c = self->page;
	uint32_t h = mk(_metadata, self->fd, 0, 0, 0);
	struct refstore_heap_stats b = hstats(_metadata, self->fd);
	int ret;

	*c = (struct refstore_close){ .size = sizeof(*c), .handle = h };
	ASSERT_EQ(0, mprotect(self->page, 4096, PROT_READ));
	ret = rs(self->fd, REFSTORE_IOC_CLOSE, c);
	/* Either it worked (no output to write) or it changed nothing. */
	if (ret) {
		EXPECT_EQ(-EFAULT, ret);
		EXPECT_EQ(b.objects, hstats(_metadata, self->fd).objects)
			TH_LOG("CLOSE returned EFAULT but closed the handle");
		EXPECT_EQ(b.handles, hstats(_metadata, self->fd).handles);
	} else {
		EXPECT_EQ(b.objects - 1, hstats(_metadata, self->fd).objects);
	}
}

TEST_F(ro, gc_garbage_no_handle_left)
{
	struct refstore_gc_garbage *g = self->page;
	struct refstore_gc_collect c = { .size = sizeof(c), .generation = 2 };
	uint32_t hs[4];
	struct refstore_heap_stats b;

	gcval(_metadata, self->fd, REFSTORE_IOC_GC_SET_DEBUG,
	      REFSTORE_GC_DEBUG_SAVEALL);
	cycle2(_metadata, self->fd);
	ASSERT_EQ(0, rs(self->fd, REFSTORE_IOC_GC_COLLECT, &c));
	ASSERT_EQ(2, c.unreachable);
	b = hstats(_metadata, self->fd);
	*g = (struct refstore_gc_garbage){ .size = sizeof(*g), .capacity = 4,
					   .handles = (uintptr_t)hs };
	ASSERT_EQ(0, mprotect(self->page, 4096, PROT_READ));
	EXPECT_EQ(-EFAULT, rs(self->fd, REFSTORE_IOC_GC_GARBAGE, g));
	EXPECT_EQ(b.handles, hstats(_metadata, self->fd).handles)
		TH_LOG("GC_GARBAGE returned EFAULT but left its handles");
}

TEST_HARNESS_MAIN
