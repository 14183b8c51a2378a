// SPDX-License-Identifier: GPL-2.0
/*
 * refstore-fuzz: an in-guest random ioctl fuzzer for /dev/refstore.
 *
 *   refstore-fuzz [--seed S] [--calls N] [--seconds S] [--threads T]
 *                 [--heaps H] [--quiet] [--no-mprotect]
 *   refstore-fuzz --garbage N
 *   refstore-fuzz --park-heap GC_PARK_FILE
 *
 * --garbage N is not fuzzing: it builds N objects of unreachable rings in
 * one heap with automatic collection off, turns it on (kicking the
 * collector thread on a large graph) and exits at once, so the heap is
 * released while that collection runs (scripts/vm-stress uses it).
 *
 * --park-heap is not fuzzing either: with the collector parked by the
 * debugfs test knob gc_park (written 1 beforehand), it makes its heap due
 * for collection, waits until GC_PARK_FILE names that heap (the thread
 * holds it), and exits, leaving the thread the heap's last reference.
 *
 * T threads make random calls on H heaps: command numbers mostly valid
 * (every REFSTORE_IOC_*), some with a wrong size or direction encoded,
 * some random; structures mostly well formed with some field mutated
 * (size, flags, reserved fields, generation, thresholds, limits);
 * handles mostly recently returned ones, some random; pointers (the
 * argument itself and the data/handles pointers inside it) mostly valid,
 * sometimes NULL, unmapped, a PROT_NONE page, a read-only page (the copy
 * back fails), straddling into a PROT_NONE page, or a kernel address.
 * Also read() of events, poll(), and heaps closed and reopened under the
 * other threads (dup2() over the fd, so a call in flight keeps its heap).
 *
 * Each thread's random stream is derived from the seed, so --threads 1
 * replays exactly; with more threads the interleaving varies.
 *
 * Checked: only that the kernel survives (the VM runner fails the run on
 * any splat) and that once every heap is closed nothing is charged to the
 * fuzzer's user any more (debugfs "users": no heap, no byte; other users,
 * such as trinity beside it, may hold heaps of their own). Errors from calls are
 * expected and not failures. Prints the seed first and the call count and
 * rate at the end. Exit status 0, or 1 if something was left behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/refstore.h>

#include "librefstore.h"

#define DEV "/dev/refstore"
#define DBG "/sys/kernel/debug/refstore"
#define MAX_THREADS 16
#define MAX_HEAPS 8
#define RECENT 64
#define PAGE 4096
#define DATA_SIZE (1 << 20)	/* the default max_payload */
/* Per-heap byte limit set at open, so the guest never runs short. */
#define HEAP_MAX_BYTES (16 << 20)

static uint64_t opt_seed;
static uint64_t opt_calls = 100000;
static unsigned int opt_seconds;
static int opt_threads = 4;
static int opt_heaps = 3;
static bool opt_quiet;
/*
 * --no-mprotect: keep the read-only page's contents fixed instead of
 * refreshing them with mprotect() before each use. A multithreaded
 * mprotect() flushes TLBs by IPI, and KCSAN reports the core kernel's
 * benign read of mm_cpumask() there; the KCSAN run avoids provoking it.
 */
static bool opt_no_mprotect;

static int heap_fd[MAX_HEAPS];
/* Handles recently returned, per heap; racy by design (just hints). */
static _Atomic uint32_t recent[MAX_HEAPS][RECENT];
static atomic_uint_fast64_t calls_done;
static atomic_uint_fast64_t reopens;
static atomic_bool stop;

/* Special memory: a PROT_NONE page, a read-only page, an unmapped hole. */
static uint8_t *none_page, *hole, *edge; /* edge: rw page before none */
/* Read-only page of each thread (made writable briefly to fill it). */
static __thread uint8_t *ro_page;
static uint8_t *data_buf;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* splitmix64: seeds each thread's xorshift from the global seed. */
static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

struct rng {
	uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
	uint64_t x = r->s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return r->s = x;
}

static uint64_t below(struct rng *r, uint64_t n)
{
	return n ? rnd(r) % n : 0;
}

/* true with probability 1/n */
static bool one_in(struct rng *r, unsigned int n)
{
	return below(r, n) == 0;
}

