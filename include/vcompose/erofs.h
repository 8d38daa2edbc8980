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
 *     LZ4 / LZ4HC physical clusters of 4 KiB with compact indexes; a cluster
 *     that does not shrink is stored as it is.
 * Feature bits: sb_csum and mtime always; lz4_0padding when compressed.
 * Nothing newer than Linux 6.1 reads is written (no ztailpacking, fragments,
 * dedupe, big pclusters, chunks, extra devices).
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
#include "vcompose/sink.h"
#include "vcompose/tree.h"

#define VC_EROFS_BLOCK_SIZE 4096
#define VC_EROFS_LABEL_MAX  16 /* bytes of the volume name */

enum vc_erofs_compress {
	VC_EROFS_NONE,
	VC_EROFS_LZ4,
	VC_EROFS_LZ4HC,
};

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
	int level;	       /* LZ4HC level 1..12; 0: 9 (liblz4's default) */
	struct vc_pool *pool;  /* borrowed; NULL runs everything on the caller */
	vc_erofs_read_fn read; /* required when the tree has regular files */
	void *read_ctx;	       /* also the context of open and close */
	vc_erofs_open_fn open; /* NULL: every byte goes through read */
	vc_erofs_close_fn close;
};

struct vc_erofs_result {
	uint64_t size; /* bytes of the image: a multiple of 4096 */
	uint64_t n_inodes;
	uint64_t meta_bytes; /* superblock, shared xattrs, inodes */
	uint64_t data_bytes; /* blocks of files and directories */
	uint64_t n_compressed_files;
	uint64_t n_shared_xattrs;
	uint16_t root_nid;
};

/* Writes the image of t into out (offsets 0..size) and returns its size in
 * *ret (may be NULL). Errors name the path in the tree and the field:
 * "/etc/x: xattr 'foo.bar': namespace not supported by EROFS". */
int vc_erofs_write(const struct vc_tree *t, const struct vc_erofs_options *o,
		   const struct vc_sink *out, struct vc_erofs_result *ret, struct vc_error *err);

/* Parses "none", "lz4", "lz4hc" or "lz4hc:LEVEL" (1..12). */
int vc_erofs_parse_compress(const char *s, enum vc_erofs_compress *ret_c, int *ret_level,
			    struct vc_error *err);

/* crc32c (Castagnoli) without the final inversion, as EROFS stores it:
 * the superblock checksum is vc_erofs_crc32c(~0, sb, 4096 - 1024). */
uint32_t vc_erofs_crc32c(uint32_t crc, const void *buf, size_t len);

#endif
