/* SPDX-License-Identifier: MIT */
/* EROFS reader. Spec: Linux 6.1 fs/erofs/erofs_fs.h: the superblock at byte
 * 1024 (magic, crc32c checksum over bytes 1024..4095 with the field zeroed
 * when feature_compat has SB_CHKSUM), inodes at meta_blkaddr * 4096 + nid * 32
 * (compact 32 bytes or extended 64, then inline xattrs, then the inline tail
 * of FLAT_INLINE data, the block map of chunk-based files, or the map
 * header, indexes and inline pcluster of compressed ones), directory
 * blocks of 12-byte dirents followed by their names. Only 4 KiB blocks.
 * Nothing is trusted: every nid, block address, name offset and size is
 * checked against the image before it is used. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "erofs/erofs_disk.h"
#include "vcompose/endian.h"
#include "vcompose/erofs.h"
#include "inspect_priv.h"

int erofs_read_sb(const struct img *im, uint64_t off, uint64_t len, struct erofs_info *ret,
		  struct vc_error *err)
{
	uint8_t b[EROFS_BLKSIZ - EROFS_SUPER_OFFSET];
	const struct erofs_super_block_disk *sb = (const void *)b;
	int r;

	memset(ret, 0, sizeof(*ret));
	if (len < EROFS_BLK)
		return vc_errorf(err, VC_EINVAL, "EROFS: %llu bytes, not even one block",
				 (unsigned long long)len);
	r = img_read(im, off + EROFS_SUPER_OFFSET, b, sizeof(b), err);
	if (r < 0)
		return r;
	if (vc_get_le32(sb->magic) != EROFS_MAGIC)
		return vc_errorf(err, VC_EINVAL, "EROFS: no magic at byte 1024 (0x%08x)",
				 vc_get_le32(sb->magic));
	ret->checksum = vc_get_le32(sb->checksum);
	ret->feature_compat = vc_get_le32(sb->feature_compat);
	ret->blkszbits = sb->blkszbits;
	ret->root_nid = vc_get_le16(sb->root_nid);
	ret->inos = vc_get_le64(sb->inos);
	ret->build_time = vc_get_le64(sb->build_time);
	ret->build_time_nsec = vc_get_le32(sb->build_time_nsec);
	ret->blocks = vc_get_le32(sb->blocks);
	ret->meta_blkaddr = vc_get_le32(sb->meta_blkaddr);
	ret->xattr_blkaddr = vc_get_le32(sb->xattr_blkaddr);
	memcpy(ret->uuid, sb->uuid, 16);
	memcpy(ret->label, sb->volume_name, 16);
	ret->label[16] = 0;
	ret->feature_incompat = vc_get_le32(sb->feature_incompat);
	ret->u1 = vc_get_le16(sb->u1);
	ret->has_csum = ret->feature_compat & EROFS_FEATURE_COMPAT_SB_CHKSUM;
	memset(b + offsetof(struct erofs_super_block_disk, checksum), 0, 4);
	ret->computed = vc_erofs_crc32c(~0u, b, sizeof(b));
	if (ret->blkszbits != 12)
		return vc_errorf(err, VC_EUNSUPP,
				 "EROFS: blkszbits %u: only 4096-byte blocks are read",
				 ret->blkszbits);
	if ((uint64_t)ret->blocks * EROFS_BLK > len || ret->blocks == 0)
		return vc_errorf(err, VC_EINVAL,
				 "EROFS: %u blocks (%llu bytes) do not fit in %llu bytes",
				 ret->blocks, (unsigned long long)ret->blocks * EROFS_BLK,
				 (unsigned long long)len);
	if (ret->meta_blkaddr >= ret->blocks)
		return vc_errorf(err, VC_EINVAL, "EROFS: meta_blkaddr %u beyond the %u blocks",
				 ret->meta_blkaddr, ret->blocks);
	return 0;
}

struct walk {
	const struct img *im;
	uint64_t off, fs_size;
	const struct erofs_info *sb;
	erofs_walk_fn fn;
	void *ctx;
	uint8_t *seen;	  /* bitmap by nid: an inode starts here and was visited */
	uint8_t *isdir;	  /* bitmap by nid: ... and is a directory */
	uint8_t *covered; /* bitmap by nid: a slot inside a visited inode */
	uint64_t max_nid;
	uint64_t count;
	char path[4096];
};

