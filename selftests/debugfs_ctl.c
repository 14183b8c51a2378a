// SPDX-License-Identifier: GPL-2.0
/*
 * A heap's debugfs directory as root sees it (skipped without debugfs):
 * heaps/<id>/objects read in chunks, each id once and in order, however
 * small the reads; heaps/<id>/edges, one line per slot holding a
 * reference, "source slot target kind" (kind strong, weak, or dead: a weak
 * slot whose target is gone, target 0), in (source, slot) order, as
 * REFERENTS with slot flags says of every object, each edge once however
 * small the reads, "... N more" after 100,000 lines;
 * heaps/<id>/control's collector verbs and their errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "common.h"

#define DBG "/sys/kernel/debug/refstore"
#define OBJECTS_HEADER "id refcount size slots tag gen creator_pid creator_comm\n"
#define NR_OBJS 5000
#define EDGES_HEADER "source slot target kind\n"
#define MAX_LINES 100000
#define MAX_SLOTS 1024	/* the module's default max_slots */
#define CLI "/usr/bin/refstore"

FIXTURE(dbg) {
	int fd;
	char dir[96];
	char control[128];
	char objects[128];
	char edges[128];
};

FIXTURE_SETUP(dbg)
{
	struct refstore_heap_stats st = { .size = sizeof(st) };

	self->fd = -1;
	if (access(DBG "/heaps", R_OK))
		SKIP(return, "no %s (debugfs mounted? root?)", DBG "/heaps");
	self->fd = rs_open(0);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, rs_heap_stats(self->fd, &st));
	snprintf(self->dir, sizeof(self->dir), DBG "/heaps/%llu",
		 (unsigned long long)st.heap_id);
	snprintf(self->control, sizeof(self->control), "%s/control", self->dir);
	snprintf(self->objects, sizeof(self->objects), "%s/objects", self->dir);
	snprintf(self->edges, sizeof(self->edges), "%s/edges", self->dir);
}

FIXTURE_TEARDOWN(dbg)
{
	if (self->fd >= 0)
		close(self->fd);
}

/* The whole of @path read @step bytes at a time; malloc'd, NUL-ended. */
static char *read_all(const char *path, size_t step)
{
	size_t len = 0, cap = 1 << 16;
	char *buf = malloc(cap);
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0 || !buf)
		goto fail;
	for (;;) {
		if (len + step + 1 > cap) {
			char *p = realloc(buf, cap *= 2);

			if (!p)
				goto fail;
			buf = p;
		}
		n = read(fd, buf + len, step);
		if (n < 0)
			goto fail;
		if (!n)
			break;
		len += n;
	}
	close(fd);
	buf[len] = '\0';
	return buf;
fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

/*
 * Checks @text is the header then lines in strictly increasing id order,
 * and marks each id in @seen (indexed by id - @base, @n of them).
 * Returns the number of lines, -1 on a malformed one.
 */
