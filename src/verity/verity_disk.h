/* SPDX-License-Identifier: MIT */
/* The dm-verity superblock as veritysetup writes it (cryptsetup
 * lib/verity/verity.c, "struct verity_sb"; format version 1). All integers
 * little-endian. Private to src/verity. */
#ifndef VC_VERITY_DISK_H
#define VC_VERITY_DISK_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#define VERITY_SB_SIGNATURE	"verity\0\0"
#define VERITY_SB_VERSION	1
#define VERITY_HASH_TYPE_NORMAL 1 /* digest = H(salt || block) */

struct verity_sb_disk {
	uint8_t signature[8];	    /* "verity" and two NULs */
	uint8_t version[4];	    /* le32, 1 */
	uint8_t hash_type[4];	    /* le32, 1 = salt first (0 = Chrome OS, not written) */
	uint8_t uuid[16];	    /* RFC 4122 byte order, as printed */
	uint8_t algorithm[32];	    /* "sha256", NUL-padded */
	uint8_t data_block_size[4]; /* le32, bytes */
	uint8_t hash_block_size[4]; /* le32, bytes */
	uint8_t data_blocks[8];	    /* le64, blocks covered by the tree */
	uint8_t salt_size[2];	    /* le16, bytes of salt used, <= 256 */
	uint8_t pad1[6];	    /* zero */
	uint8_t salt[256];	    /* salt, zero-padded */
	uint8_t pad2[168];	    /* zero */
};
static_assert(sizeof(struct verity_sb_disk) == 512, "verity superblock is 512 bytes");
static_assert(offsetof(struct verity_sb_disk, data_block_size) == 64, "block sizes at 64");
static_assert(offsetof(struct verity_sb_disk, salt_size) == 80, "salt size at 80");
static_assert(offsetof(struct verity_sb_disk, salt) == 88, "salt at 88");

#endif
