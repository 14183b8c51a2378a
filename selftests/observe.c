// SPDX-License-Identifier: GPL-2.0
/*
 * refstore observation selftests: allocation statistics as Python's
 * tracemalloc (TRACED_MEMORY: get_traced_memory(), reset_peak(); SNAPSHOT
 * grouped by tag or creator; TAG_NAME and librefstore's call-site tags),
 * and the heap's /proc/<pid>/fdinfo, readable by its unprivileged owner.
 */
#include <sys/prctl.h>
#include <sys/wait.h>

#include "common.h"

static struct refstore_traced_memory t_traced(struct __test_metadata *_metadata,
					      int fd, uint32_t flags)
{
	struct refstore_traced_memory tm;

	memset(&tm, 0, sizeof(tm));
	EXPECT_EQ(0, rs_traced_memory(fd, flags, &tm));
	return tm;
}
#define TRACED(fd) t_traced(_metadata, fd, 0)

static uint32_t t_create_tag(struct __test_metadata *_metadata, int fd,
			     uint32_t payload, uint32_t nslots, uint64_t tag)
{
	uint32_t h = 0;

	EXPECT_EQ(0, rs_create(fd, payload, nslots, 0, tag, 0, &h, NULL));
	return h;
}
#define CREATE_TAG(fd, payload, nslots, tag) \
	t_create_tag(_metadata, fd, payload, nslots, tag)

/* The snapshot group of @key (by tag or creator index), or NULL. */
static const struct refstore_stat *t_group(const struct refstore_stat *v,
					   size_t n, uint64_t key,
					   uint32_t flags)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i].key == key &&
		    (v[i].stat_flags & REFSTORE_STAT_OTHER) ==
		    (flags & REFSTORE_STAT_OTHER))
			return &v[i];
	return NULL;
}

/* Live objects and bytes add up to the totals, whatever the grouping. */
static void t_sums_match(struct __test_metadata *_metadata, int fd,
			 uint32_t group)
{
	struct refstore_snapshot tot;
	struct refstore_stat *v;
	uint64_t count = 0, bytes = 0;
	size_t n, i;

	ASSERT_EQ(0, rs_snapshot_all(fd, group, &v, &n, &tot));
	for (i = 0; i < n; i++) {
		count += v[i].count;
		bytes += v[i].bytes;
	}
	free(v);
	EXPECT_EQ(tot.objects, count);
	EXPECT_EQ(tot.bytes, bytes);
	EXPECT_EQ(n, tot.total);
}

TEST_F(heap, traced_memory_counts_and_peak)
{
	struct refstore_traced_memory tm = TRACED(self->fd), tm2;
	uint32_t h[4];
	int i;

	EXPECT_EQ(0, tm.objects);
	EXPECT_EQ(0, tm.bytes);
	EXPECT_EQ(0, tm.peak_bytes);
	for (i = 0; i < 4; i++)
		h[i] = CREATE_TAG(self->fd, 100 * i, 1, 7);
	tm = TRACED(self->fd);
	EXPECT_EQ(4, tm.objects);
	EXPECT_LT(400, tm.bytes);
	EXPECT_EQ(4, tm.peak_objects);
	EXPECT_EQ(tm.bytes, tm.peak_bytes);
	/* Objects' bytes are part of what the heap is charged. */
	EXPECT_GE(STATS(self->fd).bytes, tm.bytes);

	CLOSE(self->fd, h[3]);
	CLOSE(self->fd, h[2]);
	tm2 = TRACED(self->fd);
	EXPECT_EQ(2, tm2.objects);
	EXPECT_GT(tm.bytes, tm2.bytes);
	EXPECT_EQ(4, tm2.peak_objects);
	EXPECT_EQ(tm.bytes, tm2.peak_bytes);

	/* reset_peak(): the answer is from before, the peak is now. */
	tm = t_traced(_metadata, self->fd, REFSTORE_TRACED_RESET_PEAK);
	EXPECT_EQ(4, tm.peak_objects);
	tm = TRACED(self->fd);
	EXPECT_EQ(2, tm.peak_objects);
	EXPECT_EQ(tm2.bytes, tm.peak_bytes);
	CLOSE(self->fd, h[0]);
	CLOSE(self->fd, h[1]);
	tm = TRACED(self->fd);
	EXPECT_EQ(0, tm.objects);
	EXPECT_EQ(0, tm.bytes);
	EXPECT_EQ(2, tm.peak_objects);
}

