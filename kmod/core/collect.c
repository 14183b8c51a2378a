// SPDX-License-Identifier: GPL-2.0
/*
 * refstore cycle collector: trial deletion over the subgraph reachable
 * from suspects, with CPython's generations. See docs/collector.md.
 *
 * A collection of generation g is a scan, then a commit or an abort:
 *
 * refstore_collect_scan():
 *  1. moves every suspect of generation <= g to a private list, and from
 *     there, breadth first, every object it reaches through slots that has
 *     slots, is in generation <= g and is neither garbage, frozen nor
 *     parked in another staged collection: the subgraph. Each starts with
 *     gc_refs = its count.
 *  2. subtracts every reference from inside the subgraph: what is left in
 *     gc_refs is the count of references from outside (handles, older or
 *     frozen objects, saved garbage, other collections' objects). Steps 1
 *     and 2 share one walk.
 *  3. moves objects with gc_refs > 0, and everything they reach inside the
 *     subgraph, to the collection's survivors list. What remains on its
 *     unreachable list is garbage. Both lists are parked: their objects are
 *     flagged REFSTORE_OF_STAGED and the collection is on graph->staged.
 *
 * refstore_collect_commit():
 *  4. puts the survivors back, one generation older. In a partial
 *     collection (g below the oldest) surviving suspects stay suspects:
 *     their cycle may run through an older object, which only a collection
 *     of an older generation can judge.
 *  5. marks the unreachable objects dead, all of them, before any is
 *     released; then releases them (weak handles cleared, death events
 *     queued); then breaks their slots without recursion; the memory is
 *     handed to the caller to free after it drops its lock. With SAVEALL
 *     (as it was at the scan) they are moved to the garbage list instead.
 *     The statistics and counts account the scan's result.
 *
 * refstore_collect_abort() puts every object back as it was before the
 * scan: same list (suspect or not), same generation; no count or
 * statistic moves.
 *
 * Between the scan and its end the owner may drop its lock and let other
 * operations run. What they see:
 *  - The unreachable objects are referenced by nothing but each other, so
 *    no handle, slot or lookup can reach them; only a weak handle still
 *    names one. refstore_obj_collecting() is true for them: the owner must
 *    not make a strong reference to one (the module's UPGRADE fails with
 *    ENOENT, as for a dead object). If the collection is aborted they are
 *    ordinary objects again.
 *  - Survivors are ordinary live objects parked on the collection's list.
 *    A put that frees one takes it off (to graph->dying, as always); a put
 *    that leaves it alive flags it REFSTORE_OF_RESUSPECT, and the end of
 *    the collection makes it a suspect, even in a full collection.
 *  - Another scan ignores every parked object (it counts their references
 *    as external, which only keeps more alive), so several collections may
 *    be staged at once: their objects are disjoint, and each ends alone.
 *  - refstore_freeze() and refstore_unfreeze() reach parked survivors too;
 *    garbage a staged collection found is never frozen (it is not alive).
 *    refstore_garbage_clear() never meets parked objects: saved garbage is
 *    never scanned.
 *  - refstore_graph_destroy() frees parked objects too and detaches their
 *    collections; a later commit or abort of one does nothing.
 *
 * Every step is linear in the subgraph's objects and slots; a graph with no
 * suspects costs nothing.
 */
#include "graph.h"

/**
 * refstore_graph_due() - which generation automatic collection wants now
 * @graph: the graph
 *
 * Return: the oldest generation whose count is over its threshold, if
 * generation 0's is; -1 if no collection is due or collection is disabled.
 */
int refstore_graph_due(const struct refstore_graph *graph)
{
	int g;

	if (!graph->enabled || graph->count[0] <= graph->threshold[0] ||
	    !graph->threshold[0])
		return -1;
	for (g = REFSTORE_GEN_OLDEST; g > 0; g--) {
		if (graph->count[g] > graph->threshold[g])
			return g;
	}
	return 0;
}

static bool refstore_scan_eligible(const struct refstore_obj *obj, u32 gen)
{
	return obj->nslots && obj->gen <= gen &&
	       !(obj->flags & (REFSTORE_OF_SCANNED | REFSTORE_OF_GARBAGE |
			       REFSTORE_OF_DEAD | REFSTORE_OF_STAGED));
}

static void refstore_scan_add(struct refstore_obj *obj, struct list_head *scan)
{
	/* A live object has a reference, or it would be on graph->dying. */
	REFSTORE_ASSERT(kref_read(&obj->kref));
	obj->flags |= REFSTORE_OF_SCANNED;
	obj->gc_refs = kref_read(&obj->kref);
	list_move_tail(&obj->node, scan);
}

