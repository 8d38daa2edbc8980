/* SPDX-License-Identifier: MIT */
/* EROFS image writer. Spec: Linux 6.1 fs/erofs/erofs_fs.h, fs/erofs/inode.c,
 * dir.c, namei.c, xattr.c, zmap.c (what the reader expects); erofs-utils 1.5
 * for the superblock checksum and the choices mkfs.erofs makes.
 *
 * Plan, then bytes:
 *  1. inodes: one per node that is not a secondary hardlink, in tree
 *     pre-order; xattrs named by prefix index; pairs used twice or more go
 *     to the shared area; compact or extended; data layout and tail size;
 *  2. metadata layout: superblock, shared xattrs, then inodes from byte
 *     1152 of block 0 (nid = offset / 32), root first; an inode with inline
 *     data stays within one block (the reader wants the tail in the
 *     inode's block); gaps left by that are filled by later inodes that fit;
 *  3. data: after the metadata, every inode's blocks in pre-order. Files are
 *     cut into segments of 4 MiB (16 MiB compressed), compressed on the
 *     pool and placed strictly in order, so block addresses never depend
 *     on the thread count (see the comment of step 3);
 *  4. metadata bytes, written window by window over the zeros laid down
 *     first (tails of files were written in step 3), superblock last with
 *     its checksum. */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <lz4hc.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "erofs_disk.h"
#include "erofs_priv.h"
#include "vcompose/endian.h"
#include "vcompose/util.h"

#define SEGMENT_BYTES	(4u << 20)  /* a pool task's input, stored files */
#define SEGMENT_Z_BYTES (16u << 20) /* compressed files: each cut costs a cluster */
#define META_WINDOW	(1u << 20)  /* metadata written in windows of this */
#define META_START	(EROFS_SUPER_OFFSET + 128)
#define PROBE_BYTES	(128u << 10) /* how much of a file decides "compress it" */

/* ---- crc32c ---- */

uint32_t vc_erofs_crc32c(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1)));
	}
	return crc;
}

int vc_erofs_parse_compress(const char *s, enum vc_erofs_compress *ret_c, int *ret_level,
			    struct vc_error *err)
{
	if (strcmp(s, "none") == 0) {
		*ret_c = VC_EROFS_NONE;
		*ret_level = 0;
		return 0;
	}
	if (strcmp(s, "lz4") == 0) {
		*ret_c = VC_EROFS_LZ4;
		*ret_level = 0;
		return 0;
	}
	if (strncmp(s, "lz4hc", 5) == 0 && (s[5] == '\0' || s[5] == ':')) {
		int level = 0;

		if (s[5] == ':') {
			uint64_t v;

			if (vc_parse_u64(s + 6, false, &v, err) < 0 || v < 1 || v > 12)
				return vc_errorf(err, VC_EINVAL,
						 "compression '%s': the LZ4HC level must be 1..12",
						 s);
			level = (int)v;
		}
		*ret_c = VC_EROFS_LZ4HC;
		*ret_level = level;
		return 0;
	}
	return vc_errorf(err, VC_EINVAL,
			 "compression '%s': expected none, lz4, lz4hc or lz4hc:LEVEL", s);
}

/* ---- xattrs ---- */

struct xname {
	uint8_t index;
	const char *suffix;
	size_t suffix_len;
};

static int xattr_name(const char *name, struct xname *ret)
{
	static const struct {
		const char *prefix;
		uint8_t index;
		bool exact;
	} table[] = {
	    {"user.", EROFS_XATTR_INDEX_USER, false},
	    {"system.posix_acl_access", EROFS_XATTR_INDEX_POSIX_ACL_ACCESS, true},
	    {"system.posix_acl_default", EROFS_XATTR_INDEX_POSIX_ACL_DEFAULT, true},
	    {"trusted.", EROFS_XATTR_INDEX_TRUSTED, false},
	    {"security.", EROFS_XATTR_INDEX_SECURITY, false},
	};

	for (size_t i = 0; i < VC_ARRAY_SIZE(table); i++) {
		size_t pl = strlen(table[i].prefix);

		if (table[i].exact ? strcmp(name, table[i].prefix) != 0
				   : strncmp(name, table[i].prefix, pl) != 0)
			continue;
		ret->index = table[i].index;
		ret->suffix = name + pl;
		ret->suffix_len = strlen(name + pl);
		return 0;
	}
	return -1;
}

static size_t xattr_entry_size(const struct xname *xn, size_t value_len)
{
	return VC_ROUND_UP(sizeof(struct erofs_xattr_entry_disk) + xn->suffix_len + value_len, 4);
}

static size_t xattr_entry_put(uint8_t *out, const struct xname *xn, const struct vc_xattr *x)
{
	size_t sz = xattr_entry_size(xn, x->value_len);

	memset(out, 0, sz);
	out[0] = (uint8_t)xn->suffix_len;
	out[1] = xn->index;
	vc_put_le16(out + 2, (uint16_t)x->value_len);
	memcpy(out + 4, xn->suffix, xn->suffix_len);
	if (x->value_len)
		memcpy(out + 4 + xn->suffix_len, x->value, x->value_len);
	return sz;
}

/* A (name, value) pair, counted across inodes. */
struct xpair {
	const struct vc_xattr *x; /* first occurrence */
	uint64_t hash;
	uint32_t count;
	uint32_t id; /* shared: id (offset / 4 from xattr_blkaddr); else UINT32_MAX */
};

struct xtable {
	struct xpair *slots;
	size_t cap; /* power of two */
	size_t used;
};

static uint64_t xattr_hash(const struct vc_xattr *x)
{
	uint64_t h = 1469598103934665603ull;
	const uint8_t *p = (const uint8_t *)x->name;

	for (; *p; p++)
		h = (h ^ *p) * 1099511628211ull;
	h = (h ^ 0xff) * 1099511628211ull;
	for (size_t i = 0; i < x->value_len; i++)
		h = (h ^ x->value[i]) * 1099511628211ull;
	return h;
}

static bool xattr_equal(const struct vc_xattr *a, const struct vc_xattr *b)
{
	return a->value_len == b->value_len && strcmp(a->name, b->name) == 0 &&
	       (a->value_len == 0 || memcmp(a->value, b->value, a->value_len) == 0);
}

static struct xpair *xtable_find(struct xtable *t, const struct vc_xattr *x, uint64_t h)
{
	size_t i = (size_t)h & (t->cap - 1);

	while (t->slots[i].x) {
		if (t->slots[i].hash == h && xattr_equal(t->slots[i].x, x))
			return &t->slots[i];
		i = (i + 1) & (t->cap - 1);
	}
	return &t->slots[i];
}

