// SPDX-License-Identifier: GPL-2.0
/*
 * refstore collections: the one way a heap is collected, and the collector
 * thread, "refstore_gc", one for the module.
 *
 * Every collection of a heap goes through refstore_gc_scan_locked() and
 * refstore_gc_finish_locked(): the core's scan, then its commit or abort,
 * with the gc_start and gc_end tracepoints always paired (gc_end says
 * whether the collection was aborted) and the pause accounted. Callers:
 *  - refstore_gc_collect(): lock, scan, commit, unlock, free. debugfs
 *    "collect" and "collect=<id>" use it.
 *  - refstore_gc_scan() and refstore_gc_finish(): the same split at the
 *    lock, for GC_COLLECT, which copies the result to userspace between
 *    them and commits only if that worked.
 *  - the collector thread, below.
 *
 *  - refstore_gc_collect_due(): the automatic collections the thresholds
 *    make due, run in the task whose CREATE made them due, as CPython
 *    collects inside the allocation that crosses generation 0's threshold.
 *  - the collector thread, below, for timed collections only.
 *
 * Who pays. A collection the thresholds make due runs synchronously at the
 * end of the CREATE that made it due, after the object is published and
 * the answer written, with the heap's lock dropped and taken again
 * (killably: a fatal signal skips the collection, the CREATE still
 * succeeds). Its CPU time is the calling task's, in its cgroup, like the
 * rest of the call. Only one task of a heap runs such a collection at a
 * time (REFSTORE_HEAP_GC_COLLECTING, CPython's "collecting" flag): another
 * task whose CREATE finds a collection due meanwhile returns at once, and
 * the next CREATE past the threshold collects. GC_ENABLE and
 * GC_SET_THRESHOLD collect nothing, as CPython's gc.enable() and
 * gc.set_threshold(): the next CREATE does. So a caller cannot make anyone
 * but itself collect by calls it repeats at will.
 *
 * The time bound: garbage must not wait for a program that stopped
 * allocating, and then there is no call to run a collection in. Every put
 * the module makes (refstore_obj_put_reap(): CLOSE, SET_SLOT, a new handle
 * taken back when its answer failed) ends with refstore_gc_note_suspects(),
 * as do CLEAR_GARBAGE, ENABLE and SET_DELAY: if the heap has suspects, a
 * delay and automatic collection on, it arms the heap's delayed work (a
 * no-op if it is armed). Its expiry queues the heap, with a reference, on
 * the thread's FIFO and wakes the thread, which collects
 * refstore_graph_due_timed()'s generation. Only calls arm the timer, never
 * the thread: a partial collection leaves older suspects in place, and a
 * heap no call touched since its last timed collection must cost nothing.
 * So a heap gets at most one timed collection per delay, and only within a
 * delay of a call that left suspects; and, the work the caller does not
 * pay for, at most one per REFSTORE_GC_TIMED_SHARE times the last timed
 * pauses of all its user's heaps together (refstore_gc_timed_wait()): the
 * timer is armed for the longer of the two, so the thread spends at most
 * about 1 / (1 + REFSTORE_GC_TIMED_SHARE) of its time on a user that keeps
 * it busy, however many heaps the user opens (a heap opened with
 * CAP_SYS_RESOURCE counts its own pause only, as it is exempt from the
 * other per-user caps). The work holds no reference:
 * refstore_gc_heap_release() cancels it, synchronously, after the heap is
 * marked dead (nothing arms it then) and before the file's reference goes;
 * module exit comes after every file's release, so no work outlives the
 * module.
 *
 * The thread dequeues heaps one by one, keeping the queue's reference (so a
 * heap whose file is released meanwhile stays valid; its objects are gone
 * and heap->dead tells so). It never sleeps on a heap's lock: a heap whose
 * lock is taken is set aside and queued again after the others; if only
 * such heaps are left, the thread waits for the next expiry or
 * REFSTORE_GC_RETRY_MS. It collects under the heap's lock, and frees the
 * garbage after dropping it. Calls on other heaps never wait for it.
 *
 * Test knobs (debugfs, with the module parameter test_knobs=1 only):
 *   gc_park      write 1: the thread parks on the next heap it dequeues,
 *                holding its reference, before locking it, until 0 is
 *                written or the module is removed; write 2 (while 1):
 *                the parked thread goes on with the heap it holds and
 *                parks again on the next one it dequeues (one step of
 *                the queue); read: the id of the heap it holds while
 *                parked, 0 if not parked
 *   gc_idle      read: waits (killable) until no heap is queued or in the
 *                thread's hands, then reads "idle"
 *   gc_stall_ms  the thread sleeps this long (0..1000) in the middle of
 *                each timed collection, heap locked
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/freezer.h>
#include <linux/kthread.h>
#include <linux/log2.h>
#include <linux/moduleparam.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>

#include "refstore_private.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

/* Automatic collection in every heap; debugfs control "gc=on|off". */
bool refstore_gc_auto = true;