static long check_listing(struct __test_metadata *_metadata, char *text,
			  uint64_t base, uint64_t n, unsigned char *seen)
{
	uint64_t prev = 0, id;
	long lines = 0;
	char *line, *save;

	if (strncmp(text, OBJECTS_HEADER, strlen(OBJECTS_HEADER)))
		return -1;
	for (line = strtok_r(text + strlen(OBJECTS_HEADER), "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		unsigned int rc, size, slots, gen;
		unsigned long long tag, lid;
		int pid;
		char comm[32];

		if (sscanf(line, "%llu %u %u %u %llu %u %d %31s", &lid, &rc,
			   &size, &slots, &tag, &gen, &pid, comm) != 8)
			return -1;
		id = lid;
		if (id <= prev)
			return -1;
		prev = id;
		if (id >= base && id < base + n)
			seen[id - base]++;
		lines++;
	}
	return lines;
}

/* 5,000 objects, far more than one seq_file buffer, at several read sizes. */
TEST_F(dbg, objects_listed_once_each_in_chunks)
{
	static const size_t steps[] = { 1 << 16, 4096, 100, 7 };
	unsigned char *seen = calloc(NR_OBJS, 1);
	uint64_t first = 0, id = 0;
	unsigned int i, k;
	char *text;

	ASSERT_NE(NULL, seen);
	for (i = 0; i < NR_OBJS; i++) {
		t_create(_metadata, self->fd, i % 3 * 8, i % 2, 0, 0, &id);
		if (!i)
			first = id;
	}
	ASSERT_EQ(first + NR_OBJS - 1, id);

	for (k = 0; k < T_ARRAY_SIZE(steps); k++) {
		text = read_all(self->objects, steps[k]);
		ASSERT_NE(NULL, text);
		memset(seen, 0, NR_OBJS);
		EXPECT_EQ(NR_OBJS, check_listing(_metadata, text, first, NR_OBJS,
						 seen)) {
			TH_LOG("read %zu at a time", steps[k]);
		}
		for (i = 0; i < NR_OBJS; i++)
			ASSERT_EQ(1, seen[i]) {
				TH_LOG("id %llu read %zu at a time",
				       (unsigned long long)(first + i), steps[k]);
			}
		free(text);
	}
	free(seen);

	/* The heap is still usable: one more object, a collection. */
	CREATE(self->fd, 16, 1);
	EXPECT_EQ(0, COLLECT(self->fd, 2));
	EXPECT_EQ(NR_OBJS + 1, OBJECTS(self->fd));
}

/* A listing read while the heap changes: ids in order, none twice. */
TEST_F(dbg, objects_changing_between_reads)
{
	uint32_t h[NR_OBJS];
	unsigned char *seen = calloc(2 * NR_OBJS, 1);
	uint64_t first = 0, id = 0;
	char buf[4096], *text;
	size_t len = 0, cap = 1 << 20;
	unsigned int i;
	ssize_t n;
	int fd;

	text = malloc(cap);
	ASSERT_NE(NULL, text);
	ASSERT_NE(NULL, seen);
	for (i = 0; i < NR_OBJS; i++) {
		h[i] = t_create(_metadata, self->fd, 0, 0, 0, 0, &id);
		if (!i)
			first = id;
	}
	fd = open(self->objects, O_RDONLY);
	ASSERT_LE(0, fd);
	n = read(fd, buf, sizeof(buf));
	ASSERT_LT(0, n);
	memcpy(text, buf, n);
	len = n;
	/* Free every other object and make as many new ones. */
	for (i = 0; i < NR_OBJS; i += 2)
		CLOSE(self->fd, h[i]);
	for (i = 0; i < NR_OBJS / 2; i++)
		CREATE(self->fd, 0, 0);
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		ASSERT_LT(len + n, cap);
		memcpy(text + len, buf, n);
		len += n;
	}
	ASSERT_EQ(0, n);
	close(fd);
	text[len] = '\0';
	EXPECT_LT(0, check_listing(_metadata, text, first, 2 * NR_OBJS, seen));
	for (i = 0; i < 2 * NR_OBJS; i++)
		ASSERT_GE(1, seen[i]);
	/* Those never freed are all there. */
	for (i = 1; i < NR_OBJS; i += 2)
		ASSERT_EQ(1, seen[i]);
	free(seen);
	free(text);
}

/* Rewinding starts the listing over. */
TEST_F(dbg, objects_seek_rewinds)
{
	char a[8192], b[8192];
	ssize_t na, nb;
	int fd, i;

	for (i = 0; i < 600; i++)
		CREATE(self->fd, 0, 0);
	fd = open(self->objects, O_RDONLY);
	ASSERT_LE(0, fd);
	na = read(fd, a, sizeof(a));
	ASSERT_LT(0, na);
	ASSERT_EQ(0, lseek(fd, 0, SEEK_SET));
	nb = read(fd, b, sizeof(b));
	ASSERT_EQ(na, nb);
	EXPECT_EQ(0, memcmp(a, b, na));
	nb = pread(fd, b, 100, 0);
	ASSERT_EQ(100, nb);
	EXPECT_EQ(0, memcmp(a, b, 100));
	close(fd);
}

/* An empty heap lists the header alone. */
TEST_F(dbg, objects_empty_heap)
{
	char *text = read_all(self->objects, 4096);

	ASSERT_NE(NULL, text);
	EXPECT_STREQ(OBJECTS_HEADER, text);
	free(text);
}

/* A growing string. */
struct text {
	char *s;
	size_t len, cap;
};

static int text_add(struct text *t, const char *line)
{
	size_t n = strlen(line);

	if (t->len + n + 1 > t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 1 << 16;
		char *p;

		while (cap < t->len + n + 1)
			cap *= 2;
		p = realloc(t->s, cap);
		if (!p)
			return -1;
		t->s = p;
		t->cap = cap;
	}
	memcpy(t->s + t->len, line, n + 1);
	t->len += n;
	return 0;
}

/*
 * The listing edges should show, from OBJECTS and REFERENTS with slot
 * flags: every object in id order, every slot holding something in slot
 * order. Returns the text (malloc'd) and the number of edges in *@nr.
 */
