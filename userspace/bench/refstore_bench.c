// SPDX-License-Identifier: GPL-2.0
/*
 * refstore-bench - in-guest benchmarks of /dev/refstore, raw ioctls only.
 *
 * Usage: refstore-bench [--smoke] [--gc-n N] [--iso-n N] [--mem-n N]
 *                       [--pause-n N] [--pause-steps S] [--no-gc]
 *        refstore-bench [--gc-n N] [--gc-reps R] --gc-shape NAME,ARG
 *
 * --no-gc leaves out the collection shapes (the plot's sizes stay);
 * --gc-shape runs one shape's collection only (ring,LEN  random,DEGREE
 * list,0): scripts/bench interleaves it, round by round, with host-bench,
 * the same collector core in userspace in the same guest.
 *
 * Runs every figure once and prints one machine-readable line per
 * measurement, "vm NAME key=value ...", which scripts/bench parses. Times
 * are CLOCK_MONOTONIC nanoseconds in the guest; every figure scripts/bench
 * reports is a ratio of two of them taken in this run (or a ratio to the
 * host build on the same graph size, taken by the same scripts/bench run).
 *
 *   vm op NAME calls=C iters=I ns=T       T ns per iteration of C ioctls
 *   vm gc SHAPE n=N reclaimed=R ns=T      a GC_COLLECT (list: the CLOSE of
 *                                         its root), R objects freed; the
 *                                         median of --gc-reps builds
 *   vm mem slots=S objects=N slab_kb=K    Slab growth for N objects with
 *                                         one handle each
 *   vm iso MODE ops=N p50=T p99=T         DUP+CLOSE latency on heap B,
 *                                         alone or while heap A collects
 *   vm pauses pause n=C p50=T p99=T max=T  automatic collections' pauses
 *                                         (gc_end's duration_ns) on a heap
 *                                         of --pause-n live objects
 *   vm pauses op_during|op_alone n=N p50=T p99=T max=T  another thread's
 *                                         DUP+CLOSE on that heap
 *   vm idle ... / vm threads MODE ops_per_s=X
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <linux/refstore.h>

#define DEV "/dev/refstore"

static bool smoke;

static void die(const char *what)
{
	fprintf(stderr, "refstore-bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int heap_open(void)
{
	struct refstore_gc_value v = { .size = sizeof(v) };
	int fd = open(DEV, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		die("open " DEV);
	/* Only the collections we time: no automatic ones behind our back. */
	if (ioctl(fd, REFSTORE_IOC_GC_DISABLE, &v))
		die("GC_DISABLE");
	return fd;
}

/* ---- the ioctls, checked ---- */

static void rs_null(int fd)
{
	struct refstore_version v = { .size = sizeof(v) };

	if (ioctl(fd, REFSTORE_IOC_VERSION, &v))
		die("VERSION");
}

static uint32_t rs_create(int fd, uint32_t nslots, uint32_t payload)
{
	struct refstore_create c = {
		.size = sizeof(c), .nslots = nslots, .payload_size = payload,
	};

	if (ioctl(fd, REFSTORE_IOC_CREATE, &c))
		die("CREATE");
	return c.handle;
}

static void rs_close(int fd, uint32_t h)
{
	struct refstore_close c = { .size = sizeof(c), .handle = h };

	if (ioctl(fd, REFSTORE_IOC_CLOSE, &c))
		die("CLOSE");
}

static uint32_t rs_dup(int fd, uint32_t h)
{
	struct refstore_dup d = { .size = sizeof(d), .handle = h };

	if (ioctl(fd, REFSTORE_IOC_DUP, &d))
		die("DUP");
	return d.new_handle;
}

static void rs_set(int fd, uint32_t h, uint32_t slot, uint32_t target)
{
	struct refstore_set_slot s = {
		.size = sizeof(s), .handle = h, .slot = slot, .target = target,
	};

	if (ioctl(fd, REFSTORE_IOC_SET_SLOT, &s))
		die("SET_SLOT");
}

