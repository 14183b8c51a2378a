// SPDX-License-Identifier: GPL-2.0
/*
 * refstore collector thread: one kthread, "refstore_gc", for the module.
 *
 * It sleeps until a heap asks for a collection: CREATE (and the threshold
 * and enable controls) call refstore_gc_maybe_kick(), which, if generation
 * 0's count is over its threshold, marks the heap pending and wakes the
 * thread. The thread takes a reference to each pending heap in turn (so a
 * heap whose file is released meanwhile stays valid; its objects are gone
 * and heap->dead tells so), collects the generation that is due under the
 * heap's lock, and frees the garbage after dropping it. Heaps are
 * collected one at a time, each under its own lock only: calls on other
 * heaps never wait for a collection.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/freezer.h>
#include <linux/kthread.h>
#include <linux/log2.h>
#include <linux/timekeeping.h>

#include "refstore_private.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

/* Automatic collection in every heap; debugfs control "gc=on|off". */
bool refstore_gc_auto = true;

/*
 * Test knob, debugfs gc_delay_ms (0..1000, default 0): the collector thread
 * sleeps this long in the middle of each automatic collection (heap
 * locked) and again after it (heap unlocked, still referenced), to widen
 * the windows in which a heap is closed or the module removed.
 */
static u32 refstore_gc_delay_ms;
#define REFSTORE_GC_MAX_DELAY_MS 1000

static void refstore_gc_test_delay(void)
{
	u32 ms = min_t(u32, READ_ONCE(refstore_gc_delay_ms),
		       REFSTORE_GC_MAX_DELAY_MS);

	if (ms)
		msleep(ms);
}

static struct task_struct *refstore_gc_task;
static DECLARE_WAIT_QUEUE_HEAD(refstore_gc_wait);
/* Kicks not yet seen by the thread; the heaps say which (gc_flags). */
static atomic_t refstore_gc_kicks = ATOMIC_INIT(0);
static atomic64_t refstore_gc_wakeups = ATOMIC64_INIT(0);
static atomic64_t refstore_gc_idle = ATOMIC64_INIT(0);
static atomic64_t refstore_gc_collections = ATOMIC64_INIT(0);
static atomic64_t refstore_gc_collected = ATOMIC64_INIT(0);

/**
 * refstore_gc_maybe_kick() - wake the collector thread if the heap is due
 * @heap: the heap, locked
 */
void refstore_gc_maybe_kick(struct refstore_heap *heap)
{
	lockdep_assert_held(&heap->lock);
	if (!READ_ONCE(refstore_gc_auto) ||
	    refstore_graph_due(&heap->graph) < 0)
		return;
	if (test_and_set_bit(REFSTORE_HEAP_GC_PENDING, &heap->gc_flags))
		return;
	atomic_inc(&refstore_gc_kicks);
	wake_up(&refstore_gc_wait);
}

/**
 * refstore_gc_begin() - a collection of a locked heap starts
 * @heap: the heap, locked
 * @generation: the generation to collect
 * @automatic: started by the collector thread
 *
 * Return: the start time, for refstore_gc_end().
 */
u64 refstore_gc_begin(struct refstore_heap *heap, u32 generation,
		      bool automatic)
{
	lockdep_assert_held(&heap->lock);
	trace_gc_start(heap->id, generation, automatic);
	return ktime_get_ns();
}

/**
 * refstore_gc_end() - a collection of a locked heap is done: account it
 * @heap: the heap, locked
 * @res: what it did
 * @start: refstore_gc_begin()'s time
 * @automatic: started by the collector thread
 */
void refstore_gc_end(struct refstore_heap *heap,
		     const struct refstore_collect_result *res, u64 start,
		     bool automatic)
{
	u64 ns = ktime_get_ns() - start;

	lockdep_assert_held(&heap->lock);
	heap->gc_pause_total += ns;
	heap->gc_pause_max = max(heap->gc_pause_max, ns);
	heap->gc_pause_hist[min_t(u32, ilog2(ns | 1),
				  REFSTORE_PAUSE_BUCKETS - 1)]++;
	if (automatic)
		heap->gc_automatic++;
	atomic64_inc(&refstore_gc_collections);
	atomic64_add(res->unreachable - res->uncollectable,
		     &refstore_gc_collected);

	trace_gc_end(heap->id, res->generation, res->examined,
		     res->unreachable - res->uncollectable,
		     res->uncollectable, ns);
	if (heap->graph.debug & REFSTORE_GC_DEBUG_STATS)
		pr_info("heap %llu: generation %u: examined %llu, unreachable %llu, uncollectable %llu, %llu ns\n",
			heap->id, res->generation, res->examined,
			res->unreachable, res->uncollectable, ns);
}

/* Collect one generation of a locked heap; account and trace it. */
static void refstore_heap_collect_locked(struct refstore_heap *heap,
					 u32 generation, bool automatic,
					 struct refstore_collect_result *res,
					 struct list_head *to_free)
{
	u64 start = refstore_gc_begin(heap, generation, automatic);
	LIST_HEAD(unreachable);

	refstore_collect_scan(&heap->graph, generation, res, &unreachable);
	if (automatic)
		refstore_gc_test_delay();
	refstore_collect_finish(&heap->graph, res, &unreachable, to_free);
	refstore_gc_end(heap, res, start, automatic);
}

/**
 * refstore_heap_collect() - collect a heap now, in the caller
 * @heap: the heap; the caller holds a reference
 * @generation: 0..REFSTORE_GEN_OLDEST
 * @res: out: what was found
 *
 * Return: 0, -EINTR if a signal came while waiting for the heap's lock,
 * or -ENOENT if the heap's file has been released.
 */
