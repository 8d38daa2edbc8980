/* SPDX-License-Identifier: MIT */
/* Unit tests for src/gpt: the bytes of the MBR, headers and entries at their
 * offsets in a memory sink, type names, flags, labels, layout errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include <cmocka.h>

#include "vcompose/endian.h"
#include "vcompose/gpt.h"
#include "vcompose/sink.h"
#include "vcompose/util.h"

static struct vc_gpt g;

static void one_part(uint32_t ss, struct vc_mem_sink *m)
{
	struct vc_error err = {0};
	struct vc_gpt_part p = {.size = 3 * 1024 * 1024 + 1, .flags = VC_GPT_FLAG_READ_ONLY};

	vc_gpt_init(&g, "seed", 4);
	g.sector_size = ss;
	assert_int_equal(vc_gpt_type_lookup("esp", p.type, &err), 0);
	strcpy(p.label, "é😀");
	assert_int_equal(vc_uuid_parse("00112233-4455-6677-8899-aabbccddeeff", p.uuid, &err), 0);
	p.uuid_set = true;
	assert_int_equal(vc_gpt_add(&g, &p, &err), 0);
	assert_int_equal(vc_gpt_layout(&g, &err), 0);
	vc_mem_sink_init(m);
	assert_int_equal(vc_gpt_write(&g, &m->sink, &err), 0);
}

static void gpt_layout_aligns_and_sizes(void **state)
{
	struct vc_mem_sink m;
	(void)state;
	one_part(512, &m);
	assert_int_equal(g.parts[0].offset, 1024 * 1024);
	assert_int_equal(g.parts[0].part_size, 4 * 1024 * 1024); /* 3 MiB + 1 rounds up */
	assert_int_equal(g.parts[0].first_lba, 2048);
	assert_int_equal(g.parts[0].last_lba, 2048 + 8192 - 1);
	/* 5 MiB of partitions + 33 sectors of backup, rounded to 1 MiB */
	assert_int_equal(g.disk_size, 6 * 1024 * 1024);
	assert_int_equal(m.len, g.disk_size);
	vc_mem_sink_fini(&m);
}

static void gpt_mbr_is_protective(void **state)
{
	struct vc_mem_sink m;
	(void)state;
	one_part(512, &m);
	const uint8_t *b = m.data;
	assert_int_equal(b[446], 0x00);			      /* not bootable */
	assert_memory_equal(b + 447, "\x00\x02\x00", 3);      /* start CHS = LBA 1 */
	assert_int_equal(b[450], 0xee);			      /* GPT protective */
	assert_int_equal(vc_get_le32(b + 454), 1);	      /* starting LBA */
	assert_int_equal(vc_get_le32(b + 458), 6 * 2048 - 1); /* size in LBAs */
	assert_memory_equal(b + 462, (uint8_t[48]){0}, 48);   /* records 2-4 zero */
	assert_memory_equal(b + 510, "\x55\xaa", 2);
	vc_mem_sink_fini(&m);
}

static void gpt_headers_and_crcs(void **state)
{
	struct vc_mem_sink m;
	uint8_t h[92];
	(void)state;
	one_part(512, &m);
	const uint8_t *p = m.data + 512, *b = m.data + g.disk_size - 512;
	uint64_t last = g.disk_size / 512 - 1;

	assert_memory_equal(p, "EFI PART\x00\x00\x01\x00\x5c\x00\x00\x00", 16);
	assert_int_equal(vc_get_le64(p + 24), 1);	  /* my LBA */
	assert_int_equal(vc_get_le64(p + 32), last);	  /* alternate */
	assert_int_equal(vc_get_le64(p + 40), 34);	  /* first usable */
	assert_int_equal(vc_get_le64(p + 48), last - 33); /* last usable */
	assert_int_equal(vc_get_le64(p + 72), 2);	  /* entries at LBA 2 */
	assert_int_equal(vc_get_le32(p + 80), 128);
	assert_int_equal(vc_get_le32(p + 84), 128);
	assert_int_equal(vc_get_le32(p + 88), (uint32_t)crc32(0, m.data + 1024, 16384));
	memcpy(h, p, 92);
	memset(h + 16, 0, 4);
	assert_int_equal(vc_get_le32(p + 16), (uint32_t)crc32(0, h, 92));
	assert_memory_equal(p + 92, (uint8_t[420]){0}, 420); /* rest of the sector */
	/* backup */
	assert_int_equal(vc_get_le64(b + 24), last);
	assert_int_equal(vc_get_le64(b + 32), 1);
	assert_int_equal(vc_get_le64(b + 72), last - 32);
	assert_memory_equal(m.data + (last - 32) * 512, m.data + 1024, 16384);
	assert_memory_equal(b + 56, p + 56, 16); /* same disk GUID */
	vc_mem_sink_fini(&m);
}

