// SPDX-License-Identifier: GPL-2.0
/*
 * refstore objects: allocation, reference counting and freeing.
 *
 * An object's kref counts its strong references: handles and slots that
 * point at it. Every get and put happens under the heap's lock. A put that
 * takes the count to zero does not free the object there: it moves the
 * object to heap->dying, and refstore_heap_reap() frees the dying objects
 * one by one, putting the targets of their slots as it goes. Freeing a
 * chain of any length therefore uses constant stack.
 */
#include <linux/atomic.h>
#include <linux/overflow.h>
#include <linux/slab.h>

#include "refstore.h"

static struct kmem_cache *refstore_obj_cache;
static atomic64_t refstore_next_id = ATOMIC64_INIT(0);

int refstore_obj_cache_init(void)
{
	refstore_obj_cache = KMEM_CACHE(refstore_obj, SLAB_ACCOUNT);
	return refstore_obj_cache ? 0 : -ENOMEM;
}

void refstore_obj_cache_exit(void)
{
	kmem_cache_destroy(refstore_obj_cache);
}

static size_t refstore_obj_cookie_offset(const struct refstore_obj *obj)
{
	return (size_t)obj->nslots * sizeof(struct refstore_obj *);
}

static size_t refstore_obj_payload_offset(const struct refstore_obj *obj)
{
	size_t off = refstore_obj_cookie_offset(obj);

	if (obj->flags & REFSTORE_OF_NOTIFY)
		off += sizeof(u64);
	return off;
}

static size_t refstore_obj_ext_size(const struct refstore_obj *obj)
{
	return refstore_obj_payload_offset(obj) + obj->payload_size;
}

struct refstore_obj **refstore_obj_slots(struct refstore_obj *obj)
{
	return obj->ext;
}

u8 *refstore_obj_payload(struct refstore_obj *obj)
{
	return (u8 *)obj->ext + refstore_obj_payload_offset(obj);
}

u64 refstore_obj_cookie(struct refstore_obj *obj)
{
	if (!(obj->flags & REFSTORE_OF_NOTIFY))
		return 0;
	return *(u64 *)((u8 *)obj->ext + refstore_obj_cookie_offset(obj));
}

/**
 * refstore_obj_charge() - bytes an object counts against its heap
 * @obj: the object
 *
 * Return: the size of the object header plus its slots, cookie and payload.
 */
size_t refstore_obj_charge(const struct refstore_obj *obj)
{
	return sizeof(*obj) + refstore_obj_ext_size(obj);
}

/**
 * refstore_obj_count() - current number of strong references
 * @obj: the object
 *
 * Return: the count.
 */
unsigned int refstore_obj_count(struct refstore_obj *obj)
{
	return kref_read(&obj->kref);
}

/**
 * refstore_obj_alloc() - allocate an object and link it into its heap
 * @heap: the heap, locked
 * @args: validated creation arguments
 *
 * The object starts with a count of one, which the caller hands to a new
 * handle, or gives back with refstore_obj_free_unused().
 *
 * Return: the object, or an ERR_PTR: -ENOSPC, -EDQUOT, -ENOMEM.
 */
struct refstore_obj *refstore_obj_alloc(struct refstore_heap *heap,
					const struct refstore_create *args)
{
	const struct refstore_obj_limits *lim = &heap->limits;
	struct refstore_obj *obj;
	size_t ext, charge;
	int ret;

	lockdep_assert_held(&heap->lock);

	if (args->payload_size > lim->max_payload || args->nslots > lim->max_slots)
		return ERR_PTR(-ENOSPC);
	if (heap->nr_objects >= lim->max_objects)
		return ERR_PTR(-EDQUOT);

	ext = (size_t)args->nslots * sizeof(struct refstore_obj *) +
	      args->payload_size;
	if (args->flags & REFSTORE_CREATE_NOTIFY)
		ext += sizeof(u64);
	charge = sizeof(*obj) + ext;
	if (charge > lim->max_bytes || heap->nr_bytes > lim->max_bytes - charge)
		return ERR_PTR(-EDQUOT);

	obj = kmem_cache_zalloc(refstore_obj_cache, GFP_KERNEL_ACCOUNT);
	if (!obj)
		return ERR_PTR(-ENOMEM);

	if (ext) {
		obj->ext = kvzalloc(ext, GFP_KERNEL_ACCOUNT);
		if (!obj->ext) {
			ret = -ENOMEM;
			goto out_free_obj;
		}
	}

	ret = refstore_heap_creator(heap, &obj->creator);
	if (ret)
		goto out_free_ext;

	if (args->flags & REFSTORE_CREATE_NOTIFY) {
		ret = refstore_event_ring_alloc(heap);
		if (ret)
			goto out_free_ext;
		obj->flags |= REFSTORE_OF_NOTIFY;
	}

	kref_init(&obj->kref);
	obj->payload_size = args->payload_size;
	obj->nslots = args->nslots;
	obj->tag = args->tag;
	obj->id = atomic64_inc_return(&refstore_next_id);
	if (obj->flags & REFSTORE_OF_NOTIFY)
		*(u64 *)((u8 *)obj->ext + refstore_obj_cookie_offset(obj)) =
			args->cookie;

	list_add_tail(&obj->node, &heap->objects);
	heap->nr_objects++;
	heap->nr_bytes += charge;
	heap->created++;
	atomic64_inc(&refstore_stats.objects);
	atomic64_add(charge, &refstore_stats.bytes);
	atomic64_inc(&refstore_stats.created);
	return obj;

out_free_ext:
	kvfree(obj->ext);
out_free_obj:
	kmem_cache_free(refstore_obj_cache, obj);
	return ERR_PTR(ret);
}

