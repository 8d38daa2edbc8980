/* SPDX-License-Identifier: MIT */
/* The composer: see include/vcompose/compose.h. This file is the only one
 * that knows the order of the stages; each stage is a function below, run
 * in order by vc_compose(). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "vcompose/compose.h"
#include "vcompose/efivar.h"
#include "vcompose/endian.h"
#include "vcompose/erofs.h"
#include "vcompose/fat.h"
#include "vcompose/gpt.h"
#include "vcompose/qcow2.h"
#include "vcompose/pe.h"
#include "vcompose/pool.h"
#include "vcompose/sha256.h"
#include "vcompose/sign.h"
#include "vcompose/sink.h"
#include "vcompose/tree.h"
#include "vcompose/util.h"
#include "vcompose/verity.h"
#include "vcompose/xmlcfg.h"
#include "compose_priv.h"
#include "elf_disk.h"

#define MIB	      (UINT64_C(1) << 20)
#define BOOT_FILE_MAX (UINT64_C(1) << 30) /* kernel, initrd, stub: refuse beyond */

static void progress(struct cx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void progress(struct cx *c, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	if (!c->o->progress)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	c->o->progress(c->o->note_ctx, buf);
}

/* The layout from the sizes measured so far (plan.c): each stage that
 * learns a size plans again, from scratch, before it writes. */
static int replan(struct cx *c, struct vc_error *err)
{
	struct compose_plan_in in = {
	    .cfg = c->cfg,
	    .arch = c->arch->dps,
	    .esp_size = c->esp_size,
	    .root_size = c->root_size,
	    .hash_area = c->hash_size,
	    .signed_ = c->signed_,
	    .sig_size = c->sig_size,
	    .root_uuid = c->root_uuid,
	    .hash_uuid = c->hash_uuid,
	};

	parts_plan_in(c, &in);
	return compose_plan(&in, &c->plan, err);
}

/* ---- outputs: every file goes through a file sink, committed at the end ---- */

static int out_open(struct cx *c, struct out_file *of, const char *name, struct vc_error *err)
{
	char *path;
	int r;

	if (asprintf(&path, "%s/%s", c->o->outdir, name) < 0)
		return vc_errorf(err, VC_ENOMEM, "out of memory");
	r = vc_file_sink_open(path, &of->f, err);
	of->path = path;
	return r;
}

static int out_write_buf(struct cx *c, struct out_file *of, const char *name, const void *data,
			 size_t len, struct vc_error *err)
{
	int r = out_open(c, of, name, err);

	if (r == 0)
		r = vc_sink_pwrite(vc_file_sink_sink(of->f), data, len, 0, err);
	of->size = len;
	return r;
}

static void out_free(struct out_file *of)
{
	vc_file_sink_free(of->f);
	free(of->path);
	memset(of, 0, sizeof(*of));
}

/* ---- stage 1: config, tree, time, seed ---- */

/* The newest mtime, refused past 9999-12-31 (an mtime of 1e23 would
 * otherwise become the build time, clamped to INT64_MAX, silently). */
#define EPOCH_MAX 253402300799LL
static int newest_mtime(const struct vc_tree *t, int64_t *ret, struct vc_error *err)
{
	int64_t m = 0;
	size_t at = 0;

	for (size_t i = 0; i < t->n_nodes; i++)
		if (t->nodes[i]->mtime > m) {
			m = t->nodes[i]->mtime;
			at = i;
		}
	if (m > EPOCH_MAX) {
		char path[VC_TREE_PATH_MAX + 2];
		return vc_errorf(err, VC_EINVAL,
				 "no SOURCE_DATE_EPOCH, and the tree's newest mtime (%s: %lld) is "
				 "after 9999-12-31: give --source-date-epoch",
				 vc_tree_path(t->nodes[at], path, sizeof(path)), (long long)m);
	}
	*ret = m;
	return 0;
}

/* xmlcfg's warnings and errors, as they are found. */
static void config_report(void *ctx, enum vc_xmlcfg_level level, const char *msg)
{
	const struct vc_compose_options *o = ctx;

	if (level == VC_XMLCFG_ERROR)
		o->error(o->note_ctx, msg);
	else if (o->note)
		o->note(o->note_ctx, msg);
}

/* The EROFS options of the config's erofscompression, erofs_pcluster_size,
 * erofs_features and erofs_target, the command line's --compress,
 * --pcluster-size, --erofs-features and --erofs-target over them; checked
 * against the target before anything is built. */
static int erofs_options(const struct cx *c, struct vc_erofs_options *eo, struct vc_error *err)
{
	const struct vc_compose_options *o = c->o;
	int r = 0;

	eo->compress = c->cfg->compress;
	eo->level = (int)c->cfg->compress_level;
	eo->pcluster_size = c->cfg->erofs_pcluster_size;
	eo->features = c->cfg->erofs_features;
	eo->target = c->cfg->erofs_target;
	if (o->erofs_compress)
		r = vc_erofs_parse_compress(o->erofs_compress, &eo->compress, &eo->level, err);
	if (r == 0 && o->erofs_pcluster_size)
		r = vc_erofs_parse_pcluster(o->erofs_pcluster_size, &eo->pcluster_size, err);
	if (r == 0 && o->erofs_features)
		r = vc_erofs_parse_features(o->erofs_features, &eo->features, err);
	if (r == 0 && o->erofs_target)
		r = vc_erofs_parse_kver(o->erofs_target, &eo->target, err);
	if (r == 0 && o->erofs_chunk_size)
		r = vc_erofs_parse_chunk_size(o->erofs_chunk_size, &eo->chunk_size, err);
	if (r == 0)
		r = vc_erofs_check_options(eo, err);
	if (r < 0)
		vc_error_prefix(err, "%s:%u: <type>", o->config_path, c->cfg->type_line);
	return r;
}

static int stage_inputs(struct cx *c, struct vc_error *err)
{
	const struct vc_compose_options *o = c->o;
	struct vc_xmlcfg_options xo = {
	    .profiles = o->profiles,
	    .have_key = o->key_path != NULL,
	    .report = o->error ? config_report : NULL,
	    .report_ctx = (void *)o,
	};
	int r;

	r = vc_xmlcfg_load(o->config_path, &xo, &c->cfg, err);
	if (r < 0)
		return r;
	for (size_t i = 0; !xo.report && i < c->cfg->notes.n; i++)
		if (o->note)
			o->note(o->note_ctx, c->cfg->notes.v[i]);
	struct vc_erofs_options eo = {0};

	r = erofs_options(c, &eo, err);
	if (r < 0)
		return r;

	struct vc_tree_options to = {
	    .owner = VC_OWNER_DEFAULT,
	    .mtree_path = o->mtree_path,
	    .have_epoch = o->have_epoch,
	    .source_date_epoch = o->epoch,
	};
	r = vc_tree_load(o->root_dir ? o->root_dir : o->tar,
			 o->root_dir ? VC_TREE_DIR : VC_TREE_ARCHIVE, &to, &c->tree, err);
	if (r < 0)
		return r;
	/* Without SOURCE_DATE_EPOCH the tree's newest mtime stands in: still a
	 * fact of the input, never the wall clock. */
	if (o->have_epoch)
		c->epoch = o->epoch;
	else if ((r = newest_mtime(c->tree, &c->epoch, err)) < 0)
		return r;
	r = vc_xmlcfg_seed(c->cfg, c->epoch, c->seed, err);
	if (r == 0)
		r = parts_prepare(c, err);
	if (r < 0)
		return r;
	/* what cannot be built is refused before a byte is written: a 1 TiB
	 * sparse file in a 10 KiB tar would otherwise fill the disk */
	const struct vc_node *big;
	eo.read_ctx = c->tree; /* the input's holes: kept, they need no room */
	eo.open = vc_tree_open_cb;
	eo.close = vc_tree_close_cb;
	uint64_t min_root = vc_erofs_min_size(c->tree, &eo, &big), free_bytes = UINT64_MAX;
	struct statvfs sv;
	if (o->outdir && statvfs(o->outdir, &sv) == 0)
		free_bytes = (uint64_t)sv.f_bavail * sv.f_frsize;
	if (big) {
		char path[VC_TREE_PATH_MAX + 2], what[VC_TREE_PATH_MAX + 512];
		snprintf(what, sizeof(what), "%s: %s", o->root_dir ? o->root_dir : o->tar,
			 vc_tree_path(big, path, sizeof(path)));
		r = compose_check_fit(c->cfg, min_root, what, big->size, o->outdir, free_bytes,
				      err);
		if (r < 0)
			return r;
	}
	return vc_pool_new(o->jobs, &c->pool, err);
}

/* ---- Secure Boot: the Authenticode key and the enrollment files ---- */

/* Signs a PE file the way sbsign does at SOURCE_DATE_EPOCH into out (an
 * empty memory sink); an existing signature (a distribution's) is replaced:
 * the firmware is to trust this key. */
static int sb_sign(struct cx *c, const uint8_t *in, size_t len, struct vc_mem_sink *out,
		   uint8_t digest[32], struct vc_error *err)
{
	struct vc_sign_pe_options po = {
	    .flags = VC_SIGN_REPLACE,
	    .have_signing_time = true,
	    .signing_time = c->epoch,
	};
	struct vc_sign_pe_plan plan;
	int r = vc_sign_pe_plan(c->sb_key, in, len, &po, &plan, err);

	if (r < 0)
		return r;
	r = vc_sign_pe_write(&plan, in, &out->sink, err);
	if (r == 0)
		memcpy(digest, plan.digest, 32);
	vc_sign_pe_plan_fini(&plan);
	return r;
}

static void sb_time(int64_t t, char out[32])
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (!gmtime_r(&tt, &tm) || !strftime(out, 32, "%Y-%m-%d", &tm))
		snprintf(out, 32, "@%lld", (long long)t);
}

