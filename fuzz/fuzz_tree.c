/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the tree loader on an archive (tar, cpio, any filter
 * libarchive knows), read through a memory file; every regular file of a
 * loaded tree is read back and the tree dumped, as the writers would. */
#include <string.h>

#include "fuzz_util.h"
#include "vcompose/tree.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct vc_tree_options o = {
	    .owner = VC_OWNER_DEFAULT, .have_epoch = true, .source_date_epoch = 1700000000};
	struct vc_tree *t = NULL;
	struct vc_error err = {0};
	char path[64], buf[4096];
	int fd = fuzz_memfile(data, len, path);

	if (vc_tree_load(path, VC_TREE_ARCHIVE, &o, &t, &err) == 0) {
		for (size_t i = 0; i < t->n_nodes; i++) {
			const struct vc_node *n = t->nodes[i];
			char p[VC_TREE_PATH_MAX + 2];

			vc_tree_path(n, p, sizeof(p));
			if (vc_tree_lookup(t, p) != n)
				abort(); /* every node is found by its own path */
			if (n->type == VC_NODE_REG && n->size) {
				size_t k = n->size < sizeof(buf) ? (size_t)n->size : sizeof(buf);
				vc_tree_read(t, n, n->size - k, buf, k, &err);
			}
		}
		FILE *devnull = fopen("/dev/null", "w");
		if (devnull) {
			vc_tree_dump(t, devnull, &err);
			fclose(devnull);
		}
		vc_tree_free(t);
	}
	FUZZ_CHECK_MSG(err);
	close(fd);
	return 0;
}