static int xtable_add(struct xtable *t, const struct vc_xattr *x, struct vc_error *err)
{
	if ((t->used + 1) * 2 > t->cap) {
		struct xtable n = {.cap = t->cap ? t->cap * 2 : 1024};

		n.slots = calloc(n.cap, sizeof(*n.slots));
		if (!n.slots)
			return vc_errorf(err, VC_ENOMEM, "erofs: out of memory (xattrs)");
		for (size_t i = 0; i < t->cap; i++)
			if (t->slots[i].x)
				*xtable_find(&n, t->slots[i].x, t->slots[i].hash) = t->slots[i];
		n.used = t->used;
		free(t->slots);
		*t = n;
	}
	uint64_t h = xattr_hash(x);
	struct xpair *p = xtable_find(t, x, h);

	if (!p->x) {
		p->x = x;
		p->hash = h;
		p->id = UINT32_MAX;
		t->used++;
	}
	p->count++;
	return 0;
}

static const struct xpair *xtable_get(struct xtable *t, const struct vc_xattr *x)
{
	const struct xpair *p = xtable_find(t, x, xattr_hash(x));

	return p->x ? p : NULL;
}

/* ---- the plan ---- */

struct einode {
	const struct vc_node *n;
	uint64_t off;  /* byte offset of the inode in the image */
	uint64_t size; /* i_size */
	uint32_t ino;
	uint32_t xattr_isize;
	uint32_t n_shared;
	uint32_t header;   /* core + xattrs (+ map header and indexes) */
	uint32_t tail;	   /* inline data bytes after the header */
	uint32_t blkaddr;  /* first data block */
	uint32_t n_blocks; /* data blocks */
	uint8_t extended;
	uint8_t layout; /* EROFS_INODE_FLAT_* */
	uint8_t placed;
	struct z_extent *ext; /* compressed files */
	size_t n_ext, cap_ext;
};

struct dent {
	const char *name;
	size_t len;
	const struct vc_node *target; /* the inode's node (hardlinks resolved) */
};

struct writer {
	const struct vc_tree *t;
	const struct vc_erofs_options *o;
	const struct vc_sink *out;
	struct vc_error *err;
	int64_t build_time;
	struct einode *inodes; /* by node index; only inode owners are filled */
	size_t n_inodes;
	struct einode **order; /* inode owners in pre-order */
	struct xtable xt;
	const struct xpair **shared; /* shared pairs in id order */
	size_t n_shared;
	uint64_t shared_end; /* end of the shared xattr area */
	uint64_t meta_end;   /* end of metadata (bytes) */
	uint32_t next_blk;   /* next free data block */
	uint64_t n_compressed;
	uint8_t *incompressible; /* by node index: the probe found nothing to gain */
};

static char *node_path(const struct vc_node *n, char *buf, size_t cap)
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

static const struct vc_node *owner(const struct vc_node *n)
{
	return n->link_first ? n->link_first : n;
}

static struct einode *inode_of(struct writer *w, const struct vc_node *n)
{
	return &w->inodes[owner(n)->index];
}

