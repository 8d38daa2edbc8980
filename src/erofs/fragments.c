/* SPDX-License-Identifier: MIT */
/* EROFS fragments: small files, and the tails of larger compressed ones,
 * kept in the packed inode, a hidden regular file (superblock packed_nid,
 * incompatible feature FRAGMENTS, Linux 6.1) that is compressed like any
 * file, so that many files share pclusters instead of taking blocks each.
 * Spec: fs/erofs/erofs_fs.h, fs/erofs/zmap.c (z_erofs_fill_inode_lazy,
 * z_erofs_do_map_blocks), fs/erofs/zdata.c (z_erofs_read_fragment).
 *
 * A whole-file fragment's inode has no indexes: its 8-byte map header is
 * the le64 offset of its bytes in the packed inode with bit 63 set
 * (Z_EROFS_FRAGMENT_INODE_BIT of h_clusterbits). A tail fragment is the
 * last extent of a compressed file (an lcluster HEAD with no blocks); the
 * map header holds its le32 offset (h_fragmentoff) and the advice
 * FRAGMENT_PCLUSTER.
 *
 * Which files: regular files of 1 byte up to one pcluster, kept whole;
 * and every other compressed file's tail: the rest once it fits what one
 * pcluster holds (see vc_erofs_compress_segment), as mkfs.erofs does. The
 * packed inode holds the whole files in tree pre-order (known when
 * planning), then the tails in pre-order, placed once every file is
 * compressed (vc_erofs_pack_tails): the bytes depend on the tree and the
 * options only. Its inode comes after all data, as mkfs.erofs places it,
 * since its size is known only then.
 *
 * With dedupe, files of equal content (SHA-256 of the whole file, read in
 * the plan) share one range of the packed inode. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "erofs_disk.h"
#include "erofs_priv.h"
#include "vcompose/endian.h"
#include "vcompose/sha256.h"
#include "vcompose/util.h"

bool vc_erofs_is_fragment(const struct writer *w, const struct vc_node *n)
{
	uint32_t pc = w->o->pcluster_size ? w->o->pcluster_size : EROFS_BLKSIZ;

	return (w->o->features & VC_EROFS_FEATURE_FRAGMENTS) && w->o->compress != VC_EROFS_NONE &&
	       n->type == VC_NODE_REG && n->size > 0 && n->size <= pc && n != &w->packed;
}

struct hashing {
	struct writer *w;
	struct einode **files;
	uint8_t (*sha)[VC_SHA256_LEN];
};

static int hash_one(void *ctx, size_t i, struct vc_error *err)
{
	struct hashing *h = ctx;
	const struct vc_node *n = h->files[i]->n;
	uint8_t *buf = malloc((size_t)n->size);
	int r;

	if (!buf)
		return vc_errorf(err, VC_ENOMEM, "erofs: out of memory (fragments)");
	r = vc_erofs_read_content(h->w, n, 0, buf, (size_t)n->size, err);
	if (r == 0)
		vc_sha256(buf, (size_t)n->size, h->sha[i]);
	free(buf);
	return r;
}

/* Equal (size, hash) pairs, for dedupe: an open-addressing table of
 * indexes into files. */
static size_t find_equal(const struct hashing *h, size_t *slots, size_t cap, size_t i)
{
	size_t k;

	memcpy(&k, h->sha[i], sizeof(k));
	for (k &= cap - 1;; k = (k + 1) & (cap - 1)) {
		size_t j = slots[k];

		if (j == SIZE_MAX) {
			slots[k] = i;
			return i;
		}
		if (h->files[j]->size == h->files[i]->size &&
		    memcmp(h->sha[j], h->sha[i], VC_SHA256_LEN) == 0)
			return j;
	}
}

/* Dedupe of larger files: a compressed or stored file whose content
 * equals an earlier one's (same size and layout; SHA-256 of the whole
 * file, read only where sizes are equal) points at that file's blocks,
 * extents and tail; it writes no data of its own (a stored file still
 * keeps its own inline tail). */
struct same {
	struct einode *e;
	size_t idx; /* in inode order */
	uint8_t sha[VC_SHA256_LEN];
};

