/* SPDX-License-Identifier: MIT */
/* Error type: see include/vcompose/error.h. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vcompose/error.h"

/* Puts text into err->msg; text longer than the message is shortened in
 * the middle ("..."), never at the end: the reason ("Permission denied", what
 * was expected) comes last and must survive a 4 KiB path. Cuts fall on UTF-8
 * sequence boundaries. */
static void fit(struct vc_error *err, const char *text)
{
	size_t n = strlen(text), cap = sizeof(err->msg) - 1;

	if (n <= cap) {
		memcpy(err->msg, text, n + 1);
		return;
	}
	size_t head = cap / 3, tail = cap - head - 3;
	while (head > 0 && ((unsigned char)text[head] & 0xC0) == 0x80)
		head--;
	size_t from = n - tail;
	while (from < n && ((unsigned char)text[from] & 0xC0) == 0x80)
		from++;
	memcpy(err->msg, text, head);
	memcpy(err->msg + head, "...", 3);
	memcpy(err->msg + head + 3, text + from, n - from + 1);
}

/* Formats fmt into a heap string (plus an optional ": suffix") and fits it. */
__attribute__((format(printf, 3, 0))) static void set_msg(struct vc_error *err, const char *suffix,
							  const char *fmt, va_list ap)
{
	char *text = NULL;

	if (vasprintf(&text, fmt, ap) < 0) {
		snprintf(err->msg, sizeof(err->msg), "out of memory formatting a message");
		return;
	}
	if (suffix) {
		char *both = NULL;
		if (asprintf(&both, "%s: %s", text, suffix) >= 0) {
			free(text);
			text = both;
		}
	}
	fit(err, text);
	free(text);
}

int vc_errorf(struct vc_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	va_start(ap, fmt);
	set_msg(err, NULL, fmt, ap);
	va_end(ap);
	return code;
}

int vc_errorf_errno(struct vc_error *err, int code, int errnum, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	va_start(ap, fmt);
	set_msg(err, strerror(errnum), fmt, ap);
	va_end(ap);
	return code;
}

void vc_error_prefix(struct vc_error *err, const char *fmt, ...)
{
	char old[sizeof(err->msg)];
	char *prefix = NULL, *text = NULL;
	va_list ap;

	if (!err)
		return;
	memcpy(old, err->msg, sizeof(old));
	va_start(ap, fmt);
	int n = vasprintf(&prefix, fmt, ap);
	va_end(ap);
	if (n < 0 || asprintf(&text, "%s: %s", prefix, old) < 0) {
		free(prefix);
		return; /* out of memory: keep the message without its context */
	}
	fit(err, text);
	free(prefix);
	free(text);
}

void vc_error_clear(struct vc_error *err)
{
	err->code = 0;
	err->msg[0] = '\0';
}

const char *vc_error_name(int code)
{
	switch (code) {
	case VC_OK: return "success";
	case VC_EINVAL: return "bad input";
	case VC_EIO: return "I/O error";
	case VC_ENOMEM: return "out of memory";
	case VC_ERANGE: return "out of range";
	case VC_EUNSUPP: return "not supported";
	case VC_ECRYPTO: return "cryptography error";
	case VC_ECHECK: return "check failed";
	}
	return "unknown error";
}

/* The length of the UTF-8 sequence at s (at most n bytes), 0 if it is not
 * well-formed (overlongs, surrogates, above U+10FFFF); *ret_cp its value. */
static size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *ret_cp)
{
	uint32_t cp;
	size_t len;

	if (s[0] < 0x80) {
		*ret_cp = s[0];
		return 1;
	}
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		len = 2, cp = s[0] & 0x1F;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		len = 3, cp = s[0] & 0x0F;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3F);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
	    (cp >= 0xD800 && cp < 0xE000))
		return 0;
	*ret_cp = cp;
	return len;
}

const char *vc_escape(const char *in, char *out, size_t out_size)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t n = strlen(in), o = 0;

	if (out_size == 0)
		return out;
	for (size_t i = 0; i < n;) {
		char tmp[16];
		uint32_t cp = 0;
		size_t k = utf8_seq(s + i, n - i, &cp), t;

		if (k == 0) {
			t = (size_t)snprintf(tmp, sizeof(tmp), "\\x%02x", s[i]);
			k = 1;
		} else if (cp == '\n') {
			t = 2, memcpy(tmp, "\\n", 2);
		} else if (cp == '\t') {
			t = 2, memcpy(tmp, "\\t", 2);
		} else if (cp == '\r') {
			t = 2, memcpy(tmp, "\\r", 2);
		} else if (cp < 0x20 || cp == 0x7F) {
			t = (size_t)snprintf(tmp, sizeof(tmp), "\\x%02x", (unsigned)cp);
		} else if ((cp >= 0x80 && cp < 0xA0) || (cp >= 0x202A && cp <= 0x202E) ||
			   (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 || cp == 0x2029) {
			/* C1 controls (0x9B is CSI on some terminals), bidi overrides,
			 * line and paragraph separators */
			t = (size_t)snprintf(tmp, sizeof(tmp), "\\u%04x", (unsigned)cp);
		} else {
			t = k;
			memcpy(tmp, s + i, k);
		}
		if (o + t >= out_size)
			break;
		memcpy(out + o, tmp, t);
		o += t;
		i += k;
	}
	out[o] = '\0';
	return out;
}
