// SPDX-License-Identifier: GPL-2.0
/*
 * refstore objects: allocation, accounting and freeing. Reference counting
 * and the collector live in graph.c and collect.c; this file implements
 * their hooks for the module.
 */
#include <linux/atomic.h>
#include <linux/overflow.h>
#include <linux/slab.h>

#include "refstore_private.h"
#include "trace.h"

/*
 * An object's layout: the header, then its slots (always: the core finds
 * them at obj + 1, refstore_obj_slots()), then the rest: the death cookie
 * (REFSTORE_OF_NOTIFY) and the payload. When slots and rest take at most
 * REFSTORE_OBJ_INLINE_MAX bytes, the rest follows the slots; otherwise it
 * is a separate kvzalloc() whose pointer follows the slots. Which of the
 * two follows from the sizes (refstore_obj_rest_inline()), no flag. The
 * head (header, slots, and the rest or its pointer) comes from the
 * exact-fit cache for its size rounded up to 8 bytes when what follows
 * the header takes at most REFSTORE_OBJ_INLINE_MAX bytes, else from
 * kvzalloc() (more than 7 slots with a payload or a cookie, or more than
 * 8 slots).
 * One allocation saves a cache miss on every slot the collector walks;
 * a one-slot object is one 64-byte cache line (graph.h), and the
 * header-plus-slots objects of a graph (up to 8 slots) cost exactly
 * 56 + 8 bytes per slot.
 */
#define REFSTORE_OBJ_INLINE_STEP	8
#define REFSTORE_OBJ_NR_CACHES \
	(REFSTORE_OBJ_INLINE_MAX / REFSTORE_OBJ_INLINE_STEP + 1)

static const char *const refstore_obj_cache_names[REFSTORE_OBJ_NR_CACHES] = {
	"refstore_obj", "refstore_obj_8", "refstore_obj_16", "refstore_obj_24",
	"refstore_obj_32", "refstore_obj_40", "refstore_obj_48",
	"refstore_obj_56", "refstore_obj_64",
};

static struct kmem_cache *refstore_obj_caches[REFSTORE_OBJ_NR_CACHES];
/* kmem_cache_size() of each cache, read once: a release reads it. */
static unsigned int refstore_obj_cache_sizes[REFSTORE_OBJ_NR_CACHES];

void refstore_obj_cache_exit(void)
{
	int i;

	for (i = 0; i < REFSTORE_OBJ_NR_CACHES; i++) {
		kmem_cache_destroy(refstore_obj_caches[i]);
		refstore_obj_caches[i] = NULL;
	}
}

int refstore_obj_cache_init(void)
{
	int i;

	/* A one-slot object is one cache line (graph.h). */
	BUILD_BUG_ON(sizeof(struct refstore_obj) +
		     sizeof(struct refstore_obj *) != 64);
	for (i = 0; i < REFSTORE_OBJ_NR_CACHES; i++) {
		size_t size = sizeof(struct refstore_obj) +
			      i * REFSTORE_OBJ_INLINE_STEP;

		/*
		 * The one-slot objects start on a cache line, whatever the
		 * slab's debugging options put between them.
		 */
		refstore_obj_caches[i] =
			kmem_cache_create(refstore_obj_cache_names[i], size,
					  size == 64 ? 64 :
					  __alignof__(struct refstore_obj),
					  SLAB_ACCOUNT, NULL);
		if (!refstore_obj_caches[i]) {
			refstore_obj_cache_exit();
			return -ENOMEM;
		}
		refstore_obj_cache_sizes[i] =
			kmem_cache_size(refstore_obj_caches[i]);
	}
	return 0;
}

/* The sizes an object's layout follows from: its slots and its rest. */
struct refstore_obj_sizes {
	size_t slots;
	size_t rest;
};

static struct refstore_obj_sizes
refstore_obj_sizes_of(const struct refstore_obj *obj)
{
	struct refstore_obj_sizes sz = {
		.slots = (size_t)obj->nslots * sizeof(struct refstore_obj *),
		.rest = obj->payload_size,
	};

	if (obj->flags & REFSTORE_OF_NOTIFY)
		sz.rest += sizeof(u64);
	return sz;
}

/*
 * Does the rest follow the slots (else a pointer to it does)? An empty
 * rest has no block and no pointer: it "follows" the slots.
 */
