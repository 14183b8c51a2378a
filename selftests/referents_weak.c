// SPDX-License-Identifier: GPL-2.0
/*
 * REFERENTS on an object with weak slots. Without slot_flags a weak slot
 * reads 0 (it is no edge of the graph, as gc.get_referents() does not list
 * a weakref's target), never the id of what the tagged slot pointer points
 * at. With slot_flags each slot's REFSTORE_SLOT_WEAK / REFSTORE_SLOT_DEAD
 * bits come back, and a weak slot's live target's id (`refstore graph`
 * draws those edges dashed). REFERRERS lists strong slots only.
 */
#include <stddef.h>

#include "common.h"

/* The structure as a caller built before slot_flags knows it. */
#define REFERENTS_V1_SIZE \
	(offsetof(struct refstore_referents, nslots) + sizeof(uint32_t))

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
	EXPECT_EQ(1, total);
	EXPECT_EQ(ida, r[0].id);
	EXPECT_EQ(0, r[0].slot);
}

/*
 * a: slot0 = b, slot1 = weak b, slot2 empty, slot3 = weak c, slot4 =
 * weak a (itself). Then c dies: its weak slot is dead, reads 0.
 */
TEST_F(heap, referents_slot_flags)
{
	uint64_t ida = 0, idb = 0, idc = 0, ids[6];
	uint32_t a, b, c, nslots = 0, fl[6];
	struct refstore_heap_stats before;
	int i;

	ASSERT_EQ(0, rs_create(self->fd, 0, 5, 0, 0, 0, &a, &ida));
	ASSERT_EQ(0, rs_create(self->fd, 0, 0, 0, 0, 0, &b, &idb));
	ASSERT_EQ(0, rs_create(self->fd, 0, 0, 0, 0, 0, &c, &idc));
	LINK(self->fd, a, 0, b);
	ASSERT_EQ(0, rs_set_slot_weak(self->fd, a, 1, b));
	ASSERT_EQ(0, rs_set_slot_weak(self->fd, a, 3, c));
	ASSERT_EQ(0, rs_set_slot_weak(self->fd, a, 4, a));
	before = STATS(self->fd);

	for (i = 0; i < 6; i++) {
		ids[i] = 7;
		fl[i] = 7;
	}
	ASSERT_EQ(0, rs_referents_ex(self->fd, ida, ids, fl, 6, &nslots));
	EXPECT_EQ(5, nslots);
	EXPECT_EQ(idb, ids[0]);
	EXPECT_EQ(0, fl[0]);
	EXPECT_EQ(idb, ids[1]);
	EXPECT_EQ(REFSTORE_SLOT_WEAK, fl[1]);
	EXPECT_EQ(0, ids[2]);
	EXPECT_EQ(0, fl[2]);
	EXPECT_EQ(idc, ids[3]);
	EXPECT_EQ(REFSTORE_SLOT_WEAK, fl[3]);
	EXPECT_EQ(ida, ids[4]);
	EXPECT_EQ(REFSTORE_SLOT_WEAK, fl[4]);
	/* past nslots: untouched */
	EXPECT_EQ(7, ids[5]);
	EXPECT_EQ(7, fl[5]);
	/* nothing counted, no handle made */
	EXPECT_EQ(2, REFCOUNT(self->fd, b));
	EXPECT_EQ(1, REFCOUNT(self->fd, c));
	EXPECT_EQ(1, REFCOUNT(self->fd, a));
	STATS_SAME(self->fd, &before);

	/* c's only reference was its handle: the weak slot is dead */
	CLOSE(self->fd, c);
	ASSERT_EQ(0, rs_referents_ex(self->fd, ida, ids, fl, 6, &nslots));
	EXPECT_EQ(0, ids[3]);
	EXPECT_EQ(REFSTORE_SLOT_WEAK | REFSTORE_SLOT_DEAD, fl[3]);
	EXPECT_EQ(idb, ids[1]);
	EXPECT_EQ(REFSTORE_SLOT_WEAK, fl[1]);

	/* a short buffer gets the first slots' flags only */
	fl[0] = fl[1] = 7;
	ASSERT_EQ(0, rs_referents_ex(self->fd, ida, ids, fl, 1, &nslots));
	EXPECT_EQ(5, nslots);
	EXPECT_EQ(0, fl[0]);
	EXPECT_EQ(7, fl[1]);

	/* without slot_flags: weak slots read 0, live or dead */
	ASSERT_EQ(0, rs_referents(self->fd, ida, ids, 6, &nslots));
	EXPECT_EQ(idb, ids[0]);
	EXPECT_EQ(0, ids[1]);
	EXPECT_EQ(0, ids[3]);
	EXPECT_EQ(0, ids[4]);
}

