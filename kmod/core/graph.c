// SPDX-License-Identifier: GPL-2.0
/*
 * refstore object graph: reference counting without recursion, and the
 * suspect buffer the cycle collector starts from.
 *
 * Every get and put happens under the owner's lock. A put that takes a
 * count to zero moves the object to graph->dying; refstore_reap() frees
 * the dying objects one by one, putting the targets of their slots as it
 * goes, so a chain of any length is freed with constant stack.
 *
 * A put that leaves a count above zero may have made a garbage cycle (the
 * reference dropped was the cycle's last from outside). If the object has
 * slots, is not frozen and not already a suspect, it moves to
 * graph->suspects[g], g its generation. Objects without slots cannot be on a cycle and are
 * never suspects, like the objects CPython does not track.
 *
 * An object parked in a staged collection (REFSTORE_OF_STAGED, see
 * collect.c) stays on the collection's list: a survivor that loses a
 * reference is only flagged, and the collection's end makes it a suspect.
 */
#include "graph.h"

void refstore_graph_init(struct refstore_graph *graph)
{
	u32 g;

	INIT_LIST_HEAD(&graph->objects);
	for (g = 0; g < REFSTORE_NR_GENS; g++)
		INIT_LIST_HEAD(&graph->suspects[g]);
	INIT_LIST_HEAD(&graph->dying);
	INIT_LIST_HEAD(&graph->garbage);
	INIT_LIST_HEAD(&graph->staged);
	graph->threshold[0] = 700;
	graph->threshold[1] = 10;
	graph->threshold[2] = 10;
	graph->enabled = true;
}

/**
 * refstore_graph_add() - start tracking a new object
 * @graph: the graph
 * @obj: an object with a count of one, in generation 0
 */
void refstore_graph_add(struct refstore_graph *graph, struct refstore_obj *obj)
{
	list_add_tail(&obj->node, &graph->objects);
	refstore_obj_set_gen(graph, obj, 0);
	if (obj->nslots) {
		graph->count[0]++;
		graph->nr_gen[0]++;
	}
}

/**
 * refstore_graph_untrack() - take a dying object out of the counts
 * @graph: the graph
 * @obj: an object that dies (or was never seen)
 *
 * Generation 0's count and the object's generation (or the permanent
 * one) lose it.
 */
void refstore_graph_untrack(struct refstore_graph *graph,
			    struct refstore_obj *obj)
{
	u32 gen = refstore_obj_gen(graph, obj);

	if (obj->nslots)
		refstore_graph_count_free(graph);
	if (gen == REFSTORE_GEN_PERMANENT) {
		REFSTORE_ASSERT(graph->nr_frozen);
		graph->nr_frozen--;
	} else if (obj->nslots) {
		REFSTORE_ASSERT(graph->nr_gen[gen]);
		graph->nr_gen[gen]--;
	}
}

/**
 * refstore_graph_remove_unused() - undo refstore_graph_add()
 * @graph: the graph
 * @obj: an object no handle or slot has seen
 */
void refstore_graph_remove_unused(struct refstore_graph *graph,
				  struct refstore_obj *obj)
{
	list_del(&obj->node);
	refstore_graph_untrack(graph, obj);
}

/**
 * refstore_obj_get() - take a strong reference
 * @obj: a live object the caller can reach
 */
void refstore_obj_get(struct refstore_obj *obj)
{
	/* Only weak handles name garbage a staged collection found. */
	REFSTORE_ASSERT(kref_read(&obj->kref) &&
			!refstore_obj_collecting(obj));
	kref_get(&obj->kref);
}

static void refstore_obj_mark_dead(struct kref *kref)
{
	struct refstore_obj *obj = container_of(kref, struct refstore_obj, kref);

	obj->flags |= REFSTORE_OF_DEAD;
}

/**
 * refstore_obj_put() - drop a strong reference
 * @graph: the object's graph
 * @obj: the object
 *
 * At zero the object moves to graph->dying: the caller must call
 * refstore_reap() or refstore_reap_to() before it drops the lock.
 */
