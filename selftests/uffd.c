// SPDX-License-Identifier: GPL-2.0
/*
 * A fault on user memory never stalls the heap: READ, WRITE and read() of
 * events whose buffer is a userfaultfd-registered page wait in the fault
 * while other threads keep using the same heap.  The page fault is held
 * until the test resolves it, so the window is as wide as we like.
 *
 * The uffd_wp tests hold a command's copy-out in a write-protect fault
 * instead, then make it fail, to show a failed answer takes back only what
 * the call made.
 *
 * Skipped on kernels without userfaultfd (CONFIG_USERFAULTFD); every kernel
 * the suite runs on has it.
 */
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "common.h"

/* How long another thread's call may take while the fault is held. */
#define OTHER_CALL_MS 5000

enum uffd_call { CALL_READ, CALL_WRITE, CALL_EVENTS };

FIXTURE(uffd) {
	int fd;
	int uffd;
	int uffd_errno;		/* why userfaultfd() failed, or 0 */
	long page_size;
	unsigned char *page;	/* registered, not yet populated */
	uint32_t h;		/* an object with a 64-byte payload */
	enum uffd_call call;
	long ret;		/* the stalled call's result */
	atomic_int other_done;
};

/*
 * A userfaultfd and one anonymous page registered with it in @mode.
 * Returns 0, or the errno of what failed (*@uffd may then be open).
 */
static int uffd_page(int mode, int *uffd, void **page, long *page_size)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = mode };

	*uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (*uffd < 0 || ioctl(*uffd, UFFDIO_API, &api))
		return errno;
	*page_size = sysconf(_SC_PAGESIZE);
	*page = mmap(NULL, *page_size, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (*page == MAP_FAILED)
		return errno;
	/* Populated before registering: only a write-protect mode needs it. */
	if (mode == UFFDIO_REGISTER_MODE_WP)
		memset(*page, 0, *page_size);
	reg.range.start = (unsigned long)*page;
	reg.range.len = *page_size;
	return ioctl(*uffd, UFFDIO_REGISTER, &reg) ? errno : 0;
}

FIXTURE_SETUP(uffd)
{
	void *page = MAP_FAILED;

	self->uffd = -1;
	self->page = MAP_FAILED;
	self->fd = rs_open(0);
	ASSERT_LE(0, self->fd);
	self->uffd_errno = uffd_page(UFFDIO_REGISTER_MODE_MISSING, &self->uffd,
				     &page, &self->page_size);
	self->page = page;
	/* 6.1's harness runs the test after a SKIP here: it checks too. */
	if (self->uffd_errno == ENOSYS || self->uffd_errno == EPERM)
		SKIP(return, "userfaultfd: %s", strerror(self->uffd_errno));
	ASSERT_EQ(0, self->uffd_errno);
	self->h = CREATE(self->fd, 64, 0);
}

FIXTURE_TEARDOWN(uffd)
{
	if (self->page != MAP_FAILED)
		munmap(self->page, self->page_size);
	if (self->uffd >= 0)
		close(self->uffd);
	if (self->fd >= 0)
		close(self->fd);
}

/* Skip (again: see FIXTURE_SETUP) where userfaultfd does not exist. */
#define UFFD_REQUIRED()							\
	do {								\
		if (self->uffd_errno == ENOSYS || self->uffd_errno == EPERM) \
			SKIP(return, "userfaultfd: %s",			\
			     strerror(self->uffd_errno));		\
	} while (0)

/* The call that faults on the registered page. */
static void *stalled_call(void *arg)
{
	FIXTURE_DATA(uffd) *self = arg;

	switch (self->call) {
	case CALL_READ:
		self->ret = rs_read(self->fd, self->h, 0, self->page, 64);
		break;
	case CALL_WRITE:
		self->ret = rs_write(self->fd, self->h, 0, self->page, 64);
		break;
	case CALL_EVENTS:
		self->ret = rs_read_events(self->fd,
					   (struct refstore_event *)self->page,
					   1);
		break;
	}
	return NULL;
}

