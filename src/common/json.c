/* SPDX-License-Identifier: MIT */
/* A small JSON writer (RFC 8259). Output is deterministic: keys appear in
 * the order the caller writes them. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "vcompose/util.h"

void vc_json_init(struct vc_json *j, int indent)
{
	memset(j, 0, sizeof(*j));
	j->first[0] = true;
	j->indent = indent;
}

void vc_json_fini(struct vc_json *j)
{
	vc_buf_fini(&j->out);
}

static void put(struct vc_json *j, const char *s, size_t n)
{
	struct vc_error e;

	if (!j->failed && vc_buf_append(&j->out, s, n, &e) < 0)
		j->failed = VC_ENOMEM;
}

static void puts_(struct vc_json *j, const char *s)
{
	put(j, s, strlen(s));
}

static void newline(struct vc_json *j)
{
	if (!j->indent)
		return;
	put(j, "\n", 1);
	for (int i = 0; i < j->depth * j->indent; i++)
		put(j, " ", 1);
}

/* Before any value: a comma and a newline unless it follows a key. */
static void before_value(struct vc_json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (!j->first[j->depth])
		put(j, ",", 1);
	if (j->depth > 0)
		newline(j);
	j->first[j->depth] = false;
}

static void open_(struct vc_json *j, const char *c)
{
	before_value(j);
	puts_(j, c);
	if (j->depth + 1 >= (int)VC_ARRAY_SIZE(j->first)) {
		j->failed = VC_ERANGE;
		return;
	}
	j->depth++;
	j->first[j->depth] = true;
}

static void close_(struct vc_json *j, const char *c)
{
	bool empty = j->first[j->depth];

	if (j->depth > 0)
		j->depth--;
	if (!empty)
		newline(j);
	puts_(j, c);
}

void vc_json_begin_object(struct vc_json *j)
{
	open_(j, "{");
}

void vc_json_begin_document(struct vc_json *j, const char *document)
{
	vc_json_begin_object(j);
	vc_json_key(j, "schema");
	vc_json_uint(j, VC_JSON_SCHEMA);
	vc_json_key(j, "document");
	vc_json_string(j, document);
}

void vc_json_end_object(struct vc_json *j)
{
	close_(j, "}");
}

void vc_json_begin_array(struct vc_json *j)
{
	open_(j, "[");
}

void vc_json_end_array(struct vc_json *j)
{
	close_(j, "]");
}

static void quoted(struct vc_json *j, const char *s, size_t n)
{
	put(j, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[8];

		switch (c) {
		case '"': puts_(j, "\\\""); continue;
		case '\\': puts_(j, "\\\\"); continue;
		case '\n': puts_(j, "\\n"); continue;
		case '\r': puts_(j, "\\r"); continue;
		case '\t': puts_(j, "\\t"); continue;
		}
		if (c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			puts_(j, esc);
			continue;
		}
		if (c < 0x80) {
			put(j, (const char *)&c, 1);
			continue;
		}
		/* Copy a well-formed UTF-8 sequence; escape stray bytes. */
		size_t len = c >= 0xf0 && c < 0xf5   ? 4
			     : c >= 0xe0	     ? 3
			     : c >= 0xc2 && c < 0xe0 ? 2
						     : 0;
		bool ok = len > 0 && i + len <= n;
		for (size_t k = 1; ok && k < len; k++)
			ok = ((unsigned char)s[i + k] & 0xc0) == 0x80;
		if (ok) {
			put(j, s + i, len);
			i += len - 1;
		} else {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			puts_(j, esc);
		}
	}
	put(j, "\"", 1);
}

void vc_json_key(struct vc_json *j, const char *key)
{
	before_value(j);
	quoted(j, key, strlen(key));
	puts_(j, j->indent ? ": " : ":");
	j->after_key = true;
}

void vc_json_string_n(struct vc_json *j, const char *s, size_t n)
{
	before_value(j);
	quoted(j, s, n);
}

void vc_json_string(struct vc_json *j, const char *s)
{
	if (!s) {
		vc_json_null(j);
		return;
	}
	vc_json_string_n(j, s, strlen(s));
}

void vc_json_uint(struct vc_json *j, uint64_t v)
{
	char b[24];

	before_value(j);
	snprintf(b, sizeof(b), "%" PRIu64, v);
	puts_(j, b);
}

void vc_json_int(struct vc_json *j, int64_t v)
{
	char b[24];

	before_value(j);
	snprintf(b, sizeof(b), "%" PRId64, v);
	puts_(j, b);
}

void vc_json_bool(struct vc_json *j, bool v)
{
	before_value(j);
	puts_(j, v ? "true" : "false");
}

void vc_json_null(struct vc_json *j)
{
	before_value(j);
	puts_(j, "null");
}

void vc_json_hex(struct vc_json *j, const uint8_t *bytes, size_t n)
{
	char tmp[2 * 64 + 1];

	before_value(j);
	put(j, "\"", 1);
	for (size_t i = 0; i < n; i += 64) {
		size_t k = n - i < 64 ? n - i : 64;
		vc_hex_encode(bytes + i, k, tmp);
		put(j, tmp, 2 * k);
	}
	put(j, "\"", 1);
}

void vc_json_key_string(struct vc_json *j, const char *key, const char *s)
{
	vc_json_key(j, key);
	vc_json_string(j, s);
}

void vc_json_key_uint(struct vc_json *j, const char *key, uint64_t v)
{
	vc_json_key(j, key);
	vc_json_uint(j, v);
}

void vc_json_key_int(struct vc_json *j, const char *key, int64_t v)
{
	vc_json_key(j, key);
	vc_json_int(j, v);
}

void vc_json_key_bool(struct vc_json *j, const char *key, bool v)
{
	vc_json_key(j, key);
	vc_json_bool(j, v);
}

void vc_json_key_hex(struct vc_json *j, const char *key, const uint8_t *bytes, size_t n)
{
	vc_json_key(j, key);
	vc_json_hex(j, bytes, n);
}

const char *vc_json_finish(struct vc_json *j, struct vc_error *err)
{
	put(j, "\n", 1);
	if (j->failed) {
		vc_errorf(err, j->failed, "JSON writer: %s", vc_error_name(j->failed));
		return NULL;
	}
	return (const char *)j->out.data;
}
