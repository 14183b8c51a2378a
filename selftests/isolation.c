// SPDX-License-Identifier: GPL-2.0
/*
 * refstore isolation selftests: handles are local to their heap (a handle
 * of one heap is ENOENT in another, whatever the call), and the memory a
 * heap's objects use is charged to the creator's memory cgroup, so a
 * process in a cgroup with a small memory.max fails to CREATE cleanly once
 * the limit is hit, and works again after it closes things.
 */
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "common.h"

#define CG "/sys/fs/cgroup"

/* CREATE without asserting (the memcg child reports by exit code). */
static int mk(int fd, uint32_t payload, uint32_t nslots, uint32_t *h)
{
	return rs_create(fd, payload, nslots, 0, 0, 0, h, NULL);
}

/* ---- handles are per heap ---- */

FIXTURE(two) {
	int a, b;
	uint32_t ha[3];		/* strong handles in a */
	uint32_t wa;		/* a weak handle in a */
};

FIXTURE_SETUP(two)
{
	struct refstore_weakref w = { .size = sizeof(w) };
	int i;

	self->a = rs_open(O_NONBLOCK);
	self->b = rs_open(O_NONBLOCK);
	ASSERT_LE(0, self->a);
	ASSERT_LE(0, self->b);
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, mk(self->a, 16, 1, &self->ha[i]));
	w.handle = self->ha[0];
	ASSERT_EQ(0, rs_ioctl(self->a, REFSTORE_IOC_WEAKREF, &w));
	self->wa = w.weak;
}

FIXTURE_TEARDOWN(two)
{
	close(self->a);
	close(self->b);
}

/* Every handle-taking call of b fails with ENOENT for a's handles. */
TEST_F(two, foreign_handles_enoent)
{
	struct refstore_heap_stats sa = STATS(self->a);
	struct refstore_upgrade u = { .size = sizeof(u) };
	uint8_t buf[16];
	int i;

	for (i = 0; i < 3; i++) {
		uint32_t h = self->ha[i];
		struct refstore_info in = { .size = sizeof(in), .handle = h };
		struct refstore_dup d = { .size = sizeof(d), .handle = h };
		struct refstore_rw rw = { .size = sizeof(rw), .handle = h,
					  .length = 16, .data = (uintptr_t)buf };
		struct refstore_set_slot s = { .size = sizeof(s), .handle = h };
		struct refstore_get_slot g = { .size = sizeof(g), .handle = h };
		struct refstore_weakref w = { .size = sizeof(w), .handle = h };

		EXPECT_EQ(-ENOENT, rs_ioctl(self->b, REFSTORE_IOC_INFO, &in));
		EXPECT_EQ(-ENOENT, rs_ioctl(self->b, REFSTORE_IOC_DUP, &d));
		EXPECT_EQ(-ENOENT, rs_ioctl(self->b, REFSTORE_IOC_READ, &rw));
		EXPECT_EQ(-ENOENT, rs_ioctl(self->b, REFSTORE_IOC_WRITE, &rw));
		EXPECT_EQ(-ENOENT, rs_ioctl(self->b, REFSTORE_IOC_SET_SLOT, &s));
		EXPECT_EQ(-ENOENT, rs_ioctl(self->b, REFSTORE_IOC_GET_SLOT, &g));
		EXPECT_EQ(-ENOENT, rs_ioctl(self->b, REFSTORE_IOC_WEAKREF, &w));
		EXPECT_EQ(-ENOENT, rs_close(self->b, h));
	}
	u.weak = self->wa;
	EXPECT_EQ(-ENOENT, rs_ioctl(self->b, REFSTORE_IOC_UPGRADE, &u));
	EXPECT_EQ(-ENOENT, rs_close(self->b, self->wa));
	/* a saw nothing of it. */
	EXPECT_EQ(sa.objects, STATS(self->a).objects);
	EXPECT_EQ(sa.handles, STATS(self->a).handles);
	EXPECT_EQ(sa.weak_handles, STATS(self->a).weak_handles);
	EXPECT_EQ(0, STATS(self->b).objects);
}

