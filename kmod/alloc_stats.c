// SPDX-License-Identifier: GPL-2.0
/*
 * refstore allocation statistics: what a heap's live objects take, in
 * total, by tag and by creator (Python's tracemalloc), and the heap's
 * /proc/<pid>/fdinfo.
 *
 * Every counter is kept under the heap's lock and changes in O(1) when an
 * object is published (refstore_alloc_stats_add()) and when it is released
 * (refstore_alloc_stats_del()); an aborted CREATE never reaches them.
 *
 * Tags are looked up in a hash table of REFSTORE_TAG_BUCKETS chains; the
 * same entries are also in an array in the order they were made, which is
 * what SNAPSHOT's cursor counts. An entry is made when an object of a new
 * tag is allocated (refstore_tags_prepare(), which may fail, so the
 * publish cannot) or when a tag is named, and stays until the heap goes
 * (but for one that only a failed CREATE used: refstore_tags_unprepare()):
 * an object is counted in its tag's entry if that entry existed when it
 * was made, and then it exists when the object dies; once the table is
 * full no entry is ever made again, so an object counted in heap->tag_other
 * is found there when it dies too.
 */
#include <linux/debugfs.h>
#include <linux/hash.h>
#include <linux/nospec.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "refstore_private.h"

/* Distinct tags a heap tracks; objects of later ones share tag_other. */
#define REFSTORE_MAX_TAGS	1024
#define REFSTORE_TAG_HASH_BITS	7
#define REFSTORE_TAG_BUCKETS	BIT(REFSTORE_TAG_HASH_BITS)

/**
 * struct refstore_tag_entry - the live objects of one tag
 * @node: on its bucket's chain
 * @tag: the tag
 * @st: its objects
 * @pending: objects prepared in it (refstore_tags_prepare()) that are not
 *	yet published or aborted: while any is, the entry stays
 * @named: @name was given by TAG_NAME
 * @name: NUL-terminated, empty if none was given
 */
struct refstore_tag_entry {
	struct hlist_node node;
	u64 tag;
	struct refstore_site_stats st;
	u32 pending;
	bool named;
	char name[REFSTORE_TAG_NAME_MAX];
};

/**
 * struct refstore_tag_table - a heap's tags (heap->tags)
 * @buckets: hash chains of the entries, by hash_64() of the tag
 * @by_index: the entries in the order they were made
 * @nr: entries
 * @cap: room in @by_index
 * @charged: overhead bytes charged for the table and its entries
 */
struct refstore_tag_table {
	struct hlist_head buckets[REFSTORE_TAG_BUCKETS];
	struct refstore_tag_entry **by_index;
	u32 nr;
	u32 cap;
	u64 charged;
};

static struct refstore_tag_entry *refstore_tag_find(struct refstore_heap *heap,
						    u64 tag)
{
	struct refstore_tag_entry *e;
	struct hlist_head *bucket;

	if (!heap->tags)
		return NULL;
	bucket = &heap->tags->buckets[hash_64(tag, REFSTORE_TAG_HASH_BITS)];
	hlist_for_each_entry(e, bucket, node)
		if (e->tag == tag)
			return e;
	return NULL;
}

/*
 * Charge and kmalloc @size bytes of the tag table. Return: the memory, or
 * the ERR_PTR of the charge that failed (-EUSERS, -ENOBUFS) or -ENOMEM.
 */
static void *refstore_tags_alloc(struct refstore_heap *heap, size_t size,
				 u64 *charged)
{
	size_t cost = refstore_kmalloc_size(size);
	void *p;
	int ret;

	ret = refstore_charge_overhead(heap, cost);
	if (ret)
		return ERR_PTR(ret);
	p = refstore_fault() ? NULL : kzalloc(size, REFSTORE_GFP);
	if (!p) {
		refstore_uncharge_overhead(heap, cost);
		return ERR_PTR(-ENOMEM);
	}
	*charged += cost;
	return p;
}

/*
 * The entry of @tag, made if needed. Return: the entry, NULL if the table
 * is full, or an ERR_PTR (-ENOMEM, -EUSERS, -ENOBUFS; nothing changed).
 */
