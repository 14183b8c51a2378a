/* SPDX-License-Identifier: GPL-2.0 */
/*
 * refstore object graph and cycle collector core.
 *
 * kmod/core/ is the kernel-free part of the module: graph.c (reference
 * counting, the suspect buffer) and collect.c (the collector). It includes
 * "refstore_env.h", which the build finds through its include path:
 * kmod/env/refstore_env.h in the module, userspace/host/refstore_env.h in
 * the host builds (unit tests, oracle, fuzzer, benchmarks). The caller
 * owns locking: every function here expects the graph's owner to hold the
 * lock that protects the graph (heap->lock in the module); a collection
 * may drop it between its scan and its commit or abort (see collect.c).
 */
#ifndef _REFSTORE_GRAPH_H
#define _REFSTORE_GRAPH_H

#include "refstore_env.h"
#include "uapi/linux/refstore.h"

/* Collectable generations: 0 young, 1 middle, 2 old (like CPython). */
#define REFSTORE_NR_GENS	3
#define REFSTORE_GEN_OLDEST	(REFSTORE_NR_GENS - 1)
/* obj->gen of frozen objects: never examined, never collected. */
#define REFSTORE_GEN_PERMANENT	REFSTORE_NR_GENS

/* Object flags (obj->flags). */
#define REFSTORE_OF_NOTIFY	BIT(0)	/* queue a death event when freed */
#define REFSTORE_OF_WEAKREFS	BIT(1)	/* weak handles name the object */
#define REFSTORE_OF_DEAD	BIT(2)	/* count reached zero, or garbage */
#define REFSTORE_OF_SUSPECT	BIT(3)	/* on graph->suspects[its gen] */
#define REFSTORE_OF_SCANNED	BIT(4)	/* in the subgraph being collected */
#define REFSTORE_OF_REACHABLE	BIT(5)	/* proven reachable from outside */
#define REFSTORE_OF_GARBAGE	BIT(6)	/* on graph->garbage (SAVEALL) */
#define REFSTORE_OF_STAGED	BIT(7)	/* parked in a staged collection */
#define REFSTORE_OF_RESUSPECT	BIT(8)	/* staged survivor lost a reference */
#define REFSTORE_OF_FINALIZED	BIT(9)	/* finalized as garbage (SAVEALL) */
#define REFSTORE_OF_WEAKSLOTS	BIT(10)	/* slots may hold weak references */

/**
 * struct refstore_obj - one reference-counted object
 * @kref: strong references: handles plus slots pointing here
 * @payload_size: bytes of payload
 * @id: unique for the module's lifetime
 * @tag: the creator's tag
 * @node: on exactly one of the graph's lists: objects, suspects, dying,
 *	garbage, or a collection's private lists (see collect.c)
 * @nslots: number of slots
 * @flags: REFSTORE_OF_*
 * @gen: generation as of @stamp: 0..REFSTORE_GEN_OLDEST or
 *	REFSTORE_GEN_PERMANENT; the current one is refstore_obj_gen()
 * @creator: index into the owner's table of creators
 * @gc_refs: while in a scan (REFSTORE_OF_SCANNED), references from
 *	outside the subgraph
 * @stamp: otherwise, the graph's @clock when @gen was recorded (see
 *	refstore_obj_gen())
 *
 * The slot array (@nslots pointers) follows the object, in the same
 * allocation (refstore_obj_slots()); what follows the slots (the death
 * cookie and the payload in the module) is the owner's business.
 *
 * Everything is protected by the graph owner's lock; @kref only changes
 * under it too, so a zero count is seen by the thread that made it.
 */
struct refstore_obj {
	struct kref kref;
	u32 payload_size;
	u64 id;
	u64 tag;
	struct list_head node;
	u16 nslots;
	u16 flags;
	u8 gen;
	u32 creator;
	union {
		s32 gc_refs;
		u32 stamp;
	};
};

/*
 * A one-slot object is one 64-byte cache line: a collection's walks over
 * it touch one line, and its passes over garbage stream 64 bytes per
 * object.
 */
static_assert(sizeof(struct refstore_obj) + sizeof(struct refstore_obj *) == 64,
	      "a one-slot object must fill one 64-byte cache line");

/*
 * The owners (the module, the host benchmark) allocate objects whose slots
 * and the rest (cookie, payload) take at most this many bytes after the
 * header from exact-fit caches, one per 8 bytes (see kmod/object.c).
 */
