// SPDX-License-Identifier: GPL-2.0
/*
 * refstore object selftests: CREATE, DUP, CLOSE, INFO, SET_SLOT, GET_SLOT,
 * WRITE, READ, and each documented error path of those calls.  After every
 * failing call the heap (and the object involved) must be unchanged.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "common.h"

/* ---- CREATE ---- */

TEST_F(heap, create_count_one)
{
	uint32_t h = CREATE(self->fd, 16, 2);
	struct refstore_heap_stats s = STATS(self->fd);

	EXPECT_EQ(1, REFCOUNT(self->fd, h));
	EXPECT_EQ(1, s.objects);
	EXPECT_EQ(1, s.handles);
	EXPECT_EQ(1, s.created);
	EXPECT_EQ(0, s.freed);
	EXPECT_LT(16, s.bytes);
}

TEST_F(heap, create_payload_zero_filled)
{
	uint8_t buf[256];
	uint32_t h = CREATE(self->fd, sizeof(buf), 0);
	unsigned int i;

	memset(buf, 0xa5, sizeof(buf));
	ASSERT_EQ(0, rs_read(self->fd, h, 0, buf, sizeof(buf)));
	for (i = 0; i < sizeof(buf); i++)
		ASSERT_EQ(0, buf[i]) TH_LOG("byte %u", i);
}

TEST_F(heap, create_ids_unique_increasing)
{
	uint64_t prev = 0, id;
	uint32_t h, prev_h = 0;
	int i;

	for (i = 0; i < 32; i++) {
		h = t_create(_metadata, self->fd, 0, 0, 0, 0, &id);
		EXPECT_LT(prev, id);
		EXPECT_NE(prev_h, h);
		EXPECT_EQ(id, INFO(self->fd, h).id);
		prev = id;
		prev_h = h;
	}
	EXPECT_EQ(32, STATS(self->fd).objects);
}

/* An id is never reused in its heap, even after its object died. */
TEST_F(heap, create_ids_not_reused)
{
	uint64_t id1, id2;
	uint32_t h;

	h = t_create(_metadata, self->fd, 0, 0, 0, 0, &id1);
	CLOSE(self->fd, h);
	t_create(_metadata, self->fd, 0, 0, 0, 0, &id2);
	EXPECT_EQ(id1 + 1, id2);
}

TEST_F(heap, info_fields)
{
	struct refstore_info i;
	uint32_t h;

	ASSERT_EQ(0, rs_create(self->fd, 40, 3, 0, 0xfeedfacecafebeefull, 0,
			       &h, NULL));
	i = INFO(self->fd, h);
	EXPECT_EQ(sizeof(i), i.size);
	EXPECT_EQ(h, i.handle);
	EXPECT_EQ(1, i.refcount);
	EXPECT_EQ(40, i.payload_size);
	EXPECT_EQ(3, i.nslots);
	EXPECT_EQ(0xfeedfacecafebeefull, i.tag);
	EXPECT_EQ(0, i.obj_flags);
	EXPECT_EQ(getpid(), i.creator_pid);
}

TEST_F(heap, info_notify_flag)
{
	uint32_t h = CREATE_NOTIFY(self->fd, 0, 77, NULL);

	EXPECT_EQ(REFSTORE_OBJ_NOTIFY, INFO(self->fd, h).obj_flags);
}

/* A child creates in the shared heap: INFO names the child. */
TEST_F(heap, info_creator_pid_of_child)
{
	uint32_t h = 0;
	pid_t pid;
	int p[2], status;

	ASSERT_EQ(0, pipe(p));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int ok = !rs_create(self->fd, 0, 0, 0, 0, 0, &h, NULL);

		ok = ok && write(p[1], &h, sizeof(h)) == sizeof(h);
		_exit(ok ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, status);
	ASSERT_EQ(sizeof(h), read(p[0], &h, sizeof(h)));
	EXPECT_EQ(pid, INFO(self->fd, h).creator_pid);
	EXPECT_NE(getpid(), INFO(self->fd, h).creator_pid);
	close(p[0]);
	close(p[1]);
}

TEST_F(heap, create_zero_payload_zero_slots)
{
	uint32_t h = CREATE(self->fd, 0, 0);
	struct refstore_info i = INFO(self->fd, h);

	EXPECT_EQ(0, i.payload_size);
	EXPECT_EQ(0, i.nslots);
	EXPECT_EQ(0, rs_read(self->fd, h, 0, NULL, 0));
}

