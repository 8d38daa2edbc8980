/* SPDX-License-Identifier: MIT */
/* FAT writer. Spec: Microsoft fatgen103 (2000); see include/vcompose/fat.h.
 * Plan first (geometry, names, clusters in pre-order), then write the boot
 * sectors, FSInfo, both FATs, the directories and the files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fat_priv.h"
#include "vcompose/endian.h"
#include "vcompose/fat.h"
#include "vcompose/tree.h"
#include "vcompose/util.h"

#define SIZE_MAX_BYTES ((uint64_t)128 << 30) /* FATs are built in memory: 16 MiB at most */
#define DIR_SLOTS_MAX  65536		     /* fatgen103 6: a directory's entries */
#define DIRENT	       sizeof(struct fat_dirent_disk)
#define FILE_SIZE_MAX  UINT32_MAX
#define COPY_CHUNK     (1024 * 1024)
#define FAT_EOC	       0x0ffffff8u /* end of chain, masked per type */

struct fnode {
	char *name; /* last component, UTF-8 */
	size_t name_len;
	bool dir;
	struct fnode *parent;
	struct fnode **kids; /* sorted by name bytes before planning */
	size_t n_kids, cap_kids;
	uint64_t size; /* files */
	vc_fat_read_fn read;
	void *ctx;
	const struct vc_node *tnode; /* from vc_fat_add_tree(): read through f->tree */

	/* plan */
	uint8_t short_name[11];
	uint16_t *lfn; /* NULL when the short name says it all */
	size_t lfn_units;
	uint32_t slots;		/* directories: 32-byte entries used */
	uint32_t first_cluster; /* 0 for empty files and the FAT12/16 root */
	uint32_t n_clusters;
};

struct vc_fat {
	struct vc_fat_options o;
	char label[11]; /* space padded; "NO NAME    " when none */
	bool has_label;
	struct fnode root;
	size_t n_nodes;
	const struct vc_tree *tree;
	bool planned;
	struct fat_geom g;
	uint32_t used;	       /* clusters used */
	uint32_t last_cluster; /* the last one allocated */
};

