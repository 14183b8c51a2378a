// SPDX-License-Identifier: GPL-2.0
/*
 * refstore-fuzz: an in-guest random ioctl fuzzer for /dev/refstore.
 *
 *   refstore-fuzz [--seed S] [--calls N] [--seconds S] [--threads T]
 *                 [--heaps H] [--user UID] [--quiet] [--no-mprotect]
 *   refstore-fuzz --garbage N
 *   refstore-fuzz --park-heap GC_PARK_FILE
 *
 * --garbage N is not fuzzing: it builds N objects of unreachable rings in
 * one heap with automatic collection off, sets the heap's delay to 1 ms
 * and turns collection on (which arms the heap's timer: the collector
 * thread runs timed collections, threshold ones run in the caller), waits
 * until debugfs "gc" shows the thread woke for it, and exits, so the heap
 * is released while that collection runs (scripts/vm-stress uses it).
 *
 * --park-heap is not fuzzing either: with the collector parked by the
 * debugfs test knob gc_park (written 1 beforehand), it drops a 2-cycle
 * with a 1 ms delay (the timer queues the heap for the thread), waits
 * until GC_PARK_FILE names that heap (the thread holds it), and exits,
 * leaving the thread the heap's last reference.
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
 * --user UID fuzzes as an unprivileged user, the attacker that matters
 * (/dev/refstore is 0666): a forked child drops to uid and gid UID with
 * no groups and no capabilities (so no CAP_SYS_RESOURCE: the per-user
 * caps apply, and no debugfs) and fuzzes; the parent, still root, waits
 * and checks that nothing is charged to UID afterwards.
 *
 * The commands and how their structures are filled are one table
 * (cmds[] below): a new ioctl is one line there.
 *
 * Each thread's random stream is derived from the seed, so --threads 1
 * replays exactly; with more threads the interleaving varies.
 *
 * Checked: only that the kernel survives (the VM runner fails the run on
 * any splat) and that once every heap is closed nothing is charged to the
 * fuzzer's user any more (debugfs "users": no heap, no byte; other users,
 * such as a second fuzzer as another uid beside it, may hold heaps of
 * their own). Errors from calls are expected and not failures. Prints the
 * seed first and the call count and rate at the end. Exit status 0, or 1
 * if something was left behind (2 on a setup failure).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
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

/*
 * The call table: one entry per command, picked with probability weight /
 * total weight. To fuzz a new ioctl, add one CMD() line (with a fill
 * function if its structure has fields worth choosing, and a harvest
 * function if it returns handles); zero-filled structures with only
 * "size" set are the default, and fill_arg's mutations apply to all.
 */
struct cmd;
/* Fill a well-formed @arg (zeroed, size set) for heap @heap. */
typedef void fill_fn(struct rng *r, int heap, const struct cmd *c,
		     uint8_t *arg, uint32_t *hbuf);
/* Remember the handles a successful call returned in @arg. */
typedef void harvest_fn(struct rng *r, int heap, const uint8_t *arg,
			const uint32_t *hbuf);

struct cmd {
	const char *name;
	unsigned long nr;
	unsigned int size;
	unsigned int weight;
	fill_fn *fill;
	harvest_fn *harvest;
};

static void fill_create(struct rng *r, int heap, const struct cmd *c,
			uint8_t *arg, uint32_t *hbuf)
{
	struct refstore_create *a = (void *)arg;

	a->payload_size = one_in(r, 50) ? below(r, DATA_SIZE + 2) :
					  below(r, 256);
	a->nslots = one_in(r, 50) ? below(r, 1100) : below(r, 5);
	a->tag = rnd(r);
	if (one_in(r, 4)) {
		a->flags = REFSTORE_CREATE_NOTIFY;
		a->cookie = rnd(r);
	}
}

