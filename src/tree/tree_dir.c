/* SPDX-License-Identifier: MIT */
/* The folder reader: lstat, never follow symlinks, llistxattr. Contents are
 * not read here; vc_tree_read() opens the file when a writer asks. The order
 * readdir returns carries no meaning: tree_finish() sorts. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "tree_priv.h"

static int read_xattrs(struct vc_node *n, const char *full, struct vc_error *err)
{
	ssize_t len = llistxattr(full, NULL, 0);
	char *names = NULL;
	uint8_t *val = NULL;
	int r = 0;

	if (len < 0) {
		if (errno == ENOTSUP || errno == ENOSYS)
			return 0;
		return vc_errorf_errno(err, VC_EIO, errno, "%s: list xattrs", full);
	}
	if (len == 0)
		return 0;
	names = malloc((size_t)len);
	if (!names)
		return vc_errorf(err, VC_ENOMEM, "out of memory");
	len = llistxattr(full, names, (size_t)len);
	if (len < 0) {
		r = vc_errorf_errno(err, VC_EIO, errno, "%s: list xattrs", full);
		goto out;
	}
	for (char *nm = names; nm < names + len; nm += strlen(nm) + 1) {
		if (!tree_keep_xattr(nm))
			continue;
		ssize_t vl = lgetxattr(full, nm, NULL, 0);
		if (vl < 0) {
			if (errno == ENODATA || errno == EPERM || errno == EACCES)
				continue; /* vanished, or a namespace we may not read */
			r = vc_errorf_errno(err, VC_EIO, errno, "%s: xattr %s", full, nm);
			goto out;
		}
		free(val);
		val = malloc((size_t)vl + 1);
		if (!val) {
			r = vc_errorf(err, VC_ENOMEM, "out of memory");
			goto out;
		}
		vl = lgetxattr(full, nm, val, (size_t)vl);
		if (vl < 0) {
			r = vc_errorf_errno(err, VC_EIO, errno, "%s: xattr %s", full, nm);
			goto out;
		}
		r = tree_set_xattr(n, nm, val, (size_t)vl, err);
		if (r < 0)
			goto out;
	}
out:
	free(names);
	free(val);
	return r;
}

static int find_link(struct tree_priv *p, const struct stat *st, struct vc_node **ret)
{
	for (size_t i = 0; i < p->n_links; i++) {
		if (p->links[i].dev == (uint64_t)st->st_dev &&
		    p->links[i].ino == (uint64_t)st->st_ino) {
			*ret = p->links[i].node;
			return 1;
		}
	}
	return 0;
}

static int add_link(struct tree_priv *p, const struct stat *st, struct vc_node *n,
		    struct vc_error *err)
{
	if (p->n_links == p->cap_links) {
		size_t cap = p->cap_links ? p->cap_links * 2 : 64;
		struct link_key *l = realloc(p->links, cap * sizeof(*l));
		if (!l)
			return vc_errorf(err, VC_ENOMEM, "out of memory");
		p->links = l;
		p->cap_links = cap;
	}
	p->links[p->n_links++] = (struct link_key){(uint64_t)st->st_dev, (uint64_t)st->st_ino, n};
	return 0;
}

/* Fills n from st and the host path; rel is the path below the root. */
static int fill_node(struct vc_tree *t, struct vc_node *n, const struct stat *st, const char *full,
		     const char *rel, struct vc_error *err)
{
	struct tree_priv *p = t->priv;

	n->mode = st->st_mode & 07777;
	n->uid = st->st_uid;
	n->gid = st->st_gid;
	n->mtime = st->st_mtim.tv_sec;
	n->mtime_nsec = (uint32_t)st->st_mtim.tv_nsec;
	switch (st->st_mode & S_IFMT) {
	case S_IFREG:
		n->type = VC_NODE_REG;
		n->size = (uint64_t)st->st_size;
		n->src_path = strdup(rel);
		if (!n->src_path)
			return vc_errorf(err, VC_ENOMEM, "out of memory");
		break;
	case S_IFDIR: n->type = VC_NODE_DIR; break;
	case S_IFLNK: {
		if (st->st_size > VC_TREE_SYMLINK_MAX)
			return vc_errorf(err, VC_EINVAL,
					 "%s: symlink target of %lld bytes, at most %d", full,
					 (long long)st->st_size, VC_TREE_SYMLINK_MAX);
		char *target = calloc(1, VC_TREE_SYMLINK_MAX + 2);
		if (!target)
			return vc_errorf(err, VC_ENOMEM, "out of memory");
		ssize_t len = readlink(full, target, VC_TREE_SYMLINK_MAX + 1);
		if (len < 0) {
			free(target);
			return vc_errorf_errno(err, VC_EIO, errno, "%s: readlink", full);
		}
		if (len == 0 || len > VC_TREE_SYMLINK_MAX) {
			free(target);
			return vc_errorf(err, VC_EINVAL, "%s: symlink target empty or too long",
					 full);
		}
		n->type = VC_NODE_SYMLINK;
		n->target = target;
		n->size = (uint64_t)len;
		break;
	}
	case S_IFCHR:
	case S_IFBLK:
		n->type = S_ISCHR(st->st_mode) ? VC_NODE_CHR : VC_NODE_BLK;
		n->rdev_major = major(st->st_rdev);
		n->rdev_minor = minor(st->st_rdev);
		break;
	case S_IFIFO: n->type = VC_NODE_FIFO; break;
	case S_IFSOCK: n->type = VC_NODE_SOCK; break;
	default:
		return vc_errorf(err, VC_EINVAL, "%s: unknown file type %#o", full,
				 (unsigned)(st->st_mode & S_IFMT));
	}
	(void)p;
	return read_xattrs(n, full, err);
}

