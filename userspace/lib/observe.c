// SPDX-License-Identifier: GPL-2.0
/*
 * librefstore - allocation statistics (TRACED_MEMORY, TAG_NAME, SNAPSHOT),
 * call-site tags, and a heap's fdinfo.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "librefstore.h"

int rs_traced_memory(int heap, uint32_t flags,
		     struct refstore_traced_memory *tm)
{
	struct refstore_traced_memory t = { .size = sizeof(t), .flags = flags };
	int ret = rs_ioctl(heap, REFSTORE_IOC_TRACED_MEMORY, &t);

	if (!ret && tm)
		*tm = t;
	return ret;
}

int rs_tag_name(int heap, uint64_t tag, const char *name)
{
	struct refstore_tag_name t = {
		.size = sizeof(t),
		.tag = tag,
		.name = (uintptr_t)name,
		.name_len = name ? strlen(name) : 0,
	};

	return rs_ioctl(heap, REFSTORE_IOC_TAG_NAME, &t);
}

int rs_snapshot(int heap, uint32_t group, uint64_t *cursor,
		struct refstore_stat *entries, uint32_t capacity,
		uint32_t *count, struct refstore_snapshot *totals)
{
	struct refstore_snapshot s = {
		.size = sizeof(s),
		.group = group,
		.entry_size = sizeof(*entries),
		.cursor = cursor ? *cursor : 0,
		.capacity = capacity,
		.entries = (uintptr_t)entries,
	};
	int ret = rs_ioctl(heap, REFSTORE_IOC_SNAPSHOT, &s);

	if (ret)
		return ret;
	if (cursor)
		*cursor = s.cursor;
	if (count)
		*count = s.count;
	if (totals)
		*totals = s;
	return 0;
}

int rs_snapshot_all(int heap, uint32_t group, struct refstore_stat **out,
		    size_t *n, struct refstore_snapshot *totals)
{
	struct refstore_stat *v = NULL, *nv;
	struct refstore_snapshot t;
	uint64_t cursor = 0;
	size_t len = 0;
	uint32_t got;
	int ret;

	for (;;) {
		nv = realloc(v, (len + REFSTORE_SNAPSHOT_MAX) * sizeof(*v));
		if (!nv) {
			free(v);
			return -ENOMEM;
		}
		v = nv;
		ret = rs_snapshot(heap, group, &cursor, v + len,
				  REFSTORE_SNAPSHOT_MAX, &got, &t);
		if (ret) {
			free(v);
			return ret;
		}
		len += got;
		if (!got || cursor >= t.total)
			break;
	}
	*out = v;
	*n = len;
	if (totals)
		*totals = t;
	return 0;
}

/* FNV-1a, 64 bits. */
static uint64_t rs_fnv64(const char *s, uint64_t h)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

/*
 * The (heap, tag) pairs named already, direct-mapped: a miss only costs a
 * TAG_NAME (naming a tag twice is harmless), so races and collisions are.
 */
#define RS_SITE_CACHE 256
static struct { int heap; uint64_t tag; } rs_site_cache[RS_SITE_CACHE];

uint64_t rs_site_tag(int heap, const char *file, int line)
{
	const char *base = strrchr(file, '/');
	char name[REFSTORE_TAG_NAME_MAX];
	uint64_t tag;
	unsigned int i;
	int n;

	base = base ? base + 1 : file;
	n = snprintf(name, sizeof(name), "%s:%d", base, line);
	if (n < 0)
		return 0;
	if ((size_t)n >= sizeof(name)) {
		/* Keep the line: "long_file_na:42", cut in the name. */
		char tail[16];
		size_t tl = snprintf(tail, sizeof(tail), ":%d", line);

		memcpy(name + sizeof(name) - 1 - tl, tail, tl + 1);
	}
	tag = rs_fnv64(name, 0xcbf29ce484222325ull) | RS_SITE_TAG_BIT;
	i = (tag ^ (unsigned int)heap) % RS_SITE_CACHE;
	if (rs_site_cache[i].heap == heap && rs_site_cache[i].tag == tag)
		return tag;
	if (!rs_tag_name(heap, tag, name)) {
		rs_site_cache[i].heap = heap;
		rs_site_cache[i].tag = tag;
	}
	return tag;
}

