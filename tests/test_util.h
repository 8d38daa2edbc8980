/* SPDX-License-Identifier: MIT */
/* Helpers shared by the cmocka unit tests (tests/test_*.c). Include after
 * <cmocka.h>. Header-only: each test is one executable. */
#ifndef VC_TEST_UTIL_H
#define VC_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vcompose/error.h"
#include "vcompose/util.h"

/* A test whose inputs are missing is skipped (cmocka's skip), and under
 * VC_NO_SKIP=1 (tools/test.sh, CI) fails: a green run must not hide a
 * missing install step or a known answer that no longer applies. */
static inline void vc_test_skip(const char *why)
{
	const char *no_skip = getenv("VC_NO_SKIP");

	if (no_skip && strcmp(no_skip, "1") == 0)
		fail_msg("skipped under VC_NO_SKIP=1: %s", why);
	print_message("skip: %s\n", why);
	skip();
}

/* Reads a whole file (at most 64 MiB) into b, or fails the test. */
static inline void vc_test_read(const char *path, struct vc_buf *b)
{
	struct vc_error err = {0};

	vc_buf_init(b);
	if (vc_read_file(path, 64u << 20, b, &err) < 0)
		fail_msg("%s", err.msg);
}

/* Writes text to path (then chmod mode), or fails the test. */
static inline void vc_test_write(const char *path, const char *text, unsigned mode)
{
	FILE *f = fopen(path, "w");

	if (!f)
		fail_msg("cannot write %s", path);
	fputs(text, f);
	fclose(f);
	if (chmod(path, mode) != 0)
		fail_msg("cannot chmod %s", path);
}

/* Removes a scratch folder and everything in it; 0 or -1 (for teardown). */
static inline int vc_test_rmtree(const char *dir)
{
	char cmd[600];

	if ((size_t)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir) >= sizeof(cmd))
		return -1;
	return system(cmd) == 0 ? 0 : -1;
}

#endif
