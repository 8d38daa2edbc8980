/* SPDX-License-Identifier: MIT */
/* vc_inspect_describe(): one JSON document of everything readable in an
 * image. The schema is a stable interface, documented in docs/inspect.md:
 * keys are only ever added, never renamed or given another meaning. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ext4/ext4_disk.h"
#include "vcompose/efivar.h"
#include "vcompose/endian.h"
#include "vcompose/erofs.h"
#include "vcompose/pe.h"
#include "vcompose/sha256.h"
#include "vcompose/sign.h"
#include "vcompose/verity.h"
#include "inspect_priv.h"

static void jkey_uuid(struct vc_json *j, const char *k, const uint8_t u[16])
{
	char s[VC_UUID_STR];

	vc_uuid_format(u, s);
	vc_json_key_string(j, k, s);
}

/* Errors met while describing: collected, written at the end. */
struct errs {
	char msg[32][640];
	size_t n;
};

static void note_err(struct errs *e, const char *where, const struct vc_error *err)
{
	if (e->n < VC_ARRAY_SIZE(e->msg))
		snprintf(e->msg[e->n++], sizeof(e->msg[0]), "%.120s: %.511s", where, err->msg);
}

/* A describer's object, begun; when its reader failed (r < 0) the error is
 * noted, the object closed empty, and the describer stops (false). */
static bool begin_read(struct vc_json *j, int r, struct errs *e, const char *where,
		       const struct vc_error *err)
{
	vc_json_begin_object(j);
	if (r >= 0)
		return true;
	note_err(e, where, err);
	vc_json_end_object(j);
	return false;
}

/* ---- EROFS ---- */

struct ecount {
	uint64_t n, compressed, chunked, dirs, files, symlinks, other;
};

static int count_inode(void *ctx, const struct erofs_inode *ino, struct vc_error *err)
{
	struct ecount *c = ctx;

	(void)err;
	c->n++;
	if (S_ISREG(ino->mode) && (ino->layout == 1 || ino->layout == 3))
		c->compressed++;
	if (S_ISREG(ino->mode) && ino->layout == EROFS_INODE_CHUNK_BASED)
		c->chunked++;
	if (S_ISDIR(ino->mode))
		c->dirs++;
	else if (S_ISREG(ino->mode))
		c->files++;
	else if (S_ISLNK(ino->mode))
		c->symlinks++;
	else
		c->other++;
	return 0;
}

static void describe_erofs(struct vc_json *j, const struct img *im, uint64_t off, uint64_t len,
			   struct errs *e, const char *where)
{
	struct erofs_info sb;
	struct vc_error err = {0};
	char hex[16];

	if (!begin_read(j, erofs_read_sb(im, off, len, &sb, &err), e, where, &err))
		return;
	jkey_uuid(j, "uuid", sb.uuid);
	vc_json_key_string(j, "label", sb.label);
	vc_json_key_uint(j, "build_time", sb.build_time);
	vc_json_key_uint(j, "build_time_nsec", sb.build_time_nsec);
	vc_json_key_uint(j, "block_size", 1u << sb.blkszbits);
	vc_json_key_uint(j, "blocks", sb.blocks);
	vc_json_key_uint(j, "size", (uint64_t)sb.blocks * EROFS_BLK);
	vc_json_key_uint(j, "inodes", sb.inos);
	vc_json_key_uint(j, "root_nid", sb.root_nid);
	vc_json_key_uint(j, "meta_blkaddr", sb.meta_blkaddr);
	vc_json_key_uint(j, "xattr_blkaddr", sb.xattr_blkaddr);
	vc_json_key(j, "feature_compat");
	vc_json_begin_array(j);
	if (sb.feature_compat & 1)
		vc_json_string(j, "sb_csum");
	if (sb.feature_compat & 2)
		vc_json_string(j, "mtime");
	if (sb.feature_compat & 4)
		vc_json_string(j, "xattr_filter");
	for (int b = 3; b < 32; b++)
		if (sb.feature_compat & (1u << b)) {
			snprintf(hex, sizeof(hex), "0x%x", 1u << b);
			vc_json_string(j, hex);
		}
	vc_json_end_array(j);
	vc_json_key(j, "feature_incompat");
	vc_json_begin_array(j);
	/* the names of dump.erofs (erofs-utils include/erofs_fs.h): two bits
	 * carry two names each (0x2 compr_cfgs and big_pcluster, 0x20
	 * fragments and dedupe) */
	static const struct {
		uint32_t bit;
		const char *name;
	} inc[] = {{0x1, "lz4_0padding"}, {0x2, "compr_cfgs"},	 {0x2, "big_pcluster"},
		   {0x4, "chunked_file"}, {0x8, "device_table"}, {0x10, "ztailpacking"},
		   {0x20, "fragments"},	  {0x20, "dedupe"},	 {0x40, "xattr_prefixes"}};
	for (size_t k = 0; k < VC_ARRAY_SIZE(inc); k++)
		if (sb.feature_incompat & inc[k].bit)
			vc_json_string(j, inc[k].name);
	for (int b = 7; b < 32; b++)
		if (sb.feature_incompat & (1u << b)) {
			snprintf(hex, sizeof(hex), "0x%x", 1u << b);
			vc_json_string(j, hex);
		}
	vc_json_end_array(j);
	/* the oldest Linux that mounts it, from the feature bits (and the
	 * algorithm bitmap of compr_cfgs) */
	unsigned kver = vc_erofs_kver_of_features(sb.feature_compat, sb.feature_incompat, sb.u1);
	char kv[16];

