// SPDX-License-Identifier: GPL-2.0
/*
 * refstore debugfs: /sys/kernel/debug/refstore/
 *
 *   stats                  module-wide counters, "key: value" lines
 *   users                  the per-user and module-wide caps, then one
 *                          line per user with open heaps: uid, heaps,
 *                          bytes charged (see account.c)
 *   gc                     module-wide collector counters
 *   control                write a verb: "collect" (full collection of
 *                          every heap), "collect=<heap-id>", "gc=on",
 *                          "gc=off" (automatic collection everywhere)
 *   fail_nth               test knob: the module's own fault injection,
 *                          see fault.c
 *   gc_park, gc_idle, gc_stall_ms
 *                          test knobs of the collector thread, see gc.c
 *   alloc_stats_off        test knob: heaps opened while it is 1 keep no
 *                          allocation statistics (for `make bench`), see
 *                          alloc_stats.c
 *                          (the test knobs exist only with test_knobs=1)
 *   heaps/<id>/stats       one heap's counters, limits and owner
 *   heaps/<id>/objects     one line per live object of the heap, in id
 *                          order, read in chunks (see below)
 *   heaps/<id>/edges       one line per slot holding a reference: source
 *                          id, slot, target id, strong/weak/dead (a weak
 *                          slot whose target is gone: target 0); in
 *                          (source, slot) order, read in chunks as objects
 *   heaps/<id>/gc          the heap's collector state, gc.get_stats() shape
 *   heaps/<id>/garbage     ids of the objects on the heap's garbage list
 *   heaps/<id>/control     write a verb: the heap's collector controls
 *                          (enable, disable, freeze, unfreeze,
 *                          threshold T0 T1 T2, debug FLAGS; see below)
 *
 * Root only (debugfs' default mode), and the per-heap files, which name
 * the heap's owner and its objects' creators, are 0400 besides (control
 * 0200); it is the one view across heaps.
 * main.c adds a heap's directory after creating the heap and removes it
 * before destroying it; debugfs_remove_recursive() waits for readers
 * already inside its files. A reader waiting for a heap's lock can be
 * killed.
 */
#include <linux/debugfs.h>
#include <linux/slab.h>
#include <linux/seq_file.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "refstore_private.h"

static struct dentry *refstore_debugfs_root;
static struct dentry *refstore_debugfs_heaps;

