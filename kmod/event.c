// SPDX-License-Identifier: GPL-2.0
/*
 * refstore death events: a bounded ring per heap, read with read() and
 * waited for with poll().
 *
 * The ring grows as NOTIFY objects are made, up to the heap's max_events
 * (see refstore_event_ring_alloc()). Producers run under heap->lock and take ev_lock; a full ring
 * counts the death in ev_lost and ev_dropped instead of queueing it, and the
 * next read() reports the loss first as one REFSTORE_CAUSE_OVERFLOW event.
 * Readers are serialised by ev_read_lock: a reader copies events out of the
 * ring under ev_lock, copies them to userspace without it, then retires
 * them, so a fault in copy_to_user() loses nothing. A non-blocking reader
 * does not wait for the lock (that fault may never be served).
 */
#include <linux/mm.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "refstore_private.h"

/* Events copied per round trip to userspace (kept on the stack). */
#define REFSTORE_EV_BATCH 16

/**
 * refstore_event_init() - a new heap's event state: no ring yet
 * @heap: the heap being created
 */
void refstore_event_init(struct refstore_heap *heap)
{
	spin_lock_init(&heap->ev_lock);
	mutex_init(&heap->ev_read_lock);
	init_waitqueue_head(&heap->ev_wait);
}

/* The smallest ring; it doubles from here up to max_events. */
#define REFSTORE_EV_MIN_CAP 8

/* What a ring of @cap events costs. */
static size_t refstore_event_ring_size(u32 cap)
{
	return cap ? refstore_kv_size((size_t)cap * sizeof(struct refstore_event)) : 0;
}

/**
 * refstore_event_ring_alloc() - make room for one more NOTIFY object
 * @heap: the heap, locked
 *
 * Every NOTIFY object queues at most one event, so a ring of
 * min(max_events, NOTIFY objects + queued events) never drops one that
 * max_events allows. The ring grows to that when a NOTIFY object is
 * made (doubling, so growing costs O(1) per object), and its size is
 * charged to the heap's overhead: a heap that never makes many NOTIFY
 * objects never pays for a large ring. The ring does not shrink.
 *
 * Return: 0, -ENOMEM, or the error of refstore_charge_overhead().
 */
int refstore_event_ring_alloc(struct refstore_heap *heap)
{
	return refstore_event_ring_grow(heap, heap->nr_notify + 1);
}

/**
 * refstore_event_ring_grow() - make room for @more events beyond the queue
 * @heap: the heap, locked
 * @more: events about to be queued, or NOTIFY objects that may queue one
 *
 * See refstore_event_ring_alloc(); collection events (gc_events.c) grow
 * the ring as they are queued, past the room kept for NOTIFY objects, up
 * to max_events too.
 *
 * Return: 0, -ENOMEM, or the error of refstore_charge_overhead().
 */
int refstore_event_ring_grow(struct refstore_heap *heap, u64 more)
{
	struct refstore_event *ring, *old;
	u32 need, cap, i;
	size_t delta;
	int ret;

	lockdep_assert_held(&heap->lock);
	spin_lock(&heap->ev_lock);
	need = min_t(u64, heap->limits.max_events, more + heap->ev_count);
	cap = heap->ev_cap;
	spin_unlock(&heap->ev_lock);
	if (need <= cap)
		return 0;

	cap = min(heap->limits.max_events,
		  max3(need, (u32)REFSTORE_EV_MIN_CAP, cap * 2));
	delta = refstore_event_ring_size(cap) -
		refstore_event_ring_size(heap->ev_cap);
	ret = refstore_charge_overhead(heap, delta);
	if (ret)
		return ret;
	ring = refstore_fault() ? NULL :
	       kvcalloc(cap, sizeof(*ring), REFSTORE_GFP);
	if (!ring) {
		refstore_uncharge_overhead(heap, delta);
		return -ENOMEM;
	}

	/* Readers peek under ev_lock only: move the queue in one go. */
	spin_lock(&heap->ev_lock);
	for (i = 0; i < heap->ev_count; i++)
		ring[i] = heap->ev_ring[(heap->ev_head + i) % heap->ev_cap];
	old = heap->ev_ring;
	heap->ev_ring = ring;
	heap->ev_cap = cap;
	heap->ev_head = 0;
	spin_unlock(&heap->ev_lock);
	kvfree(old);
	return 0;
}

