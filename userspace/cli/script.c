// SPDX-License-Identifier: GPL-2.0
/*
 * refstore run [FILE|-]: a line-oriented script on ONE heap (a heap lives
 * as long as its file, so one process run is one heap).  Handles get
 * names; each command prints what it did.  A failing command prints its
 * errno name on stderr and the script goes on; the exit status is 1 if
 * any command failed.  Every ioctl has a command:
 *
 *   create NAME [payload=N] [slots=N] [tag=N] [notify=COOKIE]
 *   dup NAME NEW            close NAME           info NAME
 *   link NAME SLOT TARGET   link NAME SLOT none  get NAME SLOT NEW
 *   write NAME OFF TEXT     read NAME OFF LEN
 *   weak NAME NEW [callback=COOKIE]       upgrade WEAK NEW
 *   wlink NAME SLOT TARGET  wlink NAME SLOT none (a weak slot)
 *   weakcount NAME          weakrefs NAME
 *   events  heap  limits  stats  version  echo TEXT  # comment
 *   set_limits [objects=N] [bytes=N] [payload=N] [slots=N] [handles=N]
 *              [events=N] [raise]
 *   collect [GEN]  enable  disable  isenabled  threshold [T0 [T1 [T2]]]
 *   count  gcstats  freeze  unfreeze  freeze_count  set_debug FLAGS
 *   get_debug  garbage [NAME]  clear_garbage  delay [MS]
 *   (each collector command also as "gc VERB ...", and "debug" for
 *   set_debug/get_debug)
 *
 * A command may assert its own failure: "expect ENOENT close x" passes
 * when close fails with ENOENT (and fails the script otherwise), "! CMD"
 * when CMD fails with any errno.
 */
#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define MAX_NAMES 4096
#define MAX_NAME_LEN 31
#define MAX_ARGS 8
#define MAX_RW 4096

/* A name bound to a handle of the script's heap. */
struct binding {
	char name[MAX_NAME_LEN + 1];
	uint32_t handle;
	int weak;
};

struct script {
	int heap;
	unsigned int line;
	unsigned int errors;
	/* The running command's expectation: 0 none, -1 any errno, else it. */
	int expect;
	/* Set when the running command failed as expected. */
	int expect_met;
	unsigned int nnames;
	struct binding names[MAX_NAMES];
};

/*
 * Report a failed command; @err is a negative errno, @why NULL or what
 * caused it.  A failure the line expected ("expect ERRNO", "!") is printed
 * on stdout and not counted.
 */
static int fail_why(struct script *sc, const char *cmd, int err,
		    const char *why)
{
	if (sc->expect && (sc->expect == -1 || sc->expect == -err)) {
		printf("%s: %s, as expected\n", cmd, rs_errno_name(err));
		sc->expect_met = 1;
		return err;
	}
	fflush(stdout);
	fprintf(stderr, "line %u: %s: %s (%s)\n", sc->line, cmd,
		rs_errno_name(err), why ? why : strerror(-err));
	sc->errors++;
	return err;
}

static int fail(struct script *sc, const char *cmd, int err)
{
	return fail_why(sc, cmd, err, NULL);
}

static struct binding *lookup(struct script *sc, const char *name)
{
	unsigned int i;

	for (i = 0; i < sc->nnames; i++)
		if (!strcmp(sc->names[i].name, name))
			return &sc->names[i];
	return NULL;
}

/* The handle named @name, or 0 (after reporting ENOENT). */
static uint32_t handle_of(struct script *sc, const char *cmd,
			  const char *name)
{
	struct binding *b = lookup(sc, name);

	if (!b) {
		char why[64];

		snprintf(why, sizeof(why), "no handle named '%.32s'", name);
		fail_why(sc, cmd, -ENOENT, why);
		return 0;
	}
	return b->handle;
}

/* 0 if @name may be bound (valid and unused), else reports EEXIST/EINVAL. */
static int check_new(struct script *sc, const char *cmd, const char *name)
{
	if (strlen(name) > MAX_NAME_LEN || !isalpha((unsigned char)name[0]))
		return fail(sc, cmd, -EINVAL);
	if (lookup(sc, name))
		return fail(sc, cmd, -EEXIST);
	if (sc->nnames == MAX_NAMES)
		return fail(sc, cmd, -ENOSPC);
	return 0;
}

