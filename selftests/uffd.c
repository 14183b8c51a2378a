// SPDX-License-Identifier: GPL-2.0
/*
 * A fault on user memory never stalls the heap: READ, WRITE and read() of
 * events whose buffer is a userfaultfd-registered page wait in the fault
 * while other threads keep using the same heap.  The page fault is held
 * until the test resolves it, so the window is as wide as we like.
 *
 * Skipped on kernels without userfaultfd (CONFIG_USERFAULTFD); every kernel
 * the suite runs on has it.
 */
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
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

FIXTURE_SETUP(uffd)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };

	self->uffd = -1;
	self->page = MAP_FAILED;
	self->fd = rs_open(0);
	ASSERT_LE(0, self->fd);
	self->uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	self->uffd_errno = self->uffd < 0 ? errno : 0;
	/* 6.1's harness runs the test after a SKIP here: it checks too. */
	if (self->uffd_errno == ENOSYS || self->uffd_errno == EPERM)
		SKIP(return, "userfaultfd: %s", strerror(self->uffd_errno));
	ASSERT_LE(0, self->uffd);
	ASSERT_EQ(0, ioctl(self->uffd, UFFDIO_API, &api));

	self->page_size = sysconf(_SC_PAGESIZE);
	self->page = mmap(NULL, self->page_size, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->page);
	reg.range.start = (unsigned long)self->page;
	reg.range.len = self->page_size;
	ASSERT_EQ(0, ioctl(self->uffd, UFFDIO_REGISTER, &reg));
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

T_HARNESS_MAIN
