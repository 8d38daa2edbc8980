/* SPDX-License-Identifier: MIT */
/* vcompose tree --dump: load a tree as every other command does and print
 * its canonical form, so two inputs can be compared with diff. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli_priv.h"
#include "vcompose/tree.h"

static void help(void)
{
	printf("Usage: vcompose tree --dump (--root DIR | --tar FILE) [--mtree FILE]\n"
	       "                     [--owner keep|root] [--source-date-epoch N]\n\n"
	       "Loads a tree from a folder or an archive (tar, cpio, ...; gzip, xz, zstd,\n"
	       "bzip2, lz4; '-' for standard input) and prints one line per node in\n"
	       "canonical order: path, type, mode, uid, gid, mtime, size, sha256, link\n"
	       "target, device numbers, link count, hardlink group, xattrs.\n\n"
	       "  --root DIR           read a folder (symlinks are never followed)\n"
	       "  --tar FILE           read an archive\n"
	       "  --mtree FILE         overlay ownership, modes, times, device nodes\n"
	       "  --owner keep|root    keep the input's uid/gid, or make all 0:0\n"
	       "                       (default: root for folders, keep for archives)\n"
	       "  --source-date-epoch N  clamp mtimes to N (default: $SOURCE_DATE_EPOCH)\n");
}

/* Shared by the commands that take a tree: parses --owner. */
int cli_parse_owner(const char *s, enum vc_owner_policy *ret)
{
	if (strcmp(s, "keep") == 0)
		*ret = VC_OWNER_KEEP;
	else if (strcmp(s, "root") == 0)
		*ret = VC_OWNER_ROOT;
	else
		return -1;
	return 0;
}

int cmd_tree(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"dump", no_argument, NULL, 'd'},
	    {"root", required_argument, NULL, 'r'},
	    {"tar", required_argument, NULL, 't'},
	    {"mtree", required_argument, NULL, 'm'},
	    {"owner", required_argument, NULL, 'o'},
	    {"source-date-epoch", required_argument, NULL, 'E'},
	    {"help", no_argument, NULL, 'h'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"verbose", no_argument, NULL, 'v'},
	    {0},
	};
	struct vc_tree_options o = {.owner = VC_OWNER_DEFAULT};
	struct vc_error err = {0};
	const char *root = NULL, *tar = NULL, *epoch = NULL;
	bool dump = false;
	struct vc_tree *t = NULL;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "hqv", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dump = true; break;
		case 'r': root = optarg; break;
		case 't': tar = optarg; break;
		case 'm': o.mtree_path = optarg; break;
		case 'o':
			if (cli_parse_owner(optarg, &o.owner) < 0)
				return cli_usage("tree", "--owner '%s': expected keep or root",
						 optarg);
			break;
		case 'E': epoch = optarg; break;
		case 'h': help(); return VC_EXIT_OK;
		case 'q': cli_verbosity = -1; break;
		case 'v': cli_verbosity = 1; break;
		default: return cli_usage("tree", "bad option");
		}
	}
	if (optind < argc)
		return cli_usage("tree", "unexpected argument '%s'", argv[optind]);
	if (!dump)
		return cli_usage("tree", "nothing to do: give --dump");
	if (!root == !tar)
		return cli_usage("tree", "give exactly one of --root DIR and --tar FILE");
	if (cli_epoch(epoch, &o.source_date_epoch, &o.have_epoch, &err) < 0)
		return cli_fail("tree", &err);
	if (vc_tree_load(root ? root : tar, root ? VC_TREE_DIR : VC_TREE_ARCHIVE, &o, &t, &err) < 0)
		return cli_fail("tree", &err);
	rc = vc_tree_dump(t, stdout, &err) < 0 ? cli_fail("tree", &err) : VC_EXIT_OK;
	if (rc == VC_EXIT_OK && fflush(stdout) != 0) {
		fprintf(stderr, "vcompose tree: writing the dump failed\n");
		rc = VC_EXIT_ENV;
	}
	vc_tree_free(t);
	return rc;
}
