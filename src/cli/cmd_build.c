/* SPDX-License-Identifier: MIT */
/* vcompose build: config.xml + tree -> disk image and artifacts. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli_priv.h"
#include "vcompose/compose.h"
#include "vcompose/util.h"

static void help(void)
{
	printf(
	    "Usage: vcompose build CONFIG.xml (--root DIR | --tar FILE) -o OUTDIR\n"
	    "                      [--source-date-epoch N] [--jobs N] [--key K [--cert C]]\n"
	    "                      [--defer-signature] [--stub F] [--sdboot F] [--initrd F]\n"
	    "                      [--profile P] [--mtree F] [--pcr-key K] [--pcr-bank B]\n"
	    "                      [--pcr-phase P] [--sb-key K --sb-cert C [--sb-enroll]]\n"
	    "                      [--dracut tree|bwrap|proot|host] [--cache DIR]\n"
	    "                      [--compress ALG[,level=N]] [--pcluster-size N]\n"
	    "                      [--erofs-features F,...] [--erofs-target KVER] [--chunk-size "
	    "N]\n"
	    "                      [--passphrase-file F | --passphrase-env VAR] [--progress M] "
	    "[-q|-v]\n\n"
	    "Composes a bootable (oem) or discoverable (ddi) GPT disk image from a KIWI-style\n"
	    "config.xml and a root tree: EROFS root, dm-verity, optional PKCS#7 signature,\n"
	    "UKI and ESP. OUTDIR gets NAME.raw, NAME.efi, NAME.roothash, NAME.roothash.p7s,\n"
	    "NAME.dracut.log and NAME.manifest.json; nothing is left there on error.\n\n"
	    "  --root DIR            the tree as a folder (owners become 0:0; see --mtree)\n"
	    "  --tar FILE            the tree as an archive (tar, cpio; gz, xz, zst...; '-')\n"
	    "  -o, --output OUTDIR   output folder (made when missing)\n"
	    "  --source-date-epoch N build time and mtime clamp (default: $SOURCE_DATE_EPOCH,\n"
	    "                        else the newest mtime in the tree)\n"
	    "  --jobs N              worker threads (default: one per CPU); bytes never change\n"
	    "  --key K [--cert C]    sign the root hash (override the config's key and\n"
	    "                        certificate; without --cert, K's PEM file holds it)\n"
	    "  --defer-signature     reserve the signature partition, sign later\n"
	    "  --sb-key K --sb-cert C  Secure Boot: Authenticode-sign systemd-boot and the\n"
	    "                        UKI (RSA; sbsign's bytes at SOURCE_DATE_EPOCH)\n"
	    "  --sb-enroll           also PK, KEK and db (the --sb-cert) as signed updates\n"
	    "                        in loader/keys/auto/, enrolled by systemd-boot on the\n"
	    "                        first boot of a machine in setup mode\n"
	    "  --passphrase-file F   passphrase of an encrypted key (first line of F)\n"
	    "  --passphrase-env VAR  passphrase from the environment variable VAR\n"
	    "  --stub F              systemd-boot stub (default: the tree's)\n"
	    "  --sdboot F            systemd-boot for the ESP (default: the tree's)\n"
	    "  --initrd F            a ready initrd (default: the config's, else dracut)\n"
	    "  --dracut M            which dracut makes the initrd: tree (default: the tree's,\n"
	    "                        in the tree: bwrap, else proot), bwrap, proot, host\n"
	    "                        (the host's, with the tree as sysroot)\n"
	    "  --cache DIR           reuse initrds made from the same tree, config and dracut\n"
	    "                        (default: $VCOMPOSE_CACHE); the bytes are the same\n"
	    "  --profile P           select a KIWI profile (repeatable)\n"
	    "  --mtree F             ownership/mode/device overlay for the tree\n"
	    "  --compress C          EROFS compression over the config's erofscompression\n"
	    "                        (lz4, lz4hc, zstd, lzma, deflate; e.g. zstd,level=9)\n"
	    "  --pcluster-size N     EROFS physical cluster size (erofs_pcluster_size)\n"
	    "  --erofs-features F    ztailpacking, fragments, dedupe, chunks (erofs_features)\n"
	    "  --erofs-target KVER   the oldest Linux to read the root (erofs_target; 6.1)\n"
	    "  --chunk-size N        EROFS chunk size of chunk-based files (4096)\n"
	    "  --json                print the manifest on standard output\n"
	    "  --pcr-key K           RSA key (PEM): sign the UKI's TPM PCR 11 policy\n"
	    "                        (.pcrpkey + .pcrsig, as systemd-measure sign)\n"
	    "  --pcr-bank B          PCR bank to predict and sign: sha1, sha256 (default),\n"
	    "                        sha384, sha512 (repeatable)\n"
	    "  --pcr-phase P         boot phase path to sign for, e.g. enter-initrd (repeatable;\n"
	    "                        default: systemd-measure's four)\n"
	    "  --progress M          auto (default: redrawn on a terminal; lines with -v),\n"
	    "                        tty, plain (a line every 5 s, for logs) or none\n"
	    "  -q, -v                quiet (warnings are still printed), verbose (stage times)\n");
}

/* Warnings are printed even with -q: each says that something the
 * description asks for is not in the image. */
