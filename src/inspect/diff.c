/* SPDX-License-Identifier: MIT */
/* vc_inspect_diff(): where two builds that should be identical differ, named
 * by partition and structure. Image A is parsed into named regions (a
 * superblock and its fields, an inode and its path, a verity level and block,
 * a FAT directory entry and its fields, a file on the ESP and the PE section
 * inside it, ...); the bytes of A and B are then compared and each differing
 * region is reported once, the most specific region that holds the first
 * differing byte, with the fields that differ inside it. Bytes no region
 * names are reported by offset. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "erofs/erofs_disk.h"
#include "fat/fat_disk.h"
#include "gpt/gpt_disk.h"
#include "pe/pe_disk.h"
#include "verity/verity_disk.h"
#include "vcompose/endian.h"
#include "vcompose/pe.h"
#include "vcompose/verity.h"
#include "inspect_priv.h"

#define CHUNK	     (1u << 20)
#define PER_PART_MAX 24

struct field {
	uint16_t off, len;
	const char *name;
};

enum rkind {
	R_PLAIN,  /* named as it is (with fields when given) */
	R_BLOCKS, /* "<name> N": N = (pos - off) / unit + first */
	R_FILE,	  /* a file on the ESP: compared by content, PE sections named */
	R_SIG,	  /* the DPS signature JSON: keys named */
};

struct region {
	uint64_t off, len;
	enum rkind kind;
	char name[160];
	const struct field *fields;
	size_t n_fields;
	uint64_t unit, first; /* R_BLOCKS */
	bool agg;	      /* R_BLOCKS without nested regions: count the
			       * differing blocks in one line */
	size_t file;	      /* R_FILE: index in the file list */
};

struct file_ref {
	char *path;
	struct fat_file f;
};

struct regions {
	struct region *v;
	size_t n, cap;
	/* the ESP's files, in A and in B */
	struct file_ref *fa, *fb;
	size_t nfa, nfb;
	struct fat_info fia, fib;
	bool have_fat;
};

static void regions_fini(struct regions *rs)
{
	free(rs->v);
	for (size_t i = 0; i < rs->nfa; i++)
		free(rs->fa[i].path);
	for (size_t i = 0; i < rs->nfb; i++)
		free(rs->fb[i].path);
	free(rs->fa);
	free(rs->fb);
	if (rs->have_fat) {
		fat_fini(&rs->fia);
		fat_fini(&rs->fib);
	}
	memset(rs, 0, sizeof(*rs));
}

static struct region *radd(struct regions *rs, uint64_t off, uint64_t len, enum rkind k,
			   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static struct region *radd(struct regions *rs, uint64_t off, uint64_t len, enum rkind k,
			   const char *fmt, ...)
{
	va_list ap;

	if (len == 0)
		return NULL;
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 64;
		if (cap > (1u << 24))
			return NULL;
		void *p = realloc(rs->v, cap * sizeof(*rs->v));
		if (!p)
			return NULL;
		rs->v = p;
		rs->cap = cap;
	}
	struct region *r = &rs->v[rs->n++];
	memset(r, 0, sizeof(*r));
	r->off = off;
	r->len = len;
	r->kind = k;
	va_start(ap, fmt);
	vsnprintf(r->name, sizeof(r->name), fmt, ap);
	va_end(ap);
	return r;
}

static void rfields(struct region *r, const struct field *f, size_t n)
{
	if (r) {
		r->fields = f;
		r->n_fields = n;
	}
}

/* ---- tables of fields ----
 * Named as the specs name them; offsets and sizes from the writers' on-disk
 * records (one description per format). */
#define MEMBER_SIZE(type, member) sizeof(((struct type *)0)->member)
#define F(type, member, name)                                                                      \
	{                                                                                          \
		offsetof(struct type, member), MEMBER_SIZE(type, member), name                     \
	}
#define F_AT(base, type, member, name)                                                             \
	{                                                                                          \
		(base) + offsetof(struct type, member), MEMBER_SIZE(type, member), name            \
	}

