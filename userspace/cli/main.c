// SPDX-License-Identifier: GPL-2.0
/*
 * refstore - command-line front end of /dev/refstore.
 *
 *   refstore version        uapi version and feature names
 *   refstore stats          the module's global debugfs counters
 *   refstore run [FILE|-]   run a script of object commands on one heap
 *   refstore demo           the seed's scenarios, narrated
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} cmds[] = {
	{ "version", cmd_version, "uapi version and features of the module" },
	{ "stats", cmd_stats, "print " RS_DEBUGFS_STATS },
	{ "run", cmd_run, "[FILE|-]  run a script on one heap (see below)" },
	{ "demo", cmd_demo, "the memory-management tutorial's scenarios" },
	{ "top", cmd_top, "[-j] --pid PID --fd FD  a heap's largest allocation sites" },
	{ "snapshot", cmd_snapshot, "save FILE --pid PID --fd FD | diff [-j] OLD NEW" },
	{ "graph", cmd_graph, "[-j] [--max-objects N] --pid PID --fd FD  DOT/JSON of a heap" },
	{ "why", cmd_why, "[-j] ID --pid PID --fd FD  the chain from a handle to ID" },
	{ "heaps", cmd_heaps, "[-j]  the heaps of the processes you can see (fdinfo)" },
};

#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static int usage(FILE *out, int status)
{
	unsigned int i;

	fprintf(out, "usage: refstore COMMAND [ARGS]\n\n");
	for (i = 0; i < NCMDS; i++)
		fprintf(out, "  %-8s %s\n", cmds[i].name, cmds[i].help);
	fprintf(out, "\nscript commands (one a line, '#' starts a comment):\n"
		"  create NAME [payload=N] [slots=N] [tag=N] [notify=COOKIE]\n"
		"  dup NAME NEW | close NAME | weak NAME NEW | upgrade WEAK NEW\n"
		"  link NAME SLOT TARGET|none | get NAME SLOT NEW\n"
		"  write NAME OFF TEXT | read NAME OFF LEN | info NAME\n"
		"  events | heap | limits | stats | collect [GEN] | echo TEXT\n");
	return status;
}

int cmd_version(int argc, char **argv)
{
	uint64_t features;
	uint32_t version;
	unsigned int bit;
	int fd, ret;

	fd = rs_open(0);
	if (fd < 0) {
		print_err(RS_DEVICE, fd);
		return 1;
	}
	ret = rs_version(fd, &version, &features);
	close(fd);
	if (ret) {
		print_err("VERSION", ret);
		return 1;
	}
	printf("uapi version %u (header: %u)\nfeatures:", version,
	       REFSTORE_UAPI_VERSION);
	for (bit = 0; bit < 64; bit++) {
		const char *name = rs_feature_name(bit);

		if (!(features & (1ull << bit)))
			continue;
		if (name)
			printf(" %s", name);
		else
			printf(" bit%u", bit);
	}
	printf(" (%#llx)\n", (unsigned long long)features);
	return 0;
}

int cmd_stats(int argc, char **argv)
{
	int ret = print_file(RS_DEBUGFS_STATS);

	if (ret) {
		print_err(RS_DEBUGFS_STATS, ret);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	unsigned int i;

	if (argc < 2)
		return usage(stderr, 2);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help"))
		return usage(stdout, 0);
	for (i = 0; i < NCMDS; i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "refstore: unknown command '%s'\n", argv[1]);
	return usage(stderr, 2);
}
