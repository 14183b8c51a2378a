// SPDX-License-Identifier: GPL-2.0
/*
 * What an unprivileged user can pin: the per-user caps (max_user_bytes,
 * max_user_heaps), the module-wide one (max_total_bytes), the default
 * per-heap max_bytes, and raising a heap's limits (CAP_SYS_RESOURCE only,
 * and never so far that an object's kref could saturate); the uids of a
 * user's namespaces counted as that user; and a tag table's charge failing
 * with the cap's errno.
 *
 * The attackers are forked children that drop to uid UNPRIV_UID (see
 * unpriv.h); the test, as root, sets small caps for the test's length
 * (restoring them after) and watches the module's users file and
 * /proc/meminfo.
 */
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "common.h"

/* The caps the tests set: small, so an attack is over in seconds. */
#define T_USER_BYTES	(24ULL << 20)
#define T_USER_HEAPS	32
/* Forked attackers, and what each tries to pin in payloads at most. */
#define T_NPROC		4
#define T_PROC_BUDGET	(64ULL << 20)
/* A payload that costs twice its size unless rounding is charged. */
#define T_BIG_PAYLOAD	((512U << 10) + 1)
/*
 * The documented floor: MemAvailable drops by at most the user's cap
 * plus this much for what the attackers' processes take themselves
 * (page tables, stacks, copied pages, open files).
 */
#define T_PROC_SLACK	(16ULL << 20)

struct saved_caps {
	uint64_t user_bytes, user_heaps, total_bytes;
	int ok;
};

static struct saved_caps caps_set(uint64_t user_bytes, uint64_t user_heaps)
{
	struct saved_caps s = { 0 };

	s.ok = !param_get("max_user_bytes", &s.user_bytes) &&
	       !param_get("max_user_heaps", &s.user_heaps) &&
	       !param_get("max_total_bytes", &s.total_bytes) &&
	       !param_set("max_user_bytes", user_bytes) &&
	       !param_set("max_user_heaps", user_heaps);
	return s;
}

static void caps_restore(const struct saved_caps *s)
{
	if (!s->ok)
		return;
	param_set("max_user_bytes", s->user_bytes);
	param_set("max_user_heaps", s->user_heaps);
	param_set("max_total_bytes", s->total_bytes);
}

/* Wait (bounded) until the unprivileged user has no heap left open. */
static void wait_user_idle(void)
{
	uint64_t heaps = 1, bytes;
	int i;

	for (i = 0; i < 1000 && heaps; i++) {
		if (user_charge(UNPRIV_UID, &heaps, &bytes))
			return;
		if (heaps)
			usleep(5000);
	}
}

/* What one attacker reports: payload bytes it got in, errnos it met. */
struct report {
	uint64_t pinned;
	uint64_t heaps;
	uint64_t errnos[2];	/* bit e for every errno e < 128 seen */
	int64_t drop_err;
};

static void seen(struct report *r, int ret)
{
	if (ret < 0 && -ret < 128)
		r->errnos[-ret / 64] |= 1ULL << (-ret % 64);
}

/*
 * One attacker process: as many heaps as it can, each with NOTIFY
 * objects, weak handles and small objects, then big payloads round robin
 * until its budget is in or every heap refuses. Reports, then holds on.
 */
static void attack(int out)
{
	struct report r = { 0 };
	int fds[64], nfd, i, k, refused = 0;
	uint32_t h, w;

	r.drop_err = unpriv_drop();
	if (r.drop_err)
		goto report;
	for (nfd = 0; nfd < 64; nfd++) {
		fds[nfd] = rs_open(0);
		if (fds[nfd] < 0) {
			seen(&r, fds[nfd]);
			break;
		}
	}
	r.heaps = nfd;
	for (i = 0; i < nfd; i++) {
		for (k = 0; k < 16; k++)
			seen(&r, rs_create(fds[i], 0, 0, REFSTORE_CREATE_NOTIFY,
					   0, k + 1, NULL, NULL));
		if (!rs_create(fds[i], 0, 0, 0, 0, 0, &h, NULL))
			for (k = 0; k < 64; k++)
				seen(&r, rs_weakref(fds[i], h, &w));
		for (k = 0; k < 64; k++)
			seen(&r, rs_create(fds[i], 0, 8, 0, 0, 0, NULL, NULL));
	}
	for (i = 0; nfd && r.pinned < T_PROC_BUDGET && refused < nfd; i++) {
		int ret = rs_create(fds[i % nfd], T_BIG_PAYLOAD, 0, 0, 0, 0,
				    NULL, NULL);

		seen(&r, ret);
		if (ret) {
			refused++;
		} else {
			refused = 0;
			r.pinned += T_BIG_PAYLOAD;
		}
	}
report:
	if (write(out, &r, sizeof(r)) != sizeof(r))
		_exit(1);
	for (;;)
		pause();
}

