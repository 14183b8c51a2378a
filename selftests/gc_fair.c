// SPDX-License-Identifier: GPL-2.0
/*
 * The collector thread is fair: while an unprivileged user (uid
 * UNPRIV_UID, a forked child) hammers a large generation-2 heap with
 * suspects and collections, another heap's dropped cycle is collected
 * within the documented bound, delay + one round of the collector's queue
 * (docs/collector.md, "The time bound and the scheduling policy").
 *
 * The attacker: N objects in a chain, aged to generation 2 by a full
 * collection (so the long-lived rule holds back every later full one),
 * then every handle but the head's closed, so the N - 1 objects are
 * generation-2 suspects that every automatic collection walks; threshold
 * 0 at 1, delay 1 ms, and a loop of CREATE, CREATE (past the threshold:
 * a collection, in the attacker's own call), CLOSE, CLOSE, DUP and CLOSE
 * of the head (the timer: the thread's timed collections), and
 * a GC_COLLECT(0) of its own now and then (its lock taken, so the
 * thread's trylock fails).
 *
 * Two checks, neither of which depends on winning a timing window:
 *  - measured: the victim's cycle dies within delay + TURN + twice the
 *    attacker's longest collection, all times t_slowness (a generous
 *    budget from measured work: the bound allows one of the attacker's
 *    collections before the victim's, and its pause is measured);
 *    the latency is logged.
 *  - ordered (test knob gc_park, module loaded with test_knobs=1): the
 *    thread is parked holding the attacker's heap, the victim drops its
 *    cycle and the test waits until the victim's heap is queued (debugfs
 *    heaps/<id>/gc "queued"); one step of the thread (gc_park 2) must
 *    bring it to the victim's heap next, with at most one collection by
 *    the thread (debugfs gc thread_collections) in between, however hard
 *    the attacker works. That is "one round of the queue", by counters.
 * Over two windows of WINDOW automatic collections of the attacker's heap,
 * with its own GC_COLLECTs and without (only CREATEs and timer puts: the
 * cheapest way to make collections), the attacker's CPU time and the
 * collector thread's (both from /proc/<pid>/stat) are logged, with the
 * thread's collections: the threshold collections run in the attacker's
 * CREATEs, charged to it; the thread runs only the timed ones, at most one
 * per REFSTORE_GC_TIMED_SHARE (9) times the last one's pause
 * (docs/collector.md, "Who pays for automatic collection").
 */
#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "common.h"

/* The attacker's chain. */
#define N 50000
/* The victim's delay, ms. */
#define DELAY 100
/* The collector thread's turn after the delay, on the reference machine. */
#define TURN 1000
/* Automatic collections of the attacker's heap the CPU figures cover. */
#define WINDOW 100

FIXTURE(fair) {
	int fd;
	pid_t attacker;
	bool parked;
};

