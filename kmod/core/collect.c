// SPDX-License-Identifier: GPL-2.0
/*
 * refstore cycle collector: trial deletion over the subgraph reachable
 * from suspects, with CPython's generations. See docs/collector.md.
 *
 * A collection of generation g is a scan, then a commit or an abort:
 *
 * refstore_collect_scan():
 *  1. moves the suspects of generations 0..g (graph->suspects[0..g]) to
 *     a private list, and from there, breadth first, every object it reaches through slots that has
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
 *  4. puts the survivors back, one generation older (the suspect lists
 *     0..g are merged into g + 1 with their objects). In a partial
 *     collection (g below the oldest) surviving suspects stay suspects:
 *     their cycle may run through an older object, which only a collection
 *     of an older generation can judge.
 *  5. marks the unreachable objects dead and clears every weak reference
 *     to them (weak handles and weak slots; callbacks queued), all of
 *     them, before any is released; then releases them (death events
 *     queued); then breaks the slots that lead out of the garbage, without
 *     recursion; the memory is handed to the caller to free after it drops
 *     its lock. With SAVEALL
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
 * suspects of generations 0..g costs nothing, however many older ones wait.
 */
#include "graph.h"

/*
 * In a walk of a list of objects scattered in memory, start loading the
 * one after the next: its address is in the next one, loaded one step
 * ago. Two misses overlap instead of one at a time.
 */
static inline void refstore_prefetch_ahead(const struct list_head *pos)
{
	prefetch(pos->next->next);
}

/* CPython's long-lived rule (see refstore_graph_due()): may a full collection run now? */
static bool refstore_full_allowed(const struct refstore_graph *graph)
{
	return graph->long_lived_pending >= graph->long_lived_total / 4;
}

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
		if (graph->count[g] <= graph->threshold[g])
			continue;
		/*
		 * CPython's long-lived rule: a full collection waits until
		 * what survived partial collections since the last one is
		 * at least 25 % of what survived that one, so that the
		 * full collections of a growing heap cost linear time in
		 * all.
		 */
		if (g == REFSTORE_GEN_OLDEST && !refstore_full_allowed(graph))
			continue;
		return g;
	}
	return 0;
}

/**
 * refstore_graph_due_timed() - the generation a time-due collection takes
 * @graph: the graph
 *
 * The heap's delay expired with suspects left: the generation due by the
 * thresholds if one is, else the youngest generation that holds every
 * suspect, so that a dropped cycle is found whatever its age; but not a
 * full collection while CPython's long-lived rule holds it back (then 1),
 * so a timed collection costs no more than the thresholds allow. O(1):
 * the oldest generation whose suspect list is not empty.
 *
 * Return: the generation; -1 if there are no suspects or collection is
 * disabled.
 */
int refstore_graph_due_timed(const struct refstore_graph *graph)
{
	int due = refstore_graph_due(graph);
	u32 g = REFSTORE_GEN_OLDEST;

	if (due >= 0)
		return due;
	if (!graph->enabled || !refstore_graph_has_suspects(graph))
		return -1;
	while (g && list_empty(&graph->suspects[g]))
		g--;
	if (g >= REFSTORE_GEN_OLDEST)
		g = refstore_full_allowed(graph) ? REFSTORE_GEN_OLDEST :
		    REFSTORE_GEN_OLDEST - 1;
	return g;
}

/*
 * May @obj, not in the subgraph yet, join it? Not if it is garbage, dead,
 * parked, frozen or older than @gen, or has no slots. In a full
 * collection every generation but the permanent one is in, so the
 * recorded one says it without the clock (@full).
 */
static __always_inline bool
refstore_scan_eligible(const struct refstore_graph *graph,
		       const struct refstore_obj *obj, u32 gen, bool full)
{
	if (obj->flags & (REFSTORE_OF_SCANNED | REFSTORE_OF_GARBAGE |
			  REFSTORE_OF_DEAD | REFSTORE_OF_STAGED) ||
	    !obj->nslots)
		return false;
	return full ? obj->gen != REFSTORE_GEN_PERMANENT :
		      refstore_obj_gen(graph, obj) <= gen;
}