static void gpt_entry_encodes_fields(void **state)
{
	struct vc_mem_sink m;
	(void)state;
	one_part(512, &m);
	const uint8_t *e = m.data + 1024;
	/* type c12a7328-f81f-11d2-ba4b-00a0c93ec93b, mixed-endian */
	assert_memory_equal(e, "\x28\x73\x2a\xc1\x1f\xf8\xd2\x11\xba\x4b\x00\xa0\xc9\x3e\xc9\x3b",
			    16);
	assert_memory_equal(e + 16,
			    "\x33\x22\x11\x00\x55\x44\x77\x66\x88\x99\xaa\xbb\xcc\xdd\xee\xff", 16);
	assert_memory_equal(e + 32, "\x00\x08\0\0\0\0\0\0", 8);	  /* first LBA 2048 */
	assert_int_equal(vc_get_le64(e + 40), 2048 + 8191);	  /* last LBA, inclusive */
	assert_int_equal(vc_get_le64(e + 48), UINT64_C(1) << 60); /* read-only */
	/* "é" U+00E9, then U+1F600 as the surrogate pair D83D DE00 */
	assert_memory_equal(e + 56, "\xe9\x00\x3d\xd8\x00\xde\x00\x00", 8);
	assert_memory_equal(e + 128, (uint8_t[128]){0}, 128); /* entry 2 unused */
	vc_mem_sink_fini(&m);
}

/* Entry numbers: disk order stays the order added; a numbered partition's
 * entry is at its number, the others take the lowest free ones in disk
 * order; one partition per number. */
static void gpt_entry_numbers(void **state)
{
	struct vc_error err = {0};
	struct vc_mem_sink m;
	struct vc_gpt_part p = {.size = 1024 * 1024};
	static const unsigned want[4] = {55, 1, 2, 3}; /* esp 55, root 1, two unnumbered */

	(void)state;
	vc_gpt_init(&g, "seed", 4);
	assert_int_equal(vc_gpt_type_lookup("linux-generic", p.type, &err), 0);
	for (unsigned i = 0; i < 4; i++) {
		p.number = i < 2 ? want[i] : 0;
		snprintf(p.label, sizeof(p.label), "p%u", i);
		assert_int_equal(vc_gpt_add(&g, &p, &err), 0);
	}
	p.number = 55;
	assert_int_equal(vc_gpt_add(&g, &p, &err), VC_EINVAL);
	assert_non_null(strstr(err.msg, "number 55 is taken by partition 1 ('p0')"));
	p.number = 129;
	assert_int_equal(vc_gpt_add(&g, &p, &err), VC_ERANGE);
	assert_int_equal(vc_gpt_layout(&g, &err), 0);
	vc_mem_sink_init(&m);
	assert_int_equal(vc_gpt_write(&g, &m.sink, &err), 0);
	for (unsigned i = 0; i < 4; i++) {
		const uint8_t *e = m.data + 1024 + (size_t)(want[i] - 1) * 128;
		assert_int_equal(g.parts[i].number, want[i]);
		/* disk order: partition i starts at (i + 1) MiB */
		assert_int_equal(vc_get_le64(e + 32), (i + 1) * 2048);
		assert_int_equal(vc_get_le16(e + 56), 'p');
		assert_int_equal(vc_get_le16(e + 58), '0' + i);
	}
	assert_memory_equal(m.data + 1024 + 3 * 128, (uint8_t[128]){0}, 128);  /* entry 4 unused */
	assert_memory_equal(m.data + 1024 + 55 * 128, (uint8_t[128]){0}, 128); /* entry 56 */
	vc_mem_sink_fini(&m);
}

static void gpt_4096_sectors(void **state)
{
	struct vc_mem_sink m;
	(void)state;
	one_part(4096, &m);
	const uint8_t *p = m.data + 4096;
	assert_memory_equal(p, "EFI PART", 8);
	assert_int_equal(vc_get_le64(p + 40), 6); /* 2 + 16 KiB / 4 KiB */
	assert_int_equal(g.parts[0].first_lba, 256);
	assert_int_equal(vc_get_le32(m.data + 458), g.disk_size / 4096 - 1);
	assert_int_equal(vc_get_le64(p + 48), g.disk_size / 4096 - 6);
	vc_mem_sink_fini(&m);
}

