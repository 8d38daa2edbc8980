/* SPDX-License-Identifier: MIT */
/* EROFS metadata bytes: step 4 of vc_erofs_write (see erofs.c), inodes with
 * their xattrs and compressed-index headers, the shared xattrs and the
 * superblock, written window by window. Spec: Linux 6.1 fs/erofs/erofs_fs.h. */
#include <sys/stat.h>
#include <assert.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "erofs_disk.h"
#include "erofs_priv.h"
#include "vcompose/endian.h"
#include "vcompose/util.h"

#define META_WINDOW (1u << 20) /* metadata written in windows of this */

static uint16_t node_ifmt(const struct vc_node *n)
{
	switch (n->type) {
	case VC_NODE_REG: return S_IFREG;
	case VC_NODE_DIR: return S_IFDIR;
	case VC_NODE_SYMLINK: return S_IFLNK;
	case VC_NODE_CHR: return S_IFCHR;
	case VC_NODE_BLK: return S_IFBLK;
	case VC_NODE_FIFO: return S_IFIFO;
	case VC_NODE_SOCK: return S_IFSOCK;
	}
	return 0;
}

/* ---- step 4: metadata bytes ---- */

static void put_inode(struct writer *w, const struct einode *e, uint8_t *out)
{
	const struct vc_node *n = e->n;
	/* dedupe: the blocks, extents and tail of an equal file */
	const struct einode *src = e->same && !e->frag ? e->same : e;
	uint16_t mode = (uint16_t)(node_ifmt(n) | (n->mode & 07777));
	uint32_t iu = 0;
	uint16_t icount = e->xattr_isize ? (uint16_t)((e->xattr_isize - 12) / 4 + 1) : 0;
	uint16_t format = (uint16_t)(e->extended | e->layout << 1);

	switch (n->type) {
	case VC_NODE_CHR:
	case VC_NODE_BLK:
		iu = (n->rdev_minor & 0xff) | (n->rdev_major & 0xfff) << 8 |
		     (n->rdev_minor & ~0xffu) << 12;
		break;
	case VC_NODE_FIFO:
	case VC_NODE_SOCK: iu = 0; break;
	default:
		if (e->layout == EROFS_INODE_FLAT_COMPRESSION)
			iu = src->n_blocks; /* compressed_blocks */
		else if (e->layout == EROFS_INODE_CHUNK_BASED)
			iu = e->chunkbits - EROFS_BLKBITS; /* the chunk format: a block map */
		else if (e->layout == EROFS_INODE_FLAT_INLINE && e->n_blocks == 0)
			iu = EROFS_NULL_ADDR;
		else
			iu = src->blkaddr;
		break;
	}
	if (e->extended) {
		struct erofs_inode_extended_disk *d = (void *)out;

		vc_put_le16(d->i_format, format);
		vc_put_le16(d->i_xattr_icount, icount);
		vc_put_le16(d->i_mode, mode);
		vc_put_le64(d->i_size, e->size);
		vc_put_le32(d->i_u, iu);
		vc_put_le32(d->i_ino, e->ino);
		vc_put_le32(d->i_uid, n->uid);
		vc_put_le32(d->i_gid, n->gid);
		vc_put_le64(d->i_mtime, (uint64_t)n->mtime);
		vc_put_le32(d->i_mtime_nsec, n->mtime_nsec);
		vc_put_le32(d->i_nlink, n->nlink);
		out += 64;
	} else {
		struct erofs_inode_compact_disk *d = (void *)out;

		vc_put_le16(d->i_format, format);
		vc_put_le16(d->i_xattr_icount, icount);
		vc_put_le16(d->i_mode, mode);
		vc_put_le16(d->i_nlink, (uint16_t)n->nlink);
		vc_put_le32(d->i_size, (uint32_t)e->size);
		vc_put_le32(d->i_u, iu);
		vc_put_le32(d->i_ino, e->ino);
		vc_put_le16(d->i_uid, (uint16_t)n->uid);
		vc_put_le16(d->i_gid, (uint16_t)n->gid);
		out += 32;
	}
	if (e->xattr_isize) {
		vc_erofs_put_ibody(w, e, out);
		out += e->xattr_isize;
	}
	if (e->layout == EROFS_INODE_CHUNK_BASED) {
		/* the block map, at a 4-byte boundary (inode and xattrs keep it) */
		for (size_t k = 0, nc = vc_erofs_chunk_count(e); k < nc; k++)
			vc_put_le32(out + 4 * k, vc_erofs_chunk_addr(w, e->chunks[k]));
		return;
	}
	if (e->layout == EROFS_INODE_FLAT_COMPRESSION) {
		uint32_t core = e->extended ? 64 : 32;
		uint32_t hdr = (uint32_t)VC_ROUND_UP(core + e->xattr_isize, 8);
		struct z_erofs_map_header_disk *h;

		out += hdr - (core + e->xattr_isize);
		if (e->frag || (src->tailpack && src->fragsrc == 0)) {
			/* the whole file in the packed inode: its offset there
			 * (a file whose tail is all of it leaves its indexes unused) */
			vc_put_le64(out, (e->frag ? e : src)->fragoff | 1ull << 63);
			return;
		}
		bool tail = src->tailpack && src->fragsrc < src->size;
		bool inl = e->ztail && e->tail; /* the inline pcluster follows the indexes */

		h = (void *)out;
		vc_put_le16(h->h_advise, Z_EROFS_ADVISE_COMPACTED_2B |
					     (w->big ? Z_EROFS_ADVISE_BIG_PCLUSTER_1 |
							   Z_EROFS_ADVISE_BIG_PCLUSTER_2
						     : 0) |
					     (tail ? Z_EROFS_ADVISE_FRAGMENT_PCLUSTER : 0) |
					     (inl ? Z_EROFS_ADVISE_INLINE_PCLUSTER : 0));
		if (tail) /* h_fragmentoff; below 4 GiB (fragments.c) */
			vc_put_le32(out, (uint32_t)src->fragoff);
		if (inl)
			vc_put_le16(h->h_idata_size, (uint16_t)e->tail);
		h->h_algorithmtype = w->alg_id; /* HEAD1's algorithm */
		h->h_clusterbits = 0;		/* 4 KiB lclusters */
		out += 8;
		vc_erofs_zindex_encode(e->size, (hdr + 8) % 32, src->ext, src->n_ext, src->blkaddr,
				       w->big, out);
	}
}

