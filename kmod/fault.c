// SPDX-License-Identifier: GPL-2.0
/*
 * refstore fault injection: fail the module's own n-th allocation or user
 * copy, on any kernel, for fail-nth sweeps like the kernel's per-task
 * /proc/self/task/<tid>/fail-nth (which only debug kernels have).
 *
 * /sys/kernel/debug/refstore/fail_nth (root only): writing N arms it for
 * the writing thread: the N-th fault point that thread passes from then on
 * fails (an allocation returns NULL, a copy fails, as the real failure
 * would). Reading gives what is left of N for that thread: 0 once the fault
 * was injected. Writing 0 disarms it. Other threads are never affected.
 *
 * The armed thread is kept as a task reference, not a pid number: a thread
 * that exits armed leaves nothing a later thread reusing its pid could
 * inherit (the reference pins the task_struct, so its address is not
 * reused either, and is dropped at the next write or at module exit).
 */
#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/sched.h>
#include <linux/uaccess.h>

#include "refstore_private.h"

/* Thread armed by the last write (referenced), and its countdown. */
static DEFINE_SPINLOCK(refstore_fail_lock); /* the two below */
static struct task_struct *refstore_fail_task;
static unsigned int refstore_fail_left;
/* Fast path: is anything armed at all. */
static atomic_t refstore_fail_armed = ATOMIC_INIT(0);

/**
 * refstore_fault() - a fault point: should this allocation or copy fail
 *
 * Return: true if the caller must fail as if the allocation or copy had.
 */
bool refstore_fault(void)
{
	bool fail = false;

	if (likely(!atomic_read(&refstore_fail_armed)))
		return false;

	spin_lock(&refstore_fail_lock);
	if (refstore_fail_left && refstore_fail_task == current) {
		fail = --refstore_fail_left == 0;
		if (fail)
			atomic_set(&refstore_fail_armed, 0);
	}
	spin_unlock(&refstore_fail_lock);
	return fail;
}

static int refstore_fail_nth_get(void *data, u64 *val)
{
	spin_lock(&refstore_fail_lock);
	*val = refstore_fail_task == current ? refstore_fail_left : 0;
	spin_unlock(&refstore_fail_lock);
	return 0;
}

static int refstore_fail_nth_set(void *data, u64 val)
{
	struct task_struct *old;

	if (val > INT_MAX)
		return -EINVAL;
	spin_lock(&refstore_fail_lock);
	old = refstore_fail_task;
	refstore_fail_task = val ? get_task_struct(current) : NULL;
	refstore_fail_left = val;
	atomic_set(&refstore_fail_armed, !!val);
	spin_unlock(&refstore_fail_lock);
	if (old)
		put_task_struct(old);
	return 0;
}

DEFINE_DEBUGFS_ATTRIBUTE(refstore_fail_nth_fops, refstore_fail_nth_get,
			 refstore_fail_nth_set, "%llu\n");

/* Module exit: drop the armed thread's reference. */
void refstore_fault_exit(void)
{
	if (refstore_fail_task)
		put_task_struct(refstore_fail_task);
	refstore_fail_task = NULL;
}

void refstore_fault_debugfs_init(struct dentry *root)
{
	debugfs_create_file_unsafe("fail_nth", 0600, root, NULL,
				   &refstore_fail_nth_fops);
}
