/* SPDX-License-Identifier: MIT */
/* Internals shared by the EROFS writer's files (not installed). */
#ifndef VC_EROFS_PRIV_H
#define VC_EROFS_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vcompose/erofs.h"

/* One extent of a compressed file: a 4 KiB physical cluster holding either
 * LZ4 data (0-padded at its start) or raw bytes, for the logical range
 * [lstart, lstart + llen). Clusters of a file are consecutive blocks. */
struct z_extent {
	uint64_t lstart;
	uint32_t llen;
	uint8_t raw; /* 1: stored as it is (PLAIN lcluster); 0: LZ4 (HEAD) */
};

/* Compresses in[0..len) (a segment that starts at a 4 KiB boundary of the
 * file, at logical offset lstart) into whole 4 KiB clusters appended to
 * out (len_out bytes, a multiple of 4096, capacity enough for len rounded
 * up to blocks) and extents appended to ext. hc_state: NULL for LZ4, else
 * an LZ4HC state of LZ4_sizeofStateHC() bytes. Returns the number of
 * extents. Pure function: the bytes depend on the input and level only. */
size_t vc_erofs_compress_segment(const uint8_t *in, size_t len, uint64_t lstart, void *hc_state,
				 int level, uint8_t *out, struct z_extent *ext);

/* Upper bound of extents for a segment of len bytes. */
static inline size_t vc_erofs_max_extents(size_t len)
{
	return (len + 4095) / 4096 + 1;
}

/* Bytes of the compact index area (after the 8-byte map header) of a file
 * of size bytes whose indexes start at byte ebase_mod32 modulo 32. */
size_t vc_erofs_zindex_size(uint64_t size, unsigned ebase_mod32);

/* Encodes the compact indexes of a file (size bytes, extents ext[0..n),
 * first cluster at block blkaddr) into out (vc_erofs_zindex_size bytes). */
void vc_erofs_zindex_encode(uint64_t size, unsigned ebase_mod32, const struct z_extent *ext,
			    size_t n, uint32_t blkaddr, uint8_t *out);

/* ---- the writer's state, shared by its files ---- */

/* A (name, value) pair, counted across inodes (xattrs.c). */
struct xpair {
	const struct vc_xattr *x; /* first occurrence */
	uint64_t hash;
	uint32_t count;
	uint32_t id; /* shared: id (offset / 4 from xattr_blkaddr); else UINT32_MAX */
};

struct xtable {
	struct xpair *slots;
	size_t cap; /* power of two */
	size_t used;
};

struct einode {
	const struct vc_node *n;
	uint64_t off;  /* byte offset of the inode in the image */
	uint64_t size; /* i_size */
	uint32_t ino;
	uint32_t xattr_isize;
	uint32_t n_shared;
	uint32_t header;   /* core + xattrs (+ map header and indexes) */
	uint32_t tail;	   /* inline data bytes after the header */
	uint32_t blkaddr;  /* first data block */
	uint32_t n_blocks; /* data blocks */
	uint8_t extended;
	uint8_t layout; /* EROFS_INODE_FLAT_* */
	uint8_t placed;
	struct z_extent *ext; /* compressed files */
	size_t n_ext, cap_ext;
};

struct dent {
	const char *name;
	size_t len;
	const struct vc_node *target; /* the inode's node (hardlinks resolved) */
};

struct writer {
	const struct vc_tree *t;
	const struct vc_erofs_options *o;
	const struct vc_sink *out;
	struct vc_error *err;
	int64_t build_time;
	struct einode *inodes; /* by node index; only inode owners are filled */
	size_t n_inodes;
	struct einode **order; /* inode owners in pre-order */
	struct xtable xt;
	const struct xpair **shared; /* shared pairs in id order */
	size_t n_shared;
	uint64_t meta_start; /* end of the superblock (and its extension) */
	uint64_t shared_end; /* end of the shared xattr area */
	uint64_t meta_end;   /* end of metadata (bytes) */
	uint32_t next_blk;   /* next free data block */
	uint64_t n_compressed;
	uint8_t *incompressible; /* by node index: the probe found nothing to gain */
};

/* The inode's node of n: hardlinks share their first node's inode. */
static inline const struct vc_node *vc_erofs_owner(const struct vc_node *n)
{
	return n->link_first ? n->link_first : n;
}

static inline struct einode *vc_erofs_inode_of(struct writer *w, const struct vc_node *n)
{
	return &w->inodes[vc_erofs_owner(n)->index];
}

/* plan.c: steps 1 and 2 */
char *vc_erofs_node_path(const struct vc_node *n, char *buf, size_t cap);
int vc_erofs_dir_entries(const struct vc_node *d, struct dent **ret, size_t *ret_n,
			 struct vc_error *err);
uint64_t vc_erofs_dir_size(const struct dent *e, size_t n, uint64_t *ret_blocks);
void vc_erofs_dir_render(struct writer *w, const struct dent *e, size_t n, uint8_t *out);
bool vc_erofs_node_is_compressed(const struct writer *w, const struct vc_node *n);
int vc_erofs_probe_files(struct writer *w);
int vc_erofs_plan_inodes(struct writer *w);
int vc_erofs_plan_meta(struct writer *w);

/* xattrs.c */
int vc_erofs_plan_xattrs(struct writer *w);
int vc_erofs_plan_ibody(struct writer *w, struct einode *e);
void vc_erofs_put_ibody(struct writer *w, const struct einode *e, uint8_t *out);
size_t vc_erofs_put_shared(const struct xpair *p, uint8_t *out);

/* data.c: step 3 */
int vc_erofs_read_content(struct writer *w, const struct vc_node *n, uint64_t off, uint8_t *buf,
			  size_t len, struct vc_error *err);
int vc_erofs_write_data(struct writer *w);

/* meta.c: step 4 */
int vc_erofs_zero_meta(struct writer *w);
int vc_erofs_write_meta(struct writer *w, uint32_t blocks);

#endif
