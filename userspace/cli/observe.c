// SPDX-License-Identifier: GPL-2.0
/*
 * refstore CLI views of a heap's allocation statistics, after Python's
 * tracemalloc:
 *
 *   refstore heaps                          the caller's heaps, from fdinfo
 *                                           (cmd_heaps in stats.c; --all:
 *                                           every heap, from debugfs)
 *   refstore top [-n N] [--by tag|creator] --pid PID --fd FD
 *                                           largest groups first
 *   refstore snapshot save FILE [--by tag|creator] --pid PID --fd FD
 *   refstore snapshot diff OLD NEW          compare_to(): size and count
 *                                           differences, largest first
 *   refstore graph [--max-objects N] [--id ID [--depth N]] --pid PID --fd FD
 *                                           objects and slot edges, DOT or
 *                                           JSON; handle-held objects bold,
 *                                           weak edges dashed
 *   refstore why [--dot] ID --pid PID --fd FD  the shortest chain from a handle
 *                                           to ID (find_backref_chain)
 *
 * All take the framework's -j/-p/-h (cli_getopt()); exit 0, 1 after a
 * message naming cause and fix (cli_fail()), 2 after a usage error.
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
	int pid;
	int fd;
	uint32_t limit;
	uint32_t max;
	uint32_t group;
	uint64_t id;
	bool has_id;
	uint32_t depth;
	bool has_depth;
	bool dot;
};

enum { OPT_PID = 256, OPT_FD, OPT_MAX, OPT_BY, OPT_ID, OPT_DEPTH, OPT_DOT };

#define OBS_HEAP_OPTS \
	{ "pid", required_argument, NULL, OPT_PID }, \
	{ "fd", required_argument, NULL, OPT_FD }

static const struct option top_longopts[] = {
	OBS_HEAP_OPTS,
	{ "by", required_argument, NULL, OPT_BY },
	{ NULL, 0, NULL, 0 },
};

static const struct option snapshot_longopts[] = {
	OBS_HEAP_OPTS,
	{ "by", required_argument, NULL, OPT_BY },
	{ NULL, 0, NULL, 0 },
};

static const struct option graph_longopts[] = {
	OBS_HEAP_OPTS,
	{ "max-objects", required_argument, NULL, OPT_MAX },
	{ "id", required_argument, NULL, OPT_ID },
	{ "depth", required_argument, NULL, OPT_DEPTH },
	{ NULL, 0, NULL, 0 },
};

static const struct option why_longopts[] = {
	OBS_HEAP_OPTS,
	{ "dot", no_argument, NULL, OPT_DOT },
	{ NULL, 0, NULL, 0 },
};

/*
 * Parses the view's options into @o with cli_getopt(); the positional
 * arguments are left at argv[optind..].  Returns -1 to go on, or the exit
 * status (after --help, or a usage error).
 */
static int obs_parse(int argc, char **argv, const char *shortopts,
		     const struct option *longopts, struct obs_opts *o)
{
	int c, st;

	memset(o, 0, sizeof(*o));
	o->pid = -1;
	o->fd = -1;
	o->limit = 10;
	o->max = 1000;
	cli_getopt_reset();
	while ((c = cli_getopt(argc, argv, shortopts, longopts, &st)) != -1) {
		uint32_t v;

		if (c == '?')
			return st;
		if (c == OPT_BY) {
			if (!strcmp(optarg, "creator"))
				o->group = REFSTORE_GROUP_CREATOR;
			else if (!strcmp(optarg, "tag"))
				o->group = REFSTORE_GROUP_TAG;
			else
				return cli_usage(argv[0], "--by wants tag or creator, not '%s'",
						 optarg);
			continue;
		}
		if (c == OPT_DOT) {
			o->dot = true;
			continue;
		}
		if (c == OPT_ID) {
			if (cli_parse_u64(optarg, &o->id) || !o->id)
				return cli_usage(argv[0], "--id wants an object id (see: %s graph -j), not '%s'",
						 cli.prog, optarg);
			o->has_id = true;
			continue;
		}
		if (cli_parse_u32(optarg, &v) || v > INT32_MAX)
			return cli_usage(argv[0], "%s wants a number, not '%s'",
					 c == OPT_PID ? "--pid" : c == OPT_FD ? "--fd" :
					 c == OPT_MAX ? "--max-objects" :
					 c == OPT_DEPTH ? "--depth" : "-n", optarg);
		switch (c) {
		case OPT_PID:
			o->pid = v;
			break;
		case OPT_FD:
			o->fd = v;
			break;
		case OPT_MAX:
			if (!v)
				return cli_usage(argv[0], "--max-objects wants at least 1");
			o->max = v;
			break;
		case OPT_DEPTH:
			o->depth = v;
			o->has_depth = true;
			break;
		case 'n':
			o->limit = v;
			break;
		}
	}
	return -1;
}

