/* SPDX-License-Identifier: GPL-2.0 */
/*
 * refstore: internal definitions shared by the module's files.
 *
 * Files and who calls whom (calls point one way):
 *   main.c      module init/exit, the device's fops; wires the others
 *   ioctl.c, gc_ioctl.c  the commands -> object, handle, event, gc, heap
 *   debugfs.c   the debugfs files -> heap, gc, event
 *   gc.c        collections and the collector thread -> heap, core
 *   heap.c      heaps and the id -> heap table -> handle, event, core
 *   alloc_stats.c  allocation statistics by tag/creator, fdinfo
 *   inspect.c   OBJECTS, REFERENTS, REFERRERS, ID_HANDLE
 *   gc_events.c collection events on the heap's fd (gc.callbacks, DEBUG_*)
 *   object.c, handle.c, event.c, fault.c, core/ (the collector core)
 *
 * Locking, outermost first; each lock is taken only in the file named:
 *   heap->ev_read_lock (event.c) - one reader of the heap's events at a
 *                      time; held across copy_to_user(), never with
 *                      heap->lock
 *   heap->lock (ioctl.c, gc_ioctl.c, gc.c, heap.c, debugfs.c,
 *              alloc_stats.c, inspect.c)
 *                      - the heap's object graph, see below
 *   refstore_gc_queue_lock (gc.c) - the collector's queue of heaps
 *   refstore_heaps' xa_lock (heap.c) - the id -> heap table
 *   heap->ev_lock (event.c) - the heap's death-event ring
 *   refstore_users' xa_lock (account.c) - the uid -> user table
 */
#ifndef _REFSTORE_PRIVATE_H
#define _REFSTORE_PRIVATE_H

#include <linux/build_bug.h>
#include <linux/gfp.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/refcount.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
#include <linux/sched.h>
#include <linux/uaccess.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "uapi/linux/refstore.h"
#include "core/graph.h"

/**
 * struct refstore_obj_limits - the limits of one heap
 * @max_objects: live objects
 * @max_bytes: bytes charged for live objects
 * @max_payload: payload bytes of one object
 * @max_slots: slots of one object
 * @max_handles: strong plus weak handles
 * @max_events: queued death events
 */
struct refstore_obj_limits {
	u64 max_objects;
	u64 max_bytes;
	u32 max_payload;
	u32 max_slots;
	u32 max_handles;
	u32 max_events;
};

/*
 * Upper bounds of the limits: of the module parameters (checked at load)
 * and of what SET_LIMITS with REFSTORE_LIMITS_RAISE may set.
 *
 * REFSTORE_MAX_HEAP_BYTES also bounds the strong references to one object
 * below INT_MAX, so its kref never saturates and the collector's s32
 * gc_refs (a copy of the count) never goes negative: every reference is a
 * slot or a handle, every slot is charged at least 8 bytes (the slot
 * array is part of the object's allocation, see object.c) and every
 * handle at least 8 (the handle table's nodes, see account.c), and
 * nothing is charged past the heap's max_bytes. So a heap holds at most
 * max_bytes / 8 references, plus the one a command holds for a moment.
 */
#define REFSTORE_MAX_OBJECTS	BIT_ULL(32)
#define REFSTORE_MAX_HEAP_BYTES	(8ULL << 30)
#define REFSTORE_MAX_PAYLOAD	SZ_64M
#define REFSTORE_MAX_SLOTS	U16_MAX
#define REFSTORE_MAX_HANDLES	(U32_MAX >> 1)
#define REFSTORE_MAX_EVENTS	SZ_1M
#define REFSTORE_MIN_REF_CHARGE	8
static_assert(REFSTORE_MAX_HEAP_BYTES / REFSTORE_MIN_REF_CHARGE + 1 < INT_MAX,
	      "a heap at its byte limit could saturate an object's kref");

/* obj->creator of objects made after the heap's creator table filled up */
#define REFSTORE_CREATOR_UNKNOWN U32_MAX

/**
 * struct refstore_site_stats - the live objects of one group (alloc_stats.c)
 * @count: live objects
 * @bytes: what they are charged
 * @created: objects ever created in the group
 */
struct refstore_site_stats {
	u64 count;
	u64 bytes;
	u64 created;
};

