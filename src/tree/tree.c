/* SPDX-License-Identifier: MIT */
/* The tree model: building, normalising, looking up, reading, dumping.
 * See include/vcompose/tree.h. The readers (tree_dir.c, tree_archive.c,
 * tree_mtree.c) only create nodes; every policy is applied here, once. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include "tree_priv.h"
#include "vcompose/endian.h"
#include "vcompose/sha256.h"

static uint64_t hash_key(const struct vc_node *parent, const char *name, size_t len)
{
	uint64_t h = 1469598103934665603ull ^ (uint64_t)(uintptr_t)parent;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)name[i]) * 1099511628211ull;
	return h ^ (h >> 29);
}

int tree_new(const char *input, struct vc_tree **ret, struct vc_error *err)
{
	struct vc_tree *t = calloc(1, sizeof(*t));
	struct tree_priv *p = calloc(1, sizeof(*p));
	struct vc_node *root = calloc(1, sizeof(*root));

	if (!t || !p || !root) {
		free(t);
		free(p);
		free(root);
		return vc_errorf(err, VC_ENOMEM, "%s: out of memory", input);
	}
	p->spool_fd = -1;
	p->archive_fd = -1;
	p->input = input;
	root->name = strdup("");
	root->parent = root;
	root->type = VC_NODE_DIR;
	root->mode = 0755;
	root->link_first = root;
	t->root = root;
	t->priv = p;
	p->n_nodes = 1;
	*ret = t;
	if (!root->name) {
		vc_tree_free(t);
		return vc_errorf(err, VC_ENOMEM, "%s: out of memory", input);
	}
	return 0;
}

struct vc_node *tree_child(struct vc_tree *t, struct vc_node *parent, const char *name, size_t len)
{
	struct tree_priv *p = t->priv;

	if (!p->map_cap)
		return NULL;
	for (size_t i = hash_key(parent, name, len) & (p->map_cap - 1);;
	     i = (i + 1) & (p->map_cap - 1)) {
		struct vc_node *n = p->map[i];
		if (!n)
			return NULL;
		if (n->parent == parent && n->name_len == len && memcmp(n->name, name, len) == 0)
			return n;
	}
}

static void map_put(struct tree_priv *p, struct vc_node *n)
{
	size_t i = hash_key(n->parent, n->name, n->name_len) & (p->map_cap - 1);

	while (p->map[i])
		i = (i + 1) & (p->map_cap - 1);
	p->map[i] = n;
}

int tree_add_child(struct vc_tree *t, struct vc_node *parent, const char *name, size_t len,
		   struct vc_node **ret, struct vc_error *err)
{
	struct tree_priv *p = t->priv;
	struct vc_node *n;

	if (p->n_nodes >= VC_TREE_NODES_MAX)
		return vc_errorf(err, VC_ERANGE, "more than %u entries", VC_TREE_NODES_MAX);
	if ((p->n_nodes + 1) * 2 > p->map_cap) {
		size_t cap = p->map_cap ? p->map_cap * 2 : 1024;
		struct vc_node **m = calloc(cap, sizeof(*m));
		if (!m)
			return vc_errorf(err, VC_ENOMEM, "out of memory");
		struct vc_node **old = p->map;
		size_t old_cap = p->map_cap;
		p->map = m;
		p->map_cap = cap;
		for (size_t i = 0; i < old_cap; i++)
			if (old[i])
				map_put(p, old[i]);
		free(old);
	}
	if (parent->n_children % 16 == 0) {
		struct vc_node **c =
		    realloc(parent->children, (parent->n_children + 16) * sizeof(*c));
		if (!c)
			return vc_errorf(err, VC_ENOMEM, "out of memory");
		parent->children = c;
	}
	n = calloc(1, sizeof(*n));
	if (!n || !(n->name = malloc(len + 1))) {
		free(n);
		return vc_errorf(err, VC_ENOMEM, "out of memory");
	}
	memcpy(n->name, name, len);
	n->name[len] = '\0';
	n->name_len = len;
	n->parent = parent;
	n->link_first = n;
	n->nlink = 1;
	parent->children[parent->n_children++] = n;
	map_put(p, n);
	p->n_nodes++;
	*ret = n;
	return 0;
}

void tree_clear_xattrs(struct vc_node *n)
{
	for (size_t i = 0; i < n->n_xattrs; i++) {
		free(n->xattrs[i].name);
		free(n->xattrs[i].value);
	}
	free(n->xattrs);
	n->xattrs = NULL;
	n->n_xattrs = 0;
}

int tree_set_xattr(struct vc_node *n, const char *name, const void *value, size_t len,
		   struct vc_error *err)
{
	uint8_t *v = malloc(len ? len : 1);

	if (!v)
		return vc_errorf(err, VC_ENOMEM, "out of memory");
	if (len)
		memcpy(v, value, len);
	for (size_t i = 0; i < n->n_xattrs; i++) {
		if (strcmp(n->xattrs[i].name, name) == 0) {
			free(n->xattrs[i].value);
			n->xattrs[i].value = v;
			n->xattrs[i].value_len = len;
			return 0;
		}
	}
	struct vc_xattr *x = realloc(n->xattrs, (n->n_xattrs + 1) * sizeof(*x));
	char *nm = strdup(name);
	if (!x || !nm) {
		free(v);
		free(nm);
		if (x)
			n->xattrs = x;
		return vc_errorf(err, VC_ENOMEM, "out of memory");
	}
	n->xattrs = x;
	x[n->n_xattrs].name = nm;
	x[n->n_xattrs].value = v;
	x[n->n_xattrs].value_len = len;
	n->n_xattrs++;
	return 0;
}

bool tree_keep_xattr(const char *name)
{
	return strncmp(name, "user.", 5) == 0 || strncmp(name, "trusted.", 8) == 0 ||
	       strncmp(name, "security.", 9) == 0 || strcmp(name, "system.posix_acl_access") == 0 ||
	       strcmp(name, "system.posix_acl_default") == 0;
}

int tree_walk_parent(struct vc_tree *t, const char *path, bool create_parents,
		     struct vc_node **ret_parent, const char **ret_name, size_t *ret_len,
		     struct vc_error *err)
{
	struct vc_node *cur = t->root;
	const char *s = path, *last = NULL;
	size_t last_len = 0, total = strlen(path), depth = 0;

	if (total > VC_TREE_PATH_MAX)
		return vc_errorf(err, VC_EINVAL, "%.80s...: path of %zu bytes, at most %d", path,
				 total, VC_TREE_PATH_MAX);
	if (path[0] == '/')
		return vc_errorf(err, VC_EINVAL, "%s: absolute path in the input", path);
	for (;;) {
		while (*s == '/')
			s++;
		if (!*s)
			break;
		const char *e = strchr(s, '/');
		size_t len = e ? (size_t)(e - s) : strlen(s);
		if (len == 1 && s[0] == '.') {
			s += len;
			continue;
		}
		if (len == 2 && s[0] == '.' && s[1] == '.')
			return vc_errorf(err, VC_EINVAL, "%s: path escapes the root ('..')", path);
		/* the same limit as a folder walk's, for archives and mtree too */
		if (++depth > VC_TREE_DEPTH_MAX + 1)
			return vc_errorf(err, VC_ERANGE, "%s: folders nested deeper than %d", path,
					 VC_TREE_DEPTH_MAX);
		if (len > VC_TREE_NAME_MAX)
			return vc_errorf(err, VC_EINVAL,
					 "%.80s...: a name of %zu bytes, at most %d", path, len,
					 VC_TREE_NAME_MAX);
		if (last) {
			/* the previous component is a parent: find or create it */
			struct vc_node *n = tree_child(t, cur, last, last_len);
			if (!n) {
				if (!create_parents)
					return vc_errorf(err, VC_EINVAL,
							 "%s: parent folder '%.*s' is missing",
							 path, (int)last_len, last);
				int r = tree_add_child(t, cur, last, last_len, &n, err);
				if (r < 0)
					return r;
				n->type = VC_NODE_DIR;
				n->mode = 0755;
			} else if (n->type != VC_NODE_DIR) {
				return vc_errorf(err, VC_EINVAL,
						 "%s: '%.*s' is used as a folder but is not one",
						 path, (int)last_len, last);
			}
			cur = n;
		}
		last = s;
		last_len = len;
		s += len;
	}
	*ret_parent = cur;
	*ret_name = last; /* NULL: the path names the root */
	*ret_len = last_len;
	return 0;
}

