// SPDX-License-Identifier: GPL-2.0
/*
 * refstore gc SUBCOMMAND [--heap ID]: the collector's controls, named as
 * Python's gc module.  Without --heap they act on the CLI's own heap
 * through the ioctls (a fresh heap: useful to read the defaults, and the
 * same verbs work inside `refstore run` scripts on the script's heap).
 * With --heap ID (root) they act on another process's heap through
 * debugfs: `collect` writes "collect=ID" to the control file; `enable`,
 * `disable`, `threshold T0 T1 T2`, `debug FLAGS`, `freeze` and `unfreeze`
 * write their verb to heaps/ID/control and read the result back from
 * heaps/ID/gc, which `stats` prints; `garbage` reads heaps/ID/garbage.
 * `enable|disable --all` switch automatic collection for every heap
 * ("gc=on|off").  Only `delay` has no debugfs control: it is its heap's
 * owner's alone.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

struct gc_args {
	const char *heap;	/* --heap ID, or NULL */
	uint64_t heap_id;
	bool all;		/* --all */
	int argc;		/* the verb's own arguments */
	char **argv;
};

static const char gc_usage_verbs[] =
	"collect [GEN] | enable [--all] | disable [--all] | threshold [T0 [T1 [T2]]] | "
	"debug [stats,saveall|N] | delay [MS] | freeze | unfreeze | garbage | stats";

static int gc_usage(const char *fmt, const char *arg)
{
	fflush(stdout);
	if (fmt) {
		fprintf(stderr, "%s gc: ", cli.prog);
		fprintf(stderr, fmt, arg);
		fputc('\n', stderr);
	}
	fprintf(stderr, "usage: %s gc VERB [--heap ID] [-j] [-p]\n  VERB: %s\n",
		cli.prog, gc_usage_verbs);
	return CLI_USAGE;
}

static int gc_no_heap(const char *verb)
{
	return cli_fail("gc %s: debugfs has no '%s' for other heaps (--heap) or all "
			"of them (--all): run it in the heap's own process "
			"(REFSTORE_IOC_GC_*)", verb, verb);
}

static int gc_no_all(const char *verb)
{
	return cli_fail("gc %s --all: '%s' is per heap: name one with --heap ID",
			verb, verb);
}

/* Writes @verb to heaps/ID/control: 0, or a -errno already reported. */
static int heap_control(const struct gc_args *a, const char *verb)
{
	char path[256];
	FILE *f;
	int ret = 0;

	snprintf(path, sizeof(path), "%s/heaps/%" PRIu64 "/control", RS_DEBUGFS,
		 a->heap_id);
	f = fopen(path, "we");
	if (!f) {
		ret = -errno;
		if (ret == -ENOENT && !access(RS_DEBUGFS "/heaps", F_OK))
			cli_fail("no heap %" PRIu64 ": list heaps with: %s heaps",
				 a->heap_id, cli.prog);
		else
			cli_fail_errno(path, ret);
		return ret;
	}
	if (fputs(verb, f) < 0 || fflush(f))
		ret = -errno;
	if (fclose(f) && !ret)
		ret = -errno;
	if (ret == -EINVAL)
		cli_fail("gc --heap %" PRIu64 ": '%s' refused (EINVAL): thresholds are "
			 "0..1000000, debug flags the REFSTORE_GC_DEBUG_* bits",
			 a->heap_id, verb);
	else if (ret)
		cli_fail_errno(path, ret);
	return ret;
}

