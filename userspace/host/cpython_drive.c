// SPDX-License-Identifier: GPL-2.0
/*
 * cpython_drive.c - the collector core running the programs of
 * cpython_diff.py: one operation per line on stdin, one observation line
 * per operation on stdout, to be compared with what CPython 3.11's gc
 * does with the same program. The language and the observations are
 * described in cpython_diff.py.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define MAX_HANDLES	64

static struct host_graph hg;
static bool live;
static struct refstore_obj *handle[MAX_HANDLES];
/*
 * Program objects by creation index: harness id; weak reference made
 * (1 + whether the object was finalized then: a weak reference made to
 * saved garbage, through gc.garbage, lives until the object is freed).
 */
static u64 *objid;
static u8 *weak;
static bool *seen;
/* A callback was asked for (Q) before the object was finalized. */
static bool *cb;
static size_t nobjs, capobjs;

static void program_end(void)
{
	if (!live)
		return;
	host_graph_destroy(&hg);
	live = false;
	memset(handle, 0, sizeof(handle));
	nobjs = 0;
}

static void program_start(void)
{
	program_end();
	host_graph_init(&hg);
	hg.graph.enabled = false;	/* gc.disable() */
	live = true;
}

static struct refstore_obj *new_prog_obj(u16 nslots)
{
	struct refstore_obj *o = host_new(&hg, nslots);

	if (nobjs == capobjs) {
		capobjs = capobjs ? 2 * capobjs : 1024;
		objid = realloc(objid, capobjs * sizeof(*objid));
		weak = realloc(weak, capobjs * sizeof(*weak));
		seen = realloc(seen, capobjs * sizeof(*seen));
		cb = realloc(cb, capobjs * sizeof(*cb));
		if (!objid || !weak || !seen || !cb)
			host_fail("out of memory");
	}
	objid[nobjs] = o->id;
	weak[nobjs] = false;
	seen[nobjs] = false;
	cb[nobjs] = false;
	nobjs++;
	return o;
}

/* Handle @h now names @o (a reference the caller took), or nothing. */
static void take(int h, struct refstore_obj *o)
{
	struct refstore_obj *old = handle[h];

	handle[h] = o;
	if (old)
		host_put(&hg, old);
}

static void observe(long ret)
{
	struct refstore_graph *g = &hg.graph;
	const char *sep = "";
	size_t i;
	int gen;

	printf("r=%ld d=", ret);
	for (i = 0; i < nobjs; i++) {
		const struct host_rec *r = &hg.rec[objid[i]];

		if (!r->finalized || seen[i])
			continue;
		seen[i] = true;
		/*
		 * The module's order: a collection clears weak references
		 * (callbacks) before any death; counting queues the death,
		 * then the callbacks.
		 */
		if (r->fcause == REFSTORE_CAUSE_CYCLE)
			printf("%s%zu:%s", sep, i, cb[i] ? "cb+gc" : "gc");
		else
			printf("%s%zu:%s", sep, i, cb[i] ? "rc+cb" : "rc");
		sep = ",";
	}
	printf(" w=");
	sep = "";
	for (i = 0; i < nobjs; i++) {
		const struct host_rec *r = &hg.rec[objid[i]];

		if (weak[i] && !r->released && weak[i] - 1 == r->finalized) {
			printf("%s%zu", sep, i);
			sep = ",";
		}
	}
	/* count[0] is not compared (see observe() in cpython_diff.py). */
	printf(" c=%lld,%lld", (long long)g->count[1], (long long)g->count[2]);
	for (gen = 0; gen < REFSTORE_NR_GENS; gen++)
		printf(" s%d=%llu,%llu,%llu", gen,
		       (unsigned long long)g->stats[gen].collections,
		       (unsigned long long)g->stats[gen].collected,
		       (unsigned long long)g->stats[gen].uncollectable);
	printf(" g=%llu\n", (unsigned long long)g->nr_garbage);
}

static bool valid_h(int h)
{
	return h >= 0 && h < MAX_HANDLES && handle[h];
}