static __always_inline void refstore_scan_join(struct refstore_graph *graph,
					       struct refstore_obj *obj)
{
	/* A live object has a reference, or it would be on graph->dying. */
	REFSTORE_ASSERT(kref_read(&obj->kref));
	/* gc_refs overwrites the stamp: record the generation as of now. */
	obj->gen = refstore_obj_gen(graph, obj);
	obj->flags |= REFSTORE_OF_SCANNED;
	obj->gc_refs = kref_read(&obj->kref);
}

/*
 * Edges whose target's flags a walk reads later: the target is prefetched
 * when the edge is met and judged REFSTORE_SCAN_AHEAD edges on, so that
 * the cache misses of a pointer-chasing walk overlap (the order in which
 * edges are judged does not change what the walk computes). A power of
 * two: the queue is a ring indexed by a free-running count.
 */
#define REFSTORE_SCAN_AHEAD	8

/* One edge of the subgraph's walk: @t joins, or loses a reference. */
static __always_inline void refstore_scan_edge(struct refstore_graph *graph,
					       u32 gen, bool full,
					       struct refstore_obj *t,
					       struct list_head *scan)
{
	if (t->flags & REFSTORE_OF_SCANNED) {
		t->gc_refs--;
		return;
	}
	/* Only other staged garbage points at staged garbage. */
	REFSTORE_ASSERT(!refstore_obj_collecting(t));
	if (!refstore_scan_eligible(graph, t, gen, full))
		return;
	refstore_scan_join(graph, t);
	t->gc_refs--;
	if (!(t->flags & REFSTORE_OF_SUSPECT))
		list_move_tail(&t->node, scan);
}

/*
 * Steps 1 and 2, in one walk: the subgraph reachable from suspects within
 * the generations, and the references from inside it subtracted. Each
 * object of the subgraph is walked once, so each edge inside it is
 * subtracted once, from a target whose gc_refs was set when it joined
 * (or, if it joins later, is set then and the edge subtracted after).
 *
 * The suspects of generations 0..@gen are taken onto @scan all at once
 * (older ones are not touched: a young collection costs what the young
 * suspects reach, however many old ones wait) and join as the walk
 * reaches them. A target that is a suspect not reached yet joins where it
 * is (it is ahead of the walk: every SUSPECT object of those generations
 * not parked or saved was on their lists); any other target joins at the
 * tail. One pass over the subgraph, breadth first.
 */
static u64 refstore_scan_build(struct refstore_graph *graph, u32 gen,
			       struct list_head *scan)
{
	struct refstore_obj *q[REFSTORE_SCAN_AHEAD] = { NULL };
	struct refstore_obj *obj, *t, *old, **slots;
	struct list_head *pos = scan, *next;
	bool full = gen >= REFSTORE_GEN_OLDEST;
	u32 i, k = 0;
	u64 n = 0;

	for (i = 0; i <= gen; i++)
		list_splice_tail_init(&graph->suspects[i], scan);
	for (;;) {
		next = pos->next;
		if (next == scan) {
			/* The queued edges may add objects at the tail. */
			for (i = 0; i < REFSTORE_SCAN_AHEAD; i++) {
				t = q[i];
				q[i] = NULL;
				if (t)
					refstore_scan_edge(graph, gen, full, t,
							   scan);
			}
			if (pos->next == scan)
				break;
			continue;
		}
		pos = next;
		refstore_prefetch_ahead(pos);
		obj = list_entry(pos, struct refstore_obj, node);
		if (!(obj->flags & REFSTORE_OF_SCANNED)) {
			REFSTORE_ASSERT((obj->flags & (REFSTORE_OF_SUSPECT |
						       REFSTORE_OF_STAGED |
						       REFSTORE_OF_GARBAGE)) ==
					REFSTORE_OF_SUSPECT);
			/* Each suspect list holds its generation only. */
			if (!refstore_scan_eligible(graph, obj, gen, full)) {
				REFSTORE_ASSERT(0);
				pos = pos->prev;
				refstore_graph_suspect(graph, obj);
				continue;
			}
			refstore_scan_join(graph, obj);
		}
		slots = refstore_obj_slots(obj);
		for (i = 0; i < obj->nslots; i++) {
			/* A weak slot is no edge: it keeps nothing alive. */
			t = refstore_slot_strong(slots[i]);
			if (!t)
				continue;
			prefetchw(t);
			old = q[k % REFSTORE_SCAN_AHEAD];
			q[k++ % REFSTORE_SCAN_AHEAD] = t;
			if (old)
				refstore_scan_edge(graph, gen, full, old, scan);
		}
		n++;
		cond_resched();
	}
	return n;
}