static uint16_t node_ifmt(const struct vc_node *n)
{
	switch (n->type) {
	case VC_NODE_REG: return S_IFREG;
	case VC_NODE_DIR: return S_IFDIR;
	case VC_NODE_SYMLINK: return S_IFLNK;
	case VC_NODE_CHR: return S_IFCHR;
	case VC_NODE_BLK: return S_IFBLK;
	case VC_NODE_FIFO: return S_IFIFO;
	case VC_NODE_SOCK: return S_IFSOCK;
	}
	return 0;
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
static int dir_entries(const struct vc_node *d, struct dent **ret, size_t *ret_n,
		       struct vc_error *err)
{
	size_t n = d->n_children + 2;
	struct dent *e = calloc(n, sizeof(*e));

	if (!e)
		return vc_errorf(err, VC_ENOMEM, "erofs: out of memory (directory)");
	e[0] = (struct dent){".", 1, d};
	e[1] = (struct dent){"..", 2, owner(d->parent)};
	for (size_t i = 0; i < d->n_children; i++) {
		const struct vc_node *c = d->children[i];

		e[i + 2] = (struct dent){c->name, c->name_len, owner(c)};
	}
	qsort(e, n, sizeof(*e), dent_cmp);
	*ret = e;
	*ret_n = n;
	return 0;
}

/* Block split of a directory: entries [start[b], start[b + 1]) in block b.
 * Returns the directory's i_size; writes the block count to *ret_blocks. */
static uint64_t dir_size(const struct dent *e, size_t n, uint64_t *ret_blocks)
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
static void dir_render(struct writer *w, const struct dent *e, size_t n, uint8_t *out)
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
			const struct einode *ti = inode_of(w, e[k].target);

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

static bool node_is_compressed(const struct writer *w, const struct vc_node *n)
{
	/* A file of one block or less cannot shrink: 4 KiB clusters. */
	return w->o->compress != VC_EROFS_NONE && n->type == VC_NODE_REG &&
	       n->size > EROFS_BLKSIZ && !w->incompressible[n->index];
}

static int read_content(struct writer *w, const struct vc_node *n, uint64_t off, uint8_t *buf,
			size_t len, struct vc_error *err);

/* Whether the first PROBE_BYTES of a file compress at all; files where
 * nothing does are stored flat, with an inline tail, as mkfs.erofs does. */
struct probe {
	struct writer *w;
	const struct vc_node **files;
};

static int probe_one(void *ctx, size_t i, struct vc_error *err)
{
	struct probe *pr = ctx;
	struct writer *w = pr->w;
	const struct vc_node *n = pr->files[i];
	size_t len = n->size < PROBE_BYTES ? (size_t)n->size : PROBE_BYTES;
	uint8_t *in = malloc(len), *out = malloc(EROFS_BLKSIZ);
	int r = 0;

	if (!in || !out) {
		r = vc_errorf(err, VC_ENOMEM, "erofs: out of memory");
		goto out;
	}
	r = read_content(w, n, 0, in, len, err);
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

static int probe_files(struct writer *w)
{
	const struct vc_tree *t = w->t;
	struct probe pr = {.w = w};
	size_t n = 0;
	int r;

	w->incompressible = calloc(t->n_nodes, 1);
	if (!w->incompressible)
		return vc_errorf(w->err, VC_ENOMEM, "erofs: out of memory");
	if (w->o->compress == VC_EROFS_NONE)
		return 0;
	pr.files = calloc(t->n_nodes, sizeof(*pr.files));
	if (!pr.files)
		return vc_errorf(w->err, VC_ENOMEM, "erofs: out of memory");
	for (size_t i = 0; i < t->n_nodes; i++) {
		const struct vc_node *f = t->nodes[i];

		if (owner(f) == f && f->type == VC_NODE_REG && f->size > EROFS_BLKSIZ)
			pr.files[n++] = f;
	}
	r = vc_pool_for(w->o->pool, n, probe_one, &pr, w->err);
	free(pr.files);
	return r;
}

/* Step 1: every inode's sizes and layout. */
static int plan_inodes(struct writer *w)
{
	const struct vc_tree *t = w->t;
	struct vc_error *err = w->err;
	char path[VC_TREE_PATH_MAX + 2];
	int r = 0;

	w->inodes = calloc(t->n_nodes, sizeof(*w->inodes));
	w->order = calloc(t->n_nodes, sizeof(*w->order));
	if (!w->inodes || !w->order)
		return vc_errorf(err, VC_ENOMEM, "erofs: out of memory (%zu nodes)", t->n_nodes);

	/* xattr pairs: count, then name the shared ones */
	for (size_t i = 0; i < t->n_nodes; i++) {
		const struct vc_node *n = t->nodes[i];

		if (owner(n) != n)
			continue;
		for (size_t k = 0; k < n->n_xattrs; k++) {
			const struct vc_xattr *x = &n->xattrs[k];
			struct xname xn;

			if (xattr_name(x->name, &xn) < 0)
				return vc_errorf(err, VC_EUNSUPP,
						 "%s: xattr '%s': namespace not supported by EROFS "
						 "(user., trusted., security., system.posix_acl_*)",
						 node_path(n, path, sizeof(path)), x->name);
			if (xn.suffix_len > 255 || x->value_len > 65535)
				return vc_errorf(
				    err, VC_ERANGE,
				    "%s: xattr '%s': name of %zu or value of %zu bytes is "
				    "over EROFS's limit (255, 65535)",
				    node_path(n, path, sizeof(path)), x->name, xn.suffix_len,
				    x->value_len);
			r = xtable_add(&w->xt, x, err);
			if (r < 0)
				return r;
		}
	}
	for (size_t i = 0; i < w->xt.cap; i++)
		if (w->xt.slots[i].x && w->xt.slots[i].count >= 2)
			w->n_shared++;
	if (w->n_shared) {
		w->shared = calloc(w->n_shared, sizeof(*w->shared));
		if (!w->shared)
			return vc_errorf(err, VC_ENOMEM, "erofs: out of memory (xattrs)");
		size_t k = 0;

		for (size_t i = 0; i < w->xt.cap; i++)
			if (w->xt.slots[i].x && w->xt.slots[i].count >= 2)
				w->shared[k++] = &w->xt.slots[i];
	}
	/* shared pairs in name, then value order (never hash order) */
	for (size_t i = 1; i < w->n_shared; i++) {
		const struct xpair *p = w->shared[i];
		size_t j = i;

		while (j > 0) {
			const struct vc_xattr *a = w->shared[j - 1]->x, *b = p->x;
			int c = strcmp(a->name, b->name);

			if (c == 0) {
				size_t l =
				    a->value_len < b->value_len ? a->value_len : b->value_len;

				c = l ? memcmp(a->value, b->value, l) : 0;
				if (c == 0)
					c = a->value_len > b->value_len ? 1 : -1;
			}
			if (c < 0)
				break;
			w->shared[j] = w->shared[j - 1];
			j--;
		}
		w->shared[j] = p;
	}
	uint64_t pos = META_START;

	for (size_t i = 0; i < w->n_shared; i++) {
		struct xpair *p = (struct xpair *)w->shared[i];
		struct xname xn;

		xattr_name(p->x->name, &xn);
		p->id = (uint32_t)(pos / 4);
		pos += xattr_entry_size(&xn, p->x->value_len);
	}
	w->shared_end = pos;

	/* inodes */
	for (size_t i = 0; i < t->n_nodes; i++) {
		const struct vc_node *n = t->nodes[i];
		struct einode *e = &w->inodes[n->index];

		if (owner(n) != n)
			continue;
		w->order[w->n_inodes++] = e;
		e->n = n;

		/* xattr body */
		size_t shared = 0, inl = 0;

		for (size_t k = 0; k < n->n_xattrs; k++) {
			const struct xpair *p = xtable_get(&w->xt, &n->xattrs[k]);
			struct xname xn;

			if (p && p->id != UINT32_MAX && shared < EROFS_MAX_SHARED_XATTRS) {
				shared++;
				continue;
			}
			xattr_name(n->xattrs[k].name, &xn);
			inl += xattr_entry_size(&xn, n->xattrs[k].value_len);
		}
		if (n->n_xattrs) {
			size_t body =
			    sizeof(struct erofs_xattr_ibody_header_disk) + shared * 4 + inl;

			if (body > 12 + 4 * 65534ull)
				return vc_errorf(
				    err, VC_ERANGE,
				    "%s: %zu bytes of xattrs: over EROFS's limit of an inode",
				    node_path(n, path, sizeof(path)), body);
			e->xattr_isize = (uint32_t)body;
			e->n_shared = (uint32_t)shared;
		}

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
						 node_path(n, path, sizeof(path)), e->size,
						 VC_TREE_SYMLINK_MAX);
			break;
		case VC_NODE_DIR:
			r = dir_entries(n, &de, &n_de, err);
			if (r < 0)
				return r;
			e->size = dir_size(de, n_de, &blocks);
			free(de);
			break;
		default: e->size = 0; break;
		}

		/* compact where every field fits and the mtime is the build time */
		e->extended = n->uid > UINT16_MAX || n->gid > UINT16_MAX || n->nlink > UINT16_MAX ||
			      e->size > UINT32_MAX || n->mtime != w->build_time ||
			      n->mtime_nsec != 0;
		uint32_t core = e->extended ? 64 : 32;

		if (node_is_compressed(w, n)) {
			uint32_t hdr = (uint32_t)VC_ROUND_UP(core + e->xattr_isize, 8) + 8;
			size_t idx = vc_erofs_zindex_size(e->size, hdr % 32);

			e->layout = EROFS_INODE_FLAT_COMPRESSION;
			e->header = hdr + (uint32_t)idx;
			e->tail = 0;
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
				return vc_errorf(err, VC_ERANGE, "%s: %" PRIu64 " bytes: too large",
						 node_path(n, path, sizeof(path)), e->size);
		}
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

			if (d->type != VC_NODE_DIR || owner(d) != d)
				continue;
			for (size_t k = 0; k < d->n_children; k++) {
				struct einode *c = inode_of(w, d->children[k]);

				if (!c->placed) {
					c->placed = 1;
					c->ino = next++;
				}
			}
		}
		for (size_t i = 0; i < w->n_inodes; i++)
			w->order[i]->placed = 0;
	}
	return 0;
}

/* Step 2: metadata layout. An inode with inline data must not cross a
 * block, so blocks end with gaps; like mkfs.erofs, later inodes go to the
 * fullest block whose gap holds them (best fit), or after the last one.
 * Gaps are queued by free 32-byte slots, oldest first. */
#define SLOTS_PER_BLOCK (EROFS_BLKSIZ / EROFS_ISLOT)

struct gaps {
	uint64_t *q[SLOTS_PER_BLOCK]; /* by free slots: start offsets */
	size_t head[SLOTS_PER_BLOCK], n[SLOTS_PER_BLOCK], cap[SLOTS_PER_BLOCK];
};

static int gap_push(struct gaps *g, uint64_t start, struct vc_error *err)
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

