/* SPDX-License-Identifier: MIT */
/* Unit tests for src/pe: the PE32+ reader on synthetic images (every prefix and
 * every single-byte corruption of the headers must be refused or parsed without
 * touching memory outside the buffer), UKI assembly field by field (.sbat
 * merged in place, kept, or appended; .uname from the bzImage header; CheckSum),
 * and the checksum against the values stored by the tools that made Debian's
 * stub and kernel. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vcompose/endian.h"
#include "vcompose/error.h"
#include "vcompose/pe.h"
#include "vcompose/sha256.h"
#include "vcompose/sink.h"
#include "vcompose/util.h"
#include "test_util.h"

#define SBAT_HDR "sbat,1,SBAT Version,sbat,1,https://github.com/rhboot/shim/blob/main/SBAT.md\n"
#define SBAT_UKI                                                                                   \
	"uki,1,UKI,uki,1,https://uapi-group.org/specifications/specs/unified_kernel_image/\n"

static struct vc_uki_blob blob(const char *name, const void *p, size_t n)
{
	struct vc_uki_blob b = {.name = name, .data = (uint8_t *)(uintptr_t)p, .len = n};
	return b;
}

static int build(const struct vc_uki_options *o, struct vc_mem_sink *m, struct vc_uki_summary *sum,
		 struct vc_error *err)
{
	vc_mem_sink_init(m);
	return vc_uki_write(o, &m->sink, sum, err);
}

static const struct vc_pe_section *sect(const struct vc_pe_image *img, const char *name)
{
	const struct vc_pe_section *s = vc_pe_find_section(img, name);
	assert_non_null(s);
	return s;
}

static void uki_fields(void **state)
{
	struct vc_test_pe stub, kern;
	struct vc_uki_blob bs, bk, bo, bi1, bi2;
	struct vc_uki_options o;
	struct vc_uki_summary sum;
	struct vc_mem_sink m;
	struct vc_error err = {0};
	struct vc_pe_image img;
	const uint8_t *p;
	(void)state;

	vc_test_fake_pe(&stub, SBAT_HDR "stub,1,Stub,stub,1,x\n", false);
	vc_test_fake_pe(&kern, SBAT_HDR "linux,1,Linux,linux,1,y\n", true);
	bs = blob("stub", stub.d, stub.len);
	bk = blob("kernel", kern.d, kern.len);
	bo = blob("osrel", "ID=x\n", 5);
	bi1 = blob("i1", "abcde", 5);
	bi2 = blob("i2", "fg", 2);
	vc_uki_options_init(&o);
	o.stub = &bs;
	o.kernel = &bk;
	o.os_release = &bo;
	o.cmdline = "quiet";
	o.initrds[0] = &bi1;
	o.initrds[1] = &bi2;
	o.n_initrds = 2;
	o.have_epoch = true;
	o.epoch = 1700000000;
	assert_int_equal(build(&o, &m, &sum, &err), 0);
	assert_true(sum.sbat_in_stub);
	assert_string_equal(sum.uname, "6.1.0-unit");
	assert_int_equal(vc_pe_parse(m.data, m.len, "uki", &img, &err), 0);

	/* Section table: the stub's 2, then .osrel .cmdline .uname .initrd .linux. */
	assert_int_equal(img.n_sections, 7);
	assert_int_equal(vc_get_le16(m.data + 0x46), 7);	  /* NumberOfSections */
	assert_int_equal(vc_get_le32(m.data + 0x48), 1700000000); /* TimeDateStamp */
	const char *order[] = {".text",	 ".sbat",   ".osrel", ".cmdline",
			       ".uname", ".initrd", ".linux"};
	for (unsigned i = 0; i < 7; i++)
		assert_string_equal(img.sections[i].name, order[i]);

	/* .sbat merged in place: header, stub, kernel, uki; NUL-terminated. */
	const char *want = SBAT_HDR "stub,1,Stub,stub,1,x\nlinux,1,Linux,linux,1,y\n" SBAT_UKI;
	const struct vc_pe_section *s = sect(&img, ".sbat");
	assert_int_equal(s->virtual_size, strlen(want) + 1);
	assert_int_equal(s->virtual_address, 0x2000);
	assert_int_equal(s->pointer_to_raw_data, 0x600);
	assert_memory_equal(m.data + 0x600, want, strlen(want) + 1);

	/* New sections: VA after the previous end rounded to 0x1000, file at 0x200. */
	s = sect(&img, ".osrel");
	assert_int_equal(s->virtual_address, 0x3000);
	assert_int_equal(s->pointer_to_raw_data, 0x800);
	assert_int_equal(s->size_of_raw_data, 0x200);
	assert_int_equal(s->virtual_size, 5);
	assert_int_equal(s->characteristics, 0x40000040);
	s = sect(&img, ".cmdline");
	assert_int_equal(s->virtual_address, 0x4000);
	assert_int_equal(s->virtual_size, 6);
	assert_memory_equal(m.data + s->pointer_to_raw_data, "quiet\0", 6);
	s = sect(&img, ".uname");
	assert_memory_equal(m.data + s->pointer_to_raw_data, "6.1.0-unit", 10);
	assert_int_equal(s->virtual_size, 10);
	s = sect(&img, ".initrd");
	assert_int_equal(s->virtual_size, 12); /* 5 + 3 padding + 2 + 2 padding */
	assert_memory_equal(m.data + s->pointer_to_raw_data, "abcde\0\0\0fg\0\0", 12);
	s = sect(&img, ".linux");
	assert_int_equal(s->virtual_size, 0x3000); /* the kernel's SizeOfImage */
	assert_int_equal(s->size_of_raw_data, 0x800);
	assert_int_equal(s->characteristics, 0x40000020);
	assert_memory_equal(m.data + s->pointer_to_raw_data, kern.d, kern.len);
	assert_int_equal(s->virtual_address, 0x7000);
	assert_int_equal(img.size_of_image, 0xa000);
	assert_int_equal(m.len, s->pointer_to_raw_data + 0x800);
	/* SizeOfInitializedData: the stub's + every new section's VirtualSize. */
	assert_int_equal(img.size_of_initialized_data, 0x1000 + 5 + 6 + 10 + 12 + 0x3000);
	/* CheckSum as CheckSumMappedFile computes it. */
	assert_int_equal(img.checksum, vc_pe_checksum(m.data, m.len, 0x58 + 64));
	assert_int_equal(sum.checksum, img.checksum);
	/* Padding bytes are zero. */
	for (size_t i = 0x800 + 5; i < 0xa00; i++)
		assert_int_equal(m.data[i], 0);
	assert_int_equal(vc_pe_section_data(&img, sect(&img, ".osrel"), &p), 5);

	/* The description inspect prints: names, text of .cmdline and .uname. */
	struct vc_json j;
	vc_json_init(&j, 0);
	assert_int_equal(vc_pe_describe_json(&img, &j, &err), 0);
	const char *text = vc_json_finish(&j, &err);
	assert_non_null(text);
	assert_non_null(strstr(text, "\"name\":\".cmdline\""));
	assert_non_null(strstr(text, "\"text\":\"quiet\""));
	assert_non_null(strstr(text, "\"text\":\"6.1.0-unit\""));
	vc_json_fini(&j);

	/* The same inputs give the same bytes. */
	struct vc_mem_sink m2;
	assert_int_equal(build(&o, &m2, &sum, &err), 0);
	assert_int_equal(m.len, m2.len);
	assert_memory_equal(m.data, m2.data, m.len);
	vc_mem_sink_fini(&m2);
	vc_mem_sink_fini(&m);
}

