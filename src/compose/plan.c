/* SPDX-License-Identifier: MIT */
/* The disk's layout, from the config and the sizes measured so far: no I/O,
 * no allocation, the same answer for the same input (compose_priv.h,
 * compose_plan). The stages in compose.c write what it places; the GPT is
 * written from its list of partitions, last.
 *
 * Disk order, each partition 1 MiB aligned (DPS types for the target):
 *   oem: esp | root (erofs [+ embedded tree]) | root-verity | root-verity-sig
 *        | <partitions> ... | overlay write partition
 *   ddi:       root ...
 * The ESP starts at 1 MiB (after the protective MBR and the primary GPT). A
 * partition whose size="all" (or the overlay write partition) takes what the
 * disk's <size> leaves; the ones after it move. */
#include <stdio.h>
#include <string.h>

#include "compose_priv.h"
#include "vcompose/gpt.h"
#include "vcompose/util.h"
#include "vcompose/xmlcfg.h"

#define MIB (UINT64_C(1) << 20)

/* The overlay write partition without <size>: room for a system's changes
 * (the file is sparse: unused space costs nothing on disk). */
#define OVERLAY_DEFAULT_SIZE (UINT64_C(256) << 20)

static const char *fs_name(enum vc_config_fs fs)
{
	static const char *const n[] = {"none", "ext2", "ext3", "ext4"};
	return n[fs];
}

/* The DPS type for a mount point (partitions systemd would know), else
 * linux-generic. */
static const char *type_for(const char *mp)
{
	static const char *const known[][2] = {
	    {"/var", "var"}, {"/home", "home"}, {"/srv", "srv"}, {"/var/tmp", "tmp"}};

	for (size_t i = 0; mp && i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcmp(mp, known[i][0]))
			return known[i][1];
	return "linux-generic";
}

/* Appends a partition. type: a name for vc_gpt_type_lookup; number: the
 * GPT entry (efipart_id, rootpart_id, part_id); 0: the lowest free. */
static int add(struct compose_plan *p, enum compose_role role, const char *type, const char *label,
	       unsigned number, uint64_t off, uint64_t size, const uint8_t *uuid, uint64_t flags,
	       struct vc_error *err)
{
	struct compose_plan_part *x;

	if (p->n_parts == sizeof(p->parts) / sizeof(p->parts[0]))
		return vc_errorf(err, VC_ERANGE, "too many partitions");
	x = &p->parts[p->n_parts];
	memset(x, 0, sizeof(*x));
	x->role = role;
	x->gpt.size = size;
	x->gpt.exact = true;
	x->gpt.start = off;
	x->gpt.flags = flags;
	x->gpt.number = number;
	snprintf(x->gpt.label, sizeof(x->gpt.label), "%s", label);
	if (uuid) {
		memcpy(x->gpt.uuid, uuid, 16);
		x->gpt.uuid_set = true;
	}
	int r = vc_gpt_type_lookup(type, x->gpt.type, err);
	if (r == 0)
		p->n_parts++;
	return r;
}

/* overlayroot_readonly_partsize: the root partition's size, if given (need:
 * what the partition must hold). */
static int readonly_partsize(const struct vc_config *cfg, uint64_t need, uint64_t *size,
			     struct vc_error *err)
{
	uint64_t mib = cfg->overlay_readonly_mib;

	if (!mib)
		return 0;
	if (mib * MIB < need)
		return vc_errorf(err, VC_ERANGE,
				 "%s:%u: <type overlayroot_readonly_partsize=\"%llu\">: too small: "
				 "the root needs %llu MiB",
				 cfg->path, cfg->type_line, (unsigned long long)mib,
				 (unsigned long long)VC_DIV_ROUND_UP(need, MIB));
	*size = mib * MIB;
	return 0;
}

/* The root partition and, with verity, the hash tree: in its own partition
 * after the root, or after the file system inside it (with
 * embed_verity_metadata, KIWI's 4 KiB trailer in its last block). */
static int place_root(const struct compose_plan_in *in, struct compose_plan *p,
		      struct vc_error *err)
{
	const struct vc_config *cfg = in->cfg;
	uint64_t need = in->root_size;
	int r;

