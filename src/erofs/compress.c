/* SPDX-License-Identifier: MIT */
/* EROFS compression: fixed-output LZ4 / LZ4HC clusters of 4 KiB and their
 * compact indexes. Spec: Linux 6.1 fs/erofs/erofs_fs.h ("z_erofs_map_header",
 * compacted 2B/4B indexes) and fs/erofs/zmap.c, which decodes them.
 *
 * Indexes, one per 4 KiB logical cluster (lcluster) of the file:
 *   HEAD / PLAIN  an extent starts in this lcluster at byte `clusterofs`;
 *   NONHEAD       no extent starts here; `delta[0]` lclusters back to the
 *                 head, `delta[1]` forward to the next head.
 * An extent never ends in the lcluster it starts in unless it is the file's
 * last, so each lcluster has at most one head. When the file's last extent
 * ends inside an lcluster it did not start in, a PLAIN index with
 * clusterofs = size % 4096 marks the end.
 *
 * Compact packs: 2 entries in 8 bytes ("4B", 16 bits each) or 16 entries in
 * 32 bytes ("2B", 14 bits each), each entry lo (12 bits) | type << 12, bits
 * little-endian from the pack start, and the pack's last 4 bytes a le32
 * block address base: a head's block is base + (number of heads in the
 * pack up to and including it); a NONHEAD that is last in its pack stores
 * delta[1] instead of delta[0]. 4B packs come first until the position is
 * 32-byte aligned, then 2B packs while 16 entries remain, then 4B packs. */
#include <assert.h>
#include <lz4.h>
#include <lz4hc.h>
#include <string.h>

#include "erofs_disk.h"
#include "erofs_priv.h"
#include "vcompose/endian.h"

size_t vc_erofs_compress_segment(const uint8_t *in, size_t len, uint64_t lstart, void *hc_state,
				 int level, uint8_t *out, struct z_extent *ext)
{
	size_t p = 0, n = 0;

	while (p < len) {
		size_t rem = len - p;
		uint8_t *dst = out + n * EROFS_BLKSIZ;

		if (rem > EROFS_BLKSIZ) {
			int src = rem > (1u << 30) ? 1 << 30 : (int)rem;
			int c;

			c = LZ4_compress_destSize((const char *)in + p, (char *)dst, &src,
						  EROFS_BLKSIZ);
			/* LZ4HC only where fast LZ4 gains: on data that is already
			 * compressed (a kernel, archives) it searches long for nothing */
			if (hc_state && c > 0 && (size_t)src > EROFS_BLKSIZ) {
				src = rem > (1u << 30) ? 1 << 30 : (int)rem;
				c = LZ4_compress_HC_destSize(hc_state, (const char *)in + p,
							     (char *)dst, &src, EROFS_BLKSIZ,
							     level);
			}
			/* Worth it only when one block holds more than a block of input. */
			if (c > 0 && (size_t)src > EROFS_BLKSIZ) {
				/* lz4_0padding: the data ends the cluster. */
				memmove(dst + EROFS_BLKSIZ - c, dst, (size_t)c);
				memset(dst, 0, EROFS_BLKSIZ - (size_t)c);
				ext[n].lstart = lstart + p;
				ext[n].llen = (uint32_t)src;
				ext[n].raw = 0;
				n++;
				p += (size_t)src;
				continue;
			}
		}
		size_t take = rem < EROFS_BLKSIZ ? rem : EROFS_BLKSIZ;

		memcpy(dst, in + p, take);
		memset(dst + take, 0, EROFS_BLKSIZ - take);
		ext[n].lstart = lstart + p;
		ext[n].llen = (uint32_t)take;
		ext[n].raw = 1;
		n++;
		p += take;
	}
	return n;
}

struct zplan {
	size_t initial4; /* entries in leading 4B packs */
	size_t mid2;	 /* entries in 2B packs */
	size_t end4;	 /* entries in trailing 4B packs */
};

static struct zplan zplan_of(uint64_t size, unsigned ebase_mod32)
{
	size_t total = (size_t)((size + EROFS_BLKSIZ - 1) / EROFS_BLKSIZ);
	struct zplan z = {0};

	z.initial4 = (32 - ebase_mod32 % 32) / 4;
	if (z.initial4 == 8)
		z.initial4 = 0;
	if (z.initial4 > total) {
		z.initial4 = 0;
		z.end4 = total;
		return z;
	}
	z.mid2 = (total - z.initial4) / 16 * 16;
	z.end4 = total - z.initial4 - z.mid2;
	return z;
}

