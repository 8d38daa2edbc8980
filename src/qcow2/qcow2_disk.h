/* SPDX-License-Identifier: MIT */
/* qcow2 on-disk records. Spec: QEMU docs/interop/qcow2.txt, version 3.
 * Every number is big-endian. */
#ifndef VC_QCOW2_DISK_H
#define VC_QCOW2_DISK_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#define QCOW2_MAGIC	     "QFI\xfb"
#define QCOW2_VERSION	     3
#define QCOW2_CLUSTER_BITS   16
#define QCOW2_REFCOUNT_ORDER 4			 /* 16-bit refcounts */
#define QCOW2_OFLAG_COPIED   (UINT64_C(1) << 63) /* L1/L2 entry: refcount is exactly 1 */

/* The header, version 3 ("Header" in qcow2.txt), 104 bytes; header
 * extensions follow it, ended by one of type 0 (8 zero bytes). */
struct qcow2_header_disk {
	uint8_t magic[4];		    /* "QFI\xfb" */
	uint8_t version[4];		    /* 3 */
	uint8_t backing_file_offset[8];	    /* 0: none */
	uint8_t backing_file_size[4];	    /* 0 */
	uint8_t cluster_bits[4];	    /* 16: 64 KiB clusters */
	uint8_t size[8];		    /* bytes of the virtual disk */
	uint8_t crypt_method[4];	    /* 0: none */
	uint8_t l1_size[4];		    /* entries of the L1 table */
	uint8_t l1_table_offset[8];	    /* bytes, cluster-aligned */
	uint8_t refcount_table_offset[8];   /* bytes, cluster-aligned */
	uint8_t refcount_table_clusters[4]; /* its length in clusters */
	uint8_t nb_snapshots[4];	    /* 0 */
	uint8_t snapshots_offset[8];	    /* 0 */
	uint8_t incompatible_features[8];   /* 0: not dirty, not corrupt, ... */
	uint8_t compatible_features[8];	    /* 0: no lazy refcounts */
	uint8_t autoclear_features[8];	    /* 0 */
	uint8_t refcount_order[4];	    /* 4: 16-bit refcounts */
	uint8_t header_length[4];	    /* 104 */
};
static_assert(sizeof(struct qcow2_header_disk) == 104, "qcow2 v3 header is 104 bytes");
static_assert(offsetof(struct qcow2_header_disk, l1_table_offset) == 40, "l1_table_offset at 40");
static_assert(offsetof(struct qcow2_header_disk, refcount_order) == 96, "refcount_order at 96");

#endif
