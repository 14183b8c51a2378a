// SPDX-License-Identifier: GPL-2.0
/*
 * refstore collection events: gc.callbacks and the DEBUG_* reports of
 * Python's gc, queued on the heap's fd with its death events (see the
 * uapi's "Collection events"). The collector calls these under the heap's
 * lock at the start and at the end of each collection; a heap with none
 * of the bits set pays one test of its debug flags.
 */
#include "refstore_private.h"

/*
 * Queue one record, growing the ring for it beyond the room kept for the
 * deaths of the heap's NOTIFY objects and callback weak handles
 * (refstore_event_ring_alloc()), so a record never takes a death's place
 * below max_events. If the ring cannot grow, the record is counted lost.
 */
static void refstore_gc_event(struct refstore_heap *heap, u64 cookie, u64 id,
			      u32 cause, u32 count)
{
	if (refstore_event_ring_grow(heap, heap->nr_notify + 1))
		refstore_event_lose(heap);
	else
		refstore_event_queue_count(heap, cookie, id, cause, count);
}

/**
 * refstore_gc_event_start() - a collection of @heap starts
 * @heap: the heap, locked, not dead
 * @generation: the generation collected
 * @automatic: the collector thread started it
 */
void refstore_gc_event_start(struct refstore_heap *heap, u32 generation,
			     bool automatic)
{
	lockdep_assert_held(&heap->lock);
	if (heap->graph.debug & REFSTORE_GC_DEBUG_CALLBACKS)
		refstore_gc_event(heap, automatic, 0, REFSTORE_CAUSE_GC_START,
				  generation);
}

/**
 * refstore_gc_event_stop() - a collection of @heap is about to end
 * @heap: the heap, locked
 * @run: the collection, staged: its unreachable objects still listed
 * @ns: its time under the lock
 * @commit: it is committed (else undone: nothing was collected)
 */
void refstore_gc_event_stop(struct refstore_heap *heap,
			    struct refstore_gc_run *run, u64 ns, bool commit)
{
	u32 debug = heap->graph.debug, gen = run->res.generation;
	u64 collected = commit ? run->res.unreachable : 0;
	struct refstore_obj *obj;

	lockdep_assert_held(&heap->lock);
	if (heap->dead || !(debug & (REFSTORE_GC_DEBUG_COLLECTABLE |
				     REFSTORE_GC_DEBUG_STATS |
				     REFSTORE_GC_DEBUG_CALLBACKS)))
		return;
	if (commit && (debug & REFSTORE_GC_DEBUG_COLLECTABLE)) {
		list_for_each_entry(obj, &run->coll.unreachable, node) {
			refstore_gc_event(heap, obj->tag, obj->id,
					  REFSTORE_CAUSE_GC_COLLECTABLE, gen);
			cond_resched();
		}
	}
	if (debug & REFSTORE_GC_DEBUG_STATS)
		refstore_gc_event(heap, collected, run->res.examined,
				  REFSTORE_CAUSE_GC_STATS, gen);
	if (debug & REFSTORE_GC_DEBUG_CALLBACKS)
		refstore_gc_event(heap, ns, collected, REFSTORE_CAUSE_GC_STOP,
				  gen);
}
