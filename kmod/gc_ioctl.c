// SPDX-License-Identifier: GPL-2.0
/*
 * refstore collector controls: the REFSTORE_IOC_GC_* commands, named after
 * Python's gc module. Each has the shape of every command (see ioctl.c):
 * validate, lock, act, unlock, respond.
 *
 * The controls that change state (ENABLE, DISABLE, FREEZE, UNFREEZE,
 * CLEAR_GARBAGE, SET_*) answer nothing, as their gc counterparts return
 * None; the state they change is read with ISENABLED, GET_FREEZE_COUNT,
 * GET_STATS and GET_*. SET_DELAY and GET_DELAY have no gc counterpart:
 * the time bound of automatic collection (gc.c). GC_COLLECT and GC_GARBAGE answer with results of a
 * change: they stage it under the lock, respond without it, and commit
 * only once the answer reached the caller (gc.c, handle.c).
 */
#include <linux/mm.h>
#include <linux/uaccess.h>

#include "refstore_private.h"

/* Upper bound of a threshold, to keep counts far from overflowing. */
#define REFSTORE_GC_MAX_THRESHOLD 1000000

int refstore_ioc_gc_collect(struct refstore_ucmd *ucmd)
{
	struct refstore_gc_collect *cmd = ucmd->cmd;
	struct refstore_gc_run run;
	int ret;

	if (cmd->flags || cmd->__reserved ||
	    cmd->generation > REFSTORE_GEN_OLDEST)
		return -EINVAL;

	ret = refstore_gc_scan(ucmd->heap, cmd->generation, &run);
	if (ret)
		return ret;
	cmd->unreachable = run.res.unreachable;
	cmd->uncollectable = run.res.uncollectable;
	cmd->examined = run.res.examined;
	ret = refstore_respond(ucmd, sizeof(*cmd));
	refstore_gc_finish(ucmd->heap, &run, !ret);
	return ret;
}

/* A control that takes no value: validate, then run @act locked. */
static int refstore_gc_control(struct refstore_ucmd *ucmd,
			       void (*act)(struct refstore_heap *heap))
{
	struct refstore_gc_value *cmd = ucmd->cmd;
	struct refstore_heap *heap = ucmd->heap;

	if (cmd->flags || cmd->value)
		return -EINVAL;
	if (mutex_lock_killable(&heap->lock))
		return -EINTR;
	act(heap);
	mutex_unlock(&heap->lock);
	return 0;
}

static void refstore_gc_do_enable(struct refstore_heap *heap)
{
	/* Collects nothing, as gc.enable(): the next CREATE past 0's threshold. */
	heap->graph.enabled = true;
	refstore_gc_note_suspects(heap);
}

static void refstore_gc_do_disable(struct refstore_heap *heap)
{
	heap->graph.enabled = false;
}

static void refstore_gc_do_freeze(struct refstore_heap *heap)
{
	refstore_freeze(&heap->graph);
}

static void refstore_gc_do_unfreeze(struct refstore_heap *heap)
{
	refstore_unfreeze(&heap->graph);
}

static void refstore_gc_do_clear_garbage(struct refstore_heap *heap)
{
	refstore_garbage_clear(&heap->graph);
	/* What CLEAR_GARBAGE left alive is suspect again. */
	refstore_gc_note_suspects(heap);
}

int refstore_ioc_gc_enable(struct refstore_ucmd *ucmd)
{
	return refstore_gc_control(ucmd, refstore_gc_do_enable);
}

int refstore_ioc_gc_disable(struct refstore_ucmd *ucmd)
{
	return refstore_gc_control(ucmd, refstore_gc_do_disable);
}

int refstore_ioc_gc_freeze(struct refstore_ucmd *ucmd)
{
	return refstore_gc_control(ucmd, refstore_gc_do_freeze);
}

int refstore_ioc_gc_unfreeze(struct refstore_ucmd *ucmd)
{
	return refstore_gc_control(ucmd, refstore_gc_do_unfreeze);
}

int refstore_ioc_gc_clear_garbage(struct refstore_ucmd *ucmd)
{
	return refstore_gc_control(ucmd, refstore_gc_do_clear_garbage);
}

/* A query of one value: validate, read it locked, respond. */
static int refstore_gc_query(struct refstore_ucmd *ucmd,
			     u64 (*get)(const struct refstore_graph *graph))
{
	struct refstore_gc_value *cmd = ucmd->cmd;
	struct refstore_heap *heap = ucmd->heap;

	if (cmd->flags || cmd->value)
		return -EINVAL;
	if (mutex_lock_killable(&heap->lock))
		return -EINTR;
	cmd->value = get(&heap->graph);
	mutex_unlock(&heap->lock);
	return refstore_respond(ucmd, sizeof(*cmd));
}

