/* SPDX-License-Identifier: MIT */
/* Unit tests for src/fat: mkfs.fat's geometry for known sizes, short names,
 * DOS times, the bytes of a small volume in a memory sink, bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../src/fat/fat_priv.h"
#include "vcompose/endian.h"
#include "vcompose/fat.h"
#include "vcompose/sink.h"
#include "vcompose/util.h"

static void fat_geometry_matches_mkfs(void **state)
{
	/* numbers from `fsck.fat -n -v` of `mkfs.fat` 4.2 images of these sizes */
	static const struct {
		uint64_t size;
		unsigned bits, spc, reserved, fat, root, clusters, sectors;
		uint8_t media;
	} want[] = {
	    {1440 * 1024, 12, 1, 1, 9, 224, 2847, 2880, 0xf0},
	    {2 << 20, 12, 4, 1, 3, 512, 1014, 4096, 0xf8},
	    {100 << 20, 16, 4, 4, 200, 512, 51091, 204800, 0xf8},
	    {600 << 20, 32, 8, 32, 1200, 0, 153290, 1228752, 0xf8},
	};
	struct vc_error err = {0};
	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct fat_geom g;
		assert_int_equal(fat_geometry(want[i].size, &g, &err), 0);
		assert_int_equal(g.bits, want[i].bits);
		assert_int_equal(g.spc, want[i].spc);
		assert_int_equal(g.reserved, want[i].reserved);
		assert_int_equal(g.fat_sectors, want[i].fat);
		assert_int_equal(g.root_entries, want[i].root);
		assert_int_equal(g.clusters, want[i].clusters);
		assert_int_equal(g.sectors, want[i].sectors);
		assert_int_equal(g.media, want[i].media);
	}
}

static void fat_short_names(void **state)
{
	uint8_t s[11], t[11];
	bool tail;
	(void)state;
	assert_true(fat_name_is_short("BOOTX64.EFI", 11, s));
	assert_memory_equal(s, "BOOTX64 EFI", 11);
	assert_false(fat_name_is_short("bootx64.efi", 11, s)); /* lower case needs a long name */
	assert_false(fat_name_is_short("LOADER.CONF", 11, s));
	fat_short_basis("entries", 7, s, &tail);
	assert_memory_equal(s, "ENTRIES    ", 11);
	assert_false(tail);
	fat_short_basis("loader.conf", 11, s, &tail);
	assert_memory_equal(s, "LOADER  CON", 11);
	assert_true(tail);
	fat_short_basis("foo.bar.baz", 11, s, &tail);
	assert_memory_equal(s, "FOOBAR  BAZ", 11);
	assert_true(tail);
	fat_short_basis(".bashrc", 7, s, &tail);
	assert_memory_equal(s, "BASHRC     ", 11);
	assert_true(tail);
	fat_short_basis("\xc3\x9c"
			"ber+x.t",
			9, s, &tail); /* Ü and '+' become '_' */
	assert_memory_equal(s, "_BER_X  T  ", 11);
	assert_true(tail);
	fat_short_with_tail((const uint8_t *)"LOADER  CON", 1, t);
	assert_memory_equal(t, "LOADER~1CON", 11);
	fat_short_with_tail((const uint8_t *)"ABCDEFGHEFI", 12, t);
	assert_memory_equal(t, "ABCDE~12EFI", 11);
	fat_short_with_tail((const uint8_t *)"AB      X  ", 3, t);
	assert_memory_equal(t, "AB~3    X  ", 11);
}

static void fat_dos_times(void **state)
{
	uint16_t d, t;
	(void)state;
	fat_dos_time(1426325213, &d, &t); /* 2015-03-14 09:26:53 UTC */
	assert_int_equal(d, (35 << 9) | (3 << 5) | 14);
	assert_int_equal(t, (9 << 11) | (26 << 5) | 26);
	fat_dos_time(0, &d, &t); /* clamped to 1980-01-01 00:00:00 */
	assert_int_equal(d, (1 << 5) | 1);
	assert_int_equal(t, 0);
	fat_dos_time(INT64_C(9999999999), &d, &t); /* clamped to 2107-12-31 23:59:58 */
	assert_int_equal(d, (127 << 9) | (12 << 5) | 31);
	assert_int_equal(t, (23 << 11) | (59 << 5) | 29);
}