/*
 * Another user of the same heap: create, link, inspect, close; and a death
 * event queued while the stalled call may be an event reader.
 */
static void *other_calls(void *arg)
{
	FIXTURE_DATA(uffd) *self = arg;
	struct refstore_heap_stats st;
	uint32_t a = 0, b = 0, n = 0;
	int ok;

	ok = !rs_create(self->fd, 0, 1, 0, 0, 0, &a, NULL) &&
	     !rs_create(self->fd, 0, 1, 0, 0, 0, &b, NULL) &&
	     !rs_set_slot(self->fd, a, 0, b) &&
	     !rs_heap_stats(self->fd, &st) &&
	     !rs_close(self->fd, a) && !rs_close(self->fd, b) &&
	     !rs_create(self->fd, 0, 0, REFSTORE_CREATE_NOTIFY, 0, 0x0dead,
			&n, NULL) &&
	     !rs_close(self->fd, n);
	atomic_store(&self->other_done, ok ? 1 : -1);
	return NULL;
}

/* Wait for the fault: the stalled call is now inside the kernel's copy. */
static int wait_fault(FIXTURE_DATA(uffd) *self)
{
	struct pollfd p = { .fd = self->uffd, .events = POLLIN };
	struct uffd_msg msg;

	if (poll(&p, 1, t_budget_ms(OTHER_CALL_MS)) != 1)
		return -1;
	if (read(self->uffd, &msg, sizeof(msg)) != sizeof(msg) ||
	    msg.event != UFFD_EVENT_PAGEFAULT)
		return -1;
	return 0;
}

/* Fill the page with @byte, waking the stalled call. */
static int resolve(FIXTURE_DATA(uffd) *self, unsigned char byte)
{
	struct uffdio_copy copy = { 0 };
	unsigned char *src = malloc(self->page_size);
	int ret;

	if (!src)
		return -1;
	memset(src, byte, self->page_size);
	copy.dst = (unsigned long)self->page;
	copy.src = (unsigned long)src;
	copy.len = self->page_size;
	ret = ioctl(self->uffd, UFFDIO_COPY, &copy);
	free(src);
	return ret;
}

/*
 * Start the call that faults, wait until it does, then run other calls on
 * the heap from a third thread: they must finish while the fault is held.
 * The fault is resolved with bytes of 0xab either way, so a failing run
 * ends instead of hanging.
 */
static void run_stalled(struct __test_metadata *_metadata,
			FIXTURE_DATA(uffd) *self, enum uffd_call call)
{
	pthread_t stalled, other;
	int64_t deadline;
	int done;

	ASSERT_LE(0, self->uffd);
	self->call = call;
	atomic_store(&self->other_done, 0);
	ASSERT_EQ(0, pthread_create(&stalled, NULL, stalled_call, self));
	ASSERT_EQ(0, wait_fault(self)) TH_LOG("the call never faulted");
	ASSERT_EQ(0, pthread_create(&other, NULL, other_calls, self));
	deadline = t_now_ms() + t_budget_ms(OTHER_CALL_MS);
	while (!(done = atomic_load(&self->other_done)) &&
	       t_now_ms() < deadline)
		usleep(10000);
	EXPECT_EQ(1, done) TH_LOG("other calls %s while the fault was held",
				  done ? "failed" : "did not finish");
	ASSERT_EQ(0, resolve(self, 0xab));
	pthread_join(stalled, NULL);
	pthread_join(other, NULL);
}

TEST_F(uffd, read_fault_does_not_stall_heap)
{
	unsigned char want[64];

	UFFD_REQUIRED();

	memset(want, 0x5a, sizeof(want));
	ASSERT_EQ(0, rs_write(self->fd, self->h, 0, want, sizeof(want)));
	run_stalled(_metadata, self, CALL_READ);
	EXPECT_EQ(0, self->ret);
	/* The payload landed in the page once the fault was resolved. */
	EXPECT_EQ(0, memcmp(self->page, want, sizeof(want)));
}