/* ---- finishing ---- */

static int cmp_child(const void *a, const void *b)
{
	const struct vc_node *x = *(struct vc_node *const *)a, *y = *(struct vc_node *const *)b;
	size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
	int c = memcmp(x->name, y->name, n);

	if (c)
		return c;
	return x->name_len < y->name_len ? -1 : x->name_len > y->name_len;
}

static int cmp_xattr(const void *a, const void *b)
{
	return strcmp(((const struct vc_xattr *)a)->name, ((const struct vc_xattr *)b)->name);
}

/* Pre-order numbering without recursion (trees can be deep). */
static int number_nodes(struct vc_tree *t, size_t n_nodes, struct vc_error *err)
{
	struct vc_node **stack;
	size_t sp = 0, k = 0;

	t->nodes = calloc(n_nodes, sizeof(*t->nodes));
	stack = calloc(n_nodes, sizeof(*stack));
	if (!t->nodes || !stack) {
		free(stack);
		return vc_errorf(err, VC_ENOMEM, "out of memory");
	}
	stack[sp++] = t->root;
	while (sp) {
		struct vc_node *n = stack[--sp];
		n->index = k;
		t->nodes[k++] = n;
		if (n->n_children > 1)
			qsort(n->children, n->n_children, sizeof(*n->children), cmp_child);
		for (size_t i = n->n_children; i > 0; i--)
			stack[sp++] = n->children[i - 1];
		if (n->n_xattrs > 1)
			qsort(n->xattrs, n->n_xattrs, sizeof(*n->xattrs), cmp_xattr);
	}
	free(stack);
	t->n_nodes = k;
	return 0;
}