/* The free slots of the fullest gap of at least k slots; 0 if none. */
static size_t gap_best(const struct gaps *g, size_t k)
{
	for (size_t f = k; f < SLOTS_PER_BLOCK; f++)
		if (g->head[f] < g->n[f])
			return f;
	return 0;
}

static int plan_meta(struct writer *w)
{
	struct gaps g = {0};
	uint64_t cur = VC_ROUND_UP(w->shared_end, EROFS_ISLOT);
	int r = 0;

	for (size_t i = 0; i < w->n_inodes && r == 0; i++) {
		struct einode *e = w->order[i];
		uint64_t sz = VC_ROUND_UP((uint64_t)e->header + e->tail, EROFS_ISLOT);
		uint64_t cur_free = EROFS_BLKSIZ - cur % EROFS_BLKSIZ;
		size_t f =
		    sz < EROFS_BLKSIZ && i > 0 ? gap_best(&g, (size_t)(sz / EROFS_ISLOT)) : 0;

		if (f && !(sz <= cur_free && cur_free < f * EROFS_ISLOT)) {
			/* into a gap: what is left of it is a smaller gap */
			e->off = g.q[f][g.head[f]++];
			r = gap_push(&g, e->off + sz, w->err);
		} else {
			/* after the last inode; one that does not fit the rest of the block
			 * (or is a block or more) starts the next block, leaving a gap */
			if (cur % EROFS_BLKSIZ && (sz > cur_free || sz >= EROFS_BLKSIZ)) {
				r = gap_push(&g, cur, w->err);
				cur = VC_ROUND_UP(cur, EROFS_BLKSIZ);
			}
			e->off = cur;
			cur += sz;
		}
		if (e->off / EROFS_ISLOT > UINT32_MAX * 8ull)
			r = vc_errorf(w->err, VC_ERANGE, "erofs: metadata too large");
	}
	for (size_t k = 0; k < SLOTS_PER_BLOCK; k++)
		free(g.q[k]);
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

/* ---- step 3: data, streamed through the pool ----
 *
 * Every directory and every segment of a file is a task, listed in the
 * order its blocks take. Pool threads claim tasks in that order and
 * compute them (render a directory, compress a segment) without a lock;
 * a task is then placed, strictly in order and under the lock, by
 * whichever thread finds it next in line: placing gives it its block
 * address, so addresses never depend on the thread count. One thread at
 * a time writes what has been placed (the writer; two writers would only
 * take turns on the image's inode lock) while the others go on computing.
 * Stored files are not read at all when the caller can hand out their
 * descriptors: the kernel copies them into place (vc_sink_copy_fd).
 *
 * Memory: each running task computes in a lane (input and output buffers
 * that only grow, one lane per pool thread), so pages are touched once,
 * not once per file: fresh pages are what costs most in a virtual machine.
 * A task that is next in line when done, with no writer at work, becomes
 * the writer and writes from its lane; any other copies its result out
 * (detaches) and gives the lane back. A task
 * waits before starting while detached results exceed the budget, unless
 * it is next in line, so the bytes in flight stay bounded. */

enum task_kind { TASK_FLAT, TASK_Z, TASK_DIR };

struct lane {
	uint8_t *in, *out; /* cap bytes each */
	size_t cap;
	struct z_extent *ext; /* vc_erofs_max_extents(SEGMENT_Z_BYTES) */
	void *hc;	      /* LZ4HC state */
};

struct task {
	struct einode *e;
	enum task_kind kind;
	bool last;	   /* the file's last segment: carries the tail */
	bool done;	   /* computed, ready to be placed */
	uint64_t off, len; /* file bytes [off, off + len) */
	/* results: blocks and tail point into a lane, or into own once detached */
	uint8_t *blocks;   /* n_blocks * 4096; NULL for a stored file the kernel copies */
	uint8_t *tail;	   /* e->tail bytes, for the inline tail */
	uint8_t *own;	   /* malloc'ed result (directories, detached results) */
	uint64_t held;	   /* bytes of own counted in the budget */
	uint32_t n_blocks; /* for TASK_FLAT known from the plan */
	uint32_t blk;	   /* first block, once placed */
	struct z_extent *ext;
	size_t n_ext;
};

struct stream {
	struct writer *w;
	struct task *tasks;
	size_t n, cap;
	pthread_mutex_t lock;
	pthread_cond_t moved; /* a task was placed or memory given back */
	size_t placed;	      /* tasks[0..placed) have their blocks */
	size_t written;	      /* tasks[0..written) are written (or being) */
	bool writing;	      /* a thread is writing placed tasks */
	struct lane *lanes;
	struct lane **free_lanes;
	size_t n_lanes, n_free;
	uint64_t held, budget; /* bytes of detached results */
	size_t fail_index;     /* lowest failing task; n if none */
	struct vc_error fail;
	bool use_fd;
};

static int read_content(struct writer *w, const struct vc_node *n, uint64_t off, uint8_t *buf,
			size_t len, struct vc_error *err)
{
	char path[VC_TREE_PATH_MAX + 2];
	int r;

	if (n->type == VC_NODE_SYMLINK) {
		memcpy(buf, n->target + off, len);
		return 0;
	}
	if (!w->o->read)
		return vc_errorf(err, VC_EINVAL, "erofs: no content reader given");
	r = w->o->read(w->o->read_ctx, n, off, buf, len, err);
	if (r < 0 && !strstr(err->msg, node_path(n, path, sizeof(path))))
		vc_error_prefix(err, "%s", path);
	return r;
}

/* A lane buffer: in huge pages where the kernel offers them, since one
 * fault then maps 2 MiB (faults are what costs most in a virtual machine). */
static uint8_t *lane_alloc(size_t len)
{
	const size_t huge = 2u << 20;
	uint8_t *p = aligned_alloc(huge, VC_ROUND_UP(len, huge));

#ifdef MADV_HUGEPAGE
	if (p)
		madvise(p, VC_ROUND_UP(len, huge), MADV_HUGEPAGE);
#endif
	return p;
}

/* Grows the lane's buffers to hold len bytes rounded up to blocks. */
static int lane_reserve(struct writer *w, struct lane *l, uint64_t len, struct vc_error *err)
{
	size_t cap = (size_t)VC_ROUND_UP(len, EROFS_BLKSIZ);

	if (!l->ext) {
		l->ext = calloc(vc_erofs_max_extents(SEGMENT_Z_BYTES), sizeof(*l->ext));
		if (w->o->compress == VC_EROFS_LZ4HC)
			l->hc = malloc((size_t)LZ4_sizeofStateHC());
		if (!l->ext || (w->o->compress == VC_EROFS_LZ4HC && !l->hc))
			return vc_errorf(err, VC_ENOMEM, "erofs: out of memory (compression)");
	}
	if (cap <= l->cap)
		return 0;
	/* grow by doubling from 1 MiB: few reallocations, pages kept */
	size_t c = l->cap ? l->cap : 1u << 20;

	while (c < cap)
		c *= 2;
	free(l->in);
	free(l->out);
	l->in = lane_alloc(c);
	l->out = lane_alloc(c);
	l->cap = l->in && l->out ? c : 0;
	if (!l->cap)
		return vc_errorf(err, VC_ENOMEM, "erofs: out of memory (%zu bytes)", c);
	return 0;
}

static int compute_dir(struct writer *w, struct task *tk, struct vc_error *err)
{
	struct einode *e = tk->e;
	struct dent *de;
	size_t n_de;
	uint64_t blocks;
	int r = dir_entries(e->n, &de, &n_de, err);

	if (r < 0)
		return r;
	dir_size(de, n_de, &blocks);
	tk->own = malloc(blocks * EROFS_BLKSIZ);
	if (!tk->own) {
		free(de);
		return vc_errorf(err, VC_ENOMEM, "erofs: out of memory (directory)");
	}
	dir_render(w, de, n_de, tk->own);
	free(de);
	tk->blocks = tk->own;
	tk->n_blocks = e->n_blocks;
	if (e->tail)
		tk->tail = tk->own + (uint64_t)e->n_blocks * EROFS_BLKSIZ;
	return 0;
}

static int compute(struct stream *s, struct task *tk, struct lane *l, struct vc_error *err)
{
	struct writer *w = s->w;
	struct einode *e = tk->e;
	int r;

	if (tk->kind == TASK_DIR)
		return compute_dir(w, tk, err);

	if (tk->kind == TASK_FLAT) {
		/* the part of [off, off + len) in blocks, the rest is the inline
		 * tail (a stored file's block count is planned; only a compressed
		 * file's grows, as its segments are placed) */
		uint64_t block_bytes = (uint64_t)e->n_blocks * EROFS_BLKSIZ;
		uint64_t in_blocks =
		    tk->off >= block_bytes
			? 0
			: (tk->off + tk->len > block_bytes ? block_bytes - tk->off : tk->len);

		tk->n_blocks = (uint32_t)VC_DIV_ROUND_UP(in_blocks, EROFS_BLKSIZ);
		if (s->use_fd && e->n->type == VC_NODE_REG)
			return 0; /* the writer copies the blocks and reads the tail */
		size_t cap = (size_t)VC_ROUND_UP(tk->len, EROFS_BLKSIZ);

		r = lane_reserve(w, l, tk->len, err);
		if (r == 0)
			r = read_content(w, e->n, tk->off, l->in, (size_t)tk->len, err);
		if (r < 0)
			return r;
		memset(l->in + tk->len, 0, cap - tk->len);
		tk->blocks = l->in;
		if (tk->last && e->tail)
			tk->tail = l->in + in_blocks;
		return 0;
	}
	/* TASK_Z */
	r = lane_reserve(w, l, tk->len, err);
	if (r == 0)
		r = read_content(w, e->n, tk->off, l->in, (size_t)tk->len, err);
	if (r < 0)
		return r;
	tk->n_ext = vc_erofs_compress_segment(l->in, (size_t)tk->len, tk->off, l->hc,
					      w->o->level ? w->o->level : LZ4HC_CLEVEL_DEFAULT,
					      l->out, l->ext);
	tk->ext = l->ext;
	tk->blocks = l->out;
	tk->n_blocks = (uint32_t)tk->n_ext;
	return 0;
}

static bool in_lane(const struct lane *l, const void *p)
{
	const uint8_t *q = p;

	return q && ((q >= l->in && q < l->in + l->cap) || (q >= l->out && q < l->out + l->cap));
}

/* Moves the parts of a result that live in lane l into memory of its own. */
static int detach(struct task *tk, const struct lane *l, struct vc_error *err)
{
	uint64_t blocks = in_lane(l, tk->blocks) ? (uint64_t)tk->n_blocks * EROFS_BLKSIZ : 0;
	uint64_t tail = in_lane(l, tk->tail) ? tk->e->tail : 0;
	uint64_t ext = tk->ext && tk->ext == l->ext ? tk->n_ext * sizeof(*tk->ext) : 0;

	if (!blocks && !tail && !ext)
		return 0;
	assert(!tk->own); /* only directories and stored files own memory, never in a lane */
	uint8_t *p = malloc(blocks + tail + ext);

	if (!p)
		return vc_errorf(err, VC_ENOMEM, "erofs: out of memory");
	if (blocks)
		memcpy(p, tk->blocks, blocks);
	if (tail)
		memcpy(p + blocks, tk->tail, tail);
	if (ext)
		memcpy(p + blocks + tail, tk->ext, ext);
	tk->own = p;
	tk->held = blocks + tail + ext;
	if (blocks)
		tk->blocks = p;
	if (tail)
		tk->tail = p + blocks;
	if (ext)
		tk->ext = (struct z_extent *)(void *)(p + blocks + tail);
	return 0;
}

/* Under the lock: the block address of the next task in line. */
static int place(struct stream *s, struct task *tk, struct vc_error *err)
{
	struct writer *w = s->w;
	struct einode *e = tk->e;

	if (tk->off == 0)
		e->blkaddr = tk->n_blocks || tk->kind == TASK_Z ? w->next_blk : 0;
	if ((uint64_t)w->next_blk + tk->n_blocks > UINT32_MAX)
		return vc_errorf(err, VC_ERANGE, "erofs: image over 16 TiB");
	tk->blk = w->next_blk;
	w->next_blk += tk->n_blocks;
	if (tk->kind != TASK_Z)
		return 0;
	if (e->n_ext + tk->n_ext > e->cap_ext) {
		size_t cap = (e->n_ext + tk->n_ext) * 2;
		struct z_extent *x = realloc(e->ext, cap * sizeof(*x));

		if (!x)
			return vc_errorf(err, VC_ENOMEM, "erofs: out of memory");
		e->ext = x;
		e->cap_ext = cap;
	}
	memcpy(e->ext + e->n_ext, tk->ext, tk->n_ext * sizeof(*tk->ext));
	e->n_ext += tk->n_ext;
	e->n_blocks += tk->n_blocks;
	return 0;
}

/* Outside the lock: the placed task's bytes into the image. */
static int write_task(struct stream *s, struct task *tk, struct vc_error *err)
{
	static const uint8_t zeros[EROFS_BLKSIZ];
	struct writer *w = s->w;
	struct einode *e = tk->e;
	uint64_t at = (uint64_t)tk->blk * EROFS_BLKSIZ;
	int r = 0;

	if (tk->n_blocks && tk->blocks) {
		r = vc_sink_pwrite(w->out, tk->blocks, (size_t)tk->n_blocks * EROFS_BLKSIZ, at,
				   err);
	} else if (tk->n_blocks) { /* a stored file, copied by the kernel */
		uint64_t bytes = (uint64_t)tk->n_blocks * EROFS_BLKSIZ;
		uint64_t data = tk->off + bytes > e->size ? e->size - tk->off : bytes;
		char path[VC_TREE_PATH_MAX + 2];
		uint64_t src_off;
		int fd = w->o->open(w->o->read_ctx, e->n, &src_off, err);

		node_path(e->n, path, sizeof(path));
		if (fd < 0) {
			if (!strstr(err->msg, path))
				vc_error_prefix(err, "%s", path);
			return fd;
		}
		r = vc_sink_copy_fd(w->out, fd, src_off + tk->off, data, at, path, err);
		w->o->close(w->o->read_ctx, fd);
		if (r == 0 && data < bytes)
			r = vc_sink_pwrite(w->out, zeros, (size_t)(bytes - data), at + data, err);
	}
	if (r == 0 && tk->tail)
		r = vc_sink_pwrite(w->out, tk->tail, e->tail, e->off + e->header, err);
	else if (r == 0 && tk->kind == TASK_FLAT && tk->last && e->tail) {
		/* a stored file's inline tail, read here: no buffer to keep */
		uint8_t tail[EROFS_BLKSIZ];

		r = read_content(w, e->n, e->size - e->tail, tail, e->tail, err);
		if (r == 0)
			r = vc_sink_pwrite(w->out, tail, e->tail, e->off + e->header, err);
	}
	return r;
}

/* Under the lock: keeps the error of the lowest failing task. */
static void record_fail(struct stream *s, size_t i, const struct vc_error *e)
{
	if (i < s->fail_index) {
		s->fail_index = i;
		s->fail = *e;
	}
	pthread_cond_broadcast(&s->moved);
}

/* Under the lock: a task's memory back, once written or failed. */
static void task_release(struct stream *s, struct task *tk)
{
	s->held -= tk->held;
	free(tk->own);
	tk->own = tk->blocks = tk->tail = NULL;
	tk->ext = NULL;
	tk->held = 0;
}

/* Under the lock, by the writer: writes placed tasks until none is left,
 * dropping the lock for each write. A task still in lane l (the caller's
 * own, next in line when computed) gives the lane back once written. */
static void drain(struct stream *s, struct lane *l)
{
	while (s->written < s->placed) {
		size_t j = s->written++;
		struct task *tk = &s->tasks[j];
		struct vc_error e = {0};
		bool go = s->fail_index > j; /* nothing after a failure */
		int r = 0;

		pthread_mutex_unlock(&s->lock);
		if (go)
			r = write_task(s, tk, &e);
		pthread_mutex_lock(&s->lock);
		if (r < 0)
			record_fail(s, j, &e);
		if (l && in_lane(l, tk->blocks ? tk->blocks : tk->tail)) {
			s->free_lanes[s->n_free++] = l;
			l = NULL;
		}
		task_release(s, tk);
		pthread_cond_broadcast(&s->moved);
	}
	if (l)
		s->free_lanes[s->n_free++] = l;
}

static int run_task(void *ctx, size_t i, struct vc_error *err)
{
	struct stream *s = ctx;
	struct task *tk = &s->tasks[i];
	struct lane *l;
	bool stop;
	int r;

	pthread_mutex_lock(&s->lock);
	while (s->fail_index > i && s->placed != i && s->held > s->budget)
		pthread_cond_wait(&s->moved, &s->lock);
	stop = s->fail_index < i;
	l = stop ? NULL : s->free_lanes[--s->n_free];
	pthread_mutex_unlock(&s->lock);
	if (stop) /* an earlier task failed: its error is the one reported */
		return vc_errorf(err, VC_EIO, "erofs: stopped");

	r = compute(s, tk, l, err);
	pthread_mutex_lock(&s->lock);
	if (r == 0 && (s->placed != i || s->writing)) {
		/* someone else will write it: keep the result, free the lane */
		pthread_mutex_unlock(&s->lock);
		r = detach(tk, l, err);
		pthread_mutex_lock(&s->lock);
		s->held += tk->held;
		s->free_lanes[s->n_free++] = l;
		l = NULL;
	}
	if (r < 0) {
		record_fail(s, i, err);
		task_release(s, tk);
		if (l)
			s->free_lanes[s->n_free++] = l;
		pthread_mutex_unlock(&s->lock);
		return r;
	}
	tk->done = true;
	while (s->placed < s->n && s->tasks[s->placed].done && s->fail_index > s->placed) {
		struct vc_error e = {0};

		if (place(s, &s->tasks[s->placed], &e) < 0) {
			record_fail(s, s->placed, &e);
			break;
		}
		s->placed++;
	}
	pthread_cond_broadcast(&s->moved);
	/* one writer at a time: two would only take turns on the image's lock */
	if (!s->writing) {
		s->writing = true;
		drain(s, l);
		s->writing = false;
	} else if (l) {
		s->free_lanes[s->n_free++] = l; /* placing failed before task i */
	}
	pthread_mutex_unlock(&s->lock);
	return 0;
}

static int add_task(struct stream *s, struct task tk)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		struct task *t = realloc(s->tasks, cap * sizeof(*t));

		if (!t)
			return vc_errorf(s->w->err, VC_ENOMEM, "erofs: out of memory");
		s->tasks = t;
		s->cap = cap;
	}
	s->tasks[s->n++] = tk;
	return 0;
}