/*
 * Object ids are per heap: a heap's ids count its own objects only, so
 * another user's CREATEs between two of ours tell us nothing.
 */
TEST_F(two, object_ids_are_per_heap)
{
	struct refstore_create c = { .size = sizeof(c) };
	uint64_t first;
	uint32_t h;
	int i;

	ASSERT_EQ(0, rs_ioctl(self->b, REFSTORE_IOC_CREATE, &c));
	EXPECT_EQ(1, c.id);
	first = c.id;
	for (i = 0; i < 10; i++)
		ASSERT_EQ(0, mk(self->a, 0, 0, &h));
	c = (struct refstore_create){ .size = sizeof(c) };
	ASSERT_EQ(0, rs_ioctl(self->b, REFSTORE_IOC_CREATE, &c));
	EXPECT_EQ(first + 1, c.id);
}

/* The same number names different objects in each heap. */
TEST_F(two, same_number_other_object)
{
	struct refstore_info ia = { .size = sizeof(ia), .handle = self->ha[0] };
	struct refstore_info ib = { .size = sizeof(ib) };
	struct refstore_set_slot s = { .size = sizeof(s) };
	uint32_t hb, hb2;

	ASSERT_EQ(0, mk(self->b, 0, 0, &hb));
	ASSERT_EQ(self->ha[0], hb) TH_LOG("handles are expected to start at the same number");
	ib.handle = hb;
	ASSERT_EQ(0, rs_ioctl(self->a, REFSTORE_IOC_INFO, &ia));
	ASSERT_EQ(0, rs_ioctl(self->b, REFSTORE_IOC_INFO, &ib));
	EXPECT_EQ(16, ia.payload_size);
	EXPECT_EQ(0, ib.payload_size);
	/* A slot of b can't point at a's objects, only at b's. */
	ASSERT_EQ(0, mk(self->b, 0, 1, &hb2));
	s.handle = hb2;
	s.target = self->ha[2];	/* beyond b's handles */
	EXPECT_EQ(-ENOENT, rs_ioctl(self->b, REFSTORE_IOC_SET_SLOT, &s));
	s.target = hb;
	EXPECT_EQ(0, rs_ioctl(self->b, REFSTORE_IOC_SET_SLOT, &s));
	/* Closing b's handle leaves a's object of the same number alive. */
	EXPECT_EQ(0, rs_close(self->b, hb));
	EXPECT_EQ(0, rs_ioctl(self->a, REFSTORE_IOC_INFO, &ia));
	EXPECT_EQ(1, ia.refcount);
}

/* Freeing a heap frees nothing of another. */
TEST_F(two, close_one_heap)
{
	struct refstore_heap_stats sa = STATS(self->a);
	uint32_t hb;

	ASSERT_EQ(0, mk(self->b, 64, 2, &hb));
	close(self->b);
	self->b = rs_open(0);
	ASSERT_LE(0, self->b);
	EXPECT_EQ(sa.objects, STATS(self->a).objects);
	EXPECT_EQ(sa.bytes, STATS(self->a).bytes);
	EXPECT_EQ(0, STATS(self->b).objects);
}

/* ---- memory cgroup ---- */

static bool has_word(const char *path, const char *word)
{
	char buf[512], *tok, *save;
	FILE *f = fopen(path, "r");
	bool found = false;

	if (!f)
		return false;
	if (fgets(buf, sizeof(buf), f))
		for (tok = strtok_r(buf, " \n", &save); tok && !found;
		     tok = strtok_r(NULL, " \n", &save))
			found = !strcmp(tok, word);
	fclose(f);
	return found;
}

#define MEMCG_MAX (4 << 20)
#define OBJ_PAYLOAD 2048
#define MAX_CREATES 20000

/*
 * In the cgroup: create until CREATE fails (must be ENOMEM), check the
 * heap is unchanged by the failure, close half, create again. Exit code:
 * 0 ok; 10 + n for step n failing.
 */
