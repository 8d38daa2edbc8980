/* SPDX-License-Identifier: MIT */
/* Private to src/tree: the builder shared by the folder, archive and mtree
 * readers. Nodes are created under their parent by name; a hash map on
 * (parent, name) finds them again; vc_tree_finish() sorts, numbers,
 * groups hardlinks and applies the policies. */
#ifndef VC_TREE_PRIV_H
#define VC_TREE_PRIV_H

#include "vcompose/tree.h"
#include "vcompose/util.h"

struct tree_priv {
	int spool_fd;	      /* archives: unlinked temporary file; else -1 */
	int archive_fd;	      /* a plain tar file: read in place; else -1 */
	uint64_t spool_end;   /* next free offset in the spool */
	char *root_path;      /* folders: the host folder; else NULL */
	const char *input;    /* the input's name, for messages (borrowed) */
	struct vc_node **map; /* open addressing on (parent, name) */
	size_t map_cap;	      /* power of two */
	size_t n_nodes;	      /* nodes created so far */
	/* Archives: host (dev, ino) does not exist; hardlinks name their target.
	 * Folders: (dev, ino) of multi-link files, to group them. */
	struct link_key *links;
	size_t n_links, cap_links;
	/* vc_tree_detach(): subtrees taken out of the tree, freed with it */
	struct vc_node **detached;
	size_t n_detached;
};

struct link_key {
	uint64_t dev, ino;
	struct vc_node *node;
};

int tree_new(const char *input, struct vc_tree **ret, struct vc_error *err);

/* Finds the child `name` of parent, or NULL. */
struct vc_node *tree_child(struct vc_tree *t, struct vc_node *parent, const char *name, size_t len);

/* Creates child `name` (a copy) under parent; it must not exist. */
int tree_add_child(struct vc_tree *t, struct vc_node *parent, const char *name, size_t len,
		   struct vc_node **ret, struct vc_error *err);

/* Adds an xattr to a node (copies); replaces a value of the same name. */
int tree_set_xattr(struct vc_node *n, const char *name, const void *value, size_t len,
		   struct vc_error *err);
void tree_clear_xattrs(struct vc_node *n);

/* Resolves a relative archive-style path to its components, refusing
 * absolute paths, "..", over-long names and paths. Calls fn for the parent
 * chain: returns the parent node of the last component (creating implicit
 * directories when create_parents), and the last component in *ret_name. */
int tree_walk_parent(struct vc_tree *t, const char *path, bool create_parents,
		     struct vc_node **ret_parent, const char **ret_name, size_t *ret_len,
		     struct vc_error *err);

/* Sorts, numbers, groups hardlinks, applies owner policy and mtime clamp. */
int tree_finish(struct vc_tree *t, const struct vc_tree_options *o, bool from_dir,
		struct vc_error *err);

/* The node type of a libarchive entry (AE_IF*); -1 for none we know. */
struct archive_entry;
int tree_entry_type(struct archive_entry *e, enum vc_node_type *ret);

int tree_load_dir(struct vc_tree *t, const char *path, struct vc_error *err);
int tree_load_archive(struct vc_tree *t, const char *path, const struct vc_tree_options *o,
		      struct vc_error *err);
int tree_apply_mtree(struct vc_tree *t, const char *path, bool *ret_added, struct vc_error *err);

/* Whether an xattr belongs in an image: user.*, trusted.*, security.* and
 * the two POSIX ACLs (the namespaces EROFS has prefixes for). */
bool tree_keep_xattr(const char *name);

/* Escapes a path or text for the dump: bytes outside 0x21..0x7e and '\\'
 * become \ooo (as mtree's vis encoding). */
int tree_escape(const char *s, size_t n, struct vc_buf *out, struct vc_error *err);

#endif
