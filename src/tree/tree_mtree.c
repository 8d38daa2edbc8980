/* SPDX-License-Identifier: MIT */
/* The mtree overlay, read with libarchive's mtree reader: how a user without
 * root says "this file is setuid root" or "the image has /dev/console".
 *
 * Each entry is a complete specification, as `mtree -c` and
 * `bsdtar --format=mtree` write them: type= is required (libarchive cannot
 * tell us which other keywords a line had, and fills absent ones with 0), and
 * the entry's mode, uid and gid replace the node's; its time replaces the
 * mtime when given. A listed folder, device, fifo or symlink missing from the
 * tree is added; a listed regular file must exist (the overlay has no
 * contents). Applied after the ownership policy, before nothing else, so
 * its word is final (mtimes are clamped again here). */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "tree_priv.h"

/* The mtree keyword of a type, for messages. */
static const char *type_word(enum vc_node_type t)
{
	static const char *const words[] = {
	    [VC_NODE_REG] = "file",    [VC_NODE_DIR] = "dir",	[VC_NODE_SYMLINK] = "link",
	    [VC_NODE_CHR] = "char",    [VC_NODE_BLK] = "block", [VC_NODE_FIFO] = "fifo",
	    [VC_NODE_SOCK] = "socket",
	};
	return (size_t)t < sizeof(words) / sizeof(words[0]) && words[t] ? words[t] : "?";
}

static int apply_entry(struct vc_tree *t, struct archive_entry *e, bool *ret_added,
		       struct vc_error *err)
{
	const char *path = archive_entry_pathname(e);
	struct vc_node *parent, *n;
	const char *name;
	size_t len;
	enum vc_node_type type;
	int r;

	if (!path || !*path)
		return vc_errorf(err, VC_EINVAL, "an entry with an empty path");
	if (tree_entry_type(e, &type) < 0)
		return vc_errorf(err, VC_EUNSUPP, "%s: unsupported type", path);
	r = tree_walk_parent(t, path, false, &parent, &name, &len, err);
	if (r < 0)
		return r;
	n = name ? tree_child(t, parent, name, len) : t->root;
	if (!n) {
		if (type == VC_NODE_REG)
			return vc_errorf(err, VC_EINVAL,
					 "%s: a file listed in the mtree is not in the tree", path);
		r = tree_add_child(t, parent, name, len, &n, err);
		if (r < 0)
			return r;
		n->type = type;
		*ret_added = true;
		if (type == VC_NODE_SYMLINK) {
			const char *s = archive_entry_symlink(e);
			if (!s || !*s || strlen(s) > VC_TREE_SYMLINK_MAX)
				return vc_errorf(err, VC_EINVAL,
						 "%s: symlink needs link= (1 to %d bytes)", path,
						 VC_TREE_SYMLINK_MAX);
			n->target = strdup(s);
			if (!n->target)
				return vc_errorf(err, VC_ENOMEM, "out of memory");
			n->size = strlen(s);
		}
	} else if (n->type != type) {
		return vc_errorf(err, VC_EINVAL, "%s: the mtree says type=%s, the tree has a %s",
				 path, type_word(type), type_word(n->type));
	}
	n = n->link_first;
	n->mode = archive_entry_perm(e) & 07777;
	/* (uid_t)-1 is "no owner" to chown(2), never an owner: 0..2^32-2 */
	if (archive_entry_uid(e) < 0 || archive_entry_uid(e) >= UINT32_MAX ||
	    archive_entry_gid(e) < 0 || archive_entry_gid(e) >= UINT32_MAX)
		return vc_errorf(err, VC_EINVAL,
				 "%s: uid or gid out of range (0..4294967294; 4294967295 is "
				 "(uid_t)-1)",
				 path);
	n->uid = (uint32_t)archive_entry_uid(e);
	n->gid = (uint32_t)archive_entry_gid(e);
	if (archive_entry_mtime_is_set(e)) {
		n->mtime = archive_entry_mtime(e);
		n->mtime_nsec = (uint32_t)archive_entry_mtime_nsec(e);
	}
	if (type == VC_NODE_CHR || type == VC_NODE_BLK) {
		n->rdev_major = (uint32_t)archive_entry_rdevmajor(e);
		n->rdev_minor = (uint32_t)archive_entry_rdevminor(e);
	}
	return 0;
}

int tree_apply_mtree(struct vc_tree *t, const char *path, bool *ret_added, struct vc_error *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	int fd = -1, r = 0;

	if (!a)
		return vc_errorf(err, VC_ENOMEM, "out of memory");
	archive_read_support_format_mtree(a);
	fd = vc_open_input(path, O_RDONLY, NULL, err);
	if (fd < 0) {
		r = fd;
		goto out;
	}
	if (archive_read_open_fd(a, fd, 1 << 16) != ARCHIVE_OK) {
		r = vc_errorf(err, VC_EINVAL, "%s: %s", path, archive_error_string(a));
		goto out;
	}
	for (;;) {
		int ar = archive_read_next_header(a, &e);
		if (ar == ARCHIVE_EOF)
			break;
		if (ar != ARCHIVE_OK) {
			const char *ep = e ? archive_entry_pathname(e) : NULL;
			r = vc_errorf(
			    err, VC_EINVAL, "%s: %s%s%s", path, ep ? ep : "", ep ? ": " : "",
			    archive_error_string(a) ? archive_error_string(a) : "bad mtree");
			goto out;
		}
		r = apply_entry(t, e, ret_added, err);
		if (r < 0) {
			vc_error_prefix(err, "%s", path);
			goto out;
		}
	}
out:
	archive_read_free(a);
	if (fd >= 0)
		close(fd);
	return r;
}
