// SPDX-License-Identifier: GPL-2.0
/*
 * REFERENTS on an object with a weak slot: the weak slot reads 0 (it is no
 * edge of the graph, as gc.get_referents() does not list a weakref's
 * target), never the id of what the tagged slot pointer points at.
 * (`refstore graph` reads REFERENTS; a weak slot must not show up there as
 * a made-up id.)
 */
#include "common.h"

TEST_F(heap, referents_skip_weak_slot)
{
	uint64_t ida = 0, idb = 0, ids[3] = { 7, 7, 7 }, cursor = 0, total = 0;
	uint32_t a, b, nslots = 0, got = 0;
	struct refstore_referrer r[4];

	ASSERT_EQ(0, rs_create(self->fd, 0, 3, 0, 0, 0, &a, &ida));
	ASSERT_EQ(0, rs_create(self->fd, 0, 0, 0, 0, 0, &b, &idb));
	ASSERT_EQ(0, rs_set_slot(self->fd, a, 0, b));
	ASSERT_EQ(0, rs_set_slot_weak(self->fd, a, 1, b));
	ASSERT_EQ(0, rs_referents(self->fd, ida, ids, 3, &nslots));
	EXPECT_EQ(3, nslots);
	EXPECT_EQ(idb, ids[0]);
	EXPECT_EQ(0, ids[1]);
	EXPECT_EQ(0, ids[2]);
	/* REFERRERS of b: the strong slot only */
	ASSERT_EQ(0, rs_referrers(self->fd, idb, &cursor, r, 4, &got, &total));
	EXPECT_EQ(1, got);
	EXPECT_EQ(ida, r[0].id);
	EXPECT_EQ(0, r[0].slot);
}

TEST_HARNESS_MAIN
