/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the security selftests (quota.c, accounting.c, hardening.c):
 * dropping to an unprivileged user in a forked child, the module's
 * writable parameters, /proc/meminfo and the debugfs "users" file.
 *
 * The suite runs as root in the guest; a test that needs an unprivileged
 * client forks, and the child drops every group and capability by
 * becoming uid/gid UNPRIV_UID (setgroups, setresgid, setresuid: a full
 * change of ids clears the capability sets). /dev/refstore is 0666, so the
 * child can open it; a site that ships it 0660 with a group would add that
 * group in unpriv_drop().
 */
#ifndef REFSTORE_SELFTESTS_UNPRIV_H
#define REFSTORE_SELFTESTS_UNPRIV_H

#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "librefstore.h"

#define UNPRIV_UID 1000
#define RS_PARAMS "/sys/module/refstore/parameters/"
#define RS_DEBUGFS_USERS RS_DEBUGFS "/users"

/* Become UNPRIV_UID with no groups and no capabilities: 0 or -errno. */
static inline int unpriv_drop(void)
{
	if (setgroups(0, NULL) || setresgid(UNPRIV_UID, UNPRIV_UID, UNPRIV_UID) ||
	    setresuid(UNPRIV_UID, UNPRIV_UID, UNPRIV_UID))
		return -errno;
	if (geteuid() != UNPRIV_UID)
		return -EPERM;
	return 0;
}

/* A module parameter's value: 0 or -errno. */
static inline int param_get(const char *name, uint64_t *val)
{
	char path[128];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), RS_PARAMS "%s", name);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	ok = fscanf(f, "%" SCNu64, val) == 1;
	fclose(f);
	return ok ? 0 : -EINVAL;
}

/* Set a (root-writable) module parameter: 0 or -errno. */
static inline int param_set(const char *name, uint64_t val)
{
	char path[128];
	FILE *f;
	int ret = 0;

	snprintf(path, sizeof(path), RS_PARAMS "%s", name);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	if (fprintf(f, "%" PRIu64 "\n", val) < 0)
		ret = -EIO;
	if (fclose(f))
		ret = -errno;
	return ret;
}

/* A /proc/meminfo figure, in bytes (0 if absent). */
static inline uint64_t meminfo(const char *key)
{
	char line[256];
	size_t len = strlen(key);
	uint64_t kb = 0;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, len) && line[len] == ':') {
			kb = strtoull(line + len + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return kb * 1024;
}

/* Slab memory, reclaimable or not: the allocator's figure. */
static inline uint64_t slab_bytes(void)
{
	return meminfo("SReclaimable") + meminfo("SUnreclaim");
}

/*
 * What debugfs' users file says of @uid: 0 and its heaps and bytes (both
 * 0 for a user without heaps), or -errno if the file cannot be read.
 */
static inline int user_charge(unsigned int uid, uint64_t *heaps,
			      uint64_t *bytes)
{
	char line[256];
	unsigned int u;
	uint64_t h, b;
	FILE *f = fopen(RS_DEBUGFS_USERS, "r");

	if (!f)
		return -errno;
	*heaps = *bytes = 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%u %" SCNu64 " %" SCNu64, &u, &h, &b) == 3 &&
		    u == uid) {
			*heaps = h;
			*bytes = b;
		}
	}
	fclose(f);
	return 0;
}

#endif /* REFSTORE_SELFTESTS_UNPRIV_H */
