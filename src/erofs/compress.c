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
#include <lzma.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "erofs_disk.h"
#include "erofs_priv.h"
#include "vcompose/endian.h"
#include "vcompose/util.h"

/* ---- compressors ----
 *
 * Every algorithm fills a physical cluster the same way: as much input as
 * its compressed form fits into the cluster ("destsize"). LZ4 and
 * microLZMA do that natively; zstd and DEFLATE are searched for it, from
 * an estimate that uses the ratio of the segment's previous cluster, so the
 * result depends on the segment's bytes only, never on what the lane did
 * before (bytes independent of --jobs). */

/* Bytes of input one pcluster may carry (its decompressed size). */
static size_t max_input(const struct vc_erofs_codec *c)
{
	if (c->legacy)
		return 1u << 30; /* LZ4 into 4 KiB cannot pass ~1 MiB anyway */
	size_t m = (size_t)c->pcluster * 16;

	return m < (1u << 20) ? 1u << 20 : m > (4u << 20) ? 4u << 20 : m;
}

int vc_erofs_codec_init(struct vc_erofs_codec *c, const struct vc_erofs_options *o,
			struct vc_error *err)
{
	memset(c, 0, sizeof(*c));
	c->alg = o->compress;
	c->level = o->level ? o->level : vc_erofs_level_default(o->compress);
	c->pcluster = o->pcluster_size ? o->pcluster_size : EROFS_BLKSIZ;
	c->legacy =
	    (c->alg == VC_EROFS_LZ4 || c->alg == VC_EROFS_LZ4HC) && c->pcluster == EROFS_BLKSIZ;
	c->tmp_cap = (size_t)c->pcluster * 2 + 1024;
	c->tmp[0] = malloc(c->tmp_cap);
	c->tmp[1] = malloc(c->tmp_cap);
	if (!c->tmp[0] || !c->tmp[1])
		goto nomem;
	switch (c->alg) {
	case VC_EROFS_LZ4HC:
		c->hc = malloc((size_t)LZ4_sizeofStateHC());
		if (!c->hc)
			goto nomem;
		break;
	case VC_EROFS_ZSTD:
		c->zstd = ZSTD_createCCtx();
		if (!c->zstd)
			goto nomem;
		ZSTD_CCtx_setParameter(c->zstd, ZSTD_c_compressionLevel, c->level);
		/* the kernel decodes windows of up to 1 MiB (Z_EROFS_ZSTD_MAX_DICT_SIZE) */
		ZSTD_CCtx_setParameter(c->zstd, ZSTD_c_windowLog, VC_EROFS_ZSTD_WINDOWLOG);
		ZSTD_CCtx_setParameter(c->zstd, ZSTD_c_checksumFlag, 0);
		ZSTD_CCtx_setParameter(c->zstd, ZSTD_c_contentSizeFlag, 1);
		break;
	case VC_EROFS_DEFLATE:
		if (deflateInit2(&c->z, c->level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
			goto nomem;
		c->z_live = true;
		break;
	case VC_EROFS_LZMA: {
		lzma_stream init = LZMA_STREAM_INIT;

		c->xz = init;
		if (lzma_lzma_preset(&c->xz_opt, (uint32_t)(c->level % 100) |
						     (c->level >= 100 ? LZMA_PRESET_EXTREME : 0)))
			return vc_errorf(err, VC_EINVAL, "erofs: LZMA level %d", c->level);
		c->xz_opt.dict_size = vc_erofs_lzma_dict(c->pcluster);
		break;
	}
	default: break;
	}
	return 0;
nomem:
	vc_erofs_codec_fini(c);
	return vc_errorf(err, VC_ENOMEM, "erofs: out of memory (compressor)");
}

void vc_erofs_codec_fini(struct vc_erofs_codec *c)
{
	free(c->tmp[0]);
	free(c->tmp[1]);
	free(c->hc);
	ZSTD_freeCCtx(c->zstd);
	if (c->z_live)
		deflateEnd(&c->z);
	lzma_end(&c->xz);
	memset(c, 0, sizeof(*c));
}

uint32_t vc_erofs_lzma_dict(uint32_t pcluster)
{
	/* a pcluster's input at most (max_input): the dictionary never needs more */
	/* a pcluster's input rarely passes 16 times its size: a larger window
	 * gains nothing and costs the encoder its set-up per pcluster */
	uint64_t d = (uint64_t)pcluster * 16;

	return d > (4u << 20) ? 4u << 20 : (uint32_t)d;
}

/* One try: compresses in[0..len) whole into out (cap bytes). Returns the
 * size, or 0 when it does not fit (or fails). */
static size_t try_whole(struct vc_erofs_codec *c, const uint8_t *in, size_t len, uint8_t *out,
			size_t cap)
{
	if (c->alg == VC_EROFS_ZSTD) {
		size_t r = ZSTD_compress2(c->zstd, out, cap, in, len);

		return ZSTD_isError(r) ? 0 : r;
	}
	/* DEFLATE */
	deflateReset(&c->z);
	c->z.next_in = (Bytef *)(uintptr_t)in;
	c->z.avail_in = (uInt)len;
	c->z.next_out = out;
	c->z.avail_out = (uInt)cap;
	if (deflate(&c->z, Z_FINISH) != Z_STREAM_END)
		return 0;
	return (size_t)c->z.total_out;
}

/* The longest prefix of in[0..len) whose compressed form fits cap bytes,
 * searched from the guess `hint` (input bytes); the result is in
 * c->tmp[c->best]. Returns its compressed size (0: none fits).
 *
 * A try compresses a whole prefix, so tries are what costs. The search
 * keeps the longest prefix that fits (lo) and the shortest that does not
 * (hi), and aims each try at the middle of the accepted window
 * [cap - cap / FIT_SLACK, cap] by interpolating between the sizes it knows
 * (compressed size grows almost linearly with the prefix). An unused byte
 * of a full pcluster is input the next one must carry, so the window is
 * narrow; the rest of the input (the file's end) is tried first whenever
 * the estimate reaches it, as one byte left over costs a block. */
#define FIT_SLACK 2048
#define FIT_TRIES 10

static size_t fit_search(struct vc_erofs_codec *c, const uint8_t *in, size_t len, size_t cap,
			 size_t hint, size_t *ret_in)
{
	size_t lo = 0, lo_c = 0, hi = len + 1, hi_c = 0; /* lo fits, hi does not */
	size_t prev = 0, prev_c = 0;			 /* the try before */
	const size_t slack = cap / FIT_SLACK > 16 ? cap / FIT_SLACK : 16;
	const uint64_t aim = cap - slack / 2;
	uint64_t lo_w = 0, hi_w = 0; /* distances of lo_c and hi_c from the aim */
	int same = 0;		     /* which end the last tries moved: -1 lo, 1 hi */
	size_t m = hint ? hint : cap * 2;
	int slot = 0;

	for (int i = 0; i < FIT_TRIES; i++) {
		size_t cs;

		if (m >= len)
			m = len;
		cs = try_whole(c, in, m, c->tmp[slot], c->tmp_cap);
		if (cs && cs <= cap) {
			lo = m;
			lo_c = cs;
			lo_w = aim > cs ? aim - cs : 1;
			/* the other end stayed: weigh it half (Illinois), so a curve
			 * that bends does not keep the guesses on one side */
			hi_w = same == -1 ? (hi_w + 1) / 2 : hi_w;
			same = -1;
			c->best = slot;
			slot ^= 1;
			if (m == len || cap - cs <= slack)
				break;
		} else {
			hi = m;
			hi_c = cs; /* 0: over the buffer, size unknown */
			hi_w = cs > aim ? cs - aim : 1;
			lo_w = same == 1 ? (lo_w + 1) / 2 : lo_w;
			same = 1;
		}
		if (hi <= lo + 1)
			break;
		/* the next guess: between the sizes around the aim, else on the
		 * line through the last two tries (the ratio of one at first) */
		uint64_t next;

		if (lo && hi_c)
			next = lo + lo_w * (hi - lo) / (lo_w + hi_w);
		else if (lo && prev && prev < lo && lo_c > prev_c)
			next = lo + (aim - lo_c) * (lo - prev) / (lo_c - prev_c);
		else if (lo && prev && prev < lo)
			next = (uint64_t)lo * 2; /* the size did not grow */
		else if (lo)
			next = (uint64_t)lo * aim / lo_c;
		else if (hi_c)
			next = (uint64_t)hi * aim / hi_c;
		else
			next = hi / 2;
		prev = m;
		prev_c = cs;
		/* the end, or less than a block short of it: try the whole
		 * rest, which saves the block a few bytes left over would take */
		if (hi > len && next + EROFS_BLKSIZ >= len)
			next = len;
		if (next <= lo || next >= hi)
			next = lo + (hi - lo) / 2;
		if (next <= lo)
			break;
		m = (size_t)next;
	}
	*ret_in = lo;
	return lo_c;
}

/* Compresses a prefix of in[0..len) into at most cap bytes, into
 * *ret_out (the codec's buffer); *ret_in is the prefix's length. Returns
 * the compressed size, 0 if nothing fits. */
static size_t destsize(struct vc_erofs_codec *c, const uint8_t *in, size_t len, size_t cap,
		       size_t hint, size_t *ret_in, const uint8_t **ret_out)
{
	int src = len > (1u << 30) ? 1 << 30 : (int)len, cs;

	switch (c->alg) {
	case VC_EROFS_LZ4:
	case VC_EROFS_LZ4HC:
		cs = LZ4_compress_destSize((const char *)in, (char *)c->tmp[0], &src, (int)cap);
		/* LZ4HC only where fast LZ4 gains: on data that is already
		 * compressed (a kernel, archives) it searches long for nothing */
		if (c->alg == VC_EROFS_LZ4HC && cs > 0 && (size_t)src > EROFS_BLKSIZ) {
			src = len > (1u << 30) ? 1 << 30 : (int)len;
			cs = LZ4_compress_HC_destSize(c->hc, (const char *)in, (char *)c->tmp[0],
						      &src, (int)cap, c->level);
		}
		*ret_in = cs > 0 ? (size_t)src : 0;
		*ret_out = c->tmp[0];
		return cs > 0 ? (size_t)cs : 0;
	case VC_EROFS_LZMA: {
		lzma_ret r = lzma_microlzma_encoder(&c->xz, &c->xz_opt);

		if (r != LZMA_OK)
			return 0;
		c->xz.next_in = in;
		c->xz.avail_in = len;
		c->xz.next_out = c->tmp[0];
		c->xz.avail_out = cap;
		r = lzma_code(&c->xz, LZMA_FINISH);
		if (r != LZMA_STREAM_END)
			return 0;
		*ret_in = (size_t)c->xz.total_in;
		*ret_out = c->tmp[0];
		return (size_t)c->xz.total_out;
	}
	default: {
		size_t cs2 = fit_search(c, in, len, cap, hint, ret_in);

		*ret_out = c->tmp[c->best];
		return cs2;
	}
	}
}

uint64_t vc_erofs_max_tail(const struct vc_erofs_options *o)
{
	struct vc_erofs_codec c = {.alg = o->compress};

	c.pcluster = o->pcluster_size ? o->pcluster_size : EROFS_BLKSIZ;
	c.legacy = (c.alg == VC_EROFS_LZ4 || c.alg == VC_EROFS_LZ4HC) && c.pcluster == EROFS_BLKSIZ;
	return max_input(&c) > c.pcluster ? max_input(&c) : c.pcluster;
}

/* Appends a compressed pcluster (cs bytes at cz, ending its blocks after
 * zero padding) or, with cz NULL, a raw block of len bytes of in. */
static size_t put_extent(struct z_extent *x, uint8_t *dst, const uint8_t *cz, size_t cs,
			 const uint8_t *in, size_t len, uint64_t lstart)
{
	size_t bytes = cz ? VC_ROUND_UP(cs, EROFS_BLKSIZ) : EROFS_BLKSIZ;

	if (cz) { /* zero_padding: the data ends the cluster */
		memset(dst, 0, bytes - cs);
		memmove(dst + bytes - cs, cz, cs);
	} else {
		memcpy(dst, in, len);
		memset(dst + len, 0, EROFS_BLKSIZ - len);
	}
	*x = (struct z_extent){.lstart = lstart,
			       .llen = (uint32_t)len,
			       .nblk = (uint16_t)(bytes / EROFS_BLKSIZ),
			       .raw = !cz};
	return bytes;
}

/* ztailpacking: the last pcluster took the whole rest (rem bytes, cs
 * compressed) but is too large to inline. Like mkfs.erofs, tries to
 * carry a little less in one block fewer, so that the rest, at most what
 * the freed space would hold, may go inline. The pcluster at dst stays
 * when that does not pay. Returns the input the pcluster now carries. */
static size_t trim_last(struct vc_erofs_codec *c, const uint8_t *in, size_t rem, size_t cs,
			uint8_t *dst, uint64_t lstart, struct z_extent *x)
{
	size_t down = cs / EROFS_BLKSIZ * EROFS_BLKSIZ, src = 0;
	const uint8_t *cz;
	size_t cs2;

	/* the input the last partial block holds, at the pcluster's ratio,
	 * must fit the block freed: else no try (tries are what costs) */
	if (cs % EROFS_BLKSIZ == 0 || down == 0 ||
	    (uint64_t)(cs - down) * rem > (uint64_t)cs * EROFS_BLKSIZ)
		return rem;
	cs2 = destsize(c, in, rem, down, (size_t)((uint64_t)rem * down / cs), &src, &cz);
	if (cs2 == 0 || src >= rem || cz[0] == 0 ||
	    cs2 + (rem - src) >= VC_ROUND_UP(cs, EROFS_BLKSIZ) ||
	    src <= VC_ROUND_UP(cs2, EROFS_BLKSIZ))
		return rem;
	put_extent(x, dst, cz, cs2, in, src, lstart);
	return src;
}

size_t vc_erofs_compress_segment(const uint8_t *in, size_t len, uint64_t lstart,
				 struct vc_erofs_codec *c, struct z_tail *tail, uint8_t *out,
				 struct z_extent *ext)
{
	const size_t cap = c->pcluster, max_in = max_input(c);
	const bool frag = tail && tail->fragment;
	const size_t imax = tail ? tail->inline_max : 0;
	size_t p = 0, n = 0, hint = 0;
	uint8_t *dst = out;

	if (tail)
		tail->ilen = 0;
	while (p < len) {
		size_t rem = len - p;

		/* the tail: what one pcluster would hold goes to the packed
		 * inode, where it shares pclusters with other files' tails
		 * instead of taking blocks of its own (as mkfs.erofs does) */
		if (frag && rem <= cap)
			break;
		/* or when one pcluster holds all of it: for zstd and DEFLATE one
		 * try of the whole rest says so, before any search */
		if (frag && rem <= max_in &&
		    (c->alg == VC_EROFS_ZSTD || c->alg == VC_EROFS_DEFLATE)) {
			size_t cs = try_whole(c, in + p, rem, c->tmp[0], cap);

			if (cs > 0 && cs <= cap)
				break;
		}
		if (rem > EROFS_BLKSIZ || imax) {
			size_t src = 0;
			const uint8_t *cz;
			size_t cs =
			    destsize(c, in + p, rem < max_in ? rem : max_in, cap, hint, &src, &cz);
			size_t nblk = (cs + EROFS_BLKSIZ - 1) / EROFS_BLKSIZ;

			if (frag && cs > 0 && src == rem)
				break;
			/* ztailpacking: the whole rest in fewer bytes than the room
			 * after the inode: inline, no block */
			if (imax && cs > 0 && src == rem && cs <= imax && cs < rem && cz[0] != 0) {
				memcpy(dst, cz, cs);
				ext[n++] = (struct z_extent){
				    .lstart = lstart + p, .llen = (uint32_t)rem, .inl = 1};
				tail->ilen = (uint32_t)cs;
				return n;
			}
			/* Worth it only when the blocks hold more than as many blocks
			 * of input; the decoder finds the data after the zero padding,
			 * so it must not start with a zero byte. */
			if (cs > 0 && src > nblk * EROFS_BLKSIZ && cz[0] != 0) {
				dst += put_extent(&ext[n], dst, cz, cs, in + p, src, lstart + p);
				if (imax && src == rem)
					src =
					    trim_last(c, in + p, rem, cs, dst - nblk * EROFS_BLKSIZ,
						      lstart + p, &ext[n]);
				dst -= (nblk - ext[n].nblk) * EROFS_BLKSIZ;
				n++;
				p += src;
				hint = src;
				continue;
			}
		}
		if (imax && rem <= imax && rem < EROFS_BLKSIZ) {
			/* ztailpacking: a rest that does not shrink, inline as it is */
			memcpy(dst, in + p, rem);
			ext[n++] = (struct z_extent){
			    .lstart = lstart + p, .llen = (uint32_t)rem, .raw = 1, .inl = 1};
			tail->ilen = (uint32_t)rem;
			return n;
		}
		size_t take = rem < EROFS_BLKSIZ ? rem : EROFS_BLKSIZ;

		dst += put_extent(&ext[n++], dst, NULL, 0, in + p, take, lstart + p);
		p += take;
	}
	if (p < len) { /* the tail fragment: no blocks */
		ext[n].lstart = lstart + p;
		ext[n].llen = (uint32_t)(len - p);
		ext[n].nblk = 0;
		ext[n].raw = 0;
		n++;
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

/* Big pclusters: a pcluster's "marker", the lcluster the kernel counts
 * its blocks at when it walks a pack: the first NONHEAD (holding CBLKCNT)
 * if it has one, else its head. */
static uint64_t marker_lcn(const struct z_extent *x)
{
	uint64_t head = x->lstart / EROFS_BLKSIZ;

	return head + (x->lstart + x->llen >= (head + 2) * EROFS_BLKSIZ ? 1 : 0);
}

void vc_erofs_zindex_encode(uint64_t size, unsigned ebase_mod32, const struct z_extent *ext,
			    size_t n, uint32_t blkaddr, bool big, uint8_t *out)
{
	struct zplan z = zplan_of(size, ebase_mod32);
	size_t total = z.initial4 + z.mid2 + z.end4;
	struct lent buf[16];
	size_t k = 0; /* next extent */
	size_t lcn = 0;
	uint32_t counter = blkaddr - 1;
	size_t q = 0;	       /* big: the first pcluster whose marker is in this pack or later */
	uint32_t qb = blkaddr; /* its block */

	/* Entry of lcluster j, computed on the fly from the extents. */
	for (size_t region = 0; region < 3; region++) {
		size_t cnt = region == 0 ? z.initial4 : region == 1 ? z.mid2 : z.end4;
		unsigned vcnt = region == 1 ? 16 : 2;

		while (cnt > 0) {
			size_t take = cnt < vcnt ? cnt : vcnt;

			if (big) {
				/* the kernel adds the blocks of the pclusters it
				 * counts in the pack to its base */
				while (q < n && marker_lcn(&ext[q]) < lcn)
					qb += ext[q++].nblk;
				counter = qb;
			}
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
					/* an inline pcluster counts one block, as
					 * mkfs.erofs writes it (the reader uses none) */
					if (big && d0 == 1)
						e->lo = e->delta1 =
						    (uint16_t)(Z_EROFS_LI_D0_CBLKCNT |
							       (ext[k].inl ? 1 : ext[k].nblk));
				}
			}
			if (big) {
				uint32_t base = counter;

				out += put_pack(out, buf, take, vcnt, &base);
			} else {
				out += put_pack(out, buf, take, vcnt, &counter);
			}
			cnt -= take;
		}
	}
	assert(lcn == total);
	(void)total;
}

const char *vc_erofs_lz4_version(void)
{
	return LZ4_versionString();
}