#define REFSTORE_OBJ_INLINE_MAX	64

/* The object's slot array: right after the object, in its allocation. */
static inline struct refstore_obj **refstore_obj_slots(struct refstore_obj *obj)
{
	return (struct refstore_obj **)(obj + 1);
}

/*
 * A slot holds NULL, a strong reference (the target, counted in its kref),
 * or a weak reference: a pointer of the owner's (the module's struct
 * refstore_weak) with REFSTORE_SLOT_WEAK_TAG set. The core never follows
 * a weak slot: it is not counted and is no edge of the graph, so the
 * collector's walks and the slot drops of a dying object skip it
 * (refstore_slot_strong()). The owner frees what a weak slot holds when
 * the object is released (REFSTORE_OF_WEAKSLOTS tells it to look).
 */
#define REFSTORE_SLOT_WEAK_TAG	1UL

static inline bool refstore_slot_is_weak(const struct refstore_obj *slot)
{
	return (unsigned long)slot & REFSTORE_SLOT_WEAK_TAG;
}

/* The target of a strong slot; NULL for an empty or a weak one. */
static inline struct refstore_obj *refstore_slot_strong(struct refstore_obj *slot)
{
	return refstore_slot_is_weak(slot) ? NULL : slot;
}

/**
 * struct refstore_gen_stats - what collections of one generation did
 * @collections: collections of this generation
 * @collected: unreachable objects found (freed, or saved by SAVEALL)
 * @uncollectable: always 0: CPython counts objects with legacy
 *	finalizers here, and refstore objects have none
 */
struct refstore_gen_stats {
	u64 collections;
	u64 collected;
	u64 uncollectable;
};

/**
 * struct refstore_graph - the objects of one heap and its collector state
 * @objects: live objects that are not suspects
 * @suspects: per generation, the objects of that generation whose count
 *	was decremented to non-zero since they were last examined (as
 *	CPython's per-generation lists: a collection of generation g takes
 *	@suspects[0..g] only, and its commit merges those lists into
 *	@suspects[g + 1] as it ages their objects): the only places a new
 *	garbage cycle can be
 * @dying: objects whose count reached zero, waiting for refstore_reap()
 * @garbage: unreachable objects kept because of SAVEALL
 * @nr_garbage: objects on @garbage
 * @nr_frozen: objects in the permanent generation
 * @count: as CPython's gc.get_count(): @count[0] is allocations minus
 *	frees of objects with slots since the last collection, never below
 *	zero (a large free does not postpone the next collection); @count[g]
 *	for g > 0 is collections of generation g - 1 since the last one of g
 * @threshold: as gc.set_threshold()
 * @enabled: automatic collection on (manual collection always works)
 * @debug: REFSTORE_GC_DEBUG_* (uapi), as gc.set_debug()
 * @stats: per generation
 * @examined: objects put through trial deletion, ever
 * @staged: the collections scanned and not yet committed or aborted
 *	(struct refstore_collection.link)
 * @clock: committed collections, modulo 2^32: a commit ages every object
 *	of the generations it collected by moving the clock (see
 *	refstore_obj_gen()), without touching them
 * @clock_old: @clock after the last commit of a generation >= 1
 * @nr_gen: objects with slots in each generation (saved garbage and
 *	parked objects included, frozen ones not), as CPython's generation
 *	lists' lengths
 * @long_lived_total: objects that survived the last full collection
 * @long_lived_pending: objects that survived collections of generation 1
 *	since then (CPython's rule: a full collection is due only when
 *	these exceed 25 % of @long_lived_total)
 */
struct refstore_graph {
	struct list_head objects;
	struct list_head suspects[REFSTORE_NR_GENS];
	struct list_head dying;
	struct list_head garbage;
	u64 nr_garbage;
	u64 nr_frozen;
	s64 count[REFSTORE_NR_GENS];
	u32 threshold[REFSTORE_NR_GENS];
	bool enabled;
	u32 debug;
	struct refstore_gen_stats stats[REFSTORE_NR_GENS];
	u64 examined;
	struct list_head staged;
	u32 clock;
	u32 clock_old;
	u64 nr_gen[REFSTORE_NR_GENS];
	u64 long_lived_total;
	u64 long_lived_pending;
};

/*
 * Every 2^30 commits the clock is resynchronised: every object's @gen is
 * brought up to date and restamped, so that no stamp is ever more than
 * 2^31 ticks from the clock (the comparisons below are modulo 2^32).
 */