FIXTURE_SETUP(fair)
{
	self->attacker = -1;
	self->fd = rs_open(0);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(fair)
{
	if (self->parked)
		t_gc_park(false);
	if (self->attacker > 0) {
		kill(self->attacker, SIGKILL);
		waitpid(self->attacker, NULL, 0);
	}
	close(self->fd);
}

/*
 * The attacker, uid UNPRIV_UID; writes its heap's id to @out when ready.
 * It runs its own GC_COLLECT(0) every 16 rounds while *@own_collect.
 */
static void attacker(int out, volatile int *own_collect)
{
	struct refstore_heap_stats st = { .size = sizeof(st) };
	uint32_t *h = calloc(N, sizeof(*h));
	uint32_t a, b, d;
	uint64_t id;
	unsigned long i;
	int fd;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (!h || unpriv_drop())
		_exit(2);
	fd = rs_open(0);
	if (fd < 0)
		_exit(3);
	for (i = 0; i < N; i++) {
		if (rs_create(fd, 0, 1, 0, 0, 0, &h[i], NULL))
			_exit(4);
		if (i && rs_set_slot(fd, h[i - 1], 0, h[i]))
			_exit(5);
	}
	/* Everything to generation 2, long_lived_total = N. */
	if (rs_gc_collect(fd, 2, NULL))
		_exit(6);
	for (i = 1; i < N; i++)
		rs_close(fd, h[i]);
	if (rs_gc_set_threshold(fd, 1, 10, 10) ||
	    rs_gc_value(fd, REFSTORE_IOC_GC_SET_DELAY, 1, NULL) ||
	    rs_gc_value(fd, REFSTORE_IOC_GC_ENABLE, 0, NULL))
		_exit(7);
	if (rs_heap_stats(fd, &st))
		_exit(8);
	id = st.heap_id;
	if (write(out, &id, sizeof(id)) != sizeof(id))
		_exit(9);
	close(out);
	for (i = 0;; i++) {
		/* Count 0 goes 1, 2: the second CREATE is past threshold 1. */
		if (rs_create(fd, 0, 1, 0, 0, 0, &a, NULL))
			a = 0;
		if (!rs_create(fd, 0, 1, 0, 0, 0, &b, NULL))
			rs_close(fd, b);
		if (a)
			rs_close(fd, a);
		if (!rs_dup(fd, h[0], &d))
			rs_close(fd, d);
		if (*own_collect && !(i % 16))
			rs_gc_collect(fd, 0, NULL);
	}
}

static uint64_t heap_gc(struct __test_metadata *_metadata, uint64_t id,
			const char *key)
{
	char path[96];
	uint64_t v = 0;
	int ret;

	snprintf(path, sizeof(path), RS_DEBUGFS "/heaps/%llu/gc",
		 (unsigned long long)id);
	ret = rs_debugfs_u64(path, key, &v);
	EXPECT_EQ(0, ret) TH_LOG("%s %s: %s", path, key, strerror(-ret));
	return v;
}
#define HEAP_GC(id, key) heap_gc(_metadata, id, key)

/* A module-wide figure of debugfs gc. */
static uint64_t gc_module(struct __test_metadata *_metadata, const char *key)
{
	uint64_t v = 0;

	EXPECT_EQ(0, rs_debugfs_u64(RS_DEBUGFS "/gc", key, &v)) TH_LOG("%s", key);
	return v;
}

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

/* Wait (budget @ms, not scaled here) for @want cycle deaths; how many. */
static int cycle_deaths(struct __test_metadata *_metadata, int fd, int want,
			int64_t ms)
{
	int64_t end = t_now_ms() + ms;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct refstore_event ev[4];
	int got = 0, left;
	ssize_t n, i;

	while (got < want && (left = end - t_now_ms()) > 0) {
		if (poll(&p, 1, left) <= 0)
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

/* Wait (budget @ms times t_slowness) until heap @id's key reaches @want. */
static uint64_t wait_heap_gc(struct __test_metadata *_metadata, uint64_t id,
			     const char *key, uint64_t want, int ms)
{
	int64_t end = t_now_ms() + t_budget_ms(ms);
	uint64_t v;

	while ((v = HEAP_GC(id, key)) < want && t_now_ms() < end)
		usleep(2000);
	return v;
}

/* A task's user + system CPU time, ms, from /proc/<pid>/stat; -1 if gone. */
static int64_t cpu_ms(pid_t pid)
{
	unsigned long long ut, st;
	char path[64], buf[1024], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	/* After the comm: state, then fields 4..13, then utime and stime. */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
			 &ut, &st) != 2)
		return -1;
	return (ut + st) * 1000 / sysconf(_SC_CLK_TCK);
}

/* The collector thread's pid, by its name; -1 if not found. */
static pid_t collector_pid(void)
{
	char path[300], comm[32];
	struct dirent *d;
	pid_t pid = -1;
	DIR *dir = opendir("/proc");
	FILE *f;

	while (dir && pid < 0 && (d = readdir(dir))) {
		if (d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", d->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) && !strcmp(comm, "refstore_gc\n"))
			pid = atoi(d->d_name);
		fclose(f);
	}
	if (dir)
		closedir(dir);
	return pid;
}

TEST_F_TIMEOUT(fair, victim_collected_while_attacker_hammers, 300)
{
	uint64_t aid, vid = STATS(self->fd).heap_id, a0, a1, v0, pause_max;
	volatile int *own_collect = mmap(NULL, sizeof(int),
					 PROT_READ | PROT_WRITE,
					 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid_t gc_pid = collector_pid();
	int64_t t0, budget, lat;
	struct pollfd p;
	int pipefd[2];
	int w;

	ASSERT_LT(0, gc_pid) TH_LOG("no refstore_gc thread in /proc");

	ASSERT_NE(MAP_FAILED, own_collect);
	*own_collect = 1;
	ASSERT_EQ(0, pipe(pipefd));
	self->attacker = fork();
	ASSERT_LE(0, self->attacker);
	if (!self->attacker) {
		close(pipefd[0]);
		attacker(pipefd[1], own_collect);
	}
	close(pipefd[1]);
	p = (struct pollfd){ .fd = pipefd[0], .events = POLLIN };
	ASSERT_EQ(1, poll(&p, 1, t_budget_ms(60000)))
		TH_LOG("the attacker did not build its heap in time");
	ASSERT_EQ(sizeof(aid), read(pipefd[0], &aid, sizeof(aid)))
		TH_LOG("the attacker died while building its heap");
	close(pipefd[0]);

	/*
	 * The attack is under way: its heap was collected automatically 20
	 * times since it was built (the build's own are cheap).
	 */
	a0 = HEAP_GC(aid, "automatic") + 20;
	ASSERT_LE(a0, wait_heap_gc(_metadata, aid, "automatic", a0, 30000));

	/* Measured: the bound, with the attacker's own pauses in it. */
	pause_max = HEAP_GC(aid, "pause_max_ns");
	budget = t_budget_ms(DELAY + TURN + 2 * (pause_max / 1000000 + 1));
	ASSERT_EQ(0, rs_gc_value(self->fd, REFSTORE_IOC_GC_SET_DELAY, DELAY,
				 NULL));
	t0 = t_now_ms();
	drop_pair(_metadata, self->fd);
	ASSERT_EQ(2, cycle_deaths(_metadata, self->fd, 2, budget))
		TH_LOG("the victim's cycle was not collected within %lld ms",
		       (long long)budget);
	lat = t_now_ms() - t0;
	LOG("victim's cycle collected %lld ms after it was dropped (delay %d, budget %lld); attacker: %llu objects in generation 2, %llu automatic collections so far, longest %llu us",
	    (long long)lat, DELAY, (long long)budget, (unsigned long long)N,
	    (unsigned long long)HEAP_GC(aid, "automatic"),
	    (unsigned long long)pause_max / 1000);
	EXPECT_EQ(1, GC_STATS(self->fd).automatic);
	EXPECT_EQ(0, OBJECTS(self->fd));

	/* Ordered: one round of the queue, counted. */
	if (!t_gc_park_present()) {
		LOG("no %s (test_knobs=0): the ordered half is skipped",
		    RS_DEBUGFS_GC_PARK);
	} else {
		ASSERT_EQ(0, t_gc_park(true));
		self->parked = true;
		ASSERT_EQ(aid, WAIT_GC_PARKED(aid, 30000))
			TH_LOG("the thread never parked on the attacker's heap");
		drop_pair(_metadata, self->fd);
		ASSERT_EQ(1, wait_heap_gc(_metadata, vid, "queued", 1,
					  DELAY + TURN))
			TH_LOG("the victim's timer never queued it");
		v0 = GC_STATS(self->fd).automatic;
		a0 = gc_module(_metadata, "thread_collections");
		ASSERT_EQ(0, t_gc_park_step());
		ASSERT_EQ(vid, WAIT_GC_PARKED(vid, 30000))
			TH_LOG("after one step the thread did not take the victim's heap");
		a1 = gc_module(_metadata, "thread_collections");
		EXPECT_GE(a0 + 1, a1)
			TH_LOG("the thread collected %llu times before the victim's heap",
			       (unsigned long long)(a1 - a0));
		EXPECT_EQ(v0, GC_STATS(self->fd).automatic);
		ASSERT_EQ(0, t_gc_park(false));
		self->parked = false;
		ASSERT_EQ(2, cycle_deaths(_metadata, self->fd, 2,
					  t_budget_ms(TURN)));
		EXPECT_EQ(v0 + 1, GC_STATS(self->fd).automatic);
		LOG("ordered: the victim's heap came next after the attacker's (%llu collection(s) by the thread in between)",
		    (unsigned long long)(a1 - a0));
	}

	/* Who paid, over WINDOW collections, with own collections and not. */
	for (w = 0; w < 2; w++) {
		int64_t w0 = t_now_ms(), att0 = cpu_ms(self->attacker);
		int64_t gc0 = cpu_ms(gc_pid);
		uint64_t auto0 = HEAP_GC(aid, "automatic");
		uint64_t runs0 = gc_module(_metadata, "thread_collections");

		*own_collect = !w;
		a1 = wait_heap_gc(_metadata, aid, "automatic", auto0 + WINDOW,
				  60000);
		LOG("%s: over %lld ms the attacker used %lld ms of CPU, refstore_gc %lld ms (not charged to the attacker); %llu automatic collections of its heap, %llu of them (timed) by the thread",
		    w ? "creates only" : "creates and own collections",
		    (long long)(t_now_ms() - w0),
		    (long long)(cpu_ms(self->attacker) - att0),
		    (long long)(cpu_ms(gc_pid) - gc0),
		    (unsigned long long)(a1 - auto0),
		    (unsigned long long)(gc_module(_metadata,
						   "thread_collections") - runs0));
	}
}

/*
 * The thread's share is per user, not per heap: heap B's timer counts heap
 * A's last timed pause when both are charged to the same unprivileged user
 * (so opening more heaps does not buy more of the thread), and stops
 * counting it once A is closed. Counted by debugfs heaps/<id>/gc timed_ns
 * and user_timed_ns. Then a lower bound: A's timed collection of a RING
 * objects' ring took ta, so B's dropped cycle (B's own delay 1 ms) must
 * not get a timed collection of B before 9 * ta. A lower bound cannot fail by slowness:
 * a look after 9 * ta proves nothing and is logged, not failed.
 */
#define RING_LEN 50000

FIXTURE(share) {
	int a, b;
};

FIXTURE_SETUP(share)
{
	/* Real uid UNPRIV_UID, no effective capabilities, saved uid 0. */
	ASSERT_EQ(0, setresuid(UNPRIV_UID, UNPRIV_UID, 0));
	self->a = rs_open(0);
	self->b = rs_open(0);
	ASSERT_EQ(0, setresuid(0, 0, 0));
	ASSERT_LE(0, self->a);
	ASSERT_LE(0, self->b);
	ASSERT_EQ(0, rs_gc_set_threshold(self->a, 100000, 10, 10));
	ASSERT_EQ(0, rs_gc_set_threshold(self->b, 100000, 10, 10));
	/* A's delay is set once its ring is built: one timed collection. */
	ASSERT_EQ(0, rs_gc_value(self->a, REFSTORE_IOC_GC_SET_DELAY, 0, NULL));
	ASSERT_EQ(0, rs_gc_value(self->b, REFSTORE_IOC_GC_SET_DELAY, 1, NULL));
}

FIXTURE_TEARDOWN(share)
{
	if (self->a >= 0)
		close(self->a);
	close(self->b);
}

/* A garbage ring of @len one-slot objects in @fd: a timed collection's. */
static void big_ring(struct __test_metadata *_metadata, int fd, int len)
{
	uint32_t first, prev, h;
	int i;

	first = prev = CREATE(fd, 0, 1);
	for (i = 1; i < len; i++) {
		ASSERT_EQ(0, rs_create(fd, 0, 1, 0, 0, 0, &h, NULL));
		ASSERT_EQ(0, rs_set_slot(fd, prev, 0, h));
		if (prev != first)
			ASSERT_EQ(0, rs_close(fd, prev));
		prev = h;
	}
	LINK(fd, prev, 0, first);
	CLOSE(fd, prev);
	CLOSE(fd, first);
}

/*
 * A timed pause is all of the thread's work on the heap, not its scan
 * alone: the commit and the frees of what the collection released count
 * too. So the heap's timed figure holds at least the pause of its one
 * collection (pause_total_ns: its scan and commit under the lock), on a
 * machine of any speed.
 */
TEST_F_TIMEOUT(share, timed_pause_counts_commit_and_free, 300)
{
	uint64_t aid = STATS(self->a).heap_id, pause;

	big_ring(_metadata, self->a, RING_LEN / 5);
	ASSERT_EQ(0, rs_gc_value(self->a, REFSTORE_IOC_GC_SET_DELAY, 1, NULL));
	ASSERT_EQ(1, wait_heap_gc(_metadata, aid, "automatic", 1, 60000));
	EXPECT_EQ(0, OBJECTS(self->a));
	/* Its only collection: the thresholds made none due. */
	EXPECT_EQ(1, GC_STATS(self->a).gen[0].collections +
		     GC_STATS(self->a).gen[1].collections +
		     GC_STATS(self->a).gen[2].collections);
	pause = HEAP_GC(aid, "pause_total_ns");
	ASSERT_LT(0, pause);
	EXPECT_LE(pause, HEAP_GC(aid, "timed_ns"))
		TH_LOG("the commit (pause %llu ns) is not in the timed figure",
		       (unsigned long long)pause);
}

TEST_F_TIMEOUT(share, timed_share_counts_the_users_heaps, 300)
{
	uint64_t aid = STATS(self->a).heap_id, bid = STATS(self->b).heap_id;
	uint64_t ta, tb, wait_ms, uid = 0;
	int64_t t0, seen;
	char path[96];

	snprintf(path, sizeof(path), RS_DEBUGFS "/heaps/%llu/stats",
		 (unsigned long long)bid);
	ASSERT_EQ(0, rs_debugfs_u64(path, "uid", &uid));
	ASSERT_EQ(UNPRIV_UID, uid) TH_LOG("B is not charged to the user");

	/* A timed collection of A's ring, by the thread (SET_DELAY arms). */
	big_ring(_metadata, self->a, RING_LEN);
	EXPECT_EQ(0, GC_STATS(self->a).automatic);
	ASSERT_EQ(0, rs_gc_value(self->a, REFSTORE_IOC_GC_SET_DELAY, 1, NULL));
	ASSERT_EQ(1, wait_heap_gc(_metadata, aid, "automatic", 1, 60000));
	EXPECT_EQ(0, OBJECTS(self->a));
	ta = HEAP_GC(aid, "timed_ns");
	ASSERT_LT(0, ta);
	EXPECT_EQ(0, HEAP_GC(bid, "timed_ns"));
	EXPECT_LE(ta, HEAP_GC(bid, "user_timed_ns"))
		TH_LOG("B's user sum lacks A's pause %llu ns",
		       (unsigned long long)ta);
	EXPECT_EQ(HEAP_GC(aid, "user_timed_ns"),
		  HEAP_GC(bid, "user_timed_ns"));

	/* B's own delay is 1 ms; its user's share asks for 9 * ta. */
	wait_ms = 9 * ta / 1000000;
	if (access(RS_DEBUGFS_GC_IDLE, R_OK)) {
		LOG("no gc_idle (test_knobs=0): the lower bound is skipped");
	} else if (wait_ms < 40) {
		LOG("A's timed pause was %llu ns: too short to look inside 9 times it",
		    (unsigned long long)ta);
	} else {
		/* The thread frees A's ring after its collection: wait. */
		WAIT_GC_IDLE();
		t0 = t_now_ms();
		drop_pair(_metadata, self->b);
		usleep(wait_ms * 1000 / 2);
		seen = t_now_ms() - t0;
		if (HEAP_GC(bid, "automatic")) {
			/* Collected: only wrong if we looked early enough. */
			EXPECT_LE((int64_t)wait_ms - 20, seen)
				TH_LOG("the thread collected B within %lld ms; the user's share allows it after %llu ms",
				       (long long)seen,
				       (unsigned long long)wait_ms);
		} else {
			LOG("B not collected %lld ms after its cycle's drop (the user's share: %llu ms)",
			    (long long)seen, (unsigned long long)wait_ms);
		}
		ASSERT_EQ(2, cycle_deaths(_metadata, self->b, 2,
					  t_budget_ms(wait_ms + 30000)));
	}

	/* Closing A takes its pause out of the sum. */
	tb = HEAP_GC(bid, "timed_ns");
	close(self->a);
	self->a = -1;
	EXPECT_EQ(tb, HEAP_GC(bid, "user_timed_ns"));
}

T_HARNESS_MAIN