TEST_F(uffd, write_fault_does_not_stall_heap)
{
	unsigned char got[64], want[64];

	UFFD_REQUIRED();

	run_stalled(_metadata, self, CALL_WRITE);
	EXPECT_EQ(0, self->ret);
	/* The WRITE took the bytes the resolved fault supplied. */
	memset(want, 0xab, sizeof(want));
	ASSERT_EQ(0, rs_read(self->fd, self->h, 0, got, sizeof(got)));
	EXPECT_EQ(0, memcmp(got, want, sizeof(want)));
}

TEST_F(uffd, event_read_fault_does_not_stall_heap)
{
	struct refstore_event *ev = (struct refstore_event *)self->page;
	uint64_t id = 0;
	uint32_t n;

	UFFD_REQUIRED();

	/* One death event is pending, so read() copies it out and faults. */
	n = CREATE_NOTIFY(self->fd, 0, 0xc0ffee, &id);
	ASSERT_EQ(0, rs_close(self->fd, n));
	run_stalled(_metadata, self, CALL_EVENTS);
	EXPECT_EQ(1, self->ret);
	EXPECT_EQ(id, ev->id);
	EXPECT_EQ(0xc0ffee, ev->cookie);
}

/* An O_NONBLOCK read() of events on the same open file, and its errno. */
struct nb_read {
	int fd;
	long ret;
	int err;
	atomic_int done;
};

static void *nonblock_read(void *arg)
{
	struct nb_read *nb = arg;
	struct refstore_event ev;

	nb->ret = read(nb->fd, &ev, sizeof(ev));
	nb->err = errno;
	atomic_store(&nb->done, 1);
	return NULL;
}

/*
 * A reader stalled in its copy-out keeps its turn; an O_NONBLOCK read()
 * of the same file (an epoll loop sharing it) gets EAGAIN at once instead
 * of waiting behind it, though events are queued, and takes none of them.
 */
TEST_F(uffd, nonblock_event_read_does_not_wait_for_stalled_reader)
{
	struct refstore_event *ev = (struct refstore_event *)self->page;
	struct nb_read nb = { .fd = self->fd };
	struct refstore_event next;
	uint64_t id1 = 0, id2 = 0;
	pthread_t stalled, other;
	int64_t deadline;
	int fl, done;

	UFFD_REQUIRED();

	ASSERT_EQ(0, rs_close(self->fd, CREATE_NOTIFY(self->fd, 0, 1, &id1)));
	ASSERT_EQ(0, rs_close(self->fd, CREATE_NOTIFY(self->fd, 0, 2, &id2)));
	self->call = CALL_EVENTS;
	ASSERT_EQ(0, pthread_create(&stalled, NULL, stalled_call, self));
	ASSERT_EQ(0, wait_fault(self)) TH_LOG("the read() never faulted");

	/* The stalled read() decided to block already: this is for others. */
	fl = fcntl(self->fd, F_GETFL);
	ASSERT_LE(0, fl);
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, fl | O_NONBLOCK));
	ASSERT_EQ(0, pthread_create(&other, NULL, nonblock_read, &nb));
	deadline = t_now_ms() + t_budget_ms(OTHER_CALL_MS);
	while (!(done = atomic_load(&nb.done)) && t_now_ms() < deadline)
		usleep(10000);
	EXPECT_EQ(1, done) TH_LOG("O_NONBLOCK read() waited for the stalled one");
	/* Released either way, so a failing run ends instead of hanging. */
	ASSERT_EQ(0, resolve(self, 0xab));
	pthread_join(stalled, NULL);
	pthread_join(other, NULL);
	EXPECT_EQ(-1, nb.ret);
	EXPECT_EQ(EAGAIN, nb.err);

	/* The stalled reader got the first event, and the second is left. */
	EXPECT_EQ(1, self->ret);
	EXPECT_EQ(id1, ev->id);
	EXPECT_EQ(1, ev->cookie);
	ASSERT_EQ(sizeof(next), read(self->fd, &next, sizeof(next)));
	EXPECT_EQ(id2, next.id);
	EXPECT_EQ(2, next.cookie);
	EXPECT_EQ(-1, read(self->fd, &next, sizeof(next)));
	EXPECT_EQ(EAGAIN, errno);
}