static uint32_t rs_get(int fd, uint32_t h, uint32_t slot)
{
	struct refstore_get_slot g = { .size = sizeof(g), .handle = h, .slot = slot };

	if (ioctl(fd, REFSTORE_IOC_GET_SLOT, &g))
		die("GET_SLOT");
	return g.target;
}

static void rs_rw(int fd, unsigned long cmd, uint32_t h, void *buf, size_t len)
{
	struct refstore_rw rw = {
		.size = sizeof(rw), .handle = h, .length = len,
		.data = (uintptr_t)buf,
	};

	if (ioctl(fd, cmd, &rw))
		die("READ/WRITE");
}

static uint32_t rs_weakref(int fd, uint32_t h)
{
	struct refstore_weakref w = { .size = sizeof(w), .handle = h };

	if (ioctl(fd, REFSTORE_IOC_WEAKREF, &w))
		die("WEAKREF");
	return w.weak;
}

static uint32_t rs_upgrade(int fd, uint32_t weak)
{
	struct refstore_upgrade u = { .size = sizeof(u), .weak = weak };

	if (ioctl(fd, REFSTORE_IOC_UPGRADE, &u))
		die("UPGRADE");
	return u.handle;
}

static void rs_collect(int fd, uint32_t gen, struct refstore_gc_collect *c)
{
	memset(c, 0, sizeof(*c));
	c->size = sizeof(*c);
	c->generation = gen;
	if (ioctl(fd, REFSTORE_IOC_GC_COLLECT, c))
		die("GC_COLLECT");
}

static uint64_t rs_freed(int fd)
{
	struct refstore_heap_stats s = { .size = sizeof(s) };

	if (ioctl(fd, REFSTORE_IOC_HEAP_STATS, &s))
		die("HEAP_STATS");
	return s.freed;
}

/* ---- per-operation cost ---- */

enum op {
	OP_NULL, OP_CREATE_CLOSE, OP_DUP_CLOSE, OP_SET_SLOT, OP_GET_CLOSE,
	OP_WRITE64, OP_READ64, OP_WEAK_UPGRADE_CLOSE, OP_IDLE_COLLECT0,
	OP_IDLE_COLLECT2, NR_OPS
};

static const struct {
	const char *name;
	int calls;	/* ioctls per iteration */
} ops[NR_OPS] = {
	[OP_NULL] = { "null", 1 },
	[OP_CREATE_CLOSE] = { "create_close", 2 },
	[OP_DUP_CLOSE] = { "dup_close", 2 },
	[OP_SET_SLOT] = { "set_slot", 1 },
	[OP_GET_CLOSE] = { "get_slot_close", 2 },
	[OP_WRITE64] = { "write64", 1 },
	[OP_READ64] = { "read64", 1 },
	[OP_WEAK_UPGRADE_CLOSE] = { "weak_upgrade_close", 4 },
	[OP_IDLE_COLLECT0] = { "idle_collect0", 1 },
	[OP_IDLE_COLLECT2] = { "idle_collect2", 1 },
};

struct op_ctx {
	int fd;
	uint32_t a, b;	/* a: 2 slots, 64 B payload; b: a's slot 0 target */
};

static void op_ctx_init(struct op_ctx *c, int fd)
{
	c->fd = fd;
	c->a = rs_create(fd, 2, 64);
	c->b = rs_create(fd, 2, 0);
	rs_set(fd, c->a, 0, c->b);
}

static void op_ctx_fini(struct op_ctx *c)
{
	rs_close(c->fd, c->a);
	rs_close(c->fd, c->b);
}

