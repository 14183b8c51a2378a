// SPDX-License-Identifier: GPL-2.0
/*
 * refstore ioctls: dispatch, and the object commands.
 *
 * Every command has one shape, read top to bottom: validate its structure,
 * take the heap's lock, act, drop the lock, and answer with
 * refstore_respond(), the only place a structure is copied back to the
 * caller (and the only fault point of the copy-out). No command touches
 * user memory with the heap's lock held.
 *
 * A failed call changes nothing. A command whose only effect is its answer
 * (INFO, GET_LIMITS, ...) simply fails if the answer cannot be written. A
 * command that makes something new reserves it under the lock, responds,
 * then takes the lock again to publish it, or to take the reservation back
 * if the answer could not be written: a new handle is a reserved, invisible
 * entry of the handle table until then, so no other thread can close it, be
 * handed its number, or see the object CREATE made (see handle.c).
 */
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/nospec.h>
#include <linux/overflow.h>
#include <linux/stddef.h>
#include <linux/uaccess.h>

#include "refstore_private.h"
#include "trace.h"

#define REFSTORE_FEATURES (REFSTORE_FEAT_OBJECTS | REFSTORE_FEAT_SLOTS | \
			   REFSTORE_FEAT_PAYLOAD | REFSTORE_FEAT_WEAK | \
			   REFSTORE_FEAT_EVENTS | REFSTORE_FEAT_LIMITS | \
			   REFSTORE_FEAT_HEAP_STATS | REFSTORE_FEAT_GC | \
			   REFSTORE_FEAT_GC_DELAY | REFSTORE_FEAT_WEAK_GRAPH | \
			   REFSTORE_FEAT_WEAK_QUERY | REFSTORE_FEAT_TRACE | \
			   REFSTORE_FEAT_INSPECT | REFSTORE_FEAT_GC_EVENTS)

/* Room for any command's structure: the dispatcher's stack buffer. */
union refstore_ioctl_buf {
	struct refstore_version version;
	struct refstore_create create;
	struct refstore_dup dup;
	struct refstore_close close;
	struct refstore_set_slot set_slot;
	struct refstore_get_slot get_slot;
	struct refstore_rw rw;
	struct refstore_info info;
	struct refstore_weakref weakref;
	struct refstore_upgrade upgrade;
	struct refstore_weakref_count weakref_count;
	struct refstore_weakrefs weakrefs;
	struct refstore_limits limits;
	struct refstore_heap_stats heap_stats;
	struct refstore_gc_collect gc_collect;
	struct refstore_gc_value gc_value;
	struct refstore_gc_threshold gc_threshold;
	struct refstore_gc_count gc_count;
	struct refstore_gc_stats gc_stats;
	struct refstore_gc_garbage gc_garbage;
	struct refstore_traced_memory traced_memory;
	struct refstore_tag_name tag_name;
	struct refstore_snapshot snapshot;
	struct refstore_objects objects;
	struct refstore_referents referents;
	struct refstore_referrers referrers;
	struct refstore_id_handle id_handle;
};

static int refstore_ioc_version(struct refstore_ucmd *ucmd)
{
	struct refstore_version *cmd = ucmd->cmd;

	if (cmd->flags || cmd->__reserved)
		return -EINVAL;
	cmd->version = REFSTORE_UAPI_VERSION;
	cmd->features = REFSTORE_FEATURES;
	return refstore_respond(ucmd, sizeof(*cmd));
}

/*
 * CREATE: the object is allocated and charged, and its handle reserved,
 * under the lock; it joins the heap (its graph, its counters, the
 * collector's count) only once the caller has its handle. Until then no
 * one can see it, so taking it back leaves no trace. If that makes a
 * collection due, the caller runs it, lock dropped and taken again, as
 * CPython collects in the allocation that crosses the threshold (gc.c).
 */