static void print_note(void *ctx, const char *text)
{
	(void)ctx;
	char esc[4 * sizeof(((struct vc_error *)0)->msg) + 16]; /* one escaped line */
	cli_progress_message("vcompose build: warning: %s\n", vc_escape(text, esc, sizeof(esc)));
}

static void print_error(void *ctx, const char *text)
{
	(void)ctx;
	char esc[4 * sizeof(((struct vc_error *)0)->msg) + 16]; /* one escaped line */
	cli_progress_message("vcompose build: error: %s\n", vc_escape(text, esc, sizeof(esc)));
}

/* The stage line: cli_progress.c draws it with the stage's counters. */
static struct vc_progress counters;

static void print_progress(void *ctx, const char *stage)
{
	(void)ctx;
	cli_progress_stage(stage, &counters);
}

/* vcompose's data folder (the overlayroot initrd generator): installed,
 * PREFIX/share/vcompose beside PREFIX/bin/vcompose; in the build tree,
 * share/vcompose next to the binary (CMake copies data/ there). NULL when
 * neither holds it. */
static const char *find_datadir(char *buf, size_t cap)
{
	static const char *const rel[] = {"/../share/vcompose", "/share/vcompose"};
	char exe[3072];
	struct stat st;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		int k = snprintf(buf, cap, "%.3000s%s", exe, rel[i]);
		if (k > 0 && (size_t)k < cap && stat(buf, &st) == 0 && S_ISDIR(st.st_mode))
			return buf;
	}
	return NULL;
}

/* The output folder is made when missing, with its parents, as mkdir -p
 * does; a failed build removes what it made (they are still empty then). */
static char made[8][PATH_MAX];
static int n_made;

static void remove_made_dirs(void)
{
	while (n_made > 0)
		rmdir(made[--n_made]);
}

static int make_outdir(const char *dir, struct vc_error *err)
{
	char path[PATH_MAX];
	struct stat st;
	size_t n = strlen(dir);

	if (n == 0 || n >= sizeof(path))
		return vc_errorf(err, VC_EINVAL, "-o: an output folder path of 1 to %zu bytes",
				 sizeof(path) - 1);
	if (stat(dir, &st) == 0)
		return S_ISDIR(st.st_mode) ? 0 : vc_errorf(err, VC_EINVAL, "%s: not a folder", dir);
	memcpy(path, dir, n + 1);
	/* every missing component from the top down */
	for (char *p = path + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (stat(path, &st) < 0) {
			if (mkdir(path, 0777) < 0) {
				int e = errno;
				remove_made_dirs();
				return vc_errorf(err, VC_EIO,
						 "%s: cannot make the output folder: %s", path,
						 strerror(e));
			}
			if (n_made < (int)VC_ARRAY_SIZE(made))
				snprintf(made[n_made++], sizeof(made[0]), "%s", path);
		} else if (!S_ISDIR(st.st_mode)) {
			remove_made_dirs();
			return vc_errorf(err, VC_EINVAL, "%s: not a folder", path);
		}
		*p = c;
		if (c == '\0')
			break;
	}
	return 0;
}

struct build_args {
	struct vc_compose_options o;
	int pmode; /* -1 auto: a terminal redraws; -v on a log gets plain lines */
	bool json;
	const char *epoch, *profiles[17], *pass_file, *pass_env;
	size_t n_profiles;
};

/* The options into a, checked against each other; -1 to go on, else the
 * exit code. Long: build's 31 options are one table and one switch, each
 * case a line or two, read top to bottom; splitting them would only scatter
 * the table. */