size_t vc_erofs_zindex_size(uint64_t size, unsigned ebase_mod32)
{
	struct zplan z = zplan_of(size, ebase_mod32);

	return z.initial4 * 4 + z.mid2 * 2 + (z.end4 + 1) / 2 * 8;
}

/* Per-lcluster entry before packing. */
struct lent {
	uint8_t type;
	uint16_t lo;	 /* clusterofs for heads, delta[0] for NONHEAD */
	uint16_t delta1; /* NONHEAD: lclusters to the next head */
};

static void put_bits(uint8_t *pack, unsigned pos, unsigned v)
{
	uint8_t *p = pack + pos / 8;
	unsigned sh = pos & 7;
	uint32_t w = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;

	w |= (uint32_t)v << sh;
	p[0] = (uint8_t)w;
	p[1] = (uint8_t)(w >> 8);
	p[2] = (uint8_t)(w >> 16);
}

/* Writes one pack of vcnt entries from e (count may be < vcnt: the rest are
 * zero) and returns its size; *counter is the block of the last head. */
static size_t put_pack(uint8_t *out, const struct lent *e, size_t count, unsigned vcnt,
		       uint32_t *counter)
{
	size_t bytes = vcnt == 2 ? 8 : 32;
	unsigned bits = (unsigned)((bytes - 4) * 8 / vcnt);

	memset(out, 0, bytes);
	vc_put_le32(out + bytes - 4, *counter);
	for (size_t i = 0; i < count; i++) {
		unsigned lo;

		if (e[i].type == Z_EROFS_LCLUSTER_TYPE_NONHEAD) {
			lo = i + 1 == vcnt ? e[i].delta1 : e[i].lo;
		} else {
			lo = e[i].lo;
			++*counter;
		}
		assert(lo < EROFS_BLKSIZ);
		put_bits(out, (unsigned)i * bits, lo | (unsigned)e[i].type << 12);
	}
	return bytes;
}

void vc_erofs_zindex_encode(uint64_t size, unsigned ebase_mod32, const struct z_extent *ext,
			    size_t n, uint32_t blkaddr, uint8_t *out)
{
	struct zplan z = zplan_of(size, ebase_mod32);
	size_t total = z.initial4 + z.mid2 + z.end4;
	struct lent buf[16];
	size_t k = 0; /* next extent */
	size_t lcn = 0;
	uint32_t counter = blkaddr - 1;

	/* Entry of lcluster j, computed on the fly from the extents. */
	for (size_t region = 0; region < 3; region++) {
		size_t cnt = region == 0 ? z.initial4 : region == 1 ? z.mid2 : z.end4;
		unsigned vcnt = region == 1 ? 16 : 2;

		while (cnt > 0) {
			size_t take = cnt < vcnt ? cnt : vcnt;

			for (size_t i = 0; i < take; i++, lcn++) {
				struct lent *e = &buf[i];
				uint64_t lo_b = (uint64_t)lcn * EROFS_BLKSIZ;

				/* the last extent starting before the end of this lcluster */
				while (k + 1 < n && ext[k + 1].lstart < lo_b + EROFS_BLKSIZ)
					k++;
				if (ext[k].lstart >= lo_b) {
					e->type = ext[k].raw ? Z_EROFS_LCLUSTER_TYPE_PLAIN
							     : Z_EROFS_LCLUSTER_TYPE_HEAD;
					e->lo = (uint16_t)(ext[k].lstart % EROFS_BLKSIZ);
					e->delta1 = 0;
				} else if ((ext[k].lstart + ext[k].llen) / EROFS_BLKSIZ <= lcn) {
					/* the file's last extent ended in here: the end marker */
					e->type = Z_EROFS_LCLUSTER_TYPE_PLAIN;
					e->lo = (uint16_t)(size % EROFS_BLKSIZ);
					e->delta1 = 0;
				} else {
					uint64_t head = ext[k].lstart / EROFS_BLKSIZ;
					uint64_t end = (ext[k].lstart + ext[k].llen) / EROFS_BLKSIZ;
					uint64_t d0 = lcn - head;

					e->type = Z_EROFS_LCLUSTER_TYPE_NONHEAD;
					e->lo = (uint16_t)(d0 > 2047 ? 2047 : d0);
					e->delta1 = (uint16_t)(end - lcn);
				}
			}
			out += put_pack(out, buf, take, vcnt, &counter);
			cnt -= take;
		}
	}
	assert(lcn == total);
	(void)total;
}
