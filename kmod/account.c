// SPDX-License-Identifier: GPL-2.0
/*
 * refstore accounting: what heaps are charged, and the per-user and
 * module-wide caps.
 *
 * /dev/refstore may be opened by any local user, and every open is a heap
 * of kernel memory the opener pins for as long as the file lives. So every
 * byte the module allocates for a heap is charged three times, and the
 * first charge that does not fit fails the call with its own errno:
 *
 *   the heap     its max_bytes (EDQUOT): the heap's contents only, the
 *                figure HEAP_STATS.bytes reports: objects at their real
 *                allocated size, the handle table, weak handles and the
 *                weak lists table
 *   the user     max_user_bytes (EUSERS): everything of every heap the
 *                user opened, contents plus overhead (the heap itself, its
 *                debugfs files, its creator table and event ring, shown
 *                as overhead_bytes in the heap's debugfs stats); and
 *                max_user_heaps open heaps (open() fails with EMFILE)
 *   the module   max_total_bytes (ENOBUFS): everything of every heap
 *
 * The user is the opener's real uid, looked up once at open() in a small
 * table of its own (refstore_users), the way the kernel bounds other memory
 * unprivileged users pin (pipe buffers, inotify watches, locked memory):
 * more processes or more files do not give a user more. Nor do more uids:
 * an opener inside a user namespace is charged to the uid that owns the
 * outermost one (refstore_charge_uid()), so every uid a user maps into its
 * namespaces counts as that user (a namespace root created is charged to
 * the uid it maps as its root instead: each container is its own user).
 * A module cannot use the kernel's own struct user_struct for this:
 * get_uid() is inline but free_uid() and the ucounts helpers are not all
 * exported on every kernel we support, and RLIMIT_MEMLOCK is a
 * per-process limit that io_uring and bpf charge against user->locked_vm,
 * a counter the module has no business moving.
 * An opener with CAP_SYS_RESOURCE (in the initial namespace) is not held
 * to the per-user caps; nobody escapes the module-wide one.
 *
 * The caps are module parameters writable by root at any time (0644): 0
 * means the default, derived from the RAM at load time: max_total_bytes a
 * quarter of it, max_user_bytes a sixteenth. A cap lowered below what is
 * charged already only stops new charges.
 *
 * Charges are made (and undone) with atomics, checked after the add: two
 * racing charges may both fail near a cap, but what is charged never stays
 * above it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/debugfs.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/sizes.h>
#include <linux/user_namespace.h>

#include "refstore_private.h"

static unsigned long long refstore_max_total_bytes_param;
module_param_named(max_total_bytes, refstore_max_total_bytes_param, ullong,
		   0644);
MODULE_PARM_DESC(max_total_bytes,
		 "Bytes charged to all heaps together (0: a quarter of RAM)");

static unsigned long long refstore_max_user_bytes_param;
module_param_named(max_user_bytes, refstore_max_user_bytes_param, ullong,
		   0644);
MODULE_PARM_DESC(max_user_bytes,
		 "Bytes charged to one user's heaps, unless CAP_SYS_RESOURCE (0: a sixteenth of RAM)");

#define REFSTORE_DEFAULT_USER_HEAPS 1024
static unsigned int refstore_max_user_heaps_param;
module_param_named(max_user_heaps, refstore_max_user_heaps_param, uint, 0644);
MODULE_PARM_DESC(max_user_heaps,
		 "Open heaps of one user, unless CAP_SYS_RESOURCE (0: 1024)");

/* The defaults of the byte caps, from the RAM at load. */
static u64 refstore_default_total_bytes;
static u64 refstore_default_user_bytes;

/*
 * What one node of an xarray costs: the node from the radix_tree_node
 * cache, its memcg pointer, and its share of the slab page, rounded up.
 */
#define REFSTORE_XA_NODE_COST ALIGN(sizeof(struct xa_node) + sizeof(void *), 64)

/*
 * What a heap's debugfs directory costs: seven dentries and seven debugfs
 * inodes, the directory's and its six files' (about 200 + 800 bytes each
 * on x86-64), an estimate rounded up.
 */
#define REFSTORE_DEBUGFS_HEAP_COST (7 * 1024)

/* Users with open heaps, by uid; its xa_lock is taken only here. */
static DEFINE_XARRAY(refstore_users);

u64 refstore_max_total_bytes(void)
{
	u64 v = READ_ONCE(refstore_max_total_bytes_param);

	return v ? v : refstore_default_total_bytes;
}

