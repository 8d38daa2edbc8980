/* SPDX-License-Identifier: MIT */
/* vcompose uki: assemble a Unified Kernel Image on the systemd-boot stub. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli_priv.h"
#include "vcompose/compose.h"
#include "vcompose/pe.h"
#include "vcompose/sink.h"
#include "vcompose/util.h"

#define UKI_INPUT_MAX (1ull << 30) /* 1 GiB per input file */

static void help(void)
{
	printf(
	    "Usage: vcompose uki --stub F --linux F [--initrd F]... [--cmdline S]\n"
	    "                    [--os-release F] [--uname S] [--sbat F] [--splash F]\n"
	    "                    [--dtb F] -o OUT.efi [--json] [--source-date-epoch N]\n"
	    "                    [--pcr-key K] [--pcr-bank B]... [--pcr-phase P]...\n\n"
	    "Appends .osrel .cmdline .dtb .uname .splash .pcrpkey .initrd .pcrsig .linux\n"
	    "(ukify's order) to the systemd-boot stub (linuxx64.efi.stub) and merges .sbat.\n"
	    "Prints the TPM PCR 11 values systemd-stub and the boot phases will produce.\n\n"
	    "  --stub F             the unsigned systemd-stub PE32+ image\n"
	    "  --linux F            the EFI-stub kernel (bzImage); VirtualSize = its SizeOfImage\n"
	    "  --initrd F           an initrd; repeat to concatenate (each padded to 4 bytes)\n"
	    "  --cmdline S          kernel command line, stored NUL-terminated\n"
	    "  --os-release F       os-release file for .osrel\n"
	    "  --uname S            kernel release for .uname (default: read from the bzImage)\n"
	    "  --sbat F             SBAT lines (first line 'sbat,1,...') instead of the 'uki' "
	    "line\n"
	    "  --splash F           BMP image for .splash\n"
	    "  --dtb F              flattened device tree for .dtb\n"
	    "  -o, --output F       the UKI to write (atomically)\n"
	    "  --json               print a JSON summary of the sections\n"
	    "  --pcr-key K          RSA key (PEM): sign the PCR 11 policy (.pcrpkey + .pcrsig,\n"
	    "                       as systemd-measure sign)\n"
	    "  --pcr-bank B         PCR bank: sha1, sha256 (default), sha384, sha512 (repeatable)\n"
	    "  --pcr-phase P        boot phase path to sign for (repeatable; default:\n"
	    "                       systemd-measure's four)\n"
	    "  --source-date-epoch N  PE TimeDateStamp (default $SOURCE_DATE_EPOCH, else the "
	    "stub's)\n");
}

static void print_pcr(const struct vc_compose_pcr *p)
{
	uint8_t v[VC_SIGN_MD_MAX];
	char hex[2 * VC_SIGN_MD_MAX + 1];
	struct vc_error err = {0};

	if (!p->predicted) {
		printf("PCR 11: not predicted: %s\n", p->why);
		return;
	}
	printf("PCR 11 (measured:");
	for (size_t i = 0; i < p->m.n_measured; i++)
		printf(" %s", p->m.measured[i]);
	printf(")%s\n", p->signed_ ? ", policy signed (.pcrsig)" : "");
	for (unsigned b = 0; b < VC_SIGN_N_MD; b++) {
		if (!(p->m.banks & VC_MEASURE_BANK(b)))
			continue;
		for (size_t i = 0; i <= p->phases.n; i++) {
			const char *ph = i ? p->phases.path[i - 1] : "";

			if ((i && !*ph) || vc_measure_phase(&p->m, b, ph, v, &err) < 0)
				continue;
			vc_hex_encode(v, vc_sign_md_len(b), hex);
			hex[2 * vc_sign_md_len(b)] = '\0';
			printf("  %-6s %-40s %s\n", vc_sign_md_name(b), *ph ? ph : "(stub)", hex);
		}
	}
}

static void print_text(const struct vc_uki_summary *s, const char *out)
{
	printf("%s: %llu bytes, %u sections (%u from the stub), SizeOfImage 0x%x, CheckSum "
	       "0x%08x\n",
	       out, (unsigned long long)s->size, s->n_sections, s->n_stub_sections,
	       s->size_of_image, s->checksum);
	printf("  %-8s %10s %10s %10s %10s  %s\n", "name", "vma", "vsize", "offset", "rawsize",
	       "flags");
	for (unsigned i = 0; i < s->n_sections; i++) {
		const struct vc_pe_section *x = &s->sections[i];

		printf("  %-8s 0x%08x 0x%08x 0x%08x 0x%08x  0x%08x\n", x->name, x->virtual_address,
		       x->virtual_size, x->pointer_to_raw_data, x->size_of_raw_data,
		       x->characteristics);
	}
	if (s->sbat_kept)
		printf("note: the merged .sbat (%zu bytes) does not fit in the stub's .sbat; the "
		       "stub's SBAT was kept as it is\n",
		       s->sbat_merged_len);
}