/*
 * T_NPROC processes of one user, each trying to pin T_PROC_BUDGET (four
 * times the user's cap together): the user's charge stays under its cap,
 * its heaps under theirs, and MemAvailable drops by at most the cap plus
 * T_PROC_SLACK. Only the caps stop them: no call failed with ENOMEM.
 */
TEST_F_TIMEOUT(heap, attacker_stays_under_user_caps, 120)
{
	struct saved_caps saved = caps_set(T_USER_BYTES, T_USER_HEAPS);
	struct report r[T_NPROC];
	uint64_t avail0, avail1, heaps = 0, bytes = 0, pinned = 0;
	uint64_t errnos[2] = { 0 };
	uint64_t total = 0, nheaps = 0;
	pid_t pid[T_NPROC];
	int p[2], i, users_ret;

	EXPECT_TRUE(saved.ok) TH_LOG("cannot set max_user_bytes/max_user_heaps");
	wait_user_idle();
	ASSERT_EQ(0, pipe(p));
	avail0 = meminfo("MemAvailable");
	for (i = 0; i < T_NPROC; i++) {
		pid[i] = fork();
		ASSERT_LE(0, pid[i]);
		if (!pid[i]) {
			close(p[0]);
			attack(p[1]);
		}
	}
	close(p[1]);
	for (i = 0; i < T_NPROC; i++)
		if (read(p[0], &r[i], sizeof(r[i])) != sizeof(r[i]))
			memset(&r[i], 0xff, sizeof(r[i]));
	close(p[0]);
	avail1 = meminfo("MemAvailable");
	users_ret = user_charge(UNPRIV_UID, &heaps, &bytes);
	if (!users_ret)
		rs_debugfs_u64(RS_DEBUGFS_STATS, "bytes", &total);
	for (i = 0; i < T_NPROC; i++) {
		kill(pid[i], SIGKILL);
		waitpid(pid[i], NULL, 0);
	}
	caps_restore(&saved);

	for (i = 0; i < T_NPROC; i++) {
		ASSERT_EQ(0, r[i].drop_err);
		pinned += r[i].pinned;
		nheaps += r[i].heaps;
		errnos[0] |= r[i].errnos[0];
		errnos[1] |= r[i].errnos[1];
	}
	TH_LOG("%d uid-%d processes: %" PRIu64 " heaps, %" PRIu64
	       " MiB of payload in; user charged %" PRIu64 " KiB in %" PRIu64
	       " heaps (cap %llu KiB, %d heaps); MemAvailable %" PRIu64
	       " -> %" PRIu64 " MiB (drop %" PRId64 " KiB); errnos %#" PRIx64
	       " %#" PRIx64,
	       T_NPROC, UNPRIV_UID, nheaps, pinned >> 20, bytes >> 10, heaps,
	       T_USER_BYTES >> 10, T_USER_HEAPS, avail0 >> 20, avail1 >> 20,
	       ((int64_t)avail0 - (int64_t)avail1) / 1024, errnos[0],
	       errnos[1]);
	EXPECT_EQ(0, users_ret) TH_LOG("no %s", RS_DEBUGFS_USERS);
	EXPECT_GE(T_USER_BYTES, bytes);
	EXPECT_GE(T_USER_HEAPS, heaps);
	EXPECT_GE(T_USER_HEAPS, nheaps);
	EXPECT_LT(0, bytes);
	EXPECT_GE(T_USER_BYTES, pinned);
	/* The floor: MemAvailable did not drop by more than cap + slack. */
	EXPECT_GE((int64_t)(T_USER_BYTES + T_PROC_SLACK),
		  (int64_t)avail0 - (int64_t)avail1);
	/* The caps stopped them, not a failed allocation. */
	EXPECT_EQ(0, errnos[ENOMEM / 64] & (1ULL << (ENOMEM % 64)))
		TH_LOG("ENOMEM seen");
	EXPECT_NE(0, errnos[EUSERS / 64] & (1ULL << (EUSERS % 64)))
		TH_LOG("EUSERS never seen");
}