static u64 refstore_graph_enabled(const struct refstore_graph *graph)
{
	return graph->enabled;
}

static u64 refstore_graph_freeze_count(const struct refstore_graph *graph)
{
	return graph->nr_frozen;
}

static u64 refstore_graph_debug(const struct refstore_graph *graph)
{
	return graph->debug;
}

int refstore_ioc_gc_isenabled(struct refstore_ucmd *ucmd)
{
	return refstore_gc_query(ucmd, refstore_graph_enabled);
}

int refstore_ioc_gc_get_freeze_count(struct refstore_ucmd *ucmd)
{
	return refstore_gc_query(ucmd, refstore_graph_freeze_count);
}

int refstore_ioc_gc_get_debug(struct refstore_ucmd *ucmd)
{
	return refstore_gc_query(ucmd, refstore_graph_debug);
}

int refstore_ioc_gc_set_debug(struct refstore_ucmd *ucmd)
{
	struct refstore_gc_value *cmd = ucmd->cmd;
	struct refstore_heap *heap = ucmd->heap;

	if (cmd->flags || cmd->value & ~(u64)REFSTORE_GC_DEBUG_FLAGS)
		return -EINVAL;
	if (mutex_lock_killable(&heap->lock))
		return -EINTR;
	heap->graph.debug = cmd->value;
	mutex_unlock(&heap->lock);
	return 0;
}

/* The heap's collection delay: a value in ms; 0 turns the bound off. */
int refstore_ioc_gc_set_delay(struct refstore_ucmd *ucmd)
{
	struct refstore_gc_value *cmd = ucmd->cmd;
	struct refstore_heap *heap = ucmd->heap;

	if (cmd->flags || cmd->value > REFSTORE_GC_MAX_DELAY_MS)
		return -EINVAL;
	if (mutex_lock_killable(&heap->lock))
		return -EINTR;
	heap->gc_delay_ms = cmd->value;
	/*
	 * An armed timer keeps its expiry, even past a shorter delay, and
	 * fires even after 0: one collection at most, as if the delay had
	 * changed a moment later. Suspects left waiting get a timer now.
	 */
	refstore_gc_note_suspects(heap);
	mutex_unlock(&heap->lock);
	return 0;
}

int refstore_ioc_gc_get_delay(struct refstore_ucmd *ucmd)
{
	struct refstore_gc_value *cmd = ucmd->cmd;
	struct refstore_heap *heap = ucmd->heap;

	if (cmd->flags || cmd->value)
		return -EINVAL;
	if (mutex_lock_killable(&heap->lock))
		return -EINTR;
	cmd->value = heap->gc_delay_ms;
	mutex_unlock(&heap->lock);
	return refstore_respond(ucmd, sizeof(*cmd));
}

int refstore_ioc_gc_set_threshold(struct refstore_ucmd *ucmd)
{
	struct refstore_gc_threshold *cmd = ucmd->cmd;
	struct refstore_heap *heap = ucmd->heap;
	int g;

	if (cmd->flags || cmd->__reserved)
		return -EINVAL;
	for (g = 0; g < REFSTORE_NR_GENS; g++) {
		if (cmd->threshold[g] > REFSTORE_GC_MAX_THRESHOLD)
			return -EINVAL;
	}
	if (mutex_lock_killable(&heap->lock))
		return -EINTR;
	for (g = 0; g < REFSTORE_NR_GENS; g++)
		heap->graph.threshold[g] = cmd->threshold[g];
	/* Collects nothing, as gc.set_threshold(): the next CREATE does. */
	mutex_unlock(&heap->lock);
	return 0;
}

int refstore_ioc_gc_get_threshold(struct refstore_ucmd *ucmd)
{
	struct refstore_gc_threshold *cmd = ucmd->cmd;
	struct refstore_heap *heap = ucmd->heap;
	int g;

	if (cmd->flags || cmd->__reserved)
		return -EINVAL;
	if (mutex_lock_killable(&heap->lock))
		return -EINTR;
	for (g = 0; g < REFSTORE_NR_GENS; g++)
		cmd->threshold[g] = heap->graph.threshold[g];
	mutex_unlock(&heap->lock);
	return refstore_respond(ucmd, sizeof(*cmd));
}

