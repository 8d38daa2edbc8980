/* SPDX-License-Identifier: MIT */
/* On-disk records of a GPT disk, private to the gpt module.
 * Spec: UEFI 2.10, section 5.2.3 (protective MBR, table 5-4 and 5-5) and
 * section 5.3.2 (GPT header, table 5-6), 5.3.3 (GPT partition entry, table 5-7).
 * Structs of byte arrays: no padding, every access through endian.h. */
#ifndef VC_GPT_DISK_H
#define VC_GPT_DISK_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

/* One MBR partition record (table 5-5), 16 bytes. */
struct mbr_part_disk {
	uint8_t boot_indicator;	 /* 0x00: not bootable */
	uint8_t starting_chs[3]; /* 0x000200 for the protective record */
	uint8_t os_type;	 /* 0xEE: GPT protective */
	uint8_t ending_chs[3];	 /* CHS of the last LBA, 0xFFFFFF when it does not fit */
	uint8_t starting_lba[4]; /* le32, 1 */
	uint8_t size_in_lba[4];	 /* le32, disk LBAs - 1, at most 0xFFFFFFFF */
};
static_assert(sizeof(struct mbr_part_disk) == 16, "MBR partition record is 16 bytes");

/* The protective MBR in LBA 0 (table 5-4); only the first 512 bytes. */
struct mbr_disk {
	uint8_t boot_code[440];		 /* zero */
	uint8_t unique_mbr_signature[4]; /* zero: unused on GPT disks */
	uint8_t unknown[2];		 /* zero */
	struct mbr_part_disk part[4];	 /* [0] protective, the others zero */
	uint8_t signature[2];		 /* 0x55 0xAA */
};
static_assert(sizeof(struct mbr_disk) == 512, "MBR is 512 bytes");
static_assert(offsetof(struct mbr_disk, part) == 446, "partition records at 446");

/* The GPT header (table 5-6), 92 bytes; the rest of its sector is zero. */
struct gpt_header_disk {
	uint8_t signature[8];		/* "EFI PART" */
	uint8_t revision[4];		/* le32, 0x00010000 */
	uint8_t header_size[4];		/* le32, 92 */
	uint8_t header_crc32[4];	/* le32, CRC32 of these 92 bytes with this field 0 */
	uint8_t reserved[4];		/* zero */
	uint8_t my_lba[8];		/* le64, 1 (primary) or the last LBA (backup) */
	uint8_t alternate_lba[8];	/* le64, the other header's LBA */
	uint8_t first_usable_lba[8];	/* le64, after the primary entry array */
	uint8_t last_usable_lba[8];	/* le64, before the backup entry array, inclusive */
	uint8_t disk_guid[16];		/* mixed-endian GUID */
	uint8_t partition_entry_lba[8]; /* le64, 2 (primary) or before the backup header */
	uint8_t number_of_partition_entries[4]; /* le32, 128 */
	uint8_t size_of_partition_entry[4];	/* le32, 128 */
	uint8_t partition_entry_array_crc32[4]; /* le32, CRC32 of all 128 entries */
};
static_assert(sizeof(struct gpt_header_disk) == 92, "GPT header is 92 bytes");
static_assert(offsetof(struct gpt_header_disk, disk_guid) == 56, "disk GUID at 56");

/* A partition entry (table 5-7), 128 bytes. Unused entries are all zero. */
struct gpt_entry_disk {
	uint8_t type_guid[16]; /* mixed-endian GUID */
	uint8_t part_guid[16]; /* mixed-endian GUID */
	uint8_t first_lba[8];  /* le64 */
	uint8_t last_lba[8];   /* le64, inclusive */
	uint8_t attributes[8]; /* le64, VC_GPT_FLAG_* */
	uint8_t name[72];      /* UTF-16LE, zero-padded, no terminator needed */
};
static_assert(sizeof(struct gpt_entry_disk) == 128, "GPT entry is 128 bytes");
static_assert(offsetof(struct gpt_entry_disk, name) == 56, "name at 56");

#define GPT_SIGNATURE	       "EFI PART"
#define GPT_REVISION	       0x00010000u
#define MBR_SIGNATURE	       "\x55\xaa"
#define MBR_OS_TYPE_PROTECTIVE 0xee /* GPT protective */

#define GPT_ENTRIES	128
#define GPT_ENTRY_SIZE	128
#define GPT_ARRAY_BYTES (GPT_ENTRIES * GPT_ENTRY_SIZE) /* 16 KiB */

#endif
