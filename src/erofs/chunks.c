/* SPDX-License-Identifier: MIT */
/* EROFS chunk-based files (data layout EROFS_INODE_CHUNK_BASED, incompatible
 * feature CHUNKED_FILE, Linux 5.15): a stored file cut into chunks of
 * 4096 << n bytes, each mapped by a le32 block address after the inode and
 * its xattrs (the block map), or by EROFS_NULL_ADDR: a hole, read as zeros.
 * Spec: fs/erofs/erofs_fs.h (erofs_inode_chunk_info), fs/erofs/data.c
 * (erofs_map_blocks: the map starts at the inode's end rounded up to the
 * entry size, one entry per chunk, the last chunk ends at i_size).
 *
 * Which files, in tree pre-order, among the stored regular files with
 * blocks:
 *   - with the chunks feature, all of them: equal chunks (same length,
 *     same SHA-256) are stored once, where they first occur (in a flat
 *     file's blocks too), and chunks of zeros are holes;
 *   - without it, when the target reads chunk-based files, those whose
 *     input has holes (SEEK_HOLE on the descriptor the caller hands out):
 *     their chunks of zeros are holes, so a sparse file is neither written
 *     out nor compressed (such files are stored, never compressed).
 * A file becomes chunk-based only when one of its chunks is a hole or
 * shared; otherwise it stays flat (its tail inline), byte for byte what it
 * was. Which chunks are holes depends on the content alone (a chunk of
 * zeros), holes of the input only spare reading them. The chunk size is
 * the option's (4096 by default), doubled for a file until it has at most
 * CHUNKS_MAX chunks (a 1 TiB file: 1 MiB chunks, a 4 MiB map). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "erofs_disk.h"
#include "erofs_priv.h"
#include "vcompose/endian.h"
#include "vcompose/sha256.h"
#include "vcompose/util.h"

#define CHUNKS_MAX   (1u << 20) /* chunks of one file: a map of 4 MiB at most */
#define CHUNK_WINDOW (1u << 20) /* bytes read at once */

bool vc_erofs_holes_allowed(const struct writer *w)
{
	unsigned target = w->o->target ? w->o->target : VC_EROFS_KVER_DEFAULT;

	return target >= VC_EROFS_KVER_CHUNKS;
}

size_t vc_erofs_chunk_count(const struct einode *e)
{
	return (size_t)VC_DIV_ROUND_UP(e->size, UINT64_C(1) << e->chunkbits);
}

uint32_t vc_erofs_chunk_addr(const struct writer *w, struct chunkref c)
{
	const struct einode *o = &w->inodes[c.owner];

	if (c.owner == VC_EROFS_HOLE)
		return EROFS_NULL_ADDR;
	if (o->same && !o->frag) /* an equal file's blocks serve it */
		o = o->same;
	return o->blkaddr + c.blk;
}

/* ---- which files have holes in the input ---- */

int vc_erofs_input_holes(const struct vc_erofs_options *o, const struct vc_node *n,
			 struct vc_error *err)
{
	uint64_t base;
	int fd = o->open(o->read_ctx, n, &base, err);
	off_t q;

	if (fd < 0)
		return fd;
	q = lseek(fd, (off_t)base, SEEK_HOLE);
	o->close(o->read_ctx, fd);
	return q >= 0 && (uint64_t)q >= base && (uint64_t)q - base + EROFS_BLKSIZ <= n->size;
}

/* ---- chunks: zeros and digests, read on the pool ---- */

struct cinfo {
	uint8_t sha[VC_SHA256_LEN];
	uint8_t zero;
};

/* The input's holes, found with SEEK_DATA / SEEK_HOLE: [from, to) is
 * known to be a hole (hole) or data. */
struct holes {
	int fd;
	uint64_t base, size, from, to;
	bool hole;
};

