// SPDX-License-Identifier: GPL-2.0
/*
 * refstore CLI: a small JSON writer (objects, arrays, numbers, strings,
 * booleans) to stdout, in the shape bpftool and `ip -j` print: compact on
 * one line, or indented with -p.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define JSON_MAX_DEPTH 16

/* Per open container: has it a member yet (a comma is due)? */
static bool json_has_member[JSON_MAX_DEPTH];
static int json_depth;

static void json_indent(void)
{
	int i;

	if (!cli.pretty)
		return;
	putchar('\n');
	for (i = 0; i < json_depth; i++)
		fputs("  ", stdout);
}

static void json_string(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	putchar('"');
	for (; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", stdout);
		else if (*p == '\t')
			fputs("\\t", stdout);
		else if (*p < 0x20)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

/* Starts a member: comma, newline and indent, then "key": if any. */
static void json_member(const char *key)
{
	if (json_depth > 0) {
		if (json_has_member[json_depth - 1])
			putchar(',');
		json_has_member[json_depth - 1] = true;
		json_indent();
	}
	if (key) {
		json_string(key);
		fputs(cli.pretty ? ": " : ":", stdout);
	}
}

static void json_open(const char *key, char c)
{
	json_member(key);
	putchar(c);
	if (json_depth >= JSON_MAX_DEPTH)
		abort();
	json_has_member[json_depth++] = false;
}

static void json_close(char c)
{
	bool any = json_has_member[--json_depth];

	if (any)
		json_indent();
	putchar(c);
}

void json_obj_open(const char *key)
{
	json_open(key, '{');
}

void json_obj_close(void)
{
	json_close('}');
}

void json_arr_open(const char *key)
{
	json_open(key, '[');
}

void json_arr_close(void)
{
	json_close(']');
}

void json_u64(const char *key, uint64_t v)
{
	json_member(key);
	printf("%" PRIu64, v);
}

void json_s64(const char *key, int64_t v)
{
	json_member(key);
	printf("%" PRId64, v);
}

void json_bool(const char *key, bool v)
{
	json_member(key);
	fputs(v ? "true" : "false", stdout);
}

void json_null(const char *key)
{
	json_member(key);
	fputs("null", stdout);
}

void json_str(const char *key, const char *v)
{
	json_member(key);
	json_string(v);
}

void json_end(void)
{
	putchar('\n');
	fflush(stdout);
}

void json_keyval(const char *key, const char *val)
{
	char *end;
	long long s;
	unsigned long long u;

	if (*val && *val != '-') {
		u = strtoull(val, &end, 0);
		if (!*end)
			return json_u64(key, u);
	} else if (*val) {
		s = strtoll(val, &end, 10);
		if (!*end)
			return json_s64(key, s);
	}
	json_str(key, val);
}
