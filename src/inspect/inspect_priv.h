/* SPDX-License-Identifier: MIT */
/* Private to src/inspect: the bounded file reader and the format readers.
 * Every reader takes the window [off, off + len) of the image it may read and
 * never reads outside it. */
#ifndef VC_INSPECT_PRIV_H
#define VC_INSPECT_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vcompose/error.h"
#include "vcompose/gpt.h"
#include "vcompose/inspect.h"
#include "vcompose/sink.h"
#include "vcompose/util.h"
#include "vcompose/verity.h"
#include "erofs/erofs_disk.h"

/* ---- the file ---- */
struct img {
	int fd;
	uint64_t size;
	const char *path; /* borrowed */
};
int img_open(const char *path, struct img *ret, struct vc_error *err);
void img_close(struct img *im);
/* Reads exactly len bytes at off; an error (VC_EINVAL) names the offset when
 * the range is outside the file. */
int img_read(const struct img *im, uint64_t off, void *buf, size_t len, struct vc_error *err);
/* Reads [off, off + len) into a new buffer (len <= VC_INSPECT_MAX_FILE_READ). */
int img_read_alloc(const struct img *im, uint64_t off, uint64_t len, uint8_t **ret,
		   struct vc_error *err);
/* A read-only sink over [off, off + len) of the file (for vc_verity_verify). */
struct vc_sink img_sink(const struct img *im, uint64_t off, uint64_t len, const char *who);
enum vc_inspect_kind img_probe(const struct img *im, uint64_t off, uint64_t len);
/* Whether [off, off + len) holds only zero bytes: a reserved, still empty
 * partition (the signature partition of a deferred build, before `sign
 * join`). Reads at most VC_INSPECT_SIG_MAX bytes; a longer range is not
 * called empty. */
#define VC_INSPECT_SIG_MAX (16u << 20)
bool img_is_zero(const struct img *im, uint64_t off, uint64_t len);

/* ---- GPT ---- */
struct gpt_part {
	unsigned index;	  /* 1-based entry number */
	uint8_t type[16]; /* RFC 4122 order */
	uint8_t uuid[16];
	char label[VC_GPT_LABEL_MAX + 1];
	uint64_t attrs;
	uint64_t first_lba, last_lba;
	uint64_t offset, size; /* bytes */
	const char *type_name; /* DPS name or NULL */
};
struct gpt_info {
	uint32_t sector;
	uint8_t disk_guid[16];
	uint64_t first_usable, last_usable, alternate_lba, entries_lba;
	uint32_t n_entries, entry_size;
	bool primary_ok, backup_ok;
	struct gpt_part parts[VC_GPT_MAX_PARTS];
	size_t n_parts;
};
/* Reads the GPT; findings (CRCs, backup, bounds) go to checks (may be NULL).
 * Fails when neither header is usable. */
int gpt_read(const struct img *im, struct gpt_info *ret, struct vc_inspect_report *checks,
	     struct vc_error *err);
void guid_from_disk(const uint8_t in[16], uint8_t out[16]);
/* A partition's name for messages: "root (partition 2)". */
void gpt_part_where(const struct gpt_part *p, char *out, size_t n);

/* ---- EROFS ---- */
#define EROFS_SB_OFF EROFS_SUPER_OFFSET /* from erofs_disk.h */
#define EROFS_BLK    EROFS_BLKSIZ
struct erofs_info {
	uint32_t checksum, computed;
	bool has_csum;
	uint32_t feature_compat, feature_incompat;
	uint8_t blkszbits;
	uint16_t root_nid;
	uint64_t inos;
	uint64_t build_time;
	uint32_t build_time_nsec;
	uint32_t blocks;
	uint32_t meta_blkaddr, xattr_blkaddr;
	uint8_t uuid[16];
	char label[17];
	uint16_t u1;
};
int erofs_read_sb(const struct img *im, uint64_t off, uint64_t len, struct erofs_info *ret,
		  struct vc_error *err);
/* One inode met by the walk (paths in tree order). */
struct erofs_inode {
	uint64_t nid;
	const char *path;
	bool extended;
	unsigned layout; /* EROFS data layout */
	uint16_t mode;
	uint64_t size;
	uint32_t i_u;		     /* raw_blkaddr etc. */
	uint64_t meta_off;	     /* byte of the inode in the fs */
	uint64_t meta_len;	     /* inode + xattrs + inline tail or map */
	uint64_t data_off, data_len; /* block-aligned data (flat layouts), 0 if none */
};
typedef int (*erofs_walk_fn)(void *ctx, const struct erofs_inode *ino, struct vc_error *err);
/* Walks every inode reachable from the root, depth first, names sorted;
 * checks each record it reads. */