	vc_json_key_string(j, "oldest_linux",
			   kver == UINT32_MAX ? "newer than vcompose knows"
					      : vc_erofs_kver_str(kver, kv, sizeof(kv)));
	snprintf(hex, sizeof(hex), "%08x", sb.checksum);
	vc_json_key_string(j, "checksum", hex);
	vc_json_key(j, "checksum_ok");
	if (sb.has_csum)
		vc_json_bool(j, sb.checksum == sb.computed);
	else
		vc_json_null(j);
	struct ecount c = {0};
	int r = erofs_walk(im, off, len, &sb, count_inode, &c, &err);
	if (r < 0)
		note_err(e, where, &err);
	vc_json_key_uint(j, "inodes_reachable", c.n);
	vc_json_key_uint(j, "directories", c.dirs);
	vc_json_key_uint(j, "files", c.files);
	vc_json_key_uint(j, "symlinks", c.symlinks);
	vc_json_key_uint(j, "special_files", c.other);
	vc_json_key_uint(j, "compressed_files", c.compressed);
	vc_json_key_uint(j, "chunked_files", c.chunked);
	/* with compr_cfgs, u1 is the bitmap of the algorithms used */
	static const char *const algs[] = {"lz4", "lzma", "deflate", "zstd"};
	const char *alg = c.compressed || (sb.feature_incompat & 1) ? "lz4" : "none";

	for (unsigned a = 0; (sb.feature_incompat & 2) && a < VC_ARRAY_SIZE(algs); a++)
		if (sb.u1 & (1u << a)) {
			alg = algs[a];
			break;
		}
	vc_json_key_string(j, "compression", alg);
	vc_json_end_object(j);
}

/* ---- verity ---- */

int verity_load(const struct img *im, uint64_t area_off, uint64_t area_len,
		struct vc_verity_params *vp, struct vc_verity_plan *pl, struct vc_error *err)
{
	uint8_t sb[VC_VERITY_SB_LEN];
	int r;

	if (area_len < VC_VERITY_SB_LEN)
		return vc_errorf(err, VC_EINVAL, "verity: no room for a superblock");
	r = img_read(im, area_off, sb, sizeof(sb), err);
	if (r < 0)
		return r;
	vc_verity_params_init(vp);
	vp->superblock = true;
	vp->hash_offset = 0;
	r = vc_verity_superblock_parse(sb, vp, err);
	if (r == 0)
		r = vc_verity_plan(vp, pl, err);
	if (r == 0 && pl->area_size > area_len)
		r = vc_errorf(err, VC_EINVAL,
			      "verity: the tree needs %llu bytes, the area has %llu",
			      (unsigned long long)pl->area_size, (unsigned long long)area_len);
	if (r < 0)
		vc_error_prefix(err, "verity superblock at offset %llu",
				(unsigned long long)area_off);
	return r;
}

int verity_stored_root(const struct img *im, uint64_t area_off, const struct vc_verity_params *vp,
		       const struct vc_verity_plan *pl, bool have_data, uint64_t data_off,
		       uint8_t root[32], struct vc_error *err)
{
	struct vc_sha256 h;
	uint8_t *b;
	uint64_t at, n;
	int r;

	if (pl->levels > 0) {
		at = area_off + pl->level_offset[pl->levels - 1];
		n = vp->hash_block_size;
	} else {
		if (!have_data)
			return vc_errorf(err, VC_EINVAL, "verity: a one-block tree needs the data");
		at = data_off;
		n = vp->data_block_size;
	}
	r = img_read_alloc(im, at, n, &b, err);
	if (r < 0)
		return r;
	vc_sha256_init(&h);
	vc_sha256_update(&h, vp->salt, vp->salt_len);
	vc_sha256_update(&h, b, (size_t)n);
	vc_sha256_final(&h, root);
	free(b);
	return 0;
}

static void describe_verity(struct vc_json *j, const struct img *im, uint64_t off, uint64_t len,
			    bool have_data, uint64_t data_off, struct errs *e, const char *where,
			    uint8_t *ret_root, bool *ret_root_ok)
{
	struct vc_verity_params vp;
	struct vc_verity_plan pl;
	struct vc_error err = {0};
	uint8_t root[32];

	if (!begin_read(j, verity_load(im, off, len, &vp, &pl, &err), e, where, &err))
		return;
	jkey_uuid(j, "uuid", vp.uuid);
	vc_json_key_uint(j, "hash_type", 1);
	vc_json_key_string(j, "algorithm", "sha256");
	vc_json_key_uint(j, "data_block_size", vp.data_block_size);
	vc_json_key_uint(j, "hash_block_size", vp.hash_block_size);
	vc_json_key_uint(j, "data_blocks", vp.data_blocks);
	vc_json_key_hex(j, "salt", vp.salt, vp.salt_len);
	vc_json_key_uint(j, "levels", (uint64_t)pl.levels);
	vc_json_key_uint(j, "hash_blocks", pl.hash_blocks);
	vc_json_key_uint(j, "area_size", pl.area_size);
	vc_json_key(j, "root_hash");
	if (verity_stored_root(im, off, &vp, &pl, have_data, data_off, root, &err) == 0) {
		vc_json_hex(j, root, 32);
		if (ret_root) {
			memcpy(ret_root, root, 32);
			*ret_root_ok = true;
		}
	} else {
		vc_json_null(j);
		note_err(e, where, &err);
	}
	vc_json_end_object(j);
}