static int cmp_off(const void *a, const void *b)
{
	const struct einode *x = *(struct einode *const *)a, *y = *(struct einode *const *)b;

	return x->off < y->off ? -1 : x->off > y->off;
}

/* The algorithm's record after the superblock (COMPR_CFGS): a le16 size,
 * then the algorithm's struct; vc_erofs_cfgs_size bytes. */
size_t vc_erofs_cfgs_size(uint8_t alg_id)
{
	switch (alg_id) {
	case Z_EROFS_COMPRESSION_LZMA: return 2 + sizeof(struct z_erofs_lzma_cfgs_disk);
	case Z_EROFS_COMPRESSION_DEFLATE: return 2 + sizeof(struct z_erofs_deflate_cfgs_disk);
	case Z_EROFS_COMPRESSION_ZSTD: return 2 + sizeof(struct z_erofs_zstd_cfgs_disk);
	default: return 2 + sizeof(struct z_erofs_lz4_cfgs_disk);
	}
}

void vc_erofs_put_cfgs(struct writer *w, uint8_t *out)
{
	uint32_t pcluster = w->o->pcluster_size ? w->o->pcluster_size : EROFS_BLKSIZ;
	size_t size = vc_erofs_cfgs_size(w->alg_id) - 2;

	memset(out, 0, size + 2);
	vc_put_le16(out, (uint16_t)size);
	out += 2;
	switch (w->alg_id) {
	case Z_EROFS_COMPRESSION_LZMA: {
		struct z_erofs_lzma_cfgs_disk *c = (void *)out;

		vc_put_le32(c->dict_size, vc_erofs_lzma_dict(pcluster));
		break;
	}
	case Z_EROFS_COMPRESSION_DEFLATE: {
		struct z_erofs_deflate_cfgs_disk *c = (void *)out;

		c->windowbits = 15;
		break;
	}
	case Z_EROFS_COMPRESSION_ZSTD: {
		struct z_erofs_zstd_cfgs_disk *c = (void *)out;

		c->windowlog = VC_EROFS_ZSTD_WINDOWLOG - 10;
		break;
	}
	default: {
		struct z_erofs_lz4_cfgs_disk *c = (void *)out;

		vc_put_le16(c->max_distance, 65535);
		vc_put_le16(c->max_pclusterblks, (uint16_t)(pcluster / EROFS_BLKSIZ));
		break;
	}
	}
}

