// SPDX-License-Identifier: GPL-2.0
/*
 * refstore device selftests: open, VERSION, the errors every ioctl shares
 * (ENOTTY, EFAULT, EINVAL for size/flags/reserved, E2BIG) and the global
 * debugfs stats file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "common.h"
#include "commands.h"

/* The structure of VERSION followed by bytes a newer header might add. */
struct version_plus {
	struct refstore_version v;
	uint64_t tail;
};

#define NR(cmd) ((unsigned int)_IOC_NR(cmd))

/*
 * The table is the header's: each number is _IOWR(magic, nr, struct)
 * with that struct's size, no number twice, sizes multiples of 8, and a
 * minimum size that is a prefix of the structure.
 */
TEST(commands_table_matches_header)
{
	unsigned int i, j;

	for (i = 0; i < T_NCMDS; i++) {
		const struct t_cmd *e = &t_cmds[i];

		ASSERT_NE(NULL, e->build) TH_LOG("%u", i);
		EXPECT_EQ(REFSTORE_IOC_MAGIC, _IOC_TYPE(e->cmd)) TH_LOG("%s", e->name);
		EXPECT_EQ(_IOC_READ | _IOC_WRITE, _IOC_DIR(e->cmd))
			TH_LOG("%s", e->name);
		EXPECT_EQ(e->size, _IOC_SIZE(e->cmd)) TH_LOG("%s", e->name);
		EXPECT_EQ(0, e->size % 8) TH_LOG("%s", e->name);
		EXPECT_LE(8, e->min_size) TH_LOG("%s", e->name);
		EXPECT_LE(e->min_size, e->size) TH_LOG("%s", e->name);
		for (j = 0; j < i; j++)
			EXPECT_NE(NR(t_cmds[j].cmd), NR(e->cmd))
				TH_LOG("%s and %s", t_cmds[j].name, e->name);
	}
}

/* Every number of the magic that is not in the table is ENOTTY. */
TEST_F(heap, every_unlisted_nr_enotty)
{
	struct refstore_heap_stats before = STATS(self->fd);
	struct refstore_version v = { .size = sizeof(v) };
	unsigned int nr, i;

	for (nr = 0; nr <= _IOC_NRMASK; nr++) {
		for (i = 0; i < T_NCMDS && NR(t_cmds[i].cmd) != nr; i++)
			;
		if (i < T_NCMDS)
			continue;
		EXPECT_ERR(ENOTTY, rs_ioctl(self->fd,
					    _IOWR(REFSTORE_IOC_MAGIC, nr,
						  struct refstore_version),
					    &v))
			TH_LOG("nr %#x", nr);
	}
	STATS_SAME(self->fd, &before);
}

/* Every command: the builder's argument is valid and the call succeeds. */
TEST(every_cmd_valid_ok)
{
	struct t_call c;
	unsigned int i;

	for (i = 0; i < T_NCMDS; i++) {
		t_call_prepare(_metadata, &t_cmds[i], &c, O_NONBLOCK);
		EXPECT_EQ(0, rs_ioctl(c.fd, t_cmds[i].cmd, c.arg.bytes))
			TH_LOG("%s", t_cmds[i].name);
		close(c.fd);
	}
}

/*
 * Every command: the valid argument changed by @mutate fails with @err
 * and changes nothing, in the heap or its collector.
 */
static void every_cmd_fails(struct __test_metadata *_metadata, int err,
			    void (*mutate)(const struct t_cmd *e,
					   struct t_call *c),
			    unsigned long (*cmd_of)(const struct t_cmd *e))
{
	struct t_state before;
	struct t_call c;
	unsigned int i;

	for (i = 0; i < T_NCMDS; i++) {
		const struct t_cmd *e = &t_cmds[i];

		t_call_prepare(_metadata, e, &c, O_NONBLOCK);
		before = STATE(c.fd);
		mutate(e, &c);
		EXPECT_ERR(err, rs_ioctl(c.fd, cmd_of ? cmd_of(e) : e->cmd,
					 c.arg.bytes))
			TH_LOG("%s", e->name);
		STATE_SAME(c.fd, &before, e->name);
		close(c.fd);
	}
}