static u64 refstore_max_user_bytes(void)
{
	u64 v = READ_ONCE(refstore_max_user_bytes_param);

	return v ? v : refstore_default_user_bytes;
}

static unsigned int refstore_max_user_heaps(void)
{
	unsigned int v = READ_ONCE(refstore_max_user_heaps_param);

	return v ? v : REFSTORE_DEFAULT_USER_HEAPS;
}

/**
 * refstore_kmalloc_size() - what kmalloc(@size) really allocates
 * @size: the size asked for
 *
 * Return: the size of the kmalloc cache (or pages) it comes from, plus the
 * memcg pointer of an accounted slab object.
 */
size_t refstore_kmalloc_size(size_t size)
{
	return size ? kmalloc_size_roundup(size) + sizeof(void *) : 0;
}

/**
 * refstore_kv_size() - what kvmalloc(@size) really allocates, at most
 * @size: the size asked for
 *
 * kvmalloc() tries kmalloc() first and falls back to vmalloc(), which costs
 * the pages, their array and the area's bookkeeping.
 *
 * Return: the larger of the two.
 */
size_t refstore_kv_size(size_t size)
{
	size_t pages = PAGE_ALIGN(size), vsize;

	if (size <= PAGE_SIZE)
		return refstore_kmalloc_size(size);
	vsize = pages + refstore_kmalloc_size((pages >> PAGE_SHIFT) *
					      sizeof(struct page *)) + 256;
	return max(refstore_kmalloc_size(size), vsize);
}

/* Charge @bytes to the heap's user and the module. */
static int refstore_charge_user(struct refstore_heap *heap, u64 bytes)
{
	struct refstore_user *user = heap->user;

	if (!bytes)
		return 0;
	if (atomic64_add_return(bytes, &user->bytes) > refstore_max_user_bytes() &&
	    !heap->unlimited) {
		atomic64_sub(bytes, &user->bytes);
		return -EUSERS;
	}
	if (atomic64_add_return(bytes, &refstore_stats.bytes) >
	    refstore_max_total_bytes()) {
		atomic64_sub(bytes, &refstore_stats.bytes);
		atomic64_sub(bytes, &user->bytes);
		return -ENOBUFS;
	}
	return 0;
}

static void refstore_uncharge_user(struct refstore_heap *heap, u64 bytes)
{
	atomic64_sub(bytes, &heap->user->bytes);
	atomic64_sub(bytes, &refstore_stats.bytes);
}

/**
 * refstore_charge() - charge bytes of the heap's contents
 * @heap: the heap, locked
 * @bytes: what is about to be allocated
 *
 * Return: 0, -EDQUOT (the heap's max_bytes), -EUSERS (the user's cap) or
 * -ENOBUFS (the module's cap).
 */
int refstore_charge(struct refstore_heap *heap, u64 bytes)
{
	int ret;

	lockdep_assert_held(&heap->lock);
	if (bytes > heap->limits.max_bytes ||
	    heap->nr_bytes > heap->limits.max_bytes - bytes)
		return -EDQUOT;
	ret = refstore_charge_user(heap, bytes);
	if (ret)
		return ret;
	heap->nr_bytes += bytes;
	return 0;
}

/**
 * refstore_uncharge() - undo refstore_charge()
 * @heap: the heap, locked
 * @bytes: what was charged
 */
void refstore_uncharge(struct refstore_heap *heap, u64 bytes)
{
	refstore_uncharge_heap(heap, bytes);
	refstore_uncharge_user(heap, bytes);
}

/**
 * refstore_uncharge_freed() - the second half of refstore_uncharge()
 * @heap: the heap the bytes were charged to (its lock need not be held)
 * @bytes: what refstore_uncharge_heap() gave back to the heap, now freed
 *
 * One call for a whole batch of freed objects: two atomics per batch
 * instead of per object.
 */
void refstore_uncharge_freed(struct refstore_heap *heap, u64 bytes)
{
	refstore_uncharge_user(heap, bytes);
}

/**
 * refstore_charge_overhead() - charge bytes of the heap's overhead
 * @heap: the heap, locked or not yet (or no longer) visible to anyone
 * @bytes: what is about to be allocated
 *
 * The overhead is not held to the heap's max_bytes: the user and module
 * caps bound it, and max_events and the creator table's size bound it.
 *
 * Return: 0, -EUSERS or -ENOBUFS.
 */
int refstore_charge_overhead(struct refstore_heap *heap, u64 bytes)
{
	int ret = refstore_charge_user(heap, bytes);

	if (!ret)
		heap->overhead += bytes;
	return ret;
}

