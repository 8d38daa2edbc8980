/* SPDX-License-Identifier: MIT */
/* Writes a tree out as a folder, for tools that need one (dracut's sysroot
 * when the tree came from an archive), as an unprivileged user: folders,
 * regular files, symlinks and hardlinks; devices, fifos and sockets are left
 * out; modes are kept but the owner can always read (and enter and write
 * folders); ownership is not (a non-root user cannot chown). Modification
 * times are the tree's (clamped to SOURCE_DATE_EPOCH when it is set): tools
 * copy them (dracut --reproducible keeps those older than its own files),
 * so the extraction time must not show. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tree_priv.h"

/* atime and mtime, both the node's mtime */
static const struct timespec *times_of(const struct vc_node *n, struct timespec ts[2])
{
	ts[0].tv_sec = (time_t)n->mtime;
	ts[0].tv_nsec = (long)n->mtime_nsec;
	ts[1] = ts[0];
	return ts;
}

static int copy_file(const struct vc_tree *t, const struct vc_node *n, const char *path,
		     uint8_t *buf, size_t cap, struct vc_error *err)
{
	struct timespec ts[2];
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	int r = 0;

	if (fd < 0)
		return vc_errorf_errno(err, VC_EIO, errno, "%s", path);
	for (uint64_t off = 0; off < n->size && r == 0; off += cap) {
		size_t len = n->size - off < cap ? (size_t)(n->size - off) : cap;
		r = vc_tree_read(t, n, off, buf, len, err);
		for (size_t done = 0; r == 0 && done < len;) {
			ssize_t k = pwrite(fd, buf + done, len - done, (off_t)(off + done));
			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0)
				r = vc_errorf_errno(err, VC_EIO, errno, "%s", path);
			else
				done += (size_t)k;
		}
	}
	if (r == 0 && fchmod(fd, (n->mode & 07777) | 0400) < 0)
		r = vc_errorf_errno(err, VC_EIO, errno, "%s: chmod", path);
	if (r == 0 && futimens(fd, times_of(n, ts)) < 0)
		r = vc_errorf_errno(err, VC_EIO, errno, "%s: set times", path);
	if (close(fd) < 0 && r == 0)
		r = vc_errorf_errno(err, VC_EIO, errno, "%s", path);
	return r;
}

/* The nodes below top (top excluded) in pre-order, children in name order. */
static int subtree(const struct vc_node *top, const struct vc_node ***ret, size_t *ret_n,
		   struct vc_error *err)
{
	const struct vc_node **out = NULL, **stack = NULL;
	size_t n = 0, cap = 0, sp = 0, scap = 0;

	for (const struct vc_node *cur = top;;) {
		if (cur != top) {
			if (n == cap) {
				cap = cap ? 2 * cap : 256;
				const struct vc_node **o = realloc(out, cap * sizeof(*o));
				if (!o)
					goto oom;
				out = o;
			}
			out[n++] = cur;
		}
		for (size_t i = cur->n_children; i > 0; i--) {
			if (sp == scap) {
				scap = scap ? 2 * scap : 256;
				const struct vc_node **s = realloc(stack, scap * sizeof(*s));
				if (!s)
					goto oom;
				stack = s;
			}
			stack[sp++] = cur->children[i - 1];
		}
		if (!sp)
			break;
		cur = stack[--sp];
	}
	free(stack);
	*ret = out;
	*ret_n = n;
	return 0;
oom:
	free(out);
	free(stack);
	return vc_errorf(err, VC_ENOMEM, "out of memory");
}

/* path of n relative to top, "/a/b" */
static void rel_path(const struct vc_node *top, const struct vc_node *n, char *buf, size_t cap)
{
	char full[VC_TREE_PATH_MAX + 2], base[VC_TREE_PATH_MAX + 2];
	size_t bl;

	vc_tree_path(n, full, sizeof(full));
	vc_tree_path(top, base, sizeof(base));
	bl = strcmp(base, "/") ? strlen(base) : 0;
	snprintf(buf, cap, "%s", full + bl);
}