/* The key (checked: matches its certificate, may sign code), warnings for
 * what firmware ignores, and with enrollment the PK, KEK and db updates. */
static int stage_sb_key(struct cx *c, struct vc_error *err)
{
	const struct vc_compose_options *o = c->o;
	/* --sb-key/--sb-cert override the config's pair */
	const char *key = o->sb_key_path ? o->sb_key_path : c->cfg->sb_key;
	const char *cert = o->sb_key_path ? o->sb_cert_path : c->cfg->sb_cert;
	bool enroll = o->sb_enroll || c->cfg->sb_enroll;
	int64_t nb, na;
	int r;

	if (o->sb_cert_path && !o->sb_key_path)
		cert = o->sb_cert_path;
	if (!key && !cert) {
		if (enroll)
			return vc_errorf(err, VC_EINVAL,
					 "Secure Boot enrollment needs the key and certificate to "
					 "enroll and sign with (--sb-key and --sb-cert, or "
					 "secure_boot_key and secure_boot_cert)");
		return 0;
	}
	if (!key || !cert)
		return vc_errorf(err, VC_EINVAL,
				 "Secure Boot: give both the key and its certificate (--sb-key, "
				 "--sb-cert)");
	if (c->cfg->image != VC_CONFIG_IMAGE_OEM)
		return vc_errorf(err, VC_EINVAL,
				 "Secure Boot keys for a ddi image: it has no boot loader or UKI "
				 "to sign");
	if (enroll && c->cfg->bootloader != VC_CONFIG_BOOT_SYSTEMD_BOOT)
		return vc_errorf(err, VC_EINVAL,
				 "Secure Boot enrollment is done by systemd-boot: it needs "
				 "<bootloader name=\"systemd_boot\">");
	struct vc_sign_key_options ko = {
	    .key_path = key,
	    .cert_path = cert,
	    .passphrase = o->passphrase,
	    .passphrase_len = o->passphrase_len,
	};
	r = vc_sign_key_load(&ko, &c->sb_key, err);
	if (r == 0) {
		r = vc_sign_key_check_code_signing(c->sb_key, err);
		if (r < 0)
			vc_error_prefix(err, "%s: cannot sign boot loaders", cert);
	}
	if (r < 0) {
		vc_error_prefix(err, "Secure Boot key");
		return r;
	}
	vc_sign_key_validity(c->sb_key, &nb, &na);
	if ((c->epoch < nb || c->epoch > na) && o->note) {
		char a[32], b[32], e[32], msg[512];
		sb_time(nb, a);
		sb_time(na, b);
		sb_time(c->epoch, e);
		snprintf(msg, sizeof(msg),
			 "%s is valid from %s to %s, not at the build time %s; UEFI "
			 "firmware does not check dates, so the signatures still verify",
			 cert, a, b, e);
		o->note(o->note_ctx, msg);
	}
	if (!vc_sign_key_is_rsa(c->sb_key) && o->note) {
		char msg[512];
		snprintf(msg, sizeof(msg),
			 "%s is a %s key; most UEFI firmware (OVMF included) verifies "
			 "only RSA Authenticode signatures",
			 key, vc_sign_key_describe(c->sb_key));
		o->note(o->note_ctx, msg);
	}
	if (!enroll)
		return 0;
	/* PK, KEK and db: the one certificate, owned by a GUID derived from
	 * the seed, each update signed by the PK's key */
	const uint8_t *der;
	size_t der_len;
	vc_sign_key_cert_der(c->sb_key, &der, &der_len);
	vc_uuid_derive(c->seed, sizeof(c->seed), "secure-boot-owner", c->sb_owner);
	for (int v = VC_EFIVAR_PK; r == 0 && v <= VC_EFIVAR_DB; v++) {
		r = vc_efivar_sb_auth(c->sb_key, (enum vc_efivar_sb_var)v, der, der_len,
				      c->sb_owner, c->epoch, &c->sb_auth[v], err);
		c->sb_auth_blob[v].name = vc_efivar_sb_name((enum vc_efivar_sb_var)v);
		c->sb_auth_blob[v].data = c->sb_auth[v].data;
		c->sb_auth_blob[v].len = c->sb_auth[v].len;
	}
	return r;
}

/* ---- stage 2: boot inputs (oem only): stub, kernel, initrd, os-release ---- */

static int blob_from_tree(struct cx *c, const char *path, struct vc_uki_blob *b,
			  struct vc_error *err)
{
	struct vc_node *n = vc_tree_resolve(c->tree, path);

	if (!n || n->type != VC_NODE_REG)
		return vc_errorf(err, VC_EINVAL, "%s: not a file in the tree", path);
	if (n->size > BOOT_FILE_MAX)
		return vc_errorf(err, VC_ERANGE, "%s: %llu bytes, too big", path,
				 (unsigned long long)n->size);
	b->data = malloc(n->size ? (size_t)n->size : 1);
	if (!b->data)
		return vc_errorf(err, VC_ENOMEM, "out of memory");
	b->len = (size_t)n->size;
	b->owned = true;
	b->name = path;
	return vc_tree_read(c->tree, n, 0, b->data, b->len, err);
}

/* The kernel: <uki><kernel name> (a file name in /boot, or a release under
 * /usr/lib/modules), else the only /boot/vmlinuz-* or /usr/lib/modules/x/vmlinuz. */