uint32_t vc_fat_volume_id(const void *seed, size_t seed_len)
{
	uint8_t u[16];

	vc_uuid_derive(seed, seed_len, "esp-volume-id", u);
	return (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 | u[3];
}

static void fnode_free(struct fnode *n)
{
	for (size_t i = 0; i < n->n_kids; i++) {
		fnode_free(n->kids[i]);
		free(n->kids[i]);
	}
	free(n->kids);
	free(n->name);
	free(n->lfn);
}

void vc_fat_free(struct vc_fat *f)
{
	if (!f)
		return;
	fnode_free(&f->root);
	free(f);
}

int vc_fat_new(const struct vc_fat_options *o, struct vc_fat **ret, struct vc_error *err)
{
	struct vc_fat *f;
	const char *l = o->label ? o->label : "";
	size_t ll = strlen(l);

	if (o->size % FAT_SECTOR != 0 || o->size < VC_FAT_SIZE_MIN)
		return vc_errorf(err, VC_EINVAL,
				 "fat: size %llu: must be a multiple of 512 and at least %d bytes",
				 (unsigned long long)o->size, VC_FAT_SIZE_MIN);
	if (o->size > SIZE_MAX_BYTES)
		return vc_errorf(err, VC_EINVAL, "fat: size %llu: at most %llu bytes (128 GiB)",
				 (unsigned long long)o->size, (unsigned long long)SIZE_MAX_BYTES);
	if (ll > 11)
		return vc_errorf(err, VC_EINVAL, "fat: label '%s' is %zu bytes long, at most 11", l,
				 ll);
	if (ll && l[0] == ' ')
		return vc_errorf(err, VC_EINVAL, "fat: label '%s' starts with a space", l);
	for (size_t i = 0; i < ll; i++) {
		unsigned char c = (unsigned char)l[i];
		if (c < 0x20 || c > 0x7e || strchr("*?.,;:/\\|+=<>[]\"", c))
			return vc_errorf(err, VC_EINVAL,
					 "fat: label '%s': character 0x%02x is not allowed "
					 "(ASCII letters, digits, spaces and !#$%%&'()-@^_`{}~)",
					 l, (unsigned)c);
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return vc_errorf(err, VC_ENOMEM, "fat: out of memory");
	f->o = *o;
	f->o.label = NULL;
	memcpy(f->label, "NO NAME    ", 11);
	if (ll) {
		memset(f->label, ' ', 11);
		for (size_t i = 0; i < ll; i++)
			f->label[i] = fat_ascii_upper(l[i]);
		f->has_label = true;
	}
	f->root.dir = true;
	f->root.parent = &f->root;
	*ret = f;
	return 0;
}

/* Case-insensitive (ASCII) equality of two names: FAT cannot tell them apart. */
static bool name_eq_nocase(const char *a, size_t al, const char *b, size_t bl)
{
	if (al != bl)
		return false;
	for (size_t i = 0; i < al; i++)
		if (fat_ascii_upper(a[i]) != fat_ascii_upper(b[i]))
			return false;
	return true;
}

/* Finds or creates the child `name` of dir. want_dir: the kind wanted;
 * an existing node of the other kind is an error. */
static int child(struct vc_fat *f, struct fnode *dir, const char *name, size_t len, bool want_dir,
		 bool must_be_new, const char *path, struct fnode **ret, struct vc_error *err)
{
	struct fnode *n;
	long units;

	for (size_t i = 0; i < dir->n_kids; i++) {
		n = dir->kids[i];
		if (!name_eq_nocase(n->name, n->name_len, name, len))
			continue;
		if (n->name_len != len || memcmp(n->name, name, len) != 0)
			return vc_errorf(err, VC_EINVAL,
					 "fat: '%s': FAT cannot store it beside '%s', whose name "
					 "differs only in case",
					 path, n->name);
		if (must_be_new || n->dir != want_dir)
			return vc_errorf(err, VC_EINVAL, "fat: '%s': given twice", path);
		*ret = n;
		return 0;
	}
	units = fat_name_to_utf16(name, len, NULL, 0, path, err);
	if (units < 0)
		return (int)units;
	if (f->n_nodes >= VC_FAT_NODES_MAX)
		return vc_errorf(err, VC_ERANGE, "fat: more than %u files and directories",
				 VC_FAT_NODES_MAX);
	if (dir->n_kids == dir->cap_kids) {
		size_t cap = dir->cap_kids ? dir->cap_kids * 2 : 8;
		struct fnode **k = realloc(dir->kids, cap * sizeof(*k));
		if (!k)
			return vc_errorf(err, VC_ENOMEM, "fat: out of memory");
		dir->kids = k;
		dir->cap_kids = cap;
	}
	n = calloc(1, sizeof(*n));
	if (!n || !(n->name = malloc(len + 1))) {
		free(n);
		return vc_errorf(err, VC_ENOMEM, "fat: out of memory");
	}
	memcpy(n->name, name, len);
	n->name[len] = '\0';
	n->name_len = len;
	n->dir = want_dir;
	n->parent = dir;
	dir->kids[dir->n_kids++] = n;
	f->n_nodes++;
	f->planned = false;
	*ret = n;
	return 0;
}

/* Walks path, creating directories; the last component is made with
 * last_dir (and must be new when it is a file). */
static int add_path(struct vc_fat *f, const char *path, bool last_dir, struct fnode **ret,
		    struct vc_error *err)
{
	struct fnode *cur = &f->root;
	const char *p = path;
	size_t plen = strlen(path);

	if (plen > VC_FAT_PATH_MAX)
		return vc_errorf(err, VC_EINVAL, "fat: path of %zu bytes is too long", plen);
	while (*p == '/')
		p++;
	if (*p == '\0') {
		if (last_dir) {
			*ret = cur;
			return 0;
		}
		return vc_errorf(err, VC_EINVAL, "fat: '%s': not a file path", path);
	}
	while (*p) {
		size_t len = strcspn(p, "/");
		const char *next = p + len;
		bool last;
		int r;

		while (*next == '/')
			next++;
		last = *next == '\0';
		r = child(f, cur, p, len, last ? last_dir : true, last && !last_dir, path, &cur,
			  err);
		if (r < 0)
			return r;
		p = next;
	}
	*ret = cur;
	return 0;
}

int vc_fat_add_dir(struct vc_fat *f, const char *path, struct vc_error *err)
{
	struct fnode *n;
	return add_path(f, path, true, &n, err);
}

static int add_file(struct vc_fat *f, const char *path, uint64_t size, vc_fat_read_fn read,
		    void *ctx, const struct vc_node *tnode, struct vc_error *err)
{
	struct fnode *n;
	int r;

	if (size > FILE_SIZE_MAX)
		return vc_errorf(err, VC_EINVAL,
				 "fat: '%s': %llu bytes is too big for FAT, whose files hold at "
				 "most 4 GiB - 1",
				 path, (unsigned long long)size);
	r = add_path(f, path, false, &n, err);
	if (r < 0)
		return r;
	n->size = size;
	n->read = read;
	n->ctx = ctx;
	n->tnode = tnode;
	return 0;
}

int vc_fat_add_file(struct vc_fat *f, const char *path, uint64_t size, vc_fat_read_fn read,
		    void *ctx, struct vc_error *err)
{
	return add_file(f, path, size, read, ctx, NULL, err);
}

int vc_fat_add_tree(struct vc_fat *f, const struct vc_tree *t, struct vc_error *err)
{
	char *path = malloc(VC_TREE_PATH_MAX + 2);
	int r = 0;

	if (!path)
		return vc_errorf(err, VC_ENOMEM, "fat: out of memory");
	f->tree = t;
	for (size_t i = 1; i < t->n_nodes && r == 0; i++) {
		const struct vc_node *tn = t->nodes[i];

		vc_tree_path(tn, path, VC_TREE_PATH_MAX + 2);
		if (tn->type == VC_NODE_DIR)
			r = vc_fat_add_dir(f, path, err);
		else if (tn->type == VC_NODE_REG)
			r = add_file(f, path, tn->size, NULL, NULL, tn, err);
		else
			r = vc_errorf(err, VC_EINVAL,
				      "fat: '%s': FAT stores directories and regular files only",
				      path);
	}
	free(path);
	return r;
}

/* ---- planning ---- */

static int cmp_kids(const void *a, const void *b)
{
	const struct fnode *x = *(struct fnode *const *)a, *y = *(struct fnode *const *)b;
	size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
	int c = memcmp(x->name, y->name, n);

	if (c)
		return c;
	return x->name_len < y->name_len ? -1 : x->name_len > y->name_len;
}

static bool short_taken(const struct fnode *dir, size_t upto, const uint8_t name[11],
			const bool *is_literal)
{
	for (size_t i = 0; i < dir->n_kids; i++) {
		/* literal 8.3 names are all reserved first; generated ones in order */
		if (!is_literal[i] && i >= upto)
			continue;
		if (memcmp(dir->kids[i]->short_name, name, 11) == 0)
			return true;
	}
	return false;
}

/* Sorts a directory's children, names them (short and long), counts its
 * slots; recursively. */
static int plan_names(struct fnode *dir, bool is_root, bool has_label, struct vc_error *err)
{
	bool *literal = NULL;
	uint64_t slots = is_root ? (has_label ? 1 : 0) : 2; /* label, or "." and ".." */
	int r = 0;

	if (dir->n_kids)
		qsort(dir->kids, dir->n_kids, sizeof(*dir->kids), cmp_kids);
	literal = calloc(dir->n_kids ? dir->n_kids : 1, sizeof(*literal));
	if (!literal)
		return vc_errorf(err, VC_ENOMEM, "fat: out of memory");
	for (size_t i = 0; i < dir->n_kids; i++) {
		struct fnode *n = dir->kids[i];
		free(n->lfn);
		n->lfn = NULL;
		n->lfn_units = 0;
		literal[i] = fat_name_is_short(n->name, n->name_len, n->short_name);
	}
	for (size_t i = 0; i < dir->n_kids; i++) {
		struct fnode *n = dir->kids[i];
		uint8_t basis[11];
		bool need_tail;
		long units;

		if (!literal[i]) {
			fat_short_basis(n->name, n->name_len, basis, &need_tail);
			if (!need_tail && !short_taken(dir, i, basis, literal)) {
				memcpy(n->short_name, basis, 11);
			} else {
				unsigned k;
				for (k = 1; k < 1000000; k++) {
					fat_short_with_tail(basis, k, n->short_name);
					if (!short_taken(dir, i, n->short_name, literal))
						break;
				}
				if (k == 1000000) {
					r = vc_errorf(err, VC_ERANGE,
						      "fat: '%s': no free short name", n->name);
					goto out;
				}
			}
			units = fat_name_to_utf16(n->name, n->name_len, NULL, 0, n->name, err);
			if (units < 0) {
				r = (int)units;
				goto out;
			}
			n->lfn = malloc((size_t)units * sizeof(uint16_t));
			if (!n->lfn) {
				r = vc_errorf(err, VC_ENOMEM, "fat: out of memory");
				goto out;
			}
			fat_name_to_utf16(n->name, n->name_len, n->lfn, (size_t)units, n->name,
					  err);
			n->lfn_units = (size_t)units;
		}
		slots += 1 + VC_DIV_ROUND_UP(n->lfn_units, 13);
		if (n->dir) {
			r = plan_names(n, false, false, err);
			if (r < 0) {
				vc_error_prefix(err, "%s", n->name);
				goto out;
			}
		}
	}
	if (slots > DIR_SLOTS_MAX) {
		r = vc_errorf(err, VC_ERANGE,
			      "fat: a directory needs %llu entries, FAT allows at most %d",
			      (unsigned long long)slots, DIR_SLOTS_MAX);
		goto out;
	}
	dir->slots = (uint32_t)slots;
out:
	free(literal);
	return r;
}

/* Clusters the content needs with this cluster size (the FAT12/16 root
 * lives in its own area and needs none). */
static uint64_t need_clusters(const struct fnode *n, uint64_t cb, bool is_root, unsigned bits)
{
	uint64_t c = 0;

	if (n->dir) {
		if (!is_root || bits == 32)
			c = n->slots ? VC_DIV_ROUND_UP((uint64_t)n->slots * DIRENT, cb) : 1;
		for (size_t i = 0; i < n->n_kids; i++)
			c += need_clusters(n->kids[i], cb, false, bits);
	} else {
		c = VC_DIV_ROUND_UP(n->size, cb);
	}
	return c;
}

/* 1: the content fits in size bytes, 0: it does not, < 0: no geometry. */
static int fits(const struct vc_fat *f, uint64_t size, struct fat_geom *g, uint64_t *ret_need,
		struct vc_error *err)
{
	uint64_t need;
	int r = fat_geometry(size, g, err);

	if (r < 0)
		return r;
	need = need_clusters(&f->root, (uint64_t)g->spc * FAT_SECTOR, true, g->bits);
	if (ret_need)
		*ret_need = need;
	if (g->bits != 32 && f->root.slots > g->root_entries)
		return 0;
	return need <= g->clusters;
}

static void allocate(struct fnode *n, uint64_t cb, bool is_root, unsigned bits, uint32_t *next)
{
	uint64_t c = 0;

	if (n->dir) {
		if (!is_root || bits == 32)
			c = n->slots ? VC_DIV_ROUND_UP((uint64_t)n->slots * DIRENT, cb) : 1;
	} else {
		c = VC_DIV_ROUND_UP(n->size, cb);
	}
	n->n_clusters = (uint32_t)c;
	n->first_cluster = c ? *next : 0;
	*next += (uint32_t)c;
	for (size_t i = 0; i < n->n_kids; i++)
		allocate(n->kids[i], cb, false, bits, next);
}

/* The smallest MiB multiple that holds the content (0: not even 128 GiB):
 * double, then bisect. */
static uint64_t smallest_fit(const struct vc_fat *f)
{
	const uint64_t mib = 1024 * 1024;
	struct vc_error e2 = {0};
	struct fat_geom g;
	uint64_t lo = 0, hi = 1;

	while (hi * mib <= SIZE_MAX_BYTES && fits(f, hi * mib, &g, NULL, &e2) != 1) {
		lo = hi;
		hi *= 2;
	}
	if (hi * mib > SIZE_MAX_BYTES)
		return 0;
	while (hi - lo > 1) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (fits(f, mid * mib, &g, NULL, &e2) == 1)
			hi = mid;
		else
			lo = mid;
	}
	return hi * mib;
}

int vc_fat_plan(struct vc_fat *f, struct vc_fat_info *ret_info, struct vc_error *err)
{
	struct fat_geom g;
	uint64_t need, smallest;
	uint32_t next = 2;
	int r;

	r = plan_names(&f->root, true, f->has_label, err);
	if (r < 0)
		return r;
	r = fits(f, f->o.size, &g, &need, err);
	if (r < 0)
		return r;
	smallest = smallest_fit(f);
	if (r == 0) {
		if (!smallest)
			return vc_errorf(
			    err, VC_ERANGE,
			    "fat: the content does not fit in %llu bytes, nor in 128 GiB",
			    (unsigned long long)f->o.size);
		if (g.bits != 32 && f->root.slots > g.root_entries)
			return vc_errorf(err, VC_ERANGE,
					 "fat: the root directory needs %u entries, FAT%u of %llu "
					 "bytes has %u; %llu MiB needed",
					 f->root.slots, g.bits, (unsigned long long)f->o.size,
					 g.root_entries, (unsigned long long)(smallest >> 20));
		return vc_errorf(err, VC_ERANGE,
				 "fat: the content needs %llu clusters of %u bytes, %llu bytes "
				 "has %u; %llu MiB needed",
				 (unsigned long long)need, g.spc * FAT_SECTOR,
				 (unsigned long long)f->o.size, g.clusters,
				 (unsigned long long)(smallest >> 20));
	}
	f->g = g;
	allocate(&f->root, (uint64_t)g.spc * FAT_SECTOR, true, g.bits, &next);
	f->used = next - 2;
	f->last_cluster = next - 1;
	f->planned = true;
	if (ret_info) {
		ret_info->fat_bits = g.bits;
		ret_info->sectors = g.sectors;
		ret_info->sectors_per_cluster = g.spc;
		ret_info->reserved_sectors = g.reserved;
		ret_info->fat_sectors = g.fat_sectors;
		ret_info->root_entries = g.root_entries;
		ret_info->clusters = g.clusters;
		ret_info->clusters_used = f->used;
		ret_info->needed_size = smallest;
	}
	return 0;
}

/* ---- writing ---- */

static void fat_set(uint8_t *fat, unsigned bits, uint32_t n, uint32_t v)
{
	if (bits == 32) {
		vc_put_le32(fat + 4 * (size_t)n, v & 0x0fffffff);
	} else if (bits == 16) {
		vc_put_le16(fat + 2 * (size_t)n, (uint16_t)v);
	} else {
		size_t off = (size_t)n * 3 / 2;
		v &= 0xfff;
		if (n % 2 == 0) {
			fat[off] = (uint8_t)v;
			fat[off + 1] = (uint8_t)((fat[off + 1] & 0xf0) | (v >> 8));
		} else {
			fat[off] = (uint8_t)((fat[off] & 0x0f) | ((v << 4) & 0xf0));
			fat[off + 1] = (uint8_t)(v >> 4);
		}
	}
}

static void chain(uint8_t *fat, unsigned bits, const struct fnode *n)
{
	for (uint32_t i = 0; i < n->n_clusters; i++)
		fat_set(fat, bits, n->first_cluster + i,
			i + 1 < n->n_clusters ? n->first_cluster + i + 1 : FAT_EOC);
	for (size_t i = 0; i < n->n_kids; i++)
		chain(fat, bits, n->kids[i]);
}

static void put_short(uint8_t *slot, const uint8_t name[11], uint8_t attr, uint32_t cluster,
		      uint32_t size, uint16_t date, uint16_t time)
{
	struct fat_dirent_disk d;

	memset(&d, 0, sizeof(d));
	memcpy(d.name, name, 11);
	d.attr = attr;
	vc_put_le16(d.crt_time, time);
	vc_put_le16(d.crt_date, date);
	vc_put_le16(d.lst_acc_date, date);
	vc_put_le16(d.fst_clus_hi, (uint16_t)(cluster >> 16));
	vc_put_le16(d.wrt_time, time);
	vc_put_le16(d.wrt_date, date);
	vc_put_le16(d.fst_clus_lo, (uint16_t)cluster);
	vc_put_le32(d.file_size, size);
	memcpy(slot, &d, sizeof(d));
}

/* Long name entries, last part first, then the short entry; returns slots used. */
static size_t put_node(uint8_t *slots, const struct fnode *n, uint16_t date, uint16_t time)
{
	size_t parts = VC_DIV_ROUND_UP(n->lfn_units, 13), s = 0;
	uint8_t sum = fat_lfn_checksum(n->short_name);

	for (size_t p = parts; p > 0; p--) {
		struct fat_lfn_disk l;
		uint16_t u[13];

		for (size_t k = 0; k < 13; k++) {
			size_t idx = (p - 1) * 13 + k;
			u[k] = idx < n->lfn_units    ? n->lfn[idx]
			       : idx == n->lfn_units ? 0x0000
						     : 0xffff;
		}
		memset(&l, 0, sizeof(l));
		l.ord = (uint8_t)(p | (p == parts ? 0x40 : 0));
		for (int k = 0; k < 5; k++)
			vc_put_le16(l.name1 + 2 * k, u[k]);
		l.attr = FAT_ATTR_LFN;
		l.chksum = sum;
		for (int k = 0; k < 6; k++)
			vc_put_le16(l.name2 + 2 * k, u[5 + k]);
		for (int k = 0; k < 2; k++)
			vc_put_le16(l.name3 + 2 * k, u[11 + k]);
		memcpy(slots + DIRENT * s++, &l, sizeof(l));
	}
	put_short(slots + DIRENT * s++, n->short_name,
		  n->dir ? FAT_ATTR_DIRECTORY : FAT_ATTR_ARCHIVE, n->first_cluster,
		  n->dir ? 0 : (uint32_t)n->size, date, time);
	return s;
}

static uint64_t cluster_off(const struct fat_geom *g, uint32_t c)
{
	return ((uint64_t)g->data_start + (uint64_t)(c - 2) * g->spc) * FAT_SECTOR;
}

static int write_dir(struct vc_fat *f, const struct fnode *d, bool is_root,
		     const struct vc_sink *out, uint16_t date, uint16_t time, struct vc_error *err)
{
	const struct fat_geom *g = &f->g;
	uint64_t cb = (uint64_t)g->spc * FAT_SECTOR;
	size_t bytes, s = 0;
	uint64_t off;
	uint8_t *buf;
	int r;

	if (is_root && g->bits != 32) {
		bytes = (size_t)g->root_entries * DIRENT;
		off = ((uint64_t)g->reserved + 2 * (uint64_t)g->fat_sectors) * FAT_SECTOR;
	} else {
		bytes = (size_t)(d->n_clusters * cb);
		off = cluster_off(g, d->first_cluster);
	}
	buf = calloc(1, bytes);
	if (!buf)
		return vc_errorf(err, VC_ENOMEM, "fat: out of memory");
	if (is_root) {
		if (f->has_label)
			put_short(buf + DIRENT * s++, (const uint8_t *)f->label, FAT_ATTR_VOLUME_ID,
				  0, 0, date, time);
	} else {
		static const uint8_t dot[11] = {'.', ' ', ' ', ' ', ' ', ' ',
						' ', ' ', ' ', ' ', ' '};
		static const uint8_t dotdot[11] = {'.', '.', ' ', ' ', ' ', ' ',
						   ' ', ' ', ' ', ' ', ' '};
		uint32_t up = d->parent == &f->root ? 0 : d->parent->first_cluster;

		put_short(buf + DIRENT * s++, dot, FAT_ATTR_DIRECTORY, d->first_cluster, 0, date,
			  time);
		put_short(buf + DIRENT * s++, dotdot, FAT_ATTR_DIRECTORY, up, 0, date, time);
	}
	for (size_t i = 0; i < d->n_kids; i++)
		s += put_node(buf + DIRENT * s, d->kids[i], date, time);
	r = vc_sink_pwrite(out, buf, bytes, off, err);
	free(buf);
	if (r < 0)
		return r;
	for (size_t i = 0; i < d->n_kids; i++)
		if (d->kids[i]->dir) {
			r = write_dir(f, d->kids[i], false, out, date, time, err);
			if (r < 0)
				return r;
		}
	return 0;
}

static int write_files(struct vc_fat *f, const struct fnode *d, const struct vc_sink *out,
		       uint8_t *buf, struct vc_error *err)
{
	uint64_t cb = (uint64_t)f->g.spc * FAT_SECTOR;

	for (size_t i = 0; i < d->n_kids; i++) {
		const struct fnode *n = d->kids[i];
		uint64_t off = 0, end;
		int r = 0;

		if (n->dir) {
			r = write_files(f, n, out, buf, err);
			if (r < 0)
				return r;
			continue;
		}
		if (!n->n_clusters)
			continue;
		end = (uint64_t)n->n_clusters * cb; /* the tail of the last cluster is zeroed */
		while (off < end) {
			size_t len = end - off > COPY_CHUNK ? COPY_CHUNK : (size_t)(end - off);
			size_t data = off >= n->size	    ? 0
				      : n->size - off > len ? len
							    : (size_t)(n->size - off);
			if (data) {
				if (n->tnode)
					r = vc_tree_read(f->tree, n->tnode, off, buf, data, err);
				else
					r = n->read(n->ctx, off, buf, data, err);
				if (r < 0) {
					vc_error_prefix(err, "fat: %s", n->name);
					return r;
				}
			}
			memset(buf + data, 0, len - data);
			r = vc_sink_pwrite(out, buf, len,
					   cluster_off(&f->g, n->first_cluster) + off, err);
			if (r < 0)
				return r;
			off += len;
		}
	}
	return 0;
}

static void boot_sector(const struct vc_fat *f, uint8_t *s)
{
	const struct fat_geom *g = &f->g;
	struct fat_bpb_disk b;
	struct fat_ebr_disk e;
	size_t ebr_off = g->bits == 32 ? FAT_BS_EBR32_OFFSET : FAT_BS_EBR16_OFFSET,
	       code_off = g->bits == 32 ? FAT_BS_CODE32_OFFSET : FAT_BS_CODE16_OFFSET;
	static const uint8_t halt[4] = {0xfa, 0xf4, 0xeb, 0xfd}; /* cli; hlt; jmp $-1 */

	memset(s, 0, FAT_SECTOR);
	memset(&b, 0, sizeof(b));
	b.jmp_boot[0] = 0xeb;
	b.jmp_boot[1] = (uint8_t)(code_off - 2);
	b.jmp_boot[2] = 0x90;
	memcpy(b.oem_name, "vcompose", 8);
	vc_put_le16(b.byts_per_sec, FAT_SECTOR);
	b.sec_per_clus = (uint8_t)g->spc;
	vc_put_le16(b.rsvd_sec_cnt, (uint16_t)g->reserved);
	b.num_fats = 2;
	vc_put_le16(b.root_ent_cnt, (uint16_t)g->root_entries);
	if (g->sectors < 65536)
		vc_put_le16(b.tot_sec16, (uint16_t)g->sectors);
	else
		vc_put_le32(b.tot_sec32, g->sectors);
	b.media = g->media;
	if (g->bits != 32)
		vc_put_le16(b.fat_sz16, (uint16_t)g->fat_sectors);
	vc_put_le16(b.sec_per_trk, g->spt);
	vc_put_le16(b.num_heads, g->heads);
	vc_put_le32(b.hidd_sec, f->o.hidden_sectors);
	memcpy(s, &b, sizeof(b));
	if (g->bits == 32) {
		struct fat32_ext_disk x;
		memset(&x, 0, sizeof(x));
		vc_put_le32(x.fat_sz32, g->fat_sectors);
		vc_put_le32(x.root_clus, 2);
		vc_put_le16(x.fs_info, 1);
		vc_put_le16(x.bk_boot_sec, 6);
		memcpy(s + FAT_BS_EXT32_OFFSET, &x, sizeof(x));
	}
	memset(&e, 0, sizeof(e));
	e.drv_num = g->media == 0xf8 ? 0x80 : 0x00;
	e.boot_sig = 0x29;
	vc_put_le32(e.vol_id, f->o.volume_id);
	memcpy(e.vol_lab, f->label, 11);
	memcpy(e.fil_sys_type,
	       g->bits == 12   ? "FAT12   "
	       : g->bits == 16 ? "FAT16   "
			       : "FAT32   ",
	       8);
	memcpy(s + ebr_off, &e, sizeof(e));
	memcpy(s + code_off, halt, sizeof(halt));
	memcpy(s + FAT_BS_SIGNATURE_OFFSET, FAT_BS_SIGNATURE, 2);
}

int vc_fat_write(struct vc_fat *f, const struct vc_sink *out, struct vc_error *err)
{
	const struct fat_geom *g;
	uint8_t *buf = NULL;
	size_t fat_bytes;
	uint16_t date, time;
	uint32_t mask;
	int r = 0;

	if (!f->planned) {
		r = vc_fat_plan(f, NULL, err);
		if (r < 0)
			return r;
	}
	g = &f->g;
	fat_dos_time(f->o.epoch, &date, &time);

	/* Reserved area: boot sector, FSInfo and their copies, zeros elsewhere. */
	buf = calloc(g->reserved, FAT_SECTOR);
	if (!buf)
		return vc_errorf(err, VC_ENOMEM, "fat: out of memory");
	boot_sector(f, buf);
	if (g->bits == 32) {
		struct fat32_fsinfo_disk fi;
		memset(&fi, 0, sizeof(fi));
		vc_put_le32(fi.lead_sig, FAT_FSINFO_LEAD_SIG);
		vc_put_le32(fi.struc_sig, FAT_FSINFO_STRUC_SIG);
		vc_put_le32(fi.free_count, g->clusters - f->used);
		vc_put_le32(fi.nxt_free, f->last_cluster);
		vc_put_le32(fi.trail_sig, FAT_FSINFO_TRAIL_SIG);
		memcpy(buf + FAT_SECTOR, &fi, sizeof(fi));
		memcpy(buf + 6 * FAT_SECTOR, buf, 2 * FAT_SECTOR);
	}
	r = vc_sink_pwrite(out, buf, (size_t)g->reserved * FAT_SECTOR, 0, err);
	free(buf);
	if (r < 0)
		return r;

	/* Both FATs. */
	fat_bytes = (size_t)g->fat_sectors * FAT_SECTOR;
	buf = calloc(1, fat_bytes);
	if (!buf)
		return vc_errorf(err, VC_ENOMEM, "fat: out of memory");
	mask = g->bits == 32 ? 0x0fffffff : g->bits == 16 ? 0xffff : 0xfff;
	fat_set(buf, g->bits, 0, (mask & ~0xffu) | g->media);
	fat_set(buf, g->bits, 1, mask);
	chain(buf, g->bits, &f->root);
	for (uint32_t k = 0; k < 2 && r == 0; k++)
		r = vc_sink_pwrite(
		    out, buf, fat_bytes,
		    ((uint64_t)g->reserved + k * (uint64_t)g->fat_sectors) * FAT_SECTOR, err);
	free(buf);
	if (r < 0)
		return r;

	/* Directories, then file data. */
	r = write_dir(f, &f->root, true, out, date, time, err);
	if (r < 0)
		return r;
	buf = malloc(COPY_CHUNK);
	if (!buf)
		return vc_errorf(err, VC_ENOMEM, "fat: out of memory");
	r = write_files(f, &f->root, out, buf, err);
	free(buf);
	return r;
}