/*
 * Steps 1 and 2, in one walk: the subgraph reachable from suspects within
 * the generations, and the references from inside it subtracted. Each
 * object of the subgraph is walked once, so each edge inside it is
 * subtracted once, from a target whose gc_refs was set when it joined.
 */
static u64 refstore_scan_build(struct refstore_graph *graph, u32 gen,
			       struct list_head *scan)
{
	struct refstore_obj *obj, *next, *t, **slots;
	u64 n = 0;
	u32 i;

	list_for_each_entry_safe(obj, next, &graph->suspects, node) {
		REFSTORE_ASSERT((obj->flags & (REFSTORE_OF_SUSPECT |
					       REFSTORE_OF_STAGED |
					       REFSTORE_OF_GARBAGE)) ==
				REFSTORE_OF_SUSPECT);
		if (refstore_scan_eligible(obj, gen))
			refstore_scan_add(obj, scan);
	}
	/* The list grows at its tail while it is walked: breadth first. */
	list_for_each_entry(obj, scan, node) {
		slots = refstore_obj_slots(obj);
		for (i = 0; i < obj->nslots; i++) {
			t = slots[i];
			if (!t)
				continue;
			/* Only other staged garbage points at staged garbage. */
			REFSTORE_ASSERT(!refstore_obj_collecting(t));
			if (refstore_scan_eligible(t, gen))
				refstore_scan_add(t, scan);
			if (t->flags & REFSTORE_OF_SCANNED)
				t->gc_refs--;
		}
		n++;
		cond_resched();
	}
	return n;
}

/*
 * Step 3: move what is reachable from outside to @live, parked; return how
 * many. An object is unflagged SCANNED once it is REACHABLE: the walk only
 * asks SCANNED of objects that are not.
 */
static u64 refstore_scan_reachable(struct list_head *scan,
				   struct list_head *live)
{
	struct refstore_obj *obj, *next, *t, **slots;
	u64 n = 0;
	u32 i;

	list_for_each_entry_safe(obj, next, scan, node) {
		/* Internal references never outnumber the count. */
		REFSTORE_ASSERT(obj->gc_refs >= 0);
		if (obj->gc_refs > 0) {
			obj->flags |= REFSTORE_OF_REACHABLE;
			list_move_tail(&obj->node, live);
		}
	}
	list_for_each_entry(obj, live, node) {
		slots = refstore_obj_slots(obj);
		for (i = 0; i < obj->nslots; i++) {
			t = slots[i];
			if (t && (t->flags & REFSTORE_OF_SCANNED) &&
			    !(t->flags & REFSTORE_OF_REACHABLE)) {
				t->flags |= REFSTORE_OF_REACHABLE;
				list_move_tail(&t->node, live);
			}
		}
		obj->flags &= ~REFSTORE_OF_SCANNED;
		obj->flags |= REFSTORE_OF_STAGED;
		n++;
	}
	list_for_each_entry(obj, scan, node) {
		obj->flags &= ~REFSTORE_OF_SCANNED;
		obj->flags |= REFSTORE_OF_STAGED;
	}
	return n;
}

/**
 * refstore_collect_scan() - steps 1 to 3: find what a collection would free
 * @graph: the graph
 * @generation: 0..REFSTORE_GEN_OLDEST; the oldest is a full collection
 * @c: out: the staged collection (@c->res says what was found); the
 *	caller must end it with refstore_collect_commit() or
 *	refstore_collect_abort(), and may drop its lock before that
 *
 * Nothing is freed and no count or statistic moves: the subgraph is parked
 * on @c (see the top of this file for what other operations see of it).
 */
void refstore_collect_scan(struct refstore_graph *graph, u32 generation,
			   struct refstore_collection *c)
{
	struct refstore_collect_result *res = &c->res;
	u64 n;

	INIT_LIST_HEAD(&c->unreachable);
	INIT_LIST_HEAD(&c->survivors);
	list_add_tail(&c->link, &graph->staged);

	res->generation = generation;
	res->examined = refstore_scan_build(graph, generation, &c->unreachable);
	n = res->examined - refstore_scan_reachable(&c->unreachable,
						    &c->survivors);
	res->unreachable = n;
	res->uncollectable = graph->debug & REFSTORE_GC_DEBUG_SAVEALL ? n : 0;
}

