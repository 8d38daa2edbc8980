/* SPDX-License-Identifier: MIT */
/* EROFS plan: steps 1 and 2 of vc_erofs_write (see erofs.c): every inode's
 * size, layout and xattr body, the directories' block split, then where
 * each inode lands in the metadata area. No image bytes are written here.
 * Spec: Linux 6.1 fs/erofs/erofs_fs.h, fs/erofs/inode.c and dir.c. */
#include <lz4.h>
#include <assert.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "erofs_disk.h"
#include "erofs_priv.h"
#include "vcompose/endian.h"
#include "vcompose/util.h"

#define PROBE_BYTES (128u << 10) /* how much of a file decides "compress it" */

char *vc_erofs_node_path(const struct vc_node *n, char *buf, size_t cap)
{
	/* Builds from the end, then moves to the front. */
	size_t pos = cap - 1;

	buf[pos] = '\0';
	if (n->parent == n) {
		snprintf(buf, cap, "/");
		return buf;
	}
	while (n->parent != n) {
		size_t l = n->name_len;

		if (pos < l + 1)
			break;
		pos -= l;
		memcpy(buf + pos, n->name, l);
		buf[--pos] = '/';
		n = n->parent;
	}
	memmove(buf, buf + pos, cap - pos);
	return buf;
}

static uint8_t node_ftype(const struct vc_node *n)
{
	switch (n->type) {
	case VC_NODE_REG: return EROFS_FT_REG_FILE;
	case VC_NODE_DIR: return EROFS_FT_DIR;
	case VC_NODE_SYMLINK: return EROFS_FT_SYMLINK;
	case VC_NODE_CHR: return EROFS_FT_CHRDEV;
	case VC_NODE_BLK: return EROFS_FT_BLKDEV;
	case VC_NODE_FIFO: return EROFS_FT_FIFO;
	case VC_NODE_SOCK: return EROFS_FT_SOCK;
	}
	return EROFS_FT_UNKNOWN;
}

static int dent_cmp(const void *a, const void *b)
{
	const struct dent *x = a, *y = b;
	size_t l = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->name, y->name, l);

	if (c)
		return c;
	return x->len < y->len ? -1 : x->len > y->len ? 1 : 0;
}

/* The entries of a directory, ".", ".." included, sorted by name bytes. */
int vc_erofs_dir_entries(const struct vc_node *d, struct dent **ret, size_t *ret_n,
			 struct vc_error *err)
{
	size_t n = d->n_children + 2;
	struct dent *e = calloc(n, sizeof(*e));

	if (!e)
		return vc_errorf(err, VC_ENOMEM, "erofs: out of memory (directory)");
	e[0] = (struct dent){".", 1, d};
	e[1] = (struct dent){"..", 2, vc_erofs_owner(d->parent)};
	for (size_t i = 0; i < d->n_children; i++) {
		const struct vc_node *c = d->children[i];

		e[i + 2] = (struct dent){c->name, c->name_len, vc_erofs_owner(c)};
	}
	qsort(e, n, sizeof(*e), dent_cmp);
	*ret = e;
	*ret_n = n;
	return 0;
}

/* Block split of a directory: entries [start[b], start[b + 1]) in block b.
 * Returns the directory's i_size; writes the block count to *ret_blocks. */
uint64_t vc_erofs_dir_size(const struct dent *e, size_t n, uint64_t *ret_blocks)
{
	uint64_t blocks = 1, used = 0;

	for (size_t i = 0; i < n; i++) {
		size_t need = sizeof(struct erofs_dirent_disk) + e[i].len;

		if (used + need > EROFS_BLKSIZ) {
			blocks++;
			used = 0;
		}
		used += need;
	}
	*ret_blocks = blocks;
	return (blocks - 1) * EROFS_BLKSIZ + used;
}

/* Writes the directory's bytes (i_size of them, blocks zero-padded) to out,
 * which has room for the block count times 4096. */
