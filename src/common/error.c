/* SPDX-License-Identifier: MIT */
/* Error type: see include/vcompose/error.h. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vcompose/error.h"

static void set_msg(struct vc_error *err, const char *fmt, va_list ap)
{
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

int vc_errorf(struct vc_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	va_start(ap, fmt);
	set_msg(err, fmt, ap);
	va_end(ap);
	return code;
}

int vc_errorf_errno(struct vc_error *err, int code, int errnum, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	if (!err)
		return code;
	err->code = code;
	va_start(ap, fmt);
	set_msg(err, fmt, ap);
	va_end(ap);
	n = strlen(err->msg);
	snprintf(err->msg + n, sizeof(err->msg) - n, ": %s", strerror(errnum));
	return code;
}

void vc_error_prefix(struct vc_error *err, const char *fmt, ...)
{
	char prefix[sizeof(err->msg)];
	char old[sizeof(err->msg)];
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	/* Truncation keeps the context and cuts the tail of the old message. */
	size_t n = strlen(prefix);
	if (n > sizeof(err->msg) - 3)
		n = sizeof(err->msg) - 3;
	memcpy(err->msg, prefix, n);
	memcpy(err->msg + n, ": ", 2);
	size_t rest = sizeof(err->msg) - n - 3;
	size_t m = strnlen(old, rest);
	memcpy(err->msg + n + 2, old, m);
	err->msg[n + 2 + m] = '\0';
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
