/* SPDX-License-Identifier: MIT */
/* The archive reader: anything libarchive reads (tar ustar/pax/GNU, cpio,
 * ...; gzip, xz, zstd, bzip2, lz4 filters), from a file or standard input.
 * The archive is read once; contents are spooled to an unlinked temporary
 * file (holes of sparse members stay holes) and read back from there.
 * A plain (uncompressed) tar file is not copied: its members' data are read
 * in place, at the offset libarchive reports after their header, once the
 * first bytes there are seen to equal what libarchive decodes. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tree_priv.h"
#include "vcompose/endian.h"

static int open_spool(struct tree_priv *p, const struct vc_tree_options *o, struct vc_error *err)
{
	const char *dir = o && o->tmpdir ? o->tmpdir : getenv("TMPDIR");
	char *path;

	if (!dir || !*dir)
		dir = "/tmp";
	p->spool_fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (p->spool_fd >= 0)
		return 0;
	/* No O_TMPFILE on this file system: create and unlink at once. */
	if (asprintf(&path, "%s/vcompose-spool.XXXXXX", dir) < 0)
		return vc_errorf(err, VC_ENOMEM, "out of memory");
	p->spool_fd = mkostemp(path, O_CLOEXEC);
	if (p->spool_fd < 0) {
		int r = vc_errorf_errno(err, VC_EIO, errno, "%s: cannot create a spool file", dir);
		free(path);
		return r;
	}
	unlink(path);
	free(path);
	return 0;
}

static const char *type_word(enum vc_node_type t)
{
	static const char *w[] = {"a file",	    "a folder", "a symlink", "a character device",
				  "a block device", "a fifo",	"a socket"};
	return w[t];
}

int tree_entry_type(struct archive_entry *e, enum vc_node_type *ret)
{
	switch (archive_entry_filetype(e)) {
	case AE_IFREG: *ret = VC_NODE_REG; return 0;
	case AE_IFDIR: *ret = VC_NODE_DIR; return 0;
	case AE_IFLNK: *ret = VC_NODE_SYMLINK; return 0;
	case AE_IFCHR: *ret = VC_NODE_CHR; return 0;
	case AE_IFBLK: *ret = VC_NODE_BLK; return 0;
	case AE_IFIFO: *ret = VC_NODE_FIFO; return 0;
	case AE_IFSOCK: *ret = VC_NODE_SOCK; return 0;
	}
	return -1;
}

/* POSIX ACL in the kernel's xattr encoding (include/uapi/linux/posix_acl_xattr.h):
 * le32 version 2, then entries of le16 tag, le16 perm, le32 id, sorted by
 * tag then id. libarchive hands ACLs over as entries, not xattrs. */
static int acl_xattr(struct vc_node *n, struct archive_entry *e, int type, const char *name,
		     struct vc_error *err)
{
	int count = archive_entry_acl_reset(e, type);
	int etype, perm, tag, id;
	const char *nm;
	uint8_t buf[4 + 8 * 64];
	size_t k = 0;
	struct {
		uint16_t tag, perm;
		uint32_t id;
	} ent[64];

	if (count <= 0)
		return 0;
	while (archive_entry_acl_next(e, type, &etype, &perm, &tag, &id, &nm) == ARCHIVE_OK) {
		uint16_t t;
		switch (tag) {
		case ARCHIVE_ENTRY_ACL_USER_OBJ: t = 0x01; break;
		case ARCHIVE_ENTRY_ACL_USER: t = 0x02; break;
		case ARCHIVE_ENTRY_ACL_GROUP_OBJ: t = 0x04; break;
		case ARCHIVE_ENTRY_ACL_GROUP: t = 0x08; break;
		case ARCHIVE_ENTRY_ACL_MASK: t = 0x10; break;
		case ARCHIVE_ENTRY_ACL_OTHER: t = 0x20; break;
		default: continue;
		}
		if (k == 64)
			return vc_errorf(err, VC_ERANGE, "more than 64 ACL entries");
		ent[k].tag = t;
		ent[k].perm = (uint16_t)(((perm & ARCHIVE_ENTRY_ACL_READ) ? 4 : 0) |
					 ((perm & ARCHIVE_ENTRY_ACL_WRITE) ? 2 : 0) |
					 ((perm & ARCHIVE_ENTRY_ACL_EXECUTE) ? 1 : 0));
		ent[k].id = (t == 0x02 || t == 0x08) ? (uint32_t)id : 0xffffffffu;
		k++;
	}
	/* An access ACL of only the three base entries is just the mode. */
	bool extended = false;
	for (size_t i = 0; i < k; i++)
		extended |= ent[i].tag == 0x02 || ent[i].tag == 0x08 || ent[i].tag == 0x10;
	if (k == 0 || (type == ARCHIVE_ENTRY_ACL_TYPE_ACCESS && !extended))
		return 0;
	/* insertion sort by (tag, id): at most 64 entries */
	for (size_t i = 1; i < k; i++)
		for (size_t j = i;
		     j > 0 && (ent[j - 1].tag > ent[j].tag ||
			       (ent[j - 1].tag == ent[j].tag && ent[j - 1].id > ent[j].id));
		     j--) {
			__typeof__(ent[0]) tmp = ent[j];
			ent[j] = ent[j - 1];
			ent[j - 1] = tmp;
		}
	vc_put_le32(buf, 2);
	for (size_t i = 0; i < k; i++) {
		vc_put_le16(buf + 4 + 8 * i, ent[i].tag);
		vc_put_le16(buf + 6 + 8 * i, ent[i].perm);
		vc_put_le32(buf + 8 + 8 * i, ent[i].id);
	}
	return tree_set_xattr(n, name, buf, 4 + 8 * k, err);
}