static const struct field gpt_hdr_fields[] = {
    F(gpt_header_disk, signature, "Signature"),
    F(gpt_header_disk, revision, "Revision"),
    F(gpt_header_disk, header_size, "HeaderSize"),
    F(gpt_header_disk, header_crc32, "HeaderCRC32"),
    F(gpt_header_disk, reserved, "Reserved"),
    F(gpt_header_disk, my_lba, "MyLBA"),
    F(gpt_header_disk, alternate_lba, "AlternateLBA"),
    F(gpt_header_disk, first_usable_lba, "FirstUsableLBA"),
    F(gpt_header_disk, last_usable_lba, "LastUsableLBA"),
    F(gpt_header_disk, disk_guid, "DiskGUID"),
    F(gpt_header_disk, partition_entry_lba, "PartitionEntryLBA"),
    F(gpt_header_disk, number_of_partition_entries, "NumberOfPartitionEntries"),
    F(gpt_header_disk, size_of_partition_entry, "SizeOfPartitionEntry"),
    F(gpt_header_disk, partition_entry_array_crc32, "PartitionEntryArrayCRC32"),
};
static const struct field gpt_entry_fields[] = {
    F(gpt_entry_disk, type_guid, "PartitionTypeGUID"),
    F(gpt_entry_disk, part_guid, "UniquePartitionGUID"),
    F(gpt_entry_disk, first_lba, "StartingLBA"),
    F(gpt_entry_disk, last_lba, "EndingLBA"),
    F(gpt_entry_disk, attributes, "Attributes"),
    F(gpt_entry_disk, name, "PartitionName"),
};
static const struct field erofs_sb_fields[] = {
    F(erofs_super_block_disk, magic, "magic"),
    F(erofs_super_block_disk, checksum, "checksum"),
    F(erofs_super_block_disk, feature_compat, "feature_compat"),
    F(erofs_super_block_disk, blkszbits, "blkszbits"),
    F(erofs_super_block_disk, sb_extslots, "sb_extslots"),
    F(erofs_super_block_disk, root_nid, "root_nid"),
    F(erofs_super_block_disk, inos, "inos"),
    F(erofs_super_block_disk, build_time, "build_time"),
    F(erofs_super_block_disk, build_time_nsec, "build_time_nsec"),
    F(erofs_super_block_disk, blocks, "blocks"),
    F(erofs_super_block_disk, meta_blkaddr, "meta_blkaddr"),
    F(erofs_super_block_disk, xattr_blkaddr, "xattr_blkaddr"),
    F(erofs_super_block_disk, uuid, "uuid"),
    F(erofs_super_block_disk, volume_name, "volume_name"),
    F(erofs_super_block_disk, feature_incompat, "feature_incompat"),
    F(erofs_super_block_disk, u1, "available_compr_algs"),
    F(erofs_super_block_disk, extra_devices, "extra_devices"),
    F(erofs_super_block_disk, devt_slotoff, "devt_slotoff"),
    F(erofs_super_block_disk, reserved2, "reserved"),
};
static const struct field erofs_compact_fields[] = {
    F(erofs_inode_compact_disk, i_format, "i_format"),
    F(erofs_inode_compact_disk, i_xattr_icount, "i_xattr_icount"),
    F(erofs_inode_compact_disk, i_mode, "i_mode"),
    F(erofs_inode_compact_disk, i_nlink, "i_nlink"),
    F(erofs_inode_compact_disk, i_size, "i_size"),
    F(erofs_inode_compact_disk, i_reserved, "i_reserved"),
    F(erofs_inode_compact_disk, i_u, "i_u (block address)"),
    F(erofs_inode_compact_disk, i_ino, "i_ino"),
    F(erofs_inode_compact_disk, i_uid, "i_uid"),
    F(erofs_inode_compact_disk, i_gid, "i_gid"),
    F(erofs_inode_compact_disk, i_reserved2, "i_reserved2"),
};
static const struct field erofs_ext_fields[] = {
    F(erofs_inode_extended_disk, i_format, "i_format"),
    F(erofs_inode_extended_disk, i_xattr_icount, "i_xattr_icount"),
    F(erofs_inode_extended_disk, i_mode, "i_mode"),
    F(erofs_inode_extended_disk, i_reserved, "i_reserved"),
    F(erofs_inode_extended_disk, i_size, "i_size"),
    F(erofs_inode_extended_disk, i_u, "i_u (block address)"),
    F(erofs_inode_extended_disk, i_ino, "i_ino"),
    F(erofs_inode_extended_disk, i_uid, "i_uid"),
    F(erofs_inode_extended_disk, i_gid, "i_gid"),
    F(erofs_inode_extended_disk, i_mtime, "i_mtime"),
    F(erofs_inode_extended_disk, i_mtime_nsec, "i_mtime_nsec"),
    F(erofs_inode_extended_disk, i_nlink, "i_nlink"),
    F(erofs_inode_extended_disk, i_reserved2, "i_reserved2"),
};
static const struct field verity_sb_fields[] = {
    F(verity_sb_disk, signature, "signature"),
    F(verity_sb_disk, version, "version"),
    F(verity_sb_disk, hash_type, "hash_type"),
    F(verity_sb_disk, uuid, "uuid"),
    F(verity_sb_disk, algorithm, "algorithm"),
    F(verity_sb_disk, data_block_size, "data_block_size"),
    F(verity_sb_disk, hash_block_size, "hash_block_size"),
    F(verity_sb_disk, data_blocks, "data_blocks"),
    F(verity_sb_disk, salt_size, "salt_size"),
    F(verity_sb_disk, pad1, "pad1"),
    F(verity_sb_disk, salt, "salt"),
    F(verity_sb_disk, pad2, "pad2"),
};
static const struct field fat_bs_common[] = {
    F(fat_bpb_disk, jmp_boot, "jump"),
    F(fat_bpb_disk, oem_name, "OEM name"),
    F(fat_bpb_disk, byts_per_sec, "bytes per sector"),
    F(fat_bpb_disk, sec_per_clus, "sectors per cluster"),
    F(fat_bpb_disk, rsvd_sec_cnt, "reserved sectors"),
    F(fat_bpb_disk, num_fats, "FATs"),
    F(fat_bpb_disk, root_ent_cnt, "root entries"),
    F(fat_bpb_disk, tot_sec16, "total sectors 16"),
    F(fat_bpb_disk, media, "media"),
    F(fat_bpb_disk, fat_sz16, "FAT size 16"),
    F(fat_bpb_disk, sec_per_trk, "sectors per track"),
    F(fat_bpb_disk, num_heads, "heads"),
    F(fat_bpb_disk, hidd_sec, "hidden sectors"),
    F(fat_bpb_disk, tot_sec32, "total sectors 32"),
};
#define E16 FAT_BS_EBR16_OFFSET
#define E32 FAT_BS_EBR32_OFFSET
#define X32 FAT_BS_EXT32_OFFSET
static const struct field fat_bs16[] = {
    F_AT(E16, fat_ebr_disk, drv_num, "drive number"),
    F_AT(E16, fat_ebr_disk, reserved1, "reserved"),
    F_AT(E16, fat_ebr_disk, boot_sig, "boot signature"),
    F_AT(E16, fat_ebr_disk, vol_id, "volume id"),
    F_AT(E16, fat_ebr_disk, vol_lab, "volume label"),
    F_AT(E16, fat_ebr_disk, fil_sys_type, "file system type"),
    {FAT_BS_CODE16_OFFSET, FAT_BS_SIGNATURE_OFFSET - FAT_BS_CODE16_OFFSET, "boot code"},
    {FAT_BS_SIGNATURE_OFFSET, 2, "signature"},
};
static const struct field fat_bs32[] = {
    F_AT(X32, fat32_ext_disk, fat_sz32, "FAT size 32"),
    F_AT(X32, fat32_ext_disk, ext_flags, "ext flags"),
    F_AT(X32, fat32_ext_disk, fs_ver, "version"),
    F_AT(X32, fat32_ext_disk, root_clus, "root cluster"),
    F_AT(X32, fat32_ext_disk, fs_info, "FSInfo sector"),
    F_AT(X32, fat32_ext_disk, bk_boot_sec, "backup boot sector"),
    F_AT(X32, fat32_ext_disk, reserved, "reserved"),
    F_AT(E32, fat_ebr_disk, drv_num, "drive number"),
    F_AT(E32, fat_ebr_disk, reserved1, "reserved1"),
    F_AT(E32, fat_ebr_disk, boot_sig, "boot signature"),
    F_AT(E32, fat_ebr_disk, vol_id, "volume id"),
    F_AT(E32, fat_ebr_disk, vol_lab, "volume label"),
    F_AT(E32, fat_ebr_disk, fil_sys_type, "file system type"),
    {FAT_BS_CODE32_OFFSET, FAT_BS_SIGNATURE_OFFSET - FAT_BS_CODE32_OFFSET, "boot code"},
    {FAT_BS_SIGNATURE_OFFSET, 2, "signature"},
};
static const struct field fat_dirent_fields[] = {
    F(fat_dirent_disk, name, "name"),
    F(fat_dirent_disk, attr, "attributes"),
    F(fat_dirent_disk, nt_res, "case flags"),
    F(fat_dirent_disk, crt_time_tenth, "ctime tenths"),
    F(fat_dirent_disk, crt_time, "ctime"),
    F(fat_dirent_disk, crt_date, "cdate"),
    F(fat_dirent_disk, lst_acc_date, "adate"),
    F(fat_dirent_disk, fst_clus_hi, "first cluster hi"),
    F(fat_dirent_disk, wrt_time, "wtime"),
    F(fat_dirent_disk, wrt_date, "wdate"),
    F(fat_dirent_disk, fst_clus_lo, "first cluster lo"),
    F(fat_dirent_disk, file_size, "size"),
};