static int open_heap(void)
{
	int fd = open(DEV, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	struct refstore_limits l = { .size = sizeof(l),
				     .max_bytes = HEAP_MAX_BYTES };

	if (fd < 0) {
		perror("refstore-fuzz: open " DEV);
		exit(2);
	}
	if (ioctl(fd, REFSTORE_IOC_SET_LIMITS, &l))
		perror("refstore-fuzz: SET_LIMITS");
	return fd;
}

static void remember(int heap, uint32_t h, struct rng *r)
{
	if (h)
		atomic_store_explicit(&recent[heap][below(r, RECENT)], h,
				      memory_order_relaxed);
}

static uint32_t a_handle(int heap, struct rng *r)
{
	switch (below(r, 10)) {
	case 0:
		return below(r, 64);
	case 1:
		return rnd(r);
	default:
		return atomic_load_explicit(&recent[heap][below(r, RECENT)],
					    memory_order_relaxed);
	}
}

/* A user pointer: mostly valid for @len bytes, sometimes not. */
static uint64_t a_pointer(struct rng *r, uint8_t *valid, size_t len)
{
	switch (below(r, 24)) {
	case 0:
		return 0;
	case 1:
		return (uintptr_t)hole;
	case 2:
		return (uintptr_t)none_page;
	case 3:
		return (uintptr_t)ro_page;
	case 4:
		/* The last bytes of a page followed by PROT_NONE. */
		return (uintptr_t)(edge + PAGE - (len > 8 ? len / 2 : 1));
	case 5:
		return 0xffff888000000000ull + below(r, 1 << 20);
	case 6:
		return rnd(r);
	case 7:
		return (uintptr_t)valid + 1;	/* misaligned */
	default:
		return (uintptr_t)valid;
	}
}

struct cmd {
	unsigned long nr;
	unsigned int size;
};

#define C(ioc, st) { ioc, sizeof(struct st) }
static const struct cmd cmds[] = {
	C(REFSTORE_IOC_VERSION, refstore_version),
	C(REFSTORE_IOC_CREATE, refstore_create),
	C(REFSTORE_IOC_CREATE, refstore_create),
	C(REFSTORE_IOC_CREATE, refstore_create),
	C(REFSTORE_IOC_DUP, refstore_dup),
	C(REFSTORE_IOC_CLOSE, refstore_close),
	C(REFSTORE_IOC_CLOSE, refstore_close),
	C(REFSTORE_IOC_SET_SLOT, refstore_set_slot),
	C(REFSTORE_IOC_SET_SLOT, refstore_set_slot),
	C(REFSTORE_IOC_GET_SLOT, refstore_get_slot),
	C(REFSTORE_IOC_WRITE, refstore_rw),
	C(REFSTORE_IOC_READ, refstore_rw),
	C(REFSTORE_IOC_INFO, refstore_info),
	C(REFSTORE_IOC_WEAKREF, refstore_weakref),
	C(REFSTORE_IOC_UPGRADE, refstore_upgrade),
	C(REFSTORE_IOC_GET_LIMITS, refstore_limits),
	C(REFSTORE_IOC_SET_LIMITS, refstore_limits),
	C(REFSTORE_IOC_HEAP_STATS, refstore_heap_stats),
	C(REFSTORE_IOC_GC_COLLECT, refstore_gc_collect),
	C(REFSTORE_IOC_GC_ENABLE, refstore_gc_value),
	C(REFSTORE_IOC_GC_DISABLE, refstore_gc_value),
	C(REFSTORE_IOC_GC_ISENABLED, refstore_gc_value),
	C(REFSTORE_IOC_GC_SET_THRESHOLD, refstore_gc_threshold),
	C(REFSTORE_IOC_GC_GET_THRESHOLD, refstore_gc_threshold),
	C(REFSTORE_IOC_GC_GET_COUNT, refstore_gc_count),
	C(REFSTORE_IOC_GC_GET_STATS, refstore_gc_stats),
	C(REFSTORE_IOC_GC_FREEZE, refstore_gc_value),
	C(REFSTORE_IOC_GC_UNFREEZE, refstore_gc_value),
	C(REFSTORE_IOC_GC_GET_FREEZE_COUNT, refstore_gc_value),
	C(REFSTORE_IOC_GC_SET_DEBUG, refstore_gc_value),
	C(REFSTORE_IOC_GC_GET_DEBUG, refstore_gc_value),
	C(REFSTORE_IOC_GC_GARBAGE, refstore_gc_garbage),
	C(REFSTORE_IOC_GC_CLEAR_GARBAGE, refstore_gc_value),
	C(REFSTORE_IOC_GC_SET_DELAY, refstore_gc_value),
	C(REFSTORE_IOC_GC_GET_DELAY, refstore_gc_value),
	C(REFSTORE_IOC_SET_SLOT, refstore_set_slot),	/* weak, see fill() */
	C(REFSTORE_IOC_WEAKREF, refstore_weakref),
	C(REFSTORE_IOC_WEAKREF_COUNT, refstore_weakref_count),
	C(REFSTORE_IOC_WEAKREFS, refstore_weakrefs),
};
#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

/* Fill a well-formed structure for @c, then maybe mutate one thing. */
static void fill(struct rng *r, int heap, const struct cmd *c, uint8_t *arg,
		 uint32_t *hbuf)
{
	memset(arg, 0, 256);
	*(uint32_t *)arg = c->size;

	switch (_IOC_NR(c->nr)) {
	case _IOC_NR(REFSTORE_IOC_CREATE): {
		struct refstore_create *a = (void *)arg;

		a->payload_size = one_in(r, 50) ? below(r, DATA_SIZE + 2) :
						  below(r, 256);
		a->nslots = one_in(r, 50) ? below(r, 1100) : below(r, 5);
		a->tag = rnd(r);
		if (one_in(r, 4)) {
			a->flags = REFSTORE_CREATE_NOTIFY;
			a->cookie = rnd(r);
		}
		break;
	}
	case _IOC_NR(REFSTORE_IOC_DUP):
	case _IOC_NR(REFSTORE_IOC_CLOSE):
	case _IOC_NR(REFSTORE_IOC_INFO):
	case _IOC_NR(REFSTORE_IOC_WEAKREF_COUNT):
		((struct refstore_dup *)arg)->handle = a_handle(heap, r);
		break;
	case _IOC_NR(REFSTORE_IOC_WEAKREF): {
		struct refstore_weakref *a = (void *)arg;

		a->handle = a_handle(heap, r);
		/* Callbacks (weakref.ref(obj, cb)), and weak from weak. */
		if (one_in(r, 3)) {
			a->flags |= REFSTORE_WEAKREF_CALLBACK;
			a->cookie = rnd(r);
		}
		if (one_in(r, 4))
			a->flags |= REFSTORE_WEAKREF_FROM_WEAK;
		break;
	}
	case _IOC_NR(REFSTORE_IOC_WEAKREFS): {
		struct refstore_weakrefs *a = (void *)arg;

		a->handle = a_handle(heap, r);
		a->capacity = one_in(r, 10) ? rnd(r) : below(r, 16);
		a->start = one_in(r, 10) ? rnd(r) : below(r, 8);
		a->entries = a_pointer(r, data_buf,
				       (a->capacity < 16 ? a->capacity : 16) *
				       sizeof(struct refstore_weakref_entry));
		break;
	}
	case _IOC_NR(REFSTORE_IOC_UPGRADE):
		((struct refstore_upgrade *)arg)->weak = a_handle(heap, r);
		break;
	case _IOC_NR(REFSTORE_IOC_SET_SLOT): {
		struct refstore_set_slot *a = (void *)arg;

		a->handle = a_handle(heap, r);
		a->slot = one_in(r, 10) ? rnd(r) : below(r, 4);
		a->target = one_in(r, 5) ? 0 : a_handle(heap, r);
		/* Weak slots: the table's second SET_SLOT is mostly weak. */
		if (c == &cmds[NCMDS - 4] ? !one_in(r, 8) : one_in(r, 8))
			a->flags = REFSTORE_SLOT_WEAK;
		break;
	}
	case _IOC_NR(REFSTORE_IOC_GET_SLOT): {
		struct refstore_get_slot *a = (void *)arg;

		a->handle = a_handle(heap, r);
		a->slot = one_in(r, 10) ? rnd(r) : below(r, 4);
		break;
	}
	case _IOC_NR(REFSTORE_IOC_WRITE):
	case _IOC_NR(REFSTORE_IOC_READ): {
		struct refstore_rw *a = (void *)arg;

		a->handle = a_handle(heap, r);
		a->offset = one_in(r, 20) ? rnd(r) : below(r, 256);
		a->length = one_in(r, 20) ? (one_in(r, 2) ? rnd(r) :
					     below(r, DATA_SIZE + 2)) :
					    below(r, 256);
		a->data = a_pointer(r, data_buf,
				    a->length < DATA_SIZE ? a->length : DATA_SIZE);
		break;
	}
	case _IOC_NR(REFSTORE_IOC_SET_LIMITS): {
		struct refstore_limits *a = (void *)arg;

		/* Mostly "keep"; lowering is one-way, so rarely and mildly. */
		if (one_in(r, 8))
			a->max_objects = 1000 + below(r, 100000);
		if (one_in(r, 8))
			a->max_handles = 1000 + below(r, 100000);
		if (one_in(r, 16))
			a->max_events = 1 + below(r, 5000);
		if (one_in(r, 16))
			a->max_slots = below(r, 2000);
		if (one_in(r, 32))
			a->max_bytes = rnd(r);	/* mostly EPERM */
		break;
	}
	case _IOC_NR(REFSTORE_IOC_GC_COLLECT):
		((struct refstore_gc_collect *)arg)->generation =
			one_in(r, 10) ? rnd(r) : below(r, 3);
		break;
	case _IOC_NR(REFSTORE_IOC_GC_SET_THRESHOLD): {
		struct refstore_gc_threshold *a = (void *)arg;
		int g;

		for (g = 0; g < 3; g++)
			a->threshold[g] = one_in(r, 10) ? rnd(r) :
					  below(r, g ? 20 : 2000);
		break;
	}
	case _IOC_NR(REFSTORE_IOC_GC_SET_DEBUG):
		/*
		 * Never DEBUG_STATS: one kernel log line per collection
		 * would flood the (slow, emulated) serial console.
		 */
		((struct refstore_gc_value *)arg)->value =
			(one_in(r, 4) ? rnd(r) : below(r, 4)) &
			~(uint64_t)REFSTORE_GC_DEBUG_STATS;
		break;
	case _IOC_NR(REFSTORE_IOC_GC_GARBAGE): {
		struct refstore_gc_garbage *a = (void *)arg;

		a->capacity = one_in(r, 10) ? rnd(r) : below(r, 64);
		a->handles = a_pointer(r, (uint8_t *)hbuf,
				       (a->capacity < 64 ? a->capacity : 64) * 4);
		break;
	}
	default:
		break;
	}

	/* One mutation, sometimes. */
	switch (below(r, 40)) {
	case 0: /* size: too small, one short, bigger with a non-zero tail */
		*(uint32_t *)arg = below(r, 3) == 0 ? below(r, c->size) :
				   c->size + 8 * (1 + below(r, 4));
		if (one_in(r, 2))
			arg[c->size + below(r, 8)] = 1 + below(r, 255);
		break;
	case 1: /* flags */
		((uint32_t *)arg)[1] = one_in(r, 2) ? 1u << below(r, 32) : rnd(r);
		break;
	case 2: /* any byte */
		arg[below(r, c->size)] ^= 1 + below(r, 255);
		break;
	case 3: /* huge size */
		*(uint32_t *)arg = one_in(r, 2) ? 4096 + below(r, 8192) : rnd(r);
		break;
	default:
		break;
	}
}

/* Record handles a successful call returned. */
static void harvest(struct rng *r, int heap, const struct cmd *c,
		    const uint8_t *arg, const uint32_t *hbuf)
{
	switch (_IOC_NR(c->nr)) {
	case _IOC_NR(REFSTORE_IOC_CREATE):
		remember(heap, ((const struct refstore_create *)arg)->handle, r);
		break;
	case _IOC_NR(REFSTORE_IOC_DUP):
	case _IOC_NR(REFSTORE_IOC_UPGRADE):
		remember(heap, ((const struct refstore_dup *)arg)->new_handle, r);
		break;
	case _IOC_NR(REFSTORE_IOC_WEAKREF):
		remember(heap, ((const struct refstore_weakref *)arg)->weak, r);
		break;
	case _IOC_NR(REFSTORE_IOC_GET_SLOT):
		remember(heap, ((const struct refstore_get_slot *)arg)->target, r);
		break;
	case _IOC_NR(REFSTORE_IOC_GC_GARBAGE): {
		const struct refstore_gc_garbage *g = (const void *)arg;
		uint32_t i;

		if (g->handles == (uintptr_t)hbuf)
			for (i = 0; i < g->count && i < 64; i++)
				remember(heap, hbuf[i], r);
		break;
	}
	default:
		break;
	}
}

/* Copy @arg to where the call will read it from: mostly a valid buffer. */
static void *place(struct rng *r, uint8_t *arg, size_t len)
{
	switch (below(r, 40)) {
	case 0:
		return NULL;
	case 1:
		return hole;
	case 2:
		return none_page;
	case 3: /* readable, not writable: the copy back fails */
		return ro_page;
	case 4: /* straddles into PROT_NONE */
		memcpy(edge + PAGE - 8, arg, 8);
		return edge + PAGE - 8;
	default:
		return arg;
	}
}

static void one_call(struct rng *r, uint8_t *arg, uint32_t *hbuf)
{
	int heap = below(r, opt_heaps), fd = heap_fd[heap];
	const struct cmd *c = &cmds[below(r, NCMDS)];
	unsigned long nr = c->nr;
	void *p;
	int ret;

	switch (below(r, 200)) {
	case 0: { /* close and reopen the heap under everyone */
		int nfd = open_heap();

		dup2(nfd, fd);
		close(nfd);
		atomic_fetch_add(&reopens, 1);
		return;
	}
	case 1: case 2: case 3: { /* read events, various sizes/pointers */
		size_t len = one_in(r, 4) ? below(r, 64) : 24 * below(r, 20);

		if (read(fd, (void *)(uintptr_t)a_pointer(r, data_buf, len),
			 len) < 0)
			(void)errno;
		return;
	}
	case 4: {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		poll(&pfd, 1, 0);
		return;
	}
	case 5: /* a random command */
		nr = one_in(r, 2) ? rnd(r) :
		     _IOC(below(r, 4), REFSTORE_IOC_MAGIC, below(r, 64),
			  below(r, 256));
		break;
	case 6: /* right number, wrong size/direction encoded */
		nr = _IOC(below(r, 4), REFSTORE_IOC_MAGIC, _IOC_NR(c->nr),
			  below(r, 256));
		break;
	default:
		break;
	}

	fill(r, heap, c, arg, hbuf);
	p = place(r, arg, c->size);
	if (p == ro_page && !opt_no_mprotect) {
		mprotect(ro_page, PAGE, PROT_READ | PROT_WRITE);
		memcpy(ro_page, arg, c->size);
		mprotect(ro_page, PAGE, PROT_READ);
	}
	ret = ioctl(fd, nr, p);
	if (!ret && p == arg && nr == c->nr)
		harvest(r, heap, c, arg, hbuf);
}

struct thread {
	pthread_t tid;
	struct rng r;
	uint64_t calls;
	uint8_t arg[PAGE] __attribute__((aligned(8)));
	uint32_t hbuf[64];
};

static void *thread_main(void *p)
{
	struct thread *t = p;
	uint64_t n;

	ro_page = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ro_page == MAP_FAILED) {
		perror("refstore-fuzz: mmap");
		exit(2);
	}
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		n = atomic_fetch_add(&calls_done, 1);
		if (n >= opt_calls) {
			atomic_store(&stop, true);
			break;
		}
		one_call(&t->r, t->arg, t->hbuf);
		t->calls++;
	}
	return NULL;
}