static int refstore_ioc_create(struct refstore_ucmd *ucmd)
{
	struct refstore_create *cmd = ucmd->cmd;
	struct refstore_heap *heap = ucmd->heap;
	struct refstore_obj *obj;
	bool due;
	int ret;

	if (cmd->flags & ~REFSTORE_CREATE_FLAGS || cmd->__reserved)
		return -EINVAL;
	if (cmd->cookie && !(cmd->flags & REFSTORE_CREATE_NOTIFY))
		return -EINVAL;

	if (mutex_lock_killable(&heap->lock))
		return -EINTR;
	obj = refstore_obj_alloc(heap, cmd);
	if (IS_ERR(obj)) {
		ret = PTR_ERR(obj);
		goto out_unlock;
	}
	ret = refstore_handle_reserve(heap, &cmd->handle);
	if (ret)
		goto out_abort_obj;
	cmd->id = obj->id;
	mutex_unlock(&heap->lock);

	ret = refstore_respond(ucmd, sizeof(*cmd));

	mutex_lock(&heap->lock);
	if (ret) {
		refstore_handle_unreserve(heap, cmd->handle);
		goto out_abort_obj;
	}
	refstore_obj_publish(heap, obj);
	refstore_handle_publish(heap, cmd->handle, obj);
	due = refstore_gc_due(heap);
	mutex_unlock(&heap->lock);
	if (due)
		refstore_gc_collect_due(heap);
	return 0;

out_abort_obj:
	refstore_obj_abort(heap, obj);
out_unlock:
	mutex_unlock(&heap->lock);
	return ret;
}

static int refstore_ioc_dup(struct refstore_ucmd *ucmd)
{
	struct refstore_dup *cmd = ucmd->cmd;
	struct refstore_heap *heap = ucmd->heap;
	struct refstore_obj *obj;

	if (cmd->flags)
		return -EINVAL;

	if (mutex_lock_killable(&heap->lock))
		return -EINTR;
	obj = refstore_handle_obj(heap, cmd->handle);
	if (IS_ERR(obj)) {
		mutex_unlock(&heap->lock);
		return PTR_ERR(obj);
	}
	return refstore_handle_for_obj(ucmd, sizeof(*cmd), &cmd->new_handle,
				       obj);
}

static int refstore_ioc_close(struct refstore_ucmd *ucmd)
{
	struct refstore_close *cmd = ucmd->cmd;
	struct refstore_heap *heap = ucmd->heap;
	struct refstore_obj *obj;
	LIST_HEAD(to_free);
	int ret;

	if (cmd->flags || cmd->__reserved)
		return -EINVAL;

	if (mutex_lock_killable(&heap->lock))
		return -EINTR;
	ret = refstore_handle_close(heap, cmd->handle, &obj);
	/* A strong handle's reference: released now if it was the last. */
	if (obj)
		refstore_obj_put_reap(heap, obj, &to_free);
	mutex_unlock(&heap->lock);
	refstore_obj_free_list(heap, &to_free);
	return ret;
}

/*
 * The target of a weak slot: a strong handle's object, or a weak handle's
 * if it is alive (not dead, not garbage a pending collection found).
 */
static struct refstore_obj *refstore_weak_target(struct refstore_heap *heap,
						 u32 handle)
{
	struct refstore_obj *obj = refstore_handle_obj(heap, handle);
	struct refstore_weak *weak;

	if (obj != ERR_PTR(-EBADSLT))
		return obj;
	weak = refstore_handle_weak(heap, handle);
	if (IS_ERR(weak))
		return ERR_CAST(weak);
	if (!weak->obj || refstore_obj_collecting(weak->obj))
		return ERR_PTR(-ENOENT);
	return weak->obj;
}

/*
 * SET_SLOT: the new content is made first (a strong reference taken, or a
 * weak slot's entry allocated, the only step that can fail), then stored,
 * then the old content dropped: a strong target put (which may free it
 * and, through it, anything), a weak entry freed.
 */
/* The id of the object a slot names (a weak slot's too), 0 if empty. */
static u64 refstore_slot_id(struct refstore_obj *slot)
{
	if (refstore_slot_is_weak(slot))
		return refstore_slot_weak(slot)->obj_id;
	return slot ? slot->id : 0;
}

