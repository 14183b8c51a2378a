// SPDX-License-Identifier: GPL-2.0
/*
 * refstore heaps --all, refstore stats [--heap ID]: the module's debugfs
 * counters (root only), as text or JSON; plain `heaps` reads fdinfo.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* "key: value" lines to stdout as they are, or as one JSON object. */
static void keyval_print(const char *key, const char *val, void *ctx)
{
	if (cli.json)
		json_keyval(key, val);
	else
		printf("%s: %s\n", key, val);
}

/* Prints debugfs file @rel; CLI_OK or CLI_FAIL after the message. */
int cli_print_keyval_file(const char *rel)
{
	FILE *f = cli_debugfs_open(rel, "re");
	int ret;

	if (!f)
		return CLI_FAIL;
	if (cli.json)
		json_obj_open(NULL);
	ret = cli_keyval_each(f, keyval_print, NULL);
	fclose(f);
	if (cli.json) {
		json_obj_close();
		json_end();
	}
	if (ret)
		return cli_fail_errno(rel, ret);
	return CLI_OK;
}

static const struct option heap_longopts[] = {
	{ "heap", required_argument, NULL, 'H' },
	{ NULL, 0, NULL, 0 },
};

int cmd_stats(int argc, char **argv)
{
	const char *heap = NULL;
	char rel[64];
	uint64_t id;
	int c, st;

	cli_getopt_reset();
	while ((c = cli_getopt(argc, argv, "", heap_longopts, &st)) != -1) {
		if (c == '?')
			return st;
		heap = optarg;
	}
	if (optind < argc)
		return cli_usage(argv[0], "unexpected argument '%s'", argv[optind]);
	if (!heap)
		return cli_print_keyval_file("stats");
	if (cli_parse_u64(heap, &id))
		return cli_usage(argv[0], "--heap wants a heap id (see: %s heaps), not '%s'",
				 cli.prog, heap);
	snprintf(rel, sizeof(rel), "heaps/%llu/stats", (unsigned long long)id);
	return cli_print_keyval_file(rel);
}

/* The columns `heaps` shows, in order. */
static const char *const heap_cols[] = {
	"id", "owner_pid", "owner_comm", "uid", "objects", "bytes", "handles",
	"weak_handles",
};
#define NCOLS (sizeof(heap_cols) / sizeof(heap_cols[0]))

struct heap_row {
	char val[NCOLS][32];
};

static void heap_row_fill(const char *key, const char *val, void *ctx)
{
	struct heap_row *r = ctx;
	unsigned int i;

	for (i = 0; i < NCOLS; i++)
		if (!strcmp(key, heap_cols[i]))
			snprintf(r->val[i], sizeof(r->val[i]), "%s", val);
}

static int by_id(const struct dirent **a, const struct dirent **b)
{
	unsigned long long x = strtoull((*a)->d_name, NULL, 10);
	unsigned long long y = strtoull((*b)->d_name, NULL, 10);

	return x < y ? -1 : x > y;
}

static int not_dot(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

static const struct option heaps_longopts[] = {
	{ "all", no_argument, NULL, 'a' },
	{ NULL, 0, NULL, 0 },
};

/*
 * heaps: the caller's own heaps from /proc/PID/fdinfo (observe.c; no root
 * needed), or with --all every heap, from debugfs (root).
 */
int cmd_heaps(int argc, char **argv)
{
	bool all = false;
	struct dirent **ents;
	struct heap_row row;
	unsigned int i;
	char rel[300], path[400];
	int n, k, c, st;
	FILE *f;

	cli_getopt_reset();
	while ((c = cli_getopt(argc, argv, "a", heaps_longopts, &st)) != -1) {
		if (c == '?')
			return st;
		all = true;
	}
	if (optind < argc)
		return cli_usage(argv[0], "unexpected argument '%s'", argv[optind]);
	if (!all)
		return cli_heaps_fdinfo();
	/* Reports a missing module, debugfs or permission first. */
	f = cli_debugfs_open("stats", "re");
	if (!f)
		return CLI_FAIL;
	fclose(f);
	n = scandir(RS_DEBUGFS "/heaps", &ents, not_dot, by_id);
	if (n < 0)
		return cli_fail_errno(RS_DEBUGFS "/heaps", -errno);
	if (cli.json)
		json_arr_open(NULL);
	else
		printf("%10s %8s %-16s %6s %10s %12s %8s %8s\n", "ID", "PID",
		       "COMM", "UID", "OBJECTS", "BYTES", "HANDLES", "WEAK");
	for (k = 0; k < n; k++) {
		snprintf(rel, sizeof(rel), "heaps/%s/stats", ents[k]->d_name);
		free(ents[k]);
		memset(&row, 0, sizeof(row));
		snprintf(path, sizeof(path), "%s/%s", RS_DEBUGFS, rel);
		f = fopen(path, "re");
		if (!f)
			continue;	/* closed since scandir() */
		cli_keyval_each(f, heap_row_fill, &row);
		fclose(f);
		if (cli.json) {
			json_obj_open(NULL);
			for (i = 0; i < NCOLS; i++)
				json_keyval(heap_cols[i], row.val[i]);
			json_obj_close();
		} else {
			printf("%10s %8s %-16s %6s %10s %12s %8s %8s\n",
			       row.val[0], row.val[1], row.val[2], row.val[3],
			       row.val[4], row.val[5], row.val[6], row.val[7]);
		}
	}
	free(ents);
	if (cli.json) {
		json_arr_close();
		json_end();
	}
	return CLI_OK;
}
