// SPDX-License-Identifier: GPL-2.0
/*
 * refstore stress selftests: threads mixing every call on one heap and on
 * several heaps, with automatic collection at low thresholds and explicit
 * collections; processes sharing a heap killed with SIGKILL at random
 * points (mid-call, mid-blocking-read()).
 *
 * Afterwards the counters must add up: the heap's strong and weak handle
 * counts equal the handles the workers hold, and once they are closed and
 * a full collection has run the heap has no object and no byte left; when
 * the heaps are closed, the module-wide debugfs stats are back to where
 * they were.
 *
 * Sized by operations, never by wall time: STRESS_OPS calls per thread
 * (default 15000) and STRESS_ROUNDS rounds of kills (default 12); the
 * harness timeout scales with the machine (common.h's time budget).
 * Prints threads x ops and kills.
 */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>

#include "common.h"

#define NSTRONG 48
#define NWEAK 16
#define MAXHEAPS 4
#define ROOT_SLOTS 16

static long env_long(const char *name, long def)
{
	const char *v = getenv(name);

	return v && *v ? strtol(v, NULL, 0) : def;
}

/* Calls per worker thread. */
static long thread_ops(void)
{
	return env_long("STRESS_OPS", 15000);
}

/* Rounds of fork_sigkill: four processes forked and killed in each. */
static long kill_rounds(void)
{
	return env_long("STRESS_ROUNDS", 12);
}

/* Wait (budget 10 s) for a module-wide counter to reach @want. */
static int64_t global_wait(const char *key, int64_t want)
{
	int64_t end = t_now_ms() + t_budget_ms(10000);
	int64_t v;

	for (;;) {
		v = t_global_or_neg(key);
		if (v == want || t_now_ms() >= end)
			return v;
		usleep(2000);
	}
}

