// SPDX-License-Identifier: GPL-2.0
/*
 * refstore CLI views of a heap's allocation statistics, after Python's
 * tracemalloc:
 *
 *   refstore heaps [-j]                     the caller's heaps, from fdinfo
 *   refstore top [-j] [-n N] [--by creator] --pid PID --fd FD
 *                                           largest groups first
 *   refstore snapshot save FILE --pid PID --fd FD
 *   refstore snapshot diff [-j] OLD NEW     compare_to(): size and count
 *                                           differences, largest first
 *   refstore graph [-j] [--max-objects N] --pid PID --fd FD
 *                                           objects and slot edges, DOT or
 *                                           JSON; handle-held objects bold
 *   refstore why [-j] ID --pid PID --fd FD  the shortest chain from a handle
 *                                           to ID (find_backref_chain)
 *
 * A heap belongs to the process that opened it: --pid/--fd name one of its
 * descriptors, and the view takes its own copy of it with pidfd_getfd()
 * (the rights ptrace needs: the same user, or CAP_SYS_PTRACE). A snapshot
 * file is text: a header line, then one line per group:
 *   refstore-snapshot 1 objects=N bytes=N peak_bytes=N
 *   KEY COUNT BYTES CREATED FLAGS NAME
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cli.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

/* Options shared by the views. */
struct obs_opts {
	int json;
	int pid;
	int fd;
	int limit;
	size_t max;
	uint32_t group;
	const char *args[2];
	int nargs;
};

static int obs_parse(int argc, char **argv, struct obs_opts *o)
{
	int i;

	memset(o, 0, sizeof(*o));
	o->pid = -1;
	o->fd = -1;
	o->limit = 10;
	o->max = 1000;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json")) {
			o->json = 1;
		} else if (!strcmp(argv[i], "--pid") && i + 1 < argc) {
			o->pid = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--fd") && i + 1 < argc) {
			o->fd = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--max-objects") && i + 1 < argc) {
			o->max = strtoul(argv[++i], NULL, 10);
		} else if (!strcmp(argv[i], "-n") && i + 1 < argc) {
			o->limit = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--by") && i + 1 < argc) {
			i++;
			if (!strcmp(argv[i], "creator"))
				o->group = REFSTORE_GROUP_CREATOR;
			else if (strcmp(argv[i], "tag"))
				return -EINVAL;
		} else if (argv[i][0] != '-' && o->nargs < 2) {
			o->args[o->nargs++] = argv[i];
		} else {
			return -EINVAL;
		}
	}
	return 0;
}

/* A copy of descriptor @fd of process @pid: the heap to look at. */
static int obs_heap(const struct obs_opts *o)
{
	int pidfd, fd;

	if (o->pid < 0 || o->fd < 0) {
		fprintf(stderr, "refstore: --pid PID --fd FD name the heap\n");
		return -EINVAL;
	}
	pidfd = syscall(SYS_pidfd_open, o->pid, 0);
	if (pidfd < 0)
		return -errno;
	fd = syscall(SYS_pidfd_getfd, pidfd, o->fd, 0);
	fd = fd < 0 ? -errno : fd;
	close(pidfd);
	return fd;
}

/* A JSON string: the names are C strings from the kernel or a file. */
static void obs_json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

/* What a group is called: its tag's name, or the tag, or the creator. */
static void group_label(const struct refstore_stat *s, uint32_t group,
			char *buf, size_t len)
{
	if (s->stat_flags & REFSTORE_STAT_OTHER)
		snprintf(buf, len, "<other>");
	else if (group == REFSTORE_GROUP_CREATOR)
		snprintf(buf, len, "%s[%u]", s->name, s->pid);
	else if (s->name[0])
		snprintf(buf, len, "%s", s->name);
	else
		snprintf(buf, len, "tag %" PRIu64, (uint64_t)s->key);
}

static int by_bytes_desc(const void *a, const void *b)
{
	const struct refstore_stat *x = a, *y = b;

	if (x->bytes != y->bytes)
		return x->bytes < y->bytes ? 1 : -1;
	return x->count < y->count ? 1 : x->count > y->count ? -1 : 0;
}