static void uki_sbat_kept_or_appended(void **state)
{
	struct vc_test_pe stub, kern, bare;
	struct vc_uki_blob bs, bk, bb, user;
	struct vc_uki_options o;
	struct vc_uki_summary sum;
	struct vc_mem_sink m;
	struct vc_error err = {0};
	struct vc_pe_image img;
	char big[600];
	(void)state;

	/* The kernel's SBAT is long: the merge no longer fits in the stub's 0x200. */
	snprintf(big, sizeof(big), SBAT_HDR "linux,1,%0400d,linux,1,y\n", 0);
	vc_test_fake_pe(&stub, SBAT_HDR "stub,1,Stub,stub,1,x\n", false);
	vc_test_fake_pe(&kern, big, true);
	bs = blob("stub", stub.d, stub.len);
	bk = blob("kernel", kern.d, kern.len);
	vc_uki_options_init(&o);
	o.stub = &bs;
	o.kernel = &bk;
	assert_int_equal(build(&o, &m, &sum, &err), 0);
	assert_true(sum.sbat_kept);
	assert_false(sum.sbat_in_stub);
	assert_int_equal(vc_pe_parse(m.data, m.len, "uki", &img, &err), 0);
	assert_memory_equal(m.data + 0x600, stub.d + 0x600, 0x200); /* untouched */
	assert_int_equal(img.time_date_stamp, 0x12345678);	    /* the stub's */
	vc_mem_sink_fini(&m);

	/* With explicit --sbat lines that cannot be placed: an error, no guess. */
	user = blob("my.sbat", SBAT_HDR "me,1,Me,me,1,z\n", strlen(SBAT_HDR) + 15);
	o.sbat = &user;
	assert_int_equal(build(&o, &m, &sum, &err), VC_ERANGE);
	assert_non_null(strstr(err.msg, "my.sbat"));
	vc_mem_sink_fini(&m);

	/* A stub without .sbat: the merge goes last, after .linux. */
	vc_test_fake_pe(&bare, NULL, false);
	bb = blob("bare", bare.d, bare.len);
	o.stub = &bb;
	o.sbat = NULL;
	vc_test_fake_pe(&kern, SBAT_HDR "linux,1,Linux,linux,1,y\n", true);
	assert_int_equal(build(&o, &m, &sum, &err), 0);
	assert_int_equal(vc_pe_parse(m.data, m.len, "uki", &img, &err), 0);
	assert_string_equal(img.sections[img.n_sections - 1].name, ".sbat");
	assert_string_equal(img.sections[img.n_sections - 2].name, ".linux");
	const char *want = SBAT_HDR "linux,1,Linux,linux,1,y\n" SBAT_UKI;
	const struct vc_pe_section *s = &img.sections[img.n_sections - 1];
	assert_memory_equal(m.data + s->pointer_to_raw_data, want, strlen(want) + 1);
	vc_mem_sink_fini(&m);
}