/* A chunk-based inode (layout 4): i_u's low 16 bits are the chunk format;
 * after inode and xattrs, at the entry size's boundary, a le32 block
 * address per chunk (or 8-byte indexes, blkaddr at byte 4); EROFS_NULL_ADDR
 * is a hole. Every chunk must lie within the image. */
static int read_chunks(struct walk *w, struct erofs_inode *ino, struct vc_error *err)
{
	unsigned fmt = ino->i_u & 0xffff, bits = fmt & EROFS_CHUNK_FORMAT_BLKBITS_MASK;
	bool idx = fmt & EROFS_CHUNK_FORMAT_INDEXES;
	unsigned unit =
	    idx ? sizeof(struct erofs_inode_chunk_index_disk) : EROFS_BLOCK_MAP_ENTRY_SIZE;
	size_t blk_at = idx ? offsetof(struct erofs_inode_chunk_index_disk, blkaddr) : 0;
	uint64_t cblocks = UINT64_C(1) << bits, count, at;
	uint8_t b[4096];

	if ((ino->i_u >> 16) ||
	    (fmt & ~(EROFS_CHUNK_FORMAT_BLKBITS_MASK | EROFS_CHUNK_FORMAT_INDEXES)))
		return vc_errorf(err, VC_EINVAL, "nid %llu: chunk format 0x%x has unknown bits",
				 (unsigned long long)ino->nid, ino->i_u);
	count = VC_DIV_ROUND_UP(ino->size, cblocks * EROFS_BLK);
	at = VC_ROUND_UP(ino->meta_off + ino->meta_len, unit);
	if (count > w->fs_size / unit || at + count * unit > w->fs_size)
		return vc_errorf(err, VC_EINVAL,
				 "nid %llu: %llu chunks of %llu bytes: the map is beyond the image",
				 (unsigned long long)ino->nid, (unsigned long long)count,
				 (unsigned long long)(cblocks * EROFS_BLK));
	ino->meta_len = at + count * unit - ino->meta_off;
	for (uint64_t k = 0; k < count; k++) {
		size_t i = (size_t)(k % (sizeof(b) / unit)) * unit;
		int r = i ? 0
			  : img_read(w->im, w->off + at + k * unit, b,
				     (size_t)((count - k) * unit < sizeof(b) ? (count - k) * unit
									     : sizeof(b)),
				     err);
		uint32_t blk = vc_get_le32(b + i + blk_at);
		uint64_t len =
		    k + 1 < count ? cblocks : VC_DIV_ROUND_UP(ino->size, EROFS_BLK) - k * cblocks;

		if (r < 0)
			return r;
		if (blk != EROFS_NULL_ADDR && (blk >= w->sb->blocks || len > w->sb->blocks - blk))
			return vc_errorf(err, VC_EINVAL,
					 "nid %llu: chunk %llu at blocks %u..+%llu beyond the %u "
					 "blocks",
					 (unsigned long long)ino->nid, (unsigned long long)k, blk,
					 (unsigned long long)len, w->sb->blocks);
	}
	return 0;
}

/* A compressed inode (layout 1 full, 3 compact indexes): after inode and
 * xattrs, at the next 8-byte boundary, the map header; then one index per
 * lcluster (8 bytes each in the full format; compact: 4-byte entries in
 * packs of 2 up to a 32-byte boundary, 2-byte entries in packs of 16 while
 * 16 are left when COMPACTED_2B, then 4-byte ones), then the inline
 * pcluster of h_idata_size bytes (ztailpacking), which the reader takes
 * from the end of the last lcluster's pack (Linux fs/erofs/zmap.c). A map
 * header with bit 7 of h_clusterbits is all a whole-file fragment has. */
