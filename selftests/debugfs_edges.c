// SPDX-License-Identifier: GPL-2.0
/*
 * heaps/<id>/edges as root sees it (skipped without debugfs): one line per
 * slot holding a reference, "source slot target kind", kind strong, weak
 * or dead (a weak slot whose target is gone, target 0), in (source, slot)
 * order. It must say what REFERENTS with slot flags says of every object,
 * list each edge once however small the reads, and stop after 100,000
 * lines with "... N more".
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "common.h"

#define DBG "/sys/kernel/debug/refstore"
#define EDGES_HEADER "source slot target kind\n"
#define MAX_LINES 100000
#define MAX_SLOTS 1024	/* the module's default max_slots */

FIXTURE(edges) {
	int fd;
	char edges[128];
};

FIXTURE_SETUP(edges)
{
	struct refstore_heap_stats st = { .size = sizeof(st) };

	self->fd = -1;
	if (access(DBG "/heaps", R_OK))
		SKIP(return, "no %s (debugfs mounted? root?)", DBG "/heaps");
	self->fd = rs_open(0);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, rs_heap_stats(self->fd, &st));
	snprintf(self->edges, sizeof(self->edges), DBG "/heaps/%llu/edges",
		 (unsigned long long)st.heap_id);
}

FIXTURE_TEARDOWN(edges)
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
TEST_F(edges, strong_weak_dead_as_referents)
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
TEST_F(edges, no_edges_header_only)
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
#define NR_OBJS 1000
TEST_F(edges, listed_once_each_in_chunks)
{
	static const size_t steps[] = { 1 << 16, 4096, 100, 7 };
	static uint32_t h[NR_OBJS + 1];
	uint32_t i, j, k, victim;
	size_t nr;
	char *exp, *text;

	for (i = 0; i < NR_OBJS; i++)
		h[i] = CREATE(self->fd, 0, 6);
	victim = CREATE(self->fd, 0, 0);
	for (i = 0; i < NR_OBJS; i++) {
		for (j = 0; j < 5; j++) {
			uint32_t t = h[(i + j + 1) % NR_OBJS];

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
	ASSERT_EQ(NR_OBJS * 5, nr);
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
TEST_F(edges, cap_then_more)
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

TEST_HARNESS_MAIN