/* How long the thread waits before retrying heaps whose lock was taken. */
#define REFSTORE_GC_RETRY_MS 10

/*
 * A heap's timer is armed for at least this many times its last timed
 * collection's pause: the thread's share of time on one heap is bounded.
 */
#define REFSTORE_GC_TIMED_SHARE 9

/* Test knob gc_stall_ms, bounded. */
static u32 refstore_gc_stall_ms;
#define REFSTORE_GC_MAX_STALL_MS 1000

/* New heaps' collection delay (GC_SET_DELAY), clamped to the maximum. */
static unsigned int refstore_gc_delay_ms = 200;
module_param_named(gc_delay_ms, refstore_gc_delay_ms, uint, 0644);
MODULE_PARM_DESC(gc_delay_ms,
		 "New heaps' collection delay, ms: garbage is collected at most this long after the call that made it (0: none, max 60000, default 200)");

static struct task_struct *refstore_gc_task;
/* The thread waits here for kicks, and for gc_park to be written 0. */
static DECLARE_WAIT_QUEUE_HEAD(refstore_gc_wait);
/* gc_idle readers wait here for the queue to drain. */
static DECLARE_WAIT_QUEUE_HEAD(refstore_gc_idle_wait);

/*
 * refstore_gc_queue_lock protects refstore_gc_queue (heaps linked by
 * heap->gc_link, each holding a reference), refstore_gc_kicks and
 * refstore_gc_in_hand. Taken by timer expiries and the thread, never
 * around a heap's lock.
 */
static DEFINE_SPINLOCK(refstore_gc_queue_lock);
static LIST_HEAD(refstore_gc_queue);
/* Heaps ever queued ("kicks"): the thread's retry wait ends when it moves. */
static unsigned long refstore_gc_kicks;
/* Heaps the thread dequeued and has not finished (or requeued) yet. */
static unsigned int refstore_gc_in_hand;

/*
 * gc_park: requested, steps asked for (write 2), and the id of the heap the
 * parked thread holds.
 */
static bool refstore_gc_park_req;
static unsigned long refstore_gc_park_steps;
static u64 refstore_gc_parked_id;

static atomic64_t refstore_gc_wakeups = ATOMIC64_INIT(0);
/* Collections the thread ran (all timed). */
static atomic64_t refstore_gc_thread_runs = ATOMIC64_INIT(0);
static atomic64_t refstore_gc_idle = ATOMIC64_INIT(0);
static atomic64_t refstore_gc_busy = ATOMIC64_INIT(0);
static atomic64_t refstore_gc_collections = ATOMIC64_INIT(0);
static atomic64_t refstore_gc_aborted = ATOMIC64_INIT(0);
static atomic64_t refstore_gc_collected = ATOMIC64_INIT(0);

/* Queue @heap for the thread with a reference, unless it is pending. */
static void refstore_gc_enqueue(struct refstore_heap *heap)
{
	/* Set while queued or in the thread's hands; cleared under the lock. */
	if (test_and_set_bit(REFSTORE_HEAP_GC_PENDING, &heap->gc_flags))
		return;
	kref_get(&heap->ref);
	spin_lock(&refstore_gc_queue_lock);
	list_add_tail(&heap->gc_link, &refstore_gc_queue);
	WRITE_ONCE(refstore_gc_kicks, refstore_gc_kicks + 1);
	spin_unlock(&refstore_gc_queue_lock);
	wake_up(&refstore_gc_wait);
}

