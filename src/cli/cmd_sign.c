/* SPDX-License-Identifier: MIT */
/* vcompose sign: root-hash PKCS#7 signatures, DPS signature partitions,
 * Authenticode for PE files, and the join step of deferred signing. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli_priv.h"
#include "vcompose/compose.h"
#include "vcompose/sha256.h"
#include "vcompose/sign.h"
#include "vcompose/sink.h"
#include "vcompose/util.h"

static const char usage_text[] =
    "Usage:\n"
    "  vcompose sign roothash --key K --cert C (--roothash HEX | --roothash-file F)\n"
    "                         -o OUT.p7s [--include-cert] [--dps OUT.dps] [--json]\n"
    "  vcompose sign pe --key K --cert C IN -o OUT [--replace] [--signing-time N]\n"
    "                   [--json]\n"
    "  vcompose sign dps (--roothash HEX | --roothash-file F) --p7s F [--cert C]\n"
    "                    -o OUT [--json]\n"
    "  vcompose sign join IMAGE [--offset N --size N] (--dps F |\n"
    "                    (--roothash HEX | --roothash-file F) --p7s F [--cert C])\n"
    "                    [--force] [--json]\n"
    "  vcompose sign verify --cert C (--roothash HEX | --roothash-file F) --p7s F\n"
    "\n"
    "roothash  detached PKCS#7 (DER) over the root hash as lowercase hex text, no\n"
    "          newline: what the kernel's dm-verity and systemd-veritysetup check.\n"
    "          SHA-256, no signed attributes, no certificates unless --include-cert.\n"
    "          --dps also writes the Discoverable Partitions signature partition.\n"
    "pe        Authenticode-sign a PE32/PE32+ file (UKI, systemd-boot); a PEM\n"
    "          --cert holding several certificates adds the rest as the chain.\n"
    "          --signing-time N (seconds since 1970, e.g. $SOURCE_DATE_EPOCH): the\n"
    "          signed attributes of sbsign with that signingTime, so that an RSA\n"
    "          signature equals sbsign's made at that time byte for byte.\n"
    "dps       the DPS verity signature partition content from a .p7s made\n"
    "          elsewhere (deferred signing).\n"
    "join      writes a DPS signature into IMAGE's root-verity-sig partition, found\n"
    "          from the GPT by type and the root hash's partition UUIDs; it must be\n"
    "          all zeros (else --force); nothing else changes. --offset/--size only\n"
    "          for a file without a GPT that is the signature partition itself.\n"
    "          dps and join check a --p7s against --cert before using it.\n"
    "verify    checks a root-hash .p7s (ours, openssl's, an HSM's) against --cert.\n"
    "\n"
    "Keys: RSA 2048-8192 or ECDSA P-256/P-384/P-521 (deterministic), PEM or DER.\n"
    "  --passphrase-file F   passphrase of an encrypted key (first line of F)\n"
    "  --passphrase-env VAR  passphrase from the environment variable VAR\n";

enum {
	OPT_KEY = 0x100,
	OPT_CERT,
	OPT_ROOTHASH,
	OPT_ROOTHASH_FILE,
	OPT_INCLUDE_CERT,
	OPT_DPS,
	OPT_P7S,
	OPT_JSON,
	OPT_REPLACE,
	OPT_PASS_FILE,
	OPT_PASS_ENV,
	OPT_OFFSET,
	OPT_SIZE,
	OPT_FORCE,
	OPT_SIGNING_TIME,
};

static const struct option options[] = {
    {"key", required_argument, NULL, OPT_KEY},
    {"cert", required_argument, NULL, OPT_CERT},
    {"roothash", required_argument, NULL, OPT_ROOTHASH},
    {"roothash-file", required_argument, NULL, OPT_ROOTHASH_FILE},
    {"include-cert", no_argument, NULL, OPT_INCLUDE_CERT},
    {"dps", required_argument, NULL, OPT_DPS},
    {"p7s", required_argument, NULL, OPT_P7S},
    {"json", no_argument, NULL, OPT_JSON},
    {"replace", no_argument, NULL, OPT_REPLACE},
    {"passphrase-file", required_argument, NULL, OPT_PASS_FILE},
    {"passphrase-env", required_argument, NULL, OPT_PASS_ENV},
    {"offset", required_argument, NULL, OPT_OFFSET},
    {"size", required_argument, NULL, OPT_SIZE},
    {"force", no_argument, NULL, OPT_FORCE},
    {"signing-time", required_argument, NULL, OPT_SIGNING_TIME},
    {"output", required_argument, NULL, 'o'},
    {"quiet", no_argument, NULL, 'q'},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

struct args {
	const char *sub;
	const char *key, *cert, *roothash, *roothash_file, *dps, *p7s, *output;
	const char *pass_file, *pass_env, *offset, *size, *signing_time;
	const char *input;
	bool include_cert, json, replace, force;
};

/* Root hash from --roothash or --roothash-file (hex, surrounding white space
 * ignored, either case). */