void vc_erofs_dir_render(struct writer *w, const struct dent *e, size_t n, uint8_t *out)
{
	size_t i = 0;

	while (i < n) {
		size_t j = i, used = 0;

		while (j < n &&
		       used + sizeof(struct erofs_dirent_disk) + e[j].len <= EROFS_BLKSIZ) {
			used += sizeof(struct erofs_dirent_disk) + e[j].len;
			j++;
		}
		memset(out, 0, EROFS_BLKSIZ);
		size_t nameoff = (j - i) * sizeof(struct erofs_dirent_disk);

		for (size_t k = i; k < j; k++) {
			struct erofs_dirent_disk *d = (struct erofs_dirent_disk *)out + (k - i);
			const struct einode *ti = vc_erofs_inode_of(w, e[k].target);

			vc_put_le64(d->nid, ti->off / EROFS_ISLOT);
			vc_put_le16(d->nameoff, (uint16_t)nameoff);
			d->file_type = node_ftype(e[k].target);
			memcpy(out + nameoff, e[k].name, e[k].len);
			nameoff += e[k].len;
		}
		out += EROFS_BLKSIZ;
		i = j;
	}
}

bool vc_erofs_node_is_compressed(const struct writer *w, const struct vc_node *n)
{
	/* A file of one block or less cannot shrink: 4 KiB clusters; but with
	 * ztailpacking it may, inline after its inode (data.c stores it as
	 * it is when that is not smaller, as mkfs.erofs does) */
	return w->o->compress != VC_EROFS_NONE && n->type == VC_NODE_REG &&
	       (n->size > EROFS_BLKSIZ || (w->ztail && n->size > 0)) &&
	       !w->incompressible[n->index];
}

uint64_t vc_erofs_min_size(const struct vc_tree *t, const struct vc_erofs_options *o,
			   const struct vc_node **ret_largest)
{
	const struct vc_node *big = NULL;
	uint64_t sum = 0;
	unsigned target = o->target ? o->target : VC_EROFS_KVER_DEFAULT;
	/* holes of the input are kept (chunks.c): such a file needs no block */
	bool holes = target >= VC_EROFS_KVER_CHUNKS && o->open && o->close;

	for (size_t i = 0; i < t->n_nodes; i++) {
		const struct vc_node *n = t->nodes[i];
		uint64_t need;
		struct vc_error e2 = {0};
		if (n->type != VC_NODE_REG || n->link_first != n)
			continue;
		if (!big || n->size > big->size)
			big = n;
		if ((o->features & VC_EROFS_FEATURE_CHUNKS) ||
		    (holes && n->size >= EROFS_BLKSIZ && vc_erofs_input_holes(o, n, &e2) == 1))
			/* stored, its chunks of zeros holes, equal ones shared */
			need = 0;
		else if (o->compress != VC_EROFS_NONE && n->size > EROFS_BLKSIZ)
			/* compressed, however well: at least its compacted
			 * 2-byte index per 4 KiB logical cluster */
			need = n->size / EROFS_BLKSIZ * 2;
		else
			/* stored: every whole block (the tail may be inline) */
			need = n->size / EROFS_BLKSIZ * EROFS_BLKSIZ;
		sum = need > UINT64_MAX - sum ? UINT64_MAX : sum + need;
	}
	if (ret_largest)
		*ret_largest = big;
	return sum;
}

/* Whether the first PROBE_BYTES of a file compress at all; files where
 * nothing does are stored flat, with an inline tail, as mkfs.erofs does.
 * And, where holes are kept (a target of 5.15 or later), whether the
 * input has holes: such a file is stored, never compressed (chunks.c). */
struct probe {
	struct writer *w;
	const struct vc_node **files;
	bool holes;
};