/*
 * What the module charges the user @uid: its open heaps and their bytes
 * (debugfs "users": a "uid heaps bytes" line per user with open heaps).
 * Returns 0 with both 0 when the user has no line: nothing is charged.
 */
static int user_stat(uid_t uid, int64_t *heaps, int64_t *bytes)
{
	FILE *f = fopen(DBG "/users", "r");
	char line[256];
	unsigned long u;
	long long h, b;

	*heaps = 0;
	*bytes = 0;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lu %lld %lld", &u, &h, &b) == 3 && u == uid) {
			*heaps = h;
			*bytes = b;
		}
	}
	fclose(f);
	return 0;
}

/* --garbage N: see the top of the file. */
static int make_garbage(unsigned long n)
{
	struct refstore_gc_value v = { .size = sizeof(v) };
	struct refstore_create c = { .size = sizeof(c), .nslots = 1 };
	struct refstore_set_slot s = { .size = sizeof(s) };
	struct refstore_close cl = { .size = sizeof(cl) };
	uint32_t first = 0, prev = 0;
	unsigned long i;
	int fd = open(DEV, O_RDWR);

	if (fd < 0 || ioctl(fd, REFSTORE_IOC_GC_DISABLE, &v)) {
		perror("refstore-fuzz: " DEV);
		return 2;
	}
	for (i = 0; i < n; i++) {
		if (ioctl(fd, REFSTORE_IOC_CREATE, &c)) {
			perror("refstore-fuzz: CREATE");
			return 2;
		}
		if (!first)
			first = c.handle;
		if (prev) {
			s.handle = prev;
			s.target = c.handle;
			ioctl(fd, REFSTORE_IOC_SET_SLOT, &s);
			if (prev != first) {	/* first: closed with the ring */
				cl.handle = prev;
				ioctl(fd, REFSTORE_IOC_CLOSE, &cl);
			}
		}
		prev = c.handle;
		/* Close a ring every 1000 objects. */
		if (i % 1000 == 999 || i == n - 1) {
			s.handle = prev;
			s.target = first;
			ioctl(fd, REFSTORE_IOC_SET_SLOT, &s);
			cl.handle = prev;
			ioctl(fd, REFSTORE_IOC_CLOSE, &cl);
			if (first != prev) {
				cl.handle = first;
				ioctl(fd, REFSTORE_IOC_CLOSE, &cl);
			}
			first = prev = 0;
		}
	}
	v.value = 0;
	ioctl(fd, REFSTORE_IOC_GC_ENABLE, &v);
	printf("refstore-fuzz: %lu objects of garbage, collector kicked, exiting\n", n);
	fflush(stdout);
	_exit(0);	/* the heap goes with the process, mid-collection */
}