/* The heap's delay expired: queue it, time-due. */
static void refstore_gc_timer_fn(struct work_struct *work)
{
	struct refstore_heap *heap = container_of(to_delayed_work(work),
						  struct refstore_heap,
						  gc_timer);

	refstore_gc_enqueue(heap);
}

/**
 * refstore_gc_heap_init() - the collector's part of a new heap
 * @heap: the heap, not published yet
 */
void refstore_gc_heap_init(struct refstore_heap *heap)
{
	INIT_LIST_HEAD(&heap->gc_link);
	INIT_DELAYED_WORK(&heap->gc_timer, refstore_gc_timer_fn);
	heap->gc_delay_ms = min_t(u32, READ_ONCE(refstore_gc_delay_ms),
				  REFSTORE_GC_MAX_DELAY_MS);
}

/*
 * The least wait before @heap's next timed collection, in jiffies:
 * REFSTORE_GC_TIMED_SHARE times the last timed pauses of its user's heaps
 * (of the heap alone if it is exempt from the per-user caps), but no more
 * than REFSTORE_GC_MAX_DELAY_MS: a heap's pause counts until its next
 * timed collection or its close, so one large collection long ago must
 * not hold the user's other garbage back for longer than the longest
 * delay a caller may set. The cap binds only when the user's pauses add
 * up to 1/REFSTORE_GC_TIMED_SHARE of it, which the per-user byte cap
 * makes rare: a timed collection's work is bounded by its heap's objects.
 */
static unsigned long refstore_gc_timed_wait(struct refstore_heap *heap)
{
	s64 ns = heap->unlimited ? heap->gc_timed_ns :
		 atomic64_read(&heap->user->gc_timed_ns);

	return min(nsecs_to_jiffies(max_t(s64, ns, 0) *
				    REFSTORE_GC_TIMED_SHARE),
		   msecs_to_jiffies(REFSTORE_GC_MAX_DELAY_MS));
}

/*
 * Record @heap's last timed pause, in the heap and in its user's sum (not
 * for a heap exempt from the per-user caps: it neither counts nor is
 * counted, so root's heaps do not slow those charged to uid 0 by a user
 * namespace root made).
 */
static void refstore_gc_set_timed(struct refstore_heap *heap, u64 pause_ns)
{
	lockdep_assert_held(&heap->lock);
	if (!heap->unlimited)
		atomic64_add((s64)pause_ns - (s64)heap->gc_timed_ns,
			     &heap->user->gc_timed_ns);
	heap->gc_timed_ns = pause_ns;
}

/**
 * refstore_gc_note_suspects() - arm the heap's timer if it has suspects
 * @heap: the heap, locked
 *
 * Called after every put the module makes. O(1): nothing is armed without
 * suspects, a delay, or automatic collection; an armed timer is left as it
 * is, so the first call that left suspects bounds their wait. The timer is
 * armed for the delay, or refstore_gc_timed_wait() if that is longer: the
 * thread's time on the heap's user is bounded.
 */
void refstore_gc_note_suspects(struct refstore_heap *heap)
{
	unsigned long delay;

	lockdep_assert_held(&heap->lock);
	if (!heap->gc_delay_ms || heap->dead || !heap->graph.enabled ||
	    !READ_ONCE(refstore_gc_auto) ||
	    !refstore_graph_has_suspects(&heap->graph) ||
	    delayed_work_pending(&heap->gc_timer))
		return;
	delay = max(msecs_to_jiffies(heap->gc_delay_ms),
		    refstore_gc_timed_wait(heap));
	queue_delayed_work(system_power_efficient_wq, &heap->gc_timer, delay);
}