static void put_super(struct writer *w, uint8_t *block0, uint32_t blocks)
{
	struct erofs_super_block_disk *sb = (void *)(block0 + EROFS_SUPER_OFFSET);
	const struct vc_erofs_options *o = w->o;

	memset(sb, 0, sizeof(*sb));
	vc_put_le32(sb->magic, EROFS_MAGIC);
	vc_put_le32(sb->feature_compat,
		    EROFS_FEATURE_COMPAT_SB_CHKSUM | EROFS_FEATURE_COMPAT_MTIME);
	sb->blkszbits = EROFS_BLKBITS;
	vc_put_le16(sb->root_nid, (uint16_t)(w->order[0]->off / EROFS_ISLOT));
	vc_put_le64(sb->inos, w->n_inodes);
	vc_put_le64(sb->build_time, (uint64_t)w->build_time);
	vc_put_le32(sb->blocks, blocks);
	vc_put_le32(sb->meta_blkaddr, 0);
	vc_put_le32(sb->xattr_blkaddr, 0);
	memcpy(sb->uuid, o->uuid, 16);
	if (o->label)
		memcpy(sb->volume_name, o->label, strlen(o->label));
	if (w->n_compressed && !w->cfgs) {
		vc_put_le32(sb->feature_incompat, EROFS_FEATURE_INCOMPAT_LZ4_0PADDING);
		/* lz4_max_distance: LZ4's own window, as mkfs.erofs states it */
		vc_put_le16(sb->u1, 65535);
	} else if (w->n_compressed) {
		vc_put_le32(sb->feature_incompat, EROFS_FEATURE_INCOMPAT_LZ4_0PADDING |
						      EROFS_FEATURE_INCOMPAT_COMPR_CFGS);
		vc_put_le16(sb->u1, (uint16_t)(1u << w->alg_id));
		vc_erofs_put_cfgs(w, block0 + EROFS_SUPER_OFFSET + sizeof(*sb));
	}
	if (w->n_inlined) /* as mkfs.erofs: only when a file has an inline pcluster */
		vc_put_le32(sb->feature_incompat, vc_get_le32(sb->feature_incompat) |
						      EROFS_FEATURE_INCOMPAT_ZTAILPACKING);
	if (w->n_chunked)
		vc_put_le32(sb->feature_incompat, vc_get_le32(sb->feature_incompat) |
						      EROFS_FEATURE_INCOMPAT_CHUNKED_FILE);
	if (w->packed_inode) {
		vc_put_le32(sb->feature_incompat,
			    vc_get_le32(sb->feature_incompat) | EROFS_FEATURE_INCOMPAT_FRAGMENTS);
		vc_put_le64(sb->packed_nid, w->packed_inode->off / EROFS_ISLOT);
	}
	vc_put_le32(sb->checksum, vc_erofs_crc32c(~0u, block0 + EROFS_SUPER_OFFSET,
						  EROFS_BLKSIZ - EROFS_SUPER_OFFSET));
}