/* DUP, CLOSE, INFO, WEAKREF, UPGRADE: a handle right after "flags". */
_Static_assert(offsetof(struct refstore_close, handle) == 8 &&
	       offsetof(struct refstore_info, handle) == 8 &&
	       offsetof(struct refstore_weakref, handle) == 8 &&
	       offsetof(struct refstore_upgrade, weak) == 8 &&
	       offsetof(struct refstore_dup, handle) == 8,
	       "fill_handle's handle at offset 8");
_Static_assert(offsetof(struct refstore_weakref, weak) == 12 &&
	       offsetof(struct refstore_upgrade, handle) == 12 &&
	       offsetof(struct refstore_dup, new_handle) == 12,
	       "harvest_new_handle's handle at offset 12");
static void fill_handle(struct rng *r, int heap, const struct cmd *c,
			uint8_t *arg, uint32_t *hbuf)
{
	((struct refstore_dup *)arg)->handle = a_handle(heap, r);
}

static void fill_set_slot(struct rng *r, int heap, const struct cmd *c,
			  uint8_t *arg, uint32_t *hbuf)
{
	struct refstore_set_slot *a = (void *)arg;

	a->handle = a_handle(heap, r);
	a->slot = one_in(r, 10) ? rnd(r) : below(r, 4);
	a->target = one_in(r, 5) ? 0 : a_handle(heap, r);
	/* Weak slots (a weak or strong handle names the target). */
	if (one_in(r, 4))
		a->flags = REFSTORE_SLOT_WEAK;
}

static void fill_weakref(struct rng *r, int heap, const struct cmd *c,
			 uint8_t *arg, uint32_t *hbuf)
{
	struct refstore_weakref *a = (void *)arg;

	a->handle = a_handle(heap, r);
	/* Callbacks (weakref.ref(obj, cb)), and weak from weak. */
	if (one_in(r, 3)) {
		a->flags |= REFSTORE_WEAKREF_CALLBACK;
		a->cookie = rnd(r);
	}
	if (one_in(r, 4))
		a->flags |= REFSTORE_WEAKREF_FROM_WEAK;
}

static void fill_weakrefs(struct rng *r, int heap, const struct cmd *c,
			  uint8_t *arg, uint32_t *hbuf)
{
	struct refstore_weakrefs *a = (void *)arg;

	a->handle = a_handle(heap, r);
	a->capacity = one_in(r, 10) ? rnd(r) : below(r, 16);
	a->start = one_in(r, 10) ? rnd(r) : below(r, 8);
	a->entries = a_pointer(r, data_buf,
			       (a->capacity < 16 ? a->capacity : 16) *
			       sizeof(struct refstore_weakref_entry));
}

/* Object ids are per heap, counted from 1: mostly small ones. */
static uint64_t an_id(struct rng *r)
{
	return one_in(r, 10) ? rnd(r) : below(r, 256);
}

static void fill_traced_memory(struct rng *r, int heap, const struct cmd *c,
			       uint8_t *arg, uint32_t *hbuf)
{
	if (one_in(r, 4))
		((struct refstore_traced_memory *)arg)->flags =
			REFSTORE_TRACED_RESET_PEAK;
}

static void fill_tag_name(struct rng *r, int heap, const struct cmd *c,
			  uint8_t *arg, uint32_t *hbuf)
{
	struct refstore_tag_name *a = (void *)arg;

	a->tag = one_in(r, 2) ? below(r, 8) : rnd(r);
	a->name_len = one_in(r, 10) ? rnd(r) : below(r, REFSTORE_TAG_NAME_MAX + 1);
	a->name = a_pointer(r, data_buf, a->name_len < DATA_SIZE ?
			    a->name_len : DATA_SIZE);
}

static void fill_snapshot(struct rng *r, int heap, const struct cmd *c,
			  uint8_t *arg, uint32_t *hbuf)
{
	struct refstore_snapshot *a = (void *)arg;

	a->group = below(r, 3);
	a->entry_size = one_in(r, 10) ? below(r, 256) :
			sizeof(struct refstore_stat);
	a->cursor = one_in(r, 10) ? rnd(r) : below(r, 8);
	a->capacity = one_in(r, 10) ? rnd(r) : below(r, 16);
	a->entries = a_pointer(r, data_buf, DATA_SIZE);
}