/* The value of "@key: " in heaps/ID/gc, into @val; 0 or CLI_FAIL. */
static int heap_gc_value(const struct gc_args *a, const char *key, char *val,
			 size_t len)
{
	char rel[64], line[256];
	size_t klen = strlen(key);
	FILE *f;

	snprintf(rel, sizeof(rel), "heaps/%" PRIu64 "/gc", a->heap_id);
	if (!access(RS_DEBUGFS "/heaps", F_OK)) {
		snprintf(line, sizeof(line), "%s/%s", RS_DEBUGFS, rel);
		if (access(line, F_OK) && errno == ENOENT)
			return cli_fail("no heap %" PRIu64 ": list heaps with: %s heaps",
					a->heap_id, cli.prog);
	}
	f = cli_debugfs_open(rel, "re");
	if (!f)
		return CLI_FAIL;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, klen) || strncmp(line + klen, ": ", 2))
			continue;
		line[strcspn(line, "\n")] = 0;
		snprintf(val, len, "%s", line + klen + 2);
		fclose(f);
		return 0;
	}
	fclose(f);
	return cli_fail("%s/%s: no '%s' line", RS_DEBUGFS, rel, key);
}

/* Writes @verb to debugfs' control file. */
static int gc_control(const char *verb)
{
	FILE *f = cli_debugfs_open("control", "we");
	int ret = 0;

	if (!f)
		return CLI_FAIL;
	if (fputs(verb, f) < 0 || fflush(f))
		ret = -errno;
	if (fclose(f) && !ret)
		ret = -errno;
	if (ret == -ENOENT)
		return cli_fail("no heap %s: list heaps with: %s heaps",
				verb + strlen("collect="), cli.prog);
	if (ret)
		return cli_fail_errno(RS_DEBUGFS "/control", ret);
	return CLI_OK;
}

static void print_ok(const char *what)
{
	if (cli.json) {
		json_obj_open(NULL);
		json_str("done", what);
		json_obj_close();
		json_end();
	} else {
		printf("%s\n", what);
	}
}

static int gc_collect(int heap, struct gc_args *a)
{
	uint32_t gen = 2;
	uint64_t n;
	char verb[64];
	int ret;

	if (a->argc > 1 || (a->argc == 1 && (cli_parse_u32(a->argv[0], &gen) || gen > 2)))
		return gc_usage("collect wants a generation 0, 1 or 2, not '%s'",
				a->argv[0]);
	if (a->all || a->heap) {
		if (gen != 2)
			return cli_fail("gc collect --heap: debugfs collects whole heaps "
					"(generation 2) only");
		if (a->all)
			snprintf(verb, sizeof(verb), "collect");
		else
			snprintf(verb, sizeof(verb), "collect=%" PRIu64, a->heap_id);
		ret = gc_control(verb);
		if (!ret)
			print_ok(verb);
		return ret;
	}
	ret = rs_gc_collect(heap, gen, &n);
	if (ret)
		return cli_fail_errno("REFSTORE_IOC_GC_COLLECT", ret);
	if (cli.json) {
		json_obj_open(NULL);
		json_u64("generation", gen);
		json_u64("unreachable", n);
		json_obj_close();
		json_end();
	} else {
		printf("gc.collect(%u) = %" PRIu64 "\n", gen, n);
	}
	return CLI_OK;
}

static int gc_onoff(int heap, struct gc_args *a, bool on)
{
	const char *verb = on ? "enable" : "disable";
	int ret;

	if (a->argc)
		return gc_usage("%s takes no argument", verb);
	if (a->heap) {
		if (heap_control(a, verb))
			return CLI_FAIL;
		print_ok(on ? "gc.enable()" : "gc.disable()");
		return CLI_OK;
	}
	if (a->all) {
		ret = gc_control(on ? "gc=on" : "gc=off");
		if (!ret)
			print_ok(on ? "gc=on" : "gc=off");
		return ret;
	}
	ret = rs_gc_value(heap, on ? REFSTORE_IOC_GC_ENABLE : REFSTORE_IOC_GC_DISABLE,
			  0, NULL);
	if (ret)
		return cli_fail_errno(on ? "REFSTORE_IOC_GC_ENABLE" :
				      "REFSTORE_IOC_GC_DISABLE", ret);
	print_ok(on ? "gc.enable()" : "gc.disable()");
	return CLI_OK;
}

