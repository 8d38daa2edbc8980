/* SPDX-License-Identifier: MIT */
/* FAT reader (the ESP). Spec: Microsoft fatgen103: section 3 (boot sector
 * and BPB; FAT type from the count of clusters: < 4085 FAT12, < 65525
 * FAT16, else FAT32), 4 (FAT entries, end-of-chain >= 0xFF8/0xFFF8/
 * 0x0FFFFFF8), 6 (32-byte directory entries), 7 (long-name entries, their
 * order numbers and the short-name checksum). The fat module writes; this
 * reads, bounded: every cluster number is checked against the count, every
 * chain against loops, every directory against a size cap. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fat/fat_disk.h"
#include "vcompose/endian.h"
#include "inspect_priv.h"

#define FAT_MAX_TABLE (64u << 20) /* bytes of one FAT we read */
#define FAT_MAX_DIR   (4u << 20)  /* bytes of one directory */
#define DIRENT	      sizeof(struct fat_dirent_disk)

void fat_fini(struct fat_info *fi)
{
	free(fi->fat);
	fi->fat = NULL;
}

int fat_read(const struct img *im, uint64_t off, uint64_t len, struct fat_info *ret,
	     struct vc_error *err)
{
	uint8_t b[512];
	int r;

	memset(ret, 0, sizeof(*ret));
	if (len < 512)
		return vc_errorf(err, VC_EINVAL, "FAT: shorter than a boot sector");
	r = img_read(im, off, b, 512, err);
	if (r < 0)
		return r;
	const struct fat_bpb_disk *bpb = (const void *)b;
	const struct fat32_ext_disk *x32 = (const void *)(b + FAT_BS_EXT32_OFFSET);
	const uint8_t *sig = b + FAT_BS_SIGNATURE_OFFSET;
	if (memcmp(sig, FAT_BS_SIGNATURE, 2) != 0)
		return vc_errorf(err, VC_EINVAL,
				 "FAT: boot sector signature 0x%02x%02x, not 0x55AA", sig[0],
				 sig[1]);
	ret->bytes_per_sector = vc_get_le16(bpb->byts_per_sec);
	ret->sectors_per_cluster = bpb->sec_per_clus;
	ret->reserved = vc_get_le16(bpb->rsvd_sec_cnt);
	ret->n_fats = bpb->num_fats;
	ret->root_entries = vc_get_le16(bpb->root_ent_cnt);
	ret->total_sectors =
	    vc_get_le16(bpb->tot_sec16) ? vc_get_le16(bpb->tot_sec16) : vc_get_le32(bpb->tot_sec32);
	ret->fat_sectors =
	    vc_get_le16(bpb->fat_sz16) ? vc_get_le16(bpb->fat_sz16) : vc_get_le32(x32->fat_sz32);
	uint32_t bps = ret->bytes_per_sector, spc = ret->sectors_per_cluster;
	if ((bps != 512 && bps != 1024 && bps != 2048 && bps != 4096) || spc == 0 ||
	    (spc & (spc - 1)) || ret->reserved == 0 || ret->n_fats == 0 || ret->n_fats > 4 ||
	    ret->fat_sectors == 0)
		return vc_errorf(err, VC_EINVAL,
				 "FAT: BPB: bytes/sector %u, sectors/cluster %u, reserved "
				 "%u, FATs %u, FAT sectors %u: not a FAT file system",
				 bps, spc, ret->reserved, ret->n_fats, ret->fat_sectors);
	if (ret->total_sectors * bps > len)
		return vc_errorf(err, VC_EINVAL, "FAT: %llu sectors do not fit in %llu bytes",
				 (unsigned long long)ret->total_sectors, (unsigned long long)len);
	uint64_t root_secs = VC_DIV_ROUND_UP((uint64_t)ret->root_entries * DIRENT, bps);
	uint64_t data_sec = ret->reserved + (uint64_t)ret->n_fats * ret->fat_sectors + root_secs;
	if (data_sec >= ret->total_sectors)
		return vc_errorf(
		    err, VC_EINVAL, "FAT: no data area (%llu of %llu sectors are metadata)",
		    (unsigned long long)data_sec, (unsigned long long)ret->total_sectors);
	uint64_t clusters = (ret->total_sectors - data_sec) / spc;
	ret->clusters = (uint32_t)(clusters > 0x0FFFFFF5 ? 0x0FFFFFF5 : clusters);
	ret->bits = ret->clusters < 4085 ? 12 : ret->clusters < 65525 ? 16 : 32;
	ret->cluster_size = bps * spc;
	ret->root_off = (ret->reserved + (uint64_t)ret->n_fats * ret->fat_sectors) * bps;
	ret->data_off = data_sec * bps;
	memcpy(ret->oem, bpb->oem_name, 8);
	ret->oem[8] = 0;
	const struct fat_ebr_disk *ebr =
	    (const void *)(b + (ret->bits == 32 ? FAT_BS_EBR32_OFFSET : FAT_BS_EBR16_OFFSET));
	if (ret->bits == 32) {
		ret->root_cluster = vc_get_le32(x32->root_clus);
		ret->fsinfo_sector = vc_get_le16(x32->fs_info);
		ret->backup_sector = vc_get_le16(x32->bk_boot_sec);
		ret->volume_id = vc_get_le32(ebr->vol_id);
		memcpy(ret->label, ebr->vol_lab, 11);
		if (ret->root_entries)
			return vc_errorf(err, VC_EINVAL, "FAT32 with %u root entries",
					 ret->root_entries);
	} else {
		ret->volume_id = vc_get_le32(ebr->vol_id);
		memcpy(ret->label, ebr->vol_lab, 11);
		if (!ret->root_entries)
			return vc_errorf(err, VC_EINVAL, "FAT%u without root entries", ret->bits);
	}
	ret->label[11] = 0;
	for (int i = 10; i >= 0 && ret->label[i] == ' '; i--)
		ret->label[i] = 0;
	uint64_t need = ((uint64_t)ret->clusters + 2) * ret->bits / 8 + 1;
	uint64_t fat_bytes = (uint64_t)ret->fat_sectors * bps;
	if (fat_bytes < need || fat_bytes > FAT_MAX_TABLE)
		return vc_errorf(err, VC_EINVAL, "FAT: a FAT of %llu bytes for %u clusters",
				 (unsigned long long)fat_bytes, ret->clusters);
	ret->fat_len = (size_t)fat_bytes;
	return img_read_alloc(im, off + (uint64_t)ret->reserved * bps, fat_bytes, &ret->fat, err);
}