static inline void op_run(struct op_ctx *c, enum op op)
{
	struct refstore_gc_collect gc;
	char buf[64] = { 1 };
	uint32_t h, w;

	switch (op) {
	case OP_NULL:
		rs_null(c->fd);
		break;
	case OP_CREATE_CLOSE:
		rs_close(c->fd, rs_create(c->fd, 2, 0));
		break;
	case OP_DUP_CLOSE:
		rs_close(c->fd, rs_dup(c->fd, c->a));
		break;
	case OP_SET_SLOT:
		/* slot 1 back and forth: a reference gained, one dropped */
		rs_set(c->fd, c->a, 1, c->b);
		break;
	case OP_GET_CLOSE:
		rs_close(c->fd, rs_get(c->fd, c->a, 0));
		break;
	case OP_WRITE64:
		rs_rw(c->fd, REFSTORE_IOC_WRITE, c->a, buf, sizeof(buf));
		break;
	case OP_READ64:
		rs_rw(c->fd, REFSTORE_IOC_READ, c->a, buf, sizeof(buf));
		break;
	case OP_WEAK_UPGRADE_CLOSE:
		w = rs_weakref(c->fd, c->a);
		h = rs_upgrade(c->fd, w);
		rs_close(c->fd, h);
		rs_close(c->fd, w);
		break;
	case OP_IDLE_COLLECT0:
		rs_collect(c->fd, 0, &gc);
		break;
	case OP_IDLE_COLLECT2:
		rs_collect(c->fd, 2, &gc);
		break;
	default:
		break;
	}
}

static uint64_t op_time(struct op_ctx *c, enum op op, int iters)
{
	uint64_t t0;
	int i;

	for (i = 0; i < iters / 10 + 1; i++)	/* warm up */
		op_run(c, op);
	t0 = now_ns();
	for (i = 0; i < iters; i++)
		op_run(c, op);
	return now_ns() - t0;
}

static void bench_ops(void)
{
	int iters = smoke ? 2000 : 20000, rounds = smoke ? 1 : 3, r, op;
	uint64_t best[NR_OPS], t;
	struct refstore_gc_collect gc;
	struct op_ctx c;
	int fd = heap_open();

	op_ctx_init(&c, fd);
	/* no suspects left: the idle collections examine nothing */
	rs_collect(fd, 2, &gc);
	/* rounds interleave the ops, so a slow spell of the host hits all */
	for (op = 0; op < NR_OPS; op++)
		best[op] = UINT64_MAX;
	for (r = 0; r < rounds; r++) {
		for (op = 0; op < NR_OPS; op++) {
			t = op_time(&c, op, iters);
			if (t < best[op])
				best[op] = t;
		}
	}
	rs_collect(fd, 0, &gc);
	printf("vm idle examined=%llu\n", (unsigned long long)gc.examined);
	for (op = 0; op < NR_OPS; op++)
		printf("vm op %s calls=%d iters=%d ns=%.1f\n", ops[op].name,
		       ops[op].calls, iters, (double)best[op] / iters);
	op_ctx_fini(&c);
	close(fd);
}

/*
 * What the allocation statistics (alloc_stats.c) cost CREATE+CLOSE: the
 * same pair on a heap that keeps them and on one opened while the test
 * knob alloc_stats_off was 1, best of 40 short interleaved rounds (the
 * host is shared: short rounds dodge its slow spells). Skipped if the module
 * was loaded without test_knobs=1.
 */
#define STATS_OFF_KNOB "/sys/kernel/debug/refstore/alloc_stats_off"

static int knob_write(const char *v)
{
	int fd = open(STATS_OFF_KNOB, O_WRONLY | O_CLOEXEC), ok;

	if (fd < 0)
		return -1;
	ok = write(fd, v, 1) == 1;
	close(fd);
	return ok ? 0 : -1;
}

static void bench_stats_cost(void)
{
	int iters = 2000, rounds = smoke ? 1 : 40, r;
	uint64_t best_on = UINT64_MAX, best_off = UINT64_MAX, t;
	struct op_ctx on, off;
	int fd_on, fd_off;

	if (knob_write("1")) {
		printf("vm info stats_cost=skipped (no test_knobs)\n");
		return;
	}
	fd_off = heap_open();
	knob_write("0");
	fd_on = heap_open();
	op_ctx_init(&on, fd_on);
	op_ctx_init(&off, fd_off);
	for (r = 0; r < rounds; r++) {
		t = op_time(&on, OP_CREATE_CLOSE, iters);
		if (t < best_on)
			best_on = t;
		t = op_time(&off, OP_CREATE_CLOSE, iters);
		if (t < best_off)
			best_off = t;
	}
	printf("vm op create_close_stats calls=2 iters=%d ns=%.1f\n", iters,
	       (double)best_on / iters);
	printf("vm op create_close_nostats calls=2 iters=%d ns=%.1f\n", iters,
	       (double)best_off / iters);
	op_ctx_fini(&on);
	op_ctx_fini(&off);
	close(fd_on);
	close(fd_off);
}

