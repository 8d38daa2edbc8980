/* SPDX-License-Identifier: MIT */
/* Helpers shared by the cmocka unit tests (tests/test_*.c). Include after
 * <cmocka.h>. Header-only: each test is one executable. */
#ifndef VC_TEST_UTIL_H
#define VC_TEST_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vcompose/endian.h"
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

/* A small PE32+ EFI application: SA 0x1000, FA 0x200, headers 0x400,
 * .text at 0x1000 (file 0x400), optionally .sbat at 0x2000 (file 0x600). */
struct vc_test_pe {
	uint8_t d[0x800];
	size_t len;
};

static inline void vc_test_pe_section(uint8_t *p, const char *name, uint32_t vs, uint32_t va,
				      uint32_t raw, uint32_t off, uint32_t flags)
{
	memcpy(p, name, strlen(name));
	vc_put_le32(p + 8, vs);
	vc_put_le32(p + 12, va);
	vc_put_le32(p + 16, raw);
	vc_put_le32(p + 20, off);
	vc_put_le32(p + 36, flags);
}

static inline void vc_test_fake_pe(struct vc_test_pe *f, const char *sbat, bool kernel)
{
	uint8_t *d = f->d;
	unsigned nsec = sbat ? 2 : 1;

	memset(f, 0, sizeof(*f));
	d[0] = 'M';
	d[1] = 'Z';
	vc_put_le32(d + 0x3c, 0x40);
	memcpy(d + 0x40, "PE\0\0", 4);
	vc_put_le16(d + 0x44, 0x8664);	       /* Machine */
	vc_put_le16(d + 0x46, (uint16_t)nsec); /* NumberOfSections */
	vc_put_le32(d + 0x48, 0x12345678);     /* TimeDateStamp */
	vc_put_le16(d + 0x54, 240);	       /* SizeOfOptionalHeader */
	vc_put_le16(d + 0x56, 0x0206);	       /* executable */
	uint8_t *o = d + 0x58;
	vc_put_le16(o, 0x20b);
	vc_put_le32(o + 8, 0x1000);  /* SizeOfInitializedData */
	vc_put_le32(o + 16, 0x1000); /* AddressOfEntryPoint */
	vc_put_le32(o + 32, 0x1000); /* SectionAlignment */
	vc_put_le32(o + 36, 0x200);  /* FileAlignment */
	vc_put_le32(o + 56, 0x3000); /* SizeOfImage */
	vc_put_le32(o + 60, 0x400);  /* SizeOfHeaders */
	vc_put_le16(o + 68, 10);     /* EFI application */
	vc_put_le32(o + 108, 16);    /* NumberOfRvaAndSizes */
	uint8_t *t = d + 0x58 + 240; /* section table at 0x148 */
	vc_test_pe_section(t, ".text", 0x10, 0x1000, 0x200, 0x400, 0x60000020);
	memset(d + 0x400, 0xc3, 0x10);
	f->len = 0x600;
	if (sbat) {
		vc_test_pe_section(t + 40, ".sbat", (uint32_t)strlen(sbat) + 1, 0x2000, 0x200,
				   0x600, 0x40000040);
		memcpy(d + 0x600, sbat, strlen(sbat));
		f->len = 0x800;
	}
	if (kernel) {
		/* bzImage real-mode header: "HdrS", kernel_version -> 0x200 + 0x100 */
		memcpy(d + 0x202, "HdrS", 4);
		vc_put_le16(d + 0x20e, 0x100);
		memcpy(d + 0x300, "6.1.0-unit (me@host) #1 SMP", 27);
	}
}

#endif
