// SPDX-License-Identifier: GPL-2.0
/*
 * librefstore - thin wrappers around the /dev/refstore ioctls.
 *
 * One function per ioctl: build the argument with .size set, issue the
 * call, copy the out-fields back.  No retries, no caching, no allocation.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "librefstore.h"

int rs_ioctl(int heap, unsigned long cmd, void *arg)
{
	return ioctl(heap, cmd, arg) ? -errno : 0;
}

int rs_open(int flags)
{
	int fd = open(RS_DEVICE, O_RDWR | O_CLOEXEC | flags);

	return fd < 0 ? -errno : fd;
}

int rs_version(int heap, uint32_t *version, uint64_t *features)
{
	struct refstore_version v = { .size = sizeof(v) };
	int ret = rs_ioctl(heap, REFSTORE_IOC_VERSION, &v);

	if (ret)
		return ret;
	if (version)
		*version = v.version;
	if (features)
		*features = v.features;
	return 0;
}

int rs_create(int heap, uint32_t payload, uint32_t nslots, uint32_t flags,
	      uint64_t tag, uint64_t cookie, uint32_t *handle, uint64_t *id)
{
	struct refstore_create c = {
		.size = sizeof(c),
		.flags = flags,
		.payload_size = payload,
		.nslots = nslots,
		.tag = tag,
		.cookie = cookie,
	};
	int ret = rs_ioctl(heap, REFSTORE_IOC_CREATE, &c);

	if (ret)
		return ret;
	if (handle)
		*handle = c.handle;
	if (id)
		*id = c.id;
	return 0;
}

int rs_dup(int heap, uint32_t handle, uint32_t *new_handle)
{
	struct refstore_dup d = { .size = sizeof(d), .handle = handle };
	int ret = rs_ioctl(heap, REFSTORE_IOC_DUP, &d);

	if (!ret && new_handle)
		*new_handle = d.new_handle;
	return ret;
}

int rs_close(int heap, uint32_t handle)
{
	struct refstore_close c = { .size = sizeof(c), .handle = handle };

	return rs_ioctl(heap, REFSTORE_IOC_CLOSE, &c);
}

int rs_set_slot(int heap, uint32_t handle, uint32_t slot, uint32_t target)
{
	struct refstore_set_slot s = {
		.size = sizeof(s),
		.handle = handle,
		.slot = slot,
		.target = target,
	};

	return rs_ioctl(heap, REFSTORE_IOC_SET_SLOT, &s);
}

int rs_set_slot_weak(int heap, uint32_t handle, uint32_t slot, uint32_t target)
{
	struct refstore_set_slot s = {
		.size = sizeof(s),
		.flags = REFSTORE_SLOT_WEAK,
		.handle = handle,
		.slot = slot,
		.target = target,
	};

	return rs_ioctl(heap, REFSTORE_IOC_SET_SLOT, &s);
}

int rs_get_slot_ex(int heap, uint32_t handle, uint32_t slot, uint32_t *target,
		   uint64_t *target_id, uint32_t *slot_flags)
{
	struct refstore_get_slot g = {
		.size = sizeof(g),
		.handle = handle,
		.slot = slot,
	};
	int ret = rs_ioctl(heap, REFSTORE_IOC_GET_SLOT, &g);

	if (ret)
		return ret;
	if (target)
		*target = g.target;
	if (target_id)
		*target_id = g.target_id;
	if (slot_flags)
		*slot_flags = g.slot_flags;
	return 0;
}

int rs_get_slot(int heap, uint32_t handle, uint32_t slot, uint32_t *target,
		uint64_t *target_id)
{
	struct refstore_get_slot g = {
		.size = sizeof(g),
		.handle = handle,
		.slot = slot,
	};
	int ret = rs_ioctl(heap, REFSTORE_IOC_GET_SLOT, &g);

	if (ret)
		return ret;
	if (target)
		*target = g.target;
	if (target_id)
		*target_id = g.target_id;
	return 0;
}

/* READ and WRITE share their structure; only the command differs. */
static int rs_rw(int heap, unsigned long cmd, uint32_t handle, uint64_t off,
		 const void *buf, uint64_t len)
{
	struct refstore_rw rw = {
		.size = sizeof(rw),
		.handle = handle,
		.offset = off,
		.length = len,
		.data = (uint64_t)(uintptr_t)buf,
	};

	return rs_ioctl(heap, cmd, &rw);
}

int rs_write(int heap, uint32_t handle, uint64_t off, const void *buf,
	     uint64_t len)
{
	return rs_rw(heap, REFSTORE_IOC_WRITE, handle, off, buf, len);
}