static int refstore_ioc_set_slot(struct refstore_ucmd *ucmd)
{
	struct refstore_set_slot *cmd = ucmd->cmd;
	struct refstore_heap *heap = ucmd->heap;
	struct refstore_obj *obj, *target = NULL, *old, **slot, *new = NULL;
	bool weak = cmd->flags & REFSTORE_SLOT_WEAK;
	struct refstore_weak *wslot;
	LIST_HEAD(to_free);
	int ret = 0;

	if (cmd->flags & ~REFSTORE_SET_SLOT_FLAGS || cmd->__reserved)
		return -EINVAL;

	if (mutex_lock_killable(&heap->lock))
		return -EINTR;
	obj = refstore_handle_obj(heap, cmd->handle);
	if (IS_ERR(obj)) {
		ret = PTR_ERR(obj);
		goto out_unlock;
	}
	if (cmd->target) {
		target = weak ? refstore_weak_target(heap, cmd->target) :
			 refstore_handle_obj(heap, cmd->target);
		if (IS_ERR(target)) {
			ret = PTR_ERR(target);
			goto out_unlock;
		}
	}
	if (cmd->slot >= obj->nslots) {
		ret = -EINVAL;
		goto out_unlock;
	}

	slot = &refstore_obj_slots(obj)[array_index_nospec(cmd->slot,
							   obj->nslots)];
	if (target && weak) {
		wslot = refstore_weak_slot_new(heap, obj, cmd->slot, target);
		if (IS_ERR(wslot)) {
			ret = PTR_ERR(wslot);
			goto out_unlock;
		}
		new = refstore_weak_slot_ptr(wslot);
	} else if (target) {
		refstore_obj_get(target);
		new = target;
	}
	old = *slot;
	*slot = new;
	trace_slot_set(heap->id, obj->id, cmd->slot, refstore_slot_id(old),
		       target ? target->id : 0, weak);
	if (refstore_slot_is_weak(old))
		refstore_weak_slot_free(heap, refstore_slot_weak(old));
	else if (old)
		refstore_obj_put_reap(heap, old, &to_free);
out_unlock:
	mutex_unlock(&heap->lock);
	refstore_obj_free_list(heap, &to_free);
	return ret;
}

static int refstore_ioc_get_slot(struct refstore_ucmd *ucmd)
{
	struct refstore_get_slot *cmd = ucmd->cmd;
	struct refstore_heap *heap = ucmd->heap;
	struct refstore_obj *obj, *target;
	int ret;

	if (cmd->flags || cmd->__reserved || cmd->__reserved2)
		return -EINVAL;
	cmd->target = 0;
	cmd->target_id = 0;
	cmd->slot_flags = 0;

	if (mutex_lock_killable(&heap->lock))
		return -EINTR;
	obj = refstore_handle_obj(heap, cmd->handle);
	if (IS_ERR(obj)) {
		ret = PTR_ERR(obj);
		goto out_unlock;
	}
	if (cmd->slot >= obj->nslots) {
		ret = -EINVAL;
		goto out_unlock;
	}
	target = refstore_obj_slots(obj)[array_index_nospec(cmd->slot,
							    obj->nslots)];
	if (refstore_slot_is_weak(target)) {
		cmd->slot_flags = REFSTORE_SLOT_WEAK;
		target = refstore_slot_weak(target)->obj;
		/* Dead, or garbage a pending GC_COLLECT found: as UPGRADE. */
		if (!target || refstore_obj_collecting(target)) {
			cmd->slot_flags |= REFSTORE_SLOT_DEAD;
			target = NULL;
		}
	}
	if (!target) {
		mutex_unlock(&heap->lock);
		return refstore_respond(ucmd, sizeof(*cmd));
	}
	cmd->target_id = target->id;
	return refstore_handle_for_obj(ucmd, sizeof(*cmd), &cmd->target, target);

out_unlock:
	mutex_unlock(&heap->lock);
	return ret;
}

/*
 * WRITE and READ move payload bytes through a bounce buffer, copied from or
 * to userspace outside the heap's lock: a fault stalled by userfaultfd (or
 * a slow one) stalls only the calling thread, never the heap; and a WRITE
 * that faults changes nothing. The buffer is allocated before the object
 * is looked up, so argument errors and ENOMEM come before ENOENT/EBADSLT;
 * its size is bounded by the module's max_payload and charged to the
 * caller's memcg. Neither writes its structure back.
 */
static int refstore_rw_check(const struct refstore_rw *rw)
{
	if (rw->flags || rw->__reserved)
		return -EINVAL;
	if (rw->offset + rw->length < rw->offset)
		return -EOVERFLOW;
	/* No payload is larger than the module's limit was at its creation. */
	if (rw->length > refstore_default_limits.max_payload)
		return -EINVAL;
	return 0;
}