/**
 * struct refstore_creator - who created objects, shared by their objects
 * @pid: thread group id, as the creator saw it
 * @comm: the creator's command name
 * @st: its live objects
 */
struct refstore_creator {
	pid_t pid;
	char comm[TASK_COMM_LEN];
	struct refstore_site_stats st;
};

/**
 * struct refstore_traced - a heap's totals, as tracemalloc's traced memory
 * @objects: live (published) objects
 * @bytes: what they are charged
 * @peak_objects: the most @objects since the heap's open or the last reset
 * @peak_bytes: the most @bytes, likewise
 */
struct refstore_traced {
	u64 objects;
	u64 bytes;
	u64 peak_objects;
	u64 peak_bytes;
};

struct refstore_tag_table;

/*
 * Every allocation userspace causes is charged to its memory cgroup, and
 * fails with ENOMEM at the cgroup's limit rather than invoking the OOM
 * killer: a heap over its memory.max gets a clean error. One exception:
 * the event ring's growth for a timed collection's records happens in the
 * collector thread, whose cgroup is the root's; it is bounded by the
 * heap's max_events and counted in the per-user caps like the rest.
 */
#define REFSTORE_GFP (GFP_KERNEL_ACCOUNT | __GFP_NORETRY)

/* Buckets of the pause histogram: bucket b counts pauses of 2^b..2^(b+1) ns. */
#define REFSTORE_PAUSE_BUCKETS 40

/*
 * heap->gc_flags: the heap is on the collector's queue or in its hands
 * (then heap->gc_link is the collector's, and it holds a reference).
 */
#define REFSTORE_HEAP_GC_PENDING 0
/*
 * heap->gc_flags: a task is running a collection the heap's thresholds made
 * due (refstore_gc_collect_due()); other tasks do not start another.
 */
#define REFSTORE_HEAP_GC_COLLECTING 1

/* The largest collection delay, ms: GC_SET_DELAY and gc_delay_ms. */
#define REFSTORE_GC_MAX_DELAY_MS 60000

/**
 * struct refstore_user - what one user's heaps are charged, together
 * @uid: the user (the heaps' openers' refstore_charge_uid())
 * @ref: one per heap of the user; the table's entry holds none
 * @bytes: bytes charged to the user's heaps (contents and overhead)
 * @heaps: the user's open heaps
 * @gc_timed_ns: the sum of the user's live heaps' @gc_timed_ns (struct
 *	refstore_heap; not of those exempt from the per-user caps): the
 *	collector thread's recent time on the user. A
 *	heap's timer waits for REFSTORE_GC_TIMED_SHARE times it, so the user
 *	gets a share of the thread, however many heaps it opens (gc.c)
 */
struct refstore_user {
	kuid_t uid;
	refcount_t ref;
	atomic64_t bytes;
	atomic_t heaps;
	atomic64_t gc_timed_ns;
};

/**
 * struct refstore_table_charge - what an xarray of a heap is charged
 * @hwm: the highest index ever stored in it
 * @charged: bytes charged for its nodes now
 *
 * See refstore_table_recharge() (account.c).
 */
struct refstore_table_charge {
	u64 hwm;
	u64 charged;
};

