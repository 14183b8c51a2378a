// SPDX-License-Identifier: GPL-2.0
/*
 * refstore inspection selftests: OBJECTS, REFERENTS, REFERRERS and
 * ID_HANDLE (gc.get_objects(), get_referents(), get_referrers()), and
 * GC_GARBAGE's cursor. Looking moves no count and makes no handle.
 */
#include "common.h"

static uint32_t t_mk(struct __test_metadata *_metadata, int fd,
		     uint32_t payload, uint32_t nslots, uint64_t tag,
		     uint64_t *id)
{
	uint32_t h = 0;

	EXPECT_EQ(0, rs_create(fd, payload, nslots, 0, tag, 0, &h, id));
	return h;
}
#define MK(fd, payload, nslots, tag, idp) \
	t_mk(_metadata, fd, payload, nslots, tag, idp)

static const struct refstore_object_info *
t_find(const struct refstore_object_info *v, size_t n, uint64_t id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i].id == id)
			return &v[i];
	return NULL;
}

TEST_F(heap, objects_lists_without_side_effects)
{
	struct refstore_heap_stats before;
	const struct refstore_object_info *o;
	struct refstore_object_info *v;
	uint64_t ida, idb, idc;
	uint32_t a, b, c;
	size_t n, i;

	a = MK(self->fd, 10, 2, 1, &ida);
	b = MK(self->fd, 20, 0, 2, &idb);
	c = MK(self->fd, 0, 1, 3, &idc);
	LINK(self->fd, a, 0, b);
	LINK(self->fd, a, 1, c);
	WEAKREF(self->fd, c);
	CLOSE(self->fd, c);
	before = STATS(self->fd);

	ASSERT_EQ(0, rs_objects_all(self->fd, &v, &n));
	ASSERT_EQ(3, n);
	for (i = 1; i < n; i++)
		EXPECT_LT(v[i - 1].id, v[i].id);
	o = t_find(v, n, ida);
	ASSERT_NE(NULL, o);
	EXPECT_EQ(1, o->refcount);
	EXPECT_EQ(10, o->payload_size);
	EXPECT_EQ(2, o->nslots);
	EXPECT_EQ(1, o->tag);
	EXPECT_EQ(0, o->generation);
	EXPECT_EQ(getpid(), o->creator_pid);
	EXPECT_LT(0, o->bytes);
	o = t_find(v, n, idb);
	ASSERT_NE(NULL, o);
	EXPECT_EQ(2, o->refcount);
	o = t_find(v, n, idc);
	ASSERT_NE(NULL, o);
	EXPECT_EQ(1, o->refcount);
	EXPECT_EQ(REFSTORE_OBJ_WEAKREFS | REFSTORE_OBJ_SUSPECT, o->obj_flags);
	free(v);
	/* Nothing moved: no handle made, no count changed. */
	STATS_SAME(self->fd, &before);
	EXPECT_EQ(2, REFCOUNT(self->fd, b));
}

TEST_F(heap, objects_paging)
{
	struct refstore_object_info v[3];
	uint64_t ids[10], cursor = 0, total = 0;
	uint32_t h[10], got;
	int i, seen = 0;

	for (i = 0; i < 10; i++)
		h[i] = MK(self->fd, 0, 0, 0, &ids[i]);
	CLOSE(self->fd, h[4]);
	do {
		ASSERT_EQ(0, rs_objects(self->fd, 0, 0, &cursor, v, 3, &got,
					&total));
		EXPECT_EQ(9, total);
		for (i = 0; i < (int)got; i++) {
			if (seen == 4)
				seen++;	/* ids[4] died */
			EXPECT_EQ(ids[seen], v[i].id);
			seen++;
		}
	} while (got == 3);
	EXPECT_EQ(10, seen);
	EXPECT_LT(ids[9], cursor);
	/* Past the end: nothing. */
	ASSERT_EQ(0, rs_objects(self->fd, 0, 0, &cursor, v, 3, &got, NULL));
	EXPECT_EQ(0, got);
}