static int read_zmap(struct walk *w, struct erofs_inode *ino, struct vc_error *err)
{
	uint8_t b[sizeof(struct z_erofs_map_header_disk)];
	const struct z_erofs_map_header_disk *h = (const void *)b;
	uint64_t at = VC_ROUND_UP(ino->meta_off + ino->meta_len, 8), end = at + sizeof(b);
	int r;

	if (end > w->fs_size)
		return vc_errorf(err, VC_EINVAL, "nid %llu: map header beyond the image",
				 (unsigned long long)ino->nid);
	r = img_read(w->im, w->off + at, b, sizeof(b), err);
	if (r < 0)
		return r;
	if (!(h->h_clusterbits >> Z_EROFS_FRAGMENT_INODE_BIT)) {
		unsigned lbits = EROFS_BLKBITS + (h->h_clusterbits & 7);
		uint64_t n = (ino->size >> lbits) + !!(ino->size & ((UINT64_C(1) << lbits) - 1));
		uint16_t advise = vc_get_le16(h->h_advise);
		uint64_t first4 = (32 - end % 32) / 4 % 8, by2 = 0;

		if (ino->layout == EROFS_INODE_FLAT_COMPRESSION_LEGACY) {
			end += n * 8;
		} else if (first4 >= n) { /* all in 4-byte entries, packs of 2 */
			end += (n + 1) / 2 * 8;
		} else {
			if (advise & Z_EROFS_ADVISE_COMPACTED_2B)
				by2 = (n - first4) / 16 * 16;
			end += first4 * 4 + by2 * 2 + (n - first4 - by2 + 1) / 2 * 8;
		}
		if (advise & Z_EROFS_ADVISE_INLINE_PCLUSTER)
			end += vc_get_le16(h->h_idata_size);
	}
	ino->meta_len = end - ino->meta_off;
	return 0;
}

static int read_inode(struct walk *w, uint64_t nid, struct erofs_inode *ino, struct vc_error *err)
{
	const size_t compact = sizeof(struct erofs_inode_compact_disk),
		     extended = sizeof(struct erofs_inode_extended_disk);
	uint8_t b[sizeof(struct erofs_inode_extended_disk)];
	uint64_t at = (uint64_t)w->sb->meta_blkaddr * EROFS_BLK + nid * EROFS_ISLOT;
	int r;

	memset(ino, 0, sizeof(*ino));
	if (nid > w->max_nid || at + compact > w->fs_size)
		return vc_errorf(err, VC_EINVAL, "nid %llu: beyond the image",
				 (unsigned long long)nid);
	r = img_read(w->im, w->off + at, b, compact, err);
	if (r < 0)
		return r;
	const struct erofs_inode_compact_disk *ic = (const void *)b;
	const struct erofs_inode_extended_disk *ie = (const void *)b;
	uint16_t fmt = vc_get_le16(ic->i_format);
	ino->nid = nid;
	ino->meta_off = at;
	ino->extended = fmt & 1;
	ino->layout = fmt >> 1 & 7;
	if (fmt >> 4)
		return vc_errorf(err, VC_EINVAL, "nid %llu: i_format 0x%x has unknown bits",
				 (unsigned long long)nid, fmt);
	uint16_t icount = vc_get_le16(ic->i_xattr_icount);
	ino->mode = vc_get_le16(ic->i_mode);
	uint64_t isize = sizeof(*ic);
	if (ino->extended) {
		if (at + extended > w->fs_size)
			return vc_errorf(err, VC_EINVAL,
					 "nid %llu: extended inode beyond the image",
					 (unsigned long long)nid);
		r = img_read(w->im, w->off + at, b, extended, err);
		if (r < 0)
			return r;
		ino->size = vc_get_le64(ie->i_size);
		ino->i_u = vc_get_le32(ie->i_u);
		isize = sizeof(*ie);
	} else {
		ino->size = vc_get_le32(ic->i_size);
		ino->i_u = vc_get_le32(ic->i_u);
	}
	uint64_t xsize =
	    icount ? sizeof(struct erofs_xattr_ibody_header_disk) + 4 * ((uint64_t)icount - 1) : 0;
	ino->meta_len = isize + xsize;
	/* (a chunk-based file's holes take no room: its map is checked instead) */
	if (ino->size > w->fs_size * 64 + (1ull << 32) && !S_ISCHR(ino->mode) &&
	    !S_ISBLK(ino->mode) && !(S_ISREG(ino->mode) && ino->layout == EROFS_INODE_CHUNK_BASED))
		return vc_errorf(err, VC_EINVAL, "nid %llu: i_size %llu is absurd for this image",
				 (unsigned long long)nid, (unsigned long long)ino->size);
	bool has_data = S_ISREG(ino->mode) || S_ISDIR(ino->mode) || S_ISLNK(ino->mode);
	if (has_data && (ino->layout == 0 || ino->layout == 2)) {
		uint64_t full = ino->layout == 0 ? VC_DIV_ROUND_UP(ino->size, EROFS_BLK)
						 : ino->size / EROFS_BLK;
		if (ino->layout == 2)
			ino->meta_len += ino->size % EROFS_BLK;
		if (full) {
			ino->data_off = (uint64_t)ino->i_u * EROFS_BLK;
			ino->data_len = full * EROFS_BLK;
			if (ino->i_u >= w->sb->blocks || full > w->sb->blocks - ino->i_u)
				return vc_errorf(err, VC_EINVAL,
						 "nid %llu: data blocks %u..+%llu beyond "
						 "the %u blocks",
						 (unsigned long long)nid, ino->i_u,
						 (unsigned long long)full, w->sb->blocks);
		}
	} else if (S_ISREG(ino->mode) && ino->layout == EROFS_INODE_CHUNK_BASED) {
		int r2 = read_chunks(w, ino, err);

		if (r2 < 0)
			return r2;
	} else if (S_ISREG(ino->mode) && (ino->layout == EROFS_INODE_FLAT_COMPRESSION_LEGACY ||
					  ino->layout == EROFS_INODE_FLAT_COMPRESSION)) {
		r = read_zmap(w, ino, err);
		if (r < 0)
			return r;
	} else if (has_data && ino->layout != 1 && ino->layout != 3) {
		return vc_errorf(err, VC_EUNSUPP, "nid %llu: data layout %u unknown",
				 (unsigned long long)nid, ino->layout);
	}
	if (ino->meta_off + ino->meta_len > w->fs_size)
		return vc_errorf(err, VC_EINVAL, "nid %llu: inline data beyond the image",
				 (unsigned long long)nid);
	return 0;
}