int cmd_top(int argc, char **argv)
{
	struct refstore_heap_stats hs;
	struct refstore_snapshot tot;
	struct refstore_stat *v;
	struct obs_opts o;
	char label[96];
	size_t n, i, shown = 0;
	int heap, ret;

	if (obs_parse(argc, argv, &o)) {
		fprintf(stderr, "usage: refstore top [-j] [-n N] [--by tag|creator] --pid PID --fd FD\n");
		return 2;
	}
	heap = obs_heap(&o);
	if (heap < 0) {
		print_err("heap", heap);
		return 1;
	}
	ret = rs_snapshot_all(heap, o.group, &v, &n, &tot);
	if (!ret)
		ret = rs_heap_stats(heap, &hs);
	close(heap);
	if (ret) {
		print_err("SNAPSHOT", ret);
		return 1;
	}
	qsort(v, n, sizeof(*v), by_bytes_desc);
	if (o.json) {
		printf("{\"heap\":%" PRIu64 ",\"objects\":%" PRIu64
		       ",\"bytes\":%" PRIu64 ",\"peak_objects\":%" PRIu64
		       ",\"peak_bytes\":%" PRIu64 ",\"by\":\"%s\",\"top\":[",
		       (uint64_t)hs.heap_id, (uint64_t)tot.objects, (uint64_t)tot.bytes,
		       (uint64_t)tot.peak_objects, (uint64_t)tot.peak_bytes,
		       o.group == REFSTORE_GROUP_CREATOR ? "creator" : "tag");
	} else {
		printf("[ Top %d ] %" PRIu64 " objects, %" PRIu64
		       " B (peak %" PRIu64 " B)\n", o.limit,
		       (uint64_t)tot.objects, (uint64_t)tot.bytes,
		       (uint64_t)tot.peak_bytes);
	}
	for (i = 0; i < n && (int)shown < o.limit; i++) {
		if (!v[i].count)
			continue;
		group_label(&v[i], o.group, label, sizeof(label));
		if (o.json) {
			printf("%s{\"key\":%" PRIu64 ",\"name\":", shown ? "," : "",
			       (uint64_t)v[i].key);
			obs_json_str(label);
			printf(",\"count\":%" PRIu64 ",\"bytes\":%" PRIu64
			       ",\"average\":%" PRIu64 ",\"created\":%" PRIu64
			       ",\"other\":%s}",
			       (uint64_t)v[i].count, (uint64_t)v[i].bytes,
			       (uint64_t)(v[i].bytes / v[i].count),
			       (uint64_t)v[i].created,
			       v[i].stat_flags & REFSTORE_STAT_OTHER ? "true" : "false");
		} else {
			printf("%s: size=%" PRIu64 " B, count=%" PRIu64
			       ", average=%" PRIu64 " B\n", label,
			       (uint64_t)v[i].bytes, (uint64_t)v[i].count,
			       (uint64_t)(v[i].bytes / v[i].count));
		}
		shown++;
	}
	if (o.json)
		printf("]}\n");
	free(v);
	return 0;
}

/* ---- snapshots ---- */

static int snap_save(const struct obs_opts *o)
{
	struct refstore_snapshot tot;
	struct refstore_stat *v;
	size_t n, i;
	int heap, ret;
	FILE *f;

	heap = obs_heap(o);
	if (heap < 0) {
		print_err("heap", heap);
		return 1;
	}
	ret = rs_snapshot_all(heap, o->group, &v, &n, &tot);
	close(heap);
	if (ret) {
		print_err("SNAPSHOT", ret);
		return 1;
	}
	f = fopen(o->args[1], "we");
	if (!f) {
		print_err(o->args[1], -errno);
		free(v);
		return 1;
	}
	fprintf(f, "refstore-snapshot 1 objects=%" PRIu64 " bytes=%" PRIu64
		" peak_bytes=%" PRIu64 "\n", (uint64_t)tot.objects,
		(uint64_t)tot.bytes, (uint64_t)tot.peak_bytes);
	for (i = 0; i < n; i++) {
		char label[96], *p;

		group_label(&v[i], o->group, label, sizeof(label));
		for (p = label; *p; p++)
			if (*p == '\n')
				*p = ' ';
		fprintf(f, "%" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
			" %u %s\n", (uint64_t)v[i].key, (uint64_t)v[i].count,
			(uint64_t)v[i].bytes, (uint64_t)v[i].created,
			v[i].stat_flags, label);
	}
	free(v);
	ret = fclose(f) ? -errno : 0;
	if (ret) {
		print_err(o->args[1], ret);
		return 1;
	}
	return 0;
}

struct snap_line {
	uint64_t key, count, bytes, created;
	unsigned int flags;
	char name[96];
};