static int entry_xattrs(struct vc_node *n, struct archive_entry *e, struct vc_error *err)
{
	const char *name;
	const void *value;
	size_t size;
	int r;

	tree_clear_xattrs(n);
	archive_entry_xattr_reset(e);
	while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
		if (!name || !tree_keep_xattr(name))
			continue;
		r = tree_set_xattr(n, name, value, size, err);
		if (r < 0)
			return r;
	}
	r = acl_xattr(n, e, ARCHIVE_ENTRY_ACL_TYPE_ACCESS, "system.posix_acl_access", err);
	if (r == 0)
		r = acl_xattr(n, e, ARCHIVE_ENTRY_ACL_TYPE_DEFAULT, "system.posix_acl_default",
			      err);
	return r;
}

static int spool_write(struct tree_priv *p, const void *buf, size_t size, uint64_t at,
		       struct vc_error *err)
{
	const uint8_t *q = buf;

	while (size > 0) {
		ssize_t k = pwrite(p->spool_fd, q, size, (off_t)at);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return vc_errorf_errno(err, VC_EIO, errno, "spool file");
		q += k;
		size -= (size_t)k;
		at += (uint64_t)k;
	}
	return 0;
}

/* A member of a plain tar file, read in place: its data start where
 * libarchive's reader stands after the header; checked on the first
 * bytes. Returns 1 when n now points into the archive, 0 when the bytes
 * *head_len bytes of head, already consumed, must go to the spool. */
static int data_in_place(struct tree_priv *p, struct archive *a, struct archive_entry *e,
			 struct vc_node *n, uint8_t head[512], size_t *head_len)
{
	la_int64_t at;
	uint8_t mine[512];
	size_t k = n->size < 512 ? (size_t)n->size : 512;
	la_ssize_t got;

	*head_len = 0;
	if (p->archive_fd < 0 || archive_filter_count(a) != 1 ||
	    (archive_format(a) & ARCHIVE_FORMAT_BASE_MASK) != ARCHIVE_FORMAT_TAR ||
	    archive_entry_sparse_count(e) != 0 || n->size == 0)
		return 0;
	at = archive_filter_bytes(a, 0);
	got = archive_read_data(a, head, k);
	if (got <= 0)
		return 0;
	*head_len = (size_t)got;
	if (at < 0 || (size_t)got != k || pread(p->archive_fd, mine, k, at) != (ssize_t)k ||
	    memcmp(mine, head, k) != 0)
		return 0;
	n->src_off = (uint64_t)at;
	n->src_direct = true;
	return 1;
}

static int spool_data(struct tree_priv *p, struct archive *a, struct archive_entry *e,
		      struct vc_node *n, const char *path, struct vc_error *err)
{
	const void *buf;
	size_t size, head_len;
	la_int64_t offset;
	uint64_t base = VC_ROUND_UP(p->spool_end, 4096);
	uint8_t head[512];

	if (data_in_place(p, a, e, n, head, &head_len))
		return 0; /* libarchive skips the rest before the next header */
	n->src_direct = false;
	if (head_len) {
		int r = spool_write(p, head, head_len, base, err);
		if (r < 0)
			return r;
	}
	for (;;) {
		int r = archive_read_data_block(a, &buf, &size, &offset);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			return vc_errorf(err, VC_EINVAL, "%s: %s", path, archive_error_string(a));
		if (offset < 0 || (uint64_t)offset > n->size || size > n->size - (uint64_t)offset)
			return vc_errorf(err, VC_EINVAL, "%s: data beyond the member's size", path);
		r = spool_write(p, buf, size, base + (uint64_t)offset, err);
		if (r < 0)
			return r;
	}
	n->src_off = base;
	p->spool_end = base + n->size;
	/* Make the spool's size cover a trailing hole. */
	if (n->size && ftruncate(p->spool_fd, (off_t)p->spool_end) < 0)
		return vc_errorf_errno(err, VC_EIO, errno, "spool file");
	return 0;
}

