// SPDX-License-Identifier: GPL-2.0
/*
 * refstore handles: the per-heap integers userspace names objects with.
 *
 * heap->handles maps a handle to a strong entry (the object pointer, which
 * owns one reference of the object's count) or a weak entry (a struct
 * refstore_weak, stored as a pointer tagged 1). Handles run from 1 to
 * INT_MAX; 0 is never allocated. A handle is reserved first and its entry
 * stored only once everything else has succeeded, so no one can see a half
 * made handle: a command that returns a new handle reserves it, drops
 * heap->lock to answer its caller, and publishes it (or gives it back)
 * under the lock again. A reserved entry reads back NULL, so it cannot be
 * closed, and its number is not handed out twice. Everything else happens
 * under heap->lock.
 *
 * Everything here is charged to the heap (account.c): a weak handle and a
 * weak list at their kmalloc size, and both tables for the nodes their
 * entries can need, so sparse handles or object ids cost what they take.
 *
 * The weak handles of one object are linked on a list found through
 * heap->weak_lists, keyed by object id. When the object is freed the list
 * is emptied and every weak entry's object pointer cleared.
 */
#include <linux/slab.h>

#include "refstore_private.h"

#define REFSTORE_WEAK_TAG 1

static const struct xa_limit refstore_handle_limit = XA_LIMIT(1, INT_MAX);

/* What a weak handle costs besides its table entry. */
static size_t refstore_weak_size(void)
{
	return refstore_kmalloc_size(sizeof(struct refstore_weak));
}

/* What an object's list of weak handles costs besides its table entry. */
static size_t refstore_weak_list_size(void)
{
	return refstore_kmalloc_size(sizeof(struct list_head));
}

/* Charge the handle table for its entries now: after a change. */
static void refstore_handles_recharge(struct refstore_heap *heap)
{
	/* Fewer entries never cost more: this cannot fail. */
	WARN_ON(refstore_table_recharge(heap, &heap->handles_charge,
					heap->nr_handles + heap->nr_weak, 0));
}

/* Charge the weak lists table for its entries now: after a removal. */
static void refstore_weak_lists_recharge(struct refstore_heap *heap)
{
	WARN_ON(refstore_table_recharge(heap, &heap->weak_lists_charge,
					heap->nr_weak_lists, 0));
}

/*
 * Reserve a handle number: an entry that reads back NULL until published.
 * The table is charged for it; the caller counts it in nr_handles or
 * nr_weak.
 */
static int refstore_handle_alloc(struct refstore_heap *heap, u32 *handle)
{
	int ret;

	lockdep_assert_held(&heap->lock);
	if (heap->nr_handles + heap->nr_weak >= heap->limits.max_handles)
		return -EDQUOT;
	if (refstore_fault())
		return -ENOMEM;
	ret = xa_alloc(&heap->handles, handle, XA_ZERO_ENTRY,
		       refstore_handle_limit, REFSTORE_GFP);
	if (ret)
		return ret;
	ret = refstore_table_recharge(heap, &heap->handles_charge,
				      heap->nr_handles + heap->nr_weak + 1,
				      *handle);
	if (ret)
		xa_release(&heap->handles, *handle);
	return ret;
}

static void refstore_handle_store(struct refstore_heap *heap, u32 handle,
				  void *entry)
{
	lockdep_assert_held(&heap->lock);
	/* The slot exists already (reserved): storing into it cannot fail. */
	WARN_ON(xa_is_err(xa_store(&heap->handles, handle, entry, GFP_KERNEL)));
}

/**
 * refstore_handle_reserve() - reserve a new strong handle
 * @heap: the heap, locked
 * @handle: out: the handle
 *
 * The handle counts against the heap's handle limit from now on, but
 * names nothing, cannot be closed and is not handed to anyone else until
 * refstore_handle_publish() or refstore_handle_unreserve(). The caller may
 * drop the heap's lock in between (to answer its caller).
 *
 * Return: 0, -EDQUOT (handle or byte limit), -EUSERS, -ENOBUFS (see
 * account.c), -EBUSY (handle space full) or -ENOMEM.
 */
int refstore_handle_reserve(struct refstore_heap *heap, u32 *handle)
{
	int ret = refstore_handle_alloc(heap, handle);

	if (!ret)
		heap->nr_handles++;
	return ret;
}

/**
 * refstore_handle_publish() - make a reserved strong handle name @obj
 * @heap: the heap, locked
 * @handle: from refstore_handle_reserve()
 * @obj: the object; the handle takes over a reference the caller holds
 */
void refstore_handle_publish(struct refstore_heap *heap, u32 handle,
			     struct refstore_obj *obj)
{
	refstore_handle_store(heap, handle, obj);
}

/**
 * refstore_handle_unreserve() - give back a reserved strong handle
 * @heap: the heap, locked
 * @handle: from refstore_handle_reserve(), not published
 */
void refstore_handle_unreserve(struct refstore_heap *heap, u32 handle)
{
	lockdep_assert_held(&heap->lock);
	xa_release(&heap->handles, handle);
	heap->nr_handles--;
	refstore_handles_recharge(heap);
}

/**
 * refstore_weak_reserve() - reserve a new weak handle to a live object
 * @heap: the heap, locked
 * @obj: the object
 * @handle: out: the handle
 *
 * The weak entry is on @obj's list at once, so it is cleared if @obj dies
 * before refstore_weak_publish() or refstore_weak_unreserve().
 *
 * Return: the entry, or ERR_PTR(-EDQUOT), ERR_PTR(-EBUSY), ERR_PTR(-ENOMEM).
 */
