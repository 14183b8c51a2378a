// SPDX-License-Identifier: GPL-2.0
/*
 * model.c - the naive oracle. See model.h.
 *
 * The model knows nothing of suspects or generations. Its truth is
 * reachability over its own copy of the slots from the roots: handles,
 * frozen objects and saved garbage. It is deliberately quadratic and
 * simple; graphs are small (MODEL_MAX_OBJS).
 */
#include <stdarg.h>
#include <string.h>

#include "model.h"

static const char *const op_names[] = {
	[MOP_CREATE] = "create", [MOP_SET] = "set", [MOP_CLEAR] = "clear",
	[MOP_GET_SLOT] = "get_slot", [MOP_DROP] = "drop", [MOP_DUP] = "dup",
	[MOP_COLLECT] = "collect", [MOP_AUTO] = "auto",
	[MOP_THRESHOLD] = "threshold", [MOP_FREEZE] = "freeze",
	[MOP_UNFREEZE] = "unfreeze", [MOP_SAVEALL] = "saveall",
	[MOP_CLEAR_GARBAGE] = "clear_garbage",
	[MOP_GARBAGE_HANDLE] = "garbage_handle", [MOP_ABORT] = "abort",
	[MOP_WEAK_SET] = "weak_set",
	[MOP_DESTROY] = "destroy",
};

const char *model_op_name(enum model_op op)
{
	return op <= MOP_DESTROY ? op_names[op] : "?";
}

static void model_fail(struct model *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void model_fail(struct model *m, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (m->failed)
		return;
	m->failed = true;
	n = snprintf(m->err, sizeof(m->err), "op %s: ",
		     op_names[m->op]);
	va_start(ap, fmt);
	vsnprintf(m->err + n, sizeof(m->err) - n, fmt, ap);
	va_end(ap);
}

#define EXPECT(m, cond, ...) do {					\
	if (!(cond)) {							\
		model_fail(m, __VA_ARGS__);				\
		return;							\
	}								\
} while (0)

static struct model *model_of(struct host_graph *hg)
{
	return container_of(hg, struct model, hg);
}

/* A weak slot's target as the harness keeps it (NULL once cleared). */
static struct refstore_obj *weak_target(struct refstore_obj *slot)
{
	return ((struct host_weak *)((unsigned long)slot &
				     ~REFSTORE_SLOT_WEAK_TAG))->target;
}

/* Core slots of a live object equal the model's. */
static bool slots_match(struct model *m, int i)
{
	struct model_obj *mo = &m->o[i];
	struct refstore_obj **slots = refstore_obj_slots(mo->obj);
	int s;

	for (s = 0; s < mo->nslots; s++) {
		struct refstore_obj *want =
			mo->slot[s] < 0 ? NULL : m->o[mo->slot[s]].obj;
		bool weak;

		if (mo->weak[s] && mo->slot[s] >= 0) {
			/*
			 * Its target, or NULL: cleared at the target's death,
			 * which the model learns after the operation.
			 */
			host_slot_weak(mo->obj, s, &weak);
			/* The owner's release drops its weak slots. */
			if (!weak) {
				if (slots[s] || !m->hg.rec[i].released)
					return false;
				continue;
			}
			want = weak_target(slots[s]);
			if (want && (m->o[mo->slot[s]].dead ||
				     want != m->o[mo->slot[s]].obj))
				return false;
			continue;
		}
		if (mo->slot[s] >= 0 && m->o[mo->slot[s]].dead)
			return false;
		if (slots[s] != want)
			return false;
	}
	return true;
}

/*
 * Release hook: checks the order of a collection's step 5. At the first
 * cycle release every victim must already be DEAD (snapshot); at every
 * cycle release no victim's slots may have been broken yet.
 */