/* Unpark an object: back on the suspects or the objects list. */
static void refstore_unpark(struct refstore_graph *graph,
			    struct refstore_obj *obj)
{
	obj->flags &= ~(REFSTORE_OF_STAGED | REFSTORE_OF_REACHABLE |
			REFSTORE_OF_RESUSPECT);
	if (obj->flags & REFSTORE_OF_SUSPECT)
		list_move_tail(&obj->node, &graph->suspects);
	else
		list_move_tail(&obj->node, &graph->objects);
}

/* Step 4: survivors go back, one generation older. */
static void refstore_commit_survivors(struct refstore_graph *graph,
				      u32 gen, struct list_head *live)
{
	struct refstore_obj *obj, *next;
	bool partial = gen < REFSTORE_GEN_OLDEST;

	list_for_each_entry_safe(obj, next, live, node) {
		REFSTORE_ASSERT((obj->flags & (REFSTORE_OF_STAGED |
					       REFSTORE_OF_REACHABLE)) ==
				(REFSTORE_OF_STAGED | REFSTORE_OF_REACHABLE));
		if (obj->gen < REFSTORE_GEN_OLDEST)
			obj->gen++;
		/* A full collection judged them all, unless one lost a ref. */
		if (!partial && !(obj->flags & REFSTORE_OF_RESUSPECT))
			obj->flags &= ~REFSTORE_OF_SUSPECT;
		refstore_unpark(graph, obj);
	}
}

/* Step 5, SAVEALL: keep the unreachable objects on the garbage list. */
static void refstore_commit_save(struct refstore_graph *graph,
				 struct list_head *scan)
{
	struct refstore_obj *obj, *next;

	list_for_each_entry_safe(obj, next, scan, node) {
		obj->flags &= ~(REFSTORE_OF_STAGED | REFSTORE_OF_SUSPECT);
		obj->flags |= REFSTORE_OF_GARBAGE;
		list_move_tail(&obj->node, &graph->garbage);
		graph->nr_garbage++;
	}
}

/* Step 5: free the unreachable objects. */
static void refstore_commit_free(struct refstore_graph *graph,
				 struct list_head *scan,
				 struct list_head *to_free)
{
	struct refstore_obj *obj, *t, **slots;
	u32 i;

	list_for_each_entry(obj, scan, node) {
		REFSTORE_ASSERT(refstore_obj_collecting(obj));
		obj->flags &= ~(REFSTORE_OF_STAGED | REFSTORE_OF_SUSPECT);
		obj->flags |= REFSTORE_OF_DEAD;
	}
	list_for_each_entry(obj, scan, node) {
		refstore_graph_count_free(graph);
		refstore_graph_release_obj(graph, obj, REFSTORE_CAUSE_CYCLE);
	}
	list_for_each_entry(obj, scan, node) {
		slots = refstore_obj_slots(obj);
		for (i = 0; i < obj->nslots; i++) {
			t = slots[i];
			slots[i] = NULL;
			if (t && !(t->flags & REFSTORE_OF_DEAD))
				refstore_obj_put(graph, t);
		}
	}
	list_splice_tail_init(scan, to_free);
	refstore_reap(graph, REFSTORE_CAUSE_RELEASED);
}

/**
 * refstore_collect_commit() - steps 4 and 5: finish a staged collection
 * @graph: the graph
 * @c: the collection refstore_collect_scan() staged
 * @to_free: the caller frees these with refstore_free_list() after it
 *	drops its lock
 *
 * Survivors go back one generation older; the unreachable objects are
 * freed (or, if SAVEALL was set at the scan, saved); @c->res is accounted
 * in the graph's statistics and counts.
 */
void refstore_collect_commit(struct refstore_graph *graph,
			     struct refstore_collection *c,
			     struct list_head *to_free)
{
	const struct refstore_collect_result *res = &c->res;
	struct refstore_gen_stats *st = &graph->stats[res->generation];
	u32 g;

	/* Detached by refstore_graph_destroy(): nothing is left to do. */
	if (list_empty(&c->link))
		return;
	list_del_init(&c->link);

	refstore_commit_survivors(graph, res->generation, &c->survivors);
	if (res->uncollectable)
		refstore_commit_save(graph, &c->unreachable);
	else
		refstore_commit_free(graph, &c->unreachable, to_free);

	st->collections++;
	st->collected += res->unreachable - res->uncollectable;
	st->uncollectable += res->uncollectable;
	graph->examined += res->examined;
	if (res->generation + 1 < REFSTORE_NR_GENS)
		graph->count[res->generation + 1]++;
	for (g = 0; g <= res->generation; g++)
		graph->count[g] = 0;
}

/**
 * refstore_collect_abort() - end a staged collection without effect
 * @graph: the graph
 * @c: the collection refstore_collect_scan() staged
 *
 * Every object goes back to the list it was on before the scan (suspects
 * or not; survivors that lost a reference meanwhile become suspects), in
 * its generation. No statistic or count moves: the collection did not
 * happen.
 */
