/* SPDX-License-Identifier: MIT */
/* vcompose fat: a FAT file system image (an ESP) from a folder. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_priv.h"
#include "vcompose/fat.h"
#include "vcompose/sink.h"
#include "vcompose/tree.h"
#include "vcompose/util.h"

static void help(void)
{
	printf("Usage: vcompose fat --size N --root DIR -o IMG [--label L] [--json]\n\n"
	       "Writes a FAT12/16/32 image of N bytes (K/M/G suffixes; the type, cluster\n"
	       "size and layout mkfs.fat would pick) holding DIR's directories and regular\n"
	       "files, with long names; every timestamp is SOURCE_DATE_EPOCH (UTC).\n\n"
	       "Options:\n"
	       "  --size N               image size, a multiple of 512\n"
	       "  --root DIR             folder to copy in (directories and regular files)\n"
	       "  -o IMG                 output image (replaced atomically)\n"
	       "  --label L              volume label (ASCII, at most 11, upper-cased)\n"
	       "  --volume-id HEX        volume serial number, 8 hex digits (default: derived\n"
	       "                         from the seed)\n"
	       "  --seed S               seed for the volume id (default: the output's name,\n"
	       "                         vcompose's version, SOURCE_DATE_EPOCH)\n"
	       "  --hidden-sectors N     sectors before the volume on its disk (default 0)\n"
	       "  --source-date-epoch N  overrides $SOURCE_DATE_EPOCH\n"
	       "  --json                 print the geometry as JSON\n");
}

static void print_json(const struct vc_fat_info *in, uint32_t volume_id, uint64_t size)
{
	struct vc_json j;
	struct vc_error err;
	char id[10];

	snprintf(id, sizeof(id), "%04X-%04X", volume_id >> 16, volume_id & 0xffff);
	vc_json_init(&j, 2);
	vc_json_begin_document(&j, "fat");
	vc_json_key_uint(&j, "size", size);
	vc_json_key_uint(&j, "fat_bits", in->fat_bits);
	vc_json_key_string(&j, "volume_id", id);
	vc_json_key_uint(&j, "sectors", in->sectors);
	vc_json_key_uint(&j, "sectors_per_cluster", in->sectors_per_cluster);
	vc_json_key_uint(&j, "reserved_sectors", in->reserved_sectors);
	vc_json_key_uint(&j, "fat_sectors", in->fat_sectors);
	vc_json_key_uint(&j, "root_entries", in->root_entries);
	vc_json_key_uint(&j, "clusters", in->clusters);
	vc_json_key_uint(&j, "clusters_used", in->clusters_used);
	vc_json_key_uint(&j, "needed_size", in->needed_size);
	vc_json_end_object(&j);
	cli_json_print(&j, &err);
}

int cmd_fat(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"size", required_argument, NULL, 's'},
	    {"root", required_argument, NULL, 'r'},
	    {"label", required_argument, NULL, 'l'},
	    {"volume-id", required_argument, NULL, 'i'},
	    {"seed", required_argument, NULL, 'e'},
	    {"hidden-sectors", required_argument, NULL, 'H'},
	    {"source-date-epoch", required_argument, NULL, 'E'},
	    {"json", no_argument, NULL, 'j'},
	    {0},
	};
	struct vc_error err = {0};
	struct vc_fat_options o = {0};
	struct vc_tree_options to = {.owner = VC_OWNER_DEFAULT};
	struct vc_fat_info info;
	struct vc_tree *tree = NULL;
	struct vc_fat *fat = NULL;
	struct vc_file_sink *fs = NULL;
	const char *out = NULL, *root = NULL, *seed = NULL, *epoch_opt = NULL, *volid = NULL;
	uint64_t size = 0, hidden = 0;
	bool json = false, have_epoch = false;
	int64_t epoch = 0;
	int c, ret = VC_EXIT_BAD;

	optind = 1;
	while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
		switch (c) {
		case 'h': help(); return VC_EXIT_OK;
		case 'o': out = optarg; break;
		case 's':
			if (vc_parse_u64(optarg, true, &size, &err) < 0)
				return cli_usage("fat", "--size '%s': not a size", optarg);
			break;
		case 'r': root = optarg; break;
		case 'l': o.label = optarg; break;
		case 'i': volid = optarg; break;
		case 'e': seed = optarg; break;
		case 'H':
			if (vc_parse_u64(optarg, false, &hidden, &err) < 0 || hidden > UINT32_MAX)
				return cli_usage(
				    "fat", "--hidden-sectors '%s': not a 32-bit number", optarg);
			break;
		case 'E': epoch_opt = optarg; break;
		case 'j': json = true; break;
		default: return cli_usage("fat", "unknown option");
		}
	}
	if (optind < argc)
		return cli_usage("fat", "unexpected argument '%s'", argv[optind]);
	if (!out || !root || !size)
		return cli_usage("fat", "--size, --root and -o are required");
	if (cli_epoch(epoch_opt, &epoch, &have_epoch, &err) < 0)
		return cli_fail("fat", &err);
	o.size = size;
	o.epoch = epoch;
	o.hidden_sectors = (uint32_t)hidden;
	if (volid) {
		uint8_t b[4];
		size_t n;
		if (strlen(volid) != 8 || vc_hex_decode(volid, b, 4, &n, &err) < 0 || n != 4)
			return cli_usage("fat", "--volume-id '%s': expected 8 hex digits", volid);
		o.volume_id =
		    (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	} else {
		uint8_t s32[VC_SEED_LEN];
		if (cli_seed(seed, out, epoch, s32, &err) < 0)
			return cli_fail("fat", &err);
		o.volume_id = vc_fat_volume_id(s32, sizeof(s32));
	}

	to.have_epoch = have_epoch;
	to.source_date_epoch = epoch;
	if (vc_fat_new(&o, &fat, &err) < 0 ||
	    vc_tree_load(root, VC_TREE_DIR, &to, &tree, &err) < 0 ||
	    vc_fat_add_tree(fat, tree, &err) < 0 || vc_fat_plan(fat, &info, &err) < 0)
		goto fail;
	if (vc_file_sink_open(out, &fs, &err) < 0)
		goto fail;
	{
		struct vc_sink w = vc_sink_window(vc_file_sink_sink(fs), 0, size, "fat");
		if (vc_fat_write(fat, &w, &err) < 0 || vc_file_sink_commit(fs, size, &err) < 0)
			goto fail;
	}
	if (json)
		print_json(&info, o.volume_id, size);
	ret = VC_EXIT_OK;
	goto out;
fail:
	ret = cli_fail("fat", &err);
out:
	vc_file_sink_free(fs);
	vc_fat_free(fat);
	vc_tree_free(tree);
	return ret;
}