TEST_F(heap, create_unknown_flag_einval)
{
	struct refstore_heap_stats before = STATS(self->fd);
	uint32_t h = 0;

	EXPECT_ERR(EINVAL, rs_create(self->fd, 0, 0, REFSTORE_CREATE_NOTIFY << 1,
				     0, 0, &h, NULL));
	EXPECT_EQ(0, h);
	STATS_SAME(self->fd, &before);
}

TEST_F(heap, create_cookie_without_notify_einval)
{
	struct refstore_heap_stats before = STATS(self->fd);

	EXPECT_ERR(EINVAL, rs_create(self->fd, 0, 0, 0, 0, 1, NULL, NULL));
	STATS_SAME(self->fd, &before);
}

TEST_F(heap, create_reserved_einval)
{
	struct refstore_heap_stats before = STATS(self->fd);
	struct refstore_create c = { .size = sizeof(c), .__reserved = 1 };

	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, REFSTORE_IOC_CREATE, &c));
	EXPECT_EQ(EINVAL, errno);
	STATS_SAME(self->fd, &before);
}

/* ---- DUP / CLOSE ---- */

TEST_F(heap, dup_and_close)
{
	uint64_t id;
	uint32_t h = t_create(_metadata, self->fd, 0, 0, 0, 0, &id), d;

	ASSERT_EQ(0, rs_dup(self->fd, h, &d));
	EXPECT_NE(h, d);
	EXPECT_EQ(2, REFCOUNT(self->fd, h));
	EXPECT_EQ(2, REFCOUNT(self->fd, d));
	EXPECT_EQ(id, INFO(self->fd, d).id);
	EXPECT_EQ(2, STATS(self->fd).handles);
	EXPECT_EQ(1, STATS(self->fd).objects);

	ASSERT_EQ(0, rs_close(self->fd, h));
	EXPECT_EQ(1, REFCOUNT(self->fd, d));
	EXPECT_EQ(1, STATS(self->fd).objects);
	ASSERT_EQ(0, rs_close(self->fd, d));
	EXPECT_EQ(0, STATS(self->fd).objects);
	EXPECT_EQ(0, STATS(self->fd).handles);
	EXPECT_EQ(0, STATS(self->fd).bytes);
	EXPECT_EQ(1, STATS(self->fd).freed);
}

TEST_F(heap, close_frees_object)
{
	uint32_t h = CREATE(self->fd, 100, 1);

	ASSERT_EQ(0, rs_close(self->fd, h));
	EXPECT_ERR(ENOENT, rs_info(self->fd, h, NULL));
	EXPECT_EQ(0, STATS(self->fd).objects);
}

TEST_F(heap, bad_handle_enoent)
{
	uint32_t h = CREATE(self->fd, 0, 0);
	struct refstore_heap_stats before = STATS(self->fd);

	EXPECT_ERR(ENOENT, rs_dup(self->fd, h + 1000, NULL));
	STATS_SAME(self->fd, &before);
}

TEST_F(heap, handle_zero_enoent)
{
	struct refstore_heap_stats before;

	CREATE(self->fd, 0, 0);
	before = STATS(self->fd);

	EXPECT_ERR(ENOENT, rs_info(self->fd, 0, NULL));
	EXPECT_ERR(ENOENT, rs_close(self->fd, 0));
	STATS_SAME(self->fd, &before);
}

TEST_F(heap, double_close_enoent)
{
	uint32_t h = CREATE(self->fd, 0, 0);
	uint32_t keep = CREATE(self->fd, 0, 0);
	struct refstore_heap_stats before;
	struct refstore_info ikeep;

	ASSERT_EQ(0, rs_close(self->fd, h));
	before = STATS(self->fd);
	ikeep = INFO(self->fd, keep);
	EXPECT_ERR(ENOENT, rs_close(self->fd, h));
	STATS_SAME(self->fd, &before);
	INFO_SAME(self->fd, keep, &ikeep);
}

/* Handles are per heap: one from another heap means nothing here. */
TEST_F(heap, handle_of_other_heap_enoent)
{
	int fd2 = rs_open(0);
	uint32_t other, mine;
	struct refstore_heap_stats before;

	ASSERT_LE(0, fd2);
	mine = CREATE(self->fd, 0, 1);
	other = CREATE(fd2, 0, 0);
	other = CREATE(fd2, 0, 0);	/* a number the first heap lacks */
	before = STATS(self->fd);
	EXPECT_ERR(ENOENT, rs_set_slot(self->fd, mine, 0, other));
	STATS_SAME(self->fd, &before);
	EXPECT_EQ(1, REFCOUNT(fd2, other));
	close(fd2);
}