/* WRITE (@write) or READ: copy between @rw->data and the payload. */
static int refstore_rw_payload(struct refstore_heap *heap,
			       const struct refstore_rw *rw, bool write)
{
	void __user *data = u64_to_user_ptr(rw->data);
	struct refstore_obj *obj;
	void *bounce = NULL;
	u8 *payload;
	int ret;

	ret = refstore_rw_check(rw);
	if (ret)
		return ret;
	if (rw->length) {
		bounce = refstore_fault() ? NULL :
			 kvmalloc(rw->length, REFSTORE_GFP);
		if (!bounce)
			return -ENOMEM;
		if (write && (refstore_fault() ||
			      copy_from_user(bounce, data, rw->length))) {
			ret = -EFAULT;
			goto out_free_bounce;
		}
	}

	if (mutex_lock_killable(&heap->lock)) {
		ret = -EINTR;
		goto out_free_bounce;
	}
	obj = refstore_handle_obj(heap, rw->handle);
	if (IS_ERR(obj)) {
		ret = PTR_ERR(obj);
	} else if (rw->offset + rw->length > obj->payload_size) {
		ret = -EINVAL;
	} else if (rw->length) {
		payload = refstore_obj_payload(obj) + rw->offset;
		if (write)
			memcpy(payload, bounce, rw->length);
		else
			memcpy(bounce, payload, rw->length);
	}
	mutex_unlock(&heap->lock);

	if (!ret && !write && rw->length &&
	    (refstore_fault() || copy_to_user(data, bounce, rw->length)))
		ret = -EFAULT;
out_free_bounce:
	kvfree(bounce);
	return ret;
}

static int refstore_ioc_write(struct refstore_ucmd *ucmd)
{
	return refstore_rw_payload(ucmd->heap, ucmd->cmd, true);
}

static int refstore_ioc_read(struct refstore_ucmd *ucmd)
{
	return refstore_rw_payload(ucmd->heap, ucmd->cmd, false);
}

static int refstore_ioc_info(struct refstore_ucmd *ucmd)
{
	struct refstore_info *cmd = ucmd->cmd;
	struct refstore_heap *heap = ucmd->heap;
	const struct refstore_creator *c;
	struct refstore_obj *obj;
	u32 handle = cmd->handle;

	if (cmd->flags)
		return -EINVAL;

	if (mutex_lock_killable(&heap->lock))
		return -EINTR;
	obj = refstore_handle_obj(heap, handle);
	if (IS_ERR(obj)) {
		mutex_unlock(&heap->lock);
		return PTR_ERR(obj);
	}
	c = refstore_heap_creator_of(heap, obj);
	*cmd = (struct refstore_info){
		.size = cmd->size,
		.handle = handle,
		.refcount = refstore_obj_count(obj),
		.id = obj->id,
		.tag = obj->tag,
		.payload_size = obj->payload_size,
		.nslots = obj->nslots,
		.creator_pid = c ? c->pid : 0,
	};
	if (obj->flags & REFSTORE_OF_NOTIFY)
		cmd->obj_flags |= REFSTORE_OBJ_NOTIFY;
	if (obj->flags & REFSTORE_OF_WEAKREFS)
		cmd->obj_flags |= REFSTORE_OBJ_WEAKREFS;
	mutex_unlock(&heap->lock);

	return refstore_respond(ucmd, sizeof(*cmd));
}

static int refstore_ioc_weakref(struct refstore_ucmd *ucmd)
{
	struct refstore_weakref *cmd = ucmd->cmd;
	struct refstore_heap *heap = ucmd->heap;
	struct refstore_weak *weak, *from;
	struct refstore_obj *obj;
	int ret;

	if (cmd->flags & ~REFSTORE_WEAKREF_FLAGS)
		return -EINVAL;
	if (cmd->cookie && !(cmd->flags & REFSTORE_WEAKREF_CALLBACK))
		return -EINVAL;

	if (mutex_lock_killable(&heap->lock))
		return -EINTR;
	if (cmd->flags & REFSTORE_WEAKREF_FROM_WEAK) {
		from = refstore_handle_weak(heap, cmd->handle);
		obj = IS_ERR(from) ? ERR_CAST(from) : from->obj;
		/* No weak reference, nor callback, to a dead object. */
		if (!obj || (!IS_ERR(obj) && refstore_obj_collecting(obj)))
			obj = ERR_PTR(-ENOENT);
	} else {
		obj = refstore_handle_obj(heap, cmd->handle);
	}
	weak = IS_ERR(obj) ? ERR_CAST(obj) :
	       refstore_weak_reserve(heap, obj, &cmd->weak);
	if (!IS_ERR(weak) && (cmd->flags & REFSTORE_WEAKREF_CALLBACK)) {
		ret = refstore_weak_arm(heap, weak, cmd->cookie);
		if (ret) {
			refstore_weak_unreserve(heap, cmd->weak, weak);
			weak = ERR_PTR(ret);
		}
	}
	mutex_unlock(&heap->lock);
	if (IS_ERR(weak))
		return PTR_ERR(weak);

	ret = refstore_respond(ucmd, sizeof(*cmd));

	mutex_lock(&heap->lock);
	if (ret)
		refstore_weak_unreserve(heap, cmd->weak, weak);
	else
		refstore_weak_publish(heap, cmd->weak, weak);
	mutex_unlock(&heap->lock);
	return ret;
}