/* The heap is being freed: its ring goes, and its charge. */
void refstore_event_ring_free(struct refstore_heap *heap)
{
	refstore_uncharge_overhead(heap, refstore_event_ring_size(heap->ev_cap));
	kvfree(heap->ev_ring);
	heap->ev_ring = NULL;
	heap->ev_cap = 0;
}

/**
 * refstore_event_set_max() - lower the heap's bound on queued events
 * @heap: the heap, locked
 * @max_events: the new heap->limits.max_events
 */
void refstore_event_set_max(struct refstore_heap *heap, u32 max_events)
{
	lockdep_assert_held(&heap->lock);
	spin_lock(&heap->ev_lock);
	heap->limits.max_events = max_events;
	spin_unlock(&heap->ev_lock);
}

/**
 * refstore_event_counts() - the heap's event counters, consistent
 * @heap: the heap
 * @c: out: the counters
 */
void refstore_event_counts(struct refstore_heap *heap,
			   struct refstore_event_counts *c)
{
	spin_lock(&heap->ev_lock);
	c->queued = heap->ev_queued;
	c->dropped = heap->ev_dropped;
	c->pending = heap->ev_count + (heap->ev_lost ? 1 : 0);
	spin_unlock(&heap->ev_lock);
}

/**
 * refstore_event_queue() - queue one death event
 * @heap: the heap, locked; its ring exists (the object had NOTIFY)
 * @cookie: the object's cookie
 * @id: the object's id
 * @cause: REFSTORE_CAUSE_*
 */
void refstore_event_queue(struct refstore_heap *heap, u64 cookie, u64 id,
			  u32 cause)
{
	refstore_event_queue_count(heap, cookie, id, cause, 1);
}

/**
 * refstore_event_queue_count() - queue one record with its own @count
 * @heap: the heap, locked; its ring exists, or the record is counted lost
 * @cookie: &struct refstore_event.cookie
 * @id: &struct refstore_event.id
 * @cause: REFSTORE_CAUSE_*
 * @count: &struct refstore_event.count
 */
void refstore_event_queue_count(struct refstore_heap *heap, u64 cookie, u64 id,
				u32 cause, u32 count)
{
	struct refstore_event *ev;
	bool queued = false;

	lockdep_assert_held(&heap->lock);

	spin_lock(&heap->ev_lock);
	if (heap->ev_count < heap->limits.max_events &&
	    heap->ev_count < heap->ev_cap) {
		ev = &heap->ev_ring[(heap->ev_head + heap->ev_count) % heap->ev_cap];
		ev->cookie = cookie;
		ev->id = id;
		ev->cause = cause;
		ev->count = count;
		heap->ev_count++;
		heap->ev_queued++;
		queued = true;
	}
	spin_unlock(&heap->ev_lock);

	if (!queued) {
		refstore_event_lose(heap);
		return;
	}
	atomic64_inc(&refstore_stats.events_queued);
	wake_up_interruptible_poll(&heap->ev_wait, EPOLLIN | EPOLLRDNORM);
}

/**
 * refstore_event_lose() - count one event lost: no room for it
 * @heap: the heap, locked
 *
 * The next read() reports the loss first, as a REFSTORE_CAUSE_OVERFLOW
 * event; pollers are woken for it.
 */
void refstore_event_lose(struct refstore_heap *heap)
{
	lockdep_assert_held(&heap->lock);
	spin_lock(&heap->ev_lock);
	/* 64 bits: never wraps; reports carry U32_MAX at most. */
	heap->ev_lost++;
	heap->ev_dropped++;
	spin_unlock(&heap->ev_lock);
	atomic64_inc(&refstore_stats.events_dropped);
	wake_up_interruptible_poll(&heap->ev_wait, EPOLLIN | EPOLLRDNORM);
}

/**
 * refstore_events_pending() - what read() would return now, in events
 * @heap: the heap
 *
 * Return: queued events, plus one if a loss is waiting to be reported.
 */
u32 refstore_events_pending(struct refstore_heap *heap)
{
	u32 n;

	spin_lock(&heap->ev_lock);
	n = heap->ev_count + (heap->ev_lost ? 1 : 0);
	spin_unlock(&heap->ev_lock);
	return n;
}

/*
 * Copy up to @max events, the loss report first, into @out without
 * retiring them. Return how many; *@lost tells whether out[0] is the loss.
 */
static u32 refstore_event_peek(struct refstore_heap *heap,
			       struct refstore_event *out, u32 max, u32 *lost)
{
	u32 n = 0, i;

