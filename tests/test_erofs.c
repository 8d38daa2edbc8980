/* SPDX-License-Identifier: MIT */
/* Unit tests of the EROFS writer: checksum, option parsing, a hand-made tree
 * against mkfs.erofs's image of the same tree (vectors/erofs/tiny.mkfs.img),
 * superblock / inode / dirent fields at their offsets, compact indexes, and
 * clusters of every algorithm and pcluster size decoding back to their
 * input with the algorithm's own library. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <lz4.h>
#include <lzma.h>
#include <stdint.h>
#include <zlib.h>
#include <zstd.h>

#include "../src/erofs/erofs_priv.h"
#include "vcompose/endian.h"
#include "vcompose/erofs.h"

static void crc32c_known_answer(void **state)
{
	(void)state;
	/* crc32c("123456789") = 0xE3069283 with the final inversion; EROFS keeps
	 * the raw register, so the stored value is its complement. */
	assert_int_equal(vc_erofs_crc32c(~0u, "123456789", 9), ~0xE3069283u);
}

static void parse_compress_values(void **state)
{
	struct vc_error err = {0};
	enum vc_erofs_compress c;
	int level;

	(void)state;
	assert_int_equal(vc_erofs_parse_compress("none", &c, &level, &err), 0);
	assert_int_equal(c, VC_EROFS_NONE);
	assert_int_equal(vc_erofs_parse_compress("lz4", &c, &level, &err), 0);
	assert_int_equal(c, VC_EROFS_LZ4);
	assert_int_equal(vc_erofs_parse_compress("lz4hc:12", &c, &level, &err), 0);
	assert_int_equal(c, VC_EROFS_LZ4HC);
	assert_int_equal(level, 12);
	assert_int_equal(vc_erofs_parse_compress("lz4hc", &c, &level, &err), 0);
	assert_int_equal(level, 0);
	assert_int_not_equal(vc_erofs_parse_compress("lz4hc:0", &c, &level, &err), 0);
	assert_int_not_equal(vc_erofs_parse_compress("lz4hc:x", &c, &level, &err), 0);
	/* KIWI's and mkfs.erofs's spellings */
	assert_int_equal(vc_erofs_parse_compress("lz4hc,9", &c, &level, &err), 0);
	assert_int_equal(level, 9);
	assert_int_equal(vc_erofs_parse_compress("zstd,level=9", &c, &level, &err), 0);
	assert_int_equal(c, VC_EROFS_ZSTD);
	assert_int_equal(level, 9);
	assert_int_equal(vc_erofs_parse_compress("lzma,level=6", &c, &level, &err), 0);
	assert_int_equal(c, VC_EROFS_LZMA);
	assert_int_equal(vc_erofs_parse_compress("lzma,109", &c, &level, &err), 0);
	assert_int_equal(level, 109);
	assert_int_equal(vc_erofs_parse_compress("deflate,level=9", &c, &level, &err), 0);
	assert_int_equal(c, VC_EROFS_DEFLATE);
	assert_int_equal(vc_erofs_parse_compress("uncompressed", &c, &level, &err), 0);
	assert_int_equal(c, VC_EROFS_NONE);
	/* bad input, each with a message that says what was expected */
	assert_int_equal(vc_erofs_parse_compress("brotli", &c, &level, &err), VC_EINVAL);
	assert_non_null(strstr(err.msg, "unknown algorithm 'brotli'"));
	assert_int_equal(vc_erofs_parse_compress("zstd,level=23", &c, &level, &err), VC_EINVAL);
	assert_non_null(strstr(err.msg, "zstd level 23: expected 1..22"));
	assert_int_equal(vc_erofs_parse_compress("deflate,10", &c, &level, &err), VC_EINVAL);
	assert_non_null(strstr(err.msg, "1..9"));
	assert_int_equal(vc_erofs_parse_compress("lz4,3", &c, &level, &err), VC_EINVAL);
	assert_non_null(strstr(err.msg, "takes no level"));
	assert_int_equal(vc_erofs_parse_compress("lz4hc:lzma", &c, &level, &err), VC_EUNSUPP);
}