static int print_json(const struct vc_uki_summary *s, const struct vc_compose_pcr *p,
		      const char *out, struct vc_error *err)
{
	struct vc_json j;

	vc_json_init(&j, 2);
	vc_json_begin_document(&j, "uki");
	vc_json_key_string(&j, "output", out);
	vc_json_key_uint(&j, "size", s->size);
	vc_json_key_uint(&j, "size_of_image", s->size_of_image);
	vc_json_key_uint(&j, "checksum", s->checksum);
	vc_json_key_uint(&j, "time_date_stamp", s->time_date_stamp);
	vc_json_key_string(&j, "uname", s->uname);
	vc_json_key(&j, "sbat");
	vc_json_string(&j, s->sbat_in_stub ? "merged-in-stub"
			   : s->sbat_kept  ? "stub-kept"
					   : "appended");
	vc_json_key(&j, "sections");
	vc_json_begin_array(&j);
	for (unsigned i = 0; i < s->n_sections; i++) {
		const struct vc_pe_section *x = &s->sections[i];

		vc_json_begin_object(&j);
		vc_json_key_string(&j, "name", x->name);
		vc_json_key_uint(&j, "vma", x->virtual_address);
		vc_json_key_uint(&j, "virtual_size", x->virtual_size);
		vc_json_key_uint(&j, "file_offset", x->pointer_to_raw_data);
		vc_json_key_uint(&j, "raw_size", x->size_of_raw_data);
		vc_json_key_uint(&j, "flags", x->characteristics);
		vc_json_key_bool(&j, "from_stub", i < s->n_stub_sections);
		vc_json_end_object(&j);
	}
	vc_json_end_array(&j);
	vc_json_key(&j, "pcr11");
	if (vc_compose_pcr_json(p, &j, err) < 0) {
		vc_json_fini(&j);
		return err->code;
	}
	vc_json_end_object(&j);
	return cli_json_print(&j, err);
}

enum {
	OPT_STUB = 256,
	OPT_LINUX,
	OPT_INITRD,
	OPT_CMDLINE,
	OPT_OSREL,
	OPT_UNAME,
	OPT_SBAT,
	OPT_SPLASH,
	OPT_DTB,
	OPT_JSON,
	OPT_EPOCH,
	OPT_PCR_KEY,
	OPT_PCR_BANK,
	OPT_PCR_PHASE
};

struct uki_args {
	const char *stub, *kernel, *osrel, *sbat, *splash, *dtb, *out, *epoch;
	const char *initrds[VC_UKI_MAX_INITRDS];
	size_t n_initrds;
	bool json;
	struct vc_uki_options o;	  /* cmdline, uname, epoch; the blobs are loaded later */
	struct vc_compose_pcr_options po; /* --pcr-key, --pcr-bank, --pcr-phase */
};