/* Swaps what a hardlink group shares (metadata and content source). */
static void swap_payload(struct vc_node *a, struct vc_node *b)
{
#define SWAP(field)                                                                                \
	do {                                                                                       \
		__typeof__(a->field) tmp_ = a->field;                                              \
		a->field = b->field;                                                               \
		b->field = tmp_;                                                                   \
	} while (0)
	SWAP(type);
	SWAP(mode);
	SWAP(uid);
	SWAP(gid);
	SWAP(mtime);
	SWAP(mtime_nsec);
	SWAP(size);
	SWAP(target);
	SWAP(rdev_major);
	SWAP(rdev_minor);
	SWAP(xattrs);
	SWAP(n_xattrs);
	SWAP(src_off);
	SWAP(src_direct);
	SWAP(src_path);
#undef SWAP
}

/* The readers point a group's members at the node that got the content
 * (the first one read). Make the first node in pre-order the one that
 * carries it, so the readdir or archive order does not matter. */
static int group_links(struct vc_tree *t, struct vc_error *err)
{
	struct vc_node **rep = calloc(t->n_nodes, sizeof(*rep));

	if (!rep)
		return vc_errorf(err, VC_ENOMEM, "out of memory");
	for (size_t i = 0; i < t->n_nodes; i++) {
		struct vc_node *orig = t->nodes[i]->link_first;
		if (!rep[orig->index])
			rep[orig->index] = t->nodes[i];
	}
	for (size_t i = 0; i < t->n_nodes; i++) {
		struct vc_node *orig = t->nodes[i];
		struct vc_node *first = rep[i];
		if (!first || first == orig)
			continue;
		swap_payload(orig, first);
	}
	for (size_t i = 0; i < t->n_nodes; i++) {
		struct vc_node *n = t->nodes[i];
		n->link_first = rep[n->link_first->index];
	}
	free(rep);
	return 0;
}

/* Link counts: folders 2 + subfolders; a hardlink group its size; groups
 * numbered 1, 2, ... in pre-order. */
static void count_links(struct vc_tree *t)
{
	uint32_t group = 0;

	for (size_t i = 0; i < t->n_nodes; i++) {
		struct vc_node *n = t->nodes[i];
		n->nlink = n->type == VC_NODE_DIR ? 2 : 1;
		n->link_group = 0;
	}
	for (size_t i = 0; i < t->n_nodes; i++) {
		struct vc_node *n = t->nodes[i];
		if (n->type == VC_NODE_DIR && n != t->root)
			n->parent->nlink++;
		if (n->link_first != n) {
			struct vc_node *f = n->link_first;
			if (f->link_group == 0)
				f->link_group = ++group;
			n->link_group = f->link_group;
			f->nlink++;
		}
	}
	for (size_t i = 0; i < t->n_nodes; i++) {
		struct vc_node *n = t->nodes[i];
		if (n->link_first != n)
			n->nlink = n->link_first->nlink;
	}
	t->n_link_groups = group;
}

int tree_finish(struct vc_tree *t, const struct vc_tree_options *o, bool from_dir,
		struct vc_error *err)
{
	struct tree_priv *p = t->priv;
	enum vc_owner_policy owner = o ? o->owner : VC_OWNER_DEFAULT;
	int r;

	if (owner == VC_OWNER_DEFAULT)
		owner = from_dir ? VC_OWNER_ROOT : VC_OWNER_KEEP;
	r = number_nodes(t, p->n_nodes, err);
	if (r == 0)
		r = group_links(t, err);
	if (r < 0)
		return r;
	if (owner == VC_OWNER_ROOT)
		for (size_t i = 0; i < t->n_nodes; i++)
			t->nodes[i]->uid = t->nodes[i]->gid = 0;
	if (o && o->mtree_path) {
		bool added = false;
		r = tree_apply_mtree(t, o->mtree_path, &added, err);
		if (r == 0 && added) {
			free(t->nodes);
			t->nodes = NULL;
			r = number_nodes(t, p->n_nodes, err);
		}
		if (r < 0)
			return r;
	}
	count_links(t);
	for (size_t i = 0; i < t->n_nodes; i++) {
		struct vc_node *n = t->nodes[i];
		if (o && o->have_epoch && n->mtime > o->source_date_epoch) {
			n->mtime = o->source_date_epoch;
			n->mtime_nsec = 0;
		}
	}
	/* Members mirror the group's scalar metadata; xattrs, the symlink
	 * target and the content source stay with link_first. */
	for (size_t i = 0; i < t->n_nodes; i++) {
		struct vc_node *n = t->nodes[i], *f = n->link_first;
		if (f == n)
			continue;
		n->type = f->type;
		n->mode = f->mode;
		n->uid = f->uid;
		n->gid = f->gid;
		n->mtime = f->mtime;
		n->mtime_nsec = f->mtime_nsec;
		n->size = f->size;
		n->rdev_major = f->rdev_major;
		n->rdev_minor = f->rdev_minor;
		n->nlink = f->nlink;
	}
	return 0;
}