/*
 * Step 3, in one pass as CPython's move_unreachable(): each object of
 * @scan in turn is reachable if references from outside hold it (gc_refs
 * > 0) or a reachable object reached it (REFSTORE_OF_REACHABLE); it then
 * goes to @live, and the objects of the subgraph it points at are flagged
 * reachable (one already judged unreachable goes back to the tail of
 * @scan to be walked again). Otherwise it goes to @unreachable, for now.
 * Either way it is parked (REFSTORE_OF_STAGED, stamped again: its
 * generation was recorded when it joined; gc_refs is not read again).
 * Within the walk, an object of this subgraph not yet judged reachable is
 * flagged SCANNED (not walked yet) or STAGED alone (judged unreachable);
 * no other object a reachable one points at is flagged STAGED without
 * REACHABLE (only staged garbage points at staged garbage).
 *
 * Objects are not moved one by one: the walk leaves them where they are
 * and, each time the verdict changes from one object to the next, moves
 * the run judged before it, whole, to @live or @unreachable (a ring of
 * garbage is one run). A rescued object leaves whatever list it is on.
 * @c->nr_unreachable counts @unreachable's objects per generation.
 * Returns how many are reachable.
 */
static u64 refstore_scan_reachable(struct refstore_graph *graph,
				   struct list_head *scan,
				   struct list_head *live,
				   struct refstore_collection *c)
{
	struct list_head *pos, *run = NULL, *to;
	struct refstore_obj *obj, *t, **slots;
	u32 clock = graph->clock, i, f;
	u64 *nr = c->nr_unreachable;
	LIST_HEAD(judged);
	u64 n = 0;

	for (pos = scan->next; pos != scan; pos = pos->next) {
		refstore_prefetch_ahead(pos);
		obj = list_entry(pos, struct refstore_obj, node);
		/* Internal references never outnumber the count. */
		REFSTORE_ASSERT(obj->flags & REFSTORE_OF_REACHABLE ||
				obj->gc_refs >= 0);
		if (!(obj->flags & REFSTORE_OF_REACHABLE) && !obj->gc_refs) {
			obj->flags &= ~REFSTORE_OF_SCANNED;
			obj->flags |= REFSTORE_OF_STAGED;
			obj->stamp = clock;
			nr[obj->gen]++;
			to = &c->unreachable;
		} else {
			slots = refstore_obj_slots(obj);
			for (i = 0; i < obj->nslots; i++) {
				/* A weak slot keeps nothing alive. */
				t = refstore_slot_strong(slots[i]);
				if (!t)
					continue;
				f = t->flags & (REFSTORE_OF_SCANNED |
						REFSTORE_OF_STAGED |
						REFSTORE_OF_REACHABLE);
				if (f == REFSTORE_OF_SCANNED) {
					t->flags |= REFSTORE_OF_REACHABLE;
				} else if (f == REFSTORE_OF_STAGED) {
					t->flags |= REFSTORE_OF_REACHABLE;
					nr[t->gen]--;
					list_move_tail(&t->node, scan);
				}
			}
			obj->flags &= ~REFSTORE_OF_SCANNED;
			obj->flags |= REFSTORE_OF_STAGED | REFSTORE_OF_REACHABLE;
			obj->stamp = clock;
			n++;
			to = live;
		}
		if (to != run) {
			/* The run before @obj is judged: move it whole. */
			if (run) {
				list_cut_before(&judged, scan, pos);
				list_splice_tail(&judged, run);
			}
			run = to;
		}
		cond_resched();
	}
	if (run)
		list_splice_tail_init(scan, run);
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
	LIST_HEAD(scan);
	u64 n;
	u32 g;