/* ---- regions of each format (offsets relative to its window) ---- */

static void regions_gpt(struct regions *rs, const struct img *im)
{
	struct gpt_info *g = calloc(1, sizeof(*g));
	struct vc_error err;

	radd(rs, 0, sizeof(struct mbr_disk), R_PLAIN, "protective MBR");
	if (!g || gpt_read(im, g, NULL, &err) < 0) {
		free(g);
		return;
	}
	uint32_t s = g->sector;
	rfields(radd(rs, s, sizeof(struct gpt_header_disk), R_PLAIN, "GPT primary header"),
		gpt_hdr_fields, VC_ARRAY_SIZE(gpt_hdr_fields));
	uint64_t alen = (uint64_t)g->n_entries * g->entry_size;
	uint64_t bak = im->size / s - 1;
	uint64_t bak_arr = bak * s > alen ? bak * s - alen : 0;
	for (uint32_t i = 0; i < g->n_entries && i < 1024; i++) {
		rfields(radd(rs, g->entries_lba * s + (uint64_t)i * g->entry_size, g->entry_size,
			     R_PLAIN, "GPT entry %u", i + 1),
			gpt_entry_fields, VC_ARRAY_SIZE(gpt_entry_fields));
		if (bak_arr)
			rfields(radd(rs, bak_arr + (uint64_t)i * g->entry_size, g->entry_size,
				     R_PLAIN, "GPT backup entry %u", i + 1),
				gpt_entry_fields, VC_ARRAY_SIZE(gpt_entry_fields));
	}
	rfields(radd(rs, bak * s, sizeof(struct gpt_header_disk), R_PLAIN, "GPT backup header"),
		gpt_hdr_fields, VC_ARRAY_SIZE(gpt_hdr_fields));
	free(g);
}

struct ereg {
	struct regions *rs;
	size_t first; /* index of the first inode region */
};

static int erofs_region(void *ctx, const struct erofs_inode *ino, struct vc_error *err)
{
	struct ereg *c = ctx;
	struct region *r;

	(void)err;
	uint64_t core = ino->extended ? sizeof(struct erofs_inode_extended_disk)
				      : sizeof(struct erofs_inode_compact_disk);
	r = radd(c->rs, ino->meta_off, core, R_PLAIN, "inode %llu (%s)",
		 (unsigned long long)ino->nid, ino->path);
	if (ino->extended)
		rfields(r, erofs_ext_fields, VC_ARRAY_SIZE(erofs_ext_fields));
	else
		rfields(r, erofs_compact_fields, VC_ARRAY_SIZE(erofs_compact_fields));
	/* xattrs, the inline tail or the compressed-data map, up to the next
	 * inode slot (EROFS_ISLOT; extended to the next inode below) */
	radd(c->rs, ino->meta_off + core, VC_ROUND_UP(ino->meta_len, EROFS_ISLOT) - core, R_PLAIN,
	     "inode %llu (%s) xattrs and inline data", (unsigned long long)ino->nid, ino->path);
	if (ino->data_len) {
		r = radd(c->rs, ino->data_off, ino->data_len, R_BLOCKS, "%s: data block",
			 S_ISDIR(ino->mode) ? "directory" : "file");
		if (r) {
			snprintf(r->name, sizeof(r->name), "data of %s, block", ino->path);
			r->unit = EROFS_BLK;
		}
	}
	return 0;
}

