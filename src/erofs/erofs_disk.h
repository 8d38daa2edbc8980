/* SPDX-License-Identifier: MIT */
/* EROFS on-disk records, private to the module. Spec: Linux 6.1
 * fs/erofs/erofs_fs.h; field names kept from it in snake_case. All records
 * are byte arrays (little-endian), accessed through vcompose/endian.h. */
#ifndef VC_EROFS_DISK_H
#define VC_EROFS_DISK_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#define EROFS_MAGIC	   0xE0F5E1E2u
#define EROFS_SUPER_OFFSET 1024
#define EROFS_BLKBITS	   12
#define EROFS_BLKSIZ	   4096u
#define EROFS_ISLOT	   32 /* nid = byte offset from meta_blkaddr / 32 */

#define EROFS_FEATURE_COMPAT_SB_CHKSUM	      0x1
#define EROFS_FEATURE_COMPAT_MTIME	      0x2 /* inodes carry their own mtime */
#define EROFS_FEATURE_INCOMPAT_LZ4_0PADDING   0x1 /* compressed data ends its pcluster */
#define EROFS_FEATURE_INCOMPAT_COMPR_CFGS     0x2 /* u1 is an algorithm bitmap; records follow */
#define EROFS_FEATURE_INCOMPAT_BIG_PCLUSTER   0x2 /* the same bit: pclusters over a block */
#define EROFS_FEATURE_INCOMPAT_CHUNKED_FILE   0x4
#define EROFS_FEATURE_INCOMPAT_DEVICE_TABLE   0x8
#define EROFS_FEATURE_INCOMPAT_ZTAILPACKING   0x10
#define EROFS_FEATURE_INCOMPAT_FRAGMENTS      0x20
#define EROFS_FEATURE_INCOMPAT_DEDUPE	      0x20 /* the same bit */
#define EROFS_FEATURE_INCOMPAT_XATTR_PREFIXES 0x40

/* With COMPR_CFGS, after the superblock (at 1024 + 128), one record per
 * algorithm of the u1 bitmap in bit order, each at a 4-byte boundary: a
 * le16 size, then that many bytes (the structs below). */
enum {
	Z_EROFS_COMPRESSION_LZ4 = 0,
	Z_EROFS_COMPRESSION_LZMA = 1, /* microLZMA */
	Z_EROFS_COMPRESSION_DEFLATE = 2,
	Z_EROFS_COMPRESSION_ZSTD = 3,
};

struct z_erofs_lz4_cfgs_disk {	     /* 14 bytes */
	uint8_t max_distance[2];     /* le16 */
	uint8_t max_pclusterblks[2]; /* le16 blocks of the largest pcluster */
	uint8_t reserved[10];
};
static_assert(sizeof(struct z_erofs_lz4_cfgs_disk) == 14, "lz4 cfgs are 14 bytes");

struct z_erofs_lzma_cfgs_disk { /* 14 bytes */
	uint8_t dict_size[4];	/* le32, 4 KiB .. 8 MiB */
	uint8_t format[2];	/* le16 0: microLZMA */
	uint8_t reserved[8];
};
static_assert(sizeof(struct z_erofs_lzma_cfgs_disk) == 14, "lzma cfgs are 14 bytes");

struct z_erofs_deflate_cfgs_disk { /* 6 bytes */
	uint8_t windowbits;	   /* 8..15 */
	uint8_t reserved[5];
};
static_assert(sizeof(struct z_erofs_deflate_cfgs_disk) == 6, "deflate cfgs are 6 bytes");

struct z_erofs_zstd_cfgs_disk { /* 6 bytes */
	uint8_t format;		/* 0 */
	uint8_t windowlog;	/* windowLog - 10, up to 10 (1 MiB) */
	uint8_t reserved[4];
};
static_assert(sizeof(struct z_erofs_zstd_cfgs_disk) == 6, "zstd cfgs are 6 bytes");

