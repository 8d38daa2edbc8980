/* SPDX-License-Identifier: MIT */
/* Unit tests for src/verity: the level layout (cryptsetup's hash_levels),
 * the superblock fields at their offsets, digests for every salt length
 * against plain SHA-256, the known 8 MiB-of-zeros root of cryptsetup's
 * verity-compat-test, thread-count independence, sink vs file input, and
 * verify naming the first bad block. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "vcompose/pool.h"
#include "vcompose/sha256.h"
#include "vcompose/sink.h"
#include "vcompose/util.h"
#include "vcompose/verity.h"

static uint64_t rng_state = 0x2545f4914f6cdd1dull;
static void fill_random(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		rng_state ^= rng_state << 13;
		rng_state ^= rng_state >> 7;
		rng_state ^= rng_state << 17;
		p[i] = (uint8_t)(rng_state >> 24);
	}
}

static struct vc_verity_params params(uint64_t blocks, uint32_t dbs, uint32_t hbs, bool sb)
{
	struct vc_verity_params p;

	vc_verity_params_init(&p);
	p.data_blocks = blocks;
	p.data_block_size = dbs;
	p.hash_block_size = hbs;
	p.superblock = sb;
	p.salt_len = 32;
	for (size_t i = 0; i < 32; i++)
		p.salt[i] = (uint8_t)(0xa0 + i);
	return p;
}

static void plan_levels_at_boundaries(void **state)
{
	struct vc_error err = {0};
	struct vc_verity_plan pl;
	/* blocks, levels, level sizes from 0 up; 128 digests per 4 KiB block. */
	static const struct {
		uint64_t blocks;
		int levels;
		uint64_t sizes[3];
	} cases[] = {
	    {1, 0, {0}},      {2, 1, {1}},	    {127, 1, {1}},	  {128, 1, {1}},
	    {129, 2, {2, 1}}, {16383, 2, {128, 1}}, {16384, 2, {128, 1}}, {16385, 3, {129, 2, 1}},
	};
	(void)state;
	for (size_t c = 0; c < VC_ARRAY_SIZE(cases); c++) {
		struct vc_verity_params p = params(cases[c].blocks, 4096, 4096, true);
		assert_int_equal(vc_verity_plan(&p, &pl, &err), 0);
		assert_int_equal(pl.levels, cases[c].levels);
		uint64_t total = 0;
		for (int i = 0; i < pl.levels; i++) {
			assert_int_equal(pl.level_blocks[i], cases[c].sizes[i]);
			total += cases[c].sizes[i];
		}
		assert_int_equal(pl.hash_blocks, total);
		assert_int_equal(pl.tree_offset, 4096); /* after the superblock's block */
		if (pl.levels > 0)			/* top level first, level 0 last */
			assert_int_equal(pl.level_offset[pl.levels - 1], 4096);
		for (int i = 0; i + 1 < pl.levels; i++)
			assert_int_equal(pl.level_offset[i],
					 pl.level_offset[i + 1] + pl.level_blocks[i + 1] * 4096);
		assert_int_equal(pl.area_size, 4096 + total * 4096);
	}
	/* No superblock, at an offset: the tree starts right there. */
	struct vc_verity_params p = params(129, 4096, 4096, false);
	p.hash_offset = 1 << 20;
	assert_int_equal(vc_verity_plan(&p, &pl, &err), 0);
	assert_int_equal(pl.tree_offset, 1 << 20);
	assert_int_equal(pl.level_offset[1], 1 << 20);
	assert_int_equal(pl.level_offset[0], (1 << 20) + 4096);
	assert_int_equal(pl.area_size, 3 * 4096);
	/* 512-byte hash blocks hold 16 digests: 1000 blocks -> 63, 4, 1. */
	p = params(1000, 512, 512, true);
	assert_int_equal(vc_verity_plan(&p, &pl, &err), 0);
	assert_int_equal(pl.levels, 3);
	assert_int_equal(pl.level_blocks[0], 63);
	assert_int_equal(pl.level_blocks[1], 4);
	assert_int_equal(pl.level_blocks[2], 1);
	assert_int_equal(pl.tree_offset, 512);
}

