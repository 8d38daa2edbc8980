/* SPDX-License-Identifier: MIT */
/* vcompose verify IMAGE [--cert C] [--roothash H]: every offline check of an
 * image; exit 0 only when all hold (src/inspect, docs/inspect.md). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli_priv.h"
#include "vcompose/inspect.h"
#include "vcompose/util.h"

static void help(void)
{
	printf("Usage: vcompose verify IMAGE [--cert C] [--sb-cert C] [--roothash H] [OPTIONS]\n"
	       "\n"
	       "Checks IMAGE offline: recomputes every dm-verity tree from the data and compares\n"
	       "it with the hash partition (or the tree embedded after the file system); checks\n"
	       "that the root hash equals the partition UUIDs' halves (DPS), the UKI's roothash=\n"
	       "(usrhash=), the signature partition's rootHash and --roothash; verifies the\n"
	       "PKCS#7 signature with --cert; checks the protective MBR, both GPT headers and\n"
	       "entry arrays (CRC32s, backup equal to primary), the EROFS superblock checksum\n"
	       "and tree, the FAT (chains, sizes, FAT copies), the PE checksum of UKIs and the\n"
	       "Authenticode image digest of every signed PE on the ESP.\n"
	       "Prints one line per check: 'ok' or 'FAIL', where (partition) and what (offset);\n"
	       "a check of a claim about a root hash whose verity check failed (the signature,\n"
	       "the UUIDs, roothash=) is 'not checked', never FAIL.\n"
	       "\n"
	       "Options:\n"
	       "  --cert C        PEM or DER certificate the root-hash signature must verify with\n"
	       "  --sb-cert C     Secure Boot: every PE on the ESP must be Authenticode-signed\n"
	       "                  by C (or a certificate chained to it), as firmware checks it\n"
	       "  --roothash H    the root hash (hex) the image must have\n"
	       "  --jobs N        threads for hashing (default: one per CPU)\n"
	       "  --json          the findings as JSON\n"
	       "  -q, --quiet     print only what failed\n"
	       "  -h, --help      this text\n"
	       "\n"
	       "Exit codes: 0 every check held, 1 a check failed or the image is bad, 2 usage\n"
	       "error, 3 I/O error.\n");
}

void cli_print_report(const struct vc_inspect_report *rep, bool json, bool quiet,
		      const char *ok_word);
void cli_print_report(const struct vc_inspect_report *rep, bool json, bool quiet,
		      const char *ok_word)
{
	if (json) {
		struct vc_json j;
		struct vc_error err = {0};
		vc_json_init(&j, 2);
		/* verify's report, or diff's list of differences (no ok word) */
		vc_json_begin_document(&j, ok_word[0] ? "verify" : "diff");
		vc_json_key_bool(&j, "ok", rep->n_failed == 0);
		vc_json_key_uint(&j, "failed", rep->n_failed);
		if (ok_word[0]) {
			vc_json_key_uint(&j, "not_checked", rep->n_not_checked);
		}
		vc_json_key(&j, "checks");
		vc_json_begin_array(&j);
		for (size_t i = 0; i < rep->n; i++) {
			vc_json_begin_object(&j);
			vc_json_key_bool(&j, "ok",
					 !rep->items[i].failed && !rep->items[i].not_checked);
			if (ok_word[0]) {
				vc_json_key(&j, "status");
				vc_json_string(&j, rep->items[i].failed	       ? "failed"
						   : rep->items[i].not_checked ? "not_checked"
									       : "ok");
			}
			vc_json_key_string(&j, "where", rep->items[i].where);
			vc_json_key_string(&j, "what", rep->items[i].what);
			vc_json_end_object(&j);
		}
		vc_json_end_array(&j);
		vc_json_end_object(&j);
		const char *t = vc_json_finish(&j, &err);
		if (t)
			fputs(t, stdout);
		vc_json_fini(&j);
		return;
	}
	for (size_t i = 0; i < rep->n; i++) {
		const struct vc_inspect_report_item *it = &rep->items[i];
		if (quiet && !it->failed)
			continue;
		char w[1024], m[4096]; /* labels and names from the image: escaped */
		printf("%-4s %s: %s\n",
		       it->failed	 ? "FAIL"
		       : it->not_checked ? "not checked"
					 : ok_word,
		       vc_escape(it->where, w, sizeof(w)), vc_escape(it->what, m, sizeof(m)));
	}
}

int cmd_verify(int argc, char **argv)
{
	enum { O_CERT = 256, O_ROOTHASH, O_JOBS, O_JSON, O_SB_CERT };
	static const struct option opts[] = {
	    {"cert", required_argument, NULL, O_CERT},
	    {"sb-cert", required_argument, NULL, O_SB_CERT},
	    {"roothash", required_argument, NULL, O_ROOTHASH},
	    {"jobs", required_argument, NULL, O_JOBS},
	    {"json", no_argument, NULL, O_JSON},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	struct vc_inspect_verify_options o = {0};
	struct vc_inspect_report rep = {0};
	struct vc_error err = {0};
	uint8_t hash[64];
	size_t hash_len;
	bool json = false, quiet = false;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "hq", opts, NULL)) != -1) {
		switch (c) {
		case O_CERT: o.cert_path = optarg; break;
		case O_SB_CERT: o.sb_cert_path = optarg; break;
		case O_ROOTHASH:
			if (vc_hex_decode(optarg, hash, sizeof(hash), &hash_len, &err) < 0 ||
			    hash_len != 32)
				return cli_usage("verify", "--roothash '%s': not 64 hex digits",
						 optarg);
			o.roothash = hash;
			o.roothash_len = hash_len;
			break;
		case O_JOBS:
			if (cli_parse_jobs(optarg, &o.jobs, &err) < 0)
				return cli_usage("verify", "%s", err.msg);
			break;
		case O_JSON: json = true; break;
		case 'q': quiet = true; break;
		case 'h': help(); return VC_EXIT_OK;
		default: return cli_usage("verify", "bad option");
		}
	}
	if (optind + 1 != argc)
		return cli_usage("verify",
				 optind >= argc ? "give IMAGE" : "unexpected argument '%s'",
				 argv[optind + 1 < argc ? optind + 1 : optind]);
	rc = vc_inspect_verify(argv[optind], &o, &rep, &err);
	if (rc < 0) {
		vc_inspect_report_fini(&rep);
		return cli_fail("verify", &err);
	}
	cli_print_report(&rep, json, quiet, "ok");
	if (!json && rep.n_failed && rep.n_not_checked)
		fprintf(stderr,
			"vcompose verify: %zu of %zu checks failed, %zu not checked (they depend "
			"on a failed one)\n",
			rep.n_failed, rep.n, rep.n_not_checked);
	else if (!json && rep.n_failed)
		fprintf(stderr, "vcompose verify: %zu of %zu checks failed\n", rep.n_failed, rep.n);
	else if (!json && !quiet && rep.n_not_checked)
		printf("verify: all %zu checks passed, %zu not checked\n",
		       rep.n - rep.n_not_checked, rep.n_not_checked);
	else if (!json && !quiet)
		printf("verify: all %zu checks passed\n", rep.n);
	rc = rep.n_failed ? VC_EXIT_BAD : VC_EXIT_OK;
	vc_inspect_report_fini(&rep);
	if (fflush(stdout) != 0)
		return VC_EXIT_ENV;
	return rc;
}