/* The section table may grow past the stub's headers in the file (its raw
 * data moves up by whole FileAlignment units, the merged .sbat with it), not
 * past its first section's RVA. */
static void uki_headers_grow(void **state)
{
	struct vc_test_pe stub, kern, moved;
	struct vc_uki_blob bs, bk, bo;
	struct vc_uki_options o;
	struct vc_uki_summary sum;
	struct vc_mem_sink m;
	struct vc_error err = {0};
	struct vc_pe_image img;
	const uint32_t lfanew = 0x280; /* the table of 2 ends at 0x3d8: room for 1 */
	(void)state;

	vc_test_fake_pe(&stub, SBAT_HDR "stub,1,Stub,stub,1,x\n", false);
	vc_test_fake_pe(&kern, SBAT_HDR "linux,1,Linux,linux,1,y\n", true);
	moved = stub;
	memset(moved.d + 0x40, 0, 0x400 - 0x40);
	memcpy(moved.d + lfanew, stub.d + 0x40, 0x148 + 80 - 0x40);
	vc_put_le32(moved.d + 0x3c, lfanew);
	bs = blob("stub", moved.d, moved.len);
	bk = blob("kernel", kern.d, kern.len);
	bo = blob("osrel", "ID=x\n", 5);
	vc_uki_options_init(&o);
	o.stub = &bs;
	o.kernel = &bk;
	o.os_release = &bo;
	o.cmdline = "quiet";
	assert_int_equal(build(&o, &m, &sum, &err), 0);
	assert_true(sum.sbat_in_stub);
	assert_int_equal(vc_pe_parse(m.data, m.len, "uki", &img, &err), 0);
	assert_int_equal(img.size_of_headers, 0x600);
	assert_int_equal(sect(&img, ".text")->pointer_to_raw_data, 0x600);
	assert_memory_equal(m.data + 0x600, stub.d + 0x400, 0x200);
	const char *want = SBAT_HDR "stub,1,Stub,stub,1,x\n"
				    "linux,1,Linux,linux,1,y\n" SBAT_UKI;
	assert_int_equal(sect(&img, ".sbat")->pointer_to_raw_data, 0x800);
	assert_memory_equal(m.data + 0x800, want, strlen(want));
	assert_true(vc_pe_checksum(m.data, m.len, img.checksum_offset) == img.checksum);
	vc_mem_sink_fini(&m);

	/* In memory the headers end at the first section: .text at RVA 0x400. */
	uint8_t *opt = moved.d + lfanew + 24, *tab = opt + 240;
	vc_put_le32(opt + 32, 0x200);	   /* SectionAlignment */
	vc_put_le32(opt + 16, 0x400);	   /* AddressOfEntryPoint */
	vc_put_le32(opt + 56, 0x800);	   /* SizeOfImage */
	vc_put_le32(tab + 12, 0x400);	   /* .text */
	vc_put_le32(tab + 40 + 12, 0x600); /* .sbat */
	assert_int_equal(build(&o, &m, &sum, &err), VC_ERANGE);
	assert_non_null(strstr(err.msg, "the first section starts at RVA 0x400"));
	vc_mem_sink_fini(&m);
}