static int find_kernel(struct cx *c, char *path, size_t cap, struct vc_error *err)
{
	const char *want = c->cfg->dracut.uki_kernel;
	struct vc_node *boot = vc_tree_resolve(c->tree, "/boot");
	struct vc_node *mods = vc_tree_resolve(c->tree, "/usr/lib/modules");
	size_t found = 0;

	c->kver[0] = '\0';
	if (want) {
		if (strncmp(want, "vmlinuz-", 8) == 0 || strncmp(want, "vmlinux-", 8) == 0) {
			snprintf(path, cap, "/boot/%s", want);
			snprintf(c->kver, sizeof(c->kver), "%s", want + 8);
		} else {
			snprintf(path, cap, "/usr/lib/modules/%s/vmlinuz", want);
			snprintf(c->kver, sizeof(c->kver), "%s", want);
		}
		if (!vc_tree_resolve(c->tree, path) && c->kver[0]) {
			/* Debian keeps it in /boot; try the other place */
			char alt[512];
			if (path[1] == 'b')
				snprintf(alt, sizeof(alt), "/usr/lib/modules/%s/vmlinuz", c->kver);
			else
				snprintf(alt, sizeof(alt), "/boot/vmlinuz-%s", c->kver);
			if (vc_tree_resolve(c->tree, alt))
				snprintf(path, cap, "%s", alt);
		}
		if (!vc_tree_resolve(c->tree, path))
			return vc_errorf(err, VC_EINVAL,
					 "<uki><kernel name=\"%s\">: no %s in the tree", want,
					 path);
		return 0;
	}
	for (size_t i = 0; boot && boot->type == VC_NODE_DIR && i < boot->n_children; i++) {
		const struct vc_node *k = boot->children[i];
		if (strncmp(k->name, "vmlinuz-", 8) != 0 || k->type != VC_NODE_REG)
			continue;
		if (found++ == 0) {
			snprintf(path, cap, "/boot/%s", k->name);
			snprintf(c->kver, sizeof(c->kver), "%s", k->name + 8);
		}
	}
	for (size_t i = 0; !found && mods && mods->type == VC_NODE_DIR && i < mods->n_children;
	     i++) {
		char p[512];
		snprintf(p, sizeof(p), "/usr/lib/modules/%s/vmlinuz", mods->children[i]->name);
		if (!vc_tree_resolve(c->tree, p))
			continue;
		if (found++ == 0) {
			snprintf(path, cap, "%s", p);
			snprintf(c->kver, sizeof(c->kver), "%s", mods->children[i]->name);
		}
	}
	if (found == 0)
		return vc_errorf(
		    err, VC_EINVAL,
		    "no kernel in the tree (/boot/vmlinuz-* or "
		    "/usr/lib/modules/*/vmlinuz); name one with <uki><kernel name=...>");
	if (found > 1)
		return vc_errorf(err, VC_EINVAL,
				 "%zu kernels in the tree; name one with "
				 "<uki><kernel name=...>",
				 found);
	return 0;
}

/* ---- the target architecture ---- */

static const struct arch arches[] = {
    {"x86-64", 0x8664, 62, "x64", "BOOTX64.EFI"},
    {"arm64", 0xaa64, 183, "aa64", "BOOTAA64.EFI"},
    {"x86", 0x014c, 3, "ia32", "BOOTIA32.EFI"},
    {"arm", 0x01c4, 40, "arm", "BOOTARM.EFI"},
    {"riscv64", 0x5064, 243, "riscv64", "BOOTRISCV64.EFI"},
    {"loongarch64", 0x6264, 258, "loongarch64", "BOOTLOONGARCH64.EFI"},
};
#define N_ARCHES (sizeof(arches) / sizeof(arches[0]))

static const struct arch *host_arch(void)
{
#if defined(__aarch64__)
	return &arches[1];
#elif defined(__i386__)
	return &arches[2];
#elif defined(__arm__)
	return &arches[3];
#elif defined(__riscv) && __riscv_xlen == 64
	return &arches[4];
#elif defined(__loongarch64)
	return &arches[5];
#else
	return &arches[0];
#endif
}

/* The machine of the tree's programs: the ELF header (elf_disk.h) of
 * /usr/bin/sh (or env, or true), symlinks followed inside the tree. NULL if
 * none is ELF. */
static const struct arch *tree_arch(struct cx *c, const char **ret_path)
{
	static const char *probe[] = {"/usr/bin/sh", "/usr/bin/env", "/usr/bin/true"};

	for (size_t i = 0; i < sizeof(probe) / sizeof(probe[0]); i++) {
		struct vc_node *n = vc_tree_resolve(c->tree, probe[i]);
		struct elf_head_disk h;
		struct vc_error e = {0};

		if (!n || n->type != VC_NODE_REG || n->size < sizeof(h) ||
		    vc_tree_read(c->tree, n, 0, &h, sizeof(h), &e) < 0 ||
		    memcmp(h.e_ident, ELF_MAGIC, 4))
			continue;
		/* e_machine, in the file's byte order */
		const uint8_t *em = h.e_machine;
		uint16_t m = h.e_ident[ELF_EI_DATA] == ELF_DATA2MSB ? (uint16_t)(em[0] << 8 | em[1])
								    : vc_get_le16(em);

		for (size_t k = 0; k < N_ARCHES; k++) {
			/* EM_RISCV is both widths: riscv64 only for ELFCLASS64 */
			if (arches[k].elf != m ||
			    (m == 243 && h.e_ident[ELF_EI_CLASS] != ELF_CLASS64))
				continue;
			*ret_path = probe[i];
			return &arches[k];
		}
	}
	return NULL;
}

/* The machine a PE file (the stub) runs on; NULL if unknown or not PE. */
static const struct arch *pe_arch(const struct vc_uki_blob *b)
{
	struct vc_pe_image *img = malloc(sizeof(*img));
	struct vc_error err = {0};
	const struct arch *a = NULL;

	if (img && vc_pe_parse(b->data, b->len, "stub", img, &err) == 0)
		for (size_t k = 0; k < N_ARCHES && !a; k++)
			if (arches[k].pe == img->machine)
				a = &arches[k];
	free(img);
	return a;
}

/* The target: what the tree's programs run on (a DDI), and for an oem
 * image the stub too, which must agree; else the build host's. */
static void stage_arch(struct cx *c)
{
	c->tree_arch = tree_arch(c, &c->tree_prog);
	c->arch = c->tree_arch ? c->tree_arch : host_arch();
}

static char *stub_path(const struct arch *a, char *buf, size_t cap)
{
	snprintf(buf, cap, "/usr/lib/systemd/boot/efi/linux%s.efi.stub", a->efi);
	return buf;
}