/* The entry's type; for a hard link, the node it names (its group's first). */
static int entry_type(struct vc_tree *t, struct archive *a, struct archive_entry *e,
		      const char *path, struct vc_node **ret_target, enum vc_node_type *type,
		      struct vc_error *err)
{
	const char *hardlink = archive_entry_hardlink(e);
	int r;

	*ret_target = NULL;
	if (hardlink) {
		struct vc_node *tp, *target;
		const char *tn;
		size_t tl;
		if (!*hardlink)
			return vc_errorf(err, VC_EINVAL, "%s: hard link with an empty target",
					 path);
		r = tree_walk_parent(t, hardlink, false, &tp, &tn, &tl, err);
		if (r < 0) {
			vc_error_prefix(err, "%s: hard link", path);
			return r;
		}
		target = tn ? tree_child(t, tp, tn, tl) : t->root;
		if (!target)
			return vc_errorf(err, VC_EINVAL, "%s: hard link to a missing entry '%s'",
					 path, hardlink);
		target = target->link_first;
		if (target->type == VC_NODE_DIR)
			return vc_errorf(err, VC_EINVAL, "%s: hard link to a folder '%s'", path,
					 hardlink);
		*type = target->type;
		*ret_target = target;
		return 0;
	}
	if (archive_entry_filetype(e) == 0 &&
	    (archive_format(a) & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_TAR)
		/* libarchive 3.6 reads a hard link (typeflag '1') whose target is
		 * only in a pax "linkpath", the ustar linkname being empty, as an
		 * entry with no type and no target: the target is lost there */
		return vc_errorf(err, VC_EUNSUPP,
				 "%s: a tar entry without a type: most likely a hard link whose "
				 "target is only in a pax 'linkpath' (its ustar linkname is "
				 "empty), which %s cannot read; write the target into the "
				 "linkname too (GNU tar does)",
				 path, archive_version_string());
	if (tree_entry_type(e, type) < 0)
		return vc_errorf(err, VC_EUNSUPP, "%s: unsupported entry type %#o", path,
				 (unsigned)archive_entry_filetype(e));
	return 0;
}

static int add_entry(struct vc_tree *t, struct archive *a, struct archive_entry *e,
		     struct vc_error *err)
{
	struct tree_priv *p = t->priv;
	const char *path = archive_entry_pathname(e);
	const char *hardlink = archive_entry_hardlink(e);
	struct vc_node *parent, *n, *target = NULL;
	const char *name;
	size_t len;
	enum vc_node_type type;
	int r;

	if (!path || !*path)
		return vc_errorf(err, VC_EINVAL, "an entry with an empty path");
	r = tree_walk_parent(t, path, true, &parent, &name, &len, err);
	if (r < 0)
		return r;
	r = entry_type(t, a, e, path, &target, &type, err);
	if (r < 0)
		return r;
	if (!name) {
		if (type != VC_NODE_DIR || hardlink)
			return vc_errorf(err, VC_EINVAL, "%s: the root must be a folder", path);
		n = t->root;
	} else {
		n = tree_child(t, parent, name, len);
		if (n && n->type != type)
			return vc_errorf(err, VC_EINVAL, "%s: appears twice, as %s and as %s", path,
					 type_word(n->type), type_word(type));
		if (n && n == target)
			return 0; /* a link to itself: nothing to do */
		if (n && n->link_first != n)
			return vc_errorf(err, VC_EINVAL, "%s: appears twice, once as a hard link",
					 path);
		if (!n) {
			r = tree_add_child(t, parent, name, len, &n, err);
			if (r < 0) {
				vc_error_prefix(err, "%s", path);
				return r;
			}
		}
	}
	if (target) {
		n->type = type;
		n->link_first = target;
		/* tar hard links carry no data; cpio may put it on the last link */
		if (archive_entry_size_is_set(e) && archive_entry_size(e) > 0 &&
		    type == VC_NODE_REG) {
			target->size = (uint64_t)archive_entry_size(e);
			return spool_data(p, a, e, target, path, err);
		}
		return 0;
	}
	n->type = type;
	n->mode = archive_entry_perm(e) & 07777;
	n->uid = (uint32_t)archive_entry_uid(e);
	n->gid = (uint32_t)archive_entry_gid(e);
	/* (uid_t)-1 is "no owner" to chown(2), never an owner: 0..2^32-2 */
	if (archive_entry_uid(e) < 0 || archive_entry_uid(e) >= UINT32_MAX ||
	    archive_entry_gid(e) < 0 || archive_entry_gid(e) >= UINT32_MAX)
		return vc_errorf(err, VC_EINVAL,
				 "%s: uid or gid out of range (0..4294967294; 4294967295 is "
				 "(uid_t)-1)",
				 path);
	n->mtime = archive_entry_mtime_is_set(e) ? archive_entry_mtime(e) : 0;
	n->mtime_nsec = archive_entry_mtime_is_set(e) ? (uint32_t)archive_entry_mtime_nsec(e) : 0;
	free(n->target);
	n->target = NULL;
	n->size = 0;
	switch (type) {
	case VC_NODE_REG:
		if (archive_entry_size(e) < 0)
			return vc_errorf(err, VC_EINVAL, "%s: negative size", path);
		n->size = (uint64_t)archive_entry_size(e);
		r = spool_data(p, a, e, n, path, err);
		if (r < 0)
			return r;
		break;
	case VC_NODE_SYMLINK: {
		const char *s = archive_entry_symlink(e);
		if (!s || !*s)
			return vc_errorf(err, VC_EINVAL, "%s: symlink with an empty target", path);
		if (strlen(s) > VC_TREE_SYMLINK_MAX)
			return vc_errorf(err, VC_EINVAL,
					 "%s: symlink target of %zu bytes, at most %d", path,
					 strlen(s), VC_TREE_SYMLINK_MAX);
		n->target = strdup(s);
		if (!n->target)
			return vc_errorf(err, VC_ENOMEM, "out of memory");
		n->size = strlen(s);
		break;
	}
	case VC_NODE_CHR:
	case VC_NODE_BLK:
		n->rdev_major = (uint32_t)archive_entry_rdevmajor(e);
		n->rdev_minor = (uint32_t)archive_entry_rdevminor(e);
		break;
	default: break;
	}
	return entry_xattrs(n, e, err);
}

int tree_load_archive(struct vc_tree *t, const char *path, const struct vc_tree_options *o,
		      struct vc_error *err)
{
	struct tree_priv *p = t->priv;
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	const char *shown = strcmp(path, "-") == 0 ? "<stdin>" : path;
	int stream_fd = -1, r = 0;

