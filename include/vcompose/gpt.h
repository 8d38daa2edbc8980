/* SPDX-License-Identifier: MIT */
/* GPT disks: a layout, then the table.
 *
 * Spec: UEFI 2.10, section 5.2.3 "Protective MBR" and section 5.3 "GUID
 * Partition Table (GPT) Disk Layout"; partition types and attribute bits from
 * the UAPI Discoverable Partitions Specification (DPS).
 *
 * What it writes: a protective MBR (LBA 0), the primary header (LBA 1) and
 * entry array (128 entries of 128 bytes from LBA 2), the backup entry array
 * and the backup header at the end of the disk, with their CRC32s. Logical
 * sectors of 512 bytes (4096 as an option); every partition starts on a
 * 1 MiB boundary. What it does not write: the partitions' contents (the
 * caller writes them at the offsets vc_gpt_layout() assigns), hybrid MBRs.
 *
 * Every identifier is derived: the disk GUID from the seed ("disk-guid"),
 * a partition's UUID from the seed ("gpt-partition-<n>", n from 1) unless the
 * caller gives one; vc_gpt_uuids_from_roothash() gives the UUIDs the DPS asks
 * for on a verity pair. The bytes match what sgdisk writes for the same
 * layout and identifiers (tests/gpt_tools.sh compares them).
 *
 *	struct vc_gpt g;
 *	vc_gpt_init(&g, seed, seed_len);
 *	struct vc_gpt_part p = { .size = esp_bytes, .label = "ESP" };
 *	vc_gpt_type_lookup("esp", p.type, err);
 *	vc_gpt_add(&g, &p, err);
 *	vc_gpt_layout(&g, err);                  // g.parts[i].offset, g.disk_size
 *	... write partition i through vc_sink_window(disk, g.parts[i].offset, g.parts[i].size, ...)
 *	vc_gpt_write(&g, disk, err);             // last
 */
#ifndef VCOMPOSE_GPT_H
#define VCOMPOSE_GPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vcompose/error.h"
#include "vcompose/sink.h"

#define VC_GPT_MAX_PARTS   128		 /* entries in the array; we never write more */
#define VC_GPT_LABEL_UNITS 36		 /* UTF-16 code units in a partition name */
#define VC_GPT_LABEL_MAX   144		 /* bytes of a UTF-8 label (36 units, <= 4 bytes each) */
#define VC_GPT_ALIGN	   (1024 * 1024) /* partition alignment in bytes */

/* Attribute bits (UEFI table 5-8; DPS section "Partition Attribute Flags"). */
#define VC_GPT_FLAG_REQUIRED	(UINT64_C(1) << 0)  /* platform required */
#define VC_GPT_FLAG_NO_BLOCK_IO (UINT64_C(1) << 1)  /* EFI ignores it */
#define VC_GPT_FLAG_LEGACY_BOOT (UINT64_C(1) << 2)  /* legacy BIOS bootable */
#define VC_GPT_FLAG_GROWFS	(UINT64_C(1) << 59) /* DPS: grow the file system */
#define VC_GPT_FLAG_READ_ONLY	(UINT64_C(1) << 60) /* DPS: mount read-only */
#define VC_GPT_FLAG_HIDDEN	(UINT64_C(1) << 62) /* DPS: hide from auto-discovery */
#define VC_GPT_FLAG_NO_AUTO	(UINT64_C(1) << 63) /* DPS: do not mount automatically */

/* One partition. GUIDs are in RFC 4122 byte order (as printed); the writer
 * does the mixed-endian encoding GPT uses on disk. */
struct vc_gpt_part {
	uint8_t type[16]; /* from vc_gpt_type_lookup() or a parsed GUID */
	uint8_t uuid[16];
	bool uuid_set;			  /* false: vc_gpt_layout() derives it from the seed */
	char label[VC_GPT_LABEL_MAX + 1]; /* UTF-8, at most 36 UTF-16 units; "" for none */
	uint64_t size;			  /* bytes the caller needs */
	bool exact;			  /* true: size is the partition size (a multiple of
					   * the sector size); false: rounded up to 1 MiB */
	uint64_t flags;			  /* VC_GPT_FLAG_* and any other attribute bits */
	uint64_t start;			  /* 0: the next 1 MiB boundary; else this offset in
					   * bytes (a sector multiple, after the previous one) */
	unsigned number;		  /* 1..128: its entry in the array (the partition
					   * number, /dev/sdaN); 0: the lowest free one, in
					   * disk order. The disk order stays the order added. */

	/* Set by vc_gpt_layout(). */
	uint64_t offset;	      /* bytes from the start of the disk */
	uint64_t part_size;	      /* bytes of the partition (>= size) */
	uint64_t first_lba, last_lba; /* last_lba is inclusive */
};