static int cmp_u64(const void *a, const void *b);

/* ---- collection throughput ---- */

static uint64_t xs = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	xs ^= xs >> 12;
	xs ^= xs << 25;
	xs ^= xs >> 27;
	return xs * 0x2545f4914f6cdd1dULL;
}

static uint32_t *handles(size_t n)
{
	uint32_t *h = calloc(n, sizeof(*h));

	if (!h)
		die("calloc");
	return h;
}

static void build_rings(int fd, uint64_t n, uint64_t len)
{
	uint32_t *h = handles(len);
	uint64_t done, i;

	for (done = 0; done + len <= n; done += len) {
		for (i = 0; i < len; i++)
			h[i] = rs_create(fd, 1, 0);
		for (i = 0; i < len; i++)
			rs_set(fd, h[i], 0, h[(i + 1) % len]);
		for (i = 0; i < len; i++)
			rs_close(fd, h[i]);
	}
	free(h);
}

static void build_random(int fd, uint64_t n, uint32_t deg)
{
	uint32_t *h = handles(n), s;
	uint64_t i;

	for (i = 0; i < n; i++)
		h[i] = rs_create(fd, deg, 0);
	for (i = 0; i < n; i++)
		for (s = 0; s < deg; s++)
			rs_set(fd, h[i], s, h[rnd() % n]);
	for (i = 0; i < n; i++)
		rs_close(fd, h[i]);
	free(h);
}

static uint32_t build_list(int fd, uint64_t n)
{
	uint32_t root = rs_create(fd, 1, 0), prev = root, h;
	uint64_t i;

	for (i = 1; i < n; i++) {
		h = rs_create(fd, 1, 0);
		rs_set(fd, prev, 0, h);
		if (prev != root)
			rs_close(fd, prev);
		prev = h;
	}
	if (prev != root)
		rs_close(fd, prev);
	return root;
}

/* One build and collection of a shape: its time; *@reclaimed, *@examined. */
static uint64_t gc_shape_once(const char *name, uint64_t n, uint64_t arg,
			      uint64_t *reclaimed, uint64_t *examined)
{
	struct refstore_gc_collect gc = { 0 };
	uint64_t t0, t, f0;
	uint32_t root = 0;
	int fd = heap_open();

	if (!strcmp(name, "list"))
		root = build_list(fd, n);
	else if (!strcmp(name, "random"))
		build_random(fd, n, arg);
	else
		build_rings(fd, n, arg);
	f0 = rs_freed(fd);
	t0 = now_ns();
	if (root)
		rs_close(fd, root);
	else
		rs_collect(fd, 2, &gc);
	t = now_ns() - t0;
	*reclaimed = rs_freed(fd) - f0;
	*examined = gc.examined;
	close(fd);
	return t;
}

/*
 * The median of gc_reps builds and collections (as host-bench's --reps
 * on the same shape: the host is shared, one shot may land in a slow
 * spell).
 */
static int gc_reps = 1;

static void bench_gc_shape(const char *name, uint64_t n, uint64_t arg)
{
	uint64_t ns[16], reclaimed = 0, examined = 0;
	int r, reps = gc_reps < 1 ? 1 : gc_reps > 16 ? 16 : gc_reps;

	for (r = 0; r < reps; r++)
		ns[r] = gc_shape_once(name, n, arg, &reclaimed, &examined);
	qsort(ns, reps, sizeof(ns[0]), cmp_u64);
	printf("vm gc %s n=%llu arg=%llu reclaimed=%llu examined=%llu ns=%llu reps=%d min_ns=%llu max_ns=%llu\n",
	       name, (unsigned long long)n, (unsigned long long)arg,
	       (unsigned long long)reclaimed, (unsigned long long)examined,
	       (unsigned long long)ns[reps / 2], reps,
	       (unsigned long long)ns[0], (unsigned long long)ns[reps - 1]);
	fflush(stdout);
}

