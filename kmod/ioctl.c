// SPDX-License-Identifier: GPL-2.0
/*
 * refstore ioctls: a table of commands, each with the kernel's size of its
 * structure and the size of that structure's first version.
 *
 * The dispatcher reads the caller's size, copies the structure in with
 * copy_struct_from_user() (zero-extending an older caller's structure,
 * refusing a newer caller's non-zero tail), runs the command under the
 * heap's lock and copies the structure back up to the caller's size. A
 * command that made a new handle has it closed again if that copy fails,
 * so a failed call leaves the heap as it was.
 */
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/nospec.h>
#include <linux/overflow.h>
#include <linux/stddef.h>
#include <linux/uaccess.h>

#include "refstore_private.h"

#define REFSTORE_FEATURES (REFSTORE_FEAT_OBJECTS | REFSTORE_FEAT_SLOTS | \
			   REFSTORE_FEAT_PAYLOAD | REFSTORE_FEAT_WEAK | \
			   REFSTORE_FEAT_EVENTS | REFSTORE_FEAT_LIMITS | \
			   REFSTORE_FEAT_HEAP_STATS | REFSTORE_FEAT_GC)

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
	struct refstore_limits limits;
	struct refstore_heap_stats heap_stats;
	struct refstore_gc_collect gc_collect;
	struct refstore_gc_value gc_value;
	struct refstore_gc_threshold gc_threshold;
	struct refstore_gc_count gc_count;
	struct refstore_gc_stats gc_stats;
	struct refstore_gc_garbage gc_garbage;
};

/**
 * struct refstore_ioctl_op - one command of the table
 * @size: sizeof() the structure, as this module knows it
 * @min_size: size of the structure's first version
 * @execute: runs a one-phase command; called without locks
 * @prepare: runs a two-phase command up to its commit, with the heap
 *	locked, and fills in its results
 * @finish: commits a two-phase command once its results reached
 *	userspace, or undoes @prepare if they could not be copied out
 * @new_handle: if the command returns a handle, where it is in the struct
 *	(offset + 1; 0 for none), so it can be closed if the copy-out fails
 * @no_output: the command returns nothing: no copy-out, so once it has
 *	taken effect it cannot fail
 *
 * A failed call changes nothing: commands that only take input never copy
 * out; commands whose only effect is a new handle close it if the copy
 * fails; the others are two-phase.
 */
struct refstore_ioctl_op {
	unsigned int size;
	unsigned int min_size;
	int (*execute)(struct refstore_heap *heap, void *arg);
	int (*prepare)(struct refstore_heap *heap, void *arg,
		       struct refstore_ioctl_txn *txn);
	void (*finish)(struct refstore_heap *heap, void *arg,
		       struct refstore_ioctl_txn *txn, bool commit);
	unsigned int new_handle;
	bool no_output;
};

static int refstore_ioc_version(struct refstore_heap *heap, void *arg)
{
	struct refstore_version *v = arg;

	if (v->flags || v->__reserved)
		return -EINVAL;
	v->version = REFSTORE_UAPI_VERSION;
	v->features = REFSTORE_FEATURES;
	return 0;
}

static int refstore_ioc_create(struct refstore_heap *heap, void *arg)
{
	struct refstore_create *c = arg;
	struct refstore_obj *obj;
	u32 handle;
	int ret;

	if (c->flags & ~REFSTORE_CREATE_FLAGS || c->__reserved)
		return -EINVAL;
	if (c->cookie && !(c->flags & REFSTORE_CREATE_NOTIFY))
		return -EINVAL;

	mutex_lock(&heap->lock);
	obj = refstore_obj_alloc(heap, c);
	if (IS_ERR(obj)) {
		ret = PTR_ERR(obj);
		goto out_unlock;
	}
	ret = refstore_handle_new(heap, obj, &handle);
	if (ret) {
		refstore_obj_free_unused(heap, obj);
		goto out_unlock;
	}
	c->handle = handle;
	c->id = obj->id;
	refstore_gc_maybe_kick(heap);
out_unlock:
	mutex_unlock(&heap->lock);
	return ret;
}

