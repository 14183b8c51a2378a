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
#include <sys/mman.h>
#include <sys/syscall.h>

#include "common.h"
#include "commands.h"

#define MOD_FAIL_NTH RS_DEBUGFS "/fail_nth"
/* Bound of one sweep: far above any call's fault points. */
#define MAX_NTH 400

/* ---- the state one iteration works on ---- */

struct st {
	struct t_call c;	/* the heap, made without injection; its call */
	int newfd;		/* open(): the new heap */
};

typedef void (*prep_t)(struct __test_metadata *, struct st *);
typedef int (*call_t)(struct st *);
/* Extra "unchanged" check after a failed call; snapshot taken by prep. */
typedef void (*same_t)(struct __test_metadata *, struct st *);

/*
 * What one sweep runs: a command of the table (its builder prepares, the
 * ioctl is the call), or a prep and a call of its own (read(), open(),
 * variants of a command).
 */
struct sweep_case {
	const char *name;
	const struct t_cmd *cmd;
	prep_t prep;
	call_t call;
	same_t same;
};

/* ---- fixture: the injector ---- */

FIXTURE(fail_nth) {
	int inj;		/* the fail-nth file (kept open: kernel) */
	bool kernel;
	struct t_globals base;
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
		ASSERT_EQ(0, t_write_str("/sys/kernel/debug/failslab/ignore-gfp-wait", "N"));
		ASSERT_EQ(0, t_write_str("/sys/kernel/debug/fail_page_alloc/ignore-gfp-wait", "N"));
		/*
		 * Every injector that counts fail-nth down prints a stack
		 * trace per failure unless quiet; those present must be.
		 */
		ASSERT_EQ(0, t_write_str("/sys/kernel/debug/failslab/verbose", "0"));
		ASSERT_EQ(0, t_write_str("/sys/kernel/debug/fail_page_alloc/verbose", "0"));
		for (i = 0; i < sizeof(quiet) / sizeof(quiet[0]); i++) {
			snprintf(path, sizeof(path), "/sys/kernel/debug/%s/verbose",
				 quiet[i]);
			if (!access(path, F_OK))
				ASSERT_EQ(0, t_write_str(path, "0"));
		}
		snprintf(path, sizeof(path), "/proc/self/task/%ld/fail-nth",
			 (long)syscall(SYS_gettid));
	} else {
		snprintf(path, sizeof(path), "%s", MOD_FAIL_NTH);
	}
	/* Opened once: opening it under injection would allocate. */
	self->inj = open(path, O_RDWR);
	ASSERT_LE(0, self->inj) TH_LOG("%s: %s", path, strerror(errno));
	self->base = t_globals_now();
	ASSERT_LE(0, self->base.objects) TH_LOG("no %s", RS_DEBUGFS_STATS);
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
	int fd = rs_open(O_NONBLOCK);
	/* A small event ring: kmalloc, never vmalloc (its failures warn). */
	struct refstore_limits l = { .size = sizeof(l), .max_events = 64 };

	if (fd < 0)
		return fd;
	/* No collector thread changing the heap under the sweep. */
	if (rs_gc_value(fd, REFSTORE_IOC_GC_DISABLE, 0, NULL) ||
	    rs_set_limits(fd, &l)) {
		close(fd);
		return -EIO;
	}
	return fd;
}

/* The heap still works: an object can be made, written, read, closed. */
static void usable(struct __test_metadata *_metadata, int fd)
{
	uint64_t v = 0x5a5a1234, r = 0;
	uint32_t h = CREATE(fd, 8, 1);

	EXPECT_EQ(0, rs_write(fd, h, 0, &v, sizeof(v)));
	EXPECT_EQ(0, rs_read(fd, h, 0, &r, sizeof(r)));
	EXPECT_EQ(v, r);
	CLOSE(fd, h);
}

/*
 * Commands that take input only and allocate nothing: no fault point once
 * accepted.  WRITE and READ write no structure back but allocate their
 * bounce buffer, and READ copies the payload out; TAG_NAME copies its name
 * in and may allocate the heap's tag table.
 */