static void parse_other_options(void **state)
{
	struct vc_error err = {0};
	unsigned f, k;
	uint32_t pc;
	char buf[16];

	(void)state;
	assert_int_equal(vc_erofs_parse_features("fragments,dedupe", &f, &err), 0);
	assert_int_equal(f, VC_EROFS_FEATURE_FRAGMENTS | VC_EROFS_FEATURE_DEDUPE);
	assert_int_equal(vc_erofs_parse_features("fragments,packing", &f, &err), VC_EINVAL);
	assert_non_null(strstr(err.msg, "unknown feature 'packing'"));
	assert_int_equal(vc_erofs_parse_pcluster("128k", &pc, &err), 0);
	assert_int_equal(pc, 131072);
	assert_int_equal(vc_erofs_parse_pcluster("12288", &pc, &err), VC_EINVAL);
	assert_non_null(strstr(err.msg, "power of two"));
	assert_int_equal(vc_erofs_parse_pcluster("2M", &pc, &err), VC_EINVAL);
	assert_int_equal(vc_erofs_parse_kver("6.12", &k, &err), 0);
	assert_int_equal(k, VC_EROFS_KVER(6, 12));
	assert_string_equal(vc_erofs_kver_str(k, buf, sizeof(buf)), "6.12");
	assert_int_equal(vc_erofs_parse_kver("6.12.38", &k, &err), 0);
	assert_int_equal(k, VC_EROFS_KVER(6, 12));
	assert_int_equal(vc_erofs_parse_kver("six", &k, &err), VC_EINVAL);
	assert_int_equal(vc_erofs_parse_kver("4.19", &k, &err), VC_EINVAL);

	/* the target: zstd is read from 6.10 on */
	struct vc_erofs_options o = {.compress = VC_EROFS_ZSTD};

	assert_int_equal(vc_erofs_min_kver(&o), VC_EROFS_KVER(6, 10));
	assert_int_equal(vc_erofs_check_options(&o, &err), VC_EINVAL);
	assert_non_null(strstr(err.msg, "zstd needs Linux 6.10 or later"));
	assert_non_null(strstr(err.msg, "target kernel is 6.1"));
	o.target = VC_EROFS_KVER(6, 12);
	assert_int_equal(vc_erofs_check_options(&o, &err), 0);
	o = (struct vc_erofs_options){.compress = VC_EROFS_LZ4HC, .pcluster_size = 65536};
	assert_int_equal(vc_erofs_min_kver(&o), VC_EROFS_KVER(5, 13));
	assert_int_equal(vc_erofs_check_options(&o, &err), 0); /* 6.1 reads it */
	o.target = VC_EROFS_KVER(5, 10);
	assert_int_equal(vc_erofs_check_options(&o, &err), VC_EINVAL);
	assert_non_null(strstr(err.msg, "big pclusters"));
	o = (struct vc_erofs_options){.compress = VC_EROFS_LZ4HC, .level = 13};
	assert_int_equal(vc_erofs_check_options(&o, &err), VC_EINVAL);
	/* what inspect says from the feature bits */
	assert_int_equal(vc_erofs_kver_of_features(3, 0, 0), VC_EROFS_KVER(5, 4));
	assert_int_equal(vc_erofs_kver_of_features(3, 1, 65535), VC_EROFS_KVER(5, 4));
	assert_int_equal(vc_erofs_kver_of_features(3, 3, 1u << 3), VC_EROFS_KVER(6, 10));
	assert_int_equal(vc_erofs_kver_of_features(3, 3, 1u << 1), VC_EROFS_KVER(5, 16));
	assert_int_equal(vc_erofs_kver_of_features(3, 0x23, 1), VC_EROFS_KVER(6, 1));
}

/* The tree of vectors/erofs/tiny.tar, built by hand. */
struct tiny {
	struct vc_node root, a, d, empty, l;
	struct vc_node *root_children[4];
	struct vc_node *nodes[5];
	struct vc_tree t;
};

static void node_init(struct vc_node *n, const char *name, enum vc_node_type type, uint32_t mode,
		      struct vc_node *parent, size_t index)
{
	memset(n, 0, sizeof(*n));
	n->name = (char *)name;
	n->name_len = strlen(name);
	n->type = type;
	n->mode = mode;
	n->parent = parent ? parent : n;
	n->index = index;
	n->mtime = 1000;
	n->link_first = n;
	n->nlink = 1;
}

static void tiny_init(struct tiny *x)
{
	node_init(&x->root, "", VC_NODE_DIR, 0755, NULL, 0);
	node_init(&x->a, "a", VC_NODE_REG, 0644, &x->root, 1);
	node_init(&x->d, "d", VC_NODE_DIR, 0755, &x->root, 2);
	node_init(&x->empty, "empty", VC_NODE_REG, 0644, &x->root, 3);
	node_init(&x->l, "l", VC_NODE_SYMLINK, 0777, &x->root, 4);
	x->a.size = 6;
	x->l.target = (char *)"a";
	x->l.size = 1;
	x->root.nlink = 3;
	x->d.nlink = 2;
	x->root_children[0] = &x->a;
	x->root_children[1] = &x->d;
	x->root_children[2] = &x->empty;
	x->root_children[3] = &x->l;
	x->root.children = x->root_children;
	x->root.n_children = 4;
	x->nodes[0] = &x->root;
	x->nodes[1] = &x->a;
	x->nodes[2] = &x->d;
	x->nodes[3] = &x->empty;
	x->nodes[4] = &x->l;
	x->t.root = &x->root;
	x->t.nodes = x->nodes;
	x->t.n_nodes = 5;
}