/* ---- PE / UKI ---- */

static void describe_pe_bytes(struct vc_json *j, const uint8_t *d, size_t n, struct errs *e,
			      const char *where)
{
	struct vc_pe_image *pe = calloc(1, sizeof(*pe));
	struct vc_error err = {0};

	vc_json_begin_object(j);
	if (!pe || vc_pe_parse(d, n, where, pe, &err) < 0) {
		if (!pe)
			vc_errorf(&err, VC_ENOMEM, "out of memory");
		note_err(e, where, &err);
		vc_json_end_object(j);
		free(pe);
		return;
	}
	uint8_t md[32];
	vc_sha256(d, n, md);
	vc_json_key_uint(j, "size", n);
	vc_json_key_hex(j, "sha256", md, 32);
	bool uki = vc_pe_find_section(pe, ".linux") != NULL;
	vc_json_key_bool(j, "uki", uki);
	vc_json_key_bool(j, "authenticode_signed", pe->security_size != 0);
	/* the digest firmware computes (and measures into PCR 4), the signer */
	struct vc_sign_pe_check pc;
	if (vc_sign_pe_verify(d, n, NULL, &pc, &err) == 0) {
		vc_json_key(j, "authenticode");
		vc_json_begin_object(j);
		vc_json_key_hex(j, "sha256", pc.digest, 32);
		vc_json_key_bool(j, "signed", pc.is_signed);
		if (pc.is_signed) {
			vc_json_key_bool(j, "digest_ok", pc.digest_ok);
			vc_json_key_string(j, "issuer", pc.signer.issuer);
			vc_json_key_string(j, "serial", pc.signer.serial);
			vc_json_key(j, "subject");
			if (pc.signer.has_cert)
				vc_json_string(j, pc.signer.subject);
			else
				vc_json_null(j);
			if (pc.signer.has_cert) {
				vc_json_key_hex(j, "certificate_sha256", pc.signer.fingerprint, 32);
			}
			if (!pc.verified)
				vc_json_key_string(j, "problem", pc.why);
		}
		vc_json_end_object(j);
	} else {
		vc_error_clear(&err);
	}
	uint32_t cs = vc_pe_checksum(d, n, pe->checksum_offset);
	vc_json_key(j, "checksum_ok");
	if (pe->checksum)
		vc_json_bool(j, cs == pe->checksum);
	else
		vc_json_null(j);
	const struct vc_pe_section *s = vc_pe_find_section(pe, ".cmdline");
	if (s) {
		const uint8_t *p;
		size_t k = vc_pe_section_data(pe, s, &p);
		char *cl = strndup((const char *)p, k);
		char h[256];
		if (cl) {
			vc_json_key(j, "roothash");
			if (cmdline_get(cl, "roothash", h, sizeof(h)))
				vc_json_string(j, h);
			else
				vc_json_null(j);
			vc_json_key(j, "usrhash");
			if (cmdline_get(cl, "usrhash", h, sizeof(h)))
				vc_json_string(j, h);
			else
				vc_json_null(j);
		}
		free(cl);
	}
	if (uki) {
		/* What systemd-stub will extend TPM PCR 11 to (SHA-256 bank). */
		vc_json_key(j, "pcr11");
		if (inspect_pcr11_json(pe, j, &err) < 0)
			vc_json_null(j);
	}
	vc_json_key(j, "pe");
	vc_pe_describe_json(pe, j, &err);
	vc_json_end_object(j);
	free(pe);
}

static void describe_pe_file(struct vc_json *j, const struct img *im, uint64_t off, uint64_t len,
			     struct errs *e, const char *where)
{
	uint8_t *d;
	struct vc_error err = {0};

	if (img_read_alloc(im, off, len, &d, &err) < 0) {
		note_err(e, where, &err);
		vc_json_begin_object(j);
		vc_json_end_object(j);
		return;
	}
	describe_pe_bytes(j, d, (size_t)len, e, where);
	free(d);
}

/* ---- Secure Boot key files (the .auth files in loader/keys/auto) ---- */

static const char *sig_type_name(const uint8_t t[16])
{
	if (!memcmp(t, vc_efivar_cert_x509_guid, 16))
		return "x509";
	if (!memcmp(t, vc_efivar_cert_sha256_guid, 16))
		return "sha256";
	return "other";
}

/* An EFI_VARIABLE_AUTHENTICATION_2 update: its time, its signer, and each
 * signature list entry (type, owner, and for certificates the subject). */