static uint64_t xs(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/* ---- a worker's view of one heap ---- */

struct hview {
	int fd;
	uint32_t root;		/* shared object with ROOT_SLOTS slots */
	uint32_t strong[NSTRONG];
	uint32_t weak[NWEAK];
	int ns, nw;
};

struct worker {
	struct hview hv[MAXHEAPS];
	int nheaps;
	uint64_t seed;
	long ops, unexpected, last_err, last_op;
	bool gc_master;		/* toggles SAVEALL, takes garbage */
	atomic_bool *stop;
};

static void add_strong(struct hview *v, uint32_t h, uint64_t *seed)
{
	struct refstore_close c = { .size = sizeof(c) };

	if (!h)
		return;
	if (v->ns == NSTRONG) {
		int i = xs(seed) % NSTRONG;

		c.handle = v->strong[i];
		ioctl(v->fd, REFSTORE_IOC_CLOSE, &c);
		v->strong[i] = h;
		return;
	}
	v->strong[v->ns++] = h;
}

static uint32_t pick(uint32_t *a, int n, uint64_t *seed)
{
	return n ? a[xs(seed) % n] : 0;
}

static uint32_t take(uint32_t *a, int *n, uint64_t *seed)
{
	int i;
	uint32_t h;

	if (!*n)
		return 0;
	i = xs(seed) % *n;
	h = a[i];
	a[i] = a[--*n];
	return h;
}

/* One random operation; returns 0 or the unexpected -errno. */
static int one_op(struct worker *w)
{
	uint64_t r = xs(&w->seed);
	struct hview *v = &w->hv[r % w->nheaps];
	int op = (r >> 8) % 20, ret = 0, fd = v->fd;
	uint8_t buf[64];
	uint32_t h = pick(v->strong, v->ns, &w->seed);

	w->last_op = op;
	switch (op) {
	case 0: case 1: case 2: {
		struct refstore_create c = {
			.size = sizeof(c), .payload_size = r >> 20 & 63,
			.nslots = r >> 26 & 3, .tag = r,
		};
		if (!(r >> 30 & 3)) {
			c.flags = REFSTORE_CREATE_NOTIFY;
			c.cookie = r | 1;
		}
		ret = rs_ioctl(fd, REFSTORE_IOC_CREATE, &c);
		if (!ret)
			add_strong(v, c.handle, &w->seed);
		break;
	}
	case 3: {
		struct refstore_dup d = { .size = sizeof(d), .handle = h };

		if (!h)
			break;
		ret = rs_ioctl(fd, REFSTORE_IOC_DUP, &d);
		if (!ret)
			add_strong(v, d.new_handle, &w->seed);
		break;
	}
	case 4: case 5: {
		struct refstore_close c = { .size = sizeof(c) };

		c.handle = op == 4 ? take(v->strong, &v->ns, &w->seed) :
				     take(v->weak, &v->nw, &w->seed);
		if (c.handle)
			ret = rs_ioctl(fd, REFSTORE_IOC_CLOSE, &c);
		break;
	}
	case 6: case 7: {
		/* Own object's slot, or the shared root's, to own or root. */
		struct refstore_set_slot s = { .size = sizeof(s) };
		struct refstore_info i = { .size = sizeof(i), .handle = h };

		if (!h)
			break;
		if (op == 7) {
			s.handle = v->root;
			s.slot = r >> 24 & (ROOT_SLOTS - 1);
			s.target = r >> 40 & 1 ? h : 0;
		} else {
			ret = rs_ioctl(fd, REFSTORE_IOC_INFO, &i);
			if (ret || !i.nslots)
				break;
			s.handle = h;
			s.slot = (r >> 24) % i.nslots;
			s.target = r >> 40 & 1 ? pick(v->strong, v->ns, &w->seed) :
						 v->root;
		}
		ret = rs_ioctl(fd, REFSTORE_IOC_SET_SLOT, &s);
		break;
	}
	case 8: case 9: {
		struct refstore_get_slot g = { .size = sizeof(g) };
		struct refstore_info i = { .size = sizeof(i), .handle = h };

		if (op == 9 || !h) {
			g.handle = v->root;
			g.slot = r >> 24 & (ROOT_SLOTS - 1);
		} else {
			ret = rs_ioctl(fd, REFSTORE_IOC_INFO, &i);
			if (ret || !i.nslots)
				break;
			g.handle = h;
			g.slot = (r >> 24) % i.nslots;
		}
		ret = rs_ioctl(fd, REFSTORE_IOC_GET_SLOT, &g);
		if (!ret)
			add_strong(v, g.target, &w->seed);
		break;
	}
	case 10: case 11: {
		struct refstore_info i = { .size = sizeof(i), .handle = h };
		struct refstore_rw rw = { .size = sizeof(rw), .handle = h,
					  .data = (uintptr_t)buf };

		if (!h)
			break;
		ret = rs_ioctl(fd, REFSTORE_IOC_INFO, &i);
		if (ret || !i.payload_size)
			break;
		rw.offset = (r >> 24) % i.payload_size;
		rw.length = (r >> 32) % (i.payload_size - rw.offset + 1);
		memset(buf, (int)r, sizeof(buf));
		ret = rs_ioctl(fd, op == 10 ? REFSTORE_IOC_WRITE : REFSTORE_IOC_READ,
			 &rw);
		break;
	}
	case 12: {
		struct refstore_weakref wr = { .size = sizeof(wr), .handle = h };

		if (!h || v->nw == NWEAK)
			break;
		ret = rs_ioctl(fd, REFSTORE_IOC_WEAKREF, &wr);
		if (!ret)
			v->weak[v->nw++] = wr.weak;
		break;
	}
	case 13: {
		struct refstore_upgrade u = { .size = sizeof(u) };

		u.weak = pick(v->weak, v->nw, &w->seed);
		if (!u.weak)
			break;
		ret = rs_ioctl(fd, REFSTORE_IOC_UPGRADE, &u);
		if (!ret)
			add_strong(v, u.handle, &w->seed);
		else if (ret == -ENOENT)	/* its object died */
			ret = 0;
		break;
	}
	case 14: {
		struct refstore_limits l = { .size = sizeof(l) };
		struct refstore_heap_stats s = { .size = sizeof(s) };

		ret = rs_ioctl(fd, REFSTORE_IOC_GET_LIMITS, &l);
		if (!ret)
			ret = rs_ioctl(fd, REFSTORE_IOC_HEAP_STATS, &s);
		break;
	}
	case 15: {
		struct refstore_gc_collect c = { .size = sizeof(c),
						 .generation = r >> 24 & 3 };

		if (c.generation == 3)
			c.generation = 2;
		ret = rs_ioctl(fd, REFSTORE_IOC_GC_COLLECT, &c);
		break;
	}
	case 16: {
		struct refstore_gc_value val = { .size = sizeof(val) };
		struct refstore_gc_count cnt = { .size = sizeof(cnt) };
		struct refstore_gc_stats st = { .size = sizeof(st) };

		ret = rs_ioctl(fd, r >> 24 & 1 ? REFSTORE_IOC_GC_ISENABLED :
			 REFSTORE_IOC_GC_GET_FREEZE_COUNT, &val);
		if (!ret)
			ret = rs_ioctl(fd, REFSTORE_IOC_GC_GET_COUNT, &cnt);
		if (!ret)
			ret = rs_ioctl(fd, REFSTORE_IOC_GC_GET_STATS, &st);
		break;
	}
	case 17: {
		/* The gc master: SAVEALL on and off, take and drop garbage. */
		struct refstore_gc_value val = { .size = sizeof(val) };
		uint32_t hs[4];
		struct refstore_gc_garbage g = { .size = sizeof(g), .capacity = 4,
						 .handles = (uintptr_t)hs };
		unsigned int i;

		if (!w->gc_master)
			break;
		switch (r >> 24 & 3) {
		case 0:
			val.value = r >> 26 & 1 ? REFSTORE_GC_DEBUG_SAVEALL : 0;
			ret = rs_ioctl(fd, REFSTORE_IOC_GC_SET_DEBUG, &val);
			break;
		case 1:
			ret = rs_ioctl(fd, REFSTORE_IOC_GC_GARBAGE, &g);
			for (i = 0; !ret && i < g.count; i++)
				add_strong(v, hs[i], &w->seed);
			break;
		case 2:
			ret = rs_ioctl(fd, REFSTORE_IOC_GC_CLEAR_GARBAGE, &val);
			break;
		default:
			ret = rs_ioctl(fd, r >> 26 & 1 ? REFSTORE_IOC_GC_FREEZE :
				 REFSTORE_IOC_GC_UNFREEZE, &val);
			break;
		}
		break;
	}
	default: {
		/*
		 * Drain death events; the fd may be blocking (fork test), so
		 * only when poll() says there are some.
		 */
		struct refstore_event ev[8];
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, 0) == 1 &&
		    read(fd, ev, sizeof(ev)) < 0 && errno != EAGAIN)
			ret = -errno;
		break;
	}
	}
	if (ret) {
		w->unexpected++;
		w->last_err = ret;
	}
	w->ops++;
	return ret;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	long cap = thread_ops();

	while (!atomic_load(w->stop) && w->ops < cap)
		one_op(w);
	return NULL;
}