static int stage_boot_inputs(struct cx *c, struct vc_error *err)
{
	const struct vc_compose_options *o = c->o;
	char *kpath = c->kernel_path; /* lives as long as the blob naming it */
	const struct arch *t = c->tree_arch, *s;
	int r = 0;

	if (o->stub_path) {
		r = vc_uki_blob_load(o->stub_path, BOOT_FILE_MAX, &c->stub, err);
	} else {
		/* the stub for the tree's programs (or, when they are unknown, the
		 * build host's); else the first the tree has, checked below */
		const struct arch *a = c->arch;

		stub_path(a, c->stub_path, sizeof(c->stub_path));
		for (size_t k = 0; !vc_tree_resolve(c->tree, c->stub_path) && k < N_ARCHES; k++) {
			char p[sizeof(c->stub_path)];
			if (vc_tree_resolve(c->tree, stub_path(&arches[k], p, sizeof(p))))
				a = &arches[k];
			if (a != c->arch)
				stub_path(a, c->stub_path, sizeof(c->stub_path));
		}
		r = blob_from_tree(c, c->stub_path, &c->stub, err);
		if (r < 0)
			vc_error_prefix(err,
					"the systemd-boot stub (install systemd-boot-efi in the "
					"tree, or give --stub)");
	}
	if (r < 0)
		return r;
	s = pe_arch(&c->stub);
	if (s && t && s != t)
		return vc_errorf(
		    err, VC_EINVAL, "%s: a stub for %s, but the tree's %s is a program for %s",
		    o->stub_path ? o->stub_path : c->stub_path, s->dps, c->tree_prog, t->dps);
	if (s)
		c->arch = s;
	r = find_kernel(c, kpath, sizeof(c->kernel_path), err);
	if (r == 0)
		r = blob_from_tree(c, kpath, &c->kernel, err);
	if (r < 0)
		return r;
	if (vc_tree_resolve(c->tree, "/etc/os-release"))
		r = blob_from_tree(c, "/etc/os-release", &c->osrel, err);
	else if (vc_tree_resolve(c->tree, "/usr/lib/os-release"))
		r = blob_from_tree(c, "/usr/lib/os-release", &c->osrel, err);
	if (r < 0)
		return r;
	if (c->cfg->bootloader == VC_CONFIG_BOOT_SYSTEMD_BOOT && o->sdboot_path) {
		r = vc_uki_blob_load(o->sdboot_path, BOOT_FILE_MAX, &c->sdboot, err);
		const struct arch *b = r == 0 ? pe_arch(&c->sdboot) : NULL;
		if (r == 0 && b && b != c->arch)
			r = vc_errorf(err, VC_EINVAL, "%s: systemd-boot for %s, the stub is for %s",
				      o->sdboot_path, b->dps, c->arch->dps);
		if (r < 0)
			return r;
	} else if (c->cfg->bootloader == VC_CONFIG_BOOT_SYSTEMD_BOOT) {
		snprintf(c->sdboot_path, sizeof(c->sdboot_path),
			 "/usr/lib/systemd/boot/efi/systemd-boot%s.efi", c->arch->efi);
		r = blob_from_tree(c, c->sdboot_path, &c->sdboot, err);
		if (r < 0) {
			vc_error_prefix(err,
					"<bootloader name=\"systemd_boot\">: systemd-boot "
					"(install systemd-boot-efi in the tree, or give --sdboot)");
			return r;
		}
		if (c->sb_key) {
			struct vc_mem_sink m;
			vc_mem_sink_init(&m);
			r = sb_sign(c, c->sdboot.data, c->sdboot.len, &m, c->sdboot_digest, err);
			if (r < 0) {
				vc_mem_sink_fini(&m);
				vc_error_prefix(err, "%s", c->sdboot_path);
				return r;
			}
			vc_uki_blob_fini(&c->sdboot);
			c->sdboot.data = m.data; /* the signed copy, owned */
			c->sdboot.len = m.len;
			c->sdboot.owned = true;
			c->sdboot.name = c->sdboot_path;
		}
	}
	/* The initrd: --initrd, the config's initrd_file, or dracut. */
	const char *initrd = o->initrd_path ? o->initrd_path : c->cfg->initrd_file;
	if (initrd) {
		r = vc_uki_blob_load(initrd, BOOT_FILE_MAX, &c->initrd, err);
	} else if (c->cfg->initrd == VC_CONFIG_INITRD_DRACUT) {
		/* with the ESP's size given, nothing waits for the initrd until
		 * the ESP is planned: dracut runs beside EROFS and verity */
		progress(c, "dracut for kernel %s%s", c->kver,
			 c->cfg->efipart_mib ? " (beside EROFS and verity)" : "");
		r = compose_dracut(c, c->cfg->efipart_mib != 0, err);
	}
	return r;
}

/* ---- the UKI, into memory ---- */

static int build_uki(struct cx *c, const uint8_t *roothash, struct vc_error *err)
{
	struct vc_uki_options uo;
	struct vc_uki_summary sum;
	struct compose_cmdline_in ci = {
	    .cfg = c->cfg,
	    .roothash = roothash,
	    .final = roothash == c->roothash,
	    .root_uuid = c->root_uuid,
	    .hash_uuid = c->hash_uuid,
	    .vp = &c->vp,
	    .root_size = c->root_size,
	    .overlay_uuid = parts_overlay_uuid(c),
	};
	int r;

	free(c->cmdline);
	c->cmdline = NULL;
	r = compose_cmdline(&ci, &c->cmdline, err);
	if (r < 0)
		return r;
	vc_uki_options_init(&uo);
	uo.stub = &c->stub;
	uo.kernel = &c->kernel;
	if (c->initrd.data)
		uo.initrds[uo.n_initrds++] = &c->initrd;
	if (c->overlay_blob.len) /* after the main one: the kernel unpacks both */
		uo.initrds[uo.n_initrds++] = &c->overlay_blob;
	uo.cmdline = c->cmdline;
	uo.os_release = c->osrel.data ? &c->osrel : NULL;
	uo.uname = c->kver[0] ? c->kver : NULL;
	uo.have_epoch = true;
	uo.epoch = c->epoch;
	vc_mem_sink_fini(&c->uki);
	vc_mem_sink_init(&c->uki);
	struct vc_compose_pcr_options po = {.key_path = c->o->pcr_key_path ? c->o->pcr_key_path
									   : c->cfg->pcr_key,
					    .banks = c->o->pcr_banks,
					    .phases = c->o->pcr_phases};
	r = vc_compose_uki(&uo, &po, &c->uki.sink, &sum, &c->pcr, err);
	if (r == 0 && c->sb_key) {
		struct vc_mem_sink m;
		vc_mem_sink_init(&m);
		m.max = c->uki.max;
		r = sb_sign(c, c->uki.data, c->uki.len, &m, c->uki_digest, err);
		if (r == 0) { /* the signed UKI replaces the unsigned one */
			free(c->uki.data);
			c->uki.data = m.data;
			c->uki.len = m.len;
			c->uki.cap = m.cap;
		} else {
			vc_mem_sink_fini(&m);
		}
	}
	if (r < 0)
		vc_error_prefix(err, "UKI");
	return r;
}

/* ---- the ESP ---- */

static int read_mem(void *ctx, uint64_t off, void *buf, size_t len, struct vc_error *err)
{
	const struct vc_uki_blob *b = ctx;

	if (off > b->len || len > b->len - off)
		return vc_errorf(err, VC_EIO, "%s: read beyond the end", b->name);
	memcpy(buf, b->data + off, len);
	return 0;
}

static int esp_fill(struct cx *c, struct vc_fat *f, struct vc_error *err)
{
	const char *auth[3] = {c->sb_auth_blob[0].name, c->sb_auth_blob[1].name,
			       c->sb_auth_blob[2].name};
	struct compose_esp_in ei = {
	    .cfg = c->cfg, .boot = c->arch->boot, .efi = c->arch->efi, .auth_names = auth};
	int r = 0;

	for (int v = 0; v < 3 && c->sb_auth[v].len; v++)
		ei.n_auth++;
	compose_esp_plan(&ei, &c->esp);
	c->uki_blob.name = "uki.efi";
	c->uki_blob.data = c->uki.data;
	c->uki_blob.len = c->uki.len;
	c->loader_blob.name = "loader.conf";
	c->loader_blob.data = (uint8_t *)c->esp.loader_conf;
	c->loader_blob.len = strlen(c->esp.loader_conf);
	for (size_t i = 0; r == 0 && i < c->esp.n_files; i++) {
		const struct compose_esp_file *e = &c->esp.files[i];
		struct vc_uki_blob *b = e->what == COMPOSE_ESP_SDBOOT ? &c->sdboot
					: e->what == COMPOSE_ESP_UKI  ? &c->uki_blob
					: e->what == COMPOSE_ESP_AUTH ? &c->sb_auth_blob[e->auth]
					: e->what == COMPOSE_ESP_LOADER_CONF ? &c->loader_blob
									     : NULL;
		r = b ? vc_fat_add_file(f, e->path, b->len, read_mem, b, err)
		      : vc_fat_add_dir(f, e->path, err);
	}
	return r;
}