static void plan_refuses_bad_params(void **state)
{
	struct vc_error err = {0};
	struct vc_verity_plan pl;
	struct vc_verity_params p;
	(void)state;

	p = params(0, 4096, 4096, true);
	assert_int_equal(vc_verity_plan(&p, &pl, &err), VC_EINVAL);
	assert_non_null(strstr(err.msg, "empty"));
	p = params(8, 1000, 4096, true);
	assert_int_equal(vc_verity_plan(&p, &pl, &err), VC_EINVAL);
	assert_non_null(strstr(err.msg, "data block size 1000"));
	p = params(8, 4096, 8192, true);
	assert_int_equal(vc_verity_plan(&p, &pl, &err), VC_EINVAL);
	assert_non_null(strstr(err.msg, "hash block size 8192"));
	p = params(8, 4096, 256, true);
	assert_int_equal(vc_verity_plan(&p, &pl, &err), VC_EINVAL);
	p = params(8, 4096, 4096, true);
	p.salt_len = 257;
	assert_int_equal(vc_verity_plan(&p, &pl, &err), VC_EINVAL);
	assert_non_null(strstr(err.msg, "salt of 257 bytes"));
	p = params(8, 4096, 4096, true);
	p.hash_offset = 512;
	assert_int_equal(vc_verity_plan(&p, &pl, &err), VC_EINVAL);
	assert_non_null(strstr(err.msg, "hash offset 512"));
	/* 2^40 blocks of 4 KiB (4 PiB) need an 8 TiB tree: refused, not allocated. */
	p = params((uint64_t)1 << 40, 4096, 4096, true);
	assert_int_equal(vc_verity_plan(&p, &pl, &err), VC_ERANGE);
	assert_non_null(strstr(err.msg, "hash tree of"));
	p = params(UINT64_MAX / 512, 4096, 4096, true);
	assert_true(vc_verity_plan(&p, &pl, &err) < 0);
}

static void superblock_fields(void **state)
{
	struct vc_error err = {0};
	uint8_t sb[VC_VERITY_SB_LEN];
	struct vc_verity_params p = params(0x0102030405ull, 1024, 2048, true), q;
	(void)state;

	for (int i = 0; i < 16; i++)
		p.uuid[i] = (uint8_t)(0x10 + i);
	vc_verity_superblock(&p, sb);
	assert_memory_equal(sb, "verity\0\0", 8);	     /* signature */
	assert_memory_equal(sb + 8, "\1\0\0\0", 4);	     /* version 1 */
	assert_memory_equal(sb + 12, "\1\0\0\0", 4);	     /* hash type 1 */
	assert_memory_equal(sb + 16, p.uuid, 16);	     /* uuid */
	assert_memory_equal(sb + 32, "sha256\0\0", 8);	     /* algorithm */
	assert_memory_equal(sb + 64, "\0\4\0\0", 4);	     /* data block 1024 */
	assert_memory_equal(sb + 68, "\0\x08\0\0", 4);	     /* hash block 2048 */
	assert_memory_equal(sb + 72, "\5\4\3\2\1\0\0\0", 8); /* data blocks */
	assert_memory_equal(sb + 80, "\x20\0", 2);	     /* salt size 32 */
	assert_memory_equal(sb + 88, p.salt, 32);	     /* salt */
	for (size_t i = 88 + 32; i < sizeof(sb); i++)
		assert_int_equal(sb[i], 0); /* padding */

	vc_verity_params_init(&q);
	assert_int_equal(vc_verity_superblock_parse(sb, &q, &err), 0);
	assert_int_equal(q.data_block_size, 1024);
	assert_int_equal(q.hash_block_size, 2048);
	assert_int_equal(q.data_blocks, 0x0102030405ull);
	assert_int_equal(q.salt_len, 32);
	assert_memory_equal(q.salt, p.salt, 32);
	assert_memory_equal(q.uuid, p.uuid, 16);

	sb[12] = 0; /* hash type 0 (Chrome OS) */
	assert_int_equal(vc_verity_superblock_parse(sb, &q, &err), VC_EUNSUPP);
	sb[12] = 1;
	memcpy(sb + 32, "sha1\0\0", 6);
	assert_int_equal(vc_verity_superblock_parse(sb, &q, &err), VC_EUNSUPP);
	assert_non_null(strstr(err.msg, "sha1"));
	sb[0] = 'V';
	assert_int_equal(vc_verity_superblock_parse(sb, &q, &err), VC_EINVAL);
}

