/* SPDX-License-Identifier: MIT */
/* The ext2/3/4 superblock fields vcompose reads (inspect); mke2fs writes
 * them. Spec: Linux Documentation/filesystems/ext4/super.rst ("The Super
 * Block"). All integers little-endian; every access through
 * vcompose/endian.h. */
#ifndef VC_EXT4_DISK_H
#define VC_EXT4_DISK_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#define EXT4_SUPER_OFFSET	     1024 /* bytes from the start of the volume */
#define EXT4_SUPER_MAGIC	     0xEF53u
#define EXT4_FEATURE_COMPAT_JOURNAL  0x4u  /* has_journal: ext3 */
#define EXT4_FEATURE_INCOMPAT_EXTENT 0x40u /* extents: ext4 */
#define EXT4_FEATURE_INCOMPAT_64BIT  0x80u /* s_blocks_count_hi counts */
#define EXT4_STATE_CLEAN	     0x1u

struct ext4_super_block_disk { /* 1024 bytes; the fields not named are not read */
	uint8_t s_inodes_count[4];
	uint8_t s_blocks_count_lo[4]; /* le32 */
	uint8_t unread0[16];
	uint8_t s_log_block_size[4]; /* le32: block size = 1024 << this */
	uint8_t unread1[28];
	uint8_t s_magic[2]; /* le16 EXT4_SUPER_MAGIC */
	uint8_t s_state[2]; /* le16 */
	uint8_t unread2[32];
	uint8_t s_feature_compat[4];	/* le32 */
	uint8_t s_feature_incompat[4];	/* le32 */
	uint8_t s_feature_ro_compat[4]; /* le32 */
	uint8_t s_uuid[16];
	uint8_t s_volume_name[16]; /* not NUL-terminated when 16 bytes */
	uint8_t unread3[200];
	uint8_t s_blocks_count_hi[4]; /* le32, with INCOMPAT_64BIT */
	uint8_t unread4[684];
};
static_assert(sizeof(struct ext4_super_block_disk) == 1024, "ext4 superblock is 1024 bytes");
static_assert(offsetof(struct ext4_super_block_disk, s_magic) == 0x38, "s_magic at 0x38");
static_assert(offsetof(struct ext4_super_block_disk, s_feature_compat) == 0x5c, "compat at 0x5c");
static_assert(offsetof(struct ext4_super_block_disk, s_uuid) == 0x68, "s_uuid at 0x68");
static_assert(offsetof(struct ext4_super_block_disk, s_volume_name) == 0x78, "name at 0x78");
static_assert(offsetof(struct ext4_super_block_disk, s_blocks_count_hi) == 0x150,
	      "s_blocks_count_hi at 0x150");

#endif