static int refstore_ioc_weakref_count(struct refstore_ucmd *ucmd)
{
	struct refstore_weakref_count *cmd = ucmd->cmd;
	struct refstore_heap *heap = ucmd->heap;
	struct refstore_obj *obj;

	if (cmd->flags || cmd->__reserved)
		return -EINVAL;

	if (mutex_lock_killable(&heap->lock))
		return -EINTR;
	obj = refstore_handle_obj(heap, cmd->handle);
	if (IS_ERR(obj)) {
		mutex_unlock(&heap->lock);
		return PTR_ERR(obj);
	}
	refstore_weak_count(heap, obj, &cmd->weak_handles, &cmd->weak_slots);
	cmd->count = cmd->weak_handles + cmd->weak_slots;
	mutex_unlock(&heap->lock);

	return refstore_respond(ucmd, sizeof(*cmd));
}

/*
 * WEAKREFS: the page is gathered under the lock into a kernel buffer,
 * allocated before it (at most REFSTORE_WEAKREFS_PAGE entries), and copied
 * out after.
 */
static int refstore_ioc_weakrefs(struct refstore_ucmd *ucmd)
{
	struct refstore_weakrefs *cmd = ucmd->cmd;
	struct refstore_heap *heap = ucmd->heap;
	struct refstore_weakref_entry *buf = NULL;
	u32 max = min_t(u32, cmd->capacity, REFSTORE_WEAKREFS_PAGE);
	struct refstore_obj *obj;
	u64 handles, slots;
	int ret = 0;

	if (cmd->flags || cmd->__reserved)
		return -EINVAL;
	if (max) {
		buf = refstore_fault() ? NULL :
		      kvcalloc(max, sizeof(*buf), REFSTORE_GFP);
		if (!buf)
			return -ENOMEM;
	}

	if (mutex_lock_killable(&heap->lock)) {
		ret = -EINTR;
		goto out_free_buf;
	}
	obj = refstore_handle_obj(heap, cmd->handle);
	if (IS_ERR(obj)) {
		mutex_unlock(&heap->lock);
		ret = PTR_ERR(obj);
		goto out_free_buf;
	}
	refstore_weak_count(heap, obj, &handles, &slots);
	cmd->total = handles + slots;
	cmd->count = max ? refstore_weak_list(heap, obj, cmd->start, buf, max) : 0;
	mutex_unlock(&heap->lock);

	if (cmd->count &&
	    (refstore_fault() ||
	     copy_to_user(u64_to_user_ptr(cmd->entries), buf,
			  (size_t)cmd->count * sizeof(*buf)))) {
		ret = -EFAULT;
		goto out_free_buf;
	}
	ret = refstore_respond(ucmd, sizeof(*cmd));
out_free_buf:
	kvfree(buf);
	return ret;
}

static int refstore_ioc_upgrade(struct refstore_ucmd *ucmd)
{
	struct refstore_upgrade *cmd = ucmd->cmd;
	struct refstore_heap *heap = ucmd->heap;
	struct refstore_weak *weak;
	struct refstore_obj *obj;
	int ret;

	if (cmd->flags)
		return -EINVAL;

	if (mutex_lock_killable(&heap->lock))
		return -EINTR;
	weak = refstore_handle_weak(heap, cmd->weak);
	if (IS_ERR(weak)) {
		ret = PTR_ERR(weak);
		goto out_unlock;
	}
	obj = weak->obj;
	/*
	 * Garbage a pending GC_COLLECT found is dead to everyone already, as
	 * CPython clears weak references before any finalizer runs: if that
	 * collection is aborted the object lives on, and a later UPGRADE
	 * works again.
	 */
	if (!obj || refstore_obj_collecting(obj)) {
		ret = -ENOENT;
		goto out_unlock;
	}
	return refstore_handle_for_obj(ucmd, sizeof(*cmd), &cmd->handle, obj);

out_unlock:
	mutex_unlock(&heap->lock);
	return ret;
}