static void gpt_derives_ids_from_seed(void **state)
{
	struct vc_error err = {0};
	struct vc_gpt_part p = {.size = 1};
	uint8_t want[16];
	(void)state;
	vc_gpt_init(&g, "seed", 4);
	assert_int_equal(vc_gpt_type_lookup("home", p.type, &err), 0);
	assert_int_equal(vc_gpt_add(&g, &p, &err), 0);
	assert_int_equal(vc_gpt_add(&g, &p, &err), 0);
	assert_int_equal(vc_gpt_layout(&g, &err), 0);
	vc_uuid_derive("seed", 4, "disk-guid", want);
	assert_memory_equal(g.disk_guid, want, 16);
	vc_uuid_derive("seed", 4, "gpt-partition-2", want);
	assert_memory_equal(g.parts[1].uuid, want, 16);
	assert_memory_not_equal(g.parts[0].uuid, g.parts[1].uuid, 16);
}

static void gpt_type_names(void **state)
{
	struct vc_error err = {0};
	uint8_t t[16], u[16];
	char s[VC_UUID_STR];
	(void)state;
	assert_int_equal(vc_gpt_type_lookup("root-arm64", t, &err), 0);
	vc_uuid_format(t, s);
	assert_string_equal(s, "b921b045-1df0-41c3-af44-4c6f280d3fae");
	assert_int_equal(vc_gpt_type_lookup("root-verity-aarch64", t, &err), 0);
	assert_int_equal(vc_gpt_type_lookup("root-arm64-verity", u, &err), 0);
	assert_memory_equal(t, u, 16);
	vc_uuid_format(t, s);
	assert_string_equal(s, "df3300ce-d69f-4c92-978c-9bfb0f38d820");
	assert_true(vc_gpt_type_is_verity_hash(t));
	assert_int_equal(vc_gpt_type_lookup("usr-verity-sig-loongarch64", t, &err), 0);
	vc_uuid_format(t, s);
	assert_string_equal(s, "b024f315-d330-444c-8461-44bbde524e99");
	assert_string_equal(vc_gpt_type_name(t), "usr-verity-sig-loongarch64");
	assert_int_equal(vc_gpt_type_lookup("root-riscv64", t, &err), 0);
	assert_true(vc_gpt_type_is_verity_data(t));
	assert_int_equal(vc_gpt_type_lookup("xbootldr", t, &err), 0);
	vc_uuid_format(t, s);
	assert_string_equal(s, "bc13c2ff-59e6-4262-a352-b275fd6f7172");
	assert_int_equal(vc_gpt_type_lookup("0FC63DAF-8483-4772-8E79-3D69D8477DE4", t, &err), 0);
	assert_string_equal(vc_gpt_type_name(t), "linux-generic");
#if defined(__x86_64__)
	assert_int_equal(vc_gpt_type_lookup("root-verity", t, &err), 0);
	vc_uuid_format(t, s);
	assert_string_equal(s, "2c7357ed-ebd2-46d9-aec1-23d437ec2bf5");
	assert_string_equal(vc_gpt_type_name(t), "root-verity");
#endif
	assert_int_equal(vc_gpt_type_lookup("root-sparc", t, &err), VC_EINVAL);
	assert_non_null(strstr(err.msg, "unknown partition type 'root-sparc'"));
}

static void gpt_flags_and_roothash(void **state)
{
	struct vc_error err = {0};
	uint64_t f;
	uint8_t h[32], d[16], v[16];
	(void)state;
	assert_int_equal(vc_gpt_flags_parse("read-only+no-auto|growfs", &f, &err), 0);
	assert_true(f == (UINT64_C(1) << 60 | UINT64_C(1) << 63 | UINT64_C(1) << 59));
	assert_int_equal(vc_gpt_flags_parse("0x1", &f, &err), 0);
	assert_true(f == 1);
	assert_int_equal(vc_gpt_flags_parse("ro", &f, &err), VC_EINVAL);
	for (int i = 0; i < 32; i++)
		h[i] = (uint8_t)i;
	vc_gpt_uuids_from_roothash(h, 32, d, v);
	assert_memory_equal(d, h, 16); /* taken as they are, no version bits */
	assert_memory_equal(v, h + 16, 16);
}