/* The options into a; -1 to go on, else the exit code. */
static int parse_args(int argc, char **argv, struct uki_args *a)
{
	static const struct option opts[] = {
	    {"stub", required_argument, NULL, OPT_STUB},
	    {"linux", required_argument, NULL, OPT_LINUX},
	    {"initrd", required_argument, NULL, OPT_INITRD},
	    {"cmdline", required_argument, NULL, OPT_CMDLINE},
	    {"os-release", required_argument, NULL, OPT_OSREL},
	    {"uname", required_argument, NULL, OPT_UNAME},
	    {"sbat", required_argument, NULL, OPT_SBAT},
	    {"splash", required_argument, NULL, OPT_SPLASH},
	    {"dtb", required_argument, NULL, OPT_DTB},
	    {"output", required_argument, NULL, 'o'},
	    {"json", no_argument, NULL, OPT_JSON},
	    {"source-date-epoch", required_argument, NULL, OPT_EPOCH},
	    {"pcr-key", required_argument, NULL, OPT_PCR_KEY},
	    {"pcr-bank", required_argument, NULL, OPT_PCR_BANK},
	    {"pcr-phase", required_argument, NULL, OPT_PCR_PHASE},
	    {"quiet", no_argument, NULL, 'q'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	static struct vc_measure_phases phases;
	enum vc_sign_md bank;
	struct vc_error err = {0};
	int c;

	vc_uki_options_init(&a->o);
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:qvh", opts, NULL)) != -1) {
		switch (c) {
		case OPT_STUB: a->stub = optarg; break;
		case OPT_LINUX: a->kernel = optarg; break;
		case OPT_INITRD:
			if (a->n_initrds == VC_UKI_MAX_INITRDS)
				return cli_usage("uki", "at most %d --initrd", VC_UKI_MAX_INITRDS);
			a->initrds[a->n_initrds++] = optarg;
			break;
		case OPT_CMDLINE: a->o.cmdline = optarg; break;
		case OPT_OSREL: a->osrel = optarg; break;
		case OPT_UNAME: a->o.uname = optarg; break;
		case OPT_SBAT: a->sbat = optarg; break;
		case OPT_SPLASH: a->splash = optarg; break;
		case OPT_DTB: a->dtb = optarg; break;
		case 'o': a->out = optarg; break;
		case OPT_JSON: a->json = true; break;
		case OPT_EPOCH: a->epoch = optarg; break;
		case OPT_PCR_KEY: a->po.key_path = optarg; break;
		case OPT_PCR_BANK:
			if (vc_measure_bank_from_name(optarg, &bank, &err) < 0)
				return cli_usage("uki", "--pcr-bank: %s", err.msg);
			a->po.banks |= VC_MEASURE_BANK(bank);
			break;
		case OPT_PCR_PHASE:
			if (vc_measure_phases_add(&phases, optarg, &err) < 0)
				return cli_usage("uki", "--pcr-phase: %s", err.msg);
			a->po.phases = &phases;
			break;
		case 'q': cli_verbosity = -1; break;
		case 'v': cli_verbosity = 1; break;
		case 'h': help(); return VC_EXIT_OK;
		default: return cli_usage("uki", "unknown option");
		}
	}
	if (optind < argc)
		return cli_usage("uki", "unexpected argument '%s'", argv[optind]);
	if (!a->stub || !a->kernel || !a->out)
		return cli_usage("uki", "--stub, --linux and -o are required");
	if (cli_epoch(a->epoch, &a->o.epoch, &a->o.have_epoch, &err) < 0)
		return cli_fail("uki", &err);
	return -1;
}

/* The input files, read whole. */
struct uki_inputs {
	struct vc_uki_blob stub, kernel, osrel, sbat, splash, dtb, initrd[VC_UKI_MAX_INITRDS];
};

static void inputs_fini(struct uki_inputs *in)
{
	vc_uki_blob_fini(&in->stub);
	vc_uki_blob_fini(&in->kernel);
	vc_uki_blob_fini(&in->osrel);
	vc_uki_blob_fini(&in->sbat);
	vc_uki_blob_fini(&in->splash);
	vc_uki_blob_fini(&in->dtb);
	for (size_t i = 0; i < VC_UKI_MAX_INITRDS; i++)
		vc_uki_blob_fini(&in->initrd[i]);
}

/* Reads a's files into in and points a->o at them. */
static int load_inputs(struct uki_args *a, struct uki_inputs *in, struct vc_error *err)
{
	const struct {
		const char *path;
		struct vc_uki_blob *blob;
		const struct vc_uki_blob **opt; /* the option; NULL: required */
	} files[] = {
	    {a->stub, &in->stub, NULL},
	    {a->kernel, &in->kernel, NULL},
	    {a->osrel, &in->osrel, &a->o.os_release},
	    {a->sbat, &in->sbat, &a->o.sbat},
	    {a->splash, &in->splash, &a->o.splash},
	    {a->dtb, &in->dtb, &a->o.dtb},
	};

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (!files[i].path)
			continue;
		if (vc_uki_blob_load(files[i].path, UKI_INPUT_MAX, files[i].blob, err) < 0)
			return err->code;
		if (files[i].opt)
			*files[i].opt = files[i].blob;
	}
	for (size_t i = 0; i < a->n_initrds; i++) {
		if (vc_uki_blob_load(a->initrds[i], UKI_INPUT_MAX, &in->initrd[i], err) < 0)
			return err->code;
		a->o.initrds[i] = &in->initrd[i];
	}
	a->o.n_initrds = a->n_initrds;
	a->o.stub = &in->stub;
	a->o.kernel = &in->kernel;
	return 0;
}

int cmd_uki(int argc, char **argv)
{
	struct uki_args a = {0};
	struct uki_inputs in = {0};
	struct vc_uki_summary sum;
	static struct vc_compose_pcr pcr;
	struct vc_file_sink *f = NULL;
	struct vc_error err = {0};
	int rc = parse_args(argc, argv, &a);

	if (rc >= 0)
		return rc;
	rc = VC_EXIT_OK;
	if (load_inputs(&a, &in, &err) < 0 || vc_file_sink_open(a.out, &f, &err) < 0 ||
	    vc_compose_uki(&a.o, &a.po, vc_file_sink_sink(f), &sum, &pcr, &err) < 0 ||
	    vc_file_sink_commit(f, sum.size, &err) < 0 ||
	    (a.json && print_json(&sum, &pcr, a.out, &err) < 0)) {
		rc = cli_fail("uki", &err);
	} else if (!a.json && cli_verbosity >= 0) {
		print_text(&sum, a.out);
		print_pcr(&pcr);
	}
	vc_file_sink_free(f);
	inputs_fini(&in);
	return rc;
}