struct refstore_weak *refstore_weak_reserve(struct refstore_heap *heap,
					    struct refstore_obj *obj,
					    u32 *handle)
{
	struct list_head *list = NULL;
	struct refstore_weak *weak;
	int ret;

	lockdep_assert_held(&heap->lock);

	ret = refstore_charge(heap, refstore_weak_size());
	if (ret)
		return ERR_PTR(ret);
	weak = refstore_fault() ? NULL : kzalloc(sizeof(*weak), REFSTORE_GFP);
	if (!weak) {
		ret = -ENOMEM;
		goto out_uncharge_weak;
	}

	ret = refstore_handle_alloc(heap, handle);
	if (ret)
		goto out_free_weak;

	if (!(obj->flags & REFSTORE_OF_WEAKREFS)) {
		ret = refstore_charge(heap, refstore_weak_list_size());
		if (ret)
			goto out_release_handle;
		ret = refstore_table_recharge(heap, &heap->weak_lists_charge,
					      heap->nr_weak_lists + 1, obj->id);
		if (ret)
			goto out_uncharge_list;
		list = refstore_fault() ? NULL :
		       kmalloc(sizeof(*list), REFSTORE_GFP);
		if (!list) {
			ret = -ENOMEM;
			goto out_recharge_lists;
		}
		INIT_LIST_HEAD(list);
		ret = xa_insert(&heap->weak_lists, obj->id, list,
				REFSTORE_GFP);
		if (ret)
			goto out_free_list;
		obj->flags |= REFSTORE_OF_WEAKREFS;
		heap->nr_weak_lists++;
	} else {
		list = xa_load(&heap->weak_lists, obj->id);
	}

	weak->obj = obj;
	list_add_tail(&weak->node, list);
	heap->nr_weak++;
	return weak;

out_free_list:
	kfree(list);
out_recharge_lists:
	refstore_weak_lists_recharge(heap);
out_uncharge_list:
	refstore_uncharge(heap, refstore_weak_list_size());
out_release_handle:
	xa_release(&heap->handles, *handle);
	refstore_handles_recharge(heap);
out_free_weak:
	kfree(weak);
out_uncharge_weak:
	refstore_uncharge(heap, refstore_weak_size());
	return ERR_PTR(ret);
}

/**
 * refstore_weak_publish() - make a reserved weak handle usable
 * @heap: the heap, locked
 * @handle: from refstore_weak_reserve()
 * @weak: its entry
 */
void refstore_weak_publish(struct refstore_heap *heap, u32 handle,
			   struct refstore_weak *weak)
{
	refstore_handle_store(heap, handle,
			      xa_tag_pointer(weak, REFSTORE_WEAK_TAG));
}

/* An object's weak list is gone from the table: uncharge it. */
static void refstore_weak_list_gone(struct refstore_heap *heap)
{
	heap->nr_weak_lists--;
	refstore_weak_lists_recharge(heap);
	refstore_uncharge(heap, refstore_weak_list_size());
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
		refstore_weak_list_gone(heap);
	}
}

/* Free a weak entry no longer in the table, and uncharge it. */
static void refstore_weak_free(struct refstore_heap *heap,
			       struct refstore_weak *weak)
{
	kfree(weak);
	heap->nr_weak--;
	refstore_uncharge(heap, refstore_weak_size());
	refstore_handles_recharge(heap);
}

/**
 * refstore_weak_unreserve() - give back a reserved weak handle
 * @heap: the heap, locked
 * @handle: from refstore_weak_reserve(), not published
 * @weak: its entry, freed here
 */
void refstore_weak_unreserve(struct refstore_heap *heap, u32 handle,
			     struct refstore_weak *weak)
{
	lockdep_assert_held(&heap->lock);
	refstore_weak_unlink(heap, weak);
	xa_release(&heap->handles, handle);
	refstore_weak_free(heap, weak);
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

/**
 * refstore_handle_close() - remove a handle
 * @heap: the heap, locked
 * @handle: a strong or weak handle
 * @objp: out: for a strong handle, the object whose reference the handle
 *	held, now the caller's to drop (refstore_obj_put_reap(), object.c,
 *	the layer above); NULL for a weak handle
 *
 * Return: 0 or -ENOENT.
 */
int refstore_handle_close(struct refstore_heap *heap, u32 handle,
			  struct refstore_obj **objp)
{
	void *entry;

	lockdep_assert_held(&heap->lock);
	*objp = NULL;
	/* A reserved handle reads back NULL, so it is never closed here. */
	if (!xa_load(&heap->handles, handle))
		return -ENOENT;
	entry = xa_erase(&heap->handles, handle);

	if (refstore_entry_is_weak(entry)) {
		struct refstore_weak *weak = xa_untag_pointer(entry);

		refstore_weak_unlink(heap, weak);
		refstore_weak_free(heap, weak);
		return 0;
	}

	heap->nr_handles--;
	refstore_handles_recharge(heap);
	*objp = entry;
	return 0;
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
	refstore_weak_list_gone(heap);
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
			refstore_uncharge(heap, refstore_weak_size());
		} else {
			heap->nr_handles--;
		}
		/* Up to max_handles entries: let others run. */
		cond_resched();
	}
	xa_destroy(&heap->handles);
	refstore_handles_recharge(heap);

	xa_for_each(&heap->weak_lists, index, list) {
		kfree(list);
		heap->nr_weak_lists--;
		refstore_uncharge(heap, refstore_weak_list_size());
		cond_resched();
	}
	xa_destroy(&heap->weak_lists);
	refstore_weak_lists_recharge(heap);
}
