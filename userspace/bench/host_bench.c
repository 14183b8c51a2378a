// SPDX-License-Identifier: GPL-2.0
/*
 * host_bench - the collector core (kmod/core/) built natively against
 * userspace/host/refstore_env.h, timed on the graph shapes
 * scripts/bench also gives CPython (userspace/bench/py_bench.py) and the
 * module (refstore_bench.c).
 *
 * This file is the graph's owner: it implements the hooks as the module
 * does, and lays objects out as the module does (small slot arrays
 * right after the header, in one allocation of exactly 56 + 8 * slots
 * bytes: a one-slot object is one 64-byte cache line). The module
 * allocates those from exact-fit kmem_caches, whose fast path is a
 * per-CPU free list; here each size has a free list too, carved from
 * 2 MiB chunks (CPython's pymalloc and PHP's zend_mm, the anchors, are
 * such allocators as well). Objects with more than 8 slots use
 * malloc()/free(), as the module uses kvzalloc.
 * Each figure builds its garbage untimed, then times only what the brief
 * says: a collection's scan and commit plus refstore_free_list()
 * (bench_collect(), kept out of line so callgrind can count exactly it),
 * or for the list,
 * the put of its root with the cascade it starts (bench_drop()).
 *
 * Usage: host_bench SHAPE N [ARG] [--reps R]
 *   ring N L      N objects in garbage rings of L
 *   random N D    N objects, D random slots each, every handle dropped
 *   list N        a list of N, dropped at its root (no collection)
 *   scaling L     1000 garbage 2-cycles beside a live list of L objects
 *   sizeof        the object header
 *   stream MB     the machine's streaming bandwidth: a read pass and a
 *                 memcpy over MB MiB (the physical floor of a walk)
 *   pauses N S    automatic collection's pauses: N live objects (a list
 *                 held by one handle, each node with a second slot), then
 *                 S steps, each dropping a garbage 2-ring and pointing a
 *                 random node's second slot at a new object (the old
 *                 target becomes a suspect); every collection the
 *                 thresholds make due (refstore_graph_due()) is timed:
 *                 p50, p99, max and how many of each generation
 *   mallocfree N  N malloc()+free() pairs of a one-slot object (64 B),
 *                 for the guest's CREATE+CLOSE comparison
 * Output: one line "host shape=... n=... reclaimed=... examined=... ns=..."
 * per figure, ns the median of R repetitions.
 */
#include <string.h>
#include <time.h>

#include "graph.h"

unsigned long host_cond_resched_calls;

static u64 bench_released;
static u64 bench_next_id;

void refstore_graph_release_obj(struct refstore_graph *graph,
				struct refstore_obj *obj, u32 cause)
{
	bench_released++;
}

/* No weak references in the benchmark: nothing to clear. */
void refstore_graph_clear_weak(struct refstore_graph *graph,
			       struct refstore_obj *obj, u32 cause)
{
}

/* Nothing to finalize: the benchmark has no weak handles or events. */
void refstore_graph_finalize_obj(struct refstore_graph *graph,
				 struct refstore_obj *obj, u32 cause)
{
}

/* Free lists of objects of 56 + 8 * k bytes, k = 0..8: the kmem_caches. */
#define BENCH_CACHES	(REFSTORE_OBJ_INLINE_MAX / 8 + 1)
#define BENCH_CHUNK	(2UL << 20)

static void *bench_cache_free[BENCH_CACHES];
static char *bench_chunk_next[BENCH_CACHES], *bench_chunk_end[BENCH_CACHES];

static void *bench_cache_alloc(size_t size)
{
	size_t k = (size - sizeof(struct refstore_obj)) / 8;
	void *p = bench_cache_free[k];

	if (p) {
		bench_cache_free[k] = *(void **)p;
		memset(p, 0, size);
		return p;
	}
	if (bench_chunk_next[k] + size > bench_chunk_end[k]) {
		bench_chunk_next[k] = aligned_alloc(64, BENCH_CHUNK);
		if (!bench_chunk_next[k]) {
			perror("aligned_alloc");
			exit(1);
		}
		memset(bench_chunk_next[k], 0, BENCH_CHUNK);
		bench_chunk_end[k] = bench_chunk_next[k] + BENCH_CHUNK;
	}
	p = bench_chunk_next[k];
	bench_chunk_next[k] += size;
	return p;
}

