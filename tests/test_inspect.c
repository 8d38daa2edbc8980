/* SPDX-License-Identifier: MIT */
/* Unit tests of the inspect readers on hostile input: kernel command lines, GPT headers that lie
 * about their entry arrays, EROFS and FAT boot records with absurd fields. Every case must end in a
 * clean error (or a failed finding), never a crash; the sanitizer build runs them too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "vcompose/endian.h"
#include "vcompose/gpt.h"
#include "vcompose/inspect.h"
#include "inspect_priv.h"

static void cmdline_words(void **state)
{
	char v[80];

	(void)state;
	assert_true(cmdline_get("quiet roothash=ab usrhash=cd", "roothash", v, sizeof(v)));
	assert_string_equal(v, "ab");
	assert_true(cmdline_get("roothash=1 roothash=2\n", "roothash", v, sizeof(v)));
	assert_string_equal(v, "2"); /* the last one wins */
	assert_false(cmdline_get("xroothash=1 roothashsig=2 roothash", "roothash", v, sizeof(v)));
	assert_true(cmdline_get("\troothash=0123456789", "roothash", v, 5));
	assert_string_equal(v, "0123"); /* truncated to the buffer */
}

/* ---- files ---- */

static char *write_tmp(const void *data, size_t len)
{
	char *path = strdup("/tmp/vc-inspect-test.XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	return path;
}

/* A small GPT disk (2 partitions) made by the gpt module, in memory. */
static uint8_t *make_disk(size_t *ret_len)
{
	struct vc_gpt *g = calloc(1, sizeof(*g));
	struct vc_mem_sink m;
	struct vc_error err = {0};
	struct vc_gpt_part p = {.size = 1 << 20};

	vc_gpt_init(g, "seed", 4);
	assert_int_equal(vc_gpt_type_lookup("root", p.type, &err), 0);
	snprintf(p.label, sizeof(p.label), "root");
	assert_int_equal(vc_gpt_add(g, &p, &err), 0);
	assert_int_equal(vc_gpt_type_lookup("esp", p.type, &err), 0);
	snprintf(p.label, sizeof(p.label), "ESP");
	assert_int_equal(vc_gpt_add(g, &p, &err), 0);
	assert_int_equal(vc_gpt_layout(g, &err), 0);
	vc_mem_sink_init(&m);
	assert_int_equal(vc_gpt_write(g, &m.sink, &err), 0);
	uint8_t *d = calloc(1, g->disk_size);
	memcpy(d, m.data, m.len);
	*ret_len = g->disk_size;
	vc_mem_sink_fini(&m);
	free(g);
	return d;
}

static void fix_hdr_crc(uint8_t *h)
{
	memset(h + 16, 0, 4);
	vc_put_le32(h + 16, (uint32_t)crc32(0, h, vc_get_le32(h + 12)));
}

static size_t count_failed(const struct vc_inspect_report *r, const char *sub)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n; i++)
		if (r->items[i].failed && strstr(r->items[i].what, sub))
			n++;
	return n;
}

static void gpt_reads_a_good_disk(void **state)
{
	size_t len;
	uint8_t *d = make_disk(&len);
	char *path = write_tmp(d, len);
	struct img im;
	struct gpt_info *g = calloc(1, sizeof(*g));
	struct vc_inspect_report rep = {0};
	struct vc_error err = {0};

	(void)state;
	assert_int_equal(img_open(path, &im, &err), 0);
	assert_int_equal(gpt_read(&im, g, &rep, &err), 0);
	assert_int_equal(rep.n_failed, 0);
	assert_true(g->primary_ok && g->backup_ok);
	assert_int_equal(g->n_parts, 2);
	assert_string_equal(g->parts[0].label, "root");
	assert_string_equal(g->parts[1].type_name, "esp");
	assert_int_equal(g->parts[0].offset, 1 << 20);
	img_close(&im);
	unlink(path);
	free(path);
	free(g);
	free(d);
	vc_inspect_report_fini(&rep);
}