int vc_tree_extract_node(const struct vc_tree *t, const struct vc_node *top, const char *dir,
			 struct vc_error *err)
{
	const size_t cap = 1 << 20;
	uint8_t *buf = malloc(cap);
	char rel[VC_TREE_PATH_MAX + 2];
	char *path = NULL, *first = NULL;
	const struct vc_node **nodes = NULL;
	size_t n_nodes = 0;
	struct timespec ts[2];
	int r = 0;

	if (!buf)
		return vc_errorf(err, VC_ENOMEM, "out of memory");
	r = subtree(top, &nodes, &n_nodes, err);
	for (size_t i = 0; i < n_nodes && r == 0; i++) {
		const struct vc_node *n = nodes[i];
		rel_path(top, n, rel, sizeof(rel));
		free(path);
		if (asprintf(&path, "%s%s", dir, rel) < 0) {
			path = NULL;
			r = vc_errorf(err, VC_ENOMEM, "out of memory");
			break;
		}
		if (n->link_first != n) {
			rel_path(top, n->link_first, rel, sizeof(rel));
			free(first);
			if (asprintf(&first, "%s%s", dir, rel) < 0) {
				first = NULL;
				r = vc_errorf(err, VC_ENOMEM, "out of memory");
				break;
			}
			if (n->type == VC_NODE_REG || n->type == VC_NODE_SYMLINK) {
				if (link(first, path) < 0)
					r = vc_errorf_errno(err, VC_EIO, errno, "%s", path);
			}
			continue;
		}
		switch (n->type) {
		case VC_NODE_DIR:
			if (mkdir(path, 0700) < 0)
				r = vc_errorf_errno(err, VC_EIO, errno, "%s", path);
			break;
		case VC_NODE_REG: r = copy_file(t, n, path, buf, cap, err); break;
		case VC_NODE_SYMLINK:
			if (symlink(n->target, path) < 0)
				r = vc_errorf_errno(err, VC_EIO, errno, "%s", path);
			else if (utimensat(AT_FDCWD, path, times_of(n, ts), AT_SYMLINK_NOFOLLOW) <
				 0)
				r = vc_errorf_errno(err, VC_EIO, errno, "%s: set times", path);
			break;
		default: break; /* devices, fifos, sockets: not needed by tools */
		}
	}
	/* Folder modes last, children before parents, keeping u+rwx. */
	for (size_t i = n_nodes; r == 0 && i-- > 0;) {
		const struct vc_node *n = nodes[i];
		if (n->type != VC_NODE_DIR)
			continue;
		rel_path(top, n, rel, sizeof(rel));
		free(path);
		if (asprintf(&path, "%s%s", dir, rel) < 0) {
			path = NULL;
			r = vc_errorf(err, VC_ENOMEM, "out of memory");
			break;
		}
		if (chmod(path, (n->mode & 07777) | 0700) < 0)
			r = vc_errorf_errno(err, VC_EIO, errno, "%s: chmod", path);
		else if (utimensat(AT_FDCWD, path, times_of(n, ts), 0) < 0)
			r = vc_errorf_errno(err, VC_EIO, errno, "%s: set times", path);
	}
	free(nodes);
	free(path);
	free(first);
	free(buf);
	return r;
}

int vc_tree_extract(const struct vc_tree *t, const char *dir, struct vc_error *err)
{
	return vc_tree_extract_node(t, t->root, dir, err);
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		return rmdir(path) < 0 && errno != ENOENT ? -1 : 0;
	return unlink(path) < 0 && errno != ENOENT ? -1 : 0;
}

int vc_tree_remove(const char *dir, struct vc_error *err)
{
	if (nftw(dir, remove_one, 64, FTW_DEPTH | FTW_PHYS) < 0 && errno != ENOENT)
		return vc_errorf_errno(err, VC_EIO, errno, "%s: cannot remove", dir);
	return 0;
}