static bool cannot_fail(const struct sweep_case *sc)
{
	return sc->cmd && !sc->cmd->writes_back &&
	       sc->cmd->cmd != REFSTORE_IOC_WRITE &&
	       sc->cmd->cmd != REFSTORE_IOC_READ &&
	       sc->cmd->cmd != REFSTORE_IOC_TAG_NAME;
}

static int call_cmd(const struct sweep_case *sc, struct st *st)
{
	return sc->cmd ? rs_ioctl(st->c.fd, sc->cmd->cmd, st->c.arg.bytes) :
			 sc->call(st);
}

static void sweep(struct __test_metadata *_metadata,
		  FIXTURE_DATA(fail_nth) *self, bool kernel,
		  const struct sweep_case *sc)
{
	const char *name = sc->name;
	struct refstore_heap_stats after;
	int n, failed = 0, absorbed = 0, points = -1;
	struct t_state before;
	struct t_globals g;
	char what[64];
	long left;
	int ret;

	if (self->inj < 0)
		return;	/* skipped in setup */
	for (n = 1; n <= MAX_NTH; n++) {
		struct st st = { .newfd = -1 };

		st.c.fd = open_heap();
		ASSERT_LE(0, st.c.fd) TH_LOG("%s: open: %s", name,
					     strerror(-st.c.fd));
		if (sc->cmd)
			sc->cmd->build(_metadata, &st.c);
		else if (sc->prep)
			sc->prep(_metadata, &st);
		ASSERT_TRUE(_metadata->passed) TH_LOG("%s: prep failed", name);
		before = STATE(st.c.fd);

		ASSERT_EQ(0, arm(self, n));
		ret = call_cmd(sc, &st);
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
			after = STATS(st.c.fd);
			EXPECT_EQ(before.heap.objects, after.objects)
				TH_LOG("%s: fail-nth %d (%s): objects changed",
				       name, n, strerror(-ret));
			EXPECT_EQ(before.heap.bytes, after.bytes)
				TH_LOG("%s: fail-nth %d (%s): bytes changed",
				       name, n, strerror(-ret));
			EXPECT_EQ(before.heap.handles, after.handles)
				TH_LOG("%s: fail-nth %d (%s): handles changed",
				       name, n, strerror(-ret));
			EXPECT_EQ(before.heap.weak_handles, after.weak_handles)
				TH_LOG("%s: fail-nth %d (%s): weak handles changed",
				       name, n, strerror(-ret));
			EXPECT_EQ(before.heap.events_pending,
				  after.events_pending)
				TH_LOG("%s: fail-nth %d (%s): pending events changed",
				       name, n, strerror(-ret));
			/* The collector's state too: nothing committed. */
			snprintf(what, sizeof(what), "%s: fail-nth %d (%s)",
				 name, n, strerror(-ret));
			GC_STATE_SAME(st.c.fd, &before, what);
			if (sc->same)
				sc->same(_metadata, &st);
			failed++;
		} else if (!left) {
			absorbed++;	/* injected, retried inside, succeeded */
		} else {
			points = n - 1;
		}
		usable(_metadata, st.c.fd);
		if (st.newfd >= 0)
			close(st.newfd);
		close(st.c.fd);

		g = t_globals_wait(&self->base, 5000);
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
	if (!kernel && cannot_fail(sc)) {
		EXPECT_EQ(0, points);
	} else if (!kernel) {
		EXPECT_LE(1, points);
	}
}

/* ---- the calls ---- */

/* A failed WRITE left the payload as it was: zeros. */
static void check_WRITE(struct __test_metadata *_metadata, struct st *st)
{
	uint8_t got[200], zero[200] = { 0 };

	EXPECT_EQ(0, rs_read(st->c.fd, st->c.h[0], 0, got, sizeof(got)));
	EXPECT_EQ(0, memcmp(got, zero, sizeof(got)))
		TH_LOG("WRITE failed but changed the payload");
}

/* A failed SET_LIMITS lowered nothing. */
static void check_SET_LIMITS(struct __test_metadata *_metadata, struct st *st)
{
	struct refstore_limits l;

	EXPECT_EQ(0, rs_get_limits(st->c.fd, &l));
	EXPECT_NE(1000, l.max_objects) TH_LOG("SET_LIMITS failed but applied");
	EXPECT_NE(10, l.max_slots) TH_LOG("SET_LIMITS failed but applied");
}