static void describe_auth(struct vc_json *j, const uint8_t *d, size_t n, struct errs *e,
			  const char *where)
{
	struct vc_efivar_auth_info *a = calloc(1, sizeof(*a));
	struct vc_error err = {0};
	char s[64];

	vc_json_begin_object(j);
	if (!a || vc_efivar_auth_parse(d, n, a, &err) < 0) {
		if (!a)
			vc_errorf(&err, VC_ENOMEM, "out of memory");
		note_err(e, where, &err);
		vc_json_end_object(j);
		free(a);
		return;
	}
	vc_json_key_string(j, "format", "EFI_VARIABLE_AUTHENTICATION_2");
	snprintf(s, sizeof(s), "%04d-%02d-%02dT%02d:%02d:%02dZ", a->year, a->month, a->day, a->hour,
		 a->minute, a->second);
	vc_json_key_string(j, "timestamp", s);
	vc_json_key_uint(j, "signature_size", a->p7_len);
	/* the SignedData comes bare; wrapped in a ContentInfo it can be read */
	struct vc_buf ci = {0};
	struct vc_pkcs7_signer sg;
	static const uint8_t oid[] = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
				      0xf7, 0x0d, 0x01, 0x07, 0x02};
	size_t outer = sizeof(oid) + 5 + a->p7_len;
	if (a->p7_len < (1u << 23)) {
		uint8_t hi[5] = {0x30, 0x83, (uint8_t)(outer >> 16), (uint8_t)(outer >> 8),
				 (uint8_t)outer};
		uint8_t hc[5] = {0xa0, 0x83, (uint8_t)(a->p7_len >> 16), (uint8_t)(a->p7_len >> 8),
				 (uint8_t)a->p7_len};
		if (vc_buf_append(&ci, hi, 5, &err) == 0 &&
		    vc_buf_append(&ci, oid, sizeof(oid), &err) == 0 &&
		    vc_buf_append(&ci, hc, 5, &err) == 0 &&
		    vc_buf_append(&ci, a->p7, a->p7_len, &err) == 0 &&
		    vc_pkcs7_signer(ci.data, ci.len, &sg, &err) == 0) {
			vc_json_key(j, "signer");
			vc_json_begin_object(j);
			vc_json_key_string(j, "issuer", sg.issuer);
			vc_json_key_string(j, "serial", sg.serial);
			if (sg.has_cert)
				vc_json_key_string(j, "subject", sg.subject);
			vc_json_end_object(j);
		} else {
			note_err(e, where, &err);
		}
	}
	vc_buf_fini(&ci);
	vc_json_key_uint(j, "entries", a->n_entries);
	vc_json_key(j, "signatures");
	vc_json_begin_array(j);
	for (size_t i = 0; i < a->n_entries && i < VC_EFIVAR_LIST_MAX; i++) {
		vc_json_begin_object(j);
		vc_json_key_string(j, "type", sig_type_name(a->e[i].type));
		jkey_uuid(j, "owner", a->e[i].owner);
		if (!memcmp(a->e[i].type, vc_efivar_cert_x509_guid, 16)) {
			uint8_t fp[32];
			char subj[256];
			vc_sha256(a->e[i].data, a->e[i].len, fp);
			vc_json_key_hex(j, "certificate_sha256", fp, 32);
			if (vc_sign_cert_subject(a->e[i].data, a->e[i].len, subj, sizeof(subj)) ==
			    0)
				vc_json_key_string(j, "subject", subj);
		}
		vc_json_end_object(j);
	}
	vc_json_end_array(j);
	vc_json_end_object(j);
	free(a);
}

/* ---- FAT ---- */

struct fat_ctx {
	struct vc_json *j;
	const struct img *im;
	uint64_t off;
	const struct fat_info *fi;
	struct errs *e;
	const char *where;
	/* a later pass: the files named *suffix (at least min bytes), each
	 * described under its path (UKIs, Secure Boot key files); NULL: the
	 * listing */
	const struct fat_pass *pass;
};

struct fat_pass {
	const char *suffix;
	uint64_t min;
	void (*describe)(struct vc_json *j, const uint8_t *d, size_t n, struct errs *e,
			 const char *where);
};

static int fat_list(void *ctx, const struct fat_file *f, struct vc_error *err)
{
	struct fat_ctx *c = ctx;
	uint8_t *d = NULL;

	(void)err;
	if (c->pass) {
		size_t n = strlen(f->path), k = strlen(c->pass->suffix);
		if (f->dir || n < k || strcasecmp(f->path + n - k, c->pass->suffix) != 0 ||
		    f->size < c->pass->min)
			return 0;
		struct vc_error e2 = {0};
		if (fat_read_file(c->im, c->off, c->fi, f, &d, &e2) < 0) {
			note_err(c->e, f->path, &e2);
			return 0;
		}
		vc_json_key(c->j, f->path);
		c->pass->describe(c->j, d, f->size, c->e, f->path);
		free(d);
		return 0;
	}
	vc_json_begin_object(c->j);
	vc_json_key_string(c->j, "path", f->path);
	vc_json_key_string(c->j, "type", f->dir ? "directory" : "file");
	if (!f->dir) {
		vc_json_key_uint(c->j, "size", f->size);
		struct vc_error e2 = {0};
		if (fat_read_file(c->im, c->off, c->fi, f, &d, &e2) == 0) {
			uint8_t md[32];
			vc_sha256(d, f->size, md);
			vc_json_key_hex(c->j, "sha256", md, 32);
			free(d);
		} else {
			note_err(c->e, f->path, &e2);
		}
	}
	vc_json_end_object(c->j);
	return 0;
}

static void describe_fat(struct vc_json *j, const struct img *im, uint64_t off, uint64_t len,
			 struct errs *e, const char *where)
{
	struct fat_info fi;
	struct vc_error err = {0};
	char s[32];