static int get_roothash(const struct args *a, uint8_t out[64], size_t *ret_len,
			struct vc_error *err)
{
	struct vc_buf b = {0};
	const char *hex = a->roothash;
	int r;

	if (a->roothash_file) {
		r = vc_read_file(a->roothash_file, 4096, &b, err);
		if (r < 0)
			return r;
		char *s = (char *)b.data;
		size_t n = b.len;
		while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' ||
			     s[n - 1] == '\t'))
			s[--n] = 0;
		while (*s == ' ' || *s == '\t' || *s == '\n')
			s++;
		hex = s;
	}
	r = vc_hex_decode(hex, out, 64, ret_len, err);
	if (r == 0 && *ret_len == 0)
		r = vc_errorf(err, VC_EINVAL, "empty root hash");
	if (r < 0)
		vc_error_prefix(err, "%s", a->roothash_file ? a->roothash_file : "--roothash");
	vc_buf_fini(&b);
	return r;
}

static int load_key(const struct args *a, struct vc_sign_key **ret, struct vc_error *err)
{
	struct vc_buf pass = {0};
	struct vc_sign_key_options o = {.key_path = a->key, .cert_path = a->cert};
	int64_t nb, na, now = (int64_t)time(NULL);
	int r;

	r = cli_passphrase(a->pass_file, a->pass_env, &pass, err);
	if (r == 0) {
		if (a->pass_file || a->pass_env) {
			o.passphrase = pass.data ? (const char *)pass.data : "";
			o.passphrase_len = pass.len;
		}
		r = vc_sign_key_load(&o, ret, err);
	}
	cli_wipe(&pass);
	if (r < 0)
		return r;
	/* The kernel and UEFI ignore validity dates of signing certificates;
	 * an expired one is worth a warning, not a refusal. */
	vc_sign_key_validity(*ret, &nb, &na);
	if (now > na)
		fprintf(stderr, "vcompose sign: warning: %s has expired\n", a->cert);
	else if (now < nb)
		fprintf(stderr, "vcompose sign: warning: %s is not valid yet\n", a->cert);
	return 0;
}

/* Writes up to two outputs, each through a temporary file; both are
 * written before either is renamed into place, so a failure leaves neither
 * (short of a failing rename). path2 may be NULL. */
static int write_outputs(const char *path1, const struct vc_buf *b1, const char *path2,
			 const struct vc_buf *b2, struct vc_error *err)
{
	struct vc_file_sink *f1 = NULL, *f2 = NULL;
	int r;

	r = vc_file_sink_open(path1, &f1, err);
	if (r == 0)
		r = vc_sink_pwrite(vc_file_sink_sink(f1), b1->data, b1->len, 0, err);
	if (r == 0 && path2) {
		r = vc_file_sink_open(path2, &f2, err);
		if (r == 0)
			r = vc_sink_pwrite(vc_file_sink_sink(f2), b2->data, b2->len, 0, err);
	}
	if (r == 0)
		r = vc_file_sink_commit(f1, b1->len, err);
	if (r == 0 && f2)
		r = vc_file_sink_commit(f2, b2->len, err);
	vc_file_sink_free(f1);
	vc_file_sink_free(f2);
	return r;
}

