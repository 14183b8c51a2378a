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
 * The weak references of one object, weak handles and weak slots (see
 * the uapi's "Weak slots"), are linked on a list found through
 * heap->weak_lists, keyed by object id, newest first. When the object
 * dies the list is emptied, every entry's object pointer cleared and the
 * armed callbacks fire. A weak slot holds its entry, tagged, in the slot
 * itself; the entry goes when the slot is overwritten or its object dies.
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

/* A new weak entry, charged to the heap, on no list yet. */
static struct refstore_weak *refstore_weak_alloc(struct refstore_heap *heap)
{
	struct refstore_weak *weak;
	int ret;

	ret = refstore_charge(heap, refstore_weak_size());
	if (ret)
		return ERR_PTR(ret);
	weak = refstore_fault() ? NULL : kzalloc(sizeof(*weak), REFSTORE_GFP);
	if (!weak) {
		refstore_uncharge(heap, refstore_weak_size());
		return ERR_PTR(-ENOMEM);
	}
	return weak;
}

/*
 * Put @weak at the head of @obj's list of weak references (newest first,
 * the order CPython calls callbacks in), making the list if @obj has none.
 * On error nothing changed.
 */
static int refstore_weak_attach(struct refstore_heap *heap,
				struct refstore_obj *obj,
				struct refstore_weak *weak)
{
	struct list_head *list;
	int ret;

	if (obj->flags & REFSTORE_OF_WEAKREFS) {
		list = xa_load(&heap->weak_lists, obj->id);
		goto out_link;
	}
	ret = refstore_charge(heap, refstore_weak_list_size());
	if (ret)
		return ret;
	ret = refstore_table_recharge(heap, &heap->weak_lists_charge,
				      heap->nr_weak_lists + 1, obj->id);
	if (ret)
		goto out_uncharge_list;
	list = refstore_fault() ? NULL : kmalloc(sizeof(*list), REFSTORE_GFP);
	if (!list) {
		ret = -ENOMEM;
		goto out_recharge_lists;
	}
	INIT_LIST_HEAD(list);
	ret = xa_insert(&heap->weak_lists, obj->id, list, REFSTORE_GFP);
	if (ret)
		goto out_free_list;
	obj->flags |= REFSTORE_OF_WEAKREFS;
	heap->nr_weak_lists++;
out_link:
	weak->obj = obj;
	weak->obj_id = obj->id;
	list_add(&weak->node, list);
	return 0;

out_free_list:
	kfree(list);
out_recharge_lists:
	refstore_weak_lists_recharge(heap);
out_uncharge_list:
	refstore_uncharge(heap, refstore_weak_list_size());
	return ret;
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
	struct refstore_weak *weak;
	int ret;

	lockdep_assert_held(&heap->lock);

	weak = refstore_weak_alloc(heap);
	if (IS_ERR(weak))
		return weak;
	ret = refstore_handle_alloc(heap, handle);
	if (ret)
		goto out_free_weak;
	ret = refstore_weak_attach(heap, obj, weak);
	if (ret)
		goto out_release_handle;
	weak->handle = *handle;
	heap->nr_weak++;
	return weak;

out_release_handle:
	xa_release(&heap->handles, *handle);
	refstore_handles_recharge(heap);
out_free_weak:
	kfree(weak);
	refstore_uncharge(heap, refstore_weak_size());
	return ERR_PTR(ret);
}

/**
 * refstore_weak_arm() - give a reserved weak handle a callback
 * @heap: the heap, locked
 * @weak: from refstore_weak_reserve(), not published
 * @cookie: what its event carries
 *
 * The event ring grows for the event it may queue (it counts in
 * heap->nr_notify until it fires or the handle goes). On error nothing
 * changed; the caller unreserves the handle.
 *
 * Return: 0 or the error of refstore_event_ring_alloc().
 */
int refstore_weak_arm(struct refstore_heap *heap, struct refstore_weak *weak,
		      u64 cookie)
{
	int ret;

	lockdep_assert_held(&heap->lock);
	ret = refstore_event_ring_alloc(heap);
	if (ret)
		return ret;
	weak->wflags |= REFSTORE_WEAK_CALLBACK;
	weak->cookie = cookie;
	heap->nr_notify++;
	return 0;
}

/* An armed callback fires: its event, once. */
static void refstore_weak_fire(struct refstore_heap *heap,
			       struct refstore_weak *weak)
{
	u32 cause = weak->wflags & REFSTORE_WEAK_FIRED_CYCLE ?
		    REFSTORE_CAUSE_WEAKREF_CYCLE : REFSTORE_CAUSE_WEAKREF;

	weak->wflags &= ~(REFSTORE_WEAK_CALLBACK | REFSTORE_WEAK_DIED |
			  REFSTORE_WEAK_FIRED_CYCLE);
	heap->nr_notify--;
	refstore_event_queue(heap, weak->cookie, weak->obj_id, cause);
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
	weak->wflags |= REFSTORE_WEAK_PUBLISHED;
	/* The object died while the answer was on its way: fire now. */
	if (weak->wflags & REFSTORE_WEAK_DIED)
		refstore_weak_fire(heap, weak);
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
	/* Closed before its object died: the callback never fires. */
	if (weak->wflags & REFSTORE_WEAK_CALLBACK)
		heap->nr_notify--;
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
 *	held, now the caller's to drop (refstore_obj_put_reap(), gc.c,
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
 * refstore_weak_clear() - an object dies: detach its weak references
 * @heap: the heap, locked
 * @obj: the object, flagged REFSTORE_OF_WEAKREFS
 * @cause: how it died, REFSTORE_CAUSE_*: the callbacks' events say
 *	REFSTORE_CAUSE_WEAKREF_CYCLE for REFSTORE_CAUSE_CYCLE, else
 *	REFSTORE_CAUSE_WEAKREF
 *
 * Weak handles and weak slots read as dead from now on. Armed callbacks
 * fire, newest weak reference first; one whose handle is not published
 * yet fires when it is (refstore_weak_publish()), so a WEAKREF that fails
 * leaves no event behind.
 */
void refstore_weak_clear(struct refstore_heap *heap, struct refstore_obj *obj,
			 u32 cause)
{
	struct refstore_weak *weak, *next;
	struct list_head *list;
	u32 n = 0;

	lockdep_assert_held(&heap->lock);
	list = xa_erase(&heap->weak_lists, obj->id);
	if (WARN_ON(!list))
		return;
	list_for_each_entry_safe(weak, next, list, node) {
		/* A list is as long as the heap's bytes allow. */
		if (!(++n % 256))
			cond_resched();
		list_del(&weak->node);
		weak->obj = NULL;
		if (!(weak->wflags & REFSTORE_WEAK_CALLBACK))
			continue;
		weak->wflags |= REFSTORE_WEAK_DIED;
		if (cause == REFSTORE_CAUSE_CYCLE)
			weak->wflags |= REFSTORE_WEAK_FIRED_CYCLE;
		if (weak->wflags & REFSTORE_WEAK_PUBLISHED)
			refstore_weak_fire(heap, weak);
	}
	kfree(list);
	obj->flags &= ~REFSTORE_OF_WEAKREFS;
	refstore_weak_list_gone(heap);
}

/**
 * refstore_weak_slot_new() - a weak reference for a slot
 * @heap: the heap, locked
 * @owner: the object whose slot will hold it
 * @slot: the slot's index
 * @obj: the target, alive
 *
 * The caller stores it in the slot with refstore_weak_slot_ptr().
 *
 * Return: the entry, or an ERR_PTR: -EDQUOT, -EUSERS, -ENOBUFS, -ENOMEM.
 */
struct refstore_weak *refstore_weak_slot_new(struct refstore_heap *heap,
					     struct refstore_obj *owner,
					     u32 slot, struct refstore_obj *obj)
{
	struct refstore_weak *weak;
	int ret;

	lockdep_assert_held(&heap->lock);
	weak = refstore_weak_alloc(heap);
	if (IS_ERR(weak))
		return weak;
	ret = refstore_weak_attach(heap, obj, weak);
	if (ret) {
		kfree(weak);
		refstore_uncharge(heap, refstore_weak_size());
		return ERR_PTR(ret);
	}
	weak->owner = owner;
	weak->handle = slot;
	weak->wflags = REFSTORE_WEAK_SLOT | REFSTORE_WEAK_PUBLISHED;
	owner->flags |= REFSTORE_OF_WEAKSLOTS;
	heap->nr_weak_slots++;
	return weak;
}

/**
 * refstore_weak_slot_free() - drop a weak slot's reference
 * @heap: the heap, locked (or dead: its weak lists are gone already)
 * @weak: what the slot held; the caller empties the slot
 */
void refstore_weak_slot_free(struct refstore_heap *heap,
			     struct refstore_weak *weak)
{
	if (!heap->dead)
		refstore_weak_unlink(heap, weak);
	kfree(weak);
	heap->nr_weak_slots--;
	refstore_uncharge(heap, refstore_weak_size());
}

/**
 * refstore_weak_slots_release() - an object is released: drop its weak slots
 * @heap: the heap, locked
 * @obj: the object, flagged REFSTORE_OF_WEAKSLOTS
 */
void refstore_weak_slots_release(struct refstore_heap *heap,
				 struct refstore_obj *obj)
{
	struct refstore_obj **slots = refstore_obj_slots(obj);
	u32 i;

	for (i = 0; i < obj->nslots; i++) {
		if (!refstore_slot_is_weak(slots[i]))
			continue;
		refstore_weak_slot_free(heap, refstore_slot_weak(slots[i]));
		slots[i] = NULL;
	}
	obj->flags &= ~REFSTORE_OF_WEAKSLOTS;
}

/* The published weak references of @obj's list (it has one). */
static struct list_head *refstore_weak_list_of(struct refstore_heap *heap,
					       struct refstore_obj *obj)
{
	if (!(obj->flags & REFSTORE_OF_WEAKREFS))
		return NULL;
	return xa_load(&heap->weak_lists, obj->id);
}

/**
 * refstore_weak_count() - weakref.getweakrefcount(), split by kind
 * @heap: the heap, locked
 * @obj: a live object
 * @handles: out: published weak handles naming it
 * @slots: out: weak slots pointing at it
 */
void refstore_weak_count(struct refstore_heap *heap, struct refstore_obj *obj,
			 u64 *handles, u64 *slots)
{
	struct list_head *list = refstore_weak_list_of(heap, obj);
	struct refstore_weak *weak;
	u32 n = 0;

	lockdep_assert_held(&heap->lock);
	*handles = 0;
	*slots = 0;
	if (!list)
		return;
	list_for_each_entry(weak, list, node) {
		if (!(++n % 256))
			cond_resched();
		if (weak->wflags & REFSTORE_WEAK_SLOT)
			(*slots)++;
		else if (weak->wflags & REFSTORE_WEAK_PUBLISHED)
			(*handles)++;
	}
}

/**
 * refstore_weak_list() - weakref.getweakrefs(), a page of it
 * @heap: the heap, locked
 * @obj: a live object
 * @start: position of the first entry wanted (newest is 0)
 * @out: room for @max entries
 * @max: entries wanted
 *
 * Return: entries written.
 */
u32 refstore_weak_list(struct refstore_heap *heap, struct refstore_obj *obj,
		       u64 start, struct refstore_weakref_entry *out, u32 max)
{
	struct list_head *list = refstore_weak_list_of(heap, obj);
	struct refstore_weak *weak;
	u64 pos = 0, seen = 0;
	u32 n = 0;

	lockdep_assert_held(&heap->lock);
	if (!list)
		return 0;
	list_for_each_entry(weak, list, node) {
		if (n >= max)
			break;
		/* @start entries are skipped first: however many there are. */
		if (!(++seen % 256))
			cond_resched();
		if (!(weak->wflags & REFSTORE_WEAK_PUBLISHED) || pos++ < start)
			continue;
		out[n] = (struct refstore_weakref_entry){ 0 };
		if (weak->wflags & REFSTORE_WEAK_SLOT) {
			out[n].owner_id = weak->owner->id;
			out[n].slot = weak->handle;
			out[n].entry_flags = REFSTORE_WEAKREF_ENTRY_SLOT;
		} else {
			out[n].handle = weak->handle;
		}
		if (weak->wflags & REFSTORE_WEAK_CALLBACK) {
			out[n].cookie = weak->cookie;
			out[n].entry_flags |= REFSTORE_WEAKREF_ENTRY_CALLBACK;
		}
		n++;
	}
	return n;
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