/* A blocking reader of death events on @fd (opened without O_NONBLOCK). */
struct reader {
	int fd;
	atomic_bool *stop;
	long events;
};

static void *reader_main(void *arg)
{
	struct reader *rd = arg;
	struct refstore_event ev[16];
	struct pollfd p = { .fd = rd->fd, .events = POLLIN };
	ssize_t n;

	while (!atomic_load(rd->stop)) {
		if (poll(&p, 1, 50) <= 0)
			continue;
		n = read(rd->fd, ev, sizeof(ev));
		if (n > 0)
			rd->events += n / sizeof(ev[0]);
	}
	return NULL;
}

static int open_heap(struct __test_metadata *_metadata, uint32_t *root,
		     bool nonblock)
{
	int fd = rs_open(nonblock ? O_NONBLOCK : 0);
	struct refstore_gc_threshold t = { .size = sizeof(t),
					   .threshold = { 20, 3, 3 } };
	struct refstore_create c = { .size = sizeof(c), .nslots = ROOT_SLOTS };

	EXPECT_LE(0, fd);
	if (fd < 0)
		return fd;
	EXPECT_EQ(0, rs_ioctl(fd, REFSTORE_IOC_GC_SET_THRESHOLD, &t));
	EXPECT_EQ(0, rs_ioctl(fd, REFSTORE_IOC_CREATE, &c));
	*root = c.handle;
	return fd;
}

/* Close every handle, drop saved garbage, collect: nothing may be left. */
static void drain(struct __test_metadata *_metadata, int fd)
{
	struct refstore_gc_value v = { .size = sizeof(v) };
	struct refstore_gc_collect c = { .size = sizeof(c), .generation = 2 };
	struct refstore_heap_stats s;

	EXPECT_EQ(0, rs_ioctl(fd, REFSTORE_IOC_GC_SET_DEBUG, &v));
	v.value = 0;
	EXPECT_EQ(0, rs_ioctl(fd, REFSTORE_IOC_GC_UNFREEZE, &v));
	v.value = 0;
	EXPECT_EQ(0, rs_ioctl(fd, REFSTORE_IOC_GC_CLEAR_GARBAGE, &v));
	EXPECT_EQ(0, rs_ioctl(fd, REFSTORE_IOC_GC_COLLECT, &c));
	s = STATS(fd);
	EXPECT_EQ(0, s.objects);
	EXPECT_EQ(0, s.bytes);
	EXPECT_EQ(0, s.handles);
	EXPECT_EQ(0, s.weak_handles);
	EXPECT_EQ(s.created, s.freed);
}