TEST_F(heap, traced_memory_einval)
{
	struct refstore_traced_memory tm = { .size = sizeof(tm), .flags = 2 };

	EXPECT_ERR(EINVAL, rs_ioctl(self->fd, REFSTORE_IOC_TRACED_MEMORY, &tm));
	tm.flags = 0;
	tm.size = 8;
	EXPECT_ERR(EINVAL, rs_ioctl(self->fd, REFSTORE_IOC_TRACED_MEMORY, &tm));
	EXPECT_ERR(EFAULT, rs_ioctl(self->fd, REFSTORE_IOC_TRACED_MEMORY, NULL));
}

/* A cycle freed by the collector leaves the statistics like a close. */
TEST_F(heap, traced_memory_follows_collector)
{
	uint32_t a = CREATE_TAG(self->fd, 0, 1, 1);
	uint32_t b = CREATE_TAG(self->fd, 0, 1, 2);

	LINK(self->fd, a, 0, b);
	LINK(self->fd, b, 0, a);
	CLOSE(self->fd, a);
	CLOSE(self->fd, b);
	EXPECT_EQ(2, TRACED(self->fd).objects);
	EXPECT_EQ(2, COLLECT(self->fd, 2));
	EXPECT_EQ(0, TRACED(self->fd).objects);
	EXPECT_EQ(0, TRACED(self->fd).bytes);
	t_sums_match(_metadata, self->fd, REFSTORE_GROUP_TAG);
	t_sums_match(_metadata, self->fd, REFSTORE_GROUP_CREATOR);
}

TEST_F(heap, snapshot_by_tag)
{
	const struct refstore_stat *g;
	struct refstore_snapshot tot;
	struct refstore_stat *v;
	uint32_t h;
	size_t n;
	int i;

	for (i = 0; i < 3; i++)
		CREATE_TAG(self->fd, 16, 0, 100);
	for (i = 0; i < 5; i++)
		CREATE_TAG(self->fd, 1000, 0, 200);
	h = CREATE_TAG(self->fd, 0, 2, 300);
	CLOSE(self->fd, h);

	ASSERT_EQ(0, rs_snapshot_all(self->fd, REFSTORE_GROUP_TAG, &v, &n,
				     &tot));
	EXPECT_EQ(3, n);
	EXPECT_EQ(8, tot.objects);
	g = t_group(v, n, 100, 0);
	ASSERT_NE(NULL, g);
	EXPECT_EQ(3, g->count);
	EXPECT_EQ(3, g->created);
	EXPECT_EQ(0, g->stat_flags);
	EXPECT_STREQ("", g->name);
	g = t_group(v, n, 200, 0);
	ASSERT_NE(NULL, g);
	EXPECT_EQ(5, g->count);
	EXPECT_LE(5 * 1000, g->bytes);
	/* A tag whose objects died keeps its group, at 0. */
	g = t_group(v, n, 300, 0);
	ASSERT_NE(NULL, g);
	EXPECT_EQ(0, g->count);
	EXPECT_EQ(0, g->bytes);
	EXPECT_EQ(1, g->created);
	free(v);
	t_sums_match(_metadata, self->fd, REFSTORE_GROUP_TAG);
}