/* ---- public ---- */

int vc_tree_load(const char *path, enum vc_tree_source src, const struct vc_tree_options *o,
		 struct vc_tree **ret, struct vc_error *err)
{
	struct vc_tree *t = NULL;
	struct stat st;
	bool is_dir;
	int r;

	if (src == VC_TREE_AUTO) {
		if (strcmp(path, "-") != 0 && stat(path, &st) < 0)
			return vc_errorf_errno(err, VC_EIO, errno, "%s", path);
		src = strcmp(path, "-") != 0 && S_ISDIR(st.st_mode) ? VC_TREE_DIR : VC_TREE_ARCHIVE;
	}
	is_dir = src == VC_TREE_DIR;
	r = tree_new(path, &t, err);
	if (r < 0)
		return r;
	r = is_dir ? tree_load_dir(t, path, err) : tree_load_archive(t, path, o, err);
	if (r < 0)
		goto fail;
	r = tree_finish(t, o, is_dir, err);
	if (r < 0)
		goto fail;
	*ret = t;
	return 0;
fail:
	vc_tree_free(t);
	return r;
}

static void free_nodes(struct vc_node *cur)
{
	struct vc_node **stack = NULL;
	size_t sp = 0, cap = 0;

	while (cur) {
		for (size_t i = 0; i < cur->n_children; i++) {
			if (sp == cap) {
				cap = cap ? cap * 2 : 256;
				struct vc_node **s = realloc(stack, cap * sizeof(*s));
				if (!s)
					break; /* leak rather than crash */
				stack = s;
			}
			stack[sp++] = cur->children[i];
		}
		free(cur->children);
		free(cur->name);
		free(cur->target);
		free(cur->src_path);
		free(cur->src_mem);
		tree_clear_xattrs(cur);
		free(cur);
		cur = sp ? stack[--sp] : NULL;
	}
	free(stack);
}

static bool is_under(const struct vc_node *n, const struct vc_node *dir)
{
	for (; n->parent != n; n = n->parent)
		if (n->parent == dir)
			return true;
	return false;
}

int vc_tree_set_file(struct vc_tree *t, const char *path, const void *data, size_t len,
		     uint32_t mode, int64_t mtime, struct vc_error *err)
{
	const char *slash = strrchr(path, '/');
	char dir[VC_TREE_PATH_MAX + 2];
	struct vc_node *d, *n;
	uint8_t *copy;
	int r;

	if (path[0] != '/' || !slash[1] || strlen(path) > VC_TREE_PATH_MAX)
		return vc_errorf(err, VC_EINVAL, "%s: not an absolute file path", path);
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	d = dir[0] ? vc_tree_lookup(t, dir) : t->root;
	if (!d || d->type != VC_NODE_DIR)
		return vc_errorf(err, VC_EINVAL, "%s: no folder %s in the tree", path,
				 dir[0] ? dir : "/");
	copy = malloc(len ? len : 1);
	if (!copy)
		return vc_errorf(err, VC_ENOMEM, "out of memory");
	memcpy(copy, data, len);
	n = vc_tree_lookup_child(d, slash + 1, strlen(slash + 1));
	if (n && (n->type != VC_NODE_REG || n->nlink != 1)) {
		free(copy);
		return vc_errorf(err, VC_EINVAL, "%s: %s in the tree, not a plain file", path,
				 n->type == VC_NODE_REG ? "a hardlink" : "something else");
	}
	if (!n) {
		r = tree_add_child(t, d, slash + 1, strlen(slash + 1), &n, err);
		if (r < 0) {
			free(copy);
			return r;
		}
		n->type = VC_NODE_REG;
		n->mode = mode & 07777;
		n->uid = n->gid = 0;
		n->link_first = n;
		free(t->nodes);
		t->nodes = NULL;
		r = number_nodes(t, t->n_nodes + 1, err);
		if (r < 0) {
			free(copy);
			return r;
		}
		count_links(t);
	}
	free(n->src_mem);
	free(n->src_path);
	n->src_path = NULL;
	n->src_mem = copy;
	n->src_direct = false;
	n->size = len;
	n->mtime = mtime;
	n->mtime_nsec = 0;
	return 0;
}