TEST_F(heap, objects_by_generation)
{
	struct refstore_object_info v[8];
	uint64_t cursor, ida, idb, idc;
	uint32_t got;

	MK(self->fd, 0, 1, 0, &ida);
	COLLECT(self->fd, 0);
	MK(self->fd, 0, 1, 0, &idb);
	cursor = 0;
	ASSERT_EQ(0, rs_objects(self->fd, REFSTORE_OBJECTS_GENERATION, 1,
				&cursor, v, 8, &got, NULL));
	ASSERT_EQ(1, got);
	EXPECT_EQ(ida, v[0].id);
	EXPECT_EQ(1, v[0].generation);
	cursor = 0;
	ASSERT_EQ(0, rs_objects(self->fd, REFSTORE_OBJECTS_GENERATION, 0,
				&cursor, v, 8, &got, NULL));
	ASSERT_EQ(1, got);
	EXPECT_EQ(idb, v[0].id);

	GC_VALUE(self->fd, GC_FREEZE);
	MK(self->fd, 0, 1, 0, &idc);
	cursor = 0;
	ASSERT_EQ(0, rs_objects(self->fd, REFSTORE_OBJECTS_GENERATION,
				REFSTORE_GEN_FROZEN, &cursor, v, 8, &got,
				NULL));
	ASSERT_EQ(2, got);
	EXPECT_EQ(ida, v[0].id);
	EXPECT_EQ(idb, v[1].id);
	EXPECT_TRUE(v[0].obj_flags & REFSTORE_OBJ_FROZEN);
	EXPECT_EQ(REFSTORE_GEN_FROZEN, v[1].generation);
	GC_VALUE(self->fd, GC_UNFREEZE);
}

/* SAVEALL's garbage is listed, flagged, and can be had back by id. */
TEST_F(heap, objects_garbage_and_id_handle)
{
	struct refstore_object_info v[4];
	uint64_t cursor = 0, ida, idb;
	uint32_t a, b, got, h;

	a = MK(self->fd, 0, 1, 0, &ida);
	b = MK(self->fd, 0, 1, 0, &idb);
	LINK(self->fd, a, 0, b);
	LINK(self->fd, b, 0, a);
	CLOSE(self->fd, a);
	CLOSE(self->fd, b);
	GC_SET_DEBUG(self->fd, REFSTORE_GC_DEBUG_SAVEALL);
	EXPECT_EQ(2, COLLECT(self->fd, 2));
	ASSERT_EQ(0, rs_objects(self->fd, 0, 0, &cursor, v, 4, &got, NULL));
	ASSERT_EQ(2, got);
	EXPECT_TRUE(v[0].obj_flags & REFSTORE_OBJ_GARBAGE);
	EXPECT_TRUE(v[1].obj_flags & REFSTORE_OBJ_GARBAGE);
	ASSERT_EQ(0, rs_id_handle(self->fd, ida, &h));
	EXPECT_EQ(ida, INFO(self->fd, h).id);
	CLOSE(self->fd, h);
}

TEST_F(heap, objects_errors)
{
	struct refstore_object_info v[2];
	struct refstore_objects o = {
		.size = sizeof(o),
		.entry_size = sizeof(v[0]),
		.capacity = 2,
		.entries = (uintptr_t)v,
	};

	CREATE(self->fd, 0, 0);
	o.flags = 2;
	EXPECT_ERR(EINVAL, rs_ioctl(self->fd, REFSTORE_IOC_OBJECTS, &o));
	o.flags = 0;
	o.generation = 1;
	EXPECT_ERR(EINVAL, rs_ioctl(self->fd, REFSTORE_IOC_OBJECTS, &o));
	o.flags = REFSTORE_OBJECTS_GENERATION;
	o.generation = REFSTORE_GEN_FROZEN + 1;
	EXPECT_ERR(EINVAL, rs_ioctl(self->fd, REFSTORE_IOC_OBJECTS, &o));
	o.flags = 0;
	o.generation = 0;
	o.entry_size = 40;
	EXPECT_ERR(EINVAL, rs_ioctl(self->fd, REFSTORE_IOC_OBJECTS, &o));
	o.entry_size = 52;
	EXPECT_ERR(EINVAL, rs_ioctl(self->fd, REFSTORE_IOC_OBJECTS, &o));
	o.entry_size = sizeof(v[0]);
	o.entries = 8;
	EXPECT_ERR(EFAULT, rs_ioctl(self->fd, REFSTORE_IOC_OBJECTS, &o));
	o.entries = (uintptr_t)v;
	ASSERT_EQ(0, rs_ioctl(self->fd, REFSTORE_IOC_OBJECTS, &o));
	EXPECT_EQ(1, o.count);
	EXPECT_EQ(1, o.total);
}

