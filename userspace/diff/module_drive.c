// SPDX-License-Identifier: GPL-2.0
/*
 * refstore-cpython-drive - the module running the programs of
 * userspace/host/cpython_diff.py, in the VM: one operation per line on
 * stdin, one observation line per operation on stdout, in the format of
 * userspace/host/cpython_drive.c (the core's driver), so that the host
 * compares them with what CPython 3.11's gc does with the same programs
 * (cpython_diff.py --vm-input / --vm-compare; scripts/check-vm-diff).
 *
 * Every program gets a new heap (a new open of /dev/refstore) with
 * automatic collection off (gc.disable()) and no time bound (delay 0);
 * every object is NOTIFY, with the program's creation index as cookie and
 * tag. What is observed is what a user of the module sees:
 *   r  GC_COLLECT's unreachable count (-1 for other ops)
 *   d  death events read() from the heap: cookie and cause (CYCLE: "gc",
 *      RELEASED: "rc"), sorted by index; an object whose weak reference
 *      asked for a callback (Q) shows its callback event ("cb") joined to
 *      its death in the order they came ("cb+gc", "rc+cb")
 *   w  the weak handles (one per object, made by the first W) that
 *      UPGRADE still accepts (the handle it gives is closed at once)
 *   c  GC_GET_COUNT's count[1], count[2]
 *   s  GC_GET_STATS per generation: collections, collected, uncollectable
 *   g  GC_GARBAGE's total
 * An op the program language makes a no-op (an empty handle, a slot out
 * of range) is a no-op here too, decided from what the driver knows of
 * its handles (object index and slot count, from INFO).
 *
 * Usage: refstore-cpython-drive < program-lines > observation-lines
 * Exit status 0, or 1 with a message on stderr if a call failed that the
 * program cannot make fail.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/refstore.h>

#include "librefstore.h"

#define MAX_HANDLES 64

/* A program handle: the module's handle, its object's index and slots. */
struct phandle {
	uint32_t h;
	uint32_t nslots;
	uint64_t idx;
};

static int heap = -1;
static unsigned long lineno;
static struct phandle handle[MAX_HANDLES];
/*
 * Per object index: its weak handle (0: none made); the weak handle with
 * a callback (Q; kept until the program ends: closing it would cancel the
 * callback); whether its death was read (it was finalized).
 */
static uint32_t *weak, *cbweak;
static bool *dead;
static size_t nobjs, capobjs;
/*
 * Events read since the last observation, as (index << 24 | arrival) * 4 +
 * kind (1: death by counting, 2: by the collector, 3: a callback).
 */
static uint64_t *deaths;
static uint32_t arrival;
static size_t ndeaths, capdeaths;

static void __attribute__((noreturn, format(printf, 1, 2)))
fail(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "refstore-cpython-drive: line %lu: ", lineno);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

#define CHECK(call) do {						\
	int _r = (call);						\
	if (_r)								\
		fail("%s: %s", #call, strerror(-_r));			\
} while (0)

static void *grow(void *p, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return p;
	*cap = *cap ? 2 * *cap : 1024;
	p = realloc(p, *cap * size);
	if (!p)
		fail("out of memory");
	return p;
}

static void program_end(void)
{
	if (heap >= 0)
		close(heap);
	heap = -1;
	memset(handle, 0, sizeof(handle));
	nobjs = 0;
	ndeaths = 0;
}

static void program_start(void)
{
	struct refstore_limits lim = { .size = sizeof(lim) };

	program_end();
	heap = rs_open(O_NONBLOCK);
	if (heap < 0)
		fail("open: %s", strerror(-heap));
	CHECK(rs_gc_value(heap, REFSTORE_IOC_GC_DISABLE, 0, NULL));
	CHECK(rs_gc_value(heap, REFSTORE_IOC_GC_SET_DELAY, 0, NULL));
	/* The 100k chains die in one op: every death must be queued. */
	lim.flags = REFSTORE_LIMITS_RAISE;
	lim.max_events = 1 << 20;
	CHECK(rs_set_limits(heap, &lim));
}

/* Handle @h now names @n (a handle the caller made), or nothing. */
static void take(int h, const struct phandle *n)
{
	struct phandle old = handle[h];

	if (n)
		handle[h] = *n;
	else
		memset(&handle[h], 0, sizeof(handle[h]));
	if (old.h)
		CHECK(rs_close(heap, old.h));
}

/* A new NOTIFY object with @nslots slots, index nobjs. */
static struct phandle new_obj(uint32_t nslots)
{
	struct phandle p = { .nslots = nslots, .idx = nobjs };

	size_t cap = capobjs;

	weak = grow(weak, &capobjs, nobjs, sizeof(*weak));
	capobjs = cap;
	cbweak = grow(cbweak, &capobjs, nobjs, sizeof(*cbweak));
	capobjs = cap;
	dead = grow(dead, &capobjs, nobjs, sizeof(*dead));
	CHECK(rs_create(heap, 0, nslots, REFSTORE_CREATE_NOTIFY, p.idx, p.idx,
			&p.h, NULL));
	weak[nobjs] = 0;
	cbweak[nobjs] = 0;
	dead[nobjs++] = false;
	return p;
}

