// SPDX-License-Identifier: GPL-2.0
/*
 * refstore inspection: OBJECTS, REFERENTS, REFERRERS and ID_HANDLE, as
 * Python's gc.get_objects(), gc.get_referents() and gc.get_referrers().
 *
 * Nothing here makes a handle or moves a count but ID_HANDLE. The heap
 * keeps no index by id (CREATE would pay for it), so every call walks the
 * heap's objects under its lock, rescheduling as it goes; the results are
 * gathered into a kernel buffer there and copied out after the lock is
 * dropped, like every command.
 */
#include <linux/nospec.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>

#include "refstore_private.h"

static bool refstore_visit_list(struct refstore_heap *heap,
				struct list_head *list, refstore_visit_t visit,
				void *arg, u32 *n)
{
	struct refstore_obj *obj;

	list_for_each_entry(obj, list, node) {
		if (!(++*n % 256))
			cond_resched();
		if (!kref_read(&obj->kref))
			continue;
		if (!visit(heap, obj, arg))
			return false;
	}
	return true;
}

/**
 * refstore_walk_objs() - visit every object of a heap with references
 * @heap: the heap, locked
 * @visit: called for each; returns false to stop the walk
 * @arg: passed to @visit
 *
 * Wherever the object is: the graph's lists and those of collections
 * between their scan and their end. Reschedules as it goes.
 */
void refstore_walk_objs(struct refstore_heap *heap, refstore_visit_t visit,
			void *arg)
{
	struct refstore_graph *g = &heap->graph;
	struct refstore_collection *coll;
	u32 n = 0, gen;

	lockdep_assert_held(&heap->lock);
	if (!refstore_visit_list(heap, &g->objects, visit, arg, &n))
		return;
	for (gen = 0; gen < REFSTORE_NR_GENS; gen++)
		if (!refstore_visit_list(heap, &g->suspects[gen], visit, arg,
					 &n))
			return;
	if (!refstore_visit_list(heap, &g->garbage, visit, arg, &n))
		return;
	list_for_each_entry(coll, &g->staged, link) {
		if (!refstore_visit_list(heap, &coll->unreachable, visit, arg,
					 &n) ||
		    !refstore_visit_list(heap, &coll->survivors, visit, arg, &n))
			return;
	}
}

struct refstore_find {
	u64 id;
	struct refstore_obj *obj;
};

static bool refstore_find_visit(struct refstore_heap *heap,
				struct refstore_obj *obj, void *arg)
{
	struct refstore_find *f = arg;

	if (obj->id != f->id)
		return true;
	f->obj = obj;
	return false;
}

/* The live object of @id, or NULL. O(objects). */
static struct refstore_obj *refstore_obj_by_id(struct refstore_heap *heap,
					       u64 id)
{
	struct refstore_find f = { .id = id };

	if (id && id <= heap->last_obj_id)
		refstore_walk_objs(heap, refstore_find_visit, &f);
	return f.obj;
}

/**
 * refstore_obj_generation() - an object's generation, even while scanned
 * @heap: the heap, locked
 * @obj: the object
 *
 * Return: 0..2, or REFSTORE_GEN_FROZEN.
 */
u32 refstore_obj_generation(struct refstore_heap *heap,
			    const struct refstore_obj *obj)
{
	/* In a scan, gc_refs overlays the stamp: the recorded generation. */
	if (obj->flags & REFSTORE_OF_SCANNED)
		return min_t(u32, obj->gen, REFSTORE_GEN_FROZEN);
	return refstore_obj_gen(&heap->graph, obj);
}

/**
 * refstore_object_info_fill() - copy what OBJECTS and debugfs show of an object
 * @heap: the heap, locked
 * @obj: the object
 * @oi: out: its OBJECTS entry
 * @comm: out, if not NULL: its creator's command name, TASK_COMM_LEN bytes
 *	("?" if unknown)
 */
void refstore_object_info_fill(struct refstore_heap *heap,
			       struct refstore_obj *obj,
			       struct refstore_object_info *oi, char *comm)
{
	const struct refstore_creator *c = refstore_heap_creator_of(heap, obj);