	INIT_LIST_HEAD(&c->unreachable);
	INIT_LIST_HEAD(&c->survivors);
	list_add_tail(&c->link, &graph->staged);

	for (g = 0; g < REFSTORE_NR_GENS; g++)
		c->nr_unreachable[g] = 0;
	c->stamp = graph->clock;
	res->generation = generation;
	res->examined = refstore_scan_build(graph, generation, &scan);
	n = res->examined - refstore_scan_reachable(graph, &scan, &c->survivors,
						    c);
	res->unreachable = n;
	res->uncollectable = 0;
	res->saved = graph->debug & REFSTORE_GC_DEBUG_SAVEALL ? n : 0;
}

/* Unpark an object: back on the suspects or the objects list. */
static void refstore_unpark(struct refstore_graph *graph,
			    struct refstore_obj *obj)
{
	obj->flags &= ~(REFSTORE_OF_STAGED | REFSTORE_OF_REACHABLE |
			REFSTORE_OF_RESUSPECT);
	if (obj->flags & REFSTORE_OF_SUSPECT)
		refstore_graph_suspect(graph, obj);
	else
		list_move_tail(&obj->node, &graph->objects);
}

/*
 * Every object's generation up to date and stamped with the clock: after
 * this, refstore_obj_gen() is right for another 2^31 commits at least.
 */
static void refstore_resync_list(struct refstore_graph *graph,
				 struct list_head *list)
{
	struct refstore_obj *obj;

	list_for_each_entry(obj, list, node) {
		refstore_obj_set_gen(graph, obj, refstore_obj_gen(graph, obj));
		cond_resched();
	}
}

/* The same for a staged collection's garbage, and its counts with it. */
static void refstore_resync_staged(struct refstore_graph *graph,
				   struct refstore_collection *c)
{
	struct refstore_obj *obj;
	u32 g;

	for (g = 0; g < REFSTORE_NR_GENS; g++)
		c->nr_unreachable[g] = 0;
	list_for_each_entry(obj, &c->unreachable, node) {
		g = refstore_obj_gen(graph, obj);
		refstore_obj_set_gen(graph, obj, g);
		c->nr_unreachable[g]++;
		cond_resched();
	}
	c->stamp = graph->clock;
}

/*
 * Once every REFSTORE_CLOCK_RESYNC commits (2^30): a walk of every live
 * object, so that no stamp is more than 2^31 commits behind the clock.
 */
static void refstore_clock_resync(struct refstore_graph *graph)
{
	struct refstore_collection *c;
	u32 g;

	refstore_resync_list(graph, &graph->objects);
	for (g = 0; g < REFSTORE_NR_GENS; g++)
		refstore_resync_list(graph, &graph->suspects[g]);
	refstore_resync_list(graph, &graph->garbage);
	list_for_each_entry(c, &graph->staged, link) {
		refstore_resync_list(graph, &c->survivors);
		refstore_resync_staged(graph, c);
	}
	graph->clock_old = graph->clock;
}

/*
 * Step 4a: CPython's aging, in O(1): every object of generations 0..@gen
 * (the survivors, parked or not, and anything created since the scan)
 * moves to @gen + 1, at most the oldest. Only the counts and the suspect
 * lists move (as CPython's gc_list_merge()); the objects follow from the
 * clock (refstore_obj_gen()).
 */