/* ---- memory: Slab growth per object, handle included ---- */

static long slab_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Slab: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static void bench_mem(uint64_t n)
{
	static const uint32_t nslots[] = { 0, 1, 2, 8 };
	unsigned int k;
	uint64_t i;
	long before, after;
	int fd;

	for (k = 0; k < sizeof(nslots) / sizeof(nslots[0]); k++) {
		fd = heap_open();
		before = slab_kb();
		for (i = 0; i < n; i++)
			rs_create(fd, nslots[k], 0);
		after = slab_kb();
		printf("vm mem slots=%u objects=%llu slab_kb=%ld\n", nslots[k],
		       (unsigned long long)n, after - before);
		close(fd);
	}
	/* the handle table alone: n more handles to one object */
	fd = heap_open();
	i = rs_create(fd, 0, 0);
	before = slab_kb();
	for (k = 0; k < n; k++)
		rs_dup(fd, i);
	after = slab_kb();
	printf("vm mem handles=%llu slab_kb=%ld\n", (unsigned long long)n,
	       after - before);
	close(fd);
}

/* ---- isolation: heap B's latency while heap A collects ---- */

struct iso {
	int fd_a;
	volatile int started, done;
	uint64_t collect_ns, examined;
};

static void *iso_collector(void *arg)
{
	struct iso *iso = arg;
	struct refstore_gc_collect gc;
	uint64_t t0;

	iso->started = 1;
	t0 = now_ns();
	rs_collect(iso->fd_a, 2, &gc);
	iso->collect_ns = now_ns() - t0;
	iso->examined = gc.examined;
	__atomic_store_n(&iso->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void report_lat(const char *mode, uint64_t *lat, size_t n, uint64_t extra)
{
	qsort(lat, n, sizeof(*lat), cmp_u64);
	printf("vm iso %s ops=%zu p50=%llu p99=%llu collect_ns=%llu\n", mode, n,
	       (unsigned long long)lat[n / 2],
	       (unsigned long long)lat[n * 99 / 100],
	       (unsigned long long)extra);
}

static void bench_iso(uint64_t n)
{
	size_t cap = 1 << 20, cnt, base_n = smoke ? 5000 : 20000;
	uint64_t *lat = calloc(cap, sizeof(*lat)), t0;
	struct op_ctx c;
	struct iso iso = { 0 };
	pthread_t th;
	int fd_b = heap_open();

	if (!lat)
		die("calloc");
	op_ctx_init(&c, fd_b);

	/* B alone */
	for (cnt = 0; cnt < base_n; cnt++) {
		t0 = now_ns();
		op_run(&c, OP_DUP_CLOSE);
		lat[cnt] = now_ns() - t0;
	}
	report_lat("alone", lat, cnt, 0);

	/* B while A collects n objects in 2-cycles */
	iso.fd_a = heap_open();
	build_rings(iso.fd_a, n, 2);
	if (pthread_create(&th, NULL, iso_collector, &iso))
		die("pthread_create");
	while (!iso.started)
		;
	cnt = 0;
	while (!__atomic_load_n(&iso.done, __ATOMIC_ACQUIRE) && cnt < cap) {
		t0 = now_ns();
		op_run(&c, OP_DUP_CLOSE);
		lat[cnt++] = now_ns() - t0;
	}
	pthread_join(th, NULL);
	if (cnt == 0)
		lat[cnt++] = 0;
	report_lat("during_collect", lat, cnt, iso.collect_ns);
	printf("vm iso examined=%llu\n", (unsigned long long)iso.examined);
	close(iso.fd_a);
	op_ctx_fini(&c);
	close(fd_b);
	free(lat);
}

/* ---- automatic collections' pauses on a large live heap ---- */

#define TRACING "/sys/kernel/tracing/"

static int tracefs_write(const char *file, const char *v)
{
	int fd = open(file, O_WRONLY | O_TRUNC | O_CLOEXEC), ok;

	if (fd < 0)
		return -1;
	ok = write(fd, v, strlen(v)) == (ssize_t)strlen(v);
	close(fd);
	return ok ? 0 : -1;
}

struct churn_op {
	int fd;
	uint32_t h;
	volatile int stop;
	uint64_t *lat;
	size_t cap, n;
};

/* Another thread's DUP+CLOSE on the same heap, each timed. */
static void *churn_op_run(void *arg)
{
	struct churn_op *c = arg;
	uint64_t t0;

	while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE) && c->n < c->cap) {
		t0 = now_ns();
		rs_close(c->fd, rs_dup(c->fd, c->h));
		c->lat[c->n++] = now_ns() - t0;
	}
	return NULL;
}