static struct refstore_tag_entry *
refstore_tag_get(struct refstore_heap *heap, u64 tag)
{
	struct refstore_tag_table *t = heap->tags;
	struct refstore_tag_entry *e, **by_index;
	u64 charged = 0;
	size_t delta;
	u32 cap;
	int ret;

	lockdep_assert_held(&heap->lock);
	e = refstore_tag_find(heap, tag);
	if (e)
		return e;
	if (t && t->nr >= REFSTORE_MAX_TAGS)
		return NULL;

	if (!t) {
		t = refstore_tags_alloc(heap, sizeof(*t), &charged);
		if (IS_ERR(t))
			return ERR_CAST(t);
		t->charged = charged;
		heap->tags = t;
	}
	if (t->nr == t->cap) {
		cap = t->cap ? t->cap * 2 : 8;
		delta = refstore_kmalloc_size(cap * sizeof(*by_index)) -
			refstore_kmalloc_size(t->cap * sizeof(*by_index));
		ret = refstore_charge_overhead(heap, delta);
		if (ret)
			return ERR_PTR(ret);
		by_index = refstore_fault() ? NULL :
			   krealloc_array(t->by_index, cap, sizeof(*by_index),
					  REFSTORE_GFP);
		if (!by_index) {
			refstore_uncharge_overhead(heap, delta);
			return ERR_PTR(-ENOMEM);
		}
		t->charged += delta;
		t->by_index = by_index;
		t->cap = cap;
	}
	e = refstore_tags_alloc(heap, sizeof(*e), &t->charged);
	if (IS_ERR(e))
		return e;
	e->tag = tag;
	hlist_add_head(&e->node,
		       &t->buckets[hash_64(tag, REFSTORE_TAG_HASH_BITS)]);
	t->by_index[t->nr++] = e;
	return e;
}

/**
 * refstore_tags_prepare() - make sure an object of @tag can be counted
 * @heap: the heap, locked
 * @tag: the new object's tag
 *
 * Called by refstore_obj_alloc(), so that refstore_alloc_stats_add() of
 * its object cannot fail; the object is pending in its tag's entry until
 * it is published or aborted (refstore_tags_unprepare()). A tag that comes
 * when the table is full is counted with the others in heap->tag_other.
 *
 * Return: 0, -ENOMEM, -EUSERS or -ENOBUFS.
 */
int refstore_tags_prepare(struct refstore_heap *heap, u64 tag)
{
	struct refstore_tag_entry *e;

	if (heap->stats_off)
		return 0;
	e = refstore_tag_get(heap, tag);
	if (IS_ERR(e))
		return PTR_ERR(e);
	if (e)
		e->pending++;
	return 0;
}

/*
 * Test knob alloc_stats_off (test_knobs=1 only): heaps opened while it is
 * 1 keep no statistics, so `make bench` can measure what keeping them
 * costs CREATE and CLOSE.
 */
static bool refstore_alloc_stats_off;

/**
 * refstore_alloc_stats_debugfs_init() - the test knob alloc_stats_off
 * @root: the module's debugfs directory
 */
void refstore_alloc_stats_debugfs_init(struct dentry *root)
{
	debugfs_create_bool("alloc_stats_off", 0600, root,
			    &refstore_alloc_stats_off);
}

/**
 * refstore_alloc_stats_init() - a new heap reads the test knob
 * @heap: the heap, not yet published
 */
void refstore_alloc_stats_init(struct refstore_heap *heap)
{
	heap->stats_off = READ_ONCE(refstore_alloc_stats_off);
}

/**
 * refstore_tags_unprepare() - undo refstore_tags_prepare() of a failed CREATE
 * @heap: the heap, locked
 * @tag: the tag it was called with
 *
 * The entry goes if the failed CREATE made it: it is the newest, unnamed,
 * no other object is pending in it (a CREATE of the same tag still
 * writing its answer) and none was ever counted in it. If another call
 * made an entry since, it stays, at count 0, like the group of a tag whose
 * objects died; so does the entry that filled the table, so that a tag
 * that found the table full still finds it full when its object is
 * published.
 */
void refstore_tags_unprepare(struct refstore_heap *heap, u64 tag)
{
	struct refstore_tag_table *t = heap->tags;
	struct refstore_tag_entry *e;

	lockdep_assert_held(&heap->lock);
	if (heap->stats_off)
		return;
	e = refstore_tag_find(heap, tag);
	if (!e)
		return;
	e->pending--;
	if (e != t->by_index[t->nr - 1] || e->pending || e->named ||
	    e->st.created || t->nr == REFSTORE_MAX_TAGS)
		return;
	hlist_del(&e->node);
	t->nr--;
	kfree(e);
	t->charged -= refstore_kmalloc_size(sizeof(*e));
	refstore_uncharge_overhead(heap, refstore_kmalloc_size(sizeof(*e)));
}

