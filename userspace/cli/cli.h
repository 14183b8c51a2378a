/* SPDX-License-Identifier: GPL-2.0 */
/*
 * refstore CLI: subcommands and the printing helpers they share.
 */
#ifndef REFSTORE_CLI_H
#define REFSTORE_CLI_H

#include <stdint.h>

#include "librefstore.h"

/* Subcommands: each returns the process exit status. */
int cmd_version(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_demo(int argc, char **argv);
/* observe.c: tracemalloc-like views of a heap */
int cmd_top(int argc, char **argv);
int cmd_snapshot(int argc, char **argv);
int cmd_heaps(int argc, char **argv);
int cmd_graph(int argc, char **argv);
int cmd_why(int argc, char **argv);

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