	p->esp_off = cfg->image == VC_CONFIG_IMAGE_OEM ? MIB : 0;
	p->esp_size = cfg->image == VC_CONFIG_IMAGE_OEM ? in->esp_size : 0;
	p->root_off = p->esp_size ? VC_ROUND_UP(p->esp_off + p->esp_size, MIB) : MIB;
	if (cfg->verity && !cfg->verity_partition)
		need += in->hash_area + (cfg->embed_verity_metadata ? COMPOSE_KIWI_TRAILER : 0);
	p->root_part_size = VC_ROUND_UP(need, MIB);
	r = readonly_partsize(cfg, need, &p->root_part_size, err);
	if (r < 0 || !cfg->verity)
		return r;
	if (!cfg->verity_partition) {
		p->hash_off = p->root_off;
		return 0;
	}
	p->hash_off = VC_ROUND_UP(p->root_off + p->root_part_size, MIB);
	p->hash_part_size = VC_ROUND_UP(in->hash_area, MIB);
	if (cfg->veritypart_mib) {
		if (cfg->veritypart_mib * MIB < in->hash_area)
			return vc_errorf(err, VC_ERANGE,
					 "%s:%u: <type veritypartsize=\"%llu\">: the hash tree "
					 "needs %llu MiB",
					 cfg->path, cfg->type_line,
					 (unsigned long long)cfg->veritypart_mib,
					 (unsigned long long)VC_DIV_ROUND_UP(in->hash_area, MIB));
		p->hash_part_size = cfg->veritypart_mib * MIB;
	}
	return 0;
}

/* <partitions> and the overlay write partition from start on, and the disk:
 * what they need, or <size> (the last MiB holds the backup GPT,
 * `unpartitioned` stays free before it). */
static int place_extra(const struct compose_plan_in *in, struct compose_plan *p, uint64_t start,
		       struct vc_error *err)
{
	const struct vc_config *cfg = in->cfg;
	size_t fill = SIZE_MAX;
	uint64_t at = VC_ROUND_UP(start, MIB);

	for (size_t i = 0; i < in->n_extra; i++) {
		const struct compose_plan_extra *x = &in->extra[i];
		struct compose_plan_place *q = &p->extra[i];
		q->off = at;
		if (!x->cfg || x->cfg->fill) {
			fill = i;
			q->size =
			    !x->cfg && !cfg->disk_mib && !cfg->disk_additive
				? (x->need > OVERLAY_DEFAULT_SIZE ? x->need : OVERLAY_DEFAULT_SIZE)
				: x->need;
		} else {
			q->size = x->cfg->size_mib * MIB;
			if (q->size < x->need && x->cfg->fs != VC_CONFIG_FS_NONE)
				return vc_errorf(
				    err, VC_ERANGE,
				    "%s:%u: <partition name=\"%s\" size=\"%lluM\">: too small: "
				    "about %llu MiB needed for the %s file system%s%s",
				    cfg->path, x->cfg->line, x->cfg->name,
				    (unsigned long long)x->cfg->size_mib,
				    (unsigned long long)(x->need / MIB), fs_name(x->cfg->fs),
				    x->has_content ? " holding the tree's " : "",
				    x->has_content ? x->cfg->mountpoint : "");
		}
		at += q->size;
	}
	uint64_t need_disk = at + MIB + cfg->unpartitioned_mib * MIB;
	uint64_t disk = need_disk;
	if (cfg->disk_additive)
		disk = need_disk + cfg->disk_mib * MIB;
	else if (cfg->disk_mib) {
		disk = cfg->disk_mib * MIB;
		if (disk < need_disk)
			return vc_errorf(err, VC_ERANGE,
					 "%s:%u: <size>: %llu MiB given, %llu MiB needed for the "
					 "partitions",
					 cfg->path, cfg->size_line,
					 (unsigned long long)cfg->disk_mib,
					 (unsigned long long)(need_disk / MIB));
	}
	if (fill != SIZE_MAX) {
		/* the fill partition takes what is left; the ones after it move */
		uint64_t extra = disk - need_disk;
		p->extra[fill].size += extra;
		for (size_t i = fill + 1; i < in->n_extra; i++)
			p->extra[i].off += extra;
	}
	p->disk_size = cfg->disk_mib || cfg->disk_additive ? disk : 0;
	return 0;
}

/* "1.0 TiB", "512 MiB", "17 bytes" (for messages; the exact number goes
 * next to it) */