int rs_fdinfo_u64(pid_t pid, int fd, const char *key, uint64_t *val)
{
	char path[64], line[256];
	size_t klen = strlen(key);
	int ret = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", (int)pid, fd);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *end;

		if (strncmp(line, key, klen) || line[klen] != ':')
			continue;
		errno = 0;
		*val = strtoull(line + klen + 1, &end, 10);
		ret = errno || end == line + klen + 1 ? -EINVAL : 0;
		break;
	}
	fclose(f);
	return ret;
}

int rs_objects(int heap, uint32_t flags, uint32_t generation,
	       uint64_t *cursor, struct refstore_object_info *v,
	       uint32_t capacity, uint32_t *count, uint64_t *total)
{
	struct refstore_objects o = {
		.size = sizeof(o),
		.flags = flags,
		.generation = generation,
		.entry_size = sizeof(*v),
		.cursor = cursor ? *cursor : 0,
		.capacity = capacity,
		.entries = (uintptr_t)v,
	};
	int ret = rs_ioctl(heap, REFSTORE_IOC_OBJECTS, &o);

	if (ret)
		return ret;
	if (cursor)
		*cursor = o.cursor;
	if (count)
		*count = o.count;
	if (total)
		*total = o.total;
	return 0;
}

int rs_objects_all(int heap, struct refstore_object_info **out, size_t *n)
{
	struct refstore_object_info *v = NULL, *nv;
	uint64_t cursor = 0;
	size_t len = 0;
	uint32_t got;
	int ret;

	for (;;) {
		nv = realloc(v, (len + REFSTORE_SNAPSHOT_MAX) * sizeof(*v));
		if (!nv) {
			free(v);
			return -ENOMEM;
		}
		v = nv;
		ret = rs_objects(heap, 0, 0, &cursor, v + len,
				 REFSTORE_SNAPSHOT_MAX, &got, NULL);
		if (ret) {
			free(v);
			return ret;
		}
		len += got;
		if (got < REFSTORE_SNAPSHOT_MAX)
			break;
	}
	*out = v;
	*n = len;
	return 0;
}

int rs_referents_ex(int heap, uint64_t id, uint64_t *ids,
		    uint32_t *slot_flags, uint32_t capacity, uint32_t *nslots)
{
	struct refstore_referents r = {
		.size = sizeof(r),
		.id = id,
		.ids = (uintptr_t)ids,
		.capacity = capacity,
		.slot_flags = (uintptr_t)slot_flags,
	};
	int ret = rs_ioctl(heap, REFSTORE_IOC_REFERENTS, &r);

	if (!ret && nslots)
		*nslots = r.nslots;
	return ret;
}

int rs_referents(int heap, uint64_t id, uint64_t *ids, uint32_t capacity,
		 uint32_t *nslots)
{
	return rs_referents_ex(heap, id, ids, NULL, capacity, nslots);
}

int rs_referrers(int heap, uint64_t id, uint64_t *cursor,
		 struct refstore_referrer *v, uint32_t capacity,
		 uint32_t *count, uint64_t *total)
{
	struct refstore_referrers r = {
		.size = sizeof(r),
		.id = id,
		.entries = (uintptr_t)v,
		.cursor = cursor ? *cursor : 0,
		.capacity = capacity,
	};
	int ret = rs_ioctl(heap, REFSTORE_IOC_REFERRERS, &r);

	if (ret)
		return ret;
	if (cursor)
		*cursor = r.cursor;
	if (count)
		*count = r.count;
	if (total)
		*total = r.total;
	return 0;
}

int rs_id_handle(int heap, uint64_t id, uint32_t *handle)
{
	struct refstore_id_handle r = { .size = sizeof(r), .id = id };
	int ret = rs_ioctl(heap, REFSTORE_IOC_ID_HANDLE, &r);

	if (!ret && handle)
		*handle = r.handle;
	return ret;
}

int rs_gc_garbage_from(int heap, uint64_t *cursor, uint32_t *handles,
		       uint32_t capacity, uint32_t *count, uint64_t *total)
{
	struct refstore_gc_garbage g = {
		.size = sizeof(g),
		.capacity = capacity,
		.handles = (uintptr_t)handles,
		.cursor = *cursor,
	};
	int ret = rs_ioctl(heap, REFSTORE_IOC_GC_GARBAGE, &g);

	if (ret)
		return ret;
	*cursor = g.cursor;
	if (count)
		*count = g.count;
	if (total)
		*total = g.total;
	return 0;
}