static int gc_threshold(int heap, struct gc_args *a)
{
	uint32_t t[REFSTORE_GC_GENERATIONS];
	int i, ret;

	char val[64], verb[64];

	if (a->all)
		return gc_no_all("threshold");
	if (a->argc > REFSTORE_GC_GENERATIONS)
		return gc_usage("threshold takes at most 3 values%s", "");
	if (a->heap) {
		if (heap_gc_value(a, "threshold", val, sizeof(val)))
			return CLI_FAIL;
		if (sscanf(val, "%u %u %u", &t[0], &t[1], &t[2]) != 3)
			return cli_fail("heaps/%" PRIu64 "/gc: bad threshold '%s'",
					a->heap_id, val);
	} else {
		ret = rs_gc_get_threshold(heap, t);
		if (ret)
			return cli_fail_errno("REFSTORE_IOC_GC_GET_THRESHOLD", ret);
	}
	for (i = 0; i < a->argc; i++)
		if (cli_parse_u32(a->argv[i], &t[i]))
			return gc_usage("threshold: '%s' is not a number", a->argv[i]);
	if (a->argc && a->heap) {
		snprintf(verb, sizeof(verb), "threshold %u %u %u", t[0], t[1], t[2]);
		if (heap_control(a, verb))
			return CLI_FAIL;
	} else if (a->argc) {
		ret = rs_gc_set_threshold(heap, t[0], t[1], t[2]);
		if (ret == -EINVAL)
			return cli_fail("gc threshold: a threshold above 1000000 is refused (EINVAL)");
		if (ret)
			return cli_fail_errno("REFSTORE_IOC_GC_SET_THRESHOLD", ret);
	}
	if (cli.json) {
		json_arr_open(NULL);
		for (i = 0; i < REFSTORE_GC_GENERATIONS; i++)
			json_u64(NULL, t[i]);
		json_arr_close();
		json_end();
	} else {
		printf("threshold: %u %u %u\n", t[0], t[1], t[2]);
	}
	return CLI_OK;
}

/* "stats,saveall", "saveall", "0x2", "0": the REFSTORE_GC_DEBUG_* bits. */
int cli_parse_gc_debug(const char *s, uint64_t *flags)
{
	char buf[64], *tok, *save;

	if (!cli_parse_u64(s, flags))
		return 0;
	snprintf(buf, sizeof(buf), "%s", s);
	*flags = 0;
	for (tok = strtok_r(buf, ",|", &save); tok; tok = strtok_r(NULL, ",|", &save)) {
		if (!strcasecmp(tok, "stats") || !strcasecmp(tok, "DEBUG_STATS"))
			*flags |= REFSTORE_GC_DEBUG_STATS;
		else if (!strcasecmp(tok, "saveall") || !strcasecmp(tok, "DEBUG_SAVEALL"))
			*flags |= REFSTORE_GC_DEBUG_SAVEALL;
		else if (!strcasecmp(tok, "collectable") || !strcasecmp(tok, "DEBUG_COLLECTABLE"))
			*flags |= REFSTORE_GC_DEBUG_COLLECTABLE;
		else if (!strcasecmp(tok, "uncollectable") ||
			 !strcasecmp(tok, "DEBUG_UNCOLLECTABLE"))
			*flags |= REFSTORE_GC_DEBUG_UNCOLLECTABLE;
		else if (!strcasecmp(tok, "leak") || !strcasecmp(tok, "DEBUG_LEAK"))
			*flags |= REFSTORE_GC_DEBUG_LEAK;
		else if (!strcasecmp(tok, "callbacks"))
			*flags |= REFSTORE_GC_DEBUG_CALLBACKS;
		else
			return -EINVAL;
	}
	return 0;
}