/**
 * refstore_uncharge_overhead() - undo refstore_charge_overhead()
 * @heap: as for refstore_charge_overhead()
 * @bytes: what was charged
 */
void refstore_uncharge_overhead(struct refstore_heap *heap, u64 bytes)
{
	heap->overhead -= bytes;
	refstore_uncharge_user(heap, bytes);
}

/*
 * Nodes an xarray holding @entries entries at indices up to @hwm has at
 * most: level by level from the leaves, no more nodes than entries, and no
 * more than the level's nodes that cover 0..@hwm. Sparse indices thus
 * cost what they really do (a leaf node each), dense ones a node per 64.
 */
static u64 refstore_xa_nodes(u64 entries, u64 hwm)
{
	u64 nodes = 0, span = hwm >> XA_CHUNK_SHIFT;

	if (!entries)
		return 0;
	for (;;) {
		nodes += min(entries, span + 1);
		if (!span)
			return nodes;
		span >>= XA_CHUNK_SHIFT;
	}
}

/**
 * refstore_table_recharge() - charge an xarray of the heap for its size
 * @heap: the heap, locked
 * @tc: the xarray's charge
 * @entries: the entries it holds now (or will, once the charge is made)
 * @index: the index just stored, or 0
 *
 * The charge follows refstore_xa_nodes() of the entries and of the highest
 * index ever stored: it only grows when an entry is added (which can then
 * fail), and shrinks as entries go. Every handle costs at least
 * REFSTORE_MIN_REF_CHARGE this way: a node per 64 entries at least.
 *
 * Return: 0, or the error of refstore_charge(); then nothing changed.
 */
int refstore_table_recharge(struct refstore_heap *heap,
			    struct refstore_table_charge *tc, u64 entries,
			    u64 index)
{
	u64 hwm = max(tc->hwm, index);
	u64 cost = refstore_xa_nodes(entries, hwm) * REFSTORE_XA_NODE_COST;
	int ret;

	BUILD_BUG_ON(REFSTORE_XA_NODE_COST / XA_CHUNK_SIZE <
		     REFSTORE_MIN_REF_CHARGE);
	lockdep_assert_held(&heap->lock);
	if (cost > tc->charged) {
		ret = refstore_charge(heap, cost - tc->charged);
		if (ret)
			return ret;
	} else if (cost < tc->charged) {
		refstore_uncharge(heap, tc->charged - cost);
	}
	tc->charged = cost;
	tc->hwm = hwm;
	return 0;
}

/* The user with uid @uid, referenced; created on first use. */
static struct refstore_user *refstore_user_get(kuid_t uid)
{
	unsigned long key = __kuid_val(uid);
	struct refstore_user *user, *old;
	int ret;

	xa_lock(&refstore_users);
	user = xa_load(&refstore_users, key);
	if (user)
		refcount_inc(&user->ref);
	xa_unlock(&refstore_users);
	if (user)
		return user;

	user = refstore_fault() ? NULL : kzalloc(sizeof(*user), REFSTORE_GFP);
	if (!user)
		return ERR_PTR(-ENOMEM);
	user->uid = uid;
	refcount_set(&user->ref, 1);

	xa_lock(&refstore_users);
	old = __xa_cmpxchg(&refstore_users, key, NULL, user, REFSTORE_GFP);
	if (old && !xa_is_err(old))
		refcount_inc(&old->ref);
	xa_unlock(&refstore_users);
	if (!old)
		return user;
	kfree(user);
	if (xa_is_err(old)) {
		ret = xa_err(old);
		return ERR_PTR(ret);
	}
	return old;
}

/**
 * refstore_charge_uid() - the uid the current task's heaps are charged to
 *
 * In the initial user namespace, the real uid. In any other, the uid that
 * owns the outermost namespace the task's is nested in (the one whose
 * parent is the initial namespace): every uid a user maps into namespaces
 * it creates (a subuid range of /etc/subuid, given by newuidmap) is a
 * distinct kernel uid, and each could otherwise have its own per-user caps,
 * so that one user with a large enough range could pin max_total_bytes and
 * deny everyone else. The kernel's ucounts charge a namespace's limits to
 * its owner up the hierarchy in the same way.
 *
 * A namespace root created (a container of podman, LXD, systemd-nspawn or
 * a Kubernetes pod without host users) is not charged to root, or every
 * container would share uid 0's caps and one could exhaust them for all:
 * it is charged to the kernel uid root mapped as its uid 0, so the whole
 * container is one tenant, apart from every other container and from root.
 * If root mapped no uid 0 into it, the opener is charged to its own uid.
 *
 * The task's credentials hold a reference on its namespace and every
 * namespace one on its parent, so the walk needs no lock.
 *
 * Return: the uid, a kernel uid of the initial namespace.
 */