static void bind(struct script *sc, const char *name, uint32_t h, int weak)
{
	struct binding *b = &sc->names[sc->nnames++];

	snprintf(b->name, sizeof(b->name), "%s", name);
	b->handle = h;
	b->weak = weak;
}

static void unbind(struct script *sc, const char *name)
{
	struct binding *b = lookup(sc, name);

	if (b)
		*b = sc->names[--sc->nnames];
}

/* Parse a whole unsigned number (decimal, 0x hex or 0 octal). */
static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || *end ? -EINVAL : 0;
}

static int parse_u32(const char *s, uint32_t *v)
{
	uint64_t x;

	if (parse_u64(s, &x) || x > UINT32_MAX)
		return -EINVAL;
	*v = x;
	return 0;
}

/* Names the limit a failed CREATE ran into, from GET_LIMITS, or NULL. */
static const char *create_why(struct script *sc, int err, uint32_t payload,
			      uint32_t nslots)
{
	static char why[128];
	struct refstore_limits l;

	if (err == -EINVAL || rs_get_limits(sc->heap, &l))
		return NULL;
	if (payload > l.max_payload)
		snprintf(why, sizeof(why),
			 "payload %u exceeds this heap's max_payload %u", payload,
			 l.max_payload);
	else if (nslots > l.max_slots)
		snprintf(why, sizeof(why),
			 "slots %u exceeds this heap's max_slots %u", nslots,
			 l.max_slots);
	else
		return NULL;
	return why;
}

static void do_create(struct script *sc, int argc, char **argv)
{
	uint32_t payload = 0, nslots = 0, flags = 0, h;
	uint64_t tag = 0, cookie = 0, id;
	int i, ret = 0;

	if (argc < 2)
		return (void)fail(sc, "create", -EINVAL);
	if (check_new(sc, "create", argv[1]))
		return;
	for (i = 2; i < argc && !ret; i++) {
		char *eq = strchr(argv[i], '=');

		if (!eq) {
			ret = -EINVAL;
			break;
		}
		*eq++ = 0;
		if (!strcmp(argv[i], "payload")) {
			ret = parse_u32(eq, &payload);
		} else if (!strcmp(argv[i], "slots")) {
			ret = parse_u32(eq, &nslots);
		} else if (!strcmp(argv[i], "tag")) {
			ret = parse_u64(eq, &tag);
		} else if (!strcmp(argv[i], "notify")) {
			ret = parse_u64(eq, &cookie);
			flags |= REFSTORE_CREATE_NOTIFY;
		} else {
			ret = -EINVAL;
		}
	}
	if (!ret)
		ret = rs_create(sc->heap, payload, nslots, flags, tag, cookie,
				&h, &id);
	if (ret)
		return (void)fail_why(sc, "create", ret,
				      create_why(sc, ret, payload, nslots));
	bind(sc, argv[1], h, 0);
	printf("%s = handle %u (id %" PRIu64 ")\n", argv[1], h, id);
}

/*
 * dup NAME NEW, weak NAME NEW [callback=COOKIE], upgrade WEAK NEW: one
 * handle from another. weak of a weak name makes a second weak handle
 * (REFSTORE_WEAKREF_FROM_WEAK); callback= asks for an event when the
 * object dies (weakref.ref(obj, callback)).
 */