static int esp_new(struct cx *c, uint64_t size, struct vc_fat **ret, struct vc_error *err)
{
	struct vc_fat_options fo = {.size = size,
				    .label = "ESP",
				    .epoch = c->epoch,
				    .hidden_sectors = (uint32_t)(c->plan.esp_off / 512)};
	int r;

	fo.volume_id = vc_fat_volume_id(c->seed, sizeof(c->seed));
	r = vc_fat_new(&fo, ret, err);
	if (r == 0)
		r = esp_fill(c, *ret, err);
	return r;
}

/* The ESP's size: efipartsize, else what the files need plus room to
 * replace the UKI once (an update), at least 16 MiB. The UKI is assembled
 * here with a dummy root hash: its size does not depend on the value. */
static int stage_plan_esp(struct cx *c, struct vc_error *err)
{
	static const uint8_t zero[32];
	struct vc_fat *f = NULL;
	struct vc_fat_info info;
	int r;

	r = replan(c, err); /* the ESP's offset */
	if (r == 0)
		r = build_uki(c, zero, err);
	if (r < 0)
		return r;
	if (c->cfg->efipart_mib) {
		c->esp_size = c->cfg->efipart_mib * MIB;
		r = esp_new(c, c->esp_size, &f, err);
		if (r == 0)
			r = vc_fat_plan(f, &info, err);
		if (r < 0)
			vc_error_prefix(err, "%s:%u: <type efipartsize=\"%llu\">", c->cfg->path,
					c->cfg->type_line, (unsigned long long)c->cfg->efipart_mib);
		vc_fat_free(f);
		return r;
	}
	uint64_t need = VC_ROUND_UP(2 * (uint64_t)c->uki.len + c->sdboot.len * 2 + 2 * MIB, MIB);
	if (need < 16 * MIB)
		need = 16 * MIB;
	for (int tries = 0; tries < 8; tries++) {
		r = esp_new(c, need, &f, err);
		if (r == 0)
			r = vc_fat_plan(f, &info, err);
		vc_fat_free(f);
		f = NULL;
		if (r == 0)
			break;
		if (r != VC_ERANGE)
			return r;
		need += 4 * MIB;
	}
	if (r < 0)
		return r;
	c->esp_size = need;
	return 0;
}

/* ---- stage 3: the root filesystem, straight into the disk ---- */

static int stage_erofs(struct cx *c, struct vc_error *err)
{
	struct vc_erofs_options eo = {
	    .label = c->cfg->rootfs_label,
	    .have_build_time = true,
	    .build_time = c->epoch,
	    .pool = c->pool,
	    .read = vc_tree_read_cb,
	    .open = vc_tree_open_cb,
	    .close = vc_tree_close_cb,
	    .read_ctx = c->tree,
	    .progress = c->o->counters,
	};
	struct vc_erofs_result res;
	int r;

	r = erofs_options(c, &eo, err);
	if (r < 0)
		return r;
	vc_uuid_derive(c->seed, sizeof(c->seed), "erofs-uuid", eo.uuid);
	r = replan(c, err); /* the root's offset */
	if (r < 0)
		return r;
	struct vc_sink w = vc_sink_window(c->image, c->plan.root_off, UINT64_MAX / 4, "erofs");
	progress(c, "EROFS root file system");
	r = vc_erofs_write(c->tree, &eo, &w, &res, err);
	if (r < 0)
		return r;
	c->root_size = res.size;
	return 0;
}

/* ---- stage 4: verity ---- */

/* KIWI's embed_verity_metadata block, in the root partition's last 4 KiB:
 * "1 FSTYPE ro verity" 0xff "HASHTYPE DATABLOCKSIZE HASHBLOCKSIZE DATABLOCKS
 * HASHSTARTBLOCK sha256 ROOTHASH SALT" 0xff 0x00, zero-padded (format 1, as
 * kiwi/utils/veritysetup.py writes it; hash start in hash blocks). */
static int write_kiwi_trailer(struct cx *c, struct vc_error *err)
{
	uint8_t block[COMPOSE_KIWI_TRAILER] = {0};
	char root[65], salt[2 * VC_VERITY_MAX_SALT + 1];
	int n;

	vc_hex_encode(c->roothash, 32, root);
	vc_hex_encode(c->vp.salt, c->vp.salt_len, salt);
	n = snprintf(
	    (char *)block, sizeof(block), "1 erofs ro verity%c1 %u %u %llu %llu sha256 %s %s%c",
	    0xff, c->vp.data_block_size, c->vp.hash_block_size,
	    (unsigned long long)c->vp.data_blocks,
	    (unsigned long long)(c->vp.hash_offset / c->vp.hash_block_size), root, salt, 0xff);
	if (n < 0 || (size_t)n >= sizeof(block))
		return vc_errorf(err, VC_ERANGE, "KIWI verity metadata does not fit 4 KiB");
	return vc_sink_pwrite(c->image, block, sizeof(block),
			      c->plan.root_off + c->plan.root_part_size - COMPOSE_KIWI_TRAILER,
			      err);
}

static int stage_verity(struct cx *c, struct vc_error *err)
{
	struct vc_verity_params *p = &c->vp;
	struct vc_verity_plan plan;
	const struct vc_sink *disk = c->image;
	const struct compose_plan *l = &c->plan;
	int r;

	if (!c->cfg->verity)
		return replan(c, err); /* overlayroot_readonly_partsize is checked */
	vc_verity_params_init(p);
	vc_verity_params_derive(p, c->seed, sizeof(c->seed));
	p->data_blocks = c->root_size / p->data_block_size;
	if (c->cfg->verity_blocks && c->cfg->verity_blocks < p->data_blocks)
		p->data_blocks = c->cfg->verity_blocks;
	if (!c->cfg->verity_partition) {
		/* embedded: after the filesystem. With KIWI's metadata trailer, as
		 * KIWI lays it out (no verity superblock: its initrd reads the
		 * trailer); without, a superblock keeps the tree self-describing. */
		p->superblock = !c->cfg->embed_verity_metadata;
		p->hash_offset = c->root_size;
	}
	r = vc_verity_plan(p, &plan, err);
	if (r < 0)
		return r;
	c->hash_size = plan.area_size;
	r = replan(c, err); /* the hash tree's place */
	if (r < 0)
		return r;
	struct vc_sink data = vc_sink_window(disk, l->root_off, c->root_size, "verity data");
	struct vc_verity_src src = {.sink = &data, .progress = c->o->counters};
	/* its own partition, or the root's (the tree after the file system;
	 * with embed_verity_metadata KIWI's 4 KiB trailer in its last block) */
	struct vc_sink hash = c->cfg->verity_partition
				  ? vc_sink_window(disk, l->hash_off, l->hash_part_size, "verity")
				  : vc_sink_window(disk, l->root_off, l->root_part_size, "verity");
	progress(c, "dm-verity over %llu blocks", (unsigned long long)p->data_blocks);
	r = vc_verity_format(p, &src, &hash, c->pool, c->roothash, err);
	if (r < 0)
		return r;
	vc_gpt_uuids_from_roothash(c->roothash, 32, c->root_uuid, c->hash_uuid);
	if (!c->cfg->verity_partition && c->cfg->embed_verity_metadata)
		return write_kiwi_trailer(c, err);
	return 0;
}

