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

#include "refstore.h"

/* Distinct creators recorded per heap; later ones are recorded as unknown. */
#define REFSTORE_MAX_CREATORS 4096

static atomic64_t refstore_next_heap_id = ATOMIC64_INIT(0);

struct refstore_heap *refstore_heap_create(void)
{
	struct refstore_heap *heap;

	heap = kzalloc(sizeof(*heap), GFP_KERNEL_ACCOUNT);
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

void refstore_heap_destroy(struct refstore_heap *heap)
{
	/* Waits for debugfs readers of this heap to finish. */
	refstore_debugfs_heap_remove(heap);

	mutex_lock(&refstore_heaps_lock);
	list_del(&heap->link);
	mutex_unlock(&refstore_heaps_lock);

	refstore_handles_destroy(heap);
	refstore_graph_destroy(&heap->graph);
	WARN_ON(heap->nr_objects || heap->nr_bytes || heap->nr_handles ||
		heap->nr_weak);

	refstore_event_ring_free(heap);
	kfree(heap->creators);
	mutex_destroy(&heap->ev_read_lock);
	mutex_destroy(&heap->lock);
	atomic64_dec(&refstore_stats.heaps);
	kfree(heap);
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

	creators = krealloc_array(heap->creators, heap->nr_creators + 1,
				  sizeof(*creators), GFP_KERNEL_ACCOUNT);
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