/* Headers that lie: each is re-checksummed so that only the lie is caught. */
static void gpt_refuses_lying_headers(void **state)
{
	static const struct {
		size_t off;
		uint64_t value;
		int width;
		const char *expect;
	} lies[] = {
	    /* each lie named for what it is (issue 15, item 11) */
	    {80, 0xFFFFFFFFu, 4, "MiB are read"}, /* NumberOfPartitionEntries */
	    {84, 7, 4, "SizeOfPartitionEntry 7 (128 x 2^n expected)"}, /* SizeOfPartitionEntry */
	    {72, UINT64_C(1) << 60, 8, "past the end of the disk"},    /* PartitionEntryLBA */
	    {12, 4000, 4, "HeaderSize"},			       /* HeaderSize */
	    {24, 5, 8, "MyLBA"},				       /* MyLBA */
	    {48, UINT64_MAX, 8, "not inside the disk"},		       /* LastUsableLBA */
	};

	(void)state;
	for (size_t i = 0; i < VC_ARRAY_SIZE(lies); i++) {
		size_t len;
		uint8_t *d = make_disk(&len);
		uint8_t *h = d + 512;
		if (lies[i].width == 4)
			vc_put_le32(h + lies[i].off, (uint32_t)lies[i].value);
		else
			vc_put_le64(h + lies[i].off, lies[i].value);
		if (lies[i].off != 12)
			fix_hdr_crc(h);
		char *path = write_tmp(d, len);
		struct img im;
		struct gpt_info *g = calloc(1, sizeof(*g));
		struct vc_inspect_report rep = {0};
		struct vc_error err = {0};
		assert_int_equal(img_open(path, &im, &err), 0);
		/* the backup is intact: the table is still read, the lie reported */
		assert_int_equal(gpt_read(&im, g, &rep, &err), 0);
		assert_false(g->primary_ok);
		assert_true(g->backup_ok);
		assert_int_equal(g->n_parts, 2);
		if (count_failed(&rep, lies[i].expect) == 0)
			fail_msg("lie %zu not reported as '%s'", i, lies[i].expect);
		img_close(&im);
		unlink(path);
		free(path);
		free(g);
		free(d);
		vc_inspect_report_fini(&rep);
	}
}

static void gpt_partition_outside_is_never_read(void **state)
{
	size_t len;
	uint8_t *d = make_disk(&len);
	struct vc_error err = {0};

	(void)state;
	/* entry 1 ends far beyond the disk; both arrays and headers agree */
	for (int copy = 0; copy < 2; copy++) {
		uint8_t *h = copy ? d + len - 512 : d + 512;
		uint8_t *arr = d + vc_get_le64(h + 72) * 512;
		vc_put_le64(arr + 40, UINT64_C(1) << 40);
		vc_put_le32(h + 88, (uint32_t)crc32(0, arr, 128 * 128));
		fix_hdr_crc(h);
	}
	char *path = write_tmp(d, len);
	struct img im;
	struct gpt_info *g = calloc(1, sizeof(*g));
	struct vc_inspect_report rep = {0};
	assert_int_equal(img_open(path, &im, &err), 0);
	assert_int_equal(gpt_read(&im, g, &rep, &err), 0);
	assert_int_equal(g->n_parts, 1); /* the bad one is left out */
	assert_int_equal(count_failed(&rep, "outside the usable"), 1);
	img_close(&im);
	/* describe and verify go through it without reading beyond the file */
	struct vc_json j;
	vc_json_init(&j, 0);
	size_t n_errors = 0;
	assert_int_equal(vc_inspect_describe(path, &j, &n_errors, &err), 0);
	assert_true(n_errors > 0); /* the entry outside the usable LBAs */
	vc_json_fini(&j);
	struct vc_inspect_report rep2 = {0};
	struct vc_inspect_verify_options o = {.jobs = 1};
	assert_int_equal(vc_inspect_verify(path, &o, &rep2, &err), 0);
	assert_true(rep2.n_failed > 0);
	vc_inspect_report_fini(&rep2);
	unlink(path);
	free(path);
	free(g);
	free(d);
	vc_inspect_report_fini(&rep);
}