static int mem_read(void *ctx, const struct vc_node *n, uint64_t off, void *buf, size_t len,
		    struct vc_error *err)
{
	(void)ctx;
	(void)err;
	assert_string_equal(n->name, "a");
	memcpy(buf, "hello\n" + off, len);
	return 0;
}

static const uint8_t test_uuid[16] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
				      0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};

static void tiny_equals_mkfs(void **state)
{
	struct tiny x;
	struct vc_erofs_options o = {.have_build_time = true, .build_time = 1000, .read = mem_read};
	struct vc_erofs_result r;
	struct vc_mem_sink m;
	struct vc_error err = {0};
	uint8_t want[4096];
	FILE *f = fopen(VC_SOURCE_DIR "/vectors/erofs/tiny.mkfs.img", "rb");

	(void)state;
	assert_non_null(f);
	assert_int_equal(fread(want, 1, sizeof(want), f), sizeof(want));
	fclose(f);
	tiny_init(&x);
	memcpy(o.uuid, test_uuid, 16);
	vc_mem_sink_init(&m);
	assert_int_equal(vc_erofs_write(&x.t, &o, &m.sink, &r, &err), 0);
	assert_int_equal(r.size, 4096);
	assert_int_equal(m.len, 4096);
	assert_int_equal(r.n_inodes, 5);
	assert_int_equal(r.root_nid, 36);
	const uint8_t *b = m.data, *sb = b + 1024;

	assert_int_equal(vc_get_le32(sb + 0), 0xE0F5E1E2); /* magic */
	assert_int_equal(vc_get_le32(sb + 8), 3);	   /* sb_csum | mtime */
	assert_int_equal(sb[12], 12);			   /* blkszbits */
	assert_int_equal(vc_get_le16(sb + 14), 36);	   /* root_nid */
	assert_int_equal(vc_get_le64(sb + 16), 5);	   /* inos */
	assert_int_equal(vc_get_le64(sb + 24), 1000);	   /* build_time */
	assert_int_equal(vc_get_le32(sb + 36), 1);	   /* blocks */
	assert_memory_equal(sb + 48, test_uuid, 16);	   /* uuid */
	assert_int_equal(vc_get_le32(sb + 80), 0);	   /* no incompat feature */
	/* root inode at nid 36: compact, flat inline, 0755 dir, nlink 3, 83 bytes */
	const uint8_t *ri = b + 36 * 32;

	assert_int_equal(vc_get_le16(ri + 0), 2 << 1);
	assert_int_equal(vc_get_le16(ri + 4), 040755);
	assert_int_equal(vc_get_le16(ri + 6), 3);
	assert_int_equal(vc_get_le32(ri + 8), 6 * 12 + 11);
	assert_int_equal(vc_get_le32(ri + 16), 0xffffffff); /* no full block */
	/* its dirents follow: ".", "..", "a", "d", "empty", "l" */
	const uint8_t *de = ri + 32;

	assert_int_equal(vc_get_le64(de), 36);	   /* "." is the root */
	assert_int_equal(vc_get_le16(de + 8), 72); /* names after 6 dirents */
	assert_int_equal(de[10], 2);		   /* EROFS_FT_DIR */
	assert_int_equal(de[5 * 12 + 10], 7);	   /* "l" is a symlink */
	assert_memory_equal(de + 72,
			    "...adempty"
			    "l",
			    11);
	/* and the whole block is what mkfs.erofs 1.5 wrote */
	assert_memory_equal(m.data, want, 4096);
	vc_mem_sink_fini(&m);
}

static void directory_split_across_blocks(void **state)
{
	/* 400 entries of 20-byte names: 32 bytes each, 128 per block */
	enum { N = 400 };
	struct vc_node root, *kids[N], *nodes[N + 1];
	struct vc_node *k = calloc(N, sizeof(*k));
	char(*names)[21] = calloc(N, 21);
	struct vc_tree t = {.root = &root, .nodes = nodes, .n_nodes = N + 1};
	struct vc_erofs_options o = {.have_build_time = true, .build_time = 1000};
	struct vc_erofs_result r;
	struct vc_mem_sink m;
	struct vc_error err = {0};

	(void)state;
	node_init(&root, "", VC_NODE_DIR, 0755, NULL, 0);
	nodes[0] = &root;
	for (int i = 0; i < N; i++) {
		snprintf(names[i], 21, "entry-%014d", i);
		node_init(&k[i], names[i], VC_NODE_FIFO, 0600, &root, (size_t)i + 1);
		kids[i] = nodes[i + 1] = &k[i];
	}
	root.children = kids;
	root.n_children = N;
	root.nlink = 2;
	vc_mem_sink_init(&m);
	assert_int_equal(vc_erofs_write(&t, &o, &m.sink, &r, &err), 0);
	/* 402 entries (with . and .., 13 and 14 bytes): blocks of 129, 128, 128
	 * and an inline tail of 17 */
	const uint8_t *ri = m.data + (size_t)r.root_nid * 32;
	uint64_t size = vc_get_le32(ri + 8);

	assert_int_equal(vc_get_le16(ri + 0), 2 << 1); /* flat inline: 3 blocks + tail */
	assert_int_equal(size, 3 * 4096 + 17 * 32);
	uint32_t blk = vc_get_le32(ri + 16);
	const uint8_t *b1 = m.data + (size_t)(blk + 1) * 4096;

	assert_int_equal(vc_get_le16(b1 + 8), 128 * 12); /* 128 dirents in block 1 */
	assert_memory_equal(b1 + 128 * 12, "entry-00000000000127", 20);
	/* the tail block, inline after the root inode, starts where block 3 ends */
	assert_int_equal(vc_get_le16(ri + 32 + 8), 17 * 12);
	vc_mem_sink_fini(&m);
	free(k);
	free(names);
}