/* Fork a child that drops to UNPRIV_UID and runs @fn; its exit status. */
static int as_user(int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (!pid) {
		if (unpriv_drop())
			_exit(100);
		_exit(fn(arg));
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

struct open_count {
	int n;
	int err;
};

/* Open heaps until it fails; report how many and the errno (shared page). */
static int open_until_fail(void *arg)
{
	struct open_count *oc = arg;
	int fd;

	for (oc->n = 0; oc->n < 1000; oc->n++) {
		fd = rs_open(0);
		if (fd < 0) {
			oc->err = -fd;
			break;
		}
	}
	return 0;
}

/*
 * A user gets max_user_heaps heaps, from any number of files and
 * processes, then EMFILE; root (CAP_SYS_RESOURCE) is not held to it.
 */
TEST(user_heaps_capped)
{
	struct saved_caps saved = caps_set(T_USER_BYTES, 8);
	struct open_count *oc = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int fds[9], i, n_root = 0;

	ASSERT_NE(MAP_FAILED, oc);
	EXPECT_TRUE(saved.ok);
	wait_user_idle();
	EXPECT_EQ(0, as_user(open_until_fail, oc));
	for (i = 0; i < 9; i++) {
		fds[i] = rs_open(0);
		if (fds[i] >= 0)
			n_root++;
	}
	for (i = 0; i < 9; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	caps_restore(&saved);
	TH_LOG("uid %d opened %d heaps, then %s", UNPRIV_UID, oc->n,
	       strerror(oc->err));
	EXPECT_EQ(8, oc->n);
	EXPECT_EQ(EMFILE, oc->err);
	EXPECT_EQ(9, n_root);
}

struct fill {
	uint64_t bytes;
	int n;
	int err;
};

/* Fill one heap with big payloads until it fails. */
static int fill_heap(void *arg)
{
	struct fill *fl = arg;
	struct refstore_heap_stats s;
	int fd = rs_open(0), ret = 0;

	if (fd < 0)
		return 1;
	for (fl->n = 0; fl->n < 1000; fl->n++) {
		ret = rs_create(fd, T_BIG_PAYLOAD, 0, 0, 0, 0, NULL, NULL);
		if (ret)
			break;
	}
	fl->err = -ret;
	if (rs_heap_stats(fd, &s))
		return 2;
	fl->bytes = s.bytes;
	return 0;
}

/*
 * One heap of an unprivileged user is stopped by the user's cap (EUSERS)
 * when that is below the heap's max_bytes, and by max_bytes (EDQUOT,
 * 64 MiB by default) otherwise: never by the 1 GiB of old.
 */
TEST(user_bytes_capped_edquot_then_eusers)
{
	struct saved_caps saved = caps_set(8ULL << 20, T_USER_HEAPS);
	struct fill *fl = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	uint64_t heaps = 0, bytes = 0;

	ASSERT_NE(MAP_FAILED, fl);
	EXPECT_TRUE(saved.ok);
	wait_user_idle();
	EXPECT_EQ(0, as_user(fill_heap, fl));
	TH_LOG("cap 8 MiB: %d payloads of 512 KiB + 1, heap bytes %" PRIu64
	       ", then %s", fl->n, fl->bytes, strerror(fl->err));
	EXPECT_EQ(EUSERS, fl->err);
	EXPECT_GE(8ULL << 20, fl->bytes);

	/* With the cap above the heap's limit, the heap's limit stops it. */
	param_set("max_user_bytes", 256ULL << 20);
	memset(fl, 0, sizeof(*fl));
	EXPECT_EQ(0, as_user(fill_heap, fl));
	TH_LOG("cap 256 MiB: %d payloads, heap bytes %" PRIu64 ", then %s",
	       fl->n, fl->bytes, strerror(fl->err));
	EXPECT_EQ(EDQUOT, fl->err);
	EXPECT_GE(64ULL << 20, fl->bytes);
	wait_user_idle();
	EXPECT_EQ(0, user_charge(UNPRIV_UID, &heaps, &bytes));
	EXPECT_EQ(0, bytes);
	caps_restore(&saved);
}

/* Raise a limit of a fresh heap with REFSTORE_LIMITS_RAISE: -errno. */
static int try_raise(const struct refstore_limits *want)
{
	struct refstore_limits l = *want;
	int fd = rs_open(0), ret;

	if (fd < 0)
		return fd;
	l.flags = REFSTORE_LIMITS_RAISE;
	ret = rs_set_limits(fd, &l);
	close(fd);
	return ret;
}

static int raise_unpriv(void *arg)
{
	struct refstore_limits l = { .max_bytes = 128ULL << 20 };
	int fd = rs_open(0), ret;

	if (fd < 0)
		return 10;
	if (try_raise(&l) != -EPERM)
		return 11;
	ret = rs_set_limits(fd, &l);	/* without the flag: lower only */
	close(fd);
	return ret == -EPERM ? 0 : 12;
}

/*
 * The default max_bytes is 64 MiB; only CAP_SYS_RESOURCE raises it, and
 * never above 8 GiB (nor slots above 65535): a heap at 8 GiB holds at
 * most 2^30 references (8 bytes each at least), so no object's kref can
 * reach INT_MAX, nor the collector's s32 copy of it go negative.
 */
TEST(raise_limits_needs_cap_and_is_bounded)
{
	struct refstore_limits l = { 0 };
	int fd = rs_open(0);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, rs_get_limits(fd, &l));
	close(fd);
	EXPECT_GE(64ULL << 20, l.max_bytes);

	EXPECT_EQ(0, try_raise(&(struct refstore_limits){
			.max_bytes = 8ULL << 30 }));
	EXPECT_EQ(-EINVAL, try_raise(&(struct refstore_limits){
			.max_bytes = (8ULL << 30) + 1 }));
	EXPECT_EQ(0, try_raise(&(struct refstore_limits){ .max_slots = 65535 }));
	EXPECT_EQ(-EINVAL, try_raise(&(struct refstore_limits){
			.max_slots = 65536 }));
	EXPECT_GT(INT32_MAX, (8LL << 30) / 8 + 1);
	EXPECT_EQ(0, as_user(raise_unpriv, NULL));
}

/*
 * Clients in user namespaces of UNPRIV_UID, as in a rootless container:
 * the child drops to UNPRIV_UID and unshares a user namespace, the test
 * (root, so it may) maps NS_UIDS uids from NS_BASE into it, as newuidmap
 * does from /etc/subuid, and the child becomes uid NS_UID in it: kernel
 * uid NS_BASE + NS_UID, a uid of its own. NS_NESTED unshares a second
 * namespace inside the first (owned by that uid) before opening. NS_ROOT
 * is a container root starts: the child stays root and unshares (the
 * namespace is owned by kernel uid 0), and the test writes the child's
 * ns_child.map instead.
 */
#define NS_BASE		100000
#define NS_UIDS		1000
#define NS_UID		5

enum ns_mode { NS_NONE, NS_ONE, NS_NESTED, NS_ROOT };

/* What a namespace child reports, on a shared page. */
struct ns_report {
	int step;		/* the set-up step that failed, 0 if none */
	int step_err;		/* its errno */
	int n;			/* heaps opened */
	int err;		/* the errno that stopped the opens, 0 if none */
	uint64_t heap_id;	/* the first heap's id */
};

struct ns_child {
	pid_t pid;
	struct ns_report *r;
	const char *map;	/* uid_map and gid_map; NULL: NS_BASE's */
};

static void ns_child_run(enum ns_mode mode, int max_opens, int ready, int go,
			 struct ns_report *r)
{
	struct refstore_heap_stats st;
	char c = 'R';
	int fd;

	r->step = 1;
	r->step_err = mode == NS_ROOT ? 0 : -unpriv_drop();
	if (r->step_err)
		goto report;
	if (mode != NS_NONE) {
		r->step = 2;
		if (unshare(CLONE_NEWUSER))
			goto report_errno;
		if (write(ready, &c, 1) != 1 || read(go, &c, 1) != 1)
			_exit(1);
		r->step = 3;
		if (setresgid(NS_UID, NS_UID, NS_UID) ||
		    setresuid(NS_UID, NS_UID, NS_UID))
			goto report_errno;
	}
	if (mode == NS_NESTED) {
		r->step = 4;
		if (unshare(CLONE_NEWUSER))
			goto report_errno;
	}
	r->step = 0;
	for (r->n = 0; r->n < max_opens; r->n++) {
		fd = rs_open(0);
		if (fd < 0) {
			r->err = -fd;
			break;
		}
		if (!r->n && !rs_heap_stats(fd, &st))
			r->heap_id = st.heap_id;
	}
	goto report;
report_errno:
	r->step_err = errno;
report:
	c = 'D';
	if (write(ready, &c, 1) != 1)
		_exit(1);
	for (;;)
		pause();
}

/* Write @s to /proc/@pid/@file: 0 or -errno. */
static int proc_write(pid_t pid, const char *file, const char *s)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	return t_write_str(path, s);
}

/*
 * Start a child of UNPRIV_UID in @mode that opens heaps until one fails
 * or it has @max_opens, holds them until ns_child_stop(), and reports:
 * 0, or -1 if the child could not be started or did not report.
 */
static int ns_child_start(struct ns_child *c, enum ns_mode mode, int max_opens)
{
	char map[64], ch;
	int ready[2], go[2];

	c->r = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (c->r == MAP_FAILED) {
		c->r = NULL;
		return -1;
	}
	if (pipe(ready))
		return -1;
	if (pipe(go)) {
		close(ready[0]);
		close(ready[1]);
		return -1;
	}
	c->pid = fork();
	if (c->pid < 0)
		return -1;
	if (!c->pid) {
		close(ready[0]);
		close(go[1]);
		ns_child_run(mode, max_opens, ready[1], go[0], c->r);
	}
	close(ready[1]);
	close(go[0]);
	if (read(ready[0], &ch, 1) != 1)
		ch = 0;
	if (ch == 'R') {
		/* The child's namespace: what newuidmap would write. */
		if (c->map)
			snprintf(map, sizeof(map), "%s\n", c->map);
		else
			snprintf(map, sizeof(map), "0 %d %d\n", NS_BASE,
				 NS_UIDS);
		if (proc_write(c->pid, "uid_map", map) ||
		    proc_write(c->pid, "gid_map", map))
			LOG("writing the child's uid_map/gid_map failed");
		ch = 'G';
		if (write(go[1], &ch, 1) != 1 || read(ready[0], &ch, 1) != 1)
			ch = 0;
	}
	close(ready[0]);
	close(go[1]);
	return ch == 'D' ? 0 : -1;
}

static void ns_child_stop(struct ns_child *c)
{
	if (c->pid > 0) {
		kill(c->pid, SIGKILL);
		waitpid(c->pid, NULL, 0);
	}
	if (c->r && c->r != MAP_FAILED)
		munmap(c->r, 4096);
}

/*
 * Whether @r is a child whose unshare(CLONE_NEWUSER) failed because this
 * kernel or system gives no user namespaces (no CONFIG_USER_NS: EINVAL;
 * user.max_user_namespaces 0: ENOSPC; a sysctl or LSM forbidding them to
 * unprivileged users: EPERM; the nesting limit: EUSERS). The tests skip.
 */
static bool ns_unavailable(const struct ns_report *r)
{
	if (r->step != 2 && r->step != 4)
		return false;
	return r->step_err == EPERM || r->step_err == EINVAL ||
	       r->step_err == ENOSPC || r->step_err == EUSERS;
}

#define NS_SKIP_REASON "user namespaces unavailable: unshare(CLONE_NEWUSER): %s (CONFIG_USER_NS, user.max_user_namespaces, kernel.unprivileged_userns_clone?)"

/* The "uid" of the heap's debugfs stats, or -1. */
static int64_t heap_uid(uint64_t heap_id)
{
	char path[128];
	uint64_t uid;

	snprintf(path, sizeof(path), RS_DEBUGFS "/heaps/%" PRIu64 "/stats",
		 heap_id);
	return rs_debugfs_u64(path, "uid", &uid) ? -1 : (int64_t)uid;
}

/*
 * A heap opened by uid NS_UID of a namespace of UNPRIV_UID (or of one
 * nested in it, @mode) is charged to UNPRIV_UID, not to its kernel uid.
 */
static void ns_charged_to_owner(struct __test_metadata *_metadata,
				enum ns_mode mode)
{
	uint64_t heaps = 0, bytes = 0, ns_heaps = 1, ns_bytes = 1;
	struct ns_report r = { .n = -1 };
	struct ns_child c = { 0 };
	int64_t uid = -1;

	wait_user_idle();
	if (!ns_child_start(&c, mode, 1)) {
		r = *c.r;
		uid = heap_uid(r.heap_id);
		user_charge(UNPRIV_UID, &heaps, &bytes);
		user_charge(NS_BASE + NS_UID, &ns_heaps, &ns_bytes);
	}
	ns_child_stop(&c);
	TH_LOG("heap %" PRIu64 " charged to uid %" PRId64 "; uid %d: %" PRIu64
	       " heaps, uid %d: %" PRIu64 " heaps", r.heap_id, uid,
	       UNPRIV_UID, heaps, NS_BASE + NS_UID, ns_heaps);
	if (ns_unavailable(&r))
		SKIP(return, NS_SKIP_REASON, strerror(r.step_err));
	ASSERT_EQ(0, r.step) TH_LOG("set-up step %d: %s", r.step,
				    strerror(r.step_err));
	ASSERT_EQ(1, r.n) TH_LOG("open: %s", strerror(r.err));
	EXPECT_EQ(UNPRIV_UID, uid);
	EXPECT_EQ(1, heaps);
	EXPECT_EQ(0, ns_heaps);
	EXPECT_EQ(0, ns_bytes);
}

TEST(userns_opener_charged_to_ns_owner)
{
	ns_charged_to_owner(_metadata, NS_ONE);
}

TEST(nested_userns_opener_charged_to_outermost_owner)
{
	ns_charged_to_owner(_metadata, NS_NESTED);
}

/*
 * A namespace root created, as a container manager does, is charged to the
 * kernel uid root mapped as its uid 0 (@map; @charged), not to root, whose
 * caps every such container would otherwise share; if root mapped no uid 0
 * into it, to the opener's own kernel uid (NS_UID's under @map; @charged).
 */
static void root_ns_charged(struct __test_metadata *_metadata,
			    const char *map, int64_t charged)
{
	uint64_t heaps = 0, bytes = 0, root_heaps = 1, root_bytes;
	struct ns_report r = { .n = -1 };
	struct ns_child c = { .map = map };
	int64_t uid = -1;

	if (!ns_child_start(&c, NS_ROOT, 1)) {
		r = *c.r;
		uid = heap_uid(r.heap_id);
		user_charge(charged, &heaps, &bytes);
		user_charge(0, &root_heaps, &root_bytes);
	}
	ns_child_stop(&c);
	TH_LOG("map \"%s\": heap %" PRIu64 " charged to uid %" PRId64
	       "; uid %" PRId64 ": %" PRIu64 " heaps, uid 0: %" PRIu64
	       " heaps", map, r.heap_id, uid, charged, heaps, root_heaps);
	if (ns_unavailable(&r))
		SKIP(return, NS_SKIP_REASON, strerror(r.step_err));
	ASSERT_EQ(0, r.step) TH_LOG("set-up step %d: %s", r.step,
				    strerror(r.step_err));
	ASSERT_EQ(1, r.n) TH_LOG("open: %s", strerror(r.err));
	EXPECT_EQ(charged, uid);
	EXPECT_EQ(1, heaps);
	EXPECT_EQ(0, root_heaps);
}

/* Uid 5 of "0 200000 1000" is kernel uid 200005; its root is 200000. */
TEST(root_userns_charged_to_its_root)
{
	root_ns_charged(_metadata, "0 200000 1000", 200000);
}

/* "5 300000 10" maps no uid 0: uid 5 (kernel uid 300000) is charged. */
TEST(root_userns_without_root_charged_to_opener)
{
	root_ns_charged(_metadata, "5 300000 10", 300000);
}

/*
 * The uids of a user's namespace share its max_user_heaps: with 4 and a
 * plain UNPRIV_UID process holding 3, a process of the namespace gets one
 * heap, then EMFILE.
 */
TEST(userns_opener_shares_owner_heap_cap)
{
	struct saved_caps saved = caps_set(T_USER_BYTES, 4);
	struct ns_child holder = { 0 }, c = { 0 };
	struct ns_report h = { .n = -1 }, r = { .n = -1 };

	EXPECT_TRUE(saved.ok);
	wait_user_idle();
	if (!ns_child_start(&holder, NS_NONE, 3)) {
		h = *holder.r;
		if (!ns_child_start(&c, NS_ONE, 8))
			r = *c.r;
	}
	ns_child_stop(&c);
	ns_child_stop(&holder);
	caps_restore(&saved);
	TH_LOG("uid %d: %d heaps; uid %d of its namespace: %d heaps, then %s",
	       UNPRIV_UID, h.n, NS_BASE + NS_UID, r.n, strerror(r.err));
	ASSERT_EQ(3, h.n);
	if (ns_unavailable(&r))
		SKIP(return, NS_SKIP_REASON, strerror(r.step_err));
	ASSERT_EQ(0, r.step) TH_LOG("set-up step %d: %s", r.step,
				    strerror(r.step_err));
	EXPECT_EQ(1, r.n);
	EXPECT_EQ(EMFILE, r.err);
}

/*
 * A new tag's entry that does not fit the user's cap fails TAG_NAME with
 * the cap's errno, EUSERS, as it fails CREATE: not with ENOMEM. The test
 * sets max_user_bytes to exactly what the user's heap is charged once it
 * has a tag table, so that nothing more fits.
 */
TEST(tag_name_over_user_cap_eusers)
{
	struct saved_caps saved = caps_set(T_USER_BYTES, T_USER_HEAPS);
	uint64_t heaps = 0, bytes = 0;
	int ready[2], go[2], res[2] = { -1, -1 }, status = -1;
	char c = 0;
	pid_t pid;

	EXPECT_TRUE(saved.ok);
	wait_user_idle();
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(go));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int fd;

		close(ready[0]);
		close(go[1]);
		if (unpriv_drop())
			_exit(1);
		fd = rs_open(0);
		if (fd < 0 || rs_tag_name(fd, 1, "one.c:1"))
			_exit(2);
		c = 'R';
		if (write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(3);
		res[0] = -rs_create(fd, 0, 0, 0, 0, 0, NULL, NULL);
		res[1] = -rs_tag_name(fd, 2, "two.c:2");
		if (write(ready[1], res, sizeof(res)) != sizeof(res))
			_exit(4);
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	if (read(ready[0], &c, 1) == 1 && c == 'R' &&
	    !user_charge(UNPRIV_UID, &heaps, &bytes) && bytes &&
	    !param_set("max_user_bytes", bytes)) {
		c = 'G';
		if (write(go[1], &c, 1) != 1 ||
		    read(ready[0], res, sizeof(res)) != sizeof(res))
			res[0] = res[1] = -1;
	}
	close(go[1]);
	close(ready[0]);
	waitpid(pid, &status, 0);
	caps_restore(&saved);
	TH_LOG("cap at the charge, %" PRIu64 " bytes: CREATE %s, TAG_NAME %s",
	       bytes, strerror(res[0]), strerror(res[1]));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(EUSERS, res[0]);
	EXPECT_EQ(EUSERS, res[1]);
}

T_HARNESS_MAIN