/*
 * A copy of descriptor --fd of process --pid (pidfd_getfd()): the heap to
 * look at.  Returns the fd, or -1 after a message naming cause and fix.
 */
static int obs_heap(const struct obs_opts *o)
{
	int pidfd, fd, err;
	uint64_t id;

	pidfd = syscall(SYS_pidfd_open, o->pid, 0);
	if (pidfd < 0) {
		err = errno;
		if (err == ESRCH)
			cli_fail("no process %d: list the heaps you can see with: %s heaps",
				 o->pid, cli.prog);
		else if (err == ENOSYS)
			cli_fail("pidfd_open: not in this kernel (Linux 5.6 or later has it)");
		else
			cli_fail_errno("pidfd_open", -err);
		return -1;
	}
	fd = syscall(SYS_pidfd_getfd, pidfd, o->fd, 0);
	err = errno;
	close(pidfd);
	if (fd < 0) {
		if (err == EBADF)
			cli_fail("process %d has no fd %d: list the heaps you can see with: %s heaps",
				 o->pid, o->fd, cli.prog);
		else if (err == EPERM || err == EACCES)
			cli_fail("cannot take fd %d of process %d: pidfd_getfd needs the rights of "
				 "ptrace (the same user, or CAP_SYS_PTRACE): run as its user, or root",
				 o->fd, o->pid);
		else if (err == ESRCH)
			cli_fail("process %d exited", o->pid);
		else
			cli_fail_errno("pidfd_getfd", -err);
		return -1;
	}
	if (rs_fdinfo_u64(getpid(), fd, "refstore-heap", &id)) {
		cli_fail("fd %d of process %d is not a refstore heap: list the heaps with: %s heaps",
			 o->fd, o->pid, cli.prog);
		close(fd);
		return -1;
	}
	return fd;
}