static int gc_get_set(int heap, struct gc_args *a, const char *verb,
		      unsigned long set, unsigned long get)
{
	bool debug = !strcmp(verb, "debug");
	char val[64];
	uint64_t v;
	int ret;

	if (a->all && debug)
		return gc_no_all(verb);
	if ((a->heap && !debug) || a->all)
		return gc_no_heap(verb);
	if (a->argc > 1)
		return gc_usage("%s takes at most one value", verb);
	if (a->argc) {
		if (debug ? cli_parse_gc_debug(a->argv[0], &v) :
		    cli_parse_u64(a->argv[0], &v))
			return gc_usage("not a valid value: '%s'", a->argv[0]);
	}
	if (a->heap) {
		if (a->argc) {
			snprintf(val, sizeof(val), "debug %#" PRIx64, v);
			if (heap_control(a, val))
				return CLI_FAIL;
		}
		if (heap_gc_value(a, "debug", val, sizeof(val)))
			return CLI_FAIL;
		v = strtoull(val, NULL, 0);
		goto print;
	}
	if (a->argc) {
		ret = rs_gc_value(heap, set, v, NULL);
		if (ret == -EINVAL)
			return cli_fail("gc %s %s: refused (EINVAL): %s", verb, a->argv[0],
					!strcmp(verb, "debug") ?
					"known flags: stats (1), saveall (2), collectable (4), "
					"uncollectable (8), callbacks (16), leak (collectable,"
					"uncollectable,saveall)" :
					"the delay is 0..60000 ms");
		if (ret)
			return cli_fail_errno(verb, ret);
	}
	ret = rs_gc_value(heap, get, 0, &v);
	if (ret)
		return cli_fail_errno(verb, ret);
print:
	if (cli.json) {
		json_obj_open(NULL);
		json_u64(strcmp(verb, "debug") ? "delay_ms" : "debug", v);
		json_obj_close();
		json_end();
	} else if (!strcmp(verb, "debug")) {
		printf("debug: %#" PRIx64 "%s%s\n", v,
		       v & REFSTORE_GC_DEBUG_STATS ? " stats" : "",
		       v & REFSTORE_GC_DEBUG_SAVEALL ? " saveall" : "");
	} else {
		printf("delay: %" PRIu64 " ms\n", v);
	}
	return CLI_OK;
}

static int gc_freeze(int heap, struct gc_args *a, bool freeze)
{
	const char *verb = freeze ? "freeze" : "unfreeze";
	char val[64];
	uint64_t n;
	int ret;

	if (a->all)
		return gc_no_all(verb);
	if (a->argc)
		return gc_usage("%s takes no argument", verb);
	if (a->heap) {
		if (heap_control(a, verb) ||
		    heap_gc_value(a, "frozen", val, sizeof(val)))
			return CLI_FAIL;
		n = strtoull(val, NULL, 10);
	} else {
		ret = rs_gc_value(heap, freeze ? REFSTORE_IOC_GC_FREEZE :
				  REFSTORE_IOC_GC_UNFREEZE, 0, NULL);
		if (!ret)
			ret = rs_gc_value(heap, REFSTORE_IOC_GC_GET_FREEZE_COUNT, 0, &n);
		if (ret)
			return cli_fail_errno(verb, ret);
	}
	if (cli.json) {
		json_obj_open(NULL);
		json_u64("freeze_count", n);
		json_obj_close();
		json_end();
	} else {
		printf("gc.%s(); gc.get_freeze_count() = %" PRIu64 "\n", verb, n);
	}
	return CLI_OK;
}

