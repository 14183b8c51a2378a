// SPDX-License-Identifier: GPL-2.0
/*
 * refstore CLI view selftests: `refstore top -j`, `refstore heaps -j` and
 * `refstore snapshot save` / `diff -j` run on this test's own heap (the
 * CLI takes a copy of its fd with pidfd_getfd()); their JSON is checked by
 * a small parser here (the guest has no python), then read field by field.
 */
#include <sys/wait.h>

#include "common.h"

#define CLI "/usr/bin/refstore"

/* ---- a JSON checker: the whole text must be one valid value ---- */

static const char *j_ws(const char *p)
{
	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
		p++;
	return p;
}

static const char *j_value(const char *p);

static const char *j_string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	while (*p && *p != '"') {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p == '\\') {
			p++;
			if (!*p || !strchr("\"\\/bfnrtu", *p))
				return NULL;
		}
		p++;
	}
	return *p == '"' ? p + 1 : NULL;
}

static const char *j_number(const char *p)
{
	const char *s;

	if (*p == '-')
		p++;
	s = p;
	while (*p >= '0' && *p <= '9')
		p++;
	if (p == s || (*s == '0' && p - s > 1))
		return NULL;
	return p;
}

static const char *j_seq(const char *p, char close, bool object)
{
	p = j_ws(p + 1);
	if (*p == close)
		return p + 1;
	for (;;) {
		if (object) {
			p = j_string(j_ws(p));
			if (!p)
				return NULL;
			p = j_ws(p);
			if (*p++ != ':')
				return NULL;
		}
		p = j_value(p);
		if (!p)
			return NULL;
		p = j_ws(p);
		if (*p == close)
			return p + 1;
		if (*p++ != ',')
			return NULL;
	}
}

static const char *j_value(const char *p)
{
	p = j_ws(p);
	switch (*p) {
	case '{':
		return j_seq(p, '}', true);
	case '[':
		return j_seq(p, ']', false);
	case '"':
		return j_string(p);
	case 't':
		return strncmp(p, "true", 4) ? NULL : p + 4;
	case 'f':
		return strncmp(p, "false", 5) ? NULL : p + 5;
	case 'n':
		return strncmp(p, "null", 4) ? NULL : p + 4;
	default:
		return j_number(p);
	}
}

static bool json_valid(const char *s)
{
	const char *end = j_value(s);

	return end && !*j_ws(end);
}

/*
 * The number @key of the flat object that holds "@anchor" (a whole
 * "key":value pair, as printed), or of the outermost object if @anchor is
 * NULL. -1 if not found.
 */
static int64_t json_num(const char *s, const char *anchor, const char *key)
{
	char k[64];
	const char *o = s, *end, *p;

	if (anchor) {
		p = strstr(s, anchor);
		if (!p)
			return -1;
		for (o = p; o > s && *o != '{'; o--)
			;
	}
	end = strchr(o, '}');
	snprintf(k, sizeof(k), "\"%s\":", key);
	p = strstr(o, k);
	if (!p || (end && anchor && p > end))
		return -1;
	return strtoll(p + strlen(k), NULL, 10);
}

/* Runs the CLI with @args; its stdout into @out. Returns its exit status. */
static int run_cli(const char *args, char *out, size_t len)
{
	char cmd[512];
	size_t n = 0, r;
	FILE *f;

	snprintf(cmd, sizeof(cmd), CLI " %s", args);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	while (n + 1 < len && (r = fread(out + n, 1, len - 1 - n, f)) > 0)
		n += r;
	out[n] = 0;
	r = pclose(f);
	return WIFEXITED(r) ? WEXITSTATUS(r) : -1;
}

FIXTURE(cli) {
	int fd;
	char out[65536];
	char args[256];
};