static void compact_index_encoding(void **state)
{
	/* 12388 bytes: a compressed extent [0, 10000), a raw one [10000, 12388) */
	const struct z_extent ext[2] = {{0, 10000, 1, 0}, {10000, 2388, 1, 1}};
	uint8_t out[16];

	(void)state;
	/* index after a 32-byte inode and the 8-byte map header: at 8 mod 32,
	 * 6 leading 4B entries would be needed, more than the 4 lclusters, so
	 * all four are in 4B packs */
	assert_int_equal(vc_erofs_zindex_size(12388, 8), 16);
	vc_erofs_zindex_encode(12388, 8, ext, 2, 100, false, out);
	static const uint8_t want[16] = {
	    0x00, 0x10,	      /* lcn 0: HEAD, clusterofs 0 */
	    0x01, 0x20,	      /* lcn 1: NONHEAD, last of its pack: delta[1] = 1 */
	    99,	  0,	0, 0, /* base: block of the head before the pack */
	    0x10, 0x07,	      /* lcn 2: PLAIN at 1808 (10000 - 8192) */
	    0x64, 0x00,	      /* lcn 3: end marker, PLAIN at 100 (12388 % 4096) */
	    100,  0,	0, 0,
	};
	assert_memory_equal(out, want, 16);
	/* 2B packs: 16 entries in 32 bytes once the position is 32-aligned */
	assert_int_equal(vc_erofs_zindex_size(40 * 4096, 0), 40 / 16 * 32 + 8 / 2 * 8);
	assert_int_equal(vc_erofs_zindex_size(40 * 4096, 16), 4 * 4 + 32 * 2 + 4 / 2 * 8);
}

static void big_pcluster_index_encoding(void **state)
{
	/* 20000 bytes: a pcluster of 3 blocks for [0, 14000), one of 1 block
	 * for [14000, 20000): lclusters 0 HEAD, 1 NONHEAD with CBLKCNT 3,
	 * 2 NONHEAD, 3 HEAD, 4 the end marker, in 4B packs of two */
	const struct z_extent ext[2] = {{0, 14000, 3, 0}, {14000, 6000, 1, 0}};
	uint8_t out[24];

	(void)state;
	assert_int_equal(vc_erofs_zindex_size(20000, 8), 24);
	vc_erofs_zindex_encode(20000, 8, ext, 2, 100, true, out);
	static const uint8_t want[24] = {
	    0x00, 0x10,		/* lcn 0: HEAD at 0 */
	    0x03, 0x28,		/* lcn 1: NONHEAD, CBLKCNT | 3 (even last in its pack) */
	    100,  0,	0,   0, /* base: the first pcluster the kernel counts from here */
	    0x02, 0x20,		/* lcn 2: NONHEAD, delta[0] = 2 */
	    0xb0, 0x16,		/* lcn 3: HEAD at 1712 (14000 - 12288) */
	    103,  0,	0,   0, /* the kernel walks lcn 2 back to lcn 1, outside the
				 * pack: lcn 3's pcluster is the base itself */
	    0x20, 0x0e,		/* lcn 4: the end marker, PLAIN at 3616 */
	    0x00, 0x00, 104, 0, 0, 0,
	};
	assert_memory_equal(out, want, 24);
}