/* Touch @kb KiB of stack below the caller so it is mapped already. */
static void __attribute__((noinline)) prefault_stack(int kb)
{
	volatile char buf[1024];

	memset((char *)buf, 0, sizeof(buf));
	if (kb > 1)
		prefault_stack(kb - 1);
}

static int memcg_child(const char *cg)
{
	static uint32_t h[MAX_CREATES];
	struct refstore_heap_stats s1 = { .size = sizeof(s1) }, s2 = s1;
	char pid[32];
	int fd, n, i, ret = 0;

	/*
	 * Once the group is full, the child's own page faults would be
	 * charged to it too and invoke the memcg OOM killer: fault in and
	 * lock everything it will touch (stack, handle array, stdio buffer)
	 * while still charged to the parent's group.
	 */
	memset(h, 0, sizeof(h));
	prefault_stack(64);
	printf("# memcg: child %d joins %s\n", getpid(), cg);
	fflush(stdout);
	if (mlockall(MCL_CURRENT))
		return 18;
	snprintf(pid, sizeof(pid), "%d", getpid());
	if (t_write_str(cg, pid))
		return 10;
	fd = rs_open(0);
	if (fd < 0)
		return 11;
	for (n = 0; n < MAX_CREATES; n++) {
		ret = mk(fd, OBJ_PAYLOAD, 0, &h[n]);
		if (ret)
			break;
	}
	printf("# memcg: CREATE %d: %s after %d objects (%d KiB of payload)\n",
	       n, ret ? strerror(-ret) : "no failure", n,
	       n * OBJ_PAYLOAD / 1024);
	fflush(stdout);
	if (ret != -ENOMEM)
		return 12;
	if (rs_ioctl(fd, REFSTORE_IOC_HEAP_STATS, &s1) || s1.objects != (uint64_t)n)
		return 13;
	/* Still full: fails again, changing nothing. */
	if (mk(fd, OBJ_PAYLOAD, 0, &h[n]) != -ENOMEM)
		return 14;
	if (rs_ioctl(fd, REFSTORE_IOC_HEAP_STATS, &s2) || s2.objects != s1.objects ||
	    s2.bytes != s1.bytes || s2.handles != s1.handles)
		return 15;
	for (i = n / 2; i < n; i++)
		if (rs_close(fd, h[i]))
			return 16;
	/* Room again. */
	for (i = 0; i < 8; i++)
		if (mk(fd, OBJ_PAYLOAD, 0, &h[n / 2 + i]))
			return 17;
	close(fd);
	return 0;
}

TEST(memcg_create_enomem)
{
	char dir[64], procs[96], max[96];
	int64_t end;
	pid_t pid;
	int st;

	if (!has_word(CG "/cgroup.controllers", "memory"))
		SKIP(return, "no memory controller in " CG "/cgroup.controllers");
	ASSERT_EQ(0, t_write_str(CG "/cgroup.subtree_control", "+memory"));
	snprintf(dir, sizeof(dir), CG "/refstore_isolation.%d", getpid());
	ASSERT_EQ(0, mkdir(dir, 0755));
	snprintf(max, sizeof(max), "%s/memory.max", dir);
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
	EXPECT_EQ(0, t_write_str(max, "4M"));

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(memcg_child(procs));
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_TRUE(WIFEXITED(st))
		TH_LOG("child killed by signal %d (the memcg OOM killer?)",
		       WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	if (WIFEXITED(st))
		EXPECT_EQ(0, WEXITSTATUS(st))
			TH_LOG("step %d failed (see memcg_child)",
			       WEXITSTATUS(st) - 10);
	/* The group empties once the child is reaped: wait for that. */
	end = t_now_ms() + t_budget_ms(1000);
	while (rmdir(dir) && t_now_ms() < end)
		usleep(2000);
	EXPECT_EQ(0, access(dir, F_OK) ? 0 : -1);
}

T_HARNESS_MAIN