FIXTURE_SETUP(cli)
{
	if (access(CLI, X_OK))
		SKIP(return, CLI " not installed");
	self->fd = rs_open(0);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(cli)
{
	close(self->fd);
}

static void mk_tagged(struct __test_metadata *_metadata, int fd, int n,
		      uint32_t payload, uint64_t tag)
{
	uint32_t h;
	int i;

	for (i = 0; i < n; i++)
		ASSERT_EQ(0, rs_create(fd, payload, 0, 0, tag, 0, &h, NULL));
}

TEST_F(cli, top_json)
{
	struct refstore_traced_memory tm;

	ASSERT_EQ(0, rs_tag_name(self->fd, 1, "small.c:10"));
	ASSERT_EQ(0, rs_tag_name(self->fd, 2, "big.c:20"));
	mk_tagged(_metadata, self->fd, 3, 8, 1);
	mk_tagged(_metadata, self->fd, 2, 4000, 2);
	mk_tagged(_metadata, self->fd, 1, 0, 77);
	ASSERT_EQ(0, rs_traced_memory(self->fd, 0, &tm));

	snprintf(self->args, sizeof(self->args), "top -j --pid %d --fd %d",
		 getpid(), self->fd);
	ASSERT_EQ(0, run_cli(self->args, self->out, sizeof(self->out)));
	ASSERT_TRUE(json_valid(self->out)) TH_LOG("%s", self->out);
	EXPECT_EQ(STATS(self->fd).heap_id, json_num(self->out, NULL, "heap"));
	EXPECT_EQ(6, json_num(self->out, NULL, "objects"));
	EXPECT_EQ(tm.bytes, json_num(self->out, NULL, "bytes"));
	EXPECT_EQ(3, json_num(self->out, "\"name\":\"small.c:10\"", "count"));
	EXPECT_EQ(2, json_num(self->out, "\"name\":\"big.c:20\"", "count"));
	EXPECT_EQ(1, json_num(self->out, "\"name\":\"tag 77\"", "count"));
	/* Largest first. */
	EXPECT_LT(strstr(self->out, "big.c:20"), strstr(self->out, "small.c:10"));

	/* By creator: one group, this process. */
	snprintf(self->args, sizeof(self->args),
		 "top -j --by creator --pid %d --fd %d", getpid(), self->fd);
	ASSERT_EQ(0, run_cli(self->args, self->out, sizeof(self->out)));
	ASSERT_TRUE(json_valid(self->out)) TH_LOG("%s", self->out);
	EXPECT_EQ(6, json_num(self->out, "\"key\":0", "count"));
}

TEST_F(cli, top_bad_fd)
{
	snprintf(self->args, sizeof(self->args),
		 "top -j --pid %d --fd 9999 2>/dev/null", getpid());
	EXPECT_EQ(1, run_cli(self->args, self->out, sizeof(self->out)));
	EXPECT_EQ(2, run_cli("top --bogus 2>/dev/null", self->out,
			     sizeof(self->out)));
}

TEST_F(cli, heaps_json)
{
	char anchor[64];
	uint64_t id = STATS(self->fd).heap_id;

	mk_tagged(_metadata, self->fd, 4, 16, 1);
	ASSERT_EQ(0, run_cli("heaps -j", self->out, sizeof(self->out)));
	ASSERT_TRUE(json_valid(self->out)) TH_LOG("%s", self->out);
	snprintf(anchor, sizeof(anchor), "\"heap\":%" PRIu64, id);
	EXPECT_EQ(getpid(), json_num(self->out, anchor, "pid"));
	EXPECT_EQ(self->fd, json_num(self->out, anchor, "fd"));
	EXPECT_EQ(4, json_num(self->out, anchor, "objects"));
	EXPECT_EQ(4, json_num(self->out, anchor, "handles"));
}

TEST_F(cli, snapshot_diff_json)
{
	char saved[4096] = "";
	uint32_t h, g;
	FILE *f;

	ASSERT_EQ(0, rs_tag_name(self->fd, 1, "keep.c:1"));
	ASSERT_EQ(0, rs_tag_name(self->fd, 2, "grow.c:2"));
	ASSERT_EQ(0, rs_tag_name(self->fd, 3, "gone.c:3"));
	mk_tagged(_metadata, self->fd, 2, 8, 1);
	ASSERT_EQ(0, rs_create(self->fd, 8, 0, 0, 2, 0, &h, NULL));
	ASSERT_EQ(0, rs_create(self->fd, 8, 0, 0, 3, 0, &g, NULL));
	CLOSE(self->fd, g);
	snprintf(self->args, sizeof(self->args),
		 "snapshot save /tmp/snap1 --pid %d --fd %d", getpid(),
		 self->fd);
	ASSERT_EQ(0, run_cli(self->args, self->out, sizeof(self->out)));
	mk_tagged(_metadata, self->fd, 5, 100, 2);
	CLOSE(self->fd, h);
	snprintf(self->args, sizeof(self->args),
		 "snapshot save /tmp/snap2 --pid %d --fd %d", getpid(),
		 self->fd);
	ASSERT_EQ(0, run_cli(self->args, self->out, sizeof(self->out)));

	ASSERT_EQ(0, run_cli("snapshot diff -j /tmp/snap1 /tmp/snap2",
			     self->out, sizeof(self->out)));
	ASSERT_TRUE(json_valid(self->out)) TH_LOG("%s", self->out);
	EXPECT_EQ(4, json_num(self->out, "\"name\":\"grow.c:2\"",
			      "count_diff"));
	EXPECT_EQ(5, json_num(self->out, "\"name\":\"grow.c:2\"", "count"));
	EXPECT_LT(400, json_num(self->out, "\"name\":\"grow.c:2\"",
				"size_diff"));
	/* An unchanged group is listed, +0, as compare_to() lists it. */
	EXPECT_EQ(2, json_num(self->out, "\"name\":\"keep.c:1\"", "count"));
	EXPECT_EQ(0, json_num(self->out, "\"name\":\"keep.c:1\"",
			      "count_diff"));
	EXPECT_EQ(0, json_num(self->out, "\"name\":\"keep.c:1\"",
			      "size_diff"));
	/* A group empty in both files (saved, count 0) is not listed. */
	f = fopen("/tmp/snap2", "r");
	ASSERT_NE(NULL, f);
	ASSERT_LT(0, (int)fread(saved, 1, sizeof(saved) - 1, f));
	fclose(f);
	ASSERT_NE(NULL, strstr(saved, "gone.c:3")) TH_LOG("%s", saved);
	EXPECT_EQ(NULL, strstr(self->out, "gone.c:3")) TH_LOG("%s", self->out);
	EXPECT_EQ(2, run_cli("snapshot diff 2>/dev/null", self->out,
			     sizeof(self->out)));
	unlink("/tmp/snap1");
	unlink("/tmp/snap2");
}

TEST_F(cli, graph_json)
{
	uint64_t ida, idb;
	uint32_t a, b;
	char anchor[96];

	ASSERT_EQ(0, rs_create(self->fd, 0, 1, 0, 5, 0, &a, &ida));
	ASSERT_EQ(0, rs_create(self->fd, 0, 1, 0, 6, 0, &b, &idb));
	LINK(self->fd, a, 0, b);
	LINK(self->fd, b, 0, a);
	CLOSE(self->fd, b);
	snprintf(self->args, sizeof(self->args), "graph -j --pid %d --fd %d",
		 getpid(), self->fd);
	ASSERT_EQ(0, run_cli(self->args, self->out, sizeof(self->out)));
	ASSERT_TRUE(json_valid(self->out)) TH_LOG("%s", self->out);
	snprintf(anchor, sizeof(anchor), "\"id\":%" PRIu64 ",", ida);
	EXPECT_EQ(1, json_num(self->out, anchor, "handles"));
	EXPECT_EQ(2, json_num(self->out, anchor, "refcount"));
	snprintf(anchor, sizeof(anchor), "\"id\":%" PRIu64 ",", idb);
	EXPECT_EQ(0, json_num(self->out, anchor, "handles"));
	snprintf(anchor, sizeof(anchor), "\"from\":%" PRIu64 ",", ida);
	EXPECT_EQ(idb, json_num(self->out, anchor, "to"));
	snprintf(anchor, sizeof(anchor), "\"from\":%" PRIu64 ",", idb);
	EXPECT_EQ(ida, json_num(self->out, anchor, "to"));
	EXPECT_NE(NULL, strstr(self->out, "\"truncated\":false"));

	snprintf(self->args, sizeof(self->args),
		 "graph -j --max-objects 1 --pid %d --fd %d", getpid(),
		 self->fd);
	ASSERT_EQ(0, run_cli(self->args, self->out, sizeof(self->out)));
	ASSERT_TRUE(json_valid(self->out)) TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out, "\"truncated\":true"));
	/* DOT: one node line per object. */
	snprintf(self->args, sizeof(self->args), "graph --pid %d --fd %d",
		 getpid(), self->fd);
	ASSERT_EQ(0, run_cli(self->args, self->out, sizeof(self->out)));
	EXPECT_EQ(0, strncmp(self->out, "digraph refstore {", 18));
	EXPECT_NE(NULL, strstr(self->out, " -> "));
}