static void regions_erofs(struct regions *rs, const struct img *im, uint64_t off, uint64_t len)
{
	struct erofs_info sb;
	struct vc_error err;

	if (erofs_read_sb(im, off, len, &sb, &err) < 0)
		return;
	rfields(radd(rs, EROFS_SB_OFF, sizeof(struct erofs_super_block_disk), R_PLAIN,
		     "EROFS superblock"),
		erofs_sb_fields, VC_ARRAY_SIZE(erofs_sb_fields));
	struct ereg c = {.rs = rs, .first = rs->n};
	erofs_walk(im, off, len, &sb, erofs_region, &c, &err);
	/* anything else of the image, by block */
	struct region *r = radd(rs, 0, (uint64_t)sb.blocks * EROFS_BLK, R_BLOCKS, "EROFS block");
	if (r)
		r->unit = EROFS_BLK;
	uint64_t fs = (uint64_t)sb.blocks * EROFS_BLK;
	if (len > fs && img_probe(im, off + fs, len - fs) == VC_INSPECT_VERITY) {
		struct vc_verity_params vp;
		struct vc_verity_plan pl;
		if (verity_load(im, off + fs, len - fs, &vp, &pl, &err) == 0) {
			rfields(radd(rs, fs, sizeof(struct verity_sb_disk), R_PLAIN,
				     "embedded verity superblock"),
				verity_sb_fields, VC_ARRAY_SIZE(verity_sb_fields));
			for (int l = 0; l < pl.levels; l++) {
				r = radd(rs, fs + pl.level_offset[l],
					 pl.level_blocks[l] * vp.hash_block_size, R_BLOCKS,
					 "embedded verity level %d block", l);
				if (r) {
					r->unit = vp.hash_block_size;
					r->agg = true;
				}
			}
		}
	}
}

static void regions_verity(struct regions *rs, const struct img *im, uint64_t off, uint64_t len)
{
	struct vc_verity_params vp;
	struct vc_verity_plan pl;
	struct vc_error err;

	if (verity_load(im, off, len, &vp, &pl, &err) < 0)
		return;
	rfields(radd(rs, 0, sizeof(struct verity_sb_disk), R_PLAIN, "verity superblock"),
		verity_sb_fields, VC_ARRAY_SIZE(verity_sb_fields));
	for (int l = 0; l < pl.levels; l++) {
		struct region *r =
		    radd(rs, pl.level_offset[l], pl.level_blocks[l] * vp.hash_block_size, R_BLOCKS,
			 "verity level %d block", l);
		if (r) {
			r->unit = vp.hash_block_size;
			r->agg = true;
		}
	}
}

struct freg {
	struct regions *rs;
	const struct img *im;
	uint64_t off;
	const struct fat_info *fi;
	bool b; /* listing B's files */
};

static int fat_region(void *ctx, const struct fat_file *f, struct vc_error *err)
{
	struct freg *c = ctx;
	struct file_ref **list = c->b ? &c->rs->fb : &c->rs->fa;
	size_t *n = c->b ? &c->rs->nfb : &c->rs->nfa;

	if (*n % 64 == 0) {
		void *p = realloc(*list, (*n + 64) * sizeof(**list));
		if (!p)
			return vc_errorf(err, VC_ENOMEM, "out of memory");
		*list = p;
	}
	struct file_ref *fr = &(*list)[*n];
	fr->f = *f;
	fr->path = strdup(f->path);
	if (!fr->path)
		return vc_errorf(err, VC_ENOMEM, "out of memory");
	fr->f.path = fr->path;
	(*n)++;
	if (c->b)
		return 0;
	rfields(radd(c->rs, f->dirent_off, sizeof(struct fat_dirent_disk), R_PLAIN,
		     "directory entry of %s", f->path),
		fat_dirent_fields, VC_ARRAY_SIZE(fat_dirent_fields));
	/* the file's (or directory's) clusters, one region per run */
	uint32_t *ch = NULL;
	size_t nc = 0;
	struct vc_error e2;
	if (f->first_cluster && fat_chain(c->im, c->off, c->fi, f->first_cluster, c->fi->clusters,
					  &ch, &nc, &e2) == 0) {
		for (size_t i = 0; i < nc;) {
			size_t k = i + 1;
			while (k < nc && ch[k] == ch[k - 1] + 1)
				k++;
			uint64_t at = c->fi->data_off + (uint64_t)(ch[i] - 2) * c->fi->cluster_size;
			struct region *r =
			    radd(c->rs, at, (uint64_t)(k - i) * c->fi->cluster_size,
				 f->dir ? R_BLOCKS : R_FILE, "%s %s%s",
				 f->dir ? "directory" : "file", f->path, f->dir ? " entry" : "");
			if (r && f->dir) {
				/* entries numbered from the run's start */
				r->unit = sizeof(struct fat_dirent_disk);
				r->first = (uint64_t)i * c->fi->cluster_size / r->unit;
				rfields(r, fat_dirent_fields, VC_ARRAY_SIZE(fat_dirent_fields));
			} else if (r) {
				r->file = *n - 1;
			}
			i = k;
		}
	}
	free(ch);
	return 0;
}