/**
 * refstore_obj_put_reap() - drop a strong reference and release what dies
 * @heap: the heap, locked
 * @obj: the object
 * @to_free: what dies goes here: the caller frees it with
 *	refstore_obj_free_list() once it drops the heap's lock (a dropped
 *	list's cascade is one bulk free, not a kmem_cache_free() per object
 *	under the lock); NULL to free it now
 *
 * A put that leaves @obj alive may make it a suspect: the heap's collection
 * timer is armed then. Here, not in object.c, which frees objects for gc.c
 * (refstore_obj_free_list()): calls between module files point one way.
 */
void refstore_obj_put_reap(struct refstore_heap *heap, struct refstore_obj *obj,
			   struct list_head *to_free)
{
	lockdep_assert_held(&heap->lock);
	refstore_obj_put(&heap->graph, obj);
	refstore_reap_to(&heap->graph, REFSTORE_CAUSE_RELEASED, to_free);
	refstore_gc_note_suspects(heap);
}

/**
 * refstore_gc_heap_release() - cancel the heap's timer, for good
 * @heap: the heap, dead (nothing arms the timer again, nor times a
 *	collection of it); unlocked
 *
 * Takes the heap's last timed pause out of its user's sum.
 *
 * Context: process, may sleep (waits for a running expiry).
 */
void refstore_gc_heap_release(struct refstore_heap *heap)
{
	cancel_delayed_work_sync(&heap->gc_timer);
	mutex_lock(&heap->lock);
	refstore_gc_set_timed(heap, 0);
	mutex_unlock(&heap->lock);
}

/**
 * refstore_gc_scan_locked() - start a collection of a locked heap
 * @heap: the heap, locked, not dead
 * @generation: 0..REFSTORE_GEN_OLDEST
 * @automatic: made due by the thresholds or the delay, not asked for
 * @run: out: the staged collection; @run->res says what it found
 *
 * Emits gc_start; the caller must end the collection with
 * refstore_gc_finish_locked(), which emits gc_end.
 */
static void refstore_gc_scan_locked(struct refstore_heap *heap,
				    u32 generation, bool automatic,
				    struct refstore_gc_run *run)
{
	u64 start;

	lockdep_assert_held(&heap->lock);
	INIT_LIST_HEAD(&run->to_free);
	run->automatic = automatic;
	trace_gc_start(heap->id, generation, automatic);
	refstore_gc_event_start(heap, generation, automatic);
	start = ktime_get_ns();
	refstore_collect_scan(&heap->graph, generation, &run->coll);
	run->res = run->coll.res;
	run->pause_ns = ktime_get_ns() - start;
}

/**
 * refstore_gc_finish_locked() - commit or abort a staged collection
 * @heap: the heap, locked
 * @run: what refstore_gc_scan_locked() staged
 * @commit: true to free what it found, false to leave the heap as it was
 *
 * Accounts the pause (the scan's and this step's time under the lock, left
 * in @run->pause_ns) and emits gc_end. What the commit released is on
 * @run->to_free: the caller frees it with refstore_obj_free_list().
 */
static void refstore_gc_finish_locked(struct refstore_heap *heap,
				      struct refstore_gc_run *run, bool commit)
{
	const struct refstore_collect_result *res = &run->res;
	u64 start = ktime_get_ns(), ns;

	lockdep_assert_held(&heap->lock);
	/* Before the commit: the objects found are still listed in @run. */
	refstore_gc_event_stop(heap, run, run->pause_ns, commit);
	if (commit)
		refstore_collect_commit(&heap->graph, &run->coll,
					&run->to_free);
	else
		refstore_collect_abort(&heap->graph, &run->coll);
	ns = run->pause_ns + ktime_get_ns() - start;
	run->pause_ns = ns;

	heap->gc_pause_total += ns;
	heap->gc_pause_max = max(heap->gc_pause_max, ns);
	heap->gc_pause_hist[min_t(u32, ilog2(ns | 1),
				  REFSTORE_PAUSE_BUCKETS - 1)]++;
	if (commit) {
		if (run->automatic)
			heap->gc_automatic++;
		atomic64_inc(&refstore_gc_collections);
		atomic64_add(res->unreachable - res->uncollectable,
			     &refstore_gc_collected);
	} else {
		atomic64_inc(&refstore_gc_aborted);
	}