static void clusters_decode_to_input(void **state)
{
	size_t len = 300000;
	uint8_t *in = malloc(len), *out = malloc(len + 4096), dec[4096 * 300];
	struct z_extent *ext = calloc(vc_erofs_max_extents(len), sizeof(*ext));
	uint32_t seed = 1;

	(void)state;
	for (size_t i = 0; i < len; i++) {
		seed = seed * 1103515245 + 12345;
		/* runs of text, then runs of noise */
		in[i] = (i / 20000) % 2 ? (uint8_t)(seed >> 16)
					: (uint8_t)("abcdefgh"[i % 8] + i / 997 % 3);
	}
	struct vc_erofs_options o = {.compress = VC_EROFS_LZ4};
	struct vc_erofs_codec codec;
	struct vc_error err = {0};

	assert_int_equal(vc_erofs_codec_init(&codec, &o, &err), 0);
	size_t n = vc_erofs_compress_segment(in, len, 0, &codec, NULL, out, ext);

	vc_erofs_codec_fini(&codec);
	uint64_t pos = 0;
	size_t n_raw = 0;

	for (size_t k = 0; k < n; k++) {
		const uint8_t *blk = out + k * 4096;

		assert_int_equal(ext[k].lstart, pos);
		if (ext[k].raw) {
			n_raw++;
			assert_true(ext[k].llen <= 4096);
			assert_memory_equal(blk, in + pos, ext[k].llen);
		} else {
			size_t z = 0;

			while (blk[z] == 0) /* lz4_0padding */
				z++;
			assert_true(ext[k].llen > 4096);
			int d = LZ4_decompress_safe((const char *)blk + z, (char *)dec,
						    (int)(4096 - z), (int)sizeof(dec));
			assert_int_equal(d, (int)ext[k].llen);
			assert_memory_equal(dec, in + pos, ext[k].llen);
		}
		pos += ext[k].llen;
	}
	assert_int_equal(pos, len);
	assert_true(n_raw > 0 && n_raw < n);
	free(in);
	free(out);
	free(ext);
}

/* Decodes one pcluster (padding skipped) with the algorithm's own library. */
static size_t decode(enum vc_erofs_compress c, const uint8_t *z, size_t zlen, uint8_t *dec,
		     size_t cap, uint32_t dict)
{
	switch (c) {
	case VC_EROFS_ZSTD: {
		size_t r = ZSTD_decompress(dec, cap, z, zlen);

		return ZSTD_isError(r) ? 0 : r;
	}
	case VC_EROFS_DEFLATE: {
		z_stream s = {0};
		size_t r = 0;

		inflateInit2(&s, -15);
		s.next_in = (Bytef *)(uintptr_t)z;
		s.avail_in = (uInt)zlen;
		s.next_out = dec;
		s.avail_out = (uInt)cap;
		if (inflate(&s, Z_FINISH) == Z_STREAM_END && s.avail_in == 0)
			r = s.total_out;
		inflateEnd(&s);
		return r;
	}
	case VC_EROFS_LZMA: {
		lzma_stream s = LZMA_STREAM_INIT;
		size_t r = 0;

		/* the kernel knows the compressed and uncompressed sizes, as here */
		if (lzma_microlzma_decoder(&s, zlen, cap, 1, dict) != LZMA_OK)
			return 0;
		s.next_in = z;
		s.avail_in = zlen;
		s.next_out = dec;
		s.avail_out = cap;
		if (lzma_code(&s, LZMA_FINISH) == LZMA_STREAM_END)
			r = (size_t)s.total_out;
		lzma_end(&s);
		return r;
	}
	default: {
		int d = LZ4_decompress_safe((const char *)z, (char *)dec, (int)zlen, (int)cap);

		return d < 0 ? 0 : (size_t)d;
	}
	}
}

/* A compressed extent (after its zero padding when padded) decodes to want. */
static void assert_decodes(enum vc_erofs_compress c, uint32_t pcluster, const uint8_t *blk,
			   size_t bytes, bool padded, const uint8_t *want, size_t llen,
			   uint8_t *dec)
{
	size_t z = 0;

	while (padded && blk[z] == 0)
		z++;
	assert_true(blk[z] != 0); /* the reader skips leading zeros */
	size_t d = decode(c, blk + z, bytes - z, dec, llen, vc_erofs_lzma_dict(pcluster));

	assert_int_equal(d, llen);
	assert_memory_equal(dec, want, llen);
}

/* Every algorithm and pcluster size: each pcluster decodes to its input,
 * pclusters are as many blocks as the extents say, and the bytes do not
 * depend on what the codec compressed before. */
