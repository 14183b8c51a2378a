// SPDX-License-Identifier: GPL-2.0
/*
 * refstore - command-line front end of /dev/refstore, in the shape of
 * bpftool and ip: `refstore [OPTIONS] COMMAND [ARGS]`, the subcommands
 * listed in commands.h, -j/--json and -p/--pretty everywhere, --help on
 * every subcommand.  Exit status: 0 success, 1 failure (the message names
 * the cause and the fix), 2 usage error.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "cli.h"

#ifndef REFSTORE_VERSION
#define REFSTORE_VERSION "unknown"
#endif

#define DEBUGFS_MOUNT "/sys/kernel/debug"
#define DEBUGFS_MAGIC_NR 0x64626720

struct cli_opts cli = { .prog = "refstore" };

#define CLI_CMD(name, args, help) { #name, cmd_##name, args, help },
const struct cli_cmd cli_cmds[] = {
#include "commands.h"
	{ NULL, NULL, NULL, NULL }
};
#undef CLI_CMD

/* The subcommand being run, for messages. */
static const char *cli_current = "";

static const struct option cli_common_longopts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "pretty", no_argument, NULL, 'p' },
	{ "help", no_argument, NULL, 'h' },
};

#define CLI_COMMON_N (sizeof(cli_common_longopts) / sizeof(cli_common_longopts[0]))
#define CLI_MAX_LONGOPTS 32