static char *expected_edges(struct __test_metadata *_metadata, int fd,
			    size_t *nr)
{
	struct refstore_object_info *objs = NULL;
	static uint64_t ids[MAX_SLOTS];
	static uint32_t fl[MAX_SLOTS];
	struct text t = { 0 };
	size_t n = 0, i;
	uint32_t nslots, s;
	char line[96];

	*nr = 0;
	if (rs_objects_all(fd, &objs, &n) || text_add(&t, EDGES_HEADER))
		goto fail;
	for (i = 0; i < n; i++) {
		if (rs_referents_ex(fd, objs[i].id, ids, fl,
				    MAX_SLOTS, &nslots))
			goto fail;
		for (s = 0; s < nslots; s++) {
			const char *kind = "strong";

			if (fl[s] & REFSTORE_SLOT_DEAD)
				kind = "dead";
			else if (fl[s] & REFSTORE_SLOT_WEAK)
				kind = "weak";
			else if (!ids[s])
				continue;	/* empty */
			snprintf(line, sizeof(line), "%llu %u %llu %s\n",
				 (unsigned long long)objs[i].id, s,
				 (unsigned long long)ids[s], kind);
			if (text_add(&t, line))
				goto fail;
			++*nr;
		}
	}
	free(objs);
	return t.s;
fail:
	free(objs);
	free(t.s);
	return NULL;
}

/* Lines of @text. */
static size_t count_lines(const char *text)
{
	size_t n = 0;

	for (; *text; text++)
		n += *text == '\n';
	return n;
}

/*
 * a: slot 0 = b (strong), 1 = weak b, 2 empty, 3 = weak c, 4 = weak a
 * (itself); b: slot 0 = a, slot 1 = d; c dies, so a's slot 3 is dead.
 */
TEST_F(dbg, edges_strong_weak_dead_as_referents)
{
	uint64_t ida = 0, idb = 0, idc = 0, idd = 0;
	uint32_t a, b, c, d;
	char want[512], *text, *exp;
	struct stat sb;
	size_t nr;

	ASSERT_EQ(0, stat(self->edges, &sb));
	EXPECT_EQ(0400, sb.st_mode & 0777);

	ASSERT_EQ(0, rs_create(self->fd, 0, 5, 0, 0, 0, &a, &ida));
	ASSERT_EQ(0, rs_create(self->fd, 8, 2, 0, 0, 0, &b, &idb));
	ASSERT_EQ(0, rs_create(self->fd, 0, 0, 0, 0, 0, &c, &idc));
	ASSERT_EQ(0, rs_create(self->fd, 0, 1, 0, 0, 0, &d, &idd));
	LINK(self->fd, a, 0, b);
	ASSERT_EQ(0, rs_set_slot_weak(self->fd, a, 1, b));
	ASSERT_EQ(0, rs_set_slot_weak(self->fd, a, 3, c));
	ASSERT_EQ(0, rs_set_slot_weak(self->fd, a, 4, a));
	LINK(self->fd, b, 0, a);
	LINK(self->fd, b, 1, d);
	CLOSE(self->fd, c);
	EXPECT_EQ(3, OBJECTS(self->fd));

	snprintf(want, sizeof(want),
		 EDGES_HEADER
		 "%llu 0 %llu strong\n"
		 "%llu 1 %llu weak\n"
		 "%llu 3 0 dead\n"
		 "%llu 4 %llu weak\n"
		 "%llu 0 %llu strong\n"
		 "%llu 1 %llu strong\n",
		 (unsigned long long)ida, (unsigned long long)idb,
		 (unsigned long long)ida, (unsigned long long)idb,
		 (unsigned long long)ida,
		 (unsigned long long)ida, (unsigned long long)ida,
		 (unsigned long long)idb, (unsigned long long)ida,
		 (unsigned long long)idb, (unsigned long long)idd);
	text = read_all(self->edges, 4096);
	ASSERT_NE(NULL, text);
	EXPECT_STREQ(want, text);
	/* ...which is what REFERENTS says of every object. */
	exp = expected_edges(_metadata, self->fd, &nr);
	ASSERT_NE(NULL, exp);
	EXPECT_EQ(6, nr);
	EXPECT_STREQ(exp, text);
	free(exp);
	free(text);
}

