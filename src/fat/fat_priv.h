/* SPDX-License-Identifier: MIT */
/* Private to the fat module: geometry and name helpers (the on-disk records
 * are in fat_disk.h). Spec: Microsoft fatgen103 (2000). */
#ifndef VC_FAT_PRIV_H
#define VC_FAT_PRIV_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fat_disk.h"
#include "vcompose/error.h"

/* Geometry as mkfs.fat 4.2 picks it for a size (geometry.c). */
struct fat_geom {
	unsigned bits;	       /* 12, 16, 32 */
	uint32_t sectors;      /* sectors used (size / 512, rounded down to a track) */
	uint32_t spc;	       /* sectors per cluster */
	uint32_t reserved;     /* reserved sectors */
	uint32_t fat_sectors;  /* per FAT */
	uint32_t root_entries; /* FAT12/16 root directory slots */
	uint32_t clusters;     /* data clusters */
	uint32_t data_start;   /* first sector of cluster 2 */
	uint16_t spt, heads;
	uint8_t media;
};
int fat_geometry(uint64_t size, struct fat_geom *g, struct vc_error *err);

/* Names (names.c). */
/* Checks a long name and converts it to UTF-16; returns the number of units
 * or a negative VC_E* with a message naming `what`. */
long fat_name_to_utf16(const char *name, size_t len, uint16_t *out, size_t max, const char *what,
		       struct vc_error *err);
/* True when the name is stored as it is in 8.3 form, without a long name. */
bool fat_name_is_short(const char *name, size_t len, uint8_t out[11]);
/* The basis of a short name (fatgen103 7.4) and whether a numeric tail is
 * required (lossy conversion or truncation). */
void fat_short_basis(const char *name, size_t len, uint8_t out[11], bool *ret_need_tail);
/* Puts the tail "~n" into a copy of basis. */
void fat_short_with_tail(const uint8_t basis[11], unsigned n, uint8_t out[11]);
uint8_t fat_lfn_checksum(const uint8_t short_name[11]);
/* ASCII-only upper-casing, independent of the locale. */
static inline char fat_ascii_upper(char c)
{
	return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
}
/* DOS date and time of an epoch, UTC, clamped to 1980-01-01..2107-12-31. */
void fat_dos_time(int64_t epoch, uint16_t *ret_date, uint16_t *ret_time);

#endif