	/*
	 * No printk, REFSTORE_GC_DEBUG_STATS or not: any user may set it, and
	 * a log line per collection would let one flood the kernel log. The
	 * tracepoint carries the same numbers.
	 */
	trace_gc_end(heap->id, res->generation, res->examined,
		     commit ? res->unreachable - res->uncollectable : 0,
		     commit ? res->uncollectable : 0, ns, !commit);
}

/* One whole collection of a locked heap; the caller frees @run->to_free. */
static void refstore_gc_collect_locked(struct refstore_heap *heap,
				       u32 generation, bool automatic,
				       struct refstore_gc_run *run)
{
	u32 ms;

	refstore_gc_scan_locked(heap, generation, automatic, run);
	ms = min_t(u32, READ_ONCE(refstore_gc_stall_ms),
		   REFSTORE_GC_MAX_STALL_MS);
	if (automatic && ms && current == refstore_gc_task)
		msleep(ms);
	refstore_gc_finish_locked(heap, run, true);
}

/**
 * refstore_gc_due() - does a CREATE leave a collection due?
 * @heap: the heap, locked
 *
 * Return: true if the caller should call refstore_gc_collect_due() once it
 * dropped the lock: automatic collection is on and a generation is due by
 * the thresholds (refstore_graph_due()).
 */
bool refstore_gc_due(struct refstore_heap *heap)
{
	lockdep_assert_held(&heap->lock);
	return READ_ONCE(refstore_gc_auto) && !heap->dead &&
	       refstore_graph_due(&heap->graph) >= 0;
}

/**
 * refstore_gc_collect_due() - run the collection the thresholds made due
 * @heap: the heap; the caller (an ioctl on its file) holds a reference
 *
 * The end of a CREATE that refstore_gc_due() said made a collection due:
 * the calling task collects the generation due, as an automatic
 * collection, in its own context. Nothing is reported to the caller: if
 * another task of the heap is collecting, a fatal signal comes while
 * waiting for the lock, or the collection is no longer due once the lock
 * is taken, nothing happens; the next CREATE past the threshold (or the
 * heap's timer) sees to it.
 *
 * Context: process, may sleep; no lock held.
 */
void refstore_gc_collect_due(struct refstore_heap *heap)
{
	struct refstore_gc_run run;
	int gen = -1;

	if (test_and_set_bit_lock(REFSTORE_HEAP_GC_COLLECTING, &heap->gc_flags))
		return;
	if (mutex_lock_killable(&heap->lock))
		goto out_clear;
	if (!heap->dead && READ_ONCE(refstore_gc_auto))
		gen = refstore_graph_due(&heap->graph);
	if (gen >= 0)
		refstore_gc_collect_locked(heap, gen, true, &run);
	mutex_unlock(&heap->lock);
	if (gen >= 0)
		refstore_obj_free_list(heap, &run.to_free);
out_clear:
	clear_bit_unlock(REFSTORE_HEAP_GC_COLLECTING, &heap->gc_flags);
}

/**
 * refstore_gc_collect() - collect a heap now, in the caller
 * @heap: the heap; the caller holds a reference
 * @generation: 0..REFSTORE_GEN_OLDEST
 * @res: out, may be NULL: what the collection did
 *
 * Return: 0; -EINTR if a fatal signal came while waiting for the heap's
 * lock; -ENOENT if the heap's file has been released.
 */
int refstore_gc_collect(struct refstore_heap *heap, u32 generation,
			struct refstore_collect_result *res)
{
	struct refstore_gc_run run;

	if (mutex_lock_killable(&heap->lock))
		return -EINTR;
	if (heap->dead) {
		mutex_unlock(&heap->lock);
		return -ENOENT;
	}
	refstore_gc_collect_locked(heap, generation, false, &run);
	mutex_unlock(&heap->lock);
	refstore_obj_free_list(heap, &run.to_free);
	if (res)
		*res = run.res;
	return 0;
}