static void fat_volume_id_from_seed(void **state)
{
	uint8_t u[16];
	(void)state;
	vc_uuid_derive("seed", 4, "esp-volume-id", u);
	assert_int_equal(vc_fat_volume_id("seed", 4),
			 (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 | u[3]);
	assert_int_not_equal(vc_fat_volume_id("seed", 4), vc_fat_volume_id("seee", 4));
}

static int read_pattern(void *ctx, uint64_t off, void *buf, size_t len, struct vc_error *err)
{
	(void)ctx;
	(void)err;
	for (size_t i = 0; i < len; i++)
		((uint8_t *)buf)[i] = (uint8_t)(off + i);
	return 0;
}

static void fat_small_volume_bytes(void **state)
{
	struct vc_fat_options o = {
	    .size = 2 << 20, .volume_id = 0x12345678, .label = "esp", .epoch = 1426325213};
	struct vc_error err = {0};
	struct vc_mem_sink m;
	struct vc_fat *f;
	struct vc_fat_info in;
	(void)state;
	assert_int_equal(vc_fat_new(&o, &f, &err), 0);
	assert_int_equal(vc_fat_add_file(f, "EFI/BOOT/BOOTX64.EFI", 5000, read_pattern, NULL, &err),
			 0);
	assert_int_equal(vc_fat_add_dir(f, "loader/entries", &err), 0);
	assert_int_equal(vc_fat_plan(f, &in, &err), 0);
	/* EFI, BOOT: 1 cluster each; file: 3 of 2 KiB; loader, entries: 1 each */
	assert_int_equal(in.clusters_used, 7);
	assert_int_equal(in.needed_size, 1 << 20); /* all of it fits in 1 MiB */
	vc_mem_sink_init(&m);
	assert_int_equal(vc_fat_write(f, &m.sink, &err), 0);
	const uint8_t *b = m.data;
	assert_memory_equal(b, "\xeb\x3c\x90vcompose", 11);
	assert_int_equal(vc_get_le16(b + 11), 512);
	assert_int_equal(b[13], 4);				/* sectors per cluster */
	assert_int_equal(vc_get_le32(b + 39), 0x12345678);	/* volume id */
	assert_memory_equal(b + 43, "ESP        FAT12   ", 19); /* label upper-cased */
	assert_memory_equal(b + 510, "\x55\xaa", 2);
	const uint8_t *fat = b + 512; /* FAT12 */
	assert_memory_equal(fat, "\xf8\xff\xff", 3);
	/* cluster 2 (EFI) = EOC 0xFF8, cluster 3 (BOOT) = EOC: packed 12-bit */
	assert_memory_equal(fat + 3, "\xf8\x8f\xff", 3);
	/* clusters 4, 5, 6: the file's chain 4 -> 5 -> 6 -> EOC; 7 (loader) EOC */
	assert_memory_equal(fat + 6, "\x05\x60\x00\xf8\x8f", 5);
	const uint8_t *root = b + 7 * 512;		  /* after 1 + 2 * 3 sectors */
	assert_memory_equal(root, "ESP        \x08", 12); /* the label entry */
	assert_int_equal(vc_get_le16(root + 24), (35 << 9) | (3 << 5) | 14);
	assert_memory_equal(root + 32, "EFI        \x10", 12);
	assert_int_equal(vc_get_le16(root + 32 + 26), 2); /* first cluster */
	/* "loader" needs a long name: one LFN entry, then LOADER */
	assert_int_equal(root[64], 0x41);
	assert_int_equal(root[64 + 11], 0x0f);
	assert_memory_equal(root + 64 + 1, "l\0o\0a\0d\0e\0", 10);
	assert_memory_equal(root + 96, "LOADER     \x10", 12);
	assert_int_equal(root[64 + 13], fat_lfn_checksum(root + 96));
	const uint8_t *data = b + (7 + 32) * 512; /* cluster 2: EFI */
	assert_memory_equal(data, ".          \x10", 12);
	assert_memory_equal(data + 32, "..         \x10", 12);
	assert_int_equal(vc_get_le16(data + 32 + 26), 0); /* parent is the root */
	const uint8_t *file = data + 2 * 2048;		  /* cluster 4 */
	for (int i = 0; i < 5000; i++)
		assert_int_equal(file[i], (uint8_t)i);
	for (int i = 5000; i < 6144; i++)
		assert_int_equal(file[i], 0); /* tail zeroed */
	vc_mem_sink_fini(&m);
	vc_fat_free(f);
}

static void fat_rejects_bad_input(void **state)
{
	struct vc_fat_options o = {.size = 2 << 20};
	struct vc_error err = {0};
	struct vc_fat *f;
	char big[40];
	(void)state;
	o.label = "A.B";
	assert_int_equal(vc_fat_new(&o, &f, &err), VC_EINVAL);
	o.label = NULL;
	o.size = 1000;
	assert_int_equal(vc_fat_new(&o, &f, &err), VC_EINVAL);
	o.size = 2 << 20;
	assert_int_equal(vc_fat_new(&o, &f, &err), 0);
	assert_int_equal(vc_fat_add_file(f, "README", 1, read_pattern, NULL, &err), 0);
	assert_int_equal(vc_fat_add_file(f, "readme", 1, read_pattern, NULL, &err), VC_EINVAL);
	assert_non_null(strstr(err.msg, "differs only in case"));
	assert_int_equal(vc_fat_add_file(f, "a?b", 1, read_pattern, NULL, &err), VC_EINVAL);
	assert_int_equal(vc_fat_add_file(f, "bad\xff", 1, read_pattern, NULL, &err), VC_EINVAL);
	assert_non_null(strstr(err.msg, "UTF-8"));
	assert_int_equal(vc_fat_add_file(f, "big", UINT64_C(1) << 32, read_pattern, NULL, &err),
			 VC_EINVAL);
	assert_int_equal(vc_fat_add_file(f, "README/x", 1, read_pattern, NULL, &err), VC_EINVAL);
	assert_int_equal(vc_fat_add_file(f, "huge", 3 << 20, read_pattern, NULL, &err), 0);
	assert_int_equal(vc_fat_plan(f, NULL, &err), VC_ERANGE);
	assert_non_null(strstr(err.msg, "4 MiB needed"));
	vc_fat_free(f);
	/* more root entries than FAT12's 512 slots: the message says so */
	assert_int_equal(vc_fat_new(&o, &f, &err), 0);
	for (int i = 0; i < 600; i++) {
		snprintf(big, sizeof(big), "F%d", i);
		assert_int_equal(vc_fat_add_file(f, big, 0, read_pattern, NULL, &err), 0);
	}
	assert_int_equal(vc_fat_plan(f, NULL, &err), VC_ERANGE);
	assert_non_null(strstr(err.msg, "root directory needs 600 entries"));
	vc_fat_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(fat_geometry_matches_mkfs),
	    cmocka_unit_test(fat_short_names),
	    cmocka_unit_test(fat_dos_times),
	    cmocka_unit_test(fat_volume_id_from_seed),
	    cmocka_unit_test(fat_small_volume_bytes),
	    cmocka_unit_test(fat_rejects_bad_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