static void regions_fat(struct regions *rs, const struct img *ia, uint64_t oa, uint64_t la,
			const struct img *ib, uint64_t ob, uint64_t lb)
{
	struct vc_error err;
	struct fat_info *fi = &rs->fia;

	if (fat_read(ia, oa, la, fi, &err) < 0)
		return;
	if (fat_read(ib, ob, lb, &rs->fib, &err) < 0) {
		fat_fini(fi);
		return;
	}
	rs->have_fat = true;
	const struct field *ext = fi->bits == 32 ? fat_bs32 : fat_bs16;
	size_t next = fi->bits == 32 ? VC_ARRAY_SIZE(fat_bs32) : VC_ARRAY_SIZE(fat_bs16);
	/* two tables joined: common BPB fields, then the type's */
	static struct field bs32[VC_ARRAY_SIZE(fat_bs_common) + VC_ARRAY_SIZE(fat_bs32)];
	static struct field bs16[VC_ARRAY_SIZE(fat_bs_common) + VC_ARRAY_SIZE(fat_bs16)];
	struct field *t = fi->bits == 32 ? bs32 : bs16;
	memcpy(t, fat_bs_common, sizeof(fat_bs_common));
	memcpy(t + VC_ARRAY_SIZE(fat_bs_common), ext, next * sizeof(*ext));
	size_t nt = VC_ARRAY_SIZE(fat_bs_common) + next;
	uint64_t bps = fi->bytes_per_sector;
	rfields(radd(rs, 0, FAT_SECTOR, R_PLAIN, "FAT boot sector"), t, nt);
	if (fi->fsinfo_sector)
		radd(rs, fi->fsinfo_sector * bps, sizeof(struct fat32_fsinfo_disk), R_PLAIN,
		     "FAT32 FSInfo sector");
	if (fi->backup_sector)
		rfields(radd(rs, fi->backup_sector * bps, FAT_SECTOR, R_PLAIN,
			     "FAT backup boot sector"),
			t, nt);
	for (uint32_t k = 0; k < fi->n_fats; k++) {
		struct region *r = radd(rs,
					((uint64_t)fi->reserved + (uint64_t)k * fi->fat_sectors) *
					    fi->bytes_per_sector,
					(uint64_t)fi->fat_sectors * fi->bytes_per_sector, R_BLOCKS,
					"FAT %u sector", k + 1);
		if (r) {
			r->unit = fi->bytes_per_sector;
			r->agg = true;
		}
	}
	if (fi->bits != 32) {
		struct region *r = radd(rs, fi->root_off,
					(uint64_t)fi->root_entries * sizeof(struct fat_dirent_disk),
					R_BLOCKS, "root directory entry");
		if (r) {
			r->unit = sizeof(struct fat_dirent_disk);
			rfields(r, fat_dirent_fields, VC_ARRAY_SIZE(fat_dirent_fields));
		}
	}
	struct freg c = {.rs = rs, .im = ia, .off = oa, .fi = fi};
	fat_walk(ia, oa, fi, fat_region, &c, NULL, "", &err);
	struct freg cb = {.rs = rs, .im = ib, .off = ob, .fi = &rs->fib, .b = true};
	fat_walk(ib, ob, &rs->fib, fat_region, &cb, NULL, "", &err);
}

/* ---- naming what differs inside a region ---- */

struct dx {
	const struct img *a, *b;
	struct vc_inspect_report *rep;
	size_t max;
	size_t part_reports;
	const char *where;
	bool stop;
};