static int refstore_stats_show(struct seq_file *m, void *v)
{
	struct refstore_global_stats *s = &refstore_stats;

	seq_printf(m, "heaps: %lld\n", atomic64_read(&s->heaps));
	seq_printf(m, "objects: %lld\n", atomic64_read(&s->objects));
	seq_printf(m, "bytes: %lld\n", atomic64_read(&s->bytes));
	seq_printf(m, "max_total_bytes: %llu\n", refstore_max_total_bytes());
	seq_printf(m, "created: %lld\n", atomic64_read(&s->created));
	seq_printf(m, "freed: %lld\n", atomic64_read(&s->freed));
	seq_printf(m, "events_queued: %lld\n", atomic64_read(&s->events_queued));
	seq_printf(m, "events_dropped: %lld\n",
		   atomic64_read(&s->events_dropped));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(refstore_stats);

static int refstore_heap_stats_show(struct seq_file *m, void *v)
{
	struct refstore_heap *heap = m->private;
	const struct refstore_obj_limits *l = &heap->limits;
	struct refstore_event_counts ev;

	if (mutex_lock_killable(&heap->lock))
		return -EINTR;
	refstore_event_counts(heap, &ev);
	seq_printf(m, "id: %llu\n", heap->id);
	seq_printf(m, "owner_pid: %d\n", heap->owner_pid);
	seq_printf(m, "owner_comm: %s\n", heap->owner_comm);
	seq_printf(m, "objects: %llu\n", heap->nr_objects);
	seq_printf(m, "bytes: %llu\n", heap->nr_bytes);
	seq_printf(m, "overhead_bytes: %llu\n", heap->overhead);
	seq_printf(m, "uid: %u\n", __kuid_val(heap->user->uid));
	seq_printf(m, "handles: %llu\n", heap->nr_handles);
	seq_printf(m, "weak_handles: %llu\n", heap->nr_weak);
	seq_printf(m, "weak_slots: %llu\n", heap->nr_weak_slots);
	seq_printf(m, "created: %llu\n", heap->created);
	seq_printf(m, "freed: %llu\n", heap->freed);
	seq_printf(m, "events_queued: %llu\n", ev.queued);
	seq_printf(m, "events_dropped: %llu\n", ev.dropped);
	seq_printf(m, "events_pending: %u\n", ev.pending);
	seq_printf(m, "max_objects: %llu\n", l->max_objects);
	seq_printf(m, "max_bytes: %llu\n", l->max_bytes);
	seq_printf(m, "max_payload: %u\n", l->max_payload);
	seq_printf(m, "max_slots: %u\n", l->max_slots);
	seq_printf(m, "max_handles: %u\n", l->max_handles);
	seq_printf(m, "max_events: %u\n", l->max_events);
	mutex_unlock(&heap->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(refstore_heap_stats);

/*
 * heaps/<id>/objects and heaps/<id>/edges are one seq_file iterator that
 * resumes by key: an object's id in objects, (source id, slot) in edges.
 * Each chunk takes the heap's lock once, gathers the
 * REFSTORE_DEBUGFS_CHUNK smallest keys at or above its cursor (a max-heap
 * on the key, one walk of the heap, see refstore_smallest_add()), copies
 * what a line shows and drops the lock; the lines are printed from the
 * copy, so nothing is written to the reader with the lock held. The
 * listing is in key order and names each object (edge) at most once
 * however the heap changes between chunks: one freed (an edge cleared)
 * meanwhile is left out, one created meanwhile with a larger key is
 * listed. After REFSTORE_DEBUGFS_MAX_LINES lines a last one, "... N
 * more", counts those not listed, and the listing ends there.
 */
#define REFSTORE_DEBUGFS_CHUNK 256

/* Lines of a listing before it is cut short. */
#define REFSTORE_DEBUGFS_MAX_LINES 100000

/* What one line of a listing shows, copied under the lock. */
struct refstore_listing_line {
	u64 id;			/* key: the object; the edge's source */
	u32 slot;		/* key: the edge's slot; 0 in objects */
	u32 slot_flags;		/* edges: REFSTORE_SLOT_* */
	union {
		struct {
			struct refstore_object_info oi;
			char comm[TASK_COMM_LEN];
		} obj;		/* objects */
		u64 target;	/* edges: the target's id, 0 if dead */
	};
};

/* A listing: its header, how a chunk is gathered, how a line reads. */
struct refstore_listing {
	const char *header;
	refstore_visit_t gather;
	void (*show)(struct seq_file *m, const struct refstore_listing_line *l);
};

/* The iterator's state, the seq_file's private data. */
struct refstore_listing_iter {
	struct refstore_heap *heap;
	const struct refstore_listing *listing;
	struct refstore_smallest sel;	/* the chunk: lines, in sel.v */
	u64 cursor_id;		/* the next chunk's smallest key */
	u32 cursor_slot;
	loff_t pos;		/* the record at lines[next] */
	u32 next;		/* the next line to show */
	u64 more;		/* lines left when the listing is cut */
	u64 total;		/* the walk's count of keys >= cursor */
	bool end;		/* the last chunk is gathered */
};

/* Tokens of the records that are not a line of the chunk. */
#define REFSTORE_LISTING_MORE ((void *)2)

static int refstore_listing_line_cmp(const void *a, const void *b)
{
	const struct refstore_listing_line *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->slot < y->slot ? -1 : x->slot > y->slot;
}

/* Keep an object for objects if among the chunk's smallest ids. */
static bool refstore_objects_gather(struct refstore_heap *heap,
				    struct refstore_obj *obj, void *arg)
{
	struct refstore_listing_iter *it = arg;
	struct refstore_listing_line key = { .id = obj->id }, *l;

	if (obj->id < it->cursor_id ||
	    (obj->id == it->cursor_id && it->cursor_slot))
		return true;
	it->total++;
	l = refstore_smallest_add(&it->sel, &key);
	if (l)
		refstore_object_info_fill(heap, obj, &l->obj.oi, l->obj.comm);
	return true;
}

static void refstore_objects_line_show(struct seq_file *m,
				       const struct refstore_listing_line *l)
{
	const struct refstore_object_info *oi = &l->obj.oi;

	seq_printf(m, "%llu %u %u %u %llu %u %d %s\n", oi->id, oi->refcount,
		   oi->payload_size, oi->nslots, oi->tag, oi->generation,
		   oi->creator_pid, l->obj.comm);
}

/* Keep each edge of @obj for edges if among the chunk's smallest keys. */
static bool refstore_edges_gather(struct refstore_heap *heap,
				  struct refstore_obj *obj, void *arg)
{
	struct refstore_listing_iter *it = arg;
	struct refstore_obj **slots = refstore_obj_slots(obj);
	struct refstore_listing_line key = { .id = obj->id }, *l;
	u32 i = 0;

	if (obj->id < it->cursor_id)
		return true;
	if (obj->id == it->cursor_id)
		i = it->cursor_slot;
	for (; i < obj->nslots; i++) {
		if (!slots[i])
			continue;
		it->total++;
		key.slot = i;
		l = refstore_smallest_add(&it->sel, &key);
		/* As REFERENTS with slot flags: a weak target's id, or dead. */
		if (l)
			l->target = refstore_referent(slots[i], &l->slot_flags);
	}
	return true;
}

static void refstore_edges_line_show(struct seq_file *m,
				     const struct refstore_listing_line *l)
{
	const char *kind = "strong";

	if (l->slot_flags & REFSTORE_SLOT_DEAD)
		kind = "dead";
	else if (l->slot_flags & REFSTORE_SLOT_WEAK)
		kind = "weak";
	seq_printf(m, "%llu %u %llu %s\n", l->id, l->slot, l->target, kind);
}

static const struct refstore_listing refstore_objects_listing = {
	.header = "id refcount size slots tag gen creator_pid creator_comm\n",
	.gather = refstore_objects_gather,
	.show = refstore_objects_line_show,
};

static const struct refstore_listing refstore_edges_listing = {
	.header = "source slot target kind\n",
	.gather = refstore_edges_gather,
	.show = refstore_edges_line_show,
};

/* Gather the next chunk under the heap's lock; -EINTR if killed. */
static int refstore_listing_refill(struct refstore_listing_iter *it)
{
	struct refstore_heap *heap = it->heap;
	struct refstore_listing_line *lines = it->sel.v;
	u32 n;

	it->sel.n = 0;
	it->next = 0;
	it->total = 0;
	if (mutex_lock_killable(&heap->lock))
		return -EINTR;
	refstore_walk_objs(heap, it->listing->gather, it);
	mutex_unlock(&heap->lock);
	n = it->sel.n;
	sort(lines, n, sizeof(*lines), refstore_listing_line_cmp, NULL);
	if (n < REFSTORE_DEBUGFS_CHUNK || it->total == n)
		it->end = true;
	if (n) {
		/* Just past the last key: slots are fewer than U32_MAX. */
		it->cursor_id = lines[n - 1].id;
		it->cursor_slot = lines[n - 1].slot + 1;
	}
	return 0;
}

/* The record at it->pos: the header, a line, the "more" line, or NULL. */
static void *refstore_listing_current(struct refstore_listing_iter *it)
{
	struct refstore_listing_line *lines = it->sel.v;
	int ret;

	if (!it->pos)
		return SEQ_START_TOKEN;
	if (it->pos > REFSTORE_DEBUGFS_MAX_LINES + 1)
		return NULL;
	if (it->next == it->sel.n) {
		if (it->end)
			return NULL;
		ret = refstore_listing_refill(it);
		if (ret)
			return ERR_PTR(ret);
		if (!it->sel.n)
			return NULL;
	}
	if (it->pos == REFSTORE_DEBUGFS_MAX_LINES + 1) {
		/* This chunk's walk counted every key from its first on. */
		it->more = it->total - it->next;
		return REFSTORE_LISTING_MORE;
	}
	return &lines[it->next];
}

static void *refstore_listing_start(struct seq_file *m, loff_t *pos)
{
	struct refstore_listing_iter *it = m->private;

	/*
	 * seq_read() asks again for the record it stopped at, or restarts
	 * from 0 (a seek): anything else starts over too.
	 */
	if (!*pos || *pos != it->pos) {
		it->cursor_id = 0;
		it->cursor_slot = 0;
		it->sel.n = 0;
		it->next = 0;
		it->end = false;
		it->pos = 0;
		*pos = 0;
	}
	return refstore_listing_current(it);
}

static void *refstore_listing_next(struct seq_file *m, void *v, loff_t *pos)
{
	struct refstore_listing_iter *it = m->private;

	if (v != SEQ_START_TOKEN && v != REFSTORE_LISTING_MORE)
		it->next++;
	*pos = ++it->pos;
	if (v == REFSTORE_LISTING_MORE)
		return NULL;
	return refstore_listing_current(it);
}

static void refstore_listing_stop(struct seq_file *m, void *v)
{
	/* Nothing is held between chunks. */
}

static int refstore_listing_show(struct seq_file *m, void *v)
{
	struct refstore_listing_iter *it = m->private;

	if (v == SEQ_START_TOKEN)
		seq_puts(m, it->listing->header);
	else if (v == REFSTORE_LISTING_MORE)
		seq_printf(m, "... %llu more\n", it->more);
	else
		it->listing->show(m, v);
	return 0;
}

static const struct seq_operations refstore_listing_sops = {
	.start = refstore_listing_start,
	.next = refstore_listing_next,
	.stop = refstore_listing_stop,
	.show = refstore_listing_show,
};

static int refstore_listing_open(struct inode *inode, struct file *file,
				 const struct refstore_listing *listing)
{
	struct refstore_listing_iter *it;
	void *lines;

	/* 20 KiB: not one physically contiguous allocation */
	lines = kvcalloc(REFSTORE_DEBUGFS_CHUNK,
			 sizeof(struct refstore_listing_line), REFSTORE_GFP);
	if (!lines)
		return -ENOMEM;
	it = __seq_open_private(file, &refstore_listing_sops, sizeof(*it));
	if (!it) {
		kvfree(lines);
		return -ENOMEM;
	}
	it->heap = inode->i_private;
	it->listing = listing;
	it->sel = (struct refstore_smallest){
		.v = lines,
		.cap = REFSTORE_DEBUGFS_CHUNK,
		.size = sizeof(struct refstore_listing_line),
		.cmp = refstore_listing_line_cmp,
	};
	return 0;
}

static int refstore_listing_release(struct inode *inode, struct file *file)
{
	struct refstore_listing_iter *it =
		((struct seq_file *)file->private_data)->private;

	kvfree(it->sel.v);
	return seq_release_private(inode, file);
}

static int refstore_heap_objects_open(struct inode *inode, struct file *file)
{
	return refstore_listing_open(inode, file, &refstore_objects_listing);
}

static const struct file_operations refstore_heap_objects_fops = {
	.owner = THIS_MODULE,
	.open = refstore_heap_objects_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = refstore_listing_release,
};

static int refstore_heap_edges_open(struct inode *inode, struct file *file)
{
	return refstore_listing_open(inode, file, &refstore_edges_listing);
}

static const struct file_operations refstore_heap_edges_fops = {
	.owner = THIS_MODULE,
	.open = refstore_heap_edges_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = refstore_listing_release,
};

static int refstore_gc_show(struct seq_file *m, void *v)
{
	refstore_gc_debugfs_show(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(refstore_gc);

static int refstore_heap_gc_show(struct seq_file *m, void *v)
{
	struct refstore_heap *heap = m->private;
	struct refstore_graph *g = &heap->graph;
	int i;

	if (mutex_lock_killable(&heap->lock))
		return -EINTR;
	seq_printf(m, "enabled: %d\n", g->enabled);
	seq_printf(m, "debug: %#x\n", g->debug);
	seq_printf(m, "threshold: %u %u %u\n", g->threshold[0],
		   g->threshold[1], g->threshold[2]);
	seq_printf(m, "count: %lld %lld %lld\n", g->count[0], g->count[1],
		   g->count[2]);
	seq_printf(m, "frozen: %llu\n", g->nr_frozen);
	seq_printf(m, "garbage: %llu\n", g->nr_garbage);
	seq_printf(m, "suspects: %s\n",
		   refstore_graph_has_suspects(g) ? "some" : "none");
	seq_puts(m, "stats: [");
	for (i = 0; i < REFSTORE_NR_GENS; i++)
		seq_printf(m, "%s{'collections': %llu, 'collected': %llu, 'uncollectable': %llu}",
			   i ? ", " : "", g->stats[i].collections,
			   g->stats[i].collected, g->stats[i].uncollectable);
	seq_puts(m, "]\n");
	seq_printf(m, "examined: %llu\n", g->examined);
	seq_printf(m, "automatic: %llu\n", heap->gc_automatic);
	/* Queued for the collector thread, or in its hands. */
	seq_printf(m, "queued: %d\n",
		   test_bit(REFSTORE_HEAP_GC_PENDING, &heap->gc_flags));
	seq_printf(m, "pause_total_ns: %llu\n", heap->gc_pause_total);
	seq_printf(m, "pause_max_ns: %llu\n", heap->gc_pause_max);
	/* The last timed pause, and its user's sum (gc.c's share). */
	seq_printf(m, "timed_ns: %llu\n", heap->gc_timed_ns);
	seq_printf(m, "user_timed_ns: %lld\n",
		   atomic64_read(&heap->user->gc_timed_ns));
	seq_puts(m, "pause_histogram_ns:\n");
	for (i = 0; i < REFSTORE_PAUSE_BUCKETS; i++) {
		if (heap->gc_pause_hist[i])
			seq_printf(m, "  [%llu, %llu): %u\n", 1ULL << i,
				   2ULL << i, heap->gc_pause_hist[i]);
	}
	mutex_unlock(&heap->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(refstore_heap_gc);

/*
 * gc.garbage's ids, in its order, in one walk under the heap's lock (a
 * single_open() file: a buffer that overflows is doubled and the walk
 * redone). Root's to read; the list is bounded by its user's byte cap.
 */
static int refstore_heap_garbage_show(struct seq_file *m, void *v)
{
	struct refstore_heap *heap = m->private;
	struct refstore_obj *obj;
	u64 n = 0;

	if (mutex_lock_killable(&heap->lock))
		return -EINTR;
	list_for_each_entry(obj, &heap->graph.garbage, node) {
		seq_printf(m, "%llu\n", obj->id);
		if (!(++n % 256))
			cond_resched();
	}
	mutex_unlock(&heap->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(refstore_heap_garbage);

/*
 * heaps/<id>/control: the heap's collector controls for root, as its
 * owner has them through the ioctls, which do the work and validate:
 * "enable", "disable", "freeze", "unfreeze", "threshold T0 T1 T2"
 * (decimal, each at most what GC_SET_THRESHOLD takes) and "debug FLAGS"
 * (REFSTORE_GC_DEBUG_* bits; decimal, 0x hex or 0 octal). Anything else,
 * a number that does not parse or is out of range, or a missing or extra
 * word fails with EINVAL.
 */
static int refstore_heap_control_verb(struct refstore_heap *heap, char *verb)
{
	struct refstore_gc_threshold th = { .size = sizeof(th) };
	struct refstore_gc_value val = { .size = sizeof(val) };
	struct refstore_ucmd ucmd = { .heap = heap, .cmd = &val };
	char *word = strsep(&verb, " \t");
	char *arg;
	int g;

	if (!strcmp(word, "threshold")) {
		ucmd.cmd = &th;
		for (g = 0; g < REFSTORE_NR_GENS; g++) {
			arg = verb ? strsep(&verb, " \t") : NULL;
			if (!arg || kstrtou32(arg, 10, &th.threshold[g]))
				return -EINVAL;
		}
		if (verb)
			return -EINVAL;
		return refstore_ioc_gc_set_threshold(&ucmd);
	}
	if (!strcmp(word, "debug")) {
		if (!verb || strpbrk(verb, " \t") ||
		    kstrtou64(verb, 0, &val.value))
			return -EINVAL;
		return refstore_ioc_gc_set_debug(&ucmd);
	}
	if (verb)
		return -EINVAL;
	if (!strcmp(word, "enable"))
		return refstore_ioc_gc_enable(&ucmd);
	if (!strcmp(word, "disable"))
		return refstore_ioc_gc_disable(&ucmd);
	if (!strcmp(word, "freeze"))
		return refstore_ioc_gc_freeze(&ucmd);
	if (!strcmp(word, "unfreeze"))
		return refstore_ioc_gc_unfreeze(&ucmd);
	return -EINVAL;
}

static ssize_t refstore_heap_control_write(struct file *file,
					   const char __user *ubuf, size_t len,
					   loff_t *ppos)
{
	struct refstore_heap *heap = file_inode(file)->i_private;
	char buf[64];
	int ret;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	ret = refstore_heap_control_verb(heap, strim(buf));
	return ret ? ret : len;
}

static const struct file_operations refstore_heap_control_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = refstore_heap_control_write,
	.llseek = noop_llseek,
};

/* Run "collect=<id>": a full collection of one heap. */
static int refstore_control_collect_one(u64 id)
{
	struct refstore_heap *heap;
	int ret;

	heap = refstore_heap_get(id);
	if (!heap)
		return -ENOENT;
	ret = refstore_gc_collect(heap, REFSTORE_GEN_OLDEST, NULL);
	refstore_heap_put(heap);
	return ret;
}

static ssize_t refstore_control_write(struct file *file,
				      const char __user *ubuf, size_t len,
				      loff_t *ppos)
{
	char buf[64], *verb;
	u64 id;
	int ret = 0;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	verb = strim(buf);

	if (!strcmp(verb, "collect")) {
		ret = refstore_gc_collect_all();
	} else if (!strncmp(verb, "collect=", 8)) {
		ret = kstrtou64(verb + 8, 10, &id);
		if (!ret)
			ret = refstore_control_collect_one(id);
	} else if (!strcmp(verb, "gc=on")) {
		WRITE_ONCE(refstore_gc_auto, true);
	} else if (!strcmp(verb, "gc=off")) {
		WRITE_ONCE(refstore_gc_auto, false);
	} else {
		ret = -EINVAL;
	}
	return ret ? ret : len;
}

static int refstore_control_show(struct seq_file *m, void *v)
{
	seq_printf(m, "gc=%s\n", READ_ONCE(refstore_gc_auto) ? "on" : "off");
	return 0;
}

static int refstore_control_open(struct inode *inode, struct file *file)
{
	return single_open(file, refstore_control_show, NULL);
}

static const struct file_operations refstore_control_fops = {
	.owner = THIS_MODULE,
	.open = refstore_control_open,
	.read = seq_read,
	.write = refstore_control_write,
	.llseek = seq_lseek,
	.release = single_release,
};

/**
 * refstore_debugfs_init() - create the module's debugfs directory
 *
 * Return: the directory, for the test knobs main.c adds.
 */
struct dentry *refstore_debugfs_init(void)
{
	refstore_debugfs_root = debugfs_create_dir("refstore", NULL);
	debugfs_create_file("stats", 0444, refstore_debugfs_root, NULL,
			    &refstore_stats_fops);
	debugfs_create_file("gc", 0444, refstore_debugfs_root, NULL,
			    &refstore_gc_fops);
	debugfs_create_file("control", 0600, refstore_debugfs_root, NULL,
			    &refstore_control_fops);
	refstore_debugfs_heaps = debugfs_create_dir("heaps",
						    refstore_debugfs_root);
	return refstore_debugfs_root;
}

void refstore_debugfs_exit(void)
{
	debugfs_remove_recursive(refstore_debugfs_root);
}

void refstore_debugfs_heap_add(struct refstore_heap *heap)
{
	char name[24];

	snprintf(name, sizeof(name), "%llu", heap->id);
	heap->debugfs = debugfs_create_dir(name, refstore_debugfs_heaps);
	debugfs_create_file("stats", 0400, heap->debugfs, heap,
			    &refstore_heap_stats_fops);
	debugfs_create_file("objects", 0400, heap->debugfs, heap,
			    &refstore_heap_objects_fops);
	debugfs_create_file("edges", 0400, heap->debugfs, heap,
			    &refstore_heap_edges_fops);
	debugfs_create_file("gc", 0400, heap->debugfs, heap,
			    &refstore_heap_gc_fops);
	debugfs_create_file("garbage", 0400, heap->debugfs, heap,
			    &refstore_heap_garbage_fops);
	debugfs_create_file("control", 0200, heap->debugfs, heap,
			    &refstore_heap_control_fops);
}

void refstore_debugfs_heap_remove(struct refstore_heap *heap)
{
	debugfs_remove_recursive(heap->debugfs);
}