static void size_below_min(const struct t_cmd *e, struct t_call *c)
{
	c->arg.head.size = e->min_size - 1;
}

static void size_zero(const struct t_cmd *e, struct t_call *c)
{
	c->arg.head.size = 0;
}

static void unknown_flag(const struct t_cmd *e, struct t_call *c)
{
	c->arg.head.flags |= 1u << 31;
}

/* A newer caller's structure: 8 more bytes, the last one not zero. */
static void nonzero_tail(const struct t_cmd *e, struct t_call *c)
{
	c->arg.head.size = e->size + 8;
	c->arg.bytes[e->size + 7] = 1;
}

static unsigned long foreign_magic(const struct t_cmd *e)
{
	return _IOC(_IOC_DIR(e->cmd), REFSTORE_IOC_MAGIC + 1, _IOC_NR(e->cmd),
		    _IOC_SIZE(e->cmd));
}

static void unchanged(const struct t_cmd *e, struct t_call *c)
{
}

/* Every command: one byte short of its first version is EINVAL. */
TEST(every_cmd_short_size_einval)
{
	every_cmd_fails(_metadata, EINVAL, size_below_min, NULL);
}

TEST(every_cmd_size_zero_einval)
{
	every_cmd_fails(_metadata, EINVAL, size_zero, NULL);
}

/* Every command: an undefined flag bit is EINVAL and changes nothing. */
TEST(every_cmd_unknown_flag_einval)
{
	every_cmd_fails(_metadata, EINVAL, unknown_flag, NULL);
}

TEST(every_cmd_nonzero_tail_e2big)
{
	every_cmd_fails(_metadata, E2BIG, nonzero_tail, NULL);
}

/* Every command under another magic, with a valid argument: ENOTTY. */
TEST(every_cmd_foreign_magic_enotty)
{
	every_cmd_fails(_metadata, ENOTTY, unchanged, foreign_magic);
}

/* Every command: a newer caller's structure with a zero tail works. */
TEST(every_cmd_zero_tail_ok)
{
	struct t_call c;
	unsigned int i;

	for (i = 0; i < T_NCMDS; i++) {
		const struct t_cmd *e = &t_cmds[i];

		t_call_prepare(_metadata, e, &c, O_NONBLOCK);
		c.arg.head.size = e->size + 8;
		EXPECT_EQ(0, rs_ioctl(c.fd, e->cmd, c.arg.bytes))
			TH_LOG("%s", e->name);
		close(c.fd);
	}
}

TEST_F(heap, open_gives_distinct_heaps)
{
	struct refstore_heap_stats a, b;
	int fd2 = rs_open(0);

	ASSERT_LE(0, fd2);
	a = STATS(self->fd);
	ASSERT_EQ(0, rs_heap_stats(fd2, &b));
	EXPECT_NE(a.heap_id, b.heap_id);
	EXPECT_EQ(0, a.objects);
	EXPECT_EQ(0, a.handles);
	close(fd2);
}

