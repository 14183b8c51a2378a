// SPDX-License-Identifier: GPL-2.0
/*
 * debugfs and test knobs: per-heap files (owner, creators, tags) are root
 * read-only, and fail_nth is armed for a task, not a pid number a later
 * task could reuse.
 */
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "common.h"

#define FAIL_NTH RS_DEBUGFS "/fail_nth"

TEST_F(heap, heap_files_root_read_only)
{
	static const char *const files[] = { "stats", "objects", "gc", "garbage" };
	char path[256];
	struct stat st;
	unsigned int i;

	uint64_t id = STATS(self->fd).heap_id;

	for (i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), RS_DEBUGFS "/heaps/%" PRIu64 "/%s",
			 id, files[i]);
		ASSERT_EQ(0, stat(path, &st)) TH_LOG("%s", path);
		EXPECT_EQ(0400, st.st_mode & 07777) TH_LOG("%s", path);
	}
	ASSERT_EQ(0, stat(RS_DEBUGFS_USERS, &st));
	EXPECT_EQ(0400, st.st_mode & 07777);
}

static int fail_nth_write(const char *s)
{
	int fd = open(FAIL_NTH, O_WRONLY), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/*
 * A process arms fail_nth and exits armed; a new process given the same
 * pid (clone3's set_tid) passes the module's fault points unharmed.
 */
TEST(fail_nth_not_inherited_by_reused_pid)
{
	struct clone_args args = { .exit_signal = SIGCHLD };
	pid_t armed, again;
	int status, fd;

	if (access(FAIL_NTH, W_OK))
		SKIP(return, "no %s (test_knobs=0)", FAIL_NTH);
	armed = fork();
	ASSERT_LE(0, armed);
	if (!armed)
		_exit(fail_nth_write("1") ? 1 : 0);
	ASSERT_EQ(armed, waitpid(armed, &status, 0));
	ASSERT_EQ(0, status);

	args.set_tid = (uint64_t)(uintptr_t)&armed;
	args.set_tid_size = 1;
	again = syscall(SYS_clone3, &args, sizeof(args));
	ASSERT_LE(0, again) TH_LOG("clone3 set_tid %d: %s", armed,
				   strerror(errno));
	if (!again) {
		fd = rs_open(0);
		_exit(fd >= 0 ? 0 : -fd);
	}
	ASSERT_EQ(armed, again);
	ASSERT_EQ(again, waitpid(again, &status, 0));
	fail_nth_write("0");
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("pid %d reused: open failed with %s", again,
		       strerror(WEXITSTATUS(status)));
}

T_HARNESS_MAIN