/**
 * refstore_gc_scan() - first half of a collection the caller may abort
 * @heap: the heap; the caller holds a reference
 * @gen: 0..REFSTORE_GEN_OLDEST
 * @run: out: the staged collection; @run->res holds its result
 *
 * Takes and drops the heap's lock. On success the collection is staged:
 * the caller may look at @run->res (copy it to userspace, say) and must
 * then call refstore_gc_finish(), whatever happens. Meanwhile other calls
 * run on the heap; the objects the scan found unreachable are parked, and
 * refstore_obj_collecting() is true for them (see core/collect.c).
 *
 * Context: process, may sleep; no lock held.
 * Return: 0; -EINTR if a fatal signal came while waiting for the lock;
 * -ENOENT if the heap's file has been released. On error nothing is
 * staged and refstore_gc_finish() must not be called.
 */
int refstore_gc_scan(struct refstore_heap *heap, u32 gen,
		     struct refstore_gc_run *run)
{
	if (mutex_lock_killable(&heap->lock))
		return -EINTR;
	if (heap->dead) {
		mutex_unlock(&heap->lock);
		return -ENOENT;
	}
	refstore_gc_scan_locked(heap, gen, false, run);
	mutex_unlock(&heap->lock);
	return 0;
}

/**
 * refstore_gc_finish() - second half: commit or abort what was staged
 * @heap: the heap refstore_gc_scan() was given
 * @run: its staged collection
 * @commit: true to collect, false to leave the heap as it was
 *
 * Takes the heap's lock (uninterruptibly: a staged collection must end),
 * commits or aborts, drops the lock, then frees what the commit released.
 * If the heap was released meanwhile, its destruction freed the parked
 * objects and this only emits gc_end.
 *
 * Context: process, may sleep; no lock held.
 */
void refstore_gc_finish(struct refstore_heap *heap, struct refstore_gc_run *run,
			bool commit)
{
	mutex_lock(&heap->lock);
	refstore_gc_finish_locked(heap, run, commit);
	mutex_unlock(&heap->lock);
	refstore_obj_free_list(heap, &run->to_free);
}

/**
 * refstore_gc_collect_all() - a full collection of every open heap
 *
 * For the debugfs control command "collect". Heaps are visited in id
 * order; a fatal signal stops the walk.
 *
 * Return: 0 or -EINTR.
 */
int refstore_gc_collect_all(void)
{
	struct refstore_heap *heap;
	unsigned long id = 0;
	int ret = 0;

	while (!ret && (heap = refstore_heap_get_next(&id))) {
		ret = refstore_gc_collect(heap, REFSTORE_GEN_OLDEST, NULL);
		if (ret == -ENOENT)
			ret = 0;
		refstore_heap_put(heap);
		id++;
	}
	return ret;
}

/* ---- the collector thread ---- */

static struct refstore_heap *refstore_gc_dequeue(void)
{
	struct refstore_heap *heap = NULL;

	spin_lock(&refstore_gc_queue_lock);
	if (!list_empty(&refstore_gc_queue)) {
		heap = list_first_entry(&refstore_gc_queue,
					struct refstore_heap, gc_link);
		list_del_init(&heap->gc_link);
		refstore_gc_in_hand++;
	}
	spin_unlock(&refstore_gc_queue_lock);
	return heap;
}

static bool refstore_gc_queued(void)
{
	bool queued;

	spin_lock(&refstore_gc_queue_lock);
	queued = !list_empty(&refstore_gc_queue);
	spin_unlock(&refstore_gc_queue_lock);
	return queued;
}

static bool refstore_gc_is_idle(void)
{
	bool idle;

	spin_lock(&refstore_gc_queue_lock);
	idle = list_empty(&refstore_gc_queue) && !refstore_gc_in_hand;
	spin_unlock(&refstore_gc_queue_lock);
	return idle;
}

/*
 * The thread is done with @n heaps in hand; those on @requeue (which may be
 * NULL) go back to the head of the queue, still pending and referenced.
 */
static void refstore_gc_done(struct list_head *requeue, unsigned int n)
{
	bool idle;

	spin_lock(&refstore_gc_queue_lock);
	if (requeue)
		list_splice_init(requeue, &refstore_gc_queue);
	refstore_gc_in_hand -= n;
	idle = list_empty(&refstore_gc_queue) && !refstore_gc_in_hand;
	spin_unlock(&refstore_gc_queue_lock);
	if (idle)
		wake_up_all(&refstore_gc_idle_wait);
}