static int list_tasks(struct stream *s)
{
	struct writer *w = s->w;
	int r = 0;

	for (size_t i = 0; i < w->n_inodes && r == 0; i++) {
		struct einode *e = w->order[i];
		const struct vc_node *n = e->n;

		if (e->size == 0 || n->type == VC_NODE_CHR || n->type == VC_NODE_BLK ||
		    n->type == VC_NODE_FIFO || n->type == VC_NODE_SOCK)
			continue;
		if (n->type == VC_NODE_DIR) {
			r = add_task(s, (struct task){.e = e, .kind = TASK_DIR, .last = true});
			continue;
		}
		enum task_kind kind =
		    e->layout == EROFS_INODE_FLAT_COMPRESSION ? TASK_Z : TASK_FLAT;
		uint64_t seg = kind == TASK_Z ? SEGMENT_Z_BYTES : SEGMENT_BYTES;

		if (kind == TASK_Z)
			w->n_compressed++;
		for (uint64_t off = 0; off < e->size && r == 0; off += seg) {
			uint64_t len = e->size - off < seg ? e->size - off : seg;

			r = add_task(s, (struct task){.e = e,
						      .kind = kind,
						      .off = off,
						      .len = len,
						      .last = off + len == e->size});
		}
	}
	return r;
}

