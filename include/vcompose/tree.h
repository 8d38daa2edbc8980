/* SPDX-License-Identifier: MIT */
/* The input model: a normalised file tree.
 *
 * Loaded from a folder (lstat, never following symlinks; llistxattr) or from
 * any archive libarchive reads (tar ustar/pax/GNU, cpio; gzip, xz, zstd,
 * bzip2, lz4; a path or "-" for standard input), optionally overlaid by an
 * mtree manifest, with an ownership policy and mtimes clamped to
 * SOURCE_DATE_EPOCH. Children are sorted by the bytes of their names, so the
 * tree, not the order things arrived in, decides the image's bytes.
 *
 * File contents are referenced, not loaded: a folder's files are read from
 * the folder when a writer asks; an archive's are spooled once to an
 * unlinked temporary file. vc_tree_read() is safe to call from many threads.
 *
 *	struct vc_tree_options o = { .owner = VC_OWNER_DEFAULT };
 *	struct vc_tree *t;
 *	if (vc_tree_load("rootfs.tar.zst", VC_TREE_ARCHIVE, &o, &t, err) < 0) ...
 *	for (size_t i = 0; i < t->n_nodes; i++) use(t->nodes[i]);
 *	vc_tree_free(t);
 */
#ifndef VCOMPOSE_TREE_H
#define VCOMPOSE_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vcompose/error.h"

/* Limits on what a user controls. */
#define VC_TREE_NAME_MAX    255	 /* bytes of one path component */
#define VC_TREE_PATH_MAX    4095 /* bytes of a whole path */
#define VC_TREE_SYMLINK_MAX 4095 /* bytes of a symlink target */
#define VC_TREE_DEPTH_MAX   1024 /* folders nested, for every input kind */
#define VC_TREE_NODES_MAX   (1u << 24)

enum vc_node_type {
	VC_NODE_REG,
	VC_NODE_DIR,
	VC_NODE_SYMLINK,
	VC_NODE_CHR,
	VC_NODE_BLK,
	VC_NODE_FIFO,
	VC_NODE_SOCK,
};

struct vc_xattr {
	char *name; /* full name with namespace prefix, e.g. "security.selinux" */
	uint8_t *value;
	size_t value_len;
};

struct vc_node {
	char *name; /* last component, NUL-terminated; "" for the root */
	size_t name_len;
	struct vc_node *parent;	   /* the root's parent is itself */
	struct vc_node **children; /* directories: sorted by memcmp of name bytes */
	size_t n_children;
	size_t index; /* position in vc_tree.nodes (pre-order) */

	enum vc_node_type type;
	uint32_t mode; /* permission bits only (07777), no S_IFMT */
	uint32_t uid, gid;
	int64_t mtime;			 /* seconds, clamped to SOURCE_DATE_EPOCH if set */
	uint32_t mtime_nsec;		 /* 0 when clamped */
	uint64_t size;			 /* regular: content bytes; symlink: target length */
	char *target;			 /* symlink target, NUL-terminated, as stored */
	uint32_t rdev_major, rdev_minor; /* character and block devices */

	struct vc_xattr *xattrs; /* sorted by name bytes, names unique */
	size_t n_xattrs;

	/* Hardlinks: every path of a group is a node; all point to the group's
	 * first node in pre-order, which carries the content, the xattrs and
	 * the symlink target; the others copy its scalar fields (type, mode,
	 * owner, mtime, size, device numbers, nlink).
	 * A node outside any group points to itself. nlink counts the group
	 * (1 for a lone file); directories: 2 + number of subdirectories. */
	struct vc_node *link_first;
	uint32_t link_group; /* 0: none; else 1, 2, ... in pre-order */
	uint32_t nlink;

	/* private to the tree module: where the content comes from */
	uint64_t src_off; /* archives: offset in the spool file, or in the
			     archive itself when src_direct is set */
	bool src_direct;
	char *src_path;	  /* folders: path relative to the root */
	uint8_t *src_mem; /* vc_tree_set_file(): the content, in memory (owned) */
};

struct vc_tree {
	struct vc_node *root;
	struct vc_node **nodes; /* pre-order, children in name order; nodes[0] = root */
	size_t n_nodes;
	uint32_t n_link_groups;
	void *priv; /* private to the tree module */
};

enum vc_owner_policy {
	VC_OWNER_DEFAULT, /* root for folders, keep for archives */
	VC_OWNER_KEEP,	  /* uid/gid as the input says */
	VC_OWNER_ROOT,	  /* 0:0 for every node */
};

enum vc_tree_source {
	VC_TREE_AUTO, /* a folder if `path` is a directory, else an archive */
	VC_TREE_DIR,
	VC_TREE_ARCHIVE, /* "-" reads standard input */
};