/* The bytes of a directory (flat layouts only), read whole. */
static int read_dir(struct walk *w, const struct erofs_inode *ino, uint8_t **ret,
		    struct vc_error *err)
{
	uint8_t *d;
	int r;

	if (ino->layout != 0 && ino->layout != 2)
		return vc_errorf(err, VC_EUNSUPP, "compressed directory");
	if (ino->size > (64u << 20))
		return vc_errorf(err, VC_ERANGE, "directory of %llu bytes",
				 (unsigned long long)ino->size);
	d = malloc(ino->size ? (size_t)ino->size : 1);
	if (!d)
		return vc_errorf(err, VC_ENOMEM, "out of memory");
	r = 0;
	if (ino->data_len)
		r = img_read(w->im, w->off + ino->data_off, d,
			     (size_t)(ino->size < ino->data_len ? ino->size : ino->data_len), err);
	if (r == 0 && ino->layout == 2 && ino->size % EROFS_BLK) {
		uint64_t tail = ino->size % EROFS_BLK;
		r = img_read(w->im, w->off + ino->meta_off + ino->meta_len - tail,
			     d + ino->size - tail, (size_t)tail, err);
	}
	if (r < 0) {
		free(d);
		return r;
	}
	*ret = d;
	return 0;
}

static int walk_dir(struct walk *w, const struct erofs_inode *dir, uint64_t parent, size_t plen,
		    int depth, struct vc_error *err);

static bool bit(const uint8_t *map, uint64_t nid)
{
	return map[nid / 8] & (1u << (nid % 8));
}

static void set_bit(uint8_t *map, uint64_t nid)
{
	map[nid / 8] |= (uint8_t)(1u << (nid % 8));
}

/* The S_IFMT of a dirent's file_type (EROFS_FT_*), 0 for unknown. */
static unsigned ftype_mode(unsigned ft)
{
	static const unsigned m[8] = {0,       S_IFREG, S_IFDIR,  S_IFCHR,
				      S_IFBLK, S_IFIFO, S_IFSOCK, S_IFLNK};
	return ft < 8 ? m[ft] : 0xFFFFFFFFu;
}