struct erofs_super_block_disk {	    /* at byte 1024, 128 bytes */
	uint8_t magic[4];	    /* le32 EROFS_MAGIC */
	uint8_t checksum[4];	    /* le32 crc32c(~0, bytes 1024..4095 with this zeroed) */
	uint8_t feature_compat[4];  /* le32 */
	uint8_t blkszbits;	    /* 12 */
	uint8_t sb_extslots;	    /* 0: the superblock is 128 bytes */
	uint8_t root_nid[2];	    /* le16: the root inode must come early */
	uint8_t inos[8];	    /* le64 number of inodes */
	uint8_t build_time[8];	    /* le64 seconds: mtime of compact inodes */
	uint8_t build_time_nsec[4]; /* le32 */
	uint8_t blocks[4];	    /* le32 blocks of the image */
	uint8_t meta_blkaddr[4];    /* le32 block of nid 0 */
	uint8_t xattr_blkaddr[4];   /* le32 block of shared xattr id 0 */
	uint8_t uuid[16];
	uint8_t volume_name[16];     /* not NUL-terminated when 16 bytes */
	uint8_t feature_incompat[4]; /* le32 */
	uint8_t u1[2];		     /* le16 lz4_max_distance, or with COMPR_CFGS
				      * available_compr_algs (1 << Z_EROFS_COMPRESSION_*) */
	uint8_t extra_devices[2];    /* le16 0 */
	uint8_t devt_slotoff[2];     /* le16 0 */
	uint8_t dirblkbits;	     /* 0: directory blocks are file system blocks */
	uint8_t xattr_prefix_count;  /* 0 */
	uint8_t xattr_prefix_start[4];
	uint8_t packed_nid[8]; /* le64 nid of the packed inode (FRAGMENTS), else 0 */
	uint8_t xattr_filter_reserved;
	uint8_t reserved2[23];
};
static_assert(sizeof(struct erofs_super_block_disk) == 128, "superblock is 128 bytes");
static_assert(offsetof(struct erofs_super_block_disk, uuid) == 48, "uuid at 48");
static_assert(offsetof(struct erofs_super_block_disk, feature_incompat) == 80, "incompat at 80");
static_assert(offsetof(struct erofs_super_block_disk, packed_nid) == 96, "packed_nid at 96");

/* i_format: bit 0 version (0 compact, 1 extended), bits 1-3 data layout */
enum {
	EROFS_INODE_FLAT_PLAIN = 0, /* data in consecutive blocks at raw_blkaddr */
	EROFS_INODE_FLAT_COMPRESSION_LEGACY = 1,
	EROFS_INODE_FLAT_INLINE = 2,	  /* full blocks at raw_blkaddr, tail after the inode */
	EROFS_INODE_FLAT_COMPRESSION = 3, /* map header and compact indexes after the inode */
	EROFS_INODE_CHUNK_BASED = 4,	  /* chunk indexes after the inode (Linux 5.15) */
};
#define EROFS_NULL_ADDR 0xffffffffu

/* Chunk-based files: i_u is the le16 chunk format (and a le16 0); after
 * inode and xattrs, at the next boundary of an entry's size, one entry per
 * chunk of (4096 << chunk blkbits) bytes: a le32 block address (the block
 * map) or, with EROFS_CHUNK_FORMAT_INDEXES, an 8-byte
 * struct erofs_inode_chunk_index (le16 advise, le16 device_id, le32
 * blkaddr). EROFS_NULL_ADDR: a hole, read as zeros. */
#define EROFS_CHUNK_FORMAT_BLKBITS_MASK 0x001f /* chunk size = block size << this */
#define EROFS_CHUNK_FORMAT_INDEXES	0x0020
#define EROFS_BLOCK_MAP_ENTRY_SIZE	4

struct erofs_inode_chunk_index_disk { /* 8 bytes, with EROFS_CHUNK_FORMAT_INDEXES */
	uint8_t advise[2];	      /* le16 0 */
	uint8_t device_id[2];	      /* le16: 0, the image itself */
	uint8_t blkaddr[4];	      /* le32, or EROFS_NULL_ADDR */
};
static_assert(sizeof(struct erofs_inode_chunk_index_disk) == 8, "chunk index is 8 bytes");

struct erofs_inode_compact_disk {  /* 32 bytes */
	uint8_t i_format[2];	   /* le16 */
	uint8_t i_xattr_icount[2]; /* le16: 0, or 1 + (xattr body bytes - 12) / 4 */
	uint8_t i_mode[2];	   /* le16 S_IFMT | permissions */
	uint8_t i_nlink[2];	   /* le16 */
	uint8_t i_size[4];	   /* le32 */
	uint8_t i_reserved[4];
	uint8_t i_u[4];	  /* le32 raw_blkaddr, compressed_blocks or rdev */
	uint8_t i_ino[4]; /* le32, for 32-bit stat only */
	uint8_t i_uid[2]; /* le16 */
	uint8_t i_gid[2]; /* le16 */
	uint8_t i_reserved2[4];
};
static_assert(sizeof(struct erofs_inode_compact_disk) == 32, "compact inode is 32 bytes");

struct erofs_inode_extended_disk { /* 64 bytes */
	uint8_t i_format[2];
	uint8_t i_xattr_icount[2];
	uint8_t i_mode[2];
	uint8_t i_reserved[2];
	uint8_t i_size[8]; /* le64 */
	uint8_t i_u[4];
	uint8_t i_ino[4];
	uint8_t i_uid[4];	 /* le32 */
	uint8_t i_gid[4];	 /* le32 */
	uint8_t i_mtime[8];	 /* le64 seconds */
	uint8_t i_mtime_nsec[4]; /* le32 */
	uint8_t i_nlink[4];	 /* le32 */
	uint8_t i_reserved2[16];
};
static_assert(sizeof(struct erofs_inode_extended_disk) == 64, "extended inode is 64 bytes");
static_assert(offsetof(struct erofs_inode_extended_disk, i_mtime) == 32, "i_mtime at 32");

