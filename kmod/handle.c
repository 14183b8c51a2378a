// SPDX-License-Identifier: GPL-2.0
/*
 * refstore handles: the per-heap integers userspace names objects with.
 *
 * heap->handles maps a handle to a strong entry (the object pointer, which
 * owns one reference of the object's count) or a weak entry (a struct
 * refstore_weak, stored as a pointer tagged 1). Handles run from 1 to
 * INT_MAX; 0 is never allocated. A handle is reserved first and its entry
 * stored only once everything else has succeeded, so no one can see a half
 * made handle. All of this happens under heap->lock.
 *
 * The weak handles of one object are linked on a list found through
 * heap->weak_lists, keyed by object id. When the object is freed the list
 * is emptied and every weak entry's object pointer cleared.
 */
#include <linux/slab.h>

#include "refstore_private.h"

#define REFSTORE_WEAK_TAG 1

static const struct xa_limit refstore_handle_limit = XA_LIMIT(1, INT_MAX);

static int refstore_handle_reserve(struct refstore_heap *heap, u32 *handle)
{
	if (heap->nr_handles + heap->nr_weak >= heap->limits.max_handles)
		return -EDQUOT;
	if (refstore_fault())
		return -ENOMEM;
	return xa_alloc(&heap->handles, handle, XA_ZERO_ENTRY,
			refstore_handle_limit, REFSTORE_GFP);
}

static void refstore_handle_publish(struct refstore_heap *heap, u32 handle,
				    void *entry)
{
	/* The slot exists already (reserved): storing into it cannot fail. */
	WARN_ON(xa_is_err(xa_store(&heap->handles, handle, entry, GFP_KERNEL)));
}

/**
 * refstore_handle_new() - a new strong handle for one reference
 * @heap: the heap, locked
 * @obj: the object
 * @handle: out: the new handle
 *
 * The handle owns one reference of @obj's count: the caller either
 * transfers one it holds (CREATE) or takes one on success, before it
 * drops the heap's lock.
 *
 * Return: 0, -EDQUOT (handle limit), -EBUSY (handle space full) or -ENOMEM.
 */
int refstore_handle_new(struct refstore_heap *heap, struct refstore_obj *obj,
			u32 *handle)
{
	int ret;

	lockdep_assert_held(&heap->lock);
	ret = refstore_handle_reserve(heap, handle);
	if (ret)
		return ret;
	refstore_handle_publish(heap, *handle, obj);
	heap->nr_handles++;
	return 0;
}

/**
 * refstore_handle_new_weak() - a new weak handle
 * @heap: the heap, locked
 * @obj: a live object
 * @handle: out: the new handle
 *
 * Return: 0, -EDQUOT, -EBUSY or -ENOMEM.
 */
int refstore_handle_new_weak(struct refstore_heap *heap,
			     struct refstore_obj *obj, u32 *handle)
{
	struct list_head *list = NULL;
	struct refstore_weak *weak;
	int ret;

	lockdep_assert_held(&heap->lock);

	weak = refstore_fault() ? NULL : kzalloc(sizeof(*weak), REFSTORE_GFP);
	if (!weak)
		return -ENOMEM;

	ret = refstore_handle_reserve(heap, handle);
	if (ret)
		goto out_free_weak;

	if (!(obj->flags & REFSTORE_OF_WEAKREFS)) {
		list = refstore_fault() ? NULL :
		       kmalloc(sizeof(*list), REFSTORE_GFP);
		if (!list) {
			ret = -ENOMEM;
			goto out_release_handle;
		}
		INIT_LIST_HEAD(list);
		ret = xa_insert(&heap->weak_lists, obj->id, list,
				REFSTORE_GFP);
		if (ret)
			goto out_free_list;
		obj->flags |= REFSTORE_OF_WEAKREFS;
	} else {
		list = xa_load(&heap->weak_lists, obj->id);
	}

	weak->obj = obj;
	list_add_tail(&weak->node, list);
	refstore_handle_publish(heap, *handle,
				xa_tag_pointer(weak, REFSTORE_WEAK_TAG));
	heap->nr_weak++;
	return 0;

out_free_list:
	kfree(list);
out_release_handle:
	xa_erase(&heap->handles, *handle);
out_free_weak:
	kfree(weak);
	return ret;
}

static bool refstore_entry_is_weak(void *entry)
{
	return xa_pointer_tag(entry) == REFSTORE_WEAK_TAG;
}

/* The entry of @handle if it is of the kind asked for, else an ERR_PTR. */
static void *refstore_handle_entry(struct refstore_heap *heap, u32 handle,
				   bool weak)
{
	void *entry;

	lockdep_assert_held(&heap->lock);
	entry = xa_load(&heap->handles, handle);
	if (!entry)
		return ERR_PTR(-ENOENT);
	if (refstore_entry_is_weak(entry) != weak)
		return ERR_PTR(-EBADSLT);
	return weak ? xa_untag_pointer(entry) : entry;
}

/**
 * refstore_handle_obj() - the object a strong handle names
 * @heap: the heap, locked
 * @handle: the handle
 *
 * Return: the object (valid while the lock is held), ERR_PTR(-ENOENT) or
 * ERR_PTR(-EBADSLT) for a weak handle.
 */