void refstore_collect_abort(struct refstore_graph *graph,
			    struct refstore_collection *c)
{
	struct refstore_obj *obj, *next;

	if (list_empty(&c->link))
		return;
	list_del_init(&c->link);

	list_for_each_entry_safe(obj, next, &c->survivors, node)
		refstore_unpark(graph, obj);
	list_for_each_entry_safe(obj, next, &c->unreachable, node) {
		REFSTORE_ASSERT(refstore_obj_collecting(obj));
		refstore_unpark(graph, obj);
	}
}

/**
 * refstore_free_list() - free what refstore_collect_commit() handed back
 * @graph: the graph (its lock need not be held)
 * @to_free: released objects
 */
void refstore_free_list(struct refstore_graph *graph, struct list_head *to_free)
{
	struct refstore_obj *obj, *next;

	list_for_each_entry_safe(obj, next, to_free, node) {
		list_del(&obj->node);
		refstore_graph_free_obj(graph, obj);
		cond_resched();
	}
}

static void refstore_freeze_list(struct refstore_graph *graph,
				 struct list_head *list)
{
	struct refstore_obj *obj;

	list_for_each_entry(obj, list, node) {
		obj->flags &= ~(REFSTORE_OF_SUSPECT | REFSTORE_OF_RESUSPECT);
		if (obj->gen != REFSTORE_GEN_PERMANENT) {
			obj->gen = REFSTORE_GEN_PERMANENT;
			graph->nr_frozen++;
		}
		cond_resched();
	}
}

/**
 * refstore_freeze() - move every live object to the permanent generation
 * @graph: the graph
 *
 * Frozen objects are never examined, never suspects, never collected:
 * whatever they reference stays alive. New objects start in generation 0.
 * Survivors parked in a staged collection are frozen too; the garbage it
 * found is not.
 *
 * Return: objects now frozen.
 */
u64 refstore_freeze(struct refstore_graph *graph)
{
	struct refstore_collection *c;

	list_splice_tail_init(&graph->suspects, &graph->objects);
	refstore_freeze_list(graph, &graph->objects);
	list_for_each_entry(c, &graph->staged, link)
		refstore_freeze_list(graph, &c->survivors);
	return graph->nr_frozen;
}

/**
 * refstore_unfreeze() - move the permanent generation to the oldest one
 * @graph: the graph
 *
 * Unfrozen objects with slots become suspects, so that the next full
 * collection judges the cycles freezing hid from it.
 *
 * Return: objects unfrozen.
 */
u64 refstore_unfreeze(struct refstore_graph *graph)
{
	struct refstore_collection *c;
	struct refstore_obj *obj, *next;
	u64 n = graph->nr_frozen;

	/* Parked survivors become suspects when their collection ends. */
	list_for_each_entry(c, &graph->staged, link) {
		list_for_each_entry(obj, &c->survivors, node) {
			if (obj->gen != REFSTORE_GEN_PERMANENT)
				continue;
			obj->gen = REFSTORE_GEN_OLDEST;
			if (obj->nslots)
				obj->flags |= REFSTORE_OF_SUSPECT |
					      REFSTORE_OF_RESUSPECT;
		}
	}
	list_for_each_entry_safe(obj, next, &graph->objects, node) {
		if (obj->gen != REFSTORE_GEN_PERMANENT)
			continue;
		obj->gen = REFSTORE_GEN_OLDEST;
		if (obj->nslots) {
			obj->flags |= REFSTORE_OF_SUSPECT;
			list_move_tail(&obj->node, &graph->suspects);
		}
		cond_resched();
	}
	graph->nr_frozen = 0;
	return n;
}

/**
 * refstore_garbage_clear() - forget the saved garbage
 * @graph: the graph
 *
 * Like `del gc.garbage[:]`: the objects become suspects again and the next
 * full collection frees them (unless SAVEALL is still set).
 */
void refstore_garbage_clear(struct refstore_graph *graph)
{
	struct refstore_obj *obj, *next;

	list_for_each_entry_safe(obj, next, &graph->garbage, node) {
		REFSTORE_ASSERT(obj->flags & REFSTORE_OF_GARBAGE);
		obj->flags &= ~REFSTORE_OF_GARBAGE;
		obj->flags |= REFSTORE_OF_SUSPECT;
		obj->gen = REFSTORE_GEN_OLDEST;
		list_move_tail(&obj->node, &graph->suspects);
	}
	graph->nr_garbage = 0;
}
