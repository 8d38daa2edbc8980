/* SPDX-License-Identifier: MIT */
/* Internals shared by the EROFS writer's files (not installed). */
#ifndef VC_EROFS_PRIV_H
#define VC_EROFS_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <lzma.h>
#include <stdint.h>
#include <zlib.h>
#include <zstd.h>

#include "vcompose/erofs.h"

/* One extent of a compressed file: a physical cluster of nblk blocks
 * holding compressed data (0-padded at its start) or one block of raw
 * bytes, for the logical range [lstart, lstart + llen). Clusters of a
 * file are consecutive blocks. The file's tail kept in the packed inode
 * (fragments) is an extent of no blocks, last. */
struct z_extent {
	uint64_t lstart;
	uint32_t llen;
	uint16_t nblk; /* blocks of the pcluster; 1 when raw; 0: the tail fragment */
	uint8_t raw;   /* 1: stored as it is (PLAIN lcluster); 0: compressed (HEAD) */
	uint8_t inl;   /* ztailpacking: the last extent, inline after the inode (nblk 0) */
};

/* What the last segment of a file does with its rest (compress.c). */
struct z_tail {
	bool fragment;	     /* in: it goes to the packed inode (fragments) */
	uint32_t inline_max; /* in: ztailpacking: at most this many bytes may follow
			      * the inode (0: none) */
	uint32_t ilen;	     /* out: bytes of the inline tail, after the blocks in out */
};

#define VC_EROFS_ZSTD_WINDOWLOG 20

/* A pool task's input of a compressed file (data.c): each cut costs a
 * pcluster that is not full. */
#define VC_EROFS_SEGMENT_Z (16u << 20) /* Z_EROFS_ZSTD_MAX_DICT_SIZE: 1 MiB */

/* A compressor's state, one per lane (compress.c). */
struct vc_erofs_codec {
	enum vc_erofs_compress alg;
	int level;	   /* resolved: never 0 for a leveled algorithm */
	uint32_t pcluster; /* bytes */
	bool legacy;	   /* LZ4 / LZ4HC into 4 KiB: what Linux 5.4 reads */
	uint8_t *tmp[2];   /* tmp_cap bytes each: tries and the best fit */
	size_t tmp_cap;
	int best;
	void *hc; /* LZ4HC state */
	ZSTD_CCtx *zstd;
	z_stream z;
	bool z_live;
	lzma_stream xz;
	lzma_options_lzma xz_opt;
};

int vc_erofs_codec_init(struct vc_erofs_codec *c, const struct vc_erofs_options *o,
			struct vc_error *err);
void vc_erofs_codec_fini(struct vc_erofs_codec *c);

/* The microLZMA dictionary for pclusters of this size (written in the
 * superblock's LZMA record too). */
uint32_t vc_erofs_lzma_dict(uint32_t pcluster);

/* Compresses in[0..len) (a segment that starts at a 4 KiB boundary of the
 * file, at logical offset lstart) into pclusters appended to out (a
 * multiple of 4096 bytes, capacity enough for len rounded up to blocks)
 * and extents appended to ext. Returns the number of extents. The bytes
 * depend on the input and the codec's algorithm, level and pcluster size
 * only. tail: the file's last segment, else NULL. With tail->fragment, the
 * rest of the segment becomes the tail fragment (an extent of no blocks,
 * last) once it fits one pcluster's worth of input (as bytes, or
 * compressed). With tail->inline_max, a rest that compresses into at most
 * that many bytes (or is no longer, raw) becomes the inline extent, its
 * tail->ilen bytes right after the blocks in out (ztailpacking). */
size_t vc_erofs_compress_segment(const uint8_t *in, size_t len, uint64_t lstart,
				 struct vc_erofs_codec *c, struct z_tail *tail, uint8_t *out,
				 struct z_extent *ext);

/* The most input a tail fragment can hold: a pcluster's worth, or what
 * one pcluster's compressed form may carry. */
uint64_t vc_erofs_max_tail(const struct vc_erofs_options *o);

/* Upper bound of extents for a segment of len bytes. */
static inline size_t vc_erofs_max_extents(size_t len)
{
	return (len + 4095) / 4096 + 1;
}

/* Bytes of the compact index area (after the 8-byte map header) of a file
 * of size bytes whose indexes start at byte ebase_mod32 modulo 32. */
size_t vc_erofs_zindex_size(uint64_t size, unsigned ebase_mod32);

/* Encodes the compact indexes of a file (size bytes, extents ext[0..n),
 * first cluster at block blkaddr) into out (vc_erofs_zindex_size bytes);
 * big: with big pclusters (CBLKCNT, pack bases as the kernel counts). */
void vc_erofs_zindex_encode(uint64_t size, unsigned ebase_mod32, const struct z_extent *ext,
			    size_t n, uint32_t blkaddr, bool big, uint8_t *out);