static int snap_load(const char *path, struct snap_line **out, size_t *n)
{
	struct snap_line *v = NULL, *nv, l;
	char line[256];
	size_t len = 0;
	FILE *f = fopen(path, "re");

	if (!f)
		return -errno;
	if (!fgets(line, sizeof(line), f) ||
	    strncmp(line, "refstore-snapshot 1 ", 20)) {
		fclose(f);
		return -EINVAL;
	}
	while (fgets(line, sizeof(line), f)) {
		int off = 0;

		memset(&l, 0, sizeof(l));
		if (sscanf(line, "%" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
			   " %u %n", &l.key, &l.count, &l.bytes, &l.created,
			   &l.flags, &off) != 5) {
			free(v);
			fclose(f);
			return -EINVAL;
		}
		snprintf(l.name, sizeof(l.name), "%s", line + off);
		l.name[strcspn(l.name, "\n")] = 0;
		nv = realloc(v, (len + 1) * sizeof(*v));
		if (!nv) {
			free(v);
			fclose(f);
			return -ENOMEM;
		}
		v = nv;
		v[len++] = l;
	}
	fclose(f);
	*out = v;
	*n = len;
	return 0;
}

struct snap_diff {
	const char *name;
	int64_t dcount, dbytes;
	uint64_t count, bytes;
};

static int by_dbytes_desc(const void *a, const void *b)
{
	const struct snap_diff *x = a, *y = b;
	int64_t ax = x->dbytes < 0 ? -x->dbytes : x->dbytes;
	int64_t ay = y->dbytes < 0 ? -y->dbytes : y->dbytes;

	if (ax != ay)
		return ax < ay ? 1 : -1;
	return strcmp(x->name, y->name);
}

static int snap_diff(const struct obs_opts *o)
{
	struct snap_line *a, *b;
	struct snap_diff *d;
	size_t na, nb, nd = 0, i, j;
	int ret;

	ret = snap_load(o->args[0], &a, &na);
	if (ret) {
		print_err(o->args[0], ret);
		return 1;
	}
	ret = snap_load(o->args[1], &b, &nb);
	if (ret) {
		print_err(o->args[1], ret);
		free(a);
		return 1;
	}
	d = calloc(na + nb + 1, sizeof(*d));
	if (!d) {
		free(a);
		free(b);
		return 1;
	}
	/* Groups are keyed by name (a tag's or creator's), as in the files. */
	for (j = 0; j < nb; j++) {
		d[nd].name = b[j].name;
		d[nd].count = b[j].count;
		d[nd].bytes = b[j].bytes;
		d[nd].dcount = b[j].count;
		d[nd].dbytes = b[j].bytes;
		for (i = 0; i < na; i++)
			if (!strcmp(a[i].name, b[j].name)) {
				d[nd].dcount -= a[i].count;
				d[nd].dbytes -= a[i].bytes;
				break;
			}
		nd++;
	}
	for (i = 0; i < na; i++) {
		for (j = 0; j < nb; j++)
			if (!strcmp(a[i].name, b[j].name))
				break;
		if (j < nb)
			continue;
		d[nd].name = a[i].name;
		d[nd].dcount = -(int64_t)a[i].count;
		d[nd].dbytes = -(int64_t)a[i].bytes;
		nd++;
	}
	qsort(d, nd, sizeof(*d), by_dbytes_desc);
	if (o->json)
		printf("{\"diff\":[");
	for (i = 0, j = 0; i < nd; i++) {
		if (!d[i].dcount && !d[i].dbytes)
			continue;
		if (o->json) {
			printf("%s{\"name\":", j ? "," : "");
			obs_json_str(d[i].name);
			printf(",\"size\":%" PRIu64 ",\"size_diff\":%" PRId64
			       ",\"count\":%" PRIu64 ",\"count_diff\":%" PRId64
			       "}", d[i].bytes, d[i].dbytes, d[i].count,
			       d[i].dcount);
		} else {
			printf("%s: size=%" PRIu64 " B (%+" PRId64 " B), count=%"
			       PRIu64 " (%+" PRId64 ")\n", d[i].name, d[i].bytes,
			       d[i].dbytes, d[i].count, d[i].dcount);
		}
		j++;
	}
	if (o->json)
		printf("]}\n");
	free(d);
	free(a);
	free(b);
	return 0;
}

int cmd_snapshot(int argc, char **argv)
{
	struct obs_opts o;

	/* argv[1] is the verb; the rest are its options and files. */
	if (argc < 2 || obs_parse(argc - 1, argv + 1, &o))
		goto usage;
	if (!strcmp(argv[1], "save") && o.nargs == 1) {
		o.args[1] = o.args[0];
		return snap_save(&o);
	}
	if (!strcmp(argv[1], "diff") && o.nargs == 2)
		return snap_diff(&o);
usage:
	fprintf(stderr, "usage: refstore snapshot save FILE --pid PID --fd FD\n"
		"       refstore snapshot diff [-j] OLD NEW\n");
	return 2;
}