/*
 * A reader that got EAGAIN behind a stalled one is told when that one is
 * done: its edge-triggered epoll reports the heap again once the stalled
 * reader took one event and left the other, with no new death since.
 */
TEST_F(uffd, nonblock_reader_woken_when_stalled_reader_done)
{
	struct epoll_event e = { .events = EPOLLIN | EPOLLET };
	struct refstore_event next;
	uint64_t id1 = 0, id2 = 0;
	pthread_t stalled;
	int ep, fl;

	UFFD_REQUIRED();

	ep = epoll_create1(0);
	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->fd, &e));
	ASSERT_EQ(0, rs_close(self->fd, CREATE_NOTIFY(self->fd, 0, 1, &id1)));
	ASSERT_EQ(0, rs_close(self->fd, CREATE_NOTIFY(self->fd, 0, 2, &id2)));
	/* The deaths' edge, taken. */
	ASSERT_EQ(1, epoll_wait(ep, &e, 1, 0));
	ASSERT_EQ(0, epoll_wait(ep, &e, 1, 0));

	self->call = CALL_EVENTS;
	ASSERT_EQ(0, pthread_create(&stalled, NULL, stalled_call, self));
	ASSERT_EQ(0, wait_fault(self)) TH_LOG("the read() never faulted");
	fl = fcntl(self->fd, F_GETFL);
	ASSERT_LE(0, fl);
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, fl | O_NONBLOCK));
	EXPECT_EQ(-1, read(self->fd, &next, sizeof(next)));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, resolve(self, 0xab));
	pthread_join(stalled, NULL);
	EXPECT_EQ(1, self->ret);

	/* Woken by the stalled reader's exit, not by a death. */
	EXPECT_EQ(1, epoll_wait(ep, &e, 1, t_budget_ms(10000)))
		TH_LOG("no wakeup after the stalled reader left an event");
	ASSERT_EQ(sizeof(next), read(self->fd, &next, sizeof(next)));
	EXPECT_EQ(id2, next.id);
	close(ep);
}

/*
 * A command's answer is written to a write-protected page, so its copy-out
 * faults and is held while other threads work on the heap; then the page
 * is unmapped and the fault released, so the copy-out fails with EFAULT
 * and the command must leave no trace. A new handle is not the caller's
 * until the answer reached it; a collection commits only then.
 */
FIXTURE(uffd_wp) {
	int fd;
	int uffd;
	long page_size;
	void *page;		/* mapped and populated; the held call's arg */
	uint32_t h;		/* the heap's first object, one slot */
	int uffd_errno;		/* why the userfaultfd setup failed, or 0 */
	unsigned long cmd;	/* the held call */
	long ret;		/* its result */
	int err;		/* and its errno */
};

FIXTURE_SETUP(uffd_wp)
{
	self->uffd = -1;
	self->page = MAP_FAILED;
	self->fd = rs_open(0);
	ASSERT_LE(0, self->fd);
	self->h = CREATE(self->fd, 0, 1);
	self->uffd_errno = uffd_page(UFFDIO_REGISTER_MODE_WP, &self->uffd,
				     &self->page, &self->page_size);
	if (self->uffd_errno == ENOSYS || self->uffd_errno == EPERM)
		SKIP(return, "userfaultfd: %s", strerror(self->uffd_errno));
	ASSERT_EQ(0, self->uffd_errno);
}