static int write_output(const char *path, const struct vc_buf *b, struct vc_error *err)
{
	return write_outputs(path, b, NULL, NULL, err);
}

static void json_file(struct vc_json *j, const char *key, const char *path, const struct vc_buf *b)
{
	uint8_t h[32];

	vc_json_key(j, key);
	vc_json_begin_object(j);
	vc_json_key_string(j, "path", path);
	vc_json_key_uint(j, "size", b->len);
	vc_json_key(j, "sha256");
	vc_sha256(b->data, b->len, h);
	vc_json_hex(j, h, 32);
	vc_json_end_object(j);
}

static int print_json(struct vc_json *j, struct vc_error *err)
{
	const char *text = vc_json_finish(j, err);

	if (!text)
		return err->code ? err->code : VC_ENOMEM;
	fputs(text, stdout);
	return 0;
}

static int need(const char *cmd, const char *v, const char *flag)
{
	if (!v)
		return cli_usage(cmd, "%s is required", flag);
	return 0;
}

static int cmd_roothash(const struct args *a)
{
	const char *cmd = "sign roothash";
	struct vc_error err = {0};
	struct vc_sign_key *k = NULL;
	struct vc_buf p7 = {0}, dps = {0};
	struct vc_json j;
	uint8_t rh[64], fp[32];
	size_t rh_len;
	int r;

	if ((r = need(cmd, a->key, "--key")) || (r = need(cmd, a->cert, "--cert")) ||
	    (r = need(cmd, a->output, "-o")))
		return r;
	if (!a->roothash == !a->roothash_file)
		return cli_usage(cmd, "give exactly one of --roothash and --roothash-file");
	vc_json_init(&j, 2);
	r = get_roothash(a, rh, &rh_len, &err);
	if (r == 0)
		r = load_key(a, &k, &err);
	if (r == 0)
		r = vc_sign_roothash(k, rh, rh_len, a->include_cert ? VC_SIGN_INCLUDE_CERT : 0, &p7,
				     &err);
	if (r == 0 && a->dps) {
		vc_sign_key_fingerprint(k, fp);
		r = vc_sign_dps_blob(rh, rh_len, fp, p7.data, p7.len, &dps, &err);
	}
	if (r == 0)
		r = write_outputs(a->output, &p7, a->dps, &dps, &err);
	if (r == 0 && a->json) {
		vc_sign_key_fingerprint(k, fp);
		vc_json_begin_document(&j, "sign-roothash");
		vc_json_key_hex(&j, "root_hash", rh, rh_len);
		vc_json_key_string(&j, "key", vc_sign_key_describe(k));
		vc_json_key_hex(&j, "certificate_fingerprint", fp, 32);
		vc_json_key_bool(&j, "includes_certificate", a->include_cert);
		json_file(&j, "signature", a->output, &p7);
		if (a->dps)
			json_file(&j, "dps", a->dps, &dps);
		vc_json_end_object(&j);
		r = print_json(&j, &err);
	}
	vc_json_fini(&j);
	vc_buf_fini(&p7);
	vc_buf_fini(&dps);
	vc_sign_key_free(k);
	return r < 0 ? cli_fail(cmd, &err) : VC_EXIT_OK;
}