static int probe_one(void *ctx, size_t i, struct vc_error *err)
{
	struct probe *pr = ctx;
	struct writer *w = pr->w;
	const struct vc_node *n = pr->files[i];
	size_t len = n->size < PROBE_BYTES ? (size_t)n->size : PROBE_BYTES;
	uint8_t *in, *out;
	int r = pr->holes ? vc_erofs_input_holes(w->o, n, err) : 0;

	if (r != 0) {
		w->sparse[n->index] = w->incompressible[n->index] = r > 0;
		return r < 0 ? r : 0;
	}
	if (w->o->compress == VC_EROFS_NONE || n->size <= EROFS_BLKSIZ)
		return 0;
	in = malloc(len);
	out = malloc(EROFS_BLKSIZ);
	if (!in || !out) {
		r = vc_errorf(err, VC_ENOMEM, "erofs: out of memory");
		goto out;
	}
	r = vc_erofs_read_content(w, n, 0, in, len, err);
	if (r < 0)
		goto out;
	/* Fast LZ4 even for LZ4HC: what it shrinks, LZ4HC shrinks too. */
	w->incompressible[n->index] = 1;
	for (size_t p = 0; p + EROFS_BLKSIZ < len;) {
		int src = (int)(len - p);
		int c =
		    LZ4_compress_destSize((const char *)in + p, (char *)out, &src, EROFS_BLKSIZ);

		if (c > 0 && src > (int)EROFS_BLKSIZ) {
			w->incompressible[n->index] = 0;
			break;
		}
		p += EROFS_BLKSIZ;
	}
out:
	free(in);
	free(out);
	return r;
}

int vc_erofs_probe_files(struct writer *w)
{
	const struct vc_tree *t = w->t;
	struct probe pr = {.w = w};
	size_t n = 0;
	int r;

	/* + the packed inode */
	w->incompressible = calloc(t->n_nodes + 1, 1);
	w->sparse = calloc(t->n_nodes + 1, 1);
	if (!w->incompressible || !w->sparse)
		return vc_errorf(w->err, VC_ENOMEM, "erofs: out of memory");
	pr.holes = vc_erofs_holes_allowed(w) && w->o->open && w->o->close;
	if (w->o->compress == VC_EROFS_NONE && !pr.holes)
		return 0;
	pr.files = calloc(t->n_nodes, sizeof(*pr.files));
	if (!pr.files)
		return vc_errorf(w->err, VC_ENOMEM, "erofs: out of memory");
	for (size_t i = 0; i < t->n_nodes; i++) {
		const struct vc_node *f = t->nodes[i];

		if (vc_erofs_owner(f) == f && f->type == VC_NODE_REG && f->size >= EROFS_BLKSIZ)
			pr.files[n++] = f;
	}
	r = vc_pool_for(w->o->pool, n, probe_one, &pr, w->err);
	free(pr.files);
	return r;
}

/* An inode's format (compact or extended) and data layout, from its size:
 * a fragment, compressed (map header and indexes after the inode), or
 * flat with the tail inline when it fits the inode's block. */
int vc_erofs_plan_layout(struct writer *w, struct einode *e)
{
	const struct vc_node *n = e->n;
	char path[VC_TREE_PATH_MAX + 2];

	e->fragsrc = e->size; /* no tail fragment (yet) */
	/* compact where every field fits and the mtime is the build time */
	e->extended = n->uid > UINT16_MAX || n->gid > UINT16_MAX || n->nlink > UINT16_MAX ||
		      e->size > UINT32_MAX || n->mtime != w->build_time || n->mtime_nsec != 0;
	uint32_t core = e->extended ? 64 : 32;

	if (vc_erofs_is_fragment(w, n)) {
		/* the whole file in the packed inode: the map header alone */
		e->layout = EROFS_INODE_FLAT_COMPRESSION;
		e->header = (uint32_t)VC_ROUND_UP(core + e->xattr_isize, 8) + 8;
		e->frag = 1;
	} else if (vc_erofs_node_is_compressed(w, n)) {
		uint32_t hdr = (uint32_t)VC_ROUND_UP(core + e->xattr_isize, 8) + 8;
		size_t idx = vc_erofs_zindex_size(e->size, hdr % 32);

		e->layout = EROFS_INODE_FLAT_COMPRESSION;
		e->header = hdr + (uint32_t)idx;
		e->tail = 0;
		/* its tail may go to the packed inode (fragments.c), or inline
		 * (ztailpacking) when the inode leaves room in its block */
		e->tailpack = (w->o->features & VC_EROFS_FEATURE_FRAGMENTS) != 0;
		e->ztail = w->ztail && e->header < EROFS_BLKSIZ;
	} else {
		uint64_t tail = e->size % EROFS_BLKSIZ;

		e->header = core + e->xattr_isize;
		if (tail && e->header + tail <= EROFS_BLKSIZ) {
			e->layout = EROFS_INODE_FLAT_INLINE;
			e->tail = (uint32_t)tail;
			e->n_blocks = (uint32_t)(e->size / EROFS_BLKSIZ);
		} else {
			e->layout = EROFS_INODE_FLAT_PLAIN;
			e->n_blocks = (uint32_t)VC_DIV_ROUND_UP(e->size, EROFS_BLKSIZ);
		}
		if (e->size / EROFS_BLKSIZ >= UINT32_MAX)
			return vc_errorf(w->err, VC_ERANGE, "%s: %" PRIu64 " bytes: too large",
					 vc_erofs_node_path(n, path, sizeof(path)), e->size);
	}
	return 0;
}