static void close_all(int fd, uint32_t *a, int n)
{
	struct refstore_close c = { .size = sizeof(c) };
	int i;

	for (i = 0; i < n; i++) {
		c.handle = a[i];
		ioctl(fd, REFSTORE_IOC_CLOSE, &c);
	}
}

static void run_threads(struct __test_metadata *_metadata, int nthreads,
			int nheaps)
{
	struct worker *w = calloc(nthreads, sizeof(*w));
	pthread_t *tid = calloc(nthreads, sizeof(*tid));
	struct reader rd[MAXHEAPS];
	pthread_t rtid[MAXHEAPS];
	atomic_bool stop = false;
	int fds[MAXHEAPS], t, k;
	uint32_t roots[MAXHEAPS];
	int64_t base_objects = t_global_or_neg("objects");
	int64_t base_heaps = t_global_or_neg("heaps");
	long total = 0, events = 0;

	ASSERT_LE(0, base_objects);
	for (k = 0; k < nheaps; k++) {
		fds[k] = open_heap(_metadata, &roots[k], true);
		ASSERT_LE(0, fds[k]);
		rd[k] = (struct reader){ .fd = fds[k], .stop = &stop };
		ASSERT_EQ(0, pthread_create(&rtid[k], NULL, reader_main, &rd[k]));
	}
	for (t = 0; t < nthreads; t++) {
		w[t].nheaps = nheaps;
		w[t].seed = 0x9e3779b97f4a7c15ULL * (t + 1) + t_now_ms();
		w[t].stop = &stop;
		w[t].gc_master = t == 0;
		for (k = 0; k < nheaps; k++)
			w[t].hv[k] = (struct hview){ .fd = fds[k],
						     .root = roots[k] };
	}
	for (t = 0; t < nthreads; t++)
		ASSERT_EQ(0, pthread_create(&tid[t], NULL, worker_main, &w[t]));
	for (t = 0; t < nthreads; t++) {
		pthread_join(tid[t], NULL);
		total += w[t].ops;
		EXPECT_EQ(0, w[t].unexpected)
			TH_LOG("thread %d: %ld unexpected errors, last %s (op %ld)",
			       t, w[t].unexpected, strerror(-w[t].last_err),
			       w[t].last_op);
	}
	atomic_store(&stop, true);
	for (k = 0; k < nheaps; k++) {
		pthread_join(rtid[k], NULL);
		events += rd[k].events;
	}

	/* The handle counts are exactly what the workers hold. */
	for (k = 0; k < nheaps; k++) {
		struct refstore_heap_stats s = STATS(fds[k]);
		uint64_t strong = 1, weak = 0;

		for (t = 0; t < nthreads; t++) {
			strong += w[t].hv[k].ns;
			weak += w[t].hv[k].nw;
		}
		EXPECT_EQ(strong, s.handles);
		EXPECT_EQ(weak, s.weak_handles);
		EXPECT_LE(1, s.objects);
		EXPECT_EQ(s.created - s.freed, s.objects);
		for (t = 0; t < nthreads; t++) {
			close_all(fds[k], w[t].hv[k].strong, w[t].hv[k].ns);
			close_all(fds[k], w[t].hv[k].weak, w[t].hv[k].nw);
		}
		close_all(fds[k], &roots[k], 1);
		drain(_metadata, fds[k]);
		close(fds[k]);
	}
	EXPECT_EQ(base_heaps, global_wait("heaps", base_heaps));
	EXPECT_EQ(base_objects, global_wait("objects", base_objects));
	LOG("%d threads x %ld ops (%ld calls in all) on %d heap(s), %ld events read",
	    nthreads, total / nthreads, total, nheaps, events);
	EXPECT_LT(0, total);
	free(w);
	free(tid);
}

/* The harness' per-test timeout needs a fixture; it holds nothing. */
FIXTURE(stress) {
	int unused;
};