	if (!begin_read(j, fat_read(im, off, len, &fi, &err), e, where, &err))
		return;
	snprintf(s, sizeof(s), "FAT%u", fi.bits);
	vc_json_key_string(j, "type", s);
	snprintf(s, sizeof(s), "%04X-%04X", fi.volume_id >> 16, fi.volume_id & 0xFFFF);
	vc_json_key_string(j, "volume_id", s);
	vc_json_key_string(j, "label", fi.label);
	vc_json_key_uint(j, "sector_size", fi.bytes_per_sector);
	vc_json_key_uint(j, "cluster_size", fi.cluster_size);
	vc_json_key_uint(j, "clusters", fi.clusters);
	vc_json_key_uint(j, "sectors", fi.total_sectors);
	struct fat_ctx c = {.j = j, .im = im, .off = off, .fi = &fi, .e = e, .where = where};
	vc_json_key(j, "files");
	vc_json_begin_array(j);
	if (fat_walk(im, off, &fi, fat_list, &c, NULL, where, &err) < 0)
		note_err(e, where, &err);
	vc_json_end_array(j);
	static const struct {
		const char *key;
		struct fat_pass pass;
	} passes[] = {
	    {"efi", {".efi", 64, describe_pe_bytes}},
	    {"secure_boot_keys", {".auth", 0, describe_auth}},
	};
	for (size_t i = 0; i < sizeof(passes) / sizeof(passes[0]); i++) {
		vc_json_key(j, passes[i].key);
		vc_json_begin_object(j);
		c.pass = &passes[i].pass;
		if (fat_walk(im, off, &fi, fat_list, &c, NULL, where, &err) < 0)
			vc_error_clear(&err);
		vc_json_end_object(j);
	}
	fat_fini(&fi);
	vc_json_end_object(j);
}

/* ---- the signature partition, a detached PKCS#7 ---- */

static void jkey_bool_or_null(struct vc_json *j, const char *k, int v /* -1: null */)
{
	vc_json_key(j, k);
	if (v < 0)
		vc_json_null(j);
	else
		vc_json_bool(j, v);
}

static void describe_signer(struct vc_json *j, const struct vc_pkcs7_signer *si)
{
	vc_json_begin_object(j);
	vc_json_key_string(j, "issuer", si->issuer);
	vc_json_key_string(j, "serial", si->serial);
	vc_json_key_string(j, "digest", si->digest);
	vc_json_key_string(j, "signature_algorithm", si->signature_algorithm);
	vc_json_key_bool(j, "signed_attributes", si->signed_attrs);
	vc_json_key(j, "subject");
	if (si->has_cert)
		vc_json_string(j, si->subject);
	else
		vc_json_null(j);
	vc_json_key(j, "fingerprint");
	if (si->has_cert)
		vc_json_hex(j, si->fingerprint, 32);
	else
		vc_json_null(j);
	vc_json_end_object(j);
}

/* Whether the signature over content holds with the certificate the
 * message embeds (the one PKCS#7 verifier): "signature_ok" true/false, or
 * null without an embedded certificate; "problem" says why not. Returns
 * the verdict (-1: cannot tell). */
static int describe_embedded_check(struct vc_json *j, const uint8_t *p7, size_t n,
				   const char *content, size_t content_len, char *problem,
				   size_t problem_len)
{
	struct vc_error err = {0};
	int r = vc_pkcs7_verify_embedded(p7, n, content, content_len, &err);
	int ok = r == 0 ? 1 : r == VC_ECHECK || r == VC_EUNSUPP ? 0 : -1;

	jkey_bool_or_null(j, "signature_ok", ok);
	if (ok != 1 && !problem[0])
		snprintf(problem, problem_len, "%s%s", err.msg,
			 ok < 0 ? " (`vcompose sign verify --cert C` checks it with C)" : "");
	return ok;
}

static void describe_sig(struct vc_json *j, const struct img *im, uint64_t off, uint64_t len,
			 struct errs *e, const char *where)
{
	uint8_t *b;
	struct vc_sign_dps s;
	struct vc_error err = {0};

	vc_json_begin_object(j);
	if (len > (16u << 20))
		len = 16u << 20;
	if (img_read_alloc(im, off, len, &b, &err) < 0) {
		note_err(e, where, &err);
		vc_json_end_object(j);
		return;
	}
	if (vc_sign_dps_parse(b, (size_t)len, &s, &err) < 0) {
		note_err(e, where, &err);
	} else {
		vc_json_key_string(j, "root_hash", s.roothash);
		vc_json_key(j, "certificate_fingerprint");
		if (s.has_fingerprint)
			vc_json_hex(j, s.fingerprint, 32);
		else
			vc_json_null(j);
		vc_json_key_uint(j, "signature_size", s.p7_len);
		struct vc_pkcs7_signer si;
		vc_json_key(j, "signer");
		if (vc_pkcs7_signer(s.p7, s.p7_len, &si, &err) == 0) {
			describe_signer(j, &si);
			/* do the parts agree? The fingerprint names the signer's
			 * certificate, the signature covers rootHash: both are
			 * checked with the certificate the PKCS#7 embeds */
			char problem[640] = "";
			int fp_ok = -1;
			if (s.has_fingerprint && si.has_cert)
				fp_ok = memcmp(s.fingerprint, si.fingerprint, 32) == 0;
			jkey_bool_or_null(j, "fingerprint_matches_certificate", fp_ok);
			if (fp_ok == 0)
				snprintf(problem, sizeof(problem),
					 "certificateFingerprint is not the SHA-256 of the "
					 "certificate embedded in the signature");
			int sig_ok =
			    describe_embedded_check(j, s.p7, s.p7_len, s.roothash,
						    strlen(s.roothash), problem, sizeof(problem));
			int consistent = fp_ok == 0 || sig_ok == 0 ? 0 : sig_ok;
			jkey_bool_or_null(j, "consistent", consistent);
			vc_json_key(j, "problem");
			if (consistent == 1)
				vc_json_null(j);
			else
				vc_json_string(j, problem);
			if (consistent == 0) {
				vc_errorf(&err, VC_ECHECK, "signature JSON inconsistent: %s",
					  problem);
				note_err(e, where, &err);
			}
		} else {
			vc_json_null(j);
			note_err(e, where, &err);
		}
		vc_sign_dps_fini(&s);
	}
	free(b);
	vc_json_end_object(j);
}

