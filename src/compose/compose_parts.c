/* SPDX-License-Identifier: MIT */
/* Writable state on a verified root (docs/partitions.md): KIWI's
 * <partitions> (extra ext2/3/4 partitions made from the tree's content under
 * their mount points, mounted by /etc/fstab), overlayroot (the EROFS root on
 * verity as the lower layer of an overlayfs whose upper layer is a write
 * partition or tmpfs, set up in the initrd by vcompose's generator) and
 * <size> (the disk's size; the write or size="all" partition fills it).
 *
 * Order, called by compose.c:
 *   parts_prepare  after the tree is read: mount points taken out of the
 *                  tree, /etc/fstab lines put in, the generator's cpio and
 *                  the dracut additions (overlay, the file system driver)
 *   parts_overlay_uuid  the write partition's UUID, for compose_cmdline's
 *                  rd.root.overlay.write=/dev/disk/by-partuuid/U (none:
 *                  rd.root.overlay.temporary)
 *   parts_plan_in  what compose_plan (plan.c) places after the signature
 *                  partition: each partition's need, its UUID
 *   parts_write    mke2fs + debugfs into the disk, each at its offset */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compose_priv.h"
#include "vcompose/endian.h"
#include "vcompose/ext4.h"
#include "vcompose/gpt.h"
#include "vcompose/tree.h"
#include "vcompose/util.h"
#include "vcompose/xmlcfg.h"

#define MIB (UINT64_C(1) << 20)

#define GENERATOR_NAME "vcompose-overlayroot-generator"
#define GENERATOR_DIR  "usr/lib/systemd/system-generators"

static enum vc_ext4_type ext_type(enum vc_config_fs fs)
{
	return fs == VC_CONFIG_FS_EXT2 ? VC_EXT2 : fs == VC_CONFIG_FS_EXT3 ? VC_EXT3 : VC_EXT4;
}

static const char *fs_name(enum vc_config_fs fs)
{
	static const char *const n[] = {"none", "ext2", "ext3", "ext4"};
	return n[fs];
}

static int strv_add_unique(struct vc_strv *s, const char *x, struct vc_error *err)
{
	char **v;

	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], x))
			return 0;
	v = realloc(s->v, (s->n + 2) * sizeof(*v));
	if (!v)
		return vc_errorf(err, VC_ENOMEM, "out of memory");
	s->v = v;
	if (!(v[s->n] = strdup(x)))
		return vc_errorf(err, VC_ENOMEM, "out of memory");
	v[++s->n] = NULL;
	return 0;
}

/* ---- the generator's cpio (newc, as the kernel unpacks it) ---- */

static int cpio_entry(struct vc_buf *b, uint32_t ino, uint32_t mode, int64_t mtime,
		      const char *name, const void *data, size_t len, struct vc_error *err)
{
	size_t nlen = strlen(name) + 1;
	static const uint8_t zero[4];
	int r = vc_buf_appendf(b, err, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
			       ino, mode, 0u, 0u, (mode & 0170000) == 0040000 ? 2u : 1u,
			       (uint32_t)mtime, (uint32_t)len, 0u, 0u, 0u, 0u, (uint32_t)nlen, 0u);

	if (r == 0)
		r = vc_buf_append(b, name, nlen, err);
	if (r == 0)
		r = vc_buf_append(b, zero, VC_ROUND_UP(110 + nlen, 4) - (110 + nlen), err);
	if (r == 0 && len)
		r = vc_buf_append(b, data, len, err);
	if (r == 0)
		r = vc_buf_append(b, zero, VC_ROUND_UP(len, 4) - len, err);
	return r;
}

/* The generator from vcompose's data folder, as an initrd of its own that
 * the UKI carries after the main one (the kernel unpacks both). */
static int overlay_cpio(struct cx *c, struct vc_error *err)
{
	static const char *const dirs[] = {"usr", "usr/lib", "usr/lib/systemd", GENERATOR_DIR};
	struct vc_buf script = {0};
	char path[4096];
	uint32_t ino = 1;
	int r;

	if (!c->o->datadir)
		return vc_errorf(err, VC_EIO,
				 "overlayroot: vcompose's data folder (with %s) was not found",
				 GENERATOR_NAME);
	snprintf(path, sizeof(path), "%s/overlayroot/%s", c->o->datadir, GENERATOR_NAME);
	r = vc_read_file(path, 1 << 20, &script, err);
	if (r < 0) {
		vc_error_prefix(err, "overlayroot: vcompose's initrd generator");
		return r;
	}
	for (size_t i = 0; r == 0 && i < sizeof(dirs) / sizeof(dirs[0]); i++)
		r = cpio_entry(&c->overlay_cpio, ino++, 0040755, c->epoch, dirs[i], NULL, 0, err);
	if (r == 0)
		r = cpio_entry(&c->overlay_cpio, ino++, 0100755, c->epoch,
			       GENERATOR_DIR "/" GENERATOR_NAME, script.data, script.len, err);
	if (r == 0)
		r = cpio_entry(&c->overlay_cpio, 0, 0, 0, "TRAILER!!!", NULL, 0, err);
	vc_buf_fini(&script);
	if (r < 0)
		return r;
	c->overlay_blob.name = "vcompose's overlayroot initrd";
	c->overlay_blob.data = c->overlay_cpio.data;
	c->overlay_blob.len = c->overlay_cpio.len;
	return 0;
}