static void bench_cache_free_obj(struct refstore_obj *obj, size_t size)
{
	size_t k = (size - sizeof(struct refstore_obj)) / 8;

	*(void **)obj = bench_cache_free[k];
	bench_cache_free[k] = obj;
}

static size_t bench_obj_size(u16 nslots)
{
	return sizeof(struct refstore_obj) + nslots * sizeof(struct refstore_obj *);
}

/* Does an object of @nslots come from the free lists (else malloc())? */
static bool bench_obj_cached(u16 nslots)
{
	return nslots * sizeof(struct refstore_obj *) <= REFSTORE_OBJ_INLINE_MAX;
}

void refstore_graph_free_obj(struct refstore_graph *graph,
			     struct refstore_obj *obj)
{
	if (bench_obj_cached(obj->nslots))
		bench_cache_free_obj(obj, bench_obj_size(obj->nslots));
	else
		free(obj);
}

static void *bench_alloc(size_t n)
{
	void *p = calloc(1, n);

	if (!p) {
		perror("calloc");
		exit(1);
	}
	return p;
}

/* CREATE: one handle's reference. */
static struct refstore_obj *bench_new(struct refstore_graph *g, u16 nslots)
{
	/* As the module does: the slots right after the header. */
	size_t size = bench_obj_size(nslots);
	struct refstore_obj *obj;

	obj = bench_obj_cached(nslots) ? bench_cache_alloc(size) :
					 bench_alloc(size);
	kref_init(&obj->kref);
	obj->nslots = nslots;
	obj->id = ++bench_next_id;
	refstore_graph_add(g, obj);
	return obj;
}

/* CLOSE of a handle. */
static void bench_put(struct refstore_graph *g, struct refstore_obj *obj)
{
	refstore_obj_put(g, obj);
	refstore_reap(g, REFSTORE_CAUSE_RELEASED);
}

/* SET_SLOT. */
static void bench_set(struct refstore_graph *g, struct refstore_obj *obj,
		      u32 slot, struct refstore_obj *target)
{
	struct refstore_obj **slots = refstore_obj_slots(obj), *old;

	if (target)
		refstore_obj_get(target);
	old = slots[slot];
	slots[slot] = target;
	if (old)
		bench_put(g, old);
}

static u64 bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* The timed region of a collection figure. */
__attribute__((noinline)) void bench_collect(struct refstore_graph *g,
					     struct refstore_collect_result *res)
{
	struct refstore_collection c;
	LIST_HEAD(to_free);

	refstore_collect_scan(g, REFSTORE_GEN_OLDEST, &c);
	refstore_collect_commit(g, &c, &to_free);
	*res = c.res;
	refstore_free_list(g, &to_free);
}

/* The timed region of the list figure. */
__attribute__((noinline)) void bench_drop(struct refstore_graph *g,
					  struct refstore_obj *root)
{
	bench_put(g, root);
}

static u64 bench_rng = 0x9e3779b97f4a7c15ULL;

static u64 bench_rand(void)
{
	/* xorshift64*: deterministic, so every run builds the same graph */
	bench_rng ^= bench_rng >> 12;
	bench_rng ^= bench_rng << 25;
	bench_rng ^= bench_rng >> 27;
	return bench_rng * 0x2545f4914f6cdd1dULL;
}

static void build_rings(struct refstore_graph *g, u64 n, u64 len)
{
	struct refstore_obj **ring = bench_alloc(len * sizeof(*ring));
	u64 done, i;

	for (done = 0; done + len <= n; done += len) {
		for (i = 0; i < len; i++)
			ring[i] = bench_new(g, 1);
		for (i = 0; i < len; i++)
			bench_set(g, ring[i], 0, ring[(i + 1) % len]);
		for (i = 0; i < len; i++)
			bench_put(g, ring[i]);
	}
	free(ring);
}

static void build_random(struct refstore_graph *g, u64 n, u32 deg)
{
	struct refstore_obj **all = bench_alloc(n * sizeof(*all));
	u64 i;
	u32 s;

	for (i = 0; i < n; i++)
		all[i] = bench_new(g, deg);
	for (i = 0; i < n; i++)
		for (s = 0; s < deg; s++)
			bench_set(g, all[i], s, all[bench_rand() % n]);
	for (i = 0; i < n; i++)
		bench_put(g, all[i]);
	free(all);
}