/* Planned in two steps: the sections as they will be loaded (the stub's
 * merged .sbat, .linux with the kernel's SizeOfImage), then .pcrsig added
 * before .linux; .pcrpkey after .splash's place (ukify's order). */
static void uki_plan_pcrsig(void **state)
{
	struct vc_test_pe stub, kern;
	struct vc_uki_blob bs, bk, bp;
	struct vc_uki_options o;
	struct vc_uki_summary sum;
	struct vc_uki_section sec[16];
	struct vc_uki_plan *plan = NULL;
	struct vc_mem_sink m;
	struct vc_error err = {0};
	struct vc_pe_image img;
	size_t n;
	(void)state;

	vc_test_fake_pe(&stub, SBAT_HDR "stub,1,Stub,stub,1,x\n", false);
	vc_test_fake_pe(&kern, SBAT_HDR "linux,1,Linux,linux,1,y\n", true);
	bs = blob("stub", stub.d, stub.len);
	bk = blob("kernel", kern.d, kern.len);
	bp = blob("pkey", "-----BEGIN PUBLIC KEY-----\n", 27);
	vc_uki_options_init(&o);
	o.stub = &bs;
	o.kernel = &bk;
	o.cmdline = "quiet";
	o.pcrpkey = &bp;
	assert_int_equal(vc_uki_plan_new(&o, &plan, &err), 0);
	n = vc_uki_plan_sections(plan, sec, 16);
	assert_int_equal(n, 6); /* .text .sbat .cmdline .uname .pcrpkey .linux */
	assert_string_equal(sec[1].name, ".sbat");
	assert_int_equal(sec[1].virtual_size, sec[1].len);
	assert_non_null(memmem(sec[1].data, sec[1].len, "linux,1,Linux", 13));
	assert_string_equal(sec[4].name, ".pcrpkey");
	assert_memory_equal(sec[4].data, "-----BEGIN", 10);
	assert_string_equal(sec[5].name, ".linux");
	assert_int_equal(sec[5].len, kern.len);
	assert_int_equal(sec[5].virtual_size, 0x3000); /* zeros past the file */
	assert_int_equal(vc_uki_plan_add_pcrsig(plan, (const uint8_t *)"{}\n", 3, &err), 0);
	assert_int_equal(vc_uki_plan_add_pcrsig(plan, (const uint8_t *)"{}\n", 3, &err), VC_EINVAL);
	vc_mem_sink_init(&m);
	assert_int_equal(vc_uki_plan_write(plan, &m.sink, &sum, &err), 0);
	assert_int_equal(vc_pe_parse(m.data, m.len, "uki", &img, &err), 0);
	const char *order[] = {".text",	   ".sbat",   ".cmdline", ".uname",
			       ".pcrpkey", ".pcrsig", ".linux"};
	assert_int_equal(img.n_sections, 7);
	for (unsigned i = 0; i < 7; i++)
		assert_string_equal(img.sections[i].name, order[i]);
	const struct vc_pe_section *s = sect(&img, ".pcrsig");
	assert_int_equal(s->virtual_size, 3);
	assert_memory_equal(m.data + s->pointer_to_raw_data, "{}\n", 3);
	assert_int_equal(img.checksum, vc_pe_checksum(m.data, m.len, 0x58 + 64));
	vc_uki_plan_free(plan);
	vc_mem_sink_fini(&m);
}