/* The end of the hole at pos; pos when pos holds data or nothing is known. */
static uint64_t hole_end(struct holes *h, uint64_t pos)
{
	off_t q;

	if (h->fd < 0)
		return pos;
	if (pos >= h->from && pos < h->to)
		return h->hole ? h->to : pos;
	h->from = pos;
	h->to = h->size;
	q = lseek(h->fd, (off_t)(h->base + pos), SEEK_DATA);
	if (q < 0) {
		h->hole = errno == ENXIO; /* else: unknown, read it */
	} else if ((uint64_t)q > h->base + pos) {
		h->hole = true;
		if ((uint64_t)q - h->base < h->size)
			h->to = (uint64_t)q - h->base;
	} else {
		h->hole = false;
		q = lseek(h->fd, (off_t)(h->base + pos), SEEK_HOLE);
		if (q >= 0 && (uint64_t)q > h->base + pos && (uint64_t)q - h->base < h->size)
			h->to = (uint64_t)q - h->base;
	}
	return h->hole ? h->to : pos;
}

/* A chunk's digest as its pieces come: zeros before the first data are
 * only counted (a chunk of zeros needs no digest). */
struct cstate {
	struct vc_sha256 c;
	uint64_t zeros;
	bool data;
};

static void hash_zeros(struct cstate *s, uint64_t len)
{
	static const uint8_t zero[64 << 10];

	while (len) {
		size_t k = len < sizeof(zero) ? (size_t)len : sizeof(zero);

		vc_sha256_update(&s->c, zero, k);
		len -= k;
	}
}

static bool all_zero(const uint8_t *p, size_t len)
{
	return len == 0 || (p[0] == 0 && memcmp(p, p + 1, len - 1) == 0);
}

/* p NULL: len bytes of a hole. */
static void feed(struct cstate *s, const uint8_t *p, uint64_t len, bool digest)
{
	if (!p || all_zero(p, (size_t)len)) {
		if (!s->data)
			s->zeros += len;
		else if (digest && p)
			vc_sha256_update(&s->c, p, (size_t)len);
		else if (digest)
			hash_zeros(s, len);
		return;
	}
	if (!s->data && digest)
		hash_zeros(s, s->zeros);
	s->data = true;
	if (digest)
		vc_sha256_update(&s->c, p, (size_t)len);
}

struct chashing {
	struct writer *w;
	struct einode **files;
	struct cinfo **info;
	bool digest; /* dedupe: chunks need their SHA-256 */
};

static int scan_file(struct chashing *h, struct einode *e, struct cinfo *ci, uint8_t *buf,
		     struct holes *hl, struct vc_error *err)
{
	uint64_t csize = UINT64_C(1) << e->chunkbits;
	struct cstate s = {0};
	int r = 0;

	for (uint64_t pos = 0; pos < e->size && r == 0;) {
		/* a window within one chunk, or of whole chunks */
		uint64_t len = e->size - pos < CHUNK_WINDOW ? e->size - pos : CHUNK_WINDOW;
		bool hole = hole_end(hl, pos) >= pos + len;

		if (!hole)
			r = vc_erofs_read_content(h->w, e->n, pos, buf, (size_t)len, err);
		for (uint64_t p = pos; p < pos + len && r == 0;) {
			uint64_t k = p >> e->chunkbits, cend = (k + 1) * csize;
			uint64_t end = cend < pos + len ? cend : pos + len;

			if (p == k * csize) {
				memset(&s, 0, sizeof(s));
				if (h->digest)
					vc_sha256_init(&s.c);
			}
			feed(&s, hole ? NULL : buf + (p - pos), end - p, h->digest);
			if (end == cend || end == e->size) {
				ci[k].zero = !s.data;
				if (s.data && h->digest)
					vc_sha256_final(&s.c, ci[k].sha);
			}
			p = end;
		}
		pos += len;
	}
	return r;
}