/* A list of @n; returns its root, the only handle left. */
static struct refstore_obj *build_list(struct refstore_graph *g, u64 n)
{
	struct refstore_obj *root = bench_new(g, 1), *prev = root, *obj;
	u64 i;

	for (i = 1; i < n; i++) {
		obj = bench_new(g, 1);
		bench_set(g, prev, 0, obj);
		if (prev != root)
			bench_put(g, prev);
		prev = obj;
	}
	if (prev != root)
		bench_put(g, prev);
	return root;
}

static u64 bench_wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b);
static u64 median(u64 *v, int n);

/* Read and copy bandwidth over @mb MiB, best of @reps passes each. */
static int bench_stream(u64 mb, int reps)
{
	size_t len = mb << 20, i;
	u64 *a = aligned_alloc(64, len), *b = aligned_alloc(64, len);
	volatile u64 sink;
	u64 t0, best_rd = ~0ULL, best_cp = ~0ULL, sum;
	int r;

	if (!a || !b) {
		perror("aligned_alloc");
		return 1;
	}
	memset(a, 1, len);
	memset(b, 2, len);
	for (r = 0; r < reps; r++) {
		t0 = bench_now();
		sum = 0;
		for (i = 0; i < len / 8; i += 8)	/* one word per line */
			sum += a[i];
		sink = sum;
		t0 = bench_now() - t0;
		if (t0 < best_rd)
			best_rd = t0;
		t0 = bench_now();
		memcpy(b, a, len);
		t0 = bench_now() - t0;
		if (t0 < best_cp)
			best_cp = t0;
	}
	(void)sink;
	printf("host shape=stream mb=%llu read_ns=%llu copy_ns=%llu read_gbs=%.2f copy_gbs=%.2f reps=%d\n",
	       (unsigned long long)mb, (unsigned long long)best_rd,
	       (unsigned long long)best_cp, (double)len / best_rd,
	       2.0 * len / best_cp, reps);
	free(a);
	free(b);
	return 0;
}

/* @n malloc()+free() of a one-slot object; ns per pair, median of @reps. */
static int bench_mallocfree(u64 n, int reps)
{
	u64 ns[64], t0, i;
	void *p;
	int r;

	for (r = 0; r < reps; r++) {
		t0 = bench_wall();
		for (i = 0; i < n; i++) {
			p = malloc(sizeof(struct refstore_obj) + 8);
			__asm__ volatile("" : : "r"(p) : "memory");
			free(p);
		}
		ns[r] = bench_wall() - t0;
	}
	printf("host shape=mallocfree n=%llu ns=%llu per_op_ns=%.1f reps=%d\n",
	       (unsigned long long)n, (unsigned long long)median(ns, reps),
	       (double)median(ns, reps) / n, reps);
	return 0;
}

static struct refstore_obj *build_list(struct refstore_graph *g, u64 n);
static u64 bench_rand(void);

