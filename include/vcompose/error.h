/* SPDX-License-Identifier: MIT */
/* Error type shared by every module: a code and a message with context.
 *
 * Functions that can fail return 0 or a negative VC_E* code and take
 * `struct vc_error *err` last. The innermost failure writes the message with
 * vc_errorf(); callers on the way up add context with vc_error_prefix(), so a
 * user reads "config.xml:12: <type efipartsize>: fat: ESP too small: ...".
 * Libraries never print and never exit; src/cli maps codes to exit codes. */
#ifndef VCOMPOSE_ERROR_H
#define VCOMPOSE_ERROR_H

#include <stddef.h>

enum {
	VC_OK = 0,
	VC_EINVAL = -1,	 /* the input is bad (config, tree, archive, argument) */
	VC_EIO = -2,	 /* the environment failed: I/O, missing tool */
	VC_ENOMEM = -3,	 /* out of memory */
	VC_ERANGE = -4,	 /* a size or count beyond a limit */
	VC_EUNSUPP = -5, /* valid but not supported by this version */
	VC_ECRYPTO = -6, /* a key, certificate or signature is unusable */
	VC_ECHECK = -7,	 /* a verification found a mismatch */
};

struct vc_error {
	int code;      /* one of the VC_E* values; 0 while nothing failed */
	char msg[512]; /* NUL-terminated, no trailing newline */
};

/* Sets code and message; returns code so that `return vc_errorf(...)` reads well. */
int vc_errorf(struct vc_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Like vc_errorf() with ": strerror(errnum)" appended. */
int vc_errorf_errno(struct vc_error *err, int code, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Prepends "<context>: " to the message; the code is kept. */
void vc_error_prefix(struct vc_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Resets to "no error". */
void vc_error_clear(struct vc_error *err);

/* Escapes untrusted text (tar member names, XML values, GPT labels, paths)
 * for a one-line message on a terminal or in a log: newline, tab and CR as
 * \n \t \r, other C0 controls, DEL and bytes that are not UTF-8 as \xNN, C1
 * controls, bidi overrides and U+2028/9 as \uNNNN; other UTF-8 passes, and so
 * does a backslash (our own messages quote "PE\0\0"; a literal backslash
 * cannot break a line or move the cursor). Stops before out_size would be exceeded (whole escapes
 * only); returns out. Every message vcompose prints goes through it. */
const char *vc_escape(const char *in, char *out, size_t out_size);

/* A short English name of a code ("bad input", "I/O error", ...). */
const char *vc_error_name(int code);

#endif