static void reader_refuses(void **state)
{
	struct vc_test_pe f;
	struct vc_pe_image img;
	struct vc_error err = {0};
	(void)state;

	vc_test_fake_pe(&f, SBAT_HDR, false);
	assert_int_equal(vc_pe_parse(f.d, f.len, "x", &img, &err), 0);
	vc_put_le16(f.d + 0x58, 0x10b); /* PE32: read, but not for a UKI */
	assert_int_equal(vc_pe_parse(f.d, f.len, "x", &img, &err), 0);
	assert_false(img.pe32plus);
	assert_int_equal(vc_pe_parse_pe32plus(f.d, f.len, "x", &img, &err), VC_EUNSUPP);
	assert_non_null(strstr(err.msg, "PE32+ (0x20b) needed"));
	vc_test_fake_pe(&f, SBAT_HDR, false);
	vc_put_le32(f.d + 0x58 + 36, 0x300); /* FileAlignment not a power of two */
	assert_int_equal(vc_pe_parse(f.d, f.len, "x", &img, &err), VC_EINVAL);
	assert_non_null(strstr(err.msg, "FileAlignment"));
	vc_test_fake_pe(&f, SBAT_HDR, false);
	vc_put_le32(f.d + 0x148 + 40 + 20, 0x500); /* .sbat raw not aligned */
	assert_int_equal(vc_pe_parse(f.d, f.len, "x", &img, &err), VC_EINVAL);
	vc_test_fake_pe(&f, SBAT_HDR, false);
	vc_put_le32(f.d + 0x58 + 112 + 5 * 8 + 4, 0x100); /* a reloc dir past SizeOfImage */
	vc_put_le32(f.d + 0x58 + 112 + 5 * 8, 0x2f80);
	assert_int_equal(vc_pe_parse(f.d, f.len, "x", &img, &err), VC_EINVAL);
	assert_non_null(strstr(err.msg, "data directory 5"));
}

/* Every prefix, and every byte of the headers set to 0xff or 0x00: refused or
 * parsed, and when parsed also assembled, never reading outside the buffer
 * (run under ASan in CI). */