FIXTURE_TEARDOWN(uffd_wp)
{
	if (self->page != MAP_FAILED)
		munmap(self->page, self->page_size);
	if (self->uffd >= 0)
		close(self->uffd);
	if (self->fd >= 0)
		close(self->fd);
}

static void *held_call(void *arg)
{
	FIXTURE_DATA(uffd_wp) *self = arg;

	self->ret = ioctl(self->fd, self->cmd, self->page);
	self->err = errno;
	return NULL;
}

/*
 * Write-protect the page (its arguments are written already), start @cmd
 * on it and wait until its copy-out is held in the fault.
 */
static int start_held(FIXTURE_DATA(uffd_wp) *self, unsigned long cmd,
		      pthread_t *t)
{
	struct uffdio_writeprotect wp = {
		.range = { .start = (unsigned long)self->page,
			   .len = self->page_size },
		.mode = UFFDIO_WRITEPROTECT_MODE_WP,
	};
	struct pollfd p = { .fd = self->uffd, .events = POLLIN };
	struct uffd_msg msg;

	if (ioctl(self->uffd, UFFDIO_WRITEPROTECT, &wp))
		return -1;
	self->cmd = cmd;
	if (pthread_create(t, NULL, held_call, self))
		return -1;
	if (poll(&p, 1, OTHER_CALL_MS) != 1 ||
	    read(self->uffd, &msg, sizeof(msg)) != sizeof(msg) ||
	    msg.event != UFFD_EVENT_PAGEFAULT ||
	    !(msg.arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WP))
		return -1;
	return 0;
}

/* Unmap the page and release the fault: the copy-out fails. */
static int fail_held(FIXTURE_DATA(uffd_wp) *self, pthread_t t)
{
	struct uffdio_range range = {
		.start = (unsigned long)self->page, .len = self->page_size,
	};

	if (munmap(self->page, self->page_size))
		return -1;
	self->page = MAP_FAILED;
	if (ioctl(self->uffd, UFFDIO_WAKE, &range))
		return -1;
	return pthread_join(t, NULL);
}

/* A one-slot CREATE, to be held. */
static void put_create(FIXTURE_DATA(uffd_wp) *self)
{
	*(struct refstore_create *)self->page = (struct refstore_create){
		.size = sizeof(struct refstore_create), .nslots = 1,
	};
}

TEST_F(uffd_wp, create_copyout_fault_leaves_other_handles)
{
	struct refstore_heap_stats st;
	struct refstore_info info;
	uint32_t unseen = self->h + 1, x;
	pthread_t t;

	UFFD_REQUIRED();

	put_create(self);
	ASSERT_EQ(0, start_held(self, REFSTORE_IOC_CREATE, &t));
	/*
	 * The held CREATE's handle number is the next free one; until its
	 * caller has it, it names nothing another thread can close, and it
	 * is not handed out again.
	 */
	EXPECT_EQ(-ENOENT, rs_close(self->fd, unseen));
	x = CREATE(self->fd, 0, 0);
	EXPECT_NE(unseen, x);
	ASSERT_EQ(0, fail_held(self, t));
	EXPECT_EQ(-1, self->ret);
	EXPECT_EQ(EFAULT, self->err);

	/* Taking the CREATE back closed nothing of anyone else's. */
	EXPECT_EQ(0, rs_info(self->fd, x, &info));
	EXPECT_EQ(0, rs_info(self->fd, self->h, &info));
	ASSERT_EQ(0, rs_heap_stats(self->fd, &st));
	EXPECT_EQ(2, st.objects);
	EXPECT_EQ(2, st.handles);
	EXPECT_EQ(2, st.created);
	EXPECT_EQ(0, st.freed);
}