/* ft: the dirent's file_type (-1 for the root); parent: the directory
 * holding the entry. A directory is reached once: a second time is a cycle
 * or a hard link to a folder, both impossible in a valid image (and an
 * endless walk for a reader that follows them). */
static int visit(struct walk *w, uint64_t nid, int ft, uint64_t parent, size_t plen, int depth,
		 struct vc_error *err)
{
	const char *where = plen ? w->path : "/";
	struct erofs_inode ino;
	int r;

	if (nid > w->max_nid)
		return vc_errorf(err, VC_EINVAL, "EROFS %s: nid %llu beyond the image", where,
				 (unsigned long long)nid);
	if (bit(w->covered, nid))
		return vc_errorf(err, VC_EINVAL,
				 "EROFS %s: nid %llu lies inside another inode's record", where,
				 (unsigned long long)nid);
	if (bit(w->seen, nid) && bit(w->isdir, nid))
		return vc_errorf(err, VC_EINVAL,
				 "EROFS %s: directory nid %llu is reached a second time (a "
				 "directory cycle or a hard link to a folder)",
				 where, (unsigned long long)nid);
	r = read_inode(w, nid, &ino, err);
	if (r < 0) {
		vc_error_prefix(err, "EROFS %s", where);
		return r;
	}
	if (ft >= 0 && ftype_mode((unsigned)ft) != 0 &&
	    ftype_mode((unsigned)ft) != (ino.mode & S_IFMT))
		return vc_errorf(err, VC_EINVAL,
				 "EROFS %s: the directory entry's file type %d does not match "
				 "the inode's mode 0%o (nid %llu)",
				 where, ft, ino.mode, (unsigned long long)nid);
	if (ft < 0 && !S_ISDIR(ino.mode))
		return vc_errorf(err, VC_EINVAL, "EROFS: the root (nid %llu) is not a directory",
				 (unsigned long long)nid);
	if (bit(w->seen, nid))
		return 0; /* a hard link: named once */
	set_bit(w->seen, nid);
	if (S_ISDIR(ino.mode))
		set_bit(w->isdir, nid);
	/* the slots of this record (inode, xattrs, inline tail) hold no other */
	uint64_t slots = VC_DIV_ROUND_UP(ino.meta_len, 32);
	for (uint64_t k = 1; k < slots && nid + k <= w->max_nid; k++) {
		if (bit(w->seen, nid + k))
			return vc_errorf(err, VC_EINVAL,
					 "EROFS %s: the inode at nid %llu (%llu bytes) overlaps "
					 "the inode at nid %llu",
					 where, (unsigned long long)nid,
					 (unsigned long long)ino.meta_len,
					 (unsigned long long)(nid + k));
		set_bit(w->covered, nid + k);
	}
	if (++w->count > VC_INSPECT_MAX_INODES)
		return vc_errorf(err, VC_ERANGE, "more than %u inodes", VC_INSPECT_MAX_INODES);
	ino.path = where;
	r = w->fn(w->ctx, &ino, err);
	if (r == 0 && S_ISDIR(ino.mode))
		r = walk_dir(w, &ino, parent, plen, depth, err);
	return r;
}