static int parse_args(int argc, char **argv, struct build_args *a)
{
	enum {
		O_ROOT = 256,
		O_TAR,
		O_EPOCH,
		O_JOBS,
		O_KEY,
		O_CERT,
		O_DEFER,
		O_STUB,
		O_SDBOOT,
		O_PROGRESS,
		O_INITRD,
		O_PROFILE,
		O_MTREE,
		O_JSON,
		O_PCR_KEY,
		O_PCR_BANK,
		O_PCR_PHASE,
		O_SB_KEY,
		O_SB_CERT,
		O_SB_ENROLL,
		O_PASS_FILE,
		O_PASS_ENV,
		O_COMPRESS,
		O_PCLUSTER,
		O_FEATURES,
		O_TARGET,
		O_CHUNK,
		O_DRACUT,
		O_CACHE
	};
	static const struct option opts[] = {
	    {"root", required_argument, NULL, O_ROOT},
	    {"tar", required_argument, NULL, O_TAR},
	    {"output", required_argument, NULL, 'o'},
	    {"source-date-epoch", required_argument, NULL, O_EPOCH},
	    {"jobs", required_argument, NULL, O_JOBS},
	    {"key", required_argument, NULL, O_KEY},
	    {"cert", required_argument, NULL, O_CERT},
	    {"defer-signature", no_argument, NULL, O_DEFER},
	    {"stub", required_argument, NULL, O_STUB},
	    {"sdboot", required_argument, NULL, O_SDBOOT},
	    {"progress", required_argument, NULL, O_PROGRESS},
	    {"initrd", required_argument, NULL, O_INITRD},
	    {"profile", required_argument, NULL, O_PROFILE},
	    {"mtree", required_argument, NULL, O_MTREE},
	    {"compress", required_argument, NULL, O_COMPRESS},
	    {"pcluster-size", required_argument, NULL, O_PCLUSTER},
	    {"erofs-features", required_argument, NULL, O_FEATURES},
	    {"erofs-target", required_argument, NULL, O_TARGET},
	    {"chunk-size", required_argument, NULL, O_CHUNK},
	    {"json", no_argument, NULL, O_JSON},
	    {"pcr-key", required_argument, NULL, O_PCR_KEY},
	    {"pcr-bank", required_argument, NULL, O_PCR_BANK},
	    {"pcr-phase", required_argument, NULL, O_PCR_PHASE},
	    {"sb-key", required_argument, NULL, O_SB_KEY},
	    {"sb-cert", required_argument, NULL, O_SB_CERT},
	    {"sb-enroll", no_argument, NULL, O_SB_ENROLL},
	    {"passphrase-file", required_argument, NULL, O_PASS_FILE},
	    {"passphrase-env", required_argument, NULL, O_PASS_ENV},
	    {"dracut", required_argument, NULL, O_DRACUT},
	    {"cache", required_argument, NULL, O_CACHE},
	    {"help", no_argument, NULL, 'h'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"verbose", no_argument, NULL, 'v'},
	    {0},
	};
	static struct vc_measure_phases phases;
	enum vc_sign_md bank;
	struct vc_error err = {0};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:hqv", opts, NULL)) != -1) {
		switch (c) {
		case O_ROOT: a->o.root_dir = optarg; break;
		case O_TAR: a->o.tar = optarg; break;
		case 'o': a->o.outdir = optarg; break;
		case O_EPOCH: a->epoch = optarg; break;
		case O_JOBS:
			if (cli_parse_jobs(optarg, &a->o.jobs, &err) < 0)
				return cli_usage("build", "%s", err.msg);
			break;
		case O_KEY: a->o.key_path = optarg; break;
		case O_CERT: a->o.cert_path = optarg; break;
		case O_DEFER: a->o.defer_signature = true; break;
		case O_STUB: a->o.stub_path = optarg; break;
		case O_SDBOOT: a->o.sdboot_path = optarg; break;
		case O_PROGRESS:
			if (!strcmp(optarg, "auto"))
				a->pmode = -1;
			else if (!strcmp(optarg, "tty"))
				a->pmode = CLI_PROGRESS_TTY;
			else if (!strcmp(optarg, "plain"))
				a->pmode = CLI_PROGRESS_PLAIN;
			else if (!strcmp(optarg, "none"))
				a->pmode = CLI_PROGRESS_NONE;
			else
				return cli_usage("build", "--progress %s: auto, tty, plain or none",
						 optarg);
			break;
		case O_INITRD: a->o.initrd_path = optarg; break;
		case O_PROFILE:
			if (a->n_profiles == 16)
				return cli_usage("build", "at most 16 --profile");
			a->profiles[a->n_profiles++] = optarg;
			break;
		case O_MTREE: a->o.mtree_path = optarg; break;
		case O_COMPRESS: a->o.erofs_compress = optarg; break;
		case O_PCLUSTER: a->o.erofs_pcluster_size = optarg; break;
		case O_FEATURES: a->o.erofs_features = optarg; break;
		case O_TARGET: a->o.erofs_target = optarg; break;
		case O_CHUNK: a->o.erofs_chunk_size = optarg; break;
		case O_JSON: a->json = true; break;
		case O_PCR_KEY: a->o.pcr_key_path = optarg; break;
		case O_PCR_BANK:
			if (vc_measure_bank_from_name(optarg, &bank, &err) < 0)
				return cli_usage("build", "--pcr-bank: %s", err.msg);
			a->o.pcr_banks |= VC_MEASURE_BANK(bank);
			break;
		case O_PCR_PHASE:
			if (vc_measure_phases_add(&phases, optarg, &err) < 0)
				return cli_usage("build", "--pcr-phase: %s", err.msg);
			a->o.pcr_phases = &phases;
			break;
		case O_SB_KEY: a->o.sb_key_path = optarg; break;
		case O_SB_CERT: a->o.sb_cert_path = optarg; break;
		case O_SB_ENROLL: a->o.sb_enroll = true; break;
		case O_PASS_FILE: a->pass_file = optarg; break;
		case O_PASS_ENV: a->pass_env = optarg; break;
		case O_CACHE: a->o.cache_dir = optarg; break;
		case O_DRACUT:
			if (vc_dracut_method_parse(optarg, &a->o.dracut_method, &err) < 0)
				return cli_usage("build", "--%s", err.msg);
			break;
		case 'h': help(); return VC_EXIT_OK;
		case 'q': cli_verbosity = -1; break;
		case 'v': cli_verbosity = 1; break;
		default: return cli_usage("build", "bad option");
		}
	}
	if (optind + 1 != argc)
		return cli_usage("build",
				 optind >= argc ? "give CONFIG.xml" : "unexpected argument '%s'",
				 argv[optind + 1 < argc ? optind + 1 : optind]);
	a->o.config_path = argv[optind];
	if (!a->o.root_dir == !a->o.tar)
		return cli_usage("build", "give exactly one of --root DIR and --tar FILE");
	if (!a->o.outdir)
		return cli_usage("build", "give -o OUTDIR");
	if (a->o.cert_path && !a->o.key_path)
		return cli_usage("build", "--cert needs --key");
	if (a->o.defer_signature && a->o.key_path)
		return cli_usage("build", "--defer-signature and --key exclude each other");
	if (a->pass_file && a->pass_env)
		return cli_usage("build",
				 "give at most one of --passphrase-file and --passphrase-env");
	return -1;
}

