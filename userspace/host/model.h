/* SPDX-License-Identifier: GPL-2.0 */
/*
 * model.h - a naive oracle for the collector core, shared by the
 * differential test (test_diff.c) and the libFuzzer target (fuzz_graph.c).
 *
 * The model keeps its own copy of the graph (handles, slots) and after
 * every operation compares the core against it: nothing reachable from a
 * root (handle, frozen object, saved garbage) is ever freed, counts are
 * handles plus slots, each object is on exactly one list with flags that
 * agree, every death is released then freed exactly once with the right
 * cause, and after a full collection exactly the reachable objects live.
 * Weak slots are no edges and no counts; one reads its target while the
 * model's target lives and NULL once it died (never a freed object).
 */
#ifndef _REFSTORE_HOST_MODEL_H
#define _REFSTORE_HOST_MODEL_H

#include "harness.h"

#define MODEL_MAX_OBJS		64
#define MODEL_MAX_HANDLES	32
#define MODEL_MAX_SLOTS		4

/* Where operations come from: a PRNG or fuzzer bytes. */
struct model_src {
	/* A value in [0, bound); bound is at most 256. */
	unsigned int (*next)(void *ctx, unsigned int bound);
	/* No more input (the fuzzer's bytes ran out). */
	bool (*done)(void *ctx);
	void *ctx;
};

enum model_op {
	MOP_CREATE,
	MOP_SET,
	MOP_CLEAR,
	MOP_GET_SLOT,
	MOP_DROP,
	MOP_DUP,
	MOP_COLLECT,
	MOP_AUTO,
	MOP_THRESHOLD,
	MOP_FREEZE,
	MOP_UNFREEZE,
	MOP_SAVEALL,
	MOP_CLEAR_GARBAGE,
	MOP_GARBAGE_HANDLE,
	MOP_ABORT,		/* scan, check, abort, then scan and commit */
	MOP_WEAK_SET,		/* a weak slot (REFSTORE_SLOT_WEAK) */
	MOP_NR,
	MOP_DESTROY = MOP_NR,
};

struct model_obj {
	struct refstore_obj *obj;	/* NULL once dead */
	int slot[MODEL_MAX_SLOTS];	/* model ids, -1 for empty */
	bool weak[MODEL_MAX_SLOTS];	/* the slot is weak: no edge, no count */
	bool wdead[MODEL_MAX_SLOTS];	/* weak, its target saved (SAVEALL) */
	int handles;
	u8 nslots;
	bool dead;
	bool frozen;
	bool garbage;
	bool dead_seen;			/* DEAD at the first cycle release */
	bool saved_once;		/* saved by SAVEALL (so finalized) */
};

struct model_stats {
	u64 ops;
	u64 op[MOP_NR];
	u64 objects;
	u64 cycle_deaths;
	u64 count_deaths;
	u64 full_checks;
	u64 saved;
};

struct model {
	struct host_graph hg;
	struct model_obj o[MODEL_MAX_OBJS];
	int nobj;
	int handle[MODEL_MAX_HANDLES];
	int nhandles;
	/* Expected collector state, kept by the rules, not read back. */
	s64 count[REFSTORE_NR_GENS];
	struct refstore_gen_stats gstats[REFSTORE_NR_GENS];
	u64 examined;
	bool saveall;
	/* GC_GARBAGE handed out a handle to saved garbage since the clear. */
	bool garbage_exposed;
	/* Operation weights (MOP_*), set by the driver; 0 disables one. */
	unsigned int weight[MOP_NR];
	/* The operation in progress and what it saw. */
	enum model_op op;
	u32 gen;
	bool cycle_snapshot;
	bool verbose;
	bool failed;
	char err[512];
	struct model_stats *stats;
};

void model_init(struct model *m, struct model_stats *stats);
const char *model_op_name(enum model_op op);
/* The live objects, their counts, generations, flags and slots. */
void model_dump(struct model *m, FILE *f);
/* One operation from @src, then every check. False once anything failed. */
bool model_step(struct model *m, struct model_src *src);
/* One given operation, its arguments from @src, then every check. */
bool model_apply(struct model *m, enum model_op op, struct model_src *src);
/*
 * SAVEALL off, unfreeze, clear the garbage, drop every handle, collect
 * fully: everything must be freed.
 */
bool model_teardown(struct model *m);
/* refstore_graph_destroy() and its checks; false on failure. */
bool model_fini(struct model *m);

#endif /* _REFSTORE_HOST_MODEL_H */