/**
 * struct refstore_heap - the state behind one open of /dev/refstore
 * @lock: protects the object graph: @handles, @weak_lists, every object's
 *	slots, flags and list node, @graph, @creators, @limits and
 *	the counters below it. Taken by every ioctl that touches objects.
 *	No command touches user memory under it: arguments are copied in
 *	before, answers out after, and what a command makes is published
 *	or committed under it again once the answer is out (see ioctl.c).
 * @handles: handle number -> strong (struct refstore_obj *) or weak
 *	(struct refstore_weak *, tagged 1) entry
 * @weak_lists: object id -> list_head of the weak handles naming it
 * @graph: the objects and the collector's state
 * @creators: array of @nr_creators entries, indexed by obj->creator
 * @nr_creators: entries in @creators
 * @limits: this heap's limits (only ever lowered)
 * @nr_objects: live objects
 * @nr_bytes: bytes charged for live objects
 * @nr_handles: strong handles
 * @nr_weak: weak handles
 * @created: objects ever created
 * @freed: objects ever freed
 * @last_obj_id: the id given to the heap's newest object; ids are per
 *	heap, so they tell nothing of other heaps, and dense, so tables keyed
 *	by them (@weak_lists) stay small
 * @ev_lock: protects the @ev_* fields; nests inside @lock
 * @ev_read_lock: serialises readers, so the head only moves in one place
 * @ev_wait: readers and pollers wait here for events
 * @ev_ring: @ev_cap events, allocated with the first NOTIFY object
 * @ev_cap: size of @ev_ring
 * @ev_head: index of the oldest queued event
 * @ev_count: events queued
 * @ev_lost: events dropped and not yet reported by read(); a report carries
 *	at most U32_MAX of them, the rest waits for the next
 * @ev_queued: events ever queued
 * @ev_dropped: events ever dropped
 * @ref: the file's reference, plus one while the heap is on the collector's
 *	queue or in its hands, plus one per debugfs control command at work
 * @dead: the file was released and the heap emptied; under @lock
 * @gc_flags: REFSTORE_HEAP_GC_* bits, atomic bitops
 * @gc_link: on the collector's queue (gc.c), while REFSTORE_HEAP_GC_PENDING
 * @gc_pause_total: ns spent collecting; this and below under @lock
 * @gc_pause_max: longest collection, ns
 * @gc_automatic: automatic collections: those the thresholds made due,
 *	run by the task whose CREATE did, and the timed ones, run by the
 *	collector thread
 * @gc_timed_ns: the pause of the heap's last timed collection; under @lock,
 *	and added to @user's sum with it; frozen once @dead, when
 *	refstore_gc_heap_release() takes it out of the sum. The timer is
 *	not armed for less than REFSTORE_GC_TIMED_SHARE times the user's sum
 *	(the heap's own value if the heap is @unlimited)
 * @gc_pause_hist: collections by log2 of their pause in ns
 * @gc_delay_ms: the time bound, ms, 0 for none (GC_SET_DELAY); under @lock
 * @gc_timer: armed, while the heap has suspects, by the call that left
 *	them; its expiry queues the heap, time-due (gc.c). Cancelled, synced,
 *	by refstore_gc_heap_release() once refstore_heap_destroy() set @dead
 *	(main.c calls both), so it needs no reference
 * @id: heap id, from 1, its index in the heap table and the name of its
 *	debugfs directory
 * @owner_pid: tgid of the opener
 * @owner_comm: command name of the opener
 * @debugfs: the heap's debugfs directory
 * @user: the opener's user, charged with everything the heap is charged
 * @unlimited: the opener had CAP_SYS_RESOURCE: no per-user caps
 * @overhead: bytes charged outside @limits.max_bytes: the heap itself, its
 *	debugfs files, creator table and event ring; under @lock
 * @handles_charge: what @handles is charged; under @lock
 * @weak_lists_charge: what @weak_lists is charged; under @lock
 * @nr_weak_lists: entries of @weak_lists; under @lock
 * @nr_notify: live (or allocated) NOTIFY objects, plus weak handles
 *	whose callback is armed: the events that may still come; under @lock
 * @nr_weak_slots: weak slots; under @lock
 * @traced: the allocation statistics' totals; under @lock
 * @tags: live objects by tag, allocated with the first object; under @lock
 * @tag_other: objects of tags the full @tags does not track; under @lock
 * @creator_other: objects of creators past the creator table; under @lock
 * @stats_off: keeps no allocation statistics (test knob alloc_stats_off at
 *	its open, for the benchmark); set before the heap is published
 */
struct refstore_heap {
	struct mutex lock; /* the object graph: see @lock above */
	struct xarray handles;
	struct xarray weak_lists;
	struct refstore_graph graph;
	struct refstore_creator *creators;
	u32 nr_creators;
	struct refstore_obj_limits limits;
	u64 nr_objects;
	u64 nr_bytes;
	u64 nr_handles;
	u64 nr_weak;
	u64 created;
	u64 freed;
	u64 last_obj_id;

	spinlock_t ev_lock; /* the ev_* fields */
	struct mutex ev_read_lock; /* one reader retires events at a time */
	wait_queue_head_t ev_wait;
	struct refstore_event *ev_ring;
	u32 ev_cap;
	u32 ev_head;
	u32 ev_count;
	u64 ev_lost;
	u64 ev_queued;
	u64 ev_dropped;

