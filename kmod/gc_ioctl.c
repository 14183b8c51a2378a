// SPDX-License-Identifier: GPL-2.0
/*
 * refstore collector controls: the REFSTORE_IOC_GC_* commands, named after
 * Python's gc module.
 *
 * Commands that change the heap and report a result run in two phases
 * (see ioctl.c): *_prepare() does the work that can be undone and fills in
 * the result, with the heap locked; the dispatcher copies the result out;
 * *_finish() then commits, or, if the copy failed, undoes, so a call that
 * returns EFAULT has changed nothing.
 */
#include <linux/uaccess.h>

#include "refstore_private.h"

/* Upper bound of a threshold, to keep counts far from overflowing. */
#define REFSTORE_GC_MAX_THRESHOLD 1000000

int refstore_gc_collect_prepare(struct refstore_heap *heap, void *arg,
				struct refstore_ioctl_txn *txn)
{
	struct refstore_gc_collect *c = arg;

	if (c->flags || c->__reserved || c->generation > REFSTORE_GEN_OLDEST)
		return -EINVAL;
	refstore_gc_scan_locked(heap, c->generation, false, &txn->run);
	c->unreachable = txn->run.res.unreachable;
	c->uncollectable = txn->run.res.uncollectable;
	c->examined = txn->run.res.examined;
	return 0;
}

void refstore_gc_collect_finish(struct refstore_heap *heap, void *arg,
				struct refstore_ioctl_txn *txn, bool commit)
{
	refstore_gc_finish_locked(heap, &txn->run, commit);
	list_splice_tail_init(&txn->run.to_free, &txn->to_free);
}

/* The GC_* value commands: flags and value must be 0 on input. */
static int refstore_gc_value_check(void *arg)
{
	struct refstore_gc_value *v = arg;

	return v->flags || v->value ? -EINVAL : 0;
}

/* ENABLE and DISABLE report what automatic collection was before. */
static int refstore_gc_enabled_prepare(struct refstore_heap *heap, void *arg)
{
	struct refstore_gc_value *v = arg;
	int ret = refstore_gc_value_check(arg);

	if (!ret)
		v->value = heap->graph.enabled;
	return ret;
}

int refstore_gc_enable_prepare(struct refstore_heap *heap, void *arg,
			       struct refstore_ioctl_txn *txn)
{
	return refstore_gc_enabled_prepare(heap, arg);
}

void refstore_gc_enable_finish(struct refstore_heap *heap, void *arg,
			       struct refstore_ioctl_txn *txn, bool commit)
{
	if (commit) {
		heap->graph.enabled = true;
		refstore_gc_maybe_kick(heap);
	}
}

int refstore_gc_disable_prepare(struct refstore_heap *heap, void *arg,
				struct refstore_ioctl_txn *txn)
{
	return refstore_gc_enabled_prepare(heap, arg);
}

void refstore_gc_disable_finish(struct refstore_heap *heap, void *arg,
				struct refstore_ioctl_txn *txn, bool commit)
{
	if (commit)
		heap->graph.enabled = false;
}

int refstore_gc_freeze_prepare(struct refstore_heap *heap, void *arg,
			       struct refstore_ioctl_txn *txn)
{
	struct refstore_gc_value *v = arg;
	int ret = refstore_gc_value_check(arg);

	/* Everything but the saved garbage will be frozen. */
	if (!ret)
		v->value = heap->nr_objects - heap->graph.nr_garbage;
	return ret;
}

void refstore_gc_freeze_finish(struct refstore_heap *heap, void *arg,
			       struct refstore_ioctl_txn *txn, bool commit)
{
	if (commit)
		refstore_freeze(&heap->graph);
}

int refstore_gc_unfreeze_prepare(struct refstore_heap *heap, void *arg,
				 struct refstore_ioctl_txn *txn)
{
	struct refstore_gc_value *v = arg;
	int ret = refstore_gc_value_check(arg);

	if (!ret)
		v->value = heap->graph.nr_frozen;
	return ret;
}

void refstore_gc_unfreeze_finish(struct refstore_heap *heap, void *arg,
				 struct refstore_ioctl_txn *txn, bool commit)
{
	if (commit)
		refstore_unfreeze(&heap->graph);
}

int refstore_gc_clear_garbage_prepare(struct refstore_heap *heap, void *arg,
				      struct refstore_ioctl_txn *txn)
{
	struct refstore_gc_value *v = arg;
	int ret = refstore_gc_value_check(arg);

	if (!ret)
		v->value = heap->graph.nr_garbage;
	return ret;
}

void refstore_gc_clear_garbage_finish(struct refstore_heap *heap, void *arg,
				      struct refstore_ioctl_txn *txn,
				      bool commit)
{
	if (commit)
		refstore_garbage_clear(&heap->graph);
}

int refstore_ioc_gc_isenabled(struct refstore_heap *heap, void *arg)
{
	struct refstore_gc_value *v = arg;

	if (v->flags || v->value)
		return -EINVAL;
	mutex_lock(&heap->lock);
	v->value = heap->graph.enabled;
	mutex_unlock(&heap->lock);
	return 0;
}