struct refstore_obj *refstore_handle_obj(struct refstore_heap *heap,
					 u32 handle)
{
	return refstore_handle_entry(heap, handle, false);
}

/**
 * refstore_handle_weak() - the weak entry of a weak handle
 * @heap: the heap, locked
 * @handle: the handle
 *
 * Return: the entry, ERR_PTR(-ENOENT) or ERR_PTR(-EBADSLT) for a strong
 * handle.
 */
struct refstore_weak *refstore_handle_weak(struct refstore_heap *heap,
					   u32 handle)
{
	return refstore_handle_entry(heap, handle, true);
}

/* Take a weak entry off its object's list; free the list when empty. */
static void refstore_weak_unlink(struct refstore_heap *heap,
				 struct refstore_weak *weak)
{
	struct refstore_obj *obj = weak->obj;
	struct list_head *list;

	if (!obj)
		return;
	list_del(&weak->node);
	weak->obj = NULL;
	list = xa_load(&heap->weak_lists, obj->id);
	if (list_empty(list)) {
		xa_erase(&heap->weak_lists, obj->id);
		kfree(list);
		obj->flags &= ~REFSTORE_OF_WEAKREFS;
	}
}

/**
 * refstore_handle_close() - remove a handle
 * @heap: the heap, locked
 * @handle: a strong or weak handle
 *
 * Closing a strong handle drops its reference and frees what becomes
 * unreachable by counting.
 *
 * Return: 0 or -ENOENT.
 */
int refstore_handle_close(struct refstore_heap *heap, u32 handle)
{
	void *entry;

	lockdep_assert_held(&heap->lock);
	/* A reserved handle reads back NULL, so it is never closed here. */
	if (!xa_load(&heap->handles, handle))
		return -ENOENT;
	entry = xa_erase(&heap->handles, handle);

	if (refstore_entry_is_weak(entry)) {
		struct refstore_weak *weak = xa_untag_pointer(entry);

		refstore_weak_unlink(heap, weak);
		kfree(weak);
		heap->nr_weak--;
		return 0;
	}

	heap->nr_handles--;
	refstore_obj_put_reap(heap, entry);
	return 0;
}

/* A new object no one but its creating handle has seen or changed. */
static bool refstore_obj_untouched(struct refstore_obj *obj)
{
	struct refstore_obj **slots = refstore_obj_slots(obj);
	u32 i;

	if (refstore_obj_count(obj) != 1 ||
	    obj->flags & (REFSTORE_OF_WEAKREFS | REFSTORE_OF_SUSPECT))
		return false;
	for (i = 0; i < obj->nslots; i++) {
		if (slots[i])
			return false;
	}
	return true;
}

/**
 * refstore_handle_discard() - take back a handle a failed call made
 * @heap: the heap, locked
 * @handle: the handle
 * @created: the call created the object the handle names
 *
 * If the call created the object and it is still untouched (only this
 * handle, no weak handle, no slot set: another thread could have guessed
 * the handle), it is unmade as if never created: no death event, no
 * counter moved. Anything else is an ordinary close.
 */
void refstore_handle_discard(struct refstore_heap *heap, u32 handle,
			     bool created)
{
	struct refstore_obj *obj;

	lockdep_assert_held(&heap->lock);
	obj = refstore_handle_obj(heap, handle);
	if (created && !IS_ERR(obj) && refstore_obj_untouched(obj)) {
		xa_erase(&heap->handles, handle);
		heap->nr_handles--;
		refstore_obj_free_unused(heap, obj);
		return;
	}
	refstore_handle_close(heap, handle);
}

/**
 * refstore_weak_clear() - an object is being freed: detach its weak handles
 * @heap: the heap, locked
 * @obj: the object, flagged REFSTORE_OF_WEAKREFS
 */
void refstore_weak_clear(struct refstore_heap *heap, struct refstore_obj *obj)
{
	struct refstore_weak *weak, *next;
	struct list_head *list;

	lockdep_assert_held(&heap->lock);
	list = xa_erase(&heap->weak_lists, obj->id);
	if (WARN_ON(!list))
		return;
	list_for_each_entry_safe(weak, next, list, node) {
		list_del(&weak->node);
		weak->obj = NULL;
	}
	kfree(list);
	obj->flags &= ~REFSTORE_OF_WEAKREFS;
}

/**
 * refstore_handles_destroy() - drop every handle of a heap being released
 * @heap: the heap; no one else can reach it
 *
 * Strong handles are dropped without freeing anything: the objects are all
 * freed afterwards by refstore_obj_destroy_all().
 */
void refstore_handles_destroy(struct refstore_heap *heap)
{
	struct list_head *list;
	unsigned long index;
	void *entry;

	xa_for_each(&heap->handles, index, entry) {
		if (refstore_entry_is_weak(entry)) {
			kfree(xa_untag_pointer(entry));
			heap->nr_weak--;
		} else {
			heap->nr_handles--;
		}
	}
	xa_destroy(&heap->handles);

	xa_for_each(&heap->weak_lists, index, list)
		kfree(list);
	xa_destroy(&heap->weak_lists);
}
