// SPDX-License-Identifier: GPL-2.0
/*
 * The gc debug flags. REFSTORE_GC_DEBUG_STATS, which any user may set,
 * must not let a user write to the kernel log: a thousand GC_COLLECTs
 * with it set add no line from refstore to /dev/kmsg (the refstore:gc_end
 * tracepoint carries the numbers instead). SAVEALL finalizes what it saves
 * (weak handles cleared) but keeps it alive: a weak handle made to it
 * afterwards must still be detached when it is finally freed.
 */
#include <stdio.h>

#include "common.h"

/* Records from refstore appended to /dev/kmsg since @fd was opened. */
static int kmsg_refstore_lines(int fd)
{
	char rec[8192];
	ssize_t n;
	int lines = 0;

	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)	/* overwritten: keep reading */
			continue;
		if (n <= 0)
			break;
		rec[n] = 0;
		if (strstr(rec, "refstore") || strstr(rec, " examined "))
			lines++;
	}
	return lines;
}

TEST(debug_stats_no_printk)
{
	struct refstore_gc_value dbg = {
		.size = sizeof(dbg), .value = REFSTORE_GC_DEBUG_STATS,
	};
	int fd, kmsg, i;

	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	if (kmsg < 0)
		SKIP(return, "no /dev/kmsg: %s", strerror(errno));
	ASSERT_LE(0, lseek(kmsg, 0, SEEK_END));
	fd = open("/dev/refstore", O_RDWR | O_NONBLOCK);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, REFSTORE_IOC_GC_SET_DEBUG, &dbg));
	for (i = 0; i < 1000; i++) {
		struct refstore_gc_collect c = {
			.size = sizeof(c), .generation = i % 3,
		};

		ASSERT_EQ(0, ioctl(fd, REFSTORE_IOC_GC_COLLECT, &c));
	}
	close(fd);
	EXPECT_EQ(0, kmsg_refstore_lines(kmsg));
	close(kmsg);
}

TEST(saveall_weak_after_finalize)
{
	struct refstore_gc_value dbg = {
		.size = sizeof(dbg), .value = REFSTORE_GC_DEBUG_SAVEALL,
	};
	struct refstore_gc_value v = { .size = sizeof(v) };
	struct refstore_gc_collect c = { .size = sizeof(c), .generation = 2 };
	struct refstore_gc_garbage g = { .size = sizeof(g), .capacity = 1 };
	struct refstore_weakref w = { .size = sizeof(w) };
	struct refstore_weakref w0 = { .size = sizeof(w0) };
	struct refstore_upgrade u = { .size = sizeof(u) };
	struct refstore_set_slot ss = { .size = sizeof(ss) };
	struct refstore_close cl = { .size = sizeof(cl) };
	uint32_t a, gh = 0;
	int fd;

	fd = open("/dev/refstore", O_RDWR | O_NONBLOCK);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, rs_ioctl(fd, REFSTORE_IOC_GC_DISABLE, &v));
	ASSERT_EQ(0, rs_ioctl(fd, REFSTORE_IOC_GC_SET_DEBUG, &dbg));
	a = CREATE(fd, 0, 1);
	ss.handle = a;
	ss.target = a;
	ASSERT_EQ(0, rs_ioctl(fd, REFSTORE_IOC_SET_SLOT, &ss));
	w0.handle = a;
	ASSERT_EQ(0, rs_ioctl(fd, REFSTORE_IOC_WEAKREF, &w0));
	cl.handle = a;
	ASSERT_EQ(0, rs_ioctl(fd, REFSTORE_IOC_CLOSE, &cl));
	ASSERT_EQ(0, rs_ioctl(fd, REFSTORE_IOC_GC_COLLECT, &c));
	ASSERT_EQ(1, c.unreachable);
	/* Saved, and finalized: the old weak handle is dead. */
	u.weak = w0.weak;
	ASSERT_EQ(-ENOENT, rs_ioctl(fd, REFSTORE_IOC_UPGRADE, &u));
	/* A new weak handle through gc.garbage lives until the free. */
	g.handles = (uintptr_t)&gh;
	ASSERT_EQ(0, rs_ioctl(fd, REFSTORE_IOC_GC_GARBAGE, &g));
	ASSERT_EQ(1, g.count);
	w.handle = gh;
	ASSERT_EQ(0, rs_ioctl(fd, REFSTORE_IOC_WEAKREF, &w));
	cl.handle = gh;
	ASSERT_EQ(0, rs_ioctl(fd, REFSTORE_IOC_CLOSE, &cl));
	u.weak = w.weak;
	ASSERT_EQ(0, rs_ioctl(fd, REFSTORE_IOC_UPGRADE, &u));
	cl.handle = u.handle;
	ASSERT_EQ(0, rs_ioctl(fd, REFSTORE_IOC_CLOSE, &cl));
	dbg.value = 0;
	ASSERT_EQ(0, rs_ioctl(fd, REFSTORE_IOC_GC_SET_DEBUG, &dbg));
	ASSERT_EQ(0, rs_ioctl(fd, REFSTORE_IOC_GC_CLEAR_GARBAGE, &v));
	ASSERT_EQ(0, rs_ioctl(fd, REFSTORE_IOC_GC_COLLECT, &c));
	ASSERT_EQ(1, c.unreachable);
	/* Freed: the new weak handle is detached, and closes cleanly. */
	u.weak = w.weak;
	ASSERT_EQ(-ENOENT, rs_ioctl(fd, REFSTORE_IOC_UPGRADE, &u));
	cl.handle = w.weak;
	ASSERT_EQ(0, rs_ioctl(fd, REFSTORE_IOC_CLOSE, &cl));
	cl.handle = w0.weak;
	ASSERT_EQ(0, rs_ioctl(fd, REFSTORE_IOC_CLOSE, &cl));
	close(fd);
}

/*
 * The heap is closed while a weak handle made through gc.garbage names a
 * saved object (finalized when it was saved): the handle table goes first,
 * and the object's free must not look for the weak handles again.
 */
TEST(heap_closed_with_weak_to_saved_garbage)
{
	uint64_t base = OBJECTS_BASELINE(0);
	struct refstore_gc_garbage g = { .size = sizeof(g), .capacity = 1 };
	uint32_t a, gh = 0, w;
	int fd = rs_open(0);

	ASSERT_LE(0, fd);
	GC_VALUE(fd, GC_DISABLE);
	GC_SET_DEBUG(fd, REFSTORE_GC_DEBUG_SAVEALL);
	a = CREATE(fd, 0, 1);
	ASSERT_EQ(0, rs_set_slot(fd, a, 0, a));
	CLOSE(fd, a);
	ASSERT_EQ(1, COLLECT(fd, 2));
	g.handles = (uintptr_t)&gh;
	ASSERT_EQ(0, rs_ioctl(fd, REFSTORE_IOC_GC_GARBAGE, &g));
	ASSERT_EQ(1, g.count);
	ASSERT_EQ(0, rs_weakref(fd, gh, &w));
	close(fd);
	EXPECT_EQ(base, WAIT_GLOBAL("objects", base, 5000));
}

T_HARNESS_MAIN