TEST_F(heap, version)
{
	const uint64_t v1 = REFSTORE_FEAT_OBJECTS | REFSTORE_FEAT_SLOTS |
			    REFSTORE_FEAT_PAYLOAD | REFSTORE_FEAT_WEAK |
			    REFSTORE_FEAT_EVENTS | REFSTORE_FEAT_LIMITS |
			    REFSTORE_FEAT_HEAP_STATS;
	struct refstore_version v = { .size = sizeof(v) };

	ASSERT_EQ(0, ioctl(self->fd, REFSTORE_IOC_VERSION, &v));
	EXPECT_EQ(REFSTORE_UAPI_VERSION, v.version);
	EXPECT_EQ(1, v.version);
	EXPECT_EQ(v1, v.features & v1);
	/* Nothing beyond the bits this header defines. */
	EXPECT_EQ(0, v.features & ~(v1 | REFSTORE_FEAT_GC |
				    REFSTORE_FEAT_GC_DELAY |
				    REFSTORE_FEAT_WEAK_GRAPH |
				    REFSTORE_FEAT_WEAK_QUERY |
				    REFSTORE_FEAT_TRACE |
				    REFSTORE_FEAT_INSPECT |
				    REFSTORE_FEAT_GC_EVENTS));
	EXPECT_EQ(sizeof(v), v.size);
	EXPECT_EQ(0, v.__reserved);
}

TEST_F(heap, unknown_nr_enotty)
{
	struct refstore_version v = { .size = sizeof(v) };

	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd,
			    _IOWR(REFSTORE_IOC_MAGIC, 0x7f,
				  struct refstore_version), &v));
	EXPECT_EQ(ENOTTY, errno);
}

/* A gap in the numbering between the object calls and the gc calls. */
TEST_F(heap, unassigned_nr_in_gap_enotty)
{
	struct refstore_version v = { .size = sizeof(v) };

	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd,
			    _IOWR(REFSTORE_IOC_MAGIC, 0x1f,
				  struct refstore_version), &v));
	EXPECT_EQ(ENOTTY, errno);
}

TEST_F(heap, foreign_magic_enotty)
{
	struct refstore_version v = { .size = sizeof(v) };

	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd,
			    _IOWR(REFSTORE_IOC_MAGIC + 1, 0x00,
				  struct refstore_version), &v));
	EXPECT_EQ(ENOTTY, errno);
}

/* The direction bits are part of the command: _IOR of VERSION is not it. */
TEST_F(heap, wrong_direction_enotty)
{
	struct refstore_version v = { .size = sizeof(v) };

	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd,
			    _IOR(REFSTORE_IOC_MAGIC, 0x00,
				 struct refstore_version), &v));
	EXPECT_EQ(ENOTTY, errno);
}

/* The size bits are not: the size member says how long the structure is. */
TEST_F(heap, other_size_bits_ok)
{
	struct version_plus vp = { .v.size = sizeof(vp.v) };

	ASSERT_EQ(0, ioctl(self->fd,
			   _IOWR(REFSTORE_IOC_MAGIC, 0x00, struct version_plus),
			   &vp));
	EXPECT_EQ(REFSTORE_UAPI_VERSION, vp.v.version);
}

/*
 * A structure larger than a page is refused before its tail is read, even
 * if the tail is all zero (like clone3 and openat2).
 */
TEST_F(heap, size_over_page_e2big)
{
	long page = sysconf(_SC_PAGESIZE);
	struct refstore_version *v;
	void *two;

	two = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, two);
	v = two;
	v->size = page + 1;
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, REFSTORE_IOC_VERSION, v));
	EXPECT_EQ(E2BIG, errno);
	/* A page exactly is still read (and its zero tail accepted). */
	v->size = page;
	EXPECT_EQ(0, ioctl(self->fd, REFSTORE_IOC_VERSION, v));
	munmap(two, 2 * page);
}

TEST_F(heap, null_arg_efault)
{
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, REFSTORE_IOC_VERSION, NULL));
	EXPECT_EQ(EFAULT, errno);
}

/* Every command: a NULL argument is EFAULT and changes nothing. */
TEST_F(heap, every_cmd_null_efault)
{
	struct t_state before = STATE(self->fd);
	const struct t_cmd *e;

	for (e = t_cmds; e < t_cmds + T_NCMDS; e++)
		EXPECT_ERR(EFAULT, rs_ioctl(self->fd, e->cmd, NULL))
			TH_LOG("cmd %s", e->name ?: "?");
	STATE_SAME(self->fd, &before, "NULL argument");
}