static bool refstore_obj_rest_inline(struct refstore_obj_sizes sz)
{
	return !sz.rest || sz.slots + sz.rest <= REFSTORE_OBJ_INLINE_MAX;
}

/* Bytes of the head (the object's first allocation) after the header. */
static size_t refstore_obj_head_ext(struct refstore_obj_sizes sz)
{
	if (refstore_obj_rest_inline(sz))
		return sz.slots + sz.rest;
	return sz.slots + sizeof(void *);
}

/* The index of the cache of a head with @ext bytes after the header. */
static unsigned int refstore_obj_cache_index(size_t ext)
{
	return DIV_ROUND_UP(ext, REFSTORE_OBJ_INLINE_STEP);
}

/* The cache of a head with @ext bytes after the header, or NULL. */
static struct kmem_cache *refstore_obj_cache_for(size_t ext)
{
	if (ext > REFSTORE_OBJ_INLINE_MAX)
		return NULL;
	return refstore_obj_caches[refstore_obj_cache_index(ext)];
}

/* Just past the slots: the rest itself, or the pointer to it. */
static u8 *refstore_obj_after_slots(struct refstore_obj *obj,
				    struct refstore_obj_sizes sz)
{
	return (u8 *)refstore_obj_slots(obj) + sz.slots;
}

/* Where an object's rest (cookie, then payload) is. */
static u8 *refstore_obj_rest(struct refstore_obj *obj)
{
	struct refstore_obj_sizes sz = refstore_obj_sizes_of(obj);
	u8 *p = refstore_obj_after_slots(obj, sz);

	return refstore_obj_rest_inline(sz) ? p : *(u8 **)p;
}

u8 *refstore_obj_payload(struct refstore_obj *obj)
{
	u8 *rest = refstore_obj_rest(obj);

	return obj->flags & REFSTORE_OF_NOTIFY ? rest + sizeof(u64) : rest;
}

u64 refstore_obj_cookie(struct refstore_obj *obj)
{
	if (!(obj->flags & REFSTORE_OF_NOTIFY))
		return 0;
	return *(u64 *)refstore_obj_rest(obj);
}

/* What an object of sizes @sz really allocates. */
static size_t refstore_obj_size(struct refstore_obj_sizes sz)
{
	size_t ext = refstore_obj_head_ext(sz), size;

	if (ext <= REFSTORE_OBJ_INLINE_MAX)
		/* The cache's objects, with their memcg pointer (SLAB_ACCOUNT). */
		size = refstore_obj_cache_sizes[refstore_obj_cache_index(ext)] +
		       sizeof(void *);
	else
		size = refstore_kv_size(sizeof(struct refstore_obj) + ext);
	if (!refstore_obj_rest_inline(sz))
		size += refstore_kv_size(sz.rest);
	return size;
}

/* Free an out-of-line rest, if the object has one. */
static void refstore_obj_free_rest(struct refstore_obj *obj,
				   struct refstore_obj_sizes sz)
{
	if (!refstore_obj_rest_inline(sz))
		kvfree(*(void **)refstore_obj_after_slots(obj, sz));
}

/* Free an object's head; @cache is refstore_obj_cache_for() its size. */
static void refstore_obj_free_head(struct refstore_obj *obj,
				   struct kmem_cache *cache)
{
	if (cache)
		kmem_cache_free(cache, obj);
	else
		kvfree(obj);
}

/**
 * refstore_obj_charge() - bytes an object counts against its heap
 * @obj: the object
 *
 * Return: what its allocations really take: its head (the slab object of
 * its cache with the memcg pointer, or a kvzalloc() at its kmalloc or
 * vmalloc size) and an out-of-line rest at its kvzalloc() size, rounded
 * up as the allocator does. Each slot costs at least its 8
 * bytes, which bounds the references to an object (refstore_private.h).
 */
size_t refstore_obj_charge(const struct refstore_obj *obj)
{
	return refstore_obj_size(refstore_obj_sizes_of(obj));
}

/* refstore_obj_charge() inlined, for the release and the free. */
static __always_inline size_t
refstore_obj_charge_of(const struct refstore_obj *obj)
{
	return refstore_obj_size(refstore_obj_sizes_of(obj));
}

/**
 * refstore_obj_count() - current number of strong references
 * @obj: the object
 *
 * Return: the count.
 */
unsigned int refstore_obj_count(struct refstore_obj *obj)
{
	return kref_read(&obj->kref);
}