/* What a new strong handle @h names. */
static struct phandle describe(uint32_t h)
{
	struct refstore_info info;
	struct phandle p = { .h = h };

	CHECK(rs_info(heap, h, &info));
	p.nslots = info.nslots;
	p.idx = info.tag;
	return p;
}

static bool valid_h(int h)
{
	return h >= 0 && h < MAX_HANDLES && handle[h].h;
}

static void read_deaths(void)
{
	struct refstore_event ev[256];
	ssize_t n, i;

	for (;;) {
		n = rs_read_events(heap, ev, 256);
		if (n == -EAGAIN)
			return;
		if (n < 0)
			fail("read: %s", strerror((int)-n));
		for (i = 0; i < n; i++) {
			unsigned int kind;

			switch (ev[i].cause) {
			case REFSTORE_CAUSE_RELEASED:
				kind = 1;
				break;
			case REFSTORE_CAUSE_CYCLE:
				kind = 2;
				break;
			case REFSTORE_CAUSE_WEAKREF:
			case REFSTORE_CAUSE_WEAKREF_CYCLE:
				kind = 3;
				break;
			default:
				fail("event cause %u (%s)", ev[i].cause,
				     rs_cause_name(ev[i].cause));
			}
			if (ev[i].cookie >= nobjs)
				fail("event cookie %llu",
				     (unsigned long long)ev[i].cookie);
			if (kind != 3)
				dead[ev[i].cookie] = true;
			deaths = grow(deaths, &capdeaths, ndeaths,
				      sizeof(*deaths));
			deaths[ndeaths++] = ((ev[i].cookie << 24 |
					      (arrival++ & 0xffffff)) << 2) +
					    kind;
		}
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static bool weak_alive(uint32_t w)
{
	uint32_t h;
	int ret = rs_upgrade(heap, w, &h);

	if (ret == -ENOENT)
		return false;
	CHECK(ret);
	CHECK(rs_close(heap, h));
	return true;
}

static void observe(long ret)
{
	struct refstore_gc_count cnt = { .size = sizeof(cnt) };
	struct refstore_gc_stats st;
	const char *sep = "";
	uint64_t total;
	uint32_t count;
	size_t i;
	int g;

	read_deaths();
	qsort(deaths, ndeaths, sizeof(*deaths), cmp_u64);
	printf("r=%ld d=", ret);
	for (i = 0; i < ndeaths; i++) {
		static const char *const kind[] = { "", "rc", "gc", "cb" };
		uint64_t idx = deaths[i] >> 26;

		/* An object's events are adjacent, in arrival order. */
		if (i && deaths[i - 1] >> 26 == idx)
			printf("+%s", kind[deaths[i] & 3]);
		else
			printf("%s%llu:%s", sep, (unsigned long long)idx,
			       kind[deaths[i] & 3]);
		sep = ",";
	}
	ndeaths = 0;
	arrival = 0;
	printf(" w=");
	sep = "";
	for (i = 0; i < nobjs; i++) {
		if (weak[i] && weak_alive(weak[i])) {
			printf("%s%zu", sep, i);
			sep = ",";
		}
	}
	/* count[0] is not compared (see observe() in cpython_diff.py). */
	CHECK(rs_ioctl(heap, REFSTORE_IOC_GC_GET_COUNT, &cnt));
	printf(" c=%lld,%lld", (long long)cnt.count[1],
	       (long long)cnt.count[2]);
	CHECK(rs_gc_get_stats(heap, &st));
	for (g = 0; g < REFSTORE_GC_GENERATIONS; g++)
		printf(" s%d=%llu,%llu,%llu", g,
		       (unsigned long long)st.gen[g].collections,
		       (unsigned long long)st.gen[g].collected,
		       (unsigned long long)st.gen[g].uncollectable);
	CHECK(rs_gc_garbage(heap, NULL, 0, &count, &total));
	printf(" g=%llu\n", (unsigned long long)total);
}

/* H i t: handle t = object i, if it is on the garbage list. */
static void from_garbage(long i, int t)
{
	uint32_t hs[REFSTORE_SNAPSHOT_MAX], count, k;
	uint64_t total, cursor = 0;
	struct phandle p;
	bool found = false;

	/* A page of at most REFSTORE_SNAPSHOT_MAX handles per call. */
	do {
		CHECK(rs_gc_garbage_from(heap, &cursor, hs, REFSTORE_SNAPSHOT_MAX,
					 &count, &total));
		for (k = 0; k < count; k++) {
			p = describe(hs[k]);
			if (!found && p.idx == (uint64_t)i) {
				found = true;
				take(t, &p);
			} else {
				CHECK(rs_close(heap, hs[k]));
			}
		}
	} while (count && cursor < total);
}

int main(void)
{
	char line[256], op;
	long a, b, c;
	struct phandle p, prev, head;
	uint64_t unreachable;
	uint32_t h;
	long ret, j;
	int n;

	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	while (fgets(line, sizeof(line), stdin)) {
		lineno++;
		a = b = c = -1;
		n = sscanf(line, " %c %ld %ld %ld", &op, &a, &b, &c);
		if (n < 1)
			continue;
		ret = -1;
		if (op != 'P' && op != 'E' && heap < 0)
			fail("an op before P");
		switch (op) {
		case 'P':	/* a new program */
			program_start();
			continue;
		case 'E':	/* end of input */
			program_end();
			fflush(stdout);
			return 0;
		case 'N':	/* N h k: handle h = new object with k slots */
			if (a >= 0 && a < MAX_HANDLES) {
				p = new_obj(b);
				take(a, &p);
			}
			break;
		case 'L':	/* L h n: handle h = head of an n-chain */
			memset(&head, 0, sizeof(head));
			memset(&prev, 0, sizeof(prev));
			for (j = 0; j < b; j++) {
				p = new_obj(1);
				if (prev.h) {
					CHECK(rs_set_slot(heap, prev.h, 0, p.h));
					if (prev.h != head.h)
						CHECK(rs_close(heap, prev.h));
				} else {
					head = p;
				}
				prev = p;
			}
			if (prev.h && prev.h != head.h)
				CHECK(rs_close(heap, prev.h));
			if (head.h)
				take(a, &head);
			break;
		case 'S':	/* S h s t: h.s = t */
			if (valid_h(a) && b < handle[a].nslots && valid_h(c))
				CHECK(rs_set_slot(heap, handle[a].h, b,
						  handle[c].h));
			break;
		case 'C':	/* C h s: h.s = None */
			if (valid_h(a) && b < handle[a].nslots)
				CHECK(rs_set_slot(heap, handle[a].h, b, 0));
			break;
		case 'G':	/* G h s t: handle t = h.s (a weak one: r=1/0) */
			if (valid_h(a) && b < handle[a].nslots &&
			    c >= 0 && c < MAX_HANDLES) {
				uint32_t flags;

				CHECK(rs_get_slot_ex(heap, handle[a].h, b, &h,
						     NULL, &flags));
				if (flags & REFSTORE_SLOT_WEAK)
					ret = !!h;
				if (h) {
					p = describe(h);
					take(c, &p);
				}
			}
			break;
		case 'D':	/* D h: drop handle h */
			if (valid_h(a))
				take(a, NULL);
			break;
		case 'U':	/* U h t: handle t = h */
			if (valid_h(a) && b >= 0 && b < MAX_HANDLES) {
				p = handle[a];
				CHECK(rs_dup(heap, handle[a].h, &p.h));
				take(b, &p);
			}
			break;
		case 'Y':	/* Y h s t: h.s = weakref.ref(t) */
			if (valid_h(a) && b < handle[a].nslots && valid_h(c))
				CHECK(rs_set_slot_weak(heap, handle[a].h, b,
						       handle[c].h));
			break;
		case 'Q':	/* Q h: weakref.ref(h, callback) */
			if (valid_h(a) && !cbweak[handle[a].idx] &&
			    !dead[handle[a].idx])
				CHECK(rs_weakref_ex(heap, handle[a].h,
						    REFSTORE_WEAKREF_CALLBACK,
						    handle[a].idx,
						    &cbweak[handle[a].idx]));
			break;
		case 'W':	/* W h: a weak reference to h's object */
			if (valid_h(a) && !weak[handle[a].idx])
				CHECK(rs_weakref(heap, handle[a].h,
						 &weak[handle[a].idx]));
			break;
		case 'X':	/* X g: gc.collect(g) */
			CHECK(rs_gc_collect(heap, a, &unreachable));
			ret = unreachable;
			break;
		case 'F':
			CHECK(rs_gc_value(heap, REFSTORE_IOC_GC_FREEZE, 0, NULL));
			break;
		case 'Z':
			CHECK(rs_gc_value(heap, REFSTORE_IOC_GC_UNFREEZE, 0,
					  NULL));
			break;
		case 'A':	/* A 0|1: DEBUG_SAVEALL off or on */
			CHECK(rs_gc_value(heap, REFSTORE_IOC_GC_SET_DEBUG,
					  a ? REFSTORE_GC_DEBUG_SAVEALL : 0,
					  NULL));
			break;
		case 'K':	/* del gc.garbage[:] */
			CHECK(rs_gc_value(heap, REFSTORE_IOC_GC_CLEAR_GARBAGE,
					  0, NULL));
			break;
		case 'H':	/* H i t: handle t = object i, if in gc.garbage */
			if (a >= 0 && (size_t)a < nobjs && b >= 0 &&
			    b < MAX_HANDLES)
				from_garbage(a, b);
			break;
		default:
			fail("bad op line: %s", line);
		}
		observe(ret);
	}
	program_end();
	fflush(stdout);
	return 0;
}