int refstore_ioc_gc_set_threshold(struct refstore_heap *heap, void *arg)
{
	struct refstore_gc_threshold *t = arg;
	int g;

	if (t->flags || t->__reserved)
		return -EINVAL;
	for (g = 0; g < REFSTORE_NR_GENS; g++) {
		if (t->threshold[g] > REFSTORE_GC_MAX_THRESHOLD)
			return -EINVAL;
	}
	mutex_lock(&heap->lock);
	for (g = 0; g < REFSTORE_NR_GENS; g++)
		heap->graph.threshold[g] = t->threshold[g];
	refstore_gc_maybe_kick(heap);
	mutex_unlock(&heap->lock);
	return 0;
}

int refstore_ioc_gc_get_threshold(struct refstore_heap *heap, void *arg)
{
	struct refstore_gc_threshold *t = arg;
	int g;

	if (t->flags || t->__reserved)
		return -EINVAL;
	mutex_lock(&heap->lock);
	for (g = 0; g < REFSTORE_NR_GENS; g++)
		t->threshold[g] = heap->graph.threshold[g];
	mutex_unlock(&heap->lock);
	return 0;
}

int refstore_ioc_gc_get_count(struct refstore_heap *heap, void *arg)
{
	struct refstore_gc_count *c = arg;
	int g;

	if (c->flags)
		return -EINVAL;
	mutex_lock(&heap->lock);
	for (g = 0; g < REFSTORE_NR_GENS; g++)
		c->count[g] = heap->graph.count[g];
	mutex_unlock(&heap->lock);
	return 0;
}

int refstore_ioc_gc_get_stats(struct refstore_heap *heap, void *arg)
{
	struct refstore_gc_stats *s = arg;
	int g;

	if (s->flags)
		return -EINVAL;
	mutex_lock(&heap->lock);
	for (g = 0; g < REFSTORE_NR_GENS; g++) {
		s->gen[g].collections = heap->graph.stats[g].collections;
		s->gen[g].collected = heap->graph.stats[g].collected;
		s->gen[g].uncollectable = heap->graph.stats[g].uncollectable;
	}
	s->pause_total_ns = heap->gc_pause_total;
	s->pause_max_ns = heap->gc_pause_max;
	s->examined = heap->graph.examined;
	s->automatic = heap->gc_automatic;
	s->garbage = heap->graph.nr_garbage;
	mutex_unlock(&heap->lock);
	return 0;
}

/* The GC_* commands that take no input and return one count. */
static int refstore_gc_value_op(struct refstore_heap *heap, void *arg,
				u64 (*op)(struct refstore_graph *graph))
{
	struct refstore_gc_value *v = arg;

	if (v->flags || v->value)
		return -EINVAL;
	mutex_lock(&heap->lock);
	v->value = op(&heap->graph);
	mutex_unlock(&heap->lock);
	return 0;
}

static u64 refstore_graph_freeze_count(struct refstore_graph *graph)
{
	return graph->nr_frozen;
}

static u64 refstore_graph_get_debug(struct refstore_graph *graph)
{
	return graph->debug;
}

int refstore_ioc_gc_get_freeze_count(struct refstore_heap *heap, void *arg)
{
	return refstore_gc_value_op(heap, arg, refstore_graph_freeze_count);
}

int refstore_ioc_gc_get_debug(struct refstore_heap *heap, void *arg)
{
	return refstore_gc_value_op(heap, arg, refstore_graph_get_debug);
}

int refstore_ioc_gc_set_debug(struct refstore_heap *heap, void *arg)
{
	struct refstore_gc_value *v = arg;

	if (v->flags || v->value & ~(u64)REFSTORE_GC_DEBUG_FLAGS)
		return -EINVAL;
	mutex_lock(&heap->lock);
	heap->graph.debug = v->value;
	mutex_unlock(&heap->lock);
	return 0;
}

/*
 * GC_GARBAGE: a new handle per saved object, gathered in a kernel array
 * and copied out; if that or the result's copy fails, every handle made by
 * the call is closed again from the array.
 */
int refstore_gc_garbage_prepare(struct refstore_heap *heap, void *arg,
				struct refstore_ioctl_txn *txn)
{
	struct refstore_gc_garbage *g = arg;
	struct refstore_obj *obj;
	u32 want, n = 0;
	int ret = 0;

	if (g->flags || g->count)
		return -EINVAL;

	g->total = heap->graph.nr_garbage;
	want = min_t(u64, g->capacity, heap->graph.nr_garbage);
	if (!want)
		return 0;

	txn->handles = refstore_fault() ? NULL :
		       kvmalloc_array(want, sizeof(u32), REFSTORE_GFP);
	if (!txn->handles)
		return -ENOMEM;
	list_for_each_entry(obj, &heap->graph.garbage, node) {
		if (n == want)
			break;
		ret = refstore_handle_new(heap, obj, &txn->handles[n]);
		if (ret)
			break;
		refstore_obj_get(obj);
		txn->nr_handles = ++n;
	}
	if (!ret && (refstore_fault() ||
		     copy_to_user(u64_to_user_ptr(g->handles), txn->handles,
				  n * sizeof(u32))))
		ret = -EFAULT;
	if (ret) {
		refstore_gc_garbage_finish(heap, arg, txn, false);
		return ret;
	}
	g->count = n;
	return 0;
}

void refstore_gc_garbage_finish(struct refstore_heap *heap, void *arg,
				struct refstore_ioctl_txn *txn, bool commit)
{
	u32 i;

	if (!commit) {
		for (i = 0; i < txn->nr_handles; i++)
			refstore_handle_close(heap, txn->handles[i]);
	}
	kvfree(txn->handles);
	txn->handles = NULL;
	txn->nr_handles = 0;
}
