/* SPDX-License-Identifier: MIT */
/* vcompose verity format | verify: the dm-verity module on files, with
 * veritysetup's output lines (Root hash:, Salt:, block counts) or --json. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_priv.h"
#include "vcompose/pool.h"
#include "vcompose/util.h"
#include "vcompose/verity.h"

static void help(FILE *f)
{
	fprintf(
	    f, "Usage: vcompose verity format DATA HASH [OPTIONS]\n"
	       "       vcompose verity verify DATA HASH ROOTHASH [OPTIONS]\n"
	       "\n"
	       "format writes the dm-verity hash tree of DATA (hash type 1, sha256) to HASH,\n"
	       "byte for byte as 'veritysetup format' does, and prints the root hash.\n"
	       "HASH may be DATA itself with --hash-offset (the tree after the filesystem).\n"
	       "verify recomputes the tree and checks it against HASH and ROOTHASH; it\n"
	       "names the first bad data block.\n"
	       "\n"
	       "Options:\n"
	       "  --salt HEX              salt, up to 256 bytes ('-' for none). Default: derived,\n"
	       "                          32 bytes of HMAC-SHA256 keyed by the seed (HASH's file\n"
	       "                          name, vcompose's version, SOURCE_DATE_EPOCH or 0);\n"
	       "                          never random. verify: must equal the superblock's.\n"
	       "  --uuid UUID             superblock UUID. Default: derived from the same seed\n"
	       "  --source-date-epoch N   the epoch used for the derived salt and UUID\n"
	       "  --no-superblock         no 512-byte superblock (verify: take the parameters\n"
	       "                          from the options)\n"
	       "  --data-block-size N     512..4096, power of two (default 4096)\n"
	       "  --hash-block-size N     512..4096, power of two (default 4096)\n"
	       "  --hash-offset N         the hash area starts N bytes into HASH (a multiple of\n"
	       "                          the hash block size; suffixes K, M, G allowed)\n"
	       "  --data-blocks N         hash only the first N blocks of DATA (default: all;\n"
	       "                          DATA's size must then be a multiple of the block size;\n"
	       "                          when HASH is DATA: the blocks before --hash-offset)\n"
	       "  --jobs N                worker threads (default: one per CPU); never changes\n"
	       "                          the bytes\n"
	       "  --json                  print a JSON summary instead of text\n"
	       "  -q, --quiet             print nothing but errors\n"
	       "  -h, --help              this text\n"
	       "\n"
	       "Exit codes: 0 success, 1 bad input or verification failed, 2 usage error,\n"
	       "3 environment problem (I/O error).\n");
}

struct opts {
	const char *salt;
	const char *uuid;
	const char *epoch;
	bool no_superblock;
	bool json;
	bool have_data_blocks;
	bool have_hash_offset;
	uint64_t data_block_size, hash_block_size, hash_offset, data_blocks;
	unsigned jobs;
	const char *pos[3];
	int n_pos;
};

enum {
	OPT_SALT = 256,
	OPT_UUID,
	OPT_EPOCH,
	OPT_NO_SB,
	OPT_DBS,
	OPT_HBS,
	OPT_HOFF,
	OPT_DBLOCKS,
	OPT_JOBS,
	OPT_JSON,
};

static const struct option long_opts[] = {
    {"salt", required_argument, NULL, OPT_SALT},
    {"uuid", required_argument, NULL, OPT_UUID},
    {"source-date-epoch", required_argument, NULL, OPT_EPOCH},
    {"no-superblock", no_argument, NULL, OPT_NO_SB},
    {"data-block-size", required_argument, NULL, OPT_DBS},
    {"hash-block-size", required_argument, NULL, OPT_HBS},
    {"hash-offset", required_argument, NULL, OPT_HOFF},
    {"data-blocks", required_argument, NULL, OPT_DBLOCKS},
    {"jobs", required_argument, NULL, OPT_JOBS},
    {"json", no_argument, NULL, OPT_JSON},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Returns -1 to go on, else the exit code. */