/**
 * refstore_tags_free() - free a heap's tag table, at its end
 * @heap: the heap, no longer visible to anyone
 */
void refstore_tags_free(struct refstore_heap *heap)
{
	struct refstore_tag_table *t = heap->tags;
	u32 i;

	if (!t)
		return;
	for (i = 0; i < t->nr; i++)
		kfree(t->by_index[i]);
	kfree(t->by_index);
	refstore_uncharge_overhead(heap, t->charged);
	kfree(t);
	heap->tags = NULL;
}

static struct refstore_site_stats *
refstore_tag_stats(struct refstore_heap *heap, const struct refstore_obj *obj)
{
	struct refstore_tag_entry *e = refstore_tag_find(heap, obj->tag);

	return e ? &e->st : &heap->tag_other;
}

/* @obj is published: no longer pending in its tag's entry. */
static struct refstore_site_stats *
refstore_tag_publish(struct refstore_heap *heap, const struct refstore_obj *obj)
{
	struct refstore_tag_entry *e = refstore_tag_find(heap, obj->tag);

	if (!e)
		return &heap->tag_other;
	e->pending--;
	return &e->st;
}

static struct refstore_site_stats *
refstore_creator_stats(struct refstore_heap *heap,
		       const struct refstore_obj *obj)
{
	if (obj->creator >= heap->nr_creators)
		return &heap->creator_other;
	return &heap->creators[obj->creator].st;
}

/**
 * refstore_alloc_stats_add() - count a newly published object
 * @heap: the heap, locked
 * @obj: the object, prepared by refstore_obj_alloc()
 * @bytes: what it is charged, refstore_obj_charge() (the caller's: calls
 *	between module files point one way)
 */
void refstore_alloc_stats_add(struct refstore_heap *heap,
			      const struct refstore_obj *obj, u64 bytes)
{
	struct refstore_traced *tr = &heap->traced;
	struct refstore_site_stats *st;

	lockdep_assert_held(&heap->lock);
	if (heap->stats_off)
		return;
	st = refstore_tag_publish(heap, obj);
	st->count++;
	st->bytes += bytes;
	st->created++;
	st = refstore_creator_stats(heap, obj);
	st->count++;
	st->bytes += bytes;
	st->created++;
	tr->objects++;
	tr->bytes += bytes;
	if (tr->objects > tr->peak_objects)
		tr->peak_objects = tr->objects;
	if (tr->bytes > tr->peak_bytes)
		tr->peak_bytes = tr->bytes;
}

/**
 * refstore_alloc_stats_del() - uncount a released object
 * @heap: the heap, locked
 * @obj: the object, counted by refstore_alloc_stats_add()
 * @bytes: what it is charged, refstore_obj_charge() (the caller's: calls
 *	between module files point one way)
 */
void refstore_alloc_stats_del(struct refstore_heap *heap,
			      const struct refstore_obj *obj, u64 bytes)
{
	struct refstore_site_stats *st;

	lockdep_assert_held(&heap->lock);
	if (heap->stats_off)
		return;
	st = refstore_tag_stats(heap, obj);
	st->count--;
	st->bytes -= bytes;
	st = refstore_creator_stats(heap, obj);
	st->count--;
	st->bytes -= bytes;
	heap->traced.objects--;
	heap->traced.bytes -= bytes;
}

int refstore_ioc_traced_memory(struct refstore_ucmd *ucmd)
{
	struct refstore_traced_memory *cmd = ucmd->cmd;
	struct refstore_heap *heap = ucmd->heap;
	struct refstore_traced *tr = &heap->traced;

	if (cmd->flags & ~REFSTORE_TRACED_RESET_PEAK)
		return -EINVAL;

	if (mutex_lock_killable(&heap->lock))
		return -EINTR;
	cmd->objects = tr->objects;
	cmd->bytes = tr->bytes;
	cmd->peak_objects = tr->peak_objects;
	cmd->peak_bytes = tr->peak_bytes;
	if (cmd->flags & REFSTORE_TRACED_RESET_PEAK) {
		tr->peak_objects = tr->objects;
		tr->peak_bytes = tr->bytes;
	}
	mutex_unlock(&heap->lock);

	return refstore_respond(ucmd, sizeof(*cmd));
}