static int refstore_ioc_get_limits(struct refstore_ucmd *ucmd)
{
	struct refstore_limits *cmd = ucmd->cmd;
	struct refstore_heap *heap = ucmd->heap;
	const struct refstore_obj_limits *hl = &heap->limits;

	if (cmd->flags || cmd->__reserved)
		return -EINVAL;

	if (mutex_lock_killable(&heap->lock))
		return -EINTR;
	cmd->max_objects = hl->max_objects;
	cmd->max_bytes = hl->max_bytes;
	cmd->max_payload = hl->max_payload;
	cmd->max_slots = hl->max_slots;
	cmd->max_handles = hl->max_handles;
	cmd->max_events = hl->max_events;
	mutex_unlock(&heap->lock);

	return refstore_respond(ucmd, sizeof(*cmd));
}

/*
 * The new value of a limit: @want, or @cur for 0. Without @raise it may
 * not be above @cur (-EPERM); with it, not above @max (-EINVAL).
 */
static int refstore_limit(u64 cur, u64 want, u64 max, bool raise, u64 *out)
{
	*out = want ? want : cur;
	if (*out <= cur)
		return 0;
	if (!raise)
		return -EPERM;
	return *out <= max ? 0 : -EINVAL;
}

/*
 * SET_LIMITS lowers a heap's limits; with REFSTORE_LIMITS_RAISE, and
 * CAP_SYS_RESOURCE, it may raise them up to the module's maxima (the
 * payload only up to the module parameter: READ and WRITE bound their
 * buffers by it).
 */
static int refstore_ioc_set_limits(struct refstore_ucmd *ucmd)
{
	struct refstore_limits *cmd = ucmd->cmd;
	struct refstore_heap *heap = ucmd->heap;
	struct refstore_obj_limits *hl = &heap->limits;
	u64 objects, bytes, payload, slots, handles, events;
	bool raise = cmd->flags & REFSTORE_LIMITS_RAISE;
	int ret = 0;

	if (cmd->flags & ~REFSTORE_LIMITS_RAISE || cmd->__reserved)
		return -EINVAL;
	if (raise && !capable(CAP_SYS_RESOURCE))
		return -EPERM;

	if (mutex_lock_killable(&heap->lock))
		return -EINTR;
	ret = refstore_limit(hl->max_objects, cmd->max_objects,
			     REFSTORE_MAX_OBJECTS, raise, &objects) ?:
	      refstore_limit(hl->max_bytes, cmd->max_bytes,
			     REFSTORE_MAX_HEAP_BYTES, raise, &bytes) ?:
	      refstore_limit(hl->max_payload, cmd->max_payload,
			     refstore_default_limits.max_payload, raise,
			     &payload) ?:
	      refstore_limit(hl->max_slots, cmd->max_slots,
			     REFSTORE_MAX_SLOTS, raise, &slots) ?:
	      refstore_limit(hl->max_handles, cmd->max_handles,
			     REFSTORE_MAX_HANDLES, raise, &handles) ?:
	      refstore_limit(hl->max_events, cmd->max_events,
			     REFSTORE_MAX_EVENTS, raise, &events);
	if (ret)
		goto out_unlock;
	hl->max_objects = objects;
	hl->max_bytes = bytes;
	hl->max_payload = payload;
	hl->max_slots = slots;
	hl->max_handles = handles;
	refstore_event_set_max(heap, events);
out_unlock:
	mutex_unlock(&heap->lock);
	return ret;
}

static int refstore_ioc_heap_stats(struct refstore_ucmd *ucmd)
{
	struct refstore_heap_stats *cmd = ucmd->cmd;
	struct refstore_heap *heap = ucmd->heap;
	struct refstore_event_counts ev;

	if (cmd->flags || cmd->__reserved)
		return -EINVAL;

	if (mutex_lock_killable(&heap->lock))
		return -EINTR;
	cmd->heap_id = heap->id;
	cmd->objects = heap->nr_objects;
	cmd->bytes = heap->nr_bytes;
	cmd->handles = heap->nr_handles;
	cmd->weak_handles = heap->nr_weak;
	cmd->created = heap->created;
	cmd->freed = heap->freed;
	refstore_event_counts(heap, &ev);
	cmd->events_queued = ev.queued;
	cmd->events_dropped = ev.dropped;
	cmd->events_pending = ev.pending;
	mutex_unlock(&heap->lock);

	return refstore_respond(ucmd, sizeof(*cmd));
}

/**
 * struct refstore_ioctl_op - one command of the table
 * @size: sizeof() the structure, as this module knows it
 * @min_size: size of the structure's first version
 * @ioctl_num: the command number, checked in full but for its size bits
 *	(the structure's @size member is authoritative for its length)
 * @execute: the command; called without locks
 */