int vc_erofs_write_meta(struct writer *w, uint32_t blocks)
{
	uint64_t meta_bytes = VC_ROUND_UP(w->meta_end, EROFS_BLKSIZ);
	struct einode **byoff = malloc(w->n_inodes * sizeof(*byoff));
	uint8_t *win = malloc(META_WINDOW);
	uint8_t *item = malloc(EROFS_BLKSIZ * 64ull + 64);
	size_t next = 0, k_shared = 0;
	int r = 0;

	if (!byoff || !win || !item) {
		r = vc_errorf(w->err, VC_ENOMEM, "erofs: out of memory (metadata)");
		goto out;
	}
	memcpy(byoff, w->order, w->n_inodes * sizeof(*byoff));
	qsort(byoff, w->n_inodes, sizeof(*byoff), cmp_off);

	for (uint64_t wo = 0; wo < meta_bytes && r == 0; wo += META_WINDOW) {
		uint64_t wl = meta_bytes - wo < META_WINDOW ? meta_bytes - wo : META_WINDOW;

		r = vc_sink_pread(w->out, win, (size_t)wl, wo, w->err);
		if (r < 0)
			break;
		/* shared xattrs */
		for (; k_shared < w->n_shared; k_shared++) {
			const struct xpair *p = w->shared[k_shared];
			uint64_t at = (uint64_t)p->id * 4;
			uint8_t ent[4 + 255 + 65536 + 4];
			size_t sz;

			if (at >= wo + wl)
				break;
			sz = vc_erofs_put_shared(p, ent);
			for (size_t b = 0; b < sz; b++)
				if (at + b >= wo && at + b < wo + wl)
					win[at + b - wo] = ent[b];
			if (at + sz > wo + wl)
				break; /* continues in the next window */
		}
		/* inodes overlapping the window */
		while (next < w->n_inodes && byoff[next]->off < wo + wl) {
			struct einode *e = byoff[next];
			size_t hl = e->header;
			uint8_t *buf = item;

			if (hl > EROFS_BLKSIZ * 64ull) {
				buf = malloc(hl);
				if (!buf) {
					r = vc_errorf(w->err, VC_ENOMEM, "erofs: out of memory");
					break;
				}
			}
			memset(buf, 0, hl);
			put_inode(w, e, buf);
			for (size_t b = 0; b < hl; b++)
				if (e->off + b >= wo && e->off + b < wo + wl)
					win[e->off + b - wo] = buf[b];
			if (buf != item)
				free(buf);
			if (e->off + hl > wo + wl)
				break; /* straddles: finish in the next window too */
			next++;
		}
		if (wo == 0)
			put_super(w, win, blocks);
		if (r == 0)
			r = vc_sink_pwrite(w->out, win, (size_t)wl, wo, w->err);
	}
	/* ztailpacking: the inodes placed with the data, over the zeros of
	 * their blocks (their inline tails are there already) */
	for (size_t i = 0; i < w->n_inodes && r == 0; i++) {
		const struct einode *e = w->order[i];

		if (!e->ztail)
			continue;
		memset(item, 0, e->header);
		put_inode(w, e, item);
		r = vc_sink_pwrite(w->out, item, e->header, e->off, w->err);
	}
	if (r == 0 && w->packed_inode) {
		/* the packed inode, after the data: whole blocks of its own */
		const struct einode *p = w->packed_inode;
		size_t len = VC_ROUND_UP((size_t)p->header, EROFS_BLKSIZ);
		uint8_t *buf = calloc(1, len);

		if (!buf) {
			r = vc_errorf(w->err, VC_ENOMEM, "erofs: out of memory");
			goto out;
		}
		put_inode(w, p, buf);
		r = vc_sink_pwrite(w->out, buf, len, p->off, w->err);
		free(buf);
	}
out:
	free(byoff);
	free(win);
	free(item);
	return r;
}

/* Lays zeros over the metadata area before anything lands in it. */
int vc_erofs_zero_meta(struct writer *w)
{
	uint64_t meta_bytes = VC_ROUND_UP(w->meta_end, EROFS_BLKSIZ);
	uint8_t *z = calloc(1, META_WINDOW);
	int r = 0;

	if (!z)
		return vc_errorf(w->err, VC_ENOMEM, "erofs: out of memory");
	for (uint64_t o = 0; o < meta_bytes && r == 0; o += META_WINDOW) {
		uint64_t l = meta_bytes - o < META_WINDOW ? meta_bytes - o : META_WINDOW;

		r = vc_sink_pwrite(w->out, z, (size_t)l, o, w->err);
	}
	free(z);
	return r;
}
