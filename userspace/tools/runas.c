// SPDX-License-Identifier: GPL-2.0
/*
 * refstore-runas UID CMD [ARGS...]: run CMD as user and group UID with no
 * supplementary groups (test helper: the guest's busybox has no setpriv
 * --reuid).  Exits 127 if CMD cannot be run, 2 on a usage error.
 */
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char *end;
	long uid;

	if (argc < 3) {
		fprintf(stderr, "usage: refstore-runas UID CMD [ARGS...]\n");
		return 2;
	}
	uid = strtol(argv[1], &end, 10);
	if (*end || uid <= 0) {
		fprintf(stderr, "refstore-runas: bad UID '%s'\n", argv[1]);
		return 2;
	}
	if (setgroups(0, NULL) || setgid(uid) || setuid(uid)) {
		perror("refstore-runas");
		return 127;
	}
	execvp(argv[2], argv + 2);
	perror(argv[2]);
	return 127;
}