static void every_algorithm_decodes(void **state)
{
	static const struct {
		enum vc_erofs_compress c;
		int level;
		uint32_t pcluster;
	} cases[] = {
	    {VC_EROFS_ZSTD, 9, 4096},	  {VC_EROFS_ZSTD, 3, 131072}, {VC_EROFS_DEFLATE, 6, 4096},
	    {VC_EROFS_DEFLATE, 1, 65536}, {VC_EROFS_LZMA, 6, 4096},   {VC_EROFS_LZMA, 6, 131072},
	    {VC_EROFS_LZ4HC, 9, 65536},	  {VC_EROFS_LZ4, 0, 16384},
	};
	size_t len = 300000;
	uint8_t *in = malloc(len), *out = malloc(len + 4096), *out2 = malloc(len + 4096);
	uint8_t *dec = malloc(4u << 20);
	struct z_extent *ext = calloc(vc_erofs_max_extents(len), sizeof(*ext));
	struct z_extent *ext2 = calloc(vc_erofs_max_extents(len), sizeof(*ext2));
	uint32_t seed = 1;

	(void)state;
	for (size_t i = 0; i < len; i++) {
		seed = seed * 1103515245 + 12345;
		in[i] = (i / 70000) % 2 ? (uint8_t)(seed >> 16)
					: (uint8_t)("abcdefgh"[i % 8] + i / 997 % 3 + (seed >> 30));
	}
	for (size_t t = 0; t < sizeof(cases) / sizeof(cases[0]); t++) {
		struct vc_erofs_options o = {.compress = cases[t].c,
					     .level = cases[t].level,
					     .pcluster_size = cases[t].pcluster};
		struct vc_erofs_codec codec;
		struct vc_error err = {0};
		uint64_t pos = 0, at = 0;
		size_t n_raw = 0, n_big = 0;

		assert_int_equal(vc_erofs_codec_init(&codec, &o, &err), 0);
		size_t n = vc_erofs_compress_segment(in, len, 0, &codec, NULL, out, ext);

		for (size_t k = 0; k < n; k++) {
			const uint8_t *blk = out + at;
			size_t bytes = (size_t)ext[k].nblk * 4096;

			assert_int_equal(ext[k].lstart, pos);
			assert_true(bytes <= cases[t].pcluster);
			if (ext[k].raw) {
				n_raw++;
				assert_int_equal(ext[k].nblk, 1);
				assert_memory_equal(blk, in + pos, ext[k].llen);
			} else {
				assert_true(ext[k].llen > bytes);
				n_big += ext[k].nblk > 1;
				assert_decodes(cases[t].c, cases[t].pcluster, blk, bytes, true,
					       in + pos, ext[k].llen, dec);
			}
			pos += ext[k].llen;
			at += bytes;
		}
		assert_int_equal(pos, len);
		/* noise stays raw in 4 KiB pclusters; big ones take it with the text */
		assert_true(n_raw < n && (cases[t].pcluster > 4096 || n_raw > 0));
		assert_true(cases[t].pcluster == 4096 || n_big > 0);
		/* again on the same codec, from the middle: the same bytes as a fresh
		 * codec would give (no state carried between segments) */
		size_t n2 = vc_erofs_compress_segment(in + 40960, len - 40960, 40960, &codec, NULL,
						      out2, ext2);
		struct vc_erofs_codec fresh;

		assert_int_equal(vc_erofs_codec_init(&fresh, &o, &err), 0);
		size_t n3 = vc_erofs_compress_segment(in + 40960, len - 40960, 40960, &fresh, NULL,
						      out, ext);
		assert_int_equal(n2, n3);
		assert_memory_equal(ext, ext2, n2 * sizeof(*ext));
		vc_erofs_codec_fini(&fresh);
		vc_erofs_codec_fini(&codec);
	}
	free(in);
	free(out);
	free(out2);
	free(dec);
	free(ext);
	free(ext2);
}

static void bad_xattr_namespace(void **state)
{
	struct tiny x;
	struct vc_xattr xa = {.name = (char *)"foo.bar", .value = (uint8_t *)"v", .value_len = 1};
	struct vc_erofs_options o = {.have_build_time = true, .build_time = 1000, .read = mem_read};
	struct vc_mem_sink m;
	struct vc_error err = {0};

	(void)state;
	tiny_init(&x);
	x.a.xattrs = &xa;
	x.a.n_xattrs = 1;
	vc_mem_sink_init(&m);
	assert_int_equal(vc_erofs_write(&x.t, &o, &m.sink, NULL, &err), VC_EUNSUPP);
	assert_non_null(strstr(err.msg, "/a: xattr 'foo.bar'"));
	o.label = "seventeen-bytes!!";
	assert_int_equal(vc_erofs_write(&x.t, &o, &m.sink, NULL, &err), VC_EINVAL);
	vc_mem_sink_fini(&m);
}

static int failing_read(void *ctx, const struct vc_node *n, uint64_t off, void *buf, size_t len,
			struct vc_error *err)
{
	(void)ctx;
	(void)n;
	(void)off;
	(void)buf;
	(void)len;
	return vc_errorf(err, VC_EIO, "file changed size while read");
}

static void reader_error_names_the_path(void **state)
{
	struct tiny x;
	struct vc_erofs_options o = {
	    .have_build_time = true, .build_time = 1000, .read = failing_read};
	struct vc_mem_sink m;
	struct vc_error err = {0};

	(void)state;
	tiny_init(&x);
	vc_mem_sink_init(&m);
	assert_int_equal(vc_erofs_write(&x.t, &o, &m.sink, NULL, &err), VC_EIO);
	assert_string_equal(err.msg, "/a: file changed size while read");
	vc_mem_sink_fini(&m);
}

/* ztailpacking: the last segment's rest goes inline when it compresses
 * into the room after the inode (or, raw, is no longer); the extents
 * before it decode to their input, the inline bytes to the rest. */
