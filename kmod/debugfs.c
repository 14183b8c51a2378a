// SPDX-License-Identifier: GPL-2.0
/*
 * refstore debugfs: /sys/kernel/debug/refstore/
 *
 *   stats                  module-wide counters, "key: value" lines
 *   heaps/<id>/stats       one heap's counters, limits and owner
 *   heaps/<id>/objects     one line per live object of the heap
 *
 * Root only (debugfs' default mode); it is the one view across heaps.
 * A heap's directory is removed before the heap is freed, and
 * debugfs_remove_recursive() waits for readers already inside its files.
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include "refstore.h"

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
	u32 pending = refstore_events_pending(heap);

	mutex_lock(&heap->lock);
	seq_printf(m, "id: %llu\n", heap->id);
	seq_printf(m, "owner_pid: %d\n", heap->owner_pid);
	seq_printf(m, "owner_comm: %s\n", heap->owner_comm);
	seq_printf(m, "objects: %llu\n", heap->nr_objects);
	seq_printf(m, "bytes: %llu\n", heap->nr_bytes);
	seq_printf(m, "handles: %llu\n", heap->nr_handles);
	seq_printf(m, "weak_handles: %llu\n", heap->nr_weak);
	seq_printf(m, "created: %llu\n", heap->created);
	seq_printf(m, "freed: %llu\n", heap->freed);
	spin_lock(&heap->ev_lock);
	seq_printf(m, "events_queued: %llu\n", heap->ev_queued);
	seq_printf(m, "events_dropped: %llu\n", heap->ev_dropped);
	spin_unlock(&heap->ev_lock);
	seq_printf(m, "events_pending: %u\n", pending);
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
			   obj->nslots, obj->tag, obj->gen, c ? c->pid : 0,
			   c ? c->comm : "?");
	}
	return true;
}

static int refstore_heap_objects_show(struct seq_file *m, void *v)
{
	struct refstore_heap *heap = m->private;
	u64 shown = 0;

	seq_puts(m, "id refcount size slots tag gen creator_pid creator_comm\n");
	mutex_lock(&heap->lock);
	if (refstore_objects_show_list(m, heap, &heap->graph.objects, &shown) &&
	    refstore_objects_show_list(m, heap, &heap->graph.suspects, &shown))
		refstore_objects_show_list(m, heap, &heap->graph.garbage, &shown);
	mutex_unlock(&heap->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(refstore_heap_objects);

void refstore_debugfs_init(void)
{
	refstore_debugfs_root = debugfs_create_dir("refstore", NULL);
	debugfs_create_file("stats", 0444, refstore_debugfs_root, NULL,
			    &refstore_stats_fops);
	refstore_debugfs_heaps = debugfs_create_dir("heaps",
						    refstore_debugfs_root);
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
	debugfs_create_file("stats", 0444, heap->debugfs, heap,
			    &refstore_heap_stats_fops);
	debugfs_create_file("objects", 0444, heap->debugfs, heap,
			    &refstore_heap_objects_fops);
}

void refstore_debugfs_heap_remove(struct refstore_heap *heap)
{
	debugfs_remove_recursive(heap->debugfs);
}