	struct kref ref;
	bool dead;
	unsigned long gc_flags;
	struct list_head gc_link;
	u64 gc_pause_total;
	u64 gc_pause_max;
	u64 gc_automatic;
	u64 gc_timed_ns;
	u32 gc_pause_hist[REFSTORE_PAUSE_BUCKETS];
	u32 gc_delay_ms;
	struct delayed_work gc_timer;

	u64 id;
	pid_t owner_pid;
	char owner_comm[TASK_COMM_LEN];
	struct dentry *debugfs;

	struct refstore_user *user;
	bool unlimited;
	u64 overhead;
	struct refstore_table_charge handles_charge;
	struct refstore_table_charge weak_lists_charge;
	u64 nr_weak_lists;
	u64 nr_notify;
	u64 nr_weak_slots;

	struct refstore_traced traced;
	struct refstore_tag_table *tags;
	struct refstore_site_stats tag_other;
	struct refstore_site_stats creator_other;
	bool stats_off;
};

/* struct refstore_weak.wflags */
#define REFSTORE_WEAK_SLOT	BIT(0)	/* a weak slot, not a handle */
#define REFSTORE_WEAK_CALLBACK	BIT(1)	/* callback armed: fires once */
#define REFSTORE_WEAK_PUBLISHED	BIT(2)	/* the handle is visible */
#define REFSTORE_WEAK_DIED	BIT(3)	/* died before the publish: fire then */
#define REFSTORE_WEAK_FIRED_CYCLE BIT(4) /* the callback's cause: collector */

/**
 * struct refstore_weak - a weak reference: a weak handle or a weak slot
 * @obj: the object, or NULL once it has been freed
 * @node: on the object's list in heap->weak_lists while @obj is set,
 *	newest first
 * @obj_id: the id of the object it was made to (the callback's event)
 * @owner: a weak slot's object (the slot holds this entry, tagged
 *	REFSTORE_SLOT_WEAK_TAG); NULL for a handle
 * @cookie: the callback's cookie (REFSTORE_WEAK_CALLBACK)
 * @handle: a weak handle's number; a weak slot's index
 * @wflags: REFSTORE_WEAK_* bits
 *
 * Protected by the heap's lock.
 */
struct refstore_weak {
	struct refstore_obj *obj;
	struct list_head node;
	u64 obj_id;
	struct refstore_obj *owner;
	u64 cookie;
	u32 handle;
	u32 wflags;
};

/* What a weak slot holds: its entry, tagged (see core/graph.h). */
static inline struct refstore_obj *refstore_weak_slot_ptr(struct refstore_weak *weak)
{
	return (struct refstore_obj *)((unsigned long)weak |
				       REFSTORE_SLOT_WEAK_TAG);
}

static inline struct refstore_weak *refstore_slot_weak(struct refstore_obj *slot)
{
	return (struct refstore_weak *)((unsigned long)slot &
					~REFSTORE_SLOT_WEAK_TAG);
}

/**
 * struct refstore_global_stats - module-wide counters, shown in debugfs
 * @heaps: open heaps
 * @objects: live objects
 * @bytes: bytes charged to every heap: contents and overhead (the figure
 *	max_total_bytes caps)
 * @created: objects ever created
 * @freed: objects ever freed
 * @events_queued: death events ever queued
 * @events_dropped: death events ever dropped
 */
struct refstore_global_stats {
	atomic64_t heaps;
	atomic64_t objects;
	atomic64_t bytes;
	atomic64_t created;
	atomic64_t freed;
	atomic64_t events_queued;
	atomic64_t events_dropped;
};

extern struct refstore_global_stats refstore_stats;
extern struct refstore_obj_limits refstore_default_limits;
extern bool refstore_test_knobs;

/* heap.c */
struct refstore_heap *refstore_heap_create(void);
int refstore_heap_publish(struct refstore_heap *heap);
void refstore_heap_destroy(struct refstore_heap *heap);
void refstore_heap_put(struct refstore_heap *heap);
struct refstore_heap *refstore_heap_get(u64 id);
struct refstore_heap *refstore_heap_get_next(unsigned long *id);
int refstore_heap_creator(struct refstore_heap *heap, u32 *index);
const struct refstore_creator *
refstore_heap_creator_of(struct refstore_heap *heap,
			 const struct refstore_obj *obj);