int vc_tree_detach(struct vc_tree *t, struct vc_node *dir, struct vc_node **ret,
		   struct vc_error *err)
{
	struct tree_priv *p = t->priv;
	char a[VC_TREE_PATH_MAX + 2], b[VC_TREE_PATH_MAX + 2], c[VC_TREE_PATH_MAX + 2];
	size_t end = dir->index + 1;
	struct vc_node *h, **d;

	if (dir->type != VC_NODE_DIR || dir == t->root)
		return vc_errorf(err, VC_EINVAL, "%s: not a folder below the root",
				 vc_tree_path(dir, a, sizeof(a)));
	while (end < t->n_nodes && is_under(t->nodes[end], dir))
		end++;
	/* a hardlink group may not cross the boundary: one inode, two file systems */
	for (size_t i = 0; i < t->n_nodes; i++) {
		const struct vc_node *n = t->nodes[i], *f = n->link_first;
		bool in = i > dir->index && i<end, fin = f->index> dir->index && f->index < end;
		if (in != fin)
			return vc_errorf(err, VC_EINVAL,
					 "%s and %s are hardlinks of one file, on both sides of "
					 "the mount point %s",
					 vc_tree_path(n, a, sizeof(a)),
					 vc_tree_path(f, b, sizeof(b)),
					 vc_tree_path(dir, c, sizeof(c)));
	}
	d = realloc(p->detached, (p->n_detached + 1) * sizeof(*d));
	if (!d)
		return vc_errorf(err, VC_ENOMEM, "out of memory");
	p->detached = d;
	h = calloc(1, sizeof(*h));
	if (!h || !(h->name = strdup(""))) {
		free(h);
		return vc_errorf(err, VC_ENOMEM, "out of memory");
	}
	h->parent = h;
	h->link_first = h;
	h->type = VC_NODE_DIR;
	h->mode = dir->mode;
	h->uid = dir->uid;
	h->gid = dir->gid;
	h->mtime = dir->mtime;
	h->mtime_nsec = dir->mtime_nsec;
	h->children = dir->children;
	h->n_children = dir->n_children;
	for (size_t i = 0; i < h->n_children; i++)
		h->children[i]->parent = h;
	dir->children = NULL;
	dir->n_children = 0;
	p->detached[p->n_detached++] = h;
	/* renumber what stays */
	size_t n = t->n_nodes - (end - dir->index - 1);
	free(t->nodes);
	t->nodes = NULL;
	int r = number_nodes(t, n, err);
	if (r < 0)
		return r;
	count_links(t);
	/* the detached part, numbered on its own (its nodes' index is local) */
	h->nlink = 2;
	for (size_t i = 0; i < h->n_children; i++)
		h->nlink += h->children[i]->type == VC_NODE_DIR;
	*ret = h;
	return 0;
}

void vc_tree_free(struct vc_tree *t)
{
	struct tree_priv *p;

	if (!t)
		return;
	p = t->priv;
	/* Free by walking the hierarchy (nodes[] may not exist after a failure). */
	free_nodes(t->root);
	for (size_t i = 0; p && i < p->n_detached; i++)
		free_nodes(p->detached[i]);
	if (p) {
		if (p->spool_fd >= 0)
			close(p->spool_fd);
		if (p->archive_fd >= 0)
			close(p->archive_fd);
		free(p->root_path);
		free(p->map);
		free(p->links);
		free(p->detached);
		free(p);
	}
	free(t->nodes);
	free(t);
}

int vc_tree_open(const struct vc_tree *t, const struct vc_node *n, uint64_t *ret_off,
		 struct vc_error *err)
{
	const struct tree_priv *p = t->priv;
	char pathbuf[VC_TREE_PATH_MAX + 2];
	char *full;
	int fd;