int main(void)
{
	char line[256], op;
	int a, b, c, n;
	long ret;

	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	while (fgets(line, sizeof(line), stdin)) {
		struct refstore_collect_result res;
		struct refstore_obj *o, *t, *prev;

		a = b = c = -1;
		n = sscanf(line, " %c %d %d %d", &op, &a, &b, &c);
		if (n < 1)
			continue;
		ret = -1;
		switch (op) {
		case 'P':	/* a new program */
			program_start();
			continue;
		case 'E':	/* end of input */
			program_end();
			fflush(stdout);
			return 0;
		case 'N':	/* N h k: handle h = new object with k slots */
			if (a >= 0 && a < MAX_HANDLES)
				take(a, new_prog_obj(b));
			break;
		case 'L':	/* L h n: handle h = head of an n-chain */
			prev = NULL;
			t = NULL;
			for (c = 0; c < b; c++) {
				o = new_prog_obj(1);
				if (prev) {
					host_set(&hg, prev, 0, o);
					host_put(&hg, o);
				} else {
					t = o;
				}
				prev = o;
			}
			if (t)
				take(a, t);
			break;
		case 'S':	/* S h s t: h.s = t */
			if (valid_h(a) && b < handle[a]->nslots && valid_h(c))
				host_set(&hg, handle[a], b, handle[c]);
			break;
		case 'C':	/* C h s: h.s = None */
			if (valid_h(a) && b < handle[a]->nslots)
				host_set(&hg, handle[a], b, NULL);
			break;
		case 'G':	/* G h s t: handle t = h.s (a weak one: r=1/0) */
			if (valid_h(a) && b < handle[a]->nslots &&
			    c >= 0 && c < MAX_HANDLES) {
				bool w;

				o = host_slot_weak(handle[a], b, &w);
				if (w)
					ret = !!o;
				else
					o = host_slot(handle[a], b);
				if (o) {
					host_get(o);
					take(c, o);
				}
			}
			break;
		case 'Y':	/* Y h s t: h.s = weakref.ref(t) */
			if (valid_h(a) && b < handle[a]->nslots && valid_h(c)) {
				host_set_weak(&hg, handle[a], b, handle[c]);
				/* CPython's weakref object: tracked, held. */
				host_new(&hg, 1);
			}
			break;
		case 'Q':	/* Q h: weakref.ref(h, callback) */
			if (valid_h(a)) {
				size_t i;

				for (i = 0; i < nobjs; i++)
					if (objid[i] == handle[a]->id)
						break;
				if (i < nobjs && !cb[i] &&
				    !hg.rec[objid[i]].finalized) {
					cb[i] = true;
					host_new(&hg, 1);
				}
			}
			break;
		case 'D':	/* D h: drop handle h */
			if (valid_h(a))
				take(a, NULL);
			break;
		case 'U':	/* U h t: handle t = h */
			if (valid_h(a) && b >= 0 && b < MAX_HANDLES) {
				host_get(handle[a]);
				take(b, handle[a]);
			}
			break;
		case 'W':	/* W h: a weak reference to h's object */
			if (valid_h(a)) {
				size_t i;

				for (i = 0; i < nobjs; i++)
					if (objid[i] == handle[a]->id)
						break;
				if (i < nobjs && !weak[i]) {
					weak[i] = 1 + hg.rec[objid[i]].finalized;
					/* CPython's weakref object: tracked, held. */
					host_new(&hg, 1);
				}
			}
			break;
		case 'X':	/* X g: gc.collect(g) */
			host_collect(&hg, a, &res);
			ret = res.unreachable;
			break;
		case 'F':
			refstore_freeze(&hg.graph);
			break;
		case 'Z':
			refstore_unfreeze(&hg.graph);
			break;
		case 'A':	/* A 0|1: DEBUG_SAVEALL off or on */
			if (a)
				hg.graph.debug |= REFSTORE_GC_DEBUG_SAVEALL;
			else
				hg.graph.debug &= ~REFSTORE_GC_DEBUG_SAVEALL;
			break;
		case 'K':	/* del gc.garbage[:] */
			refstore_garbage_clear(&hg.graph);
			break;
		case 'H':	/* H i t: handle t = object i, if in gc.garbage */
			if (a < 0 || (size_t)a >= nobjs || b < 0 ||
			    b >= MAX_HANDLES)
				break;
			list_for_each_entry(o, &hg.graph.garbage, node) {
				if (o->id == objid[a]) {
					host_get(o);
					take(b, o);
					break;
				}
			}
			break;
		default:
			host_fail("bad op line: %s", line);
		}
		observe(ret);
	}
	program_end();
	return 0;
}