static int parse(int argc, char **argv, const char *cmd, int want_pos, struct opts *o)
{
	struct vc_error err = {0};
	int c;

	memset(o, 0, sizeof(*o));
	o->data_block_size = o->hash_block_size = 4096;
	opterr = 0;
	optind = 0; /* glibc: full reset, argv[0] is the subcommand */
	while ((c = getopt_long(argc, argv, "-qh", long_opts, NULL)) != -1) {
		const char *name = NULL;
		uint64_t *dst = NULL;
		bool suffix = false;

		switch (c) {
		case 1:
			if (o->n_pos >= want_pos)
				return cli_usage(cmd, "unexpected argument '%s'", optarg);
			o->pos[o->n_pos++] = optarg;
			continue;
		case OPT_SALT: o->salt = optarg; continue;
		case OPT_UUID: o->uuid = optarg; continue;
		case OPT_EPOCH: o->epoch = optarg; continue;
		case OPT_NO_SB: o->no_superblock = true; continue;
		case OPT_JSON: o->json = true; continue;
		case 'q': cli_verbosity = -1; continue;
		case 'h': help(stdout); return VC_EXIT_OK;
		case OPT_JOBS:
			if (cli_parse_jobs(optarg, &o->jobs, &err) < 0)
				return cli_usage(cmd, "%s", err.msg);
			continue;
		case OPT_DBS: name = "--data-block-size", dst = &o->data_block_size; break;
		case OPT_HBS: name = "--hash-block-size", dst = &o->hash_block_size; break;
		case OPT_HOFF:
			name = "--hash-offset", dst = &o->hash_offset, suffix = true;
			o->have_hash_offset = true;
			break;
		case OPT_DBLOCKS:
			name = "--data-blocks", dst = &o->data_blocks;
			o->have_data_blocks = true;
			break;
		case '?':
		default:
			if (optopt)
				return cli_usage(cmd, "option -%c: unknown or needs a value",
						 optopt);
			return cli_usage(cmd, "unknown option '%s'", argv[optind - 1]);
		}
		if (vc_parse_u64(optarg, suffix, dst, &err) < 0)
			return cli_usage(cmd, "%s '%s': not a number", name, optarg);
	}
	if (o->n_pos != want_pos)
		return cli_usage(cmd, "expected %d arguments, got %d", want_pos, o->n_pos);
	if (o->data_block_size > UINT32_MAX || o->hash_block_size > UINT32_MAX)
		return cli_usage(cmd, "block size too large");
	return -1;
}

static int file_size(int fd, const char *path, uint64_t *ret, struct vc_error *err)
{
	off_t end = lseek(fd, 0, SEEK_END);

	if (end < 0)
		return vc_errorf_errno(err, VC_EIO, errno, "%s: cannot tell its size", path);
	*ret = (uint64_t)end;
	return 0;
}

static int parse_salt(const char *hex, struct vc_verity_params *p, struct vc_error *err)
{
	size_t n = strlen(hex);

	if (strcmp(hex, "-") == 0 || n == 0) {
		p->salt_len = 0;
		return 0;
	}
	if (n / 2 > VC_VERITY_MAX_SALT)
		return vc_errorf(err, VC_EINVAL, "--salt: %zu bytes given, at most %d allowed",
				 n / 2, VC_VERITY_MAX_SALT);
	if (vc_hex_decode(hex, p->salt, sizeof(p->salt), &p->salt_len, err) < 0) {
		vc_error_prefix(err, "--salt '%s'", hex);
		return err->code;
	}
	return 0;
}

/* Salt, block sizes and the data block count from the options; f says
 * whether HASH is DATA, and gets whether to write in place. */
static int params_from_opts(const struct opts *o, struct vc_verity_files *f,
			    struct vc_verity_params *p, struct vc_error *err)
{
	p->data_block_size = (uint32_t)o->data_block_size;
	p->hash_block_size = (uint32_t)o->hash_block_size;
	p->hash_offset = o->hash_offset;
	p->superblock = !o->no_superblock;
	if (o->salt && parse_salt(o->salt, p, err) < 0)
		return err->code;
	if (o->uuid && vc_uuid_parse(o->uuid, p->uuid, err) < 0) {
		vc_error_prefix(err, "--uuid");
		return err->code;
	}
	if (vc_verity_params_check(&(struct vc_verity_params){.data_block_size = p->data_block_size,
							      .hash_block_size = p->hash_block_size,
							      .data_blocks = 1},
				   err) < 0)
		return err->code;
	f->have_data_blocks = o->have_data_blocks;
	f->have_hash_offset = o->have_hash_offset;
	p->data_blocks = o->data_blocks;
	return vc_verity_files_decide(f, p, err);
}