static void model_on_release(struct host_graph *hg, struct refstore_obj *obj,
			     u32 cause)
{
	struct model *m = model_of(hg);
	bool collecting = m->op == MOP_COLLECT || m->op == MOP_AUTO ||
			  m->op == MOP_ABORT;
	int i;

	if (obj->id >= (u64)m->nobj || m->o[obj->id].obj != obj) {
		model_fail(m, "release of an object the model does not know");
		return;
	}
	if (m->op == MOP_DESTROY) {
		if (cause != REFSTORE_CAUSE_NONE)
			model_fail(m, "object %llu: cause %u in destroy",
				   (unsigned long long)obj->id, cause);
		return;
	}
	if (cause == REFSTORE_CAUSE_RELEASED)
		return;
	/* Saved garbage was finalized when it was saved, with its death. */
	if (cause == REFSTORE_CAUSE_NONE) {
		if (!(obj->flags & REFSTORE_OF_FINALIZED) ||
		    !hg->rec[obj->id].finalized)
			model_fail(m, "object %llu released with no cause, not finalized",
				   (unsigned long long)obj->id);
		return;
	}
	if (cause != REFSTORE_CAUSE_CYCLE || !collecting) {
		model_fail(m, "object %llu released with cause %u",
			   (unsigned long long)obj->id, cause);
		return;
	}
	if (!m->cycle_snapshot) {
		m->cycle_snapshot = true;
		for (i = 0; i < m->nobj; i++) {
			if (m->o[i].dead || hg->rec[i].released)
				continue;
			m->o[i].dead_seen =
				!!(m->o[i].obj->flags & REFSTORE_OF_DEAD);
		}
	}
	for (i = 0; i < m->nobj; i++) {
		if (m->o[i].dead || !m->o[i].dead_seen)
			continue;
		if (!slots_match(m, i)) {
			model_fail(m, "slots of victim %d broken before the release of %llu",
				   i, (unsigned long long)obj->id);
			return;
		}
	}
}

void model_init(struct model *m, struct model_stats *stats)
{
	static const unsigned int def[MOP_NR] = {
		[MOP_CREATE] = 20, [MOP_SET] = 24, [MOP_CLEAR] = 5,
		[MOP_GET_SLOT] = 6, [MOP_DROP] = 18, [MOP_DUP] = 5,
		[MOP_COLLECT] = 8, [MOP_AUTO] = 3, [MOP_THRESHOLD] = 1,
		[MOP_FREEZE] = 1, [MOP_UNFREEZE] = 2, [MOP_SAVEALL] = 2,
		[MOP_CLEAR_GARBAGE] = 2, [MOP_GARBAGE_HANDLE] = 1,
		[MOP_ABORT] = 4, [MOP_WEAK_SET] = 8,
	};

	memset(m, 0, sizeof(*m));
	host_graph_init(&m->hg);
	m->hg.on_release = model_on_release;
	memcpy(m->weight, def, sizeof(def));
	m->stats = stats;
}

/* ---- reachability ---- */

/* Marks in @reach everything reachable from objects already marked. */
static void model_close(struct model *m, bool *reach)
{
	int stack[MODEL_MAX_OBJS * (MODEL_MAX_SLOTS + 1)], sp = 0, i, s;

	for (i = 0; i < m->nobj; i++)
		if (reach[i])
			stack[sp++] = i;
	while (sp) {
		i = stack[--sp];
		for (s = 0; s < m->o[i].nslots; s++) {
			int t = m->o[i].weak[s] ? -1 : m->o[i].slot[s];

			if (t >= 0 && !reach[t]) {
				reach[t] = true;
				stack[sp++] = t;
			}
		}
	}
}

static int model_due(const struct model *m)
{
	const struct refstore_graph *g = &m->hg.graph;
	int gen;

	/*
	 * gc_collect_generations() of CPython 3.x; the long-lived counts are
	 * the core's (check_lists() checks the generation sizes they come
	 * from).
	 */
	if (!g->enabled || !g->threshold[0] ||
	    m->count[0] <= g->threshold[0])
		return -1;
	for (gen = REFSTORE_GEN_OLDEST; gen > 0; gen--) {
		if (m->count[gen] <= g->threshold[gen])
			continue;
		if (gen == REFSTORE_GEN_OLDEST &&
		    4 * g->long_lived_pending < g->long_lived_total -
						g->long_lived_total % 4)
			continue;
		return gen;
	}
	return 0;
}

/* ---- checks after every operation ---- */

struct op_result {
	bool collected;
	u32 gen;
	bool had_suspects;
	struct refstore_collect_result res;
	u64 ret;	/* freeze/unfreeze return */
	u64 want_ret;
	u64 ncycle;	/* deaths with REFSTORE_CAUSE_CYCLE */
	u64 nfinal;	/* deaths of objects finalized before (saved once) */
	bool rooted_before[MODEL_MAX_OBJS];	/* collections only */
	bool root_died;	/* a frozen or saved object died by counting */
};