static int write_data(struct writer *w)
{
	struct stream s = {.w = w};
	unsigned width = w->o->pool ? vc_pool_threads(w->o->pool) : 1;
	int r;

	w->next_blk = (uint32_t)VC_DIV_ROUND_UP(w->meta_end, EROFS_BLKSIZ);
	s.use_fd = w->o->open && w->o->close;
	s.budget = (uint64_t)SEGMENT_Z_BYTES * 2 * (width ? width : 1);
	s.n_lanes = width ? width : 1;
	s.lanes = calloc(s.n_lanes, sizeof(*s.lanes));
	s.free_lanes = calloc(s.n_lanes, sizeof(*s.free_lanes));
	if (!s.lanes || !s.free_lanes) {
		free(s.lanes);
		free(s.free_lanes);
		return vc_errorf(w->err, VC_ENOMEM, "erofs: out of memory");
	}
	for (size_t i = 0; i < s.n_lanes; i++)
		s.free_lanes[s.n_free++] = &s.lanes[i];
	r = list_tasks(&s);
	if (r == 0) {
		s.fail_index = s.n;
		pthread_mutex_init(&s.lock, NULL);
		pthread_cond_init(&s.moved, NULL);
		r = vc_pool_for(w->o->pool, s.n, run_task, &s, w->err);
		if (s.fail_index < s.n) {
			*w->err = s.fail;
			r = s.fail.code ? s.fail.code : VC_EIO;
		}
		pthread_cond_destroy(&s.moved);
		pthread_mutex_destroy(&s.lock);
	}
	for (size_t i = 0; i < s.n; i++)
		task_release(&s, &s.tasks[i]);
	for (size_t i = 0; i < s.n_lanes; i++) {
		free(s.lanes[i].in);
		free(s.lanes[i].out);
		free(s.lanes[i].ext);
		free(s.lanes[i].hc);
	}
	free(s.lanes);
	free(s.free_lanes);
	free(s.tasks);
	return r;
}