/* Step 1: every inode's sizes and layout. */
int vc_erofs_plan_inodes(struct writer *w)
{
	const struct vc_tree *t = w->t;
	struct vc_error *err = w->err;
	char path[VC_TREE_PATH_MAX + 2];
	int r = 0;

	/* one more: the packed inode of fragments */
	w->inodes = calloc(t->n_nodes + 1, sizeof(*w->inodes));
	w->order = calloc(t->n_nodes + 1, sizeof(*w->order));
	if (!w->inodes || !w->order)
		return vc_errorf(err, VC_ENOMEM, "erofs: out of memory (%zu nodes)", t->n_nodes);
	r = vc_erofs_plan_xattrs(w);
	if (r < 0)
		return r;

	/* inodes */
	for (size_t i = 0; i < t->n_nodes; i++) {
		const struct vc_node *n = t->nodes[i];
		struct einode *e = &w->inodes[n->index];

		if (vc_erofs_owner(n) != n)
			continue;
		w->order[w->n_inodes++] = e;
		e->n = n;

		r = vc_erofs_plan_ibody(w, e);
		if (r < 0)
			return r;

		/* size */
		struct dent *de = NULL;
		size_t n_de = 0;
		uint64_t blocks = 0;

		switch (n->type) {
		case VC_NODE_REG: e->size = n->size; break;
		case VC_NODE_SYMLINK:
			e->size = n->target ? strlen(n->target) : 0;
			if (e->size == 0 || e->size > VC_TREE_SYMLINK_MAX)
				return vc_errorf(err, VC_EINVAL,
						 "%s: symlink target of %" PRIu64 " bytes (1..%d)",
						 vc_erofs_node_path(n, path, sizeof(path)), e->size,
						 VC_TREE_SYMLINK_MAX);
			break;
		case VC_NODE_DIR:
			r = vc_erofs_dir_entries(n, &de, &n_de, err);
			if (r < 0)
				return r;
			e->size = vc_erofs_dir_size(de, n_de, &blocks);
			free(de);
			break;
		default: e->size = 0; break;
		}

		r = vc_erofs_plan_layout(w, e);
		if (r < 0)
			return r;
		(void)blocks;
	}

	/* i_ino as mkfs.erofs numbers them: a directory's children when it is
	 * listed, depth first; the root is 0. */
	{
		uint32_t next = 0;

		w->order[0]->ino = next++;
		w->order[0]->placed = 1; /* reused below as "numbered" */
		for (size_t i = 0; i < t->n_nodes; i++) {
			const struct vc_node *d = t->nodes[i];

			if (d->type != VC_NODE_DIR || vc_erofs_owner(d) != d)
				continue;
			for (size_t k = 0; k < d->n_children; k++) {
				struct einode *c = vc_erofs_inode_of(w, d->children[k]);

				if (!c->placed) {
					c->placed = 1;
					c->ino = next++;
				}
			}
		}
		for (size_t i = 0; i < w->n_inodes; i++)
			w->order[i]->placed = 0;
		w->next_ino = next;
	}
	r = vc_erofs_plan_chunks(w);
	return r < 0 ? r : vc_erofs_plan_fragments(w);
}