static void report_dist(const char *what, uint64_t *v, size_t n)
{
	if (!n) {
		printf("vm pauses %s n=0\n", what);
		return;
	}
	qsort(v, n, sizeof(*v), cmp_u64);
	printf("vm pauses %s n=%zu p50=%llu p99=%llu max=%llu\n", what, n,
	       (unsigned long long)v[n / 2],
	       (unsigned long long)v[n * 99 / 100],
	       (unsigned long long)v[n - 1]);
}

/*
 * @live objects, old (collected once), each with a handle and one slot;
 * then @steps steps, each dropping a garbage 2-ring and pointing a random
 * live object's slot at a new object (its old target, a 1-slot object,
 * loses a reference and becomes a suspect), with automatic collection on.
 * Meanwhile a second thread times DUP+CLOSE on the same heap. Every
 * collection's pause is its gc_end tracepoint's duration_ns (the time it
 * held the heap's lock, whoever ran it: the collector thread or a caller),
 * read from tracefs; without tracefs only GC_GET_STATS' max and mean are
 * reported. Times are wall-clock in the guest: printed, never judged here.
 */
static void bench_pauses(uint64_t live, uint64_t steps)
{
	struct refstore_gc_value v = { .size = sizeof(v) };
	struct refstore_gc_stats st = { .size = sizeof(st) };
	struct refstore_gc_collect gc;
	struct churn_op c = { 0 };
	uint32_t *h = handles(live), a, b, t;
	uint64_t *pause, i, t0, total;
	size_t npause = 0, cap = 1 << 16;
	unsigned long long gen_n[3] = { 0 }, d;
	bool traced;
	pthread_t th;
	char line[512], *p;
	FILE *f;
	int fd = heap_open();

	pause = calloc(cap, sizeof(*pause));
	c.cap = 1 << 20;
	c.lat = calloc(c.cap, sizeof(*c.lat));
	if (!pause || !c.lat)
		die("calloc");
	for (i = 0; i < live; i++)
		h[i] = rs_create(fd, 1, 0);
	for (i = 0; i < live; i++)
		rs_set(fd, h[i], 0, h[(i + 1) % live]);
	rs_collect(fd, 2, &gc);

	/* the other thread alone first: the same heap, no churn */
	c.fd = fd;
	c.h = h[0];
	c.cap = smoke ? 2000 : 20000;
	churn_op_run(&c);
	report_dist("op_alone", c.lat, c.n);
	c.n = 0;
	c.cap = 1 << 20;

	traced = !tracefs_write(TRACING "buffer_size_kb", "8192") &&
		 !tracefs_write(TRACING "trace", "") &&
		 !tracefs_write(TRACING "events/refstore/gc_end/enable", "1");
	if (ioctl(fd, REFSTORE_IOC_GC_ENABLE, &v))
		die("GC_ENABLE");
	if (pthread_create(&th, NULL, churn_op_run, &c))
		die("pthread_create");
	t0 = now_ns();
	for (i = 0; i < steps; i++) {
		a = rs_create(fd, 1, 0);
		b = rs_create(fd, 1, 0);
		rs_set(fd, a, 0, b);
		rs_set(fd, b, 0, a);
		rs_close(fd, a);
		rs_close(fd, b);
		t = rs_create(fd, 1, 0);
		rs_set(fd, h[rnd() % live], 0, t);
		rs_close(fd, t);
	}
	total = now_ns() - t0;
	__atomic_store_n(&c.stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	if (ioctl(fd, REFSTORE_IOC_GC_DISABLE, &v))
		die("GC_DISABLE");
	if (ioctl(fd, REFSTORE_IOC_GC_GET_STATS, &st))
		die("GC_GET_STATS");
	if (traced)
		tracefs_write(TRACING "events/refstore/gc_end/enable", "0");

	f = traced ? fopen(TRACING "trace", "r") : NULL;
	while (f && fgets(line, sizeof(line), f)) {
		if (!strstr(line, " gc_end: ") || !strstr(line, "aborted=0"))
			continue;
		p = strstr(line, "duration_ns=");
		if (!p || npause == cap)
			continue;
		pause[npause++] = strtoull(p + 12, NULL, 10);
		p = strstr(line, "generation=");
		d = p ? strtoull(p + 11, NULL, 10) : 0;
		if (d < 3)
			gen_n[d]++;
	}
	if (f)
		fclose(f);
	/* the build's one full collection is not in the trace: after it */
	printf("vm pauses info live=%llu steps=%llu ns=%llu traced=%d collections=%llu gen0=%llu gen1=%llu gen2=%llu automatic=%llu stats_max=%llu stats_total=%llu\n",
	       (unsigned long long)live, (unsigned long long)steps,
	       (unsigned long long)total, traced, (unsigned long long)npause,
	       gen_n[0], gen_n[1], gen_n[2],
	       (unsigned long long)st.automatic,
	       (unsigned long long)st.pause_max_ns,
	       (unsigned long long)st.pause_total_ns);
	report_dist("pause", pause, npause);
	report_dist("op_during", c.lat, c.n);
	close(fd);
	free(pause);
	free(c.lat);
	free(h);
}

/* ---- throughput with 1 and 2 threads ---- */

struct thr {
	struct op_ctx *c;
	uint64_t until, ops;
	pthread_barrier_t *bar;
};

static void *thr_run(void *arg)
{
	struct thr *t = arg;
	uint64_t n = 0, end;
	int i;

	pthread_barrier_wait(t->bar);
	end = now_ns() + t->until;
	do {
		for (i = 0; i < 64; i++)
			op_run(t->c, OP_DUP_CLOSE);
		n += 64;
	} while (now_ns() < end);
	t->ops = n;
	return NULL;
}

static void bench_threads(void)
{
	uint64_t dur = smoke ? 100000000ULL : 1000000000ULL;
	static const struct { const char *mode; int nthr; bool shared; } m[] = {
		{ "1thread", 1, false },
		{ "2threads_2heaps", 2, false },
		{ "2threads_1heap", 2, true },
	};
	unsigned int k;
	int i;

	for (k = 0; k < sizeof(m) / sizeof(m[0]); k++) {
		struct op_ctx c[2];
		struct thr t[2];
		pthread_t th[2];
		pthread_barrier_t bar;
		uint64_t total = 0;

		pthread_barrier_init(&bar, NULL, m[k].nthr);
		op_ctx_init(&c[0], heap_open());
		if (m[k].shared)
			c[1] = c[0];
		else
			op_ctx_init(&c[1], heap_open());
		for (i = 0; i < m[k].nthr; i++) {
			t[i] = (struct thr){ .c = &c[i], .until = dur, .bar = &bar };
			if (pthread_create(&th[i], NULL, thr_run, &t[i]))
				die("pthread_create");
		}
		for (i = 0; i < m[k].nthr; i++) {
			pthread_join(th[i], NULL);
			total += t[i].ops;
		}
		/* a DUP+CLOSE pair is two operations */
		printf("vm threads %s ops_per_s=%.0f\n", m[k].mode,
		       2.0 * total * 1e9 / dur);
		for (i = 0; i < (m[k].shared ? 1 : 2); i++) {
			int fd = c[i].fd;

			op_ctx_fini(&c[i]);
			close(fd);
		}
		pthread_barrier_destroy(&bar);
	}
}

int main(int argc, char **argv)
{
	uint64_t gc_n = 0, iso_n = 0, mem_n = 0, pause_n = 0, pause_steps = 0;
	const char *only = NULL, *plot_n = NULL, *gc_shape = NULL;
	bool no_gc = false;
	struct utsname u;
	char line[512];
	FILE *f;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--smoke"))
			smoke = true;
		else if (!strcmp(argv[i], "--gc-n") && i + 1 < argc)
			gc_n = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--iso-n") && i + 1 < argc)
			iso_n = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--mem-n") && i + 1 < argc)
			mem_n = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--gc-reps") && i + 1 < argc)
			gc_reps = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--pause-n") && i + 1 < argc)
			pause_n = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--pause-steps") && i + 1 < argc)
			pause_steps = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--plot-n") && i + 1 < argc)
			plot_n = argv[++i];
		else if (!strcmp(argv[i], "--only") && i + 1 < argc)
			only = argv[++i];
		else if (!strcmp(argv[i], "--gc-shape") && i + 1 < argc)
			gc_shape = argv[++i];
		else if (!strcmp(argv[i], "--no-gc"))
			no_gc = true;
		else {
			fprintf(stderr, "usage: refstore-bench [--smoke] [--gc-n N] [--iso-n N] [--mem-n N] [--gc-reps R] [--pause-n N] [--pause-steps S] [--plot-n N,N,...] [--only ops|gc|gc-ring2|mem|iso|pauses|threads] [--no-gc] [--gc-shape ring|random|list,ARG]\n");
			return 2;
		}
	}
	if (!gc_n)
		gc_n = smoke ? 2000 : 100000;
	if (!iso_n)
		iso_n = smoke ? 2000 : 100000;
	if (!mem_n)
		mem_n = smoke ? 2000 : 100000;
	if (!pause_n)
		pause_n = smoke ? 2000 : 100000;
	if (!pause_steps)
		pause_steps = smoke ? 2000 : 30000;
	setvbuf(stdout, NULL, _IOLBF, 0);

	/*
	 * One shape's collection alone (scripts/bench interleaves it round by
	 * round with host-bench, the same core in userspace, in this guest).
	 */
	if (gc_shape) {
		char name[16] = "";
		unsigned long long arg = 0;

		if (sscanf(gc_shape, "%15[a-z],%llu", name, &arg) < 1)
			return 2;
		bench_gc_shape(name, gc_n, arg);
		printf("vm done\n");
		return 0;
	}

	if (!uname(&u))
		printf("vm uname release=%s machine=%s\n", u.release, u.machine);
	/* SLUB's lockless fast path uses cmpxchg16b when the CPU has it */
	f = fopen("/proc/cpuinfo", "r");
	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "flags", 5)) {
			printf("vm cpu cx16=%d\n", !!strstr(line, " cx16"));
			break;
		}
	}
	if (f)
		fclose(f);