/* ---- step 4: metadata bytes ---- */

static void put_inode(struct writer *w, const struct einode *e, uint8_t *out)
{
	const struct vc_node *n = e->n;
	uint16_t mode = (uint16_t)(node_ifmt(n) | (n->mode & 07777));
	uint32_t iu = 0;
	uint16_t icount = e->xattr_isize ? (uint16_t)((e->xattr_isize - 12) / 4 + 1) : 0;
	uint16_t format = (uint16_t)(e->extended | e->layout << 1);

	switch (n->type) {
	case VC_NODE_CHR:
	case VC_NODE_BLK:
		iu = (n->rdev_minor & 0xff) | (n->rdev_major & 0xfff) << 8 |
		     (n->rdev_minor & ~0xffu) << 12;
		break;
	case VC_NODE_FIFO:
	case VC_NODE_SOCK: iu = 0; break;
	default:
		if (e->layout == EROFS_INODE_FLAT_COMPRESSION)
			iu = e->n_blocks; /* compressed_blocks */
		else if (e->layout == EROFS_INODE_FLAT_INLINE && e->n_blocks == 0)
			iu = EROFS_NULL_ADDR;
		else
			iu = e->blkaddr;
		break;
	}
	if (e->extended) {
		struct erofs_inode_extended_disk *d = (void *)out;

		vc_put_le16(d->i_format, format);
		vc_put_le16(d->i_xattr_icount, icount);
		vc_put_le16(d->i_mode, mode);
		vc_put_le64(d->i_size, e->size);
		vc_put_le32(d->i_u, iu);
		vc_put_le32(d->i_ino, e->ino);
		vc_put_le32(d->i_uid, n->uid);
		vc_put_le32(d->i_gid, n->gid);
		vc_put_le64(d->i_mtime, (uint64_t)n->mtime);
		vc_put_le32(d->i_mtime_nsec, n->mtime_nsec);
		vc_put_le32(d->i_nlink, n->nlink);
		out += 64;
	} else {
		struct erofs_inode_compact_disk *d = (void *)out;

		vc_put_le16(d->i_format, format);
		vc_put_le16(d->i_xattr_icount, icount);
		vc_put_le16(d->i_mode, mode);
		vc_put_le16(d->i_nlink, (uint16_t)n->nlink);
		vc_put_le32(d->i_size, (uint32_t)e->size);
		vc_put_le32(d->i_u, iu);
		vc_put_le32(d->i_ino, e->ino);
		vc_put_le16(d->i_uid, (uint16_t)n->uid);
		vc_put_le16(d->i_gid, (uint16_t)n->gid);
		out += 32;
	}
	if (e->xattr_isize) {
		uint8_t *x = out;

		x[4] = (uint8_t)e->n_shared; /* h_shared_count */
		x += 12;
		size_t shared = 0;

		/* shared ids first, then the inline entries, both in name order */
		for (size_t k = 0; k < n->n_xattrs; k++) {
			const struct xpair *p = xtable_get(&w->xt, &n->xattrs[k]);

			if (p && p->id != UINT32_MAX && shared < e->n_shared) {
				vc_put_le32(x, p->id);
				x += 4;
				shared++;
			}
		}
		shared = 0;
		for (size_t k = 0; k < n->n_xattrs; k++) {
			const struct xpair *p = xtable_get(&w->xt, &n->xattrs[k]);
			struct xname xn;

			if (p && p->id != UINT32_MAX && shared < e->n_shared) {
				shared++;
				continue;
			}
			xattr_name(n->xattrs[k].name, &xn);
			x += xattr_entry_put(x, &xn, &n->xattrs[k]);
		}
		out += e->xattr_isize;
	}
	if (e->layout == EROFS_INODE_FLAT_COMPRESSION) {
		uint32_t core = e->extended ? 64 : 32;
		uint32_t hdr = (uint32_t)VC_ROUND_UP(core + e->xattr_isize, 8);
		struct z_erofs_map_header_disk *h;

		out += hdr - (core + e->xattr_isize);
		h = (void *)out;
		vc_put_le16(h->h_advise, Z_EROFS_ADVISE_COMPACTED_2B);
		h->h_algorithmtype = 0; /* LZ4 */
		h->h_clusterbits = 0;	/* 4 KiB lclusters */
		out += 8;
		vc_erofs_zindex_encode(e->size, (hdr + 8) % 32, e->ext, e->n_ext, e->blkaddr, out);
	}
}

static int cmp_off(const void *a, const void *b)
{
	const struct einode *x = *(struct einode *const *)a, *y = *(struct einode *const *)b;

	return x->off < y->off ? -1 : x->off > y->off;
}