static kuid_t refstore_charge_uid(void)
{
	struct user_namespace *ns = current_user_ns();
	kuid_t root;

	if (ns == &init_user_ns)
		return current_uid();
	while (ns->parent != &init_user_ns)
		ns = ns->parent;
	if (!uid_eq(ns->owner, GLOBAL_ROOT_UID))
		return ns->owner;
	root = make_kuid(ns, 0);
	return uid_valid(root) ? root : current_uid();
}

static void refstore_user_put(struct refstore_user *user)
{
	xa_lock(&refstore_users);
	if (!refcount_dec_and_test(&user->ref)) {
		xa_unlock(&refstore_users);
		return;
	}
	__xa_erase(&refstore_users, __kuid_val(user->uid));
	xa_unlock(&refstore_users);
	/* Every heap took its timed pause out of the sum at release. */
	WARN_ON_ONCE(atomic64_read(&user->gc_timed_ns));
	kfree(user);
}

/**
 * refstore_account_open() - charge a new heap to its opener
 * @heap: the heap, not visible to anyone yet
 *
 * The opener is refstore_charge_uid(): its real uid, or the owner of the
 * outermost user namespace it is in.
 *
 * Return: 0, -ENOMEM, -EMFILE (the user's max_user_heaps), -EUSERS or
 * -ENOBUFS (the heap's own memory does not fit the user's or the module's
 * byte cap).
 */
int refstore_account_open(struct refstore_heap *heap)
{
	struct refstore_user *user;
	int ret;

	user = refstore_user_get(refstore_charge_uid());
	if (IS_ERR(user))
		return PTR_ERR(user);
	heap->user = user;
	heap->unlimited = ns_capable_noaudit(&init_user_ns, CAP_SYS_RESOURCE);

	if (atomic_inc_return(&user->heaps) > refstore_max_user_heaps() &&
	    !heap->unlimited) {
		ret = -EMFILE;
		goto out_dec_heaps;
	}
	ret = refstore_charge_overhead(heap,
				       refstore_kmalloc_size(sizeof(*heap)) +
				       REFSTORE_DEBUGFS_HEAP_COST);
	if (ret)
		goto out_dec_heaps;
	return 0;

out_dec_heaps:
	atomic_dec(&user->heaps);
	refstore_user_put(user);
	heap->user = NULL;
	return ret;
}

/**
 * refstore_account_release() - a heap is being freed: uncharge the rest
 * @heap: the heap; its contents are gone and uncharged
 */
void refstore_account_release(struct refstore_heap *heap)
{
	struct refstore_user *user = heap->user;

	WARN_ON(heap->nr_bytes);
	refstore_uncharge_overhead(heap, heap->overhead);
	atomic_dec(&user->heaps);
	refstore_user_put(user);
	heap->user = NULL;
}

static int refstore_users_show(struct seq_file *m, void *v)
{
	struct refstore_user *user;
	unsigned long uid;

	seq_printf(m, "max_total_bytes: %llu\n", refstore_max_total_bytes());
	seq_printf(m, "max_user_bytes: %llu\n", refstore_max_user_bytes());
	seq_printf(m, "max_user_heaps: %u\n", refstore_max_user_heaps());
	seq_puts(m, "uid heaps bytes\n");
	xa_lock(&refstore_users);
	xa_for_each(&refstore_users, uid, user)
		seq_printf(m, "%lu %d %lld\n", uid, atomic_read(&user->heaps),
			   atomic64_read(&user->bytes));
	xa_unlock(&refstore_users);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(refstore_users);

/**
 * refstore_account_debugfs_init() - the "users" file
 * @root: the module's debugfs directory
 */
void refstore_account_debugfs_init(struct dentry *root)
{
	debugfs_create_file("users", 0400, root, NULL, &refstore_users_fops);
}

/**
 * refstore_account_init() - derive the caps' defaults from the RAM
 *
 * Return: 0.
 */
int refstore_account_init(void)
{
	u64 ram = (u64)totalram_pages() << PAGE_SHIFT;

	refstore_default_total_bytes = max_t(u64, ram / 4, SZ_16M);
	refstore_default_user_bytes = max_t(u64, ram / 16, SZ_4M);
	return 0;
}

void refstore_account_exit(void)
{
	WARN_ON(!xa_empty(&refstore_users));
	xa_destroy(&refstore_users);
}