static int gc_garbage(int heap, struct gc_args *a)
{
	char rel[64], line[64];
	uint64_t total;
	uint32_t count;
	FILE *f;
	int ret;

	if (a->argc)
		return gc_usage("garbage takes no argument%s", "");
	if (a->all)
		return gc_no_heap("garbage");
	if (a->heap) {
		snprintf(rel, sizeof(rel), "heaps/%" PRIu64 "/garbage", a->heap_id);
		f = cli_debugfs_open(rel, "re");
		if (!f)
			return CLI_FAIL;
		if (cli.json)
			json_arr_open(NULL);
		while (fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\n")] = 0;
			if (cli.json)
				json_keyval(NULL, line);
			else
				printf("%s\n", line);
		}
		fclose(f);
		if (cli.json) {
			json_arr_close();
			json_end();
		}
		return CLI_OK;
	}
	ret = rs_gc_garbage(heap, NULL, 0, &count, &total);
	if (ret)
		return cli_fail_errno("REFSTORE_IOC_GC_GARBAGE", ret);
	if (cli.json) {
		json_obj_open(NULL);
		json_u64("garbage", total);
		json_obj_close();
		json_end();
	} else {
		printf("len(gc.garbage) = %" PRIu64 "\n", total);
	}
	return CLI_OK;
}

static int gc_stats(int heap, struct gc_args *a)
{
	struct refstore_gc_stats s;
	uint32_t t[REFSTORE_GC_GENERATIONS];
	int64_t count[REFSTORE_GC_GENERATIONS];
	uint64_t enabled, frozen, debug, delay;
	char rel[64];
	int i, ret;

	if (a->argc)
		return gc_usage("stats takes no argument%s", "");
	if (a->all)
		return cli_print_keyval_file("gc");
	if (a->heap) {
		snprintf(rel, sizeof(rel), "heaps/%" PRIu64 "/gc", a->heap_id);
		return cli_print_keyval_file(rel);
	}
	ret = rs_gc_get_stats(heap, &s);
	if (!ret)
		ret = rs_gc_get_threshold(heap, t);
	if (!ret)
		ret = rs_gc_get_count(heap, count);
	if (!ret)
		ret = rs_gc_value(heap, REFSTORE_IOC_GC_ISENABLED, 0, &enabled);
	if (!ret)
		ret = rs_gc_value(heap, REFSTORE_IOC_GC_GET_FREEZE_COUNT, 0, &frozen);
	if (!ret)
		ret = rs_gc_value(heap, REFSTORE_IOC_GC_GET_DEBUG, 0, &debug);
	if (!ret)
		ret = rs_gc_value(heap, REFSTORE_IOC_GC_GET_DELAY, 0, &delay);
	if (ret)
		return cli_fail_errno("REFSTORE_IOC_GC_*", ret);
	if (cli.json) {
		json_obj_open(NULL);
		json_bool("enabled", enabled);
		json_u64("debug", debug);
		json_u64("delay_ms", delay);
		json_arr_open("threshold");
		for (i = 0; i < REFSTORE_GC_GENERATIONS; i++)
			json_u64(NULL, t[i]);
		json_arr_close();
		json_arr_open("count");
		for (i = 0; i < REFSTORE_GC_GENERATIONS; i++)
			json_s64(NULL, count[i]);
		json_arr_close();
		json_u64("freeze_count", frozen);
		json_u64("garbage", s.garbage);
		json_arr_open("stats");
		for (i = 0; i < REFSTORE_GC_GENERATIONS; i++) {
			json_obj_open(NULL);
			json_u64("collections", s.gen[i].collections);
			json_u64("collected", s.gen[i].collected);
			json_u64("uncollectable", s.gen[i].uncollectable);
			json_obj_close();
		}
		json_arr_close();
		json_u64("examined", s.examined);
		json_u64("automatic", s.automatic);
		json_u64("pause_total_ns", s.pause_total_ns);
		json_u64("pause_max_ns", s.pause_max_ns);
		json_obj_close();
		json_end();
		return CLI_OK;
	}
	printf("enabled: %s\ndebug: %#" PRIx64 "\ndelay_ms: %" PRIu64 "\n"
	       "threshold: %u %u %u\ncount: %" PRId64 " %" PRId64 " %" PRId64 "\n"
	       "freeze_count: %" PRIu64 "\ngarbage: %" PRIu64 "\nstats: [",
	       enabled ? "yes" : "no", debug, delay, t[0], t[1], t[2],
	       count[0], count[1], count[2], frozen, (uint64_t)s.garbage);
	for (i = 0; i < REFSTORE_GC_GENERATIONS; i++)
		printf("%s{'collections': %llu, 'collected': %llu, 'uncollectable': %llu}",
		       i ? ", " : "", (unsigned long long)s.gen[i].collections,
		       (unsigned long long)s.gen[i].collected,
		       (unsigned long long)s.gen[i].uncollectable);
	printf("]\nexamined: %llu\nautomatic: %llu\npause_total_ns: %llu\n"
	       "pause_max_ns: %llu\n", (unsigned long long)s.examined,
	       (unsigned long long)s.automatic,
	       (unsigned long long)s.pause_total_ns,
	       (unsigned long long)s.pause_max_ns);
	return CLI_OK;
}

