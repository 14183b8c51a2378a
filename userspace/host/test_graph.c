// SPDX-License-Identifier: GPL-2.0
/*
 * test_graph.c - unit tests of the collector core (kmod/core/graph.c,
 * kmod/core/collect.c) built in userspace.
 *
 * Each test runs in a child process on a fresh graph, which is destroyed
 * afterwards (host_graph_destroy() checks that every object was released
 * and freed exactly once), so a crash or an ASan report fails one test
 * and not the run. Output: "ok N - name" / "not ok N - name".
 *
 * Shape names follow tools/testing/selftests/net/af_unix/scm_rights.c:
 * edge(a, b) is send_fd(a, b), the inflight object a referring to the
 * receiver b (a.slot = b).
 */
#include <pthread.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

static int failed;

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "  %s:%d: check failed: %s\n",		\
			__FILE__, __LINE__, #cond);			\
		failed = 1;						\
		return;							\
	}								\
} while (0)

#define CHECK_EQ(a, b) do {						\
	long long __a = (long long)(a), __b = (long long)(b);		\
	if (__a != __b) {						\
		fprintf(stderr, "  %s:%d: %s == %lld, expected %s == %lld\n", \
			__FILE__, __LINE__, #a, __a, #b, __b);		\
		failed = 1;						\
		return;							\
	}								\
} while (0)

#define MAXN 16

struct shape {
	unsigned int n;
	unsigned int nedges;
	unsigned int edge[16][2];
};

/* scm_rights.c's shapes, plus a mixed low-point SCC. */
static const struct shape shape_self_ref = {
	2, 2, { {0, 0}, {1, 1} } };
static const struct shape shape_triangle = {
	6, 6, { {0, 1}, {1, 2}, {2, 0}, {3, 4}, {4, 5}, {5, 3} } };
static const struct shape shape_cross_edge = {
	8, 10, { {0, 1}, {1, 2}, {2, 0}, {1, 3}, {3, 2},
		 {4, 5}, {5, 6}, {6, 4}, {5, 7}, {7, 6} } };
static const struct shape shape_backtrack_from_scc = {
	10, 10, { {0, 1}, {0, 4}, {1, 2}, {2, 3}, {3, 1},
		  {5, 6}, {5, 9}, {6, 7}, {7, 8}, {8, 6} } };
/*
 * One SCC whose low-points come from both a back edge to the root (3 -> 0)
 * and one to the middle (4 -> 1), with a cross edge between the branches
 * (5 -> 3) and a nested 2-cycle (2 <-> 5).
 */
static const struct shape shape_mixed_lowpoint = {
	6, 8, { {0, 1}, {1, 2}, {2, 3}, {3, 0}, {1, 4}, {4, 1},
		{2, 5}, {5, 2} } };

struct built {
	struct refstore_obj *o[MAXN];
	u64 id[MAXN];
	unsigned int used[MAXN];
};

/* Every object gets 4 slots and a handle; edges fill slots in order. */
static void build(struct host_graph *hg, const struct shape *s,
		  struct built *b)
{
	unsigned int i, from, to;

	memset(b, 0, sizeof(*b));
	for (i = 0; i < s->n; i++) {
		b->o[i] = host_new(hg, 4);
		b->id[i] = b->o[i]->id;
	}
	for (i = 0; i < s->nedges; i++) {
		from = s->edge[i][0];
		to = s->edge[i][1];
		host_set(hg, b->o[from], b->used[from]++, b->o[to]);
	}
}

/* Reachability in a shape from the nodes in @keep (a bitmask). */
static unsigned int shape_reach(const struct shape *s, unsigned int keep)
{
	unsigned int r = keep, prev, i;

	do {
		prev = r;
		for (i = 0; i < s->nedges; i++)
			if (r & (1u << s->edge[i][0]))
				r |= 1u << s->edge[i][1];
	} while (r != prev);
	return r;
}

/*
 * Close every handle but those in @keep, collect fully, and check that
 * exactly the unreachable objects died: cycle members with CAUSE_CYCLE,
 * nothing else touched.
 */
static void run_shape(struct host_graph *hg, const struct shape *s,
		      unsigned int keep)
{
	struct refstore_collect_result res;
	unsigned int i, reach, ndead = 0;
	struct built b;

	build(hg, s, &b);
	reach = shape_reach(s, keep);
	for (i = 0; i < s->n; i++)
		if (!(keep & (1u << i)))
			host_put(hg, b.o[i]);
	/* Closing handles alone frees only what no slot holds. */
	for (i = 0; i < s->n; i++) {
		bool referenced = false;
		unsigned int e;

		for (e = 0; e < s->nedges; e++)
			if (s->edge[e][1] == i)
				referenced = true;
		if (!(keep & (1u << i)) && !referenced) {
			CHECK(host_dead(hg, b.id[i]));
			CHECK_EQ(hg->rec[b.id[i]].cause, REFSTORE_CAUSE_RELEASED);
		}
	}
	host_collect(hg, REFSTORE_GEN_OLDEST, &res);
	for (i = 0; i < s->n; i++) {
		if (reach & (1u << i)) {
			CHECK(!host_dead(hg, b.id[i]));
		} else {
			CHECK(host_dead(hg, b.id[i]));
			CHECK_EQ(hg->rec[b.id[i]].freed, 1);
			ndead++;
		}
	}
	CHECK_EQ(hg->released[REFSTORE_CAUSE_RELEASED] + res.unreachable,
		 ndead);
	CHECK_EQ(res.uncollectable, 0);
	/* A second collection finds nothing more. */
	host_collect(hg, REFSTORE_GEN_OLDEST, &res);
	CHECK_EQ(res.unreachable, 0);
	for (i = 0; i < s->n; i++)
		if (reach & (1u << i))
			CHECK(!host_dead(hg, b.id[i]));
	for (i = 0; i < s->n; i++)
		if (keep & (1u << i))
			host_put(hg, b.o[i]);
	host_collect(hg, REFSTORE_GEN_OLDEST, &res);
	CHECK_EQ(hg->released[REFSTORE_CAUSE_CYCLE] +
		 hg->released[REFSTORE_CAUSE_RELEASED], s->n);
}

static void shape_all(struct host_graph *hg, const struct shape *s)
{
	run_shape(hg, s, 0);
}

/* Every single handle kept in turn, each in a fresh graph. */
static void shape_each_kept(const struct shape *s)
{
	struct host_graph hg;
	unsigned int i;

	for (i = 0; i < s->n && !failed; i++) {
		host_graph_init(&hg);
		run_shape(&hg, s, 1u << i);
		host_graph_destroy(&hg);
	}
}

static void t_self_ref(struct host_graph *hg)
{
	shape_all(hg, &shape_self_ref);
	CHECK_EQ(hg->released[REFSTORE_CAUSE_CYCLE], 2);
}

static void t_two_cycle_seed(struct host_graph *hg)
{
	struct refstore_collect_result res;
	struct refstore_obj *o1, *o2;
	u64 id1, id2;

	o1 = host_new(hg, 1);
	o2 = host_new(hg, 1);
	id1 = o1->id;
	id2 = o2->id;
	host_set(hg, o1, 0, o2);
	host_set(hg, o2, 0, o1);
	CHECK_EQ(kref_read(&o1->kref), 2);
	host_put(hg, o1);
	host_put(hg, o2);
	CHECK(!host_dead(hg, id1) && !host_dead(hg, id2));
	CHECK_EQ(kref_read(&o1->kref), 1);
	CHECK(o1->flags & REFSTORE_OF_SUSPECT);
	CHECK(o2->flags & REFSTORE_OF_SUSPECT);
	host_collect(hg, REFSTORE_GEN_OLDEST, &res);
	CHECK_EQ(res.unreachable, 2);
	CHECK_EQ(res.uncollectable, 0);
	CHECK_EQ(res.examined, 2);
	CHECK_EQ(hg->rec[id1].cause, REFSTORE_CAUSE_CYCLE);
	CHECK_EQ(hg->rec[id2].cause, REFSTORE_CAUSE_CYCLE);
	CHECK_EQ(hg->freed, 2);
	CHECK_EQ(hg->graph.stats[2].collected, 2);
	CHECK(!refstore_graph_has_suspects(&hg->graph));
	CHECK(list_empty(&hg->graph.objects));
}

static void t_triangle(struct host_graph *hg)
{
	shape_all(hg, &shape_triangle);
	CHECK_EQ(hg->released[REFSTORE_CAUSE_CYCLE], 6);
}