/* Formats data (n_blocks of dbs) from a memory sink into a memory sink. */
static void format_mem(const struct vc_verity_params *p, const uint8_t *data, struct vc_pool *pool,
		       struct vc_mem_sink *out, uint8_t root[32])
{
	struct vc_error err = {0};
	struct vc_mem_sink in;

	vc_mem_sink_init(&in);
	assert_int_equal(
	    vc_sink_pwrite(&in.sink, data, p->data_blocks * p->data_block_size, 0, &err), 0);
	vc_mem_sink_init(out);
	struct vc_verity_src src = {.sink = &in.sink};
	int r = vc_verity_format(p, &src, &out->sink, pool, root, &err);
	if (r < 0)
		fail_msg("%s", err.msg);
	vc_mem_sink_fini(&in);
}

/* One data block: the root is SHA-256(salt || block); two: the root is the
 * digest of the level-0 block holding both digests (the paired path). Every
 * salt length from 0 to 256 crosses each SHA-256 block boundary. */
static void digests_for_every_salt_length(void **state)
{
	static const uint32_t sizes[] = {512, 4096};
	uint8_t data[2 * 4096], root[32], want[32], d[2][32], lvl[4096];
	struct vc_sha256 c;
	(void)state;

	fill_random(data, sizeof(data));
	for (size_t s = 0; s < VC_ARRAY_SIZE(sizes); s++) {
		uint32_t bs = sizes[s];
		for (size_t salt_len = 0; salt_len <= 256; salt_len++) {
			struct vc_verity_params p = params(1, bs, bs, false);
			struct vc_mem_sink out;
			fill_random(p.salt, salt_len);
			p.salt_len = salt_len;

			format_mem(&p, data, NULL, &out, root);
			vc_sha256_init(&c);
			vc_sha256_update(&c, p.salt, salt_len);
			vc_sha256_update(&c, data, bs);
			vc_sha256_final(&c, want);
			assert_memory_equal(root, want, 32);
			vc_mem_sink_fini(&out);

			p.data_blocks = 2;
			format_mem(&p, data, NULL, &out, root);
			for (int k = 0; k < 2; k++) {
				vc_sha256_init(&c);
				vc_sha256_update(&c, p.salt, salt_len);
				vc_sha256_update(&c, data + k * bs, bs);
				vc_sha256_final(&c, d[k]);
			}
			memset(lvl, 0, bs);
			memcpy(lvl, d[0], 32);
			memcpy(lvl + 32, d[1], 32);
			assert_int_equal(out.len, bs);
			assert_memory_equal(out.data, lvl, bs);
			vc_sha256_init(&c);
			vc_sha256_update(&c, p.salt, salt_len);
			vc_sha256_update(&c, lvl, bs);
			vc_sha256_final(&c, want);
			assert_memory_equal(root, want, 32);
			vc_mem_sink_fini(&out);
		}
	}
}

/* cryptsetup tests/verity-compat-test: 8 MiB of zeros, 4 KiB blocks, this
 * salt -> this root (also in vectors/verity, made with veritysetup 2.6.1). */
static void zeros_8m_known_root(void **state)
{
	struct vc_error err = {0};
	struct vc_verity_params p = params(2048, 4096, 4096, false);
	struct vc_mem_sink out;
	uint8_t *zeros = calloc(2048, 4096), root[32];
	char hex[65];
	size_t n;
	(void)state;

	assert_non_null(zeros);
	assert_int_equal(
	    vc_hex_decode("e48da609055204e89ae53b655ca2216dd983cf3cb829f34f63a297d106d53e2d",
			  p.salt, sizeof(p.salt), &n, &err),
	    0);
	p.salt_len = n;
	format_mem(&p, zeros, NULL, &out, root);
	vc_hex_encode(root, 32, hex);
	assert_string_equal(hex,
			    "e522df0f97da4febb882ac40f30b37dc0b444bf6df418929463fa25280f09d5c");
	vc_mem_sink_fini(&out);
	free(zeros);
}

