/* SPDX-License-Identifier: MIT */
/* dm-verity hash tree (hash type 1, SHA-256) and superblock.
 * Spec: Linux Documentation/admin-guide/device-mapper/verity.rst; level
 * layout as cryptsetup lib/verity/verity_hash.c hash_levels(). See
 * include/vcompose/verity.h for what is written and how. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "verity_disk.h"
#include "vcompose/endian.h"
#include "vcompose/sha256.h"
#include "vcompose/util.h"
#include "vcompose/verity.h"

/* Level 0 is cut into chunks of this many data bytes: one read each, large
 * enough to amortise the pool and the syscalls, small enough for the buffer
 * to stay in the L2 cache while it is hashed. */
#define CHUNK_BYTES ((size_t)256 << 10)
/* Upper levels: hash blocks per pool item. */
#define UPPER_CHUNK_BLOCKS 64

void vc_verity_params_init(struct vc_verity_params *p)
{
	memset(p, 0, sizeof(*p));
	p->data_block_size = 4096;
	p->hash_block_size = 4096;
	p->superblock = true;
}

void vc_verity_params_derive(struct vc_verity_params *p, const void *seed, size_t seed_len)
{
	static const char label[] = "verity-salt";

	vc_hmac_sha256(seed, seed_len, label, sizeof(label) - 1, p->salt);
	p->salt_len = VC_SHA256_LEN;
	vc_uuid_derive(seed, seed_len, "verity-uuid", p->uuid);
}

static bool block_size_ok(uint32_t n)
{
	return n >= 512 && n <= 4096 && (n & (n - 1)) == 0;
}

int vc_verity_params_check(const struct vc_verity_params *p, struct vc_error *err)
{
	if (!block_size_ok(p->data_block_size))
		return vc_errorf(err, VC_EINVAL,
				 "data block size %u: must be a power of two from 512 to 4096",
				 p->data_block_size);
	if (!block_size_ok(p->hash_block_size))
		return vc_errorf(err, VC_EINVAL,
				 "hash block size %u: must be a power of two from 512 to 4096",
				 p->hash_block_size);
	if (p->data_blocks == 0)
		return vc_errorf(err, VC_EINVAL, "no data blocks to hash (the data is empty)");
	if (p->data_blocks > UINT64_MAX / p->data_block_size)
		return vc_errorf(err, VC_ERANGE, "%llu data blocks: too many",
				 (unsigned long long)p->data_blocks);
	if (p->salt_len > VC_VERITY_MAX_SALT)
		return vc_errorf(err, VC_EINVAL, "salt of %zu bytes: at most %d", p->salt_len,
				 VC_VERITY_MAX_SALT);
	if (p->hash_offset % p->hash_block_size)
		return vc_errorf(err, VC_EINVAL,
				 "hash offset %llu: not a multiple of the hash block size %u",
				 (unsigned long long)p->hash_offset, p->hash_block_size);
	return 0;
}

static unsigned log2_down(uint64_t n)
{
	unsigned b = 0;

	while (n >>= 1)
		b++;
	return b;
}

int vc_verity_plan(const struct vc_verity_params *p, struct vc_verity_plan *ret,
		   struct vc_error *err)
{
	struct vc_verity_plan pl;
	int r = vc_verity_params_check(p, err);

	if (r < 0)
		return r;
	memset(&pl, 0, sizeof(pl));
	unsigned bits = log2_down(p->hash_block_size / VC_VERITY_DIGEST_LEN);
	uint64_t n = p->data_blocks;

	/* Levels until one hash block covers every data block: the number of
	 * digits of (n - 1) in base 2^bits. */
	while (bits * (unsigned)pl.levels < 64 && ((n - 1) >> (bits * (unsigned)pl.levels)))
		pl.levels++;
	assert(pl.levels <= VC_VERITY_MAX_LEVELS);