	lockdep_assert_held(&heap->lock);
	*oi = (struct refstore_object_info){
		.id = obj->id,
		.tag = obj->tag,
		.refcount = refstore_obj_count(obj),
		.payload_size = obj->payload_size,
		.nslots = obj->nslots,
		.generation = refstore_obj_generation(heap, obj),
		.creator_pid = c ? c->pid : 0,
		.bytes = refstore_obj_charge(obj),
	};
	if (obj->flags & REFSTORE_OF_NOTIFY)
		oi->obj_flags |= REFSTORE_OBJ_NOTIFY;
	if (obj->flags & REFSTORE_OF_WEAKREFS)
		oi->obj_flags |= REFSTORE_OBJ_WEAKREFS;
	if (oi->generation == REFSTORE_GEN_FROZEN)
		oi->obj_flags |= REFSTORE_OBJ_FROZEN;
	if (obj->flags & REFSTORE_OF_GARBAGE)
		oi->obj_flags |= REFSTORE_OBJ_GARBAGE;
	if (obj->flags & REFSTORE_OF_SUSPECT)
		oi->obj_flags |= REFSTORE_OBJ_SUSPECT;
	if (refstore_obj_collecting(obj))
		oi->obj_flags |= REFSTORE_OBJ_COLLECTING;
	if (comm)
		strscpy(comm, c ? c->comm : "?", TASK_COMM_LEN);
}

/**
 * refstore_smallest_add() - offer an entry to a selection of the smallest
 * @s: the selection: @s->n of @s->cap entries kept as a max-heap under
 *	@s->cmp (the largest kept at @s->v), sorted with sort() when done
 * @e: the entry offered; @s->cmp reads only its key
 *
 * Keeps the @s->cap smallest entries offered (the keys are distinct): a
 * walk offers every candidate, each in O(log cap) and without copying
 * more than its key unless it is kept.
 *
 * Return: where @e was copied, for the caller to fill in the rest, or
 * NULL if it is not among the smallest.
 */
void *refstore_smallest_add(struct refstore_smallest *s, const void *e)
{
	size_t sz = s->size;
	u8 *v = s->v;
	u32 i, c;

	if (s->n == s->cap) {
		if (!s->cap || s->cmp(e, v) > 0)
			return NULL;
		/* @e replaces the largest: move the hole down from the root. */
		for (i = 0; (c = 2 * i + 1) < s->n; i = c) {
			if (c + 1 < s->n && s->cmp(v + (c + 1) * sz, v + c * sz) > 0)
				c++;
			if (s->cmp(v + c * sz, e) <= 0)
				break;
			memcpy(v + i * sz, v + c * sz, sz);
		}
	} else {
		/* A new leaf: move the hole up past smaller parents. */
		for (i = s->n++; i && s->cmp(v + (i - 1) / 2 * sz, e) < 0;
		     i = (i - 1) / 2)
			memcpy(v + i * sz, v + (i - 1) / 2 * sz, sz);
	}
	memcpy(v + i * sz, e, sz);
	return v + i * sz;
}

/* OBJECTS gathers the @cap smallest ids >= @from, then sorts them. */
struct refstore_objects_walk {
	struct refstore_smallest sel;
	u64 from;
	bool by_gen;
	u32 gen;
	u64 total;
};

static bool refstore_objects_visit(struct refstore_heap *heap,
				   struct refstore_obj *obj, void *arg)
{
	struct refstore_objects_walk *w = arg;
	struct refstore_object_info key = { .id = obj->id }, *oi;

	w->total++;
	if (obj->id < w->from)
		return true;
	if (w->by_gen && refstore_obj_generation(heap, obj) != w->gen)
		return true;
	oi = refstore_smallest_add(&w->sel, &key);
	if (oi)
		refstore_object_info_fill(heap, obj, oi, NULL);
	return true;
}