int cmd_build(int argc, char **argv)
{
	struct build_args a = {.o = {.note = print_note,
				     .error = print_error,
				     .progress = print_progress,
				     .counters = &counters},
			       .pmode = -1};
	struct vc_compose_options o;
	struct vc_compose_result res;
	struct vc_error err = {0};
	struct vc_buf pass = {0};
	int pmode, rc = parse_args(argc, argv, &a);

	if (rc >= 0)
		return rc;
	o = a.o;
	pmode = a.pmode;
	if (make_outdir(o.outdir, &err) < 0)
		return cli_fail("build", &err);
	if (a.n_profiles)
		o.profiles = a.profiles;
	if (!o.cache_dir && getenv("VCOMPOSE_CACHE") && *getenv("VCOMPOSE_CACHE"))
		o.cache_dir = getenv("VCOMPOSE_CACHE");
	struct stat cst;
	if (o.cache_dir && (stat(o.cache_dir, &cst) < 0 || !S_ISDIR(cst.st_mode))) {
		fprintf(stderr, "vcompose build: --cache %s: not a folder\n", o.cache_dir);
		return VC_EXIT_ENV;
	}
	if (cli_epoch(a.epoch, &o.epoch, &o.have_epoch, &err) < 0)
		return cli_fail("build", &err);
	if (cli_passphrase(a.pass_file, a.pass_env, &pass, &err) < 0)
		return cli_fail("build", &err);
	if (a.pass_file || a.pass_env) {
		o.passphrase = pass.data ? (const char *)pass.data : "";
		o.passphrase_len = pass.len;
	}
	char datadir[4096];
	o.datadir = find_datadir(datadir, sizeof(datadir));
	vc_progress_init(&counters);
	if (pmode < 0)
		pmode = cli_verbosity < 0	? CLI_PROGRESS_NONE
			: isatty(STDERR_FILENO) ? CLI_PROGRESS_TTY
			: cli_verbosity > 0	? CLI_PROGRESS_PLAIN
						: CLI_PROGRESS_NONE;
	cli_progress_start((enum cli_progress_mode)pmode);
	int cr = vc_compose(&o, &res, &err);
	cli_progress_end(cr == 0 && cli_verbosity > 0);
	cli_wipe(&pass);
	if (cr < 0) {
		remove_made_dirs();
		return cli_fail("build", &err);
	}
	if (a.json) {
		struct vc_buf m = {0};
		int r = vc_read_file(res.manifest_path, 64u << 20, &m, &err);
		if (r == 0)
			fwrite(m.data, 1, m.len, stdout);
		vc_buf_fini(&m);
		return r < 0 ? cli_fail("build", &err) : VC_EXIT_OK;
	}
	if (cli_verbosity >= 0) {
		printf("Disk: %s (%llu bytes)\n", res.disk_path, (unsigned long long)res.disk_size);
		if (res.verity) {
			char hex[65];
			vc_hex_encode(res.roothash, 32, hex);
			printf("Root hash: %s\n", hex);
		}
	}
	return VC_EXIT_OK;
}