static void refstore_commit_age(struct refstore_graph *graph, u32 gen)
{
	u32 to = gen < REFSTORE_GEN_OLDEST ? gen + 1 : REFSTORE_GEN_OLDEST;
	u32 g;

	if (gen == REFSTORE_GEN_OLDEST - 1) {
		graph->long_lived_pending += graph->nr_gen[0] +
					     graph->nr_gen[1];
	} else if (gen == REFSTORE_GEN_OLDEST) {
		graph->long_lived_total = graph->nr_gen[0] + graph->nr_gen[1] +
					  graph->nr_gen[2];
		graph->long_lived_pending = 0;
	}
	for (g = 0; g <= gen && g < to; g++) {
		graph->nr_gen[to] += graph->nr_gen[g];
		graph->nr_gen[g] = 0;
		list_splice_tail_init(&graph->suspects[g], &graph->suspects[to]);
	}
	graph->clock++;
	if (gen > 0)
		graph->clock_old = graph->clock;
}

/* Step 4b: survivors go back to their lists. */
static void refstore_commit_survivors(struct refstore_graph *graph,
				      u32 gen, struct list_head *live)
{
	struct refstore_obj *obj, *next;
	bool partial = gen < REFSTORE_GEN_OLDEST;

	list_for_each_entry_safe(obj, next, live, node) {
		REFSTORE_ASSERT((obj->flags & (REFSTORE_OF_STAGED |
					       REFSTORE_OF_REACHABLE)) ==
				(REFSTORE_OF_STAGED | REFSTORE_OF_REACHABLE));
		/* A full collection judged them all, unless one lost a ref. */
		if (!partial && !(obj->flags & REFSTORE_OF_RESUSPECT))
			obj->flags &= ~REFSTORE_OF_SUSPECT;
		refstore_unpark(graph, obj);
		cond_resched();
	}
}

/*
 * Step 5, first: every weak reference to the unreachable objects is
 * cleared, and its callback queued, before any of them is finalized
 * (CPython's handle_weakrefs() before finalize_garbage()).
 */
static void refstore_commit_clear_weak(struct refstore_graph *graph,
				       struct list_head *scan)
{
	struct refstore_obj *obj;

	list_for_each_entry(obj, scan, node) {
		refstore_graph_clear_weak(graph, obj, REFSTORE_CAUSE_CYCLE);
		cond_resched();
	}
}

/*
 * Step 5, SAVEALL: as CPython's gc.garbage, the garbage list takes a
 * strong reference to each unreachable object; their weak handles are
 * cleared and their death events queued now, once (CPython clears weak
 * references to all unreachable objects and runs their finalizers before
 * it saves them). They stay in the generation the commit aged them to.
 */
static void refstore_commit_save(struct refstore_graph *graph,
				 struct list_head *scan)
{
	struct refstore_obj *obj, *next;

	refstore_commit_clear_weak(graph, scan);
	list_for_each_entry(obj, scan, node) {
		REFSTORE_ASSERT(refstore_obj_collecting(obj));
		obj->flags &= ~(REFSTORE_OF_STAGED | REFSTORE_OF_SUSPECT);
		obj->flags |= REFSTORE_OF_GARBAGE;
		kref_get(&obj->kref);
		graph->nr_gen[refstore_obj_gen(graph, obj)]++;
		graph->nr_garbage++;
	}
	list_for_each_entry_safe(obj, next, scan, node) {
		list_move_tail(&obj->node, &graph->garbage);
		/* Saved before, cleared, found again: finalized once only. */
		if (obj->flags & REFSTORE_OF_FINALIZED)
			continue;
		obj->flags |= REFSTORE_OF_FINALIZED;
		refstore_graph_finalize_obj(graph, obj, REFSTORE_CAUSE_CYCLE);
		cond_resched();
	}
}

/*
 * A victim's strong slots: does one lead out of the garbage? Every target
 * is another victim (staged garbage, or dead already: marked by this
 * commit) or a live object outside, whose count the break must drop.
 */
