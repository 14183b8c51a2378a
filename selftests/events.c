// SPDX-License-Identifier: GPL-2.0
/*
 * refstore death event selftests: objects created with NOTIFY queue an
 * event when freed; read() returns them, poll()/epoll report them, a full
 * queue counts losses and reports them first as one OVERFLOW event.
 */
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/syscall.h>

#include "common.h"

/* Non-blocking by default: a missing event fails a test, never hangs it. */
FIXTURE(ev) {
	int fd;
};

FIXTURE_SETUP(ev)
{
	self->fd = rs_open(O_NONBLOCK);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(ev)
{
	close(self->fd);
}

static void expect_death(struct __test_metadata *_metadata,
			 const struct refstore_event *e, uint64_t cookie,
			 uint64_t id)
{
	EXPECT_EQ(cookie, e->cookie);
	EXPECT_EQ(id, e->id);
	EXPECT_EQ(REFSTORE_CAUSE_RELEASED, e->cause);
	EXPECT_EQ(1, e->count);
}

TEST_F(ev, death_event_fields)
{
	struct refstore_event e[4];
	uint64_t id;
	uint32_t h = CREATE_NOTIFY(self->fd, 0, 0xc0ffee0000000001ull, &id);

	EXPECT_ERR(EAGAIN, rs_read_events(self->fd, e, 4));
	ASSERT_EQ(0, rs_close(self->fd, h));
	EXPECT_EQ(1, STATS(self->fd).events_pending);
	EXPECT_EQ(1, STATS(self->fd).events_queued);
	ASSERT_EQ(1, rs_read_events(self->fd, e, 4));
	expect_death(_metadata, &e[0], 0xc0ffee0000000001ull, id);
	EXPECT_EQ(0, STATS(self->fd).events_pending);
	EXPECT_ERR(EAGAIN, rs_read_events(self->fd, e, 4));
}

TEST_F(ev, no_event_without_notify)
{
	struct refstore_event e;
	uint32_t h = CREATE(self->fd, 0, 0);

	ASSERT_EQ(0, rs_close(self->fd, h));
	EXPECT_ERR(EAGAIN, rs_read_events(self->fd, &e, 1));
	EXPECT_EQ(0, STATS(self->fd).events_queued);
}

/* Only the death queues: dropping one of two references does not. */
TEST_F(ev, no_event_while_referenced)
{
	struct refstore_event e;
	uint32_t h = CREATE_NOTIFY(self->fd, 0, 5, NULL), d;

	ASSERT_EQ(0, rs_dup(self->fd, h, &d));
	ASSERT_EQ(0, rs_close(self->fd, h));
	EXPECT_ERR(EAGAIN, rs_read_events(self->fd, &e, 1));
	ASSERT_EQ(0, rs_close(self->fd, d));
	EXPECT_EQ(1, rs_read_events(self->fd, &e, 1));
}

/* An object freed because a slot let go of it queues its event too. */
TEST_F(ev, death_through_slot)
{
	struct refstore_event e;
	uint64_t id;
	uint32_t a = CREATE(self->fd, 0, 1);
	uint32_t b = CREATE_NOTIFY(self->fd, 0, 9, &id);

	ASSERT_EQ(0, rs_set_slot(self->fd, a, 0, b));
	ASSERT_EQ(0, rs_close(self->fd, b));
	EXPECT_ERR(EAGAIN, rs_read_events(self->fd, &e, 1));
	ASSERT_EQ(0, rs_set_slot(self->fd, a, 0, 0));
	ASSERT_EQ(1, rs_read_events(self->fd, &e, 1));
	expect_death(_metadata, &e, 9, id);
}

TEST_F(ev, small_buffer_einval)
{
	struct refstore_event e[2];
	uint32_t h = CREATE_NOTIFY(self->fd, 0, 1, NULL);

	ASSERT_EQ(0, rs_close(self->fd, h));
	errno = 0;
	EXPECT_EQ(-1, read(self->fd, e, sizeof(e[0]) - 1));
	EXPECT_EQ(EINVAL, errno);
	/* Nothing was consumed. */
	EXPECT_EQ(1, STATS(self->fd).events_pending);
	EXPECT_EQ(1, rs_read_events(self->fd, e, 2));
}

TEST_F(ev, empty_nonblock_eagain)
{
	struct refstore_event e;

	errno = 0;
	EXPECT_EQ(-1, read(self->fd, &e, sizeof(e)));
	EXPECT_EQ(EAGAIN, errno);
}

/* Whole events only, oldest first, as many as fit. */
TEST_F(ev, read_whole_events_in_order)
{
	struct refstore_event e[3];
	uint32_t h[3];
	uint64_t id[3];
	ssize_t n;
	int i;

	for (i = 0; i < 3; i++)
		h[i] = CREATE_NOTIFY(self->fd, 0, 100 + i, &id[i]);
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, rs_close(self->fd, h[i]));
	/* Room for one and a half: one is returned. */
	n = read(self->fd, e, sizeof(e[0]) + sizeof(e[0]) / 2);
	ASSERT_EQ(sizeof(e[0]), n);
	expect_death(_metadata, &e[0], 100, id[0]);
	ASSERT_EQ(2, rs_read_events(self->fd, e, 3));
	expect_death(_metadata, &e[0], 101, id[1]);
	expect_death(_metadata, &e[1], 102, id[2]);
}

