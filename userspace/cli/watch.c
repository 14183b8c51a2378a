// SPDX-License-Identifier: GPL-2.0
/*
 * refstore watch [--interval MS] [--count N]: a live view of the module's
 * counters, like slabtop: heaps, objects, bytes, creation and free rates,
 * collections and the collector's pauses (from debugfs: root).  On a
 * terminal the screen is redrawn; otherwise (a pipe, a file, -j) one line
 * (one JSON object) per sample.  Ctrl-C (SIGINT) or SIGTERM ends it
 * cleanly with status 0; --count N stops after N samples.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static volatile sig_atomic_t watch_stop;

static void watch_signal(int sig)
{
	watch_stop = 1;
}

struct sample {
	double t;		/* seconds, CLOCK_MONOTONIC */
	uint64_t heaps, objects, bytes, created, freed;
	uint64_t collections, collected;
	uint64_t pause_total_ns, pause_max_ns;
};

static void sample_field(const char *key, const char *val, void *ctx)
{
	struct sample *s = ctx;
	uint64_t v = strtoull(val, NULL, 0);

	if (!strcmp(key, "heaps"))
		s->heaps = v;
	else if (!strcmp(key, "objects"))
		s->objects = v;
	else if (!strcmp(key, "bytes"))
		s->bytes = v;
	else if (!strcmp(key, "created"))
		s->created = v;
	else if (!strcmp(key, "freed"))
		s->freed = v;
	else if (!strcmp(key, "collections"))
		s->collections = v;
	else if (!strcmp(key, "collected"))
		s->collected = v;
}

static void sample_pause(const char *key, const char *val, void *ctx)
{
	struct sample *s = ctx;
	uint64_t v = strtoull(val, NULL, 0);

	if (!strcmp(key, "pause_total_ns"))
		s->pause_total_ns += v;
	else if (!strcmp(key, "pause_max_ns") && v > s->pause_max_ns)
		s->pause_max_ns = v;
}

/* Reads one sample; 0 or CLI_FAIL after the message. */
static int sample_read(struct sample *s)
{
	struct timespec ts;
	struct dirent *d;
	char path[300];
	DIR *dir;
	FILE *f;

	memset(s, 0, sizeof(*s));
	clock_gettime(CLOCK_MONOTONIC, &ts);
	s->t = ts.tv_sec + ts.tv_nsec / 1e9;
	f = cli_debugfs_open("stats", "re");
	if (!f)
		return CLI_FAIL;
	cli_keyval_each(f, sample_field, s);
	fclose(f);
	f = cli_debugfs_open("gc", "re");
	if (!f)
		return CLI_FAIL;
	cli_keyval_each(f, sample_field, s);
	fclose(f);
	/* Pauses are per heap: the sum and the worst over open heaps. */
	dir = opendir(RS_DEBUGFS "/heaps");
	while (dir && (d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), RS_DEBUGFS "/heaps/%s/gc", d->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;	/* closed meanwhile */
		cli_keyval_each(f, sample_pause, s);
		fclose(f);
	}
	if (dir)
		closedir(dir);
	return 0;
}

static double rate(uint64_t now, uint64_t then, double dt)
{
	return dt > 0 && now >= then ? (now - then) / dt : 0;
}

static void sample_show(const struct sample *s, const struct sample *p,
			unsigned long n, bool tty)
{
	double dt = p ? s->t - p->t : 0;
	double cr = p ? rate(s->created, p->created, dt) : 0;
	double fr = p ? rate(s->freed, p->freed, dt) : 0;
	double cl = p ? rate(s->collected, p->collected, dt) : 0;

	if (cli.json) {
		json_obj_open(NULL);
		json_u64("sample", n);
		json_u64("heaps", s->heaps);
		json_u64("objects", s->objects);
		json_u64("bytes", s->bytes);
		json_u64("created", s->created);
		json_u64("freed", s->freed);
		json_u64("created_per_s", (uint64_t)cr);
		json_u64("freed_per_s", (uint64_t)fr);
		json_u64("collections", s->collections);
		json_u64("collected", s->collected);
		json_u64("collected_per_s", (uint64_t)cl);
		json_u64("pause_total_ns", s->pause_total_ns);
		json_u64("pause_max_ns", s->pause_max_ns);
		json_obj_close();
		json_end();
		return;
	}
	if (tty) {
		printf("\033[H\033[J refstore watch (Ctrl-C to quit)  sample %lu\n\n", n);
		printf(" heaps        %12" PRIu64 "\n", s->heaps);
		printf(" objects      %12" PRIu64 "\n", s->objects);
		printf(" bytes        %12" PRIu64 "\n", s->bytes);
		printf(" created/s    %12.0f   (total %" PRIu64 ")\n", cr, s->created);
		printf(" freed/s      %12.0f   (total %" PRIu64 ")\n", fr, s->freed);
		printf(" collections  %12" PRIu64 "\n", s->collections);
		printf(" collected/s  %12.0f   (total %" PRIu64 ")\n", cl, s->collected);
		printf(" pause max    %12.1f us (open heaps)\n", s->pause_max_ns / 1e3);
		printf(" pause total  %12.1f us (open heaps)\n", s->pause_total_ns / 1e3);
		fflush(stdout);
		return;
	}
	if (n == 1)
		printf("%6s %6s %10s %12s %10s %10s %8s %10s %12s\n", "SAMPLE", "HEAPS",
		       "OBJECTS", "BYTES", "CREATED/s", "FREED/s", "GCS",
		       "COLLECT/s", "PAUSE_MAX_us");
	printf("%6lu %6" PRIu64 " %10" PRIu64 " %12" PRIu64 " %10.0f %10.0f %8" PRIu64
	       " %10.0f %12.1f\n", n, s->heaps, s->objects, s->bytes, cr, fr,
	       s->collections, cl, s->pause_max_ns / 1e3);
	fflush(stdout);
}

static const struct option watch_longopts[] = {
	{ "interval", required_argument, NULL, 'i' },
	{ "count", required_argument, NULL, 'c' },
	{ NULL, 0, NULL, 0 },
};

int cmd_watch(int argc, char **argv)
{
	uint32_t interval = 1000, count = 0;
	struct sample cur, prev;
	struct sigaction sa;
	struct timespec ts;
	unsigned long n;
	int c, st;
	bool tty;

	cli_getopt_reset();
	while ((c = cli_getopt(argc, argv, "i:c:", watch_longopts, &st)) != -1) {
		if (c == '?')
			return st;
		if (c == 'i' && (cli_parse_u32(optarg, &interval) || !interval ||
				 interval > 3600000))
			return cli_usage(argv[0], "--interval wants 1..3600000 ms, not '%s'",
					 optarg);
		if (c == 'c' && cli_parse_u32(optarg, &count))
			return cli_usage(argv[0], "--count wants a number, not '%s'", optarg);
	}
	if (optind < argc)
		return cli_usage(argv[0], "unexpected argument '%s'", argv[optind]);
	tty = !cli.json && isatty(STDOUT_FILENO);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = watch_signal;	/* no SA_RESTART: nanosleep returns */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	for (n = 1; !watch_stop; n++) {
		if (sample_read(&cur))
			return CLI_FAIL;
		sample_show(&cur, n > 1 ? &prev : NULL, n, tty);
		prev = cur;
		if (count && n >= count)
			break;
		ts.tv_sec = interval / 1000;
		ts.tv_nsec = (interval % 1000) * 1000000L;
		while (!watch_stop && nanosleep(&ts, &ts) && errno == EINTR)
			;
	}
	if (tty)
		putchar('\n');
	return CLI_OK;
}