static void gpt_rejects_bad_input(void **state)
{
	struct vc_error err = {0};
	struct vc_gpt_part p = {.size = 1};
	(void)state;
	vc_gpt_init(&g, "s", 1);
	strcpy(p.label, "abcdefghijklmnopqrstuvwxyz0123456789"); /* 36: fits */
	assert_int_equal(vc_gpt_add(&g, &p, &err), 0);
	strcpy(p.label, "😀abcdefghijklmnopqrstuvwxyz01234567"); /* 2 + 34 units: fits */
	assert_int_equal(vc_gpt_add(&g, &p, &err), 0);
	strcpy(p.label, "😀abcdefghijklmnopqrstuvwxyz012345678"); /* 37 */
	assert_int_equal(vc_gpt_add(&g, &p, &err), VC_EINVAL);
	assert_non_null(strstr(err.msg, "37 UTF-16 units"));
	strcpy(p.label, "\xc3\x28");
	assert_int_equal(vc_gpt_add(&g, &p, &err), VC_EINVAL);
	p.label[0] = '\0';
	p.exact = true;
	p.size = 1000;
	assert_int_equal(vc_gpt_add(&g, &p, &err), VC_EINVAL);
	p.exact = false;
	while (g.n_parts < VC_GPT_MAX_PARTS)
		assert_int_equal(vc_gpt_add(&g, &p, &err), 0);
	assert_int_equal(vc_gpt_add(&g, &p, &err), VC_ERANGE);
	assert_non_null(strstr(err.msg, "at most 128"));
	/* disk too small: the message says what is needed */
	vc_gpt_init(&g, "s", 1);
	p.size = 4 * 1024 * 1024;
	assert_int_equal(vc_gpt_add(&g, &p, &err), 0);
	g.disk_size = 5 * 1024 * 1024;
	assert_int_equal(vc_gpt_layout(&g, &err), VC_ERANGE);
	assert_non_null(strstr(err.msg, "need 5259776 bytes (6 MiB)"));
	/* an explicit start inside the previous partition */
	vc_gpt_init(&g, "s", 1);
	assert_int_equal(vc_gpt_add(&g, &p, &err), 0);
	p.start = 2 * 1024 * 1024;
	assert_int_equal(vc_gpt_add(&g, &p, &err), 0);
	assert_int_equal(vc_gpt_layout(&g, &err), VC_EINVAL);
	assert_non_null(strstr(err.msg, "overlaps partition 1"));
}

/* `vcompose gpt --part`'s spec: options, roothash= by type, errors. */
static void gpt_part_spec(void **state)
{
	struct vc_error err = {0};
	struct vc_gpt_part p;
	const char *file;
	uint8_t t[16];
	char spec[256];

	(void)state;
	strcpy(spec, "root-x86-64:root.img,label=r,flags=read-only+growfs,number=3,size=2M,"
		     "roothash=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
	assert_int_equal(vc_gpt_part_parse(spec, &p, &file, &err), 0);
	assert_string_equal(file, "root.img");
	assert_string_equal(p.label, "r");
	assert_int_equal(p.flags, VC_GPT_FLAG_READ_ONLY | VC_GPT_FLAG_GROWFS);
	assert_int_equal(p.number, 3);
	assert_int_equal(p.size, 2u << 20);
	assert_true(p.uuid_set);
	assert_int_equal(p.uuid[0], 0x00); /* the first 128 bits for the data side */
	assert_int_equal(p.uuid[15], 0x0f);
	assert_int_equal(vc_gpt_type_lookup("root-x86-64", t, &err), 0);
	assert_memory_equal(p.type, t, 16);
	strcpy(spec, "root-x86-64-verity:,size=1M,roothash="
		     "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
	assert_int_equal(vc_gpt_part_parse(spec, &p, &file, &err), 0);
	assert_null(file);
	assert_int_equal(p.uuid[0], 0x10); /* the last 128 bits for the hash side */
	static const char *const bad[][2] = {
	    {"esp", "expected TYPE:FILE"},
	    {"esp:", "no FILE and no size="},
	    {"esp:e,label", "option 'label' is not KEY=VALUE"},
	    {"esp:e,start=0", "start=0 is inside the GPT"},
	    {"esp:e,number=129", "number '129': expected 1..128"},
	    {"esp:e,roothash=00112233445566778899aabbccddeeff", "roothash= applies to root"},
	    {"root:e,roothash=0011", "not hex of 16 to 64 bytes"},
	    {"esp:e,colour=red", "unknown option 'colour'"},
	    {"bogus:e", "unknown partition type 'bogus'"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(spec, sizeof(spec), "%s", bad[i][0]);
		assert_int_equal(vc_gpt_part_parse(spec, &p, &file, &err), VC_EINVAL);
		if (!strstr(err.msg, bad[i][1]))
			fail_msg("%s: '%s', expected '%s'", bad[i][0], err.msg, bad[i][1]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(gpt_layout_aligns_and_sizes),
	    cmocka_unit_test(gpt_mbr_is_protective),
	    cmocka_unit_test(gpt_headers_and_crcs),
	    cmocka_unit_test(gpt_entry_encodes_fields),
	    cmocka_unit_test(gpt_entry_numbers),
	    cmocka_unit_test(gpt_4096_sectors),
	    cmocka_unit_test(gpt_derives_ids_from_seed),
	    cmocka_unit_test(gpt_type_names),
	    cmocka_unit_test(gpt_flags_and_roothash),
	    cmocka_unit_test(gpt_rejects_bad_input),
	    cmocka_unit_test(gpt_part_spec),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