static int walk_dir(struct walk *w, const struct erofs_inode *dir, uint64_t parent, size_t plen,
		    int depth, struct vc_error *err)
{
	uint8_t *d = NULL;
	int r;

	if (depth >= VC_INSPECT_MAX_DEPTH)
		return vc_errorf(err, VC_ERANGE, "EROFS %s: deeper than %d", w->path,
				 VC_INSPECT_MAX_DEPTH);
	r = read_dir(w, dir, &d, err);
	if (r < 0) {
		vc_error_prefix(err, "EROFS %s", plen ? w->path : "/");
		return r;
	}
	for (uint64_t boff = 0; r == 0 && boff < dir->size; boff += EROFS_BLK) {
		const uint8_t *blk = d + boff;
		size_t blen = dir->size - boff < EROFS_BLK ? (size_t)(dir->size - boff) : EROFS_BLK;
		if (blen < 12) {
			r = vc_errorf(err, VC_EINVAL, "EROFS %s: directory block %llu too short",
				      plen ? w->path : "/", (unsigned long long)(boff / EROFS_BLK));
			break;
		}
		const struct erofs_dirent_disk *des = (const void *)blk;
		const size_t dsz = sizeof(*des);
		size_t n = vc_get_le16(des[0].nameoff) / dsz;
		if (n == 0 || n * dsz > blen || vc_get_le16(des[0].nameoff) % dsz) {
			r = vc_errorf(err, VC_EINVAL,
				      "EROFS %s: directory block %llu: first nameoff %u",
				      plen ? w->path : "/", (unsigned long long)(boff / EROFS_BLK),
				      vc_get_le16(des[0].nameoff));
			break;
		}
		for (size_t i = 0; i < n; i++) {
			const struct erofs_dirent_disk *de = &des[i];
			size_t no = vc_get_le16(de->nameoff);
			size_t ne = i + 1 < n ? vc_get_le16(des[i + 1].nameoff) : blen;
			if (no < n * dsz || ne > blen || ne <= no) {
				r = vc_errorf(err, VC_EINVAL,
					      "EROFS %s: dirent %zu: name at %zu..%zu out "
					      "of its block",
					      plen ? w->path : "/", i, no, ne);
				break;
			}
			size_t nl = strnlen((const char *)blk + no, ne - no);
			const char *name = (const char *)blk + no;
			bool dot = nl == 1 && name[0] == '.';
			if (dot || (nl == 2 && name[0] == '.' && name[1] == '.')) {
				/* "." is the folder itself, ".." its parent (the root's
				 * is the root): anything else makes a cycle */
				uint64_t want = dot ? dir->nid : parent, got = vc_get_le64(de->nid);
				if (got != want) {
					r = vc_errorf(err, VC_EINVAL,
						      "EROFS %s: '%s' points at nid %llu, not "
						      "nid %llu",
						      plen ? w->path : "/", dot ? "." : "..",
						      (unsigned long long)got,
						      (unsigned long long)want);
					break;
				}
				continue;
			}
			if (nl == 0 || memchr(name, '/', nl) || plen + 1 + nl >= sizeof(w->path)) {
				r = vc_errorf(err, VC_EINVAL, "EROFS %s: dirent %zu: bad name",
					      plen ? w->path : "/", i);
				break;
			}
			uint64_t nid = vc_get_le64(de->nid);
			if (nid > w->max_nid) {
				r = vc_errorf(err, VC_EINVAL,
					      "EROFS %s/%.*s: nid %llu beyond the image", w->path,
					      (int)nl, name, (unsigned long long)nid);
				break;
			}
			w->path[plen] = '/';
			memcpy(w->path + plen + 1, name, nl);
			w->path[plen + 1 + nl] = 0;
			r = visit(w, nid, de->file_type, dir->nid, plen + 1 + nl, depth + 1, err);
			w->path[plen] = 0;
			if (r < 0)
				break;
		}
	}
	free(d);
	return r;
}

int erofs_walk(const struct img *im, uint64_t off, uint64_t len, const struct erofs_info *sb,
	       erofs_walk_fn fn, void *ctx, struct vc_error *err)
{
	struct walk *w = calloc(1, sizeof(*w));
	int r;

	if (!w)
		return vc_errorf(err, VC_ENOMEM, "out of memory");
	w->im = im;
	w->off = off;
	w->fs_size = (uint64_t)sb->blocks * EROFS_BLK;
	if (w->fs_size > len)
		w->fs_size = len;
	w->sb = sb;
	w->fn = fn;
	w->ctx = ctx;
	w->max_nid = (w->fs_size - (uint64_t)sb->meta_blkaddr * EROFS_BLK) / 32;
	w->seen = calloc(w->max_nid / 8 + 1, 1);
	w->isdir = calloc(w->max_nid / 8 + 1, 1);
	w->covered = calloc(w->max_nid / 8 + 1, 1);
	if (!w->seen || !w->isdir || !w->covered) {
		r = vc_errorf(err, VC_ENOMEM, "out of memory");
		goto out;
	}
	w->path[0] = 0;
	r = visit(w, sb->root_nid, -1, sb->root_nid, 0, 0, err);
out:
	free(w->seen);
	free(w->isdir);
	free(w->covered);
	free(w);
	return r;
}