static void do_derive(struct script *sc, int argc, char **argv)
{
	const char *cmd = argv[0];
	bool weak = !strcmp(cmd, "weak");
	uint32_t h, nh = 0, flags = 0;
	uint64_t cookie = 0;
	struct binding *b;
	int ret;

	if (weak && argc == 4) {
		if (strncmp(argv[3], "callback=", 9) ||
		    parse_u64(argv[3] + 9, &cookie))
			return (void)fail(sc, cmd, -EINVAL);
		flags |= REFSTORE_WEAKREF_CALLBACK;
		argc--;
	}
	if (argc != 3)
		return (void)fail(sc, cmd, -EINVAL);
	h = handle_of(sc, cmd, argv[1]);
	if (!h || check_new(sc, cmd, argv[2]))
		return;
	b = lookup(sc, argv[1]);
	if (weak && b->weak)
		flags |= REFSTORE_WEAKREF_FROM_WEAK;
	if (!strcmp(cmd, "dup"))
		ret = rs_dup(sc->heap, h, &nh);
	else if (weak)
		ret = rs_weakref_ex(sc->heap, h, flags, cookie, &nh);
	else
		ret = rs_upgrade(sc->heap, h, &nh);
	if (ret)
		return (void)fail(sc, cmd, ret);
	bind(sc, argv[2], nh, !strcmp(cmd, "weak"));
	printf("%s = %s %s: handle %u\n", argv[2], cmd, argv[1], nh);
}

static void do_close(struct script *sc, int argc, char **argv)
{
	uint32_t h;
	int ret;

	if (argc != 2)
		return (void)fail(sc, "close", -EINVAL);
	h = handle_of(sc, "close", argv[1]);
	if (!h)
		return;
	ret = rs_close(sc->heap, h);
	if (ret)
		return (void)fail(sc, "close", ret);
	unbind(sc, argv[1]);
	printf("closed %s\n", argv[1]);
}

/* tagname TAG NAME: TAG_NAME, the name `top` and `graph` show for TAG. */
static void do_tagname(struct script *sc, int argc, char **argv,
		       const char *name)
{
	uint64_t tag;
	int ret;

	if (argc < 3 || cli_parse_u64(argv[1], &tag))
		return (void)fail(sc, "tagname", -EINVAL);
	ret = rs_tag_name(sc->heap, tag, name);
	if (ret)
		return (void)fail(sc, "tagname", ret);
	printf("tag %" PRIu64 " = \"%s\"\n", tag, name);
}

/* link NAME SLOT TARGET|none; wlink: the same, a weak slot. */
static void do_link(struct script *sc, int argc, char **argv)
{
	const char *cmd = argv[0];
	bool weak = !strcmp(cmd, "wlink");
	uint32_t h, slot, target = 0;
	int ret;

	if (argc != 4 || parse_u32(argv[2], &slot))
		return (void)fail(sc, cmd, -EINVAL);
	h = handle_of(sc, cmd, argv[1]);
	if (!h)
		return;
	if (strcmp(argv[3], "none")) {
		target = handle_of(sc, cmd, argv[3]);
		if (!target)
			return;
	}
	ret = weak ? rs_set_slot_weak(sc->heap, h, slot, target) :
	      rs_set_slot(sc->heap, h, slot, target);
	if (ret)
		return (void)fail(sc, cmd, ret);
	printf("%s[%u] = %s%s\n", argv[1], slot, weak ? "weak " : "", argv[3]);
}

/* weakcount NAME: weakref.getweakrefcount(). */
static void do_weakcount(struct script *sc, int argc, char **argv)
{
	uint64_t n, wh, ws;
	uint32_t h;
	int ret;

	if (argc != 2)
		return (void)fail(sc, "weakcount", -EINVAL);
	h = handle_of(sc, "weakcount", argv[1]);
	if (!h)
		return;
	ret = rs_weakref_count(sc->heap, h, &n, &wh, &ws);
	if (ret)
		return (void)fail(sc, "weakcount", ret);
	printf("getweakrefcount(%s) = %" PRIu64 " (%" PRIu64
	       " weak handles, %" PRIu64 " weak slots)\n", argv[1], n, wh, ws);
}

/* The script's name for handle @h, or NULL. */
static const char *name_of(struct script *sc, uint32_t h)
{
	unsigned int i;

	for (i = 0; i < sc->nnames; i++)
		if (sc->names[i].handle == h)
			return sc->names[i].name;
	return NULL;
}