	spin_lock(&heap->ev_lock);
	*lost = min_t(u64, heap->ev_lost, U32_MAX);
	if (*lost) {
		out[n].cookie = 0;
		out[n].id = 0;
		out[n].cause = REFSTORE_CAUSE_OVERFLOW;
		out[n].count = *lost;
		n++;
	}
	for (i = 0; i < heap->ev_count && n < max; i++, n++)
		out[n] = heap->ev_ring[(heap->ev_head + i) % heap->ev_cap];
	spin_unlock(&heap->ev_lock);
	return n;
}

/* Retire what refstore_event_peek() returned, once it reached userspace. */
static void refstore_event_retire(struct refstore_heap *heap, u32 n, u32 lost)
{
	spin_lock(&heap->ev_lock);
	if (lost) {
		/* Deaths lost since the peek are kept for the next report. */
		heap->ev_lost -= lost;
		n--;
	}
	heap->ev_head = heap->ev_cap ? (heap->ev_head + n) % heap->ev_cap : 0;
	heap->ev_count -= n;
	spin_unlock(&heap->ev_lock);
}

/**
 * refstore_event_read() - read() on a heap
 * @heap: the heap
 * @buf: user buffer
 * @len: its length
 * @nonblock: fail with -EAGAIN instead of waiting
 *
 * Readers take turns; a blocking one waits (interruptibly) for the one
 * copying out, a non-blocking one fails with -EAGAIN instead, even with
 * events queued, and is woken (poll) when that reader leaves events.
 *
 * Return: bytes read (a multiple of the event size), -EINVAL for a buffer
 * too small for one event, -EAGAIN, -ERESTARTSYS or -EFAULT.
 */
ssize_t refstore_event_read(struct refstore_heap *heap, char __user *buf,
			    size_t len, bool nonblock)
{
	struct refstore_event batch[REFSTORE_EV_BATCH];
	size_t want = len / sizeof(batch[0]);
	ssize_t done = 0;
	u32 n, lost;
	int ret;

	if (!want)
		return -EINVAL;

	/*
	 * A reader holds ev_read_lock across copy_to_user(), which may wait
	 * on a fault for as long as the faulting process likes (a
	 * userfaultfd nobody serves): a non-blocking reader must not wait
	 * behind it, so it fails as it would with nothing queued.
	 */
	if (nonblock) {
		if (!mutex_trylock(&heap->ev_read_lock))
			return -EAGAIN;
	} else if (mutex_lock_interruptible(&heap->ev_read_lock)) {
		return -ERESTARTSYS;
	}

	while (!refstore_events_pending(heap)) {
		if (nonblock) {
			ret = -EAGAIN;
			goto out_unlock;
		}
		mutex_unlock(&heap->ev_read_lock);
		ret = wait_event_interruptible(heap->ev_wait,
					       refstore_events_pending(heap));
		if (ret)
			return ret;
		if (mutex_lock_interruptible(&heap->ev_read_lock))
			return -ERESTARTSYS;
	}

	while (want) {
		n = refstore_event_peek(heap, batch,
					min_t(size_t, want, REFSTORE_EV_BATCH),
					&lost);
		if (!n)
			break;
		if (refstore_fault() ||
		    copy_to_user(buf + done, batch, n * sizeof(batch[0]))) {
			ret = done ? 0 : -EFAULT;
			goto out_unlock;
		}
		refstore_event_retire(heap, n, lost);
		done += n * sizeof(batch[0]);
		want -= n;
	}
	ret = 0;

out_unlock:
	mutex_unlock(&heap->ev_read_lock);
	/*
	 * A non-blocking reader that found the lock taken got -EAGAIN with
	 * events queued: tell it (poll, epoll, edge-triggered too) that its
	 * turn came, as no new death may come to wake it.
	 */
	if (refstore_events_pending(heap))
		wake_up_interruptible_poll(&heap->ev_wait,
					   EPOLLIN | EPOLLRDNORM);
	return done ? done : ret;
}

/**
 * refstore_event_poll() - poll() on a heap
 * @heap: the heap
 * @file: its file
 * @wait: the poll table
 *
 * Return: EPOLLIN | EPOLLRDNORM while an event can be read.
 */
__poll_t refstore_event_poll(struct refstore_heap *heap, struct file *file,
			     poll_table *wait)
{
	poll_wait(file, &heap->ev_wait, wait);
	return refstore_events_pending(heap) ? EPOLLIN | EPOLLRDNORM : 0;
}