static void fill_objects(struct rng *r, int heap, const struct cmd *c,
			 uint8_t *arg, uint32_t *hbuf)
{
	struct refstore_objects *a = (void *)arg;

	if (one_in(r, 3)) {
		a->flags = REFSTORE_OBJECTS_GENERATION;
		a->generation = below(r, 5);
	}
	a->entry_size = one_in(r, 10) ? below(r, 256) :
			sizeof(struct refstore_object_info);
	a->cursor = one_in(r, 10) ? rnd(r) : below(r, 64);
	a->capacity = one_in(r, 10) ? rnd(r) : below(r, 16);
	a->entries = a_pointer(r, data_buf, DATA_SIZE);
}

static void fill_referents(struct rng *r, int heap, const struct cmd *c,
			   uint8_t *arg, uint32_t *hbuf)
{
	struct refstore_referents *a = (void *)arg;

	a->id = an_id(r);
	a->capacity = one_in(r, 10) ? rnd(r) : below(r, 8);
	a->ids = a_pointer(r, data_buf, DATA_SIZE);
	if (one_in(r, 2))
		a->slot_flags = a_pointer(r, data_buf, DATA_SIZE);
}

static void fill_referrers(struct rng *r, int heap, const struct cmd *c,
			   uint8_t *arg, uint32_t *hbuf)
{
	struct refstore_referrers *a = (void *)arg;

	a->id = an_id(r);
	a->cursor = one_in(r, 10) ? rnd(r) : below(r, 8);
	a->capacity = one_in(r, 10) ? rnd(r) : below(r, 16);
	a->entries = a_pointer(r, data_buf, DATA_SIZE);
}

static void fill_id_handle(struct rng *r, int heap, const struct cmd *c,
			   uint8_t *arg, uint32_t *hbuf)
{
	((struct refstore_id_handle *)arg)->id = an_id(r);
}

static void harvest_id_handle(struct rng *r, int heap, const uint8_t *arg,
			      const uint32_t *hbuf)
{
	remember(heap, ((const struct refstore_id_handle *)arg)->handle, r);
}

static void fill_get_slot(struct rng *r, int heap, const struct cmd *c,
			  uint8_t *arg, uint32_t *hbuf)
{
	struct refstore_get_slot *a = (void *)arg;

	a->handle = a_handle(heap, r);
	a->slot = one_in(r, 10) ? rnd(r) : below(r, 4);
}

static void fill_rw(struct rng *r, int heap, const struct cmd *c,
		    uint8_t *arg, uint32_t *hbuf)
{
	struct refstore_rw *a = (void *)arg;

	a->handle = a_handle(heap, r);
	a->offset = one_in(r, 20) ? rnd(r) : below(r, 256);
	a->length = one_in(r, 20) ? (one_in(r, 2) ? rnd(r) :
				     below(r, DATA_SIZE + 2)) :
				    below(r, 256);
	a->data = a_pointer(r, data_buf,
			    a->length < DATA_SIZE ? a->length : DATA_SIZE);
}

static void fill_set_limits(struct rng *r, int heap, const struct cmd *c,
			    uint8_t *arg, uint32_t *hbuf)
{
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
}

static void fill_gc_collect(struct rng *r, int heap, const struct cmd *c,
			    uint8_t *arg, uint32_t *hbuf)
{
	((struct refstore_gc_collect *)arg)->generation =
		one_in(r, 10) ? rnd(r) : below(r, 3);
}

