// SPDX-License-Identifier: GPL-2.0
/*
 * refstore cycle collector: trial deletion over the subgraph reachable
 * from suspects, with CPython's generations. See docs/collector.md.
 *
 * A collection of generation g:
 *  1. moves every suspect of generation <= g to a private list, and from
 *     there, breadth first, every object it reaches through slots that has
 *     slots, is in generation <= g and is neither garbage nor frozen: the
 *     subgraph. Each starts with gc_refs = its count.
 *  2. subtracts every reference from inside the subgraph: what is left in
 *     gc_refs is the count of references from outside (handles, older or
 *     frozen objects, saved garbage). Steps 1 and 2 share one walk.
 *  3. moves objects with gc_refs > 0, and everything they reach inside the
 *     subgraph, to a "reachable" list. What remains is unreachable.
 *  4. puts the reachable ones back, one generation older. In a partial
 *     collection (g below the oldest) surviving suspects stay suspects:
 *     their cycle may run through an older object, which only a collection
 *     of an older generation can judge.
 *  5. unreachable objects are marked dead, all of them, before any is
 *     released; then released (weak handles cleared, death events queued);
 *     then their slots are broken without recursion; the memory is handed
 *     to the caller to free after it drops its lock. With SAVEALL they are
 *     moved to the garbage list instead.
 *
 * Every step is linear in the subgraph's objects and slots; a graph with no
 * suspects costs nothing. The owner's lock is held throughout, so no
 * reference can appear or vanish while the subgraph is judged.
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
			       REFSTORE_OF_DEAD));
}

static void refstore_scan_add(struct refstore_obj *obj, struct list_head *scan)
{
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
		if (obj->gen <= gen && refstore_scan_eligible(obj, gen))
			refstore_scan_add(obj, scan);
	}
	/* The list grows at its tail while it is walked: breadth first. */
	list_for_each_entry(obj, scan, node) {
		slots = refstore_obj_slots(obj);
		for (i = 0; i < obj->nslots; i++) {
			t = slots[i];
			if (!t)
				continue;
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

/* Step 3: move what is reachable from outside to @live; return how many. */
static u64 refstore_scan_reachable(struct list_head *scan,
				   struct list_head *live)
{
	struct refstore_obj *obj, *next, *t, **slots;
	u64 n = 0;
	u32 i;

	list_for_each_entry_safe(obj, next, scan, node) {
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
		n++;
	}
	return n;
}

/* Step 4: survivors go back, one generation older. */
static void refstore_scan_survivors(struct refstore_graph *graph, u32 gen,
				    struct list_head *live)
{
	struct refstore_obj *obj, *next;
	bool partial = gen < REFSTORE_GEN_OLDEST;

	list_for_each_entry_safe(obj, next, live, node) {
		obj->flags &= ~(REFSTORE_OF_SCANNED | REFSTORE_OF_REACHABLE);
		if (obj->gen < REFSTORE_GEN_OLDEST)
			obj->gen++;
		if (partial && (obj->flags & REFSTORE_OF_SUSPECT)) {
			list_move_tail(&obj->node, &graph->suspects);
		} else {
			obj->flags &= ~REFSTORE_OF_SUSPECT;
			list_move_tail(&obj->node, &graph->objects);
		}
	}
}

/* Step 5, SAVEALL: keep the unreachable objects on the garbage list. */
static void refstore_scan_save(struct refstore_graph *graph,
			       struct list_head *scan)
{
	struct refstore_obj *obj, *next;

	list_for_each_entry_safe(obj, next, scan, node) {
		obj->flags &= ~(REFSTORE_OF_SCANNED | REFSTORE_OF_SUSPECT);
		obj->flags |= REFSTORE_OF_GARBAGE;
		list_move_tail(&obj->node, &graph->garbage);
		graph->nr_garbage++;
	}
}

/* Step 5: free the unreachable objects. */
static void refstore_scan_free(struct refstore_graph *graph,
			       struct list_head *scan,
			       struct list_head *to_free)
{
	struct refstore_obj *obj, *t, **slots;
	u32 i;

	list_for_each_entry(obj, scan, node) {
		obj->flags &= ~(REFSTORE_OF_SCANNED | REFSTORE_OF_SUSPECT);
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
 * refstore_collect_scan() - find what a collection would free
 * @graph: the graph
 * @generation: 0..REFSTORE_GEN_OLDEST; the oldest is a full collection
 * @res: out: what was found
 * @unreachable: out: the unreachable objects, still intact; the caller
 *	must pass them to refstore_collect_finish() or
 *	refstore_collect_cancel() before it drops its lock
 *
 * Steps 1 to 4: survivors are back in the graph, one generation older.
 */
void refstore_collect_scan(struct refstore_graph *graph, u32 generation,
			   struct refstore_collect_result *res,
			   struct list_head *unreachable)
{
	LIST_HEAD(live);
	u64 n;

	res->generation = generation;
	res->examined = refstore_scan_build(graph, generation, unreachable);
	n = res->examined - refstore_scan_reachable(unreachable, &live);
	refstore_scan_survivors(graph, generation, &live);

	res->unreachable = n;
	res->uncollectable = graph->debug & REFSTORE_GC_DEBUG_SAVEALL ? n : 0;
}

/**
 * refstore_collect_finish() - step 5: free (or save) what the scan found
 * @graph: the graph
 * @res: the scan's result
 * @unreachable: the scan's unreachable objects
 * @to_free: the caller frees these with refstore_free_list() after it
 *	drops its lock
 */
void refstore_collect_finish(struct refstore_graph *graph,
			     const struct refstore_collect_result *res,
			     struct list_head *unreachable,
			     struct list_head *to_free)
{
	struct refstore_gen_stats *st = &graph->stats[res->generation];
	u32 g;

	if (res->uncollectable)
		refstore_scan_save(graph, unreachable);
	else
		refstore_scan_free(graph, unreachable, to_free);

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
 * refstore_collect_cancel() - leave what the scan found for another time
 * @graph: the graph
 * @unreachable: the scan's unreachable objects
 *
 * They go back as suspects, so the next collection finds them again. No
 * statistic or count moves: the collection did not happen.
 */
void refstore_collect_cancel(struct refstore_graph *graph,
			     struct list_head *unreachable)
{
	struct refstore_obj *obj, *next;

	list_for_each_entry_safe(obj, next, unreachable, node) {
		obj->flags &= ~REFSTORE_OF_SCANNED;
		obj->flags |= REFSTORE_OF_SUSPECT;
		list_move_tail(&obj->node, &graph->suspects);
	}
}

/**
 * refstore_collect() - collect a generation and every younger one
 * @graph: the graph
 * @generation: 0..REFSTORE_GEN_OLDEST; the oldest is a full collection
 * @res: out: what was found
 * @to_free: the caller frees these with refstore_free_list() after it
 *	drops its lock
 */
void refstore_collect(struct refstore_graph *graph, u32 generation,
		      struct refstore_collect_result *res,
		      struct list_head *to_free)
{
	LIST_HEAD(unreachable);

	refstore_collect_scan(graph, generation, res, &unreachable);
	refstore_collect_finish(graph, res, &unreachable, to_free);
}

/**
 * refstore_free_list() - free what refstore_collect() handed back
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

/**
 * refstore_freeze() - move every live object to the permanent generation
 * @graph: the graph
 *
 * Frozen objects are never examined, never suspects, never collected:
 * whatever they reference stays alive. New objects start in generation 0.
 *
 * Return: objects now frozen.
 */
u64 refstore_freeze(struct refstore_graph *graph)
{
	struct refstore_obj *obj;

	list_splice_tail_init(&graph->suspects, &graph->objects);
	list_for_each_entry(obj, &graph->objects, node) {
		obj->flags &= ~REFSTORE_OF_SUSPECT;
		if (obj->gen != REFSTORE_GEN_PERMANENT) {
			obj->gen = REFSTORE_GEN_PERMANENT;
			graph->nr_frozen++;
		}
		cond_resched();
	}
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
	struct refstore_obj *obj, *next;
	u64 n = graph->nr_frozen;

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
		obj->flags &= ~REFSTORE_OF_GARBAGE;
		obj->flags |= REFSTORE_OF_SUSPECT;
		obj->gen = REFSTORE_GEN_OLDEST;
		list_move_tail(&obj->node, &graph->suspects);
	}
	graph->nr_garbage = 0;
}