static int chash_one(void *ctx, size_t i, struct vc_error *err)
{
	struct chashing *h = ctx;
	const struct vc_erofs_options *o = h->w->o;
	struct einode *e = h->files[i];
	struct holes hl = {.fd = -1, .size = e->size};
	uint8_t *buf = malloc(CHUNK_WINDOW);
	int r = 0;

	h->info[i] = calloc(vc_erofs_chunk_count(e), sizeof(**h->info));
	if (!buf || !h->info[i]) {
		free(buf);
		return vc_errorf(err, VC_ENOMEM, "erofs: out of memory (chunks)");
	}
	if (o->open && o->close) {
		hl.fd = o->open(o->read_ctx, e->n, &hl.base, err);
		if (hl.fd < 0) {
			char path[VC_TREE_PATH_MAX + 2];

			if (!strstr(err->msg, vc_erofs_node_path(e->n, path, sizeof(path))))
				vc_error_prefix(err, "%s", path);
			free(buf);
			return hl.fd;
		}
	}
	r = scan_file(h, e, h->info[i], buf, &hl, err);
	if (hl.fd >= 0)
		o->close(o->read_ctx, hl.fd);
	free(buf);
	return r;
}

/* ---- equal chunks: an open-addressing table over (length, SHA-256) ---- */

struct centry {
	const uint8_t *sha; /* NULL: free */
	uint64_t len;
	struct chunkref at;
};

struct ctable {
	struct centry *slots;
	size_t cap; /* power of two */
};

static struct centry *lookup(struct ctable *t, const uint8_t *sha, uint64_t len)
{
	size_t k;

	memcpy(&k, sha, sizeof(k));
	for (k &= t->cap - 1;; k = (k + 1) & (t->cap - 1)) {
		struct centry *c = &t->slots[k];

		if (!c->sha || (c->len == len && memcmp(c->sha, sha, VC_SHA256_LEN) == 0))
			return c;
	}
}

static void insert(struct ctable *t, const struct cinfo *ci, uint64_t len, struct chunkref at)
{
	struct centry *c;

	if (!t->slots)
		return;
	c = lookup(t, ci->sha, len);
	if (!c->sha)
		*c = (struct centry){.sha = ci->sha, .len = len, .at = at};
}

static uint64_t chunk_len(const struct einode *e, size_t k)
{
	uint64_t csize = UINT64_C(1) << e->chunkbits, rest = e->size - (uint64_t)k * csize;

	return rest < csize ? rest : csize;
}

/* Doubles a chunk-based file's chunk size while every pair of chunks is
 * two holes or two blocks runs that follow each other (as mkfs.erofs
 * merges them): the same bytes with a smaller map (a file of holes only:
 * one chunk). */
static void merge_chunks(struct einode *e)
{
	size_t count = vc_erofs_chunk_count(e);

	while (count > 1 && e->chunkbits < EROFS_BLKBITS + EROFS_CHUNK_FORMAT_BLKBITS_MASK) {
		uint64_t cb = UINT64_C(1) << (e->chunkbits - EROFS_BLKBITS);
		size_t k;

		for (k = 0; k + 1 < count; k += 2) {
			struct chunkref a = e->chunks[k], b = e->chunks[k + 1];

			if (a.owner == VC_EROFS_HOLE ? b.owner != VC_EROFS_HOLE
						     : b.owner != a.owner || b.blk != a.blk + cb)
				break;
		}
		if (k + 1 < count)
			return;
		for (k = 0; k < count; k += 2)
			e->chunks[k / 2] = e->chunks[k];
		e->chunkbits++;
		count = vc_erofs_chunk_count(e);
	}
}

/* In inode order: each chunk a hole, an earlier equal chunk, or its own
 * blocks (numbered on); the file becomes chunk-based when any is not its
 * own. Its last chunk is a source for later files only where it is in
 * blocks (not a flat file's inline tail). */