static void check_deaths(struct model *m, struct op_result *r)
{
	struct host_graph *hg = &m->hg;
	int i;

	for (i = 0; i < m->nobj; i++) {
		struct model_obj *mo = &m->o[i];
		const struct host_rec *rec = &hg->rec[i];

		if (mo->dead) {
			EXPECT(m, rec->released == 1 && rec->freed == 1,
			       "dead object %d: released %u freed %u", i,
			       rec->released, rec->freed);
			continue;
		}
		if (!rec->released) {
			EXPECT(m, !rec->freed, "object %d freed, not released", i);
			continue;
		}
		EXPECT(m, rec->freed == 1,
		       "object %d released but not freed after the op", i);
		if (mo->frozen)
			r->root_died = true;
		/* The garbage list holds a reference to each object. */
		EXPECT(m, !mo->garbage, "saved garbage %d died", i);
		EXPECT(m, rec->finalized == 1, "object %d died, finalized %u",
		       i, rec->finalized);
		if (rec->cause == REFSTORE_CAUSE_NONE) {
			EXPECT(m, mo->saved_once,
			       "object %d released with no cause, never saved",
			       i);
			r->nfinal++;
		} else if (rec->cause == REFSTORE_CAUSE_CYCLE) {
			EXPECT(m, mo->dead_seen,
			       "victim %d was not DEAD when the first victim was released",
			       i);
			EXPECT(m, mo->nslots, "slotless object %d died as a cycle", i);
			r->ncycle++;
			if (m->stats)
				m->stats->cycle_deaths++;
		} else {
			EXPECT(m, rec->cause == REFSTORE_CAUSE_RELEASED,
			       "object %d died with cause %u", i, rec->cause);
			if (m->stats)
				m->stats->count_deaths++;
		}
		/* A collection resets count 0 anyway: frees there are moot. */
		if (mo->nslots && !r->collected && m->count[0] > 0)
			m->count[0]--;
		mo->dead = true;
		mo->frozen = false;
		mo->obj = NULL;
	}
}

/* Saved garbage is dead to the weak slots naming it, as to weak handles. */
static void weak_saved(struct model *m, int t)
{
	int i, s;

	for (i = 0; i < m->nobj; i++)
		for (s = 0; s < m->o[i].nslots; s++)
			if (m->o[i].weak[s] && m->o[i].slot[s] == t)
				m->o[i].wdead[s] = true;
}

/* The graph's lists of live objects: objects, suspects[0..2], garbage. */
#define MODEL_LISTS	(2 + REFSTORE_NR_GENS)
#define MODEL_LISTS_OF(g) { &(g)->objects, &(g)->suspects[0],		\
			    &(g)->suspects[1], &(g)->suspects[2],	\
			    &(g)->garbage }

/* 0 objects, 1 suspects (of any generation), 2 garbage. */
static int model_list_kind(int k)
{
	return k == 0 ? 0 : k <= REFSTORE_NR_GENS ? 1 : 2;
}