/* ---- stage 5: the signature ---- */

static int stage_sign(struct cx *c, struct vc_error *err)
{
	const char *key = c->o->key_path ? c->o->key_path : c->cfg->signature_key;
	const char *cert = c->o->key_path ? c->o->cert_path : c->cfg->signature_cert;
	struct vc_sign_key *k = NULL;
	uint8_t fp[32];
	int r;

	if (!c->cfg->verity || (!key && !c->o->defer_signature))
		return 0;
	c->signed_ = true;
	if (c->o->defer_signature) {
		/* room for the signature partition; `vcompose sign` fills it later */
		c->sig_size = MIB;
		return 0;
	}
	/* no certificate: the key's PEM file holds it (vc_sign_key_load) */
	struct vc_sign_key_options ko = {
	    .key_path = key,
	    .cert_path = cert,
	    .passphrase = c->o->passphrase,
	    .passphrase_len = c->o->passphrase_len,
	};
	r = vc_sign_key_load(&ko, &k, err);
	if (r < 0 && !c->o->key_path)
		vc_error_prefix(err, "%s:%u: <type verity_signature_key>", c->cfg->path,
				c->cfg->type_line);
	if (r == 0)
		r = vc_sign_roothash(k, c->roothash, 32, 0, &c->p7s, err);
	if (r == 0) {
		vc_sign_key_fingerprint(k, fp);
		r = vc_sign_dps_blob(c->roothash, 32, fp, c->p7s.data, c->p7s.len, &c->dps, err);
	}
	vc_sign_key_free(k);
	if (r < 0)
		return r;
	c->sig_size = c->dps.len;
	return 0;
}

/* ---- stage 5b: extra partitions and the overlay write partition ---- */

static int stage_parts(struct cx *c, struct vc_error *err)
{
	int r = replan(c, err); /* with the signature's size: the partitions after it */

	return r == 0 ? parts_write(c, err) : r;
}

/* ---- stage 6: UKI and ESP ---- */

static int stage_esp(struct cx *c, struct vc_error *err)
{
	struct vc_fat *f = NULL;
	int r;

	if (c->cfg->image != VC_CONFIG_IMAGE_OEM)
		return 0;
	r = build_uki(c, c->roothash, err);
	if (r == 0)
		r = esp_new(c, c->esp_size, &f, err);
	if (r == 0) {
		struct vc_sink w =
		    vc_sink_window(c->image, c->plan.esp_off, c->plan.esp_size, "fat");
		r = vc_fat_write(f, &w, err);
	}
	vc_fat_free(f);
	return r;
}

/* ---- stage 7: the partition table, last ---- */

/* The plan's partitions (after the root hash: the DPS UUIDs; the stub:
 * the architecture), the signature into its partition. */
static int stage_gpt(struct cx *c, struct vc_error *err)
{
	struct vc_gpt *g = calloc(1, sizeof(*g));
	int r;

	if (!g)
		return vc_errorf(err, VC_ENOMEM, "out of memory");
	vc_gpt_init(g, c->seed, sizeof(c->seed));
	r = replan(c, err);
	for (size_t i = 0; r == 0 && i < c->plan.n_parts; i++)
		r = vc_gpt_add(g, &c->plan.parts[i].gpt, err);
	if (r == 0 && c->dps.len)
		r = vc_sink_pwrite(c->image, c->dps.data, c->dps.len, c->plan.sig_off, err);
	if (r == 0 && c->plan.disk_size)
		g->disk_size = c->plan.disk_size;
	if (r == 0)
		r = vc_gpt_layout(g, err);
	if (r == 0)
		r = vc_gpt_write(g, c->image, err);
	if (r == 0) {
		c->disk_size = g->disk_size;
		memcpy(c->disk_guid, g->disk_guid, 16);
		c->n_parts = g->n_parts;
		for (size_t i = 0; i < g->n_parts; i++) {
			c->parts[i].offset = g->parts[i].offset;
			c->parts[i].size = g->parts[i].part_size;
			memcpy(c->parts[i].uuid, g->parts[i].uuid, 16);
			memcpy(c->parts[i].type, g->parts[i].type, 16);
			snprintf(c->parts[i].label, sizeof(c->parts[i].label), "%s",
				 g->parts[i].label);
		}
	}
	free(g);
	if (r < 0)
		vc_error_prefix(err, "gpt");
	return r;
}

/* ---- stage 8: artifacts and the manifest ---- */

/* SHA-256 of [off, off + len) of a file sink, read back from the page cache. */
static int sink_sha256(const struct vc_sink *s, uint64_t off, uint64_t len, uint8_t out[32],
		       struct vc_error *err)
{
	uint8_t *buf = malloc(4 * MIB);
	struct vc_sha256 h;
	int r = 0;

	if (!buf)
		return vc_errorf(err, VC_ENOMEM, "out of memory");
	vc_sha256_init(&h);
	for (uint64_t at = 0; at < len; at += 4 * MIB) {
		size_t k = len - at < 4 * MIB ? (size_t)(len - at) : 4 * MIB;
		r = vc_sink_pread(s, buf, k, off + at, err);
		if (r < 0)
			break;
		vc_sha256_update(&h, buf, k);
	}
	vc_sha256_final(&h, out);
	free(buf);
	return r;
}

static int artifact(struct cx *c, int which, const char *suffix, const void *data, size_t len,
		    struct vc_error *err)
{
	char name[VC_XMLCFG_NAME_MAX + 32];

	snprintf(name, sizeof(name), "%s.%s", c->cfg->name, suffix);
	return out_write_buf(c, &c->art[which], name, data, len, err);
}

static void sb_entry(struct vc_json *j, const char *file, const uint8_t digest[32])
{
	vc_json_begin_object(j);
	vc_json_key_string(j, "file", file);
	vc_json_key_hex(j, "authenticode_sha256", digest, 32);
	vc_json_end_object(j);
}

/* "secure_boot": the signer, each signed file with its Authenticode digest
 * (what the firmware measures into PCR 4 when it loads the file), the
 * enrollment files. */
static void manifest_sb(struct cx *c, struct vc_json *j)
{
	char path[VC_XMLCFG_NAME_MAX + 64];
	uint8_t fp[32];

	vc_json_key(j, "secure_boot");
	vc_json_begin_object(j);
	vc_json_key_string(j, "key", vc_sign_key_describe(c->sb_key));
	vc_sign_key_fingerprint(c->sb_key, fp);
	vc_json_key_hex(j, "certificate_sha256", fp, 32);
	vc_json_key_int(j, "signing_time", c->epoch);
	vc_json_key(j, "signed");
	vc_json_begin_array(j);
	/* the ESP's signed files (compose_esp_plan), then NAME.efi */
	for (size_t i = 0; i < c->esp.n_files; i++)
		if (c->esp.files[i].what == COMPOSE_ESP_SDBOOT ||
		    c->esp.files[i].what == COMPOSE_ESP_UKI)
			sb_entry(j, c->esp.files[i].path,
				 c->esp.files[i].what == COMPOSE_ESP_UKI ? c->uki_digest
									 : c->sdboot_digest);
	snprintf(path, sizeof(path), "%s.efi", c->cfg->name);
	sb_entry(j, path, c->uki_digest);
	vc_json_end_array(j);
	if (c->sb_auth[0].len) {
		char u[VC_UUID_STR];
		vc_json_key(j, "enroll");
		vc_json_begin_object(j);
		vc_json_key_string(j, "mode", "force");
		vc_uuid_format(c->sb_owner, u);
		vc_json_key_string(j, "owner", u);
		vc_json_key(j, "files");
		vc_json_begin_array(j);
		for (size_t i = 0; i < c->esp.n_files; i++) {
			const struct compose_esp_file *e = &c->esp.files[i];
			uint8_t d[32];
			if (e->what != COMPOSE_ESP_AUTH)
				continue;
			vc_sha256(c->sb_auth[e->auth].data, c->sb_auth[e->auth].len, d);
			vc_json_begin_object(j);
			vc_json_key_string(j, "file", e->path);
			vc_json_key_hex(j, "sha256", d, 32);
			vc_json_end_object(j);
		}
		vc_json_end_array(j);
		vc_json_end_object(j);
	}
	vc_json_end_object(j);
}