/* A detached PKCS#7 (DER or PEM), as `vcompose sign roothash` and
 * `vcompose build` write NAME.roothash.p7s. Its content is not in it: for
 * FILE.p7s the file FILE (NAME.roothash, the root hash in hex), when it
 * exists, is taken as the signed content. */
static void describe_p7s(struct vc_json *j, const struct img *im, uint64_t off, uint64_t len,
			 struct errs *e, const char *where, const char *path)
{
	struct vc_buf der = {0}, content = {0};
	struct vc_error err = {0};
	uint8_t *b = NULL;
	bool pem;

	vc_json_begin_object(j);
	if (len > VC_INSPECT_SIG_MAX)
		len = VC_INSPECT_SIG_MAX;
	if (img_read_alloc(im, off, len, &b, &err) < 0) {
		note_err(e, where, &err);
		goto out;
	}
	pem = b[0] == '-';
	if (pem ? vc_pkcs7_pem_decode(b, (size_t)len, &der, &err) < 0
		: vc_buf_append(&der, b, (size_t)len, &err) < 0) {
		note_err(e, where, &err);
		goto out;
	}
	vc_json_key_string(j, "format", pem ? "pem" : "der");
	vc_json_key_uint(j, "signature_size", der.len);
	struct vc_pkcs7_signer si;
	if (vc_pkcs7_signer(der.data, der.len, &si, &err) < 0) {
		note_err(e, where, &err);
		goto out;
	}
	vc_json_key_bool(j, "detached", si.detached);
	vc_json_key_uint(j, "signers", si.signers);
	vc_json_key_uint(j, "certificates", si.certificates);
	vc_json_key(j, "signer");
	describe_signer(j, &si);
	vc_json_key(j, "message_digest");
	if (si.message_digest_len)
		vc_json_hex(j, si.message_digest, si.message_digest_len);
	else
		vc_json_null(j);
	/* the signed content: FILE for FILE.p7s */
	size_t pl = path ? strlen(path) : 0;
	char *cpath = NULL;
	if (pl > 4 && strcmp(path + pl - 4, ".p7s") == 0)
		cpath = strndup(path, pl - 4);
	struct vc_error e2 = {0};
	vc_json_key(j, "content");
	if (!si.detached || !cpath || vc_read_file(cpath, 4096, &content, &e2) < 0) {
		vc_json_null(j);
	} else {
		/* NAME.roothash ends with a newline; the signed text has none */
		size_t n = content.len;
		while (n && (content.data[n - 1] == '\n' || content.data[n - 1] == '\r'))
			n--;
		bool hex = n > 0 && n <= 128 &&
			   strspn((const char *)content.data, "0123456789abcdef") == n;
		vc_json_begin_object(j);
		vc_json_key_string(j, "file", cpath);
		vc_json_key(j, "root_hash");
		if (hex)
			vc_json_string_n(j, (const char *)content.data, n);
		else
			vc_json_null(j);
		char problem[640] = "";
		int ok = describe_embedded_check(j, der.data, der.len, (const char *)content.data,
						 n, problem, sizeof(problem));
		vc_json_key(j, "problem");
		if (ok == 1)
			vc_json_null(j);
		else
			vc_json_string(j, problem);
		if (ok == 0) {
			vc_errorf(&err, VC_ECHECK, "the signature of %.200s does not hold: %s",
				  cpath, problem);
			note_err(e, where, &err);
		}
		vc_json_end_object(j);
	}
	free(cpath);
out:
	vc_buf_fini(&der);
	vc_buf_fini(&content);
	free(b);
	vc_json_end_object(j);
}

/* ---- a disk ---- */

static void flag_names(struct vc_json *j, uint64_t a)
{
	static const struct {
		uint64_t bit;
		const char *name;
	} f[] = {{VC_GPT_FLAG_REQUIRED, "required"},	   {VC_GPT_FLAG_NO_BLOCK_IO, "no-block-io"},
		 {VC_GPT_FLAG_LEGACY_BOOT, "legacy-boot"}, {VC_GPT_FLAG_GROWFS, "growfs"},
		 {VC_GPT_FLAG_READ_ONLY, "read-only"},	   {VC_GPT_FLAG_HIDDEN, "hidden"},
		 {VC_GPT_FLAG_NO_AUTO, "no-auto"}};

	vc_json_begin_array(j);
	for (size_t i = 0; i < VC_ARRAY_SIZE(f); i++)
		if (a & f[i].bit)
			vc_json_string(j, f[i].name);
	vc_json_end_array(j);
}