/* Each live object on exactly one list, with flags that agree. */
static void check_lists(struct model *m, struct op_result *r)
{
	struct refstore_graph *g = &m->hg.graph;
	struct list_head *lists[MODEL_LISTS] = MODEL_LISTS_OF(g);
	u8 seen[MODEL_MAX_OBJS] = { 0 };
	struct refstore_obj *obj;
	u64 nr_garbage = 0, nr_frozen = 0, new_garbage = 0;
	u64 nr_gen[REFSTORE_NR_GENS] = { 0 };
	int k, l, i;

	EXPECT(m, list_empty(&g->dying), "objects left on graph->dying");
	for (k = 0; k < MODEL_LISTS; k++) {
		l = model_list_kind(k);
		list_for_each_entry(obj, lists[k], node) {
			struct model_obj *mo;
			u16 f = obj->flags;

			EXPECT(m, obj->id < (u64)m->nobj &&
			       m->o[obj->id].obj == obj,
			       "unknown or dead object on list %d", l);
			i = obj->id;
			mo = &m->o[i];
			EXPECT(m, !seen[i]++, "object %d on two lists", i);
			EXPECT(m, !(f & (REFSTORE_OF_DEAD | REFSTORE_OF_SCANNED |
					 REFSTORE_OF_REACHABLE)),
			       "object %d has flags %#x after the op", i, f);
			EXPECT(m, !!(f & REFSTORE_OF_SUSPECT) == (l == 1),
			       "object %d: SUSPECT flag %d on list %d", i,
			       !!(f & REFSTORE_OF_SUSPECT), l);
			EXPECT(m, !!(f & REFSTORE_OF_GARBAGE) == (l == 2),
			       "object %d: GARBAGE flag %d on list %d", i,
			       !!(f & REFSTORE_OF_GARBAGE), l);
			EXPECT(m, obj->gen <= REFSTORE_GEN_PERMANENT,
			       "object %d: generation %u", i, obj->gen);
			EXPECT(m, (obj->gen == REFSTORE_GEN_PERMANENT) ==
			       mo->frozen, "object %d: gen %u, model frozen %d",
			       i, obj->gen, mo->frozen);
			if (l == 1) {
				EXPECT(m, obj->nslots, "slotless suspect %d", i);
				/* suspects[g] holds generation g only. */
				EXPECT(m, refstore_obj_gen(g, obj) == (u32)k - 1,
				       "suspect %d of generation %u on suspects[%d]",
				       i, refstore_obj_gen(g, obj), k - 1);
			}
			if (obj->nslots && !mo->frozen)
				nr_gen[refstore_obj_gen(g, obj)]++;
			if (l == 2) {
				nr_garbage++;
				EXPECT(m, (f & REFSTORE_OF_FINALIZED) &&
				       m->hg.rec[i].finalized == 1 &&
				       m->hg.rec[i].fcause == REFSTORE_CAUSE_CYCLE &&
				       !m->hg.rec[i].released,
				       "saved object %d: flags %#x finalized %u",
				       i, f, m->hg.rec[i].finalized);
				if (!mo->garbage) {
					new_garbage++;
					mo->garbage = true;
					mo->saved_once = true;
					weak_saved(m, i);
				}
			} else {
				EXPECT(m, !mo->garbage,
				       "saved garbage %d left the garbage list", i);
			}
			if (mo->frozen)
				nr_frozen++;
		}
	}
	for (i = 0; i < m->nobj; i++)
		EXPECT(m, m->o[i].dead || seen[i] == 1,
		       "live object %d on no list", i);
	for (i = 0; i < REFSTORE_NR_GENS; i++)
		EXPECT(m, g->nr_gen[i] == nr_gen[i],
		       "nr_gen[%d] %llu, objects in it %llu", i,
		       (unsigned long long)g->nr_gen[i],
		       (unsigned long long)nr_gen[i]);
	EXPECT(m, g->nr_garbage == nr_garbage, "nr_garbage %llu, list has %llu",
	       (unsigned long long)g->nr_garbage,
	       (unsigned long long)nr_garbage);
	EXPECT(m, g->nr_frozen == nr_frozen, "nr_frozen %llu, model %llu",
	       (unsigned long long)g->nr_frozen,
	       (unsigned long long)nr_frozen);
	if (new_garbage)
		EXPECT(m, r->collected && m->saveall,
		       "%llu objects saved outside a SAVEALL collection",
		       (unsigned long long)new_garbage);
	if (m->stats)
		m->stats->saved += new_garbage;
	if (r->collected) {
		u64 ncycle = r->ncycle;

		/* Victims saved before die without a cause (or as tails). */
		EXPECT(m, r->res.unreachable >= ncycle + new_garbage &&
		       r->res.unreachable <= ncycle + new_garbage + r->nfinal,
		       "collect(%u): unreachable %llu, but %llu cycle deaths + %llu saved (+ %llu saved before)",
		       r->gen, (unsigned long long)r->res.unreachable,
		       (unsigned long long)ncycle,
		       (unsigned long long)new_garbage,
		       (unsigned long long)r->nfinal);
		EXPECT(m, !r->res.uncollectable && r->res.saved == new_garbage,
		       "collect(%u): uncollectable %llu, saved %llu, new garbage %llu",
		       r->gen, (unsigned long long)r->res.uncollectable,
		       (unsigned long long)r->res.saved,
		       (unsigned long long)new_garbage);
		EXPECT(m, !m->saveall || !ncycle,
		       "SAVEALL collection freed %llu objects",
		       (unsigned long long)ncycle);
		EXPECT(m, r->res.examined >= r->res.unreachable,
		       "examined %llu < unreachable %llu",
		       (unsigned long long)r->res.examined,
		       (unsigned long long)r->res.unreachable);
		EXPECT(m, r->had_suspects || !r->res.examined,
		       "no suspects, yet %llu examined",
		       (unsigned long long)r->res.examined);
		EXPECT(m, r->res.generation == r->gen, "result generation %u",
		       r->res.generation);
	}
}

/* Counts are handles plus slots; slots are what the model set. */
static void check_counts(struct model *m)
{
	int want[MODEL_MAX_OBJS] = { 0 };
	int i, s;

	for (i = 0; i < m->nobj; i++) {
		if (m->o[i].dead)
			continue;
		want[i] += m->o[i].handles + m->o[i].garbage;
		for (s = 0; s < m->o[i].nslots; s++)
			if (m->o[i].slot[s] >= 0 && !m->o[i].weak[s])
				want[m->o[i].slot[s]]++;
	}
	for (i = 0; i < m->nobj; i++) {
		if (m->o[i].dead) {
			EXPECT(m, !want[i], "object %d freed with %d references",
			       i, want[i]);
			continue;
		}
		EXPECT(m, want[i] > 0, "object %d alive with no reference", i);
		EXPECT(m, kref_read(&m->o[i].obj->kref) == (unsigned int)want[i],
		       "object %d: count %u, handles+slots %d", i,
		       kref_read(&m->o[i].obj->kref), want[i]);
		EXPECT(m, slots_match(m, i), "object %d: slots differ", i);
		/* After the op: a weak slot is cleared iff its target died. */
		for (s = 0; s < m->o[i].nslots; s++) {
			int t = m->o[i].slot[s];
			bool weak;

			if (!m->o[i].weak[s] || t < 0)
				continue;
			EXPECT(m, !host_slot_weak(m->o[i].obj, s, &weak) ==
				  (m->o[t].dead || m->o[i].wdead[s]),
			       "object %d: weak slot %d reads %s, target %d %s",
			       i, s, m->o[t].dead ? "alive" : "dead", t,
			       m->o[t].dead ? "died" : "lives");
		}
	}
}