/* 1, 2 and 8 threads, a memory sink and a file give the same bytes. */
static void threads_and_sources_agree(void **state)
{
	struct vc_error err = {0};
	/* 3 level-0 chunks and a bit, an odd count: pairs and one single. */
	const uint64_t blocks = 3 * 64 + 129;
	struct vc_verity_params p = params(blocks, 4096, 4096, true);
	uint8_t *data = malloc(blocks * 4096), root1[32], root[32];
	struct vc_mem_sink ref, out;
	unsigned threads[] = {1, 2, 8};
	(void)state;

	assert_non_null(data);
	fill_random(data, blocks * 4096);
	p.hash_offset = 8192;
	format_mem(&p, data, NULL, &ref, root1);
	for (size_t t = 0; t < VC_ARRAY_SIZE(threads); t++) {
		struct vc_pool *pool;
		assert_int_equal(vc_pool_new(threads[t], &pool, &err), 0);
		format_mem(&p, data, pool, &out, root);
		assert_memory_equal(root, root1, 32);
		assert_int_equal(out.len, ref.len);
		assert_memory_equal(out.data, ref.data, ref.len);
		vc_mem_sink_fini(&out);
		vc_pool_free(pool);
	}
	/* The same data from a file at an offset. */
	char path[] = "/tmp/vc_verity_test.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(pwrite(fd, "x", 1, 0), 1);
	assert_int_equal(pwrite(fd, data, blocks * 4096, 100), (ssize_t)(blocks * 4096));
	struct vc_verity_src src = {.sink = NULL, .fd = fd, .offset = 100};
	vc_mem_sink_init(&out);
	assert_int_equal(vc_verity_format(&p, &src, &out.sink, NULL, root, &err), 0);
	assert_memory_equal(root, root1, 32);
	assert_memory_equal(out.data, ref.data, ref.len);
	/* A file too short for the blocks asked is an error, not a crash. */
	p.data_blocks = blocks + 1;
	assert_int_equal(vc_verity_format(&p, &src, &out.sink, NULL, root, &err), VC_EIO);
	assert_non_null(strstr(err.msg, "data"));
	close(fd);
	vc_mem_sink_fini(&out);
	vc_mem_sink_fini(&ref);
	free(data);
}

/* The composer's case: a partition window of a file sink holds the data,
 * and the tree follows it in the same window (embedded); the data is read
 * back from the sink, not copied. */
static void embedded_in_a_file_sink_window(void **state)
{
	struct vc_error err = {0};
	const uint64_t blocks = 200;
	struct vc_verity_params p = params(blocks, 4096, 4096, true);
	struct vc_verity_plan pl;
	struct vc_file_sink *f;
	struct vc_mem_sink ref;
	uint8_t *data = malloc(blocks * 4096), root[32], root_ref[32];
	char path[] = "/tmp/vc_verity_sink.XXXXXX";
	(void)state;

	assert_non_null(data);
	fill_random(data, blocks * 4096);
	format_mem(&p, data, NULL, &ref, root_ref); /* tree alone, at offset 0 */

	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(vc_file_sink_open(path, &f, &err), 0);
	p.hash_offset = blocks * 4096;
	assert_int_equal(vc_verity_plan(&p, &pl, &err), 0);
	struct vc_sink part =
	    vc_sink_window(vc_file_sink_sink(f), 1 << 20, p.hash_offset + pl.area_size, "root");
	assert_int_equal(vc_sink_pwrite(&part, data, blocks * 4096, 0, &err), 0);
	struct vc_sink fs = vc_sink_window(&part, 0, blocks * 4096, "erofs");
	struct vc_sink hs = vc_sink_window(&part, 0, p.hash_offset + pl.area_size, "verity");
	struct vc_verity_src src = {.sink = &fs};
	assert_int_equal(vc_verity_format(&p, &src, &hs, NULL, root, &err), 0);
	assert_memory_equal(root, root_ref, 32);
	uint8_t *tree = malloc(pl.area_size);
	assert_non_null(tree);
	assert_int_equal(vc_sink_pread(&part, tree, pl.area_size, p.hash_offset, &err), 0);
	assert_int_equal(ref.len, pl.area_size);
	assert_memory_equal(tree, ref.data, pl.area_size);
	/* A window one byte too small for the tree: refused, naming it. */
	struct vc_sink small = vc_sink_window(&part, 0, p.hash_offset + pl.area_size - 1, "verity");
	assert_int_equal(vc_verity_format(&p, &src, &small, NULL, root, &err), VC_ERANGE);
	assert_non_null(strstr(err.msg, "verity"));
	vc_file_sink_free(f);
	unlink(path);
	free(tree);
	vc_mem_sink_fini(&ref);
	free(data);
}