static int refstore_ioc_dup(struct refstore_heap *heap, void *arg)
{
	struct refstore_dup *d = arg;
	struct refstore_obj *obj;
	int ret;

	if (d->flags)
		return -EINVAL;

	mutex_lock(&heap->lock);
	obj = refstore_handle_obj(heap, d->handle);
	if (IS_ERR(obj)) {
		ret = PTR_ERR(obj);
		goto out_unlock;
	}
	ret = refstore_handle_new(heap, obj, &d->new_handle);
	if (!ret)
		refstore_obj_get(obj);
out_unlock:
	mutex_unlock(&heap->lock);
	return ret;
}

static int refstore_ioc_close(struct refstore_heap *heap, void *arg)
{
	struct refstore_close *c = arg;
	int ret;

	if (c->flags || c->__reserved)
		return -EINVAL;

	mutex_lock(&heap->lock);
	ret = refstore_handle_close(heap, c->handle);
	mutex_unlock(&heap->lock);
	return ret;
}

static int refstore_ioc_set_slot(struct refstore_heap *heap, void *arg)
{
	struct refstore_set_slot *s = arg;
	struct refstore_obj *obj, *target = NULL, **slots;
	struct refstore_obj *old;
	int ret = 0;

	if (s->flags || s->__reserved)
		return -EINVAL;

	mutex_lock(&heap->lock);
	obj = refstore_handle_obj(heap, s->handle);
	if (IS_ERR(obj)) {
		ret = PTR_ERR(obj);
		goto out_unlock;
	}
	if (s->target) {
		target = refstore_handle_obj(heap, s->target);
		if (IS_ERR(target)) {
			ret = PTR_ERR(target);
			goto out_unlock;
		}
	}
	if (s->slot >= obj->nslots) {
		ret = -EINVAL;
		goto out_unlock;
	}

	slots = refstore_obj_slots(obj);
	if (target)
		refstore_obj_get(target);
	old = slots[array_index_nospec(s->slot, obj->nslots)];
	slots[array_index_nospec(s->slot, obj->nslots)] = target;
	if (old)
		refstore_obj_put_reap(heap, old);
out_unlock:
	mutex_unlock(&heap->lock);
	return ret;
}

static int refstore_ioc_get_slot(struct refstore_heap *heap, void *arg)
{
	struct refstore_get_slot *g = arg;
	struct refstore_obj *obj, *target;
	int ret = 0;

	if (g->flags || g->__reserved)
		return -EINVAL;
	g->target = 0;
	g->target_id = 0;

	mutex_lock(&heap->lock);
	obj = refstore_handle_obj(heap, g->handle);
	if (IS_ERR(obj)) {
		ret = PTR_ERR(obj);
		goto out_unlock;
	}
	if (g->slot >= obj->nslots) {
		ret = -EINVAL;
		goto out_unlock;
	}
	target = refstore_obj_slots(obj)[array_index_nospec(g->slot,
							    obj->nslots)];
	if (!target)
		goto out_unlock;

	ret = refstore_handle_new(heap, target, &g->target);
	if (ret)
		goto out_unlock;
	refstore_obj_get(target);
	g->target_id = target->id;
out_unlock:
	mutex_unlock(&heap->lock);
	return ret;
}

/*
 * Find a READ/WRITE's object and check the range against its payload; the
 * arguments passed refstore_rw_check(). Called with heap->lock held.
 */
static struct refstore_obj *refstore_rw_obj(struct refstore_heap *heap,
					    const struct refstore_rw *rw)
{
	struct refstore_obj *obj;

	obj = refstore_handle_obj(heap, rw->handle);
	if (IS_ERR(obj))
		return obj;
	if (rw->offset + rw->length > obj->payload_size)
		return ERR_PTR(-EINVAL);
	return obj;
}