struct refstore_ioctl_op {
	unsigned int size;
	unsigned int min_size;
	unsigned int ioctl_num;
	int (*execute)(struct refstore_ucmd *ucmd);
};

#define REFSTORE_IOCTL_OP(_ioctl, _fn, _struct, _last)			\
	[_IOC_NR(_ioctl)] = {						\
		.size = sizeof(struct _struct) +			\
			BUILD_BUG_ON_ZERO(sizeof(union refstore_ioctl_buf) < \
					  sizeof(struct _struct)),	\
		.min_size = offsetofend(struct _struct, _last),		\
		.ioctl_num = _ioctl,					\
		.execute = _fn,						\
	}

static const struct refstore_ioctl_op refstore_ioctl_ops[] = {
	REFSTORE_IOCTL_OP(REFSTORE_IOC_VERSION, refstore_ioc_version,
			  refstore_version, features),
	REFSTORE_IOCTL_OP(REFSTORE_IOC_CREATE, refstore_ioc_create,
			  refstore_create, id),
	REFSTORE_IOCTL_OP(REFSTORE_IOC_DUP, refstore_ioc_dup,
			  refstore_dup, new_handle),
	REFSTORE_IOCTL_OP(REFSTORE_IOC_CLOSE, refstore_ioc_close,
			  refstore_close, __reserved),
	REFSTORE_IOCTL_OP(REFSTORE_IOC_SET_SLOT, refstore_ioc_set_slot,
			  refstore_set_slot, __reserved),
	REFSTORE_IOCTL_OP(REFSTORE_IOC_GET_SLOT, refstore_ioc_get_slot,
			  refstore_get_slot, target_id),
	REFSTORE_IOCTL_OP(REFSTORE_IOC_WRITE, refstore_ioc_write,
			  refstore_rw, data),
	REFSTORE_IOCTL_OP(REFSTORE_IOC_READ, refstore_ioc_read,
			  refstore_rw, data),
	REFSTORE_IOCTL_OP(REFSTORE_IOC_INFO, refstore_ioc_info,
			  refstore_info, creator_pid),
	REFSTORE_IOCTL_OP(REFSTORE_IOC_WEAKREF, refstore_ioc_weakref,
			  refstore_weakref, weak),
	REFSTORE_IOCTL_OP(REFSTORE_IOC_UPGRADE, refstore_ioc_upgrade,
			  refstore_upgrade, handle),
	REFSTORE_IOCTL_OP(REFSTORE_IOC_GET_LIMITS, refstore_ioc_get_limits,
			  refstore_limits, __reserved),
	REFSTORE_IOCTL_OP(REFSTORE_IOC_SET_LIMITS, refstore_ioc_set_limits,
			  refstore_limits, __reserved),
	REFSTORE_IOCTL_OP(REFSTORE_IOC_HEAP_STATS, refstore_ioc_heap_stats,
			  refstore_heap_stats, __reserved),
	REFSTORE_IOCTL_OP(REFSTORE_IOC_WEAKREF_COUNT, refstore_ioc_weakref_count,
			  refstore_weakref_count, weak_slots),
	REFSTORE_IOCTL_OP(REFSTORE_IOC_WEAKREFS, refstore_ioc_weakrefs,
			  refstore_weakrefs, total),
	REFSTORE_IOCTL_OP(REFSTORE_IOC_GC_COLLECT, refstore_ioc_gc_collect,
			  refstore_gc_collect, examined),
	REFSTORE_IOCTL_OP(REFSTORE_IOC_GC_ENABLE, refstore_ioc_gc_enable,
			  refstore_gc_value, value),
	REFSTORE_IOCTL_OP(REFSTORE_IOC_GC_DISABLE, refstore_ioc_gc_disable,
			  refstore_gc_value, value),
	REFSTORE_IOCTL_OP(REFSTORE_IOC_GC_ISENABLED, refstore_ioc_gc_isenabled,
			  refstore_gc_value, value),
	REFSTORE_IOCTL_OP(REFSTORE_IOC_GC_SET_THRESHOLD,
			  refstore_ioc_gc_set_threshold,
			  refstore_gc_threshold, __reserved),
	REFSTORE_IOCTL_OP(REFSTORE_IOC_GC_GET_THRESHOLD,
			  refstore_ioc_gc_get_threshold,
			  refstore_gc_threshold, __reserved),
	REFSTORE_IOCTL_OP(REFSTORE_IOC_GC_GET_COUNT, refstore_ioc_gc_get_count,
			  refstore_gc_count, count),
	REFSTORE_IOCTL_OP(REFSTORE_IOC_GC_GET_STATS, refstore_ioc_gc_get_stats,
			  refstore_gc_stats, garbage),
	REFSTORE_IOCTL_OP(REFSTORE_IOC_GC_FREEZE, refstore_ioc_gc_freeze,
			  refstore_gc_value, value),
	REFSTORE_IOCTL_OP(REFSTORE_IOC_GC_UNFREEZE, refstore_ioc_gc_unfreeze,
			  refstore_gc_value, value),
	REFSTORE_IOCTL_OP(REFSTORE_IOC_GC_GET_FREEZE_COUNT,
			  refstore_ioc_gc_get_freeze_count,
			  refstore_gc_value, value),
	REFSTORE_IOCTL_OP(REFSTORE_IOC_GC_SET_DEBUG, refstore_ioc_gc_set_debug,
			  refstore_gc_value, value),
	REFSTORE_IOCTL_OP(REFSTORE_IOC_GC_GET_DEBUG, refstore_ioc_gc_get_debug,
			  refstore_gc_value, value),
	REFSTORE_IOCTL_OP(REFSTORE_IOC_GC_GARBAGE, refstore_ioc_gc_garbage,
			  refstore_gc_garbage, total),
	REFSTORE_IOCTL_OP(REFSTORE_IOC_GC_CLEAR_GARBAGE,
			  refstore_ioc_gc_clear_garbage,
			  refstore_gc_value, value),
	REFSTORE_IOCTL_OP(REFSTORE_IOC_GC_SET_DELAY, refstore_ioc_gc_set_delay,
			  refstore_gc_value, value),
	REFSTORE_IOCTL_OP(REFSTORE_IOC_GC_GET_DELAY, refstore_ioc_gc_get_delay,
			  refstore_gc_value, value),
	REFSTORE_IOCTL_OP(REFSTORE_IOC_TRACED_MEMORY, refstore_ioc_traced_memory,
			  refstore_traced_memory, peak_bytes),
	REFSTORE_IOCTL_OP(REFSTORE_IOC_TAG_NAME, refstore_ioc_tag_name,
			  refstore_tag_name, __reserved),
	REFSTORE_IOCTL_OP(REFSTORE_IOC_SNAPSHOT, refstore_ioc_snapshot,
			  refstore_snapshot, peak_bytes),
	REFSTORE_IOCTL_OP(REFSTORE_IOC_OBJECTS, refstore_ioc_objects,
			  refstore_objects, total),
	REFSTORE_IOCTL_OP(REFSTORE_IOC_REFERENTS, refstore_ioc_referents,
			  refstore_referents, nslots),
	REFSTORE_IOCTL_OP(REFSTORE_IOC_REFERRERS, refstore_ioc_referrers,
			  refstore_referrers, total),
	REFSTORE_IOCTL_OP(REFSTORE_IOC_ID_HANDLE, refstore_ioc_id_handle,
			  refstore_id_handle, __reserved),
};