TEST_F(uffd_wp, create_copyout_fault_leaves_freeze_count)
{
	struct refstore_gc_value v = { .size = sizeof(v) };
	struct refstore_heap_stats st;
	pthread_t t;

	UFFD_REQUIRED();

	put_create(self);
	ASSERT_EQ(0, start_held(self, REFSTORE_IOC_CREATE, &t));
	/* gc.freeze() while the CREATE is held: it sees one object. */
	ASSERT_EQ(0, ioctl(self->fd, REFSTORE_IOC_GC_FREEZE, &v));
	ASSERT_EQ(0, fail_held(self, t));
	EXPECT_EQ(EFAULT, self->err);

	v.value = 0;
	ASSERT_EQ(0, ioctl(self->fd, REFSTORE_IOC_GC_GET_FREEZE_COUNT, &v));
	EXPECT_EQ(1, v.value);
	ASSERT_EQ(0, rs_heap_stats(self->fd, &st));
	EXPECT_EQ(1, st.objects);
}

/*
 * GC_COLLECT answers without the heap's lock: while its answer is held,
 * the heap serves other calls; the garbage it found is dead to weak
 * handles; when the answer fails the collection is undone, the garbage is
 * alive again and a later collection finds it.
 */
TEST_F(uffd_wp, gc_collect_copyout_fault_does_not_stall_heap)
{
	struct refstore_heap_stats st;
	uint32_t b, w, u, x;
	pthread_t t;

	UFFD_REQUIRED();

	/* A 2-cycle h <-> b, reachable through a weak handle only. */
	b = CREATE(self->fd, 0, 1);
	ASSERT_EQ(0, rs_set_slot(self->fd, self->h, 0, b));
	ASSERT_EQ(0, rs_set_slot(self->fd, b, 0, self->h));
	ASSERT_EQ(0, rs_weakref(self->fd, b, &w));
	ASSERT_EQ(0, rs_close(self->fd, self->h));
	ASSERT_EQ(0, rs_close(self->fd, b));

	*(struct refstore_gc_collect *)self->page = (struct refstore_gc_collect){
		.size = sizeof(struct refstore_gc_collect), .generation = 2,
	};
	ASSERT_EQ(0, start_held(self, REFSTORE_IOC_GC_COLLECT, &t));
	/* The heap is not locked: other calls go on. */
	x = CREATE(self->fd, 8, 1);
	ASSERT_EQ(0, rs_close(self->fd, x));
	/* The pending collection's garbage cannot be brought back. */
	EXPECT_EQ(-ENOENT, rs_upgrade(self->fd, w, &u));
	ASSERT_EQ(0, fail_held(self, t));
	EXPECT_EQ(-1, self->ret);
	EXPECT_EQ(EFAULT, self->err);

	/* Undone: the cycle is alive, reachable by its weak handle again. */
	ASSERT_EQ(0, rs_heap_stats(self->fd, &st));
	EXPECT_EQ(2, st.objects);
	EXPECT_EQ(0, rs_upgrade(self->fd, w, &u));
	ASSERT_EQ(0, rs_close(self->fd, u));
	EXPECT_EQ(0, rs_gc_collect(self->fd, 2, NULL));
	ASSERT_EQ(0, rs_heap_stats(self->fd, &st));
	EXPECT_EQ(0, st.objects);
}

/*
 * GC_GARBAGE too: its handles are the caller's only once the answer is
 * written; the heap is not locked meanwhile; a failed answer leaves no
 * handle behind.
 */