static void verify_names_first_bad_block(void **state)
{
	struct vc_error err = {0};
	const uint64_t blocks = 300;
	struct vc_verity_params p = params(blocks, 4096, 4096, true);
	uint8_t *data = malloc(blocks * 4096), root[32];
	struct vc_mem_sink in, hash;
	struct vc_pool *pool;
	uint64_t bad = 0;
	(void)state;

	assert_non_null(data);
	fill_random(data, blocks * 4096);
	assert_int_equal(vc_pool_new(2, &pool, &err), 0);
	format_mem(&p, data, pool, &hash, root);
	vc_mem_sink_init(&in);
	assert_int_equal(vc_sink_pwrite(&in.sink, data, blocks * 4096, 0, &err), 0);
	struct vc_verity_src src = {.sink = &in.sink};
	assert_int_equal(vc_verity_verify(&p, &src, &hash.sink, pool, root, &bad, &err), 0);

	/* Two bad blocks: the lower one is named, whichever thread saw it. */
	in.data[257 * 4096 + 9] ^= 1;
	in.data[130 * 4096 + 4095] ^= 0x80;
	assert_int_equal(vc_verity_verify(&p, &src, &hash.sink, pool, root, &bad, &err), VC_ECHECK);
	assert_int_equal(bad, 130);
	assert_non_null(strstr(err.msg, "data block 130 "));
	in.data[257 * 4096 + 9] ^= 1;
	in.data[130 * 4096 + 4095] ^= 0x80;

	/* A bad digest in level 1 (the top block, right after the superblock). */
	hash.data[4096 + 33] ^= 1;
	assert_int_equal(vc_verity_verify(&p, &src, &hash.sink, pool, root, &bad, &err), VC_ECHECK);
	assert_int_equal(bad, UINT64_MAX);
	assert_non_null(strstr(err.msg, "level 1"));
	hash.data[4096 + 33] ^= 1;

	/* Non-zero padding after the last digest of level 0. */
	hash.data[hash.len - 1] = 1;
	assert_int_equal(vc_verity_verify(&p, &src, &hash.sink, pool, root, &bad, &err), VC_ECHECK);
	assert_non_null(strstr(err.msg, "padding"));
	hash.data[hash.len - 1] = 0;

	/* Another salt than the superblock's. */
	struct vc_verity_params q = p;
	q.salt[0] ^= 1;
	assert_int_equal(vc_verity_verify(&q, &src, &hash.sink, pool, root, &bad, &err), VC_ECHECK);
	assert_non_null(strstr(err.msg, "salt"));

	/* Another root. */
	root[31] ^= 1;
	assert_int_equal(vc_verity_verify(&p, &src, &hash.sink, pool, root, &bad, &err), VC_ECHECK);
	assert_non_null(strstr(err.msg, "root hash"));

	vc_pool_free(pool);
	vc_mem_sink_fini(&in);
	vc_mem_sink_fini(&hash);
	free(data);
}

static void derived_salt_and_uuid(void **state)
{
	struct vc_verity_params a, b, c;
	uint8_t mac[32];
	(void)state;

	vc_verity_params_init(&a);
	vc_verity_params_init(&b);
	vc_verity_params_init(&c);
	vc_verity_params_derive(&a, "seed-1", 6);
	vc_verity_params_derive(&b, "seed-1", 6);
	vc_verity_params_derive(&c, "seed-2", 6);
	assert_int_equal(a.salt_len, 32);
	assert_memory_equal(a.salt, b.salt, 32);
	assert_memory_equal(a.uuid, b.uuid, 16);
	assert_memory_not_equal(a.salt, c.salt, 32);
	assert_memory_not_equal(a.uuid, c.uuid, 16);
	vc_hmac_sha256("seed-1", 6, "verity-salt", 11, mac);
	assert_memory_equal(a.salt, mac, 32);
	assert_int_equal(a.uuid[6] >> 4, 4);	  /* version 4 */
	assert_int_equal(a.uuid[8] & 0xc0, 0x80); /* RFC 4122 variant */
}