/* ext2/3/4 superblock (Linux Documentation/filesystems/ext4/super.rst):
 * which of the three, label, UUID, size, state. */
static void describe_ext4(struct vc_json *j, const struct img *im, uint64_t off, uint64_t len,
			  struct errs *e, const char *where)
{
	struct ext4_super_block_disk sb;
	struct vc_error err = {0};
	char label[17], w[160];

	if (img_read(im, off + EXT4_SUPER_OFFSET, &sb, sizeof(sb), &err) < 0) {
		snprintf(w, sizeof(w), "%s: ext4", where);
		note_err(e, w, &err);
		return;
	}
	uint32_t compat = vc_get_le32(sb.s_feature_compat);
	uint32_t incompat = vc_get_le32(sb.s_feature_incompat);
	uint32_t log = vc_get_le32(sb.s_log_block_size);
	uint64_t blocks = vc_get_le32(sb.s_blocks_count_lo);
	if (incompat & EXT4_FEATURE_INCOMPAT_64BIT)
		blocks |= (uint64_t)vc_get_le32(sb.s_blocks_count_hi) << 32;
	memcpy(label, sb.s_volume_name, 16);
	label[16] = '\0';
	for (char *p = label; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	vc_json_begin_object(j);
	/* extents (incompat 0x40) make it ext4; a journal (compat 0x4) ext3 */
	vc_json_key_string(j, "type",
			   incompat & EXT4_FEATURE_INCOMPAT_EXTENT ? "ext4"
			   : compat & EXT4_FEATURE_COMPAT_JOURNAL  ? "ext3"
								   : "ext2");
	vc_json_key_string(j, "label", label);
	jkey_uuid(j, "uuid", sb.s_uuid);
	vc_json_key_uint(j, "block_size", log < 7 ? UINT64_C(1024) << log : 0);
	vc_json_key_uint(j, "blocks", blocks);
	vc_json_key_string(j, "state",
			   vc_get_le16(sb.s_state) & EXT4_STATE_CLEAN ? "clean" : "not clean");
	vc_json_end_object(j);
	if (log < 7 && blocks * (UINT64_C(1024) << log) > len && e->n < VC_ARRAY_SIZE(e->msg))
		snprintf(e->msg[e->n++], sizeof(e->msg[0]),
			 "%.200s: ext4: %llu blocks do not fit the %llu bytes", where,
			 (unsigned long long)blocks, (unsigned long long)len);
}

static void describe_content(struct vc_json *j, const struct img *im, uint64_t off, uint64_t len,
			     enum vc_inspect_kind k, struct errs *e, const char *where)
{
	switch (k) {
	case VC_INSPECT_EROFS: {
		vc_json_key(j, "erofs");
		describe_erofs(j, im, off, len, e, where);
		struct erofs_info sb;
		struct vc_error err = {0};
		if (erofs_read_sb(im, off, len, &sb, &err) == 0) {
			uint64_t fs = (uint64_t)sb.blocks * EROFS_BLK;
			if (len > fs && img_probe(im, off + fs, len - fs) == VC_INSPECT_VERITY) {
				vc_json_key(j, "embedded_verity");
				vc_json_begin_object(j);
				vc_json_key_uint(j, "hash_offset", fs);
				vc_json_key(j, "verity");
				describe_verity(j, im, off + fs, len - fs, true, off, e, where,
						NULL, NULL);
				vc_json_end_object(j);
			}
		}
		break;
	}
	case VC_INSPECT_VERITY:
		vc_json_key(j, "verity");
		describe_verity(j, im, off, len, false, 0, e, where, NULL, NULL);
		break;
	case VC_INSPECT_FAT:
		vc_json_key(j, "fat");
		describe_fat(j, im, off, len, e, where);
		break;
	case VC_INSPECT_EXT4:
		vc_json_key(j, "ext4");
		describe_ext4(j, im, off, len, e, where);
		break;
	case VC_INSPECT_PE:
		vc_json_key(j, "pe");
		describe_pe_file(j, im, off, len, e, where);
		break;
	case VC_INSPECT_SIG:
		vc_json_key(j, "signature");
		describe_sig(j, im, off, len, e, where);
		break;
	case VC_INSPECT_P7S:
		vc_json_key(j, "pkcs7");
		/* the whole file: its content may be next to it */
		describe_p7s(j, im, off, len, e, where,
			     off == 0 && len == im->size ? im->path : NULL);
		break;
	default: break;
	}
}

/* The data partition a verity hash partition covers: the DPS pairs them by
 * type (root-verity -> root of the same architecture). */
const struct gpt_part *gpt_pair_data(const struct gpt_info *g, const struct gpt_part *hash)
{
	const char *hn = hash->type_name;

	if (!hn)
		return NULL;
	for (size_t i = 0; i < g->n_parts; i++) {
		const char *dn = g->parts[i].type_name;
		if (!dn || !vc_gpt_type_is_verity_data(g->parts[i].type))
			continue;
		/* "root" + "-verity" + arch suffix */
		size_t bl = strncmp(dn, "root", 4) == 0 ? 4 : strncmp(dn, "usr", 3) == 0 ? 3 : 0;
		char want[64];
		if (!bl)
			continue;
		snprintf(want, sizeof(want), "%.*s-verity%s", (int)bl, dn, dn + bl);
		if (strcmp(want, hn) == 0)
			return &g->parts[i];
	}
	return NULL;
}

static void describe_disk(struct vc_json *j, const struct img *im, struct errs *e)
{
	struct gpt_info *g = calloc(1, sizeof(*g));
	struct vc_inspect_report chk = {0};
	struct vc_error err = {0};

	vc_json_key(j, "disk");
	vc_json_begin_object(j);
	if (!g || gpt_read(im, g, &chk, &err) < 0) {
		if (!g)
			vc_errorf(&err, VC_ENOMEM, "out of memory");
		note_err(e, "gpt", &err);
		vc_json_end_object(j);
		free(g);
		vc_inspect_report_fini(&chk);
		return;
	}
	for (size_t i = 0; i < chk.n; i++)
		if (chk.items[i].failed && e->n < VC_ARRAY_SIZE(e->msg))
			snprintf(e->msg[e->n++], sizeof(e->msg[0]), "gpt: %.415s",
				 chk.items[i].what);
	vc_json_key_uint(j, "sector_size", g->sector);
	jkey_uuid(j, "guid", g->disk_guid);
	vc_json_key_uint(j, "first_usable_lba", g->first_usable);
	vc_json_key_uint(j, "last_usable_lba", g->last_usable);
	vc_json_key_uint(j, "entries", g->n_entries);
	vc_json_key_string(j, "primary_header", g->primary_ok ? "ok" : "bad");
	vc_json_key_string(j, "backup_header", g->backup_ok ? "ok" : "bad");
	vc_json_key(j, "partitions");
	vc_json_begin_array(j);
	for (size_t i = 0; i < g->n_parts; i++) {
		const struct gpt_part *p = &g->parts[i];
		char where[128];
		gpt_part_where(p, where, sizeof(where));
		vc_json_begin_object(j);
		vc_json_key_uint(j, "number", p->index);
		vc_json_key(j, "type");
		if (p->type_name)
			vc_json_string(j, p->type_name);
		else
			vc_json_null(j);
		jkey_uuid(j, "type_guid", p->type);
		vc_json_key_string(j, "label", p->label);
		jkey_uuid(j, "uuid", p->uuid);
		char fl[24];
		snprintf(fl, sizeof(fl), "0x%016llx", (unsigned long long)p->attrs);
		vc_json_key_string(j, "flags", fl);
		vc_json_key(j, "flag_names");
		flag_names(j, p->attrs);
		vc_json_key_uint(j, "offset", p->offset);
		vc_json_key_uint(j, "size", p->size);
		enum vc_inspect_kind k = img_probe(im, p->offset, p->size);
		bool sig_type = p->type_name && strstr(p->type_name, "verity-sig");
		if (k == VC_INSPECT_UNKNOWN && sig_type && img_is_zero(im, p->offset, p->size)) {
			/* reserved by a deferred build, before `sign join` */
			vc_json_key_string(j, "content", "empty");
			vc_json_key_bool(j, "signature_deferred", true);
		} else {
			vc_json_key_string(j, "content", vc_inspect_kind_name(k));
		}
		if (k == VC_INSPECT_VERITY && vc_gpt_type_is_verity_hash(p->type)) {
			const struct gpt_part *d = gpt_pair_data(g, p);
			vc_json_key(j, "verity");
			describe_verity(j, im, p->offset, p->size, d != NULL, d ? d->offset : 0, e,
					where, NULL, NULL);
		} else {
			describe_content(j, im, p->offset, p->size, k, e, where);
		}
		vc_json_end_object(j);
	}
	vc_json_end_array(j);
	vc_json_end_object(j);
	vc_inspect_report_fini(&chk);
	free(g);
}

int vc_inspect_describe(const char *path, struct vc_json *j, size_t *ret_errors,
			struct vc_error *err)
{
	struct img im;
	struct errs *e = calloc(1, sizeof(*e));
	int r;