	n = n->link_first;
	if (n->type != VC_NODE_REG)
		return vc_errorf(err, VC_EINVAL, "%s: not a regular file",
				 vc_tree_path(n, pathbuf, sizeof(pathbuf)));
	if (n->src_mem) {
		/* a file the composer wrote: a sealed memory file holding it */
		fd = memfd_create("vcompose-tree", MFD_CLOEXEC);
		if (fd < 0)
			return vc_errorf_errno(err, VC_EIO, errno, "%s: memfd",
					       vc_tree_path(n, pathbuf, sizeof(pathbuf)));
		for (uint64_t o = 0; o < n->size;) {
			ssize_t k = pwrite(fd, n->src_mem + o, n->size - o, (off_t)o);
			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0) {
				close(fd);
				return vc_errorf_errno(err, VC_EIO, errno, "memfd");
			}
			o += (uint64_t)k;
		}
		*ret_off = 0;
		return fd;
	}
	if (p->spool_fd >= 0) {
		*ret_off = n->src_off;
		return n->src_direct ? p->archive_fd : p->spool_fd;
	}
	if (asprintf(&full, "%s/%s", p->root_path, n->src_path) < 0)
		return vc_errorf(err, VC_ENOMEM, "out of memory");
	/* O_NONBLOCK: a file swapped for a FIFO since the walk must not hang */
	fd = open(full, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		fd = vc_errorf_errno(err, VC_EIO, errno, "%s", full);
	} else {
		/* the plan was made for the size seen when the tree was read */
		struct stat st;

		if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != n->size) {
			close(fd);
			fd = vc_errorf(
			    err, VC_EIO,
			    "%s: changed since the tree was read (%llu bytes then, %lld now)", full,
			    (unsigned long long)n->size, (long long)st.st_size);
		}
	}
	free(full);
	*ret_off = 0;
	return fd;
}

void vc_tree_close(const struct vc_tree *t, int fd)
{
	const struct tree_priv *p = t->priv;

	if (fd >= 0 && fd != p->spool_fd && fd != p->archive_fd)
		close(fd);
}

int vc_tree_read(const struct vc_tree *t, const struct vc_node *n, uint64_t off, void *buf,
		 size_t len, struct vc_error *err)
{
	char pathbuf[VC_TREE_PATH_MAX + 2];
	uint8_t *dst = buf;
	uint64_t base;
	int fd, r = 0;

	n = n->link_first;
	if (n->type == VC_NODE_REG && (off > n->size || len > n->size - off))
		return vc_errorf(err, VC_ERANGE,
				 "%s: read of %zu bytes at %llu beyond its %llu bytes",
				 vc_tree_path(n, pathbuf, sizeof(pathbuf)), len,
				 (unsigned long long)off, (unsigned long long)n->size);
	fd = vc_tree_open(t, n, &base, err);
	if (fd < 0)
		return fd;
	off += base;
	while (len > 0) {
		ssize_t k = pread(fd, dst, len, (off_t)off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			r = k < 0 ? vc_errorf_errno(err, VC_EIO, errno, "%s: read",
						    vc_tree_path(n, pathbuf, sizeof(pathbuf)))
				  : vc_errorf(err, VC_EIO, "%s: file shrank while being read",
					      vc_tree_path(n, pathbuf, sizeof(pathbuf)));
			break;
		}
		dst += k;
		len -= (size_t)k;
		off += (uint64_t)k;
	}
	vc_tree_close(t, fd);
	return r;
}

int vc_tree_read_cb(void *tree, const struct vc_node *n, uint64_t off, void *buf, size_t len,
		    struct vc_error *err)
{
	return vc_tree_read(tree, n, off, buf, len, err);
}

int vc_tree_open_cb(void *tree, const struct vc_node *n, uint64_t *ret_off, struct vc_error *err)
{
	return vc_tree_open(tree, n, ret_off, err);
}

void vc_tree_close_cb(void *tree, int fd)
{
	vc_tree_close(tree, fd);
}

char *vc_tree_path(const struct vc_node *n, char *buf, size_t cap)
{
	size_t pos = cap - 1;

	if (cap < 2) {
		if (cap)
			buf[0] = '\0';
		return buf;
	}
	buf[pos] = '\0';
	if (n->parent == n) {
		buf[0] = '/';
		buf[1] = '\0';
		return buf;
	}
	while (n->parent != n) {
		if (n->name_len + 1 > pos) {
			/* too long for buf: keep the tail, mark the cut */
			memcpy(buf, "...", pos < 3 ? pos : 3);
			return buf;
		}
		pos -= n->name_len;
		memcpy(buf + pos, n->name, n->name_len);
		buf[--pos] = '/';
		n = n->parent;
	}
	memmove(buf, buf + pos, cap - pos);
	return buf;
}

struct vc_node *vc_tree_lookup_child(const struct vc_node *dir, const char *name, size_t len)
{
	size_t lo = 0, hi = dir->n_children;