/* An empty heap, and one without edges, list the header alone. */
TEST_F(dbg, edges_none_header_only)
{
	char *text = read_all(self->edges, 4096);

	ASSERT_NE(NULL, text);
	EXPECT_STREQ(EDGES_HEADER, text);
	free(text);
	CREATE(self->fd, 0, 4);
	CREATE(self->fd, 16, 0);
	text = read_all(self->edges, 4096);
	ASSERT_NE(NULL, text);
	EXPECT_STREQ(EDGES_HEADER, text);
	free(text);
}

/*
 * 1,000 objects of 6 slots, 5 of them set (every third weak, some of
 * those dead): 5,000 edges, 20 chunks, read 64 KiB, 4096, 100 and 7 bytes
 * at a time; each read must equal what REFERENTS says, so no line is
 * missing or twice.
 */
#define NR_SRC 1000
TEST_F(dbg, edges_listed_once_each_in_chunks)
{
	static const size_t steps[] = { 1 << 16, 4096, 100, 7 };
	static uint32_t h[NR_SRC];
	uint32_t i, j, k, victim;
	size_t nr;
	char *exp, *text;

	for (i = 0; i < NR_SRC; i++)
		h[i] = CREATE(self->fd, 0, 6);
	victim = CREATE(self->fd, 0, 0);
	for (i = 0; i < NR_SRC; i++) {
		for (j = 0; j < 5; j++) {
			uint32_t t = h[(i + j + 1) % NR_SRC];

			uint32_t s = j + (j >= 2);	/* slot 2 stays empty */

			if ((i + j) % 3) {
				LINK(self->fd, h[i], s, t);
				continue;
			}
			ASSERT_EQ(0, rs_set_slot_weak(self->fd, h[i], s,
						      i % 7 ? t : victim));
		}
	}
	CLOSE(self->fd, victim);	/* the weak slots at it are dead */

	exp = expected_edges(_metadata, self->fd, &nr);
	ASSERT_NE(NULL, exp);
	ASSERT_EQ(NR_SRC * 5, nr);
	ASSERT_NE(NULL, strstr(exp, " dead\n"));
	for (k = 0; k < T_ARRAY_SIZE(steps); k++) {
		text = read_all(self->edges, steps[k]);
		ASSERT_NE(NULL, text);
		EXPECT_EQ(nr + 1, count_lines(text)) {
			TH_LOG("read %zu at a time", steps[k]);
		}
		EXPECT_STREQ(exp, text) {
			TH_LOG("read %zu at a time", steps[k]);
		}
		free(text);
	}
	free(exp);
}

/*
 * 100 objects of 1,024 slots each pointing at the next: 102,400 edges;
 * 100,000 are listed, then "... 2400 more".
 */
TEST_F(dbg, edges_cap_then_more)
{
	enum { N = 100, SLOTS = 1024 };
	uint32_t h[N], i, j;
	char *text, *last, *exp, *cut;
	size_t nr;

	for (i = 0; i < N; i++)
		h[i] = CREATE(self->fd, 0, SLOTS);
	for (i = 0; i < N; i++)
		for (j = 0; j < SLOTS; j++)
			LINK(self->fd, h[i], j, h[(i + 1) % N]);
	text = read_all(self->edges, 1 << 16);
	ASSERT_NE(NULL, text);
	EXPECT_EQ(1 + MAX_LINES + 1, count_lines(text));
	ASSERT_LT(1, strlen(text));
	text[strlen(text) - 1] = '\0';
	last = strrchr(text, '\n');
	ASSERT_NE(NULL, last);
	EXPECT_STREQ("\n... 2400 more", last);
	/* What comes before it is the first 100,000 edges exactly. */
	exp = expected_edges(_metadata, self->fd, &nr);
	ASSERT_NE(NULL, exp);
	EXPECT_EQ(N * SLOTS, nr);
	cut = exp;
	for (i = 0; i < 1 + MAX_LINES; i++)
		cut = strchr(cut, '\n') + 1;
	*cut = '\0';
	last[1] = '\0';
	EXPECT_STREQ(exp, text);
	free(exp);
	free(text);
}

TEST_F(dbg, control_is_root_write_only)
{
	struct stat st;

	ASSERT_EQ(0, stat(self->control, &st));
	EXPECT_EQ(0200, st.st_mode & 0777);
}