/* Maps a whole input file read-only (a PE can be large: never copied). */
static int map_file(const char *path, const uint8_t **ret, size_t *ret_len, struct vc_error *err)
{
	static const uint8_t empty[1];
	struct stat st;
	int fd, r = 0;

	fd = vc_open_input(path, O_RDONLY, NULL, err);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0) {
		r = vc_errorf_errno(err, VC_EIO, errno, "%s", path);
	} else if (!S_ISREG(st.st_mode)) {
		r = vc_errorf(err, VC_EINVAL, "%s: not a regular file", path);
	} else if ((uint64_t)st.st_size > VC_SIGN_FILE_MAX) {
		r = vc_errorf(err, VC_ERANGE, "%s: %lld bytes, at most %llu accepted", path,
			      (long long)st.st_size, (unsigned long long)VC_SIGN_FILE_MAX);
	} else if (st.st_size == 0) {
		*ret = empty;
		*ret_len = 0;
	} else {
		void *m =
		    mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
		if (m == MAP_FAILED) {
			r = vc_errorf_errno(err, VC_EIO, errno, "%s: mmap", path);
		} else {
			*ret = m;
			*ret_len = (size_t)st.st_size;
		}
	}
	close(fd);
	return r;
}

static int cmd_pe(const struct args *a)
{
	const char *cmd = "sign pe";
	struct vc_error err = {0};
	struct vc_sign_key *k = NULL;
	struct vc_sign_pe_plan plan = {0};
	struct vc_file_sink *f = NULL;
	const uint8_t *in = NULL;
	size_t in_len = 0;
	struct vc_json j;
	int r;

	if ((r = need(cmd, a->key, "--key")) || (r = need(cmd, a->cert, "--cert")) ||
	    (r = need(cmd, a->output, "-o")) || (r = need(cmd, a->input, "IN")))
		return r;
	vc_json_init(&j, 2);
	struct vc_sign_pe_options po = {.flags = a->replace ? VC_SIGN_REPLACE : 0};
	if (a->signing_time) {
		uint64_t t;
		if (vc_parse_u64(a->signing_time, false, &t, &err) < 0 || t > INT64_MAX / 2) {
			vc_json_fini(&j);
			return cli_usage(cmd, "--signing-time '%s': not a number of seconds",
					 a->signing_time);
		}
		po.have_signing_time = true;
		po.signing_time = (int64_t)t;
	}
	r = map_file(a->input, &in, &in_len, &err);
	if (r == 0)
		r = load_key(a, &k, &err);
	if (r == 0) {
		r = vc_sign_pe_plan(k, in, in_len, &po, &plan, &err);
		if (r < 0)
			vc_error_prefix(&err, "%s", a->input);
	}
	if (r == 0)
		r = vc_file_sink_open(a->output, &f, &err);
	if (r == 0)
		r = vc_sign_pe_write(&plan, in, vc_file_sink_sink(f), &err);
	if (r == 0)
		r = vc_file_sink_commit(f, plan.total_len, &err);
	if (r == 0 && a->json) {
		vc_json_begin_document(&j, "sign-pe");
		vc_json_key_string(&j, "key", vc_sign_key_describe(k));
		vc_json_key_hex(&j, "image_digest", plan.digest, 32);
		vc_json_key(&j, "output");
		vc_json_begin_object(&j);
		vc_json_key_string(&j, "path", a->output);
		vc_json_key_uint(&j, "size", plan.total_len);
		vc_json_key_uint(&j, "certificate_table_size", plan.cert.len);
		vc_json_end_object(&j);
		vc_json_end_object(&j);
		r = print_json(&j, &err);
	}
	vc_file_sink_free(f);
	if (in && in_len)
		munmap((void *)in, in_len);
	vc_sign_pe_plan_fini(&plan);
	vc_json_fini(&j);
	vc_sign_key_free(k);
	return r < 0 ? cli_fail(cmd, &err) : VC_EXIT_OK;
}

/* The DPS blob from --roothash/--roothash-file, --p7s and --cert. */
static int dps_from_args(const struct args *a, struct vc_buf *dps, struct vc_error *err)
{
	struct vc_buf p7 = {0};
	uint8_t rh[64], fp[32];
	size_t rh_len;
	int r;

	r = get_roothash(a, rh, &rh_len, err);
	if (r == 0)
		r = vc_read_file(a->p7s, 1 << 20, &p7, err);
	if (r == 0 && (p7.len < 2 || p7.data[0] != 0x30))
		r = vc_errorf(err, VC_EINVAL, "%s: not a DER PKCS#7 signature", a->p7s);
	/* A signature made elsewhere is checked before it goes anywhere. */
	if (r == 0 && a->cert)
		r = vc_sign_verify_roothash(a->cert, rh, rh_len, p7.data, p7.len, err);
	if (r == 0 && a->cert)
		r = vc_sign_cert_fingerprint(a->cert, fp, NULL, 0, err);
	if (r == 0)
		r = vc_sign_dps_blob(rh, rh_len, a->cert ? fp : NULL, p7.data, p7.len, dps, err);
	vc_buf_fini(&p7);
	return r;
}

