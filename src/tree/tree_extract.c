/* SPDX-License-Identifier: MIT */
/* Writes a tree out as a folder, for tools that need one (dracut's sysroot
 * when the tree came from an archive), as an unprivileged user: folders,
 * regular files, symlinks and hardlinks; devices, fifos and sockets are left
 * out; modes are kept but the owner can always read (and enter and write
 * folders); ownership is not (a non-root user cannot chown). */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tree_priv.h"

static int copy_file(const struct vc_tree *t, const struct vc_node *n, const char *path,
		     uint8_t *buf, size_t cap, struct vc_error *err)
{
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
	if (close(fd) < 0 && r == 0)
		r = vc_errorf_errno(err, VC_EIO, errno, "%s", path);
	return r;
}

int vc_tree_extract(const struct vc_tree *t, const char *dir, struct vc_error *err)
{
	const size_t cap = 1 << 20;
	uint8_t *buf = malloc(cap);
	char rel[VC_TREE_PATH_MAX + 2];
	char *path = NULL, *first = NULL;
	int r = 0;

	if (!buf)
		return vc_errorf(err, VC_ENOMEM, "out of memory");
	for (size_t i = 1; i < t->n_nodes && r == 0; i++) {
		const struct vc_node *n = t->nodes[i];
		vc_tree_path(n, rel, sizeof(rel));
		free(path);
		if (asprintf(&path, "%s%s", dir, rel) < 0) {
			path = NULL;
			r = vc_errorf(err, VC_ENOMEM, "out of memory");
			break;
		}
		if (n->link_first != n) {
			vc_tree_path(n->link_first, rel, sizeof(rel));
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
			break;
		default: break; /* devices, fifos, sockets: not needed by tools */
		}
	}
	/* Folder modes last, children before parents, keeping u+rwx. */
	for (size_t i = t->n_nodes; r == 0 && i-- > 1;) {
		const struct vc_node *n = t->nodes[i];
		if (n->type != VC_NODE_DIR)
			continue;
		vc_tree_path(n, rel, sizeof(rel));
		free(path);
		if (asprintf(&path, "%s%s", dir, rel) < 0) {
			path = NULL;
			r = vc_errorf(err, VC_ENOMEM, "out of memory");
			break;
		}
		if (chmod(path, (n->mode & 07777) | 0700) < 0)
			r = vc_errorf_errno(err, VC_EIO, errno, "%s: chmod", path);
	}
	free(path);
	free(first);
	free(buf);
	return r;
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