int refstore_ioc_gc_get_count(struct refstore_ucmd *ucmd)
{
	struct refstore_gc_count *cmd = ucmd->cmd;
	struct refstore_heap *heap = ucmd->heap;
	int g;

	if (cmd->flags)
		return -EINVAL;
	if (mutex_lock_killable(&heap->lock))
		return -EINTR;
	for (g = 0; g < REFSTORE_NR_GENS; g++)
		cmd->count[g] = heap->graph.count[g];
	mutex_unlock(&heap->lock);
	return refstore_respond(ucmd, sizeof(*cmd));
}

int refstore_ioc_gc_get_stats(struct refstore_ucmd *ucmd)
{
	struct refstore_gc_stats *cmd = ucmd->cmd;
	struct refstore_heap *heap = ucmd->heap;
	int g;

	if (cmd->flags)
		return -EINVAL;
	if (mutex_lock_killable(&heap->lock))
		return -EINTR;
	for (g = 0; g < REFSTORE_NR_GENS; g++) {
		cmd->gen[g].collections = heap->graph.stats[g].collections;
		cmd->gen[g].collected = heap->graph.stats[g].collected;
		cmd->gen[g].uncollectable = heap->graph.stats[g].uncollectable;
	}
	cmd->pause_total_ns = heap->gc_pause_total;
	cmd->pause_max_ns = heap->gc_pause_max;
	cmd->examined = heap->graph.examined;
	cmd->automatic = heap->gc_automatic;
	cmd->garbage = heap->graph.nr_garbage;
	mutex_unlock(&heap->lock);
	return refstore_respond(ucmd, sizeof(*cmd));
}

/*
 * GC_GARBAGE: a strong handle per saved object, reserved (and the object
 * referenced) under the lock; the handles and the structure are copied out
 * without it, and the handles published only if both copies worked.
 */
int refstore_ioc_gc_garbage(struct refstore_ucmd *ucmd)
{
	struct refstore_gc_garbage *cmd = ucmd->cmd;
	struct refstore_heap *heap = ucmd->heap;
	struct refstore_obj **objs = NULL, *obj;
	u32 *handles = NULL, want, n = 0, i;
	u64 skip = cmd->cursor;
	LIST_HEAD(to_free);
	int ret = 0;

	/* @count is out only, as OBJECTS': a structure may be reused. */
	if (cmd->flags)
		return -EINVAL;

	if (mutex_lock_killable(&heap->lock))
		return -EINTR;
	cmd->total = heap->graph.nr_garbage;
	/* A page at a time, as OBJECTS: the buffers are not charged. */
	want = min_t(u64, min_t(u32, cmd->capacity, REFSTORE_SNAPSHOT_MAX),
		     heap->graph.nr_garbage - min(skip, heap->graph.nr_garbage));
	if (want) {
		handles = refstore_fault() ? NULL :
			  kvmalloc_array(want, sizeof(*handles), REFSTORE_GFP);
		objs = refstore_fault() ? NULL :
		       kvmalloc_array(want, sizeof(*objs), REFSTORE_GFP);
		if (!handles || !objs) {
			mutex_unlock(&heap->lock);
			ret = -ENOMEM;
			goto out_free;
		}
	}
	list_for_each_entry(obj, &heap->graph.garbage, node) {
		if (n == want)
			break;
		/* gc.garbage[cursor:]; the skipped ones cost a step each. */
		if (skip) {
			skip--;
			cond_resched();
			continue;
		}
		ret = refstore_handle_reserve(heap, &handles[n]);
		if (ret)
			break;
		refstore_obj_get(obj);
		objs[n++] = obj;
		/* Up to max_handles of them; the heap's mutex may sleep. */
		cond_resched();
	}
	mutex_unlock(&heap->lock);

	if (!ret && n && (refstore_fault() ||
			  copy_to_user(u64_to_user_ptr(cmd->handles), handles,
				       n * sizeof(*handles))))
		ret = -EFAULT;
	cmd->count = n;
	cmd->cursor += n;
	if (!ret)
		ret = refstore_respond(ucmd, sizeof(*cmd));

	mutex_lock(&heap->lock);
	for (i = 0; i < n; i++) {
		if (ret) {
			refstore_handle_unreserve(heap, handles[i]);
			refstore_obj_put_reap(heap, objs[i], &to_free);
		} else {
			refstore_handle_publish(heap, handles[i], objs[i]);
		}
		cond_resched();
	}
	mutex_unlock(&heap->lock);
	refstore_obj_free_list(heap, &to_free);
out_free:
	kvfree(objs);
	kvfree(handles);
	return ret;
}
