// SPDX-License-Identifier: GPL-2.0
/*
 * refstore: a store of reference-counted objects for userspace.
 *
 * Every open of /dev/refstore is a heap. Userspace creates objects in it
 * with ioctls (see include/uapi/linux/refstore.h), links them through their
 * reference slots and holds them through integer handles. An object is
 * freed when its last strong reference goes; everything left in a heap is
 * freed when the heap's file is released. read() and poll() on the file
 * deliver death events of objects created with REFSTORE_CREATE_NOTIFY.
 *
 * Module parameters give every heap its initial limits; a heap may lower
 * its own limits with REFSTORE_IOC_SET_LIMITS, and raise them with
 * CAP_SYS_RESOURCE. Every heap is also charged to its opener's user and to
 * the module as a whole, under caps of their own (account.c).
 *
 * This file wires the others together (see refstore_private.h): open()
 * creates a heap (heap.c) and then its debugfs files (debugfs.c); release
 * removes the files and then destroys the heap; init and exit start and
 * stop everything in order, the test knobs (fault.c, gc.c) only with
 * test_knobs=1.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/poll.h>
#include <linux/sizes.h>

#include "refstore_private.h"
#include "version.h"

struct refstore_global_stats refstore_stats;

/* Test knobs in debugfs (fail_nth, gc_park, gc_idle, gc_stall_ms). */
bool refstore_test_knobs;
module_param_named(test_knobs, refstore_test_knobs, bool, 0444);
MODULE_PARM_DESC(test_knobs,
		 "Create the debugfs test knobs: fail_nth, gc_park, gc_idle, gc_stall_ms (default off)");

struct refstore_obj_limits refstore_default_limits = {
	.max_objects = SZ_4M,
	.max_bytes = SZ_64M,
	.max_payload = SZ_1M,
	.max_slots = 1024,
	.max_handles = SZ_4M,
	.max_events = 4096,
};

/* Upper bounds of the module parameters: REFSTORE_MAX_* (refstore_private.h). */
module_param_named(max_objects, refstore_default_limits.max_objects, ullong, 0444);
MODULE_PARM_DESC(max_objects,
		 "Live objects per heap (default 4194304, 1..4294967296)");
module_param_named(max_bytes, refstore_default_limits.max_bytes, ullong, 0444);
MODULE_PARM_DESC(max_bytes,
		 "Bytes charged per heap for its contents: objects, handles, weak handles (default 64 MiB, 4096..8 GiB)");
module_param_named(max_payload, refstore_default_limits.max_payload, uint, 0444);
MODULE_PARM_DESC(max_payload,
		 "Payload bytes per object (default 1048576, at most 67108864)");
module_param_named(max_slots, refstore_default_limits.max_slots, uint, 0444);
MODULE_PARM_DESC(max_slots, "Slots per object (default 1024, at most 65535)");
module_param_named(max_handles, refstore_default_limits.max_handles, uint, 0444);
MODULE_PARM_DESC(max_handles,
		 "Strong plus weak handles per heap (default 4194304, 1..2147483647)");
module_param_named(max_events, refstore_default_limits.max_events, uint, 0444);
MODULE_PARM_DESC(max_events,
		 "Queued death events per heap (default 4096, 1..1048576)");

static int refstore_check_params(void)
{
	const struct refstore_obj_limits *l = &refstore_default_limits;

	if (!l->max_objects || l->max_objects > REFSTORE_MAX_OBJECTS ||
	    l->max_bytes < PAGE_SIZE || l->max_bytes > REFSTORE_MAX_HEAP_BYTES ||
	    l->max_payload > REFSTORE_MAX_PAYLOAD ||
	    l->max_slots > REFSTORE_MAX_SLOTS ||
	    !l->max_handles || l->max_handles > REFSTORE_MAX_HANDLES ||
	    !l->max_events || l->max_events > REFSTORE_MAX_EVENTS) {
		pr_err("module parameter out of range\n");
		return -EINVAL;
	}
	return 0;
}

static struct refstore_heap *refstore_file_heap(struct file *file)
{
	return file->private_data;
}

/* open: every open is a new, empty heap. */
static int refstore_open(struct inode *inode, struct file *file)
{
	struct refstore_heap *heap;

	heap = refstore_heap_create();
	if (IS_ERR(heap))
		return PTR_ERR(heap);
	refstore_debugfs_heap_add(heap);
	file->private_data = heap;
	return nonseekable_open(inode, file);
}

