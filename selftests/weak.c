// SPDX-License-Identifier: GPL-2.0
/*
 * refstore weak handle selftests: WEAKREF and UPGRADE, as Python's
 * weakref.ref(obj) and calling it: a weak handle never keeps its object
 * alive, and upgrading after the object died fails with ENOENT.
 */
#include "common.h"

TEST_F(heap, upgrade_while_alive)
{
	uint64_t id;
	uint32_t h = t_create(_metadata, self->fd, 0, 0, 0, 0, &id), w, s;

	ASSERT_EQ(0, rs_weakref(self->fd, h, &w));
	EXPECT_NE(0, w);
	EXPECT_NE(h, w);
	EXPECT_EQ(1, REFCOUNT(self->fd, h));
	ASSERT_EQ(0, rs_upgrade(self->fd, w, &s));
	EXPECT_NE(0, s);
	EXPECT_NE(h, s);
	EXPECT_NE(w, s);
	EXPECT_EQ(id, INFO(self->fd, s).id);
	EXPECT_EQ(2, REFCOUNT(self->fd, h));
}

/* The upgraded handle is a real strong reference: it keeps the object. */
TEST_F(heap, upgraded_handle_keeps_alive)
{
	uint32_t h = CREATE(self->fd, 0, 0), w, s;

	ASSERT_EQ(0, rs_weakref(self->fd, h, &w));
	ASSERT_EQ(0, rs_upgrade(self->fd, w, &s));
	ASSERT_EQ(0, rs_close(self->fd, h));
	EXPECT_EQ(1, STATS(self->fd).objects);
	EXPECT_EQ(1, REFCOUNT(self->fd, s));
	ASSERT_EQ(0, rs_close(self->fd, s));
	EXPECT_EQ(0, STATS(self->fd).objects);
}

TEST_F(heap, upgrade_after_death_enoent)
{
	uint32_t h = CREATE(self->fd, 0, 0), w, s = 0;
	struct refstore_heap_stats before;

	ASSERT_EQ(0, rs_weakref(self->fd, h, &w));
	ASSERT_EQ(0, rs_close(self->fd, h));
	before = STATS(self->fd);
	EXPECT_ERR(ENOENT, rs_upgrade(self->fd, w, &s));
	EXPECT_EQ(0, s);
	STATS_SAME(self->fd, &before);
	/* The weak handle itself stays valid until closed. */
	EXPECT_EQ(1, before.weak_handles);
	EXPECT_EQ(0, rs_close(self->fd, w));
}

TEST_F(heap, weak_does_not_keep_alive)
{
	uint32_t h = CREATE(self->fd, 32, 2), w;
	struct refstore_heap_stats s;

	ASSERT_EQ(0, rs_weakref(self->fd, h, &w));
	s = STATS(self->fd);
	EXPECT_EQ(1, s.objects);
	EXPECT_EQ(1, s.handles);
	EXPECT_EQ(1, s.weak_handles);
	ASSERT_EQ(0, rs_close(self->fd, h));
	s = STATS(self->fd);
	EXPECT_EQ(0, s.objects);
	EXPECT_EQ(1, s.freed);
	EXPECT_EQ(0, s.handles);
	EXPECT_EQ(1, s.weak_handles);
}

/* A weak handle to an object only reachable through a slot. */
TEST_F(heap, weak_to_slot_target_dies_with_container)
{
	uint32_t a = CREATE(self->fd, 0, 1), b = CREATE(self->fd, 0, 0), w;

	ASSERT_EQ(0, rs_set_slot(self->fd, a, 0, b));
	ASSERT_EQ(0, rs_weakref(self->fd, b, &w));
	ASSERT_EQ(0, rs_close(self->fd, b));
	EXPECT_EQ(0, rs_upgrade(self->fd, w, &b));
	ASSERT_EQ(0, rs_close(self->fd, b));
	ASSERT_EQ(0, rs_close(self->fd, a));
	EXPECT_EQ(0, STATS(self->fd).objects);
	EXPECT_ERR(ENOENT, rs_upgrade(self->fd, w, &b));
}