static void fill_gc_threshold(struct rng *r, int heap, const struct cmd *c,
			      uint8_t *arg, uint32_t *hbuf)
{
	struct refstore_gc_threshold *a = (void *)arg;
	int g;

	for (g = 0; g < 3; g++)
		a->threshold[g] = one_in(r, 10) ? rnd(r) :
				  below(r, g ? 20 : 2000);
}

static void fill_gc_debug(struct rng *r, int heap, const struct cmd *c,
			  uint8_t *arg, uint32_t *hbuf)
{
	/* Every flag: DEBUG_STATS and the reports are records on the fd. */
	((struct refstore_gc_value *)arg)->value =
		one_in(r, 4) ? rnd(r) : below(r, 32);
}

static void fill_gc_garbage(struct rng *r, int heap, const struct cmd *c,
			    uint8_t *arg, uint32_t *hbuf)
{
	struct refstore_gc_garbage *a = (void *)arg;

	a->capacity = one_in(r, 10) ? rnd(r) : below(r, 64);
	a->handles = a_pointer(r, (uint8_t *)hbuf,
			       (a->capacity < 64 ? a->capacity : 64) * 4);
}

static void harvest_create(struct rng *r, int heap, const uint8_t *arg,
			   const uint32_t *hbuf)
{
	remember(heap, ((const struct refstore_create *)arg)->handle, r);
}

/* DUP, WEAKREF, UPGRADE: the new handle where struct refstore_dup has it. */
static void harvest_new_handle(struct rng *r, int heap, const uint8_t *arg,
			       const uint32_t *hbuf)
{
	remember(heap, ((const struct refstore_dup *)arg)->new_handle, r);
}

static void harvest_get_slot(struct rng *r, int heap, const uint8_t *arg,
			     const uint32_t *hbuf)
{
	remember(heap, ((const struct refstore_get_slot *)arg)->target, r);
}

static void harvest_gc_garbage(struct rng *r, int heap, const uint8_t *arg,
			       const uint32_t *hbuf)
{
	const struct refstore_gc_garbage *g = (const void *)arg;
	uint32_t i;

	if (g->handles == (uintptr_t)hbuf)
		for (i = 0; i < g->count && i < 64; i++)
			remember(heap, hbuf[i], r);
}