/* release: the last reference to the file is gone; free the whole heap. */
static int refstore_release(struct inode *inode, struct file *file)
{
	struct refstore_heap *heap = refstore_file_heap(file);

	/* Waits for debugfs readers of this heap to finish. */
	refstore_debugfs_heap_remove(heap);
	refstore_heap_destroy(heap);
	return 0;
}

/* read: death events, as an array of struct refstore_event. */
static ssize_t refstore_read(struct file *file, char __user *buf, size_t len,
			     loff_t *ppos)
{
	return refstore_event_read(refstore_file_heap(file), buf, len,
				   file->f_flags & O_NONBLOCK);
}

/* poll: readable while death events are queued. */
static __poll_t refstore_poll(struct file *file, poll_table *wait)
{
	return refstore_event_poll(refstore_file_heap(file), file, wait);
}

/* show_fdinfo: the heap's figures for its owner, in /proc/<pid>/fdinfo. */
static void refstore_show_fdinfo(struct seq_file *m, struct file *file)
{
	refstore_heap_show_fdinfo(m, refstore_file_heap(file));
}

static const struct file_operations refstore_fops = {
	.owner = THIS_MODULE,
	.open = refstore_open,
	.release = refstore_release,
	.read = refstore_read,
	.poll = refstore_poll,
	.unlocked_ioctl = refstore_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.show_fdinfo = refstore_show_fdinfo,
};

/*
 * 0666: any local user may make heaps; what each user can pin is capped
 * (account.c, README "Reliability"). A site that wants fewer users can
 * restrict the node with a udev rule (mode 0660 and a group).
 *
 * The minor is fixed (from 243-254, "reserved for local use" in
 * Documentation/admin-guide/devices.txt) so that depmod can list the node
 * in modules.devname: systemd-tmpfiles creates /dev/refstore at boot and
 * its first open loads the module (MODULE_ALIAS_MISCDEV and "devname:"
 * below). If another local driver holds that minor, refstore_init() falls
 * back to a dynamic one and the module must be loaded by hand.
 */
#define REFSTORE_MINOR 248

static struct miscdevice refstore_misc = {
	.minor = REFSTORE_MINOR,
	.name = "refstore",
	.fops = &refstore_fops,
	.mode = 0666,
};

static int __init refstore_init(void)
{
	struct dentry *root;
	int ret;

	ret = refstore_check_params();
	if (ret)
		return ret;

	ret = refstore_account_init();
	if (ret)
		return ret;

	ret = refstore_obj_cache_init();
	if (ret)
		return ret;

	root = refstore_debugfs_init();
	refstore_account_debugfs_init(root);
	if (refstore_test_knobs) {
		refstore_fault_debugfs_init(root);
		refstore_gc_debugfs_init(root);
		refstore_alloc_stats_debugfs_init(root);
	}

	ret = refstore_gc_start();
	if (ret)
		goto out_remove_debugfs;

	ret = misc_register(&refstore_misc);
	if (ret == -EBUSY) {
		pr_info("misc minor %d busy, using a dynamic one: no loading on demand\n",
			REFSTORE_MINOR);
		refstore_misc.minor = MISC_DYNAMIC_MINOR;
		ret = misc_register(&refstore_misc);
	}
	if (ret)
		goto out_stop_gc;

	return 0;

out_stop_gc:
	refstore_gc_stop();
out_remove_debugfs:
	refstore_debugfs_exit();
	refstore_fault_exit();
	refstore_obj_cache_exit();
	refstore_account_exit();
	return ret;
}

static void __exit refstore_exit(void)
{
	misc_deregister(&refstore_misc);
	refstore_gc_stop();
	refstore_debugfs_exit();
	refstore_fault_exit();
	rcu_barrier();
	refstore_obj_cache_exit();
	refstore_account_exit();
}

module_init(refstore_init);
module_exit(refstore_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Reference-counted object store with a cycle collector");
MODULE_AUTHOR("refstore developers");
MODULE_VERSION(REFSTORE_VERSION);
MODULE_ALIAS_MISCDEV(REFSTORE_MINOR);
MODULE_ALIAS("devname:refstore");