TEST_F(heap, close_weak_handle)
{
	uint32_t h = CREATE(self->fd, 0, 0), w;

	ASSERT_EQ(0, rs_weakref(self->fd, h, &w));
	ASSERT_EQ(0, rs_close(self->fd, w));
	EXPECT_EQ(0, STATS(self->fd).weak_handles);
	/* Closing a weak handle never frees anything. */
	EXPECT_EQ(1, STATS(self->fd).objects);
	EXPECT_EQ(1, REFCOUNT(self->fd, h));
	/* And the handle is gone. */
	EXPECT_ERR(ENOENT, rs_upgrade(self->fd, w, NULL));
}

TEST_F(heap, close_weak_twice_enoent)
{
	uint32_t h = CREATE(self->fd, 0, 0), w;
	struct refstore_heap_stats before;

	ASSERT_EQ(0, rs_weakref(self->fd, h, &w));
	ASSERT_EQ(0, rs_close(self->fd, w));
	before = STATS(self->fd);
	EXPECT_ERR(ENOENT, rs_close(self->fd, w));
	STATS_SAME(self->fd, &before);
}

TEST_F(heap, upgrade_bad_handle_enoent)
{
	uint32_t h = CREATE(self->fd, 0, 0);
	struct refstore_heap_stats before = STATS(self->fd);

	EXPECT_ERR(ENOENT, rs_upgrade(self->fd, h + 1000, NULL));
	STATS_SAME(self->fd, &before);
}

TEST_F(heap, weakrefs_flag_in_info)
{
	uint32_t h = CREATE(self->fd, 0, 0), w1, w2;

	EXPECT_EQ(0, INFO(self->fd, h).obj_flags & REFSTORE_OBJ_WEAKREFS);
	ASSERT_EQ(0, rs_weakref(self->fd, h, &w1));
	EXPECT_EQ(REFSTORE_OBJ_WEAKREFS,
		  INFO(self->fd, h).obj_flags & REFSTORE_OBJ_WEAKREFS);
	ASSERT_EQ(0, rs_weakref(self->fd, h, &w2));
	EXPECT_NE(w1, w2);
	EXPECT_EQ(2, STATS(self->fd).weak_handles);
	/* Still one weak handle left: the flag stays. */
	ASSERT_EQ(0, rs_close(self->fd, w1));
	EXPECT_EQ(REFSTORE_OBJ_WEAKREFS,
		  INFO(self->fd, h).obj_flags & REFSTORE_OBJ_WEAKREFS);
	ASSERT_EQ(0, rs_close(self->fd, w2));
	EXPECT_EQ(0, INFO(self->fd, h).obj_flags & REFSTORE_OBJ_WEAKREFS);
}

/* Weak handles count against max_handles like strong ones. */
TEST_F(heap, weakref_handle_limit_edquot)
{
	struct refstore_limits lim = { .max_handles = 2 };
	uint32_t h = CREATE(self->fd, 0, 0), w;
	struct refstore_heap_stats before;

	ASSERT_EQ(0, rs_weakref(self->fd, h, &w));
	ASSERT_EQ(0, rs_set_limits(self->fd, &lim));
	before = STATS(self->fd);
	EXPECT_ERR(EDQUOT, rs_weakref(self->fd, h, NULL));
	STATS_SAME(self->fd, &before);
}

TEST_F(heap, upgrade_handle_limit_edquot)
{
	struct refstore_limits lim = { .max_handles = 2 };
	uint32_t h = CREATE(self->fd, 0, 0), w;
	struct refstore_heap_stats before;
	struct refstore_info info;

	ASSERT_EQ(0, rs_weakref(self->fd, h, &w));
	ASSERT_EQ(0, rs_set_limits(self->fd, &lim));
	before = STATS(self->fd);
	info = INFO(self->fd, h);
	EXPECT_ERR(EDQUOT, rs_upgrade(self->fd, w, NULL));
	STATS_SAME(self->fd, &before);
	INFO_SAME(self->fd, h, &info);
}

T_HARNESS_MAIN