	/* children are sorted by name bytes: binary search */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		struct vc_node *c = dir->children[mid];
		size_t m = c->name_len < len ? c->name_len : len;
		int d = memcmp(c->name, name, m);
		if (d == 0)
			d = c->name_len < len ? -1 : c->name_len > len;
		if (d == 0)
			return c;
		if (d < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

struct vc_node *vc_tree_lookup(const struct vc_tree *t, const char *path)
{
	struct vc_node *cur = t->root;
	const char *s = path;

	for (;;) {
		while (*s == '/')
			s++;
		if (!*s)
			return cur;
		const char *e = strchr(s, '/');
		size_t len = e ? (size_t)(e - s) : strlen(s);
		struct vc_node *next = NULL;
		if (cur->type != VC_NODE_DIR)
			return NULL;
		next = vc_tree_lookup_child(cur, s, len);
		if (!next)
			return NULL;
		cur = next;
		s += len;
	}
}

struct vc_node *vc_tree_resolve(const struct vc_tree *t, const char *path)
{
	char buf[2 * VC_TREE_PATH_MAX + 4];
	struct vc_node *cur = t->root;
	int hops = 0;
	size_t len = strlen(path);

	if (len >= sizeof(buf))
		return NULL;
	memcpy(buf, path, len + 1);
	char *s = buf;
	for (;;) {
		while (*s == '/')
			s++;
		if (!*s)
			return cur;
		char *e = strchr(s, '/');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		struct vc_node *next;
		if (cur->type != VC_NODE_DIR)
			return NULL;
		if (n == 1 && s[0] == '.') {
			s += n;
			continue;
		}
		if (n == 2 && s[0] == '.' && s[1] == '.') {
			cur = cur->parent;
			s += n;
			continue;
		}
		char save = s[n];
		s[n] = '\0';
		next = vc_tree_lookup_child(cur, s, n);
		s[n] = save;
		if (!next)
			return NULL;
		if (next->type == VC_NODE_SYMLINK) {
			const char *target = next->link_first->target;
			size_t tl = strlen(target), rest = strlen(s + n);
			if (++hops > 40 || tl + 1 + rest + 1 > sizeof(buf))
				return NULL;
			/* replace the component with the target, keep the rest */
			char tmp[sizeof(buf)];
			memcpy(tmp, target, tl);
			tmp[tl] = '/';
			memcpy(tmp + tl + 1, s + n, rest + 1);
			memcpy(buf, tmp, tl + 1 + rest + 1);
			s = buf;
			if (target[0] == '/')
				cur = t->root;
			continue;
		}
		cur = next;
		s += n;
	}
}

/* ---- dump ---- */

int tree_escape(const char *s, size_t n, struct vc_buf *out, struct vc_error *err)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		int r;
		if (c > 0x20 && c < 0x7f && c != '\\')
			r = vc_buf_append(out, &c, 1, err);
		else
			r = vc_buf_appendf(out, err, "\\%03o", c);
		if (r < 0)
			return r;
	}
	return 0;
}

static const char *type_name(enum vc_node_type t)
{
	static const char *names[] = {"file", "dir", "link", "char", "block", "fifo", "socket"};
	return names[t];
}

#define DUMP_CHUNK (1u << 20)

/* SHA-256 of a file's content, read through buf (DUMP_CHUNK bytes). */
static int content_sha256(const struct vc_tree *t, const struct vc_node *n, uint8_t *buf,
			  char hex[65], struct vc_error *err)
{
	struct vc_sha256 c;
	uint8_t d[32];

	vc_sha256_init(&c);
	for (uint64_t off = 0; off < n->size; off += DUMP_CHUNK) {
		size_t len = n->size - off < DUMP_CHUNK ? (size_t)(n->size - off) : DUMP_CHUNK;
		int r = vc_tree_read(t, n, off, buf, len, err);
		if (r < 0)
			return r;
		vc_sha256_update(&c, buf, len);
	}
	vc_sha256_final(&c, d);
	vc_hex_encode(d, 32, hex);
	return 0;
}

/* Past this size a file's content is digested in its sparse form. */
#define DUMP_FLAT_MAX (UINT64_C(1) << 30)
#define DUMP_BLOCK    4096u

/* sparse_sha256: SHA-256 over, for every 4 KiB block of the content that is
 * not all zeros, its index (le64) and its bytes (the last block may be
 * short), then the size (le64). Holes of the spool or of the folder's file
 * (SEEK_DATA/SEEK_HOLE: where libarchive's sparse map or the file system
 * left them) are skipped without reading; written zero blocks count the
 * same as holes, so the digest depends on the content alone, and a 1 TiB
 * file of 10 KiB data takes milliseconds, not the minutes a flat SHA-256 of
 * its zeros would. */