/**
 * refstore_obj_alloc() - allocate an object and charge it to its heap
 * @heap: the heap, locked
 * @args: validated creation arguments
 *
 * The object starts with a count of one and counts against the heap's
 * limits, but is not part of the heap yet: no graph list, no collector
 * count, no creation counted. The caller either makes it part of the heap
 * with refstore_obj_publish() (handing its count to a handle) or gives it
 * back with refstore_obj_abort(); it may drop the heap's lock in between.
 *
 * Return: the object, or an ERR_PTR: -ENOSPC, -EDQUOT, -EUSERS, -ENOBUFS
 * (see account.c), -ENOMEM.
 */
struct refstore_obj *refstore_obj_alloc(struct refstore_heap *heap,
					const struct refstore_create *args)
{
	const struct refstore_obj_limits *lim = &heap->limits;
	struct refstore_obj_sizes sz;
	struct kmem_cache *cache;
	struct refstore_obj *obj;
	size_t ext, charge;
	u8 *rest;
	int ret;

	lockdep_assert_held(&heap->lock);

	if (args->payload_size > lim->max_payload || args->nslots > lim->max_slots)
		return ERR_PTR(-ENOSPC);
	if (heap->nr_objects >= lim->max_objects)
		return ERR_PTR(-EDQUOT);

	sz.slots = (size_t)args->nslots * sizeof(struct refstore_obj *);
	sz.rest = args->payload_size;
	if (args->flags & REFSTORE_CREATE_NOTIFY)
		sz.rest += sizeof(u64);
	charge = refstore_obj_size(sz);
	ret = refstore_charge(heap, charge);
	if (ret)
		return ERR_PTR(ret);

	ext = refstore_obj_head_ext(sz);
	cache = refstore_obj_cache_for(ext);
	if (refstore_fault())
		obj = NULL;
	else if (cache)
		obj = kmem_cache_zalloc(cache, REFSTORE_GFP);
	else
		obj = kvzalloc(sizeof(*obj) + ext, REFSTORE_GFP);
	if (!obj) {
		ret = -ENOMEM;
		goto out_uncharge;
	}

	rest = refstore_obj_after_slots(obj, sz);
	if (!refstore_obj_rest_inline(sz)) {
		void *p = refstore_fault() ? NULL :
			  kvzalloc(sz.rest, REFSTORE_GFP);

		if (!p) {
			ret = -ENOMEM;
			goto out_free_obj;
		}
		*(void **)rest = p;
		rest = p;
	}

	ret = refstore_heap_creator(heap, &obj->creator);
	if (ret)
		goto out_free_rest;
	ret = refstore_tags_prepare(heap, args->tag);
	if (ret)
		goto out_free_rest;

	if (args->flags & REFSTORE_CREATE_NOTIFY) {
		ret = refstore_event_ring_alloc(heap);
		if (ret)
			goto out_unprepare_tag;
		obj->flags |= REFSTORE_OF_NOTIFY;
	}

	kref_init(&obj->kref);
	obj->payload_size = args->payload_size;
	obj->nslots = args->nslots;
	obj->tag = args->tag;
	obj->id = ++heap->last_obj_id;
	if (obj->flags & REFSTORE_OF_NOTIFY)
		*(u64 *)rest = args->cookie;

	heap->nr_objects++;
	if (obj->flags & REFSTORE_OF_NOTIFY)
		heap->nr_notify++;
	atomic64_inc(&refstore_stats.objects);
	return obj;

out_unprepare_tag:
	refstore_tags_unprepare(heap, args->tag);
out_free_rest:
	if (!refstore_obj_rest_inline(sz))
		kvfree(rest);
out_free_obj:
	refstore_obj_free_head(obj, cache);
out_uncharge:
	refstore_uncharge(heap, charge);
	return ERR_PTR(ret);
}

static struct refstore_heap *refstore_graph_heap(struct refstore_graph *graph)
{
	return container_of(graph, struct refstore_heap, graph);
}

/* Take an object off its heap's and the module's live counters. */
static void refstore_obj_uncharge(struct refstore_heap *heap,
				  struct refstore_obj *obj)
{
	heap->nr_objects--;
	if (obj->flags & REFSTORE_OF_NOTIFY)
		heap->nr_notify--;
	refstore_uncharge(heap, refstore_obj_charge(obj));
	atomic64_dec(&refstore_stats.objects);
}