/* weakrefs NAME: weakref.getweakrefs(), newest first, a page at a time. */
static void do_weakrefs(struct script *sc, int argc, char **argv)
{
	struct refstore_weakref_entry e[64];
	uint64_t pos = 0, total = 0;
	uint32_t h, n, i;
	const char *nm;
	int ret;

	if (argc != 2)
		return (void)fail(sc, "weakrefs", -EINVAL);
	h = handle_of(sc, "weakrefs", argv[1]);
	if (!h)
		return;
	do {
		ret = rs_weakrefs(sc->heap, h, pos, e, 64, &n, &total);
		if (ret)
			return (void)fail(sc, "weakrefs", ret);
		for (i = 0; i < n; i++) {
			if (e[i].entry_flags & REFSTORE_WEAKREF_ENTRY_SLOT) {
				printf("  weak slot %u of object id %" PRIu64 "\n",
				       e[i].slot, (uint64_t)e[i].owner_id);
				continue;
			}
			nm = name_of(sc, e[i].handle);
			printf("  weak handle %u%s%s%s", e[i].handle,
			       nm ? " (" : "", nm ? nm : "", nm ? ")" : "");
			if (e[i].entry_flags & REFSTORE_WEAKREF_ENTRY_CALLBACK)
				printf(" callback=%" PRIu64,
				       (uint64_t)e[i].cookie);
			printf("\n");
		}
		pos += n;
	} while (n);
	printf("getweakrefs(%s): %" PRIu64 " weak references\n", argv[1], total);
}

static void do_get(struct script *sc, int argc, char **argv)
{
	uint32_t h, slot, t, f;
	uint64_t id;
	int ret;

	if (argc != 4 || parse_u32(argv[2], &slot))
		return (void)fail(sc, "get", -EINVAL);
	h = handle_of(sc, "get", argv[1]);
	if (!h || check_new(sc, "get", argv[3]))
		return;
	ret = rs_get_slot_ex(sc->heap, h, slot, &t, &id, &f);
	if (ret)
		return (void)fail(sc, "get", ret);
	if (!t) {
		printf("%s[%u] is %s\n", argv[1], slot,
		       f & REFSTORE_SLOT_DEAD ? "dead (a weak slot whose target died)" :
		       "empty");
		return;
	}
	bind(sc, argv[3], t, 0);
	printf("%s = %s[%u]: handle %u (id %" PRIu64 ")\n", argv[3], argv[1],
	       slot, t, id);
}

/* write NAME OFF TEXT: @text is the rest of the line, as is. */
static void do_write(struct script *sc, int argc, char **argv,
		     const char *text)
{
	uint64_t off;
	uint32_t h;
	int ret;

	if (argc < 3 || parse_u64(argv[2], &off))
		return (void)fail(sc, "write", -EINVAL);
	h = handle_of(sc, "write", argv[1]);
	if (!h)
		return;
	ret = rs_write(sc->heap, h, off, text, strlen(text));
	if (ret)
		return (void)fail(sc, "write", ret);
	printf("wrote %zu bytes to %s at %" PRIu64 "\n", strlen(text),
	       argv[1], off);
}

static void do_read(struct script *sc, int argc, char **argv)
{
	unsigned char buf[MAX_RW];
	uint64_t off, len, i;
	uint32_t h;
	int ret;

	if (argc != 4 || parse_u64(argv[2], &off) || parse_u64(argv[3], &len) ||
	    len > sizeof(buf))
		return (void)fail(sc, "read", -EINVAL);
	h = handle_of(sc, "read", argv[1]);
	if (!h)
		return;
	ret = rs_read(sc->heap, h, off, buf, len);
	if (ret)
		return (void)fail(sc, "read", ret);
	printf("%s[%" PRIu64 ":%" PRIu64 "] = \"", argv[1], off, off + len);
	for (i = 0; i < len; i++) {
		if (buf[i] == '"' || buf[i] == '\\')
			printf("\\%c", buf[i]);
		else if (isprint(buf[i]))
			putchar(buf[i]);
		else if (!buf[i])
			printf("\\0");
		else
			printf("\\x%02x", buf[i]);
	}
	printf("\"\n");
}

static void do_info(struct script *sc, int argc, char **argv)
{
	struct refstore_info info;
	uint32_t h;
	int ret;

	if (argc != 2)
		return (void)fail(sc, "info", -EINVAL);
	h = handle_of(sc, "info", argv[1]);
	if (!h)
		return;
	ret = rs_info(sc->heap, h, &info);
	if (ret)
		return (void)fail(sc, "info", ret);
	print_info(argv[1], &info);
}