TEST_F(heap, referents)
{
	uint64_t ida, idb, ids[4] = { 9, 9, 9, 9 };
	uint32_t a, b, nslots = 0;

	a = MK(self->fd, 0, 3, 0, &ida);
	b = MK(self->fd, 0, 0, 0, &idb);
	LINK(self->fd, a, 0, b);
	LINK(self->fd, a, 2, a);
	ASSERT_EQ(0, rs_referents(self->fd, ida, ids, 4, &nslots));
	EXPECT_EQ(3, nslots);
	EXPECT_EQ(idb, ids[0]);
	EXPECT_EQ(0, ids[1]);
	EXPECT_EQ(ida, ids[2]);
	EXPECT_EQ(9, ids[3]);
	/* A short buffer gets the first slots; nslots tells the rest. */
	ids[0] = ids[1] = 9;
	ASSERT_EQ(0, rs_referents(self->fd, ida, ids, 1, &nslots));
	EXPECT_EQ(3, nslots);
	EXPECT_EQ(idb, ids[0]);
	EXPECT_EQ(9, ids[1]);
	EXPECT_EQ(2, REFCOUNT(self->fd, b));
	EXPECT_EQ(0, STATS(self->fd).weak_handles);
	EXPECT_EQ(2, STATS(self->fd).handles);

	EXPECT_ERR(ENOENT, rs_referents(self->fd, 0, ids, 4, NULL));
	EXPECT_ERR(ENOENT, rs_referents(self->fd, idb + 1, ids, 4, NULL));
	EXPECT_ERR(EFAULT, rs_referents(self->fd, ida, (uint64_t *)8, 4,
					NULL));
	CLOSE(self->fd, b);
	EXPECT_EQ(0, rs_referents(self->fd, idb, ids, 4, &nslots));
	EXPECT_EQ(0, nslots);
}

TEST_F(heap, referrers)
{
	struct refstore_referrer r[4];
	uint64_t ida, idb, idc, cursor = 0, total = 0;
	uint32_t a, b, c, got;
	int i, from_a = 0, from_c = 0;

	a = MK(self->fd, 0, 1, 0, &ida);
	b = MK(self->fd, 0, 0, 0, &idb);
	c = MK(self->fd, 0, 3, 0, &idc);
	LINK(self->fd, a, 0, b);
	LINK(self->fd, c, 1, b);
	LINK(self->fd, c, 2, b);
	ASSERT_EQ(0, rs_referrers(self->fd, idb, &cursor, r, 4, &got,
				  &total));
	EXPECT_EQ(3, got);
	EXPECT_EQ(3, total);
	EXPECT_EQ(3, cursor);
	/* Its handles: refcount minus referring slots. */
	EXPECT_EQ(1, REFCOUNT(self->fd, b) - total);
	/* Pages of 2. */
	cursor = 0;
	ASSERT_EQ(0, rs_referrers(self->fd, idb, &cursor, r, 2, &got, NULL));
	EXPECT_EQ(2, got);
	ASSERT_EQ(0, rs_referrers(self->fd, idb, &cursor, r + 2, 2, &got,
				  NULL));
	EXPECT_EQ(1, got);
	EXPECT_EQ(3, cursor);
	/* The three (id, slot) pairs, whatever their order. */
	for (i = 0; i < 3; i++) {
		if (r[i].id == ida && r[i].slot == 0)
			from_a++;
		if (r[i].id == idc && (r[i].slot == 1 || r[i].slot == 2))
			from_c++;
	}
	EXPECT_EQ(1, from_a);
	EXPECT_EQ(2, from_c);
	ASSERT_EQ(0, rs_referrers(self->fd, ida, NULL, r, 4, &got, &total));
	EXPECT_EQ(0, total);
	EXPECT_ERR(ENOENT, rs_referrers(self->fd, 12345, NULL, r, 4, NULL,
					NULL));
	EXPECT_ERR(EFAULT, rs_referrers(self->fd, idb, NULL,
					(struct refstore_referrer *)8, 4, NULL,
					NULL));
	EXPECT_EQ(3, STATS(self->fd).handles);
}