static void t_cross_edge(struct host_graph *hg)
{
	shape_all(hg, &shape_cross_edge);
	CHECK_EQ(hg->released[REFSTORE_CAUSE_CYCLE], 8);
}

static void t_backtrack_from_scc(struct host_graph *hg)
{
	shape_all(hg, &shape_backtrack_from_scc);
}

static void t_mixed_lowpoint(struct host_graph *hg)
{
	shape_all(hg, &shape_mixed_lowpoint);
	CHECK_EQ(hg->released[REFSTORE_CAUSE_CYCLE], 6);
}

static void t_shapes_one_handle_kept(struct host_graph *hg)
{
	shape_each_kept(&shape_self_ref);
	shape_each_kept(&shape_triangle);
	shape_each_kept(&shape_cross_edge);
	shape_each_kept(&shape_backtrack_from_scc);
	shape_each_kept(&shape_mixed_lowpoint);
}

/* A cycle hanging off a live handle survives any number of collections. */
static void t_reachable_cycle_survives(struct host_graph *hg)
{
	struct refstore_collect_result res;
	struct refstore_obj *root, *a, *b;
	u64 ida, idb;
	int g;

	root = host_new(hg, 1);
	a = host_new(hg, 1);
	b = host_new(hg, 1);
	ida = a->id;
	idb = b->id;
	host_set(hg, root, 0, a);
	host_set(hg, a, 0, b);
	host_set(hg, b, 0, a);
	host_put(hg, a);
	host_put(hg, b);
	for (g = 0; g <= REFSTORE_GEN_OLDEST; g++) {
		host_collect(hg, g, &res);
		CHECK_EQ(res.unreachable, 0);
	}
	host_collect(hg, REFSTORE_GEN_OLDEST, &res);
	CHECK(!host_dead(hg, ida) && !host_dead(hg, idb));
	CHECK_EQ(kref_read(&a->kref), 2);
	CHECK_EQ(kref_read(&b->kref), 1);
	CHECK_EQ(a->gen, REFSTORE_GEN_OLDEST);
	/* Cutting the only way in makes it garbage; the next full finds it. */
	host_set(hg, root, 0, NULL);
	CHECK(a->flags & REFSTORE_OF_SUSPECT);
	host_collect(hg, REFSTORE_GEN_OLDEST, &res);
	CHECK_EQ(res.unreachable, 2);
	CHECK(host_dead(hg, ida) && host_dead(hg, idb));
	host_put(hg, root);
}

/* Garbage pointing at live objects: the live ones lose a count, no more. */
static void t_garbage_into_live(struct host_graph *hg)
{
	struct refstore_collect_result res;
	struct refstore_obj *a, *b, *l1, *l2, *l3;
	u64 ida, idb;

	a = host_new(hg, 2);
	b = host_new(hg, 2);
	l1 = host_new(hg, 1);
	l2 = host_new(hg, 0);
	l3 = host_new(hg, 1);
	ida = a->id;
	idb = b->id;
	host_set(hg, a, 0, b);
	host_set(hg, b, 0, a);
	host_set(hg, a, 1, l1);
	host_set(hg, b, 1, l2);
	host_set(hg, l1, 0, l3);
	host_set(hg, l3, 0, l1);	/* a live cycle too */
	host_put(hg, a);
	host_put(hg, b);
	host_collect(hg, REFSTORE_GEN_OLDEST, &res);
	CHECK_EQ(res.unreachable, 2);
	CHECK(host_dead(hg, ida) && host_dead(hg, idb));
	CHECK(!host_dead(hg, l1->id) && !host_dead(hg, l2->id) &&
	      !host_dead(hg, l3->id));
	CHECK_EQ(kref_read(&l1->kref), 2);
	CHECK_EQ(kref_read(&l2->kref), 1);
	CHECK_EQ(kref_read(&l3->kref), 2);
	/* l1 lost a count and may now head garbage: it is a suspect. */
	CHECK(l1->flags & REFSTORE_OF_SUSPECT);
	host_put(hg, l2);
	host_put(hg, l1);
	host_put(hg, l3);
	host_collect(hg, REFSTORE_GEN_OLDEST, &res);
	CHECK_EQ(res.unreachable, 2);
	CHECK(list_empty(&hg->graph.objects) && !refstore_graph_has_suspects(&hg->graph));
}

/*
 * A garbage cycle with an acyclic tail: a <-> b, a -> t1 -> t2 (t2 has no
 * slots). The tail is not on a cycle: it dies because the cycle let go of
 * it, so its death is reported as REFSTORE_CAUSE_RELEASED.
 */
static void t_acyclic_tail(struct host_graph *hg)
{
	struct refstore_collect_result res;
	struct refstore_obj *a, *b, *t1, *t2;
	u64 ida, idb, idt1, idt2;

	a = host_new(hg, 2);
	b = host_new(hg, 1);
	t1 = host_new(hg, 1);
	t2 = host_new(hg, 0);
	ida = a->id;
	idb = b->id;
	idt1 = t1->id;
	idt2 = t2->id;
	host_set(hg, a, 0, b);
	host_set(hg, b, 0, a);
	host_set(hg, a, 1, t1);
	host_set(hg, t1, 0, t2);
	host_put(hg, t2);
	host_put(hg, t1);
	host_put(hg, b);
	host_put(hg, a);
	CHECK_EQ(hg->freed, 0);
	host_collect(hg, REFSTORE_GEN_OLDEST, &res);
	CHECK(host_dead(hg, ida) && host_dead(hg, idb));
	CHECK(host_dead(hg, idt1) && host_dead(hg, idt2));
	CHECK_EQ(hg->rec[ida].cause, REFSTORE_CAUSE_CYCLE);
	CHECK_EQ(hg->rec[idb].cause, REFSTORE_CAUSE_CYCLE);
	/*
	 * t1 has slots: the collector found it unreachable, like CPython's
	 * gc.collect() counts it. t2 has none: it dies by counting when t1's
	 * slot is broken.
	 */
	CHECK_EQ(hg->rec[idt1].cause, REFSTORE_CAUSE_CYCLE);
	CHECK_EQ(hg->rec[idt2].cause, REFSTORE_CAUSE_RELEASED);
	CHECK_EQ(res.unreachable, 3);
}

/* The same with a slotless tail only: the core's tail rule, unambiguous. */
static void t_acyclic_tail_slotless(struct host_graph *hg)
{
	struct refstore_collect_result res;
	struct refstore_obj *a, *b, *t[8];
	u64 ida, idt[8];
	int i;

	a = host_new(hg, 9);
	b = host_new(hg, 1);
	ida = a->id;
	host_set(hg, a, 0, b);
	host_set(hg, b, 0, a);
	for (i = 0; i < 8; i++) {
		t[i] = host_new(hg, 0);
		idt[i] = t[i]->id;
		host_set(hg, a, 1 + i, t[i]);
		host_put(hg, t[i]);
	}
	host_put(hg, a);
	host_put(hg, b);
	host_collect(hg, REFSTORE_GEN_OLDEST, &res);
	CHECK_EQ(res.unreachable, 2);
	CHECK_EQ(hg->rec[ida].cause, REFSTORE_CAUSE_CYCLE);
	for (i = 0; i < 8; i++)
		CHECK_EQ(hg->rec[idt[i]].cause, REFSTORE_CAUSE_RELEASED);
	CHECK_EQ(hg->freed, 10);
}

#define CHAIN_LEN 1000000
#define SMALL_STACK (256 * 1024)

struct chain_arg {
	struct host_graph *hg;
	int ok;
};

/* A chain of CHAIN_LEN objects freed by one put, on a small stack. */
static void *chain_thread(void *p)
{
	struct chain_arg *arg = p;
	struct host_graph *hg = arg->hg;
	struct refstore_obj *head, *prev, *o;
	long i;

	head = prev = host_new(hg, 1);
	for (i = 1; i < CHAIN_LEN; i++) {
		o = host_new(hg, 1);
		host_set(hg, prev, 0, o);
		host_put(hg, o);
		prev = o;
	}
	host_put(hg, head);
	arg->ok = hg->freed == CHAIN_LEN &&
		  hg->released[REFSTORE_CAUSE_RELEASED] == CHAIN_LEN &&
		  list_empty(&hg->graph.objects) &&
		  !refstore_graph_has_suspects(&hg->graph);
	return NULL;
}

static void run_small_stack(void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	pthread_t t;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, SMALL_STACK);
	if (pthread_create(&t, &attr, fn, arg))
		host_fail("pthread_create");
	pthread_join(t, NULL);
	pthread_attr_destroy(&attr);
}