/* CMD(IOC suffix, struct suffix, weight, fill or NULL, harvest or NULL) */
#define CMD(ioc, st, w, f, h) \
	{ #ioc, REFSTORE_IOC_##ioc, sizeof(struct refstore_##st), w, f, h }
static const struct cmd cmds[] = {
	CMD(VERSION, version, 1, NULL, NULL),
	CMD(CREATE, create, 3, fill_create, harvest_create),
	CMD(DUP, dup, 1, fill_handle, harvest_new_handle),
	CMD(CLOSE, close, 2, fill_handle, NULL),
	CMD(SET_SLOT, set_slot, 2, fill_set_slot, NULL),
	CMD(GET_SLOT, get_slot, 1, fill_get_slot, harvest_get_slot),
	CMD(WRITE, rw, 1, fill_rw, NULL),
	CMD(READ, rw, 1, fill_rw, NULL),
	CMD(INFO, info, 1, fill_handle, NULL),
	CMD(WEAKREF, weakref, 1, fill_weakref, harvest_new_handle),
	CMD(UPGRADE, upgrade, 1, fill_handle, harvest_new_handle),
	CMD(GET_LIMITS, limits, 1, NULL, NULL),
	CMD(SET_LIMITS, limits, 1, fill_set_limits, NULL),
	CMD(HEAP_STATS, heap_stats, 1, NULL, NULL),
	CMD(GC_COLLECT, gc_collect, 1, fill_gc_collect, NULL),
	CMD(GC_ENABLE, gc_value, 1, NULL, NULL),
	CMD(GC_DISABLE, gc_value, 1, NULL, NULL),
	CMD(GC_ISENABLED, gc_value, 1, NULL, NULL),
	CMD(GC_SET_THRESHOLD, gc_threshold, 1, fill_gc_threshold, NULL),
	CMD(GC_GET_THRESHOLD, gc_threshold, 1, NULL, NULL),
	CMD(GC_GET_COUNT, gc_count, 1, NULL, NULL),
	CMD(GC_GET_STATS, gc_stats, 1, NULL, NULL),
	CMD(GC_FREEZE, gc_value, 1, NULL, NULL),
	CMD(GC_UNFREEZE, gc_value, 1, NULL, NULL),
	CMD(GC_GET_FREEZE_COUNT, gc_value, 1, NULL, NULL),
	CMD(GC_SET_DEBUG, gc_value, 1, fill_gc_debug, NULL),
	CMD(GC_GET_DEBUG, gc_value, 1, NULL, NULL),
	CMD(GC_GARBAGE, gc_garbage, 1, fill_gc_garbage, harvest_gc_garbage),
	CMD(GC_CLEAR_GARBAGE, gc_value, 1, NULL, NULL),
	CMD(GC_SET_DELAY, gc_value, 1, NULL, NULL),
	CMD(GC_GET_DELAY, gc_value, 1, NULL, NULL),
	CMD(WEAKREF_COUNT, weakref_count, 1, fill_handle, NULL),
	CMD(WEAKREFS, weakrefs, 1, fill_weakrefs, NULL),
	CMD(TRACED_MEMORY, traced_memory, 1, fill_traced_memory, NULL),
	CMD(TAG_NAME, tag_name, 1, fill_tag_name, NULL),
	CMD(SNAPSHOT, snapshot, 1, fill_snapshot, NULL),
	CMD(OBJECTS, objects, 1, fill_objects, NULL),
	CMD(REFERENTS, referents, 1, fill_referents, NULL),
	CMD(REFERRERS, referrers, 1, fill_referrers, NULL),
	CMD(ID_HANDLE, id_handle, 1, fill_id_handle, harvest_id_handle),
};
#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))
static unsigned int cmds_weight;	/* the weights' sum, set in main() */

static const struct cmd *a_cmd(struct rng *r)
{
	unsigned int w = below(r, cmds_weight);
	size_t i;

	for (i = 0; i < NCMDS - 1 && w >= cmds[i].weight; i++)
		w -= cmds[i].weight;
	return &cmds[i];
}

/* Fill a well-formed structure for @c, then maybe mutate one thing. */
static void fill_arg(struct rng *r, int heap, const struct cmd *c, uint8_t *arg,
		     uint32_t *hbuf)
{
	memset(arg, 0, 256);
	*(uint32_t *)arg = c->size;
	if (c->fill)
		c->fill(r, heap, c, arg, hbuf);

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
	const struct cmd *c = a_cmd(r);
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

	fill_arg(r, heap, c, arg, hbuf);
	p = place(r, arg, c->size);
	if (p == ro_page && !opt_no_mprotect) {
		mprotect(ro_page, PAGE, PROT_READ | PROT_WRITE);
		memcpy(ro_page, arg, c->size);
		mprotect(ro_page, PAGE, PROT_READ);
	}
	ret = ioctl(fd, nr, p);
	if (!ret && p == arg && nr == c->nr && c->harvest)
		c->harvest(r, heap, arg, hbuf);
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

/* debugfs "gc"'s thread_wakeups, or -1 if it cannot be read. */
static long long thread_wakeups(void)
{
	FILE *f = fopen(DBG "/gc", "r");
	long long n = -1;
	char line[128];

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "thread_wakeups: %lld", &n) == 1)
			break;
	fclose(f);
	return n;
}

