// SPDX-License-Identifier: GPL-2.0
/*
 * refstore heaps: what one open of /dev/refstore owns.
 *
 * A heap is created at open() with the module's default limits and torn
 * down when its file is released: handles first, then every object that
 * is left (all of it unreachable now, cycles included), then the rest.
 */
#include <linux/atomic.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "refstore_private.h"

/* Distinct creators recorded per heap; later ones are recorded as unknown. */
#define REFSTORE_MAX_CREATORS 4096

static atomic64_t refstore_next_heap_id = ATOMIC64_INIT(0);

struct refstore_heap *refstore_heap_create(void)
{
	struct refstore_heap *heap;

	heap = refstore_fault() ? NULL : kzalloc(sizeof(*heap), REFSTORE_GFP);
	if (!heap)
		return ERR_PTR(-ENOMEM);

	mutex_init(&heap->lock);
	xa_init_flags(&heap->handles, XA_FLAGS_ALLOC1 | XA_FLAGS_ACCOUNT);
	xa_init_flags(&heap->weak_lists, XA_FLAGS_ACCOUNT);
	refstore_graph_init(&heap->graph);
	heap->limits = refstore_default_limits;

	spin_lock_init(&heap->ev_lock);
	mutex_init(&heap->ev_read_lock);
	init_waitqueue_head(&heap->ev_wait);

	kref_init(&heap->ref);
	heap->id = atomic64_inc_return(&refstore_next_heap_id);
	heap->owner_pid = task_tgid_vnr(current);
	get_task_comm(heap->owner_comm, current);

	mutex_lock(&refstore_heaps_lock);
	list_add_tail(&heap->link, &refstore_heaps);
	mutex_unlock(&refstore_heaps_lock);
	atomic64_inc(&refstore_stats.heaps);

	refstore_debugfs_heap_add(heap);
	return heap;
}

static void refstore_heap_free(struct kref *ref)
{
	struct refstore_heap *heap = container_of(ref, struct refstore_heap, ref);

	refstore_event_ring_free(heap);
	kfree(heap->creators);
	mutex_destroy(&heap->ev_read_lock);
	mutex_destroy(&heap->lock);
	kfree(heap);
}

/**
 * refstore_heap_put() - drop a reference to a heap
 * @heap: the heap
 */
void refstore_heap_put(struct refstore_heap *heap)
{
	kref_put(&heap->ref, refstore_heap_free);
}

/**
 * refstore_heap_get_next() - the next open heap, referenced
 * @after: return the first heap whose id is above this
 * @pending: only heaps the collector thread was asked to look at; the
 *	request is consumed
 *
 * Heaps are listed in id order, so a walk can drop the list's lock
 * between heaps. The caller drops the reference with refstore_heap_put().
 *
 * Return: the heap, or NULL.
 */
struct refstore_heap *refstore_heap_get_next(u64 after, bool pending)
{
	struct refstore_heap *heap, *found = NULL;

	mutex_lock(&refstore_heaps_lock);
	list_for_each_entry(heap, &refstore_heaps, link) {
		if (heap->id <= after)
			continue;
		if (pending &&
		    !test_and_clear_bit(REFSTORE_HEAP_GC_PENDING, &heap->gc_flags))
			continue;
		kref_get(&heap->ref);
		found = heap;
		break;
	}
	mutex_unlock(&refstore_heaps_lock);
	return found;
}

/**
 * refstore_heap_destroy() - the heap's file was released: free its objects
 * @heap: the heap
 *
 * The collector thread may still hold a reference; it sees @heap->dead
 * and leaves. The heap itself goes with the last reference.
 */
void refstore_heap_destroy(struct refstore_heap *heap)
{
	/* Waits for debugfs readers of this heap to finish. */
	refstore_debugfs_heap_remove(heap);

	mutex_lock(&refstore_heaps_lock);
	list_del(&heap->link);
	mutex_unlock(&refstore_heaps_lock);

	mutex_lock(&heap->lock);
	heap->dead = true;
	refstore_handles_destroy(heap);
	refstore_graph_destroy(&heap->graph);
	WARN_ON(heap->nr_objects || heap->nr_bytes || heap->nr_handles ||
		heap->nr_weak);
	mutex_unlock(&heap->lock);

	atomic64_dec(&refstore_stats.heaps);
	refstore_heap_put(heap);
}

/**
 * refstore_heap_creator() - the creator index for the current task
 * @heap: the heap, locked
 * @index: out: index into heap->creators
 *
 * Objects of one process share an entry. Once the table is full, new
 * creators get REFSTORE_CREATOR_UNKNOWN.
 *
 * Return: 0 or -ENOMEM.
 */
int refstore_heap_creator(struct refstore_heap *heap, u32 *index)
{
	struct refstore_creator *creators;
	char comm[TASK_COMM_LEN];
	pid_t pid = task_tgid_vnr(current);
	u32 i;

	lockdep_assert_held(&heap->lock);
	get_task_comm(comm, current);

	for (i = heap->nr_creators; i-- > 0; ) {
		if (heap->creators[i].pid == pid &&
		    !strcmp(heap->creators[i].comm, comm)) {
			*index = i;
			return 0;
		}
	}
	if (heap->nr_creators >= REFSTORE_MAX_CREATORS) {
		*index = REFSTORE_CREATOR_UNKNOWN;
		return 0;
	}

	if (refstore_fault())
		return -ENOMEM;
	creators = krealloc_array(heap->creators, heap->nr_creators + 1,
				  sizeof(*creators), REFSTORE_GFP);
	if (!creators)
		return -ENOMEM;
	heap->creators = creators;
	creators[heap->nr_creators].pid = pid;
	strscpy(creators[heap->nr_creators].comm, comm, TASK_COMM_LEN);
	*index = heap->nr_creators++;
	return 0;
}

/**
 * refstore_heap_creator_of() - who created an object
 * @heap: the heap, locked
 * @obj: the object
 *
 * Return: the creator entry, or NULL if the heap's table was full then.
 */
const struct refstore_creator *
refstore_heap_creator_of(struct refstore_heap *heap,
			 const struct refstore_obj *obj)
{
	lockdep_assert_held(&heap->lock);
	if (obj->creator >= heap->nr_creators)
		return NULL;
	return &heap->creators[obj->creator];
}