/* Drain the death-event queue without blocking (the heap is O_NONBLOCK). */
static void do_events(struct script *sc)
{
	struct refstore_event ev[64];
	unsigned int total = 0;
	ssize_t n, i;

	while ((n = rs_read_events(sc->heap, ev, 64)) > 0) {
		for (i = 0; i < n; i++)
			print_event(&ev[i]);
		total += n;
	}
	if (n < 0 && n != -EAGAIN)
		return (void)fail(sc, "events", n);
	if (!total)
		printf("no events\n");
}

static void do_heap(struct script *sc)
{
	struct refstore_heap_stats s;
	int ret = rs_heap_stats(sc->heap, &s);

	if (ret)
		return (void)fail(sc, "heap", ret);
	print_heap_stats(&s);
}

static void do_limits(struct script *sc)
{
	struct refstore_limits l;
	int ret = rs_get_limits(sc->heap, &l);

	if (ret)
		return (void)fail(sc, "limits", ret);
	print_limits(&l);
}

/* The module's global counters, from debugfs. */
static void do_stats(struct script *sc)
{
	int ret = print_file(RS_DEBUGFS_STATS);

	if (ret)
		fail(sc, "stats", ret);
}

/* collect [GEN]: gc.collect(GEN), 2 (full) by default. */
static void do_collect(struct script *sc, int argc, char **argv)
{
	uint32_t gen = 2;
	uint64_t n;
	int ret;

	if (argc > 2 || (argc == 2 && parse_u32(argv[1], &gen)))
		return (void)fail(sc, "collect", -EINVAL);
	ret = rs_gc_collect(sc->heap, gen, &n);
	if (ret)
		return (void)fail(sc, "collect", ret);
	printf("gc.collect(%u) = %" PRIu64 "\n", gen, n);
}


/* set_limits [objects=N] [bytes=N] [payload=N] [slots=N] [handles=N] [events=N] [raise] */
static void do_set_limits(struct script *sc, int argc, char **argv)
{
	struct refstore_limits l = { 0 };
	uint64_t v;
	int i;

	for (i = 1; i < argc; i++) {
		char *eq = strchr(argv[i], '=');

		if (!strcmp(argv[i], "raise")) {
			l.flags |= REFSTORE_LIMITS_RAISE;
			continue;
		}
		if (!eq || parse_u64(eq + 1, &v))
			return (void)fail(sc, "set_limits", -EINVAL);
		*eq = 0;
		if (!strcmp(argv[i], "objects"))
			l.max_objects = v;
		else if (!strcmp(argv[i], "bytes"))
			l.max_bytes = v;
		else if (!strcmp(argv[i], "payload") && v <= UINT32_MAX)
			l.max_payload = v;
		else if (!strcmp(argv[i], "slots") && v <= UINT32_MAX)
			l.max_slots = v;
		else if (!strcmp(argv[i], "handles") && v <= UINT32_MAX)
			l.max_handles = v;
		else if (!strcmp(argv[i], "events") && v <= UINT32_MAX)
			l.max_events = v;
		else
			return (void)fail(sc, "set_limits", -EINVAL);
	}
	i = rs_set_limits(sc->heap, &l);
	if (i)
		return (void)fail(sc, "set_limits", i);
	do_limits(sc);
}

static void do_version(struct script *sc)
{
	uint64_t features;
	uint32_t version;
	int ret = rs_version(sc->heap, &version, &features);

	if (ret)
		return (void)fail(sc, "version", ret);
	printf("version %u features %#" PRIx64 "\n", version, features);
}