static void t_chain_1m_put(struct host_graph *hg)
{
	struct chain_arg arg = { .hg = hg };

	run_small_stack(chain_thread, &arg);
	CHECK(arg.ok);
}

/* A 2-cycle whose member heads a CHAIN_LEN chain: one collection. */
static void *cycle_chain_thread(void *p)
{
	struct chain_arg *arg = p;
	struct host_graph *hg = arg->hg;
	struct refstore_collect_result res;
	struct refstore_obj *a, *b, *prev, *o;
	long i;

	a = host_new(hg, 2);
	b = host_new(hg, 1);
	host_set(hg, a, 0, b);
	host_set(hg, b, 0, a);
	prev = a;
	for (i = 0; i < CHAIN_LEN; i++) {
		o = host_new(hg, 1);
		host_set(hg, prev, prev == a ? 1 : 0, o);
		host_put(hg, o);
		prev = o;
	}
	host_put(hg, a);
	host_put(hg, b);
	host_collect(hg, REFSTORE_GEN_OLDEST, &res);
	arg->ok = hg->freed == CHAIN_LEN + 2 &&
		  res.unreachable >= 2 &&
		  list_empty(&hg->graph.objects) &&
		  !refstore_graph_has_suspects(&hg->graph);
	return NULL;
}

static void t_chain_1m_cycle(struct host_graph *hg)
{
	struct chain_arg arg = { .hg = hg };

	run_small_stack(cycle_chain_thread, &arg);
	CHECK(arg.ok);
}

/* Age the objects of a graph: n collections of generation gen. */
static void age(struct host_graph *hg, u32 gen, int n)
{
	struct refstore_collect_result res;

	while (n--)
		host_collect(hg, gen, &res);
}

/*
 * Partial collections never free what is reachable; a cycle through an
 * object of an older generation is left to the collection of that
 * generation, and the full one finds it.
 */
static void t_partial_collection(struct host_graph *hg)
{
	struct refstore_collect_result res;
	struct refstore_obj *old, *young, *root, *y2, *y3;
	u64 idold, idyoung;

	old = host_new(hg, 2);
	idold = old->id;
	root = host_new(hg, 2);
	/* Make old a suspect once so collections see and age it. */
	host_get(old);
	host_put(hg, old);
	host_collect(hg, 0, &res);
	CHECK_EQ(res.examined, 1);
	CHECK_EQ(refstore_obj_gen(&hg->graph, old), 1);
	host_get(old);
	host_put(hg, old);
	host_collect(hg, 1, &res);
	CHECK_EQ(refstore_obj_gen(&hg->graph, old), 2);

	young = host_new(hg, 2);
	idyoung = young->id;
	host_set(hg, old, 0, young);
	host_set(hg, young, 0, old);
	/* root (gen 0) keeps a young 2-cycle alive; a gen-0 run spares it. */
	y2 = host_new(hg, 1);
	y3 = host_new(hg, 1);
	host_set(hg, y2, 0, y3);
	host_set(hg, y3, 0, y2);
	host_set(hg, root, 0, y2);
	host_put(hg, y2);
	host_put(hg, y3);
	host_put(hg, old);
	host_put(hg, young);
	CHECK(young->flags & REFSTORE_OF_SUSPECT);
	CHECK(old->flags & REFSTORE_OF_SUSPECT);

	host_collect(hg, 0, &res);
	CHECK_EQ(res.unreachable, 0);
	CHECK(!host_dead(hg, idold) && !host_dead(hg, idyoung));
	CHECK_EQ(hg->freed, 0);
	/* The surviving young suspect stays a suspect, one generation up. */
	CHECK(young->flags & REFSTORE_OF_SUSPECT);
	CHECK_EQ(refstore_obj_gen(&hg->graph, young), 1);
	host_collect(hg, 1, &res);
	CHECK_EQ(res.unreachable, 0);
	CHECK(young->flags & REFSTORE_OF_SUSPECT);
	CHECK_EQ(refstore_obj_gen(&hg->graph, young), 2);
	CHECK_EQ(hg->freed, 0);
	host_collect(hg, REFSTORE_GEN_OLDEST, &res);
	CHECK_EQ(res.unreachable, 2);
	CHECK(host_dead(hg, idold) && host_dead(hg, idyoung));
	CHECK_EQ(hg->rec[idold].cause, REFSTORE_CAUSE_CYCLE);
	CHECK(!host_dead(hg, y2->id) && !host_dead(hg, y3->id));
	host_put(hg, root);
	age(hg, REFSTORE_GEN_OLDEST, 1);
	CHECK_EQ(hg->freed, hg->nrec);
}

/* A young garbage cycle is found by a gen-0 collection alone. */
static void t_partial_finds_young_cycle(struct host_graph *hg)
{
	struct refstore_collect_result res;
	struct refstore_obj *a, *b;

	a = host_new(hg, 1);
	b = host_new(hg, 1);
	host_set(hg, a, 0, b);
	host_set(hg, b, 0, a);
	host_put(hg, a);
	host_put(hg, b);
	host_collect(hg, 0, &res);
	CHECK_EQ(res.unreachable, 2);
	CHECK_EQ(hg->graph.stats[0].collected, 2);
	CHECK_EQ(hg->graph.count[1], 1);
}

static void t_freeze(struct host_graph *hg)
{
	struct refstore_collect_result res;
	struct refstore_obj *a, *b, *c, *d;
	u64 ida, idc;

	a = host_new(hg, 1);
	b = host_new(hg, 1);
	c = host_new(hg, 1);
	d = host_new(hg, 1);
	ida = a->id;
	idc = c->id;
	host_set(hg, a, 0, b);
	host_set(hg, b, 0, a);
	host_set(hg, c, 0, d);
	host_set(hg, d, 0, c);
	/* a-b is garbage before the freeze, c-d only after. */
	host_put(hg, a);
	host_put(hg, b);
	CHECK_EQ(refstore_freeze(&hg->graph), 4);
	CHECK_EQ(hg->graph.nr_frozen, 4);
	CHECK(!refstore_graph_has_suspects(&hg->graph));
	host_put(hg, c);
	host_put(hg, d);
	CHECK(!(c->flags & REFSTORE_OF_SUSPECT));
	host_collect(hg, REFSTORE_GEN_OLDEST, &res);
	CHECK_EQ(res.unreachable, 0);
	CHECK_EQ(res.examined, 0);
	CHECK_EQ(hg->freed, 0);
	CHECK_EQ(refstore_freeze(&hg->graph), 4);	/* idempotent */
	CHECK_EQ(refstore_unfreeze(&hg->graph), 4);
	CHECK_EQ(hg->graph.nr_frozen, 0);
	CHECK_EQ(a->gen, REFSTORE_GEN_OLDEST);
	/* Unfrozen objects are examined by a full collection only. */
	host_collect(hg, 1, &res);
	CHECK_EQ(res.unreachable, 0);
	host_collect(hg, REFSTORE_GEN_OLDEST, &res);
	CHECK_EQ(res.unreachable, 4);
	CHECK(host_dead(hg, ida) && host_dead(hg, idc));
}

/* A frozen object dying by count keeps nr_frozen right. */
static void t_freeze_count_death(struct host_graph *hg)
{
	struct refstore_obj *a, *b;

	a = host_new(hg, 1);
	b = host_new(hg, 0);
	host_set(hg, a, 0, b);
	refstore_freeze(&hg->graph);
	CHECK_EQ(hg->graph.nr_frozen, 2);
	host_put(hg, b);
	host_put(hg, a);
	CHECK_EQ(hg->freed, 2);
	CHECK_EQ(hg->graph.nr_frozen, 0);
	CHECK_EQ(refstore_unfreeze(&hg->graph), 0);
}

