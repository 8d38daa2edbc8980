/* SPDX-License-Identifier: MIT */
/* EROFS image writer. Spec: the Linux kernel's fs/erofs/erofs_fs.h (6.1) and
 * what erofs-utils 1.5 (fsck.erofs, dump.erofs) reads.
 *
 * Writes a complete EROFS image of a struct vc_tree through a byte sink
 * window, 4 KiB blocks:
 *   - block 0: 1 KiB left for boot code, the superblock at 1024 (crc32c
 *     checksum as mkfs.erofs writes it), then shared xattrs and inodes;
 *   - the metadata area: compact (32-byte) inodes where every field fits and
 *     the mtime equals the build time, extended (64-byte) ones otherwise;
 *     inline xattrs and shared ones (a name/value pair used by two or more
 *     inodes is stored once), tails of files, directories and symlinks packed
 *     right after their inode ("flat inline");
 *   - the data area: full blocks of files and directories in tree order, or
 *     physical clusters (LZ4, LZ4HC, zstd, microLZMA or DEFLATE) of 4 KiB
 *     or more (big pclusters) with compact indexes; a cluster that does
 *     not shrink is stored as it is; chunk-based files (a block address
 *     per chunk, or a hole) for stored files whose input has holes (a
 *     target of 5.15 or later) and, with the chunks feature, for equal
 *     chunks stored once.
 * Feature bits: sb_csum and mtime always; zero_padding when compressed;
 * chunked_file when a file is chunk-based;
 * compr_cfgs (and the per-algorithm records after the superblock) for
 * zstd, LZMA, DEFLATE or big pclusters. With the defaults (LZ4/LZ4HC,
 * 4 KiB) nothing newer than Linux 6.1 reads is written; every option that
 * needs a newer reader is checked against o->target.
 *
 * What it does not write: file data of a node whose reader fails (the call
 * fails, naming the path), xattr names outside user., trusted., security.,
 * system.posix_acl_access and system.posix_acl_default (refused).
 *
 * The bytes depend on the tree and the options only, never on o->pool's
 * size. Memory: the metadata plus a bounded window of clusters in flight.
 *
 *	struct vc_erofs_options o = { .compress = VC_EROFS_LZ4HC, .level = 9,
 *				      .have_build_time = true, .build_time = epoch,
 *				      .read = my_reader, .read_ctx = tree };
 *	vc_uuid_derive(seed, seed_len, "erofs-uuid", o.uuid);
 *	struct vc_erofs_result r;
 *	if (vc_erofs_write(tree, &o, &window, &r, err) < 0) ...
 *	next_partition_offset = r.size;
 */
#ifndef VCOMPOSE_EROFS_H
#define VCOMPOSE_EROFS_H

#include <stdbool.h>
#include <stdint.h>

#include "vcompose/error.h"
#include "vcompose/pool.h"
#include "vcompose/progress.h"
#include "vcompose/sink.h"
#include "vcompose/tree.h"

#define VC_EROFS_BLOCK_SIZE 4096
#define VC_EROFS_LABEL_MAX  16 /* bytes of the volume name */

enum vc_erofs_compress {
	VC_EROFS_NONE,
	VC_EROFS_LZ4,
	VC_EROFS_LZ4HC,
	VC_EROFS_ZSTD,	  /* libzstd, levels 1..22 (3); Linux 6.10 */
	VC_EROFS_LZMA,	  /* liblzma's microLZMA, levels 0..9, 100..109 (6); Linux 5.16 */
	VC_EROFS_DEFLATE, /* zlib's raw DEFLATE, levels 1..9 (1); Linux 6.6 */
};

/* Features a reader must know, each behind its own option (never on by
 * default): bits of vc_erofs_options.features. */
enum {
	VC_EROFS_FEATURE_ZTAILPACKING = 1u << 0, /* inline compressed tails, Linux 5.17 */
	VC_EROFS_FEATURE_FRAGMENTS = 1u << 1,	 /* tails packed in one inode, Linux 6.1 */
	VC_EROFS_FEATURE_DEDUPE = 1u << 2,	 /* shared compressed extents, Linux 6.1 */
	VC_EROFS_FEATURE_CHUNKS = 1u << 3,	 /* chunk-based files, Linux 5.15 */
};

