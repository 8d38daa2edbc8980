/* SPDX-License-Identifier: MIT */
/* dm-verity hash tree writer and checker.
 * Spec: Linux Documentation/admin-guide/device-mapper/verity.rst (hash
 * type 1, salt prepended, "Hash tree" and "On-disk format" sections); the
 * level layout is the one of cryptsetup's lib/verity/verity_hash.c
 * (hash_levels), so the bytes equal `veritysetup format`'s.
 *
 * What it writes: the optional 512-byte superblock (format version 1) in its
 * own hash block, then the levels of the tree, top level first, each hash
 * block holding 2^k SHA-256 digests and zero padding. What it does not: hash
 * type 0 (Chrome OS), other digests, FEC.
 *
 * The data is read through a sink (the window the composer just wrote, so the
 * filesystem is never copied) or from a file descriptor, in chunks of 256 KiB.
 * Level 0 is hashed in chunks on the worker pool, two blocks per core at a
 * time; each chunk writes its digests at fixed places, so the bytes never
 * depend on the number of threads. The whole tree is kept in memory (1/128
 * of the data for 4 KiB blocks) and written with one call at the end.
 *
 *	struct vc_verity_params p;
 *	vc_verity_params_init(&p);
 *	vc_verity_params_derive(&p, seed, seed_len);      // salt and UUID
 *	p.data_blocks = fs_size / p.data_block_size;
 *	struct vc_verity_plan plan;
 *	vc_verity_plan(&p, &plan, err);                    // plan.area_size: bytes to reserve
 *	struct vc_verity_src src = { .sink = &fs_window };
 *	uint8_t root[32];
 *	vc_verity_format(&p, &src, &hash_window, pool, root, err);
 */
#ifndef VCOMPOSE_VERITY_H
#define VCOMPOSE_VERITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vcompose/error.h"
#include "vcompose/pool.h"
#include "vcompose/progress.h"
#include "vcompose/sink.h"

#define VC_VERITY_DIGEST_LEN 32
#define VC_VERITY_MAX_SALT   256
#define VC_VERITY_SB_LEN     512
/* 512-byte hash blocks hold 16 digests: 4 bits per level, 64 bits of block
 * numbers, so never more than 16 levels. */
#define VC_VERITY_MAX_LEVELS 16
/* The tree is built in memory; refuse data that would need more. */
#define VC_VERITY_MAX_TREE ((uint64_t)1 << 30)

struct vc_verity_params {
	uint32_t data_block_size; /* bytes; power of two, 512..4096; default 4096 */
	uint32_t hash_block_size; /* bytes; power of two, 512..4096; default 4096 */
	uint64_t data_blocks;	  /* data blocks covered by the tree; >= 1 */
	uint64_t hash_offset;	  /* bytes into the hash sink where the area starts;
				   * a multiple of hash_block_size */
	bool superblock;	  /* write (and expect) the 512-byte superblock */
	uint8_t uuid[16];	  /* superblock UUID, RFC 4122 byte order */
	uint8_t salt[VC_VERITY_MAX_SALT];
	size_t salt_len; /* 0..256 */
};

/* Defaults: 4096-byte blocks, superblock on, empty salt, zero UUID. */
void vc_verity_params_init(struct vc_verity_params *p);
/* Salt = HMAC-SHA256(seed, "verity-salt") (32 bytes) and
 * UUID = vc_uuid_derive(seed, "verity-uuid"). */
void vc_verity_params_derive(struct vc_verity_params *p, const void *seed, size_t seed_len);
/* Checks block sizes, counts, salt length and offset alignment. */
int vc_verity_params_check(const struct vc_verity_params *p, struct vc_error *err);