static void t_saveall(struct host_graph *hg)
{
	struct refstore_collect_result res;
	struct refstore_obj *a, *b, *t, *o;
	u64 ida, idt;
	size_t n = 0;

	a = host_new(hg, 2);
	b = host_new(hg, 1);
	t = host_new(hg, 0);
	ida = a->id;
	idt = t->id;
	host_set(hg, a, 0, b);
	host_set(hg, b, 0, a);
	host_set(hg, a, 1, t);
	host_put(hg, t);
	host_put(hg, a);
	host_put(hg, b);
	hg->graph.debug |= REFSTORE_GC_DEBUG_SAVEALL;
	host_collect(hg, REFSTORE_GEN_OLDEST, &res);
	/* As CPython: saved objects count as collected. */
	CHECK_EQ(res.unreachable, 2);
	CHECK_EQ(res.uncollectable, 0);
	CHECK_EQ(res.saved, 2);
	CHECK_EQ(hg->graph.nr_garbage, 2);
	CHECK_EQ(hg->graph.stats[2].uncollectable, 0);
	CHECK_EQ(hg->graph.stats[2].collected, 2);
	CHECK_EQ(hg->freed, 0);
	/* Finalized (death event, weak handles) now, once; still alive. */
	CHECK_EQ(hg->rec[ida].finalized, 1);
	CHECK_EQ(hg->rec[ida].fcause, REFSTORE_CAUSE_CYCLE);
	CHECK(!host_dead(hg, ida));
	/* The garbage list holds a reference. */
	CHECK_EQ(kref_read(&a->kref), 2);
	list_for_each_entry(o, &hg->graph.garbage, node) {
		CHECK(o->flags & REFSTORE_OF_GARBAGE);
		CHECK(!(o->flags & REFSTORE_OF_SUSPECT));
		n++;
	}
	CHECK_EQ(n, 2);
	/* Saved garbage is not examined again, SAVEALL or not. */
	host_collect(hg, REFSTORE_GEN_OLDEST, &res);
	CHECK_EQ(res.examined, 0);
	hg->graph.debug &= ~REFSTORE_GC_DEBUG_SAVEALL;
	host_collect(hg, REFSTORE_GEN_OLDEST, &res);
	CHECK_EQ(res.unreachable, 0);
	CHECK_EQ(hg->graph.nr_garbage, 2);
	/* Cleared garbage is examined by the next full collection only. */
	refstore_garbage_clear(&hg->graph);
	CHECK_EQ(hg->graph.nr_garbage, 0);
	CHECK(list_empty(&hg->graph.garbage));
	host_collect(hg, 1, &res);
	CHECK_EQ(res.unreachable, 0);
	host_collect(hg, REFSTORE_GEN_OLDEST, &res);
	CHECK_EQ(res.unreachable, 2);
	CHECK_EQ(res.uncollectable, 0);
	/* Finalized when saved: freed now without a second death. */
	CHECK_EQ(hg->rec[ida].cause, REFSTORE_CAUSE_NONE);
	CHECK_EQ(hg->rec[ida].finalized, 1);
	CHECK_EQ(hg->rec[idt].cause, REFSTORE_CAUSE_RELEASED);
	CHECK_EQ(hg->freed, 3);
}

/* Clearing garbage while SAVEALL stays on saves it again. */
static void t_saveall_clear_resave(struct host_graph *hg)
{
	struct refstore_collect_result res;
	struct refstore_obj *a;

	a = host_new(hg, 1);
	host_set(hg, a, 0, a);
	host_put(hg, a);
	hg->graph.debug |= REFSTORE_GC_DEBUG_SAVEALL;
	host_collect(hg, REFSTORE_GEN_OLDEST, &res);
	CHECK_EQ(hg->graph.nr_garbage, 1);
	refstore_garbage_clear(&hg->graph);
	host_collect(hg, REFSTORE_GEN_OLDEST, &res);
	CHECK_EQ(res.unreachable, 1);
	CHECK_EQ(res.saved, 1);
	CHECK_EQ(hg->graph.nr_garbage, 1);
	CHECK_EQ(hg->rec[a->id].finalized, 1);
	CHECK_EQ(hg->freed, 0);
}

/*
 * GC_GARBAGE hands out handles to saved objects: a resurrected object can
 * be changed and kept alive; clearing the garbage then frees only what is
 * still unreachable.
 */
static void t_saveall_resurrect(struct host_graph *hg)
{
	struct refstore_collect_result res;
	struct refstore_obj *a, *b, *c;
	u64 ida, idb;

	a = host_new(hg, 1);
	b = host_new(hg, 1);
	ida = a->id;
	idb = b->id;
	host_set(hg, a, 0, b);
	host_set(hg, b, 0, a);
	host_put(hg, a);
	host_put(hg, b);
	hg->graph.debug |= REFSTORE_GC_DEBUG_SAVEALL;
	host_collect(hg, REFSTORE_GEN_OLDEST, &res);
	CHECK_EQ(hg->graph.nr_garbage, 2);
	hg->graph.debug = 0;
	host_get(a);			/* GC_GARBAGE: a handle to a */
	host_set(hg, a, 0, NULL);	/* the garbage list still holds b */
	CHECK(!host_dead(hg, idb));
	CHECK_EQ(hg->graph.nr_garbage, 2);
	CHECK_EQ(kref_read(&a->kref), 3);	/* handle, list, b's slot */
	c = host_new(hg, 1);
	host_set(hg, c, 0, a);
	host_put(hg, a);		/* saved garbage: no suspect */
	CHECK(!(a->flags & REFSTORE_OF_SUSPECT));
	/* b's last reference was the list's: it dies, finalized already. */
	refstore_garbage_clear(&hg->graph);
	CHECK(host_dead(hg, idb));
	CHECK_EQ(hg->rec[idb].cause, REFSTORE_CAUSE_NONE);
	CHECK_EQ(hg->rec[idb].fcause, REFSTORE_CAUSE_CYCLE);
	CHECK(a->flags & REFSTORE_OF_SUSPECT);
	host_collect(hg, REFSTORE_GEN_OLDEST, &res);
	CHECK_EQ(res.unreachable, 0);	/* c holds a */
	CHECK(!host_dead(hg, ida));
	host_put(hg, c);
	CHECK(host_dead(hg, ida));
	CHECK_EQ(hg->freed, 3);
}

/*
 * The first example: a collection of generation 0 moves every
 * object of generation 0 to generation 1, suspect or not, so a cycle
 * made of them later is out of a generation-0 collection's reach
 * (CPython: 0, then 2 by a collection of generation 1).
 */
static void t_aging_all_young(struct host_graph *hg)
{
	struct refstore_collect_result res;
	struct refstore_obj *a, *b;

	a = host_new(hg, 1);
	b = host_new(hg, 1);
	host_collect(hg, 0, &res);
	CHECK_EQ(res.examined, 0);
	CHECK_EQ(refstore_obj_gen(&hg->graph, a), 1);
	CHECK_EQ(hg->graph.nr_gen[0], 0);
	CHECK_EQ(hg->graph.nr_gen[1], 2);
	host_set(hg, a, 0, b);
	host_set(hg, b, 0, a);
	host_put(hg, a);
	host_put(hg, b);
	host_collect(hg, 0, &res);
	CHECK_EQ(res.unreachable, 0);
	CHECK_EQ(res.examined, 0);
	host_collect(hg, 1, &res);
	CHECK_EQ(res.unreachable, 2);
	CHECK_EQ(hg->graph.nr_gen[1] + hg->graph.nr_gen[2], 0);
}

/*
 * The second example: survivors of a collection of generation 1
 * go to generation 2, so the next collection of generation 1 leaves them
 * (CPython: 0, then 2 by a full collection).
 */
static void t_aging_to_oldest(struct host_graph *hg)
{
	struct refstore_collect_result res;
	struct refstore_obj *a, *b;

	a = host_new(hg, 1);
	b = host_new(hg, 1);
	host_set(hg, a, 0, b);
	host_set(hg, b, 0, a);
	host_get(a);
	host_put(hg, a);
	host_collect(hg, 1, &res);
	CHECK_EQ(res.unreachable, 0);
	CHECK_EQ(refstore_obj_gen(&hg->graph, a), 2);
	CHECK_EQ(refstore_obj_gen(&hg->graph, b), 2);
	host_put(hg, a);
	host_put(hg, b);
	host_collect(hg, 1, &res);
	CHECK_EQ(res.unreachable, 0);
	host_collect(hg, 2, &res);
	CHECK_EQ(res.unreachable, 2);
}

/*
 * CPython's long-lived rule: generation 2 over its threshold is collected
 * only once what partial collections moved to it since the last full one
 * is at least a quarter of what that one left.
 */
