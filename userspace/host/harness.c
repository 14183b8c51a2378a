// SPDX-License-Identifier: GPL-2.0
/*
 * harness.c - the graph owner for host tests. See harness.h.
 *
 * The hooks never trust the core: a second release, a free before the
 * release, a second free, or a cycle victim's memory freed while the
 * collection still "holds the lock" are fatal, with the test's context.
 */
#include <stdarg.h>
#include <string.h>

#include "harness.h"

unsigned long host_cond_resched_calls;
void (*host_context)(FILE *f);

void host_fail(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	if (host_context)
		host_context(stderr);
	fprintf(stderr, "FATAL: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

static struct host_graph *host_of(struct refstore_graph *graph)
{
	return container_of(graph, struct host_graph, graph);
}

/* Clear every weak slot naming @obj (it dies). */
static void host_weak_clear(struct host_graph *hg, struct refstore_obj *obj)
{
	size_t i;

	for (i = 0; i < hg->nweak; i++)
		if (hg->weak[i]->target == obj)
			hg->weak[i]->target = NULL;
}

static void host_weak_free(struct host_graph *hg, struct host_weak *w)
{
	size_t i = w->index;

	if (i >= hg->nweak || hg->weak[i] != w)
		host_fail("weak slot reference not on the graph's array");
	hg->weak[i] = hg->weak[--hg->nweak];
	hg->weak[i]->index = i;
	free(w);
}

void refstore_graph_clear_weak(struct refstore_graph *graph,
			       struct refstore_obj *obj, u32 cause)
{
	struct host_graph *hg = host_of(graph);
	struct host_rec *r;

	if (obj->id >= hg->nrec)
		host_fail("weak clear of unknown object id %llu",
			  (unsigned long long)obj->id);
	r = &hg->rec[obj->id];
	if (cause != REFSTORE_CAUSE_CYCLE || !hg->in_collect)
		host_fail("object %llu: weak clear outside a commit (cause %u)",
			  (unsigned long long)obj->id, cause);
	/* CPython's handle_weakrefs() before finalize_garbage(). */
	if (hg->commit_finalized)
		host_fail("object %llu: weak references cleared after a death of the same collection",
			  (unsigned long long)obj->id);
	if (r->released)
		host_fail("object %llu: weak clear after its release",
			  (unsigned long long)obj->id);
	r->weak_cleared++;
	host_weak_clear(hg, obj);
}

void refstore_graph_finalize_obj(struct refstore_graph *graph,
				 struct refstore_obj *obj, u32 cause)
{
	struct host_graph *hg = host_of(graph);
	struct host_rec *r;

	if (obj->id >= hg->nrec)
		host_fail("finalize of unknown object id %llu",
			  (unsigned long long)obj->id);
	r = &hg->rec[obj->id];
	if (r->finalized)
		host_fail("object %llu finalized twice (causes %u, %u)",
			  (unsigned long long)obj->id, r->fcause, cause);
	if (r->released)
		host_fail("object %llu finalized after its release",
			  (unsigned long long)obj->id);
	if (cause != REFSTORE_CAUSE_RELEASED && cause != REFSTORE_CAUSE_CYCLE)
		host_fail("object %llu finalized with cause %u",
			  (unsigned long long)obj->id, cause);
	if (cause == REFSTORE_CAUSE_CYCLE && !r->weak_cleared)
		host_fail("object %llu finalized by a collection that did not clear its weak references",
			  (unsigned long long)obj->id);
	if (cause == REFSTORE_CAUSE_CYCLE)
		hg->commit_finalized++;
	host_weak_clear(hg, obj);
	r->finalized = 1;
	r->fcause = cause;
	hg->finalized[cause]++;
}

void refstore_graph_release_obj(struct refstore_graph *graph,
				struct refstore_obj *obj, u32 cause)
{
	struct host_graph *hg = host_of(graph);
	struct host_rec *r;

	if (obj->id >= hg->nrec)
		host_fail("release of unknown object id %llu",
			  (unsigned long long)obj->id);
	r = &hg->rec[obj->id];
	if (r->released)
		host_fail("object %llu released twice (causes %u, %u)",
			  (unsigned long long)obj->id, r->cause, cause);
	if (r->freed)
		host_fail("object %llu released after its free",
			  (unsigned long long)obj->id);
	if (cause > REFSTORE_CAUSE_CYCLE)
		host_fail("object %llu released with cause %u",
			  (unsigned long long)obj->id, cause);
	if (cause != REFSTORE_CAUSE_NONE && !(obj->flags & REFSTORE_OF_DEAD))
		host_fail("object %llu released without REFSTORE_OF_DEAD",
			  (unsigned long long)obj->id);
	if (hg->on_release)
		hg->on_release(hg, obj, cause);
	/* The owner drops its weak slots: the core never follows them. */
	if (obj->flags & REFSTORE_OF_WEAKSLOTS) {
		struct refstore_obj **slots = refstore_obj_slots(obj);
		u32 i;

		for (i = 0; i < obj->nslots; i++) {
			if (!refstore_slot_is_weak(slots[i]))
				continue;
			host_weak_free(hg, (struct host_weak *)
				       ((unsigned long)slots[i] &
					~REFSTORE_SLOT_WEAK_TAG));
			slots[i] = NULL;
		}
		obj->flags &= ~REFSTORE_OF_WEAKSLOTS;
	}
	if (cause != REFSTORE_CAUSE_NONE)
		refstore_graph_finalize_obj(graph, obj, cause);
	else
		/* Finalized before (saved): weak slots made to it since. */
		host_weak_clear(hg, obj);
	r->released = 1;
	r->cause = cause;
	hg->released[cause]++;
}

void refstore_graph_free_obj(struct refstore_graph *graph,
			     struct refstore_obj *obj)
{
	struct host_graph *hg = host_of(graph);
	struct host_rec *r;

	if (obj->id >= hg->nrec)
		host_fail("free of unknown object id %llu",
			  (unsigned long long)obj->id);
	r = &hg->rec[obj->id];
	if (!r->released)
		host_fail("object %llu freed before its release",
			  (unsigned long long)obj->id);
	if (r->freed)
		host_fail("object %llu freed twice",
			  (unsigned long long)obj->id);
	if (hg->in_collect && r->cause == REFSTORE_CAUSE_CYCLE)
		host_fail("cycle victim %llu freed inside refstore_collect_commit()",
			  (unsigned long long)obj->id);
	r->freed = 1;
	hg->freed++;
	free(obj);
}

void host_graph_init(struct host_graph *hg)
{
	memset(hg, 0, sizeof(*hg));
	refstore_graph_init(&hg->graph);
}

void host_graph_destroy(struct host_graph *hg)
{
	size_t i;

	refstore_graph_destroy(&hg->graph);
	if (!list_empty(&hg->graph.dying))
		host_fail("refstore_graph_destroy() left objects dying");
	for (i = 0; i < hg->nrec; i++) {
		if (hg->rec[i].released != 1 || hg->rec[i].freed != 1)
			host_fail("after destroy: object %zu released %u freed %u",
				  i, hg->rec[i].released, hg->rec[i].freed);
	}
	if (hg->nweak)
		host_fail("after destroy: %zu weak slot references left",
			  hg->nweak);
	free(hg->weak);
	hg->weak = NULL;
	hg->capweak = 0;
	if (hg->graph.nr_frozen || hg->graph.nr_garbage)
		host_fail("after destroy: nr_frozen %llu nr_garbage %llu",
			  (unsigned long long)hg->graph.nr_frozen,
			  (unsigned long long)hg->graph.nr_garbage);
	free(hg->rec);
	hg->rec = NULL;
	hg->nrec = 0;
	hg->caprec = 0;
}

struct refstore_obj *host_new(struct host_graph *hg, u16 nslots)
{
	struct refstore_obj *obj;

	if (hg->nrec == hg->caprec) {
		hg->caprec = hg->caprec ? 2 * hg->caprec : 64;
		hg->rec = realloc(hg->rec, hg->caprec * sizeof(*hg->rec));
		if (!hg->rec)
			host_fail("out of memory");
	}
	/* As the module does: the slots right after the header. */
	obj = calloc(1, sizeof(*obj) + nslots * sizeof(struct refstore_obj *));
	if (!obj)
		host_fail("out of memory");
	kref_init(&obj->kref);
	obj->nslots = nslots;
	obj->gen = 0;
	obj->id = hg->nrec;
	memset(&hg->rec[hg->nrec], 0, sizeof(hg->rec[0]));
	hg->rec[hg->nrec].nslots = nslots > 255 ? 255 : nslots;
	hg->nrec++;
	refstore_graph_add(&hg->graph, obj);
	return obj;
}

struct refstore_obj *host_slot(struct refstore_obj *obj, u32 slot)
{
	return refstore_obj_slots(obj)[slot];
}

/* The old content of a slot just overwritten goes. */
static void host_slot_drop(struct host_graph *hg, struct refstore_obj *old)
{
	if (refstore_slot_is_weak(old))
		host_weak_free(hg, (struct host_weak *)
			       ((unsigned long)old & ~REFSTORE_SLOT_WEAK_TAG));
	else if (old)
		refstore_obj_put(&hg->graph, old);
	refstore_reap(&hg->graph, REFSTORE_CAUSE_RELEASED);
}

void host_set(struct host_graph *hg, struct refstore_obj *obj, u32 slot,
	      struct refstore_obj *target)
{
	struct refstore_obj **slots = refstore_obj_slots(obj);
	struct refstore_obj *old = slots[slot];

	if (target)
		refstore_obj_get(target);
	slots[slot] = target;
	host_slot_drop(hg, old);
}

void host_set_weak(struct host_graph *hg, struct refstore_obj *obj, u32 slot,
		   struct refstore_obj *target)
{
	struct refstore_obj **slots = refstore_obj_slots(obj);
	struct refstore_obj *old = slots[slot];
	struct host_weak *w;

	if (!target) {
		slots[slot] = NULL;
		host_slot_drop(hg, old);
		return;
	}
	if (hg->nweak == hg->capweak) {
		hg->capweak = hg->capweak ? 2 * hg->capweak : 64;
		hg->weak = realloc(hg->weak, hg->capweak * sizeof(*hg->weak));
		if (!hg->weak)
			host_fail("out of memory");
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		host_fail("out of memory");
	w->target = target;
	w->target_id = target->id;
	w->index = hg->nweak;
	hg->weak[hg->nweak++] = w;
	slots[slot] = (struct refstore_obj *)((unsigned long)w |
					      REFSTORE_SLOT_WEAK_TAG);
	obj->flags |= REFSTORE_OF_WEAKSLOTS;
	host_slot_drop(hg, old);
}

struct refstore_obj *host_slot_weak(struct refstore_obj *obj, u32 slot,
				    bool *weak)
{
	struct refstore_obj *s = refstore_obj_slots(obj)[slot];

	*weak = refstore_slot_is_weak(s);
	if (!*weak)
		return NULL;
	s = ((struct host_weak *)((unsigned long)s &
				  ~REFSTORE_SLOT_WEAK_TAG))->target;
	/* Garbage a staged collection found is dead to weak references. */
	return s && !refstore_obj_collecting(s) ? s : NULL;
}

void host_get(struct refstore_obj *obj)
{
	refstore_obj_get(obj);
}

void host_put(struct host_graph *hg, struct refstore_obj *obj)
{
	refstore_obj_put(&hg->graph, obj);
	refstore_reap(&hg->graph, REFSTORE_CAUSE_RELEASED);
}

void host_scan(struct host_graph *hg, u32 gen, struct refstore_collection *c)
{
	u64 released = hg->released[0] + hg->released[1] + hg->released[2] +
		       hg->released[3];

	refstore_collect_scan(&hg->graph, gen, c);
	if (hg->released[0] + hg->released[1] + hg->released[2] +
	    hg->released[3] != released)
		host_fail("refstore_collect_scan() released objects");
	if (list_empty(&c->link))
		host_fail("refstore_collect_scan() did not stage its collection");
}

void host_commit(struct host_graph *hg, struct refstore_collection *c,
		 struct refstore_collect_result *res)
{
	LIST_HEAD(to_free);

	hg->commit_finalized = 0;
	hg->in_collect = true;
	refstore_collect_commit(&hg->graph, c, &to_free);
	hg->in_collect = false;
	if (!list_empty(&c->link))
		host_fail("refstore_collect_commit() left its collection staged");
	if (res)
		*res = c->res;
	refstore_free_list(&hg->graph, &to_free);
	if (!list_empty(&hg->graph.dying))
		host_fail("refstore_collect_commit() left objects dying");
}

void host_abort(struct host_graph *hg, struct refstore_collection *c)
{
	u64 released = hg->released[0] + hg->released[1] + hg->released[2] +
		       hg->released[3];

	refstore_collect_abort(&hg->graph, c);
	if (!list_empty(&c->link))
		host_fail("refstore_collect_abort() left its collection staged");
	if (hg->released[0] + hg->released[1] + hg->released[2] +
	    hg->released[3] != released)
		host_fail("refstore_collect_abort() released objects");
}

void host_collect(struct host_graph *hg, u32 gen,
		  struct refstore_collect_result *res)
{
	struct refstore_collection c;

	host_scan(hg, gen, &c);
	host_commit(hg, &c, res);
}

size_t host_list_len(const struct list_head *head)
{
	const struct list_head *p;
	size_t n = 0;

	for (p = head->next; p != head; p = p->next)
		n++;
	return n;
}
