/* SPDX-License-Identifier: MIT */
/* FAT geometry for an image size, chosen the way mkfs.fat (dosfstools 4.2)
 * chooses it, so that our images look like the ones users already make:
 * - FAT32 from 512 MiB up, with fatgen103's cluster table (0.5 KiB up to
 *   260 MiB, 4 KiB to 8 GiB, 8 KiB to 16 GiB, 16 KiB to 32 GiB, then 32 KiB);
 *   below that FAT12 or FAT16, starting at 2 KiB clusters and doubling until
 *   the cluster count is legal for the type, the type with more clusters wins;
 * - 1 reserved sector (32 on FAT32), 512 root entries, 2 FATs, media 0xF8;
 * - the sector count rounded down to a whole track of the CHS geometry that
 *   the SD card specification (up to 256 MiB) or LBA-assist translation gives;
 * - above 8192 sectors the reserved area, each FAT and the root directory are
 *   rounded up to whole clusters, so that clusters are aligned;
 * - the classic floppy sizes get their floppy parameters.
 * The cluster-count limits are fatgen103 section 3.5's (4085 / 65525). */
#include "fat_priv.h"
#include "vcompose/util.h"

#define MAX_CLUST_12 4084
#define MIN_CLUST_16 4087
#define MAX_CLUST_16 65524
#define MIN_CLUST_32 65525
#define MAX_CLUST_32 268435446
#define NR_FATS	     2

static int64_t align_up(int64_t v, int64_t to, bool align)
{
	return align ? (v + to - 1) / to * to : v;
}

int fat_geometry(uint64_t size, struct fat_geom *g, struct vc_error *err)
{
	uint64_t total = size / FAT_SECTOR;
	unsigned spc = 4, root_entries = 512, reserved;
	unsigned spt, heads;
	uint8_t media = 0xf8;
	bool fat32 = size >= (uint64_t)512 * 1024 * 1024, align;
	int64_t num, root_secs;
	int64_t c12 = 0, c16 = 0, c32 = 0, l12 = 0, l16 = 0, l32 = 0;

	if (total <= 524288) {
		heads = total <= 32768 ? 2 : total <= 65536 ? 4 : total <= 262144 ? 8 : 16;
		spt = total <= 4096 ? 16 : 32;
	} else {
		heads = total <= 16 * 63 * 1024	   ? 16
			: total <= 32 * 63 * 1024  ? 32
			: total <= 64 * 63 * 1024  ? 64
			: total <= 128 * 63 * 1024 ? 128
						   : 255;
		spt = 63;
	}
	switch (size / 1024) {
	case 360: spt = 9, heads = 2, media = 0xfd, spc = 2, root_entries = 112; break;
	case 720: spt = 9, heads = 2, media = 0xf9, spc = 2, root_entries = 112; break;
	case 1200: spt = 15, heads = 2, media = 0xf9, spc = 1, root_entries = 224; break;
	case 1440: spt = 18, heads = 2, media = 0xf0, spc = 1, root_entries = 224; break;
	case 2880: spt = 36, heads = 2, media = 0xf0, spc = 2, root_entries = 224; break;
	default: break;
	}
	if (fat32) {
		spc = total > 32ull * 1024 * 1024 * 2	? 64
		      : total > 16ull * 1024 * 1024 * 2 ? 32
		      : total > 8ull * 1024 * 1024 * 2	? 16
		      : total > 260ull * 1024 * 2	? 8
							: 1;
		root_entries = 0;
	}
	reserved = fat32 ? 32 : 1;
	num = (int64_t)(total > UINT32_MAX ? UINT32_MAX : total);
	num = num / spt * spt;
	align = num > 8192;
	root_secs = VC_DIV_ROUND_UP((int64_t)root_entries * 32, FAT_SECTOR);

	for (; spc <= 128; spc <<= 1) {
		int64_t data32 = num - align_up(reserved, spc, align);
		int64_t data1216 = data32 - align_up(root_secs, spc, align);
		int64_t max;

		/* FAT12: 1.5 bytes per entry, two reserved entries. */
		c12 = 2 * (data1216 * FAT_SECTOR + NR_FATS * 3) /
		      (2 * (int64_t)spc * FAT_SECTOR + NR_FATS * 3);
		l12 = align_up(VC_DIV_ROUND_UP(((c12 + 2) * 3 + 1) >> 1, FAT_SECTOR), spc, align);
		c12 = (data1216 - NR_FATS * l12) / spc;
		max = l12 * 2 * FAT_SECTOR / 3;
		if (max > MAX_CLUST_12)
			max = MAX_CLUST_12;
		if (c12 > max || c12 < 0)
			c12 = 0;

		c16 = (data1216 * FAT_SECTOR + NR_FATS * 4) /
		      ((int64_t)spc * FAT_SECTOR + NR_FATS * 2);
		l16 = align_up(VC_DIV_ROUND_UP((c16 + 2) * 2, FAT_SECTOR), spc, align);
		c16 = (data1216 - NR_FATS * l16) / spc;
		max = l16 * FAT_SECTOR / 2;
		if (max > MAX_CLUST_16)
			max = MAX_CLUST_16;
		if (c16 > max || c16 < MIN_CLUST_16)
			c16 = 0;

		c32 =
		    (data32 * FAT_SECTOR + NR_FATS * 8) / ((int64_t)spc * FAT_SECTOR + NR_FATS * 4);
		l32 = align_up(VC_DIV_ROUND_UP((c32 + 2) * 4, FAT_SECTOR), spc, align);
		c32 = (data32 - NR_FATS * l32) / spc;
		max = l32 * FAT_SECTOR / 4;
		if (max > MAX_CLUST_32)
			max = MAX_CLUST_32;
		if (c32 > max || c32 < MIN_CLUST_32)
			c32 = 0;

		if ((!fat32 && (c12 || c16)) || (fat32 && c32))
			break;
	}
	if (spc > 128)
		return vc_errorf(
		    err, VC_EINVAL, "fat: no FAT%s layout fits %llu bytes (%llu sectors)",
		    fat32 ? "32" : "12/16", (unsigned long long)size, (unsigned long long)total);

	g->bits = fat32 ? 32 : c16 > c12 ? 16 : 12;
	g->sectors = (uint32_t)num;
	g->spc = spc;
	g->reserved = (uint32_t)align_up(reserved, spc, align);
	g->fat_sectors = (uint32_t)(g->bits == 12 ? l12 : g->bits == 16 ? l16 : l32);
	g->clusters = (uint32_t)(g->bits == 12 ? c12 : g->bits == 16 ? c16 : c32);
	g->root_entries =
	    fat32 ? 0 : (uint32_t)(align ? align_up(root_secs, spc, true) * 16 : root_entries);
	g->data_start = g->reserved + NR_FATS * g->fat_sectors +
			(uint32_t)VC_DIV_ROUND_UP(g->root_entries * 32, FAT_SECTOR);
	g->spt = (uint16_t)spt;
	g->heads = (uint16_t)heads;
	g->media = media;
	return 0;
}