static void t_long_lived_pending(struct host_graph *hg)
{
	struct refstore_graph *g = &hg->graph;
	struct refstore_collect_result res;
	int i;

	for (i = 0; i < 100; i++)
		host_new(hg, 1);		/* held for good */
	host_collect(hg, 2, &res);
	CHECK_EQ(g->long_lived_total, 100);
	CHECK_EQ(g->long_lived_pending, 0);
	g->count[2] = 11;
	g->count[0] = 701;
	/* 0 < 100 / 4: generation 2 is not due, generation 1 is not over. */
	CHECK_EQ(refstore_graph_due(g), 0);
	g->count[1] = 11;
	CHECK_EQ(refstore_graph_due(g), 1);
	for (i = 0; i < 24; i++)
		host_new(hg, 1);
	host_collect(hg, 1, &res);
	CHECK_EQ(g->long_lived_pending, 24);
	g->count[0] = 701;
	g->count[1] = 11;
	g->count[2] = 11;
	CHECK_EQ(refstore_graph_due(g), 1);
	host_new(hg, 1);
	host_collect(hg, 1, &res);
	CHECK_EQ(g->long_lived_pending, 25);
	g->count[0] = 701;
	g->count[2] = 11;
	CHECK_EQ(refstore_graph_due(g), 2);
	host_collect(hg, 2, &res);
	CHECK_EQ(g->long_lived_total, 125);
	CHECK_EQ(g->long_lived_pending, 0);
}

/*
 * A time-due collection: the thresholds' generation if one is due, else
 * the youngest holding every suspect, generation 2 only under the
 * long-lived rule; nothing without suspects or with collection disabled.
 */
static void t_due_timed(struct host_graph *hg)
{
	struct refstore_graph *g = &hg->graph;
	struct refstore_collect_result res;
	struct refstore_obj *a, *b, *c;
	int i;

	CHECK_EQ(refstore_graph_due_timed(g), -1);
	a = host_new(hg, 1);
	b = host_new(hg, 1);
	host_set(hg, a, 0, b);
	host_set(hg, b, 0, a);
	CHECK_EQ(refstore_graph_due_timed(g), -1);	/* no suspect yet */
	host_put(hg, b);				/* b: suspect, gen 0 */
	CHECK_EQ(refstore_graph_due_timed(g), 0);
	g->enabled = false;
	CHECK_EQ(refstore_graph_due_timed(g), -1);
	g->enabled = true;
	host_collect(hg, 0, &res);			/* b stays suspect, gen 1 */
	CHECK_EQ(res.unreachable, 0);
	CHECK_EQ(refstore_graph_due_timed(g), 1);
	host_collect(hg, 1, &res);			/* gen 2 now */
	CHECK_EQ(refstore_graph_due_timed(g), 2);	/* nothing long-lived */
	host_collect(hg, 2, &res);			/* suspects emptied */
	CHECK_EQ(refstore_graph_due_timed(g), -1);
	CHECK_EQ(g->long_lived_total, 2);
	for (i = 0; i < 8; i++)
		host_new(hg, 1);			/* held for good */
	host_collect(hg, 2, &res);
	CHECK_EQ(g->long_lived_total, 10);
	host_put(hg, a);				/* a 2-cycle in gen 2 */
	/* 0 pending < 10 / 4: the rule holds the full collection back. */
	CHECK_EQ(refstore_graph_due_timed(g), 1);
	c = host_new(hg, 1);
	host_get(c);
	host_put(hg, c);				/* a young suspect too */
	CHECK_EQ(refstore_graph_due_timed(g), 1);
	/* The thresholds first. */
	g->count[0] = 701;
	CHECK_EQ(refstore_graph_due_timed(g), refstore_graph_due(g));
	CHECK_EQ(refstore_graph_due_timed(g), 0);
	g->count[0] = 0;
	for (i = 0; i < 3; i++) {
		host_new(hg, 1);
		host_collect(hg, 1, &res);
	}
	CHECK(g->long_lived_pending >= g->long_lived_total / 4);
	CHECK_EQ(refstore_graph_due_timed(g), 2);
	host_collect(hg, 2, &res);
	CHECK_EQ(res.unreachable, 2);
	CHECK_EQ(refstore_graph_due_timed(g), -1);
}

/* The clock wraps and is resynchronised: generations stay right. */
static void t_clock_wrap(struct host_graph *hg)
{
	struct refstore_graph *g = &hg->graph;
	struct refstore_collect_result res;
	struct refstore_obj *a, *b, *c;
	int i;

	g->clock = g->clock_old = REFSTORE_CLOCK_RESYNC - 3;
	a = host_new(hg, 1);
	host_collect(hg, 0, &res);		/* a: 1 */
	b = host_new(hg, 1);
	for (i = 0; i < 4; i++)			/* through the resync */
		host_collect(hg, 0, &res);
	CHECK_EQ(refstore_obj_gen(g, a), 1);
	CHECK_EQ(refstore_obj_gen(g, b), 1);
	c = host_new(hg, 1);
	CHECK_EQ(refstore_obj_gen(g, c), 0);
	host_graph_destroy(hg);
	host_graph_init(hg);
	g->clock = g->clock_old = 0xfffffffeU;
	a = host_new(hg, 1);
	host_collect(hg, 0, &res);
	host_collect(hg, 0, &res);		/* wraps to 0 */
	b = host_new(hg, 1);
	CHECK_EQ(g->clock, 0);
	CHECK_EQ(refstore_obj_gen(g, a), 1);
	CHECK_EQ(refstore_obj_gen(g, b), 0);
	host_collect(hg, 1, &res);
	CHECK_EQ(refstore_obj_gen(g, a), 2);
	CHECK_EQ(refstore_obj_gen(g, b), 2);
	CHECK_EQ(g->nr_gen[2], 2);
}

/* refstore_graph_remove_unused() undoes refstore_graph_add() exactly. */
static void t_remove_unused(struct host_graph *hg)
{
	struct refstore_obj *o;
	s64 before = hg->graph.count[0];

	o = host_new(hg, 3);
	CHECK_EQ(hg->graph.count[0], before + 1);
	refstore_graph_remove_unused(&hg->graph, o);
	CHECK_EQ(hg->graph.count[0], before);
	CHECK(list_empty(&hg->graph.objects));
	/* Never published: the owner frees it without the hooks. */
	hg->rec[o->id].released = hg->rec[o->id].freed = 1;
	free(o);
}

/* CPython's rules: gen 0 count over threshold 0, then the oldest due. */
static void t_due_thresholds(struct host_graph *hg)
{
	struct refstore_graph *g = &hg->graph;
	struct refstore_collect_result res;
	struct refstore_obj *o[702];
	int i;

	CHECK_EQ(g->threshold[0], 700);
	CHECK_EQ(g->threshold[1], 10);
	CHECK_EQ(g->threshold[2], 10);
	CHECK_EQ(refstore_graph_due(g), -1);
	/* Objects without slots are not counted (not tracked). */
	for (i = 0; i < 800; i++)
		host_put(hg, host_new(hg, 0));
	CHECK_EQ(g->count[0], 0);
	for (i = 0; i < 700; i++)
		o[i] = host_new(hg, 1);
	CHECK_EQ(g->count[0], 700);
	CHECK_EQ(refstore_graph_due(g), -1);	/* "exceeds": > */
	o[700] = host_new(hg, 1);
	CHECK_EQ(refstore_graph_due(g), 0);
	g->enabled = false;
	CHECK_EQ(refstore_graph_due(g), -1);
	g->enabled = true;
	g->threshold[0] = 0;			/* 0 disables, as in Python */
	CHECK_EQ(refstore_graph_due(g), -1);
	g->threshold[0] = 700;
	/* A free brings count 0 down, never below zero. */
	host_put(hg, o[700]);
	CHECK_EQ(g->count[0], 700);
	CHECK_EQ(refstore_graph_due(g), -1);
	host_collect(hg, 0, &res);
	CHECK_EQ(g->count[0], 0);
	CHECK_EQ(g->count[1], 1);
	for (i = 0; i < 700; i++)
		host_put(hg, o[i]);
	CHECK_EQ(g->count[0], 0);
	/* Ten gen-0 collections: gen 1 at its threshold, not over it. */
	for (i = 0; i < 9; i++)
		host_collect(hg, 0, &res);
	CHECK_EQ(g->count[1], 10);
	g->threshold[0] = 2;
	for (i = 0; i < 3; i++)
		o[i] = host_new(hg, 1);
	CHECK_EQ(refstore_graph_due(g), 0);
	host_collect(hg, 0, &res);
	CHECK_EQ(g->count[1], 11);
	for (i = 3; i < 6; i++)
		o[i] = host_new(hg, 1);
	CHECK_EQ(refstore_graph_due(g), 1);
	host_collect(hg, 1, &res);
	CHECK_EQ(g->count[0], 0);
	CHECK_EQ(g->count[1], 0);
	CHECK_EQ(g->count[2], 1);
	/* Gen 2 over its threshold wins over gen 1. */
	g->count[2] = 11;
	g->count[1] = 11;
	for (i = 6; i < 9; i++)
		o[i] = host_new(hg, 1);
	CHECK_EQ(refstore_graph_due(g), 2);
	host_collect(hg, 2, &res);
	CHECK_EQ(g->count[0], 0);
	CHECK_EQ(g->count[1], 0);
	CHECK_EQ(g->count[2], 0);
	CHECK_EQ(g->stats[2].collections, 1);
	CHECK_EQ(g->stats[1].collections, 1);
	for (i = 0; i < 9; i++)
		host_put(hg, o[i]);
}

