/* SPDX-License-Identifier: MIT */
/* On-disk records of a FAT12/16/32 file system, shared by the fat writer and
 * the inspect reader (which keeps its own logic).
 * Spec: Microsoft fatgen103 (2000), sections 3 (BPB), 5 (FSInfo), 6
 * (directory entry), 7 (long name entry). Structs of byte arrays, no padding;
 * every access through vcompose/endian.h. */
#ifndef VC_FAT_DISK_H
#define VC_FAT_DISK_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#define FAT_SECTOR     512
#define FAT_NAME_UNITS 255 /* UTF-16 units of a long name */

/* BPB common to all FAT types (fatgen103 section 3.1), 36 bytes. */
struct fat_bpb_disk {
	uint8_t jmp_boot[3];	 /* EB xx 90: short jump to the boot code */
	uint8_t oem_name[8];	 /* "vcompose" */
	uint8_t byts_per_sec[2]; /* le16, 512 */
	uint8_t sec_per_clus;	 /* power of two, 1..128 */
	uint8_t rsvd_sec_cnt[2]; /* le16, 1 (FAT12/16) or 32 (FAT32), aligned to a cluster */
	uint8_t num_fats;	 /* 2 */
	uint8_t root_ent_cnt[2]; /* le16, root directory slots; 0 on FAT32 */
	uint8_t tot_sec16[2];	 /* le16, sectors if < 65536, else 0 */
	uint8_t media;		 /* 0xF8 fixed disk (0xF0/0xF9/0xFD for floppy sizes) */
	uint8_t fat_sz16[2];	 /* le16, sectors per FAT; 0 on FAT32 */
	uint8_t sec_per_trk[2];	 /* le16, CHS geometry, informational */
	uint8_t num_heads[2];	 /* le16 */
	uint8_t hidd_sec[4];	 /* le32, sectors before this volume on its disk */
	uint8_t tot_sec32[4];	 /* le32, sectors if >= 65536, else 0 */
};
static_assert(sizeof(struct fat_bpb_disk) == 36, "BPB is 36 bytes");

/* Extended boot record fields (fatgen103 3.2/3.3), 26 bytes; at 36 on
 * FAT12/16, at 64 on FAT32. */
struct fat_ebr_disk {
	uint8_t drv_num;	 /* 0x80 */
	uint8_t reserved1;	 /* 0 */
	uint8_t boot_sig;	 /* 0x29: the next three fields exist */
	uint8_t vol_id[4];	 /* le32 serial number */
	uint8_t vol_lab[11];	 /* space padded, "NO NAME    " for none */
	uint8_t fil_sys_type[8]; /* "FAT12   ", "FAT16   ", "FAT32   " (informational) */
};
static_assert(sizeof(struct fat_ebr_disk) == 26, "EBR is 26 bytes");

/* FAT32 fields between the BPB and the EBR (fatgen103 3.3), 28 bytes. */
struct fat32_ext_disk {
	uint8_t fat_sz32[4];	/* le32, sectors per FAT */
	uint8_t ext_flags[2];	/* le16, 0: FATs mirrored */
	uint8_t fs_ver[2];	/* le16, 0.0 */
	uint8_t root_clus[4];	/* le32, 2 */
	uint8_t fs_info[2];	/* le16, sector of FSInfo: 1 */
	uint8_t bk_boot_sec[2]; /* le16, sector of the boot sector copy: 6 */
	uint8_t reserved[12];	/* 0 */
};
static_assert(sizeof(struct fat32_ext_disk) == 28, "FAT32 BPB extension is 28 bytes");

/* FSInfo sector (fatgen103 section 5), 512 bytes. */
struct fat32_fsinfo_disk {
	uint8_t lead_sig[4];	/* le32 0x41615252 "RRaA" */
	uint8_t reserved1[480]; /* 0 */
	uint8_t struc_sig[4];	/* le32 0x61417272 "rrAa" */
	uint8_t free_count[4];	/* le32, free clusters */
	uint8_t nxt_free[4];	/* le32, the last cluster allocated (a hint) */
	uint8_t reserved2[12];	/* 0 */
	uint8_t trail_sig[4];	/* le32 0xAA550000 */
};
static_assert(sizeof(struct fat32_fsinfo_disk) == 512, "FSInfo is 512 bytes");

