// SPDX-License-Identifier: GPL-2.0
/*
 * refstore CLI: how objects, events, heap stats and limits are printed.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

void print_info(const char *name, const struct refstore_info *i)
{
	const char *flags[] = { "-", "notify", "weakrefs", "notify,weakrefs" };

	printf("%s: id=%" PRIu64 " refcount=%u (sys.getrefcount: %u) "
	       "payload=%u slots=%u tag=%" PRIu64 " flags=%s creator_pid=%u\n",
	       name, (uint64_t)i->id, i->refcount, i->refcount + 1,
	       i->payload_size, i->nslots, (uint64_t)i->tag,
	       flags[i->obj_flags & 3], i->creator_pid);
}

void print_event(const struct refstore_event *e)
{
	if (e->cause == REFSTORE_CAUSE_OVERFLOW)
		printf("event: OVERFLOW, %u events lost\n", e->count);
	else
		printf("event: %s cookie=%" PRIu64 " id=%" PRIu64 "\n",
		       rs_cause_name(e->cause), (uint64_t)e->cookie,
		       (uint64_t)e->id);
}

void print_heap_stats(const struct refstore_heap_stats *s)
{
	printf("heap %" PRIu64 ": objects=%" PRIu64 " bytes=%" PRIu64
	       " handles=%" PRIu64 " weak_handles=%" PRIu64
	       " created=%" PRIu64 " freed=%" PRIu64
	       " events_queued=%" PRIu64 " events_dropped=%" PRIu64
	       " events_pending=%u\n",
	       (uint64_t)s->heap_id, (uint64_t)s->objects, (uint64_t)s->bytes,
	       (uint64_t)s->handles, (uint64_t)s->weak_handles,
	       (uint64_t)s->created, (uint64_t)s->freed,
	       (uint64_t)s->events_queued, (uint64_t)s->events_dropped,
	       s->events_pending);
}

void print_limits(const struct refstore_limits *l)
{
	printf("limits: max_objects=%" PRIu64 " max_bytes=%" PRIu64
	       " max_payload=%u max_slots=%u max_handles=%u max_events=%u\n",
	       (uint64_t)l->max_objects, (uint64_t)l->max_bytes,
	       l->max_payload, l->max_slots, l->max_handles, l->max_events);
}

int print_file(const char *path)
{
	char buf[4096];
	size_t n;
	FILE *f = fopen(path, "re");

	if (!f)
		return -errno;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, stdout);
	n = ferror(f);
	fclose(f);
	return n ? -EIO : 0;
}

void print_err(const char *what, int err)
{
	fprintf(stderr, "refstore: %s: %s (%s)\n", what, rs_errno_name(err),
		strerror(err < 0 ? -err : err));
}