static void report(struct dx *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(struct dx *d, const char *fmt, ...)
{
	char buf[416];
	va_list ap;

	if (d->stop)
		return;
	if (d->rep->n_failed >= d->max || d->part_reports >= PER_PART_MAX) {
		if (d->part_reports == PER_PART_MAX && d->rep->n_failed < d->max)
			vc_inspect_report_add(d->rep, true, d->where,
					      "... more differences not listed");
		d->part_reports++;
		if (d->rep->n_failed >= d->max)
			d->stop = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	vc_inspect_report_add(d->rep, true, d->where, "%s", buf);
	d->part_reports++;
}

static void field_list(const uint8_t *a, const uint8_t *b, size_t len, const struct field *f,
		       size_t n, char *out, size_t on)
{
	size_t o = 0;

	out[0] = 0;
	for (size_t i = 0; i < n; i++) {
		if (f[i].off + f[i].len > len)
			continue;
		if (memcmp(a + f[i].off, b + f[i].off, f[i].len) == 0)
			continue;
		int k = snprintf(out + o, on - o, "%s%s", o ? ", " : "", f[i].name);
		if (k < 0 || (size_t)k >= on - o)
			break;
		o += (size_t)k;
	}
}

/* Whether byte i lies in the len bytes of a field at off. */
static bool in_field(size_t i, size_t off, size_t len)
{
	return i >= off && i < off + len;
}

static void pe_diff(struct dx *d, const char *name, const uint8_t *a, size_t la, const uint8_t *b,
		    size_t lb)
{
	struct vc_pe_image *pa = calloc(1, sizeof(*pa)), *pb = calloc(1, sizeof(*pb));
	struct vc_error err;

	if (!pa || !pb || vc_pe_parse(a, la, name, pa, &err) < 0 ||
	    vc_pe_parse(b, lb, name, pb, &err) < 0) {
		size_t i = 0;
		while (i < la && i < lb && a[i] == b[i])
			i++;
		report(d, "%s: first difference at byte %zu (sizes %zu and %zu)", name, i, la, lb);
		goto out;
	}
	if (la != lb)
		report(d, "%s: size %zu vs %zu", name, la, lb);
	/* the header fields a rebuild changes, then everything else of the headers */
	if (pa->time_date_stamp != pb->time_date_stamp)
		report(d, "%s: PE header TimeDateStamp (%u vs %u)", name, pa->time_date_stamp,
		       pb->time_date_stamp);
	if (pa->checksum != pb->checksum)
		report(d, "%s: PE header CheckSum", name);
	if (pa->n_sections != pb->n_sections) {
		report(d, "%s: %u vs %u sections", name, pa->n_sections, pb->n_sections);
		goto out;
	}
	{
		/* TimeDateStamp (the COFF header follows the signature) and CheckSum
		 * (at one place in PE32 and PE32+) were compared above */
		const size_t stamp_at =
		    PE_SIG_BYTES + offsetof(struct pe_coff_header_disk, time_date_stamp);
		const size_t checksum_at = offsetof(struct pe_opt_header64_disk, checksum);
		const size_t sect = sizeof(struct pe_section_disk);
		size_t h =
		    pa->size_of_headers < la && pa->size_of_headers < lb ? pa->size_of_headers : 0;
		for (size_t i = 0; i < h; i++) {
			if (a[i] == b[i] ||
			    in_field(i, pa->pe_offset + stamp_at,
				     MEMBER_SIZE(pe_coff_header_disk, time_date_stamp)) ||
			    in_field(i, pa->opt_offset + checksum_at,
				     MEMBER_SIZE(pe_opt_header64_disk, checksum)))
				continue;
			if (i >= pa->section_table_offset &&
			    i < pa->section_table_offset + sect * pa->n_sections)
				report(d, "%s: PE section header of %s", name,
				       pa->sections[(i - pa->section_table_offset) / sect].name);
			else
				report(d, "%s: PE headers, byte %zu", name, i);
			break;
		}
	}
	for (unsigned i = 0; i < pa->n_sections; i++) {
		const uint8_t *sa, *sb;
		size_t na = vc_pe_section_data(pa, &pa->sections[i], &sa);
		size_t nb = vc_pe_section_data(pb, &pb->sections[i], &sb);
		if (na == nb && memcmp(sa, sb, na) == 0)
			continue;
		size_t k = 0;
		while (k < na && k < nb && sa[k] == sb[k])
			k++;
		report(d,
		       "%s: PE section %s (%zu vs %zu bytes, first difference at byte %zu of it)",
		       name, pa->sections[i].name, na, nb, k);
	}
out:
	free(pa);
	free(pb);
}

static const struct file_ref *find_file(const struct file_ref *v, size_t n, const char *path)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].path, path) == 0)
			return &v[i];
	return NULL;
}

static void file_diff(struct dx *d, struct regions *rs, uint64_t oa, uint64_t ob, size_t idx)
{
	const struct file_ref *fa = &rs->fa[idx];
	const struct file_ref *fb = find_file(rs->fb, rs->nfb, fa->path);
	uint8_t *a = NULL, *b = NULL;
	struct vc_error err;

	if (!fb) {
		report(d, "%s: only in the first image", fa->path);
		return;
	}
	if (fat_read_file(d->a, oa, &rs->fia, &fa->f, &a, &err) < 0 ||
	    fat_read_file(d->b, ob, &rs->fib, &fb->f, &b, &err) < 0) {
		report(d, "%s: unreadable: %s", fa->path, err.msg);
	} else if (fa->f.size == fb->f.size && memcmp(a, b, fa->f.size) == 0) {
		/* same content elsewhere: the clusters moved */
		report(d, "file %s: same content at other clusters", fa->path);
	} else if (fa->f.size >= 2 && fb->f.size >= 2 && a[0] == 'M' && a[1] == 'Z') {
		pe_diff(d, fa->path, a, fa->f.size, b, fb->f.size);
	} else {
		size_t i = 0;
		while (i < fa->f.size && i < fb->f.size && a[i] == b[i])
			i++;
		report(d, "file %s: content differs from byte %zu (sizes %u and %u)", fa->path, i,
		       fa->f.size, fb->f.size);
	}
	free(a);
	free(b);
}

static void sig_diff(struct dx *d, uint64_t oa, uint64_t la, uint64_t ob, uint64_t lb)
{
	uint8_t *a = NULL, *b = NULL;
	struct vc_json_value ja = {0}, jb = {0};
	struct vc_error err;

	if (la > (16u << 20) || lb > (16u << 20) || img_read_alloc(d->a, oa, la, &a, &err) < 0 ||
	    img_read_alloc(d->b, ob, lb, &b, &err) < 0 ||
	    vc_json_parse((char *)a, strnlen((char *)a, (size_t)la), &ja, &err) < 0 ||
	    vc_json_parse((char *)b, strnlen((char *)b, (size_t)lb), &jb, &err) < 0) {
		report(d, "signature JSON (unreadable)");
	} else {
		for (size_t i = 0; i < ja.n_kids; i++) {
			const struct vc_json_value *x = &ja.kids[i], *y = vc_json_get(&jb, x->key);
			bool same = y && x->type == y->type &&
				    (x->type != VC_JSON_STR || strcmp(x->str, y->str) == 0);
			if (!same)
				report(d, "signature JSON \"%s\"", x->key);
		}
	}
	vc_json_value_free(&ja);
	vc_json_value_free(&jb);
	free(a);
	free(b);
}

/* The most specific region holding pos (the shortest), or NULL. */
static struct region *region_at(struct regions *rs, uint64_t pos)
{
	struct region *best = NULL;

	for (size_t i = 0; i < rs->n; i++) {
		struct region *r = &rs->v[i];
		if (pos >= r->off && pos - r->off < r->len && (!best || r->len < best->len))
			best = r;
	}
	return best;
}