static int content_sparse_sha256(const struct vc_tree *t, const struct vc_node *n, uint8_t *buf,
				 char hex[65], struct vc_error *err)
{
	static const uint8_t zero[DUMP_BLOCK];
	struct vc_sha256 c;
	uint8_t d[32], le[8];
	uint64_t base, pos = 0;
	int r = 0, fd = vc_tree_open(t, n, &base, err);

	if (fd < 0)
		return fd;
	vc_sha256_init(&c);
	while (pos < n->size) {
		/* the next data at or after pos, to the hole after it */
		uint64_t ds = pos, de = n->size;
		off_t q = lseek(fd, (off_t)(base + pos), SEEK_DATA);
		if (q < 0 && errno == ENXIO)
			break; /* a hole to the end */
		if (q >= 0) {
			ds = (uint64_t)q - base;
			if (ds >= n->size)
				break;
			ds = ds / DUMP_BLOCK * DUMP_BLOCK;
			if (ds < pos)
				ds = pos;
			q = lseek(fd, (off_t)(base + ds), SEEK_HOLE);
			if (q >= 0 && (uint64_t)q - base < n->size)
				de = VC_ROUND_UP((uint64_t)q - base, DUMP_BLOCK);
			if (de > n->size)
				de = n->size;
		}
		for (uint64_t off = ds; off < de; off += DUMP_CHUNK) {
			size_t len = de - off < DUMP_CHUNK ? (size_t)(de - off) : DUMP_CHUNK;
			r = vc_tree_read(t, n, off, buf, len, err);
			if (r < 0)
				goto out;
			for (size_t b = 0; b < len; b += DUMP_BLOCK) {
				size_t k = len - b < DUMP_BLOCK ? len - b : DUMP_BLOCK;
				if (memcmp(buf + b, zero, k) == 0)
					continue;
				vc_put_le64(le, (off + b) / DUMP_BLOCK);
				vc_sha256_update(&c, le, 8);
				vc_sha256_update(&c, buf + b, k);
			}
		}
		pos = de;
	}
	vc_put_le64(le, n->size);
	vc_sha256_update(&c, le, 8);
	vc_sha256_final(&c, d);
	vc_hex_encode(d, 32, hex);
out:
	vc_tree_close(t, fd);
	return r;
}

int vc_tree_dump(const struct vc_tree *t, FILE *out, struct vc_error *err)
{
	struct vc_buf line = {0};
	char pathbuf[VC_TREE_PATH_MAX + 2];
	uint8_t *buf = malloc(DUMP_CHUNK);
	int r = 0;

	if (!buf)
		return vc_errorf(err, VC_ENOMEM, "out of memory");

	for (size_t i = 0; i < t->n_nodes; i++) {
		const struct vc_node *n = t->nodes[i];
		const struct vc_node *f = n->link_first;
		char hex[65];

		line.len = 0;
		vc_tree_path(n, pathbuf, sizeof(pathbuf));
		if ((r = tree_escape(pathbuf, strlen(pathbuf), &line, err)) < 0 ||
		    (r = vc_buf_appendf(&line, err,
					" type=%s mode=%04o uid=%u gid=%u mtime=%lld.%09u",
					type_name(f->type), f->mode, f->uid, f->gid,
					(long long)f->mtime, f->mtime_nsec)) < 0)
			goto out;
		if (f->type == VC_NODE_REG) {
			bool sparse = f->size > DUMP_FLAT_MAX;
			if ((r = sparse ? content_sparse_sha256(t, f, buf, hex, err)
					: content_sha256(t, f, buf, hex, err)) < 0 ||
			    (r = vc_buf_appendf(&line, err, " size=%llu %s=%s",
						(unsigned long long)f->size,
						sparse ? "sparse_sha256" : "sha256", hex)) < 0)
				goto out;
		}
		if (f->type == VC_NODE_SYMLINK) {
			if ((r = vc_buf_appendf(&line, err, " target=")) < 0 ||
			    (r = tree_escape(f->target, f->size, &line, err)) < 0)
				goto out;
		}
		if ((f->type == VC_NODE_CHR || f->type == VC_NODE_BLK) &&
		    (r = vc_buf_appendf(&line, err, " rdev=%u,%u", f->rdev_major, f->rdev_minor)) <
			0)
			goto out;
		if ((r = vc_buf_appendf(&line, err, " nlink=%u", n->nlink)) < 0)
			goto out;
		if (n->link_group &&
		    (r = vc_buf_appendf(&line, err, " hardlink=%u", n->link_group)) < 0)
			goto out;
		for (size_t k = 0; k < f->n_xattrs; k++) {
			const struct vc_xattr *x = &f->xattrs[k];
			char *h = malloc(2 * x->value_len + 1);
			if (!h) {
				r = vc_errorf(err, VC_ENOMEM, "out of memory");
				goto out;
			}
			vc_hex_encode(x->value, x->value_len, h);
			r = vc_buf_appendf(&line, err, " xattr.");
			if (r == 0)
				r = tree_escape(x->name, strlen(x->name), &line, err);
			if (r == 0)
				r = vc_buf_appendf(&line, err, "=%s", h);
			free(h);
			if (r < 0)
				goto out;
		}
		if ((r = vc_buf_append(&line, "\n", 1, err)) < 0)
			goto out;
		if (fwrite(line.data, 1, line.len, out) != line.len) {
			r = vc_errorf_errno(err, VC_EIO, errno, "writing the dump");
			goto out;
		}
	}
out:
	vc_buf_fini(&line);
	free(buf);
	return r;
}