/* No suspects: a collection examines nothing, however big the graph. */
static void t_idle_collection(struct host_graph *hg)
{
	struct refstore_collect_result res;
	struct refstore_obj *o[100];
	u64 examined = hg->graph.examined;
	int i;

	for (i = 0; i < 100; i++) {
		o[i] = host_new(hg, i % 3);
		if (i && o[i - 1]->nslots)
			host_set(hg, o[i - 1], 0, o[i]);
	}
	/* Dropping the only handle to a slotless object makes no suspect. */
	host_put(hg, host_new(hg, 0));
	CHECK(!refstore_graph_has_suspects(&hg->graph));
	for (i = 0; i <= REFSTORE_GEN_OLDEST; i++) {
		host_collect(hg, i, &res);
		CHECK_EQ(res.examined, 0);
		CHECK_EQ(res.unreachable, 0);
	}
	CHECK_EQ(hg->graph.examined, examined);
	for (i = 0; i < 100; i++)
		host_put(hg, o[i]);
}

/* Destroy frees live, cyclic, frozen and saved objects, cause NONE. */
static void t_destroy(struct host_graph *hg)
{
	struct refstore_collect_result res;
	struct refstore_obj *a, *b, *c, *d, *e;
	size_t i;

	a = host_new(hg, 1);
	b = host_new(hg, 1);
	host_set(hg, a, 0, b);
	host_set(hg, b, 0, a);
	host_put(hg, a);
	host_put(hg, b);
	hg->graph.debug |= REFSTORE_GC_DEBUG_SAVEALL;
	host_collect(hg, REFSTORE_GEN_OLDEST, &res);
	hg->graph.debug = 0;
	c = host_new(hg, 1);
	host_set(hg, c, 0, c);
	refstore_freeze(&hg->graph);
	d = host_new(hg, 2);
	e = host_new(hg, 0);
	host_set(hg, d, 0, d);
	host_set(hg, d, 1, e);
	host_put(hg, d);		/* d is a suspect */
	(void)e;			/* e keeps its handle */
	CHECK_EQ(hg->graph.nr_garbage, 2);
	CHECK_EQ(hg->freed, 0);

	refstore_graph_destroy(&hg->graph);
	for (i = 0; i < hg->nrec; i++) {
		CHECK_EQ(hg->rec[i].released, 1);
		CHECK_EQ(hg->rec[i].cause, REFSTORE_CAUSE_NONE);
		CHECK_EQ(hg->rec[i].freed, 1);
	}
	CHECK(list_empty(&hg->graph.objects));
	CHECK(!refstore_graph_has_suspects(&hg->graph));
	CHECK(list_empty(&hg->graph.garbage));
	CHECK_EQ(hg->graph.nr_frozen, 0);
	CHECK_EQ(hg->graph.nr_garbage, 0);
}

/* ---- staged collections: scan, then commit or abort ---- */

/*
 * A garbage 2-ring a <-> b, and a live suspect c -> d, c held by a handle,
 * d slotless (never a suspect, never scanned).
 */
struct staged_shape {
	struct refstore_obj *a, *b, *c, *d;
};

static void staged_build(struct host_graph *hg, struct staged_shape *s)
{
	s->a = host_new(hg, 1);
	s->b = host_new(hg, 1);
	s->c = host_new(hg, 1);
	s->d = host_new(hg, 0);
	host_set(hg, s->a, 0, s->b);
	host_set(hg, s->b, 0, s->a);
	host_set(hg, s->c, 0, s->d);
	host_put(hg, s->a);
	host_put(hg, s->b);
	host_put(hg, s->d);
	host_get(s->c);		/* c: two handles, so dropping one keeps it */
	host_put(hg, s->c);	/* ... and makes it a suspect */
}

static bool on_list(struct refstore_obj *obj, struct list_head *list)
{
	struct refstore_obj *o;

	list_for_each_entry(o, list, node)
		if (o == obj)
			return true;
	return false;
}

/* On the suspect list of its generation. */
static bool on_suspects(struct refstore_graph *g, struct refstore_obj *obj)
{
	return on_list(obj, &g->suspects[refstore_obj_gen(g, obj)]);
}

/* Abort puts every object back as it was: lists, generations, counts. */
static void t_staged_abort(struct host_graph *hg)
{
	struct refstore_graph *g = &hg->graph;
	struct refstore_collect_result res;
	struct refstore_collection c;
	struct staged_shape s;
	s64 count[REFSTORE_NR_GENS];

	staged_build(hg, &s);
	memcpy(count, g->count, sizeof(count));
	CHECK(on_suspects(g, s.a) && on_suspects(g, s.c));
	CHECK(on_list(s.d, &g->objects));

	host_scan(hg, REFSTORE_GEN_OLDEST, &c);
	CHECK_EQ(c.res.examined, 3);
	CHECK_EQ(c.res.unreachable, 2);
	CHECK(refstore_obj_collecting(s.a) && refstore_obj_collecting(s.b));
	CHECK(!refstore_obj_collecting(s.c) && !refstore_obj_collecting(s.d));
	CHECK(on_list(s.a, &c.unreachable) && on_list(s.c, &c.survivors));
	CHECK(!refstore_graph_has_suspects(g));
	CHECK_EQ(host_list_len(&g->staged), 1);

	host_abort(hg, &c);
	CHECK(list_empty(&g->staged));
	CHECK(on_suspects(g, s.a) && on_suspects(g, s.b));
	CHECK(on_suspects(g, s.c) && on_list(s.d, &g->objects));
	CHECK_EQ(refstore_obj_gen(&hg->graph, s.c), 0);
	CHECK_EQ(refstore_obj_gen(&hg->graph, s.d), 0);
	CHECK_EQ(s.a->flags, REFSTORE_OF_SUSPECT);
	CHECK_EQ(s.d->flags, 0);
	CHECK(!memcmp(count, g->count, sizeof(count)));
	CHECK_EQ(g->stats[REFSTORE_GEN_OLDEST].collections, 0);
	CHECK_EQ(g->examined, 0);
	CHECK(!host_dead(hg, s.a->id));

	/* A new scan finds the same, and its commit frees the ring. */
	host_collect(hg, REFSTORE_GEN_OLDEST, &res);
	CHECK_EQ(res.unreachable, 2);
	CHECK_EQ(hg->released[REFSTORE_CAUSE_CYCLE], 2);
	/* As CPython: a full collection leaves everything in generation 2. */
	CHECK_EQ(refstore_obj_gen(&hg->graph, s.c), 2);
	CHECK(on_list(s.c, &g->objects));
	host_put(hg, s.c);
}

/*
 * Every loop bounded only by the heap's size lets others run: a ring of N
 * kept alive and a garbage ring of N make each phase of a collection (and
 * its abort, and clearing saved garbage) reschedule at least once per
 * object it walks.
 */
#define RESCHED_N 1000

static struct refstore_obj *resched_ring(struct host_graph *hg, bool keep)
{
	struct refstore_obj *first = host_new(hg, 1), *prev = first, *o;
	int i;

	for (i = 1; i < RESCHED_N; i++) {
		o = host_new(hg, 1);
		host_set(hg, prev, 0, o);
		if (prev != first)
			host_put(hg, prev);
		prev = o;
	}
	host_set(hg, prev, 0, first);
	host_put(hg, prev);
	if (!keep) {
		host_put(hg, first);
		return NULL;
	}
	return first;
}

