// SPDX-License-Identifier: GPL-2.0
/*
 * host_bench - the collector core (kmod/core/) built natively against
 * userspace/host/refstore_env.h, timed on the graph shapes
 * scripts/bench also gives CPython (userspace/bench/py_bench.py) and the
 * module (refstore_bench.c).
 *
 * This file is the graph's owner: it implements the two hooks with
 * malloc()/free(), as cheaply as the module's kmem_caches and kvzalloc,
 * and lays objects out as the module does (small slot arrays inline).
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

void refstore_graph_free_obj(struct refstore_graph *graph,
			     struct refstore_obj *obj)
{
	if (obj->ext != (void *)(obj + 1))
		free(obj->ext);
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
	size_t ext = nslots * sizeof(struct refstore_obj *);
	/* As the module does: a small slot array shares the allocation. */
	bool inline_ext = ext <= REFSTORE_OBJ_INLINE_MAX;
	struct refstore_obj *obj;

	obj = bench_alloc(sizeof(*obj) + (inline_ext ? ext : 0));
	kref_init(&obj->kref);
	obj->nslots = nslots;
	obj->id = ++bench_next_id;
	if (nslots)
		obj->ext = inline_ext ? (void *)(obj + 1) : bench_alloc(ext);
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

	clock_gettime(CLOCK_MONOTONIC, &ts);
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
	if (argc > 3)
		arg = strtoull(argv[3], NULL, 0);

	refstore_graph_init(&g);
	g.enabled = false;	/* the harness never collects on its own */

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