static int bench_pauses(struct refstore_graph *g, u64 n, u64 steps)
{
	struct refstore_obj **live = bench_alloc(n * sizeof(*live)), *root, *o;
	struct refstore_collect_result res;
	u64 *ns = bench_alloc((steps + 1) * sizeof(*ns)), i, k = 0, t0;
	u64 per_gen[REFSTORE_NR_GENS] = { 0 }, max_gen[REFSTORE_NR_GENS] = { 0 };
	struct refstore_obj **slots;
	int due;

	/* a list whose nodes have a second slot, held by its root */
	root = bench_new(g, 2);
	live[0] = root;
	for (i = 1; i < n; i++) {
		live[i] = bench_new(g, 2);
		bench_set(g, live[i - 1], 0, live[i]);
		bench_put(g, live[i]);
	}
	bench_collect(g, &res);		/* old, off the suspects */
	g->enabled = true;
	for (i = 0; i < steps; i++) {
		build_rings(g, 2, 2);
		o = bench_new(g, 1);
		bench_set(g, live[bench_rand() % n], 1, o);
		bench_put(g, o);
		due = refstore_graph_due(g);
		if (due < 0)
			continue;
		t0 = bench_now();
		{
			struct refstore_collection c;
			LIST_HEAD(to_free);

			refstore_collect_scan(g, due, &c);
			refstore_collect_commit(g, &c, &to_free);
			refstore_free_list(g, &to_free);
		}
		ns[k] = bench_now() - t0;
		per_gen[due]++;
		if (ns[k] > max_gen[due])
			max_gen[due] = ns[k];
		k++;
	}
	g->enabled = false;
	if (!k)
		ns[k++] = 0;
	qsort(ns, k, sizeof(*ns), cmp_u64);
	printf("host shape=pauses n=%llu arg=%llu collections=%llu p50=%llu p99=%llu max=%llu gen0=%llu gen1=%llu gen2=%llu max0=%llu max1=%llu max2=%llu\n",
	       (unsigned long long)n, (unsigned long long)steps,
	       (unsigned long long)k, (unsigned long long)ns[k / 2],
	       (unsigned long long)ns[k * 99 / 100],
	       (unsigned long long)ns[k - 1],
	       (unsigned long long)per_gen[0], (unsigned long long)per_gen[1],
	       (unsigned long long)per_gen[2], (unsigned long long)max_gen[0],
	       (unsigned long long)max_gen[1], (unsigned long long)max_gen[2]);
	slots = refstore_obj_slots(root);
	(void)slots;
	bench_put(g, root);
	free(live);
	free(ns);
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static u64 median(u64 *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	return v[n / 2];
}

int main(int argc, char **argv)
{
	struct refstore_collect_result res = { 0 };
	struct refstore_graph g = { 0 };	/* as the module's kzalloc'd heap */
	struct refstore_obj *root = NULL;
	const char *shape;
	u64 n = 0, arg = 0, ns[64], t0, rel0;
	int reps = 1, r, i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--reps") && i + 1 < argc) {
			reps = atoi(argv[i + 1]);
			argc -= 2;
			memmove(&argv[i], &argv[i + 2],
				(argc - i + 1) * sizeof(*argv));
			break;
		}
	}
	if (reps < 1 || reps > 64 || argc < 2) {
		fprintf(stderr, "usage: host_bench ring N L | random N D | list N | scaling L | sizeof [--reps R]\n");
		return 2;
	}
	shape = argv[1];
	if (!strcmp(shape, "sizeof")) {
		printf("host shape=sizeof obj=%zu slot=%zu list_head=%zu kref=%zu\n",
		       sizeof(struct refstore_obj), sizeof(struct refstore_obj *),
		       sizeof(struct list_head), sizeof(struct kref));
		return 0;
	}
	if (argc > 2)
		n = strtoull(argv[2], NULL, 0);
	if (!strcmp(shape, "stream"))
		return bench_stream(n ? n : 256, reps);
	if (!strcmp(shape, "mallocfree"))
		return bench_mallocfree(n ? n : 1000000, reps);
	if (argc > 3)
		arg = strtoull(argv[3], NULL, 0);

	refstore_graph_init(&g);
	g.enabled = false;	/* the harness never collects on its own */
	if (!strcmp(shape, "pauses"))
		return bench_pauses(&g, n, arg);

	if (!strcmp(shape, "scaling")) {
		/* live acyclic objects, old and off the suspects list */
		root = n ? build_list(&g, n) : NULL;
		bench_collect(&g, &res);
	}

	for (r = 0; r < reps; r++) {
		if (!strcmp(shape, "ring") && arg) {
			build_rings(&g, n, arg);
		} else if (!strcmp(shape, "random") && arg) {
			build_random(&g, n, arg);
		} else if (!strcmp(shape, "list") && n) {
			root = build_list(&g, n);
		} else if (!strcmp(shape, "scaling")) {
			build_rings(&g, 2000, 2);
		} else {
			fprintf(stderr, "host_bench: bad arguments\n");
			return 2;
		}
		rel0 = bench_released;
		t0 = bench_now();
		if (!strcmp(shape, "list"))
			bench_drop(&g, root);
		else
			bench_collect(&g, &res);
		ns[r] = bench_now() - t0;
		if (!strcmp(shape, "list"))
			res.examined = 0;
		rel0 = bench_released - rel0;
	}
	printf("host shape=%s n=%llu arg=%llu reclaimed=%llu examined=%llu ns=%llu reps=%d\n",
	       shape, (unsigned long long)n, (unsigned long long)arg,
	       (unsigned long long)rel0, (unsigned long long)res.examined,
	       (unsigned long long)median(ns, reps), reps);
	if (root && !strcmp(shape, "scaling"))
		bench_put(&g, root);
	refstore_graph_destroy(&g);
	return 0;
}
