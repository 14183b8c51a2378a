// SPDX-License-Identifier: GPL-2.0
/*
 * A librefstore program as a user writes one, built against the installed
 * library by scripts/check-install:
 *
 *   cc -o refstore-example refstore-example.c \
 *      $(pkg-config --cflags --libs librefstore)
 *
 * Makes a cycle of two objects, drops it, collects it, and prints what
 * happened.  Exits 0 if the collector found the two objects.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <librefstore.h>

int main(void)
{
	uint32_t a, b, threshold[REFSTORE_GC_GENERATIONS];
	int64_t count[REFSTORE_GC_GENERATIONS];
	uint64_t found = 0;
	int heap, ret;

	heap = rs_open(0);
	if (heap < 0) {
		fprintf(stderr, "refstore-example: %s: %s\n", RS_DEVICE,
			strerror(-heap));
		return 1;
	}
	ret = rs_create(heap, 0, 1, 0, 0, 0, &a, NULL);
	if (!ret)
		ret = rs_create(heap, 0, 1, 0, 0, 0, &b, NULL);
	if (!ret)
		ret = rs_set_slot(heap, a, 0, b);
	if (!ret)
		ret = rs_set_slot(heap, b, 0, a);
	if (!ret)
		ret = rs_close(heap, a);
	if (!ret)
		ret = rs_close(heap, b);
	if (!ret)
		ret = rs_gc_get_threshold(heap, threshold);
	if (!ret)
		ret = rs_gc_get_count(heap, count);
	if (!ret)
		ret = rs_gc_collect(heap, 2, &found);
	close(heap);
	if (ret) {
		fprintf(stderr, "refstore-example: %s\n", rs_errno_name(ret));
		return 1;
	}
	printf("threshold %u %u %u, count %lld, collected %llu\n",
	       threshold[0], threshold[1], threshold[2], (long long)count[0],
	       (unsigned long long)found);
	return found == 2 ? 0 : 1;
}