static __always_inline bool refstore_victim_points_out(struct refstore_obj *obj)
{
	struct refstore_obj *t, **slots = refstore_obj_slots(obj);
	u32 i;

	for (i = 0; i < obj->nslots; i++) {
		t = refstore_slot_strong(slots[i]);
		if (t && !(t->flags & REFSTORE_OF_DEAD) &&
		    !refstore_obj_collecting(t))
			return true;
	}
	return false;
}

static __always_inline void refstore_victim_prefetch(struct refstore_obj *obj)
{
	struct refstore_obj *t, **slots = refstore_obj_slots(obj);
	u32 i;

	for (i = 0; i < obj->nslots; i++) {
		t = refstore_slot_strong(slots[i]);
		if (t)
			prefetch(t);
	}
}

/*
 * Step 5: free the unreachable objects, in three passes over them:
 *  - all are marked dead and their weak references cleared (callbacks
 *    queued), before any is released (CPython's handle_weakrefs() before
 *    finalize_garbage()); the ones with a slot leading out of the garbage
 *    move to @out;
 *  - all are released (death events queued), before any slot is broken;
 *  - the slots of @out's victims are broken: each reference to a live
 *    object is put, which may free it (refstore_reap() at the end). The
 *    other victims point only at each other, all freed together: their
 *    slots are left as they are (a freed object's slots are never read).
 */
static void refstore_commit_free(struct refstore_graph *graph,
				 struct list_head *scan,
				 struct list_head *to_free)
{
	struct refstore_obj *q[REFSTORE_SCAN_AHEAD] = { NULL };
	struct refstore_obj *obj, *next, *t, *old, *first_out, **slots;
	LIST_HEAD(out);
	u32 i, k = 0;

	list_for_each_entry_safe(obj, next, scan, node) {
		refstore_prefetch_ahead(&obj->node);
		REFSTORE_ASSERT(refstore_obj_collecting(obj));
		obj->flags &= ~(REFSTORE_OF_STAGED | REFSTORE_OF_SUSPECT);
		obj->flags |= REFSTORE_OF_DEAD;
		refstore_graph_clear_weak(graph, obj, REFSTORE_CAUSE_CYCLE);
		/*
		 * Its targets are judged REFSTORE_SCAN_AHEAD victims on (a
		 * victim's target is a victim, dead or not yet, either way),
		 * so that their misses overlap; the one judged now is behind
		 * the walk, and may move.
		 */
		refstore_victim_prefetch(obj);
		old = q[k % REFSTORE_SCAN_AHEAD];
		q[k++ % REFSTORE_SCAN_AHEAD] = obj;
		if (old && refstore_victim_points_out(old))
			list_move_tail(&old->node, &out);
		cond_resched();
	}
	for (i = 0; i < REFSTORE_SCAN_AHEAD; i++)
		if (q[i] && refstore_victim_points_out(q[i]))
			list_move_tail(&q[i]->node, &out);
	first_out = list_empty(&out) ? NULL :
		    list_first_entry(&out, struct refstore_obj, node);
	list_splice_tail(&out, scan);
	/*
	 * Generation 0's count is not moved per free here: the commit sets
	 * it to zero once the garbage is freed.
	 */
	list_for_each_entry(obj, scan, node) {
		refstore_prefetch_ahead(&obj->node);
		refstore_graph_release_obj(graph, obj,
					   obj->flags & REFSTORE_OF_FINALIZED ?
					   REFSTORE_CAUSE_NONE :
					   REFSTORE_CAUSE_CYCLE);
		cond_resched();
	}
	/* @out's victims are the tail of @scan now, from @first_out. */
	if (first_out) {
		obj = first_out;
		list_for_each_entry_from(obj, scan, node) {
			slots = refstore_obj_slots(obj);
			for (i = 0; i < obj->nslots; i++) {
				/* The release dropped the weak ones. */
				t = refstore_slot_strong(slots[i]);
				slots[i] = NULL;
				if (t && !(t->flags & REFSTORE_OF_DEAD))
					refstore_obj_put(graph, t);
			}
			cond_resched();
		}
	}
	list_splice_tail_init(scan, to_free);
	/* What the broken slots killed is freed with the garbage, in bulk. */
	refstore_reap_to(graph, REFSTORE_CAUSE_RELEASED, to_free);
}

