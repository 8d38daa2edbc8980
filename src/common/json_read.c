/* SPDX-License-Identifier: MIT */
/* A small JSON reader (RFC 8259), the writer's counterpart (json.c): the
 * DPS signature JSON (src/sign), the documents inspect and diff compare,
 * systemd-measure's .pcrsig. Strings are unescaped to UTF-8 (\u0000 and lone
 * surrogates become U+FFFD); nesting, member counts and numbers are bounded. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vcompose/util.h"

struct jp {
	const char *s, *end;
	int depth;
	struct vc_error *err;
};

static void jp_ws(struct jp *p)
{
	while (p->s < p->end && (*p->s == ' ' || *p->s == '\t' || *p->s == '\n' || *p->s == '\r'))
		p->s++;
}

static int jp_fail(struct jp *p, const char *what)
{
	return vc_errorf(p->err, VC_EINVAL, "JSON: %s", what);
}

static int utf8_put(struct vc_buf *b, uint32_t c, struct vc_error *err)
{
	uint8_t u[4];
	size_t n;

	if (c < 0x80) {
		u[0] = (uint8_t)c;
		n = 1;
	} else if (c < 0x800) {
		u[0] = (uint8_t)(0xC0 | c >> 6);
		u[1] = (uint8_t)(0x80 | (c & 0x3F));
		n = 2;
	} else if (c < 0x10000) {
		u[0] = (uint8_t)(0xE0 | c >> 12);
		u[1] = (uint8_t)(0x80 | (c >> 6 & 0x3F));
		u[2] = (uint8_t)(0x80 | (c & 0x3F));
		n = 3;
	} else {
		u[0] = (uint8_t)(0xF0 | c >> 18);
		u[1] = (uint8_t)(0x80 | (c >> 12 & 0x3F));
		u[2] = (uint8_t)(0x80 | (c >> 6 & 0x3F));
		u[3] = (uint8_t)(0x80 | (c & 0x3F));
		n = 4;
	}
	return vc_buf_append(b, u, n, err);
}

/* escape letter, then what it stands for */
static const char esc[] = "\"\"\\\\//b\bf\fn\nr\rt\t";

static int jp_string(struct jp *p, char **ret)
{
	struct vc_buf b = {0};
	int r = 0;

	p->s++; /* the quote */
	while (r == 0) {
		if (p->s >= p->end) {
			r = jp_fail(p, "unterminated string");
			break;
		}
		unsigned char c = (unsigned char)*p->s++;
		if (c == '"')
			break;
		if (c < 0x20) {
			r = jp_fail(p, "control character in a string");
			break;
		}
		if (c != '\\') {
			r = vc_buf_append(&b, &c, 1, p->err);
			continue;
		}
		if (p->s >= p->end) {
			r = jp_fail(p, "unterminated escape");
			break;
		}
		c = (unsigned char)*p->s++;
		const char *map = c ? strchr(esc, c) : NULL;
		if (c != 'u') {
			if (!map || ((map - esc) & 1)) {
				r = jp_fail(p, "bad escape");
				break;
			}
			r = vc_buf_append(&b, map + 1, 1, p->err);
			continue;
		}
		uint32_t u = 0;
		for (int i = 0; i < 4; i++) {
			if (p->s >= p->end) {
				r = jp_fail(p, "short \\u escape");
				break;
			}
			char h = *p->s++;
			int d = h >= '0' && h <= '9'   ? h - '0'
				: h >= 'a' && h <= 'f' ? h - 'a' + 10
				: h >= 'A' && h <= 'F' ? h - 'A' + 10
						       : -1;
			u = u << 4 | (uint32_t)(d & 15);
			if (d < 0) {
				r = jp_fail(p, "bad \\u escape");
				break;
			}
		}
		if (r == 0 && (u == 0 || (u >= 0xD800 && u < 0xE000)))
			u = 0xFFFD; /* no NULs or lone surrogates in our strings */
		if (r == 0)
			r = utf8_put(&b, u, p->err);
	}
	if (r == 0)
		r = vc_buf_append(&b, "", 1, p->err);
	if (r < 0) {
		vc_buf_fini(&b);
		return r;
	}
	*ret = (char *)b.data;
	return 0;
}

static int jp_value(struct jp *p, struct vc_json_value *v);