int refstore_ioc_tag_name(struct refstore_ucmd *ucmd)
{
	struct refstore_tag_name *cmd = ucmd->cmd;
	struct refstore_heap *heap = ucmd->heap;
	char name[REFSTORE_TAG_NAME_MAX];
	struct refstore_tag_entry *e;
	int ret = 0;

	if (cmd->flags || cmd->__reserved || !cmd->name_len)
		return -EINVAL;
	if (cmd->name_len >= REFSTORE_TAG_NAME_MAX)
		return -ENAMETOOLONG;
	if (refstore_fault() ||
	    copy_from_user(name, u64_to_user_ptr(cmd->name), cmd->name_len))
		return -EFAULT;
	if (memchr(name, '\0', cmd->name_len))
		return -EINVAL;
	name[cmd->name_len] = '\0';

	if (mutex_lock_killable(&heap->lock))
		return -EINTR;
	e = refstore_tag_get(heap, cmd->tag);
	if (IS_ERR(e)) {
		ret = PTR_ERR(e);
	} else if (!e) {
		ret = -ENOSPC;
	} else {
		memcpy(e->name, name, cmd->name_len + 1);
		e->named = true;
	}
	mutex_unlock(&heap->lock);
	return ret;
}

/* Fill @out with the group at @index of GROUP_TAG; false past the last. */
static bool refstore_snapshot_tag(struct refstore_heap *heap, u64 index,
				  struct refstore_stat *out)
{
	u32 nr = heap->tags ? heap->tags->nr : 0;
	struct refstore_tag_entry *e;

	if (index < nr) {
		e = heap->tags->by_index[array_index_nospec(index, nr)];
		out->key = e->tag;
		out->count = e->st.count;
		out->bytes = e->st.bytes;
		out->created = e->st.created;
		if (e->named)
			out->stat_flags = REFSTORE_STAT_NAMED;
		strscpy(out->name, e->name, sizeof(out->name));
		return true;
	}
	if (index == nr && heap->tag_other.created) {
		out->count = heap->tag_other.count;
		out->bytes = heap->tag_other.bytes;
		out->created = heap->tag_other.created;
		out->stat_flags = REFSTORE_STAT_OTHER;
		return true;
	}
	return false;
}

/* Likewise for GROUP_CREATOR. */
static bool refstore_snapshot_creator(struct refstore_heap *heap, u64 index,
				      struct refstore_stat *out)
{
	u32 nr = heap->nr_creators;
	const struct refstore_creator *c;

	if (index < nr) {
		c = &heap->creators[array_index_nospec(index, nr)];
		out->key = index;
		out->count = c->st.count;
		out->bytes = c->st.bytes;
		out->created = c->st.created;
		out->pid = c->pid;
		strscpy(out->name, c->comm, sizeof(out->name));
		return true;
	}
	if (index == nr && heap->creator_other.created) {
		out->count = heap->creator_other.count;
		out->bytes = heap->creator_other.bytes;
		out->created = heap->creator_other.created;
		out->stat_flags = REFSTORE_STAT_OTHER;
		return true;
	}
	return false;
}

/* Groups a snapshot of @group has now. */
static u64 refstore_snapshot_total(struct refstore_heap *heap, u32 group)
{
	if (group == REFSTORE_GROUP_TAG)
		return (heap->tags ? heap->tags->nr : 0) +
		       !!heap->tag_other.created;
	return heap->nr_creators + !!heap->creator_other.created;
}

/*
 * SNAPSHOT: the groups are copied into a kernel buffer under the heap's
 * lock, then out to the caller's entries, @entry_size apart, without it.
 */