/*
 * The unreachable objects leave their generations: the counts of
 * @c->nr_unreachable, each taken from the generation its objects are in
 * now (they all carry the stamp @c->stamp).
 */
static void refstore_commit_uncount(struct refstore_graph *graph,
				    const struct refstore_collection *c)
{
	struct refstore_obj probe = { .stamp = c->stamp };
	u32 g, now;

	for (g = 0; g < REFSTORE_NR_GENS; g++) {
		if (!c->nr_unreachable[g])
			continue;
		probe.gen = g;
		now = refstore_obj_gen(graph, &probe);
		REFSTORE_ASSERT(now < REFSTORE_NR_GENS &&
				graph->nr_gen[now] >= c->nr_unreachable[g]);
		graph->nr_gen[now] -= c->nr_unreachable[g];
	}
}

/**
 * refstore_collect_commit() - steps 4 and 5: finish a staged collection
 * @graph: the graph
 * @c: the collection refstore_collect_scan() staged
 * @to_free: the caller frees these with refstore_free_list() after it
 *	drops its lock
 *
 * Every object of generations 0..generation moves one generation up (as
 * in CPython, survivors of the subgraph or not); the unreachable objects
 * are freed (or, if SAVEALL was set at the scan, saved); @c->res is
 * accounted in the graph's statistics and counts.
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

	/* The unreachable objects leave their generations first. */
	refstore_commit_uncount(graph, c);
	refstore_commit_age(graph, res->generation);
	refstore_commit_survivors(graph, res->generation, &c->survivors);
	if (res->saved)
		refstore_commit_save(graph, &c->unreachable);
	else
		refstore_commit_free(graph, &c->unreachable, to_free);

	st->collections++;
	st->collected += res->unreachable;
	st->uncollectable += res->uncollectable;
	graph->examined += res->examined;
	if (res->generation + 1 < REFSTORE_NR_GENS)
		graph->count[res->generation + 1]++;
	for (g = 0; g <= res->generation; g++)
		graph->count[g] = 0;
	if (!(graph->clock % REFSTORE_CLOCK_RESYNC))
		refstore_clock_resync(graph);
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

	list_for_each_entry_safe(obj, next, &c->survivors, node) {
		refstore_unpark(graph, obj);
		cond_resched();
	}
	list_for_each_entry_safe(obj, next, &c->unreachable, node) {
		REFSTORE_ASSERT(refstore_obj_collecting(obj));
		refstore_unpark(graph, obj);
		cond_resched();
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

	/* The list is consumed whole: its nodes are not unlinked one by one. */
	list_for_each_entry_safe(obj, next, to_free, node) {
		refstore_prefetch_ahead(&obj->node);
		refstore_graph_free_obj(graph, obj);
		cond_resched();
	}
	INIT_LIST_HEAD(to_free);
}

static void refstore_freeze_list(struct refstore_graph *graph,
				 struct list_head *list)
{
	struct refstore_obj *obj;
	u32 gen;