TEST_F(dbg, control_enable_disable)
{
	EXPECT_EQ(1, GC_VALUE(self->fd, GC_ISENABLED));
	ASSERT_EQ(0, t_write_str(self->control, "disable"));
	EXPECT_EQ(0, GC_VALUE(self->fd, GC_ISENABLED));
	ASSERT_EQ(0, t_write_str(self->control, "disable\n"));
	EXPECT_EQ(0, GC_VALUE(self->fd, GC_ISENABLED));
	ASSERT_EQ(0, t_write_str(self->control, " enable \n"));
	EXPECT_EQ(1, GC_VALUE(self->fd, GC_ISENABLED));
	EXPECT_EQ(-EINVAL, t_write_str(self->control, "disable now"));
	EXPECT_EQ(-EINVAL, t_write_str(self->control, "enabled"));
	EXPECT_EQ(1, GC_VALUE(self->fd, GC_ISENABLED));
}

static void expect_einval(struct __test_metadata *_metadata,
			  const char *control, const char *verb)
{
	int ret = t_write_str(control, verb);

	if (ret != -EINVAL) {
		TH_LOG("'%s' gave %d, not -EINVAL", verb ? verb : "", ret);
		_metadata->passed = 0;
	}
}

TEST_F(dbg, control_threshold)
{
	static const char *const bad[] = {
		"threshold", "threshold 1", "threshold 1 2", "threshold 1 2 3 4",
		"threshold 1 2 x", "threshold -1 2 3", "threshold 1 2 1000001",
		"threshold 1 2 99999999999", "threshold 0x10 2 3",
		"threshold 1  2 3", "threshold 1 2 3x",
	};
	uint32_t t[REFSTORE_GC_GENERATIONS];
	unsigned int i;

	ASSERT_EQ(0, t_write_str(self->control, "threshold 5 6 7\n"));
	ASSERT_EQ(0, rs_gc_get_threshold(self->fd, t));
	EXPECT_EQ(5, t[0]);
	EXPECT_EQ(6, t[1]);
	EXPECT_EQ(7, t[2]);
	for (i = 0; i < T_ARRAY_SIZE(bad); i++)
		expect_einval(_metadata, self->control, bad[i]);
	/* Nothing failed half-way. */
	ASSERT_EQ(0, rs_gc_get_threshold(self->fd, t));
	EXPECT_EQ(5, t[0]);
	EXPECT_EQ(6, t[1]);
	EXPECT_EQ(7, t[2]);
	ASSERT_EQ(0, t_write_str(self->control, "threshold 0 1000000 0"));
	ASSERT_EQ(0, rs_gc_get_threshold(self->fd, t));
	EXPECT_EQ(0, t[0]);
	EXPECT_EQ(1000000, t[1]);
	EXPECT_EQ(0, t[2]);
}

TEST_F(dbg, control_debug)
{
	static const char *const bad[] = {
		"debug", "debug x", "debug 1 2", "debug -1", "debug 0x80000000",
		"debug 0x10000000000000000", "debug 1 x",
	};
	unsigned int i;

	ASSERT_EQ(0, t_write_str(self->control, "debug 0x2"));
	EXPECT_EQ(REFSTORE_GC_DEBUG_SAVEALL, GC_VALUE(self->fd, GC_GET_DEBUG));
	ASSERT_EQ(0, t_write_str(self->control, "debug 1"));
	EXPECT_EQ(REFSTORE_GC_DEBUG_STATS, GC_VALUE(self->fd, GC_GET_DEBUG));
	for (i = 0; i < T_ARRAY_SIZE(bad); i++)
		expect_einval(_metadata, self->control, bad[i]);
	EXPECT_EQ(REFSTORE_GC_DEBUG_STATS, GC_VALUE(self->fd, GC_GET_DEBUG));
	ASSERT_EQ(0, t_write_str(self->control, "debug 0"));
	EXPECT_EQ(0, GC_VALUE(self->fd, GC_GET_DEBUG));
}

TEST_F(dbg, control_freeze_unfreeze)
{
	int i;

	for (i = 0; i < 10; i++)
		CREATE(self->fd, 0, 1);
	EXPECT_EQ(0, GC_VALUE(self->fd, GC_GET_FREEZE_COUNT));
	ASSERT_EQ(0, t_write_str(self->control, "freeze"));
	EXPECT_EQ(10, GC_VALUE(self->fd, GC_GET_FREEZE_COUNT));
	EXPECT_EQ(-EINVAL, t_write_str(self->control, "freeze 1"));
	ASSERT_EQ(0, t_write_str(self->control, "unfreeze"));
	EXPECT_EQ(0, GC_VALUE(self->fd, GC_GET_FREEZE_COUNT));
}