TEST_F(heap, id_handle)
{
	struct refstore_id_handle r = { .size = sizeof(r) };
	uint64_t id, idb;
	uint32_t a, b, h = 0;

	a = MK(self->fd, 0, 1, 0, &id);
	b = MK(self->fd, 0, 0, 0, &idb);
	LINK(self->fd, a, 0, b);
	CLOSE(self->fd, b);
	/* Found by id: reachable only through a's slot. */
	ASSERT_EQ(0, rs_id_handle(self->fd, idb, &h));
	EXPECT_NE(0, h);
	EXPECT_EQ(idb, INFO(self->fd, h).id);
	EXPECT_EQ(2, REFCOUNT(self->fd, h));
	CLOSE(self->fd, h);
	/* Dead: ENOENT. */
	CLOSE(self->fd, a);
	EXPECT_ERR(ENOENT, rs_id_handle(self->fd, id, &h));
	EXPECT_ERR(ENOENT, rs_id_handle(self->fd, idb, &h));
	EXPECT_ERR(ENOENT, rs_id_handle(self->fd, 0, &h));
	r.id = idb;
	r.__reserved = 1;
	EXPECT_ERR(EINVAL, rs_ioctl(self->fd, REFSTORE_IOC_ID_HANDLE, &r));
	r.__reserved = 0;
	r.flags = 1;
	EXPECT_ERR(EINVAL, rs_ioctl(self->fd, REFSTORE_IOC_ID_HANDLE, &r));
	EXPECT_EQ(0, STATS(self->fd).handles);
}

/* GC_GARBAGE pages with a cursor; an old caller starts at the head. */
TEST_F(heap, gc_garbage_cursor)
{
	uint32_t hs[2], got, h[6];
	uint64_t cursor = 0, total = 0, ids[6], seen[6];
	struct refstore_gc_garbage g;
	int i, j, n = 0, found;

	GC_SET_DEBUG(self->fd, REFSTORE_GC_DEBUG_SAVEALL);
	for (i = 0; i < 6; i++) {
		h[i] = MK(self->fd, 0, 1, 0, &ids[i]);
		LINK(self->fd, h[i], 0, h[i]);
		CLOSE(self->fd, h[i]);
	}
	EXPECT_EQ(6, COLLECT(self->fd, 2));
	do {
		ASSERT_EQ(0, rs_gc_garbage_from(self->fd, &cursor, hs, 2, &got,
						&total));
		EXPECT_EQ(6, total);
		for (i = 0; i < (int)got; i++) {
			seen[n++] = INFO(self->fd, hs[i]).id;
			CLOSE(self->fd, hs[i]);
		}
	} while (got);
	ASSERT_EQ(6, n);
	EXPECT_EQ(6, cursor);
	for (i = 0; i < 6; i++) {
		found = 0;
		for (j = 0; j < 6; j++)
			found += seen[j] == ids[i];
		EXPECT_EQ(1, found);
	}
	/* The first version of the structure: from the head. */
	memset(&g, 0, sizeof(g));
	g.size = offsetof(struct refstore_gc_garbage, cursor);
	g.capacity = 1;
	g.handles = (uintptr_t)hs;
	ASSERT_EQ(0, rs_ioctl(self->fd, REFSTORE_IOC_GC_GARBAGE, &g));
	EXPECT_EQ(1, g.count);
	EXPECT_EQ(seen[0], INFO(self->fd, hs[0]).id);
}

TEST_F(heap, feature_bit)
{
	uint64_t features = 0;

	ASSERT_EQ(0, rs_version(self->fd, NULL, &features));
	EXPECT_TRUE(features & REFSTORE_FEAT_INSPECT);
}

TEST_HARNESS_MAIN
