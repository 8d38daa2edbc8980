/* SPDX-License-Identifier: MIT */
/* EROFS xattrs: name indexes, the shared area (a name/value pair used by two
 * or more inodes is stored once) and the inline body after an inode. Spec:
 * Linux 6.1 fs/erofs/erofs_fs.h ("erofs_xattr_ibody_header",
 * "erofs_xattr_entry") and fs/erofs/xattr.c. */
#include <assert.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "erofs_disk.h"
#include "erofs_priv.h"
#include "vcompose/endian.h"
#include "vcompose/util.h"

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

/* Counts every (name, value) pair of the inode owners and gives the pairs
 * used twice or more their ids in the shared area, which starts at
 * w->meta_start: name, then value order (never hash order). */
int vc_erofs_plan_xattrs(struct writer *w)
{
	const struct vc_tree *t = w->t;
	struct vc_error *err = w->err;
	char path[VC_TREE_PATH_MAX + 2];
	int r = 0;

	/* xattr pairs: count, then name the shared ones */
	for (size_t i = 0; i < t->n_nodes; i++) {
		const struct vc_node *n = t->nodes[i];

		if (vc_erofs_owner(n) != n)
			continue;
		for (size_t k = 0; k < n->n_xattrs; k++) {
			const struct vc_xattr *x = &n->xattrs[k];
			struct xname xn;

			if (xattr_name(x->name, &xn) < 0)
				return vc_errorf(err, VC_EUNSUPP,
						 "%s: xattr '%s': namespace not supported by EROFS "
						 "(user., trusted., security., system.posix_acl_*)",
						 vc_erofs_node_path(n, path, sizeof(path)),
						 x->name);
			if (xn.suffix_len > 255 || x->value_len > 65535)
				return vc_errorf(
				    err, VC_ERANGE,
				    "%s: xattr '%s': name of %zu or value of %zu bytes is "
				    "over EROFS's limit (255, 65535)",
				    vc_erofs_node_path(n, path, sizeof(path)), x->name,
				    xn.suffix_len, x->value_len);
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
	uint64_t pos = w->meta_start;

	for (size_t i = 0; i < w->n_shared; i++) {
		struct xpair *p = (struct xpair *)w->shared[i];
		struct xname xn;

		xattr_name(p->x->name, &xn);
		p->id = (uint32_t)(pos / 4);
		pos += xattr_entry_size(&xn, p->x->value_len);
	}
	w->shared_end = pos;
	return 0;
}

/* The size of n's xattr body (0 without xattrs) and its count of shared
 * ids into e. */
int vc_erofs_plan_ibody(struct writer *w, struct einode *e)
{
	const struct vc_node *n = e->n;
	struct vc_error *err = w->err;
	char path[VC_TREE_PATH_MAX + 2];
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
		size_t body = sizeof(struct erofs_xattr_ibody_header_disk) + shared * 4 + inl;

		if (body > 12 + 4 * 65534ull)
			return vc_errorf(err, VC_ERANGE,
					 "%s: %zu bytes of xattrs: over EROFS's limit of an inode",
					 vc_erofs_node_path(n, path, sizeof(path)), body);
		e->xattr_isize = (uint32_t)body;
		e->n_shared = (uint32_t)shared;
	}
	return 0;
}

/* Writes e's xattr body (e->xattr_isize bytes, zeroed by the caller). */
void vc_erofs_put_ibody(struct writer *w, const struct einode *e, uint8_t *out)
{
	const struct vc_node *n = e->n;
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
}

/* Writes the shared pair p's entry to out and returns its size. */
size_t vc_erofs_put_shared(const struct xpair *p, uint8_t *out)
{
	struct xname xn;

	xattr_name(p->x->name, &xn);
	return xattr_entry_put(out, &xn, p->x);
}
