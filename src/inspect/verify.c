/* SPDX-License-Identifier: MIT */
/* vc_inspect_verify(): every check that can be made offline, each one a
 * finding that names where it looked. The trust order: the stored tree is
 * recomputed from the data (vc_verity_verify), its root is then compared
 * with every place that claims a root hash: the partition UUIDs (DPS: first
 * and last 128 bits), the UKI's roothash=/usrhash=, the signature partition,
 * --roothash. The signature is checked over the recomputed root. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vcompose/pe.h"
#include "vcompose/pool.h"
#include "vcompose/sha256.h"
#include "vcompose/sign.h"
#include "vcompose/verity.h"
#include "inspect_priv.h"

#define MAX_ROOTS 8

struct root {
	char where[128];
	bool usr;
	bool failed; /* its verity check failed: claims about it are not checked */
	uint8_t hash[32];
};

struct vx {
	const struct img *im;
	const struct vc_inspect_verify_options *o;
	struct vc_inspect_report *rep;
	struct vc_pool *pool;
	struct root roots[MAX_ROOTS]; /* recomputed root hashes */
	size_t n_roots;
	bool have_cmdline;
	char roothash_cl[160], usrhash_cl[160];
	bool cl_root, cl_usr;
	char cl_where[160];
};

static void add(struct vx *x, bool failed, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void add(struct vx *x, bool failed, const char *where, const char *fmt, ...)
{
	char buf[416];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	vc_inspect_report_add(x->rep, failed, where, "%s", buf);
}

/* A check of a claim about rt's root hash that is not made because rt's
 * verity check failed: the recomputed root says nothing then, and blaming
 * the (intact) signature, UUIDs or command line would mislead. */
static void not_checked(struct vx *x, const struct root *rt, const char *where, const char *fmt,
			...) __attribute__((format(printf, 4, 5)));
static void not_checked(struct vx *x, const struct root *rt, const char *where, const char *fmt,
			...)
{
	char buf[416];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	vc_inspect_report_not_checked(
	    x->rep, where, "%s (depends on the verity check of %s, which failed)", buf, rt->where);
}

static void check_erofs(struct vx *x, uint64_t off, uint64_t len, const char *where,
			uint64_t *ret_fs_size)
{
	struct erofs_info sb;
	struct vc_error err = {0};

	*ret_fs_size = 0;
	if (erofs_read_sb(x->im, off, len, &sb, &err) < 0) {
		add(x, true, where, "EROFS superblock at offset %llu: %s",
		    (unsigned long long)(off + EROFS_SB_OFF), err.msg);
		return;
	}
	*ret_fs_size = (uint64_t)sb.blocks * EROFS_BLK;
	if (!sb.has_csum)
		add(x, false, where, "EROFS superblock (no checksum feature)");
	else if (sb.checksum != sb.computed)
		add(x, true, where,
		    "EROFS superblock at offset %llu: checksum 0x%08x, computed 0x%08x",
		    (unsigned long long)(off + EROFS_SB_OFF), sb.checksum, sb.computed);
	else
		add(x, false, where, "EROFS superblock checksum 0x%08x", sb.checksum);
}

static int root_is_dir(void *ctx, const struct erofs_inode *ino, struct vc_error *err)
{
	bool *ok = ctx;

	(void)err;
	if (ino->path[0] == '/' && ino->path[1] == 0)
		*ok = S_ISDIR(ino->mode);
	return 0;
}

static void check_erofs_root(struct vx *x, uint64_t off, uint64_t len, const char *where)
{
	struct erofs_info sb;
	struct vc_error err = {0};
	bool ok = false;

	if (erofs_read_sb(x->im, off, len, &sb, &err) < 0)
		return;
	/* the callback returns 0 after the root: the walk goes on through the
	 * whole tree, checking every inode and directory block it reads */
	int r = erofs_walk(x->im, off, len, &sb, root_is_dir, &ok, &err);
	if (r < 0)
		add(x, true, where, "EROFS tree: %s", err.msg);
	else
		add(x, !ok, where,
		    ok ? "EROFS root inode and directory tree readable"
		       : "EROFS root inode (nid %u) is not a directory",
		    sb.root_nid);
}

/* The stored tree against itself: every block of level L - 1 must hash to
 * its digest in level L. A mismatch here is in the hash area, whatever the
 * data holds. Returns false (and reports) on the first bad block. */
static bool check_tree_self(struct vx *x, uint64_t area_off, const struct vc_verity_params *vp,
			    const struct vc_verity_plan *pl, const char *hash_where)
{
	struct vc_error err = {0};
	bool ok = true;

	for (int l = 1; l < pl->levels && ok; l++) {
		uint8_t *up = NULL, *down = NULL;
		uint64_t nu = pl->level_blocks[l] * vp->hash_block_size;
		uint64_t nd = pl->level_blocks[l - 1] * vp->hash_block_size;
		if (img_read_alloc(x->im, area_off + pl->level_offset[l], nu, &up, &err) < 0 ||
		    img_read_alloc(x->im, area_off + pl->level_offset[l - 1], nd, &down, &err) <
			0) {
			add(x, true, hash_where, "verity level %d: %s", l, err.msg);
			ok = false;
		}
		for (uint64_t b = 0; ok && b < pl->level_blocks[l - 1]; b++) {
			struct vc_sha256 h;
			uint8_t md[32];
			vc_sha256_init(&h);
			vc_sha256_update(&h, vp->salt, vp->salt_len);
			vc_sha256_update(&h, down + b * vp->hash_block_size, vp->hash_block_size);
			vc_sha256_final(&h, md);
			if (b * 32 + 32 > nu || memcmp(md, up + b * 32, 32) != 0) {
				add(x, true, hash_where,
				    "verity hash tree: level %d block %llu at offset %llu "
				    "does not match its digest in level %d",
				    l - 1, (unsigned long long)b,
				    (unsigned long long)(area_off + pl->level_offset[l - 1] +
							 b * vp->hash_block_size),
				    l);
				ok = false;
			}
		}
		free(up);
		free(down);
	}
	return ok;
}

/* Recomputes the tree of a data area against the hash area. */
/* Whether a root hash is the one claimed by --roothash or by the DPS
 * partition UUIDs (du, hu: NULL when not a GPT pair). */
static bool claimed(const struct vx *x, const uint8_t root[32], const uint8_t *du,
		    const uint8_t *hu)
{
	uint8_t a[16], b[16];

	if (x->o->roothash && memcmp(x->o->roothash, root, 32) == 0)
		return true;
	if (!du || !hu)
		return false;
	vc_gpt_uuids_from_roothash(root, 32, a, b);
	return memcmp(a, du, 16) == 0 && memcmp(b, hu, 16) == 0;
}

/* given: the parameters when the area has no superblock (KIWI's trailer). */
static void check_verity(struct vx *x, const char *where, uint64_t data_off, uint64_t data_len,
			 uint64_t area_off, uint64_t area_len, const char *hash_where, bool usr,
			 const uint8_t *du, const uint8_t *hu, const struct vc_verity_params *given)
{
	struct vc_verity_params vp;
	struct vc_verity_plan pl;
	struct vc_error err = {0};
	uint8_t root[32] = {0};
	uint64_t bad = UINT64_MAX;
	size_t failed0 = x->rep->n_failed;

	if (given) {
		vp = *given;
		if (vc_verity_plan(&vp, &pl, &err) == 0 && pl.area_size > area_len)
			vc_errorf(&err, VC_EINVAL,
				  "verity: the tree needs %llu bytes, %llu are left",
				  (unsigned long long)pl.area_size, (unsigned long long)area_len);
		if (err.code) {
			add(x, true, hash_where, "%s", err.msg);
			goto record;
		}
	} else if (verity_load(x->im, area_off, area_len, &vp, &pl, &err) < 0) {
		add(x, true, hash_where, "%s", err.msg);
		goto record;
	}
	if (pl.data_size > data_len) {
		add(x, true, where,
		    "verity covers %llu data blocks (%llu bytes), the partition has %llu",
		    (unsigned long long)vp.data_blocks, (unsigned long long)pl.data_size,
		    (unsigned long long)data_len);
		goto record;
	}
	if (verity_stored_root(x->im, area_off, &vp, &pl, true, data_off, root, &err) < 0) {
		add(x, true, hash_where, "top of the hash tree: %s", err.msg);
		goto record;
	}
	bool tree_ok = check_tree_self(x, area_off, &vp, &pl, hash_where);
	struct vc_verity_src src = {.fd = x->im->fd, .offset = data_off};
	struct vc_sink hs = img_sink(x->im, area_off, area_len, "verity");
	int r = vc_verity_verify(&vp, &src, &hs, x->pool, root, &bad, &err);
	if (r < 0 && r != VC_ECHECK) {
		add(x, true, where, "verity: %s", err.msg);
		goto record;
	}
	if (r < 0 || !tree_ok) {
		/* Data and stored tree disagree. The root of the data itself
		 * decides who is wrong: when it is the claimed one (UUIDs,
		 * --roothash) and the stored tree's is not, the hash area was
		 * changed; else the data was. */
		char msg[sizeof(err.msg)];
		uint8_t stored[32];
		struct vc_mem_sink m;
		memcpy(msg, err.msg, sizeof(msg));
		memcpy(stored, root, 32);
		vc_mem_sink_init(&m);
		vc_error_clear(&err);
		if (vc_verity_format(&vp, &src, &m.sink, x->pool, root, &err) < 0) {
			add(x, true, where, "verity: %s", err.msg);
			vc_mem_sink_fini(&m);
			goto record;
		}
		bool have_claim = x->o->roothash || (du && hu);
		bool data_claimed = claimed(x, root, du, hu),
		     stored_claimed = claimed(x, stored, du, hu);
		bool blame_hash = !tree_ok || (data_claimed && !stored_claimed);
		if (tree_ok && have_claim && !data_claimed && !stored_claimed) {
			/* neither gives the claimed root: the parameters (salt) */
			add(x, true, hash_where,
			    "verity superblock at offset %llu: with its salt and block "
			    "sizes neither the data nor the stored tree give the claimed root hash",
			    (unsigned long long)area_off);
			vc_mem_sink_fini(&m);
			goto record;
		}
		if (!blame_hash && bad != UINT64_MAX)
			add(x, true, where,
			    "verity: data block %llu at offset %llu of the image: %s",
			    (unsigned long long)bad,
			    (unsigned long long)(data_off + bad * vp.data_block_size), msg);
		else if (!blame_hash)
			add(x, true, where, "verity: %s", msg);
		tree_ok = !blame_hash;
		bool found = false;
		for (int l = pl.levels - 1; l >= 0 && !found; l--) {
			uint64_t n = pl.level_blocks[l] * vp.hash_block_size;
			uint8_t *st = NULL;
			if (pl.level_offset[l] + n > m.len ||
			    img_read_alloc(x->im, area_off + pl.level_offset[l], n, &st, &err) < 0)
				break;
			for (uint64_t bb = 0; bb < pl.level_blocks[l] && !found; bb++) {
				uint64_t o = bb * vp.hash_block_size;
				if (memcmp(st + o, m.data + pl.level_offset[l] + o,
					   vp.hash_block_size) == 0)
					continue;
				found = true;
				if (tree_ok)
					break; /* only level 0 differs: the data block was named */
				add(x, true, hash_where,
				    "verity level %d block %llu at offset %llu differs "
				    "from the tree recomputed from the data",
				    l, (unsigned long long)bb,
				    (unsigned long long)(area_off + pl.level_offset[l] + o));
			}
			free(st);
		}
		vc_mem_sink_fini(&m);
	} else {
		char hex[65];
		vc_hex_encode(root, 32, hex);
		add(x, false, where, "verity: %llu data blocks match the hash tree, root hash %s",
		    (unsigned long long)vp.data_blocks, hex);
	}
record:
	if (x->n_roots < MAX_ROOTS) {
		struct root *rt = &x->roots[x->n_roots++];
		snprintf(rt->where, sizeof(rt->where), "%s", where);
		rt->usr = usr;
		/* any failure above: the claims about this root are not checked */
		rt->failed = x->rep->n_failed != failed0;
		memcpy(rt->hash, root, 32);
	}
}

/* A claimed root hash in hex against the recomputed one. */
static void compare_hex(struct vx *x, const char *where, const char *what, const char *claim,
			const struct root *rt)
{
	char hex[65];
	const uint8_t *root = rt->hash;

	if (rt->failed) {
		not_checked(x, rt, where, "%s %.128s against the root hash", what, claim);
		return;
	}
	vc_hex_encode(root, 32, hex);
	bool ok = strcmp(claim, hex) == 0;
	if (ok)
		add(x, false, where, "%s equals the root hash", what);
	else
		add(x, true, where, "%s %.128s differs from the recomputed root hash %s", what,
		    claim, hex);
}

static void check_pe(struct vx *x, const uint8_t *d, size_t n, const char *where)
{
	struct vc_pe_image *pe = calloc(1, sizeof(*pe));
	struct vc_error err = {0};

	if (!pe)
		return;
	if (vc_pe_parse(d, n, where, pe, &err) < 0) {
		add(x, true, where, "PE: %s", err.msg);
		free(pe);
		return;
	}
	if (pe->checksum) {
		uint32_t cs = vc_pe_checksum(d, n, pe->checksum_offset);
		if (cs != pe->checksum)
			add(x, true, where,
			    "PE CheckSum 0x%08x, computed 0x%08x (the file was changed "
			    "after it was made)",
			    pe->checksum, cs);
		else
			add(x, false, where, "PE CheckSum");
	}
	/* Authenticode, as the firmware checks it */
	struct vc_sign_pe_check pc;
	if (vc_sign_pe_verify(d, n, x->o->sb_cert_path, &pc, &err) == 0 &&
	    (pc.is_signed || x->o->sb_cert_path)) {
		char hex[65];
		vc_hex_encode(pc.digest, 32, hex);
		if (pc.verified)
			add(x, false, where, "Authenticode SHA-256 %s, signed by '%.96s'%s%.96s",
			    hex, pc.signer.has_cert ? pc.signer.subject : pc.signer.issuer,
			    x->o->sb_cert_path ? ", verifies with " : "",
			    x->o->sb_cert_path ? x->o->sb_cert_path : "");
		else
			add(x, true, where, "Authenticode: %.300s (image digest %s)", pc.why, hex);
	}
	const struct vc_pe_section *s = vc_pe_find_section(pe, ".cmdline");
	if (s && vc_pe_find_section(pe, ".linux")) {
		const uint8_t *p;
		size_t k = vc_pe_section_data(pe, s, &p);
		char *cl = strndup((const char *)p, k);
		if (cl) {
			snprintf(x->cl_where, sizeof(x->cl_where), "%s .cmdline (file offset %u)",
				 where, s->pointer_to_raw_data);
			x->have_cmdline = true;
			x->cl_root =
			    cmdline_get(cl, "roothash", x->roothash_cl, sizeof(x->roothash_cl));
			x->cl_usr =
			    cmdline_get(cl, "usrhash", x->usrhash_cl, sizeof(x->usrhash_cl));
		}
		free(cl);
	}
	inspect_check_pcrsig(pe, where, x->rep);
	free(pe);
}

struct fat_vx {
	struct vx *x;
	uint64_t off;
	const struct fat_info *fi;
	const char *where;
};

static int fat_pe(void *ctx, const struct fat_file *f, struct vc_error *err)
{
	struct fat_vx *c = ctx;
	size_t n = strlen(f->path);
	uint8_t *d;
	char where[160];

	(void)err;
	if (f->dir || n < 4 || strcasecmp(f->path + n - 4, ".efi") != 0)
		return 0;
	snprintf(where, sizeof(where), "%s %s", c->where, f->path);
	struct vc_error e2 = {0};
	if (fat_read_file(c->x->im, c->off, c->fi, f, &d, &e2) < 0) {
		add(c->x, true, where, "%s", e2.msg);
		return 0;
	}
	check_pe(c->x, d, f->size, where);
	free(d);
	return 0;
}

static void check_fat(struct vx *x, uint64_t off, uint64_t len, const char *where)
{
	struct fat_info fi;
	struct vc_error err = {0};

	if (fat_read(x->im, off, len, &fi, &err) < 0) {
		add(x, true, where, "%s", err.msg);
		return;
	}
	struct fat_vx c = {.x = x, .off = off, .fi = &fi, .where = where};
	if (fat_walk(x->im, off, &fi, fat_pe, &c, x->rep, where, &err) < 0)
		add(x, true, where, "%s", err.msg);
	fat_fini(&fi);
}

static void check_sig(struct vx *x, uint64_t off, uint64_t len, const char *where, bool usr)
{
	uint8_t *b;
	struct vc_sign_dps s;
	struct vc_error err = {0};
	const struct root *rt = NULL;

	for (size_t i = 0; i < x->n_roots; i++)
		if (x->roots[i].usr == usr) {
			rt = &x->roots[i];
			break;
		}
	if (img_is_zero(x->im, off, len)) {
		/* a deferred build before `sign join`: nothing to check yet,
		 * unless --cert asks for a signature */
		if (x->o->cert_path)
			add(x, true, where,
			    "empty (signature deferred): no signature to verify with %s; "
			    "`vcompose sign join` writes it",
			    x->o->cert_path);
		else
			vc_inspect_report_not_checked(x->rep, where,
						      "empty (signature deferred): `vcompose sign "
						      "join` writes the signature");
		return;
	}
	if (len > VC_INSPECT_SIG_MAX)
		len = VC_INSPECT_SIG_MAX;
	if (img_read_alloc(x->im, off, len, &b, &err) < 0) {
		add(x, true, where, "%s", err.msg);
		return;
	}
	if (vc_sign_dps_parse(b, (size_t)len, &s, &err) < 0) {
		add(x, true, where, "%s", err.msg);
		free(b);
		return;
	}
	char hex[65];
	if (rt) {
		compare_hex(x, where, "signature JSON \"rootHash\"", s.roothash, rt);
		vc_hex_encode(rt->hash, 32, hex);
	} else {
		add(x, true, where, "no verity data partition for this signature");
		snprintf(hex, sizeof(hex), "%.64s", s.roothash);
	}
	if (x->o->cert_path) {
		uint8_t fp[32];
		char subj[256] = "";
		if (vc_sign_cert_fingerprint(x->o->cert_path, fp, subj, sizeof(subj), &err) < 0) {
			add(x, true, where, "%s", err.msg);
		} else {
			if (s.has_fingerprint)
				add(x, memcmp(fp, s.fingerprint, 32) != 0, where,
				    memcmp(fp, s.fingerprint, 32)
					? "certificateFingerprint is not the "
					  "SHA-256 of %s"
					: "certificateFingerprint matches %s",
				    x->o->cert_path);
			if (rt && rt->failed)
				not_checked(x, rt, where,
					    "PKCS#7 signature of the root hash with %s",
					    x->o->cert_path);
			else if (vc_pkcs7_verify(s.p7, s.p7_len, hex, strlen(hex), x->o->cert_path,
						 &err) < 0)
				add(x, true, where, "PKCS#7 signature of the root hash: %s",
				    err.msg);
			else
				add(x, false, where,
				    "PKCS#7 signature of the root hash verifies with %s (%s)",
				    x->o->cert_path, subj);
		}
	} else {
		struct vc_pkcs7_signer si;
		if (vc_pkcs7_signer(s.p7, s.p7_len, &si, &err) < 0)
			add(x, true, where, "PKCS#7: %s", err.msg);
		else
			add(x, false, where,
			    "PKCS#7 signature parsed (issuer '%s'), not verified: no "
			    "--cert",
			    si.issuer);
	}
	vc_sign_dps_fini(&s);
	free(b);
}

/* KIWI's embed_verity_metadata: no verity superblock after the file
 * system; the partition's last 4 KiB say "1 FSTYPE ro verity" 0xff
 * "1 DATABLOCKSIZE HASHBLOCKSIZE DATABLOCKS HASHSTART sha256 ROOT SALT" 0xff,
 * HASHSTART in hash blocks from the partition's start. */
static void check_kiwi_trailer(struct vx *x, const struct gpt_part *p, const char *where,
			       uint64_t fs)
{
	char b[4097], fstype[32], alg[16], root[80], salt[2 * VC_VERITY_MAX_SALT + 2];
	unsigned ver, dbs, hbs;
	unsigned long long blocks, start;
	struct vc_verity_params vp;
	struct vc_error err = {0};
	uint8_t want[32];
	char *sep;

	if (p->size < 4096 || img_read(x->im, p->offset + p->size - 4096, b, 4096, &err) < 0)
		return;
	b[4096] = '\0';
	sep = strchr(b, '\xff');
	if (!sep || sscanf(b, "%u %31s ro verity", &ver, fstype) != 2 || ver != 1)
		return; /* no trailer: nothing claims a tree here */
	if (sscanf(sep + 1, "%u %u %u %llu %llu %15s %79s %513s", &ver, &dbs, &hbs, &blocks, &start,
		   alg, root, salt) != 8 ||
	    strchr(salt, '\xff') == NULL) {
		add(x, true, where, "KIWI verity metadata at offset %llu: unreadable",
		    (unsigned long long)(p->offset + p->size - 4096));
		return;
	}
	*strchr(salt, '\xff') = '\0';
	vc_verity_params_init(&vp);
	vp.superblock = false;
	vp.data_block_size = dbs;
	vp.hash_block_size = hbs;
	vp.data_blocks = blocks;
	vp.hash_offset = 0;
	size_t n_root = 0;
	if (strcmp(alg, "sha256") != 0 ||
	    vc_hex_decode(root, want, sizeof(want), &n_root, &err) < 0 || n_root != 32 ||
	    (strcmp(salt, "-") != 0 &&
	     vc_hex_decode(salt, vp.salt, sizeof(vp.salt), &vp.salt_len, &err) < 0) ||
	    vc_verity_params_check(&vp, &err) < 0 || start > p->size / hbs || start * hbs < fs ||
	    start * hbs + 4096 > p->size) {
		add(x, true, where, "KIWI verity metadata: bad fields (%s)",
		    err.code ? err.msg : "algorithm, root hash, salt or hash start");
		return;
	}
	add(x, false, where, "KIWI verity metadata (%s, %llu blocks, tree at block %llu)", fstype,
	    blocks, start);
	check_verity(x, where, p->offset, p->size, p->offset + start * hbs,
		     p->size - 4096 - start * hbs, where, false, NULL, NULL, &vp);
	if (x->n_roots && !strcmp(x->roots[x->n_roots - 1].where, where))
		compare_hex(x, where, "KIWI's root hash", root, &x->roots[x->n_roots - 1]);
}

static void check_disk(struct vx *x)
{
	struct gpt_info *g = calloc(1, sizeof(*g));
	struct vc_error err = {0};

	if (!g)
		return;
	if (gpt_read(x->im, g, x->rep, &err) < 0) {
		add(x, true, "gpt", "%s", err.msg);
		free(g);
		return;
	}
	/* data partitions and their trees first: the roots are needed below */
	for (size_t i = 0; i < g->n_parts; i++) {
		const struct gpt_part *p = &g->parts[i];
		char where[128];
		gpt_part_where(p, where, sizeof(where));
		enum vc_inspect_kind k = img_probe(x->im, p->offset, p->size);
		if (k == VC_INSPECT_EROFS) {
			uint64_t fs;
			check_erofs(x, p->offset, p->size, where, &fs);
			check_erofs_root(x, p->offset, p->size, where);
			if (fs && fs < p->size &&
			    img_probe(x->im, p->offset + fs, p->size - fs) == VC_INSPECT_VERITY)
				check_verity(x, where, p->offset, p->size, p->offset + fs,
					     p->size - fs, where,
					     p->type_name && !strncmp(p->type_name, "usr", 3), NULL,
					     NULL, NULL);
			else if (fs && fs < p->size)
				check_kiwi_trailer(x, p, where, fs);
		}
		if (vc_gpt_type_is_verity_hash(p->type)) {
			const struct gpt_part *d = gpt_pair_data(g, p);
			char dw[128];
			if (!d) {
				add(x, true, where,
				    "verity hash partition without its data partition");
				continue;
			}
			gpt_part_where(d, dw, sizeof(dw));
			check_verity(x, dw, d->offset, d->size, p->offset, p->size, where,
				     !strncmp(d->type_name, "usr", 3), d->uuid, p->uuid, NULL);
			/* DPS: the data partition's UUID is the first 128 bits of the
			 * root hash, the hash partition's the last */
			const struct root *rt = x->n_roots ? &x->roots[x->n_roots - 1] : NULL;
			if (rt && !strcmp(rt->where, dw) && rt->failed) {
				not_checked(x, rt, "gpt",
					    "partition UUIDs of %s and %s against the halves of "
					    "the root hash",
					    dw, where);
			} else if (rt && !strcmp(rt->where, dw)) {
				uint8_t du[16], hu[16];
				vc_gpt_uuids_from_roothash(rt->hash, 32, du, hu);
				bool ok = !memcmp(du, d->uuid, 16) && !memcmp(hu, p->uuid, 16);
				add(x, !ok, "gpt",
				    ok ? "partition UUIDs of %s and %s are the halves of "
					 "the root hash"
				       : "partition UUIDs of %s and %s are not the halves of "
					 "the root hash (DPS)",
				    dw, where);
			}
		}
	}
	for (size_t i = 0; i < g->n_parts; i++) {
		const struct gpt_part *p = &g->parts[i];
		char where[128];
		gpt_part_where(p, where, sizeof(where));
		enum vc_inspect_kind k = img_probe(x->im, p->offset, p->size);
		if (k == VC_INSPECT_FAT)
			check_fat(x, p->offset, p->size, where);
		else if (k == VC_INSPECT_PE) {
			uint8_t *d;
			if (img_read_alloc(x->im, p->offset, p->size, &d, &err) == 0) {
				check_pe(x, d, (size_t)p->size, where);
				free(d);
			}
		}
	}
	for (size_t i = 0; i < g->n_parts; i++) {
		const struct gpt_part *p = &g->parts[i];
		char where[128];
		gpt_part_where(p, where, sizeof(where));
		if (p->type_name && strstr(p->type_name, "verity-sig"))
			check_sig(x, p->offset, p->size, where, !strncmp(p->type_name, "usr", 3));
	}
	free(g);
}

int vc_inspect_verify(const char *path, const struct vc_inspect_verify_options *o,
		      struct vc_inspect_report *rep, struct vc_error *err)
{
	struct img im;
	struct vx *x = calloc(1, sizeof(*x));
	int r;

	if (!x)
		return vc_errorf(err, VC_ENOMEM, "out of memory");
	r = img_open(path, &im, err);
	if (r < 0)
		goto out;
	x->im = &im;
	x->o = o;
	x->rep = rep;
	if (o->roothash && o->roothash_len != 32) {
		r = vc_errorf(err, VC_EINVAL, "--roothash: %zu bytes, a SHA-256 root hash has 32",
			      o->roothash_len);
		goto out;
	}
	for (int i = 0; i < 2; i++) {
		const char *cp = i ? o->sb_cert_path : o->cert_path;
		if (!cp)
			continue;
		/* an unreadable certificate stops everything: nothing could pass */
		uint8_t fp[32];
		r = vc_sign_cert_fingerprint(cp, fp, NULL, 0, err);
		/* a missing file is an I/O problem here, as a missing image is */
		if (r == VC_EINVAL && access(cp, F_OK) != 0)
			r = err->code = VC_EIO;
		if (r < 0)
			goto out;
	}
	r = vc_pool_new(o->jobs, &x->pool, err);
	if (r < 0)
		goto out;
	enum vc_inspect_kind k = img_probe(&im, 0, im.size);
	switch (k) {
	case VC_INSPECT_DISK: check_disk(x); break;
	case VC_INSPECT_EROFS: {
		uint64_t fs;
		check_erofs(x, 0, im.size, path, &fs);
		check_erofs_root(x, 0, im.size, path);
		if (fs && fs < im.size && img_probe(&im, fs, im.size - fs) == VC_INSPECT_VERITY)
			check_verity(x, path, 0, im.size, fs, im.size - fs, path, false, NULL, NULL,
				     NULL);
		break;
	}
	case VC_INSPECT_FAT: check_fat(x, 0, im.size, path); break;
	case VC_INSPECT_PE: {
		uint8_t *d;
		r = img_read_alloc(&im, 0, im.size, &d, err);
		if (r < 0)
			goto out;
		check_pe(x, d, (size_t)im.size, path);
		free(d);
		break;
	}
	case VC_INSPECT_VERITY: {
		struct vc_verity_params vp;
		struct vc_verity_plan pl;
		if (verity_load(&im, 0, im.size, &vp, &pl, err) < 0)
			add(x, true, path, "%s", err->msg);
		else
			add(x, false, path,
			    "verity superblock and tree size (no data given: the tree is not "
			    "recomputed)");
		vc_error_clear(err);
		break;
	}
	case VC_INSPECT_SIG: check_sig(x, 0, im.size, path, false); break;
	default:
		r = vc_errorf(err, VC_EINVAL,
			      "%s: not an image vcompose can verify (no known magic "
			      "number)",
			      path);
		goto out;
	}
	/* every root-hash claim against the recomputed roots */
	for (size_t i = 0; i < x->n_roots; i++) {
		const struct root *rt = &x->roots[i];
		if (x->have_cmdline && !rt->usr) {
			if (x->cl_root)
				compare_hex(x, x->cl_where, "roothash=", x->roothash_cl, rt);
			else
				add(x, true, x->cl_where, "no roothash= for %s", rt->where);
		}
		if (x->have_cmdline && rt->usr) {
			if (x->cl_usr)
				compare_hex(x, x->cl_where, "usrhash=", x->usrhash_cl, rt);
			else
				add(x, true, x->cl_where, "no usrhash= for %s", rt->where);
		}
		if (o->roothash) {
			char hex[65];
			vc_hex_encode(o->roothash, 32, hex);
			compare_hex(x, rt->where, "--roothash", hex, rt);
		}
	}
	if (o->roothash && x->n_roots == 0 && x->have_cmdline && x->cl_root) {
		struct root given = {.usr = false};
		snprintf(given.where, sizeof(given.where), "--roothash");
		memcpy(given.hash, o->roothash, 32);
		compare_hex(x, x->cl_where, "roothash=", x->roothash_cl, &given);
	} else if (o->roothash && x->n_roots == 0) {
		add(x, true, path, "--roothash given, but no verity tree found to compare it with");
	}
	r = 0;
out:
	if (x->pool)
		vc_pool_free(x->pool);
	if (x->im)
		img_close(&im);
	free(x);
	return r;
}
