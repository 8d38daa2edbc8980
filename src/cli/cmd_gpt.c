/* SPDX-License-Identifier: MIT */
/* vcompose gpt: a GPT disk from partition images, each copied to its 1 MiB
 * aligned offset, the table written last. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_priv.h"
#include "vcompose/gpt.h"
#include "vcompose/sink.h"
#include "vcompose/util.h"

static void help(void)
{
	printf("Usage: vcompose gpt -o DISK --part TYPE:FILE[,OPTION=V...]... [--size N]\n"
	       "                    [--sector-size 512|4096] [--seed S] [--json]\n\n"
	       "Writes a GPT disk holding the given partition images, in order, each on a\n"
	       "1 MiB boundary. TYPE is a DPS name (esp, xbootldr, swap, home, srv, var, tmp,\n"
	       "linux-generic, root, usr, root-verity, usr-verity, root-verity-sig,\n"
	       "usr-verity-sig; an -x86-64, -x86, -arm64, -arm, -riscv64 or -loongarch64\n"
	       "suffix picks another architecture) or a GUID. FILE may be empty with size=.\n\n"
	       "Partition options (comma-separated after FILE):\n"
	       "  label=L      partition name (UTF-8, at most 36 UTF-16 units)\n"
	       "  uuid=U       partition UUID (default: derived from the seed)\n"
	       "  roothash=H   UUID from a verity root hash: first 128 bits for root/usr,\n"
	       "               last 128 bits for root-verity/usr-verity\n"
	       "  flags=F      attribute bits: a number or names joined by '+': required,\n"
	       "               no-block-io, legacy-boot, growfs, read-only, hidden, no-auto\n"
	       "  size=N       minimum partition size (K/M/G/T suffixes)\n"
	       "  start=N      start offset in bytes (default: next 1 MiB boundary)\n"
	       "  number=N     GPT entry number, 1..128 (default: the lowest free one, in\n"
	       "               disk order); the disk order stays the order of --part\n\n"
	       "Options:\n"
	       "  -o DISK              output disk image (replaced atomically)\n"
	       "  --size N             disk size (default: the smallest that fits)\n"
	       "  --sector-size N      logical sector size, 512 (default) or 4096\n"
	       "  --seed S             seed for the disk GUID and partition UUIDs (default:\n"
	       "                       the output's name, vcompose's version, SOURCE_DATE_EPOCH)\n"
	       "  --source-date-epoch N  overrides $SOURCE_DATE_EPOCH\n"
	       "  --disk-guid U        disk GUID (default: derived from the seed)\n"
	       "  --json               print the layout as JSON\n");
}

struct part_arg {
	const char *file; /* NULL: no content */
	uint64_t file_size;
};

static void print_json(const struct vc_gpt *g)
{
	struct vc_json j;
	struct vc_error err;
	char u[VC_UUID_STR];
	const char *text;

	vc_json_init(&j, 2);
	vc_json_begin_document(&j, "gpt");
	vc_json_key(&j, "disk_size");
	vc_json_uint(&j, g->disk_size);
	vc_json_key(&j, "sector_size");
	vc_json_uint(&j, g->sector_size);
	vc_uuid_format(g->disk_guid, u);
	vc_json_key(&j, "disk_guid");
	vc_json_string(&j, u);
	vc_json_key(&j, "partitions");
	vc_json_begin_array(&j);
	for (size_t i = 0; i < g->n_parts; i++) {
		const struct vc_gpt_part *p = &g->parts[i];
		const char *name = vc_gpt_type_name(p->type);

		vc_json_begin_object(&j);
		vc_json_key(&j, "number");
		vc_json_uint(&j, g->parts[i].number);
		vc_uuid_format(p->type, u);
		vc_json_key(&j, "type");
		vc_json_string(&j, u);
		vc_json_key(&j, "type_name");
		if (name)
			vc_json_string(&j, name);
		else
			vc_json_null(&j);
		vc_uuid_format(p->uuid, u);
		vc_json_key(&j, "uuid");
		vc_json_string(&j, u);
		vc_json_key(&j, "label");
		vc_json_string(&j, p->label);
		vc_json_key(&j, "offset");
		vc_json_uint(&j, p->offset);
		vc_json_key(&j, "size");
		vc_json_uint(&j, p->part_size);
		vc_json_key(&j, "first_lba");
		vc_json_uint(&j, p->first_lba);
		vc_json_key(&j, "last_lba");
		vc_json_uint(&j, p->last_lba);
		vc_json_key(&j, "flags");
		vc_json_uint(&j, p->flags);
		vc_json_end_object(&j);
	}
	vc_json_end_array(&j);
	vc_json_end_object(&j);
	text = vc_json_finish(&j, &err);
	if (text)
		fputs(text, stdout);
	vc_json_fini(&j);
}