static void inline_tail_decodes(void **state)
{
	static const struct {
		enum vc_erofs_compress c;
		uint32_t pcluster;
		size_t len, noise; /* noise: random bytes at the end */
		uint32_t room;
		bool raw;   /* the inline tail is stored as it is */
		bool rough; /* text that compresses about 3:1 */
	} cases[] = {
	    {VC_EROFS_LZ4, 4096, 10000, 0, 4000, false},      /* all of it inline */
	    {VC_EROFS_LZ4HC, 4096, 50000, 30000, 4000, true}, /* blocks, a raw rest */
	    /* the last big pcluster carries a little less, the rest goes inline */
	    {VC_EROFS_ZSTD, 131072, 300000, 0, 3000, false, true},
	    {VC_EROFS_LZMA, 65536, 150000, 0, 3900, false, true},
	    {VC_EROFS_DEFLATE, 4096, 8000, 8000, 100, false}, /* nothing fits: no inline */
	};
	uint8_t *in = malloc(300000), *out = malloc(300000 + 4096), *dec = malloc(4u << 20);
	struct z_extent *ext = calloc(vc_erofs_max_extents(300000), sizeof(*ext));

	(void)state;
	for (size_t t = 0; t < sizeof(cases) / sizeof(cases[0]); t++) {
		struct vc_erofs_options o = {.compress = cases[t].c,
					     .pcluster_size = cases[t].pcluster};
		struct z_tail zt = {.inline_max = cases[t].room};
		struct vc_erofs_codec codec;
		struct vc_error err = {0};
		size_t len = cases[t].len;
		uint32_t seed = 7;
		uint64_t pos = 0, at = 0;

		for (size_t i = 0; i < len; i++) {
			seed = seed * 1103515245 + 12345;
			in[i] = i >= len - cases[t].noise
				    ? (uint8_t)(seed >> 16)
				    : (uint8_t)("abcdefgh"[i % 8] + i / 997 % 5 +
						(cases[t].rough ? seed >> 30 : 0));
		}
		assert_int_equal(vc_erofs_codec_init(&codec, &o, &err), 0);
		size_t n = vc_erofs_compress_segment(in, len, 0, &codec, &zt, out, ext);

		vc_erofs_codec_fini(&codec);
		for (size_t k = 0; k < n; k++) {
			const uint8_t *blk = out + at;
			size_t bytes = ext[k].inl ? zt.ilen : (size_t)ext[k].nblk * 4096;

			assert_int_equal(ext[k].lstart, pos);
			assert_true(!ext[k].inl || (k + 1 == n && ext[k].nblk == 0));
			if (ext[k].raw) {
				assert_true(!ext[k].inl || zt.ilen == ext[k].llen);
				assert_memory_equal(blk, in + pos, ext[k].llen);
			} else {
				assert_decodes(cases[t].c, cases[t].pcluster, blk, bytes,
					       !ext[k].inl, in + pos, ext[k].llen, dec);
			}
			pos += ext[k].llen;
			at += bytes;
		}
		assert_int_equal(pos, len);
		if (t + 1 == sizeof(cases) / sizeof(cases[0])) {
			assert_int_equal(zt.ilen, 0);
			continue;
		}
		assert_true(zt.ilen > 0 && zt.ilen <= cases[t].room && ext[n - 1].inl);
		assert_int_equal(ext[n - 1].raw, cases[t].raw);
		if (t == 0)
			assert_int_equal(n, 1);
		if (cases[t].rough) /* a pcluster, then the inline rest */
			assert_true(n == 2 && ext[0].nblk > 1 && ext[0].llen > ext[1].llen);
	}
	free(in);
	free(out);
	free(dec);
	free(ext);
}

/* Chunks: "a" holds block A, a block of zeros, block A again; "b" block A
 * and 100 bytes. With the chunks feature both are chunk-based (layout 4,
 * 4 KiB chunks: chunk format 0), a's map is [A, hole, A] in its one block,
 * b's [a's block, its own]; the superblock says CHUNKED_FILE. "c" holds
 * blocks P Q Q R: its chunks merge into two of 8 KiB (format 1), [P Q] and
 * [Q R] from its second block, and its third block (R) is written. */
static int chunk_read(void *ctx, const struct vc_node *n, uint64_t off, void *buf, size_t len,
		      struct vc_error *err)
{
	uint8_t *p = buf;

	(void)ctx;
	(void)err;
	for (size_t i = 0; i < len; i++) {
		uint64_t at = off + i;

		if (n->name[0] == 'c') /* blocks P Q Q R */
			p[i] = (uint8_t)("PQQR"[at / 4096]);
		else
			p[i] = n->name[0] == 'a' && at / 4096 == 1 ? 0
								   : (uint8_t)('A' + at % 4096 % 7);
	}
	return 0;
}