/* Graph hook: a collection found @obj unreachable. See graph.h. */
void refstore_graph_clear_weak(struct refstore_graph *graph,
			       struct refstore_obj *obj, u32 cause)
{
	struct refstore_heap *heap = refstore_graph_heap(graph);

	lockdep_assert_held(&heap->lock);
	if (obj->flags & REFSTORE_OF_WEAKREFS)
		refstore_weak_clear(heap, obj, cause);
}

/*
 * Graph hook: @obj is dead to its users (saved garbage too). See graph.h.
 * Its own death event first, then its weak references' callbacks, as
 * CPython's subtype_dealloc() runs __del__ before PyObject_ClearWeakRefs().
 * A collection cleared the weak references of all its garbage before
 * (refstore_graph_clear_weak()), so there the callbacks came first, as
 * in CPython's gc. Nothing is read before the heap's lock is dropped, so
 * no one sees a weak reference to a dead object either way.
 */
static __always_inline void refstore_obj_finalize(struct refstore_heap *heap,
						  struct refstore_obj *obj,
						  u32 cause)
{
	if (obj->flags & REFSTORE_OF_NOTIFY)
		refstore_event_queue(heap, refstore_obj_cookie(obj), obj->id,
				     cause);
	if (obj->flags & REFSTORE_OF_WEAKREFS)
		refstore_weak_clear(heap, obj, cause);
}

/* Graph hook: refstore_obj_finalize(). See graph.h. */
void refstore_graph_finalize_obj(struct refstore_graph *graph,
				 struct refstore_obj *obj, u32 cause)
{
	struct refstore_heap *heap = refstore_graph_heap(graph);

	lockdep_assert_held(&heap->lock);
	refstore_obj_finalize(heap, obj, cause);
}

/*
 * Graph hook: @obj died. See graph.h. A collection calls it for every
 * object it frees: what it calls per object is inline (the finalization,
 * the charge, the heap's uncharge), but for the allocation statistics.
 */
void refstore_graph_release_obj(struct refstore_graph *graph,
				struct refstore_obj *obj, u32 cause)
{
	struct refstore_heap *heap = refstore_graph_heap(graph);
	size_t charge;

	lockdep_assert_held(&heap->lock);
	trace_obj_free(heap->id, obj->id, cause);
	if (cause != REFSTORE_CAUSE_NONE)
		refstore_obj_finalize(heap, obj, cause);
	else if (!heap->dead &&
		 (obj->flags & (REFSTORE_OF_FINALIZED | REFSTORE_OF_WEAKREFS)) ==
		 (REFSTORE_OF_FINALIZED | REFSTORE_OF_WEAKREFS))
		/*
		 * Saved garbage finalized before: weak handles made since.
		 * Not in a heap's destruction: refstore_handles_destroy()
		 * freed every weak handle and list already.
		 */
		refstore_weak_clear(heap, obj, REFSTORE_CAUSE_RELEASED);
	if (obj->flags & REFSTORE_OF_WEAKSLOTS)
		refstore_weak_slots_release(heap, obj);
	/*
	 * The heap's counters move now; the user's and the module's (atomics
	 * shared by every heap) when the memory is freed, once per batch in
	 * refstore_obj_free_list().
	 */
	charge = refstore_obj_charge_of(obj);
	refstore_alloc_stats_del(heap, obj, charge);
	heap->nr_objects--;
	if (obj->flags & REFSTORE_OF_NOTIFY)
		heap->nr_notify--;
	refstore_uncharge_heap(heap, charge);
	heap->freed++;
}

/* Free an object's memory, nothing else. */
static void refstore_obj_free_mem(struct refstore_obj *obj)
{
	struct refstore_obj_sizes sz = refstore_obj_sizes_of(obj);

	refstore_obj_free_rest(obj, sz);
	refstore_obj_free_head(obj,
			       refstore_obj_cache_for(refstore_obj_head_ext(sz)));
}

/*
 * The user's and the module's share of @nr released objects' release
 * (refstore_graph_release_obj()), taking @bytes, once they are freed.
 */
static void refstore_obj_freed(struct refstore_heap *heap, u64 nr, u64 bytes)
{
	refstore_uncharge_freed(heap, bytes);
	atomic64_sub(nr, &refstore_stats.objects);
	atomic64_add(nr, &refstore_stats.freed);
}