static int cmd_dps(const struct args *a)
{
	const char *cmd = "sign dps";
	struct vc_error err = {0};
	struct vc_buf dps = {0};
	struct vc_json j;
	int r;

	if ((r = need(cmd, a->p7s, "--p7s")) || (r = need(cmd, a->output, "-o")))
		return r;
	if (!a->roothash == !a->roothash_file)
		return cli_usage(cmd, "give exactly one of --roothash and --roothash-file");
	vc_json_init(&j, 2);
	r = dps_from_args(a, &dps, &err);
	if (r == 0)
		r = write_output(a->output, &dps, &err);
	if (r == 0 && a->json) {
		vc_json_begin_document(&j, "sign-dps");
		json_file(&j, "dps", a->output, &dps);
		vc_json_end_object(&j);
		r = print_json(&j, &err);
	}
	vc_json_fini(&j);
	vc_buf_fini(&dps);
	return r < 0 ? cli_fail(cmd, &err) : VC_EXIT_OK;
}

static int cmd_verify_p7s(const struct args *a)
{
	const char *cmd = "sign verify";
	struct vc_error err = {0};
	struct vc_buf p7 = {0};
	uint8_t rh[64];
	size_t rh_len;
	int r;

	if ((r = need(cmd, a->cert, "--cert")) || (r = need(cmd, a->p7s, "--p7s")))
		return r;
	if (!a->roothash == !a->roothash_file)
		return cli_usage(cmd, "give exactly one of --roothash and --roothash-file");
	r = get_roothash(a, rh, &rh_len, &err);
	if (r == 0)
		r = vc_read_file(a->p7s, 1 << 20, &p7, &err);
	if (r == 0) {
		r = vc_sign_verify_roothash(a->cert, rh, rh_len, p7.data, p7.len, &err);
		if (r < 0)
			vc_error_prefix(&err, "%s", a->p7s);
	}
	if (r == 0 && cli_verbosity >= 0)
		printf("%s: good signature by %s\n", a->p7s, a->cert);
	vc_buf_fini(&p7);
	return r < 0 ? cli_fail(cmd, &err) : VC_EXIT_OK;
}

/* Deferred signing, last step: the blob goes into the image's signature
 * partition, found from the GPT (vc_compose_join). */
