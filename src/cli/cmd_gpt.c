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

	vc_json_init(&j, 2);
	vc_json_begin_document(&j, "gpt");
	vc_json_key_uint(&j, "disk_size", g->disk_size);
	vc_json_key_uint(&j, "sector_size", g->sector_size);
	vc_uuid_format(g->disk_guid, u);
	vc_json_key_string(&j, "disk_guid", u);
	vc_json_key(&j, "partitions");
	vc_json_begin_array(&j);
	for (size_t i = 0; i < g->n_parts; i++) {
		const struct vc_gpt_part *p = &g->parts[i];
		const char *name = vc_gpt_type_name(p->type);

		vc_json_begin_object(&j);
		vc_json_key_uint(&j, "number", g->parts[i].number);
		vc_uuid_format(p->type, u);
		vc_json_key_string(&j, "type", u);
		vc_json_key(&j, "type_name");
		if (name)
			vc_json_string(&j, name);
		else
			vc_json_null(&j);
		vc_uuid_format(p->uuid, u);
		vc_json_key_string(&j, "uuid", u);
		vc_json_key_string(&j, "label", p->label);
		vc_json_key_uint(&j, "offset", p->offset);
		vc_json_key_uint(&j, "size", p->part_size);
		vc_json_key_uint(&j, "first_lba", p->first_lba);
		vc_json_key_uint(&j, "last_lba", p->last_lba);
		vc_json_key_uint(&j, "flags", p->flags);
		vc_json_end_object(&j);
	}
	vc_json_end_array(&j);
	vc_json_end_object(&j);
	cli_json_print(&j, &err);
}

struct gpt_args {
	const char *out, *seed, *epoch, *disk_guid;
	char **specs; /* --part, argc of them at most */
	size_t n_specs;
	uint64_t disk_size, sector_size;
	bool json;
};

/* The options into a; -1 to go on, else the exit code. */
static int parse_args(int argc, char **argv, struct gpt_args *a)
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
	int c;

	a->sector_size = 512;
	optind = 1;
	while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
		switch (c) {
		case 'h': help(); return VC_EXIT_OK;
		case 'o': a->out = optarg; break;
		case 'p': a->specs[a->n_specs++] = optarg; break;
		case 's':
			if (vc_parse_u64(optarg, true, &a->disk_size, &err) < 0 ||
			    a->disk_size == 0)
				return cli_usage("gpt", "--size '%s': not a size", optarg);
			break;
		case 'S':
			if (vc_parse_u64(optarg, false, &a->sector_size, &err) < 0 ||
			    (a->sector_size != 512 && a->sector_size != 4096))
				return cli_usage("gpt", "--sector-size '%s': 512 or 4096", optarg);
			break;
		case 'e': a->seed = optarg; break;
		case 'E': a->epoch = optarg; break;
		case 'j': a->json = true; break;
		case 'g': a->disk_guid = optarg; break;
		default: return cli_usage("gpt", "unknown option");
		}
	}
	if (optind < argc)
		return cli_usage("gpt", "unexpected argument '%s'", argv[optind]);
	if (!a->out)
		return cli_usage("gpt", "-o DISK is required");
	if (a->n_specs == 0)
		return cli_usage("gpt", "at least one --part is required");
	if (a->n_specs > VC_GPT_MAX_PARTS) {
		vc_errorf(&err, VC_ERANGE, "%zu partitions given, a GPT holds at most %d",
			  a->n_specs, VC_GPT_MAX_PARTS);
		return cli_fail("gpt", &err);
	}
	return -1;
}

/* The table of a's partitions, laid out in g (seed, sector size, GUID, size). */
static int plan(const struct gpt_args *a, struct vc_gpt *g, struct part_arg *args,
		struct vc_error *err)
{
	uint8_t s32[VC_SEED_LEN];
	int64_t epoch = 0;
	bool have_epoch = false;

	if (cli_epoch(a->epoch, &epoch, &have_epoch, err) < 0 ||
	    cli_seed(a->seed, a->out, epoch, s32, err) < 0)
		return err->code;
	vc_gpt_init(g, s32, sizeof(s32));
	g->sector_size = (uint32_t)a->sector_size;
	if (a->disk_guid) {
		if (vc_uuid_parse(a->disk_guid, g->disk_guid, err) < 0) {
			vc_error_prefix(err, "--disk-guid");
			return err->code;
		}
		g->disk_guid_set = true;
	}
	g->disk_size = a->disk_size;
	for (size_t i = 0; i < a->n_specs; i++) {
		struct vc_gpt_part p;

		if (vc_gpt_part_parse(a->specs[i], &p, &args[i].file, err) < 0 ||
		    (args[i].file &&
		     vc_gpt_part_image(args[i].file, &p, &args[i].file_size, err) < 0) ||
		    vc_gpt_add(g, &p, err) < 0) {
			vc_error_prefix(err, "--part %zu", i + 1);
			return err->code;
		}
	}
	return vc_gpt_layout(g, err);
}

/* The images into their partitions, the table last; renamed into place. */
static int write_disk(const char *out, const struct vc_gpt *g, const struct part_arg *args,
		      struct vc_error *err)
{
	struct vc_file_sink *fs = NULL;
	int r = vc_file_sink_open(out, &fs, err);

	for (size_t i = 0; r == 0 && i < g->n_parts; i++) {
		if (!args[i].file)
			continue;
		struct vc_sink w = vc_sink_window(vc_file_sink_sink(fs), g->parts[i].offset,
						  g->parts[i].part_size, "gpt partition");
		r = vc_gpt_copy_image(args[i].file, args[i].file_size, &w, err);
	}
	if (r == 0)
		r = vc_gpt_write(g, vc_file_sink_sink(fs), err);
	if (r == 0)
		r = vc_file_sink_commit(fs, g->disk_size, err);
	vc_file_sink_free(fs);
	return r;
}

int cmd_gpt(int argc, char **argv)
{
	struct gpt_args a = {.specs = calloc((size_t)argc, sizeof(char *))};
	struct vc_error err = {0};
	struct vc_gpt *g = NULL;
	struct part_arg *args = NULL;
	int ret;

	if (!a.specs)
		return VC_EXIT_ENV;
	ret = parse_args(argc, argv, &a);
	if (ret < 0) {
		g = malloc(sizeof(*g));
		args = calloc(a.n_specs, sizeof(*args));
		if (!g || !args)
			ret = VC_EXIT_ENV;
		else if (plan(&a, g, args, &err) < 0 || write_disk(a.out, g, args, &err) < 0)
			ret = cli_fail("gpt", &err);
		else
			ret = VC_EXIT_OK;
	}
	if (ret == VC_EXIT_OK && a.json && g)
		print_json(g);
	free(args);
	free(g);
	free(a.specs);
	return ret;
}