/* The GC_* commands taking or giving one struct refstore_gc_value. */
static const struct {
	const char *name;
	unsigned long cmd;
	int takes;	/* 1: one value in (a number, or debug flag names) */
	const char *shows;	/* printf format of the value out, or NULL */
} gc_values[] = {
	{ "enable", REFSTORE_IOC_GC_ENABLE, 0, NULL },
	{ "disable", REFSTORE_IOC_GC_DISABLE, 0, NULL },
	{ "isenabled", REFSTORE_IOC_GC_ISENABLED, 0, "gc.isenabled() = %" PRIu64 "\n" },
	{ "freeze", REFSTORE_IOC_GC_FREEZE, 0, NULL },
	{ "unfreeze", REFSTORE_IOC_GC_UNFREEZE, 0, NULL },
	{ "freeze_count", REFSTORE_IOC_GC_GET_FREEZE_COUNT, 0,
	  "gc.get_freeze_count() = %" PRIu64 "\n" },
	{ "set_debug", REFSTORE_IOC_GC_SET_DEBUG, 1, NULL },
	{ "get_debug", REFSTORE_IOC_GC_GET_DEBUG, 0, "gc.get_debug() = %#" PRIx64 "\n" },
	{ "clear_garbage", REFSTORE_IOC_GC_CLEAR_GARBAGE, 0, NULL },
	{ "set_delay", REFSTORE_IOC_GC_SET_DELAY, 1, NULL },
	{ "get_delay", REFSTORE_IOC_GC_GET_DELAY, 0, "delay = %" PRIu64 " ms\n" },
};

#define N_GC_VALUES (sizeof(gc_values) / sizeof(gc_values[0]))

static void do_gc_value(struct script *sc, unsigned int k, int argc,
			char **argv)
{
	uint64_t in = 0, out;
	int ret;

	if (argc != 1 + gc_values[k].takes)
		return (void)fail(sc, gc_values[k].name, -EINVAL);
	if (gc_values[k].takes &&
	    (k == 6 ? cli_parse_gc_debug(argv[1], &in) : parse_u64(argv[1], &in)))
		return (void)fail(sc, gc_values[k].name, -EINVAL);
	ret = rs_gc_value(sc->heap, gc_values[k].cmd, in, &out);
	if (ret)
		return (void)fail(sc, gc_values[k].name, ret);
	if (gc_values[k].shows)
		printf(gc_values[k].shows, out);
	else if (gc_values[k].takes)
		printf("gc.%s(%s)\n", gc_values[k].name, argv[1]);
	else
		printf("gc.%s()\n", gc_values[k].name);
}

/* threshold: gc.get_threshold(); threshold T0 [T1 [T2]]: set, then get. */
static void do_threshold(struct script *sc, int argc, char **argv)
{
	uint32_t t[REFSTORE_GC_GENERATIONS];
	int i, ret;

	if (argc > 1 + REFSTORE_GC_GENERATIONS)
		return (void)fail(sc, "threshold", -EINVAL);
	ret = rs_gc_get_threshold(sc->heap, t);
	if (ret)
		return (void)fail(sc, "threshold", ret);
	for (i = 1; i < argc; i++)
		if (parse_u32(argv[i], &t[i - 1]))
			return (void)fail(sc, "threshold", -EINVAL);
	if (argc > 1) {
		ret = rs_gc_set_threshold(sc->heap, t[0], t[1], t[2]);
		if (ret)
			return (void)fail(sc, "threshold", ret);
	}
	printf("gc.get_threshold() = (%u, %u, %u)\n", t[0], t[1], t[2]);
}

static void do_count(struct script *sc)
{
	int64_t c[REFSTORE_GC_GENERATIONS];
	int ret = rs_gc_get_count(sc->heap, c);

	if (ret)
		return (void)fail(sc, "count", ret);
	printf("gc.get_count() = (%" PRId64 ", %" PRId64 ", %" PRId64 ")\n",
	       c[0], c[1], c[2]);
}

static void do_gcstats(struct script *sc)
{
	struct refstore_gc_stats st;
	int i, ret = rs_gc_get_stats(sc->heap, &st);

	if (ret)
		return (void)fail(sc, "gcstats", ret);
	printf("gc.get_stats() = [");
	for (i = 0; i < REFSTORE_GC_GENERATIONS; i++)
		printf("%s{'collections': %llu, 'collected': %llu, 'uncollectable': %llu}",
		       i ? ", " : "", (unsigned long long)st.gen[i].collections,
		       (unsigned long long)st.gen[i].collected,
		       (unsigned long long)st.gen[i].uncollectable);
	printf("] garbage=%llu\n", (unsigned long long)st.garbage);
}