/* options.c */
#define VC_EROFS_FEATURES_BUILT                                                                    \
	(VC_EROFS_FEATURE_FRAGMENTS | VC_EROFS_FEATURE_DEDUPE | VC_EROFS_FEATURE_ZTAILPACKING |    \
	 VC_EROFS_FEATURE_CHUNKS)
#define VC_EROFS_KVER_CHUNKS VC_EROFS_KVER(5, 15) /* chunk-based files, holes */
int vc_erofs_level_default(enum vc_erofs_compress c);
int vc_erofs_check_level(enum vc_erofs_compress c, int level, struct vc_error *err);

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

/* Where a chunk of a chunk-based file is: blk blocks into the data of the
 * inode of node index owner (this file, or an earlier one holding equal
 * bytes, whose blocks may be flat), or nowhere (a hole). */
#define VC_EROFS_HOLE UINT32_MAX
struct chunkref {
	uint32_t owner; /* node index; VC_EROFS_HOLE: a null chunk */
	uint32_t blk;
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
	uint8_t frag;		 /* the whole file is in the packed inode (fragments.c) */
	uint8_t tailpack;	 /* compressed, its tail may go to the packed inode */
	uint64_t fragoff;	 /* where its fragment is in the packed inode */
	uint64_t fragsrc;	 /* where the fragment starts in the file (tails; else size) */
	struct einode *same;	 /* dedupe: an earlier file of equal content */
	uint8_t ztail;		 /* ztailpacking: its inode follows its data (data.c) */
	uint8_t chunkbits;	 /* chunk-based: log2 of the chunk size in bytes */
	struct chunkref *chunks; /* chunk-based: one per chunk */
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
	bool big;		 /* big pclusters */
	bool cfgs;		 /* COMPR_CFGS: a record for the algorithm after the superblock */
	uint8_t alg_id;		 /* Z_EROFS_COMPRESSION_* */
	uint8_t *incompressible; /* by node index: the probe found nothing to gain */
	uint8_t *sparse;	 /* by node index: the input has holes (kept as holes) */
	uint64_t n_chunked, n_shared_chunks, hole_bytes;
	uint32_t next_ino; /* the next i_ino to give */
	/* fragments: the packed inode's node and inode, its members in order */
	struct vc_node packed;
	struct einode *packed_inode;
	struct einode **members; /* in offset order: whole files, then tails */
	size_t n_members;
	uint64_t packed_bound; /* most bytes the packed inode can reach (with tails) */
	uint64_t n_deduped;    /* fragments sharing another file's bytes */
	uint64_t n_tails;      /* files whose tail is in the packed inode */
	/* ztailpacking (without fragments): compressed files whose inodes
	 * follow their data, directories after all files (data.c) */
	bool ztail;
	uint64_t n_inlined; /* files with an inline pcluster */
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

int vc_erofs_plan_layout(struct writer *w, struct einode *e);

/* Gaps at the ends of blocks of inodes, queued by their free 32-byte
 * slots, oldest first, for best-fit placing (plan.c). */
#define VC_EROFS_SLOTS_PER_BLOCK 128 /* 4096 / 32 */
struct vc_erofs_gaps {
	uint64_t *q[VC_EROFS_SLOTS_PER_BLOCK]; /* by free slots: start offsets */
	size_t head[VC_EROFS_SLOTS_PER_BLOCK], n[VC_EROFS_SLOTS_PER_BLOCK],
	    cap[VC_EROFS_SLOTS_PER_BLOCK];
};
/* Queues the gap from start to the end of its block (none when start is
 * at a block boundary). */
int vc_erofs_gap_push(struct vc_erofs_gaps *g, uint64_t start, struct vc_error *err);
/* The free slots of the fullest gap of at least k slots; 0 if none. Its
 * start is g->q[f][g->head[f]++]. */
size_t vc_erofs_gap_best(const struct vc_erofs_gaps *g, size_t k);
void vc_erofs_gaps_free(struct vc_erofs_gaps *g);

/* fragments.c */
bool vc_erofs_is_fragment(const struct writer *w, const struct vc_node *n);
int vc_erofs_plan_fragments(struct writer *w);
uint64_t vc_erofs_pack(struct writer *w);
uint32_t vc_erofs_packed_header(const struct writer *w);
int vc_erofs_read_packed(struct writer *w, uint64_t off, uint8_t *buf, size_t len,
			 struct vc_error *err);

/* chunks.c */
bool vc_erofs_holes_allowed(const struct writer *w);
/* 1 when the descriptor open hands out for n has a hole before n's last
 * block (SEEK_HOLE), 0 when not, < 0 on error. */
int vc_erofs_input_holes(const struct vc_erofs_options *o, const struct vc_node *n,
			 struct vc_error *err);
int vc_erofs_plan_chunks(struct writer *w);
size_t vc_erofs_chunk_count(const struct einode *e);
uint32_t vc_erofs_chunk_addr(const struct writer *w, struct chunkref c);

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
size_t vc_erofs_cfgs_size(uint8_t alg_id);
void vc_erofs_put_cfgs(struct writer *w, uint8_t *out);

#endif