struct erofs_xattr_ibody_header_disk { /* 12 bytes, then le32 shared ids, then entries */
	uint8_t h_reserved[4];
	uint8_t h_shared_count;
	uint8_t h_reserved2[7];
};
static_assert(sizeof(struct erofs_xattr_ibody_header_disk) == 12, "xattr header is 12 bytes");

/* Name indexes: the prefix is implied, e_name holds the rest. */
enum {
	EROFS_XATTR_INDEX_USER = 1,
	EROFS_XATTR_INDEX_POSIX_ACL_ACCESS = 2,	 /* "system.posix_acl_access", empty rest */
	EROFS_XATTR_INDEX_POSIX_ACL_DEFAULT = 3, /* "system.posix_acl_default" */
	EROFS_XATTR_INDEX_TRUSTED = 4,
	EROFS_XATTR_INDEX_SECURITY = 6,
};
#define EROFS_MAX_SHARED_XATTRS 128

struct erofs_xattr_entry_disk { /* 4 bytes, then name and value, padded to 4 */
	uint8_t e_name_len;
	uint8_t e_name_index;
	uint8_t e_value_size[2]; /* le16 */
};
static_assert(sizeof(struct erofs_xattr_entry_disk) == 4, "xattr entry is 4 bytes");

/* Directory blocks: dirents (sorted by name bytes, "." and ".." among them,
 * so readers can binary-search), then the names, not NUL-terminated; the
 * first dirent's nameoff / 12 is the count of the block. */
struct erofs_dirent_disk {  /* 12 bytes */
	uint8_t nid[8];	    /* le64 */
	uint8_t nameoff[2]; /* le16 from the start of the block */
	uint8_t file_type;
	uint8_t reserved;
};
static_assert(sizeof(struct erofs_dirent_disk) == 12, "dirent is 12 bytes");

enum {
	EROFS_FT_UNKNOWN,
	EROFS_FT_REG_FILE,
	EROFS_FT_DIR,
	EROFS_FT_CHRDEV,
	EROFS_FT_BLKDEV,
	EROFS_FT_FIFO,
	EROFS_FT_SOCK,
	EROFS_FT_SYMLINK,
};

/* Compressed files (FLAT_COMPRESSION): after inode and xattrs, at the next
 * 8-byte boundary, the map header, then compact indexes. */
struct z_erofs_map_header_disk { /* 8 bytes */
	uint8_t h_reserved1[2];
	uint8_t h_idata_size[2]; /* le16 0: no tail packing */
	uint8_t h_advise[2];	 /* le16 Z_EROFS_ADVISE_* */
	uint8_t h_algorithmtype; /* bits 0-3 head1, 4-7 head2: 0 = LZ4 */
	uint8_t h_clusterbits;	 /* bits 0-2: lcluster bits - 12 */
};
static_assert(sizeof(struct z_erofs_map_header_disk) == 8, "map header is 8 bytes");

#define Z_EROFS_ADVISE_COMPACTED_2B    0x0001
#define Z_EROFS_ADVISE_BIG_PCLUSTER_1  0x0002 /* HEAD1 pclusters may span blocks */
#define Z_EROFS_ADVISE_BIG_PCLUSTER_2  0x0004 /* HEAD2 (compact indexes: both or none) */
#define Z_EROFS_ADVISE_INLINE_PCLUSTER 0x0008 /* ztailpacking */
/* the last extent is a fragment of the packed inode; the map header's
 * first 4 bytes are then its le32 offset there (h_fragmentoff) */
#define Z_EROFS_ADVISE_FRAGMENT_PCLUSTER 0x0020
#define Z_EROFS_FRAGMENT_INODE_BIT                                                                 \
	7 /* of h_clusterbits: the map header is                                                   \
	   * the le64 fragment offset | 1 << 63 */

/* In the first NONHEAD lcluster of a pcluster with BIG_PCLUSTER: its
 * compressed block count, in place of delta[0] (which is then 1). */
#define Z_EROFS_LI_D0_CBLKCNT (1u << 11)

enum {
	Z_EROFS_LCLUSTER_TYPE_PLAIN = 0,   /* stored as it is */
	Z_EROFS_LCLUSTER_TYPE_HEAD = 1,	   /* starts a compressed pcluster */
	Z_EROFS_LCLUSTER_TYPE_NONHEAD = 2, /* continues the previous head */
};

#endif