static void chunks_share_and_hole(void **state)
{
	struct vc_node root, a, b, c, *kids[3] = {&a, &b, &c}, *nodes[4] = {&root, &a, &b, &c};
	struct vc_tree t = {.root = &root, .nodes = nodes, .n_nodes = 4};
	struct vc_erofs_options o = {.have_build_time = true,
				     .build_time = 1000,
				     .read = chunk_read,
				     .features = VC_EROFS_FEATURE_CHUNKS};
	struct vc_erofs_result r;
	struct vc_mem_sink m;
	struct vc_error err = {0};

	(void)state;
	node_init(&root, "", VC_NODE_DIR, 0755, NULL, 0);
	node_init(&a, "a", VC_NODE_REG, 0644, &root, 1);
	node_init(&b, "b", VC_NODE_REG, 0644, &root, 2);
	a.size = 3 * 4096;
	b.size = 4096 + 100;
	node_init(&c, "c", VC_NODE_REG, 0644, &root, 3);
	c.size = 4 * 4096;
	root.children = kids;
	root.n_children = 3;
	root.nlink = 2;
	vc_mem_sink_init(&m);
	assert_int_equal(vc_erofs_write(&t, &o, &m.sink, &r, &err), 0);
	assert_int_equal(r.n_chunked, 3);
	assert_int_equal(r.n_shared_chunks, 3);
	assert_int_equal(r.hole_bytes, 4096);
	assert_int_equal(r.min_kver, VC_EROFS_KVER(5, 15));
	assert_int_equal(vc_get_le32(m.data + 1024 + 80), 0x4); /* CHUNKED_FILE */
	/* the root's inline dirents: ".", "..", "a", "b" */
	const uint8_t *de = m.data + (size_t)r.root_nid * 32 + 32;
	const uint8_t *ia = m.data + vc_get_le64(de + 2 * 12) * 32;
	const uint8_t *ib = m.data + vc_get_le64(de + 3 * 12) * 32;

	assert_int_equal(vc_get_le16(ia), 4 << 1); /* compact, chunk-based */
	assert_int_equal(vc_get_le16(ib), 4 << 1);
	assert_int_equal(vc_get_le32(ia + 16), 0); /* chunk format: 4 KiB, block map */
	uint32_t blk = vc_get_le32(ia + 32);

	assert_int_equal(vc_get_le32(ia + 36), 0xffffffff); /* the hole */
	assert_int_equal(vc_get_le32(ia + 40), blk);	    /* block A again */
	assert_int_equal(vc_get_le32(ib + 32), blk);	    /* b's first chunk: a's */
	uint32_t own = vc_get_le32(ib + 36);

	assert_true(own != blk && own != 0xffffffff && (uint64_t)own * 4096 < r.size);
	assert_int_equal(m.data[(size_t)blk * 4096 + 1], 'A' + 1);
	assert_int_equal(m.data[(size_t)own * 4096 + 99], 'A' + 99 % 7);
	const uint8_t *ic = m.data + vc_get_le64(de + 4 * 12) * 32;
	uint32_t c0 = vc_get_le32(ic + 32), c1 = vc_get_le32(ic + 36);

	assert_int_equal(vc_get_le16(ic), 4 << 1);
	assert_int_equal(vc_get_le32(ic + 16), 1); /* 8 KiB chunks */
	assert_int_equal(c1, c0 + 1);
	assert_int_equal(m.data[(size_t)c0 * 4096], 'P');
	assert_int_equal(m.data[(size_t)c1 * 4096], 'Q');
	assert_int_equal(m.data[(size_t)(c1 + 1) * 4096 + 4095], 'R');
	assert_true((uint64_t)(c1 + 2) * 4096 <= r.size);
	/* without the feature: flat, the same as a target below 5.15 */
	o.features = 0;
	vc_mem_sink_fini(&m);
	vc_mem_sink_init(&m);
	assert_int_equal(vc_erofs_write(&t, &o, &m.sink, &r, &err), 0);
	assert_int_equal(r.n_chunked, 0);
	assert_int_equal(vc_get_le32(m.data + 1024 + 80), 0);
	vc_mem_sink_fini(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(crc32c_known_answer),
	    cmocka_unit_test(parse_compress_values),
	    cmocka_unit_test(parse_other_options),
	    cmocka_unit_test(tiny_equals_mkfs),
	    cmocka_unit_test(directory_split_across_blocks),
	    cmocka_unit_test(compact_index_encoding),
	    cmocka_unit_test(big_pcluster_index_encoding),
	    cmocka_unit_test(clusters_decode_to_input),
	    cmocka_unit_test(every_algorithm_decodes),
	    cmocka_unit_test(inline_tail_decodes),
	    cmocka_unit_test(bad_xattr_namespace),
	    cmocka_unit_test(reader_error_names_the_path),
	    cmocka_unit_test(chunks_share_and_hole),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