/*
 * WRITE and READ move payload bytes through a bounce buffer, copied from or
 * to userspace outside the heap's lock: no page fault is taken with the
 * lock held, so a fault stalled by userfaultfd (or a slow one) stalls only
 * the calling thread, never the heap; and a WRITE that faults changes
 * nothing. The buffer is allocated before the object is looked up, so
 * argument errors and ENOMEM come before ENOENT/EBADSLT; its size is
 * bounded by the module's max_payload and charged to the caller's memcg.
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

	mutex_lock(&heap->lock);
	obj = refstore_rw_obj(heap, rw);
	if (IS_ERR(obj)) {
		ret = PTR_ERR(obj);
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

static int refstore_ioc_write(struct refstore_heap *heap, void *arg)
{
	return refstore_rw_payload(heap, arg, true);
}

static int refstore_ioc_read(struct refstore_heap *heap, void *arg)
{
	return refstore_rw_payload(heap, arg, false);
}

static int refstore_ioc_info(struct refstore_heap *heap, void *arg)
{
	struct refstore_info *info = arg;
	const struct refstore_creator *c;
	struct refstore_obj *obj;
	u32 handle = info->handle;
	int ret = 0;

	if (info->flags)
		return -EINVAL;

	mutex_lock(&heap->lock);
	obj = refstore_handle_obj(heap, handle);
	if (IS_ERR(obj)) {
		ret = PTR_ERR(obj);
		goto out_unlock;
	}
	c = refstore_heap_creator_of(heap, obj);
	*info = (struct refstore_info){
		.size = info->size,
		.handle = handle,
	};
	info->refcount = refstore_obj_count(obj);
	info->id = obj->id;
	info->tag = obj->tag;
	info->payload_size = obj->payload_size;
	info->nslots = obj->nslots;
	if (obj->flags & REFSTORE_OF_NOTIFY)
		info->obj_flags |= REFSTORE_OBJ_NOTIFY;
	if (obj->flags & REFSTORE_OF_WEAKREFS)
		info->obj_flags |= REFSTORE_OBJ_WEAKREFS;
	info->creator_pid = c ? c->pid : 0;
out_unlock:
	mutex_unlock(&heap->lock);
	return ret;
}

static int refstore_ioc_weakref(struct refstore_heap *heap, void *arg)
{
	struct refstore_weakref *w = arg;
	struct refstore_obj *obj;
	int ret;

	if (w->flags)
		return -EINVAL;

	mutex_lock(&heap->lock);
	obj = refstore_handle_obj(heap, w->handle);
	if (IS_ERR(obj))
		ret = PTR_ERR(obj);
	else
		ret = refstore_handle_new_weak(heap, obj, &w->weak);
	mutex_unlock(&heap->lock);
	return ret;
}

static int refstore_ioc_upgrade(struct refstore_heap *heap, void *arg)
{
	struct refstore_upgrade *u = arg;
	struct refstore_weak *weak;
	int ret;

	if (u->flags)
		return -EINVAL;

	mutex_lock(&heap->lock);
	weak = refstore_handle_weak(heap, u->weak);
	if (IS_ERR(weak)) {
		ret = PTR_ERR(weak);
		goto out_unlock;
	}
	if (!weak->obj) {
		ret = -ENOENT;
		goto out_unlock;
	}
	ret = refstore_handle_new(heap, weak->obj, &u->handle);
	if (!ret)
		refstore_obj_get(weak->obj);
out_unlock:
	mutex_unlock(&heap->lock);
	return ret;
}

static int refstore_ioc_get_limits(struct refstore_heap *heap, void *arg)
{
	struct refstore_limits *l = arg;
	const struct refstore_obj_limits *hl = &heap->limits;

	if (l->flags || l->__reserved)
		return -EINVAL;

	mutex_lock(&heap->lock);
	l->max_objects = hl->max_objects;
	l->max_bytes = hl->max_bytes;
	l->max_payload = hl->max_payload;
	l->max_slots = hl->max_slots;
	l->max_handles = hl->max_handles;
	l->max_events = hl->max_events;
	mutex_unlock(&heap->lock);
	return 0;
}

/* Lower *@limit to @want; 0 keeps it. Return false if @want would raise it. */
static bool refstore_lower(u64 cur, u64 want, u64 *out)
{
	*out = want ? want : cur;
	return *out <= cur;
}