/* ---- heaps: every heap fd of the processes we can read ---- */

int cmd_heaps_fdinfo(int argc, char **argv)
{
	static const char *const keys[] = {
		"objects", "object-bytes", "peak-bytes", "bytes", "handles",
		"suspects", "gc-garbage", "gc-enabled",
	};
	struct obs_opts o;
	struct dirent *p, *f;
	char path[300];
	DIR *proc, *fds;
	unsigned int k;
	int first = 1;

	if (obs_parse(argc, argv, &o))
		return 2;
	proc = opendir("/proc");
	if (!proc) {
		print_err("/proc", -errno);
		return 1;
	}
	if (o.json)
		printf("{\"heaps\":[");
	else
		printf("%-8s %-4s %-10s %10s %12s %12s %8s %8s\n", "PID", "FD",
		       "HEAP", "OBJECTS", "BYTES", "PEAK", "HANDLES",
		       "SUSPECTS");
	while ((p = readdir(proc))) {
		int pid = atoi(p->d_name);

		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fdinfo", pid);
		fds = opendir(path);
		if (!fds)
			continue;
		while ((f = readdir(fds))) {
			int fd = atoi(f->d_name);
			uint64_t id, v[8];

			if (f->d_name[0] < '0' || f->d_name[0] > '9' ||
			    rs_fdinfo_u64(pid, fd, "refstore-heap", &id))
				continue;
			for (k = 0; k < 8; k++)
				if (rs_fdinfo_u64(pid, fd, keys[k], &v[k]))
					v[k] = 0;
			if (o.json) {
				printf("%s{\"pid\":%d,\"fd\":%d,\"heap\":%" PRIu64,
				       first ? "" : ",", pid, fd, id);
				for (k = 0; k < 8; k++)
					printf(",\"%s\":%" PRIu64, keys[k], v[k]);
				printf("}");
			} else {
				printf("%-8d %-4d %-10" PRIu64 " %10" PRIu64
				       " %12" PRIu64 " %12" PRIu64 " %8" PRIu64
				       " %8" PRIu64 "\n", pid, fd, id, v[0], v[3],
				       v[2], v[4], v[5]);
			}
			first = 0;
		}
		closedir(fds);
	}
	closedir(proc);
	if (o.json)
		printf("]}\n");
	return 0;
}

/* ---- graph: objects and slot edges, as DOT or JSON (objgraph) ---- */

int cmd_graph(int argc, char **argv)
{
	struct refstore_object_info *v;
	uint64_t *ids = NULL, *in = NULL;
	size_t n, i, max, nedges = 0;
	struct obs_opts o;
	uint32_t s, ns;
	int heap, ret, first = 1;

	if (obs_parse(argc, argv, &o)) {
		fprintf(stderr, "usage: refstore graph [-j] [--max-objects N] --pid PID --fd FD\n");
		return 2;
	}
	max = o.max;
	heap = obs_heap(&o);
	if (heap < 0) {
		print_err("heap", heap);
		return 1;
	}
	ret = rs_objects_all(heap, &v, &n);
	if (ret) {
		print_err("OBJECTS", ret);
		close(heap);
		return 1;
	}
	if (n > max)
		n = max;
	ids = calloc(65536, sizeof(*ids));
	in = calloc(n + 1, sizeof(*in));
	if (!ids || !in) {
		close(heap);
		return 1;
	}
	/* Incoming slot edges per object: its handles are the rest. */
	for (i = 0; i < n; i++) {
		if (rs_referents(heap, v[i].id, ids, 65536, &ns))
			continue;
		for (s = 0; s < ns; s++) {
			size_t k;

			for (k = 0; k < n && ids[s]; k++)
				if (v[k].id == ids[s]) {
					in[k]++;
					break;
				}
		}
	}
	if (o.json)
		printf("{\"objects\":[");
	else
		printf("digraph refstore {\n  node [shape=box];\n");
	for (i = 0; i < n; i++) {
		uint64_t handles = v[i].refcount > in[i] ? v[i].refcount - in[i] : 0;
		const char *state = v[i].obj_flags & REFSTORE_OBJ_GARBAGE ? "garbage" :
			v[i].obj_flags & REFSTORE_OBJ_FROZEN ? "frozen" : "live";

		if (o.json)
			printf("%s{\"id\":%" PRIu64 ",\"tag\":%" PRIu64
			       ",\"refcount\":%u,\"handles\":%" PRIu64
			       ",\"state\":\"%s\"}", i ? "," : "",
			       (uint64_t)v[i].id, (uint64_t)v[i].tag,
			       v[i].refcount, handles, state);
		else
			printf("  o%" PRIu64 " [label=\"#%" PRIu64 " tag %" PRIu64
			       "\\nrefcount %u\"%s%s];\n", (uint64_t)v[i].id,
			       (uint64_t)v[i].id, (uint64_t)v[i].tag,
			       v[i].refcount,
			       handles ? ", penwidth=3" : "",
			       !strcmp(state, "garbage") ? ", style=filled, fillcolor=salmon" :
			       !strcmp(state, "frozen") ? ", style=filled, fillcolor=lightblue" : "");
	}
	if (o.json)
		printf("],\"edges\":[");
	for (i = 0; i < n; i++) {
		if (rs_referents(heap, v[i].id, ids, 65536, &ns))
			continue;
		for (s = 0; s < ns; s++) {
			if (!ids[s])
				continue;
			if (o.json)
				printf("%s{\"from\":%" PRIu64 ",\"slot\":%u,\"to\":%"
				       PRIu64 ",\"weak\":false}", first ? "" : ",",
				       (uint64_t)v[i].id, s, ids[s]);
			else
				printf("  o%" PRIu64 " -> o%" PRIu64
				       " [label=\"%u\"];\n", (uint64_t)v[i].id,
				       ids[s], s);
			first = 0;
			nedges++;
		}
	}
	if (o.json)
		printf("],\"truncated\":%s}\n", n == max ? "true" : "false");
	else
		printf("}\n");
	close(heap);
	free(ids);
	free(in);
	free(v);
	return 0;
}