TEST_F(uffd_wp, gc_garbage_copyout_fault_leaves_no_handle)
{
	struct refstore_gc_value dbg = {
		.size = sizeof(dbg), .value = REFSTORE_GC_DEBUG_SAVEALL,
	};
	struct refstore_gc_garbage *g = self->page;
	struct refstore_heap_stats st;
	uint32_t b, x;
	pthread_t t;

	UFFD_REQUIRED();

	ASSERT_EQ(0, ioctl(self->fd, REFSTORE_IOC_GC_SET_DEBUG, &dbg));
	b = CREATE(self->fd, 0, 1);
	ASSERT_EQ(0, rs_set_slot(self->fd, self->h, 0, b));
	ASSERT_EQ(0, rs_set_slot(self->fd, b, 0, self->h));
	ASSERT_EQ(0, rs_close(self->fd, self->h));
	ASSERT_EQ(0, rs_close(self->fd, b));
	EXPECT_EQ(0, rs_gc_collect(self->fd, 2, NULL));

	/* The handles land on the same page, after the structure. */
	*g = (struct refstore_gc_garbage){
		.size = sizeof(*g), .capacity = 2,
		.handles = (unsigned long)(g + 1),
	};
	ASSERT_EQ(0, start_held(self, REFSTORE_IOC_GC_GARBAGE, &t));
	x = CREATE(self->fd, 8, 1);
	ASSERT_EQ(0, rs_close(self->fd, x));
	/* The reserved handles name nothing yet. */
	EXPECT_EQ(-ENOENT, rs_close(self->fd, 1));
	EXPECT_EQ(-ENOENT, rs_close(self->fd, 2));
	ASSERT_EQ(0, fail_held(self, t));
	EXPECT_EQ(EFAULT, self->err);

	ASSERT_EQ(0, rs_heap_stats(self->fd, &st));
	EXPECT_EQ(0, st.handles);
	EXPECT_EQ(2, st.objects);
}

/* The group of tag @tag in a SNAPSHOT by tag (not tag_other's), or count -1. */
static struct refstore_stat tag_group(struct __test_metadata *_metadata,
				      int fd, uint64_t tag)
{
	struct refstore_stat *v, g = { .count = (uint64_t)-1 };
	struct refstore_snapshot tot;
	size_t n, i;

	ASSERT_EQ(0, rs_snapshot_all(fd, REFSTORE_GROUP_TAG, &v, &n, &tot));
	for (i = 0; i < n; i++)
		if (v[i].key == tag && !(v[i].stat_flags & REFSTORE_STAT_OTHER))
			g = v[i];
	free(v);
	return g;
}

/*
 * A CREATE of a new tag is held in its copy-out while another CREATE of
 * the same tag fails writing its answer (a read-only page): the failed
 * one must not take away the tag's entry, which the held one's object is
 * counted in once it is published.
 */
TEST_F(uffd_wp, failed_create_keeps_held_creates_tag)
{
	struct uffdio_writeprotect wp = {
		.range = { .start = (unsigned long)self->page,
			   .len = self->page_size },
	};
	struct refstore_create *ro, *c = self->page;
	pthread_t t;

	UFFD_REQUIRED();

	put_create(self);
	c->tag = 77;
	ASSERT_EQ(0, start_held(self, REFSTORE_IOC_CREATE, &t));
	ro = mmap(NULL, self->page_size, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	*ro = (struct refstore_create){ .size = sizeof(*ro), .tag = 77 };
	ASSERT_EQ(0, mprotect(ro, self->page_size, PROT_READ));
	EXPECT_EQ(-1, ioctl(self->fd, REFSTORE_IOC_CREATE, ro));
	EXPECT_EQ(EFAULT, errno);
	munmap(ro, self->page_size);

	/* Write access back: the held CREATE's answer lands, it publishes. */
	ASSERT_EQ(0, ioctl(self->uffd, UFFDIO_WRITEPROTECT, &wp));
	ASSERT_EQ(0, pthread_join(t, NULL));
	ASSERT_EQ(0, self->ret) TH_LOG("held CREATE: %s", strerror(self->err));
	EXPECT_EQ(1, tag_group(_metadata, self->fd, 77).count);
	EXPECT_EQ(1, tag_group(_metadata, self->fd, 77).created);
	ASSERT_EQ(0, rs_close(self->fd, c->handle));
	EXPECT_EQ(0, tag_group(_metadata, self->fd, 77).count);
}

T_HARNESS_MAIN
