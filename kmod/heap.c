// SPDX-License-Identifier: GPL-2.0
/*
 * refstore heaps: what one open of /dev/refstore owns.
 *
 * A heap is created at open() with the module's default limits and torn
 * down when its file is released: handles first, then every object that
 * is left (all of it unreachable now, cycles included), then the rest.
 *
 * Open heaps are found by id in refstore_heaps, an allocating xarray. Ids
 * are drawn from a random starting point in 1..INT_MAX, so a heap's id
 * tells its user nothing about how many heaps others opened, and a closed
 * heap's id is not soon reused. An entry
 * holds no reference of its own: it is erased before the file's reference
 * is dropped, so a lookup under the xarray's lock always finds a heap with
 * a reference left, and takes its own.
 */
#include <linux/atomic.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "refstore_private.h"

/*
 * Distinct creators recorded per heap; later ones are recorded as unknown.
 * The table is charged to the heap's overhead: at most 16 KiB.
 */
#define REFSTORE_MAX_CREATORS 256

/* Open heaps by id; its xa_lock is taken only here. */
static DEFINE_XARRAY_ALLOC1(refstore_heaps);

/**
 * refstore_heap_create() - a new, empty heap, for open()
 *
 * Return: the heap, with the file's reference, or an ERR_PTR().
 */
struct refstore_heap *refstore_heap_create(void)
{
	struct refstore_heap *heap;
	u32 id, next;
	int ret;

	heap = refstore_fault() ? NULL : kzalloc(sizeof(*heap), REFSTORE_GFP);
	if (!heap)
		return ERR_PTR(-ENOMEM);

	mutex_init(&heap->lock);
	xa_init_flags(&heap->handles, XA_FLAGS_ALLOC1 | XA_FLAGS_ACCOUNT);
	xa_init_flags(&heap->weak_lists, XA_FLAGS_ACCOUNT);
	refstore_graph_init(&heap->graph);
	heap->limits = refstore_default_limits;
	refstore_alloc_stats_init(heap);

	refstore_event_init(heap);

	kref_init(&heap->ref);
	refstore_gc_heap_init(heap);
	heap->owner_pid = task_tgid_vnr(current);
	get_task_comm(heap->owner_comm, current);

	ret = refstore_account_open(heap);
	if (ret)
		goto out_free_heap;

	/* Published last: a lookup may find it from here on. */
	next = get_random_u32() & INT_MAX;
	ret = refstore_fault() ? -ENOMEM :
	      xa_alloc_cyclic(&refstore_heaps, &id, heap, xa_limit_31b,
			      &next, REFSTORE_GFP);
	if (ret < 0)
		goto out_release_account;
	heap->id = id;
	atomic64_inc(&refstore_stats.heaps);
	return heap;

out_release_account:
	refstore_account_release(heap);
out_free_heap:
	mutex_destroy(&heap->ev_read_lock);
	mutex_destroy(&heap->lock);
	kfree(heap);
	return ERR_PTR(ret == -EBUSY ? -ENOSPC : ret);
}

/* What a creator table of @n entries costs. */
static size_t refstore_heap_creators_size(u32 n)
{
	return refstore_kmalloc_size((size_t)n * sizeof(struct refstore_creator));
}

static void refstore_heap_free(struct kref *ref)
{
	struct refstore_heap *heap = container_of(ref, struct refstore_heap, ref);

	refstore_event_ring_free(heap);
	refstore_tags_free(heap);
	refstore_uncharge_overhead(heap, refstore_heap_creators_size(heap->nr_creators));
	kfree(heap->creators);
	refstore_account_release(heap);
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
 * refstore_heap_get() - an open heap by id, referenced
 * @id: its id
 *
 * The caller drops the reference with refstore_heap_put().
 *
 * Return: the heap, or NULL if no open heap has that id.
 */
struct refstore_heap *refstore_heap_get(u64 id)
{
	struct refstore_heap *heap;

	if (!id || id > U32_MAX)
		return NULL;
	xa_lock(&refstore_heaps);
	heap = xa_load(&refstore_heaps, id);
	if (heap && !kref_get_unless_zero(&heap->ref))
		heap = NULL;
	xa_unlock(&refstore_heaps);
	return heap;
}

/**
 * refstore_heap_get_next() - the open heap with the lowest id >= *@id
 * @id: in: where to start; out: the heap's id
 *
 * A walk over every heap calls it with *@id + 1 after each heap; each
 * step is a lookup in the table, so the walk never restarts.
 *
 * Return: the heap, referenced (drop it with refstore_heap_put()), or NULL.
 */
struct refstore_heap *refstore_heap_get_next(unsigned long *id)
{
	struct refstore_heap *heap;

	xa_lock(&refstore_heaps);
	heap = xa_find(&refstore_heaps, id, ULONG_MAX, XA_PRESENT);
	while (heap && !kref_get_unless_zero(&heap->ref))
		heap = xa_find_after(&refstore_heaps, id, ULONG_MAX,
				     XA_PRESENT);
	xa_unlock(&refstore_heaps);
	return heap;
}

/**
 * refstore_heap_destroy() - the heap's file was released: free its objects
 * @heap: the heap
 *
 * The collector thread may still hold a reference; it sees @heap->dead
 * and leaves. The heap's collection timer is cancelled once @heap->dead
 * stops it being armed again. The heap itself goes with the last
 * reference. The caller
 * has removed the heap's debugfs files (main.c).
 */
void refstore_heap_destroy(struct refstore_heap *heap)
{
	xa_erase(&refstore_heaps, heap->id);

	/* Not killable: release must finish. */
	mutex_lock(&heap->lock);
	heap->dead = true;
	refstore_handles_destroy(heap);
	refstore_graph_destroy(&heap->graph);
	WARN_ON(heap->nr_objects || heap->nr_bytes || heap->nr_handles ||
		heap->nr_weak || heap->nr_weak_slots);
	mutex_unlock(&heap->lock);
	refstore_gc_heap_release(heap);

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
 * Return: 0, -ENOMEM, or the error of refstore_charge_overhead().
 */
int refstore_heap_creator(struct refstore_heap *heap, u32 *index)
{
	struct refstore_creator *creators;
	char comm[TASK_COMM_LEN];
	pid_t pid = task_tgid_vnr(current);
	size_t delta;
	u32 i;
	int ret;

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

	delta = refstore_heap_creators_size(heap->nr_creators + 1) -
		refstore_heap_creators_size(heap->nr_creators);
	ret = refstore_charge_overhead(heap, delta);
	if (ret)
		return ret;
	creators = refstore_fault() ? NULL :
		   krealloc_array(heap->creators, heap->nr_creators + 1,
				  sizeof(*creators), REFSTORE_GFP);
	if (!creators) {
		refstore_uncharge_overhead(heap, delta);
		return -ENOMEM;
	}
	heap->creators = creators;
	creators[heap->nr_creators] = (struct refstore_creator){ .pid = pid };
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