/* Counts the blocks in [from, to) of an aggregated region that differ. */
static int count_blocks(struct dx *d, const struct region *rg, uint64_t oa, uint64_t ob,
			uint64_t from, uint64_t to, uint64_t *n_diff, uint64_t *last,
			struct vc_error *err)
{
	uint8_t *a = malloc(rg->unit), *b = malloc(rg->unit);
	int r = 0;

	if (!a || !b) {
		r = vc_errorf(err, VC_ENOMEM, "out of memory");
		goto out;
	}
	for (uint64_t k = from; k < to; k++) {
		uint64_t at = rg->off + k * rg->unit;
		r = img_read(d->a, oa + at, a, (size_t)rg->unit, err);
		if (r == 0)
			r = img_read(d->b, ob + at, b, (size_t)rg->unit, err);
		if (r < 0)
			break;
		if (memcmp(a, b, (size_t)rg->unit)) {
			(*n_diff)++;
			*last = k;
		}
	}
out:
	free(a);
	free(b);
	return r;
}

/* Compares [oa+start, oa+len) of A with [ob+start, ob+len) of B and names
 * each region (offsets relative to oa) that differs. */
static int compare_window(struct dx *d, struct regions *rs, uint64_t oa, uint64_t ob,
			  uint64_t start, uint64_t len, struct vc_error *err)
{
	uint8_t *ba = malloc(CHUNK), *bb = malloc(CHUNK);
	bool *file_done = calloc(rs->nfa + 1, sizeof(bool));
	bool sig_done = false;
	uint64_t pos = start;
	int r = 0;

	if (!ba || !bb || !file_done) {
		r = vc_errorf(err, VC_ENOMEM, "out of memory");
		goto out;
	}
	while (pos < len && !d->stop) {
		size_t n = len - pos < CHUNK ? (size_t)(len - pos) : CHUNK;
		r = img_read(d->a, oa + pos, ba, n, err);
		if (r == 0)
			r = img_read(d->b, ob + pos, bb, n, err);
		if (r < 0)
			goto out;
		if (memcmp(ba, bb, n) == 0) {
			pos += n;
			continue;
		}
		size_t i = 0;
		while (ba[i] == bb[i])
			i++;
		uint64_t p = pos + i;
		struct region *rg = region_at(rs, p);
		uint64_t next;
		if (!rg) {
			report(d, "bytes at offset %llu (no structure known there)",
			       (unsigned long long)(oa + p));
			next = VC_ROUND_UP(p + 1, 4096);
		} else if (rg->kind == R_BLOCKS) {
			uint64_t k = (p - rg->off) / rg->unit;
			char fl[300] = "";
			if (rg->n_fields && rg->unit <= 4096) {
				uint8_t fa[4096], fb[4096];
				uint64_t at = rg->off + k * rg->unit;
				if (img_read(d->a, oa + at, fa, (size_t)rg->unit, err) == 0 &&
				    img_read(d->b, ob + at, fb, (size_t)rg->unit, err) == 0)
					field_list(fa, fb, (size_t)rg->unit, rg->fields,
						   rg->n_fields, fl, sizeof(fl));
				vc_error_clear(err);
			}
			next = rg->off + (k + 1) * rg->unit;
			if (fl[0]) {
				report(d, "%s %llu field%s %s", rg->name,
				       (unsigned long long)(rg->first + k),
				       strchr(fl, ',') ? "s" : "", fl);
			} else if (rg->agg) {
				/* the differing blocks of the whole region, in one line */
				uint64_t nb = rg->len / rg->unit, n_diff = 1, last = k;
				r = count_blocks(d, rg, oa, ob, k + 1, nb, &n_diff, &last, err);
				if (r < 0)
					goto out;
				if (n_diff == 1)
					report(d, "%s %llu (offset %llu)", rg->name,
					       (unsigned long long)(rg->first + k),
					       (unsigned long long)(oa + p));
				else
					report(d,
					       "%s %llu (offset %llu) and %llu more up to block "
					       "%llu, of %llu",
					       rg->name, (unsigned long long)(rg->first + k),
					       (unsigned long long)(oa + p),
					       (unsigned long long)(n_diff - 1),
					       (unsigned long long)(rg->first + last),
					       (unsigned long long)nb);
				next = rg->off + rg->len;
			} else {
				report(d, "%s %llu (offset %llu)", rg->name,
				       (unsigned long long)(rg->first + k),
				       (unsigned long long)(oa + p));
			}
		} else if (rg->kind == R_FILE) {
			if (!file_done[rg->file])
				file_diff(d, rs, oa, ob, rg->file);
			file_done[rg->file] = true;
			next = rg->off + rg->len;
		} else if (rg->kind == R_SIG) {
			if (!sig_done)
				sig_diff(d, oa + rg->off, rg->len, ob + rg->off, rg->len);
			sig_done = true;
			next = rg->off + rg->len;
		} else {
			char fl[300] = "";
			if (rg->n_fields && rg->len <= 4096) {
				uint8_t fa[4096], fb[4096];
				if (img_read(d->a, oa + rg->off, fa, (size_t)rg->len, err) == 0 &&
				    img_read(d->b, ob + rg->off, fb, (size_t)rg->len, err) == 0)
					field_list(fa, fb, (size_t)rg->len, rg->fields,
						   rg->n_fields, fl, sizeof(fl));
				vc_error_clear(err);
			}
			if (fl[0])
				report(d, "%s field%s %s", rg->name, strchr(fl, ',') ? "s" : "",
				       fl);
			else
				report(d, "%s (offset %llu)", rg->name,
				       (unsigned long long)(oa + p));
			next = rg->off + rg->len;
		}
		pos = next > p ? next : p + 1;
	}
out:
	free(ba);
	free(bb);
	free(file_done);
	return r;
}