	/* The superblock takes a whole hash block; the top level comes next and
	 * level 0 last, each level right after the one above it. */
	uint64_t pos = p->hash_offset / p->hash_block_size + (p->superblock ? 1 : 0);
	pl.tree_offset = pos * p->hash_block_size;
	for (int i = pl.levels - 1; i >= 0; i--) {
		unsigned shift = (unsigned)(i + 1) * bits;
		/* Hash blocks of level i = ceil(n / 2^shift); shift may be 64. */
		uint64_t s = shift >= 64 ? 1 : (n >> shift) + ((n & ((1ull << shift) - 1)) != 0);
		pl.level_blocks[i] = s;
		pl.level_offset[i] = pos * p->hash_block_size;
		pos += s;
		pl.hash_blocks += s;
	}
	pl.tree_size = pl.hash_blocks * p->hash_block_size;
	if (pl.tree_size > VC_VERITY_MAX_TREE)
		return vc_errorf(err, VC_ERANGE,
				 "%llu data blocks need a hash tree of %llu bytes; at most %llu "
				 "are supported",
				 (unsigned long long)n, (unsigned long long)pl.tree_size,
				 (unsigned long long)VC_VERITY_MAX_TREE);
	pl.area_size = pl.tree_offset + pl.tree_size - p->hash_offset;
	pl.data_size = n * p->data_block_size;
	*ret = pl;
	return 0;
}

/* ---- superblock ---- */

void vc_verity_superblock(const struct vc_verity_params *p, uint8_t out[VC_VERITY_SB_LEN])
{
	struct verity_sb_disk sb;

	memset(&sb, 0, sizeof(sb));
	memcpy(sb.signature, VERITY_SB_SIGNATURE, 8);
	vc_put_le32(sb.version, VERITY_SB_VERSION);
	vc_put_le32(sb.hash_type, VERITY_HASH_TYPE_NORMAL);
	memcpy(sb.uuid, p->uuid, 16);
	memcpy(sb.algorithm, "sha256", 6);
	vc_put_le32(sb.data_block_size, p->data_block_size);
	vc_put_le32(sb.hash_block_size, p->hash_block_size);
	vc_put_le64(sb.data_blocks, p->data_blocks);
	vc_put_le16(sb.salt_size, (uint16_t)p->salt_len);
	memcpy(sb.salt, p->salt, p->salt_len);
	memcpy(out, &sb, sizeof(sb));
}

int vc_verity_superblock_parse(const uint8_t in[VC_VERITY_SB_LEN], struct vc_verity_params *ret,
			       struct vc_error *err)
{
	struct verity_sb_disk sb;
	struct vc_verity_params p = *ret;

	memcpy(&sb, in, sizeof(sb));
	if (memcmp(sb.signature, VERITY_SB_SIGNATURE, 8) != 0)
		return vc_errorf(err, VC_EINVAL,
				 "no verity superblock (signature is not 'verity')");
	if (vc_get_le32(sb.version) != VERITY_SB_VERSION)
		return vc_errorf(err, VC_EUNSUPP, "superblock version %u: only 1 is known",
				 vc_get_le32(sb.version));
	if (vc_get_le32(sb.hash_type) != VERITY_HASH_TYPE_NORMAL)
		return vc_errorf(err, VC_EUNSUPP, "hash type %u: only type 1 is supported",
				 vc_get_le32(sb.hash_type));
	if (strncmp((const char *)sb.algorithm, "sha256", sizeof(sb.algorithm)) != 0)
		return vc_errorf(err, VC_EUNSUPP,
				 "hash algorithm '%.32s': only sha256 is supported",
				 (const char *)sb.algorithm);
	p.data_block_size = vc_get_le32(sb.data_block_size);
	p.hash_block_size = vc_get_le32(sb.hash_block_size);
	p.data_blocks = vc_get_le64(sb.data_blocks);
	p.salt_len = vc_get_le16(sb.salt_size);
	if (p.salt_len > VC_VERITY_MAX_SALT)
		return vc_errorf(err, VC_EINVAL, "superblock salt size %zu: at most %d", p.salt_len,
				 VC_VERITY_MAX_SALT);
	memset(p.salt, 0, sizeof(p.salt));
	memcpy(p.salt, sb.salt, p.salt_len);
	memcpy(p.uuid, sb.uuid, 16);
	int r = vc_verity_params_check(&p, err);
	if (r < 0) {
		vc_error_prefix(err, "superblock");
		return r;
	}
	*ret = p;
	return 0;
}

/* ---- hashing: digest = SHA-256(salt || block) ---- */