int rs_read(int heap, uint32_t handle, uint64_t off, void *buf, uint64_t len)
{
	return rs_rw(heap, REFSTORE_IOC_READ, handle, off, buf, len);
}

int rs_info(int heap, uint32_t handle, struct refstore_info *info)
{
	struct refstore_info i = { .size = sizeof(i), .handle = handle };
	int ret = rs_ioctl(heap, REFSTORE_IOC_INFO, &i);

	if (!ret && info)
		*info = i;
	return ret;
}

int rs_weakref(int heap, uint32_t handle, uint32_t *weak)
{
	struct refstore_weakref w = { .size = sizeof(w), .handle = handle };
	int ret = rs_ioctl(heap, REFSTORE_IOC_WEAKREF, &w);

	if (!ret && weak)
		*weak = w.weak;
	return ret;
}

int rs_weakref_ex(int heap, uint32_t handle, uint32_t flags, uint64_t cookie,
		  uint32_t *weak)
{
	struct refstore_weakref w = {
		.size = sizeof(w),
		.flags = flags,
		.handle = handle,
		.cookie = cookie,
	};
	int ret = rs_ioctl(heap, REFSTORE_IOC_WEAKREF, &w);

	if (!ret && weak)
		*weak = w.weak;
	return ret;
}

int rs_weakref_count(int heap, uint32_t handle, uint64_t *count,
		     uint64_t *weak_handles, uint64_t *weak_slots)
{
	struct refstore_weakref_count c = { .size = sizeof(c), .handle = handle };
	int ret = rs_ioctl(heap, REFSTORE_IOC_WEAKREF_COUNT, &c);

	if (ret)
		return ret;
	if (count)
		*count = c.count;
	if (weak_handles)
		*weak_handles = c.weak_handles;
	if (weak_slots)
		*weak_slots = c.weak_slots;
	return 0;
}

int rs_weakrefs(int heap, uint32_t handle, uint64_t start,
		struct refstore_weakref_entry *entries, uint32_t capacity,
		uint32_t *count, uint64_t *total)
{
	struct refstore_weakrefs w = {
		.size = sizeof(w),
		.handle = handle,
		.capacity = capacity,
		.entries = (uintptr_t)entries,
		.start = start,
	};
	int ret = rs_ioctl(heap, REFSTORE_IOC_WEAKREFS, &w);

	if (ret)
		return ret;
	if (count)
		*count = w.count;
	if (total)
		*total = w.total;
	return 0;
}

int rs_upgrade(int heap, uint32_t weak, uint32_t *handle)
{
	struct refstore_upgrade u = { .size = sizeof(u), .weak = weak };
	int ret = rs_ioctl(heap, REFSTORE_IOC_UPGRADE, &u);

	if (!ret && handle)
		*handle = u.handle;
	return ret;
}

int rs_get_limits(int heap, struct refstore_limits *lim)
{
	struct refstore_limits l = { .size = sizeof(l) };
	int ret = rs_ioctl(heap, REFSTORE_IOC_GET_LIMITS, &l);

	if (!ret && lim)
		*lim = l;
	return ret;
}

int rs_set_limits(int heap, const struct refstore_limits *lim)
{
	struct refstore_limits l = *lim;

	l.size = sizeof(l);
	return rs_ioctl(heap, REFSTORE_IOC_SET_LIMITS, &l);
}

int rs_heap_stats(int heap, struct refstore_heap_stats *st)
{
	struct refstore_heap_stats s = { .size = sizeof(s) };
	int ret = rs_ioctl(heap, REFSTORE_IOC_HEAP_STATS, &s);

	if (!ret && st)
		*st = s;
	return ret;
}

int rs_gc_collect(int heap, uint32_t generation, uint64_t *unreachable)
{
	struct refstore_gc_collect c = {
		.size = sizeof(c),
		.generation = generation,
	};
	int ret = rs_ioctl(heap, REFSTORE_IOC_GC_COLLECT, &c);

	if (!ret && unreachable)
		*unreachable = c.unreachable;
	return ret;
}

int rs_gc_value(int heap, unsigned long cmd, uint64_t in, uint64_t *out)
{
	struct refstore_gc_value v = { .size = sizeof(v), .value = in };
	int ret = rs_ioctl(heap, cmd, &v);

	if (!ret && out)
		*out = v.value;
	return ret;
}

int rs_gc_get_stats(int heap, struct refstore_gc_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	return rs_ioctl(heap, REFSTORE_IOC_GC_GET_STATS, st);
}