int refstore_heap_collect(struct refstore_heap *heap, u32 generation,
			  struct refstore_collect_result *res)
{
	LIST_HEAD(to_free);

	if (mutex_lock_interruptible(&heap->lock))
		return -EINTR;
	if (heap->dead) {
		mutex_unlock(&heap->lock);
		return -ENOENT;
	}
	refstore_heap_collect_locked(heap, generation, false, res, &to_free);
	mutex_unlock(&heap->lock);
	refstore_free_list(&heap->graph, &to_free);
	return 0;
}

/**
 * refstore_gc_scan() - stage a collection for GC_COLLECT
 * @heap: the heap; the caller holds a reference
 * @generation: 0..REFSTORE_GEN_OLDEST
 * @run: out: the staged collection, for refstore_gc_finish()
 *
 * INTERIM: returns with the heap locked; refstore_gc_finish() unlocks.
 *
 * Return: 0, -EINTR (fatal signal while waiting for the heap's lock).
 */
int refstore_gc_scan(struct refstore_heap *heap, u32 generation,
		     struct refstore_gc_run *run)
{
	if (mutex_lock_killable(&heap->lock))
		return -EINTR;
	INIT_LIST_HEAD(&run->unreachable);
	run->start = refstore_gc_begin(heap, generation, false);
	refstore_collect_scan(&heap->graph, generation, &run->res,
			      &run->unreachable);
	return 0;
}

/**
 * refstore_gc_finish() - commit or abort a staged collection
 * @heap: the heap of refstore_gc_scan()
 * @run: the staged collection
 * @commit: free what was found (else leave the heap as it was)
 */
void refstore_gc_finish(struct refstore_heap *heap,
			struct refstore_gc_run *run, bool commit)
{
	LIST_HEAD(to_free);

	if (commit) {
		refstore_collect_finish(&heap->graph, &run->res,
					&run->unreachable, &to_free);
		refstore_gc_end(heap, &run->res, run->start, false);
	} else {
		refstore_collect_cancel(&heap->graph, &run->unreachable);
	}
	mutex_unlock(&heap->lock);
	refstore_free_list(&heap->graph, &to_free);
}

/* The thread's work on one pending heap. */
static void refstore_gc_run(struct refstore_heap *heap)
{
	struct refstore_collect_result res;
	LIST_HEAD(to_free);
	int gen;

	mutex_lock(&heap->lock);
	gen = heap->dead || !READ_ONCE(refstore_gc_auto) ? -1 :
	      refstore_graph_due(&heap->graph);
	if (gen >= 0)
		refstore_heap_collect_locked(heap, gen, true, &res, &to_free);
	else
		atomic64_inc(&refstore_gc_idle);
	mutex_unlock(&heap->lock);
	if (gen >= 0)
		refstore_gc_test_delay();
	refstore_free_list(&heap->graph, &to_free);
}

static int refstore_gc_thread(void *unused)
{
	struct refstore_heap *heap;
	u64 after;

	set_freezable();
	while (!kthread_should_stop()) {
		wait_event_freezable(refstore_gc_wait,
				     atomic_read(&refstore_gc_kicks) ||
				     kthread_should_stop());
		if (kthread_should_stop())
			break;
		/* A kick after this is seen at the next wait. */
		atomic_set(&refstore_gc_kicks, 0);
		atomic64_inc(&refstore_gc_wakeups);

		after = 0;
		while ((heap = refstore_heap_get_next(after, true))) {
			after = heap->id;
			refstore_gc_run(heap);
			refstore_heap_put(heap);
			cond_resched();
		}
	}
	return 0;
}

/**
 * refstore_gc_collect_all() - a full collection of every open heap
 *
 * For the debugfs control command "collect". Heaps whose lock wait is
 * interrupted are skipped.
 */
void refstore_gc_collect_all(void)
{
	struct refstore_collect_result res;
	struct refstore_heap *heap;
	u64 after = 0;

	while ((heap = refstore_heap_get_next(after, false))) {
		after = heap->id;
		refstore_heap_collect(heap, REFSTORE_GEN_OLDEST, &res);
		refstore_heap_put(heap);
	}
}

/**
 * refstore_gc_debugfs_show() - the module-wide part of debugfs "gc"
 * @m: the seq_file
 */
void refstore_gc_debugfs_show(struct seq_file *m)
{
	seq_printf(m, "automatic: %s\n",
		   READ_ONCE(refstore_gc_auto) ? "on" : "off");
	seq_printf(m, "thread_wakeups: %lld\n",
		   atomic64_read(&refstore_gc_wakeups));
	seq_printf(m, "idle_wakeups: %lld\n", atomic64_read(&refstore_gc_idle));
	seq_printf(m, "collections: %lld\n",
		   atomic64_read(&refstore_gc_collections));
	seq_printf(m, "collected: %lld\n", atomic64_read(&refstore_gc_collected));
}

void refstore_gc_debugfs_init(struct dentry *root)
{
	debugfs_create_u32("gc_delay_ms", 0600, root, &refstore_gc_delay_ms);
}

int refstore_gc_start(void)
{
	refstore_gc_task = kthread_run(refstore_gc_thread, NULL, "refstore_gc");
	if (IS_ERR(refstore_gc_task))
		return PTR_ERR(refstore_gc_task);
	return 0;
}

void refstore_gc_stop(void)
{
	kthread_stop(refstore_gc_task);
}