TEST_F(ev, poll_reports_pollin)
{
	struct pollfd p = { .fd = self->fd, .events = POLLIN };
	struct refstore_event e;
	uint32_t h = CREATE_NOTIFY(self->fd, 0, 1, NULL);

	EXPECT_EQ(0, poll(&p, 1, 0));
	EXPECT_EQ(0, p.revents & POLLIN);
	ASSERT_EQ(0, rs_close(self->fd, h));
	EXPECT_EQ(1, poll(&p, 1, 0));
	EXPECT_EQ(POLLIN, p.revents & POLLIN);
	ASSERT_EQ(1, rs_read_events(self->fd, &e, 1));
	p.revents = 0;
	EXPECT_EQ(0, poll(&p, 1, 0));
	EXPECT_EQ(0, p.revents & POLLIN);
}

TEST_F(ev, epoll_reports_epollin)
{
	struct epoll_event ee = { .events = EPOLLIN }, out;
	struct refstore_event e;
	uint32_t h = CREATE_NOTIFY(self->fd, 0, 1, NULL);
	int ep = epoll_create1(EPOLL_CLOEXEC);

	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->fd, &ee));
	EXPECT_EQ(0, epoll_wait(ep, &out, 1, 0));
	ASSERT_EQ(0, rs_close(self->fd, h));
	/* The death must wake epoll; bounded wait in case it is late. */
	ASSERT_EQ(1, epoll_wait(ep, &out, 1, t_budget_ms(5000)));
	EXPECT_EQ(EPOLLIN, out.events & EPOLLIN);
	ASSERT_EQ(1, rs_read_events(self->fd, &e, 1));
	EXPECT_EQ(0, epoll_wait(ep, &out, 1, 0));
	close(ep);
}

/* A thread blocked in poll() is woken by a death from another thread. */
struct killer {
	int fd;
	uint32_t h;
	pid_t tid;
	int64_t sleep_wait_ms;
};

/* 1 once thread @tid of this process sleeps ('S' in its stat). */
static int thread_sleeping(pid_t tid)
{
	char path[64], buf[256], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] == 'S';
}

/* Waits (bounded) for the reader to block, then frees the object. */
static void *killer_fn(void *arg)
{
	struct killer *k = arg;
	int64_t end = t_now_ms() + t_budget_ms(5000);

	while (!thread_sleeping(k->tid) && t_now_ms() < end)
		usleep(1000);
	k->sleep_wait_ms = end - t_now_ms();
	rs_close(k->fd, k->h);
	return NULL;
}