int erofs_walk(const struct img *im, uint64_t off, uint64_t len, const struct erofs_info *sb,
	       erofs_walk_fn fn, void *ctx, struct vc_error *err);

/* ---- FAT ---- */
struct fat_info {
	unsigned bits;
	uint32_t bytes_per_sector, sectors_per_cluster, reserved, n_fats, root_entries;
	uint64_t total_sectors;
	uint32_t fat_sectors;
	uint32_t root_cluster;	/* FAT32 */
	uint32_t fsinfo_sector; /* FAT32: BPB_FSInfo (0: none) */
	uint32_t backup_sector; /* FAT32: BPB_BkBootSec (0: none) */
	uint32_t volume_id;
	char label[12];
	char oem[9];
	uint64_t root_off; /* FAT12/16 fixed root directory, bytes from fs start */
	uint64_t data_off; /* first data cluster (2) */
	uint32_t clusters;
	uint32_t cluster_size;
	uint8_t *fat; /* the first FAT, read whole (owned) */
	size_t fat_len;
};
/* Reads the boot sector and the first FAT; fat_fini() frees it. */
int fat_read(const struct img *im, uint64_t off, uint64_t len, struct fat_info *ret,
	     struct vc_error *err);
void fat_fini(struct fat_info *fi);
struct fat_file {
	const char *path; /* "/EFI/BOOT/BOOTX64.EFI" */
	bool dir;
	uint32_t size;
	uint32_t first_cluster;
	uint64_t dirent_off; /* of the short entry, bytes from fs start */
	uint16_t wtime, wdate, ctime, cdate, adate;
};
typedef int (*fat_walk_fn)(void *ctx, const struct fat_file *f, struct vc_error *err);
/* Walks every file and directory; with check, also cross-checks chains
 * (no cluster twice, chain length against size) and both FATs, adding to
 * checks. */
int fat_walk(const struct img *im, uint64_t off, const struct fat_info *fi, fat_walk_fn fn,
	     void *ctx, struct vc_inspect_report *checks, const char *where, struct vc_error *err);
/* Reads a whole file by its chain (size <= VC_INSPECT_MAX_FILE_READ). */
int fat_read_file(const struct img *im, uint64_t off, const struct fat_info *fi,
		  const struct fat_file *f, uint8_t **ret, struct vc_error *err);
/* Byte offsets (from fs start) of a file's clusters, in order; n clusters. */
int fat_chain(const struct img *im, uint64_t off, const struct fat_info *fi, uint32_t first,
	      uint32_t max, uint32_t **ret, size_t *ret_n, struct vc_error *err);

/* ---- a UKI's TPM PCR 11 (pcr.c) ---- */
struct vc_measure;
struct vc_pe_image;
/* PCR 11 after systemd-stub, from the sections as the file loads them. */
int inspect_uki_measure(const struct vc_pe_image *pe, unsigned banks, struct vc_measure *ret,
			struct vc_error *err);
/* "pcr11" of inspect: the SHA-256 prediction (an object); an error when the
 * stub's measurements are not modelled. */
int inspect_pcr11_json(const struct vc_pe_image *pe, struct vc_json *j, struct vc_error *err);
/* Checks .pcrsig (when present) against .pcrpkey and the measured sections. */
void inspect_check_pcrsig(const struct vc_pe_image *pe, const char *where,
			  struct vc_inspect_report *rep);

/* ---- the UKI: roothash= and usrhash= of a command line ---- */
bool cmdline_get(const char *cmdline, const char *key, char *out, size_t n);

/* ---- verity areas and pairs (describe.c, verify.c, diff.c) ---- */
/* The superblock at area_off and the plan of the tree after it (hash offsets
 * relative to area_off). */
int verity_load(const struct img *im, uint64_t area_off, uint64_t area_len,
		struct vc_verity_params *vp, struct vc_verity_plan *pl, struct vc_error *err);
/* The root hash of the stored tree (its top block; a one-block tree: the data). */
int verity_stored_root(const struct img *im, uint64_t area_off, const struct vc_verity_params *vp,
		       const struct vc_verity_plan *pl, bool have_data, uint64_t data_off,
		       uint8_t root[32], struct vc_error *err);
const struct gpt_part *gpt_pair_data(const struct gpt_info *g, const struct gpt_part *hash);

#endif
