// SPDX-License-Identifier: GPL-2.0
/*
 * refstore collector controls: the REFSTORE_IOC_GC_* commands, named after
 * Python's gc module. Each takes the heap's lock; only COLLECT waits for
 * it interruptibly, since only COLLECT can hold it for long.
 */
#include <linux/uaccess.h>

#include "refstore.h"

/* Upper bound of a threshold, to keep counts far from overflowing. */
#define REFSTORE_GC_MAX_THRESHOLD 1000000

int refstore_ioc_gc_collect(struct refstore_heap *heap, void *arg)
{
	struct refstore_gc_collect *c = arg;
	struct refstore_collect_result res;
	int ret;

	if (c->flags || c->__reserved || c->generation > REFSTORE_GEN_OLDEST)
		return -EINVAL;
	ret = refstore_heap_collect(heap, c->generation, &res);
	if (ret)
		return ret;
	c->unreachable = res.unreachable;
	c->uncollectable = res.uncollectable;
	c->examined = res.examined;
	return 0;
}

/* Set automatic collection on or off; report what it was. */
static int refstore_gc_set_enabled(struct refstore_heap *heap, void *arg,
				   bool enable)
{
	struct refstore_gc_value *v = arg;

	if (v->flags || v->value)
		return -EINVAL;
	mutex_lock(&heap->lock);
	v->value = heap->graph.enabled;
	heap->graph.enabled = enable;
	if (enable)
		refstore_gc_maybe_kick(heap);
	mutex_unlock(&heap->lock);
	return 0;
}

int refstore_ioc_gc_enable(struct refstore_heap *heap, void *arg)
{
	return refstore_gc_set_enabled(heap, arg, true);
}

int refstore_ioc_gc_disable(struct refstore_heap *heap, void *arg)
{
	return refstore_gc_set_enabled(heap, arg, false);
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

static u64 refstore_graph_clear_garbage(struct refstore_graph *graph)
{
	u64 n = graph->nr_garbage;

	refstore_garbage_clear(graph);
	return n;
}

static u64 refstore_graph_get_debug(struct refstore_graph *graph)
{
	return graph->debug;
}

int refstore_ioc_gc_freeze(struct refstore_heap *heap, void *arg)
{
	return refstore_gc_value_op(heap, arg, refstore_freeze);
}

int refstore_ioc_gc_unfreeze(struct refstore_heap *heap, void *arg)
{
	return refstore_gc_value_op(heap, arg, refstore_unfreeze);
}

int refstore_ioc_gc_get_freeze_count(struct refstore_heap *heap, void *arg)
{
	return refstore_gc_value_op(heap, arg, refstore_graph_freeze_count);
}

int refstore_ioc_gc_clear_garbage(struct refstore_heap *heap, void *arg)
{
	return refstore_gc_value_op(heap, arg, refstore_graph_clear_garbage);
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
 * and copied out at once; if anything fails, every handle made by this
 * call is closed again from that array.
 */
int refstore_ioc_gc_garbage(struct refstore_heap *heap, void *arg)
{
	struct refstore_gc_garbage *g = arg;
	struct refstore_obj *obj;
	u32 *handles = NULL;
	u32 want, n = 0, i;
	int ret = 0;

	if (g->flags || g->count)
		return -EINVAL;

	mutex_lock(&heap->lock);
	g->total = heap->graph.nr_garbage;
	want = min_t(u64, g->capacity, heap->graph.nr_garbage);
	if (!want)
		goto out_unlock;

	handles = refstore_fault() ? NULL :
		  kvmalloc_array(want, sizeof(*handles), REFSTORE_GFP);
	if (!handles) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	list_for_each_entry(obj, &heap->graph.garbage, node) {
		if (n == want)
			break;
		ret = refstore_handle_new(heap, obj, &handles[n]);
		if (ret)
			goto out_close;
		refstore_obj_get(obj);
		n++;
	}
	if (refstore_fault() ||
	    copy_to_user(u64_to_user_ptr(g->handles), handles,
			 n * sizeof(*handles))) {
		ret = -EFAULT;
		goto out_close;
	}
	g->count = n;
	goto out_free;

out_close:
	for (i = 0; i < n; i++)
		refstore_handle_close(heap, handles[i]);
out_free:
	kvfree(handles);
out_unlock:
	mutex_unlock(&heap->lock);
	return ret;
}