static void check_reach(struct model *m, struct op_result *r)
{
	bool reach[MODEL_MAX_OBJS] = { false };
	bool all[MODEL_MAX_OBJS];
	int i;

	/* Only saved objects point at saved objects, unless exposed. */
	for (i = 0; i < m->nobj; i++)
		reach[i] = !m->o[i].garbage &&
			   (m->o[i].handles > 0 || m->o[i].frozen);
	model_close(m, reach);
	for (i = 0; i < m->nobj; i++) {
		EXPECT(m, !reach[i] || !m->o[i].dead,
		       "object %d reachable from handles/frozen but freed", i);
		EXPECT(m, !reach[i] || !m->o[i].garbage || m->garbage_exposed,
		       "object %d reachable from handles/frozen but saved as garbage",
		       i);
		all[i] = reach[i] || m->o[i].garbage || m->o[i].frozen;
	}
	model_close(m, all);
	for (i = 0; i < m->nobj; i++)
		EXPECT(m, !all[i] || !m->o[i].dead,
		       "object %d reachable from saved garbage but freed", i);
	if (!r->collected || r->gen != REFSTORE_GEN_OLDEST)
		return;
	/*
	 * A full collection frees everything the roots did not reach when it
	 * started. Frozen and saved objects are never examined, but they can
	 * die by counting when the victims let go of them; what only they
	 * held is then left to the next collection (a suspect now). Unless
	 * that happened, exactly what the roots reach is left.
	 */
	if (m->stats)
		m->stats->full_checks++;
	/* What SAVEALL just kept (and what it reaches) is alive, too. */
	for (i = 0; i < m->nobj; i++)
		r->rooted_before[i] |= m->o[i].garbage;
	model_close(m, r->rooted_before);
	for (i = 0; i < m->nobj; i++) {
		EXPECT(m, r->rooted_before[i] || m->o[i].dead,
		       "after a full collection object %d is alive but was unreachable",
		       i);
		EXPECT(m, r->root_died || all[i] == !m->o[i].dead,
		       "after a full collection object %d is %s but %s", i,
		       m->o[i].dead ? "freed" : "alive",
		       all[i] ? "reachable" : "unreachable");
	}
}

static void check_gc_state(struct model *m, struct op_result *r)
{
	struct refstore_graph *g = &m->hg.graph;
	int gen;

	if (r->collected) {
		struct refstore_gen_stats *st = &m->gstats[r->gen];

		st->collections++;
		/* As CPython: saved objects count as collected. */
		st->collected += r->res.unreachable;
		m->examined += r->res.examined;
		if (r->gen + 1 < REFSTORE_NR_GENS)
			m->count[r->gen + 1]++;
		for (gen = 0; gen <= (int)r->gen; gen++)
			m->count[gen] = 0;
	}
	for (gen = 0; gen < REFSTORE_NR_GENS; gen++) {
		EXPECT(m, g->count[gen] == m->count[gen],
		       "count[%d] %lld, model %lld", gen,
		       (long long)g->count[gen], (long long)m->count[gen]);
		EXPECT(m, !memcmp(&g->stats[gen], &m->gstats[gen],
				  sizeof(m->gstats[gen])),
		       "stats[%d] differ", gen);
	}
	EXPECT(m, g->examined == m->examined, "examined %llu, model %llu",
	       (unsigned long long)g->examined,
	       (unsigned long long)m->examined);
	EXPECT(m, refstore_graph_due(g) == model_due(m),
	       "refstore_graph_due() %d, model %d", refstore_graph_due(g),
	       model_due(m));
	EXPECT(m, r->ret == r->want_ret, "returned %llu, expected %llu",
	       (unsigned long long)r->ret, (unsigned long long)r->want_ret);
}

static void model_check(struct model *m, struct op_result *r)
{
	int i;

	check_deaths(m, r);
	if (!m->failed)
		check_lists(m, r);
	if (!m->failed)
		check_counts(m);
	if (!m->failed)
		check_reach(m, r);
	if (!m->failed)
		check_gc_state(m, r);
	m->cycle_snapshot = false;
	for (i = 0; i < m->nobj; i++)
		m->o[i].dead_seen = false;
}