/* Unlink an object from its heap's counters and free its memory. */
static void refstore_obj_free(struct refstore_heap *heap,
			      struct refstore_obj *obj)
{
	size_t charge = refstore_obj_charge(obj);

	heap->nr_objects--;
	heap->nr_bytes -= charge;
	heap->freed++;
	atomic64_dec(&refstore_stats.objects);
	atomic64_sub(charge, &refstore_stats.bytes);
	atomic64_inc(&refstore_stats.freed);

	kvfree(obj->ext);
	kmem_cache_free(refstore_obj_cache, obj);
}

/**
 * refstore_obj_free_unused() - undo refstore_obj_alloc()
 * @heap: the heap, locked
 * @obj: an object no handle or slot has seen
 */
void refstore_obj_free_unused(struct refstore_heap *heap,
			      struct refstore_obj *obj)
{
	lockdep_assert_held(&heap->lock);
	list_del(&obj->node);
	refstore_obj_free(heap, obj);
}

/**
 * refstore_obj_get() - take a strong reference
 * @obj: a live object; the caller holds its heap's lock and a reference
 */
void refstore_obj_get(struct refstore_obj *obj)
{
	kref_get(&obj->kref);
}

static void refstore_obj_mark_dead(struct kref *kref)
{
	struct refstore_obj *obj = container_of(kref, struct refstore_obj, kref);

	obj->flags |= REFSTORE_OF_DEAD;
}

/**
 * refstore_obj_put() - drop a strong reference
 * @heap: the object's heap, locked
 * @obj: the object
 *
 * At zero the object moves to heap->dying; the caller must then call
 * refstore_heap_reap() before it unlocks the heap.
 */
void refstore_obj_put(struct refstore_heap *heap, struct refstore_obj *obj)
{
	lockdep_assert_held(&heap->lock);
	if (kref_put(&obj->kref, refstore_obj_mark_dead))
		list_move_tail(&obj->node, &heap->dying);
}

/**
 * refstore_heap_reap() - free every object on heap->dying
 * @heap: the heap, locked
 * @cause: REFSTORE_CAUSE_* reported in death events
 *
 * Dropping a freed object's slots may put more objects on the list; the
 * loop takes them too, so the whole cascade is freed iteratively.
 */
void refstore_heap_reap(struct refstore_heap *heap, u32 cause)
{
	struct refstore_obj *obj, **slots;
	unsigned int i;

	lockdep_assert_held(&heap->lock);

	while (!list_empty(&heap->dying)) {
		obj = list_first_entry(&heap->dying, struct refstore_obj, node);
		list_del(&obj->node);

		slots = refstore_obj_slots(obj);
		for (i = 0; i < obj->nslots; i++) {
			if (slots[i])
				refstore_obj_put(heap, slots[i]);
		}
		if (obj->flags & REFSTORE_OF_WEAKREFS)
			refstore_weak_clear(heap, obj);
		if (obj->flags & REFSTORE_OF_NOTIFY)
			refstore_event_queue(heap, refstore_obj_cookie(obj),
					     obj->id, cause);
		refstore_obj_free(heap, obj);
		cond_resched();
	}
}

/**
 * refstore_obj_destroy_all() - free every object of a heap being released
 * @heap: the heap; no handle is left and no one else can reach it
 *
 * What is left is garbage held only by slots (cycles and what they point
 * at). Counts no longer matter: every object is freed as it stands, and
 * no death event is queued since no one can read it.
 */
void refstore_obj_destroy_all(struct refstore_heap *heap)
{
	struct refstore_obj *obj, *next;

	list_for_each_entry_safe(obj, next, &heap->objects, node) {
		list_del(&obj->node);
		refstore_obj_free(heap, obj);
		cond_resched();
	}
}