static int refstore_object_info_cmp(const void *a, const void *b)
{
	const struct refstore_object_info *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

int refstore_ioc_objects(struct refstore_ucmd *ucmd)
{
	struct refstore_objects *cmd = ucmd->cmd;
	struct refstore_heap *heap = ucmd->heap;
	struct refstore_objects_walk w = {
		.sel = {
			.cap = min_t(u32, cmd->capacity, REFSTORE_SNAPSHOT_MAX),
			.size = sizeof(struct refstore_object_info),
			.cmp = refstore_object_info_cmp,
		},
		.from = cmd->cursor,
		.by_gen = cmd->flags & REFSTORE_OBJECTS_GENERATION,
		.gen = cmd->generation,
	};
	struct refstore_object_info *v = NULL;
	size_t esize = cmd->entry_size;
	u32 n;
	u64 last;
	int ret;

	if (cmd->flags & ~REFSTORE_OBJECTS_GENERATION)
		return -EINVAL;
	if (w.by_gen ? cmd->generation > REFSTORE_GEN_FROZEN : cmd->generation)
		return -EINVAL;
	if (esize < sizeof(*v) || esize % 8 || esize > PAGE_SIZE)
		return -EINVAL;
	if (w.sel.cap) {
		v = refstore_fault() ? NULL :
		    kvcalloc(w.sel.cap, sizeof(*v), REFSTORE_GFP);
		if (!v)
			return -ENOMEM;
		w.sel.v = v;
	}

	if (mutex_lock_killable(&heap->lock)) {
		ret = -EINTR;
		goto out_free;
	}
	refstore_walk_objs(heap, refstore_objects_visit, &w);
	last = heap->last_obj_id;
	mutex_unlock(&heap->lock);

	n = w.sel.n;
	sort(v, n, sizeof(*v), refstore_object_info_cmp, NULL);
	cmd->count = n;
	cmd->total = w.total;
	/* A full page ends at its last id; a short one at the end. */
	if (n && n == w.sel.cap)
		cmd->cursor = v[n - 1].id + 1;
	else
		cmd->cursor = max(cmd->cursor, last + 1);
	ret = refstore_copy_entries(u64_to_user_ptr(cmd->entries), v, n,
				    sizeof(*v), esize) ?:
	      refstore_respond(ucmd, sizeof(*cmd));
out_free:
	kvfree(v);
	return ret;
}

/**
 * refstore_referent() - one REFERENTS entry: what a slot points at
 * @slot: the slot's content
 * @fl: NULL, or out: the slot's REFSTORE_SLOT_* bits
 *
 * Return: the target's id; 0 for an empty slot, and for a weak one unless
 * @fl is wanted (then a live target's id, 0 and REFSTORE_SLOT_DEAD for a
 * dead one).
 */
u64 refstore_referent(struct refstore_obj *slot, u32 *fl)
{
	struct refstore_obj *t;

	if (fl)
		*fl = 0;
	if (!refstore_slot_is_weak(slot))
		return slot ? slot->id : 0;
	/* a weak slot is no edge: 0, as an empty one, unless asked for */
	if (!fl)
		return 0;
	*fl = REFSTORE_SLOT_WEAK;
	t = refstore_slot_weak(slot)->obj;
	/* Dead, or garbage a pending GC_COLLECT found: as GET_SLOT. */
	if (!t || refstore_obj_collecting(t)) {
		*fl |= REFSTORE_SLOT_DEAD;
		return 0;
	}
	return t->id;
}

int refstore_ioc_referents(struct refstore_ucmd *ucmd)
{
	struct refstore_referents *cmd = ucmd->cmd;
	struct refstore_heap *heap = ucmd->heap;
	bool want_flags = cmd->slot_flags;
	size_t esize = sizeof(u64) + (want_flags ? sizeof(u32) : 0);
	struct refstore_obj *obj;
	u64 *ids = NULL;
	u32 *fl = NULL;
	u32 n, i;
	int ret = 0;

	if (cmd->flags)
		return -EINVAL;
	if (mutex_lock_killable(&heap->lock))
		return -EINTR;
	obj = refstore_obj_by_id(heap, cmd->id);
	if (!obj) {
		ret = -ENOENT;
		goto out_unlock;
	}
	cmd->nslots = obj->nslots;
	/* Sized by the object's slots, which its charge paid for. */
	n = min_t(u32, cmd->capacity, obj->nslots);
	if (n) {
		/* @ids, then (if wanted) the flags: one buffer */
		ids = refstore_fault() ? NULL :
		      kvcalloc(n, esize, REFSTORE_GFP);
		if (!ids) {
			ret = -ENOMEM;
			goto out_unlock;
		}
		if (want_flags)
			fl = (u32 *)(ids + n);
	}
	for (i = 0; i < n; i++)
		ids[i] = refstore_referent(refstore_obj_slots(obj)[i],
					   fl ? &fl[i] : NULL);
	mutex_unlock(&heap->lock);

	if (n && (refstore_fault() ||
		  copy_to_user(u64_to_user_ptr(cmd->ids), ids,
			       n * sizeof(*ids))))
		ret = -EFAULT;
	else if (n && fl && (refstore_fault() ||
			     copy_to_user(u64_to_user_ptr(cmd->slot_flags), fl,
					  n * sizeof(*fl))))
		ret = -EFAULT;
	else
		ret = refstore_respond(ucmd, sizeof(*cmd));
	kvfree(ids);
	return ret;

out_unlock:
	mutex_unlock(&heap->lock);
	return ret;
}

struct refstore_referrers_walk {
	struct refstore_obj *target;
	struct refstore_referrer *v;
	u32 n;
	u32 cap;
	u64 skip;
	u64 total;
};

static bool refstore_referrers_visit(struct refstore_heap *heap,
				     struct refstore_obj *obj, void *arg)
{
	struct refstore_referrers_walk *w = arg;
	u32 i;

	for (i = 0; i < obj->nslots; i++) {
		if (refstore_obj_slots(obj)[i] != w->target)
			continue;
		if (w->total++ < w->skip || w->n == w->cap)
			continue;
		w->v[w->n].id = obj->id;
		w->v[w->n].slot = i;
		w->n++;
	}
	return true;
}

int refstore_ioc_referrers(struct refstore_ucmd *ucmd)
{
	struct refstore_referrers *cmd = ucmd->cmd;
	struct refstore_heap *heap = ucmd->heap;
	struct refstore_referrers_walk w = {
		.cap = min_t(u32, cmd->capacity, REFSTORE_SNAPSHOT_MAX),
		.skip = cmd->cursor,
	};
	int ret = 0;

	if (cmd->flags)
		return -EINVAL;
	if (w.cap) {
		w.v = refstore_fault() ? NULL :
		      kvcalloc(w.cap, sizeof(*w.v), REFSTORE_GFP);
		if (!w.v)
			return -ENOMEM;
	}

	if (mutex_lock_killable(&heap->lock)) {
		ret = -EINTR;
		goto out_free;
	}
	w.target = refstore_obj_by_id(heap, cmd->id);
	if (!w.target) {
		mutex_unlock(&heap->lock);
		ret = -ENOENT;
		goto out_free;
	}
	refstore_walk_objs(heap, refstore_referrers_visit, &w);
	mutex_unlock(&heap->lock);

	cmd->count = w.n;
	cmd->total = w.total;
	cmd->cursor += w.n;
	if (w.n && (refstore_fault() ||
		    copy_to_user(u64_to_user_ptr(cmd->entries), w.v,
				 w.n * sizeof(*w.v))))
		ret = -EFAULT;
	else
		ret = refstore_respond(ucmd, sizeof(*cmd));
out_free:
	kvfree(w.v);
	return ret;
}

int refstore_ioc_id_handle(struct refstore_ucmd *ucmd)
{
	struct refstore_id_handle *cmd = ucmd->cmd;
	struct refstore_heap *heap = ucmd->heap;
	struct refstore_obj *obj;

	if (cmd->flags || cmd->__reserved)
		return -EINVAL;

	if (mutex_lock_killable(&heap->lock))
		return -EINTR;
	obj = refstore_obj_by_id(heap, cmd->id);
	/* As UPGRADE: what a pending collection found is dead already. */
	if (!obj || refstore_obj_collecting(obj)) {
		mutex_unlock(&heap->lock);
		return -ENOENT;
	}
	return refstore_handle_for_obj(ucmd, sizeof(*cmd), &cmd->handle, obj);
}
