/* SPDX-License-Identifier: GPL-2.0 */
/*
 * harness.h - the graph owner for host tests: objects, handles and the
 * two hooks (release, free) of kmod/core/graph.h, with bookkeeping of every
 * object's death so tests can assert who died, how and when.
 */
#ifndef _REFSTORE_HOST_HARNESS_H
#define _REFSTORE_HOST_HARNESS_H

#include "graph.h"

/* What the hooks saw of one object; indexed by obj->id. */
struct host_rec {
	u8 released;	/* refstore_graph_release_obj() calls */
	u8 freed;	/* refstore_graph_free_obj() calls */
	u8 cause;	/* the release's REFSTORE_CAUSE_* */
	u8 nslots;
	u8 finalized;	/* refstore_graph_finalize_obj() calls (direct or not) */
	u8 fcause;	/* the finalization's cause: the death users see */
	u8 weak_cleared; /* refstore_graph_clear_weak() calls */
};

/*
 * A weak slot's reference (the owner's side of it, as the module's struct
 * refstore_weak): the slot holds it tagged REFSTORE_SLOT_WEAK_TAG. Every
 * live one is on the graph's array, so the hooks can clear those naming a
 * dying object.
 */
struct host_weak {
	struct refstore_obj *target;	/* NULL once it died */
	u64 target_id;
	size_t index;			/* in host_graph.weak */
};

struct host_graph;

/* Called from the release hook, before the harness records the death. */
typedef void (*host_release_cb)(struct host_graph *hg,
				struct refstore_obj *obj, u32 cause);

struct host_graph {
	struct refstore_graph graph;
	struct host_rec *rec;
	size_t nrec, caprec;
	u64 released[4];	/* by cause */
	u64 finalized[4];	/* by cause */
	u64 freed;
	bool in_collect;	/* inside a commit ("lock held") */
	host_release_cb on_release;
	void *priv;
	struct host_weak **weak;	/* live weak slots' references */
	size_t nweak, capweak;
	u64 commit_finalized;	/* CYCLE finalizations in this commit */
};

/* Fatal harness failure: prints the context line, then aborts. */
void host_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2),
						    noreturn));
/* Optional: prints where we are (seed, op) before a fatal failure. */
extern void (*host_context)(FILE *f);

void host_graph_init(struct host_graph *hg);
/* refstore_graph_destroy(), then check every object was freed once. */
void host_graph_destroy(struct host_graph *hg);

/* A new object with @nslots empty slots and one handle (count 1). */
struct refstore_obj *host_new(struct host_graph *hg, u16 nslots);
/* SET_SLOT: @target may be NULL (clear). */
void host_set(struct host_graph *hg, struct refstore_obj *obj, u32 slot,
	      struct refstore_obj *target);
struct refstore_obj *host_slot(struct refstore_obj *obj, u32 slot);
/* SET_SLOT with REFSTORE_SLOT_WEAK: @target (may be NULL) is not counted. */
void host_set_weak(struct host_graph *hg, struct refstore_obj *obj, u32 slot,
		   struct refstore_obj *target);
/*
 * GET_SLOT of a weak slot: its live target, NULL if it died (or the slot
 * is not weak: then *@weak is false).
 */
struct refstore_obj *host_slot_weak(struct refstore_obj *obj, u32 slot,
				    bool *weak);
/* DUP / GET_SLOT take a reference; CLOSE drops one. */
void host_get(struct refstore_obj *obj);
void host_put(struct host_graph *hg, struct refstore_obj *obj);
/* GC_COLLECT: scan, commit, then free after "dropping the lock". */
void host_collect(struct host_graph *hg, u32 gen,
		  struct refstore_collect_result *res);
/* The same in steps: scan; then commit (and free) or abort. */
void host_scan(struct host_graph *hg, u32 gen, struct refstore_collection *c);
void host_commit(struct host_graph *hg, struct refstore_collection *c,
		 struct refstore_collect_result *res);
void host_abort(struct host_graph *hg, struct refstore_collection *c);

static inline const struct host_rec *host_rec_of(struct host_graph *hg,
						 u64 id)
{
	return &hg->rec[id];
}

static inline bool host_dead(struct host_graph *hg, u64 id)
{
	return hg->rec[id].released != 0;
}

size_t host_list_len(const struct list_head *head);

#endif /* _REFSTORE_HOST_HARNESS_H */