/* ---- prepare ---- */

static int add_fstab(struct cx *c, struct vc_error *err)
{
	struct vc_buf b = {0};
	struct vc_node *old = vc_tree_lookup(c->tree, "/etc/fstab");
	char u[VC_UUID_STR];
	bool any = false;
	int r = 0;

	if (old && old->type == VC_NODE_REG && old->size < (1u << 20)) {
		uint8_t *g = vc_buf_grow(&b, (size_t)old->size, err);
		r = g ? vc_tree_read(c->tree, old, 0, g, (size_t)old->size, err) : VC_ENOMEM;
		if (r == 0 && b.len && b.data[b.len - 1] != '\n')
			r = vc_buf_append(&b, "\n", 1, err);
	} else if (old) {
		r = vc_errorf(err, VC_EINVAL,
			      "/etc/fstab: not a plain file in the tree (the partitions' mount "
			      "lines go there)");
	}
	for (size_t i = 0; r == 0 && i < c->cfg->n_parts; i++) {
		const struct xpart *x = &c->xparts[c->part_order[i]];
		if (!x->cfg->mountpoint)
			continue;
		if (!any)
			r = vc_buf_appendf(&b, err, "# vcompose: <partitions> of %s\n",
					   c->cfg->name);
		any = true;
		vc_uuid_format(x->fs_uuid, u);
		if (r == 0)
			r = vc_buf_appendf(&b, err, "UUID=%s %s %s defaults%s 0 2\n", u,
					   x->cfg->mountpoint, fs_name(x->cfg->fs),
					   x->cfg->fill ? ",x-systemd.growfs" : "");
	}
	if (r == 0 && any)
		r = vc_tree_set_file(c->tree, "/etc/fstab", b.data, b.len, 0644, c->epoch, err);
	vc_buf_fini(&b);
	return r;
}

/* The minimum size of partition x (bytes, MiB multiple). */
static uint64_t min_size(const struct xpart *x, const struct vc_config *cfg)
{
	if (x->overlay) /* two folders: rw, work */
		return vc_ext4_min_size(NULL, ext_type(cfg->overlay_fs), 2);
	if (x->cfg->fs == VC_CONFIG_FS_NONE)
		return MIB;
	return vc_ext4_min_size(x->content, ext_type(x->cfg->fs), 0);
}

/* Outer mount points before inner ones: a shorter path first, then the
 * bytes; partitions without a mount point last, in the config's order. */
static int mount_order(const struct vc_config_partition *a, const struct vc_config_partition *b)
{
	if (!a->mountpoint || !b->mountpoint)
		return !a->mountpoint - !b->mountpoint;
	size_t al = strlen(a->mountpoint), bl = strlen(b->mountpoint);
	return al != bl ? (al < bl ? -1 : 1) : strcmp(a->mountpoint, b->mountpoint);
}

