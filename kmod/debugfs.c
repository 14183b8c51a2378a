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
#include <linux/seq_file.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "refstore_private.h"

/* Lines of heaps/<id>/objects before the listing is cut short. */
#define REFSTORE_DEBUGFS_MAX_OBJECTS 100000

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
 * heaps/<id>/objects is a seq_file iterator that resumes by object id:
 * each chunk takes the heap's lock once, gathers the
 * REFSTORE_DEBUGFS_CHUNK smallest ids at or above its cursor (a max-heap
 * on id, one walk of the heap), copies what a line shows and drops the
 * lock; the lines are printed from the copy. The listing is in id order
 * and names each object at most once however the heap changes between
 * chunks: an object freed meanwhile is left out, one created meanwhile
 * (a larger id) is listed. After REFSTORE_DEBUGFS_MAX_OBJECTS lines a
 * last one, "... N more", counts the objects not listed, and the
 * listing ends there.
 */
#define REFSTORE_DEBUGFS_CHUNK 256

/* What one line of heaps/<id>/objects shows, copied under the lock. */
struct refstore_objects_line {
	u64 id;
	u64 tag;
	u32 refcount;
	u32 payload_size;
	u32 nslots;
	u32 gen;
	pid_t creator_pid;
	char creator_comm[TASK_COMM_LEN];
};

/* The iterator's state, the seq_file's private data. */
struct refstore_objects_iter {
	struct refstore_heap *heap;
	u64 cursor;		/* the next chunk's smallest id */
	loff_t pos;		/* the record at lines[next] */
	u32 n, next;		/* lines gathered, the next one to show */
	u64 more;		/* objects left when the listing is cut */
	u64 total;		/* the walk's count of ids >= cursor */
	bool end;		/* the last chunk is gathered */
	struct refstore_objects_line lines[REFSTORE_DEBUGFS_CHUNK];
};

/* Tokens of the records that are not an object's line. */
#define REFSTORE_OBJECTS_MORE ((void *)2)

static void refstore_objects_line_fill(struct refstore_heap *heap,
				       struct refstore_obj *obj,
				       struct refstore_objects_line *l)
{
	const struct refstore_creator *c = refstore_heap_creator_of(heap, obj);

	l->id = obj->id;
	l->tag = obj->tag;
	l->refcount = refstore_obj_count(obj);
	l->payload_size = obj->payload_size;
	l->nslots = obj->nslots;
	l->gen = refstore_obj_generation(heap, obj);
	l->creator_pid = c ? c->pid : 0;
	strscpy(l->creator_comm, c ? c->comm : "?", sizeof(l->creator_comm));
}

static void refstore_objects_sift_down(struct refstore_objects_line *v,
				       u32 n, u32 i)
{
	for (;;) {
		u32 l = 2 * i + 1, r = l + 1, m = i;

		if (l < n && v[l].id > v[m].id)
			m = l;
		if (r < n && v[r].id > v[m].id)
			m = r;
		if (m == i)
			return;
		swap(v[i], v[m]);
		i = m;
	}
}

/* Keep @obj if its id is among the chunk's smallest at or above cursor. */
static bool refstore_objects_gather(struct refstore_heap *heap,
				    struct refstore_obj *obj, void *arg)
{
	struct refstore_objects_iter *it = arg;
	u32 i;

	if (obj->id < it->cursor)
		return true;
	it->total++;
	if (it->n == REFSTORE_DEBUGFS_CHUNK) {
		if (obj->id > it->lines[0].id)
			return true;
		refstore_objects_line_fill(heap, obj, &it->lines[0]);
		refstore_objects_sift_down(it->lines, it->n, 0);
		return true;
	}
	i = it->n++;
	refstore_objects_line_fill(heap, obj, &it->lines[i]);
	while (i && it->lines[(i - 1) / 2].id < it->lines[i].id) {
		swap(it->lines[(i - 1) / 2], it->lines[i]);
		i = (i - 1) / 2;
	}
	return true;
}

