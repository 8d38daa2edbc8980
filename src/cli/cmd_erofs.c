/* SPDX-License-Identifier: MIT */
/* vcompose erofs: a tree (folder or archive) to an EROFS image file. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli_priv.h"
#include "vcompose/erofs.h"
#include "vcompose/tree.h"
#include "vcompose/util.h"

static void help(void)
{
	printf("Usage: vcompose erofs (--root DIR | --tar FILE) -o IMG\n"
	       "                      [--compress ALG[,level=N]] [--pcluster-size N]\n"
	       "                      [--erofs-features F,...] [--erofs-target KVER]\n"
	       "                      [--chunk-size N] [--uuid U] [--label L]\n"
	       "                      [--mtree F] [--owner keep|root] [--jobs N]\n"
	       "                      [--source-date-epoch N] [--json] [-q|-v]\n\n"
	       "Writes an EROFS image (4 KiB blocks); by default one that Linux 6.1 and\n"
	       "erofs-utils 1.5 read.\n\n"
	       "  --root DIR           read a folder (symlinks are never followed)\n"
	       "  --tar FILE           read an archive (tar, cpio; gz, xz, zst, bz2, lz4; '-')\n"
	       "  -o, --output IMG     the image; written under a temporary name, then renamed\n"
	       "  --compress C         none (default), lz4, lz4hc[,level=1..12] (9),\n"
	       "                       zstd[,level=1..22] (3; Linux 6.10),\n"
	       "                       lzma[,level=0..9|100..109] (6; Linux 5.16) or\n"
	       "                       deflate[,level=1..9] (1; Linux 6.6); KIWI's and\n"
	       "                       mkfs.erofs -z spelling: zstd,level=9 or lz4hc,9\n"
	       "  --pcluster-size N    bytes of a physical cluster: a power of two from\n"
	       "                       4096 (default) to 1M; over 4096: Linux 5.13\n"
	       "  --erofs-features F   fragments (small files whole in the packed inode),\n"
	       "                       dedupe (equal ones share it), ztailpacking (inline\n"
	       "                       compressed tails), chunks (stored files in chunks:\n"
	       "                       equal ones once, zeros as holes); none by default\n"
	       "  --chunk-size N       bytes of a chunk (chunks, holes): a power of two\n"
	       "                       from 4096 (default)\n"
	       "  --erofs-target KVER  the oldest Linux that must read the image (6.1);\n"
	       "                       an option it cannot read is an error\n"
	       "  --uuid U             filesystem UUID (default: derived from the seed: the\n"
	       "                       image's name, vcompose's version and the build time)\n"
	       "  --label L            volume name, up to 16 bytes\n"
	       "  --mtree F            overlay ownership, modes, times, device nodes\n"
	       "  --owner keep|root    keep the input's uid/gid, or make all 0:0\n"
	       "                       (default: root for folders, keep for archives)\n"
	       "  --jobs N             worker threads (default: one per CPU); never\n"
	       "                       changes the bytes\n"
	       "  --source-date-epoch N  build time, and clamp mtimes to it\n"
	       "                       (default: $SOURCE_DATE_EPOCH, else the newest mtime)\n"
	       "  --json               print a JSON summary\n");
}

/* --json: the image written, its options and counts. */
static int print_json(const char *output, const struct vc_erofs_options *eo,
		      const struct vc_erofs_result *res, const char *us, struct vc_error *err)
{
	struct vc_json j;
	char kv[16];

	vc_json_init(&j, 2);
	vc_json_begin_document(&j, "erofs");
	vc_json_key_string(&j, "image", output);
	vc_json_key_uint(&j, "size", res->size);
	vc_json_key_uint(&j, "blocks", res->size / VC_EROFS_BLOCK_SIZE);
	vc_json_key_uint(&j, "block_size", VC_EROFS_BLOCK_SIZE);
	vc_json_key_uint(&j, "inodes", res->n_inodes);
	vc_json_key_uint(&j, "root_nid", res->root_nid);
	vc_json_key_string(&j, "uuid", us);
	vc_json_key(&j, "label");
	if (eo->label)
		vc_json_string(&j, eo->label);
	else
		vc_json_null(&j);
	vc_json_key_string(&j, "compression", vc_erofs_compress_name(eo->compress));
	vc_json_key_uint(&j, "level", (uint64_t)eo->level);
	vc_json_key_uint(&j, "pcluster_size",
			 eo->pcluster_size ? eo->pcluster_size : VC_EROFS_BLOCK_SIZE);
	vc_json_key_string(&j, "min_kernel", vc_erofs_kver_str(res->min_kver, kv, sizeof(kv)));
	vc_json_key_uint(&j, "compressed_files", res->n_compressed_files);
	vc_json_key_uint(&j, "fragments", res->n_fragments);
	vc_json_key_uint(&j, "deduped_fragments", res->n_deduped);
	vc_json_key_uint(&j, "chunked_files", res->n_chunked);
	vc_json_key_uint(&j, "shared_chunks", res->n_shared_chunks);
	vc_json_key_uint(&j, "hole_bytes", res->hole_bytes);
	vc_json_key_uint(&j, "shared_xattrs", res->n_shared_xattrs);
	vc_json_key_uint(&j, "metadata_bytes", res->meta_bytes);
	vc_json_key_uint(&j, "data_bytes", res->data_bytes);
	vc_json_end_object(&j);
	return cli_json_print(&j, err);
}

