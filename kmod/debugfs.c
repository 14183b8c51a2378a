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
 *   heaps/<id>/objects     one line per live object of the heap
 *   heaps/<id>/gc          the heap's collector state, gc.get_stats() shape
 *   heaps/<id>/garbage     ids of the objects on the heap's garbage list
 *
 * Root only (debugfs' default mode), and the per-heap files, which name
 * the heap's owner and its objects' creators, are 0400 besides; it is the
 * one view across heaps.
 * main.c adds a heap's directory after creating the heap and removes it
 * before destroying it; debugfs_remove_recursive() waits for readers
 * already inside its files. A reader waiting for a heap's lock can be
 * killed.
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>
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

/* Print the objects of one of the graph's lists; false once cut short. */
static bool refstore_objects_show_list(struct seq_file *m,
				       struct refstore_heap *heap,
				       struct list_head *list, u64 *shown)
{
	const struct refstore_creator *c;
	struct refstore_obj *obj;

	list_for_each_entry(obj, list, node) {
		if ((*shown)++ == REFSTORE_DEBUGFS_MAX_OBJECTS) {
			seq_printf(m, "... %llu more\n",
				   heap->nr_objects - REFSTORE_DEBUGFS_MAX_OBJECTS);
			return false;
		}
		c = refstore_heap_creator_of(heap, obj);
		seq_printf(m, "%llu %u %u %u %llu %u %d %s\n", obj->id,
			   refstore_obj_count(obj), obj->payload_size,
			   obj->nslots, obj->tag,
			   refstore_obj_gen(&heap->graph, obj),
			   c ? c->pid : 0, c ? c->comm : "?");
	}
	return true;
}

static int refstore_heap_objects_show(struct seq_file *m, void *v)
{
	struct refstore_heap *heap = m->private;
	u64 shown = 0;

	seq_puts(m, "id refcount size slots tag gen creator_pid creator_comm\n");
	if (mutex_lock_killable(&heap->lock))
		return -EINTR;
	if (refstore_objects_show_list(m, heap, &heap->graph.objects, &shown) &&
	    refstore_objects_show_list(m, heap, &heap->graph.suspects, &shown))
		refstore_objects_show_list(m, heap, &heap->graph.garbage, &shown);
	mutex_unlock(&heap->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(refstore_heap_objects);

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
		   list_empty(&g->suspects) ? "none" : "some");
	seq_puts(m, "stats: [");
	for (i = 0; i < REFSTORE_NR_GENS; i++)
		seq_printf(m, "%s{'collections': %llu, 'collected': %llu, 'uncollectable': %llu}",
			   i ? ", " : "", g->stats[i].collections,
			   g->stats[i].collected, g->stats[i].uncollectable);
	seq_puts(m, "]\n");
	seq_printf(m, "examined: %llu\n", g->examined);
	seq_printf(m, "automatic: %llu\n", heap->gc_automatic);
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
}

void refstore_debugfs_heap_remove(struct refstore_heap *heap)
{
	debugfs_remove_recursive(heap->debugfs);
}