static void print_text(const char *hash_path, const struct vc_verity_params *p,
		       const struct vc_verity_plan *pl, const uint8_t root[32], uint64_t dev_size)
{
	char salt[2 * VC_VERITY_MAX_SALT + 1], uuid[VC_UUID_STR], rh[65];

	vc_hex_encode(p->salt, p->salt_len, salt);
	vc_hex_encode(root, 32, rh);
	if (p->superblock)
		vc_uuid_format(p->uuid, uuid);
	else
		uuid[0] = '\0';
	printf("VERITY header information for %s\n", hash_path);
	printf("UUID:            \t%s\n", uuid);
	printf("Hash type:       \t1\n");
	printf("Data blocks:     \t%llu\n", (unsigned long long)p->data_blocks);
	printf("Data block size: \t%u\n", p->data_block_size);
	printf("Hash blocks:     \t%llu\n", (unsigned long long)pl->hash_blocks);
	printf("Hash block size: \t%u\n", p->hash_block_size);
	printf("Hash algorithm:  \tsha256\n");
	printf("Salt:            \t%s\n", p->salt_len ? salt : "-");
	printf("Root hash:      \t%s\n", rh);
	printf("Hash device size: \t%llu [bytes]\n", (unsigned long long)dev_size);
}

static int print_json(const struct vc_verity_params *p, const struct vc_verity_plan *pl,
		      const uint8_t root[32], uint64_t dev_size, struct vc_error *err)
{
	struct vc_json j;
	char uuid[VC_UUID_STR];

	vc_json_init(&j, 2);
	vc_json_begin_document(&j, "verity-format");
	vc_json_key_hex(&j, "root_hash", root, 32);
	vc_json_key_hex(&j, "salt", p->salt, p->salt_len);
	vc_json_key(&j, "uuid");
	if (p->superblock) {
		vc_uuid_format(p->uuid, uuid);
		vc_json_string(&j, uuid);
	} else {
		vc_json_null(&j);
	}
	vc_json_key_uint(&j, "hash_type", 1);
	vc_json_key_string(&j, "hash_algorithm", "sha256");
	vc_json_key_uint(&j, "data_blocks", p->data_blocks);
	vc_json_key_uint(&j, "data_block_size", p->data_block_size);
	vc_json_key_uint(&j, "hash_blocks", pl->hash_blocks);
	vc_json_key_uint(&j, "hash_block_size", p->hash_block_size);
	vc_json_key_uint(&j, "levels", (uint64_t)pl->levels);
	vc_json_key_bool(&j, "superblock", p->superblock);
	vc_json_key_uint(&j, "hash_offset", p->hash_offset);
	vc_json_key_uint(&j, "hash_area_size", pl->area_size);
	vc_json_key_uint(&j, "hash_device_size", dev_size);
	vc_json_end_object(&j);
	return cli_json_print(&j, err);
}