const struct cli_cmd *cli_find(const char *name)
{
	const struct cli_cmd *c;

	for (c = cli_cmds; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

void cli_help(FILE *out, const char *name)
{
	const struct cli_cmd *c = cli_find(name);

	if (!c)
		return;
	fprintf(out, "usage: %s %s%s%s [-j|--json] [-p|--pretty] [-h|--help]\n"
		"  %s\n", cli.prog, c->name, *c->args ? " " : "", c->args,
		c->help);
	if (!strcmp(name, "run"))
		fprintf(out, "\nscript commands: see refstore(1), SCRIPTS\n");
}

int cli_usage(const char *name, const char *fmt, ...)
{
	va_list ap;

	if (fmt) {
		fprintf(stderr, "%s %s: ", cli.prog, name);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	cli_help(stderr, name);
	return CLI_USAGE;
}

int cli_fail(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s: ", cli.prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CLI_FAIL;
}

void cli_getopt_reset(void)
{
	optind = 0;
	opterr = 0;
}

int cli_getopt(int argc, char **argv, const char *shortopts,
	       const struct option *longopts, int *status)
{
	struct option all[CLI_MAX_LONGOPTS + CLI_COMMON_N + 1];
	char so[64];
	size_t n = 0, i;
	int c;

	for (i = 0; longopts && longopts[i].name && n < CLI_MAX_LONGOPTS; i++)
		all[n++] = longopts[i];
	for (i = 0; i < CLI_COMMON_N; i++)
		all[n++] = cli_common_longopts[i];
	memset(&all[n], 0, sizeof(all[n]));
	snprintf(so, sizeof(so), ":jph%s", shortopts ? shortopts : "");
	cli_current = argv[0];

	for (;;) {
		c = getopt_long(argc, argv, so, all, NULL);
		switch (c) {
		case 'j':
			cli.json = true;
			continue;
		case 'p':
			cli.json = cli.pretty = true;
			continue;
		case 'h':
			cli_help(stdout, argv[0]);
			*status = CLI_OK;
			return '?';
		case '?':
			if (optopt)
				*status = cli_usage(argv[0], "unknown option '-%c'", optopt);
			else
				*status = cli_usage(argv[0], "unknown option '%s'",
						    argv[optind - 1]);
			return '?';
		case ':':
			*status = cli_usage(argv[0], "option '%s' needs a value",
					    argv[optind - 1]);
			return '?';
		default:
			return c;
		}
	}
}

int cli_parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (!s || !*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || *end ? -EINVAL : 0;
}

int cli_parse_u32(const char *s, uint32_t *v)
{
	uint64_t x;

	if (cli_parse_u64(s, &x) || x > UINT32_MAX)
		return -EINVAL;
	*v = x;
	return 0;
}

/* Is debugfs mounted at /sys/kernel/debug? */
static bool debugfs_mounted(void)
{
	struct statfs s;

	return !statfs(DEBUGFS_MOUNT, &s) && s.f_type == DEBUGFS_MAGIC_NR;
}

int cli_fail_errno(const char *what, int err)
{
	bool dev = !strcmp(what, RS_DEVICE);
	bool dbg = !strncmp(what, RS_DEBUGFS, strlen(RS_DEBUGFS));

	if (err > 0)
		err = -err;
	if (dev && (err == -ENOENT || err == -ENODEV || err == -ENXIO))
		return cli_fail("%s missing: is the module loaded? try: modprobe refstore",
				RS_DEVICE);
	if (dev && (err == -EACCES || err == -EPERM))
		return cli_fail("%s: permission denied: add your user to group refstore "
				"(sudo usermod -aG refstore $USER, then log in again; "
				"see README, Permissions) or run as root", RS_DEVICE);
	if (dbg && (err == -EACCES || err == -EPERM))
		return cli_fail("%s: permission denied: debugfs is root only: "
				"try: sudo %s %s", what, cli.prog, cli_current);
	if (dbg && err == -ENOENT) {
		if (!debugfs_mounted())
			return cli_fail("debugfs not mounted at %s: try: "
					"mount -t debugfs none %s",
					DEBUGFS_MOUNT, DEBUGFS_MOUNT);
		if (access(RS_DEBUGFS, F_OK))
			return cli_fail("%s missing: is the module loaded? try: "
					"modprobe refstore", RS_DEBUGFS);
		return cli_fail("%s: no such file: is the heap still open? "
				"list heaps with: %s heaps", what, cli.prog);
	}
	return cli_fail("%s: %s (%s)", what, rs_errno_name(err), strerror(-err));
}

int cli_open_heap(int flags)
{
	int fd = rs_open(flags);

	if (fd < 0) {
		cli_fail_errno(RS_DEVICE, fd);
		return -1;
	}
	return fd;
}

FILE *cli_debugfs_open(const char *rel, const char *mode)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", RS_DEBUGFS, rel);
	f = fopen(path, mode);
	if (!f)
		cli_fail_errno(path, -errno);
	return f;
}

int cli_keyval_each(FILE *f, void (*fn)(const char *key, const char *val,
					void *ctx), void *ctx)
{
	char line[512], *colon, *val;

	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		colon = strstr(line, ": ");
		if (!colon || line[0] == ' ')
			continue;
		*colon = 0;
		val = colon + 2;
		fn(line, val, ctx);
	}
	return ferror(f) ? -EIO : 0;
}

int cmd_version(int argc, char **argv)
{
	uint64_t features;
	uint32_t version;
	unsigned int bit;
	int fd, ret, st;

	cli_getopt_reset();
	if (cli_getopt(argc, argv, "", NULL, &st) != -1)
		return st;
	if (optind < argc)
		return cli_usage(argv[0], "unexpected argument '%s'", argv[optind]);
	fd = cli_open_heap(0);
	if (fd < 0)
		return CLI_FAIL;
	ret = rs_version(fd, &version, &features);
	close(fd);
	if (ret)
		return cli_fail_errno("REFSTORE_IOC_VERSION", ret);
	if (cli.json) {
		json_obj_open(NULL);
		json_str("cli", REFSTORE_VERSION);
		json_u64("uapi_version", version);
		json_u64("header_version", REFSTORE_UAPI_VERSION);
		json_u64("features", features);
		json_arr_open("feature_names");
		for (bit = 0; bit < 64; bit++)
			if (features & (1ull << bit) && rs_feature_name(bit))
				json_str(NULL, rs_feature_name(bit));
		json_arr_close();
		json_obj_close();
		json_end();
		return CLI_OK;
	}
	printf("refstore %s\nuapi version %u (header: %u)\nfeatures:",
	       REFSTORE_VERSION, version, REFSTORE_UAPI_VERSION);
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
	return CLI_OK;
}

static int usage_all(FILE *out, int status)
{
	const struct cli_cmd *c;

	fprintf(out, "usage: %s [-j|--json] [-p|--pretty] COMMAND [ARGS]\n"
		"       %s --version | --help | COMMAND --help\n\ncommands:\n",
		cli.prog, cli.prog);
	for (c = cli_cmds; c->name; c++)
		fprintf(out, "  %-9s %s\n", c->name, c->help);
	fprintf(out, "\nsee refstore(1) and refstore(4)\n");
	return status;
}

int main(int argc, char **argv)
{
	const struct cli_cmd *c;
	int i;

	/* Options before COMMAND: -j, -p, --version, --help. */
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json")) {
			cli.json = true;
		} else if (!strcmp(argv[i], "-p") || !strcmp(argv[i], "--pretty")) {
			cli.json = cli.pretty = true;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			return usage_all(stdout, CLI_OK);
		} else if (!strcmp(argv[i], "-V") || !strcmp(argv[i], "--version")) {
			if (cli.json) {
				json_obj_open(NULL);
				json_str("version", REFSTORE_VERSION);
				json_obj_close();
				json_end();
			} else {
				printf("refstore %s\n", REFSTORE_VERSION);
			}
			return CLI_OK;
		} else {
			fprintf(stderr, "%s: unknown option '%s'\n", cli.prog, argv[i]);
			return usage_all(stderr, CLI_USAGE);
		}
	}
	if (i == argc)
		return usage_all(stderr, CLI_USAGE);
	if (!strcmp(argv[i], "help"))
		return usage_all(stdout, CLI_OK);
	c = cli_find(argv[i]);
	if (!c) {
		fprintf(stderr, "%s: unknown command '%s'\n", cli.prog, argv[i]);
		return usage_all(stderr, CLI_USAGE);
	}
	cli_current = c->name;
	return c->fn(argc - i, argv + i);
}