/* ---- SET_SLOT / GET_SLOT ---- */

TEST_F(heap, set_slot_raises_target)
{
	uint32_t a = CREATE(self->fd, 0, 2), b = CREATE(self->fd, 0, 0);

	ASSERT_EQ(0, rs_set_slot(self->fd, a, 1, b));
	EXPECT_EQ(2, REFCOUNT(self->fd, b));
	EXPECT_EQ(1, REFCOUNT(self->fd, a));
	ASSERT_EQ(0, rs_set_slot(self->fd, a, 0, b));
	EXPECT_EQ(3, REFCOUNT(self->fd, b));
}

TEST_F(heap, set_slot_clear_drops)
{
	uint32_t a = CREATE(self->fd, 0, 1), b = CREATE(self->fd, 0, 0);
	uint32_t t = 99;
	uint64_t tid = 99;

	ASSERT_EQ(0, rs_set_slot(self->fd, a, 0, b));
	ASSERT_EQ(0, rs_set_slot(self->fd, a, 0, 0));
	EXPECT_EQ(1, REFCOUNT(self->fd, b));
	ASSERT_EQ(0, rs_get_slot(self->fd, a, 0, &t, &tid));
	EXPECT_EQ(0, t);
	EXPECT_EQ(0, tid);
	/* Clearing an empty slot is fine and changes nothing. */
	ASSERT_EQ(0, rs_set_slot(self->fd, a, 0, 0));
	EXPECT_EQ(1, REFCOUNT(self->fd, b));
}

TEST_F(heap, set_slot_keeps_target_alive)
{
	uint32_t a = CREATE(self->fd, 0, 1), t;
	uint64_t bid, tid;
	uint32_t b = t_create(_metadata, self->fd, 0, 0, 0, 0, &bid);

	ASSERT_EQ(0, rs_set_slot(self->fd, a, 0, b));
	ASSERT_EQ(0, rs_close(self->fd, b));
	EXPECT_EQ(2, STATS(self->fd).objects);
	ASSERT_EQ(0, rs_get_slot(self->fd, a, 0, &t, &tid));
	EXPECT_EQ(bid, tid);
	EXPECT_EQ(bid, INFO(self->fd, t).id);
	EXPECT_EQ(2, REFCOUNT(self->fd, t));
	/* Emptying the slot and closing t frees b. */
	ASSERT_EQ(0, rs_set_slot(self->fd, a, 0, 0));
	EXPECT_EQ(1, REFCOUNT(self->fd, t));
	ASSERT_EQ(0, rs_close(self->fd, t));
	EXPECT_EQ(1, STATS(self->fd).objects);
}

TEST_F(heap, set_slot_self_reference)
{
	uint32_t a = CREATE(self->fd, 0, 1), t;
	uint64_t tid;

	ASSERT_EQ(0, rs_set_slot(self->fd, a, 0, a));
	EXPECT_EQ(2, REFCOUNT(self->fd, a));
	ASSERT_EQ(0, rs_get_slot(self->fd, a, 0, &t, &tid));
	EXPECT_EQ(INFO(self->fd, a).id, tid);
	EXPECT_EQ(3, REFCOUNT(self->fd, a));
	ASSERT_EQ(0, rs_close(self->fd, t));
	/* Breaking the self-cycle through the slot itself. */
	ASSERT_EQ(0, rs_set_slot(self->fd, a, 0, 0));
	EXPECT_EQ(1, REFCOUNT(self->fd, a));
	ASSERT_EQ(0, rs_close(self->fd, a));
	EXPECT_EQ(0, STATS(self->fd).objects);
}

TEST_F(heap, set_slot_replace_drops_old)
{
	uint32_t a = CREATE(self->fd, 0, 1);
	uint32_t b = CREATE(self->fd, 0, 0), c = CREATE(self->fd, 0, 0);
	uint64_t tid;

	ASSERT_EQ(0, rs_set_slot(self->fd, a, 0, b));
	ASSERT_EQ(0, rs_close(self->fd, b));
	EXPECT_EQ(3, STATS(self->fd).objects);
	/* The old target's only reference was the slot: it is freed. */
	ASSERT_EQ(0, rs_set_slot(self->fd, a, 0, c));
	EXPECT_EQ(2, STATS(self->fd).objects);
	EXPECT_EQ(2, REFCOUNT(self->fd, c));
	ASSERT_EQ(0, rs_get_slot(self->fd, a, 0, NULL, &tid));
	EXPECT_EQ(INFO(self->fd, c).id, tid);
}