int cmd_gpt(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"part", required_argument, NULL, 'p'},
	    {"size", required_argument, NULL, 's'},
	    {"sector-size", required_argument, NULL, 'S'},
	    {"seed", required_argument, NULL, 'e'},
	    {"source-date-epoch", required_argument, NULL, 'E'},
	    {"json", no_argument, NULL, 'j'},
	    {"disk-guid", required_argument, NULL, 'g'},
	    {0},
	};
	struct vc_error err = {0};
	struct vc_gpt *g = NULL;
	struct part_arg *args = NULL;
	struct vc_file_sink *fs = NULL;
	const char *out = NULL, *seed = NULL, *epoch_opt = NULL, *disk_guid = NULL;
	char **specs = NULL;
	size_t n_specs = 0;
	uint64_t disk_size = 0, sector_size = 512;
	bool json = false;
	int c, ret = VC_EXIT_BAD;

	specs = calloc((size_t)argc, sizeof(*specs));
	if (!specs)
		return VC_EXIT_ENV;
	optind = 1;
	while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			help();
			free(specs);
			return VC_EXIT_OK;
		case 'o': out = optarg; break;
		case 'p': specs[n_specs++] = optarg; break;
		case 's':
			if (vc_parse_u64(optarg, true, &disk_size, &err) < 0 || disk_size == 0) {
				ret = cli_usage("gpt", "--size '%s': not a size", optarg);
				goto out;
			}
			break;
		case 'S':
			if (vc_parse_u64(optarg, false, &sector_size, &err) < 0 ||
			    (sector_size != 512 && sector_size != 4096)) {
				ret = cli_usage("gpt", "--sector-size '%s': 512 or 4096", optarg);
				goto out;
			}
			break;
		case 'e': seed = optarg; break;
		case 'E': epoch_opt = optarg; break;
		case 'j': json = true; break;
		case 'g': disk_guid = optarg; break;
		default: ret = cli_usage("gpt", "unknown option"); goto out;
		}
	}
	if (optind < argc) {
		ret = cli_usage("gpt", "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (!out) {
		ret = cli_usage("gpt", "-o DISK is required");
		goto out;
	}
	if (n_specs == 0) {
		ret = cli_usage("gpt", "at least one --part is required");
		goto out;
	}
	if (n_specs > VC_GPT_MAX_PARTS) {
		vc_errorf(&err, VC_ERANGE, "%zu partitions given, a GPT holds at most %d", n_specs,
			  VC_GPT_MAX_PARTS);
		ret = cli_fail("gpt", &err);
		goto out;
	}

	g = malloc(sizeof(*g));
	args = calloc(n_specs, sizeof(*args));
	if (!g || !args) {
		ret = VC_EXIT_ENV;
		goto out;
	}
	{
		uint8_t s32[VC_SEED_LEN];
		int64_t epoch = 0;
		bool have_epoch = false;

		if (cli_epoch(epoch_opt, &epoch, &have_epoch, &err) < 0 ||
		    cli_seed(seed, out, epoch, s32, &err) < 0) {
			ret = cli_fail("gpt", &err);
			goto out;
		}
		vc_gpt_init(g, s32, sizeof(s32));
	}
	g->sector_size = (uint32_t)sector_size;
	if (disk_guid) {
		if (vc_uuid_parse(disk_guid, g->disk_guid, &err) < 0) {
			vc_error_prefix(&err, "--disk-guid");
			ret = cli_fail("gpt", &err);
			goto out;
		}
		g->disk_guid_set = true;
	}
	g->disk_size = disk_size;

	for (size_t i = 0; i < n_specs; i++) {
		struct vc_gpt_part p;

		if (vc_gpt_part_parse(specs[i], &p, &args[i].file, &err) < 0 ||
		    (args[i].file &&
		     vc_gpt_part_image(args[i].file, &p, &args[i].file_size, &err) < 0) ||
		    vc_gpt_add(g, &p, &err) < 0) {
			vc_error_prefix(&err, "--part %zu", i + 1);
			ret = cli_fail("gpt", &err);
			goto out;
		}
	}
	if (vc_gpt_layout(g, &err) < 0) {
		ret = cli_fail("gpt", &err);
		goto out;
	}
	if (vc_file_sink_open(out, &fs, &err) < 0) {
		ret = cli_fail("gpt", &err);
		goto out;
	}
	for (size_t i = 0; i < g->n_parts; i++) {
		struct vc_sink w;

		if (!args[i].file)
			continue;
		w = vc_sink_window(vc_file_sink_sink(fs), g->parts[i].offset, g->parts[i].part_size,
				   "gpt partition");
		if (vc_gpt_copy_image(args[i].file, args[i].file_size, &w, &err) < 0) {
			ret = cli_fail("gpt", &err);
			goto out;
		}
	}
	if (vc_gpt_write(g, vc_file_sink_sink(fs), &err) < 0 ||
	    vc_file_sink_commit(fs, g->disk_size, &err) < 0) {
		ret = cli_fail("gpt", &err);
		goto out;
	}
	if (json)
		print_json(g);
	ret = VC_EXIT_OK;
out:
	vc_file_sink_free(fs);
	free(args);
	free(g);
	free(specs);
	return ret;
}