/*
 * A caller built before slot_flags (size 32): whatever lies past its
 * structure is neither read nor written, and weak slots read 0.
 */
TEST_F(heap, referents_old_size)
{
	struct refstore_referents r;
	uint64_t ida = 0, idb = 0, ids[2] = { 7, 7 };
	uint32_t a, b;

	ASSERT_EQ(32, REFERENTS_V1_SIZE);
	ASSERT_EQ(0, rs_create(self->fd, 0, 2, 0, 0, 0, &a, &ida));
	ASSERT_EQ(0, rs_create(self->fd, 0, 0, 0, 0, 0, &b, &idb));
	LINK(self->fd, a, 0, b);
	ASSERT_EQ(0, rs_set_slot_weak(self->fd, a, 1, b));
	memset(&r, 0, sizeof(r));
	r.size = REFERENTS_V1_SIZE;
	r.id = ida;
	r.ids = (uintptr_t)ids;
	r.capacity = 2;
	r.slot_flags = 8;	/* past size: not looked at */
	ASSERT_EQ(0, rs_ioctl(self->fd, REFSTORE_IOC_REFERENTS, &r));
	EXPECT_EQ(2, r.nslots);
	EXPECT_EQ(idb, ids[0]);
	EXPECT_EQ(0, ids[1]);
	EXPECT_EQ(8, r.slot_flags);
}

/*
 * A bad slot_flags pointer is EFAULT and changes nothing; with nothing to
 * write (capacity 0, or no slots) it is not looked at.
 */
TEST_F(heap, referents_slot_flags_efault)
{
	uint64_t ida = 0, idb = 0, ids[2];
	uint32_t a, b, nslots = 99;
	struct refstore_heap_stats before;

	ASSERT_EQ(0, rs_create(self->fd, 0, 2, 0, 0, 0, &a, &ida));
	ASSERT_EQ(0, rs_create(self->fd, 0, 0, 0, 0, 0, &b, &idb));
	LINK(self->fd, a, 0, b);
	ASSERT_EQ(0, rs_set_slot_weak(self->fd, a, 1, b));
	before = STATS(self->fd);
	EXPECT_ERR(EFAULT, rs_referents_ex(self->fd, ida, ids, (uint32_t *)8,
					   2, &nslots));
	EXPECT_EQ(99, nslots);
	EXPECT_ERR(EFAULT, rs_referents_ex(self->fd, ida, (uint64_t *)8,
					   (uint32_t *)8, 2, NULL));
	STATS_SAME(self->fd, &before);
	EXPECT_EQ(2, REFCOUNT(self->fd, b));
	ASSERT_EQ(0, rs_referents_ex(self->fd, ida, ids, (uint32_t *)8, 0,
				     &nslots));
	EXPECT_EQ(2, nslots);
	ASSERT_EQ(0, rs_referents_ex(self->fd, idb, ids, (uint32_t *)8, 2,
				     &nslots));
	EXPECT_EQ(0, nslots);
	/* and an unknown id is still ENOENT */
	EXPECT_ERR(ENOENT, rs_referents_ex(self->fd, idb + 1, ids,
					   (uint32_t *)8, 2, NULL));
}

TEST_HARNESS_MAIN
