/* SPDX-License-Identifier: GPL-2.0 */
/*
 * refstore CLI: the subcommand table.  One line registers a subcommand:
 *
 *   CLI_CMD(name, "synopsis of its arguments", "one-line description")
 *
 * declares   int cmd_<name>(int argc, char **argv);
 * (argv[0] is the subcommand's name; the function returns the exit status:
 * 0, 1 on failure, 2 on a usage error) and lists it in cli_cmds[], in
 * `refstore --help` and in the bash completion.  Add a new view in its own
 * file (userspace/cli/<name>.c) and one line here; see cli.h for the
 * helpers every subcommand uses (cli_getopt(), cli_fail(), json_*()).
 * This file is included more than once: no include guard.
 */
CLI_CMD(version, "", "uapi version and features of the loaded module")
CLI_CMD(heaps, "[--all]", "list your heaps from /proc/PID/fdinfo; --all: every heap (root: reads debugfs)")
CLI_CMD(stats, "[--heap ID]", "module-wide counters, or one heap's (root)")
CLI_CMD(gc, "collect|enable|disable|threshold|debug|freeze|unfreeze|garbage|stats [--heap ID] [ARGS]",
	"the collector's controls, as Python's gc module")
CLI_CMD(watch, "[--interval MS] [--count N]", "live counters and rates, like slabtop")
CLI_CMD(top, "[-n N] [--by tag|creator] --pid PID --fd FD", "a heap's largest allocation sites, as tracemalloc's statistics")
CLI_CMD(snapshot, "save FILE [--by tag|creator] --pid PID --fd FD | diff OLD NEW", "save a heap's allocation statistics; compare two, as compare_to")
CLI_CMD(graph, "[--max-objects N] [--id ID [--depth N]] --pid PID --fd FD", "a heap's object graph as DOT (JSON with -j), as objgraph")
CLI_CMD(why, "[--dot] ID --pid PID --fd FD", "the shortest chain from a handle to object ID")
CLI_CMD(run, "[FILE|-]", "run a script of object commands on one heap")
CLI_CMD(demo, "", "the memory-management tutorial's scenarios, narrated")
