// SPDX-License-Identifier: GPL-2.0
/*
 * refstore sharing selftests: a heap is its open file, so fork() and
 * SCM_RIGHTS share it (handles included), it lives until the last
 * reference to the file goes, and threads may hammer it concurrently.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "common.h"

/* Wait for @pid; its exit status, or -1 if it did not exit normally. */
static int wait_child(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

TEST_F(heap, fork_child_uses_parent_handles)
{
	static const char msg[] = "from the child";
	uint32_t h = CREATE(self->fd, 32, 1), c = 0;
	char buf[sizeof(msg)] = "";
	int p[2];
	pid_t pid;

	ASSERT_EQ(0, pipe(p));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* Same heap: the parent's handle works, a new one is seen. */
		int ok = !rs_write(self->fd, h, 0, msg, sizeof(msg)) &&
			 !rs_create(self->fd, 0, 0, 0, 7, 0, &c, NULL) &&
			 !rs_set_slot(self->fd, h, 0, c);

		ok = ok && write(p[1], &c, sizeof(c)) == sizeof(c);
		close(self->fd);
		_exit(ok ? 0 : 1);
	}
	ASSERT_EQ(0, wait_child(pid));
	ASSERT_EQ(sizeof(c), read(p[0], &c, sizeof(c)));
	ASSERT_EQ(0, rs_read(self->fd, h, 0, buf, sizeof(buf)));
	EXPECT_STREQ(msg, buf);
	EXPECT_EQ(7, INFO(self->fd, c).tag);
	EXPECT_EQ(2, REFCOUNT(self->fd, c));
	EXPECT_EQ(2, STATS(self->fd).objects);
	close(p[0]);
	close(p[1]);
}

/* The child's close() drops its file reference, not the heap. */
TEST_F(heap, fork_child_close_keeps_heap)
{
	uint32_t h = CREATE(self->fd, 0, 0);
	struct refstore_heap_stats before = STATS(self->fd);
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int ok = !rs_info(self->fd, h, NULL);

		ok = ok && !close(self->fd);
		_exit(ok ? 0 : 1);
	}
	ASSERT_EQ(0, wait_child(pid));
	STATS_SAME(self->fd, &before);
	EXPECT_EQ(1, REFCOUNT(self->fd, h));
	CREATE(self->fd, 0, 0);
}

/* A handle closed by the child is gone for the parent too. */
TEST_F(heap, fork_child_close_handle_visible)
{
	uint32_t h = CREATE(self->fd, 0, 0);
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(rs_close(self->fd, h) ? 1 : 0);
	ASSERT_EQ(0, wait_child(pid));
	EXPECT_ERR(ENOENT, rs_info(self->fd, h, NULL));
	EXPECT_EQ(0, STATS(self->fd).objects);
}

static int send_fd(int sock, int fd, const void *data, size_t len)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &mh, 0) == (ssize_t)len ? 0 : -1;
}

/* Receives one fd and @len bytes; returns the fd or -1. */
static int recv_fd(int sock, void *data, size_t len)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = data, .iov_len = len };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &mh, MSG_CMSG_CLOEXEC) != (ssize_t)len)
		return -1;
	cm = CMSG_FIRSTHDR(&mh);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

/*
 * A child opens its own heap, builds a -> b, sends the heap fd and the
 * handles over a socketpair and exits; the receiver uses those handles.
 * When the receiver closes the last reference, the objects are freed.
 */
TEST_F(heap, scm_rights_pass_heap)
{
	static const char msg[] = "sent";
	uint64_t base = OBJECTS_BASELINE(1);
	struct { uint32_t a, b; uint64_t bid; } hs;
	char buf[sizeof(msg)] = "";
	uint64_t tid;
	int sv[2], fd;
	pid_t pid;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int h = rs_open(0), ok = h >= 0;

		ok = ok && !rs_create(h, 16, 1, 0, 0, 0, &hs.a, NULL);
		ok = ok && !rs_create(h, 0, 0, 0, 0, 0, &hs.b, &hs.bid);
		ok = ok && !rs_set_slot(h, hs.a, 0, hs.b);
		ok = ok && !rs_write(h, hs.a, 0, msg, sizeof(msg));
		ok = ok && !send_fd(sv[1], h, &hs, sizeof(hs));
		_exit(ok ? 0 : 1);
	}
	ASSERT_EQ(0, wait_child(pid));
	fd = recv_fd(sv[0], &hs, sizeof(hs));
	ASSERT_LE(0, fd);
	close(sv[0]);
	close(sv[1]);

	/* The sender is gone; its heap lives on in our fd. */
	EXPECT_EQ(2, STATS(fd).objects);
	ASSERT_EQ(0, rs_read(fd, hs.a, 0, buf, sizeof(buf)));
	EXPECT_STREQ(msg, buf);
	EXPECT_EQ(2, REFCOUNT(fd, hs.b));
	ASSERT_EQ(0, rs_get_slot(fd, hs.a, 0, NULL, &tid));
	EXPECT_EQ(hs.bid, tid);
	EXPECT_EQ(pid, INFO(fd, hs.a).creator_pid);
	/* Not our fixture's heap: its handle numbers mean nothing there. */
	EXPECT_NE(STATS(fd).heap_id, STATS(self->fd).heap_id);

	close(fd);
	EXPECT_EQ(base, WAIT_GLOBAL("objects", base, 5000));
}