int rs_gc_set_threshold(int heap, uint32_t t0, uint32_t t1, uint32_t t2)
{
	struct refstore_gc_threshold t = {
		.size = sizeof(t), .threshold = { t0, t1, t2 },
	};

	return rs_ioctl(heap, REFSTORE_IOC_GC_SET_THRESHOLD, &t);
}

int rs_gc_get_threshold(int heap, uint32_t threshold[REFSTORE_GC_GENERATIONS])
{
	struct refstore_gc_threshold t = { .size = sizeof(t) };
	int ret, i;

	ret = rs_ioctl(heap, REFSTORE_IOC_GC_GET_THRESHOLD, &t);
	if (ret)
		return ret;
	for (i = 0; i < REFSTORE_GC_GENERATIONS; i++)
		threshold[i] = t.threshold[i];
	return 0;
}

int rs_gc_get_count(int heap, int64_t count[REFSTORE_GC_GENERATIONS])
{
	struct refstore_gc_count c = { .size = sizeof(c) };
	int ret, i;

	ret = rs_ioctl(heap, REFSTORE_IOC_GC_GET_COUNT, &c);
	if (ret)
		return ret;
	for (i = 0; i < REFSTORE_GC_GENERATIONS; i++)
		count[i] = c.count[i];
	return 0;
}

int rs_gc_garbage(int heap, uint32_t *handles, uint32_t capacity,
		  uint32_t *count, uint64_t *total)
{
	struct refstore_gc_garbage g = {
		.size = sizeof(g),
		.capacity = capacity,
		.handles = (uintptr_t)handles,
	};
	int ret = rs_ioctl(heap, REFSTORE_IOC_GC_GARBAGE, &g);

	if (!ret) {
		if (count)
			*count = g.count;
		if (total)
			*total = g.total;
	}
	return ret;
}

ssize_t rs_read_events(int heap, struct refstore_event *buf, size_t n)
{
	ssize_t got = read(heap, buf, n * sizeof(*buf));

	if (got < 0)
		return -errno;
	return got / (ssize_t)sizeof(*buf);
}

int rs_debugfs_u64(const char *path, const char *key, uint64_t *val)
{
	size_t klen = strlen(key);
	char line[256];
	int ret = -ENOENT;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *end;

		if (strncmp(line, key, klen) || line[klen] != ':')
			continue;
		errno = 0;
		*val = strtoull(line + klen + 1, &end, 0);
		ret = (errno || end == line + klen + 1) ? -EINVAL : 0;
		break;
	}
	if (ret == -ENOENT && ferror(f))
		ret = -EIO;
	fclose(f);
	return ret;
}

int rs_debugfs_read_u64(const char *path, uint64_t *val)
{
	char buf[32], *end;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	n = n < 0 ? -errno : n;
	close(fd);
	if (n < 0)
		return n;
	buf[n] = '\0';
	errno = 0;
	*val = strtoull(buf, &end, 0);
	if (errno || end == buf || (*end && *end != '\n'))
		return -EINVAL;
	return 0;
}

const char *rs_cause_name(uint32_t cause)
{
	switch (cause) {
	case REFSTORE_CAUSE_RELEASED:
		return "RELEASED";
	case REFSTORE_CAUSE_CYCLE:
		return "CYCLE";
	case REFSTORE_CAUSE_OVERFLOW:
		return "OVERFLOW";
	case REFSTORE_CAUSE_WEAKREF:
		return "WEAKREF";
	case REFSTORE_CAUSE_WEAKREF_CYCLE:
		return "WEAKREF_CYCLE";
	case REFSTORE_CAUSE_GC_START:
		return "GC_START";
	case REFSTORE_CAUSE_GC_STOP:
		return "GC_STOP";
	case REFSTORE_CAUSE_GC_COLLECTABLE:
		return "GC_COLLECTABLE";
	case REFSTORE_CAUSE_GC_STATS:
		return "GC_STATS";
	}
	return "?";
}

const char *rs_errno_name(int err)
{
	const char *name;

	if (err < 0)
		err = -err;
	name = strerrorname_np(err);
	return name ? name : "E?";
}

const char *rs_feature_name(unsigned int bit)
{
	static const char *const names[] = {
		"objects", "slots", "payload", "weak",
		"events", "limits", "heap_stats", "gc",
		"gc_delay", "weak_graph", "weak_query",
	};

	if (bit == 12)
		return "trace";
	if (bit == 13)
		return "inspect";
	if (bit == 14)
		return "gc_events";
	return bit < sizeof(names) / sizeof(names[0]) ? names[bit] : NULL;
}