static int refstore_ioc_set_limits(struct refstore_heap *heap, void *arg)
{
	struct refstore_limits *l = arg;
	struct refstore_obj_limits *hl = &heap->limits;
	u64 objects, bytes, payload, slots, handles, events;
	int ret = 0;

	if (l->flags || l->__reserved)
		return -EINVAL;

	mutex_lock(&heap->lock);
	if (!refstore_lower(hl->max_objects, l->max_objects, &objects) ||
	    !refstore_lower(hl->max_bytes, l->max_bytes, &bytes) ||
	    !refstore_lower(hl->max_payload, l->max_payload, &payload) ||
	    !refstore_lower(hl->max_slots, l->max_slots, &slots) ||
	    !refstore_lower(hl->max_handles, l->max_handles, &handles) ||
	    !refstore_lower(hl->max_events, l->max_events, &events)) {
		ret = -EPERM;
		goto out_unlock;
	}
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

static int refstore_ioc_heap_stats(struct refstore_heap *heap, void *arg)
{
	struct refstore_heap_stats *s = arg;
	struct refstore_event_counts ev;

	if (s->flags || s->__reserved)
		return -EINVAL;

	mutex_lock(&heap->lock);
	s->heap_id = heap->id;
	s->objects = heap->nr_objects;
	s->bytes = heap->nr_bytes;
	s->handles = heap->nr_handles;
	s->weak_handles = heap->nr_weak;
	s->created = heap->created;
	s->freed = heap->freed;
	refstore_event_counts(heap, &ev);
	s->events_queued = ev.queued;
	s->events_dropped = ev.dropped;
	s->events_pending = ev.pending;
	mutex_unlock(&heap->lock);
	return 0;
}

#define REFSTORE_OP_SIZE(_ioc, _struct, _last)				\
	[_IOC_NR(_ioc)].size = sizeof(struct _struct),			\
	[_IOC_NR(_ioc)].min_size = offsetofend(struct _struct, _last)
/* A command that reports results (and may return a new handle). */
#define REFSTORE_OP(_ioc, _fn, _struct, _last, _handle)			\
	REFSTORE_OP_SIZE(_ioc, _struct, _last),				\
	[_IOC_NR(_ioc)].execute = _fn,					\
	[_IOC_NR(_ioc)].new_handle = _handle
/* A command that only takes input. */
#define REFSTORE_OP_IN(_ioc, _fn, _struct, _last)			\
	REFSTORE_OP_SIZE(_ioc, _struct, _last),				\
	[_IOC_NR(_ioc)].execute = _fn,					\
	[_IOC_NR(_ioc)].no_output = true
/* A command that commits only once its results reached userspace. */
#define REFSTORE_OP_TXN(_ioc, _name, _struct, _last)			\
	REFSTORE_OP_SIZE(_ioc, _struct, _last),				\
	[_IOC_NR(_ioc)].prepare = refstore_gc_##_name##_prepare,		\
	[_IOC_NR(_ioc)].finish = refstore_gc_##_name##_finish
#define REFSTORE_NEW_HANDLE(_struct, _field) \
	(offsetof(struct _struct, _field) + 1)

static const struct refstore_ioctl_op refstore_ioctl_ops[] = {
	REFSTORE_OP(REFSTORE_IOC_VERSION, refstore_ioc_version,
		    refstore_version, features, 0),
	REFSTORE_OP(REFSTORE_IOC_CREATE, refstore_ioc_create,
		    refstore_create, id,
		    REFSTORE_NEW_HANDLE(refstore_create, handle)),
	REFSTORE_OP(REFSTORE_IOC_DUP, refstore_ioc_dup,
		    refstore_dup, new_handle,
		    REFSTORE_NEW_HANDLE(refstore_dup, new_handle)),
	REFSTORE_OP_IN(REFSTORE_IOC_CLOSE, refstore_ioc_close,
		       refstore_close, __reserved),
	REFSTORE_OP_IN(REFSTORE_IOC_SET_SLOT, refstore_ioc_set_slot,
		       refstore_set_slot, __reserved),
	REFSTORE_OP(REFSTORE_IOC_GET_SLOT, refstore_ioc_get_slot,
		    refstore_get_slot, target_id,
		    REFSTORE_NEW_HANDLE(refstore_get_slot, target)),
	REFSTORE_OP_IN(REFSTORE_IOC_WRITE, refstore_ioc_write,
		       refstore_rw, data),
	REFSTORE_OP(REFSTORE_IOC_READ, refstore_ioc_read,
		    refstore_rw, data, 0),
	REFSTORE_OP(REFSTORE_IOC_INFO, refstore_ioc_info,
		    refstore_info, creator_pid, 0),
	REFSTORE_OP(REFSTORE_IOC_WEAKREF, refstore_ioc_weakref,
		    refstore_weakref, weak,
		    REFSTORE_NEW_HANDLE(refstore_weakref, weak)),
	REFSTORE_OP(REFSTORE_IOC_UPGRADE, refstore_ioc_upgrade,
		    refstore_upgrade, handle,
		    REFSTORE_NEW_HANDLE(refstore_upgrade, handle)),
	REFSTORE_OP(REFSTORE_IOC_GET_LIMITS, refstore_ioc_get_limits,
		    refstore_limits, __reserved, 0),
	REFSTORE_OP_IN(REFSTORE_IOC_SET_LIMITS, refstore_ioc_set_limits,
		       refstore_limits, __reserved),
	REFSTORE_OP(REFSTORE_IOC_HEAP_STATS, refstore_ioc_heap_stats,
		    refstore_heap_stats, __reserved, 0),
	REFSTORE_OP_TXN(REFSTORE_IOC_GC_COLLECT, collect,
			refstore_gc_collect, examined),
	REFSTORE_OP_TXN(REFSTORE_IOC_GC_ENABLE, enable,
			refstore_gc_value, value),
	REFSTORE_OP_TXN(REFSTORE_IOC_GC_DISABLE, disable,
			refstore_gc_value, value),
	REFSTORE_OP(REFSTORE_IOC_GC_ISENABLED, refstore_ioc_gc_isenabled,
		    refstore_gc_value, value, 0),
	REFSTORE_OP_IN(REFSTORE_IOC_GC_SET_THRESHOLD,
		       refstore_ioc_gc_set_threshold,
		       refstore_gc_threshold, __reserved),
	REFSTORE_OP(REFSTORE_IOC_GC_GET_THRESHOLD, refstore_ioc_gc_get_threshold,
		    refstore_gc_threshold, __reserved, 0),
	REFSTORE_OP(REFSTORE_IOC_GC_GET_COUNT, refstore_ioc_gc_get_count,
		    refstore_gc_count, count, 0),
	REFSTORE_OP(REFSTORE_IOC_GC_GET_STATS, refstore_ioc_gc_get_stats,
		    refstore_gc_stats, garbage, 0),
	REFSTORE_OP_TXN(REFSTORE_IOC_GC_FREEZE, freeze,
			refstore_gc_value, value),
	REFSTORE_OP_TXN(REFSTORE_IOC_GC_UNFREEZE, unfreeze,
			refstore_gc_value, value),
	REFSTORE_OP(REFSTORE_IOC_GC_GET_FREEZE_COUNT,
		    refstore_ioc_gc_get_freeze_count, refstore_gc_value, value, 0),
	REFSTORE_OP_IN(REFSTORE_IOC_GC_SET_DEBUG, refstore_ioc_gc_set_debug,
		       refstore_gc_value, value),
	REFSTORE_OP(REFSTORE_IOC_GC_GET_DEBUG, refstore_ioc_gc_get_debug,
		    refstore_gc_value, value, 0),
	REFSTORE_OP_TXN(REFSTORE_IOC_GC_GARBAGE, garbage,
			refstore_gc_garbage, total),
	REFSTORE_OP_TXN(REFSTORE_IOC_GC_CLEAR_GARBAGE, clear_garbage,
			refstore_gc_value, value),
};

/*
 * The copy-out failed: take back the handle the command made. An object
 * the command created and no one else has seen is unmade without a trace.
 */
static void refstore_ioctl_undo(struct refstore_heap *heap,
				const struct refstore_ioctl_op *op,
				union refstore_ioctl_buf *buf)
{
	u32 handle;

	if (!op->new_handle)
		return;
	memcpy(&handle, (u8 *)buf + op->new_handle - 1, sizeof(handle));
	if (!handle)
		return;
	mutex_lock(&heap->lock);
	refstore_handle_discard(heap, handle,
				op->execute == refstore_ioc_create);
	mutex_unlock(&heap->lock);
}

/*
 * Run a two-phase command: prepare, copy the results out, then commit, or
 * undo if the copy failed. The heap stays locked throughout, so no one sees
 * the prepared state; what the commit released is freed after unlocking.
 */
static int refstore_ioctl_txn(struct refstore_heap *heap,
			      const struct refstore_ioctl_op *op,
			      union refstore_ioctl_buf *buf, void __user *uarg,
			      u32 usize)
{
	struct refstore_ioctl_txn txn = {
		.to_free = LIST_HEAD_INIT(txn.to_free),
	};
	bool copied;
	int ret;

	if (mutex_lock_interruptible(&heap->lock))
		return -EINTR;
	ret = op->prepare(heap, buf, &txn);
	if (!ret) {
		copied = !refstore_fault() &&
			 !copy_to_user(uarg, buf, min_t(u32, usize, op->size));
		op->finish(heap, buf, &txn, copied);
		if (!copied)
			ret = -EFAULT;
	}
	mutex_unlock(&heap->lock);
	refstore_free_list(&heap->graph, &txn.to_free);
	return ret;
}

long refstore_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct refstore_heap *heap = file->private_data;
	void __user *uarg = (void __user *)arg;
	const struct refstore_ioctl_op *op;
	union refstore_ioctl_buf buf;
	unsigned int nr;
	u32 usize;
	int ret;

	if (_IOC_TYPE(cmd) != REFSTORE_IOC_MAGIC)
		return -ENOTTY;
	nr = _IOC_NR(cmd);
	if (nr >= ARRAY_SIZE(refstore_ioctl_ops))
		return -ENOTTY;
	op = &refstore_ioctl_ops[array_index_nospec(nr,
						    ARRAY_SIZE(refstore_ioctl_ops))];
	if (!op->execute && !op->prepare)
		return -ENOTTY;

	if (get_user(usize, (u32 __user *)uarg))
		return -EFAULT;
	if (usize < op->min_size)
		return -EINVAL;
	ret = copy_struct_from_user(&buf, op->size, uarg, usize);
	if (ret)
		return ret;

	if (op->prepare)
		return refstore_ioctl_txn(heap, op, &buf, uarg, usize);

	ret = op->execute(heap, &buf);
	if (ret || op->no_output)
		return ret;

	if (refstore_fault() ||
	    copy_to_user(uarg, &buf, min_t(u32, usize, op->size))) {
		refstore_ioctl_undo(heap, op, &buf);
		return -EFAULT;
	}
	return 0;
}