static int jp_push(struct jp *p, struct vc_json_value *v, struct vc_json_value **ret)
{
	if (v->n_kids >= 100000)
		return jp_fail(p, "too many members");
	struct vc_json_value *k = realloc(v->kids, (v->n_kids + 1) * sizeof(*k));
	if (!k)
		return vc_errorf(p->err, VC_ENOMEM, "out of memory");
	v->kids = k;
	*ret = &k[v->n_kids++];
	memset(*ret, 0, sizeof(**ret));
	return 0;
}

static int jp_value(struct jp *p, struct vc_json_value *v)
{
	int r = 0;

	memset(v, 0, sizeof(*v));
	jp_ws(p);
	if (p->s >= p->end)
		return jp_fail(p, "unexpected end");
	if (++p->depth > 64)
		return jp_fail(p, "nested too deeply");
	char c = *p->s;
	if (c == '"') {
		v->type = VC_JSON_STR;
		r = jp_string(p, &v->str);
	} else if (c == '{' || c == '[') {
		bool obj = c == '{';
		v->type = obj ? VC_JSON_OBJ : VC_JSON_ARR;
		p->s++;
		jp_ws(p);
		if (p->s < p->end && *p->s == (obj ? '}' : ']')) {
			p->s++;
		} else {
			for (;;) {
				struct vc_json_value *k = NULL;
				char *key = NULL;
				jp_ws(p);
				if (obj) {
					if (p->s >= p->end || *p->s != '"')
						return jp_fail(p, "expected a key");
					if ((r = jp_string(p, &key)) < 0)
						return r;
					jp_ws(p);
					if (p->s >= p->end || *p->s != ':') {
						free(key);
						return jp_fail(p, "expected ':'");
					}
					p->s++;
				}
				if ((r = jp_push(p, v, &k)) < 0) {
					free(key);
					return r;
				}
				r = jp_value(p, k);
				k->key = key;
				if (r < 0)
					return r;
				jp_ws(p);
				if (p->s < p->end && *p->s == ',') {
					p->s++;
					continue;
				}
				if (p->s < p->end && *p->s == (obj ? '}' : ']')) {
					p->s++;
					break;
				}
				return jp_fail(p,
					       obj ? "expected ',' or '}'" : "expected ',' or ']'");
			}
		}
	} else if (c == 't' && p->end - p->s >= 4 && !memcmp(p->s, "true", 4)) {
		v->type = VC_JSON_BOOL;
		v->b = true;
		p->s += 4;
	} else if (c == 'f' && p->end - p->s >= 5 && !memcmp(p->s, "false", 5)) {
		v->type = VC_JSON_BOOL;
		p->s += 5;
	} else if (c == 'n' && p->end - p->s >= 4 && !memcmp(p->s, "null", 4)) {
		v->type = VC_JSON_NULL;
		p->s += 4;
	} else if (c == '-' || (c >= '0' && c <= '9')) {
		char tmp[64];
		size_t n = 0;
		while (p->s < p->end && n < sizeof(tmp) - 1 && strchr("+-.eE0123456789", *p->s))
			tmp[n++] = *p->s++;
		tmp[n] = 0;
		char *e;
		v->type = VC_JSON_NUM;
		v->num = strtod(tmp, &e);
		if (*e)
			return jp_fail(p, "bad number");
	} else {
		return jp_fail(p, "unexpected character");
	}
	p->depth--;
	return r;
}

int vc_json_parse(const char *text, size_t len, struct vc_json_value *ret, struct vc_error *err)
{
	struct jp p = {.s = text, .end = text + len, .err = err};
	int r = jp_value(&p, ret);

	if (r == 0) {
		jp_ws(&p);
		if (p.s != p.end)
			r = jp_fail(&p, "text after the value");
	}
	if (r < 0) {
		vc_json_value_free(ret);
		memset(ret, 0, sizeof(*ret));
	}
	return r;
}

void vc_json_value_free(struct vc_json_value *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->n_kids; i++)
		vc_json_value_free(&v->kids[i]);
	free(v->kids);
	free(v->str);
	free(v->key);
	v->kids = NULL;
	v->str = v->key = NULL;
	v->n_kids = 0;
}

const struct vc_json_value *vc_json_get(const struct vc_json_value *obj, const char *key)
{
	if (!obj || obj->type != VC_JSON_OBJ)
		return NULL;
	for (size_t i = 0; i < obj->n_kids; i++)
		if (obj->kids[i].key && strcmp(obj->kids[i].key, key) == 0)
			return &obj->kids[i];
	return NULL;
}