void model_dump(struct model *m, FILE *f)
{
	int i, s;

	for (i = 0; i < m->nobj; i++) {
		struct model_obj *mo = &m->o[i];

		if (mo->dead)
			continue;
		fprintf(f, "  obj %2d: handles %d count %u gen %u flags %#x%s%s slots",
			i, mo->handles, kref_read(&mo->obj->kref),
			mo->obj->gen, mo->obj->flags,
			mo->frozen ? " frozen" : "",
			mo->garbage ? " garbage" : "");
		for (s = 0; s < mo->nslots; s++)
			fprintf(f, " %d", mo->slot[s]);
		fputc('\n', f);
	}
}

/* ---- operations ---- */

static void do_collect(struct model *m, struct op_result *r, u32 gen)
{
	int i;

	for (i = 0; i < m->nobj; i++)
		r->rooted_before[i] = m->o[i].handles > 0 || m->o[i].frozen ||
				      m->o[i].garbage;
	model_close(m, r->rooted_before);
	r->collected = true;
	r->gen = gen;
	r->had_suspects = false;
	for (i = 0; i <= (int)gen; i++)
		r->had_suspects |= !list_empty(&m->hg.graph.suspects[i]);
	host_collect(&m->hg, gen, &r->res);
}

/* What an abort must leave exactly as it was. */
struct graph_snap {
	signed char list[MODEL_MAX_OBJS];	/* index of MODEL_LISTS_OF() */
	u16 flags[MODEL_MAX_OBJS];
	u8 gen[MODEL_MAX_OBJS];
	unsigned int count[MODEL_MAX_OBJS];
	s64 gc_count[REFSTORE_NR_GENS];
	struct refstore_gen_stats stats[REFSTORE_NR_GENS];
	u64 examined, nr_frozen, nr_garbage;
};

static void snap_take(struct model *m, struct graph_snap *s)
{
	struct refstore_graph *g = &m->hg.graph;
	struct list_head *lists[MODEL_LISTS] = MODEL_LISTS_OF(g);
	struct refstore_obj *obj;
	int l;

	memset(s, 0, sizeof(*s));
	memset(s->list, -1, sizeof(s->list));
	for (l = 0; l < MODEL_LISTS; l++) {
		list_for_each_entry(obj, lists[l], node) {
			s->list[obj->id] = l;
			s->flags[obj->id] = obj->flags;
			s->gen[obj->id] = refstore_obj_gen(g, obj);
			s->count[obj->id] = kref_read(&obj->kref);
		}
	}
	memcpy(s->gc_count, g->count, sizeof(s->gc_count));
	memcpy(s->stats, g->stats, sizeof(s->stats));
	s->examined = g->examined;
	s->nr_frozen = g->nr_frozen;
	s->nr_garbage = g->nr_garbage;
}

/*
 * MOP_ABORT: scan; the staged collection parks exactly the subgraph, and
 * what it found unreachable the model finds unreachable too; abort; the
 * graph is exactly as before (lists, flags, generations, counts,
 * statistics); then an ordinary collection of the same generation, checked
 * like MOP_COLLECT.
 */
static void do_abort(struct model *m, struct op_result *r, u32 gen)
{
	static struct graph_snap before, after;
	struct refstore_graph *g = &m->hg.graph;
	bool rooted[MODEL_MAX_OBJS];
	struct refstore_collection c;
	struct refstore_obj *obj;
	u64 nun = 0, nsurv = 0;
	int i;

	snap_take(m, &before);
	for (i = 0; i < m->nobj; i++)
		rooted[i] = m->o[i].handles > 0 || m->o[i].frozen ||
			    m->o[i].garbage;
	model_close(m, rooted);
	host_scan(&m->hg, gen, &c);
	list_for_each_entry(obj, &c.unreachable, node) {
		nun++;
		EXPECT(m, refstore_obj_collecting(obj),
		       "staged garbage %llu not collecting",
		       (unsigned long long)obj->id);
		EXPECT(m, !rooted[obj->id],
		       "scan(%u) found %llu unreachable, the model reaches it",
		       gen, (unsigned long long)obj->id);
	}
	list_for_each_entry(obj, &c.survivors, node) {
		nsurv++;
		EXPECT(m, (obj->flags & (REFSTORE_OF_STAGED |
					 REFSTORE_OF_REACHABLE |
					 REFSTORE_OF_SCANNED)) ==
		       (REFSTORE_OF_STAGED | REFSTORE_OF_REACHABLE),
		       "staged survivor %llu has flags %#x",
		       (unsigned long long)obj->id, obj->flags);
	}
	EXPECT(m, nun == c.res.unreachable && nun + nsurv == c.res.examined,
	       "scan(%u): %llu + %llu parked, result says %llu of %llu", gen,
	       (unsigned long long)nun, (unsigned long long)nsurv,
	       (unsigned long long)c.res.unreachable,
	       (unsigned long long)c.res.examined);
	EXPECT(m, c.res.generation == gen, "scan result generation %u",
	       c.res.generation);
	host_abort(&m->hg, &c);
	EXPECT(m, list_empty(&g->staged), "collection still staged");
	snap_take(m, &after);
	for (i = 0; i < m->nobj; i++)
		EXPECT(m, before.list[i] == after.list[i] &&
		       before.flags[i] == after.flags[i] &&
		       before.gen[i] == after.gen[i] &&
		       before.count[i] == after.count[i],
		       "object %d after abort: list %d flags %#x gen %u count %u, before list %d flags %#x gen %u count %u",
		       i, after.list[i], after.flags[i], after.gen[i],
		       after.count[i], before.list[i], before.flags[i],
		       before.gen[i], before.count[i]);
	EXPECT(m, !memcmp(&before, &after, sizeof(before)),
	       "graph counts or statistics moved in an abort");
	do_collect(m, r, gen);
}

