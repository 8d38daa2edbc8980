/* SPDX-License-Identifier: MIT */
/* Small shared helpers: a growable byte buffer, hex, derived UUIDs, a JSON
 * writer, integer parsing, SOURCE_DATE_EPOCH. */
#ifndef VCOMPOSE_UTIL_H
#define VCOMPOSE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vcompose/error.h"

#define VC_ARRAY_SIZE(a)      (sizeof(a) / sizeof((a)[0]))
#define VC_DIV_ROUND_UP(n, d) (((n) + (d)-1) / (d))
#define VC_ROUND_UP(n, d)     (VC_DIV_ROUND_UP(n, d) * (d))

/* Growable byte buffer. Zero-initialise, or vc_buf_init(). */
struct vc_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
};
void vc_buf_init(struct vc_buf *b);
void vc_buf_fini(struct vc_buf *b);
/* The append functions return VC_ENOMEM (and set err) if growth fails. */
int vc_buf_append(struct vc_buf *b, const void *data, size_t len, struct vc_error *err);
int vc_buf_appendf(struct vc_buf *b, struct vc_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Makes room for len more bytes, zero-filled, and returns a pointer to them. */
uint8_t *vc_buf_grow(struct vc_buf *b, size_t len, struct vc_error *err);

/* Opens an input file without ever blocking: O_NONBLOCK (a FIFO or a
 * device would hang open()), fstat, then a refusal naming the type ("a FIFO",
 * "a folder", ...) unless it is a regular file (or, with VC_OPEN_BLOCK, a
 * block device; with VC_OPEN_STREAM, a FIFO or character device, which is
 * then waited on for data). O_NONBLOCK is cleared before returning. flags:
 * O_RDONLY or O_RDWR, plus the VC_OPEN_* bits. Returns the descriptor, or a
 * negative VC_E* code with err set (errno is then the open() error, or 0
 * when the file opened but is of the wrong type); *ret_mode (may be NULL)
 * gets st_mode. */
#define VC_OPEN_BLOCK  (1 << 28)
#define VC_OPEN_STREAM (1 << 29)
int vc_open_input(const char *path, int flags, unsigned *ret_mode, struct vc_error *err);
/* "a FIFO", "a folder", "a socket", ... for an st_mode. */
const char *vc_file_kind(unsigned mode);

/* Reads a whole regular file of at most max bytes into out (appended; a
 * NUL follows, not counted). Errors name the path. */
int vc_read_file(const char *path, size_t max, struct vc_buf *out, struct vc_error *err);
/* Writes len bytes to a new file at path (an error if it exists), with mode
 * (less the umask), whole, and closes it. Errors name the path. */
int vc_write_file(const char *path, const void *data, size_t len, unsigned mode,
		  struct vc_error *err);

/* Decodes UTF-8 s[0..len) into UTF-16 code units (surrogate pairs above
 * U+FFFF); out may be NULL to count, at most max units are stored. Returns
 * the number of units, or -1 when the text is not well-formed UTF-8
 * (overlongs, surrogates and code points above U+10FFFF are refused). */
long vc_utf8_to_utf16(const char *s, size_t len, uint16_t *out, size_t max);

/* Lowercase hex of n bytes into out (2n + 1 bytes, NUL-terminated). */
void vc_hex_encode(const uint8_t *in, size_t n, char *out);
/* Parses an even-length hex string (either case) of at most max bytes. */
int vc_hex_decode(const char *hex, uint8_t *out, size_t max, size_t *ret_len, struct vc_error *err);

/* Base64 (RFC 4648, with padding, no line breaks), appended to out. */
int vc_base64_encode(const uint8_t *in, size_t len, struct vc_buf *out, struct vc_error *err);
/* Decodes NUL-terminated base64 (padding optional, no white space) into a new
 * buffer *ret (free() it) of *ret_len bytes. */
int vc_base64_decode(const char *in, uint8_t **ret, size_t *ret_len, struct vc_error *err);

/* The one seed recipe: every derived identifier of an image (disk GUID,
 * partition UUIDs, EROFS UUID, verity salt and UUID, ESP volume id) is keyed
 * by these 32 bytes, in `vcompose build` (from the config) and in every
 * command (--seed S, else the output's file name, vcompose's version and the
 * epoch):
 *   with a seed text S:  SHA-256("vcompose-seed-v1\n" "seed=" S "\n")
 *   without:             SHA-256("vcompose-seed-v1\n" "name=" NAME "\n"
 *                                "version=" VERSION "\n" "source_date_epoch=" DECIMAL "\n")
 * DECIMAL is the epoch in base 10 ("0" for zero). Fails only for a negative
 * epoch when seed is NULL. */
#define VC_SEED_LEN 32
int vc_seed_derive(const char *seed, const char *name, const char *version, int64_t epoch,
		   uint8_t out[VC_SEED_LEN], struct vc_error *err);

/* UUIDs in RFC 4122 byte order (big-endian fields as printed).
 * vc_uuid_derive: HMAC-SHA256(key = seed, msg = label), first 16 bytes,
 * with the version (4) and variant (10xx) bits set. */
#define VC_UUID_STR 37
void vc_uuid_derive(const void *seed, size_t seed_len, const char *label, uint8_t out[16]);
void vc_uuid_format(const uint8_t uuid[16], char out[VC_UUID_STR]);
int vc_uuid_parse(const char *s, uint8_t out[16], struct vc_error *err);

/* Strict unsigned parse: decimal, or 0x hex; optional K/M/G/T suffix
 * (binary) when allow_suffix. Rejects signs, junk and overflow. */
int vc_parse_u64(const char *s, bool allow_suffix, uint64_t *ret, struct vc_error *err);

/* SOURCE_DATE_EPOCH from the environment: 0 and *ret_set = false when unset;
 * an error when set but not a non-negative decimal integer. */
int vc_source_date_epoch(int64_t *ret, bool *ret_set, struct vc_error *err);

/* A small JSON writer into a vc_buf. Errors (only ENOMEM) are sticky and
 * reported by vc_json_finish(). Strings are escaped per RFC 8259; bytes that
 * are not valid UTF-8 are written as \u00XX of the byte. */
struct vc_json {
	struct vc_buf out;
	int depth;
	bool first[32]; /* no value yet at this depth */
	bool after_key;
	int failed;
	int indent; /* 0: compact; else spaces per level */
};
void vc_json_init(struct vc_json *j, int indent);
void vc_json_fini(struct vc_json *j);
void vc_json_begin_object(struct vc_json *j);
/* The version of every JSON document vcompose prints (docs/json.md): keys
 * are snake_case; only the DPS signature JSON keeps the spec's names. */
#define VC_JSON_SCHEMA 2
/* Begins a top-level document: '{"schema": VC_JSON_SCHEMA, "document": NAME'. */
void vc_json_begin_document(struct vc_json *j, const char *document);
void vc_json_end_object(struct vc_json *j);
void vc_json_begin_array(struct vc_json *j);
void vc_json_end_array(struct vc_json *j);
void vc_json_key(struct vc_json *j, const char *key);
void vc_json_string(struct vc_json *j, const char *s);
void vc_json_string_n(struct vc_json *j, const char *s, size_t n);
void vc_json_uint(struct vc_json *j, uint64_t v);
void vc_json_int(struct vc_json *j, int64_t v);
void vc_json_bool(struct vc_json *j, bool v);
void vc_json_null(struct vc_json *j);
void vc_json_hex(struct vc_json *j, const uint8_t *bytes, size_t n);
/* A member in one call: its key, then its value. */
void vc_json_key_string(struct vc_json *j, const char *key, const char *s);
void vc_json_key_uint(struct vc_json *j, const char *key, uint64_t v);
void vc_json_key_int(struct vc_json *j, const char *key, int64_t v);
void vc_json_key_bool(struct vc_json *j, const char *key, bool v);
void vc_json_key_hex(struct vc_json *j, const char *key, const uint8_t *bytes, size_t n);
/* Appends a newline and NUL; returns the text (owned by j) or NULL. */
const char *vc_json_finish(struct vc_json *j, struct vc_error *err);

/* The JSON reader (json_read.c): a whole document into a tree of values. */
enum vc_json_type {
	VC_JSON_NULL,
	VC_JSON_BOOL,
	VC_JSON_NUM,
	VC_JSON_STR,
	VC_JSON_ARR,
	VC_JSON_OBJ
};
struct vc_json_value {
	enum vc_json_type type;
	char *str; /* VC_JSON_STR (NUL-terminated, unescaped) */
	double num;
	bool b;
	struct vc_json_value *kids; /* VC_JSON_ARR, VC_JSON_OBJ */
	size_t n_kids;
	char *key; /* when a member of an object */
};
/* Parses len bytes at text (one value, whitespace around it) into *ret;
 * VC_EINVAL "JSON: ..." when it is not JSON. Free with vc_json_value_free. */
int vc_json_parse(const char *text, size_t len, struct vc_json_value *ret, struct vc_error *err);
void vc_json_value_free(struct vc_json_value *v);
/* The first member named key of an object; NULL when none or not an object. */
const struct vc_json_value *vc_json_get(const struct vc_json_value *obj, const char *key);

#endif