/* Closing the last fd frees everything, slots and cycles included. */
TEST_F(heap, last_close_frees_all)
{
	uint64_t base = OBJECTS_BASELINE(1);
	uint32_t a = CREATE(self->fd, 100, 2), b = CREATE(self->fd, 0, 1);
	int i;

	ASSERT_EQ(0, rs_set_slot(self->fd, a, 0, b));
	ASSERT_EQ(0, rs_set_slot(self->fd, b, 0, a));
	ASSERT_EQ(0, rs_set_slot(self->fd, a, 1, a));
	for (i = 0; i < 8; i++)
		CREATE(self->fd, 8, 0);
	EXPECT_EQ(base + 10, GLOBAL("objects"));
	close(self->fd);
	self->fd = -1;
	EXPECT_EQ(base, WAIT_GLOBAL("objects", base, 5000));
}

/* ---- threads ---- */

#define NTHREADS 8
#define NSLOTS 16
#define ITERS 5000

struct hammer {
	int fd;
	uint32_t root;
	unsigned int seed;
	int errors;
	int first_err;
};

static void hammer_err(struct hammer *hm, int ret)
{
	if (!ret)
		return;
	if (!hm->errors++)
		hm->first_err = ret;
}

/*
 * create / dup / write / set_slot into the shared root / get_slot from it
 * / info / close: every handle made here is closed here, and the objects
 * this thread makes have empty slots, so no cycle is ever formed.
 */
static void *hammer_fn(void *arg)
{
	struct hammer *hm = arg;
	uint32_t x, d, t;
	uint64_t v;
	int i;

	for (i = 0; i < ITERS; i++) {
		unsigned int s = rand_r(&hm->seed) % NSLOTS;
		int ret;

		ret = rs_create(hm->fd, 8, 1, 0, i, 0, &x, NULL);
		hammer_err(hm, ret);
		if (ret)
			continue;
		hammer_err(hm, rs_dup(hm->fd, x, &d));
		v = i;
		hammer_err(hm, rs_write(hm->fd, d, 0, &v, sizeof(v)));
		hammer_err(hm, rs_set_slot(hm->fd, hm->root, s, x));
		hammer_err(hm, rs_close(hm->fd, x));
		s = rand_r(&hm->seed) % NSLOTS;
		t = 0;
		hammer_err(hm, rs_get_slot(hm->fd, hm->root, s, &t, NULL));
		if (t) {
			hammer_err(hm, rs_read(hm->fd, t, 0, &v, sizeof(v)));
			hammer_err(hm, rs_close(hm->fd, t));
		}
		hammer_err(hm, rs_close(hm->fd, d));
	}
	return NULL;
}

TEST_F_TIMEOUT(heap, threads_hammer, 120)
{
	uint64_t base = OBJECTS_BASELINE(1);
	struct hammer hm[NTHREADS];
	struct refstore_heap_stats s;
	pthread_t t[NTHREADS];
	uint64_t ids[NSLOTS];
	unsigned int i, j, distinct = 0;
	int errors = 0;
	int64_t start = t_now_ms();
	uint32_t root = CREATE(self->fd, 0, NSLOTS);

	for (i = 0; i < NTHREADS; i++) {
		hm[i] = (struct hammer){ .fd = self->fd, .root = root,
					 .seed = i + 1 };
		ASSERT_EQ(0, pthread_create(&t[i], NULL, hammer_fn, &hm[i]));
	}
	for (i = 0; i < NTHREADS; i++)
		ASSERT_EQ(0, pthread_join(t[i], NULL));
	TH_LOG("%d threads x %d iterations: %lld ms", NTHREADS, ITERS,
	       (long long)(t_now_ms() - start));
	for (i = 0; i < NTHREADS; i++) {
		if (hm[i].errors)
			TH_LOG("thread %u: %d errors, first %s", i,
			       hm[i].errors, rs_errno_name(hm[i].first_err));
		errors += hm[i].errors;
	}
	EXPECT_EQ(0, errors);

	/* Left: root, plus the distinct objects its slots hold. */
	for (i = 0; i < NSLOTS; i++) {
		uint32_t h = 0;

		ASSERT_EQ(0, rs_get_slot(self->fd, root, i, &h, &ids[i]));
		if (h)
			ASSERT_EQ(0, rs_close(self->fd, h));
		for (j = 0; j < i && ids[i] && ids[j] != ids[i]; j++)
			;
		if (ids[i] && j == i)
			distinct++;
	}
	s = STATS(self->fd);
	EXPECT_EQ(1 + distinct, s.objects);
	EXPECT_EQ(1, s.handles);
	EXPECT_EQ(0, s.weak_handles);
	EXPECT_EQ(1 + NTHREADS * ITERS, s.created);
	EXPECT_EQ(s.created - s.objects, s.freed);

	/* The root holds the rest: closing it frees everything. */
	ASSERT_EQ(0, rs_close(self->fd, root));
	s = STATS(self->fd);
	EXPECT_EQ(0, s.objects);
	EXPECT_EQ(0, s.bytes);
	EXPECT_EQ(s.created, s.freed);
	close(self->fd);
	self->fd = -1;
	EXPECT_EQ(base, WAIT_GLOBAL("objects", base, 5000));
}

T_HARNESS_MAIN
