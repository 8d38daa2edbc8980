/* SPDX-License-Identifier: MIT */
/* vcompose inspect IMAGE [--json]: what is inside a disk, EROFS, verity, FAT,
 * PE/UKI or signature image, read offline (src/inspect, docs/inspect.md). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli_priv.h"
#include "vcompose/inspect.h"
#include "vcompose/util.h"

static void help(void)
{
	printf("Usage: vcompose inspect IMAGE [--json]\n"
	       "\n"
	       "Describes IMAGE without root, loop devices or mounting: a GPT disk (every\n"
	       "partition: DPS type, label, UUID, flags, offset, size, and what it holds), a bare\n"
	       "EROFS image (superblock, features, inodes, compression), a verity hash area\n"
	       "(superblock, root hash of the stored tree), the DPS signature JSON (root hash,\n"
	       "signer, whether fingerprint and signature agree), a detached PKCS#7 FILE.p7s\n"
	       "(DER or PEM: signer, digest, and the root hash in FILE with whether the\n"
	       "signature holds over it), a FAT ESP (files, UKIs), or a PE/UKI (sections with\n"
	       "sizes and sha256, .cmdline .osrel .uname .sbat, Authenticode-signed or not).\n"
	       "\n"
	       "Options:\n"
	       "  --json      one JSON document (a stable schema: docs/inspect.md)\n"
	       "  -h, --help  this text\n"
	       "\n"
	       "Exit codes: 0 described, 1 not an image vcompose knows or described with\n"
	       "errors (a bad structure, a directory cycle, an inconsistent signature: the\n"
	       "document is printed in full, the errors listed under 'errors'), 2 usage\n"
	       "error, 3 I/O error.\n");
}

int cmd_inspect(int argc, char **argv)
{
	enum { O_JSON = 256 };
	static const struct option opts[] = {
	    {"json", no_argument, NULL, O_JSON},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	struct vc_error err = {0};
	struct vc_json j;
	bool json = false;
	size_t n_errors = 0;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case O_JSON: json = true; break;
		case 'h': help(); return VC_EXIT_OK;
		default: return cli_usage("inspect", "bad option");
		}
	}
	if (optind + 1 != argc)
		return cli_usage("inspect",
				 optind >= argc ? "give IMAGE" : "unexpected argument '%s'",
				 argv[optind + 1 < argc ? optind + 1 : optind]);
	vc_json_init(&j, 2);
	rc = vc_inspect_describe(argv[optind], &j, &n_errors, &err);
	const char *text = rc == 0 ? vc_json_finish(&j, &err) : NULL;
	if (rc == 0 && !text)
		rc = VC_ENOMEM;
	if (rc == 0 && json) {
		fputs(text, stdout);
	} else if (rc == 0) {
		struct vc_buf b = {0};
		rc = vc_inspect_json_to_text(text, &b, &err);
		/* line by line, each escaped: labels and names come from the image */
		for (char *line = (char *)b.data, *nl; rc == 0 && line && *line; line = nl) {
			char esc[4096];
			nl = strchr(line, '\n');
			if (nl)
				*nl++ = '\0';
			printf("%s\n", vc_escape(line, esc, sizeof(esc)));
		}
		vc_buf_fini(&b);
	}
	vc_json_fini(&j);
	if (rc < 0)
		return cli_fail("inspect", &err);
	if (fflush(stdout) != 0)
		return VC_EXIT_ENV;
	/* described in full, but something in it is bad (listed under errors) */
	if (n_errors) {
		fprintf(stderr, "vcompose inspect: %zu error%s in %s (listed under errors)\n",
			n_errors, n_errors == 1 ? "" : "s", argv[optind]);
		return VC_EXIT_BAD;
	}
	return VC_EXIT_OK;
}