TEST_F(heap, blocking_read_woken_by_death)
{
	struct killer k = { .fd = self->fd };
	struct refstore_event e;
	uint64_t id;
	pthread_t t;

	k.h = CREATE_NOTIFY(self->fd, 0, 42, &id);
	k.tid = syscall(SYS_gettid);
	/* A lost wakeup ends the test instead of hanging it. */
	alarm(t_budget_ms(20000) / 1000);
	ASSERT_EQ(0, pthread_create(&t, NULL, killer_fn, &k));
	ASSERT_EQ(1, rs_read_events(self->fd, &e, 1));
	alarm(0);
	ASSERT_EQ(0, pthread_join(t, NULL));
	expect_death(_metadata, &e, 42, id);
	EXPECT_LT(0, k.sleep_wait_ms) TH_LOG("reader never seen blocked");
}

/*
 * max_events 4, ten deaths: four are queued, six counted; the next read
 * reports the loss first, as one OVERFLOW event with count 6.
 */
TEST_F(ev, queue_overflow)
{
	struct refstore_limits lim = { .max_events = 4 };
	uint64_t gdropped = GLOBAL("events_dropped");
	struct refstore_heap_stats s;
	struct refstore_event e[16];
	uint64_t id[10];
	uint32_t h[10];
	int i;

	ASSERT_EQ(0, rs_set_limits(self->fd, &lim));
	for (i = 0; i < 10; i++)
		h[i] = CREATE_NOTIFY(self->fd, 0, 1 + i, &id[i]);
	for (i = 0; i < 10; i++)
		ASSERT_EQ(0, rs_close(self->fd, h[i]));
	s = STATS(self->fd);
	EXPECT_EQ(6, s.events_dropped);
	EXPECT_EQ(4, s.events_queued);
	EXPECT_EQ(0, s.objects);
	EXPECT_LE(gdropped + 6, GLOBAL("events_dropped"));

	ASSERT_EQ(5, rs_read_events(self->fd, e, 16));
	EXPECT_EQ(REFSTORE_CAUSE_OVERFLOW, e[0].cause);
	EXPECT_EQ(6, e[0].count);
	EXPECT_EQ(0, e[0].cookie);
	EXPECT_EQ(0, e[0].id);
	for (i = 0; i < 4; i++)
		expect_death(_metadata, &e[1 + i], 1 + i, id[i]);
	EXPECT_ERR(EAGAIN, rs_read_events(self->fd, e, 16));
	EXPECT_EQ(0, STATS(self->fd).events_pending);
}

/* The loss is reported once; later deaths queue normally again. */
TEST_F(ev, overflow_reported_once)
{
	struct refstore_limits lim = { .max_events = 1 };
	struct refstore_event e[4];
	uint32_t a, b, c;
	uint64_t cid;

	ASSERT_EQ(0, rs_set_limits(self->fd, &lim));
	a = CREATE_NOTIFY(self->fd, 0, 1, NULL);
	b = CREATE_NOTIFY(self->fd, 0, 2, NULL);
	c = CREATE_NOTIFY(self->fd, 0, 3, &cid);
	ASSERT_EQ(0, rs_close(self->fd, a));
	ASSERT_EQ(0, rs_close(self->fd, b));
	/* A buffer of one event: the OVERFLOW comes first, alone. */
	ASSERT_EQ(1, rs_read_events(self->fd, e, 1));
	EXPECT_EQ(REFSTORE_CAUSE_OVERFLOW, e[0].cause);
	EXPECT_EQ(1, e[0].count);
	ASSERT_EQ(1, rs_read_events(self->fd, e, 4));
	EXPECT_EQ(REFSTORE_CAUSE_RELEASED, e[0].cause);
	EXPECT_EQ(1, e[0].cookie);
	ASSERT_EQ(0, rs_close(self->fd, c));
	ASSERT_EQ(1, rs_read_events(self->fd, e, 4));
	expect_death(_metadata, &e[0], 3, cid);
}

/* Weak handles are not deaths. */
TEST_F(ev, closing_weak_handle_no_event)
{
	struct refstore_event e;
	uint32_t h = CREATE_NOTIFY(self->fd, 0, 1, NULL), w;

	ASSERT_EQ(0, rs_weakref(self->fd, h, &w));
	ASSERT_EQ(0, rs_close(self->fd, w));
	EXPECT_ERR(EAGAIN, rs_read_events(self->fd, &e, 1));
}

T_HARNESS_MAIN