/* Step 2: metadata layout. An inode with inline data must not cross a
 * block, so blocks end with gaps; like mkfs.erofs, later inodes go to the
 * fullest block whose gap holds them (best fit), or after the last one.
 * Gaps are queued by free 32-byte slots, oldest first (struct vc_erofs_gaps;
 * data.c places the inodes of ztailpacking the same way). */
#define SLOTS_PER_BLOCK VC_EROFS_SLOTS_PER_BLOCK

int vc_erofs_gap_push(struct vc_erofs_gaps *g, uint64_t start, struct vc_error *err)
{
	size_t k = (size_t)((VC_ROUND_UP(start + 1, EROFS_BLKSIZ) - start) / EROFS_ISLOT);

	if (start % EROFS_BLKSIZ == 0 || k == 0)
		return 0;
	if (g->n[k] == g->cap[k]) {
		size_t cap = g->cap[k] ? g->cap[k] * 2 : 64;
		uint64_t *q = realloc(g->q[k], cap * sizeof(*q));

		if (!q)
			return vc_errorf(err, VC_ENOMEM, "erofs: out of memory");
		g->q[k] = q;
		g->cap[k] = cap;
	}
	g->q[k][g->n[k]++] = start;
	return 0;
}

size_t vc_erofs_gap_best(const struct vc_erofs_gaps *g, size_t k)
{
	for (size_t f = k; f < SLOTS_PER_BLOCK; f++)
		if (g->head[f] < g->n[f])
			return f;
	return 0;
}

void vc_erofs_gaps_free(struct vc_erofs_gaps *g)
{
	for (size_t k = 0; k < SLOTS_PER_BLOCK; k++)
		free(g->q[k]);
	memset(g, 0, sizeof(*g));
}

int vc_erofs_plan_meta(struct writer *w)
{
	struct vc_erofs_gaps g = {0};
	uint64_t cur = VC_ROUND_UP(w->shared_end, EROFS_ISLOT);
	int r = 0;

	for (size_t i = 0; i < w->n_inodes && r == 0; i++) {
		struct einode *e = w->order[i];

		if (e == w->packed_inode || e->ztail)
			continue; /* after the data, once its size is known */
		uint64_t sz = VC_ROUND_UP((uint64_t)e->header + e->tail, EROFS_ISLOT);
		uint64_t cur_free = EROFS_BLKSIZ - cur % EROFS_BLKSIZ;
		size_t f = sz < EROFS_BLKSIZ && i > 0
			       ? vc_erofs_gap_best(&g, (size_t)(sz / EROFS_ISLOT))
			       : 0;

		if (f && !(sz <= cur_free && cur_free < f * EROFS_ISLOT)) {
			/* into a gap: what is left of it is a smaller gap */
			e->off = g.q[f][g.head[f]++];
			r = vc_erofs_gap_push(&g, e->off + sz, w->err);
		} else {
			/* after the last inode; one that does not fit the rest of the block
			 * (or is a block or more) starts the next block, leaving a gap */
			if (cur % EROFS_BLKSIZ && (sz > cur_free || sz >= EROFS_BLKSIZ)) {
				r = vc_erofs_gap_push(&g, cur, w->err);
				cur = VC_ROUND_UP(cur, EROFS_BLKSIZ);
			}
			e->off = cur;
			cur += sz;
		}
		if (e->off / EROFS_ISLOT > UINT32_MAX * 8ull)
			r = vc_errorf(w->err, VC_ERANGE, "erofs: metadata too large");
	}
	vc_erofs_gaps_free(&g);
	if (r < 0)
		return r;
	if (w->order[0]->off / EROFS_ISLOT > UINT16_MAX)
		return vc_errorf(w->err, VC_ERANGE,
				 "erofs: the root inode lands at nid %" PRIu64
				 ": too many shared xattrs before it",
				 w->order[0]->off / EROFS_ISLOT);
	w->meta_end = cur;
	return 0;
}