/* gc_park: hold @heap, unlocked, until released or told to stop. */
static void refstore_gc_park(struct refstore_heap *heap)
{
	unsigned long steps = READ_ONCE(refstore_gc_park_steps);

	if (!READ_ONCE(refstore_gc_park_req))
		return;
	WRITE_ONCE(refstore_gc_parked_id, heap->id);
	wait_event_freezable(refstore_gc_wait,
			     !READ_ONCE(refstore_gc_park_req) ||
			     READ_ONCE(refstore_gc_park_steps) != steps ||
			     kthread_should_stop());
	WRITE_ONCE(refstore_gc_parked_id, 0);
}

/*
 * The thread's work on one dequeued heap. Return false if its lock was
 * taken: the heap stays pending and in the thread's hands.
 *
 * What a timed collection releases is freed before the lock is dropped,
 * so that its user's share counts all of the thread's work on the heap:
 * the scan, the commit and the frees (a small cycle can hold the only
 * reference to a long chain). Only that heap waits meanwhile.
 */
static bool refstore_gc_thread_collect(struct refstore_heap *heap)
{
	struct refstore_gc_run run;
	u64 start;
	int gen;

	if (!mutex_trylock(&heap->lock))
		return false;
	/* An expiry from here on queues the heap again. */
	clear_bit(REFSTORE_HEAP_GC_PENDING, &heap->gc_flags);
	if (heap->dead || !READ_ONCE(refstore_gc_auto))
		gen = -1;
	else
		gen = refstore_graph_due_timed(&heap->graph);
	if (gen >= 0) {
		refstore_gc_collect_locked(heap, gen, true, &run);
		start = ktime_get_ns();
		refstore_obj_free_list(heap, &run.to_free);
		refstore_gc_set_timed(heap, run.pause_ns + ktime_get_ns() - start);
		atomic64_inc(&refstore_gc_thread_runs);
	} else {
		atomic64_inc(&refstore_gc_idle);
	}
	mutex_unlock(&heap->lock);
	return true;
}

/*
 * One pass over the queue. Heaps whose lock is taken are set aside on
 * @busy (counted in *@nbusy), and so is a heap in hand when the thread is
 * told to stop. Return true if any heap was done.
 */
static bool refstore_gc_pass(struct list_head *busy, unsigned int *nbusy)
{
	struct refstore_heap *heap;
	bool progress = false;

	while (!kthread_should_stop() && (heap = refstore_gc_dequeue())) {
		refstore_gc_park(heap);
		if (kthread_should_stop() ||
		    !refstore_gc_thread_collect(heap)) {
			if (!kthread_should_stop())
				atomic64_inc(&refstore_gc_busy);
			list_add_tail(&heap->gc_link, busy);
			(*nbusy)++;
			continue;
		}
		progress = true;
		refstore_heap_put(heap);
		refstore_gc_done(NULL, 1);
		cond_resched();
	}
	return progress;
}

/* Module exit: drop the queue's references (every heap is dead). */
static void refstore_gc_drain(void)
{
	struct refstore_heap *heap;

	while ((heap = refstore_gc_dequeue())) {
		clear_bit(REFSTORE_HEAP_GC_PENDING, &heap->gc_flags);
		refstore_heap_put(heap);
		refstore_gc_done(NULL, 1);
	}
}

/* The thread's retry wait: a new kick since @kicks, or stop. */
static bool refstore_gc_kicked_since(unsigned long kicks)
{
	return READ_ONCE(refstore_gc_kicks) != kicks || kthread_should_stop();
}

