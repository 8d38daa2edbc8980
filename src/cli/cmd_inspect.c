/* SPDX-License-Identifier: MIT */
/* vcompose inspect: describe an artifact. Each kind of file has a probe (its
 * magic) and a describer; this version knows PE files (UKIs, stubs, kernels). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "vcompose/pe.h"
#include "vcompose/sha256.h"
#include "vcompose/util.h"

#define INSPECT_MAX (4ull << 30)

static void help(void)
{
	printf("Usage: vcompose inspect FILE [--json]\n\n"
	       "Describes FILE. PE images (UKIs, the systemd-boot stub, kernels): header\n"
	       "fields, every section (name, address, sizes, flags, sha256 of its loaded\n"
	       "bytes: min(VirtualSize, SizeOfRawData)), and the text of .cmdline, .osrel,\n"
	       ".uname and .sbat.\n");
}

static void print_text_section(const char *name, const uint8_t *p, size_t n)
{
	while (n && p[n - 1] == 0)
		n--;
	printf("%s:\n", name);
	while (n) {
		const uint8_t *nl = memchr(p, '\n', n);
		size_t len = nl ? (size_t)(nl - p) : n;

		printf("    %.*s\n", (int)len, (const char *)p);
		if (!nl)
			break;
		n -= len + 1;
		p += len + 1;
	}
}

static int inspect_pe(const char *path, const struct vc_uki_blob *b, bool json,
		      struct vc_error *err)
{
	struct vc_pe_image img;
	uint32_t ck;
	int r = vc_pe_parse(b->data, b->len, path, &img, err);

	if (r < 0)
		return r;
	ck = vc_pe_checksum(b->data, b->len, img.opt_offset + 64);
	if (json) {
		struct vc_json j;
		const char *text;

		vc_json_init(&j, 2);
		vc_json_begin_object(&j);
		vc_json_key(&j, "file");
		vc_json_string(&j, path);
		vc_json_key(&j, "type");
		vc_json_string(&j, "pe32+");
		vc_json_key(&j, "checksum_valid");
		vc_json_bool(&j, ck == img.checksum);
		vc_json_key(&j, "pe");
		r = vc_pe_describe_json(&img, &j, err);
		vc_json_end_object(&j);
		text = vc_json_finish(&j, err);
		if (r == 0 && text)
			fputs(text, stdout);
		vc_json_fini(&j);
		return r < 0 ? r : text ? 0 : err->code;
	}
	printf("%s: PE32+ machine 0x%04x subsystem %u, %u sections, SizeOfImage 0x%x, "
	       "TimeDateStamp %u, CheckSum 0x%08x (%s), %s\n",
	       path, img.machine, img.subsystem, img.n_sections, img.size_of_image,
	       img.time_date_stamp, img.checksum,
	       ck == img.checksum ? "valid"
	       : img.checksum	  ? "WRONG"
				  : "not set",
	       img.security_size ? "signed" : "unsigned");
	printf("  %-8s %10s %10s %10s %10s %10s  %s\n", "name", "vma", "vsize", "offset", "rawsize",
	       "flags", "sha256");
	for (unsigned i = 0; i < img.n_sections; i++) {
		const struct vc_pe_section *s = &img.sections[i];
		const uint8_t *p;
		size_t n = vc_pe_section_data(&img, s, &p);
		uint8_t md[VC_SHA256_LEN];
		char hex[2 * VC_SHA256_LEN + 1];

		vc_sha256(p, n, md);
		vc_hex_encode(md, sizeof(md), hex);
		printf("  %-8s 0x%08x 0x%08x 0x%08x 0x%08x 0x%08x  %s\n", s->name,
		       s->virtual_address, s->virtual_size, s->pointer_to_raw_data,
		       s->size_of_raw_data, s->characteristics, hex);
	}
	static const char *const texts[] = {".cmdline", ".uname", ".osrel", ".sbat"};
	for (size_t t = 0; t < VC_ARRAY_SIZE(texts); t++) {
		const struct vc_pe_section *s = vc_pe_find_section(&img, texts[t]);
		const uint8_t *p;

		if (s) {
			size_t n = vc_pe_section_data(&img, s, &p);
			print_text_section(texts[t], p, n);
		}
	}
	return 0;
}

int cmd_inspect(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	struct vc_uki_blob b;
	struct vc_error err = {0};
	bool json = false;
	const char *path;
	int c, rc = VC_EXIT_OK;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'h': help(); return VC_EXIT_OK;
		default: return cli_usage("inspect", "unknown option");
		}
	}
	if (optind + 1 != argc)
		return cli_usage("inspect", "one FILE expected");
	path = argv[optind];
	if (vc_uki_blob_load(path, INSPECT_MAX, &b, &err) < 0)
		return cli_fail("inspect", &err);
	if (b.len >= 2 && b.data[0] == 'M' && b.data[1] == 'Z') {
		if (inspect_pe(path, &b, json, &err) < 0)
			rc = cli_fail("inspect", &err);
	} else {
		vc_errorf(&err, VC_EUNSUPP, "%s: not a file type this version describes (PE)",
			  path);
		rc = cli_fail("inspect", &err);
	}
	vc_uki_blob_fini(&b);
	return rc;
}