static void t_loops_reschedule(struct host_graph *hg)
{
	struct refstore_collection c;
	struct refstore_obj *kept;
	unsigned long before;

	kept = resched_ring(hg, true);
	resched_ring(hg, false);

	before = host_cond_resched_calls;
	host_scan(hg, REFSTORE_GEN_OLDEST, &c);
	CHECK_EQ(c.res.unreachable, RESCHED_N);
	CHECK(host_cond_resched_calls - before >= 2 * RESCHED_N);
	before = host_cond_resched_calls;
	host_abort(hg, &c);
	CHECK(host_cond_resched_calls - before >= 2 * RESCHED_N);

	host_scan(hg, REFSTORE_GEN_OLDEST, &c);
	before = host_cond_resched_calls;
	host_commit(hg, &c, NULL);
	/* Survivors, the release of the garbage, and its free. */
	CHECK(host_cond_resched_calls - before >= 3 * RESCHED_N);

	/* Saved garbage: saving it and clearing it. */
	hg->graph.debug |= REFSTORE_GC_DEBUG_SAVEALL;
	resched_ring(hg, false);
	host_scan(hg, REFSTORE_GEN_OLDEST, &c);
	before = host_cond_resched_calls;
	host_commit(hg, &c, NULL);
	CHECK(host_cond_resched_calls - before >= RESCHED_N);
	CHECK_EQ(hg->graph.nr_garbage, RESCHED_N);
	before = host_cond_resched_calls;
	refstore_garbage_clear(&hg->graph);
	CHECK(host_cond_resched_calls - before >= RESCHED_N);
	hg->graph.debug = 0;
	host_put(hg, kept);
}

/*
 * Old suspects wait on their own list: a young collection examines only
 * what young suspects reach (as CPython's per-generation lists), and the
 * commit merges the young list into the next generation's.
 */
static void t_young_skips_old_suspects(struct host_graph *hg)
{
	struct refstore_collect_result res;
	struct refstore_obj *o[50], *a, *b;
	int i;

	for (i = 0; i < 50; i++) {
		o[i] = host_new(hg, 1);
		host_get(o[i]);
		host_set(hg, o[i], 0, o[i]);		/* a live self-loop */
	}
	host_collect(hg, REFSTORE_GEN_OLDEST, NULL);	/* old now */
	for (i = 0; i < 50; i++) {
		host_put(hg, o[i]);		/* an old suspect, still held */
		CHECK(on_suspects(&hg->graph, o[i]));
		CHECK_EQ(refstore_obj_gen(&hg->graph, o[i]), REFSTORE_GEN_OLDEST);
	}
	a = host_new(hg, 1);
	b = host_new(hg, 1);
	host_set(hg, a, 0, b);
	host_set(hg, b, 0, a);
	host_put(hg, a);
	host_put(hg, b);
	CHECK(on_list(a, &hg->graph.suspects[0]));
	host_collect(hg, 0, &res);
	CHECK_EQ(res.examined, 2);
	CHECK_EQ(res.unreachable, 2);
	CHECK_EQ(host_list_len(&hg->graph.suspects[REFSTORE_GEN_OLDEST]), 50);
	/* A young survivor stays a suspect, one generation older. */
	a = host_new(hg, 1);
	host_get(a);
	host_put(hg, a);
	host_collect(hg, 0, &res);
	CHECK_EQ(res.examined, 1);
	CHECK(on_list(a, &hg->graph.suspects[1]));
	host_collect(hg, 1, &res);
	CHECK_EQ(res.examined, 1);
	CHECK(on_list(a, &hg->graph.suspects[REFSTORE_GEN_OLDEST]));
	host_collect(hg, REFSTORE_GEN_OLDEST, &res);
	CHECK_EQ(res.examined, 51);
	CHECK(!refstore_graph_has_suspects(&hg->graph));
	host_put(hg, a);
	for (i = 0; i < 50; i++)
		host_put(hg, o[i]);
}

/* A survivor that loses a reference while staged becomes a suspect. */
static void t_staged_put_resuspects(struct host_graph *hg)
{
	struct refstore_graph *g = &hg->graph;
	struct refstore_collection c;
	struct staged_shape s;

	staged_build(hg, &s);
	host_get(s.c);
	host_scan(hg, REFSTORE_GEN_OLDEST, &c);
	host_put(hg, s.c);	/* c: 2 handles -> 1, parked */
	CHECK(on_list(s.c, &c.survivors));
	CHECK(s.c->flags & REFSTORE_OF_RESUSPECT);
	host_commit(hg, &c, NULL);
	CHECK(on_suspects(g, s.c));
	CHECK(on_list(s.d, &g->objects));
	CHECK_EQ(s.c->flags, REFSTORE_OF_SUSPECT);
	CHECK_EQ(hg->released[REFSTORE_CAUSE_CYCLE], 2);
	/* The survivor's last reference dropped while staged: freed at once. */
	host_get(s.c);
	host_scan(hg, REFSTORE_GEN_OLDEST, &c);
	host_put(hg, s.c);
	host_put(hg, s.c);
	CHECK(list_empty(&c.survivors));
	host_commit(hg, &c, NULL);
	CHECK_EQ(hg->released[REFSTORE_CAUSE_RELEASED], 2);
}

/* Freeze and unfreeze reach parked survivors; staged garbage stays garbage. */
static void t_staged_freeze(struct host_graph *hg)
{
	struct refstore_graph *g = &hg->graph;
	struct refstore_collection c;
	struct staged_shape s;

	staged_build(hg, &s);
	host_scan(hg, REFSTORE_GEN_OLDEST, &c);
	CHECK_EQ(refstore_freeze(g), 2);	/* c and d, not a and b */
	CHECK_EQ(s.c->gen, REFSTORE_GEN_PERMANENT);
	CHECK_EQ(refstore_obj_gen(&hg->graph, s.a), 0);
	host_commit(hg, &c, NULL);
	CHECK_EQ(hg->released[REFSTORE_CAUSE_CYCLE], 2);
	CHECK_EQ(s.c->gen, REFSTORE_GEN_PERMANENT);
	CHECK(on_list(s.c, &g->objects));
	CHECK_EQ(g->nr_frozen, 2);

	/* Unfreeze while staged: the parked survivors come back suspects. */
	host_get(s.c);
	host_put(hg, s.c);	/* frozen: no suspect */
	CHECK(!refstore_graph_has_suspects(g));
	CHECK_EQ(refstore_unfreeze(g), 2);
	host_scan(hg, REFSTORE_GEN_OLDEST, &c);
	CHECK_EQ(refstore_freeze(g), 2);
	CHECK_EQ(refstore_unfreeze(g), 2);
	host_abort(hg, &c);
	CHECK(on_suspects(g, s.c) && on_list(s.d, &g->objects));
	CHECK_EQ(s.c->gen, REFSTORE_GEN_OLDEST);
	CHECK_EQ(g->nr_frozen, 0);
	host_put(hg, s.c);
}

/* Destroy with a collection staged: parked objects are freed too. */
static void t_staged_destroy(struct host_graph *hg)
{
	struct refstore_collection c;
	struct staged_shape s;

	staged_build(hg, &s);
	host_scan(hg, REFSTORE_GEN_OLDEST, &c);
	refstore_graph_destroy(&hg->graph);
	CHECK(list_empty(&c.link) && list_empty(&c.unreachable) &&
	      list_empty(&c.survivors));
	/* Ending it now does nothing (the harness re-destroys an empty graph). */
	host_commit(hg, &c, NULL);
	host_abort(hg, &c);
}

/* Two collections staged at once find disjoint objects; each ends alone. */
static void t_staged_two(struct host_graph *hg)
{
	struct refstore_graph *g = &hg->graph;
	struct refstore_collection c1, c2;
	struct refstore_obj *e, *f;
	struct staged_shape s;

	staged_build(hg, &s);
	host_scan(hg, REFSTORE_GEN_OLDEST, &c1);
	/* A second garbage ring, e <-> f, made while the first is staged. */
	e = host_new(hg, 1);
	f = host_new(hg, 1);
	host_set(hg, e, 0, f);
	host_set(hg, f, 0, e);
	host_put(hg, e);
	host_put(hg, f);
	host_scan(hg, REFSTORE_GEN_OLDEST, &c2);
	CHECK_EQ(c2.res.examined, 2);
	CHECK_EQ(c2.res.unreachable, 2);
	CHECK_EQ(host_list_len(&g->staged), 2);
	host_commit(hg, &c1, NULL);
	CHECK_EQ(hg->released[REFSTORE_CAUSE_CYCLE], 2);
	host_abort(hg, &c2);
	CHECK(!host_dead(hg, e->id));
	host_collect(hg, REFSTORE_GEN_OLDEST, NULL);
	CHECK_EQ(hg->released[REFSTORE_CAUSE_CYCLE], 4);
	host_put(hg, s.c);
}

/* ---- weak slots (issue 13) ---- */

/*
 * The seed's tree: parent strong -> children, children weak -> parent.
 * Freed by counting alone when the root's handle goes: no suspect is left
 * behind (a weak slot is no edge, and puts of dying objects are no
 * suspects), nothing waits for a collection.
 */