static void erofs_and_fat_refuse_absurd_fields(void **state)
{
	uint8_t b[8192];
	struct vc_error err = {0};
	struct img im;

	(void)state;
	memset(b, 0, sizeof(b));
	vc_put_le32(b + 1024, 0xE0F5E1E2u);
	b[1024 + 12] = 9; /* 512-byte blocks */
	char *path = write_tmp(b, sizeof(b));
	struct erofs_info sb;
	assert_int_equal(img_open(path, &im, &err), 0);
	assert_int_equal(erofs_read_sb(&im, 0, im.size, &sb, &err), VC_EUNSUPP);
	img_close(&im);
	unlink(path);
	free(path);
	b[1024 + 12] = 12;
	vc_put_le32(b + 1024 + 36, 1000); /* 1000 blocks in 8 KiB */
	path = write_tmp(b, sizeof(b));
	assert_int_equal(img_open(path, &im, &err), 0);
	assert_int_equal(erofs_read_sb(&im, 0, im.size, &sb, &err), VC_EINVAL);
	assert_non_null(strstr(err.msg, "do not fit"));
	img_close(&im);
	unlink(path);
	free(path);
	/* a root nid beyond the image: the walk stops with an error */
	vc_put_le32(b + 1024 + 36, 2);
	vc_put_le16(b + 1024 + 14, 60000);
	path = write_tmp(b, sizeof(b));
	assert_int_equal(img_open(path, &im, &err), 0);
	assert_int_equal(erofs_read_sb(&im, 0, im.size, &sb, &err), 0);
	assert_int_equal(sb.checksum == sb.computed, 0);
	img_close(&im);
	struct vc_inspect_report rep = {0};
	struct vc_inspect_verify_options o = {.jobs = 1};
	assert_int_equal(vc_inspect_verify(path, &o, &rep, &err), 0);
	assert_true(rep.n_failed >= 1);
	vc_inspect_report_fini(&rep);
	unlink(path);
	free(path);

	/* FAT: 3 sectors per cluster, and a FAT too small for its clusters */
	memset(b, 0, sizeof(b));
	b[0] = 0xEB, b[510] = 0x55, b[511] = 0xAA;
	memcpy(b + 54, "FAT16   ", 8);
	vc_put_le16(b + 11, 512);
	b[13] = 3;
	vc_put_le16(b + 14, 1);
	b[16] = 2;
	vc_put_le16(b + 17, 16);
	vc_put_le16(b + 19, 16);
	vc_put_le16(b + 22, 1);
	path = write_tmp(b, sizeof(b));
	struct fat_info fi;
	assert_int_equal(img_open(path, &im, &err), 0);
	assert_int_equal(fat_read(&im, 0, im.size, &fi, &err), VC_EINVAL);
	b[13] = 1;
	vc_put_le16(b + 19, 60000); /* more sectors than the file */
	img_close(&im);
	unlink(path);
	free(path);
	path = write_tmp(b, sizeof(b));
	assert_int_equal(img_open(path, &im, &err), 0);
	assert_int_equal(fat_read(&im, 0, im.size, &fi, &err), VC_EINVAL);
	assert_non_null(strstr(err.msg, "do not fit"));
	img_close(&im);
	unlink(path);
	free(path);
}

static void unknown_files_are_refused(void **state)
{
	struct vc_error err = {0};
	struct vc_json j;
	uint8_t junk[5000];

	(void)state;
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 131 + 7);
	char *path = write_tmp(junk, sizeof(junk));
	vc_json_init(&j, 0);
	assert_int_equal(vc_inspect_describe(path, &j, NULL, &err), VC_EINVAL);
	assert_non_null(strstr(err.msg, "no known magic"));
	vc_json_fini(&j);
	unlink(path);
	free(path);
	path = write_tmp("", 0);
	vc_json_init(&j, 0);
	assert_int_equal(vc_inspect_describe(path, &j, NULL, &err), VC_EINVAL);
	vc_json_fini(&j);
	unlink(path);
	free(path);
	vc_json_init(&j, 0);
	assert_int_equal(vc_inspect_describe("/nonexistent/x.raw", &j, NULL, &err), VC_EIO);
	vc_json_fini(&j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(cmdline_words),
	    cmocka_unit_test(gpt_reads_a_good_disk),
	    cmocka_unit_test(gpt_refuses_lying_headers),
	    cmocka_unit_test(gpt_partition_outside_is_never_read),
	    cmocka_unit_test(erofs_and_fat_refuse_absurd_fields),
	    cmocka_unit_test(unknown_files_are_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