static int refstore_gc_thread(void *unused)
{
	unsigned int nbusy;
	unsigned long kicks;
	LIST_HEAD(busy);
	bool progress;

	set_freezable();
	while (!kthread_should_stop()) {
		wait_event_freezable(refstore_gc_wait, refstore_gc_queued() ||
				     kthread_should_stop());
		if (kthread_should_stop())
			break;
		atomic64_inc(&refstore_gc_wakeups);

		kicks = READ_ONCE(refstore_gc_kicks);
		nbusy = 0;
		progress = refstore_gc_pass(&busy, &nbusy);
		/* Busy heaps go back first; gc_idle sees them queued. */
		refstore_gc_done(&busy, nbusy);
		/* Only busy heaps left: wait for a kick, or retry soon. */
		if (nbusy && !progress)
			wait_event_freezable_timeout(refstore_gc_wait,
						     refstore_gc_kicked_since(kicks),
						     msecs_to_jiffies(REFSTORE_GC_RETRY_MS));
	}
	refstore_gc_drain();
	return 0;
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
	seq_printf(m, "thread_collections: %lld\n",
		   atomic64_read(&refstore_gc_thread_runs));
	seq_printf(m, "idle_wakeups: %lld\n", atomic64_read(&refstore_gc_idle));
	seq_printf(m, "busy_retries: %lld\n", atomic64_read(&refstore_gc_busy));
	seq_printf(m, "collections: %lld\n",
		   atomic64_read(&refstore_gc_collections));
	seq_printf(m, "aborted: %lld\n", atomic64_read(&refstore_gc_aborted));
	seq_printf(m, "collected: %lld\n", atomic64_read(&refstore_gc_collected));
}

static int refstore_gc_park_get(void *data, u64 *val)
{
	*val = READ_ONCE(refstore_gc_parked_id);
	return 0;
}

static int refstore_gc_park_set(void *data, u64 val)
{
	if (val > 2)
		return -EINVAL;
	if (val == 2) {
		/* A step: only a parked thread takes it. */
		if (!READ_ONCE(refstore_gc_parked_id))
			return -EAGAIN;
		WRITE_ONCE(refstore_gc_park_steps, refstore_gc_park_steps + 1);
		wake_up(&refstore_gc_wait);
		return 0;
	}
	WRITE_ONCE(refstore_gc_park_req, val);
	if (!val)
		wake_up(&refstore_gc_wait);
	return 0;
}

DEFINE_DEBUGFS_ATTRIBUTE(refstore_gc_park_fops, refstore_gc_park_get,
			 refstore_gc_park_set, "%llu\n");

/* gc_idle: read waits until the collector has nothing queued or in hand. */
static ssize_t refstore_gc_idle_read(struct file *file, char __user *buf,
				     size_t len, loff_t *ppos)
{
	static const char idle[] = "idle\n";

	if (*ppos == 0 && wait_event_killable(refstore_gc_idle_wait,
					      refstore_gc_is_idle()))
		return -EINTR;
	return simple_read_from_buffer(buf, len, ppos, idle, sizeof(idle) - 1);
}

static const struct file_operations refstore_gc_idle_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = refstore_gc_idle_read,
	.llseek = default_llseek,
};

/**
 * refstore_gc_debugfs_init() - the collector's test knobs
 * @root: the module's debugfs directory
 *
 * Called only when the module is loaded with test_knobs=1.
 */
void refstore_gc_debugfs_init(struct dentry *root)
{
	debugfs_create_u32("gc_stall_ms", 0600, root, &refstore_gc_stall_ms);
	debugfs_create_file_unsafe("gc_park", 0600, root, NULL,
				   &refstore_gc_park_fops);
	debugfs_create_file("gc_idle", 0400, root, NULL,
			    &refstore_gc_idle_fops);
}

/**
 * refstore_gc_start() - start the collector thread
 *
 * Return: 0 or a negative errno.
 */
int refstore_gc_start(void)
{
	refstore_gc_task = kthread_run(refstore_gc_thread, NULL, "refstore_gc");
	if (IS_ERR(refstore_gc_task))
		return PTR_ERR(refstore_gc_task);
	return 0;
}

/**
 * refstore_gc_stop() - stop the collector thread; it drops what it holds
 *
 * Every heap's file must be released: a parked thread is woken, finishes
 * (or skips) the heap it holds and drops the queue's references.
 */
void refstore_gc_stop(void)
{
	kthread_stop(refstore_gc_task);
}