/* One window of the same kind in both images: its regions, then the bytes. */
static int diff_window(struct dx *d, const char *where, enum vc_inspect_kind k, uint64_t oa,
		       uint64_t la, uint64_t ob, uint64_t lb, struct vc_error *err)
{
	struct regions rs = {0};
	int r;

	d->where = where;
	d->part_reports = 0;
	switch (k) {
	case VC_INSPECT_EROFS: regions_erofs(&rs, d->a, oa, la); break;
	case VC_INSPECT_VERITY: regions_verity(&rs, d->a, oa, la); break;
	case VC_INSPECT_FAT: regions_fat(&rs, d->a, oa, la, d->b, ob, lb); break;
	case VC_INSPECT_SIG: radd(&rs, 0, la, R_SIG, "signature JSON"); break;
	case VC_INSPECT_PE:
		if (la <= VC_INSPECT_MAX_FILE_READ && lb <= VC_INSPECT_MAX_FILE_READ) {
			uint8_t *a = NULL, *b = NULL;
			r = img_read_alloc(d->a, oa, la, &a, err);
			if (r == 0)
				r = img_read_alloc(d->b, ob, lb, &b, err);
			if (r == 0 && (la != lb || memcmp(a, b, (size_t)la)))
				pe_diff(d, "PE", a, (size_t)la, b, (size_t)lb);
			free(a);
			free(b);
			return r;
		}
		break;
	default: break;
	}
	if (la != lb)
		report(d, "size %llu vs %llu", (unsigned long long)la, (unsigned long long)lb);
	r = compare_window(d, &rs, oa, ob, 0, la < lb ? la : lb, err);
	regions_fini(&rs);
	return r;
}

int vc_inspect_diff(const char *pa, const char *pb, size_t max, struct vc_inspect_report *rep,
		    struct vc_error *err)
{
	struct img a = {.fd = -1}, b = {.fd = -1};
	struct gpt_info *ga = NULL, *gb = NULL;
	struct dx d = {.a = &a, .b = &b, .rep = rep, .max = max ? max : 64};
	int r;

	r = img_open(pa, &a, err);
	if (r == 0)
		r = img_open(pb, &b, err);
	if (r < 0)
		goto out;
	enum vc_inspect_kind ka = img_probe(&a, 0, a.size), kb = img_probe(&b, 0, b.size);
	if (ka != kb) {
		d.where = "image";
		report(&d, "%s is %s, %s is %s", pa, vc_inspect_kind_name(ka), pb,
		       vc_inspect_kind_name(kb));
		goto out;
	}
	if (ka != VC_INSPECT_DISK) {
		r = diff_window(&d, vc_inspect_kind_name(ka), ka, 0, a.size, 0, b.size, err);
		goto out;
	}
	ga = calloc(1, sizeof(*ga));
	gb = calloc(1, sizeof(*gb));
	if (!ga || !gb) {
		r = vc_errorf(err, VC_ENOMEM, "out of memory");
		goto out;
	}
	if (gpt_read(&a, ga, NULL, err) < 0 || gpt_read(&b, gb, NULL, err) < 0) {
		r = VC_EINVAL;
		goto out;
	}
	/* the partition table: everything outside the partitions */
	{
		struct regions rs = {0};
		regions_gpt(&rs, &a);
		d.where = "gpt";
		if (a.size != b.size)
			report(&d, "disk size %llu vs %llu", (unsigned long long)a.size,
			       (unsigned long long)b.size);
		uint64_t end = a.size < b.size ? a.size : b.size;
		/* the table areas only: the head up to the first partition and the
		 * tail after the last usable LBA (the partitions follow below) */
		uint64_t head = end;
		for (size_t i = 0; i < ga->n_parts; i++)
			if (ga->parts[i].offset < head)
				head = ga->parts[i].offset;
		uint64_t tail = (ga->last_usable + 1) * ga->sector;
		r = compare_window(&d, &rs, 0, 0, 0, head < end ? head : end, err);
		if (r == 0 && tail < end)
			r = compare_window(&d, &rs, 0, 0, tail, end, err);
		regions_fini(&rs);
		if (r < 0)
			goto out;
	}
	for (size_t i = 0; i < ga->n_parts && !d.stop; i++) {
		const struct gpt_part *p = &ga->parts[i], *q = NULL;
		char where[128];
		for (size_t k = 0; k < gb->n_parts; k++)
			if (gb->parts[k].index == p->index)
				q = &gb->parts[k];
		gpt_part_where(p, where, sizeof(where));
		d.where = where;
		d.part_reports = 0;
		if (!q) {
			report(&d, "not in %s", pb);
			continue;
		}
		if (p->offset != q->offset || p->size != q->size)
			report(&d, "at offset %llu size %llu vs offset %llu size %llu",
			       (unsigned long long)p->offset, (unsigned long long)p->size,
			       (unsigned long long)q->offset, (unsigned long long)q->size);
		enum vc_inspect_kind k = img_probe(&a, p->offset, p->size);
		r = diff_window(&d, where, k, p->offset, p->size, q->offset, q->size, err);
		if (r < 0)
			goto out;
	}
	for (size_t k = 0; k < gb->n_parts; k++) {
		bool found = false;
		for (size_t i = 0; i < ga->n_parts; i++)
			found |= ga->parts[i].index == gb->parts[k].index;
		if (!found) {
			d.where = "gpt";
			report(&d, "partition %u only in %s", gb->parts[k].index, pb);
		}
	}
	r = 0;
out:
	free(ga);
	free(gb);
	if (a.fd >= 0)
		img_close(&a);
	if (b.fd >= 0)
		img_close(&b);
	return r;
}
