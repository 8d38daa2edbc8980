/* SPDX-License-Identifier: MIT */
/* FAT file systems (an EFI system partition), written in one pass.
 *
 * Spec: Microsoft "FAT: General Overview of On-Disk Format" (fatgen103, 2000):
 * section 3 (boot sector and BPB), 3.3 (FAT type by cluster count), 4 (FAT),
 * 5 (FAT32 FSInfo), 6 (directory entries, dates and times), 7 (long names,
 * short-name generation and checksum). UEFI 2.10 section 13.3 (ESP uses FAT).
 *
 * What it writes: a FAT12, FAT16 or FAT32 image of a given size, with the
 * type, cluster size, reserved sectors, FAT size and root-directory size that
 * mkfs.fat (dosfstools 4.2) picks for that size, two FATs, FSInfo and backup
 * boot sector for FAT32, then the given directories and files, with VFAT long
 * names and deterministic 8.3 short names. Clusters are handed out in
 * pre-order of the tree (a directory before its children, children in the
 * order of their names' bytes), so the bytes depend on the content only.
 * Every timestamp is the given epoch as UTC, clamped to 1980..2107, DOS's
 * 2-second resolution. What it does not write: boot code (a halt loop only),
 * symlinks or special files, other attributes than directory/archive.
 *
 *	struct vc_fat_options o = { .size = 64 << 20, .volume_id = id, .label = "ESP",
 *				    .epoch = sde };
 *	struct vc_fat *f;
 *	vc_fat_new(&o, &f, err);
 *	vc_fat_add_file(f, "EFI/BOOT/BOOTX64.EFI", size, read_cb, ctx, err);  // parents implied
 *	vc_fat_add_tree(f, tree, err);           // or a whole vc_tree
 *	vc_fat_write(f, &window, err);           // "needs N MiB" if it does not fit
 *	vc_fat_free(f);
 */
#ifndef VCOMPOSE_FAT_H
#define VCOMPOSE_FAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vcompose/error.h"
#include "vcompose/sink.h"

struct vc_tree;

#define VC_FAT_NAME_UNITS 255	      /* UTF-16 units of a long name */
#define VC_FAT_PATH_MAX	  4095	      /* bytes of a path given to vc_fat_add_*() */
#define VC_FAT_NODES_MAX  (1u << 20)  /* files and directories in one image */
#define VC_FAT_SIZE_MIN	  (64 * 1024) /* smallest image we make */

struct vc_fat_options {
	uint64_t size;		 /* bytes of the image; a multiple of 512 */
	uint32_t volume_id;	 /* the serial number blkid shows; derive it from the seed */
	const char *label;	 /* volume label: ASCII, at most 11 bytes, upper-cased;
				  * NULL or "" for none ("NO NAME") */
	int64_t epoch;		 /* every timestamp, in seconds since 1970 (UTC) */
	uint32_t hidden_sectors; /* sectors before the file system on its disk (0 like
				  * mkfs.fat on a file; the partition's first LBA in a GPT) */
};

/* The one volume-id derivation (`vcompose build`'s ESP and `vcompose fat`):
 * the first 4 bytes of vc_uuid_derive(seed, "esp-volume-id"), big-endian (as
 * blkid prints it), where seed is the image seed (vc_seed_derive()). */
uint32_t vc_fat_volume_id(const void *seed, size_t seed_len);

/* Reads len bytes of a file at off into buf; 0 or a VC_E* code. */
typedef int (*vc_fat_read_fn)(void *ctx, uint64_t off, void *buf, size_t len, struct vc_error *err);

struct vc_fat;

/* Checks the options (size, label) and copies them; *ret is owned by the caller. */
int vc_fat_new(const struct vc_fat_options *o, struct vc_fat **ret, struct vc_error *err);
void vc_fat_free(struct vc_fat *f);

/* Adds a directory (and its missing parents). Paths are relative, '/'
 * separated, UTF-8. Names FAT cannot store are refused, naming the path:
 * characters "*:<>?\| and controls, a trailing dot or space, more than 255
 * UTF-16 units, or a name that equals a sibling's without regard to case. */
int vc_fat_add_dir(struct vc_fat *f, const char *path, struct vc_error *err);

/* Adds a regular file of size bytes (and its missing parent directories);
 * read is called during vc_fat_write() with ctx (borrowed until then). */
int vc_fat_add_file(struct vc_fat *f, const char *path, uint64_t size, vc_fat_read_fn read,
		    void *ctx, struct vc_error *err);

/* Adds every directory and regular file of a tree (kept borrowed until
 * vc_fat_write() returns); symlinks and special files are an error. */
int vc_fat_add_tree(struct vc_fat *f, const struct vc_tree *t, struct vc_error *err);

/* Geometry and use, known after vc_fat_plan(). */
struct vc_fat_info {
	unsigned fat_bits; /* 12, 16 or 32 */
	uint32_t sectors;  /* sectors of the file system (<= size / 512) */
	uint32_t sectors_per_cluster;
	uint32_t reserved_sectors;
	uint32_t fat_sectors;	/* of one FAT */
	uint32_t root_entries;	/* FAT12/16 root directory slots; 0 on FAT32 */
	uint32_t clusters;	/* data clusters */
	uint32_t clusters_used; /* by directories and files */
	uint64_t needed_size;	/* smallest size (a MiB multiple) that holds the content;
				 * the composer can size the ESP with it */
};

/* Computes the geometry and places every directory and file. Fails with
 * VC_ERANGE and a message giving the size needed when the content does not
 * fit. ret_info may be NULL. */
int vc_fat_plan(struct vc_fat *f, struct vc_fat_info *ret_info, struct vc_error *err);

/* Plans if needed, then writes the whole file system into out, offsets from
 * its start (a window of at least o.size bytes). */
int vc_fat_write(struct vc_fat *f, const struct vc_sink *out, struct vc_error *err);

#endif