static void reader_survives_corruption(void **state)
{
	struct vc_test_pe stub, kern;
	struct vc_pe_image img;
	struct vc_error err = {0};
	struct vc_uki_blob bs, bk;
	struct vc_uki_options o;
	struct vc_uki_summary sum;
	(void)state;

	vc_test_fake_pe(&stub, SBAT_HDR "stub,1,Stub,stub,1,x\n", false);
	vc_test_fake_pe(&kern, SBAT_HDR, true);
	for (size_t n = 0; n < stub.len; n++) {
		uint8_t *copy = malloc(n ? n : 1);
		memcpy(copy, stub.d, n);
		int r = vc_pe_parse(copy, n, "x", &img, &err);
		assert_true(r < 0);
		free(copy);
	}
	bk = blob("kernel", kern.d, kern.len);
	/* No section data at all, file ends right after the headers. */
	{
		struct vc_test_pe bare;
		struct vc_mem_sink m;

		vc_test_fake_pe(&bare, NULL, false);
		vc_put_le32(bare.d + 0x148 + 16, 0); /* .text SizeOfRawData */
		vc_put_le32(bare.d + 0x148 + 20, 0);
		for (size_t len = 0x200; len <= 0x600; len += 0x200) {
			bs = blob("bare", bare.d, len);
			vc_uki_options_init(&o);
			o.stub = &bs;
			o.kernel = &bk;
			if (build(&o, &m, &sum, &err) == 0)
				assert_int_equal(vc_pe_parse(m.data, m.len, "out", &img, &err), 0);
			vc_mem_sink_fini(&m);
		}
	}
	for (size_t i = 0; i < 0x400; i++) {
		for (int v = 0; v < 2; v++) {
			uint8_t *copy = malloc(stub.len);
			memcpy(copy, stub.d, stub.len);
			copy[i] = v ? 0xff : 0x00;
			if (vc_pe_parse(copy, stub.len, "x", &img, &err) == 0) {
				struct vc_mem_sink m;

				bs = blob("stub", copy, stub.len);
				vc_uki_options_init(&o);
				o.stub = &bs;
				o.kernel = &bk;
				o.cmdline = "x";
				if (build(&o, &m, &sum, &err) == 0)
					assert_int_equal(
					    vc_pe_parse(m.data, m.len, "out", &img, &err), 0);
				vc_mem_sink_fini(&m);
			}
			free(copy);
		}
	}
}

/* Known answers: the CheckSum fields written by the tools that made Debian's
 * stub (binutils objcopy) and kernel, which python3-pefile also reproduces
 * (vectors/pe/MANIFEST). Skipped when the files are not installed. */
/* The PE checksum of real files against pefile's (vectors/pe/checksums.txt):
 * every line whose file is installed with that sha256 is checked; with none
 * the test is skipped, which fails under VC_NO_SKIP=1. */
static void checksum_matches_reference(void **state)
{
	FILE *v = fopen(VC_SOURCE_DIR "/vectors/pe/checksums.txt", "r");
	char line[512];
	unsigned used = 0;
	(void)state;

	/* A tiny buffer by hand: words 0x5a4d + 0x0001 + carry folding, + length. */
	uint8_t tiny[6] = {'M', 'Z', 0xff, 0xff, 0x02, 0x00};
	/* 0x5a4d + 0xffff = 0x15a4c -> 0x5a4d; + 0x0002 = 0x5a4f; + 6 = 0x5a55 */
	assert_int_equal(vc_pe_checksum(tiny, 6, 100), 0x5a55);

	assert_non_null(v);
	while (fgets(line, sizeof(line), v)) {
		char sha[65], path[300], hex[65];
		unsigned ck, soi;
		struct vc_uki_blob b;
		struct vc_pe_image img;
		struct vc_error err = {0};
		uint8_t md[32];

		if (line[0] == '#' || sscanf(line, "%64s %x %x %299s", sha, &ck, &soi, path) != 4)
			continue;
		if (vc_uki_blob_load(path, 1u << 30, &b, &err) < 0)
			continue;
		vc_sha256(b.data, b.len, md);
		vc_hex_encode(md, 32, hex);
		if (strcmp(hex, sha) == 0) {
			assert_int_equal(vc_pe_parse(b.data, b.len, path, &img, &err), 0);
			assert_int_equal(img.checksum, ck); /* as the file's maker wrote it */
			assert_int_equal(vc_pe_checksum(b.data, b.len, img.checksum_offset), ck);
			assert_int_equal(img.size_of_image, soi);
			used++;
		}
		vc_uki_blob_fini(&b);
	}
	fclose(v);
	print_message("checksum vectors matched: %u\n", used);
	if (used == 0)
		vc_test_skip("no file of vectors/pe/checksums.txt is installed as recorded");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(uki_fields),
	    cmocka_unit_test(uki_sbat_kept_or_appended),
	    cmocka_unit_test(uki_headers_grow),
	    cmocka_unit_test(uki_plan_pcrsig),
	    cmocka_unit_test(reader_refuses),
	    cmocka_unit_test(reader_survives_corruption),
	    cmocka_unit_test(checksum_matches_reference),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