struct erofs_args {
	struct vc_tree_options to;
	struct vc_erofs_options eo;
	const char *root, *tar, *output, *epoch, *uuid;
	bool json;
	unsigned jobs;
};

/* The options into a, checked; -1 to go on, else the exit code. A bad
 * value of the EROFS options is bad input (exit 1), as in a config. */
static int parse_args(int argc, char **argv, struct erofs_args *a)
{
	enum {
		OPT_JSON = 256,
		OPT_UUID,
		OPT_LABEL,
		OPT_COMPRESS,
		OPT_JOBS,
		OPT_PCLUSTER,
		OPT_FEATURES,
		OPT_TARGET,
		OPT_CHUNK
	};
	static const struct option opts[] = {
	    {"root", required_argument, NULL, 'r'},
	    {"tar", required_argument, NULL, 't'},
	    {"output", required_argument, NULL, 'o'},
	    {"compress", required_argument, NULL, OPT_COMPRESS},
	    {"pcluster-size", required_argument, NULL, OPT_PCLUSTER},
	    {"erofs-features", required_argument, NULL, OPT_FEATURES},
	    {"erofs-target", required_argument, NULL, OPT_TARGET},
	    {"chunk-size", required_argument, NULL, OPT_CHUNK},
	    {"uuid", required_argument, NULL, OPT_UUID},
	    {"label", required_argument, NULL, OPT_LABEL},
	    {"mtree", required_argument, NULL, 'm'},
	    {"owner", required_argument, NULL, 'O'},
	    {"jobs", required_argument, NULL, OPT_JOBS},
	    {"source-date-epoch", required_argument, NULL, 'E'},
	    {"json", no_argument, NULL, OPT_JSON},
	    {"help", no_argument, NULL, 'h'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"verbose", no_argument, NULL, 'v'},
	    {0},
	};
	struct vc_tree_options *to = &a->to;
	struct vc_erofs_options *eo = &a->eo;
	struct vc_error err = {0};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:hqv", opts, NULL)) != -1) {
		switch (c) {
		case 'r': a->root = optarg; break;
		case 't': a->tar = optarg; break;
		case 'o': a->output = optarg; break;
		case 'm': to->mtree_path = optarg; break;
		case 'O':
			if (cli_parse_owner(optarg, &to->owner) < 0)
				return cli_usage("erofs", "--owner '%s': expected keep or root",
						 optarg);
			break;
		case OPT_COMPRESS:
			if (vc_erofs_parse_compress(optarg, &eo->compress, &eo->level, &err) < 0)
				return cli_fail("erofs", &err);
			break;
		case OPT_PCLUSTER:
			if (vc_erofs_parse_pcluster(optarg, &eo->pcluster_size, &err) < 0)
				return cli_fail("erofs", &err);
			break;
		case OPT_FEATURES:
			if (vc_erofs_parse_features(optarg, &eo->features, &err) < 0)
				return cli_fail("erofs", &err);
			break;
		case OPT_TARGET:
			if (vc_erofs_parse_kver(optarg, &eo->target, &err) < 0)
				return cli_fail("erofs", &err);
			break;
		case OPT_CHUNK:
			if (vc_erofs_parse_chunk_size(optarg, &eo->chunk_size, &err) < 0)
				return cli_fail("erofs", &err);
			break;
		case OPT_UUID: a->uuid = optarg; break;
		case OPT_LABEL: eo->label = optarg; break;
		case OPT_JOBS:
			if (cli_parse_jobs(optarg, &a->jobs, &err) < 0)
				return cli_usage("erofs", "--jobs: %s", err.msg);
			break;
		case 'E': a->epoch = optarg; break;
		case OPT_JSON: a->json = true; break;
		case 'h': help(); return VC_EXIT_OK;
		case 'q': cli_verbosity = -1; break;
		case 'v': cli_verbosity = 1; break;
		default: return cli_usage("erofs", "bad option");
		}
	}
	if (optind < argc)
		return cli_usage("erofs", "unexpected argument '%s'", argv[optind]);
	if (!a->root == !a->tar)
		return cli_usage("erofs", "give exactly one of --root DIR and --tar FILE");
	if (!a->output)
		return cli_usage("erofs", "give the image path with -o IMG");
	if (eo->label && strlen(eo->label) > VC_EROFS_LABEL_MAX)
		return cli_usage("erofs", "--label '%s': longer than %d bytes", eo->label,
				 VC_EROFS_LABEL_MAX);
	if (a->uuid && vc_uuid_parse(a->uuid, eo->uuid, &err) < 0)
		return cli_usage("erofs", "--uuid: %s", err.msg);
	if (vc_erofs_check_options(eo, &err) < 0)
		return cli_fail("erofs", &err);
	if (cli_epoch(a->epoch, &to->source_date_epoch, &to->have_epoch, &err) < 0)
		return cli_fail("erofs", &err);
	eo->have_build_time = to->have_epoch;
	eo->build_time = to->source_date_epoch;
	return -1;
}