/* The salt's whole 64-byte blocks are compressed once; every block then
 * starts from a copy of that state (a plain value). */
struct hasher {
	struct vc_sha256 prefix;
	uint8_t salt_tail[64];
	size_t tail_len; /* salt_len % 64 */
	size_t salt_len;
};

static void hasher_init(struct hasher *h, const struct vc_verity_params *p)
{
	size_t whole = p->salt_len / 64 * 64;

	vc_sha256_init(&h->prefix);
	vc_sha256_update(&h->prefix, p->salt, whole);
	h->tail_len = p->salt_len - whole;
	memset(h->salt_tail, 0, sizeof(h->salt_tail));
	memcpy(h->salt_tail, p->salt + whole, h->tail_len);
	h->salt_len = p->salt_len;
}

static void digest_out(const struct vc_sha256 *c, uint8_t *out)
{
	for (int i = 0; i < 8; i++)
		vc_put_be32(out + 4 * i, c->h[i]);
}

/* Two blocks of len bytes (a multiple of 64) at once. The salt tail and the
 * block's head, and the block's tail and the padding, are assembled into
 * small buffers, so that every compression runs in the interleaved pair. */
static void hash_pair(const struct hasher *h, const uint8_t *a, const uint8_t *b, size_t len,
		      uint8_t *out_a, uint8_t *out_b)
{
	struct vc_sha256 ca = h->prefix, cb = h->prefix;
	uint8_t la[128], lb[128];
	size_t r = h->tail_len;
	uint64_t bits = ((uint64_t)h->salt_len + len) * 8;

	if (r) {
		memcpy(la, h->salt_tail, r);
		memcpy(la + r, a, 64 - r);
		memcpy(lb, h->salt_tail, r);
		memcpy(lb + r, b, 64 - r);
		vc_sha256_update2(&ca, &cb, la, lb, 64);
		a += 64 - r;
		b += 64 - r;
		len -= 64 - r;
	}
	size_t whole = len / 64 * 64;
	vc_sha256_update2(&ca, &cb, a, b, whole);
	a += whole;
	b += whole;
	len -= whole; /* == r */

	/* FIPS 180-4 5.1.1: 0x80, zeros, the message length in bits (be64). */
	size_t fin = len + 9 <= 64 ? 64 : 128;
	memset(la, 0, fin);
	memset(lb, 0, fin);
	memcpy(la, a, len);
	memcpy(lb, b, len);
	la[len] = 0x80;
	lb[len] = 0x80;
	vc_put_be64(la + fin - 8, bits);
	vc_put_be64(lb + fin - 8, bits);
	vc_sha256_update2(&ca, &cb, la, lb, fin);
	digest_out(&ca, out_a);
	digest_out(&cb, out_b);
}

static void hash_one(const struct hasher *h, const uint8_t *a, size_t len, uint8_t *out)
{
	struct vc_sha256 c = h->prefix;

	vc_sha256_update(&c, h->salt_tail, h->tail_len);
	vc_sha256_update(&c, a, len);
	vc_sha256_final(&c, out);
}

/* ---- reading the data into per-worker buffers ---- */

struct reader {
	const struct vc_verity_src *src;
	size_t buf_size;
	pthread_mutex_t lock;
	uint8_t *free_bufs[VC_POOL_MAX_THREADS + 1]; /* idle buffers */
	size_t n_free;
	uint8_t *all_bufs[VC_POOL_MAX_THREADS + 1]; /* every buffer made */
	size_t n_all;
};

/* A borrowed view of data bytes, valid until view_put(). */
struct view {
	const uint8_t *p;
	uint8_t *buf;
};

static void reader_init(struct reader *rd, const struct vc_verity_src *src, size_t buf_size)
{
	memset(rd, 0, sizeof(*rd));
	rd->src = src;
	rd->buf_size = buf_size;
	pthread_mutex_init(&rd->lock, NULL);
}

static void reader_fini(struct reader *rd)
{
	for (size_t i = 0; i < rd->n_all; i++)
		free(rd->all_bufs[i]);
	pthread_mutex_destroy(&rd->lock);
}