static int refstore_objects_line_cmp(const void *a, const void *b)
{
	const struct refstore_objects_line *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* Gather the next chunk under the heap's lock; -EINTR if killed. */
static int refstore_objects_refill(struct refstore_objects_iter *it)
{
	struct refstore_heap *heap = it->heap;

	it->n = 0;
	it->next = 0;
	it->total = 0;
	if (mutex_lock_killable(&heap->lock))
		return -EINTR;
	refstore_walk_objs(heap, refstore_objects_gather, it);
	mutex_unlock(&heap->lock);
	sort(it->lines, it->n, sizeof(it->lines[0]), refstore_objects_line_cmp,
	     NULL);
	if (it->n < REFSTORE_DEBUGFS_CHUNK || it->total == it->n)
		it->end = true;
	if (it->n)
		it->cursor = it->lines[it->n - 1].id + 1;
	return 0;
}

/* The record at it->pos: the header, a line, the "more" line, or NULL. */
static void *refstore_objects_current(struct refstore_objects_iter *it)
{
	int ret;

	if (!it->pos)
		return SEQ_START_TOKEN;
	if (it->pos > REFSTORE_DEBUGFS_MAX_OBJECTS + 1)
		return NULL;
	if (it->next == it->n) {
		if (it->end)
			return NULL;
		ret = refstore_objects_refill(it);
		if (ret)
			return ERR_PTR(ret);
		if (!it->n)
			return NULL;
	}
	if (it->pos == REFSTORE_DEBUGFS_MAX_OBJECTS + 1) {
		/* This chunk's walk counted every id from its first on. */
		it->more = it->total - it->next;
		return REFSTORE_OBJECTS_MORE;
	}
	return &it->lines[it->next];
}

static void *refstore_objects_start(struct seq_file *m, loff_t *pos)
{
	struct refstore_objects_iter *it = m->private;

	/*
	 * seq_read() asks again for the record it stopped at, or restarts
	 * from 0 (a seek): anything else starts over too.
	 */
	if (!*pos || *pos != it->pos) {
		it->cursor = 0;
		it->n = 0;
		it->next = 0;
		it->end = false;
		it->pos = 0;
		*pos = 0;
	}
	return refstore_objects_current(it);
}

static void *refstore_objects_next(struct seq_file *m, void *v, loff_t *pos)
{
	struct refstore_objects_iter *it = m->private;

	if (v != SEQ_START_TOKEN && v != REFSTORE_OBJECTS_MORE)
		it->next++;
	*pos = ++it->pos;
	if (v == REFSTORE_OBJECTS_MORE)
		return NULL;
	return refstore_objects_current(it);
}

static void refstore_objects_stop(struct seq_file *m, void *v)
{
	/* Nothing is held between chunks. */
}

static int refstore_objects_show(struct seq_file *m, void *v)
{
	struct refstore_objects_iter *it = m->private;
	const struct refstore_objects_line *l = v;

	if (v == SEQ_START_TOKEN) {
		seq_puts(m, "id refcount size slots tag gen creator_pid creator_comm\n");
		return 0;
	}
	if (v == REFSTORE_OBJECTS_MORE) {
		seq_printf(m, "... %llu more\n", it->more);
		return 0;
	}
	seq_printf(m, "%llu %u %u %u %llu %u %d %s\n", l->id, l->refcount,
		   l->payload_size, l->nslots, l->tag, l->gen, l->creator_pid,
		   l->creator_comm);
	return 0;
}

static const struct seq_operations refstore_objects_sops = {
	.start = refstore_objects_start,
	.next = refstore_objects_next,
	.stop = refstore_objects_stop,
	.show = refstore_objects_show,
};

static int refstore_heap_objects_open(struct inode *inode, struct file *file)
{
	struct refstore_objects_iter *it;

	it = __seq_open_private(file, &refstore_objects_sops, sizeof(*it));
	if (!it)
		return -ENOMEM;
	it->heap = inode->i_private;
	return 0;
}

static const struct file_operations refstore_heap_objects_fops = {
	.owner = THIS_MODULE,
	.open = refstore_heap_objects_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = seq_release_private,
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

static int refstore_heap_garbage_show(struct seq_file *m, void *v)
{
	struct refstore_heap *heap = m->private;
	struct refstore_obj *obj;

	if (mutex_lock_killable(&heap->lock))
		return -EINTR;
	list_for_each_entry(obj, &heap->graph.garbage, node)
		seq_printf(m, "%llu\n", obj->id);
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