/* Usage error unless --pid and --fd were both given. */
static int obs_need_heap(const char *name, const struct obs_opts *o)
{
	if (o->pid < 0 || o->fd < 0)
		return cli_usage(name, "--pid PID --fd FD name the heap (list them with: %s heaps)",
				 cli.prog);
	return -1;
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

int cli_top_print(int heap, uint32_t group, uint32_t limit)
{
	struct refstore_heap_stats hs;
	struct refstore_snapshot tot;
	struct refstore_stat *v;
	size_t n, i, shown = 0;
	char label[96];
	int ret;

	ret = rs_snapshot_all(heap, group, &v, &n, &tot);
	if (!ret)
		ret = rs_heap_stats(heap, &hs);
	if (ret)
		return cli_fail_errno("SNAPSHOT", ret);
	qsort(v, n, sizeof(*v), by_bytes_desc);
	if (cli.json) {
		json_obj_open(NULL);
		json_u64("heap", hs.heap_id);
		json_u64("objects", tot.objects);
		json_u64("bytes", tot.bytes);
		json_u64("peak_objects", tot.peak_objects);
		json_u64("peak_bytes", tot.peak_bytes);
		json_str("by", group == REFSTORE_GROUP_CREATOR ? "creator" : "tag");
		json_arr_open("top");
	} else {
		printf("[ Top %u ] %" PRIu64 " objects, %" PRIu64
		       " B (peak %" PRIu64 " B)\n", limit,
		       (uint64_t)tot.objects, (uint64_t)tot.bytes,
		       (uint64_t)tot.peak_bytes);
	}
	for (i = 0; i < n && shown < limit; i++) {
		if (!v[i].count)
			continue;
		group_label(&v[i], group, label, sizeof(label));
		if (cli.json) {
			json_obj_open(NULL);
			json_u64("key", v[i].key);
			json_str("name", label);
			json_u64("count", v[i].count);
			json_u64("bytes", v[i].bytes);
			json_u64("average", v[i].bytes / v[i].count);
			json_u64("created", v[i].created);
			json_bool("other", v[i].stat_flags & REFSTORE_STAT_OTHER);
			json_obj_close();
		} else {
			printf("%s: size=%" PRIu64 " B, count=%" PRIu64
			       ", average=%" PRIu64 " B\n", label,
			       (uint64_t)v[i].bytes, (uint64_t)v[i].count,
			       (uint64_t)(v[i].bytes / v[i].count));
		}
		shown++;
	}
	if (cli.json) {
		json_arr_close();
		json_obj_close();
		json_end();
	}
	free(v);
	return CLI_OK;
}

int cmd_top(int argc, char **argv)
{
	struct obs_opts o;
	int heap, ret;

	ret = obs_parse(argc, argv, "n:", top_longopts, &o);
	if (ret >= 0)
		return ret;
	if (optind < argc)
		return cli_usage(argv[0], "unexpected argument '%s'", argv[optind]);
	ret = obs_need_heap(argv[0], &o);
	if (ret >= 0)
		return ret;
	heap = obs_heap(&o);
	if (heap < 0)
		return CLI_FAIL;
	ret = cli_top_print(heap, o.group, o.limit);
	close(heap);
	return ret;
}

/* ---- snapshots ---- */

int cli_snapshot_write(int heap, uint32_t group, const char *path)
{
	struct refstore_snapshot tot;
	struct refstore_stat *v;
	size_t n, i;
	int ret;
	FILE *f;

	ret = rs_snapshot_all(heap, group, &v, &n, &tot);
	if (ret)
		return cli_fail_errno("SNAPSHOT", ret);
	f = fopen(path, "we");
	if (!f) {
		ret = -errno;
		free(v);
		return cli_fail_errno(path, ret);
	}
	fprintf(f, "refstore-snapshot 1 objects=%" PRIu64 " bytes=%" PRIu64
		" peak_bytes=%" PRIu64 "\n", (uint64_t)tot.objects,
		(uint64_t)tot.bytes, (uint64_t)tot.peak_bytes);
	for (i = 0; i < n; i++) {
		char label[96], *p;

		group_label(&v[i], group, label, sizeof(label));
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
	if (ret)
		return cli_fail_errno(path, ret);
	if (cli.json) {
		json_obj_open(NULL);
		json_str("saved", path);
		json_u64("groups", n);
		json_u64("objects", tot.objects);
		json_u64("bytes", tot.bytes);
		json_obj_close();
		json_end();
	}
	return CLI_OK;
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

	int64_t cx = x->dcount < 0 ? -x->dcount : x->dcount;
	int64_t cy = y->dcount < 0 ? -y->dcount : y->dcount;

	/* tracemalloc's compare_to() order: each key descending. */
	if (ax != ay)
		return ax < ay ? 1 : -1;
	if (x->bytes != y->bytes)
		return x->bytes < y->bytes ? 1 : -1;
	if (cx != cy)
		return cx < cy ? 1 : -1;
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return strcmp(y->name, x->name);
}

/* Loads snapshot file @path; CLI_OK, or CLI_FAIL after the message. */
static int snap_load_or_fail(const char *path, struct snap_line **v, size_t *n)
{
	int ret = snap_load(path, v, n);

	if (ret == -EINVAL)
		return cli_fail("%s is not a refstore snapshot: make one with: "
				"%s snapshot save FILE --pid PID --fd FD", path, cli.prog);
	if (ret)
		return cli_fail_errno(path, ret);
	return CLI_OK;
}

int cli_snapshot_diff(const char *old, const char *new)
{
	struct snap_line *a, *b;
	struct snap_diff *d;
	size_t na, nb, nd = 0, i, j;

	if (snap_load_or_fail(old, &a, &na))
		return CLI_FAIL;
	if (snap_load_or_fail(new, &b, &nb)) {
		free(a);
		return CLI_FAIL;
	}
	d = calloc(na + nb + 1, sizeof(*d));
	if (!d) {
		free(a);
		free(b);
		return cli_fail_errno("snapshot diff", -ENOMEM);
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
	if (cli.json) {
		json_obj_open(NULL);
		json_arr_open("diff");
	}
	/*
	 * As compare_to(): every group with live objects in either file,
	 * unchanged ones too (+0); a group empty in both is not listed.
	 */
	for (i = 0; i < nd; i++) {
		if (!d[i].count && !d[i].dcount)
			continue;
		if (cli.json) {
			json_obj_open(NULL);
			json_str("name", d[i].name);
			json_u64("size", d[i].bytes);
			json_s64("size_diff", d[i].dbytes);
			json_u64("count", d[i].count);
			json_s64("count_diff", d[i].dcount);
			json_obj_close();
		} else {
			printf("%s: size=%" PRIu64 " B (%+" PRId64 " B), count=%"
			       PRIu64 " (%+" PRId64 ")\n", d[i].name, d[i].bytes,
			       d[i].dbytes, d[i].count, d[i].dcount);
		}
	}
	if (cli.json) {
		json_arr_close();
		json_obj_close();
		json_end();
	}
	free(d);
	free(a);
	free(b);
	return CLI_OK;
}

int cmd_snapshot(int argc, char **argv)
{
	struct obs_opts o;
	const char *verb;
	int heap, ret;

	ret = obs_parse(argc, argv, "", snapshot_longopts, &o);
	if (ret >= 0)
		return ret;
	if (optind >= argc)
		return cli_usage(argv[0], "no VERB: save or diff");
	verb = argv[optind];
	if (!strcmp(verb, "save")) {
		if (argc - optind != 2)
			return cli_usage(argv[0], "save wants one FILE");
		ret = obs_need_heap(argv[0], &o);
		if (ret >= 0)
			return ret;
		heap = obs_heap(&o);
		if (heap < 0)
			return CLI_FAIL;
		ret = cli_snapshot_write(heap, o.group, argv[optind + 1]);
		close(heap);
		return ret;
	}
	if (!strcmp(verb, "diff")) {
		if (argc - optind != 3)
			return cli_usage(argv[0], "diff wants two files, OLD NEW");
		return cli_snapshot_diff(argv[optind + 1], argv[optind + 2]);
	}
	return cli_usage(argv[0], "unknown VERB '%s': save or diff", verb);
}

/* ---- heaps: every heap fd of the processes we can read ---- */

int cli_heaps_fdinfo(void)
{
	static const char *const keys[] = {
		"objects", "object-bytes", "peak-bytes", "bytes", "handles",
		"suspects", "gc-garbage", "gc-enabled",
	};
	struct dirent *p, *f;
	char path[300];
	DIR *proc, *fds;
	unsigned int k;

	proc = opendir("/proc");
	if (!proc)
		return cli_fail_errno("/proc", -errno);
	if (cli.json)
		json_arr_open(NULL);
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
			continue;	/* another user's, or gone */
		while ((f = readdir(fds))) {
			int fd = atoi(f->d_name);
			uint64_t id, v[8];

			if (f->d_name[0] < '0' || f->d_name[0] > '9' ||
			    rs_fdinfo_u64(pid, fd, "refstore-heap", &id))
				continue;
			for (k = 0; k < 8; k++)
				if (rs_fdinfo_u64(pid, fd, keys[k], &v[k]))
					v[k] = 0;
			if (cli.json) {
				json_obj_open(NULL);
				json_u64("pid", pid);
				json_u64("fd", fd);
				json_u64("heap", id);
				for (k = 0; k < 8; k++)
					json_u64(keys[k], v[k]);
				json_obj_close();
			} else {
				printf("%-8d %-4d %-10" PRIu64 " %10" PRIu64
				       " %12" PRIu64 " %12" PRIu64 " %8" PRIu64
				       " %8" PRIu64 "\n", pid, fd, id, v[0], v[3],
				       v[2], v[4], v[5]);
			}
		}
		closedir(fds);
	}
	closedir(proc);
	if (cli.json) {
		json_arr_close();
		json_end();
	}
	return CLI_OK;
}

/* ---- graph: objects and slot edges, as DOT or JSON (objgraph) ---- */

#define GRAPH_SLOTS 65536

/* The index of object @id in @v (ids increasing), or -1. */
static long obj_index(const struct refstore_object_info *v, size_t n,
		      uint64_t id)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid].id == id)
			return mid;
		if (v[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* The name TAG_NAME gave @tag (from a SNAPSHOT by tag), or NULL. */
static const char *tag_name(const struct refstore_stat *t, size_t nt,
			    uint64_t tag)
{
	size_t i;

	for (i = 0; i < nt; i++)
		if (t[i].key == tag && (t[i].stat_flags & REFSTORE_STAT_NAMED))
			return t[i].name;
	return NULL;
}

/* A DOT string's text: quotes and backslashes escaped. */
static void dot_text(const char *s)
{
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		putchar(*s);
	}
}

/*
 * REFERENTS with each slot's REFSTORE_SLOT_* bits in @fl (weak slots'
 * targets in @ids); a module without them: strong slots only, @fl all 0.
 */
static int graph_referents(int heap, uint64_t id, uint64_t *ids, uint32_t *fl,
			   uint32_t *ns)
{
	int ret = rs_referents_ex(heap, id, ids, fl, GRAPH_SLOTS, ns);

	if (ret != -E2BIG)
		return ret;
	memset(fl, 0, GRAPH_SLOTS * sizeof(*fl));
	return rs_referents(heap, id, ids, GRAPH_SLOTS, ns);
}

/*
 * Marks in @show the objects at most @depth strong slot edges (either way)
 * from object index @start: the part of the graph around one object.
 */
static int graph_around(int heap, const struct refstore_object_info *v,
			size_t n, long start, uint32_t depth, bool *show,
			uint64_t *ids)
{
	struct refstore_referrer r[64];
	uint32_t *dist, ns, s, got, k;
	size_t *queue, head = 0, tail = 0;
	uint64_t cursor, total;
	long x;

	dist = calloc(n, sizeof(*dist));
	queue = calloc(n, sizeof(*queue));
	if (!dist || !queue) {
		free(dist);
		free(queue);
		return -ENOMEM;
	}
	show[start] = true;
	queue[tail++] = start;
	while (head < tail) {
		size_t i = queue[head++];

		if (dist[i] >= depth)
			continue;
		if (!rs_referents(heap, v[i].id, ids, GRAPH_SLOTS, &ns)) {
			for (s = 0; s < ns && s < GRAPH_SLOTS; s++) {
				x = ids[s] ? obj_index(v, n, ids[s]) : -1;
				if (x < 0 || show[x])
					continue;
				show[x] = true;
				dist[x] = dist[i] + 1;
				queue[tail++] = x;
			}
		}
		cursor = 0;
		do {
			if (rs_referrers(heap, v[i].id, &cursor, r, 64, &got, &total))
				break;
			for (k = 0; k < got; k++) {
				x = obj_index(v, n, r[k].id);
				if (x < 0 || show[x])
					continue;
				show[x] = true;
				dist[x] = dist[i] + 1;
				queue[tail++] = x;
			}
		} while (got == 64);
	}
	free(dist);
	free(queue);
	return 0;
}

int cmd_graph(int argc, char **argv)
{
	struct refstore_object_info *v = NULL;
	struct refstore_stat *tags = NULL;
	uint64_t *ids = NULL, *in = NULL;
	size_t n, nt = 0, i, shown = 0;
	bool *show = NULL, truncated = false;
	uint32_t s, ns, *fl = NULL;
	struct obs_opts o;
	int heap, ret;
	long x;

	ret = obs_parse(argc, argv, "", graph_longopts, &o);
	if (ret >= 0)
		return ret;
	if (optind < argc)
		return cli_usage(argv[0], "unexpected argument '%s'", argv[optind]);
	if (o.has_depth && !o.has_id)
		return cli_usage(argv[0], "--depth needs --id ID: the object to look around");
	ret = obs_need_heap(argv[0], &o);
	if (ret >= 0)
		return ret;
	if (!o.has_depth)
		o.depth = 2;
	heap = obs_heap(&o);
	if (heap < 0)
		return CLI_FAIL;
	ret = rs_objects_all(heap, &v, &n);
	if (ret) {
		close(heap);
		return cli_fail_errno("OBJECTS", ret);
	}
	if (rs_snapshot_all(heap, REFSTORE_GROUP_TAG, &tags, &nt, NULL))
		nt = 0;	/* no names: tags as numbers */
	ids = calloc(GRAPH_SLOTS, sizeof(*ids));
	fl = calloc(GRAPH_SLOTS, sizeof(*fl));
	in = calloc(n + 1, sizeof(*in));
	show = calloc(n + 1, sizeof(*show));
	if (!ids || !fl || !in || !show) {
		ret = cli_fail_errno("graph", -ENOMEM);
		goto out;
	}
	if (o.has_id) {
		x = obj_index(v, n, o.id);
		if (x < 0) {
			ret = cli_fail("no live object #%" PRIu64 " in this heap: see its objects with: %s graph -j --pid %d --fd %d",
				       o.id, cli.prog, o.pid, o.fd);
			goto out;
		}
		if (graph_around(heap, v, n, x, o.depth, show, ids)) {
			ret = cli_fail_errno("graph", -ENOMEM);
			goto out;
		}
	} else {
		for (i = 0; i < n; i++)
			show[i] = true;
	}
	for (i = 0; i < n; i++) {
		if (!show[i])
			continue;
		if (shown == o.max) {
			show[i] = false;
			truncated = true;
			continue;
		}
		shown++;
	}
	/*
	 * Incoming strong slot edges per object, from every object: handles
	 * are the rest of its refcount (weak slots read 0 here).
	 */
	for (i = 0; i < n; i++) {
		if (rs_referents(heap, v[i].id, ids, GRAPH_SLOTS, &ns))
			continue;
		for (s = 0; s < ns && s < GRAPH_SLOTS; s++) {
			x = ids[s] ? obj_index(v, n, ids[s]) : -1;
			if (x >= 0)
				in[x]++;
		}
	}
	if (cli.json) {
		json_obj_open(NULL);
		json_arr_open("objects");
	} else {
		printf("digraph refstore {\n  node [shape=box];\n");
	}
	for (i = 0; i < n; i++) {
		uint64_t handles = v[i].refcount > in[i] ? v[i].refcount - in[i] : 0;
		const char *state = v[i].obj_flags & REFSTORE_OBJ_GARBAGE ? "garbage" :
			v[i].obj_flags & REFSTORE_OBJ_FROZEN ? "frozen" : "live";
		const char *name = tag_name(tags, nt, v[i].tag);

		if (!show[i])
			continue;
		if (cli.json) {
			json_obj_open(NULL);
			json_u64("id", v[i].id);
			json_u64("tag", v[i].tag);
			if (name)
				json_str("name", name);
			json_u64("refcount", v[i].refcount);
			json_u64("handles", handles);
			json_str("state", state);
			json_obj_close();
			continue;
		}
		printf("  o%" PRIu64 " [label=\"#%" PRIu64 " ", (uint64_t)v[i].id,
		       (uint64_t)v[i].id);
		if (name)
			dot_text(name);
		else
			printf("tag %" PRIu64, (uint64_t)v[i].tag);
		printf("\\nrefcount %u%s\"%s%s];\n", v[i].refcount,
		       handles ? ", handle" : "",
		       handles ? ", penwidth=3" : "",
		       !strcmp(state, "garbage") ? ", style=filled, fillcolor=salmon" :
		       !strcmp(state, "frozen") ? ", style=filled, fillcolor=lightblue" : "");
	}
	if (cli.json) {
		json_arr_close();
		json_arr_open("edges");
	}
	/* Slot edges, strong and weak (dashed); a dead weak slot has none. */
	for (i = 0; i < n; i++) {
		if (!show[i] || graph_referents(heap, v[i].id, ids, fl, &ns))
			continue;
		for (s = 0; s < ns && s < GRAPH_SLOTS; s++) {
			bool weak = fl[s] & REFSTORE_SLOT_WEAK;

			x = ids[s] ? obj_index(v, n, ids[s]) : -1;
			if (x < 0 || !show[x])
				continue;
			if (cli.json) {
				json_obj_open(NULL);
				json_u64("from", v[i].id);
				json_u64("slot", s);
				json_u64("to", ids[s]);
				json_bool("weak", weak);
				json_obj_close();
			} else {
				printf("  o%" PRIu64 " -> o%" PRIu64
				       " [label=\"%u\"%s];\n", (uint64_t)v[i].id,
				       ids[s], s, weak ? ", style=dashed" : "");
			}
		}
	}
	if (cli.json) {
		json_arr_close();
		json_bool("truncated", truncated);
		json_obj_close();
		json_end();
	} else {
		printf("}\n");
	}
	ret = CLI_OK;
out:
	close(heap);
	free(show);
	free(tags);
	free(ids);
	free(fl);
	free(in);
	free(v);
	return ret;
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
	bool exists = false;
	struct obs_opts o;
	int heap, ret;

	ret = obs_parse(argc, argv, "", why_longopts, &o);
	if (ret >= 0)
		return ret;
	if (argc - optind != 1)
		return cli_usage(argv[0], "one object ID, please");
	if (cli_parse_u64(argv[optind], &target) || !target)
		return cli_usage(argv[0], "ID wants an object id (see: %s graph -j), not '%s'",
				 cli.prog, argv[optind]);
	ret = obs_need_heap(argv[0], &o);
	if (ret >= 0)
		return ret;
	heap = obs_heap(&o);
	if (heap < 0)
		return CLI_FAIL;
	queue = calloc(WHY_MAX, sizeof(*queue));
	parent = calloc(WHY_MAX, sizeof(*parent));
	pslot = calloc(WHY_MAX, sizeof(*pslot));
	if (!queue || !parent || !pslot) {
		ret = cli_fail_errno("why", -ENOMEM);
		goto out;
	}
	queue[tail++] = target;
	parent[0] = SIZE_MAX;
	/*
	 * Breadth first over referrers: the first object held by a handle.
	 * REFERRERS lists strong slots only: a weak edge keeps nothing alive.
	 */
	while (head < tail && found == SIZE_MAX) {
		id = queue[head];
		cursor = id;
		if (rs_objects(heap, 0, 0, &cursor, &oi, 1, &got, NULL) || !got ||
		    oi.id != id)
			goto next;
		if (!head)
			exists = true;
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
	if (cli.json) {
		json_obj_open(NULL);
		json_u64("id", target);
		if (found == SIZE_MAX)
			json_null("chain");
		else
			json_arr_open("chain");
	} else if (found != SIZE_MAX && o.dot) {
		printf("digraph why {\n  node [shape=box];\n  handle [shape=plaintext];\n"
		       "  handle -> o%" PRIu64 ";\n", queue[found]);
	} else if (found != SIZE_MAX) {
		printf("handle");
	}
	for (i = found; found != SIZE_MAX && i != SIZE_MAX; i = parent[i]) {
		if (o.dot && !cli.json) {
			printf("  o%" PRIu64 " [label=\"#%" PRIu64 "\"%s];\n", queue[i],
			       queue[i], parent[i] == SIZE_MAX ? ", penwidth=3" : "");
			if (parent[i] != SIZE_MAX)
				printf("  o%" PRIu64 " -> o%" PRIu64 " [label=\"%u\"];\n",
				       queue[i], queue[parent[i]], pslot[i]);
		} else if (cli.json) {
			json_obj_open(NULL);
			json_u64("id", queue[i]);
			json_s64("slot", parent[i] == SIZE_MAX ? -1 : (int)pslot[i]);
			json_obj_close();
		} else if (parent[i] == SIZE_MAX) {
			printf(" -> #%" PRIu64, queue[i]);
		} else {
			printf(" -> #%" PRIu64 ".slot%u", queue[i], pslot[i]);
		}
	}
	if (cli.json) {
		if (found != SIZE_MAX)
			json_arr_close();
		json_obj_close();
		json_end();
	} else if (found != SIZE_MAX) {
		printf(o.dot ? "}\n" : "\n");
	}
	if (found != SIZE_MAX)
		ret = CLI_OK;
	else if (!exists)
		ret = cli_fail("no live object #%" PRIu64 " in this heap: see its objects with: %s graph -j --pid %d --fd %d",
			       target, cli.prog, o.pid, o.fd);
	else
		ret = cli_fail("#%" PRIu64 ": no handle reaches it: it is garbage, for the collector (try: %s gc collect --heap ID, as root)",
			       target, cli.prog);
out:
	close(heap);
	free(queue);
	free(parent);
	free(pslot);
	return ret;
}