/* Extra checks after a failed call, by command (most have none). */
static same_t same_for(enum t_cmd_index i)
{
	switch (i) {
	case T_CMD_WRITE:
		return check_WRITE;
	case T_CMD_SET_LIMITS:
		return check_SET_LIMITS;
	default:
		return NULL;
	}
}

/* Every command of the table, from its builder: fail_nth.<variant>.<cmd>. */
#define SWEEP_CMD(NAME, tname, type, last, out)				\
	TEST_F_TIMEOUT(fail_nth, tname, 120)				\
	{								\
		struct sweep_case sc = {				\
			.name = #NAME, .cmd = &t_cmds[T_CMD_##NAME],	\
			.same = same_for(T_CMD_##NAME),			\
		};							\
		sweep(_metadata, self, variant->kernel, &sc);		\
	}
T_COMMANDS(SWEEP_CMD)

/* Cases beyond the table: other variants of a command, read(), open(). */
#define SWEEP_EXTRA(NAME, tname, same_fn)				\
	TEST_F_TIMEOUT(fail_nth, tname, 120)				\
	{								\
		struct sweep_case sc = {				\
			.name = #NAME, .prep = prep_##NAME,		\
			.call = call_##NAME, .same = same_fn,		\
		};							\
		sweep(_metadata, self, variant->kernel, &sc);		\
	}
#define PREP(name) static void prep_##name(struct __test_metadata *_metadata, \
					   struct st *st)
#define CALL(name) static int call_##name(struct st *st)

/* CREATE of an object with a death event. */
#define prep_CREATE_NOTIFY NULL
CALL(CREATE_NOTIFY)
{
	return rs_create(st->c.fd, 16, 1, REFSTORE_CREATE_NOTIFY, 0, 0xc00c1e,
			 NULL, NULL);
}

/*
 * CREATE of an object whose head is a kvzalloc() (12 slots and a payload:
 * more than the caches' 64 bytes after the header) and whose cookie and
 * payload are a second allocation.
 */
#define prep_CREATE_BIG NULL
CALL(CREATE_BIG)
{
	return rs_create(st->c.fd, 100, 12, REFSTORE_CREATE_NOTIFY, 0, 0xb16,
			 NULL, NULL);
}

/* A second weak handle: the object's weak list exists. */
PREP(WEAKREF_2ND)
{
	t_cmds[T_CMD_WEAKREF].build(_metadata, &st->c);
	WEAKREF(st->c.fd, st->c.h[0]);
}
CALL(WEAKREF_2ND)
{
	return rs_ioctl(st->c.fd, REFSTORE_IOC_WEAKREF, st->c.arg.bytes);
}

/* read() of one pending death event. */
PREP(READ_EVENTS)
{
	CLOSE(st->c.fd, CREATE_COOKIE(st->c.fd, 0, 0, 77));
	EXPECT_EQ(1, STATS(st->c.fd).events_pending);
}
CALL(READ_EVENTS)
{
	struct refstore_event ev[2];
	ssize_t n = read(st->c.fd, ev, sizeof(ev));

	if (n < 0)
		return -errno;
	return n == sizeof(ev[0]) && ev[0].cookie == 77 ? 0 : -EPROTO;
}

/* open(): a new heap; the prepared one is only watched. */
#define prep_OPEN NULL
CALL(OPEN)
{
	st->newfd = open(RS_DEVICE, O_RDWR);
	return st->newfd < 0 ? -errno : 0;
}

/* A's first weak slot to B: B's weak list is made too. */
PREP(SET_SLOT_WEAK)
{
	st->c.h[0] = CREATE(st->c.fd, 0, 1);
	st->c.h[1] = CREATE(st->c.fd, 0, 0);
}
CALL(SET_SLOT_WEAK)
{
	return rs_set_slot_weak(st->c.fd, st->c.h[0], 0, st->c.h[1]);
}

/* A failed weak SET_SLOT left the slot empty. */
static void check_SET_SLOT_WEAK(struct __test_metadata *_metadata,
				struct st *st)
{
	uint32_t t = 1;
	uint64_t n = 1;