static int read_disk(void *ctx, void *buf, size_t len, uint64_t off, struct vc_error *err)
{
	struct cx *c = ctx;

	return vc_sink_pread(c->image, buf, len, off, err);
}

/* format="qcow2": NAME.qcow2 from the finished raw disk, read back. */
static int write_qcow2(struct cx *c, struct vc_error *err)
{
	struct vc_qcow2_source src = {.pread = read_disk, .ctx = c, .size = c->disk_size};
	struct out_file *of = &c->art[ART_QCOW2];
	char name[VC_XMLCFG_NAME_MAX + 8];
	int r;

	progress(c, "qcow2");
	snprintf(name, sizeof(name), "%s.qcow2", c->cfg->name);
	r = out_open(c, of, name, err);
	if (r == 0)
		r = vc_qcow2_write(&src, vc_file_sink_sink(of->f), &of->size, err);
	return r;
}

/* The manifest's head: versions, the image, its seed and epoch, the root
 * file system, verity, the boot side (command line, kernel, PCR 11), Secure
 * Boot and the initrd's origin. */
static int manifest_head(struct cx *c, struct vc_json *j, struct vc_error *err)
{
	int r = 0;

	vc_json_key(j, "versions");
	vc_json_begin_object(j);
	vc_json_key_string(j, "vcompose", VC_VERSION);
	vc_json_key_string(j, "liblz4", vc_erofs_lz4_version());
	vc_json_key_string(j, "libarchive", vc_tree_archive_version());
	vc_json_key_string(j, "mbedtls", vc_sign_backend_version());
	vc_json_end_object(j);
	vc_json_key_string(j, "image", c->cfg->name);
	vc_json_key_string(j, "version", c->cfg->version);
	vc_json_key_string(j, "kind", c->cfg->image == VC_CONFIG_IMAGE_OEM ? "oem" : "ddi");
	vc_json_key_int(j, "source_date_epoch", c->epoch);
	vc_json_key_hex(j, "seed", c->seed, sizeof(c->seed));
	vc_json_key(j, "root_filesystem");
	vc_json_begin_object(j);
	vc_json_key_string(j, "type", "erofs");
	vc_json_key_uint(j, "size", c->root_size);
	vc_json_end_object(j);
	if (c->cfg->verity) {
		vc_json_key_hex(j, "root_hash", c->roothash, 32);
		vc_json_key(j, "verity");
		vc_json_begin_object(j);
		vc_json_key_string(j, "layout",
				   c->cfg->verity_partition ? "partition" : "embedded");
		vc_json_key_uint(j, "data_blocks", c->vp.data_blocks);
		vc_json_key_uint(j, "hash_offset", c->vp.hash_offset);
		vc_json_key_hex(j, "salt", c->vp.salt, c->vp.salt_len);
		vc_json_key_bool(j, "signed", c->p7s.len > 0);
		vc_json_end_object(j);
	}
	if (c->cmdline) {
		vc_json_key_string(j, "cmdline", c->cmdline);
		vc_json_key_string(j, "kernel", c->kver);
		/* What systemd-stub will extend TPM PCR 11 to, and the phases after. */
		vc_json_key(j, "pcr11");
		r = vc_compose_pcr_json(&c->pcr, j, err);
	}
	if (c->sb_key)
		manifest_sb(c, j);
	if (c->initrd.data) {
		/* which dracut made the initrd, and how it ran */
		vc_json_key(j, "initrd");
		vc_json_begin_object(j);
		vc_json_key_string(j, "source", c->dracut.version[0] ? "dracut" : "file");
		if (c->dracut.version[0]) {
			vc_json_key_string(j, "dracut", c->dracut.from_tree ? "tree" : "host");
			vc_json_key_string(j, "dracut_version", c->dracut.version);
			vc_json_key_string(j, "method", vc_dracut_method_name(c->dracut.method));
		}
		vc_json_end_object(j);
	}
	return r;
}

/* A file's or partition's "size" and "sha256", read back from its sink. */
static int manifest_sha256(struct vc_json *j, const struct vc_sink *s, uint64_t off, uint64_t size,
			   struct vc_error *err)
{
	uint8_t d[32];
	int r = sink_sha256(s, off, size, d, err);

	if (r < 0)
		return r;
	vc_json_key_uint(j, "size", size);
	vc_json_key_hex(j, "sha256", d, 32);
	return 0;
}

/* "disk": the file, its size and GUID, every partition with its sha256;
 * "artifacts": the files beside it. */
static int manifest_files(struct cx *c, struct vc_json *j, struct vc_error *err)
{
	char u[VC_UUID_STR];
	int r = 0;

	vc_json_key(j, "disk");
	vc_json_begin_object(j);
	vc_json_key_string(j, "file", strrchr(c->disk.path, '/') + 1);
	vc_json_key_uint(j, "size", c->disk_size);
	vc_uuid_format(c->disk_guid, u);
	vc_json_key_string(j, "guid", u);
	vc_json_key(j, "partitions");
	vc_json_begin_array(j);
	for (size_t i = 0; r == 0 && i < c->n_parts; i++) {
		vc_json_begin_object(j);
		vc_json_key_string(j, "type", vc_gpt_type_name(c->parts[i].type));
		vc_json_key_string(j, "label", c->parts[i].label);
		vc_uuid_format(c->parts[i].uuid, u);
		vc_json_key_string(j, "uuid", u);
		vc_json_key_uint(j, "offset", c->parts[i].offset);
		r = manifest_sha256(j, c->image, c->parts[i].offset, c->parts[i].size, err);
		vc_json_end_object(j);
	}
	vc_json_end_array(j);
	vc_json_end_object(j);
	vc_json_key(j, "artifacts");
	vc_json_begin_array(j);
	for (int i = 0; r == 0 && i < ART_COUNT; i++) {
		if (!c->art[i].f)
			continue;
		vc_json_begin_object(j);
		vc_json_key_string(j, "file", strrchr(c->art[i].path, '/') + 1);
		r = manifest_sha256(j, vc_file_sink_sink(c->art[i].f), 0, c->art[i].size, err);
		vc_json_end_object(j);
	}
	vc_json_end_array(j);
	return r;
}