TEST_F(dbg, control_errors)
{
	char big[100];

	EXPECT_EQ(-EINVAL, t_write_str(self->control, "bogus"));
	EXPECT_EQ(-EINVAL, t_write_str(self->control, "\n"));
	EXPECT_EQ(-EINVAL, t_write_str(self->control, "collect"));
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	EXPECT_EQ(-EINVAL, t_write_str(self->control, big));
	EXPECT_EQ(1, GC_VALUE(self->fd, GC_ISENABLED));
}

/* `refstore gc VERB --heap ID` runs @verb on this heap: its exit status. */
static int run_cli(const struct __test_metadata *_metadata, int fd,
		   const char *verb, char *out, size_t len)
{
	struct refstore_heap_stats st = { .size = sizeof(st) };
	char cmd[256];
	size_t n = 0, r;
	FILE *f;

	if (rs_heap_stats(fd, &st))
		return -1;
	snprintf(cmd, sizeof(cmd), CLI " gc %s --heap %llu 2>&1", verb,
		 (unsigned long long)st.heap_id);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	while (n + 1 < len && (r = fread(out + n, 1, len - 1 - n, f)) > 0)
		n += r;
	out[n] = 0;
	r = pclose(f);
	return WIFEXITED(r) ? WEXITSTATUS(r) : -1;
}

/* The CLI's --heap path for each verb debugfs' control file has. */
TEST_F(dbg, cli_heap_verbs)
{
	uint32_t t[REFSTORE_GC_GENERATIONS];
	char out[1024];
	int i;

	if (access(CLI, X_OK))
		SKIP(return, "no %s", CLI);
	for (i = 0; i < 4; i++)
		CREATE(self->fd, 0, 1);

	ASSERT_EQ(0, run_cli(_metadata, self->fd, "disable", out, sizeof(out)));
	EXPECT_EQ(0, GC_VALUE(self->fd, GC_ISENABLED));
	ASSERT_EQ(0, run_cli(_metadata, self->fd, "enable", out, sizeof(out)));
	EXPECT_EQ(1, GC_VALUE(self->fd, GC_ISENABLED));

	/* Values not given keep theirs, as without --heap. */
	ASSERT_EQ(0, rs_gc_set_threshold(self->fd, 700, 10, 10));
	ASSERT_EQ(0, run_cli(_metadata, self->fd, "threshold 50 60", out,
			     sizeof(out)));
	EXPECT_STREQ("threshold: 50 60 10\n", out);
	ASSERT_EQ(0, rs_gc_get_threshold(self->fd, t));
	EXPECT_EQ(50, t[0]);
	EXPECT_EQ(60, t[1]);
	EXPECT_EQ(10, t[2]);
	ASSERT_EQ(0, run_cli(_metadata, self->fd, "threshold", out, sizeof(out)));
	EXPECT_STREQ("threshold: 50 60 10\n", out);
	EXPECT_EQ(1, run_cli(_metadata, self->fd, "threshold 1 2 2000000", out,
			     sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "EINVAL")) TH_LOG("%s", out);
	ASSERT_EQ(0, rs_gc_get_threshold(self->fd, t));
	EXPECT_EQ(50, t[0]);

	ASSERT_EQ(0, run_cli(_metadata, self->fd, "debug saveall", out,
			     sizeof(out)));
	EXPECT_STREQ("debug: 0x2 saveall\n", out);
	EXPECT_EQ(REFSTORE_GC_DEBUG_SAVEALL, GC_VALUE(self->fd, GC_GET_DEBUG));
	ASSERT_EQ(0, run_cli(_metadata, self->fd, "debug 0", out, sizeof(out)));
	EXPECT_EQ(0, GC_VALUE(self->fd, GC_GET_DEBUG));
	EXPECT_EQ(1, run_cli(_metadata, self->fd, "debug 64", out, sizeof(out)));

	ASSERT_EQ(0, run_cli(_metadata, self->fd, "freeze", out, sizeof(out)));
	EXPECT_STREQ("gc.freeze(); gc.get_freeze_count() = 4\n", out);
	EXPECT_EQ(4, GC_VALUE(self->fd, GC_GET_FREEZE_COUNT));
	ASSERT_EQ(0, run_cli(_metadata, self->fd, "unfreeze", out, sizeof(out)));
	EXPECT_STREQ("gc.unfreeze(); gc.get_freeze_count() = 0\n", out);

	/* delay stays its owner's. */
	EXPECT_EQ(1, run_cli(_metadata, self->fd, "delay 5", out, sizeof(out)));
}

TEST_HARNESS_MAIN
