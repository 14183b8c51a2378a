// SPDX-License-Identifier: GPL-2.0
/*
 * REFSTORE_GC_DEBUG_STATS, which any user may set, must not let a user
 * write to the kernel log: a thousand GC_COLLECTs with it set add no
 * line from refstore to /dev/kmsg (the refstore:gc_end tracepoint carries
 * the numbers instead).
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

TEST_HARNESS_MAIN