static int stage_artifacts(struct cx *c, struct vc_error *err)
{
	char hex[65];
	int r = 0;

	progress(c, "artifacts and manifest");
	if (c->cfg->image == VC_CONFIG_IMAGE_OEM)
		r = artifact(c, ART_UKI, "efi", c->uki.data, c->uki.len, err);
	if (r == 0 && c->cfg->verity) {
		char line[66];
		vc_hex_encode(c->roothash, 32, hex);
		snprintf(line, sizeof(line), "%s\n", hex);
		r = artifact(c, ART_ROOTHASH, "roothash", line, 65, err);
	}
	if (r == 0 && c->p7s.len)
		r = artifact(c, ART_P7S, "roothash.p7s", c->p7s.data, c->p7s.len, err);
	if (r == 0 && c->dracut_log.len)
		r = artifact(c, ART_DRACUT_LOG, "dracut.log", c->dracut_log.data, c->dracut_log.len,
			     err);
	if (r == 0 && c->cfg->format == VC_CONFIG_FORMAT_QCOW2)
		r = write_qcow2(c, err);
	if (r < 0)
		return r;
	c->disk.size = c->disk_size;

	/* manifest.json: what a person rebuilding the image checks */
	struct vc_json j;
	vc_json_init(&j, 2);
	vc_json_begin_document(&j, "manifest");
	r = manifest_head(c, &j, err);
	if (r == 0)
		r = manifest_files(c, &j, err);
	vc_json_end_object(&j);
	const char *text = r == 0 ? vc_json_finish(&j, err) : NULL;
	if (text) {
		char name[VC_XMLCFG_NAME_MAX + 32];
		snprintf(name, sizeof(name), "%s.manifest.json", c->cfg->name);
		r = out_write_buf(c, &c->manifest, name, text, strlen(text), err);
	} else if (r == 0)
		r = VC_ENOMEM;
	vc_json_fini(&j);
	return r;
}

/* Everything that can fail first (sizes, names), then the renames, in a
 * row, under the output lock: the files of a build appear as one set. */
static int commit_all(struct cx *c, struct vc_error *err)
{
	int r = vc_file_sink_prepare(c->disk.f, c->disk_size, err);

	for (int i = 0; r == 0 && i < ART_COUNT; i++)
		if (c->art[i].f)
			r = vc_file_sink_prepare(c->art[i].f, c->art[i].size ? c->art[i].size : 0,
						 err);
	if (r == 0)
		r = vc_file_sink_prepare(c->manifest.f, 0, err);
	if (r == 0)
		r = vc_file_sink_commit(c->disk.f, c->disk_size, err);
	for (int i = 0; r == 0 && i < ART_COUNT; i++)
		if (c->art[i].f)
			r = vc_file_sink_commit(c->art[i].f, c->art[i].size ? c->art[i].size : 0,
						err);
	if (r == 0)
		r = vc_file_sink_commit(c->manifest.f, 0, err);
	return r;
}

static void cx_fini(struct cx *c)
{
	struct vc_error e = {0};

	compose_dracut_wait(c, &e); /* a thread still running (an early error) */
	vc_xmlcfg_free(c->cfg);
	vc_tree_free(c->tree);
	vc_pool_free(c->pool);
	vc_uki_blob_fini(&c->stub);
	vc_uki_blob_fini(&c->kernel);
	vc_uki_blob_fini(&c->initrd);
	vc_uki_blob_fini(&c->osrel);
	vc_uki_blob_fini(&c->sdboot);
	vc_mem_sink_fini(&c->uki);
	vc_buf_fini(&c->dracut_log);
	vc_buf_fini(&c->p7s);
	vc_buf_fini(&c->dps);
	vc_sign_key_free(c->sb_key);
	for (int v = 0; v < 3; v++)
		vc_buf_fini(&c->sb_auth[v]);
	vc_buf_fini(&c->overlay_cpio);
	free(c->cmdline);
	out_free(&c->disk);
	for (int i = 0; i < ART_COUNT; i++)
		out_free(&c->art[i]);
	out_free(&c->manifest);
	vc_lock_release(c->lock); /* last: the temporaries are gone */
}

/* The disk image, stage by stage, into c->image (after stage_inputs):
 * the same bytes whichever sink it is. */
static int write_image(struct cx *c, struct vc_error *err)
{
	int r;

	stage_arch(c);
	r = stage_sb_key(c, err);
	if (r == 0 && c->cfg->image == VC_CONFIG_IMAGE_OEM) {
		r = stage_boot_inputs(c, err);
		if (r == 0 && c->dracut_started) {
			/* planned after dracut; the root's offset needs only this */
			c->esp_size = c->cfg->efipart_mib * MIB;
		} else if (r == 0) {
			r = stage_plan_esp(c, err);
		}
	}
	if (r == 0)
		r = stage_erofs(c, err);
	if (r == 0)
		r = stage_verity(c, err);
	if (c->dracut_started) {
		/* dracut comes before EROFS in the pipeline: its error first */
		struct vc_error de = {0};
		if (compose_dracut_wait(c, &de) < 0) {
			*err = de;
			r = de.code;
		} else if (r == 0) {
			r = stage_plan_esp(c, err);
		}
	}
	if (r == 0)
		r = stage_sign(c, err);
	if (r == 0)
		r = stage_parts(c, err);
	if (r == 0)
		r = stage_esp(c, err);
	if (r == 0)
		r = stage_gpt(c, err);
	return r;
}

static struct cx *cx_new(const struct vc_compose_options *o, struct vc_error *err)
{
	struct cx *c = calloc(1, sizeof(*c));

	if (!c) {
		vc_errorf(err, VC_ENOMEM, "out of memory");
		return NULL;
	}
	c->o = o;
	vc_mem_sink_init(&c->uki);
	c->uki.max = (size_t)BOOT_FILE_MAX * 2;
	return c;
}

int compose_image(const struct vc_compose_options *o, const struct vc_sink *disk,
		  struct compose_image *ret, struct vc_error *err)
{
	struct cx *c = cx_new(o, err);
	int r;

	if (!c)
		return err->code;
	c->image = disk;
	r = stage_inputs(c, err);
	if (r == 0)
		r = write_image(c, err);
	if (r == 0) {
		memset(ret, 0, sizeof(*ret));
		ret->plan = c->plan;
		ret->disk_size = c->disk_size;
		ret->root_size = c->root_size;
		ret->hash_size = c->hash_size;
		ret->vp = c->vp;
		memcpy(ret->roothash, c->roothash, 32);
		memcpy(ret->seed, c->seed, 32);
	}
	cx_fini(c);
	free(c);
	return r;
}

int vc_compose(const struct vc_compose_options *o, struct vc_compose_result *ret,
	       struct vc_error *err)
{
	struct cx *c = cx_new(o, err);
	int r;

	if (!c)
		return err->code;
	r = stage_inputs(c, err);
	if (r == 0) {
		/* one build per output name at a time: its files are one set */
		char *lock = NULL, *what = NULL;
		if (asprintf(&lock, "%s/.%s.lock", o->outdir, c->cfg->name) < 0 ||
		    asprintf(&what, "%s/%s.*", o->outdir, c->cfg->name) < 0)
			r = vc_errorf(err, VC_ENOMEM, "out of memory");
		else
			r = vc_lock_take(lock, what, &c->lock, err);
		free(lock);
		free(what);
	}
	if (r == 0) {
		char name[VC_XMLCFG_NAME_MAX + 8];
		snprintf(name, sizeof(name), "%s.raw", c->cfg->name);
		r = out_open(c, &c->disk, name, err);
	}
	if (r == 0) {
		c->image = vc_file_sink_sink(c->disk.f);
		r = write_image(c, err);
	}
	if (r == 0)
		r = stage_artifacts(c, err);
	if (r == 0)
		r = commit_all(c, err);
	if (r == 0 && ret) {
		memset(ret, 0, sizeof(*ret));
		snprintf(ret->disk_path, sizeof(ret->disk_path), "%s", c->disk.path);
		snprintf(ret->manifest_path, sizeof(ret->manifest_path), "%s", c->manifest.path);
		memcpy(ret->roothash, c->roothash, 32);
		ret->verity = c->cfg->verity;
		ret->disk_size = c->disk_size;
		ret->root_size = c->root_size;
		ret->hash_size = c->hash_size;
	}
	cx_fini(c);
	free(c);
	return r;
}