/* Setting a slot to its current target keeps the target alive. */
TEST_F(heap, set_slot_same_target_twice)
{
	uint32_t a = CREATE(self->fd, 0, 1), b = CREATE(self->fd, 0, 0);

	ASSERT_EQ(0, rs_set_slot(self->fd, a, 0, b));
	ASSERT_EQ(0, rs_close(self->fd, b));
	ASSERT_EQ(0, rs_get_slot(self->fd, a, 0, &b, NULL));
	ASSERT_EQ(0, rs_close(self->fd, b));
	b = 0;
	ASSERT_EQ(0, rs_get_slot(self->fd, a, 0, &b, NULL));
	ASSERT_EQ(0, rs_set_slot(self->fd, a, 0, b));
	ASSERT_EQ(0, rs_close(self->fd, b));
	EXPECT_EQ(2, STATS(self->fd).objects);
	ASSERT_EQ(0, rs_get_slot(self->fd, a, 0, &b, NULL));
	EXPECT_EQ(2, REFCOUNT(self->fd, b));
}

TEST_F(heap, get_slot_new_handle)
{
	uint32_t a = CREATE(self->fd, 0, 1), b = CREATE(self->fd, 0, 0), t;

	ASSERT_EQ(0, rs_set_slot(self->fd, a, 0, b));
	ASSERT_EQ(0, rs_get_slot(self->fd, a, 0, &t, NULL));
	EXPECT_NE(b, t);
	EXPECT_NE(0, t);
	EXPECT_EQ(3, REFCOUNT(self->fd, b));
	EXPECT_EQ(3, STATS(self->fd).handles);
}

TEST_F(heap, set_slot_out_of_range_einval)
{
	uint32_t a = CREATE(self->fd, 0, 2), b = CREATE(self->fd, 0, 0);
	struct refstore_heap_stats before = STATS(self->fd);
	struct refstore_info ib = INFO(self->fd, b);

	EXPECT_ERR(EINVAL, rs_set_slot(self->fd, a, 2, b));
	STATS_SAME(self->fd, &before);
	INFO_SAME(self->fd, b, &ib);
}

TEST_F(heap, set_slot_no_slots_einval)
{
	uint32_t a = CREATE(self->fd, 0, 0);
	struct refstore_info ia = INFO(self->fd, a);

	EXPECT_ERR(EINVAL, rs_set_slot(self->fd, a, 0, a));
	INFO_SAME(self->fd, a, &ia);
}

TEST_F(heap, get_slot_out_of_range_einval)
{
	uint32_t a = CREATE(self->fd, 0, 1);
	struct refstore_heap_stats before;

	ASSERT_EQ(0, rs_set_slot(self->fd, a, 0, a));
	before = STATS(self->fd);
	EXPECT_ERR(EINVAL, rs_get_slot(self->fd, a, UINT32_MAX, NULL, NULL));
	STATS_SAME(self->fd, &before);
	EXPECT_EQ(2, REFCOUNT(self->fd, a));
}

TEST_F(heap, set_slot_bad_target_enoent)
{
	uint32_t a = CREATE(self->fd, 0, 1), b = CREATE(self->fd, 0, 0);
	struct refstore_heap_stats before;
	uint64_t tid;

	ASSERT_EQ(0, rs_set_slot(self->fd, a, 0, b));
	before = STATS(self->fd);
	/* The failed call must not empty the slot either. */
	EXPECT_ERR(ENOENT, rs_set_slot(self->fd, a, 0, b + 1000));
	STATS_SAME(self->fd, &before);
	EXPECT_EQ(2, REFCOUNT(self->fd, b));
	ASSERT_EQ(0, rs_get_slot(self->fd, a, 0, NULL, &tid));
	EXPECT_EQ(INFO(self->fd, b).id, tid);
}

/* ---- WRITE / READ ---- */