#define REFSTORE_CLOCK_RESYNC	BIT(30)

/**
 * refstore_obj_gen() - an object's generation now
 * @graph: its graph
 * @obj: a live object that is not in a scan (REFSTORE_OF_SCANNED)
 *
 * Like CPython, a collection of generation g moves every survivor of
 * generations 0..g to g + 1 (2 at most). refstore does that lazily: the
 * commit only moves @graph->clock (and @graph->clock_old if g >= 1), and
 * an object's generation follows from the generation it was stamped with
 * and what was committed since. An object of generation 0 moved on at the
 * first commit after its stamp: to 2 if that or any later commit was of
 * generation >= 1, else to 1; one of generation 1 moved to 2 at the first
 * commit of generation >= 1 after its stamp. O(1), no walk.
 *
 * Return: 0..REFSTORE_GEN_OLDEST, or REFSTORE_GEN_PERMANENT if frozen.
 */
static inline u32 refstore_obj_gen(const struct refstore_graph *graph,
				   const struct refstore_obj *obj)
{
	if (obj->gen >= REFSTORE_GEN_OLDEST)
		return obj->gen;
	if ((s32)(graph->clock_old - obj->stamp) > 0)
		return REFSTORE_GEN_OLDEST;
	if (obj->gen == 0 && graph->clock != obj->stamp)
		return 1;
	return obj->gen;
}

/* Record an object's generation as of now. */
static inline void refstore_obj_set_gen(struct refstore_graph *graph,
					struct refstore_obj *obj, u32 gen)
{
	obj->gen = gen;
	obj->stamp = graph->clock;
}

/* Does any generation have suspects? */
static inline bool refstore_graph_has_suspects(const struct refstore_graph *graph)
{
	u32 g;

	for (g = 0; g < REFSTORE_NR_GENS; g++)
		if (!list_empty(&graph->suspects[g]))
			return true;
	return false;
}

/* Make @obj, live and not parked, a suspect of the generation it is in. */
static inline void refstore_graph_suspect(struct refstore_graph *graph,
					  struct refstore_obj *obj)
{
	obj->flags |= REFSTORE_OF_SUSPECT;
	list_move_tail(&obj->node,
		       &graph->suspects[refstore_obj_gen(graph, obj)]);
}

/**
 * struct refstore_collect_result - what one collection did
 * @generation: the generation collected (and every younger one)
 * @examined: objects in the subgraph
 * @unreachable: objects found unreachable (freed, or saved by SAVEALL)
 * @uncollectable: always 0, as in CPython for objects without legacy
 *	finalizers (saved objects count in @unreachable, like CPython's
 *	`collected`)
 * @saved: of @unreachable, the ones SAVEALL keeps on the garbage list
 */
struct refstore_collect_result {
	u32 generation;
	u64 examined;
	u64 unreachable;
	u64 uncollectable;
	u64 saved;
};

/**
 * struct refstore_collection - a collection between its scan and its end
 * @link: on graph->staged until refstore_collect_commit() or
 *	refstore_collect_abort() (or refstore_graph_destroy())
 * @unreachable: what the scan found unreachable, flagged
 *	REFSTORE_OF_STAGED: nothing outside the list references them
 * @survivors: the rest of the subgraph, flagged REFSTORE_OF_STAGED |
 *	REFSTORE_OF_REACHABLE, in their old generation until the commit
 * @res: what the scan found; the commit accounts exactly this
 * @nr_unreachable: of @unreachable, how many have each @gen; all of them
 *	carry the stamp @stamp, so their generations now follow from these
 *	counts alone (the commit moves the counts, not the objects)
 * @stamp: the graph's @clock at the scan (or at a resynchronisation)
 *
 * Filled by refstore_collect_scan(); the caller keeps it (on its stack,
 * say) until it calls refstore_collect_commit() or refstore_collect_abort().
 */
struct refstore_collection {
	struct list_head link;
	struct list_head unreachable;
	struct list_head survivors;
	struct refstore_collect_result res;
	u64 nr_unreachable[REFSTORE_NR_GENS];
	u32 stamp;
};

/**
 * refstore_obj_collecting() - is the object garbage a staged collection found
 * @obj: an object of the graph (its lock held)
 *
 * Such an object is reachable from nothing but other such objects: only a
 * weak handle can still name it. Its owner must not hand out a new strong
 * reference to it (UPGRADE fails as if it were dead); if the collection is
 * aborted it is an ordinary object again.
 *
 * Return: true between the scan that found it unreachable and the end of
 * that collection.
 */