int refstore_ioc_snapshot(struct refstore_ucmd *ucmd)
{
	struct refstore_snapshot *cmd = ucmd->cmd;
	struct refstore_heap *heap = ucmd->heap;
	struct refstore_stat *buf = NULL;
	u32 n = min_t(u32, cmd->capacity, REFSTORE_SNAPSHOT_MAX);
	size_t esize = cmd->entry_size;
	struct refstore_traced *tr;
	int ret = 0;
	u32 i;

	if (cmd->flags || cmd->group > REFSTORE_GROUP_CREATOR)
		return -EINVAL;
	if (esize < sizeof(*buf) || esize % 8 || esize > PAGE_SIZE)
		return -EINVAL;
	cmd->count = 0;
	if (n) {
		buf = refstore_fault() ? NULL :
		      kvcalloc(n, sizeof(*buf), REFSTORE_GFP);
		if (!buf)
			return -ENOMEM;
	}

	if (mutex_lock_killable(&heap->lock)) {
		ret = -EINTR;
		goto out_free_buf;
	}
	for (i = 0; i < n; i++) {
		bool more = cmd->group == REFSTORE_GROUP_TAG ?
			refstore_snapshot_tag(heap, cmd->cursor + i, &buf[i]) :
			refstore_snapshot_creator(heap, cmd->cursor + i, &buf[i]);
		if (!more)
			break;
	}
	cmd->count = i;
	cmd->cursor += i;
	cmd->total = refstore_snapshot_total(heap, cmd->group);
	tr = &heap->traced;
	cmd->objects = tr->objects;
	cmd->bytes = tr->bytes;
	cmd->peak_objects = tr->peak_objects;
	cmd->peak_bytes = tr->peak_bytes;
	mutex_unlock(&heap->lock);

	ret = refstore_copy_entries(u64_to_user_ptr(cmd->entries), buf,
				    cmd->count, sizeof(*buf), esize) ?:
	      refstore_respond(ucmd, sizeof(*cmd));
out_free_buf:
	kvfree(buf);
	return ret;
}

/* Suspects waiting for the collector; O(suspects), for fdinfo only. */
static u64 refstore_nr_suspects(struct refstore_heap *heap)
{
	struct list_head *pos;
	u64 n = 0;
	u32 g;

	for (g = 0; g < REFSTORE_NR_GENS; g++)
		list_for_each(pos, &heap->graph.suspects[g])
			if (!(++n % 256))
				cond_resched();
	return n;
}

/**
 * refstore_heap_show_fdinfo() - /proc/<pid>/fdinfo/<fd> of a heap's file
 * @m: the seq_file
 * @heap: the heap
 *
 * One "key:\tvalue" line per item, as eventfd and io_uring print theirs:
 * readable by whoever may read the process's fdinfo (its owner), unlike the
 * root-only debugfs files.
 */
void refstore_heap_show_fdinfo(struct seq_file *m, struct refstore_heap *heap)
{
	struct refstore_graph *g = &heap->graph;

	if (mutex_lock_killable(&heap->lock))
		return;
	seq_printf(m, "refstore-heap:\t%llu\n", heap->id);
	seq_printf(m, "objects:\t%llu\n", heap->traced.objects);
	seq_printf(m, "object-bytes:\t%llu\n", heap->traced.bytes);
	seq_printf(m, "peak-objects:\t%llu\n", heap->traced.peak_objects);
	seq_printf(m, "peak-bytes:\t%llu\n", heap->traced.peak_bytes);
	seq_printf(m, "bytes:\t%llu\n", heap->nr_bytes);
	seq_printf(m, "max-bytes:\t%llu\n", heap->limits.max_bytes);
	seq_printf(m, "handles:\t%llu\n", heap->nr_handles);
	seq_printf(m, "weak-handles:\t%llu\n", heap->nr_weak);
	seq_printf(m, "tags:\t%u\n", heap->tags ? heap->tags->nr : 0);
	seq_printf(m, "suspects:\t%llu\n", refstore_nr_suspects(heap));
	seq_printf(m, "gc-enabled:\t%d\n", g->enabled);
	seq_printf(m, "gc-count:\t%lld %lld %lld\n", g->count[0], g->count[1],
		   g->count[2]);
	seq_printf(m, "gc-threshold:\t%u %u %u\n", g->threshold[0],
		   g->threshold[1], g->threshold[2]);
	seq_printf(m, "gc-collections:\t%llu %llu %llu\n",
		   g->stats[0].collections, g->stats[1].collections,
		   g->stats[2].collections);
	seq_printf(m, "gc-collected:\t%llu\n", g->stats[0].collected +
		   g->stats[1].collected + g->stats[2].collected);
	seq_printf(m, "gc-garbage:\t%llu\n", g->nr_garbage);
	seq_printf(m, "gc-frozen:\t%llu\n", g->nr_frozen);
	seq_printf(m, "gc-delay-ms:\t%u\n", heap->gc_delay_ms);
	seq_printf(m, "gc-pending:\t%d\n",
		   test_bit(REFSTORE_HEAP_GC_PENDING, &heap->gc_flags));
	mutex_unlock(&heap->lock);
}