TEST_F(heap, snapshot_by_creator)
{
	const struct refstore_stat *g;
	struct refstore_stat *v;
	size_t n;
	pid_t pid;
	int st;

	CREATE_TAG(self->fd, 8, 0, 1);
	CREATE_TAG(self->fd, 8, 0, 2);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		uint32_t h;

		_exit(rs_create(self->fd, 8, 0, 0, 3, 0, &h, NULL) ? 1 : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_EQ(0, st);

	ASSERT_EQ(0, rs_snapshot_all(self->fd, REFSTORE_GROUP_CREATOR, &v, &n,
				     NULL));
	ASSERT_EQ(2, n);
	g = t_group(v, n, 0, 0);
	ASSERT_NE(NULL, g);
	EXPECT_EQ(getpid(), g->pid);
	EXPECT_EQ(2, g->count);
	EXPECT_NE(0, g->name[0]);
	g = t_group(v, n, 1, 0);
	ASSERT_NE(NULL, g);
	EXPECT_EQ(pid, g->pid);
	EXPECT_EQ(1, g->count);
	free(v);
	t_sums_match(_metadata, self->fd, REFSTORE_GROUP_CREATOR);
}

/* Pages of 3 see each of 10 groups once, in the order they were made. */
TEST_F(heap, snapshot_paging)
{
	struct refstore_stat v[3];
	struct refstore_snapshot tot;
	uint64_t cursor = 0, next = 0;
	uint32_t got;
	int i, pages = 0;

	for (i = 0; i < 10; i++)
		CREATE_TAG(self->fd, 0, 0, 1000 + i);
	do {
		ASSERT_EQ(0, rs_snapshot(self->fd, REFSTORE_GROUP_TAG, &cursor,
					 v, 3, &got, &tot));
		EXPECT_EQ(10, tot.total);
		for (i = 0; i < (int)got; i++)
			EXPECT_EQ(1000 + next++, v[i].key);
		pages++;
	} while (cursor < tot.total);
	EXPECT_EQ(10, next);
	EXPECT_EQ(4, pages);
	/* Past the end: nothing, no error. */
	ASSERT_EQ(0, rs_snapshot(self->fd, REFSTORE_GROUP_TAG, &cursor, v, 3,
				 &got, NULL));
	EXPECT_EQ(0, got);
	EXPECT_EQ(10, cursor);
	/* Capacity 0: the totals only. */
	cursor = 0;
	ASSERT_EQ(0, rs_snapshot(self->fd, REFSTORE_GROUP_TAG, &cursor, NULL,
				 0, &got, &tot));
	EXPECT_EQ(0, got);
	EXPECT_EQ(0, cursor);
	EXPECT_EQ(10, tot.objects);
}

/* A newer caller's larger entries: the kernel zeroes what it does not know. */
TEST_F(heap, snapshot_entry_size)
{
	struct refstore_snapshot s = { .size = sizeof(s) };
	uint8_t buf[2 * 128];

	CREATE_TAG(self->fd, 0, 0, 5);
	CREATE_TAG(self->fd, 0, 0, 6);
	memset(buf, 0xff, sizeof(buf));
	s.entry_size = 128;
	s.capacity = 2;
	s.entries = (uintptr_t)buf;
	ASSERT_EQ(0, rs_ioctl(self->fd, REFSTORE_IOC_SNAPSHOT, &s));
	ASSERT_EQ(2, s.count);
	EXPECT_EQ(5, ((struct refstore_stat *)buf)->key);
	EXPECT_EQ(6, ((struct refstore_stat *)(buf + 128))->key);
	for (size_t i = sizeof(struct refstore_stat); i < 128; i++) {
		EXPECT_EQ(0, buf[i]);
		EXPECT_EQ(0, buf[128 + i]);
	}
}

TEST_F(heap, snapshot_errors)
{
	struct refstore_stat v[2];
	struct refstore_snapshot s = {
		.size = sizeof(s),
		.entry_size = sizeof(v[0]),
		.capacity = 2,
		.entries = (uintptr_t)v,
	};

	CREATE_TAG(self->fd, 0, 0, 5);
	s.group = 2;
	EXPECT_ERR(EINVAL, rs_ioctl(self->fd, REFSTORE_IOC_SNAPSHOT, &s));
	s.group = 0;
	s.flags = 1;
	EXPECT_ERR(EINVAL, rs_ioctl(self->fd, REFSTORE_IOC_SNAPSHOT, &s));
	s.flags = 0;
	s.entry_size = sizeof(v[0]) - 8;
	EXPECT_ERR(EINVAL, rs_ioctl(self->fd, REFSTORE_IOC_SNAPSHOT, &s));
	s.entry_size = sizeof(v[0]) + 4;
	EXPECT_ERR(EINVAL, rs_ioctl(self->fd, REFSTORE_IOC_SNAPSHOT, &s));
	s.entry_size = 8192;
	EXPECT_ERR(EINVAL, rs_ioctl(self->fd, REFSTORE_IOC_SNAPSHOT, &s));
	s.entry_size = sizeof(v[0]);
	s.entries = 8;
	EXPECT_ERR(EFAULT, rs_ioctl(self->fd, REFSTORE_IOC_SNAPSHOT, &s));
	s.entries = (uintptr_t)v;
	ASSERT_EQ(0, rs_ioctl(self->fd, REFSTORE_IOC_SNAPSHOT, &s));
	EXPECT_EQ(1, s.count);
}

TEST_F(heap, tag_name)
{
	const struct refstore_stat *g;
	char name[REFSTORE_TAG_NAME_MAX + 1];
	struct refstore_stat *v;
	size_t n;

	CREATE_TAG(self->fd, 0, 0, 42);
	ASSERT_EQ(0, rs_tag_name(self->fd, 42, "main.c:42"));
	/* A tag may be named before any object has it. */
	ASSERT_EQ(0, rs_tag_name(self->fd, 43, "main.c:43"));
	ASSERT_EQ(0, rs_snapshot_all(self->fd, REFSTORE_GROUP_TAG, &v, &n,
				     NULL));
	ASSERT_EQ(2, n);
	g = t_group(v, n, 42, 0);
	ASSERT_NE(NULL, g);
	EXPECT_STREQ("main.c:42", g->name);
	EXPECT_EQ(REFSTORE_STAT_NAMED, g->stat_flags);
	EXPECT_EQ(1, g->count);
	g = t_group(v, n, 43, 0);
	ASSERT_NE(NULL, g);
	EXPECT_STREQ("main.c:43", g->name);
	EXPECT_EQ(0, g->created);
	free(v);

	/* Renaming replaces. */
	ASSERT_EQ(0, rs_tag_name(self->fd, 42, "x"));
	ASSERT_EQ(0, rs_snapshot_all(self->fd, REFSTORE_GROUP_TAG, &v, &n,
				     NULL));
	EXPECT_STREQ("x", t_group(v, n, 42, 0)->name);
	free(v);

	/* The longest name fits; one more byte does not. */
	memset(name, 'a', sizeof(name));
	name[REFSTORE_TAG_NAME_MAX - 1] = 0;
	EXPECT_EQ(0, rs_tag_name(self->fd, 44, name));
	name[REFSTORE_TAG_NAME_MAX - 1] = 'a';
	name[REFSTORE_TAG_NAME_MAX] = 0;
	EXPECT_ERR(ENAMETOOLONG, rs_tag_name(self->fd, 44, name));
}

TEST_F(heap, tag_name_errors)
{
	struct refstore_snapshot tot;
	uint64_t cursor = 0;
	struct refstore_tag_name t = {
		.size = sizeof(t),
		.tag = 1,
		.name = (uintptr_t)"ab\0cd",
		.name_len = 5,
	};

	EXPECT_ERR(EINVAL, rs_ioctl(self->fd, REFSTORE_IOC_TAG_NAME, &t));
	t.name_len = 0;
	EXPECT_ERR(EINVAL, rs_ioctl(self->fd, REFSTORE_IOC_TAG_NAME, &t));
	t.name_len = 2;
	t.flags = 1;
	EXPECT_ERR(EINVAL, rs_ioctl(self->fd, REFSTORE_IOC_TAG_NAME, &t));
	t.flags = 0;
	t.__reserved = 1;
	EXPECT_ERR(EINVAL, rs_ioctl(self->fd, REFSTORE_IOC_TAG_NAME, &t));
	t.__reserved = 0;
	t.name = 8;
	EXPECT_ERR(EFAULT, rs_ioctl(self->fd, REFSTORE_IOC_TAG_NAME, &t));
	/* None of it made a group. */
	ASSERT_EQ(0, rs_snapshot(self->fd, REFSTORE_GROUP_TAG, &cursor, NULL,
				 0, NULL, &tot));
	EXPECT_EQ(0, tot.total);
}

/*
 * The first 1024 tags get a group each; objects of later ones are counted
 * together, and naming one of them fails with ENOSPC.
 */
TEST_F(heap, tags_overflow_to_other)
{
	const struct refstore_stat *g;
	struct refstore_snapshot tot;
	struct refstore_stat *v;
	uint32_t h;
	size_t n;
	int i;

	for (i = 0; i < 1024; i++)
		ASSERT_EQ(0, rs_tag_name(self->fd, i, "t"));
	CREATE_TAG(self->fd, 0, 0, 5000);
	h = CREATE_TAG(self->fd, 0, 0, 5001);
	CREATE_TAG(self->fd, 0, 0, 7);
	EXPECT_ERR(ENOSPC, rs_tag_name(self->fd, 5000, "late"));
	/* A tracked tag can still be renamed. */
	EXPECT_EQ(0, rs_tag_name(self->fd, 7, "seven"));

	ASSERT_EQ(0, rs_snapshot_all(self->fd, REFSTORE_GROUP_TAG, &v, &n,
				     &tot));
	EXPECT_EQ(1025, n);
	EXPECT_EQ(1025, tot.total);
	g = t_group(v, n, 0, REFSTORE_STAT_OTHER);
	ASSERT_NE(NULL, g);
	EXPECT_EQ(&v[1024], g);
	EXPECT_EQ(2, g->count);
	EXPECT_EQ(1, t_group(v, n, 7, 0)->count);
	free(v);
	CLOSE(self->fd, h);
	ASSERT_EQ(0, rs_snapshot_all(self->fd, REFSTORE_GROUP_TAG, &v, &n,
				     NULL));
	EXPECT_EQ(1, t_group(v, n, 0, REFSTORE_STAT_OTHER)->count);
	free(v);
	t_sums_match(_metadata, self->fd, REFSTORE_GROUP_TAG);
}

/* librefstore's call-site tags read "file.c:LINE" in every view. */
TEST_F(heap, site_tag)
{
	const struct refstore_stat *g;
	char want[64];
	uint64_t tag;
	struct refstore_stat *v;
	size_t n;
	int line, fd2;

	line = __LINE__ + 1;
	tag = RS_HERE(self->fd);
	EXPECT_NE(0, tag & RS_SITE_TAG_BIT);
	CREATE_TAG(self->fd, 0, 0, tag);
	CREATE_TAG(self->fd, 0, 0, tag);
	snprintf(want, sizeof(want), "observe.c:%d", line);
	ASSERT_EQ(0, rs_snapshot_all(self->fd, REFSTORE_GROUP_TAG, &v, &n,
				     NULL));
	g = t_group(v, n, tag, 0);
	ASSERT_NE(NULL, g);
	EXPECT_STREQ(want, g->name);
	EXPECT_EQ(2, g->count);
	free(v);
	/* Same name, same tag, in another heap too. */
	fd2 = rs_open(0);
	ASSERT_LE(0, fd2);
	EXPECT_EQ(tag, rs_site_tag(fd2, "x/y/observe.c", line));
	close(fd2);
}

/* A CREATE that fails leaves no group behind. */
TEST_F(heap, failed_create_leaves_no_group)
{
	struct refstore_limits lim = { .max_objects = 1 };
	struct refstore_snapshot tot;
	uint64_t cursor = 0;
	uint32_t h;

	ASSERT_EQ(0, rs_set_limits(self->fd, &lim));
	CREATE_TAG(self->fd, 0, 0, 1);
	EXPECT_ERR(EDQUOT, rs_create(self->fd, 0, 0, 0, 2, 0, &h, NULL));
	ASSERT_EQ(0, rs_snapshot(self->fd, REFSTORE_GROUP_TAG, &cursor, NULL,
				 0, NULL, &tot));
	EXPECT_EQ(1, tot.total);
}

static int t_fdinfo(pid_t pid, int fd, const char *key, uint64_t *v)
{
	return rs_fdinfo_u64(pid, fd, key, v);
}

TEST_F(heap, fdinfo)
{
	struct refstore_traced_memory tm;
	uint64_t v = 0;
	uint32_t a, b;

	a = CREATE(self->fd, 64, 1);
	b = CREATE(self->fd, 0, 1);
	LINK(self->fd, a, 0, b);
	WEAKREF(self->fd, a);
	tm = TRACED(self->fd);

	ASSERT_EQ(0, t_fdinfo(getpid(), self->fd, "refstore-heap", &v));
	EXPECT_EQ(STATS(self->fd).heap_id, v);
	ASSERT_EQ(0, t_fdinfo(getpid(), self->fd, "objects", &v));
	EXPECT_EQ(2, v);
	ASSERT_EQ(0, t_fdinfo(getpid(), self->fd, "object-bytes", &v));
	EXPECT_EQ(tm.bytes, v);
	ASSERT_EQ(0, t_fdinfo(getpid(), self->fd, "peak-bytes", &v));
	EXPECT_EQ(tm.peak_bytes, v);
	ASSERT_EQ(0, t_fdinfo(getpid(), self->fd, "bytes", &v));
	EXPECT_EQ(STATS(self->fd).bytes, v);
	ASSERT_EQ(0, t_fdinfo(getpid(), self->fd, "handles", &v));
	EXPECT_EQ(2, v);
	ASSERT_EQ(0, t_fdinfo(getpid(), self->fd, "weak-handles", &v));
	EXPECT_EQ(1, v);
	ASSERT_EQ(0, t_fdinfo(getpid(), self->fd, "gc-enabled", &v));
	EXPECT_EQ(1, v);
	/* b loses a handle but lives on (a's slot): a suspect. */
	CLOSE(self->fd, b);
	ASSERT_EQ(0, t_fdinfo(getpid(), self->fd, "suspects", &v));
	EXPECT_EQ(1, v);
	COLLECT(self->fd, 2);
	ASSERT_EQ(0, t_fdinfo(getpid(), self->fd, "suspects", &v));
	EXPECT_EQ(0, v);
	ASSERT_EQ(0, t_fdinfo(getpid(), self->fd, "gc-collections", &v));
	EXPECT_ERR(ENOENT, t_fdinfo(getpid(), self->fd, "no-such-key", &v));
}

/* The owner reads its heap's fdinfo without privilege; debugfs stays root's. */
TEST(fdinfo_unprivileged)
{
	pid_t pid;
	int st;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		uint64_t v = 0;
		uint32_t h;
		int fd;

		/* A process that changed its ids is not dumpable: its /proc
		 * files turn root's. A user's own process is; so is this one. */
		if (unpriv_drop() || prctl(PR_SET_DUMPABLE, 1, 0, 0, 0))
			_exit(10);
		fd = rs_open(0);
		if (fd < 0)
			_exit(11);
		if (rs_create(fd, 8, 0, 0, 0, 0, &h, NULL))
			_exit(12);
		if (t_fdinfo(getpid(), fd, "objects", &v) || v != 1)
			_exit(13);
		if (t_fdinfo(getpid(), fd, "peak-objects", &v) || v != 1)
			_exit(14);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_TRUE(WIFEXITED(st));
	ASSERT_EQ(0, WEXITSTATUS(st));
}

TEST_F(heap, feature_bit)
{
	uint64_t features = 0;

	ASSERT_EQ(0, rs_version(self->fd, NULL, &features));
	EXPECT_TRUE(features & REFSTORE_FEAT_TRACE);
}

TEST_HARNESS_MAIN