/* Graph hook: free a released object's memory; no lock needed. */
void refstore_graph_free_obj(struct refstore_graph *graph,
			     struct refstore_obj *obj)
{
	refstore_obj_freed(refstore_graph_heap(graph), 1,
			   refstore_obj_charge_of(obj));
	refstore_obj_free_mem(obj);
}

/*
 * Objects a bulk free hands the slab allocator at once. SLUB's
 * kmem_cache_free_bulk() gives back all of a batch's objects that share a
 * slab with one cmpxchg on that slab, where kmem_cache_free() of an
 * object not in the CPU's current slab (the case for nearly every object
 * a collection frees) takes SLUB's slow path, a locked cmpxchg16b each.
 * Those frees were about three quarters of a collection's time in the
 * QEMU guest (docs/performance.md); a locked 16-byte cmpxchg is
 * expensive on real CPUs too, if far less so. 64 objects of 64 bytes
 * span about one slab.
 */
#define REFSTORE_FREE_BATCH	64

/**
 * refstore_obj_free_list() - free released objects' memory in bulk
 * @heap: the heap they were released from (its lock need not be held)
 * @to_free: objects refstore_collect_commit() or refstore_reap_to()
 *	released; left empty
 *
 * What refstore_free_list() does one object at a time, for the module:
 * the objects of a run from the same cache go to kmem_cache_free_bulk()
 * together (REFSTORE_FREE_BATCH at most); a kvzalloc()ed head (what
 * follows its header takes over REFSTORE_OBJ_INLINE_MAX bytes) and an
 * out-of-line cookie and payload are kvfree()d as they come; one
 * cond_resched() per REFSTORE_FREE_BATCH objects, whatever their
 * allocations. The heap's accounting was undone when they were released
 * (refstore_graph_release_obj()); the user's and the module's is undone
 * here, once for the whole list (refstore_obj_freed()).
 *
 * Context: process, may sleep; no lock needed.
 */
void refstore_obj_free_list(struct refstore_heap *heap,
			    struct list_head *to_free)
{
	void *batch[REFSTORE_FREE_BATCH];
	struct kmem_cache *cache = NULL, *c;
	struct refstore_obj *obj, *next;
	struct refstore_obj_sizes sz;
	size_t n = 0;
	u64 nr = 0, bytes = 0;

	list_for_each_entry_safe(obj, next, to_free, node) {
		prefetch(next);
		sz = refstore_obj_sizes_of(obj);
		nr++;
		bytes += refstore_obj_size(sz);
		refstore_obj_free_rest(obj, sz);
		c = refstore_obj_cache_for(refstore_obj_head_ext(sz));
		if (!c) {
			/* A head from kvzalloc(): not for a bulk free. */
			kvfree(obj);
		} else {
			if (n && (c != cache || n == ARRAY_SIZE(batch))) {
				kmem_cache_free_bulk(cache, n, batch);
				n = 0;
			}
			cache = c;
			batch[n++] = obj;
		}
		if (!(nr % REFSTORE_FREE_BATCH))
			cond_resched();
	}
	if (n)
		kmem_cache_free_bulk(cache, n, batch);
	INIT_LIST_HEAD(to_free);
	if (nr)
		refstore_obj_freed(heap, nr, bytes);
}

/**
 * refstore_obj_publish() - make an allocated object part of its heap
 * @heap: the heap, locked
 * @obj: from refstore_obj_alloc()
 */
void refstore_obj_publish(struct refstore_heap *heap, struct refstore_obj *obj)
{
	lockdep_assert_held(&heap->lock);
	refstore_graph_add(&heap->graph, obj);
	refstore_alloc_stats_add(heap, obj, refstore_obj_charge(obj));
	heap->created++;
	atomic64_inc(&refstore_stats.created);
	trace_obj_create(heap->id, obj->id, obj->payload_size, obj->nslots,
			 obj->tag);
}

/**
 * refstore_obj_abort() - undo refstore_obj_alloc() of an unpublished object
 * @heap: the heap, locked
 * @obj: from refstore_obj_alloc(), never published
 *
 * No one has seen the object, so it goes without a trace: no death event,
 * no counter but the charge moved.
 */
void refstore_obj_abort(struct refstore_heap *heap, struct refstore_obj *obj)
{
	lockdep_assert_held(&heap->lock);
	refstore_tags_unprepare(heap, obj->tag);
	refstore_obj_uncharge(heap, obj);
	refstore_obj_free_mem(obj);
}