/* garbage: len(gc.garbage); garbage NAME: NAME0, NAME1... bound to its objects. */
static void do_garbage(struct script *sc, int argc, char **argv)
{
	uint32_t handles[64], count, i;
	uint64_t total;
	char name[MAX_NAME_LEN + 1];
	int ret;

	if (argc > 2 || (argc == 2 && strlen(argv[1]) > MAX_NAME_LEN - 3))
		return (void)fail(sc, "garbage", -EINVAL);
	ret = rs_gc_garbage(sc->heap, argc == 2 ? handles : NULL,
			    argc == 2 ? 64 : 0, &count, &total);
	if (ret)
		return (void)fail(sc, "garbage", ret);
	printf("len(gc.garbage) = %" PRIu64 "\n", total);
	for (i = 0; argc == 2 && i < count; i++) {
		snprintf(name, sizeof(name), "%s%u", argv[1], i);
		if (check_new(sc, "garbage", name)) {
			rs_close(sc->heap, handles[i]);
			continue;
		}
		bind(sc, name, handles[i], 0);
		printf("%s = gc.garbage[%u]: handle %u\n", name, i, handles[i]);
	}
}

/* The collector verbs, as "VERB ..." or "gc VERB ...". */
static int run_gc(struct script *sc, int argc, char **argv)
{
	const char *cmd = argv[0];
	unsigned int k;

	if (!strcmp(cmd, "collect"))
		do_collect(sc, argc, argv);
	else if (!strcmp(cmd, "threshold"))
		do_threshold(sc, argc, argv);
	else if (!strcmp(cmd, "count"))
		do_count(sc);
	else if (!strcmp(cmd, "gcstats") || !strcmp(cmd, "stats"))
		do_gcstats(sc);
	else if (!strcmp(cmd, "garbage"))
		do_garbage(sc, argc, argv);
	else if (!strcmp(cmd, "debug"))
		do_gc_value(sc, argc > 1 ? 6 : 7, argc, argv);
	else if (!strcmp(cmd, "delay"))
		do_gc_value(sc, argc > 1 ? 9 : 10, argc, argv);
	else {
		for (k = 0; k < N_GC_VALUES; k++)
			if (!strcmp(cmd, gc_values[k].name))
				break;
		if (k == N_GC_VALUES)
			return -1;
		do_gc_value(sc, k, argc, argv);
	}
	return 0;
}

/* Skip spaces; return the rest of the line after @n words (for TEXT). */
static const char *after_words(const char *s, int n)
{
	while (isspace((unsigned char)*s))
		s++;
	while (n-- > 0) {
		while (*s && !isspace((unsigned char)*s))
			s++;
		if (*s)
			s++;	/* exactly one separator: TEXT keeps its spaces */
		if (n > 0)
			while (isspace((unsigned char)*s))
				s++;
	}
	return s;
}