/* object.c */
int refstore_obj_cache_init(void);
void refstore_obj_cache_exit(void);
struct refstore_obj *refstore_obj_alloc(struct refstore_heap *heap,
					const struct refstore_create *args);
void refstore_obj_publish(struct refstore_heap *heap, struct refstore_obj *obj);
void refstore_obj_abort(struct refstore_heap *heap, struct refstore_obj *obj);
void refstore_obj_free_list(struct refstore_heap *heap,
			    struct list_head *to_free);
void refstore_obj_put_reap(struct refstore_heap *heap,
			   struct refstore_obj *obj, struct list_head *to_free);
u8 *refstore_obj_payload(struct refstore_obj *obj);
u64 refstore_obj_cookie(struct refstore_obj *obj);
size_t refstore_obj_charge(const struct refstore_obj *obj);
unsigned int refstore_obj_count(struct refstore_obj *obj);

/* handle.c */
int refstore_handle_reserve(struct refstore_heap *heap, u32 *handle);
void refstore_handle_publish(struct refstore_heap *heap, u32 handle,
			     struct refstore_obj *obj);
void refstore_handle_unreserve(struct refstore_heap *heap, u32 handle);
struct refstore_weak *refstore_weak_reserve(struct refstore_heap *heap,
					    struct refstore_obj *obj,
					    u32 *handle);
int refstore_weak_arm(struct refstore_heap *heap, struct refstore_weak *weak,
		      u64 cookie);
struct refstore_weak *refstore_weak_slot_new(struct refstore_heap *heap,
					     struct refstore_obj *owner,
					     u32 slot, struct refstore_obj *obj);
void refstore_weak_slot_free(struct refstore_heap *heap,
			     struct refstore_weak *weak);
void refstore_weak_slots_release(struct refstore_heap *heap,
				 struct refstore_obj *obj);
void refstore_weak_count(struct refstore_heap *heap, struct refstore_obj *obj,
			 u64 *handles, u64 *slots);
u32 refstore_weak_list(struct refstore_heap *heap, struct refstore_obj *obj,
		       u64 start, struct refstore_weakref_entry *out, u32 max);
void refstore_weak_publish(struct refstore_heap *heap, u32 handle,
			   struct refstore_weak *weak);
void refstore_weak_unreserve(struct refstore_heap *heap, u32 handle,
			     struct refstore_weak *weak);
struct refstore_obj *refstore_handle_obj(struct refstore_heap *heap,
					 u32 handle);
struct refstore_weak *refstore_handle_weak(struct refstore_heap *heap,
					   u32 handle);
int refstore_handle_close(struct refstore_heap *heap, u32 handle,
			  struct refstore_obj **objp);
void refstore_weak_clear(struct refstore_heap *heap, struct refstore_obj *obj,
			 u32 cause);
void refstore_handles_destroy(struct refstore_heap *heap);

/* event.c */
void refstore_event_init(struct refstore_heap *heap);
int refstore_event_ring_alloc(struct refstore_heap *heap);
int refstore_event_ring_grow(struct refstore_heap *heap, u64 more);
void refstore_event_lose(struct refstore_heap *heap);
void refstore_event_queue_count(struct refstore_heap *heap, u64 cookie, u64 id,
				u32 cause, u32 count);
void refstore_event_queue(struct refstore_heap *heap, u64 cookie, u64 id,
			  u32 cause);
u32 refstore_events_pending(struct refstore_heap *heap);
ssize_t refstore_event_read(struct refstore_heap *heap, char __user *buf,
			    size_t len, bool nonblock);
__poll_t refstore_event_poll(struct refstore_heap *heap, struct file *file,
			     poll_table *wait);
void refstore_event_ring_free(struct refstore_heap *heap);
void refstore_event_set_max(struct refstore_heap *heap, u32 max_events);

/**
 * struct refstore_event_counts - a heap's event counters, read together
 * @queued: events ever queued
 * @dropped: events ever dropped
 * @pending: what read() would return now, in events
 */