static const char *size_text(uint64_t v, char buf[32])
{
	static const char *unit[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	double d = (double)v;
	int u = -1;

	while (d >= 1024 && u < 5) {
		d /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, 32, "%llu bytes", (unsigned long long)v);
	else
		snprintf(buf, 32, "%.1f %s", d, unit[u]);
	return buf;
}

int compose_check_fit(const struct vc_config *cfg, uint64_t min_root, const char *what,
		      uint64_t what_size, const char *outdir, uint64_t free_bytes,
		      struct vc_error *err)
{
	char a[32], b[32], lim[256] = "";

	if (cfg->verity) {
		struct vc_verity_params vp;
		struct vc_verity_plan pl;
		struct vc_error e2 = {0};
		vc_verity_params_init(&vp);
		vp.data_blocks = VC_DIV_ROUND_UP(min_root ? min_root : 1, vp.data_block_size);
		if (vc_verity_plan(&vp, &pl, &e2) == VC_ERANGE)
			snprintf(lim, sizeof(lim),
				 "more than a verity hash tree covers (its tree is held in "
				 "memory, at most %s)",
				 size_text(VC_VERITY_MAX_TREE, b));
	}
	if (!lim[0] && cfg->overlay_readonly_mib && min_root > cfg->overlay_readonly_mib * MIB)
		snprintf(lim, sizeof(lim),
			 "more than %s:%u: overlayroot_readonly_partsize=\"%llu\" MiB", cfg->path,
			 cfg->type_line, (unsigned long long)cfg->overlay_readonly_mib);
	if (!lim[0] && cfg->disk_mib && !cfg->disk_additive && min_root > cfg->disk_mib * MIB)
		snprintf(lim, sizeof(lim), "more than the disk's %s:%u: <size> of %llu MiB",
			 cfg->path, cfg->size_line, (unsigned long long)cfg->disk_mib);
	if (!lim[0] && free_bytes != UINT64_MAX && min_root > free_bytes)
		snprintf(lim, sizeof(lim),
			 "more than the %s (%llu bytes) free on the file system of %s",
			 size_text(free_bytes, b), (unsigned long long)free_bytes, outdir);
	if (!lim[0])
		return 0;
	return vc_errorf(err, VC_ERANGE,
			 "%s: a file of %s (%llu bytes): the root file system needs at least %s "
			 "(%llu bytes), %s; nothing was written",
			 what, size_text(what_size, a), (unsigned long long)what_size,
			 size_text(min_root, b), (unsigned long long)min_root, lim);
}

int compose_plan(const struct compose_plan_in *in, struct compose_plan *p, struct vc_error *err)
{
	const struct vc_config *cfg = in->cfg;
	const uint64_t ro = VC_GPT_FLAG_READ_ONLY;
	char type[64];
	uint64_t end;
	int r;

	memset(p, 0, sizeof(*p));
	if (in->n_extra > sizeof(p->extra) / sizeof(p->extra[0]))
		return vc_errorf(err, VC_ERANGE, "too many partitions");
	r = place_root(in, p, err);
	if (r < 0)
		return r;
	end = p->root_off + p->root_part_size;
	if (cfg->verity && cfg->verity_partition)
		end = p->hash_off + p->hash_part_size;
	if (in->signed_) {
		p->sig_off = VC_ROUND_UP(end, MIB);
		p->sig_part_size = VC_ROUND_UP(in->sig_size, MIB);
		end = p->sig_off + p->sig_part_size;
	}
	r = place_extra(in, p, end, err);
	if (r < 0)
		return r;

	/* the GPT's entries, in disk order; with verity the root partition's
	 * UUID is the first half of the root hash (the DPS pairing) */
	if (cfg->image == VC_CONFIG_IMAGE_OEM)
		r = add(p, COMPOSE_ESP, "esp", "ESP", cfg->esp_number, p->esp_off, p->esp_size,
			NULL, 0, err);
	snprintf(type, sizeof(type), "root-%s", in->arch);
	if (r == 0)
		r = add(p, COMPOSE_ROOT, type, cfg->rootfs_label ? cfg->rootfs_label : "root",
			cfg->root_number, p->root_off, p->root_part_size,
			cfg->verity ? in->root_uuid : NULL, ro, err);
	snprintf(type, sizeof(type), "root-%s-verity", in->arch);
	if (r == 0 && cfg->verity && cfg->verity_partition)
		r = add(p, COMPOSE_VERITY, type, "root-verity", 0, p->hash_off, p->hash_part_size,
			in->hash_uuid, ro, err);
	snprintf(type, sizeof(type), "root-%s-verity-sig", in->arch);
	if (r == 0 && in->signed_)
		r = add(p, COMPOSE_SIG, type, "root-verity-sig", 0, p->sig_off, p->sig_part_size,
			NULL, ro, err);
	for (size_t i = 0; r == 0 && i < in->n_extra; i++) {
		const struct compose_plan_extra *x = &in->extra[i];
		/* DPS growfs: the file system may grow to the partition */
		bool fill = !x->cfg || x->cfg->fill;
		r = add(p, COMPOSE_EXTRA, x->cfg ? type_for(x->cfg->mountpoint) : "linux-generic",
			x->cfg ? x->cfg->partition_name : "overlay", x->cfg ? x->cfg->number : 0,
			p->extra[i].off, p->extra[i].size, x->uuid, fill ? VC_GPT_FLAG_GROWFS : 0,
			err);
		if (r == 0)
			p->parts[p->n_parts - 1].extra = i;
	}
	return r;
}