static void push_handle(struct model *m, int id)
{
	m->handle[m->nhandles++] = id;
	m->o[id].handles++;
}

static enum model_op pick_op(struct model *m, struct model_src *src)
{
	unsigned int total = 0, x, op;

	for (op = 0; op < MOP_NR; op++)
		total += m->weight[op];
	x = src->next(src->ctx, total);
	for (op = 0; op < MOP_NR; op++) {
		if (x < m->weight[op])
			return op;
		x -= m->weight[op];
	}
	return MOP_CREATE;
}

bool model_step(struct model *m, struct model_src *src)
{
	if (m->failed)
		return false;
	return model_apply(m, pick_op(m, src), src);
}

bool model_apply(struct model *m, enum model_op op, struct model_src *src)
{
	struct refstore_graph *g = &m->hg.graph;
	struct op_result r = { 0 };
	struct model_obj *mo = NULL;
	int h = -1, id = -1, s = -1, tgt = -1, t, i;

	if (m->failed)
		return false;
	m->op = op;
	if (m->nhandles && ((m->op >= MOP_SET && m->op <= MOP_DUP) ||
			    m->op == MOP_WEAK_SET)) {
		h = src->next(src->ctx, m->nhandles);
		id = m->handle[h];
		mo = &m->o[id];
		if (mo->nslots)
			s = src->next(src->ctx, mo->nslots);
	}
	switch (m->op) {
	case MOP_CREATE:
		if (m->nobj == MODEL_MAX_OBJS ||
		    m->nhandles == MODEL_MAX_HANDLES)
			break;
		id = m->nobj++;
		mo = &m->o[id];
		memset(mo, 0, sizeof(*mo));
		mo->nslots = src->next(src->ctx, MODEL_MAX_SLOTS + 1);
		for (i = 0; i < MODEL_MAX_SLOTS; i++)
			mo->slot[i] = -1;
		mo->obj = host_new(&m->hg, mo->nslots);
		if (mo->obj->id != (u64)id)
			model_fail(m, "harness id %llu, model %d",
				   (unsigned long long)mo->obj->id, id);
		push_handle(m, id);
		if (mo->nslots)
			m->count[0]++;
		if (m->stats)
			m->stats->objects++;
		break;
	case MOP_SET:
	case MOP_CLEAR:
		if (s < 0)
			break;
		t = m->op == MOP_SET ?
			m->handle[src->next(src->ctx, m->nhandles)] : -1;
		mo->slot[s] = t;
		mo->weak[s] = false;
		mo->wdead[s] = false;
		tgt = t;
		host_set(&m->hg, mo->obj, s, t < 0 ? NULL : m->o[t].obj);
		break;
	case MOP_WEAK_SET:
		if (s < 0)
			break;
		t = m->handle[src->next(src->ctx, m->nhandles)];
		mo->slot[s] = t;
		mo->weak[s] = true;
		/* Weak to saved garbage: cleared only when it dies. */
		mo->wdead[s] = false;
		tgt = t;
		host_set_weak(&m->hg, mo->obj, s, m->o[t].obj);
		break;
	case MOP_GET_SLOT:
		if (s < 0 || mo->slot[s] < 0 ||
		    m->nhandles == MODEL_MAX_HANDLES)
			break;
		/* A weak slot whose target died reads as empty. */
		if (mo->weak[s] && (m->o[mo->slot[s]].dead || mo->wdead[s]))
			break;
		tgt = mo->slot[s];
		host_get(m->o[tgt].obj);
		push_handle(m, tgt);
		break;
	case MOP_DROP:
		if (h < 0)
			break;
		m->handle[h] = m->handle[--m->nhandles];
		mo->handles--;
		host_put(&m->hg, mo->obj);
		break;
	case MOP_DUP:
		if (h < 0 || m->nhandles == MODEL_MAX_HANDLES)
			break;
		host_get(mo->obj);
		push_handle(m, id);
		break;
	case MOP_COLLECT:
		do_collect(m, &r, src->next(src->ctx, REFSTORE_NR_GENS));
		break;
	case MOP_ABORT:
		do_abort(m, &r, src->next(src->ctx, REFSTORE_NR_GENS));
		break;
	case MOP_AUTO:
		i = refstore_graph_due(g);
		if (i >= 0)
			do_collect(m, &r, i);
		break;
	case MOP_THRESHOLD:
		g->threshold[0] = src->next(src->ctx, 8);
		g->threshold[1] = src->next(src->ctx, 4);
		g->threshold[2] = src->next(src->ctx, 4);
		g->enabled = src->next(src->ctx, 4) != 0;
		break;
	case MOP_FREEZE:
		/* Saved garbage too, as gc.freeze(). */
		for (i = 0; i < m->nobj; i++) {
			if (!m->o[i].dead)
				m->o[i].frozen = true;
			r.want_ret += m->o[i].frozen;
		}
		r.ret = refstore_freeze(g);
		memset(m->count, 0, sizeof(m->count));	/* as gc.freeze() */
		break;
	case MOP_UNFREEZE:
		for (i = 0; i < m->nobj; i++) {
			r.want_ret += m->o[i].frozen;
			m->o[i].frozen = false;
		}
		r.ret = refstore_unfreeze(g);
		break;
	case MOP_SAVEALL:
		m->saveall = !m->saveall;
		if (m->saveall)
			g->debug |= REFSTORE_GC_DEBUG_SAVEALL;
		else
			g->debug &= ~REFSTORE_GC_DEBUG_SAVEALL;
		break;
	case MOP_CLEAR_GARBAGE:
		for (i = 0; i < m->nobj; i++)
			m->o[i].garbage = false;
		m->garbage_exposed = false;
		refstore_garbage_clear(g);
		break;
	case MOP_GARBAGE_HANDLE:
		/* As GC_GARBAGE: a new handle to the k-th saved object. */
		if (!g->nr_garbage || m->nhandles == MODEL_MAX_HANDLES)
			break;
		t = src->next(src->ctx, g->nr_garbage < 256 ? g->nr_garbage : 256);
		for (i = 0; i < m->nobj; i++)
			if (m->o[i].garbage && !t--)
				break;
		if (i == m->nobj) {
			model_fail(m, "nr_garbage %llu, model has fewer",
				   (unsigned long long)g->nr_garbage);
			break;
		}
		tgt = i;
		host_get(m->o[i].obj);
		push_handle(m, i);
		m->garbage_exposed = true;
		break;
	default:
		break;
	}
	if (m->verbose)
		fprintf(stderr, "  %-14s h=%d obj=%d slot=%d target=%d gen=%d -> unreachable %llu examined %llu\n",
			op_names[m->op], h, id, s,
			tgt,
			r.collected ? (int)r.gen : -1,
			(unsigned long long)r.res.unreachable,
			(unsigned long long)r.res.examined);
	if (m->stats) {
		m->stats->ops++;
		m->stats->op[m->op]++;
	}
	model_check(m, &r);
	if (m->failed && m->verbose)
		model_dump(m, stderr);
	return !m->failed;
}

/* The largest value every time: the last handle, generation 2. */
static unsigned int src_last(void *ctx, unsigned int bound)
{
	return bound ? bound - 1 : 0;
}

bool model_teardown(struct model *m)
{
	struct model_src last = { src_last, NULL, NULL };

	if (m->saveall)
		model_apply(m, MOP_SAVEALL, &last);
	model_apply(m, MOP_UNFREEZE, &last);
	model_apply(m, MOP_CLEAR_GARBAGE, &last);
	while (m->nhandles && !m->failed)
		model_apply(m, MOP_DROP, &last);
	/* Nothing frozen, saved or held: a full collection frees it all. */
	model_apply(m, MOP_COLLECT, &last);
	if (!m->failed && m->hg.freed != (u64)m->nobj)
		model_fail(m, "teardown left %llu of %d objects",
			   (unsigned long long)(m->nobj - m->hg.freed), m->nobj);
	return !m->failed;
}

bool model_fini(struct model *m)
{
	/* The hook insists on REFSTORE_CAUSE_NONE; the harness on once each. */
	m->op = MOP_DESTROY;
	host_graph_destroy(&m->hg);
	return !m->failed;
}