int cmd_erofs(int argc, char **argv)
{
	struct erofs_args a = {.to = {.owner = VC_OWNER_DEFAULT},
			       .eo = {.compress = VC_EROFS_NONE}};
	struct vc_erofs_options *eo = &a.eo;
	const char *output;
	struct vc_erofs_result res;
	struct vc_error err = {0};
	struct vc_tree *t = NULL;
	struct vc_pool *pool = NULL;
	struct vc_file_sink *fs = NULL;
	int rc = parse_args(argc, argv, &a);

	if (rc >= 0)
		return rc;
	rc = VC_EXIT_OK;
	output = a.output;
	if (vc_tree_load(a.root ? a.root : a.tar, a.root ? VC_TREE_DIR : VC_TREE_ARCHIVE, &a.to, &t,
			 &err) < 0) {
		rc = cli_fail("erofs", &err);
		goto out;
	}
	if (!a.uuid) {
		/* the seed: the image's file name, vcompose's version, the build time */
		uint8_t s32[VC_SEED_LEN];
		if (cli_seed(NULL, output, a.to.have_epoch ? a.to.source_date_epoch : 0, s32,
			     &err) < 0) {
			rc = cli_fail("erofs", &err);
			goto out;
		}
		vc_uuid_derive(s32, sizeof(s32), "erofs-uuid", eo->uuid);
	}
	if (vc_pool_new(a.jobs, &pool, &err) < 0 || vc_file_sink_open(output, &fs, &err) < 0) {
		rc = cli_fail("erofs", &err);
		goto out;
	}
	eo->pool = pool;
	eo->read = vc_tree_read_cb;
	eo->open = vc_tree_open_cb;
	eo->close = vc_tree_close_cb;
	eo->read_ctx = t;
	if (vc_erofs_write(t, eo, vc_file_sink_sink(fs), &res, &err) < 0 ||
	    vc_file_sink_commit(fs, res.size, &err) < 0) {
		vc_error_prefix(&err, "%s", output);
		rc = cli_fail("erofs", &err);
		goto out;
	}
	char us[VC_UUID_STR];

	vc_uuid_format(eo->uuid, us);
	if (a.json) {
		if (print_json(output, eo, &res, us, &err) < 0)
			rc = cli_fail("erofs", &err);
	} else if (cli_verbosity >= 0) {
		printf("%s: %" PRIu64 " bytes, %" PRIu64 " inodes, UUID %s, %s\n", output, res.size,
		       res.n_inodes, us, vc_erofs_compress_name(eo->compress));
	}
out:
	vc_file_sink_free(fs);
	vc_pool_free(pool);
	vc_tree_free(t);
	return rc;
}