/* Directory entry (fatgen103 section 6), 32 bytes. */
struct fat_dirent_disk {
	uint8_t name[11];	 /* 8.3, space padded, upper case */
	uint8_t attr;		 /* 0x10 directory, 0x20 archive, 0x08 volume label */
	uint8_t nt_res;		 /* 0 */
	uint8_t crt_time_tenth;	 /* 0: our times are on 2-second boundaries */
	uint8_t crt_time[2];	 /* le16 DOS time */
	uint8_t crt_date[2];	 /* le16 DOS date */
	uint8_t lst_acc_date[2]; /* le16 DOS date */
	uint8_t fst_clus_hi[2];	 /* le16, high half of the first cluster (FAT32) */
	uint8_t wrt_time[2];	 /* le16 */
	uint8_t wrt_date[2];	 /* le16 */
	uint8_t fst_clus_lo[2];	 /* le16 */
	uint8_t file_size[4];	 /* le32, 0 for directories */
};
static_assert(sizeof(struct fat_dirent_disk) == 32, "directory entry is 32 bytes");

/* Long name entry (fatgen103 section 7), 32 bytes; 13 UTF-16 units each. */
struct fat_lfn_disk {
	uint8_t ord;		/* 1..20, | 0x40 on the last (first stored) one */
	uint8_t name1[10];	/* units 1-5, le16 each */
	uint8_t attr;		/* 0x0F */
	uint8_t type;		/* 0 */
	uint8_t chksum;		/* of the short name, see fat_lfn_checksum() */
	uint8_t name2[12];	/* units 6-11 */
	uint8_t fst_clus_lo[2]; /* 0 */
	uint8_t name3[4];	/* units 12-13 */
};
static_assert(sizeof(struct fat_lfn_disk) == 32, "long name entry is 32 bytes");

#define FAT_ATTR_VOLUME_ID 0x08
#define FAT_ATTR_DIRECTORY 0x10
#define FAT_ATTR_ARCHIVE   0x20
#define FAT_ATTR_LFN	   0x0f

/* Where the parts of a boot sector lie (fatgen103 section 3): the BPB, on
 * FAT32 its extension, the extended boot record, the boot code, the
 * signature. */
#define FAT_BS_EXT32_OFFSET	36 /* struct fat32_ext_disk (FAT32) */
#define FAT_BS_EBR16_OFFSET	36 /* struct fat_ebr_disk (FAT12/16) */
#define FAT_BS_EBR32_OFFSET	64 /* struct fat_ebr_disk (FAT32) */
#define FAT_BS_CODE16_OFFSET	62
#define FAT_BS_CODE32_OFFSET	90
#define FAT_BS_SIGNATURE_OFFSET 510
#define FAT_BS_SIGNATURE	"\x55\xaa"
static_assert(FAT_BS_EXT32_OFFSET == sizeof(struct fat_bpb_disk), "FAT32 extension after the BPB");
static_assert(FAT_BS_EBR16_OFFSET == sizeof(struct fat_bpb_disk), "FAT12/16 EBR after the BPB");
static_assert(FAT_BS_EBR32_OFFSET == FAT_BS_EXT32_OFFSET + sizeof(struct fat32_ext_disk),
	      "FAT32 EBR after the extension");
static_assert(FAT_BS_CODE16_OFFSET == FAT_BS_EBR16_OFFSET + sizeof(struct fat_ebr_disk),
	      "FAT12/16 boot code after the EBR");
static_assert(FAT_BS_CODE32_OFFSET == FAT_BS_EBR32_OFFSET + sizeof(struct fat_ebr_disk),
	      "FAT32 boot code after the EBR");
#define FAT_FSINFO_LEAD_SIG  0x41615252u
#define FAT_FSINFO_STRUC_SIG 0x61417272u
#define FAT_FSINFO_TRAIL_SIG 0xAA550000u

#endif