static int same_cmp(const void *a, const void *b)
{
	const struct same *x = a, *y = b;
	int c;

	if (x->e->size != y->e->size)
		return x->e->size < y->e->size ? -1 : 1;
	if (x->e->layout != y->e->layout || x->e->n_blocks != y->e->n_blocks ||
	    x->e->tailpack != y->e->tailpack)
		return x->e->layout != y->e->layout ? x->e->layout - y->e->layout
		       : x->e->n_blocks != y->e->n_blocks
			   ? (x->e->n_blocks < y->e->n_blocks ? -1 : 1)
			   : x->e->tailpack - y->e->tailpack;
	c = memcmp(x->sha, y->sha, VC_SHA256_LEN);
	if (c)
		return c;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static bool same_kind(const struct same *x, const struct same *y)
{
	return x->e->size == y->e->size && x->e->layout == y->e->layout &&
	       x->e->n_blocks == y->e->n_blocks && x->e->tailpack == y->e->tailpack;
}

struct same_hashing {
	struct writer *w;
	struct same *s;
	size_t *todo;
};

static int same_hash(void *ctx, size_t i, struct vc_error *err)
{
	struct same_hashing *h = ctx;
	struct same *x = &h->s[h->todo[i]];
	const size_t cap = 1u << 20;
	uint8_t *buf = malloc(cap);
	struct vc_sha256 c;
	int r = 0;

	if (!buf)
		return vc_errorf(err, VC_ENOMEM, "erofs: out of memory (dedupe)");
	vc_sha256_init(&c);
	for (uint64_t off = 0; off < x->e->size && r == 0; off += cap) {
		size_t len = x->e->size - off < cap ? (size_t)(x->e->size - off) : cap;

		r = vc_erofs_read_content(h->w, x->e->n, off, buf, len, err);
		if (r == 0)
			vc_sha256_update(&c, buf, len);
	}
	vc_sha256_final(&c, x->sha);
	free(buf);
	return r;
}

static int plan_same(struct writer *w)
{
	struct same *s = calloc(w->n_inodes + 1, sizeof(*s));
	size_t *todo = calloc(w->n_inodes + 1, sizeof(*todo));
	size_t n = 0, n_todo = 0;
	int r = 0;

	if (!s || !todo) {
		r = vc_errorf(w->err, VC_ENOMEM, "erofs: out of memory (dedupe)");
		goto out;
	}
	for (size_t i = 0; i < w->n_inodes; i++) {
		struct einode *e = w->order[i];

		if (e->n->type == VC_NODE_REG && !e->frag && e->size > 0 &&
		    e->layout != EROFS_INODE_CHUNK_BASED &&
		    (e->layout == EROFS_INODE_FLAT_COMPRESSION || e->n_blocks > 0))
			s[n++] = (struct same){.e = e, .idx = i};
	}
	/* by size and layout (the hashes are all zero yet): hash only where
	 * a neighbour is of the same kind */
	qsort(s, n, sizeof(*s), same_cmp);
	for (size_t i = 0; i < n; i++)
		if ((i > 0 && same_kind(&s[i - 1], &s[i])) ||
		    (i + 1 < n && same_kind(&s[i], &s[i + 1])))
			todo[n_todo++] = i;
	struct same_hashing h = {.w = w, .s = s, .todo = todo};

	r = vc_pool_for(w->o->pool, n_todo, same_hash, &h, w->err);
	if (r < 0 || n_todo == 0)
		goto out;
	qsort(s, n, sizeof(*s), same_cmp);
	for (size_t i = 0, first = 0; i < n; i++) {
		if (!same_kind(&s[first], &s[i]) || memcmp(s[first].sha, s[i].sha, VC_SHA256_LEN))
			first = i;
		else if (first != i)
			s[i].e->same = s[first].e; /* the earliest in inode order */
	}
out:
	free(s);
	free(todo);
	return r;
}

int vc_erofs_plan_fragments(struct writer *w)
{
	struct hashing h = {.w = w};
	size_t n = 0, n_tail = 0, *slots = NULL, cap = 0;
	bool dedupe = w->o->features & VC_EROFS_FEATURE_DEDUPE;
	uint64_t size = 0, max_tail;
	int r = 0;

	if (dedupe) {
		r = plan_same(w);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < w->n_inodes; i++) {
		n += w->order[i]->frag;
		n_tail += w->order[i]->tailpack;
	}
	if (n + n_tail == 0)
		return 0;
	h.files = calloc(n ? n : 1, sizeof(*h.files));
	w->members = calloc(n + n_tail, sizeof(*w->members));
	if (!h.files || !w->members)
		goto nomem;
	n = 0;
	for (size_t i = 0; i < w->n_inodes; i++)
		if (w->order[i]->frag)
			h.files[n++] = w->order[i];
	if (dedupe && n) {
		h.sha = calloc(n, sizeof(*h.sha));
		for (cap = 1024; cap < n * 2; cap *= 2)
			;
		slots = malloc(cap * sizeof(*slots));
		if (!h.sha || !slots)
			goto nomem;
		memset(slots, 0xff, cap * sizeof(*slots));
		r = vc_pool_for(w->o->pool, n, hash_one, &h, w->err);
		if (r < 0)
			goto out;
	}
	for (size_t i = 0; i < n; i++) {
		size_t j = dedupe ? find_equal(&h, slots, cap, i) : i;

		if (j != i) {
			h.files[i]->same = h.files[j]; /* an earlier file */
			w->n_deduped++;
		}
	}

	/* The most the packed inode can hold, in the order of its members
	 * (vc_erofs_pack): a tail offset is le32 (h_fragmentoff), so past what
	 * can stay below 4 GiB, files keep their tails. */
	max_tail = vc_erofs_max_tail(w->o);
	for (size_t i = 0; i < w->n_inodes; i++) {
		struct einode *e = w->order[i];
		uint64_t last = e->size % VC_EROFS_SEGMENT_Z ? e->size % VC_EROFS_SEGMENT_Z
							     : VC_EROFS_SEGMENT_Z;
		uint64_t t = last < max_tail ? last : max_tail;

		if (e->frag && !e->same) {
			size += e->size;
		} else if (e->tailpack && !e->same) {
			if (size + t > UINT32_MAX)
				e->tailpack = 0;
			else
				size += t;
		}
	}
	w->packed_bound = size;

	/* the packed inode: a compressed regular file, last in inode order;
	 * its size and inode come after the data (vc_erofs_pack_tails) */
	struct einode *p = &w->inodes[w->t->n_nodes];

	w->packed = (struct vc_node){
	    .type = VC_NODE_REG,
	    .name = "(packed inode)",
	    .name_len = 14,
	    .parent = w->t->root,
	    .mode = 0,
	    .nlink = 1,
	    .size = 0,
	    .mtime = w->build_time,
	    .index = w->t->n_nodes,
	};
	p->n = &w->packed;
	p->size = 0;
	p->ino = w->next_ino++;
	p->layout = EROFS_INODE_FLAT_COMPRESSION;
	w->order[w->n_inodes++] = p;
	w->packed_inode = p;
	goto out;
nomem:
	r = vc_errorf(w->err, VC_ENOMEM, "erofs: out of memory (fragments)");
out:
	free(h.files);
	free(h.sha);
	free(slots);
	return r;
}

/* Once every file is compressed: the places of whole files, then of
 * tails, in the packed inode, each in inode order (measured: apart they
 * compress better than side by side). Returns its size. */
uint64_t vc_erofs_pack(struct writer *w)
{
	uint64_t size = 0;

	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < w->n_inodes; i++) {
			struct einode *e = w->order[i];
			bool tail = e->tailpack && e->fragsrc < e->size;

			if (pass == 0 && e->frag && e->same) {
				e->fragoff = e->same->fragoff;
			} else if (pass == 0 ? e->frag : tail) {
				e->fragoff = size;
				w->members[w->n_members++] = e;
				w->n_tails += tail;
				size += e->size - (tail ? e->fragsrc : 0);
			}
		}
	}
	assert(size <= w->packed_bound);
	w->packed.size = size;
	w->packed_inode->size = size;
	return size;
}

/* The packed inode's header: a compact inode, the map header, indexes. */
uint32_t vc_erofs_packed_header(const struct writer *w)
{
	const uint32_t hdr = 32 + 8;

	return hdr + (uint32_t)vc_erofs_zindex_size(w->packed_inode->size, hdr % 32);
}

int vc_erofs_read_packed(struct writer *w, uint64_t off, uint8_t *buf, size_t len,
			 struct vc_error *err)
{
	/* the member holding off: members are in offset order */
	size_t lo = 0, hi = w->n_members;

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (w->members[mid]->fragoff <= off)
			lo = mid;
		else
			hi = mid;
	}
	for (size_t k = lo; len > 0 && k < w->n_members; k++) {
		const struct einode *m = w->members[k];
		uint64_t in = off - m->fragoff, src = m->frag ? 0 : m->fragsrc;
		uint64_t flen = m->size - src;
		size_t take = flen - in < len ? (size_t)(flen - in) : len;
		int r = vc_erofs_read_content(w, m->n, src + in, buf, take, err);

		if (r < 0)
			return r;
		buf += take;
		off += take;
		len -= take;
	}
	return len ? vc_errorf(err, VC_EINVAL, "erofs: read past the packed inode") : 0;
}