struct vc_gpt {
	uint32_t sector_size; /* 512 (default) or 4096 */
	uint64_t disk_size;   /* 0: the smallest that holds the partitions,
			       * else the size asked for (checked by layout) */
	uint8_t disk_guid[16];
	bool disk_guid_set; /* false: derived from the seed by layout */
	uint8_t seed[64];   /* a copy of the caller's seed */
	size_t seed_len;
	struct vc_gpt_part parts[VC_GPT_MAX_PARTS];
	size_t n_parts;
	bool laid_out;
};

/* Sets defaults (512-byte sectors, smallest disk); the seed is copied (at
 * most 64 bytes are used; longer seeds are hashed with SHA-256 first). */
void vc_gpt_init(struct vc_gpt *g, const void *seed, size_t seed_len);

/* Appends a copy of p (its layout fields are ignored). Errors: more than 128
 * partitions, a label that is not UTF-8 or longer than 36 UTF-16 units, an
 * exact size that is zero or not a multiple of the sector size. */
int vc_gpt_add(struct vc_gpt *g, const struct vc_gpt_part *p, struct vc_error *err);

/* Places the partitions in order, each on the next 1 MiB boundary, and sets
 * the disk size; derives the identifiers not given; gives every partition
 * without a number the lowest free one (in disk order). Errors name the
 * partition and say how big the disk must be when the given size is too
 * small; two partitions with one number are an error. */
int vc_gpt_layout(struct vc_gpt *g, struct vc_error *err);

/* Writes the protective MBR, both headers and both entry arrays to the disk
 * sink (offsets from the start of the disk); needs vc_gpt_layout() first. Each
 * partition is written at its entry number; unused entries are zero. Every
 * other byte is left to the caller (a file sink reads holes as zeros). */
int vc_gpt_write(const struct vc_gpt *g, const struct vc_sink *disk, struct vc_error *err);

/* Type GUIDs by DPS name: esp, xbootldr, swap, home, srv, var, tmp,
 * user-home, linux-generic, and root, usr, root-verity, usr-verity,
 * root-verity-sig, usr-verity-sig for the host architecture or, with a
 * suffix, for another: -x86-64, -x86, -arm64 (or -aarch64), -arm, -riscv64,
 * -loongarch64 ("root-arm64", "root-verity-arm64" or systemd's
 * "root-arm64-verity"). A GUID in text form is accepted as it is. */
int vc_gpt_type_lookup(const char *name, uint8_t ret_type[16], struct vc_error *err);
/* The DPS name of a type GUID (host-architecture names without suffix), or NULL. */
const char *vc_gpt_type_name(const uint8_t type[16]);
/* True for the root/usr data types of any architecture (the "first 128 bits"
 * side of a verity pair), and for the verity hash types (the "last" side). */
bool vc_gpt_type_is_verity_data(const uint8_t type[16]);
bool vc_gpt_type_is_verity_hash(const uint8_t type[16]);
/* True for the root-verity-sig/usr-verity-sig types of any architecture. */
bool vc_gpt_type_is_verity_sig(const uint8_t type[16]);
/* The sibling of a root/usr data type of the same architecture: kind 1 its
 * -verity hash type, 2 its -verity-sig type. False for other types. */
bool vc_gpt_type_verity_sibling(const uint8_t data_type[16], int kind, uint8_t ret_type[16]);

/* The partition UUIDs the DPS asks for on a verity pair: the data partition's
 * is the first 16 bytes of the root hash, the hash partition's the last 16,
 * both taken as they are (systemd matches them byte for byte). */
void vc_gpt_uuids_from_roothash(const uint8_t *roothash, size_t len, uint8_t ret_data[16],
				uint8_t ret_hash[16]);

/* Partition images (`vcompose gpt`, src/gpt/image.c). */

/* Parses "TYPE:FILE[,KEY=VALUE...]" (spec is modified in place) into p:
 * label=L, uuid=U, roothash=H (the UUID the DPS pairs with a root hash: its
 * first 128 bits for root/usr, the last for root-verity/usr-verity),
 * flags=F, size=N, start=N (not 0), number=N (1..128). *ret_file points
 * into spec, or is NULL for an empty FILE (then size= is required). Errors
 * start with TYPE. */
int vc_gpt_part_parse(char *spec, struct vc_gpt_part *p, const char **ret_file,
		      struct vc_error *err);
/* A partition's image: a regular file; *ret_size its bytes, p->size raised
 * to hold them. */
int vc_gpt_part_image(const char *path, struct vc_gpt_part *p, uint64_t *ret_size,
		      struct vc_error *err);
/* Copies size bytes of the image into w (its partition's window); chunks of
 * zeros are not written (a sparse disk reads them back as zeros). */
int vc_gpt_copy_image(const char *path, uint64_t size, const struct vc_sink *w,
		      struct vc_error *err);

/* Parses attribute flags: a number (decimal or 0x hex), or names joined by
 * '+' or '|': required, no-block-io, legacy-boot, growfs, read-only, hidden,
 * no-auto. */
int vc_gpt_flags_parse(const char *s, uint64_t *ret, struct vc_error *err);

#endif