static const struct option gc_longopts[] = {
	{ "heap", required_argument, NULL, 'H' },
	{ "all", no_argument, NULL, 'a' },
	{ NULL, 0, NULL, 0 },
};

static const char *const gc_verbs[] = {
	"collect", "enable", "disable", "threshold", "debug", "delay", "freeze",
	"unfreeze", "garbage", "stats", NULL,
};

int cmd_gc(int argc, char **argv)
{
	struct gc_args a = { 0 };
	const char *verb;
	int c, st, heap = -1, ret;
	unsigned int i;

	cli_getopt_reset();
	while ((c = cli_getopt(argc, argv, "", gc_longopts, &st)) != -1) {
		if (c == '?') {
			if (st == CLI_OK)
				printf("  VERB: %s\n", gc_usage_verbs);
			return st;
		}
		if (c == 'a')
			a.all = true;
		else
			a.heap = optarg;
	}
	if (optind >= argc)
		return gc_usage("no VERB given%s", "");
	verb = argv[optind];
	a.argc = argc - optind - 1;
	a.argv = argv + optind + 1;
	for (i = 0; gc_verbs[i]; i++)
		if (!strcmp(verb, gc_verbs[i]))
			break;
	if (!gc_verbs[i])
		return gc_usage("unknown VERB '%s'", verb);
	if (a.heap && cli_parse_u64(a.heap, &a.heap_id))
		return gc_usage("--heap wants a heap id (see: refstore heaps), not '%s'",
				a.heap);
	if (a.heap && a.all)
		return gc_usage("--heap and --all exclude each other%s", "");
	if (!a.heap && !a.all) {
		heap = cli_open_heap(0);
		if (heap < 0)
			return CLI_FAIL;
	}
	if (!strcmp(verb, "collect"))
		ret = gc_collect(heap, &a);
	else if (!strcmp(verb, "enable") || !strcmp(verb, "disable"))
		ret = gc_onoff(heap, &a, !strcmp(verb, "enable"));
	else if (!strcmp(verb, "threshold"))
		ret = gc_threshold(heap, &a);
	else if (!strcmp(verb, "debug"))
		ret = gc_get_set(heap, &a, "debug", REFSTORE_IOC_GC_SET_DEBUG,
				 REFSTORE_IOC_GC_GET_DEBUG);
	else if (!strcmp(verb, "delay"))
		ret = gc_get_set(heap, &a, "delay", REFSTORE_IOC_GC_SET_DELAY,
				 REFSTORE_IOC_GC_GET_DELAY);
	else if (!strcmp(verb, "freeze") || !strcmp(verb, "unfreeze"))
		ret = gc_freeze(heap, &a, !strcmp(verb, "freeze"));
	else if (!strcmp(verb, "garbage"))
		ret = gc_garbage(heap, &a);
	else
		ret = gc_stats(heap, &a);
	if (heap >= 0)
		close(heap);
	return ret;
}