/* A Linux version as a number: VC_EROFS_KVER(6, 12) for 6.12. */
#define VC_EROFS_KVER(major, minor) ((unsigned)(major)*1000u + (unsigned)(minor))
#define VC_EROFS_KVER_DEFAULT	    VC_EROFS_KVER(6, 1)
#define VC_EROFS_PCLUSTER_MAX	    (1u << 20)		   /* Z_EROFS_PCLUSTER_MAX_SIZE */
#define VC_EROFS_CHUNK_MAX	    (UINT64_C(4096) << 31) /* chunk blkbits up to 31 */

/* Reads len bytes of a regular file's content at off; the CLI and the
 * composer pass a wrapper around vc_tree_read(). Called from pool threads. */
typedef int (*vc_erofs_read_fn)(void *ctx, const struct vc_node *n, uint64_t off, void *buf,
				size_t len, struct vc_error *err);

/* Optional: a descriptor holding n's content from *ret_off, so that stored
 * (uncompressed) files are copied by the kernel instead of read and
 * written; close gives it back. The composer passes vc_tree_open/close. */
typedef int (*vc_erofs_open_fn)(void *ctx, const struct vc_node *n, uint64_t *ret_off,
				struct vc_error *err);
typedef void (*vc_erofs_close_fn)(void *ctx, int fd);

struct vc_erofs_options {
	uint8_t uuid[16];     /* written as given (derive it: "erofs-uuid") */
	const char *label;    /* NULL or up to 16 bytes */
	bool have_build_time; /* false: the newest mtime of the tree */
	int64_t build_time;   /* seconds; compact inodes inherit it as mtime */
	enum vc_erofs_compress compress;
	int level;		/* the algorithm's level; 0: its default (see above) */
	uint32_t pcluster_size; /* bytes of a physical cluster, a power of two from
				 * 4096 to VC_EROFS_PCLUSTER_MAX; 0: 4096 */
	unsigned features;	/* VC_EROFS_FEATURE_* */
	uint64_t chunk_size;	/* bytes of a chunk (chunk-based files): a power of two
				 * from 4096 to VC_EROFS_CHUNK_MAX; 0: 4096 */
	unsigned target;	/* oldest Linux to read the image; 0: VC_EROFS_KVER_DEFAULT */
	struct vc_pool *pool;	/* borrowed; NULL runs everything on the caller */
	vc_erofs_read_fn read;	/* required when the tree has regular files */
	void *read_ctx;		/* also the context of open and close */
	vc_erofs_open_fn open;	/* NULL: every byte goes through read */
	vc_erofs_close_fn close;
	struct vc_progress *progress; /* bytes and files written; may be NULL */
};

struct vc_erofs_result {
	uint64_t size; /* bytes of the image: a multiple of 4096 */
	uint64_t n_inodes;
	uint64_t meta_bytes; /* superblock, shared xattrs, inodes */
	uint64_t data_bytes; /* blocks of files and directories */
	uint64_t n_compressed_files;
	uint64_t n_shared_xattrs;
	uint64_t n_fragments;	  /* files kept whole in the packed inode */
	uint64_t n_deduped;	  /* of which share another file's bytes */
	uint64_t n_chunked;	  /* chunk-based files (chunks, or holes) */
	uint64_t n_shared_chunks; /* chunks stored once for several places */
	uint64_t hole_bytes;	  /* bytes of files left as holes (null chunks) */
	unsigned min_kver;	  /* the oldest Linux that reads the image written */
	uint16_t root_nid;
};