struct refstore_event_counts {
	u64 queued;
	u64 dropped;
	u32 pending;
};

void refstore_event_counts(struct refstore_heap *heap,
			   struct refstore_event_counts *c);

/**
 * struct refstore_gc_run - one collection of a heap, between its halves
 * @coll: the core's staged collection
 * @res: what the scan found (and the commit collects)
 * @to_free: what the commit released, freed after the heap's lock (by
 *	the collector thread before it drops the lock: timed with the rest)
 * @pause_ns: time spent under the heap's lock so far
 * @automatic: started by the collector thread
 *
 * Filled by refstore_gc_scan(); only @res is for the caller to read.
 */
struct refstore_gc_run {
	struct refstore_collection coll;
	struct refstore_collect_result res;
	struct list_head to_free;
	u64 pause_ns;
	bool automatic;
};

/* gc.c */
extern bool refstore_gc_auto;
int refstore_gc_start(void);
void refstore_gc_stop(void);
bool refstore_gc_due(struct refstore_heap *heap);
void refstore_gc_collect_due(struct refstore_heap *heap);
void refstore_gc_heap_init(struct refstore_heap *heap);
void refstore_gc_note_suspects(struct refstore_heap *heap);
void refstore_gc_heap_release(struct refstore_heap *heap);
int refstore_gc_collect(struct refstore_heap *heap, u32 generation,
			struct refstore_collect_result *res);
int refstore_gc_scan(struct refstore_heap *heap, u32 gen,
		     struct refstore_gc_run *run);
void refstore_gc_finish(struct refstore_heap *heap, struct refstore_gc_run *run,
			bool commit);
int refstore_gc_collect_all(void);
void refstore_gc_debugfs_show(struct seq_file *m);
void refstore_gc_debugfs_init(struct dentry *root);

/**
 * struct refstore_ucmd - one ioctl call being handled
 * @heap: the heap of the file the call was made on
 * @ubuffer: the caller's structure
 * @user_size: the caller's size of it (its @size member)
 * @cmd: the structure, copied in and zero-extended to the module's size
 */
struct refstore_ucmd {
	struct refstore_heap *heap;
	void __user *ubuffer;
	u32 user_size;
	void *cmd;
};

/* ioctl.c */
long refstore_ioctl(struct file *file, unsigned int cmd, unsigned long arg);

/* gc_ioctl.c */
int refstore_ioc_gc_collect(struct refstore_ucmd *ucmd);
int refstore_ioc_gc_enable(struct refstore_ucmd *ucmd);
int refstore_ioc_gc_disable(struct refstore_ucmd *ucmd);
int refstore_ioc_gc_isenabled(struct refstore_ucmd *ucmd);
int refstore_ioc_gc_set_delay(struct refstore_ucmd *ucmd);
int refstore_ioc_gc_get_delay(struct refstore_ucmd *ucmd);
int refstore_ioc_gc_set_threshold(struct refstore_ucmd *ucmd);
int refstore_ioc_gc_get_threshold(struct refstore_ucmd *ucmd);
int refstore_ioc_gc_get_count(struct refstore_ucmd *ucmd);
int refstore_ioc_gc_get_stats(struct refstore_ucmd *ucmd);
int refstore_ioc_gc_freeze(struct refstore_ucmd *ucmd);
int refstore_ioc_gc_unfreeze(struct refstore_ucmd *ucmd);
int refstore_ioc_gc_get_freeze_count(struct refstore_ucmd *ucmd);
int refstore_ioc_gc_set_debug(struct refstore_ucmd *ucmd);
int refstore_ioc_gc_get_debug(struct refstore_ucmd *ucmd);
int refstore_ioc_gc_garbage(struct refstore_ucmd *ucmd);
int refstore_ioc_gc_clear_garbage(struct refstore_ucmd *ucmd);

/* account.c */
int refstore_account_init(void);
void refstore_account_exit(void);
int refstore_account_open(struct refstore_heap *heap);
void refstore_account_release(struct refstore_heap *heap);
int refstore_charge(struct refstore_heap *heap, u64 bytes);
void refstore_uncharge(struct refstore_heap *heap, u64 bytes);
void refstore_uncharge_freed(struct refstore_heap *heap, u64 bytes);
int refstore_charge_overhead(struct refstore_heap *heap, u64 bytes);
void refstore_uncharge_overhead(struct refstore_heap *heap, u64 bytes);
int refstore_table_recharge(struct refstore_heap *heap,
			    struct refstore_table_charge *tc, u64 entries,
			    u64 index);