/* --park-heap FILE: see the top of the file. */
static int park_heap(const char *park)
{
	struct refstore_create c = { .size = sizeof(c), .nslots = 1 };
	struct refstore_heap_stats st = { .size = sizeof(st) };
	struct refstore_gc_threshold t = { .size = sizeof(t),
					   .threshold = { 1, 10, 10 } };
	char buf[32];
	int fd = open(DEV, O_RDWR), i, pf;
	ssize_t n;

	if (fd < 0 || ioctl(fd, REFSTORE_IOC_HEAP_STATS, &st) ||
	    ioctl(fd, REFSTORE_IOC_GC_SET_THRESHOLD, &t)) {
		perror("refstore-fuzz: " DEV);
		return 2;
	}
	/* Two objects with slots: count 2 > threshold 1 kicks the thread. */
	for (i = 0; i < 2; i++) {
		if (ioctl(fd, REFSTORE_IOC_CREATE, &c)) {
			perror("refstore-fuzz: CREATE");
			return 2;
		}
	}
	/* The thread parks on the heap it dequeues: wait until it is ours. */
	for (i = 0; i < 600; i++) {
		pf = open(park, O_RDONLY);
		if (pf < 0) {
			perror(park);
			return 2;
		}
		n = read(pf, buf, sizeof(buf) - 1);
		close(pf);
		if (n > 0) {
			buf[n] = 0;
			if (strtoull(buf, NULL, 0) == st.heap_id) {
				printf("refstore-fuzz: heap %llu parked in the collector, exiting\n",
				       (unsigned long long)st.heap_id);
				return 0;
			}
		}
		usleep(100000);
	}
	fprintf(stderr, "refstore-fuzz: the collector never parked on heap %llu\n",
		(unsigned long long)st.heap_id);
	return 1;
}

