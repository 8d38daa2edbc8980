/* SPDX-License-Identifier: MIT */
/* Internals shared by the EROFS writer's files (not installed). */
#ifndef VC_EROFS_PRIV_H
#define VC_EROFS_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "vcompose/erofs.h"

/* One extent of a compressed file: a 4 KiB physical cluster holding either
 * LZ4 data (0-padded at its start) or raw bytes, for the logical range
 * [lstart, lstart + llen). Clusters of a file are consecutive blocks. */
struct z_extent {
	uint64_t lstart;
	uint32_t llen;
	uint8_t raw; /* 1: stored as it is (PLAIN lcluster); 0: LZ4 (HEAD) */
};

/* Compresses in[0..len) (a segment that starts at a 4 KiB boundary of the
 * file, at logical offset lstart) into whole 4 KiB clusters appended to
 * out (len_out bytes, a multiple of 4096, capacity enough for len rounded
 * up to blocks) and extents appended to ext. hc_state: NULL for LZ4, else
 * an LZ4HC state of LZ4_sizeofStateHC() bytes. Returns the number of
 * extents. Pure function: the bytes depend on the input and level only. */
size_t vc_erofs_compress_segment(const uint8_t *in, size_t len, uint64_t lstart, void *hc_state,
				 int level, uint8_t *out, struct z_extent *ext);

/* Upper bound of extents for a segment of len bytes. */
static inline size_t vc_erofs_max_extents(size_t len)
{
	return (len + 4095) / 4096 + 1;
}

/* Bytes of the compact index area (after the 8-byte map header) of a file
 * of size bytes whose indexes start at byte ebase_mod32 modulo 32. */
size_t vc_erofs_zindex_size(uint64_t size, unsigned ebase_mod32);

/* Encodes the compact indexes of a file (size bytes, extents ext[0..n),
 * first cluster at block blkaddr) into out (vc_erofs_zindex_size bytes). */
void vc_erofs_zindex_encode(uint64_t size, unsigned ebase_mod32, const struct z_extent *ext,
			    size_t n, uint32_t blkaddr, uint8_t *out);

#endif