/* root -> a -> b: why is b alive? Because of root's handle, via a. */
TEST_F(cli, why_json)
{
	uint64_t idr, ida, idb;
	uint32_t root, a, b;
	char anchor[64];

	ASSERT_EQ(0, rs_create(self->fd, 0, 1, 0, 0, 0, &root, &idr));
	ASSERT_EQ(0, rs_create(self->fd, 0, 1, 0, 0, 0, &a, &ida));
	ASSERT_EQ(0, rs_create(self->fd, 0, 0, 0, 0, 0, &b, &idb));
	LINK(self->fd, root, 0, a);
	LINK(self->fd, a, 0, b);
	CLOSE(self->fd, a);
	CLOSE(self->fd, b);
	snprintf(self->args, sizeof(self->args), "why -j %" PRIu64
		 " --pid %d --fd %d", idb, getpid(), self->fd);
	ASSERT_EQ(0, run_cli(self->args, self->out, sizeof(self->out)));
	ASSERT_TRUE(json_valid(self->out)) TH_LOG("%s", self->out);
	/* The chain starts at the handle's object and ends at b. */
	snprintf(anchor, sizeof(anchor), "\"chain\":[{\"id\":%" PRIu64, idr);
	EXPECT_NE(NULL, strstr(self->out, anchor)) TH_LOG("%s", self->out);
	snprintf(anchor, sizeof(anchor), "{\"id\":%" PRIu64 ",", ida);
	EXPECT_EQ(0, json_num(self->out, anchor, "slot"));
	snprintf(anchor, sizeof(anchor), "{\"id\":%" PRIu64 ",\"slot\":-1}]",
		 idb);
	EXPECT_NE(NULL, strstr(self->out, anchor)) TH_LOG("%s", self->out);
	/* An id no live object has: no chain. */
	snprintf(self->args, sizeof(self->args), "why -j %" PRIu64
		 " --pid %d --fd %d", idr + 1000, getpid(), self->fd);
	EXPECT_EQ(1, run_cli(self->args, self->out, sizeof(self->out)));
	ASSERT_TRUE(json_valid(self->out)) TH_LOG("%s", self->out);
}

/* The checker itself. */
TEST(json_checker)
{
	EXPECT_TRUE(json_valid("{\"a\":[1,-2,{\"b\":\"x\\\"y\"}],\"c\":true}"));
	EXPECT_FALSE(json_valid("{\"a\":1,}"));
	EXPECT_FALSE(json_valid("{\"a\":01}"));
	EXPECT_FALSE(json_valid("[1 2]"));
	EXPECT_FALSE(json_valid("{\"a\":1} x"));
}

TEST_HARNESS_MAIN