size_t refstore_kv_size(size_t size);
size_t refstore_kmalloc_size(size_t size);
void refstore_account_debugfs_init(struct dentry *root);
u64 refstore_max_total_bytes(void);

/**
 * refstore_uncharge_heap() - undo refstore_charge() for the heap alone
 * @heap: the heap, locked
 * @bytes: what was charged
 *
 * The first half of refstore_uncharge(), for an object released under the
 * heap's lock whose memory is freed later: refstore_uncharge_freed() gives
 * the same bytes back to the user and the module then. Inline: a
 * collection calls it for every object it frees.
 */
static inline void refstore_uncharge_heap(struct refstore_heap *heap,
					  u64 bytes)
{
	lockdep_assert_held(&heap->lock);
	heap->nr_bytes -= bytes;
}

/* fault.c */
void refstore_fault_exit(void);
bool refstore_fault(void);

/**
 * refstore_respond() - copy a command's structure back to the caller
 * @ucmd: the call
 * @cmd_len: sizeof() the command's structure
 *
 * Writes at most the caller's size, so an older caller gets the fields it
 * knows. Called without the heap's lock. Inline here, for ioctl.c and
 * gc_ioctl.c alike: calls between module files point one way.
 *
 * Return: 0 or -EFAULT.
 */
static inline int refstore_respond(struct refstore_ucmd *ucmd, size_t cmd_len)
{
	if (refstore_fault() ||
	    copy_to_user(ucmd->ubuffer, ucmd->cmd,
			 min_t(size_t, ucmd->user_size, cmd_len)))
		return -EFAULT;
	return 0;
}

/**
 * refstore_copy_entries() - copy a listing's entries out to the caller
 * @dst: the caller's entries, @esize bytes apart
 * @src: @n entries of @len bytes, in a kernel buffer
 * @n: entries to copy
 * @len: sizeof() an entry as the kernel knows it
 * @esize: the caller's entry size, at least @len: the bytes past @len are
 *	zeroed
 *
 * Called without the heap's lock. Inline here, for alloc_stats.c and
 * inspect.c alike: calls between module files point one way.
 *
 * Return: 0 or -EFAULT.
 */
static inline int refstore_copy_entries(u8 __user *dst, const void *src,
					u32 n, size_t len, size_t esize)
{
	u32 i;

	for (i = 0; i < n; i++, dst += esize, src += len) {
		if (refstore_fault() || copy_to_user(dst, src, len) ||
		    (esize > len && clear_user(dst + len, esize - len)))
			return -EFAULT;
	}
	return 0;
}

void refstore_fault_debugfs_init(struct dentry *root);

/* alloc_stats.c */
int refstore_tags_prepare(struct refstore_heap *heap, u64 tag);
void refstore_tags_unprepare(struct refstore_heap *heap, u64 tag);
void refstore_alloc_stats_add(struct refstore_heap *heap,
			      const struct refstore_obj *obj, u64 bytes);
void refstore_alloc_stats_del(struct refstore_heap *heap,
			      const struct refstore_obj *obj, u64 bytes);
void refstore_tags_free(struct refstore_heap *heap);
int refstore_ioc_traced_memory(struct refstore_ucmd *ucmd);
int refstore_ioc_tag_name(struct refstore_ucmd *ucmd);
int refstore_ioc_snapshot(struct refstore_ucmd *ucmd);
void refstore_heap_show_fdinfo(struct seq_file *m, struct refstore_heap *heap);
void refstore_alloc_stats_debugfs_init(struct dentry *root);
void refstore_alloc_stats_init(struct refstore_heap *heap);

/* gc_events.c */
void refstore_gc_event_start(struct refstore_heap *heap, u32 generation,
			     bool automatic);
void refstore_gc_event_stop(struct refstore_heap *heap,
			    struct refstore_gc_run *run, u64 ns, bool commit);

/* inspect.c */
/* Called for each live object; returns false to stop the walk. */
typedef bool (*refstore_visit_t)(struct refstore_heap *heap,
				 struct refstore_obj *obj, void *arg);