TEST_F(heap, size_too_small_einval)
{
	struct refstore_version v = { .size = sizeof(v) - 1 };

	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, REFSTORE_IOC_VERSION, &v));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, v.version);
}

TEST_F(heap, size_zero_einval)
{
	struct refstore_version v = { .size = 0 };

	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, REFSTORE_IOC_VERSION, &v));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(heap, reserved_nonzero_einval)
{
	struct refstore_version v = { .size = sizeof(v), .__reserved = 1 };

	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, REFSTORE_IOC_VERSION, &v));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(heap, flags_nonzero_einval)
{
	struct refstore_version v = { .size = sizeof(v), .flags = 1 };

	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, REFSTORE_IOC_VERSION, &v));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(heap, bigger_size_nonzero_tail_e2big)
{
	struct version_plus vp = {
		.v.size = sizeof(vp),
		.tail = 1,
	};

	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, REFSTORE_IOC_VERSION, &vp));
	EXPECT_EQ(E2BIG, errno);
}

/* A nonzero byte in the last position of a page-sized argument. */
TEST_F(heap, bigger_size_last_byte_e2big)
{
	uint8_t buf[4096] = { 0 };
	struct refstore_version *v = (void *)buf;

	v->size = sizeof(buf);
	buf[sizeof(buf) - 1] = 1;
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, REFSTORE_IOC_VERSION, buf));
	EXPECT_EQ(E2BIG, errno);
}

TEST_F(heap, bigger_size_zero_tail_ok)
{
	struct version_plus vp = { .v.size = sizeof(vp) };

	ASSERT_EQ(0, ioctl(self->fd, REFSTORE_IOC_VERSION, &vp));
	EXPECT_EQ(REFSTORE_UAPI_VERSION, vp.v.version);
	EXPECT_NE(0, vp.v.features & REFSTORE_FEAT_OBJECTS);
}

/* A larger CREATE with a zero tail works like the plain one. */
TEST_F(heap, create_bigger_size_zero_tail_ok)
{
	struct {
		struct refstore_create c;
		uint64_t tail[2];
	} arg = { .c.size = sizeof(arg), .c.nslots = 1 };

	ASSERT_EQ(0, ioctl(self->fd, REFSTORE_IOC_CREATE, &arg));
	EXPECT_NE(0, arg.c.handle);
	EXPECT_EQ(1, REFCOUNT(self->fd, arg.c.handle));
	EXPECT_EQ(1, STATS(self->fd).objects);
}

TEST_F(heap, create_bigger_size_nonzero_tail_e2big)
{
	struct refstore_heap_stats before = STATS(self->fd);
	struct {
		struct refstore_create c;
		uint64_t tail;
	} arg = { .c.size = sizeof(arg), .tail = 1ull << 63 };

	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, REFSTORE_IOC_CREATE, &arg));
	EXPECT_EQ(E2BIG, errno);
	STATS_SAME(self->fd, &before);
}

TEST_F(heap, debugfs_stats_keys)
{
	static const char *const keys[] = {
		"heaps", "objects", "bytes", "created", "freed",
		"events_queued", "events_dropped",
	};
	unsigned int i;
	uint64_t v;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		int ret = rs_debugfs_u64(RS_DEBUGFS_STATS, keys[i], &v);

		EXPECT_EQ(0, ret) TH_LOG("key %u (%s)", i, keys[i] ? : "");
	}
	/* Our open heap is counted. */
	ASSERT_EQ(0, rs_debugfs_u64(RS_DEBUGFS_STATS, "heaps", &v));
	EXPECT_LE(1, v);
}

/* The global created counter follows a CREATE. */
TEST_F(heap, debugfs_stats_count_create)
{
	uint64_t before = GLOBAL("created");

	CREATE(self->fd, 0, 0);
	EXPECT_LE(before + 1, GLOBAL("created"));
}

T_HARNESS_MAIN