struct walk {
	struct vc_tree *t;
	char full[VC_TREE_PATH_MAX + 4096];
	size_t root_len;
};

static int walk_dir(struct walk *w, struct vc_node *dir, size_t full_len, int depth,
		    struct vc_error *err)
{
	struct tree_priv *p = w->t->priv;
	DIR *d;
	int r = 0;

	if (depth > VC_TREE_DEPTH_MAX)
		return vc_errorf(err, VC_ERANGE, "%s: folders nested deeper than %d", w->full,
				 VC_TREE_DEPTH_MAX);
	d = opendir(w->full);
	if (!d)
		return vc_errorf_errno(err, VC_EIO, errno, "%s", w->full);
	for (;;) {
		errno = 0;
		struct dirent *e = readdir(d);
		if (!e) {
			if (errno)
				r = vc_errorf_errno(err, VC_EIO, errno, "%s: readdir", w->full);
			break;
		}
		const char *name = e->d_name;
		size_t len = strlen(name);
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		if (len > VC_TREE_NAME_MAX || full_len + 1 + len >= sizeof(w->full) ||
		    full_len - w->root_len + 1 + len > VC_TREE_PATH_MAX) {
			r = vc_errorf(err, VC_EINVAL, "%s/%s: path too long", w->full, name);
			break;
		}
		w->full[full_len] = '/';
		memcpy(w->full + full_len + 1, name, len + 1);
		struct stat st;
		if (lstat(w->full, &st) < 0) {
			r = vc_errorf_errno(err, VC_EIO, errno, "%s", w->full);
			break;
		}
		struct vc_node *n;
		r = tree_add_child(w->t, dir, name, len, &n, err);
		if (r < 0) {
			vc_error_prefix(err, "%s", w->full);
			break;
		}
		struct vc_node *orig;
		if (!S_ISDIR(st.st_mode) && st.st_nlink > 1 && find_link(p, &st, &orig)) {
			n->link_first = orig; /* metadata stays with orig; grouped later */
		} else {
			const char *rel = w->full + w->root_len + 1;
			r = fill_node(w->t, n, &st, w->full, rel, err);
			if (r == 0 && !S_ISDIR(st.st_mode) && st.st_nlink > 1)
				r = add_link(p, &st, n, err);
			if (r == 0 && S_ISDIR(st.st_mode))
				r = walk_dir(w, n, full_len + 1 + len, depth + 1, err);
			if (r < 0)
				break;
		}
		w->full[full_len] = '\0';
	}
	w->full[full_len] = '\0';
	closedir(d);
	return r;
}

int tree_load_dir(struct vc_tree *t, const char *path, struct vc_error *err)
{
	struct tree_priv *p = t->priv;
	struct walk *w = calloc(1, sizeof(*w));
	struct stat st;
	int r;

	if (!w)
		return vc_errorf(err, VC_ENOMEM, "out of memory");
	size_t len = strlen(path);
	while (len > 1 && path[len - 1] == '/')
		len--;
	if (len >= sizeof(w->full) - VC_TREE_PATH_MAX - 2) {
		free(w);
		return vc_errorf(err, VC_EINVAL, "%s: path too long", path);
	}
	memcpy(w->full, path, len);
	w->full[len] = '\0';
	w->root_len = len;
	w->t = t;
	p->root_path = strdup(w->full);
	if (!p->root_path) {
		free(w);
		return vc_errorf(err, VC_ENOMEM, "out of memory");
	}
	/* The root itself may be reached through a symlink the user named. */
	if (stat(w->full, &st) < 0) {
		r = vc_errorf_errno(err, VC_EIO, errno, "%s", w->full);
		goto out;
	}
	if (!S_ISDIR(st.st_mode)) {
		r = vc_errorf(err, VC_EINVAL, "%s: not a folder", w->full);
		goto out;
	}
	r = fill_node(t, t->root, &st, w->full, "", err);
	if (r == 0)
		r = walk_dir(w, t->root, len, 0, err);
out:
	free(w);
	return r;
}