static int cmd_join(const struct args *a)
{
	const char *cmd = "sign join";
	struct vc_error err = {0};
	struct vc_buf dps = {0};
	struct vc_join_options o = {.image = a->input, .force = a->force};
	struct vc_join_result res = {0};
	struct vc_json j;
	int r;

	if ((r = need(cmd, a->input, "IMAGE")))
		return r;
	if (!a->offset != !a->size)
		return cli_usage(cmd, "give both --offset and --size, or neither");
	if (!a->dps == !a->p7s)
		return cli_usage(cmd, "give either --dps, or --p7s with the root hash");
	if (a->p7s && !a->roothash == !a->roothash_file)
		return cli_usage(cmd, "give exactly one of --roothash and --roothash-file");
	if (a->offset) {
		if (vc_parse_u64(a->offset, true, &o.offset, &err) < 0 ||
		    vc_parse_u64(a->size, true, &o.size, &err) < 0)
			return cli_usage(cmd, "%s", err.msg);
		o.have_region = true;
	}
	vc_json_init(&j, 2);
	if (a->dps) {
		r = vc_read_file(a->dps, 64u << 20, &dps, &err);
		if (r == 0 && (dps.len == 0 || dps.len % VC_JOIN_ALIGN || dps.data[0] != '{'))
			r = vc_errorf(&err, VC_EINVAL,
				      "%s: not a DPS signature partition (JSON padded to 4096)",
				      a->dps);
	} else {
		r = dps_from_args(a, &dps, &err);
	}
	if (r < 0)
		goto out;
	o.dps = dps.data;
	o.dps_len = dps.len;
	r = vc_compose_join(&o, &res, &err);
	if (r < 0)
		goto out;
	if (a->json) {
		vc_json_begin_document(&j, "sign-join");
		vc_json_key_string(&j, "image", a->input);
		vc_json_key_uint(&j, "partition", res.partition);
		vc_json_key_uint(&j, "offset", res.offset);
		vc_json_key_uint(&j, "size", res.size);
		vc_json_end_object(&j);
		r = print_json(&j, &err);
	} else if (cli_verbosity >= 0) {
		printf("%s: signature written to partition %u (offset %llu, %llu bytes)\n",
		       a->input, res.partition, (unsigned long long)res.offset,
		       (unsigned long long)res.size);
	}
out:
	vc_json_fini(&j);
	vc_buf_fini(&dps);
	return r < 0 ? cli_fail(cmd, &err) : VC_EXIT_OK;
}

int cmd_sign(int argc, char **argv)
{
	struct args a = {0};
	int c;

	if (argc < 2 || argv[1][0] == '-') {
		if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
			fputs(usage_text, stdout);
			return VC_EXIT_OK;
		}
		fputs(usage_text, stderr);
		return VC_EXIT_USAGE;
	}
	a.sub = argv[1];
	argc--;
	argv++;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "o:qvh", options, NULL)) != -1) {
		switch (c) {
		case OPT_KEY: a.key = optarg; break;
		case OPT_CERT: a.cert = optarg; break;
		case OPT_ROOTHASH: a.roothash = optarg; break;
		case OPT_ROOTHASH_FILE: a.roothash_file = optarg; break;
		case OPT_INCLUDE_CERT: a.include_cert = true; break;
		case OPT_DPS: a.dps = optarg; break;
		case OPT_P7S: a.p7s = optarg; break;
		case OPT_JSON: a.json = true; break;
		case OPT_REPLACE: a.replace = true; break;
		case OPT_PASS_FILE: a.pass_file = optarg; break;
		case OPT_PASS_ENV: a.pass_env = optarg; break;
		case OPT_OFFSET: a.offset = optarg; break;
		case OPT_SIZE: a.size = optarg; break;
		case OPT_FORCE: a.force = true; break;
		case OPT_SIGNING_TIME: a.signing_time = optarg; break;
		case 'o': a.output = optarg; break;
		case 'q': cli_verbosity = -1; break;
		case 'v': cli_verbosity = 1; break;
		case 'h': fputs(usage_text, stdout); return VC_EXIT_OK;
		default:
			return cli_usage("sign", "unknown or incomplete option '%s'",
					 argv[optind - 1]);
		}
	}
	if (optind < argc)
		a.input = argv[optind++];
	if (optind < argc)
		return cli_usage("sign", "unexpected argument '%s'", argv[optind]);
	if (a.pass_file && a.pass_env)
		return cli_usage("sign",
				 "give at most one of --passphrase-file and --passphrase-env");

	if (strcmp(a.sub, "roothash") == 0 && !a.input)
		return cmd_roothash(&a);
	if (strcmp(a.sub, "pe") == 0)
		return cmd_pe(&a);
	if (strcmp(a.sub, "dps") == 0 && !a.input)
		return cmd_dps(&a);
	if (strcmp(a.sub, "join") == 0)
		return cmd_join(&a);
	if (strcmp(a.sub, "verify") == 0 && !a.input)
		return cmd_verify_p7s(&a);
	if (a.input)
		return cli_usage("sign", "unexpected argument '%s'", a.input);
	return cli_usage("sign", "unknown mode '%s': roothash, pe, dps, join or verify", a.sub);
}