/* Runs one command: @argv[0] is its name, @line the whole line (for TEXT). */
static void run_cmd(struct script *sc, int argc, char **argv,
		    const char *line, int skip)
{
	const char *cmd = argv[0];

	if (!strcmp(cmd, "create"))
		do_create(sc, argc, argv);
	else if (!strcmp(cmd, "dup") || !strcmp(cmd, "weak") ||
		 !strcmp(cmd, "upgrade"))
		do_derive(sc, argc, argv);
	else if (!strcmp(cmd, "close"))
		do_close(sc, argc, argv);
	else if (!strcmp(cmd, "link") || !strcmp(cmd, "wlink"))
		do_link(sc, argc, argv);
	else if (!strcmp(cmd, "weakcount"))
		do_weakcount(sc, argc, argv);
	else if (!strcmp(cmd, "weakrefs"))
		do_weakrefs(sc, argc, argv);
	else if (!strcmp(cmd, "get"))
		do_get(sc, argc, argv);
	else if (!strcmp(cmd, "write"))
		do_write(sc, argc, argv, after_words(line, skip + 3));
	else if (!strcmp(cmd, "read"))
		do_read(sc, argc, argv);
	else if (!strcmp(cmd, "info"))
		do_info(sc, argc, argv);
	else if (!strcmp(cmd, "events"))
		do_events(sc);
	else if (!strcmp(cmd, "heap"))
		do_heap(sc);
	else if (!strcmp(cmd, "limits"))
		do_limits(sc);
	else if (!strcmp(cmd, "set_limits"))
		do_set_limits(sc, argc, argv);
	else if (!strcmp(cmd, "stats"))
		do_stats(sc);
	else if (!strcmp(cmd, "version"))
		do_version(sc);
	else if (!strcmp(cmd, "gc") && argc > 1 && run_gc(sc, argc - 1, argv + 1) == 0)
		;
	else if (strcmp(cmd, "gc") && run_gc(sc, argc, argv) == 0)
		;
	else if (!strcmp(cmd, "echo"))
		printf("%s\n", after_words(line, skip + 1));
	else if (!strcmp(cmd, "tagname"))
		do_tagname(sc, argc, argv, after_words(line, skip + 2));
	else {
		fflush(stdout);
		fprintf(stderr, "line %u: %s: EINVAL (unknown command)\n",
			sc->line, cmd);
		sc->errors++;
	}
}

static void run_line(struct script *sc, char *line)
{
	char copy[1024], *argv[MAX_ARGS], *tok, *save;
	int argc = 0, skip = 0, err;

	line[strcspn(line, "\r\n")] = 0;
	snprintf(copy, sizeof(copy), "%s", line);
	for (tok = strtok_r(copy, " \t", &save); tok && argc < MAX_ARGS;
	     tok = strtok_r(NULL, " \t", &save))
		argv[argc++] = tok;
	if (!argc || argv[0][0] == '#')
		return;
	sc->expect = 0;
	sc->expect_met = 0;
	if (!strcmp(argv[0], "!")) {
		sc->expect = -1;
		skip = 1;
	} else if (!strcmp(argv[0], "expect") && argc > 1) {
		for (err = 1; err < 4096; err++)
			if (!strcmp(argv[1], rs_errno_name(err)))
				break;
		if (err == 4096) {
			fflush(stdout);
			fprintf(stderr, "line %u: expect: EINVAL (unknown errno name '%s')\n",
				sc->line, argv[1]);
			sc->errors++;
			return;
		}
		sc->expect = err;
		skip = 2;
	}
	if (argc <= skip) {
		fflush(stdout);
		fprintf(stderr, "line %u: EINVAL (no command after '%s')\n",
			sc->line, argv[0]);
		sc->errors++;
		return;
	}
	run_cmd(sc, argc - skip, argv + skip, line, skip);
	if (sc->expect && !sc->expect_met) {
		fflush(stdout);
		fprintf(stderr, "line %u: %s: expected %s, but it succeeded\n",
			sc->line, argv[skip],
			sc->expect == -1 ? "a failure" : rs_errno_name(sc->expect));
		sc->errors++;
	}
	sc->expect = 0;
}

int cmd_run(int argc, char **argv)
{
	static struct script sc;
	char line[1024];
	FILE *in = stdin;
	int st;

	cli_getopt_reset();
	if (cli_getopt(argc, argv, "", NULL, &st) != -1)
		return st;
	if (cli.json)
		return cli_usage(argv[0], "no JSON output: %s prints text",
				 argv[0]);
	if (argc - optind > 1)
		return cli_usage(argv[0], "one script at most");
	if (optind < argc && strcmp(argv[optind], "-")) {
		in = fopen(argv[optind], "re");
		if (!in)
			return cli_fail("%s: %s", argv[optind], strerror(errno));
	}
	sc.heap = cli_open_heap(O_NONBLOCK);
	if (sc.heap < 0)
		return CLI_FAIL;
	while (fgets(line, sizeof(line), in)) {
		sc.line++;
		run_line(&sc, line);
		/* Each line's output when it ran, even into a pipe or file. */
		fflush(stdout);
	}
	fflush(stdout);
	close(sc.heap);
	if (in != stdin)
		fclose(in);
	return sc.errors ? 1 : 0;
}