static inline bool refstore_obj_collecting(const struct refstore_obj *obj)
{
	return (obj->flags & (REFSTORE_OF_STAGED | REFSTORE_OF_REACHABLE)) ==
	       REFSTORE_OF_STAGED;
}

/*
 * Hooks the graph's owner implements (object.c in the module, the test
 * harness in userspace), called with the graph's lock held.
 */

/*
 * Cause given to refstore_graph_release_obj() when the whole graph goes,
 * or when the object was finalized already.
 */
#define REFSTORE_CAUSE_NONE 0

/*
 * @obj is dead to its users (@cause REFSTORE_CAUSE_*): detach its weak
 * handles and queue its death event. Called once per object, by
 * refstore_graph_release_obj() or, for garbage SAVEALL keeps alive
 * (REFSTORE_OF_FINALIZED, as CPython's finalizers and weak reference
 * clearing run for saved garbage too), by the collection that saves it.
 */
void refstore_graph_finalize_obj(struct refstore_graph *graph,
				 struct refstore_obj *obj, u32 cause);
/*
 * A collection found @obj unreachable (@cause REFSTORE_CAUSE_CYCLE): clear
 * every weak reference to it (and queue their callbacks) now. The commit
 * calls it for every unreachable object before it finalizes any, as
 * CPython's handle_weakrefs() runs before finalize_garbage(): no weak
 * reference reaches garbage once a death of that collection is known.
 */
void refstore_graph_clear_weak(struct refstore_graph *graph,
			       struct refstore_obj *obj, u32 cause);
/*
 * @obj died (@cause REFSTORE_CAUSE_*): refstore_graph_finalize_obj(),
 * then uncharge it from its graph's owner (the module gives the heap's
 * share back here, the user's and the module's when the memory is
 * freed). REFSTORE_CAUSE_NONE: the graph is being destroyed, or the
 * object was finalized already (REFSTORE_OF_FINALIZED): no death event,
 * but weak handles made to it since (through GC_GARBAGE) must still be
 * detached. Its memory is freed later, exactly once: by
 * refstore_graph_free_obj(), or with a to_free list by
 * refstore_free_list() (the module: its bulk refstore_obj_free_list()).
 */
void refstore_graph_release_obj(struct refstore_graph *graph,
				struct refstore_obj *obj, u32 cause);
/* Free the memory of a released object; may be called without the lock. */
void refstore_graph_free_obj(struct refstore_graph *graph,
			     struct refstore_obj *obj);

/* An object with slots was freed: generation 0's count goes down, to 0. */
static inline void refstore_graph_count_free(struct refstore_graph *graph)
{
	if (graph->count[0] > 0)
		graph->count[0]--;
}

/* graph.c */
void refstore_graph_init(struct refstore_graph *graph);
void refstore_graph_add(struct refstore_graph *graph, struct refstore_obj *obj);
void refstore_graph_remove_unused(struct refstore_graph *graph,
				  struct refstore_obj *obj);
void refstore_graph_untrack(struct refstore_graph *graph,
			    struct refstore_obj *obj);
void refstore_obj_get(struct refstore_obj *obj);
void refstore_obj_put(struct refstore_graph *graph, struct refstore_obj *obj);
void refstore_reap_to(struct refstore_graph *graph, u32 cause,
		      struct list_head *to_free);
void refstore_reap(struct refstore_graph *graph, u32 cause);
void refstore_graph_destroy(struct refstore_graph *graph);

/* collect.c */
int refstore_graph_due(const struct refstore_graph *graph);
int refstore_graph_due_timed(const struct refstore_graph *graph);
void refstore_collect_scan(struct refstore_graph *graph, u32 generation,
			   struct refstore_collection *c);
void refstore_collect_commit(struct refstore_graph *graph,
			     struct refstore_collection *c,
			     struct list_head *to_free);
void refstore_collect_abort(struct refstore_graph *graph,
			    struct refstore_collection *c);
void refstore_free_list(struct refstore_graph *graph,
			struct list_head *to_free);
u64 refstore_freeze(struct refstore_graph *graph);
u64 refstore_unfreeze(struct refstore_graph *graph);
void refstore_garbage_clear(struct refstore_graph *graph);

#endif /* _REFSTORE_GRAPH_H */