	EXPECT_EQ(0, rs_get_slot(st->c.fd, st->c.h[0], 0, &t, NULL));
	EXPECT_EQ(0, t) TH_LOG("weak SET_SLOT failed but stored");
	EXPECT_EQ(0, rs_weakref_count(st->c.fd, st->c.h[1], &n, NULL, NULL));
	EXPECT_EQ(0, n);
}

/* A weak handle with a callback: the event ring grows for it. */
PREP(WEAKREF_CALLBACK)
{
	st->c.h[0] = CREATE(st->c.fd, 8, 0);
}
CALL(WEAKREF_CALLBACK)
{
	return rs_weakref_ex(st->c.fd, st->c.h[0], REFSTORE_WEAKREF_CALLBACK,
			     0xca11, NULL);
}

/* Its object's death: no callback from a failed WEAKREF. */
static void check_WEAKREF_CALLBACK(struct __test_metadata *_metadata,
				   struct st *st)
{
	uint64_t n = 1;

	EXPECT_EQ(0, rs_weakref_count(st->c.fd, st->c.h[0], &n, NULL, NULL));
	EXPECT_EQ(0, n);
	CLOSE(st->c.fd, st->c.h[0]);
	EXPECT_EQ(0, STATS(st->c.fd).events_pending)
		TH_LOG("a failed WEAKREF left a callback");
	st->c.h[0] = CREATE(st->c.fd, 8, 0);
}

SWEEP_EXTRA(CREATE_NOTIFY, create_notify, NULL)
SWEEP_EXTRA(CREATE_BIG, create_big, NULL)
SWEEP_EXTRA(SET_SLOT_WEAK, set_slot_weak, check_SET_SLOT_WEAK)
SWEEP_EXTRA(WEAKREF_CALLBACK, weakref_callback, check_WEAKREF_CALLBACK)
SWEEP_EXTRA(WEAKREF_2ND, weakref_2nd, NULL)
SWEEP_EXTRA(READ_EVENTS, read_events, NULL)
SWEEP_EXTRA(OPEN, open, NULL)

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
	struct refstore_heap_stats b = STATS(self->fd);

	*c = (struct refstore_create){ .size = sizeof(*c), .nslots = 1 };
	ASSERT_EQ(0, mprotect(self->page, 4096, PROT_READ));
	EXPECT_EQ(-EFAULT, rs_ioctl(self->fd, REFSTORE_IOC_CREATE, c));
	EXPECT_EQ(b.objects, STATS(self->fd).objects);
	EXPECT_EQ(b.handles, STATS(self->fd).handles);
}

TEST_F(ro, close_unchanged)
{
	struct refstore_close *c = self->page;
	uint32_t h = CREATE(self->fd, 0, 0);
	struct refstore_heap_stats b = STATS(self->fd);
	int ret;

	*c = (struct refstore_close){ .size = sizeof(*c), .handle = h };
	ASSERT_EQ(0, mprotect(self->page, 4096, PROT_READ));
	ret = rs_ioctl(self->fd, REFSTORE_IOC_CLOSE, c);
	/* Either it worked (no output to write) or it changed nothing. */
	if (ret) {
		EXPECT_EQ(-EFAULT, ret);
		EXPECT_EQ(b.objects, STATS(self->fd).objects)
			TH_LOG("CLOSE returned EFAULT but closed the handle");
		EXPECT_EQ(b.handles, STATS(self->fd).handles);
	} else {
		EXPECT_EQ(b.objects - 1, STATS(self->fd).objects);
	}
}

TEST_F(ro, gc_garbage_no_handle_left)
{
	struct refstore_gc_garbage *g = self->page;
	uint32_t hs[4];
	struct refstore_heap_stats b;

	t_saved_ring(_metadata, self->fd);
	b = STATS(self->fd);
	*g = (struct refstore_gc_garbage){ .size = sizeof(*g), .capacity = 4,
					   .handles = (uintptr_t)hs };
	ASSERT_EQ(0, mprotect(self->page, 4096, PROT_READ));
	EXPECT_EQ(-EFAULT, rs_ioctl(self->fd, REFSTORE_IOC_GC_GARBAGE, g));
	EXPECT_EQ(b.handles, STATS(self->fd).handles)
		TH_LOG("GC_GARBAGE returned EFAULT but left its handles");
}

T_HARNESS_MAIN