static uint32_t fat_next(const struct fat_info *fi, uint32_t c)
{
	switch (fi->bits) {
	case 12: {
		size_t o = c + c / 2;
		uint16_t v = vc_get_le16(fi->fat + o);
		return c & 1 ? v >> 4 : v & 0xFFF;
	}
	case 16: return vc_get_le16(fi->fat + 2 * (size_t)c);
	default: return vc_get_le32(fi->fat + 4 * (size_t)c) & 0x0FFFFFFF;
	}
}

static bool fat_eoc(const struct fat_info *fi, uint32_t v)
{
	return fi->bits == 12 ? v >= 0xFF8 : fi->bits == 16 ? v >= 0xFFF8 : v >= 0x0FFFFFF8;
}

int fat_chain(const struct img *im, uint64_t off, const struct fat_info *fi, uint32_t first,
	      uint32_t max, uint32_t **ret, size_t *ret_n, struct vc_error *err)
{
	uint32_t *v = NULL;
	size_t n = 0, cap = 0;
	uint32_t c = first;

	(void)im;
	(void)off;
	while (!fat_eoc(fi, c)) {
		if (c < 2 || c >= fi->clusters + 2) {
			free(v);
			return vc_errorf(err, VC_EINVAL,
					 "cluster %u out of range 2..%u (chain from %u)", c,
					 fi->clusters + 1, first);
		}
		if (n >= max) {
			free(v);
			return vc_errorf(err, VC_EINVAL,
					 "chain from cluster %u longer than %u clusters "
					 "(a loop?)",
					 first, max);
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			uint32_t *nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				return vc_errorf(err, VC_ENOMEM, "out of memory");
			}
			v = nv;
		}
		v[n++] = c;
		c = fat_next(fi, c);
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

static uint64_t clus_off(const struct fat_info *fi, uint32_t c)
{
	return fi->data_off + (uint64_t)(c - 2) * fi->cluster_size;
}

int fat_read_file(const struct img *im, uint64_t off, const struct fat_info *fi,
		  const struct fat_file *f, uint8_t **ret, struct vc_error *err)
{
	uint32_t *ch = NULL;
	size_t n = 0;
	uint8_t *d;
	int r = 0;

	d = malloc(f->size ? f->size : 1);
	if (!d)
		return vc_errorf(err, VC_ENOMEM, "out of memory");
	if (f->size) {
		r = fat_chain(im, off, fi, f->first_cluster, fi->clusters, &ch, &n, err);
		if (r == 0 && (uint64_t)n * fi->cluster_size < f->size)
			r = vc_errorf(err, VC_EINVAL, "%s: %zu clusters for %u bytes", f->path, n,
				      f->size);
		for (size_t i = 0; r == 0 && i * fi->cluster_size < f->size; i++) {
			size_t k = f->size - i * fi->cluster_size;
			if (k > fi->cluster_size)
				k = fi->cluster_size;
			r = img_read(im, off + clus_off(fi, ch[i]), d + i * fi->cluster_size, k,
				     err);
		}
	}
	free(ch);
	if (r < 0) {
		free(d);
		return r;
	}
	*ret = d;
	return 0;
}

struct fwalk {
	const struct img *im;
	uint64_t off;
	const struct fat_info *fi;
	fat_walk_fn fn;
	void *ctx;
	struct vc_inspect_report *chk;
	const char *where;
	uint8_t *used; /* bitmap of clusters seen in chains */
	uint32_t entries;
	char path[4096];
};

static uint8_t short_sum(const uint8_t *name11)
{
	uint8_t s = 0;

	for (int i = 0; i < 11; i++)
		s = (uint8_t)(((s & 1) << 7) + (s >> 1) + name11[i]);
	return s;
}

/* Marks a chain's clusters as used; reports cross-links. */
static void mark(struct fwalk *w, const uint32_t *ch, size_t n, const char *path)
{
	if (!w->chk)
		return;
	for (size_t i = 0; i < n; i++) {
		uint32_t c = ch[i];
		if (w->used[c / 8] & (1u << (c % 8))) {
			vc_inspect_report_add(w->chk, true, w->where,
					      "%s: cluster %u (offset %llu) is used twice", path, c,
					      (unsigned long long)clus_off(w->fi, c));
			return;
		}
		w->used[c / 8] |= (uint8_t)(1u << (c % 8));
	}
}

static int walk_fat_dir(struct fwalk *w, uint32_t first, bool fixed_root, size_t plen, int depth,
			struct vc_error *err);

/* A long name (lfn_n entries of 13 UTF-16 units) as UTF-8 in name[cap]
 * (at least 5 bytes): its length, without the NUL. */
static size_t lfn_name(const uint16_t *lfn, int lfn_n, char *name, size_t cap)
{
	size_t nl = 0;

	for (int k = 0; k < lfn_n * 13 && lfn[k] && lfn[k] != 0xFFFF && nl + 4 < cap; k++) {
		uint32_t c = lfn[k];
		if (c >= 0xD800 && c < 0xDC00 && k + 1 < lfn_n * 13 && lfn[k + 1] >= 0xDC00 &&
		    lfn[k + 1] < 0xE000) {
			c = 0x10000 + ((c - 0xD800) << 10) + (lfn[k + 1] - 0xDC00u);
			k++;
		}
		if (c < 0x80)
			name[nl++] = (char)c;
		else if (c < 0x800)
			name[nl++] = (char)(0xC0 | c >> 6), name[nl++] = (char)(0x80 | (c & 0x3F));
		else if (c < 0x10000)
			name[nl++] = (char)(0xE0 | c >> 12),
			name[nl++] = (char)(0x80 | (c >> 6 & 0x3F)),
			name[nl++] = (char)(0x80 | (c & 0x3F));
		else
			name[nl++] = (char)(0xF0 | c >> 18),
			name[nl++] = (char)(0x80 | (c >> 12 & 0x3F)),
			name[nl++] = (char)(0x80 | (c >> 6 & 0x3F)),
			name[nl++] = (char)(0x80 | (c & 0x3F));
	}
	return nl;
}

/* The 8.3 name (lower case where NT's flags say so) in name (>= 13 bytes):
 * its length, without the NUL. */
static size_t short_name(const struct fat_dirent_disk *de, char *name)
{
	const uint8_t *n = de->name;
	size_t nl = 0;

	for (int k = 0; k < 8 && n[k] != ' '; k++) {
		char c = (char)(k == 0 && n[0] == 0x05 ? 0xE5 : n[k]);
		name[nl++] = (de->nt_res & 0x08) && c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
	}
	if (n[8] != ' ')
		name[nl++] = '.';
	for (int k = 8; k < 11 && n[k] != ' '; k++)
		name[nl++] = (de->nt_res & 0x10) && n[k] >= 'A' && n[k] <= 'Z' ? (char)(n[k] + 32)
									       : (char)n[k];
	return nl;
}

/* A file's cluster chain: as long as its size asks, marked as used. */
static void check_chain(struct fwalk *w, const struct fat_file *f)
{
	uint32_t *ch = NULL;
	size_t n = 0;
	struct vc_error e2;

	if (f->size == 0 && f->first_cluster != 0) {
		vc_inspect_report_add(w->chk, true, w->where, "%s: empty file with cluster %u",
				      w->path, f->first_cluster);
	} else if (f->size) {
		uint32_t want = (uint32_t)VC_DIV_ROUND_UP((uint64_t)f->size, w->fi->cluster_size);
		if (fat_chain(w->im, w->off, w->fi, f->first_cluster, want + 1, &ch, &n, &e2) < 0)
			vc_inspect_report_add(w->chk, true, w->where, "%s: %s", w->path, e2.msg);
		else if (n != want)
			vc_inspect_report_add(w->chk, true, w->where,
					      "%s: %zu clusters for %u bytes (%u expected)",
					      w->path, n, f->size, want);
		else
			mark(w, ch, n, w->path);
		free(ch);
	}
}

static int dir_entries(struct fwalk *w, const uint8_t *d, size_t len, const uint64_t *blk_off,
		       size_t plen, int depth, struct vc_error *err)
{
	uint16_t lfn[20 * 13 + 1];
	int lfn_ord = 0, lfn_n = 0;
	uint8_t lfn_sum = 0;
	int r = 0;

	for (size_t i = 0; i + DIRENT <= len; i += DIRENT) {
		const uint8_t *e = d + i;
		const struct fat_dirent_disk *de = (const void *)e;
		const struct fat_lfn_disk *le = (const void *)e;
		if (de->name[0] == 0)
			break;
		if (++w->entries > VC_INSPECT_MAX_FAT_ENTRIES)
			return vc_errorf(err, VC_ERANGE, "more than %u directory entries",
					 VC_INSPECT_MAX_FAT_ENTRIES);
		if (de->name[0] == 0xE5) {
			lfn_ord = 0;
			continue;
		}
		if ((de->attr & 0x3F) == FAT_ATTR_LFN) {
			int ord = le->ord & 0x1F;
			if (ord == 0 || ord > 20) {
				lfn_ord = 0;
				continue;
			}
			if (le->ord & 0x40) {
				lfn_n = ord;
				lfn_sum = le->chksum;
				memset(lfn, 0, sizeof(lfn));
			} else if (ord != lfn_ord - 1 || le->chksum != lfn_sum) {
				lfn_ord = 0;
				continue;
			}
			lfn_ord = ord;
			uint16_t *u = lfn + (ord - 1) * 13;
			for (int k = 0; k < 5; k++)
				u[k] = vc_get_le16(le->name1 + 2 * k);
			for (int k = 0; k < 6; k++)
				u[5 + k] = vc_get_le16(le->name2 + 2 * k);
			for (int k = 0; k < 2; k++)
				u[11 + k] = vc_get_le16(le->name3 + 2 * k);
			continue;
		}
		if (de->attr & FAT_ATTR_VOLUME_ID) { /* the volume label */
			lfn_ord = 0;
			continue;
		}
		char name[1024];
		size_t nl;
		if (lfn_ord == 1 && short_sum(de->name) == lfn_sum)
			nl = lfn_name(lfn, lfn_n, name, sizeof(name));
		else
			nl = short_name(de, name);
		name[nl] = 0;
		lfn_ord = 0;
		if (!strcmp(name, ".") || !strcmp(name, ".."))
			continue;
		if (nl == 0 || memchr(name, '/', nl) || memchr(name, 0, nl) ||
		    plen + 1 + nl >= sizeof(w->path)) {
			if (w->chk)
				vc_inspect_report_add(
				    w->chk, true, w->where, "%s: entry at offset %llu: bad name",
				    plen ? w->path : "/", (unsigned long long)blk_off[i / 32]);
			continue;
		}
		w->path[plen] = '/';
		memcpy(w->path + plen + 1, name, nl + 1);
		struct fat_file f = {
		    .path = w->path,
		    .dir = de->attr & FAT_ATTR_DIRECTORY,
		    .size = vc_get_le32(de->file_size),
		    .first_cluster =
			(uint32_t)vc_get_le16(de->fst_clus_hi) << 16 | vc_get_le16(de->fst_clus_lo),
		    .dirent_off = blk_off[i / 32],
		    .ctime = vc_get_le16(de->crt_time),
		    .cdate = vc_get_le16(de->crt_date),
		    .adate = vc_get_le16(de->lst_acc_date),
		    .wtime = vc_get_le16(de->wrt_time),
		    .wdate = vc_get_le16(de->wrt_date),
		};
		if (w->fi->bits != 32)
			f.first_cluster &= 0xFFFF;
		if (!f.dir && w->chk)
			check_chain(w, &f);
		r = w->fn ? w->fn(w->ctx, &f, err) : 0;
		if (r == 0 && f.dir)
			r = walk_fat_dir(w, f.first_cluster, false, plen + 1 + nl, depth + 1, err);
		w->path[plen] = 0;
		if (r < 0)
			return r;
	}
	return 0;
}

static int walk_fat_dir(struct fwalk *w, uint32_t first, bool fixed_root, size_t plen, int depth,
			struct vc_error *err)
{
	const struct fat_info *fi = w->fi;
	uint8_t *d = NULL;
	uint64_t *offs = NULL;
	uint32_t *ch = NULL;
	size_t n = 0, len;
	int r = 0;

	if (depth > VC_INSPECT_MAX_DEPTH)
		return vc_errorf(err, VC_ERANGE, "FAT %s: deeper than %d", w->path,
				 VC_INSPECT_MAX_DEPTH);
	if (fixed_root) {
		len = (size_t)fi->root_entries * 32;
	} else {
		r = fat_chain(w->im, w->off, fi, first, FAT_MAX_DIR / fi->cluster_size, &ch, &n,
			      err);
		if (r < 0) {
			if (w->chk) {
				vc_inspect_report_add(w->chk, true, w->where, "directory %s: %s",
						      plen ? w->path : "/", err->msg);
				vc_error_clear(err);
				return 0;
			}
			return r;
		}
		if (n == 0) {
			if (w->chk)
				vc_inspect_report_add(w->chk, true, w->where,
						      "directory %s: no clusters",
						      plen ? w->path : "/");
			free(ch);
			return 0;
		}
		mark(w, ch, n, plen ? w->path : "/");
		len = n * fi->cluster_size;
	}
	d = malloc(len);
	offs = malloc(len / 32 * sizeof(*offs) + sizeof(*offs));
	if (!d || !offs) {
		r = vc_errorf(err, VC_ENOMEM, "out of memory");
		goto out;
	}
	if (fixed_root) {
		r = img_read(w->im, w->off + fi->root_off, d, len, err);
		for (size_t i = 0; i < len / DIRENT; i++)
			offs[i] = fi->root_off + DIRENT * i;
	} else {
		for (size_t i = 0; r == 0 && i < n; i++) {
			r = img_read(w->im, w->off + clus_off(fi, ch[i]), d + i * fi->cluster_size,
				     fi->cluster_size, err);
			for (size_t k = 0; k < fi->cluster_size / DIRENT; k++)
				offs[i * fi->cluster_size / DIRENT + k] =
				    clus_off(fi, ch[i]) + DIRENT * k;
		}
	}
	if (r == 0)
		r = dir_entries(w, d, len, offs, plen, depth, err);
out:
	free(d);
	free(offs);
	free(ch);
	return r;
}

int fat_walk(const struct img *im, uint64_t off, const struct fat_info *fi, fat_walk_fn fn,
	     void *ctx, struct vc_inspect_report *chk, const char *where, struct vc_error *err)
{
	struct fwalk *w = calloc(1, sizeof(*w));
	int r;

	if (!w)
		return vc_errorf(err, VC_ENOMEM, "out of memory");
	*w = (struct fwalk){
	    .im = im, .off = off, .fi = fi, .fn = fn, .ctx = ctx, .chk = chk, .where = where};
	w->used = calloc((size_t)fi->clusters / 8 + 2, 1);
	if (!w->used) {
		free(w);
		return vc_errorf(err, VC_ENOMEM, "out of memory");
	}
	r = walk_fat_dir(w, fi->root_cluster, fi->bits != 32, 0, 0, err);
	if (r == 0 && chk) {
		/* the other FATs must equal the first */
		uint8_t *other = NULL;
		for (uint32_t k = 1; r == 0 && k < fi->n_fats; k++) {
			uint64_t at =
			    off + ((uint64_t)fi->reserved + (uint64_t)k * fi->fat_sectors) *
				      fi->bytes_per_sector;
			r = img_read_alloc(im, at, fi->fat_len, &other, err);
			if (r < 0)
				break;
			size_t i = 0;
			while (i < fi->fat_len && other[i] == fi->fat[i])
				i++;
			if (i < fi->fat_len)
				vc_inspect_report_add(
				    chk, true, where,
				    "FAT %u differs from FAT 1 at byte %zu (offset "
				    "%llu)",
				    k + 1, i, (unsigned long long)(at - off + i));
			free(other);
			other = NULL;
		}
		/* clusters marked used in the FAT but in no chain are lost (cheap to find) */
		uint32_t lost = 0;
		for (uint32_t c = 2; c < fi->clusters + 2; c++)
			if (fat_next(fi, c) != 0 && !(w->used[c / 8] & (1u << (c % 8))))
				lost++;
		if (r == 0)
			vc_inspect_report_add(chk, lost != 0, where,
					      lost ? "%u clusters allocated in the FAT but in "
						     "no file"
						   : "FAT chains, sizes and copies consistent%.0u",
					      lost);
	}
	free(w->used);
	free(w);
	return r;
}