TEST_F(heap, write_read_roundtrip)
{
	static const char msg[] = "spam and eggs";
	uint32_t h = CREATE(self->fd, 64, 0);
	char buf[64];

	ASSERT_EQ(0, rs_write(self->fd, h, 10, msg, sizeof(msg)));
	memset(buf, 0x5a, sizeof(buf));
	ASSERT_EQ(0, rs_read(self->fd, h, 0, buf, sizeof(buf)));
	EXPECT_EQ(0, buf[9]);
	EXPECT_EQ(0, memcmp(buf + 10, msg, sizeof(msg)));
	EXPECT_EQ(0, buf[10 + sizeof(msg)]);
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(0, rs_read(self->fd, h, 10, buf, sizeof(msg)));
	EXPECT_STREQ(msg, buf);
}

/* The payload belongs to the object, not the handle. */
TEST_F(heap, write_via_dup_visible)
{
	uint32_t h = CREATE(self->fd, 8, 0), d;
	uint64_t v = 0x0123456789abcdefull, r = 0;

	ASSERT_EQ(0, rs_dup(self->fd, h, &d));
	ASSERT_EQ(0, rs_write(self->fd, d, 0, &v, sizeof(v)));
	ASSERT_EQ(0, rs_read(self->fd, h, 0, &r, sizeof(r)));
	EXPECT_EQ(v, r);
}

TEST_F(heap, rw_length_zero_ok)
{
	uint32_t h = CREATE(self->fd, 8, 0);

	EXPECT_EQ(0, rs_write(self->fd, h, 8, NULL, 0));
	EXPECT_EQ(0, rs_read(self->fd, h, 8, NULL, 0));
}

TEST_F(heap, write_past_end_einval)
{
	uint32_t h = CREATE(self->fd, 8, 0);
	uint8_t buf[9] = { 1, 1, 1, 1, 1, 1, 1, 1, 1 }, r[8];
	unsigned int i;

	EXPECT_ERR(EINVAL, rs_write(self->fd, h, 0, buf, 9));
	EXPECT_ERR(EINVAL, rs_write(self->fd, h, 1, buf, 8));
	ASSERT_EQ(0, rs_read(self->fd, h, 0, r, sizeof(r)));
	for (i = 0; i < sizeof(r); i++)
		EXPECT_EQ(0, r[i]);
}

TEST_F(heap, read_past_end_einval)
{
	uint32_t h = CREATE(self->fd, 8, 0);
	uint8_t buf[16];

	memset(buf, 0x77, sizeof(buf));
	EXPECT_ERR(EINVAL, rs_read(self->fd, h, 4, buf, 5));
	EXPECT_EQ(0x77, buf[0]);
}

TEST_F(heap, offset_past_end_len_zero_einval)
{
	uint32_t h = CREATE(self->fd, 8, 0);

	EXPECT_ERR(EINVAL, rs_read(self->fd, h, 9, NULL, 0));
}

TEST_F(heap, rw_overflow_eoverflow)
{
	uint32_t h = CREATE(self->fd, 8, 0);
	uint8_t buf[8];

	EXPECT_ERR(EOVERFLOW, rs_read(self->fd, h, UINT64_MAX, buf, 2));
}

TEST_F(heap, write_overflow_eoverflow)
{
	uint32_t h = CREATE(self->fd, 8, 0);
	uint8_t buf[8] = { 0 };

	EXPECT_ERR(EOVERFLOW, rs_write(self->fd, h, 8, buf, UINT64_MAX - 7));
}

TEST_F(heap, write_bad_pointer_efault)
{
	uint32_t h = CREATE(self->fd, 4096, 0);
	uint8_t buf[16] = { 0 }, zero[16] = { 0 };
	void *bad;

	/* An unmapped page is never accessible. */
	bad = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, bad);
	EXPECT_ERR(EFAULT, rs_write(self->fd, h, 0, bad, 16));
	ASSERT_EQ(0, rs_read(self->fd, h, 0, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, zero, sizeof(buf)));
	munmap(bad, 4096);
}

TEST_F(heap, read_bad_pointer_efault)
{
	uint32_t h = CREATE(self->fd, 16, 0);
	struct refstore_heap_stats before = STATS(self->fd);

	EXPECT_ERR(EFAULT, rs_read(self->fd, h, 0, (void *)8, 16));
	STATS_SAME(self->fd, &before);
}

/* Lengths over the module's max_payload are refused before any copy. */
static uint64_t t_over_max_payload(struct __test_metadata *_metadata, int fd)
{
	struct refstore_limits l;

	ASSERT_EQ(0, rs_get_limits(fd, &l));
	return (uint64_t)l.max_payload + 1;
}