static int do_format(int argc, char **argv)
{
	const char *cmd = "verity format";
	struct opts o;
	struct vc_error err = {0};
	struct vc_verity_params p;
	struct vc_verity_plan pl;
	struct vc_pool *pool = NULL;
	struct vc_file_sink *fs = NULL;
	struct vc_fd_sink inplace;
	const struct vc_sink *hash;
	struct stat dst, hst;
	uint8_t root[32];
	uint64_t data_size = 0, hash_orig_size = 0, dev_size;
	int data_fd = -1, hash_fd = -1, rc, r;
	struct vc_verity_files f = {0};

	rc = parse(argc, argv, cmd, 2, &o);
	if (rc >= 0)
		return rc;
	const char *data_path = o.pos[0], *hash_path = o.pos[1];

	vc_verity_params_init(&p);
	if (!o.salt || !o.uuid) {
		int64_t epoch = 0;
		bool set = false;
		uint8_t s32[VC_SEED_LEN];
		if (cli_epoch(o.epoch, &epoch, &set, &err) < 0 ||
		    cli_seed(NULL, hash_path, epoch, s32, &err) < 0)
			return cli_fail(cmd, &err);
		vc_verity_params_derive(&p, s32, sizeof(s32));
	}

	data_fd = vc_open_input(data_path, O_RDONLY | VC_OPEN_BLOCK, NULL, &err);
	if (data_fd < 0)
		goto fail;
	if (fstat(data_fd, &dst) < 0 || file_size(data_fd, data_path, &data_size, &err) < 0) {
		if (!err.code)
			vc_errorf_errno(&err, VC_EIO, errno, "%s", data_path);
		goto fail;
	}
	f.data_path = data_path;
	f.data_size = data_size;
	if (stat(hash_path, &hst) == 0) {
		f.hash_exists = true;
		f.same_file = hst.st_dev == dst.st_dev && hst.st_ino == dst.st_ino;
		f.hash_is_blockdev = S_ISBLK(hst.st_mode);
	}
	r = params_from_opts(&o, &f, &p, &err);
	if (r < 0)
		goto fail;
	if (vc_verity_plan(&p, &pl, &err) < 0 || vc_verity_files_check_overlap(&f, &p, &err) < 0)
		goto fail;
	if (vc_pool_new(o.jobs, &pool, &err) < 0)
		goto fail;

	if (f.in_place) {
		hash_fd = vc_open_input(hash_path, O_RDWR | VC_OPEN_BLOCK, NULL, &err);
		if (hash_fd < 0)
			goto fail;
		if (file_size(hash_fd, hash_path, &hash_orig_size, &err) < 0)
			goto fail;
		vc_fd_sink_init(&inplace, hash_fd, hash_path);
		hash = &inplace.sink;
	} else {
		if (vc_file_sink_open(hash_path, &fs, &err) < 0)
			goto fail;
		hash = vc_file_sink_sink(fs);
	}
	struct vc_verity_src src = {.sink = NULL, .fd = data_fd, .offset = 0};
	if (vc_verity_format(&p, &src, hash, pool, root, &err) < 0)
		goto fail;
	dev_size = p.hash_offset + pl.area_size;
	if (fs) {
		if (vc_file_sink_commit(fs, dev_size, &err) < 0)
			goto fail;
	} else {
		if (hash_orig_size > dev_size)
			dev_size = hash_orig_size;
	}
	if (o.json) {
		if (print_json(&p, &pl, root, dev_size, &err) < 0)
			goto fail;
	} else if (cli_verbosity >= 0) {
		print_text(hash_path, &p, &pl, root, dev_size);
	}
	rc = VC_EXIT_OK;
	goto out;
fail:
	/* In place: give the file its old size back (the bytes we wrote inside
	 * the old size cannot be taken back; veritysetup cannot either). */
	if (hash_fd >= 0 && S_ISREG(hst.st_mode)) {
		uint64_t now = 0;
		struct vc_error e2 = {0};
		if (file_size(hash_fd, hash_path, &now, &e2) == 0 && now > hash_orig_size &&
		    ftruncate(hash_fd, (off_t)hash_orig_size) < 0)
			fprintf(stderr, "vcompose %s: %s: cannot restore its size: %s\n", cmd,
				hash_path, strerror(errno));
	}
	rc = cli_fail(cmd, &err);
out:
	vc_file_sink_free(fs);
	vc_pool_free(pool);
	if (data_fd >= 0)
		close(data_fd);
	if (hash_fd >= 0)
		close(hash_fd);
	return rc;
}