static void put_super(struct writer *w, uint8_t *block0, uint32_t blocks)
{
	struct erofs_super_block_disk *sb = (void *)(block0 + EROFS_SUPER_OFFSET);
	const struct vc_erofs_options *o = w->o;

	memset(sb, 0, sizeof(*sb));
	vc_put_le32(sb->magic, EROFS_MAGIC);
	vc_put_le32(sb->feature_compat,
		    EROFS_FEATURE_COMPAT_SB_CHKSUM | EROFS_FEATURE_COMPAT_MTIME);
	sb->blkszbits = EROFS_BLKBITS;
	vc_put_le16(sb->root_nid, (uint16_t)(w->order[0]->off / EROFS_ISLOT));
	vc_put_le64(sb->inos, w->n_inodes);
	vc_put_le64(sb->build_time, (uint64_t)w->build_time);
	vc_put_le32(sb->blocks, blocks);
	vc_put_le32(sb->meta_blkaddr, 0);
	vc_put_le32(sb->xattr_blkaddr, 0);
	memcpy(sb->uuid, o->uuid, 16);
	if (o->label)
		memcpy(sb->volume_name, o->label, strlen(o->label));
	if (w->n_compressed) {
		vc_put_le32(sb->feature_incompat, EROFS_FEATURE_INCOMPAT_LZ4_0PADDING);
		/* lz4_max_distance: LZ4's own window, as mkfs.erofs states it */
		vc_put_le16(sb->u1, 65535);
	}
	vc_put_le32(sb->checksum, vc_erofs_crc32c(~0u, block0 + EROFS_SUPER_OFFSET,
						  EROFS_BLKSIZ - EROFS_SUPER_OFFSET));
}

static int write_meta(struct writer *w, uint32_t blocks)
{
	uint64_t meta_bytes = VC_ROUND_UP(w->meta_end, EROFS_BLKSIZ);
	struct einode **byoff = malloc(w->n_inodes * sizeof(*byoff));
	uint8_t *win = malloc(META_WINDOW);
	uint8_t *item = malloc(EROFS_BLKSIZ * 64ull + 64);
	size_t next = 0, k_shared = 0;
	int r = 0;

	if (!byoff || !win || !item) {
		r = vc_errorf(w->err, VC_ENOMEM, "erofs: out of memory (metadata)");
		goto out;
	}
	memcpy(byoff, w->order, w->n_inodes * sizeof(*byoff));
	qsort(byoff, w->n_inodes, sizeof(*byoff), cmp_off);

	for (uint64_t wo = 0; wo < meta_bytes && r == 0; wo += META_WINDOW) {
		uint64_t wl = meta_bytes - wo < META_WINDOW ? meta_bytes - wo : META_WINDOW;

		r = vc_sink_pread(w->out, win, (size_t)wl, wo, w->err);
		if (r < 0)
			break;
		/* shared xattrs */
		for (; k_shared < w->n_shared; k_shared++) {
			const struct xpair *p = w->shared[k_shared];
			uint64_t at = (uint64_t)p->id * 4;
			struct xname xn;
			uint8_t ent[4 + 255 + 65536 + 4];
			size_t sz;

			if (at >= wo + wl)
				break;
			xattr_name(p->x->name, &xn);
			sz = xattr_entry_put(ent, &xn, p->x);
			for (size_t b = 0; b < sz; b++)
				if (at + b >= wo && at + b < wo + wl)
					win[at + b - wo] = ent[b];
			if (at + sz > wo + wl)
				break; /* continues in the next window */
		}
		/* inodes overlapping the window */
		while (next < w->n_inodes && byoff[next]->off < wo + wl) {
			struct einode *e = byoff[next];
			size_t hl = e->header;
			uint8_t *buf = item;

			if (hl > EROFS_BLKSIZ * 64ull) {
				buf = malloc(hl);
				if (!buf) {
					r = vc_errorf(w->err, VC_ENOMEM, "erofs: out of memory");
					break;
				}
			}
			memset(buf, 0, hl);
			put_inode(w, e, buf);
			for (size_t b = 0; b < hl; b++)
				if (e->off + b >= wo && e->off + b < wo + wl)
					win[e->off + b - wo] = buf[b];
			if (buf != item)
				free(buf);
			if (e->off + hl > wo + wl)
				break; /* straddles: finish in the next window too */
			next++;
		}
		if (wo == 0)
			put_super(w, win, blocks);
		if (r == 0)
			r = vc_sink_pwrite(w->out, win, (size_t)wl, wo, w->err);
	}
out:
	free(byoff);
	free(win);
	free(item);
	return r;
}

/* Lays zeros over the metadata area before anything lands in it. */
static int zero_meta(struct writer *w)
{
	uint64_t meta_bytes = VC_ROUND_UP(w->meta_end, EROFS_BLKSIZ);
	uint8_t *z = calloc(1, META_WINDOW);
	int r = 0;

	if (!z)
		return vc_errorf(w->err, VC_ENOMEM, "erofs: out of memory");
	for (uint64_t o = 0; o < meta_bytes && r == 0; o += META_WINDOW) {
		uint64_t l = meta_bytes - o < META_WINDOW ? meta_bytes - o : META_WINDOW;

		r = vc_sink_pwrite(w->out, z, (size_t)l, o, w->err);
	}
	free(z);
	return r;
}

int vc_erofs_write(const struct vc_tree *t, const struct vc_erofs_options *o,
		   const struct vc_sink *out, struct vc_erofs_result *ret, struct vc_error *err)
{
	struct writer w = {.t = t, .o = o, .out = out, .err = err};
	int r;

	if (!t || t->n_nodes == 0 || !t->root || t->root->type != VC_NODE_DIR)
		return vc_errorf(err, VC_EINVAL, "erofs: the tree has no root directory");
	if (o->label && strlen(o->label) > VC_EROFS_LABEL_MAX)
		return vc_errorf(err, VC_EINVAL, "erofs: label '%s' is longer than %d bytes",
				 o->label, VC_EROFS_LABEL_MAX);
	if (o->compress == VC_EROFS_LZ4HC && (o->level < 0 || o->level > 12))
		return vc_errorf(err, VC_EINVAL, "erofs: LZ4HC level %d: expected 1..12", o->level);
	if (o->have_build_time) {
		w.build_time = o->build_time;
	} else {
		w.build_time = INT64_MIN;
		for (size_t i = 0; i < t->n_nodes; i++)
			if (t->nodes[i]->mtime > w.build_time)
				w.build_time = t->nodes[i]->mtime;
	}
	if (w.build_time < 0)
		w.build_time = 0;

	r = probe_files(&w);
	if (r == 0)
		r = plan_inodes(&w);
	if (r == 0)
		r = plan_meta(&w);
	if (r == 0)
		r = zero_meta(&w);
	if (r == 0)
		r = write_data(&w);
	if (r == 0)
		r = write_meta(&w, w.next_blk);
	if (r == 0 && ret) {
		memset(ret, 0, sizeof(*ret));
		ret->size = (uint64_t)w.next_blk * EROFS_BLKSIZ;
		ret->n_inodes = w.n_inodes;
		ret->meta_bytes = VC_ROUND_UP(w.meta_end, EROFS_BLKSIZ);
		ret->data_bytes = ret->size - ret->meta_bytes;
		ret->n_compressed_files = w.n_compressed;
		ret->n_shared_xattrs = w.n_shared;
		ret->root_nid = (uint16_t)(w.order[0]->off / EROFS_ISLOT);
	}
	for (size_t i = 0; w.inodes && i < t->n_nodes; i++)
		free(w.inodes[i].ext);
	free(w.inodes);
	free(w.incompressible);
	free(w.order);
	free(w.shared);
	free(w.xt.slots);
	return r;
}
