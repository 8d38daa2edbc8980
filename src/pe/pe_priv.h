/* SPDX-License-Identifier: MIT */
/* Shared inside the pe module only. */
#ifndef VC_PE_PRIV_H
#define VC_PE_PRIV_H

#include <stddef.h>
#include <stdint.h>

/* Adds the 16-bit little-endian words of p[0..n), which sits at absolute file
 * offset off, to a running PE checksum sum. Chunks may come in any order. */
uint64_t vc_pe_checksum_add(uint64_t sum, const uint8_t *p, size_t n, uint64_t off);
/* Folds the sum to 16 bits and adds the file length, as CheckSumMappedFile. */
uint32_t vc_pe_checksum_finish(uint64_t sum, uint64_t file_len);

#endif