static void t_weak_tree_counting(struct host_graph *hg)
{
	struct refstore_obj *root = host_new(hg, 4), *c;
	unsigned int i;

	for (i = 0; i < 4; i++) {
		c = host_new(hg, 1);
		host_set(hg, root, i, c);
		host_set_weak(hg, c, 0, root);
		host_put(hg, c);
	}
	CHECK_EQ(kref_read(&root->kref), 1);
	host_put(hg, root);
	CHECK_EQ(hg->released[REFSTORE_CAUSE_RELEASED], 5);
	CHECK_EQ(hg->nweak, 0);
	CHECK(!refstore_graph_has_suspects(&hg->graph));
	CHECK_EQ(hg->graph.stats[0].collections, 0);
}

/* A collection counts no weak slot: a ring of weak slots is no cycle. */
static void t_weak_not_an_edge(struct host_graph *hg)
{
	struct refstore_collect_result res;
	struct refstore_obj *a = host_new(hg, 2), *b = host_new(hg, 2);

	host_set(hg, a, 0, b);
	host_set(hg, b, 0, a);
	host_set_weak(hg, a, 1, b);
	host_set_weak(hg, b, 1, a);
	host_get(a);
	host_put(hg, b);
	/* a is held from outside: the cycle survives, weak slots or not. */
	host_collect(hg, REFSTORE_GEN_OLDEST, &res);
	CHECK_EQ(res.unreachable, 0);
	host_put(hg, a);
	host_put(hg, a);
	host_collect(hg, REFSTORE_GEN_OLDEST, &res);
	CHECK_EQ(res.examined, 2);
	CHECK_EQ(res.unreachable, 2);
	CHECK_EQ(hg->nweak, 0);
}

/*
 * A live object's weak slot to a garbage cycle: cleared by the commit
 * before any death of it (the harness checks the order), and never a
 * reference to the dead afterwards; a staged collection's garbage reads
 * dead already, and again alive if the collection is aborted.
 */
static void t_weak_cleared_before_deaths(struct host_graph *hg)
{
	struct refstore_collection c;
	struct refstore_obj *keep = host_new(hg, 2), *a = host_new(hg, 1);
	struct refstore_obj *b = host_new(hg, 1);
	u64 ida = a->id, idb = b->id;
	bool weak;

	host_set(hg, a, 0, b);
	host_set(hg, b, 0, a);
	host_set_weak(hg, keep, 0, a);
	host_set_weak(hg, keep, 1, b);
	host_put(hg, a);
	host_put(hg, b);
	CHECK(host_slot_weak(keep, 0, &weak) == a);
	host_scan(hg, REFSTORE_GEN_OLDEST, &c);
	CHECK(!host_slot_weak(keep, 0, &weak) && weak);
	host_abort(hg, &c);
	CHECK(host_slot_weak(keep, 0, &weak) == a);
	host_scan(hg, REFSTORE_GEN_OLDEST, &c);
	host_commit(hg, &c, NULL);
	CHECK(host_dead(hg, ida) && host_dead(hg, idb));
	CHECK_EQ(host_rec_of(hg, ida)->weak_cleared, 1);
	CHECK_EQ(host_rec_of(hg, idb)->weak_cleared, 1);
	CHECK(!host_slot_weak(keep, 0, &weak) && weak);
	CHECK(!host_slot_weak(keep, 1, &weak) && weak);
	host_put(hg, keep);
	CHECK_EQ(hg->nweak, 0);
}

/* SAVEALL clears weak slots to what it saves, once. */
static void t_weak_saveall(struct host_graph *hg)
{
	struct refstore_obj *keep = host_new(hg, 1), *a = host_new(hg, 1);
	u64 ida = a->id;
	bool weak;

	host_set(hg, a, 0, a);
	host_set_weak(hg, keep, 0, a);
	host_put(hg, a);
	hg->graph.debug |= REFSTORE_GC_DEBUG_SAVEALL;
	host_collect(hg, REFSTORE_GEN_OLDEST, NULL);
	CHECK(!host_slot_weak(keep, 0, &weak) && weak);
	CHECK_EQ(host_rec_of(hg, ida)->weak_cleared, 1);
	hg->graph.debug = 0;
	refstore_garbage_clear(&hg->graph);
	host_collect(hg, REFSTORE_GEN_OLDEST, NULL);
	CHECK(host_dead(hg, ida));
	CHECK_EQ(host_rec_of(hg, ida)->finalized, 1);
	host_put(hg, keep);
}

/* Weak slots inside garbage, to garbage and to themselves, and destroy. */
static void t_weak_in_garbage_destroy(struct host_graph *hg)
{
	struct refstore_obj *a = host_new(hg, 3), *b = host_new(hg, 1);

	host_set(hg, a, 0, b);
	host_set(hg, b, 0, a);
	host_set_weak(hg, a, 1, a);
	host_set_weak(hg, a, 2, b);
	host_put(hg, a);
	host_put(hg, b);
	/* host_graph_destroy() frees them and checks no weak one is left. */
}

struct test {
	const char *name;
	void (*fn)(struct host_graph *hg);
};

static const struct test tests[] = {
	{ "self_ref", t_self_ref },
	{ "two_cycle_seed", t_two_cycle_seed },
	{ "triangle", t_triangle },
	{ "cross_edge", t_cross_edge },
	{ "backtrack_from_scc", t_backtrack_from_scc },
	{ "mixed_lowpoint", t_mixed_lowpoint },
	{ "shapes_one_handle_kept", t_shapes_one_handle_kept },
	{ "reachable_cycle_survives", t_reachable_cycle_survives },
	{ "garbage_cycle_into_live", t_garbage_into_live },
	{ "acyclic_tail_released", t_acyclic_tail },
	{ "acyclic_tail_slotless", t_acyclic_tail_slotless },
	{ "chain_1m_one_put", t_chain_1m_put },
	{ "chain_1m_behind_cycle", t_chain_1m_cycle },
	{ "partial_collection", t_partial_collection },
	{ "partial_finds_young_cycle", t_partial_finds_young_cycle },
	{ "aging_all_young", t_aging_all_young },
	{ "aging_to_oldest", t_aging_to_oldest },
	{ "long_lived_pending", t_long_lived_pending },
	{ "due_timed", t_due_timed },
	{ "clock_wrap", t_clock_wrap },
	{ "freeze_unfreeze", t_freeze },
	{ "freeze_count_death", t_freeze_count_death },
	{ "saveall_garbage_clear", t_saveall },
	{ "saveall_clear_resave", t_saveall_clear_resave },
	{ "saveall_resurrect", t_saveall_resurrect },
	{ "remove_unused", t_remove_unused },
	{ "due_thresholds", t_due_thresholds },
	{ "idle_collection", t_idle_collection },
	{ "graph_destroy", t_destroy },
	{ "staged_abort", t_staged_abort },
	{ "loops_reschedule", t_loops_reschedule },
	{ "staged_put_resuspects", t_staged_put_resuspects },
	{ "young_skips_old_suspects", t_young_skips_old_suspects },
	{ "staged_freeze", t_staged_freeze },
	{ "staged_destroy", t_staged_destroy },
	{ "staged_two", t_staged_two },
	{ "weak_tree_counting", t_weak_tree_counting },
	{ "weak_not_an_edge", t_weak_not_an_edge },
	{ "weak_cleared_before_deaths", t_weak_cleared_before_deaths },
	{ "weak_saveall", t_weak_saveall },
	{ "weak_in_garbage_destroy", t_weak_in_garbage_destroy },
};

static int run_one(const struct test *t)
{
	struct host_graph hg;

	host_graph_init(&hg);
	t->fn(&hg);
	host_graph_destroy(&hg);
	return failed;
}

int main(int argc, char **argv)
{
	unsigned int i, n = sizeof(tests) / sizeof(tests[0]);
	int status, nfail = 0;
	const char *only = argc > 1 ? argv[1] : NULL;
	pid_t pid;

	for (i = 0; i < n; i++) {
		if (only && strcmp(only, tests[i].name))
			continue;
		fflush(stdout);
		pid = fork();
		if (pid < 0)
			host_fail("fork");
		if (!pid)
			exit(run_one(&tests[i]));
		if (waitpid(pid, &status, 0) < 0)
			host_fail("waitpid");
		if (WIFEXITED(status) && !WEXITSTATUS(status)) {
			printf("ok %u - %s\n", i + 1, tests[i].name);
		} else {
			printf("not ok %u - %s\n", i + 1, tests[i].name);
			nfail++;
		}
	}
	return nfail ? 1 : 0;
}