static int map_file(struct writer *w, struct einode *e, const struct cinfo *ci, struct ctable *t)
{
	size_t count = vc_erofs_chunk_count(e);
	struct chunkref *ch = calloc(count, sizeof(*ch));
	uint32_t self = (uint32_t)e->n->index, next = 0;
	uint64_t holes = 0, shared = 0;

	if (!ch)
		return vc_errorf(w->err, VC_ENOMEM, "erofs: out of memory (chunks)");
	for (size_t k = 0; k < count; k++) {
		uint64_t len = chunk_len(e, k);
		struct centry *c = t->slots && !ci[k].zero ? lookup(t, ci[k].sha, len) : NULL;

		if (ci[k].zero) {
			ch[k].owner = VC_EROFS_HOLE;
			holes += len;
		} else if (c && c->sha) {
			ch[k] = c->at;
			shared++;
		} else {
			ch[k] = (struct chunkref){self, next};
			next += (uint32_t)VC_DIV_ROUND_UP(len, EROFS_BLKSIZ);
			if (k + 1 < count)
				insert(t, &ci[k], len, ch[k]);
		}
	}
	size_t last = count - 1;
	struct chunkref lr = ch[last];
	uint64_t last_len = chunk_len(e, last);
	bool chunked = holes || shared;

	if (chunked) {
		uint32_t core = e->extended ? 64 : 32;

		e->layout = EROFS_INODE_CHUNK_BASED;
		e->chunks = ch;
		e->n_blocks = next;
		e->tail = 0;
		merge_chunks(e);
		count = vc_erofs_chunk_count(e);
		e->header =
		    (uint32_t)VC_ROUND_UP(core + e->xattr_isize, EROFS_BLOCK_MAP_ENTRY_SIZE) +
		    EROFS_BLOCK_MAP_ENTRY_SIZE * (uint32_t)count;
		w->n_chunked++;
		w->hole_bytes += holes;
		w->n_shared_chunks += shared;
	} else {
		free(ch);
	}
	if (lr.owner == self && (chunked || e->layout == EROFS_INODE_FLAT_PLAIN))
		insert(t, &ci[last], last_len, lr);
	return 0;
}

static bool candidate(const struct writer *w, const struct einode *e)
{
	const struct vc_node *n = e->n;

	if (n->type != VC_NODE_REG || n == &w->packed || e->n_blocks == 0 ||
	    (e->layout != EROFS_INODE_FLAT_PLAIN && e->layout != EROFS_INODE_FLAT_INLINE))
		return false;
	return (w->o->features & VC_EROFS_FEATURE_CHUNKS) || w->sparse[n->index];
}

/* The chunk size of a file: the option's, doubled until the file has at
 * most CHUNKS_MAX chunks. */
static uint8_t chunk_bits(const struct writer *w, uint64_t size)
{
	uint64_t want = w->o->chunk_size ? w->o->chunk_size : EROFS_BLKSIZ;
	unsigned bits = EROFS_BLKBITS;

	while ((UINT64_C(1) << bits) < want)
		bits++;
	while (VC_DIV_ROUND_UP(size, UINT64_C(1) << bits) > CHUNKS_MAX &&
	       bits < EROFS_BLKBITS + EROFS_CHUNK_FORMAT_BLKBITS_MASK)
		bits++;
	return (uint8_t)bits;
}

int vc_erofs_plan_chunks(struct writer *w)
{
	struct chashing h = {.w = w, .digest = (w->o->features & VC_EROFS_FEATURE_CHUNKS) != 0};
	struct ctable t = {0};
	size_t n = 0, total = 0;
	int r = 0;

	h.files = calloc(w->n_inodes + 1, sizeof(*h.files));
	h.info = calloc(w->n_inodes + 1, sizeof(*h.info));
	if (!h.files || !h.info)
		goto nomem;
	for (size_t i = 0; i < w->n_inodes; i++) {
		struct einode *e = w->order[i];

		if (!candidate(w, e))
			continue;
		e->chunkbits = chunk_bits(w, e->size);
		total += vc_erofs_chunk_count(e);
		h.files[n++] = e;
	}
	if (n == 0)
		goto out;
	r = vc_pool_for(w->o->pool, n, chash_one, &h, w->err);
	if (r < 0)
		goto out;
	if (h.digest) {
		for (t.cap = 1024; t.cap < total * 2; t.cap *= 2)
			;
		t.slots = calloc(t.cap, sizeof(*t.slots));
		if (!t.slots)
			goto nomem;
	}
	for (size_t i = 0; i < n && r == 0; i++)
		r = map_file(w, h.files[i], h.info[i], &t);
	goto out;
nomem:
	r = vc_errorf(w->err, VC_ENOMEM, "erofs: out of memory (chunks)");
out:
	for (size_t i = 0; h.info && i < n; i++)
		free(h.info[i]);
	free(h.info);
	free(h.files);
	free(t.slots);
	return r;
}