int parts_prepare(struct cx *c, struct vc_error *err)
{
	const struct vc_config *cfg = c->cfg;
	char label[80];
	int r;

	for (size_t i = 0; i < cfg->n_parts; i++) {
		const struct vc_config_partition *p = &cfg->parts[i];
		struct xpart *x = &c->xparts[c->n_xparts++];

		x->cfg = p;
		snprintf(label, sizeof(label), "partition-uuid:%s", p->name);
		vc_uuid_derive(c->seed, sizeof(c->seed), label, x->uuid);
		snprintf(label, sizeof(label), "fs-uuid:%s", p->name);
		vc_uuid_derive(c->seed, sizeof(c->seed), label, x->fs_uuid);
		snprintf(label, sizeof(label), "fs-hash-seed:%s", p->name);
		vc_uuid_derive(c->seed, sizeof(c->seed), label, x->hash_seed);
	}
	/* insertion sort: a handful of partitions, and stable */
	for (size_t i = 0; i < cfg->n_parts; i++) {
		size_t k = i;
		for (; k > 0 && mount_order(&cfg->parts[c->part_order[k - 1]], &cfg->parts[i]) > 0;
		     k--)
			c->part_order[k] = c->part_order[k - 1];
		c->part_order[k] = i;
	}
	/* nested mount points (/var, /var/log): the inner one's content
	 * leaves first, so the outer partition keeps an empty mount point */
	for (size_t j = 0; j < cfg->n_parts; j++) {
		struct xpart *x = &c->xparts[c->part_order[cfg->n_parts - 1 - j]];
		const struct vc_config_partition *p = x->cfg;
		if (!p->mountpoint)
			continue;
		struct vc_node *n = vc_tree_lookup(c->tree, p->mountpoint);
		if (!n || n->type != VC_NODE_DIR)
			return vc_errorf(
			    err, VC_EINVAL,
			    "%s:%u: <partition mountpoint=\"%s\">: %s in the tree (the "
			    "mount point must be a folder of the tree, reached without "
			    "symlinks)",
			    cfg->path, p->line, p->mountpoint,
			    !n				 ? "no such folder"
			    : n->type == VC_NODE_SYMLINK ? "a symlink"
							 : "not a folder");
		r = vc_tree_detach(c->tree, n, &x->content, err);
		if (r < 0) {
			vc_error_prefix(err, "%s:%u: <partition mountpoint=\"%s\">", cfg->path,
					p->line, p->mountpoint);
			return r;
		}
	}
	if (cfg->overlayroot && cfg->overlay_write_partition) {
		struct xpart *x = &c->xparts[c->n_xparts++];
		x->overlay = true;
		vc_uuid_derive(c->seed, sizeof(c->seed), "overlay-partition-uuid", x->uuid);
		vc_uuid_derive(c->seed, sizeof(c->seed), "overlay-fs-uuid", x->fs_uuid);
		vc_uuid_derive(c->seed, sizeof(c->seed), "overlay-fs-hash-seed", x->hash_seed);
	}
	for (size_t i = 0; i < c->n_xparts; i++)
		c->xparts[i].need = min_size(&c->xparts[i], cfg);
	r = add_fstab(c, err);
	if (r < 0 || !cfg->overlayroot)
		return r;
	/* the initrd: our generator, the overlay driver, the write partition's */
	struct vc_config_dracut *d = &c->cfg->dracut;
	r = strv_add_unique(&d->add_drivers, "overlay", err);
	if (r == 0 && cfg->overlay_write_partition)
		r = strv_add_unique(&d->filesystems, fs_name(cfg->overlay_fs), err);
	if (r == 0)
		r = overlay_cpio(c, err);
	return r;
}

/* ---- the kernel command line (compose_cmdline, plan_boot.c) ---- */

const uint8_t *parts_overlay_uuid(const struct cx *c)
{
	for (size_t i = 0; i < c->n_xparts; i++)
		if (c->xparts[i].overlay)
			return c->xparts[i].uuid;
	return NULL;
}

/* ---- the layout (placed by compose_plan, plan.c) ---- */

void parts_plan_in(const struct cx *c, struct compose_plan_in *in)
{
	in->n_extra = c->n_xparts;
	for (size_t i = 0; i < c->n_xparts; i++) {
		const struct xpart *x = &c->xparts[i];
		in->extra[i] = (struct compose_plan_extra){.cfg = x->cfg,
							   .need = x->need,
							   .has_content = x->content != NULL,
							   .uuid = x->uuid};
	}
}

int parts_write(struct cx *c, struct vc_error *err)
{
	static const char *const rw_dirs[] = {"rw", "work", NULL};
	int r = 0;

	for (size_t i = 0; r == 0 && i < c->n_xparts; i++) {
		const struct xpart *x = &c->xparts[i];
		struct vc_ext4_options eo = {
		    .image = c->disk.f ? vc_file_sink_tmp_path(c->disk.f) : NULL,
		    .offset = c->plan.extra[i].off,
		    .size = c->plan.extra[i].size,
		    .epoch = c->epoch,
		    .tree = c->tree,
		};
		if (!x->overlay && x->cfg->fs == VC_CONFIG_FS_NONE)
			continue;
		if (!c->disk.f) {
			/* compose_image into a sink that is no file */
			r = vc_errorf(err, VC_EUNSUPP,
				      "ext4 partitions are written by mke2fs into a file, by its "
				      "name: not into this sink");
			break;
		}
		if (!eo.image) {
			r = vc_errorf(err, VC_EIO, "%s: cannot name the image for mke2fs",
				      c->disk.path);
			break;
		}
		memcpy(eo.uuid, x->fs_uuid, 16);
		memcpy(eo.hash_seed, x->hash_seed, 16);
		if (x->overlay) {
			eo.type = ext_type(c->cfg->overlay_fs);
			eo.label = "overlay";
			eo.mkdirs = rw_dirs;
		} else {
			eo.type = ext_type(x->cfg->fs);
			eo.label = x->cfg->label;
			eo.top = x->content;
		}
		if (c->o->progress)
			c->o->progress(c->o->note_ctx, x->overlay ? "overlayroot write partition"
								  : "extra partition");
		r = vc_ext4_write(&eo, err);
		if (r < 0) {
			if (x->overlay)
				vc_error_prefix(
				    err, "%s:%u: <type overlayroot=\"true\"> write partition",
				    c->cfg->path, c->cfg->type_line);
			else
				vc_error_prefix(err, "%s:%u: <partition name=\"%s\">", c->cfg->path,
						x->cfg->line, x->cfg->name);
		}
	}
	return r;
}