/* The command number without its size bits. */
#define REFSTORE_IOC_NOSIZE(_cmd) ((_cmd) & ~(_IOC_SIZEMASK << _IOC_SIZESHIFT))

long refstore_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	union refstore_ioctl_buf buf;
	struct refstore_ucmd ucmd = {
		.heap = file->private_data,
		.ubuffer = (void __user *)arg,
		.cmd = &buf,
	};
	const struct refstore_ioctl_op *op;
	unsigned int nr = _IOC_NR(cmd);
	int ret;

	if (nr >= ARRAY_SIZE(refstore_ioctl_ops))
		return -ENOTTY;
	op = &refstore_ioctl_ops[array_index_nospec(nr,
						    ARRAY_SIZE(refstore_ioctl_ops))];
	if (!op->execute ||
	    REFSTORE_IOC_NOSIZE(op->ioctl_num) != REFSTORE_IOC_NOSIZE(cmd))
		return -ENOTTY;

	if (get_user(ucmd.user_size, (u32 __user *)ucmd.ubuffer))
		return -EFAULT;
	if (ucmd.user_size < op->min_size)
		return -EINVAL;
	/* Like clone3 and openat2: a structure never outgrows a page. */
	if (ucmd.user_size > PAGE_SIZE)
		return -E2BIG;
	ret = copy_struct_from_user(&buf, op->size, ucmd.ubuffer,
				    ucmd.user_size);
	if (ret)
		return ret;
	return op->execute(&ucmd);
}
