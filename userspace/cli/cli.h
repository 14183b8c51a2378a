/* SPDX-License-Identifier: GPL-2.0 */
/*
 * refstore CLI: the subcommand framework and the helpers subcommands share.
 *
 * Subcommands are listed in commands.h (one CLI_CMD() line each).  Every
 * subcommand accepts -j/--json, -p/--pretty (pretty JSON, implies -j) and
 * -h/--help, before or after its name; cli_getopt() handles them.  Exit
 * status: 0 success, 1 failure (after a message from cli_fail() naming the
 * cause and the fix), 2 usage error (after cli_usage()).
 */
#ifndef REFSTORE_CLI_H
#define REFSTORE_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "librefstore.h"

#define CLI_CMD(name, args, help) int cmd_##name(int argc, char **argv);
#include "commands.h"
#undef CLI_CMD

/* One entry of the subcommand table (commands.h). */
struct cli_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *args;
	const char *help;
};

/* The table, in commands.h order, ended by a NULL name. */
extern const struct cli_cmd cli_cmds[];

/* The options common to every subcommand. */
struct cli_opts {
	bool json;	/* -j, --json */
	bool pretty;	/* -p, --pretty */
	const char *prog; /* "refstore" */
};
extern struct cli_opts cli;

/* Exit statuses. */
#define CLI_OK 0
#define CLI_FAIL 1
#define CLI_USAGE 2
/* Returned by cli_getopt() when the option was a common one, handled. */
#define CLI_CONTINUE (-1)

/*
 * getopt_long() over the subcommand's own options @shortopts/@longopts
 * (may be "" / NULL) plus -j, -p, -h and their long names.  Returns the
 * next option of the subcommand's own, -1 at the end, or, for --help, a
 * usage error or an unknown option, '?' after setting *@status (0 after
 * --help was printed, 2 after a usage error).  Call with optind = 0 first
 * (cli_getopt_reset()).
 */
int cli_getopt(int argc, char **argv, const char *shortopts,
	       const struct option *longopts, int *status);
void cli_getopt_reset(void);

/* The table entry of subcommand @name, or NULL. */
const struct cli_cmd *cli_find(const char *name);

/*
 * Prints "refstore NAME: <message>" and the subcommand's usage to stderr;
 * returns CLI_USAGE.  @fmt may be NULL (usage only).
 */
int cli_usage(const char *name, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Prints the subcommand's usage and description to @out. */
void cli_help(FILE *out, const char *name);

/*
 * Prints "refstore: <message>" to stderr and returns CLI_FAIL.  The
 * message names the cause and what to do about it.
 */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Reports the failure @err (negative errno) of @what: for the device and
 * debugfs, the likely cause and its fix (module not loaded, debugfs not
 * mounted, permission); else the errno's name and text.  Returns CLI_FAIL.
 */
int cli_fail_errno(const char *what, int err);

/* Opens a heap, reporting a failure with cli_fail_errno(); fd or -1. */
int cli_open_heap(int flags);

/*
 * Opens debugfs file @rel (relative to /sys/kernel/debug/refstore/);
 * NULL after reporting the cause (not root, not mounted, not loaded, no
 * such heap).
 */
FILE *cli_debugfs_open(const char *rel, const char *mode);

/*
 * observe.c: `heaps` without --all: the heaps of the processes whose
 * /proc/PID/fdinfo the caller can read (its own; every one's as root).
 */
int cli_heaps_fdinfo(void);
/* observe.c: `top` of heap fd @heap (text or JSON); CLI_OK or CLI_FAIL. */
int cli_top_print(int heap, uint32_t group, uint32_t limit);
/* observe.c: a snapshot of @heap's statistics to file @path. */
int cli_snapshot_write(int heap, uint32_t group, const char *path);
/* observe.c: compare_to() of two snapshot files, printed. */
int cli_snapshot_diff(const char *old, const char *new);

/* Parse a whole unsigned number (decimal, 0x hex); 0 or -EINVAL. */
int cli_parse_u64(const char *s, uint64_t *v);
int cli_parse_u32(const char *s, uint32_t *v);

/*
 * json.c: a small JSON writer to stdout, compact or (cli.pretty)
 * indented.  @key is NULL inside arrays and for the top-level value.
 */
void json_obj_open(const char *key);
void json_obj_close(void);
void json_arr_open(const char *key);
void json_arr_close(void);
void json_u64(const char *key, uint64_t v);
void json_s64(const char *key, int64_t v);
void json_bool(const char *key, bool v);
void json_str(const char *key, const char *v);
void json_null(const char *key);
/* Ends the top-level value with a newline (one document a line). */
void json_end(void);

/*
 * "key: value" text (debugfs stats files): calls @fn for each line with a
 * key; value has its newline stripped.  Returns 0 or -errno.
 */
int cli_keyval_each(FILE *f, void (*fn)(const char *key, const char *val,
					void *ctx), void *ctx);
/* Prints debugfs file @rel ("key: value" lines) as text or JSON. */
int cli_print_keyval_file(const char *rel);
/* "stats,saveall" or a number: REFSTORE_GC_DEBUG_* bits; 0 or -EINVAL. */
int cli_parse_gc_debug(const char *s, uint64_t *flags);
/* Emits one "key: value" pair as JSON: a number if it is one, else a string. */
void json_keyval(const char *key, const char *val);

/* print.c: one line (or block) per thing, to stdout. */
void print_info(const char *name, const struct refstore_info *i);
void print_event(const struct refstore_event *e);
void print_heap_stats(const struct refstore_heap_stats *s);
void print_limits(const struct refstore_limits *l);
/* Copies a text file (a debugfs file) to stdout; 0 or -errno. */
int print_file(const char *path);
/* "refstore: WHAT: ENAME (message)" on stderr. */
void print_err(const char *what, int err);

#endif /* REFSTORE_CLI_H */