FIXTURE_SETUP(stress)
{
	ASSERT_EQ(0, access(RS_DEVICE, R_OK | W_OK));
	ASSERT_EQ(0, access(RS_DEBUGFS_STATS, R_OK));
}

FIXTURE_TEARDOWN(stress)
{
}

TEST_F_TIMEOUT(stress, threads_one_heap, 120)
{
	run_threads(_metadata, 4, 1);
}

TEST_F_TIMEOUT(stress, threads_three_heaps, 120)
{
	run_threads(_metadata, 4, 3);
}

/* ---- processes sharing a heap, killed at random points ---- */

/* A child: random calls on the shared heap and a private one, forever. */
static void child_worker(int shared, uint32_t root, uint64_t seed)
{
	atomic_bool stop = false;
	struct worker w = { .nheaps = 2, .seed = seed, .stop = &stop,
			    .gc_master = seed & 1 };
	struct refstore_create c = { .size = sizeof(c), .nslots = ROOT_SLOTS };
	int priv = rs_open(O_NONBLOCK);

	if (priv < 0 || ioctl(priv, REFSTORE_IOC_CREATE, &c))
		_exit(2);
	w.hv[0] = (struct hview){ .fd = shared, .root = root };
	w.hv[1] = (struct hview){ .fd = priv, .root = c.handle };
	for (;;)
		one_op(&w);
}

/* A child blocked in read() of the shared heap's events. */
static void child_reader(int shared_blocking)
{
	struct refstore_event ev[4];

	for (;;)
		if (read(shared_blocking, ev, sizeof(ev)) < 0 && errno != EINTR)
			_exit(3);
}

TEST_F_TIMEOUT(stress, fork_sigkill, 300)
{
	int64_t base_objects = t_global_or_neg("objects");
	int64_t base_heaps = t_global_or_neg("heaps");
	long nrounds = kill_rounds();
	uint64_t seed = 0x1234567 ^ t_now_ms();
	atomic_bool stop = false;
	struct worker me = { .nheaps = 1, .stop = &stop, .gc_master = true };
	struct refstore_heap_stats s;
	uint32_t root;
	int fd, rounds = 0, kills = 0, early = 0;

	ASSERT_LE(0, base_objects);
	fd = open_heap(_metadata, &root, false);
	ASSERT_LE(0, fd);
	me.seed = seed;
	me.hv[0] = (struct hview){ .fd = fd, .root = root };

	while (rounds < nrounds) {
		pid_t pid[4];
		int i, st;

		for (i = 0; i < 4; i++) {
			pid[i] = fork();
			ASSERT_LE(0, pid[i]);
			if (!pid[i]) {
				if (i == 3)
					child_reader(fd);
				child_worker(fd, root, xs(&seed) + i);
			}
		}
		/* The survivor keeps working while they run. */
		for (i = 0; i < 20; i++)
			one_op(&me);
		for (i = 0; i < 4; i++) {
			usleep(xs(&seed) % 20000);
			ASSERT_EQ(0, kill(pid[i], SIGKILL));
			ASSERT_EQ(pid[i], waitpid(pid[i], &st, 0));
			if (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)
				kills++;
			else
				early++;
		}
		rounds++;
	}
	EXPECT_EQ(0, early) TH_LOG("%d children exited before the kill", early);
	EXPECT_EQ(0, me.unexpected) TH_LOG("survivor: last error %s (op %ld)",
					   strerror(-me.last_err), me.last_op);
	/* The children's private heaps are gone with them. */
	EXPECT_EQ(base_heaps + 1, global_wait("heaps", base_heaps + 1));
	/* The shared heap still works and adds up. */
	s = STATS(fd);
	EXPECT_EQ(s.created - s.freed, s.objects);
	EXPECT_LE(me.hv[0].ns + 1, s.handles);
	for (int i = 0; i < 200; i++)
		EXPECT_EQ(0, one_op(&me));
	close(fd);
	EXPECT_EQ(base_heaps, global_wait("heaps", base_heaps));
	EXPECT_EQ(base_objects, global_wait("objects", base_objects));
	LOG("%d rounds x 4 processes, %d SIGKILLs (3 mid-call, 1 mid-read() each round), survivor %ld ops",
	    rounds, kills, me.ops);
	EXPECT_LT(0, kills);
}

T_HARNESS_MAIN