/* A 1 ms delay: the heap's next suspects arm its timer for the thread. */
static int set_delay_1ms(int fd)
{
	struct refstore_gc_value d = { .size = sizeof(d), .value = 1 };

	return ioctl(fd, REFSTORE_IOC_GC_SET_DELAY, &d);
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
	long long woke;

	if (fd < 0 || ioctl(fd, REFSTORE_IOC_GC_DISABLE, &v) ||
	    set_delay_1ms(fd)) {
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
	woke = thread_wakeups();
	v.value = 0;
	ioctl(fd, REFSTORE_IOC_GC_ENABLE, &v);
	/* The timer fires in 1 ms; wait until the thread took the heap. */
	for (i = 0; woke >= 0 && thread_wakeups() == woke && i < 6000; i++)
		usleep(10000);
	if (woke < 0)
		usleep(100000);	/* no debugfs: give the timer time */
	printf("refstore-fuzz: %lu objects of garbage, collector woken, exiting\n", n);
	fflush(stdout);
	_exit(0);	/* the heap goes with the process, mid-collection */
}

/* --park-heap FILE: see the top of the file. */
static int park_heap(const char *park)
{
	struct refstore_create a = { .size = sizeof(a), .nslots = 1 };
	struct refstore_create b = { .size = sizeof(b), .nslots = 1 };
	struct refstore_heap_stats st = { .size = sizeof(st) };
	struct refstore_set_slot s = { .size = sizeof(s) };
	struct refstore_close cl = { .size = sizeof(cl) };
	char buf[32];
	int fd = open(DEV, O_RDWR), i, pf;
	ssize_t n;

	if (fd < 0 || ioctl(fd, REFSTORE_IOC_HEAP_STATS, &st) ||
	    set_delay_1ms(fd)) {
		perror("refstore-fuzz: " DEV);
		return 2;
	}
	/* A dropped 2-cycle: its suspects arm the timer, which queues us. */
	if (ioctl(fd, REFSTORE_IOC_CREATE, &a) ||
	    ioctl(fd, REFSTORE_IOC_CREATE, &b)) {
		perror("refstore-fuzz: CREATE");
		return 2;
	}
	s.handle = a.handle;
	s.target = b.handle;
	if (ioctl(fd, REFSTORE_IOC_SET_SLOT, &s))
		goto out_slot;
	s.handle = b.handle;
	s.target = a.handle;
	if (ioctl(fd, REFSTORE_IOC_SET_SLOT, &s))
		goto out_slot;
	cl.handle = a.handle;
	ioctl(fd, REFSTORE_IOC_CLOSE, &cl);
	cl.handle = b.handle;
	ioctl(fd, REFSTORE_IOC_CLOSE, &cl);
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

out_slot:
	perror("refstore-fuzz: SET_SLOT");
	return 2;
}

static void usage(void)
{
	fprintf(stderr, "usage: refstore-fuzz [--seed S] [--calls N] [--seconds S] [--threads T] [--heaps H] [--user UID] [--quiet] [--no-mprotect]\n       refstore-fuzz --garbage N\n       refstore-fuzz --park-heap GC_PARK_FILE\n");
	exit(2);
}

/* Become @uid (and gid @uid) with no groups and no capabilities. */
static int drop_to(uid_t uid)
{
	if (setgroups(0, NULL) || setresgid(uid, uid, uid) ||
	    setresuid(uid, uid, uid)) {
		perror("refstore-fuzz: dropping privileges");
		return -1;
	}
	if (geteuid() != uid || !access(DBG, R_OK)) {
		fprintf(stderr, "refstore-fuzz: still privileged after dropping to uid %u\n",
			(unsigned int)uid);
		return -1;
	}
	return 0;
}

/*
 * The fuzzing itself: T threads for N calls or S seconds on H heaps, all
 * closed at the end. Prints the calls line; returns 0, or 2 on a setup
 * failure.
 */
static int fuzz(void)
{
	static struct thread threads[MAX_THREADS];
	uint64_t seed_state, start, end_ns, elapsed, total = 0;
	size_t k;
	int i;

	for (k = 0; k < NCMDS; k++)
		cmds_weight += cmds[k].weight;

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

	for (i = 0; i < opt_threads; i++)
		total += threads[i].calls;
	printf("refstore-fuzz: seed %llu: uid %u: %llu calls in %.1f s (%.0f calls/s), %llu heap reopens\n",
	       (unsigned long long)opt_seed, (unsigned int)getuid(),
	       (unsigned long long)total, elapsed / 1e9, total / (elapsed / 1e9),
	       (unsigned long long)atomic_load(&reopens));
	fflush(stdout);
	return 0;
}

/*
 * Nothing may be left once every heap of @uid is closed: nothing charged
 * to that user (other users, a second fuzzer's say, may hold heaps of their own).
 * Returns 0, or 1 if something was left behind.
 */
static int leak_check(uid_t uid)
{
	int64_t heaps, bytes;
	int i;

	for (i = 0; i < 1000; i++) {
		if (user_stat(uid, &heaps, &bytes))
			heaps = bytes = -1;
		if (!heaps && !bytes)
			break;
		usleep(10000);
	}
	printf("refstore-fuzz: after close: uid %u: heaps %lld, bytes %lld\n",
	       (unsigned int)uid, (long long)heaps, (long long)bytes);
	if (heaps || bytes) {
		printf("refstore-fuzz: FAIL: heaps or bytes still charged to uid %u after closing every heap\n",
		       (unsigned int)uid);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "calls", required_argument, NULL, 'n' },
		{ "seconds", required_argument, NULL, 't' },
		{ "threads", required_argument, NULL, 'j' },
		{ "heaps", required_argument, NULL, 'H' },
		{ "user", required_argument, NULL, 'u' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "no-mprotect", no_argument, NULL, 'M' },
		{ "garbage", required_argument, NULL, 'g' },
		{ "park-heap", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	bool seeded = false;
	long user = -1;
	int c, status, ret;
	pid_t pid;

	while ((c = getopt_long(argc, argv, "s:n:t:j:H:u:qMg:P:h", opts, NULL)) != -1) {
		switch (c) {
		case 's': opt_seed = strtoull(optarg, NULL, 0); seeded = true; break;
		case 'n': opt_calls = strtoull(optarg, NULL, 0); break;
		case 't': opt_seconds = strtoul(optarg, NULL, 0); break;
		case 'j': opt_threads = atoi(optarg); break;
		case 'H': opt_heaps = atoi(optarg); break;
		case 'u': user = strtol(optarg, NULL, 0); break;
		case 'q': opt_quiet = true; break;
		case 'M': opt_no_mprotect = true; break;
		case 'g': return make_garbage(strtoul(optarg, NULL, 0));
		case 'P': return park_heap(optarg);
		default: usage();
		}
	}
	if (opt_threads < 1 || opt_threads > MAX_THREADS ||
	    opt_heaps < 1 || opt_heaps > MAX_HEAPS || user == 0 || user > 65535)
		usage();
	if (!seeded)
		opt_seed = now_ns() ^ ((uint64_t)getpid() << 32);
	if (!opt_quiet)
		printf("refstore-fuzz: seed %llu, calls %llu, seconds %u, threads %d, heaps %d, uid %ld\n",
		       (unsigned long long)opt_seed, (unsigned long long)opt_calls,
		       opt_seconds, opt_threads, opt_heaps,
		       user > 0 ? user : (long)getuid());
	fflush(stdout);

	if (user < 0) {
		ret = fuzz();
		return ret ? ret : leak_check(getuid());
	}
	/* --user: a child fuzzes as @user; we stay root to read debugfs. */
	pid = fork();
	if (pid < 0) {
		perror("refstore-fuzz: fork");
		return 2;
	}
	if (!pid)
		_exit(drop_to(user) ? 2 : fuzz());
	if (waitpid(pid, &status, 0) != pid) {
		perror("refstore-fuzz: waitpid");
		return 2;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		printf("refstore-fuzz: FAIL: the uid %ld child: status %#x\n",
		       user, status);
		return 2;
	}
	return leak_check(user);
}