struct vc_tree_options {
	enum vc_owner_policy owner;
	const char *mtree_path; /* NULL: none. Applied after the owner policy. */
	bool have_epoch;	/* clamp mtimes to source_date_epoch */
	int64_t source_date_epoch;
	const char *tmpdir; /* spool folder; NULL: $TMPDIR or /tmp */
};

/* Loads a tree; *ret is owned by the caller (vc_tree_free). Errors name the
 * input path and the entry: "rootfs.tar: usr/../../etc: path escapes the root". */
int vc_tree_load(const char *path, enum vc_tree_source src, const struct vc_tree_options *o,
		 struct vc_tree **ret, struct vc_error *err);
void vc_tree_free(struct vc_tree *t);

/* The archive reader behind VC_TREE_ARCHIVE, e.g. "libarchive 3.6.2"
 * (static text), listed in a build's manifest. */
const char *vc_tree_archive_version(void);

/* Reads len bytes of a regular file's content at off (off + len <= size).
 * Thread-safe. n may be any node of a hardlink group. */
int vc_tree_read(const struct vc_tree *t, const struct vc_node *n, uint64_t off, void *buf,
		 size_t len, struct vc_error *err);

/* A descriptor holding a regular file's content from *ret_off on (the
 * spool for an archive, the file itself for a folder), for a reader that
 * copies with the kernel's help; give it back with vc_tree_close().
 * Returns the descriptor or a negative error. Thread-safe. */
int vc_tree_open(const struct vc_tree *t, const struct vc_node *n, uint64_t *ret_off,
		 struct vc_error *err);
void vc_tree_close(const struct vc_tree *t, int fd);

/* The three above in the shape writers' callbacks take, with the tree as
 * the context (struct vc_erofs_options: read, open, close). */
int vc_tree_read_cb(void *tree, const struct vc_node *n, uint64_t off, void *buf, size_t len,
		    struct vc_error *err);
int vc_tree_open_cb(void *tree, const struct vc_node *n, uint64_t *ret_off, struct vc_error *err);
void vc_tree_close_cb(void *tree, int fd);

/* The node's path from the root, "/" for the root, "/usr/bin/sh" otherwise,
 * into buf (VC_TREE_PATH_MAX + 2 bytes are always enough). Returns buf. */
char *vc_tree_path(const struct vc_node *n, char *buf, size_t cap);

/* Looks a path up ("/etc/os-release" or "etc/os-release"); NULL if absent.
 * Symlinks are not followed. */
struct vc_node *vc_tree_lookup(const struct vc_tree *t, const char *path);

/* The child of a folder named name[0..len), or NULL (binary search). */
struct vc_node *vc_tree_lookup_child(const struct vc_node *dir, const char *name, size_t len);

/* Like vc_tree_lookup(), but follows symlinks inside the tree (absolute
 * targets start at the tree's root, ".." stops at it), at most 40 of them,
 * as the kernel would once the tree is the root. NULL if absent or a loop. */
struct vc_node *vc_tree_resolve(const struct vc_tree *t, const char *path);

/* Writes the tree out under dir (an existing, empty folder) for tools that
 * need a folder: folders, files, symlinks and hardlinks (no devices, fifos
 * or sockets); modes kept with u+r (folders u+rwx); owners not kept. */
int vc_tree_extract(const struct vc_tree *t, const char *dir, struct vc_error *err);

/* The same for the subtree below top (a folder of the tree, or one that
 * vc_tree_detach() returned): its content goes into dir. */
int vc_tree_extract_node(const struct vc_tree *t, const struct vc_node *top, const char *dir,
			 struct vc_error *err);

/* Makes path (absolute; its folder must exist in the tree, without
 * symlinks) a regular file holding a copy of data[0..len): an existing one
 * keeps its owner and mode (it may not be a hardlink), a new one is 0:0 with
 * mode; both get mtime. nodes[] is renumbered. */
int vc_tree_set_file(struct vc_tree *t, const char *path, const void *data, size_t len,
		     uint32_t mode, int64_t mtime, struct vc_error *err);

/* Takes the content of folder dir out of the tree (for a file system of its
 * own mounted there): dir stays, empty; its children move below *ret, a
 * folder node with dir's metadata that is the root of its own subtree
 * (vc_tree_path() of its members is relative to it), owned by the tree and
 * still readable with vc_tree_read(). nodes[], link counts and hardlink
 * groups are renumbered. A hardlink group across dir is an error. */
int vc_tree_detach(struct vc_tree *t, struct vc_node *dir, struct vc_node **ret,
		   struct vc_error *err);

/* Removes dir and everything below it, never following symlinks. */
int vc_tree_remove(const char *dir, struct vc_error *err);

/* Writes the canonical dump, one line per node in pre-order, to out: path,
 * type, mode, uid, gid, mtime, size, sha256 of contents, link target, device
 * numbers, xattrs, hardlink group. Two equal trees give equal dumps. */
int vc_tree_dump(const struct vc_tree *t, FILE *out, struct vc_error *err);

#endif