static void usage(void)
{
	fprintf(stderr, "usage: refstore-fuzz [--seed S] [--calls N] [--seconds S] [--threads T] [--heaps H] [--quiet] [--no-mprotect]\n       refstore-fuzz --garbage N\n       refstore-fuzz --park-heap GC_PARK_FILE\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "calls", required_argument, NULL, 'n' },
		{ "seconds", required_argument, NULL, 't' },
		{ "threads", required_argument, NULL, 'j' },
		{ "heaps", required_argument, NULL, 'H' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "no-mprotect", no_argument, NULL, 'M' },
		{ "garbage", required_argument, NULL, 'g' },
		{ "park-heap", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	static struct thread threads[MAX_THREADS];
	uint64_t seed_state, start, end_ns, elapsed;
	bool seeded = false;
	int64_t heaps, bytes;
	int i, c;

	while ((c = getopt_long(argc, argv, "s:n:t:j:H:qMg:P:h", opts, NULL)) != -1) {
		switch (c) {
		case 's': opt_seed = strtoull(optarg, NULL, 0); seeded = true; break;
		case 'n': opt_calls = strtoull(optarg, NULL, 0); break;
		case 't': opt_seconds = strtoul(optarg, NULL, 0); break;
		case 'j': opt_threads = atoi(optarg); break;
		case 'H': opt_heaps = atoi(optarg); break;
		case 'q': opt_quiet = true; break;
		case 'M': opt_no_mprotect = true; break;
		case 'g': return make_garbage(strtoul(optarg, NULL, 0));
		case 'P': return park_heap(optarg);
		default: usage();
		}
	}
	if (opt_threads < 1 || opt_threads > MAX_THREADS ||
	    opt_heaps < 1 || opt_heaps > MAX_HEAPS)
		usage();
	if (!seeded)
		opt_seed = now_ns() ^ ((uint64_t)getpid() << 32);
	if (!opt_quiet)
		printf("refstore-fuzz: seed %llu, calls %llu, seconds %u, threads %d, heaps %d\n",
	       (unsigned long long)opt_seed, (unsigned long long)opt_calls,
	       opt_seconds, opt_threads, opt_heaps);
	fflush(stdout);

	/* Special memory. */
	none_page = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	hole = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	edge = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	data_buf = mmap(NULL, DATA_SIZE + PAGE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (none_page == MAP_FAILED ||
	    hole == MAP_FAILED || edge == MAP_FAILED || data_buf == MAP_FAILED) {
		perror("refstore-fuzz: mmap");
		return 2;
	}
	munmap(hole, PAGE);
	mprotect(edge + PAGE, PAGE, PROT_NONE);

	for (i = 0; i < opt_heaps; i++)
		heap_fd[i] = open_heap();

	seed_state = opt_seed;
	for (i = 0; i < opt_threads; i++)
		threads[i].r.s = splitmix(&seed_state) | 1;

	start = now_ns();
	end_ns = opt_seconds ? start + opt_seconds * 1000000000ull : 0;
	for (i = 0; i < opt_threads; i++)
		if (pthread_create(&threads[i].tid, NULL, thread_main, &threads[i])) {
			perror("refstore-fuzz: pthread_create");
			return 2;
		}
	while (!atomic_load(&stop)) {
		usleep(100000);
		if (end_ns && now_ns() >= end_ns)
			atomic_store(&stop, true);
	}
	for (i = 0; i < opt_threads; i++)
		pthread_join(threads[i].tid, NULL);
	elapsed = now_ns() - start;

	for (i = 0; i < opt_heaps; i++)
		close(heap_fd[i]);

	/*
	 * Nothing may be left once every heap is closed: nothing charged to
	 * our user (other users, trinity's say, may hold heaps of their own).
	 */
	for (i = 0; i < 1000; i++) {
		if (user_stat(getuid(), &heaps, &bytes))
			heaps = bytes = -1;
		if (!heaps && !bytes)
			break;
		usleep(10000);
	}
	{
		uint64_t total = 0;

		for (i = 0; i < opt_threads; i++)
			total += threads[i].calls;
		printf("refstore-fuzz: seed %llu: %llu calls in %.1f s (%.0f calls/s), %llu heap reopens; after close: our heaps %lld, bytes %lld\n",
		       (unsigned long long)opt_seed, (unsigned long long)total,
		       elapsed / 1e9, total / (elapsed / 1e9),
		       (unsigned long long)atomic_load(&reopens),
		       (long long)heaps, (long long)bytes);
	}
	if (heaps || bytes) {
		printf("refstore-fuzz: FAIL: heaps or bytes still charged to us after closing every heap\n");
		return 1;
	}
	return 0;
}
