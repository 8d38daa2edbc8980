/* SPDX-License-Identifier: MIT */
/* EROFS image writer. Spec: Linux 6.1 fs/erofs/erofs_fs.h, fs/erofs/inode.c,
 * dir.c, namei.c, xattr.c, zmap.c (what the reader expects); erofs-utils 1.5
 * for the superblock checksum and the choices mkfs.erofs makes.
 *
 * Plan, then bytes:
 *  1. inodes: one per node that is not a secondary hardlink, in tree
 *     pre-order; xattrs named by prefix index; pairs used twice or more go
 *     to the shared area; compact or extended; data layout and tail size;
 *  2. metadata layout: superblock, shared xattrs, then inodes from byte
 *     1152 of block 0 (nid = offset / 32), root first; an inode with inline
 *     data stays within one block (the reader wants the tail in the
 *     inode's block); gaps left by that are filled by later inodes that fit;
 *  3. data: after the metadata, every inode's blocks in pre-order. Files are
 *     cut into segments of 4 MiB (16 MiB compressed), compressed on the
 *     pool and placed strictly in order, so block addresses never depend
 *     on the thread count (see data.c);
 *     With fragments, the packed inode's data come last, once every
 *     file's tail is known, and its inode after them (fragments.c);
 *     with ztailpacking, a compressed file's inode follows its data (its
 *     inline tail's size is known only then) and directories come last;
 *  4. metadata bytes, written window by window over the zeros laid down
 *     first (tails of files were written in step 3), superblock last with
 *     its checksum.
 * Files: plan.c (steps 1 and 2), xattrs.c (name indexes, the shared area,
 * inline bodies), data.c (step 3), meta.c (step 4), compress.c (clusters
 * and their indexes); their shared state is struct writer (erofs_priv.h). */
#include <assert.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "erofs_disk.h"
#include "erofs_priv.h"
#include "vcompose/endian.h"
#include "vcompose/util.h"

/* ---- crc32c ---- */

uint32_t vc_erofs_crc32c(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1)));
	}
	return crc;
}

int vc_erofs_write(const struct vc_tree *t, const struct vc_erofs_options *o,
		   const struct vc_sink *out, struct vc_erofs_result *ret, struct vc_error *err)
{
	struct writer w = {.t = t, .o = o, .out = out, .err = err};
	int r;

	if (!t || t->n_nodes == 0 || !t->root || t->root->type != VC_NODE_DIR)
		return vc_errorf(err, VC_EINVAL, "erofs: the tree has no root directory");
	if (o->label && strlen(o->label) > VC_EROFS_LABEL_MAX)
		return vc_errorf(err, VC_EINVAL, "erofs: label '%s' is longer than %d bytes",
				 o->label, VC_EROFS_LABEL_MAX);
	r = vc_erofs_check_options(o, err);
	if (r < 0)
		return r;
	if (o->have_build_time) {
		w.build_time = o->build_time;
	} else {
		w.build_time = INT64_MIN;
		for (size_t i = 0; i < t->n_nodes; i++)
			if (t->nodes[i]->mtime > w.build_time)
				w.build_time = t->nodes[i]->mtime;
	}
	if (w.build_time < 0)
		w.build_time = 0;
	w.meta_start = EROFS_SUPER_OFFSET + sizeof(struct erofs_super_block_disk);
	if (o->compress != VC_EROFS_NONE) {
		static const uint8_t ids[] = {
		    [VC_EROFS_LZ4] = Z_EROFS_COMPRESSION_LZ4,
		    [VC_EROFS_LZ4HC] = Z_EROFS_COMPRESSION_LZ4,
		    [VC_EROFS_ZSTD] = Z_EROFS_COMPRESSION_ZSTD,
		    [VC_EROFS_LZMA] = Z_EROFS_COMPRESSION_LZMA,
		    [VC_EROFS_DEFLATE] = Z_EROFS_COMPRESSION_DEFLATE,
		};

		w.alg_id = ids[o->compress];
		w.big = o->pcluster_size > EROFS_BLKSIZ;
		w.cfgs = w.big || w.alg_id != Z_EROFS_COMPRESSION_LZ4;
		/* with fragments, tails go to the packed inode (as mkfs.erofs) */
		w.ztail = (o->features & VC_EROFS_FEATURE_ZTAILPACKING) &&
			  !(o->features & VC_EROFS_FEATURE_FRAGMENTS);
		if (w.cfgs) /* the record is at a 4-byte boundary: 1152 is one */
			w.meta_start += vc_erofs_cfgs_size(w.alg_id);
	}

	r = vc_erofs_probe_files(&w);
	if (r == 0)
		r = vc_erofs_plan_inodes(&w);
	if (r == 0)
		r = vc_erofs_plan_meta(&w);
	if (r == 0)
		r = vc_erofs_zero_meta(&w);
	if (r == 0)
		r = vc_erofs_write_data(&w);
	if (r == 0)
		r = vc_erofs_write_meta(&w, w.next_blk);
	if (r == 0 && ret) {
		memset(ret, 0, sizeof(*ret));
		ret->size = (uint64_t)w.next_blk * EROFS_BLKSIZ;
		ret->n_inodes = w.n_inodes;
		ret->meta_bytes = VC_ROUND_UP(w.meta_end, EROFS_BLKSIZ);
		ret->data_bytes = ret->size - ret->meta_bytes;
		ret->n_compressed_files = w.n_compressed;
		ret->n_shared_xattrs = w.n_shared;
		ret->n_fragments = w.n_members - w.n_tails + w.n_deduped;
		ret->n_deduped = w.n_deduped;
		ret->n_chunked = w.n_chunked;
		ret->n_shared_chunks = w.n_shared_chunks;
		ret->hole_bytes = w.hole_bytes;
		ret->min_kver = vc_erofs_min_kver(o);
		if (w.n_chunked && ret->min_kver < VC_EROFS_KVER_CHUNKS)
			ret->min_kver = VC_EROFS_KVER_CHUNKS;
		ret->root_nid = (uint16_t)(w.order[0]->off / EROFS_ISLOT);
	}
	for (size_t i = 0; w.inodes && i <= t->n_nodes; i++) {
		free(w.inodes[i].ext);
		free(w.inodes[i].chunks);
	}
	free(w.inodes);
	free(w.incompressible);
	free(w.sparse);
	free(w.members);
	free(w.order);
	free(w.shared);
	free(w.xt.slots);
	return r;
}