/* veritysetup's rules for `verity format DATA HASH` on files. */
static void files_in_place_and_blocks(void **state)
{
	struct vc_error err = {0};
	struct vc_verity_params p;
	struct vc_verity_files f = {.data_path = "data", .data_size = 40960};

	(void)state;
	vc_verity_params_init(&p);
	/* a new HASH file: every block of DATA */
	assert_int_equal(vc_verity_files_decide(&f, &p, &err), 0);
	assert_false(f.in_place);
	assert_int_equal(p.data_blocks, 10);
	/* an existing file: replaced, unless at a hash offset, or a device */
	f.hash_exists = true;
	assert_int_equal(vc_verity_files_decide(&f, &p, &err), 0);
	assert_false(f.in_place);
	f.have_hash_offset = true;
	p.hash_offset = 8192;
	assert_int_equal(vc_verity_files_decide(&f, &p, &err), 0);
	assert_true(f.in_place);
	f.have_hash_offset = false;
	p.hash_offset = 0;
	f.hash_is_blockdev = true;
	assert_int_equal(vc_verity_files_decide(&f, &p, &err), 0);
	assert_true(f.in_place);
	/* HASH is DATA: in place, the data ends at the hash offset */
	f.hash_is_blockdev = false;
	f.same_file = true;
	f.have_hash_offset = true;
	p.hash_offset = 32768;
	assert_int_equal(vc_verity_files_decide(&f, &p, &err), 0);
	assert_true(f.in_place);
	assert_int_equal(p.data_blocks, 8);
	assert_int_equal(vc_verity_files_check_overlap(&f, &p, &err), 0);
	p.hash_offset = 1000;
	assert_int_equal(vc_verity_files_decide(&f, &p, &err), VC_EINVAL);
	assert_non_null(strstr(err.msg, "not a multiple of the data block size"));
	/* --data-blocks given: kept, checked against DATA, and the overlap */
	f.have_data_blocks = true;
	p.data_blocks = 9;
	p.hash_offset = 32768;
	assert_int_equal(vc_verity_files_decide(&f, &p, &err), 0);
	assert_int_equal(p.data_blocks, 9);
	assert_int_equal(vc_verity_files_check_overlap(&f, &p, &err), VC_EINVAL);
	assert_non_null(strstr(err.msg, "would overlap the 36864 bytes"));
	p.data_blocks = 11;
	assert_int_equal(vc_verity_files_decide(&f, &p, &err), VC_EINVAL);
	assert_non_null(strstr(err.msg, "--data-blocks 11: data has 40960 bytes"));
	/* a DATA of no whole block */
	f = (struct vc_verity_files){.data_path = "data", .data_size = 4097};
	assert_int_equal(vc_verity_files_decide(&f, &p, &err), VC_EINVAL);
	assert_non_null(strstr(err.msg, "data: size 4097 is not a multiple"));
	f.data_size = 0;
	assert_int_equal(vc_verity_files_decide(&f, &p, &err), VC_EINVAL);
	assert_non_null(strstr(err.msg, "empty"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(plan_levels_at_boundaries),
	    cmocka_unit_test(plan_refuses_bad_params),
	    cmocka_unit_test(superblock_fields),
	    cmocka_unit_test(digests_for_every_salt_length),
	    cmocka_unit_test(zeros_8m_known_root),
	    cmocka_unit_test(threads_and_sources_agree),
	    cmocka_unit_test(embedded_in_a_file_sink_window),
	    cmocka_unit_test(verify_names_first_bad_block),
	    cmocka_unit_test(derived_salt_and_uuid),
	    cmocka_unit_test(files_in_place_and_blocks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