TEST_F(heap, read_length_over_max_payload_einval)
{
	uint32_t h = CREATE(self->fd, 8, 0);
	uint64_t len = t_over_max_payload(_metadata, self->fd);
	uint8_t buf[8];

	EXPECT_ERR(EINVAL, rs_read(self->fd, h, 0, buf, len));
}

TEST_F(heap, write_length_over_max_payload_einval)
{
	uint32_t h = CREATE(self->fd, 8, 0);
	uint64_t len = t_over_max_payload(_metadata, self->fd);
	uint8_t buf[8] = { 0 };
	struct refstore_heap_stats before = STATS(self->fd);

	EXPECT_ERR(EINVAL, rs_write(self->fd, h, 0, buf, len));
	STATS_SAME(self->fd, &before);
}

/* The uapi's order: an argument error comes before ENOENT. */
TEST_F(heap, rw_argument_error_before_enoent)
{
	uint64_t len = t_over_max_payload(_metadata, self->fd);
	uint8_t buf[8];

	EXPECT_ERR(EINVAL, rs_read(self->fd, 12345, 0, buf, len));
}

TEST_F(heap, rw_reserved_einval)
{
	uint32_t h = CREATE(self->fd, 8, 0);
	uint64_t v = 1;
	struct refstore_rw rw = {
		.size = sizeof(rw), .handle = h, .__reserved = 1,
		.length = sizeof(v), .data = (uintptr_t)&v,
	};

	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, REFSTORE_IOC_WRITE, &rw));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, rs_read(self->fd, h, 0, &v, sizeof(v)));
	EXPECT_EQ(0, v);
}

/* ---- weak handles where strong ones are required, and back ---- */

FIXTURE(weak) {
	int fd;
	uint32_t strong, weak, other;
	struct refstore_heap_stats before;
	struct refstore_info info;
};

FIXTURE_SETUP(weak)
{
	self->fd = rs_open(0);
	ASSERT_LE(0, self->fd);
	self->strong = CREATE(self->fd, 8, 1);
	self->other = CREATE(self->fd, 8, 1);
	ASSERT_EQ(0, rs_weakref(self->fd, self->strong, &self->weak));
	self->before = STATS(self->fd);
	self->info = INFO(self->fd, self->strong);
}

FIXTURE_TEARDOWN(weak)
{
	struct refstore_heap_stats s;
	struct refstore_info i;

	/*
	 * Every test here fails a call: nothing may have changed.  EXPECT
	 * only: an ASSERT in a teardown would jump back into it.
	 */
	EXPECT_EQ(0, rs_heap_stats(self->fd, &s));
	EXPECT_EQ(0, memcmp(&s, &self->before, sizeof(s)));
	EXPECT_EQ(0, rs_info(self->fd, self->strong, &i));
	EXPECT_EQ(0, memcmp(&i, &self->info, sizeof(i)));
	close(self->fd);
}

TEST_F(weak, dup_ebadslt)
{
	EXPECT_ERR(EBADSLT, rs_dup(self->fd, self->weak, NULL));
}

TEST_F(weak, set_slot_handle_ebadslt)
{
	EXPECT_ERR(EBADSLT, rs_set_slot(self->fd, self->weak, 0, self->other));
}

TEST_F(weak, set_slot_target_ebadslt)
{
	EXPECT_ERR(EBADSLT, rs_set_slot(self->fd, self->other, 0, self->weak));
}

TEST_F(weak, get_slot_ebadslt)
{
	EXPECT_ERR(EBADSLT, rs_get_slot(self->fd, self->weak, 0, NULL, NULL));
}

TEST_F(weak, info_ebadslt)
{
	EXPECT_ERR(EBADSLT, rs_info(self->fd, self->weak, NULL));
}

TEST_F(weak, read_ebadslt)
{
	uint64_t v;

	EXPECT_ERR(EBADSLT, rs_read(self->fd, self->weak, 0, &v, sizeof(v)));
}

TEST_F(weak, write_ebadslt)
{
	uint64_t v = 1;

	EXPECT_ERR(EBADSLT, rs_write(self->fd, self->weak, 0, &v, sizeof(v)));
}

TEST_F(weak, weakref_of_weak_ebadslt)
{
	EXPECT_ERR(EBADSLT, rs_weakref(self->fd, self->weak, NULL));
}

TEST_F(weak, upgrade_strong_ebadslt)
{
	EXPECT_ERR(EBADSLT, rs_upgrade(self->fd, self->strong, NULL));
}

T_HARNESS_MAIN