/* ---- why ID: the shortest chain from a handle (find_backref_chain) ---- */

#define WHY_MAX 4096

int cmd_why(int argc, char **argv)
{
	uint64_t *queue, *parent, target, cursor, total, id;
	uint32_t *pslot, got, k;
	struct refstore_referrer r[64];
	struct refstore_object_info oi;
	size_t head = 0, tail = 0, i, found = SIZE_MAX;
	struct obs_opts o;
	int heap;

	if (obs_parse(argc, argv, &o) || o.nargs != 1) {
		fprintf(stderr, "usage: refstore why [-j] ID --pid PID --fd FD\n");
		return 2;
	}
	target = strtoull(o.args[0], NULL, 10);
	heap = obs_heap(&o);
	if (heap < 0) {
		print_err("heap", heap);
		return 1;
	}
	queue = calloc(WHY_MAX, sizeof(*queue));
	parent = calloc(WHY_MAX, sizeof(*parent));
	pslot = calloc(WHY_MAX, sizeof(*pslot));
	if (!queue || !parent || !pslot)
		return 1;
	queue[tail++] = target;
	parent[0] = SIZE_MAX;
	/* Breadth first over referrers: the first object held by a handle. */
	while (head < tail && found == SIZE_MAX) {
		id = queue[head];
		cursor = id;
		if (rs_objects(heap, 0, 0, &cursor, &oi, 1, &got, NULL) || !got ||
		    oi.id != id)
			goto next;
		cursor = 0;
		total = 0;
		do {
			if (rs_referrers(heap, id, &cursor, r, 64, &got, &total))
				break;
			for (k = 0; k < got && tail < WHY_MAX; k++) {
				for (i = 0; i < tail && queue[i] != r[k].id; i++)
					;
				if (i < tail)
					continue;
				queue[tail] = r[k].id;
				parent[tail] = head;
				pslot[tail] = r[k].slot;
				tail++;
			}
		} while (got == 64);
		if (oi.refcount > total) {
			found = head;
			break;
		}
next:
		head++;
	}
	if (found == SIZE_MAX) {
		if (o.json)
			printf("{\"id\":%" PRIu64 ",\"chain\":null}\n", target);
		else
			printf("#%" PRIu64 ": no handle reaches it (garbage, or not found)\n",
			       target);
	} else {
		if (o.json)
			printf("{\"id\":%" PRIu64 ",\"chain\":[", target);
		else
			printf("handle");
		for (i = found; i != SIZE_MAX; i = parent[i]) {
			if (o.json)
				printf("%s{\"id\":%" PRIu64 ",\"slot\":%d}",
				       i == found ? "" : ",", queue[i],
				       parent[i] == SIZE_MAX ? -1 : (int)pslot[i]);
			else if (parent[i] == SIZE_MAX)
				printf(" -> #%" PRIu64, queue[i]);
			else
				printf(" -> #%" PRIu64 ".slot%u", queue[i], pslot[i]);
		}
		printf(o.json ? "]}\n" : "\n");
	}
	close(heap);
	free(queue);
	free(parent);
	free(pslot);
	return found == SIZE_MAX ? 1 : 0;
}