	if (!a)
		return vc_errorf(err, VC_ENOMEM, "out of memory");
	r = open_spool(p, o, err);
	if (r < 0)
		goto out;
	/* Opened once: a regular file is also read in place (archive_fd); a
	 * FIFO or a character device is a stream, read once, as "-" is. */
	if (strcmp(path, "-") != 0) {
		unsigned mode = 0;

		stream_fd = vc_open_input(path, O_RDONLY | VC_OPEN_STREAM, &mode, err);
		if (stream_fd < 0) {
			/* a missing archive stays an environment error (exit 3) */
			if (errno == ENOENT || errno == EACCES)
				err->code = VC_EIO;
			r = err->code;
			stream_fd = -1;
			goto out;
		}
		if (S_ISREG(mode)) {
			p->archive_fd = stream_fd;
			stream_fd = -1;
		}
	}
	/* Real archives only: tar (ustar, pax, GNU, v7) and cpio, through any
	 * filter. Not libarchive's other formats: an mtree text would be taken
	 * as an archive whose size= entries become zero-filled files (--mtree
	 * is the way for those), raw would take any file as one member. */
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	archive_read_support_format_cpio(a);
	archive_read_support_format_empty(a); /* "no entries", said below */
	int in_fd = strcmp(path, "-") == 0 ? 0 : p->archive_fd >= 0 ? p->archive_fd : stream_fd;
	if (archive_read_open_fd(a, in_fd, 1 << 16) != ARCHIVE_OK) {
		/* archive_errno(), not errno: a filter that fails to decode leaves
		 * errno as some earlier call set it. */
		int e_no = archive_errno(a);
		if (e_no == ENOENT || e_no == EACCES)
			r = vc_errorf_errno(err, VC_EIO, e_no, "%s", shown);
		else
			r = vc_errorf(err, VC_EINVAL, "%s: %s", shown, archive_error_string(a));
		goto out;
	}
	for (;;) {
		int ar = archive_read_next_header(a, &e);
		if (ar == ARCHIVE_EOF)
			break;
		if (ar != ARCHIVE_OK && ar != ARCHIVE_WARN) {
			const char *ep = e ? archive_entry_pathname(e) : NULL;
			r = vc_errorf(
			    err, VC_EINVAL, "%s%s%s: %s", shown, ep ? ": " : "", ep ? ep : "",
			    archive_error_string(a) ? archive_error_string(a) : "corrupt archive");
			goto out;
		}
		r = add_entry(t, a, e, err);
		if (r < 0) {
			vc_error_prefix(err, "%s", shown);
			goto out;
		}
	}
	if (archive_file_count(a) == 0) {
		r = vc_errorf(err, VC_EINVAL, "%s: the archive has no entries", shown);
		goto out;
	}
out:
	archive_read_free(a);
	if (stream_fd >= 0)
		close(stream_fd);
	return r;
}

const char *vc_tree_archive_version(void)
{
	return archive_version_string();
}