/* A lower bound of the image's size for t with o, from the files' sizes
 * alone, without reading them: stored files need their whole blocks,
 * compressed ones at least their compacted index (2 bytes per 4 KiB);
 * where holes are kept (a target of 5.15 or later and o->open given), a
 * file whose input has holes needs none, nor any file with the chunks
 * feature. For refusing up front what cannot be built (a 1 TiB file past
 * the verity tree's limit, <size> or the free space); *ret_largest (may be
 * NULL) gets the largest regular file, NULL when there is none. */
uint64_t vc_erofs_min_size(const struct vc_tree *t, const struct vc_erofs_options *o,
			   const struct vc_node **ret_largest);

/* Writes the image of t into out (offsets 0..size) and returns its size in
 * *ret (may be NULL). Errors name the path in the tree and the field:
 * "/etc/x: xattr 'foo.bar': namespace not supported by EROFS". */
int vc_erofs_write(const struct vc_tree *t, const struct vc_erofs_options *o,
		   const struct vc_sink *out, struct vc_erofs_result *ret, struct vc_error *err);

/* Parses a compression the way KIWI's erofscompression and mkfs.erofs -z
 * write it: "none" (or "uncompressed"), "lz4", "lz4hc", "zstd", "lzma" or
 * "deflate", optionally with a level: "lz4hc,9", "zstd,level=9", or
 * "lz4hc:9" (our older spelling). A level out of the algorithm's range is
 * an error naming the range. */
int vc_erofs_parse_compress(const char *s, enum vc_erofs_compress *ret_c, int *ret_level,
			    struct vc_error *err);

/* The algorithm's name as the parser takes it ("zstd"). */
const char *vc_erofs_compress_name(enum vc_erofs_compress c);

/* liblz4's version ("1.9.4"; static text): an input to the bytes of an
 * LZ4-compressed image, listed in a build's manifest. */
const char *vc_erofs_lz4_version(void);

/* Parses "fragments,dedupe,ztailpacking,chunks" (any of them, any order;
 * "" or "none": no feature) into VC_EROFS_FEATURE_* bits. */
int vc_erofs_parse_features(const char *s, unsigned *ret, struct vc_error *err);

/* Parses a pcluster size: bytes, or with a k/K or m/M suffix ("128k");
 * a power of two from 4096 to VC_EROFS_PCLUSTER_MAX. */
int vc_erofs_parse_pcluster(const char *s, uint32_t *ret, struct vc_error *err);

/* Parses a chunk size (chunk-based files) the same way: a power of two
 * from 4096 to VC_EROFS_CHUNK_MAX ("64k"). */
int vc_erofs_parse_chunk_size(const char *s, uint64_t *ret, struct vc_error *err);

/* Parses a Linux version "MAJOR.MINOR" ("6.12"; "6.12.38" is read as 6.12). */
int vc_erofs_parse_kver(const char *s, unsigned *ret, struct vc_error *err);

/* Formats a VC_EROFS_KVER number as "6.12" into buf (at least 16 bytes). */
const char *vc_erofs_kver_str(unsigned kver, char *buf, size_t cap);

/* The oldest Linux that reads what options o ask for (algorithm, pcluster
 * size, features). vc_erofs_write refuses options above o->target with an
 * error naming that version. */
unsigned vc_erofs_min_kver(const struct vc_erofs_options *o);

/* Checks o's compression level, pcluster size and features against
 * o->target; vc_erofs_write does it too. "erofs: zstd needs Linux 6.10
 * or later to read it, but the target kernel is 6.1 (...)". */
int vc_erofs_check_options(const struct vc_erofs_options *o, struct vc_error *err);

/* The oldest Linux that mounts an image with these superblock feature
 * bits and (when COMPR_CFGS is set) algorithm bitmap: what inspect says. */
unsigned vc_erofs_kver_of_features(uint32_t feature_compat, uint32_t feature_incompat,
				   uint16_t compr_algs);

/* crc32c (Castagnoli) without the final inversion, as EROFS stores it:
 * the superblock checksum is vc_erofs_crc32c(~0, sb, 4096 - 1024). */
uint32_t vc_erofs_crc32c(uint32_t crc, const void *buf, size_t len);

#endif
