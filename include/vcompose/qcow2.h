/* SPDX-License-Identifier: MIT */
/* qcow2 disk images: a raw disk, written as QEMU's copy-on-write format.
 *
 * Spec: QEMU docs/interop/qcow2.txt ("QCOW2 Image Format"), version 3.
 *
 * What it writes: a version 3 image with 64 KiB clusters, no backing file,
 * no compression, no encryption, no snapshots, no extensions, 16-bit
 * refcounts: the header in cluster 0, then every cluster of the disk that
 * holds a non-zero byte, in disk order, then the L2 tables, the L1 table,
 * the refcount blocks and the refcount table. A cluster of zeros is not
 * stored (its L2 entry is 0: it reads as zeros). Which clusters are stored
 * depends on the disk's bytes only, never on the holes of the file it is
 * read from, so the same disk gives the same qcow2 bytes (reproducible);
 * every cluster has refcount 1, so `qemu-img check` finds nothing to say.
 *
 *	struct vc_qcow2_source src = {.pread = read_disk, .ctx = disk, .size = disk_size};
 *	uint64_t size;
 *	vc_qcow2_write(&src, vc_file_sink_sink(f), &size, err);
 *	vc_file_sink_commit(f, size, err);
 */
#ifndef VCOMPOSE_QCOW2_H
#define VCOMPOSE_QCOW2_H

#include <stdint.h>

#include "vcompose/error.h"
#include "vcompose/sink.h"

#define VC_QCOW2_CLUSTER_SIZE (64 * 1024)
#define VC_QCOW2_SIZE_MAX     (UINT64_C(1) << 44) /* 16 TiB of disk */

/* The raw disk: size bytes (a multiple of 512), read through pread. */
struct vc_qcow2_source {
	int (*pread)(void *ctx, void *buf, size_t len, uint64_t off, struct vc_error *err);
	void *ctx;
	uint64_t size;
};

/* Writes the qcow2 image of src to out (offsets from 0) and sets *ret_size
 * to its length in bytes (a multiple of the cluster size). */
int vc_qcow2_write(const struct vc_qcow2_source *src, const struct vc_sink *out, uint64_t *ret_size,
		   struct vc_error *err);

#endif