	if (!e)
		return vc_errorf(err, VC_ENOMEM, "out of memory");
	r = img_open(path, &im, err);
	if (r < 0) {
		free(e);
		return r;
	}
	enum vc_inspect_kind k = img_probe(&im, 0, im.size);
	if (k == VC_INSPECT_UNKNOWN) {
		r = vc_errorf(err, VC_EINVAL,
			      "%s: not a GPT disk, EROFS, verity, FAT, PE, signature JSON "
			      "or PKCS#7 image (no known magic number)",
			      path);
		goto out;
	}
	vc_json_begin_document(j, "inspect");
	vc_json_key_string(j, "file", path);
	vc_json_key_uint(j, "size", im.size);
	vc_json_key_string(j, "kind", vc_inspect_kind_name(k));
	if (k == VC_INSPECT_DISK)
		describe_disk(j, &im, e);
	else
		describe_content(j, &im, 0, im.size, k, e, path);
	vc_json_key(j, "errors");
	vc_json_begin_array(j);
	for (size_t i = 0; i < e->n; i++)
		vc_json_string(j, e->msg[i]);
	vc_json_end_array(j);
	vc_json_end_object(j);
	if (ret_errors)
		*ret_errors = e->n;
out:
	img_close(&im);
	free(e);
	return r;
}
