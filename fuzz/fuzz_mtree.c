/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the mtree overlay, applied to a small fixed tree (a
 * folder made once under $TMPDIR) from a memory file. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_util.h"
#include "vcompose/tree.h"

static char root[256];

static void make_root(void)
{
	const char *tmp = getenv("TMPDIR");
	char p[512];
	FILE *f;

	snprintf(root, sizeof(root), "%s/vcfuzz-mtree.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(root))
		abort();
	snprintf(p, sizeof(p), "%s/etc", root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/usr", root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/usr/bin", root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/etc/passwd", root);
	if ((f = fopen(p, "w"))) {
		fputs("root:x:0:0::/root:/bin/sh\n", f);
		fclose(f);
	}
	snprintf(p, sizeof(p), "%s/usr/bin/sh", root);
	if ((f = fopen(p, "w")))
		fclose(f);
	snprintf(p, sizeof(p), "%s/bin", root);
	if (symlink("usr/bin", p) < 0)
		abort();
}

static void remove_root(void)
{
	struct vc_error err = {0};

	vc_tree_remove(root, &err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct vc_tree_options o = {.owner = VC_OWNER_ROOT};
	struct vc_tree *t = NULL;
	struct vc_error err = {0};
	char path[64];
	int fd;

	if (!root[0]) {
		make_root();
		atexit(remove_root);
	}
	fd = fuzz_memfile(data, len, path);
	o.mtree_path = path;
	if (vc_tree_load(root, VC_TREE_DIR, &o, &t, &err) == 0) {
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