/* Where everything goes, in bytes relative to the hash sink unless told. */
struct vc_verity_plan {
	int levels;				     /* 0 when there is one data block */
	uint64_t level_offset[VC_VERITY_MAX_LEVELS]; /* level i (0 = hashes of data) */
	uint64_t level_blocks[VC_VERITY_MAX_LEVELS]; /* hash blocks in level i */
	uint64_t hash_blocks; /* hash blocks of all levels (superblock excluded) */
	uint64_t tree_offset; /* first byte of the tree (the top level) */
	uint64_t tree_size;   /* hash_blocks * hash_block_size */
	uint64_t area_size;   /* superblock block + tree: bytes from hash_offset */
	uint64_t data_size;   /* data_blocks * data_block_size */
};

/* Lays the levels out as veritysetup does; no I/O. */
int vc_verity_plan(const struct vc_verity_params *p, struct vc_verity_plan *ret,
		   struct vc_error *err);

/* Where the data blocks come from: a sink window (block 0 at offset 0 of it),
 * or, when sink is NULL, the file fd with block 0 at byte `offset`. */
struct vc_verity_src {
	const struct vc_sink *sink; /* borrowed for the call */
	int fd;
	uint64_t offset;
	struct vc_progress *progress; /* counts the data bytes hashed; may be NULL */
};

/* Hashes p->data_blocks blocks of src, writes the superblock (if any) and the
 * tree into hash at p->hash_offset, and returns the root hash. The hash
 * block that holds the superblock is written whole (zeros after 512 bytes).
 * pool may be NULL (one thread). */
int vc_verity_format(const struct vc_verity_params *p, const struct vc_verity_src *src,
		     const struct vc_sink *hash, struct vc_pool *pool,
		     uint8_t ret_root[VC_VERITY_DIGEST_LEN], struct vc_error *err);

/* Recomputes the tree of src and compares it with the one stored in hash at
 * p->hash_offset and with root. VC_ECHECK and a message naming the first bad
 * data block (or hash block, or the root) on mismatch; *ret_bad_block (may be
 * NULL) gets that data block's number, or UINT64_MAX when the data blocks are
 * fine but the tree or root is not. */
int vc_verity_verify(const struct vc_verity_params *p, const struct vc_verity_src *src,
		     const struct vc_sink *hash, struct vc_pool *pool,
		     const uint8_t root[VC_VERITY_DIGEST_LEN], uint64_t *ret_bad_block,
		     struct vc_error *err);

/* The 512-byte superblock for p. */
void vc_verity_superblock(const struct vc_verity_params *p, uint8_t out[VC_VERITY_SB_LEN]);
/* Parses a superblock into *ret (hash_offset and superblock set by caller). */
int vc_verity_superblock_parse(const uint8_t sb[VC_VERITY_SB_LEN], struct vc_verity_params *ret,
			       struct vc_error *err);

/* `verity format DATA HASH` and `verity verify` on files (src/verity/files.c),
 * veritysetup's rules. The caller stats the files; the messages name the
 * command's options (--hash-offset, --data-blocks). */
struct vc_verity_files {
	const char *data_path; /* DATA, for messages */
	uint64_t data_size;    /* its bytes */
	bool same_file;	       /* HASH is DATA (same device and inode) */
	bool hash_exists;      /* HASH exists */
	bool hash_is_blockdev; /* HASH is a block device */
	bool have_data_blocks; /* p->data_blocks is given */
	bool have_hash_offset; /* p->hash_offset is given */
	bool in_place;	       /* set: write into the existing HASH (DATA itself, a
				* device, or a file at a hash offset); else a new
				* file, renamed when complete */
};
/* Decides in_place and the blocks to hash: p->data_blocks as given, else
 * (HASH is DATA at a hash offset) the blocks before the hash area, else all
 * of DATA, a whole number of data blocks. Needs p's block sizes. */
int vc_verity_files_decide(struct vc_verity_files *f, struct vc_verity_params *p,
			   struct vc_error *err);
/* With HASH = DATA: the hash area must start after the data it covers. */
int vc_verity_files_check_overlap(const struct vc_verity_files *f, const struct vc_verity_params *p,
				  struct vc_error *err);

#endif