void refstore_walk_objs(struct refstore_heap *heap, refstore_visit_t visit,
			void *arg);
u32 refstore_obj_generation(struct refstore_heap *heap,
			    const struct refstore_obj *obj);
void refstore_object_info_fill(struct refstore_heap *heap,
			       struct refstore_obj *obj,
			       struct refstore_object_info *oi, char *comm);
u64 refstore_referent(struct refstore_obj *slot, u32 *fl);

/**
 * struct refstore_smallest - the @cap smallest of the entries a walk offers
 * @v: @cap entries of @size bytes
 * @n: entries kept
 * @cap: at most this many
 * @size: bytes of an entry
 * @cmp: orders two entries by their keys (distinct), as sort() takes it
 */
struct refstore_smallest {
	void *v;
	u32 n;
	u32 cap;
	size_t size;
	cmp_func_t cmp;
};

void *refstore_smallest_add(struct refstore_smallest *s, const void *e);
int refstore_ioc_objects(struct refstore_ucmd *ucmd);
int refstore_ioc_referents(struct refstore_ucmd *ucmd);
int refstore_ioc_referrers(struct refstore_ucmd *ucmd);
int refstore_ioc_id_handle(struct refstore_ucmd *ucmd);

/* debugfs.c */
struct dentry *refstore_debugfs_init(void);
void refstore_debugfs_exit(void);
void refstore_debugfs_heap_add(struct refstore_heap *heap);
void refstore_debugfs_heap_remove(struct refstore_heap *heap);

/**
 * refstore_respond_handle() - answer with a new strong handle, then
 *	publish it or take it back
 * @ucmd: the call
 * @cmd_len: sizeof() the command's structure
 * @handle: reserved with refstore_handle_reserve(), with the heap locked
 * @obj: the object, referenced for @handle under the same lock
 *
 * Called without the heap's lock. If the answer cannot be written the
 * reservation and the reference are dropped, which frees @obj if that was
 * its last reference (a death like any other: others could see it).
 *
 * Inline here, for ioctl.c and inspect.c alike: calls between module files
 * point one way.
 *
 * Return: 0 or -EFAULT.
 */
static inline int refstore_respond_handle(struct refstore_ucmd *ucmd,
					  size_t cmd_len, u32 handle,
					  struct refstore_obj *obj)
{
	struct refstore_heap *heap = ucmd->heap;
	int ret = refstore_respond(ucmd, cmd_len);
	LIST_HEAD(to_free);

	mutex_lock(&heap->lock);
	if (ret) {
		refstore_handle_unreserve(heap, handle);
		refstore_obj_put_reap(heap, obj, &to_free);
	} else {
		refstore_handle_publish(heap, handle, obj);
	}
	mutex_unlock(&heap->lock);
	refstore_obj_free_list(heap, &to_free);
	return ret;
}

/**
 * refstore_handle_for_obj() - answer with a new strong handle to @obj
 * @ucmd: the call
 * @cmd_len: sizeof() the command's structure
 * @handle: out: the handle's field in the command's structure
 * @obj: a live object of the heap, found under the heap's lock
 *
 * The tail of DUP, GET_SLOT, UPGRADE and ID_HANDLE: reserves the handle
 * and takes @obj's reference for it under the lock the caller found @obj
 * in, drops that lock, then answers and publishes the handle (see
 * refstore_respond_handle()). Called with the heap's lock held; returns
 * with it dropped.
 *
 * Return: 0, an error of refstore_handle_reserve(), or -EFAULT.
 */
static inline int refstore_handle_for_obj(struct refstore_ucmd *ucmd,
					  size_t cmd_len, u32 *handle,
					  struct refstore_obj *obj)
{
	struct refstore_heap *heap = ucmd->heap;
	int ret;

	lockdep_assert_held(&heap->lock);
	ret = refstore_handle_reserve(heap, handle);
	if (ret) {
		mutex_unlock(&heap->lock);
		return ret;
	}
	refstore_obj_get(obj);
	mutex_unlock(&heap->lock);
	return refstore_respond_handle(ucmd, cmd_len, *handle, obj);
}

#endif /* _REFSTORE_PRIVATE_H */
