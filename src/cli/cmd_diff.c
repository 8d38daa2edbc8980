/* SPDX-License-Identifier: MIT */
/* vcompose diff A B: where two builds that should be identical differ, by
 * partition and structure (src/inspect, docs/inspect.md). */
#include <getopt.h>
#include <stdio.h>

#include "cli_priv.h"
#include "vcompose/inspect.h"
#include "vcompose/util.h"

void cli_print_report(const struct vc_inspect_report *rep, bool json, bool quiet,
		      const char *ok_word);

static void help(void)
{
	printf(
	    "Usage: vcompose diff A B [OPTIONS]\n"
	    "\n"
	    "Compares two images (disks, or bare EROFS, verity, FAT, PE files) that should be\n"
	    "bit-identical and names where they differ: the partition, then the structure\n"
	    "(GPT header field, EROFS superblock field, inode and path, verity level and\n"
	    "block, FAT directory entry field, file on the ESP and PE section). Prints\n"
	    "'identical' and exits 0 when they are the same.\n"
	    "\n"
	    "Options:\n"
	    "  --max N     list at most N differences (default 64)\n"
	    "  --json      the differences as JSON\n"
	    "  -h, --help  this text\n"
	    "\n"
	    "Exit codes: 0 identical, 1 different (or bad input), 2 usage error, 3 I/O error.\n");
}

int cmd_diff(int argc, char **argv)
{
	enum { O_MAX = 256, O_JSON };
	static const struct option opts[] = {
	    {"max", required_argument, NULL, O_MAX},
	    {"json", no_argument, NULL, O_JSON},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	struct vc_inspect_report rep = {0};
	struct vc_error err = {0};
	uint64_t max = 64;
	bool json = false;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case O_MAX:
			if (vc_parse_u64(optarg, false, &max, &err) < 0 || max == 0 || max > 100000)
				return cli_usage("diff", "--max '%s': 1..100000", optarg);
			break;
		case O_JSON: json = true; break;
		case 'h': help(); return VC_EXIT_OK;
		default: return cli_usage("diff", "bad option");
		}
	}
	if (optind + 2 != argc)
		return cli_usage("diff",
				 argc - optind < 2 ? "give two images" : "unexpected argument '%s'",
				 argv[argc - 1]);
	rc = vc_inspect_diff(argv[optind], argv[optind + 1], (size_t)max, &rep, &err);
	if (rc < 0) {
		vc_inspect_report_fini(&rep);
		return cli_fail("diff", &err);
	}
	if (json)
		cli_print_report(&rep, true, false, "");
	else if (rep.n_failed == 0)
		printf("identical\n");
	else
		for (size_t i = 0; i < rep.n; i++) {
			char w[1024], m[4096]; /* names from the images: escaped */
			printf("%s: %s\n", vc_escape(rep.items[i].where, w, sizeof(w)),
			       vc_escape(rep.items[i].what, m, sizeof(m)));
		}
	rc = rep.n_failed ? VC_EXIT_BAD : VC_EXIT_OK;
	vc_inspect_report_fini(&rep);
	if (fflush(stdout) != 0)
		return VC_EXIT_ENV;
	return rc;
}