static int do_verify(int argc, char **argv)
{
	const char *cmd = "verity verify";
	struct opts o;
	struct vc_error err = {0};
	struct vc_verity_params p;
	struct vc_pool *pool = NULL;
	struct vc_fd_sink hs;
	struct stat dst, hst;
	uint8_t root[32];
	size_t root_len = 0;
	uint64_t data_size = 0, bad = UINT64_MAX;
	int data_fd = -1, hash_fd = -1, rc;

	rc = parse(argc, argv, cmd, 3, &o);
	if (rc >= 0)
		return rc;
	const char *data_path = o.pos[0], *hash_path = o.pos[1], *root_hex = o.pos[2];

	if (strlen(root_hex) != 64 ||
	    vc_hex_decode(root_hex, root, sizeof(root), &root_len, &err) < 0 || root_len != 32) {
		vc_errorf(&err, VC_EINVAL, "root hash '%s': expected 64 hex digits", root_hex);
		goto fail;
	}
	data_fd = vc_open_input(data_path, O_RDONLY | VC_OPEN_BLOCK, NULL, &err);
	if (data_fd < 0)
		goto fail;
	hash_fd = vc_open_input(hash_path, O_RDONLY | VC_OPEN_BLOCK, NULL, &err);
	if (hash_fd < 0)
		goto fail;
	if (fstat(data_fd, &dst) < 0 || fstat(hash_fd, &hst) < 0) {
		vc_errorf_errno(&err, VC_EIO, errno, "%s", data_path);
		goto fail;
	}
	if (file_size(data_fd, data_path, &data_size, &err) < 0)
		goto fail;
	vc_fd_sink_init(&hs, hash_fd, hash_path);
	vc_verity_params_init(&p);
	if (o.no_superblock) {
		struct vc_verity_files f = {
		    .data_path = data_path,
		    .data_size = data_size,
		    .same_file = hst.st_dev == dst.st_dev && hst.st_ino == dst.st_ino,
		    .hash_exists = true,
		};
		if (params_from_opts(&o, &f, &p, &err) < 0)
			goto fail;
	} else {
		uint8_t sb[VC_VERITY_SB_LEN];
		p.hash_offset = o.hash_offset;
		if (vc_sink_pread(&hs.sink, sb, sizeof(sb), o.hash_offset, &err) < 0 ||
		    vc_verity_superblock_parse(sb, &p, &err) < 0) {
			vc_error_prefix(&err, "%s at offset %llu", hash_path,
					(unsigned long long)o.hash_offset);
			goto fail;
		}
		if (o.salt) {
			struct vc_verity_params given = p;
			if (parse_salt(o.salt, &given, &err) < 0)
				goto fail;
			if (given.salt_len != p.salt_len ||
			    memcmp(given.salt, p.salt, p.salt_len)) {
				char have[2 * VC_VERITY_MAX_SALT + 1];
				vc_hex_encode(p.salt, p.salt_len, have);
				vc_errorf(
				    &err, VC_EINVAL,
				    "--salt %s: differs from the salt in %s's superblock (%s)",
				    o.salt, hash_path, p.salt_len ? have : "none");
				goto fail;
			}
		}
		if (p.data_blocks > data_size / p.data_block_size) {
			vc_errorf(&err, VC_EINVAL,
				  "%s: the superblock covers %llu blocks of %u bytes, the file has "
				  "%llu bytes",
				  data_path, (unsigned long long)p.data_blocks, p.data_block_size,
				  (unsigned long long)data_size);
			goto fail;
		}
	}
	if (vc_pool_new(o.jobs, &pool, &err) < 0)
		goto fail;
	struct vc_verity_src src = {.sink = NULL, .fd = data_fd, .offset = 0};
	if (vc_verity_verify(&p, &src, &hs.sink, pool, root, &bad, &err) < 0) {
		if (err.code == VC_ECHECK)
			vc_error_prefix(&err, "verification failed");
		goto fail;
	}
	if (cli_verbosity >= 0 && !o.json)
		printf("%s: %llu data blocks verified against root hash %s\n", data_path,
		       (unsigned long long)p.data_blocks, root_hex);
	if (o.json) {
		struct vc_json j;
		vc_json_init(&j, 2);
		vc_json_begin_document(&j, "verity-verify");
		vc_json_key_bool(&j, "verified", true);
		vc_json_key_hex(&j, "root_hash", root, 32);
		vc_json_key_uint(&j, "data_blocks", p.data_blocks);
		vc_json_end_object(&j);
		if (cli_json_print(&j, &err) < 0)
			goto fail;
	}
	rc = VC_EXIT_OK;
	goto out;
fail:
	rc = cli_fail(cmd, &err);
out:
	vc_pool_free(pool);
	if (data_fd >= 0)
		close(data_fd);
	if (hash_fd >= 0)
		close(hash_fd);
	return rc;
}

int cmd_verity(int argc, char **argv)
{
	if (argc < 2) {
		help(stderr);
		return VC_EXIT_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		help(stdout);
		return VC_EXIT_OK;
	}
	if (strcmp(argv[1], "format") == 0)
		return do_format(argc - 1, argv + 1);
	if (strcmp(argv[1], "verify") == 0)
		return do_verify(argc - 1, argv + 1);
	return cli_usage("verity", "unknown subcommand '%s' (format or verify)", argv[1]);
}
