// SPDX-License-Identifier: GPL-2.0
/*
 * test_diff.c - differential test of the collector core against the
 * naive oracle in model.c, over random operation sequences.
 *
 *   test_diff [-n GRAPHS] [-s SEED] [-G GRAPH_SEED] [-v]
 *
 * Graph i runs with seed splitmix64(SEED + i); a failure prints that
 * seed, and `test_diff -G <it> -v` replays the one graph, op by op.
 * Each graph draws its length (20..300 operations) and an operation mix
 * from its seed, so some grow dense cyclic graphs, some churn handles,
 * some collect, freeze and save garbage often.
 */
#include <getopt.h>
#include <string.h>
#include <time.h>

#include "model.h"

static u64 splitmix64(u64 x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

struct rng {
	u64 s;
};

static unsigned int rng_next(void *ctx, unsigned int bound)
{
	struct rng *r = ctx;

	r->s = splitmix64(r->s);
	return bound ? (unsigned int)((r->s >> 32) % bound) : 0;
}

static bool rng_done(void *ctx)
{
	return false;
}

static u64 cur_graph, cur_seed;
static struct model *cur_model;

static void print_context(FILE *f)
{
	fprintf(f, "# graph %llu, graph seed %#llx (replay: test_diff -G %#llx -v)\n",
		(unsigned long long)cur_graph, (unsigned long long)cur_seed,
		(unsigned long long)cur_seed);
	if (cur_model && cur_model->failed)
		fprintf(f, "# %s\n", cur_model->err);
}

/* Operation mixes; a graph picks one and perturbs it. */
static bool pick_profile(struct model *m, struct rng *r)
{
	unsigned int op;

	switch (rng_next(r, 6)) {
	case 0:		/* the default mix */
		break;
	case 1:		/* build dense cyclic graphs, collect rarely */
		m->weight[MOP_SET] = 40;
		m->weight[MOP_DROP] = 12;
		m->weight[MOP_COLLECT] = 3;
		break;
	case 2:		/* collection heavy, small thresholds */
		m->weight[MOP_COLLECT] = 20;
		m->weight[MOP_ABORT] = 10;
		m->weight[MOP_AUTO] = 15;
		m->weight[MOP_THRESHOLD] = 4;
		break;
	case 3:		/* freeze and SAVEALL heavy */
		m->weight[MOP_FREEZE] = 6;
		m->weight[MOP_UNFREEZE] = 6;
		m->weight[MOP_SAVEALL] = 6;
		m->weight[MOP_CLEAR_GARBAGE] = 6;
		m->weight[MOP_GARBAGE_HANDLE] = 6;
		break;
	case 4:		/* build dense graphs, then tear them down */
		m->weight[MOP_CREATE] = 25;
		m->weight[MOP_SET] = 50;
		m->weight[MOP_DROP] = 4;
		m->weight[MOP_COLLECT] = 2;
		return true;
	default:	/* random weights */
		for (op = 0; op < MOP_NR; op++)
			m->weight[op] = rng_next(r, 20);
		m->weight[MOP_CREATE] += 5;
		break;
	}
	return false;
}

static bool run_graph(u64 seed, bool verbose, struct model_stats *st)
{
	static struct model m;
	struct rng r = { seed };
	struct model_src src = { rng_next, rng_done, &r };
	unsigned int nops, i;
	bool ok = true, build;

	cur_seed = seed;
	model_init(&m, st);
	cur_model = &m;
	m.verbose = verbose;
	/* A quarter of the graphs run their clock through a resync or a wrap. */
	switch (rng_next(&r, 8)) {
	case 0:
		m.hg.graph.clock = REFSTORE_CLOCK_RESYNC - 1 - rng_next(&r, 8);
		break;
	case 1:
		m.hg.graph.clock = 0U - 1 - rng_next(&r, 8);
		break;
	}
	m.hg.graph.clock_old = m.hg.graph.clock;
	build = pick_profile(&m, &r);
	nops = 20 + rng_next(&r, 381);
	for (i = 0; i < nops && ok; i++) {
		/* Build-then-tear-down graphs switch mixes halfway. */
		if (build && i == nops / 2) {
			m.weight[MOP_CREATE] = 4;
			m.weight[MOP_SET] = 10;
			m.weight[MOP_DROP] = 30;
			m.weight[MOP_COLLECT] = 10;
		}
		ok = model_step(&m, &src);
	}
	if (!ok) {
		print_context(stderr);
		fprintf(stderr, "# failed at operation %u of %u\n", i, nops);
	}
	/* Half the graphs end by dropping everything; half by destroy. */
	if (ok && (seed & 1) && !model_teardown(&m)) {
		print_context(stderr);
		fprintf(stderr, "# failed in teardown\n");
		ok = false;
	}
	if (!model_fini(&m) && ok) {
		print_context(stderr);
		ok = false;
	}
	cur_model = NULL;
	return ok;
}

int main(int argc, char **argv)
{
	u64 base = 0x7265667374727eULL, graphs = 10000, one = 0, i;
	struct model_stats st = { 0 };
	unsigned int failed = 0;
	bool verbose = false, single = false;
	struct timespec t0, t1;
	double secs;
	int c;

	while ((c = getopt(argc, argv, "n:s:G:v")) != -1) {
		switch (c) {
		case 'n':
			graphs = strtoull(optarg, NULL, 0);
			break;
		case 's':
			base = strtoull(optarg, NULL, 0);
			break;
		case 'G':
			one = strtoull(optarg, NULL, 0);
			single = true;
			break;
		case 'v':
			verbose = true;
			break;
		default:
			fprintf(stderr, "usage: %s [-n GRAPHS] [-s SEED] [-G GRAPH_SEED] [-v]\n",
				argv[0]);
			return 2;
		}
	}
	host_context = print_context;
	if (single) {
		bool ok = run_graph(one, verbose, &st);

		printf("%s 1 - differential graph seed %#llx (%llu ops)\n",
		       ok ? "ok" : "not ok", (unsigned long long)one,
		       (unsigned long long)st.ops);
		return ok ? 0 : 1;
	}
	printf("# differential: seed %#llx, %llu random graphs\n",
	       (unsigned long long)base, (unsigned long long)graphs);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < graphs; i++) {
		cur_graph = i;
		if (!run_graph(splitmix64(base + i), false, &st) &&
		    ++failed >= 10)
			break;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("# %llu graphs, %llu ops, %llu objects, %llu count deaths, %llu cycle deaths, %llu saved, %llu full-collection checks, %.2f s\n",
	       (unsigned long long)i, (unsigned long long)st.ops,
	       (unsigned long long)st.objects,
	       (unsigned long long)st.count_deaths,
	       (unsigned long long)st.cycle_deaths,
	       (unsigned long long)st.saved,
	       (unsigned long long)st.full_checks, secs);
	printf("# ops:");
	for (c = 0; c < MOP_NR; c++)
		printf(" %s %llu", model_op_name(c),
		       (unsigned long long)st.op[c]);
	printf("\n");
	printf("%s 1 - differential: %llu random graphs against the oracle (seed %#llx)\n",
	       failed ? "not ok" : "ok", (unsigned long long)graphs,
	       (unsigned long long)base);
	return failed ? 1 : 0;
}