/* At most one buffer per running item, so never more than the threads. */
static uint8_t *buf_get(struct reader *rd, struct vc_error *err)
{
	uint8_t *b = NULL;

	pthread_mutex_lock(&rd->lock);
	if (rd->n_free > 0) {
		b = rd->free_bufs[--rd->n_free];
	} else if (rd->n_all < VC_ARRAY_SIZE(rd->all_bufs)) {
		b = malloc(rd->buf_size);
		if (b)
			rd->all_bufs[rd->n_all++] = b;
	}
	pthread_mutex_unlock(&rd->lock);
	if (!b)
		vc_errorf(err, VC_ENOMEM, "verity: out of memory for a read buffer of %zu bytes",
			  rd->buf_size);
	return b;
}

static void buf_put(struct reader *rd, uint8_t *b)
{
	pthread_mutex_lock(&rd->lock);
	rd->free_bufs[rd->n_free++] = b;
	pthread_mutex_unlock(&rd->lock);
}

static int fd_pread_all(int fd, uint8_t *p, size_t len, uint64_t off, struct vc_error *err)
{
	while (len > 0) {
		ssize_t n = pread(fd, p, len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return vc_errorf_errno(err, VC_EIO, errno, "data: read at offset %llu",
					       (unsigned long long)off);
		}
		if (n == 0)
			return vc_errorf(err, VC_EIO,
					 "data: ends at offset %llu, before the last data block",
					 (unsigned long long)off);
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

/* Bytes [off, off + len) of the data (off relative to data block 0), read
 * into a worker's buffer. Reading beats mapping the page cache here: the
 * copy runs at memory speed through the kernel's direct map, while hashing a
 * fresh 4 KiB mapping takes a TLB miss per page (twice the CPU time in a
 * VM), and the buffer stays in the L2 cache for the hashing. */
static int view_get(struct reader *rd, uint64_t off, size_t len, struct view *v,
		    struct vc_error *err)
{
	const struct vc_verity_src *src = rd->src;
	int r;

	v->buf = buf_get(rd, err);
	if (!v->buf)
		return err->code;
	if (src->sink)
		r = vc_sink_pread(src->sink, v->buf, len, off, err);
	else
		r = fd_pread_all(src->fd, v->buf, len, src->offset + off, err);
	if (r < 0) {
		buf_put(rd, v->buf);
		v->buf = NULL;
		return r;
	}
	v->p = v->buf;
	return 0;
}

static void view_put(struct reader *rd, struct view *v)
{
	buf_put(rd, v->buf);
	v->buf = NULL;
	v->p = NULL;
}

/* ---- the tree ---- */

struct build {
	const struct vc_verity_params *p;
	const struct vc_verity_plan *pl;
	struct hasher h;
	struct reader rd;
	uint8_t *tree; /* pl->tree_size bytes, laid out as on disk */
	uint8_t root[VC_VERITY_DIGEST_LEN];
	uint8_t zero_digest[VC_VERITY_DIGEST_LEN]; /* of an all-zero data block */
	unsigned bits;				   /* log2(digests per hash block) */
	size_t chunk_blocks;			   /* data blocks per level-0 item */
	int level;				   /* the upper level being hashed */
	struct vc_progress *progress;
};

static uint8_t *level_base(const struct build *b, int level)
{
	return b->tree + (b->pl->level_offset[level] - b->pl->tree_offset);
}

/* Where the digest of block k of the level below goes in level `level`. */
static uint8_t *digest_slot(const struct build *b, int level, uint64_t k)
{
	if (b->pl->levels == 0)
		return (uint8_t *)b->root; /* one data block: its digest is the root */
	uint64_t mask = ((uint64_t)1 << b->bits) - 1;
	return level_base(b, level) + (k >> b->bits) * b->p->hash_block_size +
	       (k & mask) * VC_VERITY_DIGEST_LEN;
}

static int level0_item(void *ctx, size_t i, struct vc_error *err)
{
	struct build *b = ctx;
	uint64_t first = (uint64_t)i * b->chunk_blocks;
	uint64_t n = b->p->data_blocks - first;
	size_t bs = b->p->data_block_size;
	struct view v = {0};

	if (n > b->chunk_blocks)
		n = b->chunk_blocks;
	/* a chunk that is a hole of the data's file reads as zeros: each of its
	 * blocks has the digest of a zero block, computed once (a sparse file
	 * in the root is not read and hashed byte by byte) */
	const struct vc_verity_src *src = b->rd.src;
	uint64_t next = UINT64_MAX;
	if (src->sink)
		next = vc_sink_next_data(src->sink, first * bs);
	else if (src->fd >= 0)
		next = vc_fd_next_data(src->fd, src->offset, first * bs);
	if (next != first * bs && next >= (first + n) * bs) {
		for (uint64_t k = 0; k < n; k++)
			memcpy(digest_slot(b, 0, first + k), b->zero_digest, VC_VERITY_DIGEST_LEN);
		vc_progress_add(b->progress, n * bs, 0);
		return 0;
	}
	int r = view_get(&b->rd, first * bs, (size_t)n * bs, &v, err);
	if (r < 0)
		return r;
	uint64_t k = 0;
	for (; k + 1 < n; k += 2)
		hash_pair(&b->h, v.p + k * bs, v.p + (k + 1) * bs, bs, digest_slot(b, 0, first + k),
			  digest_slot(b, 0, first + k + 1));
	if (k < n)
		hash_one(&b->h, v.p + k * bs, bs, digest_slot(b, 0, first + k));
	view_put(&b->rd, &v);
	vc_progress_add(b->progress, n * bs, 0);
	return 0;
}

static int upper_item(void *ctx, size_t i, struct vc_error *err)
{
	struct build *b = ctx;
	int lv = b->level;
	uint64_t first = (uint64_t)i * UPPER_CHUNK_BLOCKS;
	uint64_t n = b->pl->level_blocks[lv - 1] - first;
	size_t bs = b->p->hash_block_size;
	const uint8_t *in = level_base(b, lv - 1) + first * bs;

	(void)err;
	if (n > UPPER_CHUNK_BLOCKS)
		n = UPPER_CHUNK_BLOCKS;
	uint64_t k = 0;
	for (; k + 1 < n; k += 2)
		hash_pair(&b->h, in + k * bs, in + (k + 1) * bs, bs, digest_slot(b, lv, first + k),
			  digest_slot(b, lv, first + k + 1));
	if (k < n)
		hash_one(&b->h, in + k * bs, bs, digest_slot(b, lv, first + k));
	return 0;
}

/* Builds the whole tree in memory: level 0 from the data, each level above
 * from the one below, the root from the top block. *ret_tree is owned by the
 * caller (NULL when there is no tree). */
static int build_tree(const struct vc_verity_params *p, const struct vc_verity_plan *pl,
		      const struct vc_verity_src *src, struct vc_pool *pool, uint8_t **ret_tree,
		      uint8_t root[VC_VERITY_DIGEST_LEN], struct vc_error *err)
{
	struct build b;
	int r;

	memset(&b, 0, sizeof(b));
	b.p = p;
	b.pl = pl;
	b.progress = src->progress;
	vc_progress_set_total(b.progress, p->data_blocks * p->data_block_size, 0);
	b.bits = log2_down(p->hash_block_size / VC_VERITY_DIGEST_LEN);
	b.chunk_blocks = CHUNK_BYTES / p->data_block_size;
	hasher_init(&b.h, p);
	static const uint8_t zero_block[4096]; /* data blocks are 512..4096 bytes */
	hash_one(&b.h, zero_block, p->data_block_size, b.zero_digest);
	size_t buf = b.chunk_blocks * p->data_block_size;
	if (p->data_blocks < b.chunk_blocks)
		buf = (size_t)p->data_blocks * p->data_block_size;
	reader_init(&b.rd, src, buf);
	if (pl->tree_size > 0) {
		/* calloc: the padding after the last digest of a block is zero. */
		b.tree = calloc(1, (size_t)pl->tree_size);
		if (!b.tree) {
			r = vc_errorf(err, VC_ENOMEM,
				      "verity: out of memory for a tree of %llu bytes",
				      (unsigned long long)pl->tree_size);
			goto out;
		}
	}
	r = vc_pool_for(pool, (size_t)VC_DIV_ROUND_UP(p->data_blocks, b.chunk_blocks), level0_item,
			&b, err);
	if (r < 0)
		goto out;
	for (b.level = 1; b.level < pl->levels; b.level++) {
		r = vc_pool_for(
		    pool,
		    (size_t)VC_DIV_ROUND_UP(pl->level_blocks[b.level - 1], UPPER_CHUNK_BLOCKS),
		    upper_item, &b, err);
		if (r < 0)
			goto out;
	}
	if (pl->levels > 0)
		hash_one(&b.h, level_base(&b, pl->levels - 1), p->hash_block_size, b.root);
	memcpy(root, b.root, VC_VERITY_DIGEST_LEN);
	*ret_tree = b.tree;
	b.tree = NULL;
	r = 0;
out:
	free(b.tree);
	reader_fini(&b.rd);
	return r;
}

int vc_verity_format(const struct vc_verity_params *p, const struct vc_verity_src *src,
		     const struct vc_sink *hash, struct vc_pool *pool,
		     uint8_t ret_root[VC_VERITY_DIGEST_LEN], struct vc_error *err)
{
	struct vc_verity_plan pl;
	uint8_t *tree = NULL, *sb_block = NULL;
	uint8_t root[VC_VERITY_DIGEST_LEN];
	int r = vc_verity_plan(p, &pl, err);

	if (r < 0)
		return r;
	r = build_tree(p, &pl, src, pool, &tree, root, err);
	if (r < 0)
		goto out;
	if (p->superblock) {
		sb_block = calloc(1, p->hash_block_size);
		if (!sb_block) {
			r = vc_errorf(err, VC_ENOMEM, "verity: out of memory");
			goto out;
		}
		vc_verity_superblock(p, sb_block);
		r = vc_sink_pwrite(hash, sb_block, p->hash_block_size, p->hash_offset, err);
		if (r < 0)
			goto out;
	}
	if (pl.tree_size > 0) {
		r = vc_sink_pwrite(hash, tree, (size_t)pl.tree_size, pl.tree_offset, err);
		if (r < 0)
			goto out;
	}
	memcpy(ret_root, root, VC_VERITY_DIGEST_LEN);
out:
	free(tree);
	free(sb_block);
	return r;
}

static const char *sb_field_differs(const uint8_t *a, const uint8_t *b)
{
	static const struct {
		size_t off, len;
		const char *name;
	} fields[] = {
	    {offsetof(struct verity_sb_disk, signature), 8, "signature"},
	    {offsetof(struct verity_sb_disk, version), 4, "version"},
	    {offsetof(struct verity_sb_disk, hash_type), 4, "hash type"},
	    {offsetof(struct verity_sb_disk, uuid), 16, "UUID"},
	    {offsetof(struct verity_sb_disk, algorithm), 32, "hash algorithm"},
	    {offsetof(struct verity_sb_disk, data_block_size), 4, "data block size"},
	    {offsetof(struct verity_sb_disk, hash_block_size), 4, "hash block size"},
	    {offsetof(struct verity_sb_disk, data_blocks), 8, "data blocks"},
	    {offsetof(struct verity_sb_disk, salt_size), 2, "salt size"},
	    {offsetof(struct verity_sb_disk, salt), 256, "salt"},
	};

	for (size_t i = 0; i < VC_ARRAY_SIZE(fields); i++)
		if (memcmp(a + fields[i].off, b + fields[i].off, fields[i].len) != 0)
			return fields[i].name;
	return memcmp(a, b, VC_VERITY_SB_LEN) ? "padding" : NULL;
}

/* Compares the stored level with the computed one, a chunk at a time. */
static int check_level(const struct vc_verity_params *p, const struct vc_verity_plan *pl,
		       const uint8_t *tree, const struct vc_sink *hash, int lv, uint8_t *buf,
		       size_t buf_len, uint64_t *ret_bad_block, struct vc_error *err)
{
	uint64_t len = pl->level_blocks[lv] * p->hash_block_size;
	const uint8_t *want = tree + (pl->level_offset[lv] - pl->tree_offset);
	/* Digests of the level below that this level holds. */
	uint64_t n_below = lv == 0 ? p->data_blocks : pl->level_blocks[lv - 1];
	unsigned bits = log2_down(p->hash_block_size / VC_VERITY_DIGEST_LEN);

	for (uint64_t off = 0; off < len; off += buf_len) {
		size_t n = len - off < buf_len ? (size_t)(len - off) : buf_len;
		int r = vc_sink_pread(hash, buf, n, pl->level_offset[lv] + off, err);
		if (r < 0) {
			vc_error_prefix(err, "hash tree level %d", lv);
			return r;
		}
		if (memcmp(buf, want + off, n) == 0)
			continue;
		size_t at = 0;
		while (buf[at] == want[off + at])
			at++;
		uint64_t byte = off + at;
		uint64_t hblock = byte / p->hash_block_size;
		uint64_t slot = (byte % p->hash_block_size) / VC_VERITY_DIGEST_LEN;
		uint64_t k = (hblock << bits) + slot; /* block of the level below */
		if (k >= n_below)
			return vc_errorf(err, VC_ECHECK,
					 "hash block %llu of level %d: the padding after its "
					 "digests is not zero",
					 (unsigned long long)hblock, lv);
		if (lv == 0) {
			if (ret_bad_block)
				*ret_bad_block = k;
			return vc_errorf(err, VC_ECHECK,
					 "data block %llu (bytes %llu..%llu) does not match its "
					 "digest in the hash tree",
					 (unsigned long long)k,
					 (unsigned long long)(k * p->data_block_size),
					 (unsigned long long)((k + 1) * p->data_block_size - 1));
		}
		return vc_errorf(
		    err, VC_ECHECK,
		    "hash block %llu of level %d does not match its digest in level %d",
		    (unsigned long long)k, lv - 1, lv);
	}
	return 0;
}

int vc_verity_verify(const struct vc_verity_params *p, const struct vc_verity_src *src,
		     const struct vc_sink *hash, struct vc_pool *pool,
		     const uint8_t root[VC_VERITY_DIGEST_LEN], uint64_t *ret_bad_block,
		     struct vc_error *err)
{
	struct vc_verity_plan pl;
	uint8_t *tree = NULL, *buf = NULL;
	uint8_t got_root[VC_VERITY_DIGEST_LEN];
	uint8_t want_sb[VC_VERITY_SB_LEN], have_sb[VC_VERITY_SB_LEN];
	size_t buf_len = CHUNK_BYTES;
	uint64_t bad = UINT64_MAX;
	int r = vc_verity_plan(p, &pl, err);

	if (r < 0)
		return r;
	if (p->superblock) {
		r = vc_sink_pread(hash, have_sb, sizeof(have_sb), p->hash_offset, err);
		if (r < 0) {
			vc_error_prefix(err, "superblock");
			goto out;
		}
		vc_verity_superblock(p, want_sb);
		const char *field = sb_field_differs(have_sb, want_sb);
		if (field) {
			r = vc_errorf(err, VC_ECHECK,
				      "superblock: the %s differs from the expected one", field);
			goto out;
		}
	}
	r = build_tree(p, &pl, src, pool, &tree, got_root, err);
	if (r < 0)
		goto out;
	if (pl.tree_size > 0) {
		if (buf_len > pl.tree_size)
			buf_len = (size_t)pl.tree_size;
		buf = malloc(buf_len);
		if (!buf) {
			r = vc_errorf(err, VC_ENOMEM, "verity: out of memory");
			goto out;
		}
	}
	for (int lv = 0; lv < pl.levels; lv++) {
		r = check_level(p, &pl, tree, hash, lv, buf, buf_len, &bad, err);
		if (r < 0)
			goto out;
	}
	if (memcmp(got_root, root, VC_VERITY_DIGEST_LEN) != 0) {
		char got[2 * VC_VERITY_DIGEST_LEN + 1], want[2 * VC_VERITY_DIGEST_LEN + 1];
		vc_hex_encode(got_root, VC_VERITY_DIGEST_LEN, got);
		vc_hex_encode(root, VC_VERITY_DIGEST_LEN, want);
		if (pl.levels == 0)
			bad = 0;
		r = vc_errorf(err, VC_ECHECK, "%sroot hash %s does not match the given %s",
			      pl.levels == 0 ? "data block 0: " : "", got, want);
		goto out;
	}
	r = 0;
out:
	if (r == VC_ECHECK && ret_bad_block)
		*ret_bad_block = bad;
	free(tree);
	free(buf);
	return r;
}