#define RUN(name) (!only || !strcmp(only, name))
	if (RUN("ops")) {
		bench_ops();
		bench_stats_cost();
	}
	if (RUN("gc") && !no_gc) {
		bench_gc_shape("ring", gc_n, 2);
		bench_gc_shape("ring", gc_n, 10);
		bench_gc_shape("ring", gc_n, gc_n < 1000 ? gc_n : 1000);
		bench_gc_shape("random", gc_n, 2);
		bench_gc_shape("list", gc_n, 0);
	}
	/* one shape only: a quick look at the collection's cost */
	if (only && !strcmp(only, "gc-ring2"))
		bench_gc_shape("ring", gc_n, 2);
	/* more sizes of the 2-ring shape, for the plot */
	while (plot_n && *plot_n && RUN("gc")) {
		uint64_t n = strtoull(plot_n, (char **)&plot_n, 0);

		if (n && n != gc_n)
			bench_gc_shape("ring", n, 2);
		if (*plot_n == ',')
			plot_n++;
		else
			break;
	}
	if (RUN("mem"))
		bench_mem(mem_n);
	if (RUN("iso"))
		bench_iso(iso_n);
	if (RUN("pauses"))
		bench_pauses(pause_n, pause_steps);
	if (RUN("threads"))
		bench_threads();
	printf("vm done\n");
	return 0;
}