void refstore_obj_put(struct refstore_graph *graph, struct refstore_obj *obj)
{
	/* Nothing outside a staged collection's garbage references it. */
	REFSTORE_ASSERT(!refstore_obj_collecting(obj));
	if (kref_put(&obj->kref, refstore_obj_mark_dead)) {
		/* The garbage list holds a reference to each of its objects. */
		REFSTORE_ASSERT(!(obj->flags & REFSTORE_OF_GARBAGE));
		obj->flags &= ~(REFSTORE_OF_SUSPECT | REFSTORE_OF_GARBAGE |
				REFSTORE_OF_STAGED | REFSTORE_OF_REACHABLE |
				REFSTORE_OF_RESUSPECT);
		list_move_tail(&obj->node, &graph->dying);
		return;
	}
	if (!obj->nslots || obj->gen == REFSTORE_GEN_PERMANENT)
		return;
	if (obj->flags & REFSTORE_OF_STAGED) {
		/* A staged survivor: its collection's end makes it a suspect. */
		obj->flags |= REFSTORE_OF_SUSPECT | REFSTORE_OF_RESUSPECT;
		return;
	}
	if (!(obj->flags & (REFSTORE_OF_SUSPECT | REFSTORE_OF_GARBAGE)))
		refstore_graph_suspect(graph, obj);
}

/**
 * refstore_reap_to() - release every object on graph->dying
 * @graph: the graph
 * @cause: REFSTORE_CAUSE_* reported for them
 * @to_free: where the released objects go, or NULL to free each at once
 *
 * Dropping a released object's slots may put more objects on the list;
 * the loop takes them too, so the whole cascade is released iteratively.
 * With @to_free, the caller frees them (refstore_free_list()) once it
 * drops its lock: a cascade's memory is then freed in one go, not one
 * object at a time under the lock.
 */
void refstore_reap_to(struct refstore_graph *graph, u32 cause,
		      struct list_head *to_free)
{
	struct refstore_obj *obj, *t, **slots;
	unsigned int i;

	while (!list_empty(&graph->dying)) {
		obj = list_first_entry(&graph->dying, struct refstore_obj, node);
		REFSTORE_ASSERT(obj->flags & REFSTORE_OF_DEAD);
		list_del(&obj->node);

		slots = refstore_obj_slots(obj);
		for (i = 0; i < obj->nslots; i++) {
			/* Weak slots hold no count: the release drops them. */
			t = refstore_slot_strong(slots[i]);
			if (t)
				refstore_obj_put(graph, t);
		}
		refstore_graph_untrack(graph, obj);
		/* Saved garbage was finalized when it was saved: no second death. */
		refstore_graph_release_obj(graph, obj,
					   obj->flags & REFSTORE_OF_FINALIZED ?
					   REFSTORE_CAUSE_NONE : cause);
		if (to_free)
			list_add_tail(&obj->node, to_free);
		else
			refstore_graph_free_obj(graph, obj);
		cond_resched();
	}
}

/**
 * refstore_reap() - free every object on graph->dying
 * @graph: the graph
 * @cause: REFSTORE_CAUSE_* reported for them
 *
 * refstore_reap_to() that frees each object as it is released.
 */
void refstore_reap(struct refstore_graph *graph, u32 cause)
{
	refstore_reap_to(graph, cause, NULL);
}

static void refstore_graph_destroy_list(struct refstore_graph *graph,
					struct list_head *list)
{
	struct refstore_obj *obj, *next;

	list_for_each_entry_safe(obj, next, list, node) {
		list_del(&obj->node);
		if (obj->gen == REFSTORE_GEN_PERMANENT)
			graph->nr_frozen--;
		refstore_graph_release_obj(graph, obj, REFSTORE_CAUSE_NONE);
		refstore_graph_free_obj(graph, obj);
		cond_resched();
	}
}

/**
 * refstore_graph_destroy() - free every object of a graph no one can reach
 * @graph: the graph; no handle refers to it any more
 *
 * What is left is garbage held only by slots (cycles and what they point
 * at). Counts no longer matter: every object is freed as it stands, and
 * no death event is queued, since no one can read it. Objects parked in
 * staged collections are freed too; those collections are left empty and
 * detached, and their commit or abort does nothing.
 */
void refstore_graph_destroy(struct refstore_graph *graph)
{
	struct refstore_collection *c, *next;
	u32 g;

	list_for_each_entry_safe(c, next, &graph->staged, link) {
		refstore_graph_destroy_list(graph, &c->survivors);
		refstore_graph_destroy_list(graph, &c->unreachable);
		list_del_init(&c->link);
	}
	refstore_graph_destroy_list(graph, &graph->objects);
	for (g = 0; g < REFSTORE_NR_GENS; g++)
		refstore_graph_destroy_list(graph, &graph->suspects[g]);
	refstore_graph_destroy_list(graph, &graph->garbage);
	graph->nr_garbage = 0;
	graph->count[0] = 0;
	REFSTORE_ASSERT(list_empty(&graph->dying) && !graph->nr_frozen);
}