	list_for_each_entry(obj, list, node) {
		obj->flags &= ~(REFSTORE_OF_SUSPECT | REFSTORE_OF_RESUSPECT);
		gen = refstore_obj_gen(graph, obj);
		if (gen != REFSTORE_GEN_PERMANENT) {
			if (obj->nslots)
				graph->nr_gen[gen]--;
			refstore_obj_set_gen(graph, obj,
					     REFSTORE_GEN_PERMANENT);
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
 * Saved garbage is frozen too (as CPython's gc.freeze() freezes what
 * gc.garbage holds; it stays on the garbage list). Survivors parked in a
 * staged collection are frozen too; the garbage it found is not.
 *
 * Return: objects now frozen.
 */
u64 refstore_freeze(struct refstore_graph *graph)
{
	struct refstore_collection *c;
	u32 g;

	/* As gc.freeze() in CPython 3.11: every generation's count restarts. */
	for (g = 0; g < REFSTORE_NR_GENS; g++)
		graph->count[g] = 0;
	for (g = 0; g < REFSTORE_NR_GENS; g++)
		list_splice_tail_init(&graph->suspects[g], &graph->objects);
	refstore_freeze_list(graph, &graph->objects);
	refstore_freeze_list(graph, &graph->garbage);
	list_for_each_entry(c, &graph->staged, link)
		refstore_freeze_list(graph, &c->survivors);
	return graph->nr_frozen;
}

/**
 * refstore_unfreeze() - move the permanent generation to the oldest one
 * @graph: the graph
 *
 * Unfrozen objects with slots become suspects, so that the next full
 * collection judges the cycles freezing hid from it; frozen saved garbage
 * stays on the garbage list, in the oldest generation.
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
			cond_resched();
			if (obj->gen != REFSTORE_GEN_PERMANENT)
				continue;
			refstore_obj_set_gen(graph, obj, REFSTORE_GEN_OLDEST);
			if (obj->nslots) {
				graph->nr_gen[REFSTORE_GEN_OLDEST]++;
				obj->flags |= REFSTORE_OF_SUSPECT |
					      REFSTORE_OF_RESUSPECT;
			}
		}
	}
	list_for_each_entry(obj, &graph->garbage, node) {
		cond_resched();
		if (obj->gen != REFSTORE_GEN_PERMANENT)
			continue;
		refstore_obj_set_gen(graph, obj, REFSTORE_GEN_OLDEST);
		graph->nr_gen[REFSTORE_GEN_OLDEST]++;
	}
	list_for_each_entry_safe(obj, next, &graph->objects, node) {
		if (obj->gen != REFSTORE_GEN_PERMANENT)
			continue;
		refstore_obj_set_gen(graph, obj, REFSTORE_GEN_OLDEST);
		if (obj->nslots) {
			graph->nr_gen[REFSTORE_GEN_OLDEST]++;
			obj->flags |= REFSTORE_OF_SUSPECT;
			list_move_tail(&obj->node,
				       &graph->suspects[REFSTORE_GEN_OLDEST]);
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
 * Like `del gc.garbage[:]`: the list drops its reference to each object.
 * One nothing else references dies by counting (it was finalized when it
 * was saved: no second death event); the others become suspects in the
 * generation they are in (frozen ones stay frozen), and a collection of
 * that generation frees what is still unreachable (or saves it again if
 * SAVEALL is still set). Objects freed here are freed before it returns.
 */
void refstore_garbage_clear(struct refstore_graph *graph)
{
	struct refstore_obj *obj, *next;
	LIST_HEAD(list);

	list_splice_tail_init(&graph->garbage, &list);
	graph->nr_garbage = 0;
	/*
	 * Flags first: a put below may reach an object still on @list, which
	 * must then look like the suspect it is about to be (so that the put
	 * leaves it where it is). None dies before its own put: the list's
	 * reference holds it.
	 */
	list_for_each_entry(obj, &list, node) {
		REFSTORE_ASSERT(obj->flags & REFSTORE_OF_GARBAGE);
		obj->flags &= ~REFSTORE_OF_GARBAGE;
		if (obj->gen != REFSTORE_GEN_PERMANENT)
			obj->flags |= REFSTORE_OF_SUSPECT;
	}
	list_for_each_entry_safe(obj, next, &list, node) {
		if (obj->flags & REFSTORE_OF_SUSPECT)
			refstore_graph_suspect(graph, obj);
		else
			list_move_tail(&obj->node, &graph->objects);
		refstore_obj_put(graph, obj);
		refstore_reap(graph, REFSTORE_CAUSE_RELEASED);
		cond_resched();
	}
}
