/* SPDX-License-Identifier: MIT */
/* ext2/ext3/ext4 file systems, made with e2fsprogs (mke2fs -d, then debugfs),
 * reproducibly and without root, straight into a window of a disk image.
 * Spec: mke2fs(8), mke2fs.conf(5), debugfs(8) of e2fsprogs 1.47 (Debian 12).
 *
 * What it does: writes the content of a subtree of a vc_tree (a folder
 * that vc_tree_detach() took out, or none: an empty file system) as a file
 * system of `size` bytes at byte `offset` of an existing image file
 * (mke2fs -E offset=), then sets what mke2fs -d takes from the host folder
 * it read (owner, mode, times) to the tree's values with debugfs, and adds
 * the device nodes and fifos a folder cannot hold for an unprivileged user.
 *
 * Reproducibility. Everything mke2fs would take from the host or the clock
 * is fixed: the configuration (our own mke2fs.conf, not /etc/mke2fs.conf:
 * 4 KiB blocks, 256-byte inodes, one inode per 16 KiB, the feature list
 * below), the UUID and the directory hash seed (given: derived from the
 * image seed), every time (E2FSPROGS_FAKE_TIME and each inode's times set to
 * the tree's mtime; creation times and the superblock's to `epoch`), the
 * locale (LC_ALL=C: mke2fs -d reads folders sorted with alphasort) and
 * the time zone. Checked: two builds at different times, from different
 * folders, give the same bytes; fsck.ext4 -fn finds them clean.
 *
 * Features: ext4 has_journal, extent, huge_file, flex_bg, metadata_csum,
 * 64bit, dir_nlink, extra_isize (Debian 12's mke2fs.conf; Linux >= 3.18);
 * ext3 has_journal; ext2 none; all with sparse_super, large_file, filetype,
 * resize_inode, dir_index, ext_attr.
 *
 * What it does not do: extended attributes (an error naming the file), nor
 * sockets; a hardlink group leaving the subtree is vc_tree_detach()'s error.
 *
 *	struct vc_ext4_options o = { .image = "disk.raw", .offset = 512 << 20,
 *				     .size = 1 << 30, .type = VC_EXT4, .label = "VAR",
 *				     .epoch = 1700000000, .tree = t, .top = var };
 *	memcpy(o.uuid, uuid, 16); memcpy(o.hash_seed, seed, 16);
 *	if (vc_ext4_write(&o, err) < 0) ...
 */
#ifndef VCOMPOSE_EXT4_H
#define VCOMPOSE_EXT4_H

#include <stdint.h>

#include "vcompose/error.h"
#include "vcompose/tree.h"

enum vc_ext4_type {
	VC_EXT2,
	VC_EXT3,
	VC_EXT4,
};

#define VC_EXT4_LABEL_MAX 16		      /* bytes of a volume label */
#define VC_EXT4_MIN_SIZE  (UINT64_C(2) << 20) /* below this mke2fs gives up */

struct vc_ext4_options {
	const char *image;	    /* an existing file; only [offset, offset + size) is written */
	uint64_t offset, size;	    /* bytes, multiples of 4096 */
	enum vc_ext4_type type;	    /* ext2, ext3 or ext4 */
	const char *label;	    /* volume label (<= 16 bytes) or NULL */
	uint8_t uuid[16];	    /* file system UUID */
	uint8_t hash_seed[16];	    /* directory hash seed */
	int64_t epoch;		    /* creation and superblock times (>= 0) */
	const struct vc_tree *tree; /* the content: the subtree below top, or */
	const struct vc_node *top;  /* NULL: an empty file system */
	/* Extra empty folders at the top (mode 0755, root, times = epoch),
	 * NULL-terminated, names without '/'; e.g. the overlay's "rw", "work". */
	const char *const *mkdirs;
	const char *tmpdir; /* for the content folder; NULL: $TMPDIR or /var/tmp */
};

/* Writes the file system. VC_ERANGE when the content does not fit (the
 * message says how many MiB it needs), VC_EUNSUPP for content ext4 cannot
 * take here (xattrs, sockets), VC_EIO when mke2fs or debugfs is missing
 * or fails (with the tail of its output). */
int vc_ext4_write(const struct vc_ext4_options *o, struct vc_error *err);

/* The smallest size (bytes, a multiple of 1 MiB) worth trying for the
 * content below top (NULL: none) with `n_mkdirs` extra folders: data
 * blocks, folders, inode tables and the journal mke2fs would make. An
 * estimate from above, not a promise. */
uint64_t vc_ext4_min_size(const struct vc_node *top, enum vc_ext4_type type, size_t n_mkdirs);

#endif
