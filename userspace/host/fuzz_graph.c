// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_graph.c - libFuzzer target: the fuzzer's bytes choose the
 * operations (and their handles, slots, generations) that the
 * differential test draws from a PRNG, checked by the same oracle
 * (model.c). Any disagreement, or any harness or sanitizer report, is a
 * crash that libFuzzer saves and minimises.
 *
 *   make fuzz-run FUZZ_SECONDS=600
 *   build/host/fuzz_graph crash-<sha1>       (replay one input)
 *
 * Byte 0 selects how the run ends: even, refstore_graph_destroy() with
 * whatever is left; odd, the model's teardown (drop everything, collect
 * fully: everything must go) first.
 */
#include <stddef.h>
#include <stdint.h>

#include "model.h"

struct bytes {
	const uint8_t *data;
	size_t size;
	size_t pos;
};

static unsigned int bytes_next(void *ctx, unsigned int bound)
{
	struct bytes *b = ctx;

	if (b->pos >= b->size || !bound)
		return 0;
	return b->data[b->pos++] % bound;
}

static bool bytes_done(void *ctx)
{
	struct bytes *b = ctx;

	return b->pos >= b->size;
}

static struct model *cur;

static void print_context(FILE *f)
{
	if (cur && cur->failed)
		fprintf(f, "oracle: %s\n", cur->err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct model m;
	struct bytes b = { data, size, 1 };
	struct model_src src = { bytes_next, bytes_done, &b };
	bool teardown = size && (data[0] & 1);

	host_context = print_context;
	model_init(&m, NULL);
	cur = &m;
	while (!bytes_done(&b) && model_step(&m, &src))
		;
	if (!m.failed && teardown)
		model_teardown(&m);
	if (m.failed)
		host_fail("oracle disagrees with the core");
	if (!model_fini(&m))
		host_fail("oracle disagrees with the core in destroy");
	cur = NULL;
	return 0;
}
