/* SPDX-License-Identifier: MIT */
/* The <type> element: one table row per attribute. Spec: OSInside/kiwi
 * kiwi/schema/kiwi.rnc (KIWI 10.x, k.type.attlist: every attribute is in the
 * table below) and DESIGN.md "The config" (vcompose's own attributes).
 *
 * Each attribute is in exactly one class (docs/xmlcfg.md keeps the same
 * table for users, and tests/test_xmlcfg.c checks one against the other):
 *   honoured  its parser reads the value into struct vc_config;
 *   refused   an error naming the reason and what to do instead, unless the
 *             value is one of `same` (what vcompose does anyway, e.g.
 *             luks="false");
 *   ignored   a warning saying why it cannot change the booted system,
 *             unless the value is one of `same`.
 * Every attribute is read, every problem recorded (xc_fail() does not stop
 * the parse); the rules between attributes run after the table.
 *
 * Adding an attribute is one row, plus its parser for a honoured one:
 *	HONOUR("veritypartsize", p_veritypartsize),
 *	REFUSE("mdraid", NULL, "software RAID is not written; ..."),
 *	IGNORE("volid", NULL, "an ISO volume id: vcompose writes no ISO"),
 * and one row in docs/xmlcfg.md's table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmlcfg_priv.h"

enum xc_class {
	XC_HONOURED,
	XC_REFUSED,
	XC_IGNORED,
};

struct xc_type_attr {
	const char *name;
	enum xc_class class;
	/* honoured: reads t's attribute a->name into c->cfg; < 0 when it
	 * recorded an error (or a fatal one) */
	int (*parse)(struct xc_ctx *c, const xmlNode *t, const struct xc_type_attr *a);
	/* refused and ignored: '|'-separated values that ask for nothing
	 * vcompose does not do anyway; accepted without a word */
	const char *same;
	/* refused: why, and what to do instead; ignored: why it cannot change
	 * the booted system */
	const char *why;
};

#define HONOUR(n, fn)                                                                              \
	{                                                                                          \
		n, XC_HONOURED, fn, NULL, NULL                                                     \
	}
#define REFUSE(n, same, why)                                                                       \
	{                                                                                          \
		n, XC_REFUSED, NULL, same, why                                                     \
	}
#define IGNORE(n, same, why)                                                                       \
	{                                                                                          \
		n, XC_IGNORED, NULL, same, why                                                     \
	}
#define OFF "false|0"

/* ---- parsers of the honoured attributes ---- */

static bool is_oem(const struct xc_ctx *c)
{
	return c->cfg->image == VC_CONFIG_IMAGE_OEM;
}

static int p_image(struct xc_ctx *c, const xmlNode *t, const struct xc_type_attr *a)
{
	const char *v = xc_attr(t, a->name);

	if (!strcmp(v, "oem"))
		c->cfg->image = VC_CONFIG_IMAGE_OEM;
	else if (!strcmp(v, "ddi"))
		c->cfg->image = VC_CONFIG_IMAGE_DDI;
	else if (!strcmp(v, "erofs"))
		return xc_fail(c, t, a->name, VC_EUNSUPP,
			       "a bare EROFS file system image: `vcompose erofs` makes exactly "
			       "that; `vcompose build` makes \"oem\" (a bootable disk) or \"ddi\" "
			       "(a Discoverable Disk Image)");
	else
		return xc_fail(c, t, a->name, VC_EUNSUPP,
			       "vcompose builds \"oem\" (a bootable disk) or \"ddi\" (a "
			       "Discoverable Disk Image)");
	return 0;
}

static int p_bool_only(struct xc_ctx *c, const xmlNode *t, const struct xc_type_attr *a)
{
	bool b;

	return xc_parse_bool(c, t, a->name, &b);
}

/* overlayroot="true" (or "1") is given */
static bool overlay_on(const xmlNode *t)
{
	const char *v = xc_attr(t, "overlayroot");

	return v && (!strcmp(v, "true") || !strcmp(v, "1"));
}

static int p_filesystem(struct xc_ctx *c, const xmlNode *t, const struct xc_type_attr *a)
{
	static const char *const kiwi_fs[] = {"btrfs",	  "ext2", "ext3", "ext4",
					      "squashfs", "xfs",  NULL};
	const char *v = xc_attr(t, a->name);

	if (overlay_on(t))
		return 0; /* the write partition's: xc_parse_overlayroot() reads it */
	if (!strcmp(v, "erofs"))
		return 0;
	if (xc_in_list(kiwi_fs, v))
		return xc_fail(
		    c, t, a->name, VC_EUNSUPP,
		    "the root is always a verity-protected EROFS here "
		    "(filesystem=\"erofs\"); writable state belongs on an overlay "
		    "(overlayroot=\"true\" with overlayroot_readonly_filesystem=\"erofs\")");
	return xc_fail(c, t, a->name, VC_EINVAL,
		       "expected btrfs, ext2, ext3, ext4, squashfs, erofs or xfs");
}

/* erofscompression (KIWI's; the strings of mkfs.erofs -z: "zstd,level=9")
 * and our erofs_pcluster_size, erofs_features, erofs_target: parsed by the
 * erofs module, as vcompose erofs parses its options; whether the target
 * reads them all is checked before the image is built. */
static int p_erofscompression(struct xc_ctx *c, const xmlNode *t, const struct xc_type_attr *a)
{
	struct vc_error e = {0};
	int level = 0;

	if (vc_erofs_parse_compress(xc_attr(t, a->name), &c->cfg->compress, &level, &e) < 0)
		return xc_fail(c, t, a->name, e.code, "%s", e.msg);
	c->cfg->compress_level = (unsigned)level;
	return 0;
}

static int p_erofs_option(struct xc_ctx *c, const xmlNode *t, const struct xc_type_attr *a)
{
	const char *v = xc_attr(t, a->name);
	struct vc_config *cfg = c->cfg;
	struct vc_error e = {0};
	int r;

	if (!strcmp(a->name, "erofs_pcluster_size"))
		r = vc_erofs_parse_pcluster(v, &cfg->erofs_pcluster_size, &e);
	else if (!strcmp(a->name, "erofs_features"))
		r = vc_erofs_parse_features(v, &cfg->erofs_features, &e);
	else
		r = vc_erofs_parse_kver(v, &cfg->erofs_target, &e);
	return r < 0 ? xc_fail(c, t, a->name, e.code, "%s", e.msg) : 0;
}

static int p_firmware(struct xc_ctx *c, const xmlNode *t, const struct xc_type_attr *a)
{
	const char *v = xc_attr(t, a->name);

	if (!strcmp(v, "efi") || !strcmp(v, "uefi")) {
		c->cfg->efi = true;
		if (!strcmp(v, "uefi"))
			return xc_note_attr(
			    c, t, a->name, "\"uefi\" is treated as \"efi\" (no shim is installed)");
		return 0;
	}
	if (!strcmp(v, "bios") || !strcmp(v, "ec2") || !strcmp(v, "ofw") || !strcmp(v, "opal") ||
	    !strcmp(v, "custom"))
		return xc_fail(c, t, a->name, VC_EUNSUPP,
			       "vcompose makes EFI disks only (firmware=\"efi\")");
	return xc_fail(c, t, a->name, VC_EINVAL,
		       "expected bios, ec2, efi, uefi, ofw, opal or custom");
}

/* efipart_id, rootpart_id: GPT entry numbers (conflicts: rules_numbers) */
static int p_part_number(struct xc_ctx *c, const xmlNode *t, const struct xc_type_attr *a)
{
	uint64_t n = 0;
	int r = xc_parse_uint(c, t, a->name, 1, 128, "GPT entry number", &n);

	if (r == 0 && !strcmp(a->name, "efipart_id"))
		c->cfg->esp_number = (unsigned)n;
	else if (r == 0)
		c->cfg->root_number = (unsigned)n;
	return r;
}

/* format="qcow2": written by src/qcow2 beside the raw disk; the others
 * (KIWI's vmdk, vhdx, gce, vagrant, ...) are refused with the way out. */
static int p_format(struct xc_ctx *c, const xmlNode *t, const struct xc_type_attr *a)
{
	static const char *const kiwi[] = {"gce", "ova",  "vagrant",   "vmdk", "vdi",
					   "vhd", "vhdx", "vhd-fixed", NULL};
	const char *v = xc_attr(t, a->name);

	if (!strcmp(v, "qcow2")) {
		c->cfg->format = VC_CONFIG_FORMAT_QCOW2;
		return 0;
	}
	if (xc_in_list(kiwi, v) || !strncmp(v, "oci:", 4) || !strncmp(v, "docker:", 7))
		return xc_fail(c, t, a->name, VC_EUNSUPP,
			       "not written: vcompose writes NAME.raw, and NAME.qcow2 with "
			       "format=\"qcow2\"; make this one with `qemu-img convert -f raw -O "
			       "FORMAT NAME.raw ...` (plus the platform's packaging for gce, ova, "
			       "vagrant)");
	return xc_fail(c, t, a->name, VC_EINVAL,
		       "expected qcow2 (or KIWI's gce, ova, vagrant, vmdk, vdi, vhd, vhdx, "
		       "vhd-fixed, which are refused)");
}

static int p_efipartsize(struct xc_ctx *c, const xmlNode *t, const struct xc_type_attr *a)
{
	return xc_parse_uint(c, t, a->name, 1, VC_XMLCFG_PART_MIB_MAX, "MiB", &c->cfg->efipart_mib);
}

static int p_rootfs_label(struct xc_ctx *c, const xmlNode *t, const struct xc_type_attr *a)
{
	const char *v = xc_attr(t, a->name);

	/* one limit for both uses: the EROFS volume name holds 16 bytes, the
	 * GPT partition name 36 UTF-16 units (never the tighter one) */
	if (!*v || strlen(v) > 16 || xc_has_control(v))
		return xc_fail(c, t, a->name, VC_EINVAL,
			       "expected 1..16 bytes of printable UTF-8 (the EROFS volume name "
			       "and the root partition's GPT name)");
	return xc_dup_attr(c, t, a->name, &c->cfg->rootfs_label);
}

static int p_verity_blocks(struct xc_ctx *c, const xmlNode *t, const struct xc_type_attr *a)
{
	const char *v = xc_attr(t, a->name);
	bool digits = *v != '\0';

	c->cfg->verity = true;
	if (!strcmp(v, "all")) {
		c->cfg->verity_blocks = 0;
		return 0;
	}
	for (const char *p = v; *p; p++)
		digits = digits && *p >= '0' && *p <= '9';
	if (!digits)
		return xc_fail(c, t, a->name, VC_EINVAL,
			       "expected \"all\" or a number of 4 KiB blocks");
	return xc_parse_uint(c, t, a->name, 1, UINT64_MAX / 4096, "blocks", &c->cfg->verity_blocks);
}

static int p_embed_verity_metadata(struct xc_ctx *c, const xmlNode *t, const struct xc_type_attr *a)
{
	return xc_parse_bool(c, t, a->name, &c->cfg->embed_verity_metadata);
}

static int p_verity_partition(struct xc_ctx *c, const xmlNode *t, const struct xc_type_attr *a)
{
	return xc_parse_bool(c, t, a->name, &c->cfg->verity_partition);
}

static int p_veritypartsize(struct xc_ctx *c, const xmlNode *t, const struct xc_type_attr *a)
{
	return xc_parse_uint(c, t, a->name, 1, VC_XMLCFG_PART_MIB_MAX, "MiB",
			     &c->cfg->veritypart_mib);
}

static int p_signature_required(struct xc_ctx *c, const xmlNode *t, const struct xc_type_attr *a)
{
	return xc_parse_bool(c, t, a->name, &c->cfg->signature_required);
}

static int p_signature_key(struct xc_ctx *c, const xmlNode *t, const struct xc_type_attr *a)
{
	return xc_resolve(c, t, a->name, &c->cfg->signature_key);
}

static int p_signature_cert(struct xc_ctx *c, const xmlNode *t, const struct xc_type_attr *a)
{
	return xc_resolve(c, t, a->name, &c->cfg->signature_cert);
}

static int p_sb_key(struct xc_ctx *c, const xmlNode *t, const struct xc_type_attr *a)
{
	return xc_resolve(c, t, a->name, &c->cfg->sb_key);
}

static int p_sb_cert(struct xc_ctx *c, const xmlNode *t, const struct xc_type_attr *a)
{
	return xc_resolve(c, t, a->name, &c->cfg->sb_cert);
}

static int p_sb_enroll(struct xc_ctx *c, const xmlNode *t, const struct xc_type_attr *a)
{
	return xc_parse_bool(c, t, a->name, &c->cfg->sb_enroll);
}

static int p_pcr_key(struct xc_ctx *c, const xmlNode *t, const struct xc_type_attr *a)
{
	return xc_resolve(c, t, a->name, &c->cfg->pcr_key);
}

static int p_initrd_system(struct xc_ctx *c, const xmlNode *t, const struct xc_type_attr *a)
{
	const char *v = xc_attr(t, a->name);

	if (!strcmp(v, "dracut"))
		c->cfg->initrd = VC_CONFIG_INITRD_DRACUT;
	else if (!strcmp(v, "none"))
		c->cfg->initrd = VC_CONFIG_INITRD_NONE;
	else if (!strcmp(v, "kiwi"))
		return xc_fail(c, t, a->name, VC_EUNSUPP,
			       "vcompose builds the initrd with dracut (initrd_system=\"dracut\")");
	else
		return xc_fail(c, t, a->name, VC_EINVAL,
			       "expected \"dracut\", \"kiwi\" or \"none\"");
	return 0;
}

static int p_initrd_file(struct xc_ctx *c, const xmlNode *t, const struct xc_type_attr *a)
{
	return xc_resolve(c, t, a->name, &c->cfg->initrd_file);
}

/* Placeholders in kernelcmdline: only <data_device>, <hash_device>, <hash>. */
static int p_kernelcmdline(struct xc_ctx *c, const xmlNode *t, const struct xc_type_attr *a)
{
	const char *v = xc_attr(t, a->name);
	struct vc_config *cfg = c->cfg;

	if (xc_has_control(v))
		return xc_fail(c, t, a->name, VC_EINVAL, "control characters are not allowed");
	for (const char *p = v; (p = strchr(p, '<')); p++) {
		const char *e = strchr(p, '>');
		if (!e)
			return xc_fail(c, t, a->name, VC_EINVAL, "'<' without '>'");
		size_t len = (size_t)(e - p + 1);
		if (len == 13 && !strncmp(p, "<data_device>", len))
			cfg->cmdline_placeholders |= VC_CONFIG_CMDLINE_DATA_DEVICE;
		else if (len == 13 && !strncmp(p, "<hash_device>", len))
			cfg->cmdline_placeholders |= VC_CONFIG_CMDLINE_HASH_DEVICE;
		else if (len == 6 && !strncmp(p, "<hash>", len))
			cfg->cmdline_placeholders |= VC_CONFIG_CMDLINE_HASH;
		else
			return xc_fail(c, t, a->name, VC_EINVAL,
				       "unknown placeholder '%.*s' (known: <data_device>, "
				       "<hash_device>, <hash>)",
				       (int)(len > 40 ? 40 : len), p);
	}
	/* A roothash= word is compared with the image's root hash when it is
	 * known (compose); vcompose adds the word when there is none. */
	return xc_dup_attr(c, t, a->name, &cfg->kernelcmdline);
}

static int p_seed(struct xc_ctx *c, const xmlNode *t, const struct xc_type_attr *a)
{
	const char *v = xc_attr(t, a->name);

	if (!*v || strlen(v) > VC_XMLCFG_SEED_MAX || xc_has_control(v))
		return xc_fail(c, t, a->name, VC_EINVAL, "expected 1..%u printable bytes",
			       VC_XMLCFG_SEED_MAX);
	c->cfg->seed_line = (unsigned)xc_line(c, t, a->name);
	return xc_dup_attr(c, t, a->name, &c->cfg->seed);
}

/* overlayroot="true": / is an overlay, the EROFS root (on verity) below,
 * the write partition (or tmpfs) above; `vcompose build` refuses it until the
 * composer writes it (issue 16). */
static int p_overlayroot(struct xc_ctx *c, const xmlNode *t, const struct xc_type_attr *a)
{
	const char *ro = xc_attr(t, "overlayroot_readonly_filesystem");
	bool on = false;
	int r = xc_parse_bool(c, t, a->name, &on);

	if (r < 0 || !on)
		return r;
	if (!is_oem(c))
		return xc_fail(c, t, a->name, VC_EINVAL,
			       "a ddi is not booted: overlayroot needs image=\"oem\"");
	if (!ro || !strcmp(ro, "squashfs"))
		return xc_fail(c, t, "overlayroot_readonly_filesystem", VC_EUNSUPP,
			       "with overlayroot=\"true\" vcompose needs "
			       "overlayroot_readonly_filesystem=\"erofs\"");
	return xc_parse_overlayroot(c, (xmlNode *)t);
}

static int p_overlayroot_readonly_filesystem(struct xc_ctx *c, const xmlNode *t,
					     const struct xc_type_attr *a)
{
	const char *v = xc_attr(t, a->name);

	if (strcmp(v, "erofs") && strcmp(v, "squashfs"))
		return xc_fail(c, t, a->name, VC_EINVAL, "expected \"squashfs\" or \"erofs\"");
	if (!overlay_on(t))
		return xc_note_attr(c, t, a->name, "ignored (overlayroot is not set)");
	return 0; /* p_overlayroot() checks it is "erofs" */
}

/* overlayroot_write_partition, overlayroot_readonly_partsize: read by
 * xc_parse_overlayroot(). */
static int p_needs_overlayroot(struct xc_ctx *c, const xmlNode *t, const struct xc_type_attr *a)
{
	if (!overlay_on(t))
		return xc_fail(c, t, a->name, VC_EINVAL, "needs overlayroot=\"true\"");
	return 0;
}

/* ---- the table ----
 * KIWI 10.x's k.type.attlist in its order, then vcompose's own attributes,
 * then names of older schema versions that KIWI converts. */

#define NO_BOOTPART "no separate boot partition is written (bootpartition=\"true\" is refused)"
#define ONLY_ISO    "a setting of KIWI's live or install ISO; vcompose writes no ISO"
#define ONLY_BTRFS  "a btrfs setting; the root is EROFS"
#define ONLY_LUKS   "a LUKS setting (luks is refused)"
#define ONLY_INTEG  "a dm-integrity setting (standalone_integrity is refused)"
#define ONLY_SPARE  "a spare-partition setting (spare_part is refused)"
#define ONLY_KIWI   "a setting of KIWI's own initrd (boot=, initrd_system=\"kiwi\": refused)"
#define NOT_OEM	    "read by KIWI for other image types only, never for a disk"

static const struct xc_type_attr type_attrs[] = {
    IGNORE("archive", OFF, "archives KIWI's kis results; " NOT_OEM),
    IGNORE("eficsmpart_id", NULL, "no CSM (legacy BIOS) partition is written"),
    HONOUR("efipart_id", p_part_number),
    HONOUR("rootpart_id", p_part_number),
    IGNORE("bootpart_id", NULL, NO_BOOTPART),
    REFUSE("boot", NULL,
	   "KIWI's own boot image (initrd) description; vcompose's initrd is the tree's dracut: "
	   "remove it"),
    IGNORE("bootfilesystem", NULL, NO_BOOTPART),
    HONOUR("firmware", p_firmware),
    IGNORE("bootkernel", NULL, ONLY_KIWI),
    REFUSE("bootpartition", OFF,
	   "an XBOOTLDR partition (the Boot Loader Specification's /boot) is not written: "
	   "systemd-boot finds the UKI in the ESP's EFI/Linux/, which boots the same; use "
	   "bootpartition=\"false\""),
    IGNORE("bootpartsize", NULL, NO_BOOTPART),
    HONOUR("efipartsize", p_efipartsize),
    IGNORE("efifatimagesize", NULL, ONLY_ISO),
    REFUSE("eficsm", OFF,
	   "no legacy BIOS (CSM) boot: vcompose makes EFI-only disks (eficsm=\"false\")"),
    REFUSE("efiparttable", "gpt", "vcompose writes a GPT only (efiparttable=\"gpt\")"),
    IGNORE("dosparttable_extended_layout", OFF, "an msdos table setting; vcompose writes a GPT"),
    IGNORE("bootprofile", NULL, ONLY_KIWI),
    IGNORE("btrfs_quota_groups", OFF, ONLY_BTRFS),
    IGNORE("btrfs_root_is_snapper_snapshot", OFF, ONLY_BTRFS),
    IGNORE("btrfs_root_is_subvolume", OFF, ONLY_BTRFS),
    IGNORE("btrfs_set_default_volume", OFF, ONLY_BTRFS),
    IGNORE("btrfs_root_is_readonly_snapshot", OFF, ONLY_BTRFS),
    IGNORE("compressed", OFF, "compresses a file-system-only image; " NOT_OEM),
    IGNORE("devicepersistency", NULL,
	   "the root is found by its verity root hash (roothash= and the partition UUIDs), "
	   "never by a device name; no fstab is written"),
    REFUSE("editbootconfig", NULL,
	   "KIWI's scripts are not run; vcompose installs systemd-boot and the UKI itself"),
    REFUSE("editbootinstall", NULL,
	   "KIWI's scripts are not run; vcompose installs systemd-boot and the UKI itself"),
    HONOUR("filesystem", p_filesystem),
    IGNORE("flags", NULL, ONLY_ISO),
    IGNORE("enclave_format", NULL, "an image=\"enclave\" setting; " NOT_OEM),
    HONOUR("format", p_format),
    REFUSE("formatoptions", NULL,
	   "qemu-img options: the qcow2 is written with fixed settings (version 3, 64 KiB "
	   "clusters, no compression); pass them to `qemu-img convert -o` instead"),
    REFUSE("fsmountoptions", NULL,
	   "the root is a read-only EROFS mounted by the initrd; no mount options are written"),
    REFUSE("fscreateoptions", NULL,
	   "options of a mkfs tool: vcompose writes the EROFS root itself (erofscompression "
	   "is read)"),
    IGNORE("squashfscompression", NULL, "no squashfs is written; the root is EROFS"),
    HONOUR("erofscompression", p_erofscompression),
    IGNORE("gcelicense", NULL, "a format=\"gce\" setting (format is refused)"),
    IGNORE("hybridpersistent", OFF, ONLY_ISO),
    IGNORE("hybridpersistent_filesystem", NULL, ONLY_ISO),
    REFUSE("gpt_hybrid_mbr", OFF, "no hybrid MBR: the protective MBR of a GPT is written"),
    REFUSE("force_mbr", OFF, "vcompose writes a GPT only"),
    HONOUR("initrd_system", p_initrd_system),
    HONOUR("image", p_image),
    IGNORE("metadata_path", NULL, NOT_OEM),
    IGNORE("installboot", NULL, ONLY_ISO),
    IGNORE("install_continue_on_timeout", NULL, ONLY_ISO),
    IGNORE("installprovidefailsafe", NULL, ONLY_ISO),
    REFUSE("installiso", OFF,
	   "install media are not made; vcompose writes the disk image itself "
	   "(installiso=\"false\")"),
    REFUSE("installstick", OFF,
	   "install media are not made; vcompose writes the disk image itself "
	   "(installstick=\"false\")"),
    REFUSE("installpxe", OFF,
	   "PXE install data are not made; vcompose writes the disk image itself "
	   "(installpxe=\"false\")"),
    IGNORE("mediacheck", OFF, ONLY_ISO),
    HONOUR("kernelcmdline", p_kernelcmdline),
    REFUSE("luks", OFF,
	   "the root is not encrypted: it is a read-only EROFS protected by dm-verity (and a "
	   "signature); keep secrets on an encrypted data partition made at first boot"),
    IGNORE("luks_version", NULL, ONLY_LUKS),
    IGNORE("luksOS", NULL, ONLY_LUKS),
    IGNORE("luks_randomize", NULL, ONLY_LUKS),
    IGNORE("luks_pbkdf", NULL, ONLY_LUKS),
    REFUSE("mdraid", NULL, "software RAID is not written; the disk holds one plain GPT"),
    HONOUR("overlayroot", p_overlayroot),
    HONOUR("overlayroot_write_partition", p_needs_overlayroot),
    HONOUR("overlayroot_readonly_filesystem", p_overlayroot_readonly_filesystem),
    HONOUR("overlayroot_readonly_partsize", p_needs_overlayroot),
    HONOUR("verity_blocks", p_verity_blocks),
    HONOUR("embed_verity_metadata", p_embed_verity_metadata),
    REFUSE("standalone_integrity", OFF,
	   "dm-integrity is not written; dm-verity protects the read-only root"),
    REFUSE("embed_integrity_metadata", OFF,
	   "dm-integrity is not written; dm-verity protects the read-only root"),
    IGNORE("integrity_legacy_hmac", OFF, ONLY_INTEG),
    IGNORE("integrity_metadata_key_description", NULL, ONLY_INTEG),
    IGNORE("integrity_keyfile", NULL, ONLY_INTEG),
    HONOUR("primary", p_bool_only),
    REFUSE("ramonly", OFF,
	   "for an overlay whose upper layer is in RAM use overlayroot_write_partition=\"false\" "
	   "(tmpfs)"),
    HONOUR("rootfs_label", p_rootfs_label),
    REFUSE("spare_part", NULL, "spare partitions are not written yet"),
    IGNORE("spare_part_mountpoint", NULL, ONLY_SPARE),
    IGNORE("spare_part_fs", NULL, ONLY_SPARE),
    IGNORE("spare_part_fs_attributes", NULL, ONLY_SPARE),
    IGNORE("spare_part_is_last", OFF, ONLY_SPARE),
    REFUSE("target_blocksize", "512",
	   "vcompose writes disks of 512-byte sectors (target_blocksize=\"512\")"),
    IGNORE("target_removable", OFF,
	   "vcompose always installs to the removable-media path EFI/BOOT/BOOT*.EFI and never "
	   "writes EFI variables"),
    IGNORE("selinux_policy", NULL,
	   "SELinux labels are the tree's security.selinux attributes, taken as they are"),
    IGNORE("vhdfixedtag", NULL, "a format=\"vhd-fixed\" setting (format is refused)"),
    IGNORE("volid", NULL, ONLY_ISO),
    IGNORE("application_id", NULL, ONLY_ISO),
    IGNORE("wwid_wait_timeout", NULL, "read by KIWI's multipath dracut module, not added here"),
    IGNORE("derived_from", NULL, "the base of the tree: tree preparation"),
    REFUSE("delta_root", OFF, "a delta root needs derived_from's layers; the tree is whole"),
    IGNORE("provide_system_files", OFF, "container metadata; " NOT_OEM),
    IGNORE("require_system_files", OFF, "container metadata; " NOT_OEM),
    IGNORE("ensure_empty_tmpdirs", NULL, "a container setting; " NOT_OEM),
    REFUSE("xen_server", OFF, "no Xen hypervisor entry: systemd-boot starts the UKI"),
    IGNORE("publisher", NULL, ONLY_ISO),
    REFUSE("disk_start_sector", "2048",
	   "the first partition starts at sector 2048 (1 MiB) here (disk_start_sector=\"2048\")"),
    REFUSE("root_clone", "0", "clones of the root partition are not written"),
    REFUSE("boot_clone", "0", "no boot partition is written, nor its clones"),
    IGNORE("bundle_format", NULL,
	   "names of KIWI's result bundle; vcompose names its outputs NAME.raw, NAME.efi, ..."),
    /* vcompose's own (DESIGN.md "The config") */
    HONOUR("verity_partition", p_verity_partition),
    HONOUR("veritypartsize", p_veritypartsize),
    HONOUR("verity_signature_required", p_signature_required),
    HONOUR("verity_signature_key", p_signature_key),
    HONOUR("verity_signature_cert", p_signature_cert),
    HONOUR("secure_boot_key", p_sb_key),
    HONOUR("secure_boot_cert", p_sb_cert),
    HONOUR("secure_boot_enroll", p_sb_enroll),
    HONOUR("seed", p_seed),
    HONOUR("initrd_file", p_initrd_file),
    HONOUR("erofs_pcluster_size", p_erofs_option),
    HONOUR("erofs_features", p_erofs_option),
    HONOUR("erofs_target", p_erofs_option),
    HONOUR("pcr_signature_key", p_pcr_key),
    /* names of older schema versions that KIWI converts (kiwi/xsl/convert*.xsl) */
    IGNORE("btrfs_root_is_snapshot", OFF, ONLY_BTRFS),
    IGNORE("vga", NULL, "a GRUB video mode of schema 6 (converted away by KIWI)"),
};

size_t vc_xmlcfg_type_attr_count(void)
{
	return sizeof(type_attrs) / sizeof(type_attrs[0]);
}

const char *vc_xmlcfg_type_attr_name(size_t i)
{
	return i < vc_xmlcfg_type_attr_count() ? type_attrs[i].name : NULL;
}

static const struct xc_type_attr *find_attr(const char *name)
{
	for (size_t i = 0; i < vc_xmlcfg_type_attr_count(); i++)
		if (!strcmp(type_attrs[i].name, name))
			return &type_attrs[i];
	return NULL;
}

/* v is one of the '|'-separated values of list. */
static bool is_same(const char *list, const char *v)
{
	size_t n = strlen(v);

	for (const char *p = list; p && *p;) {
		size_t l = strcspn(p, "|");
		if (l == n && !strncmp(p, v, n))
			return true;
		p += l + (p[l] == '|');
	}
	return false;
}

static int read_attr(struct xc_ctx *c, const xmlNode *t, const struct xc_type_attr *a)
{
	const char *v = xc_attr(t, a->name);
	char why[256];

	if (a->parse)
		return a->parse(c, t, a);
	if (is_same(a->same, v))
		return 0;
	if (a->class == XC_REFUSED)
		return xc_fail(c, t, a->name, VC_EUNSUPP, "not supported: %s", a->why);
	snprintf(why, sizeof(why), "ignored: %s", a->why);
	return xc_note_attr(c, t, a->name, why);
}

/* ---- rules between attributes ---- */

static int rules_root(struct xc_ctx *c, const xmlNode *t)
{
	struct vc_config *cfg = c->cfg;
	int r = 0;

	const char *image = xc_attr(t, "image");

	/* (a refused image="..." is reported once, without this follow-up) */
	if (!xc_attr(t, "filesystem") && image && !strcmp(image, "oem") && !overlay_on(t))
		r = xc_fail(c, t, NULL, VC_EINVAL,
			    "attribute filesystem is required (filesystem=\"erofs\")");
	if (!is_oem(c) && xc_attr(t, "efipartsize"))
		r = xc_fail(c, t, "efipartsize", VC_EINVAL, "a ddi has no EFI system partition");
	if (!is_oem(c) && xc_attr(t, "firmware") && cfg->efi) {
		cfg->efi = false;
		r = xc_note_attr(c, t, "firmware", "ignored for a ddi (no ESP)");
	}
	return r;
}

static int rules_verity(struct xc_ctx *c, const xmlNode *t)
{
	struct vc_config *cfg = c->cfg;
	int r = 0;

	if (cfg->embed_verity_metadata && !xc_attr(t, "verity_blocks"))
		r = xc_fail(c, t, "embed_verity_metadata", VC_EINVAL,
			    "needs verity_blocks (KIWI's rule)");
	if (cfg->embed_verity_metadata && cfg->verity_partition)
		r = xc_fail(c, t, "verity_partition", VC_EINVAL,
			    "verity_partition=\"true\" and embed_verity_metadata=\"true\" exclude "
			    "each other");
	if (cfg->verity_partition) {
		if (cfg->verity_blocks)
			r = xc_fail(c, t, "verity_blocks", VC_EINVAL,
				    "with verity_partition=\"true\" the whole filesystem is "
				    "protected: use \"all\"");
		cfg->verity = true;
	}
	if (xc_attr(t, "veritypartsize") && !cfg->verity_partition)
		r = xc_fail(c, t, "veritypartsize", VC_EINVAL, "needs verity_partition=\"true\"");
	return r;
}

static int rules_signature(struct xc_ctx *c, const xmlNode *t)
{
	struct vc_config *cfg = c->cfg;

	if ((cfg->signature_required || cfg->signature_key || cfg->signature_cert) && !cfg->verity)
		return xc_fail(c, t,
			       cfg->signature_required ? "verity_signature_required"
			       : cfg->signature_key    ? "verity_signature_key"
						       : "verity_signature_cert",
			       VC_EINVAL,
			       "a root hash signature needs verity (verity_blocks or "
			       "verity_partition)");
	/* a key without verity_signature_cert: its PEM file holds the
	 * certificate (KIWI issue 2801 names only the key); checked when read */
	if (cfg->signature_cert && !cfg->signature_key && !c->opts->have_key)
		return xc_fail(c, t, "verity_signature_cert", VC_EINVAL,
			       "needs verity_signature_key");
	if (cfg->signature_required && !cfg->signature_key && !c->opts->have_key &&
	    !xc_attr(t, "verity_signature_key"))
		return xc_fail(c, t, "verity_signature_required", VC_EINVAL,
			       "needs verity_signature_key (or --key)");
	return 0;
}

/* Secure Boot: a key with its certificate, signing an oem image's boot chain. */
static int rules_secure_boot(struct xc_ctx *c, const xmlNode *t)
{
	struct vc_config *cfg = c->cfg;

	if ((cfg->sb_key || cfg->sb_cert || cfg->sb_enroll) && !is_oem(c))
		return xc_fail(c, t,
			       cfg->sb_key    ? "secure_boot_key"
			       : cfg->sb_cert ? "secure_boot_cert"
					      : "secure_boot_enroll",
			       VC_EINVAL, "a ddi has no boot loader or UKI to sign");
	if (cfg->sb_key && !cfg->sb_cert)
		return xc_fail(c, t, "secure_boot_key", VC_EINVAL,
			       "needs secure_boot_cert (the certificate of the key)");
	if (cfg->sb_cert && !cfg->sb_key)
		return xc_fail(c, t, "secure_boot_cert", VC_EINVAL, "needs secure_boot_key");
	return 0;
}

static int rules_boot(struct xc_ctx *c, const xmlNode *t)
{
	struct vc_config *cfg = c->cfg;
	int r = 0;

	if (is_oem(c) && cfg->initrd == VC_CONFIG_INITRD_NONE)
		r = xc_fail(c, t, "initrd_system", VC_EINVAL,
			    "an oem image needs an initrd to open its verity root");
	if (!is_oem(c) && cfg->initrd_file)
		r = xc_fail(c, t, "initrd_file", VC_EINVAL, "a ddi has no kernel or initrd");
	if (!is_oem(c) && cfg->pcr_key)
		r = xc_fail(c, t, "pcr_signature_key", VC_EINVAL,
			    "a ddi has no UKI whose PCR policy could be signed");
	if (cfg->cmdline_placeholders && !cfg->verity)
		r = xc_fail(c, t, "kernelcmdline", VC_EINVAL,
			    "placeholders <data_device> <hash_device> <hash> need verity");
	if (!is_oem(c) && *cfg->kernelcmdline)
		r = xc_fail(c, t, "kernelcmdline", VC_EINVAL, "a ddi has no kernel command line");
	return r;
}

/* Partition numbers: one partition per number. */
static int rules_numbers(struct xc_ctx *c, xmlNode *t)
{
	struct vc_config *cfg = c->cfg;
	const char *owner[129] = {NULL};
	bool part[129] = {false};
	int r = 0;

	if (cfg->esp_number && !is_oem(c))
		r = xc_fail(c, t, "efipart_id", VC_EINVAL, "a ddi has no EFI system partition");
	else if (cfg->esp_number)
		owner[cfg->esp_number] = "efipart_id";
	if (cfg->root_number && owner[cfg->root_number])
		r = xc_fail(c, t, "rootpart_id", VC_EINVAL, "partition %u is the ESP's (%s)",
			    cfg->root_number, owner[cfg->root_number]);
	else if (cfg->root_number)
		owner[cfg->root_number] = "rootpart_id";
	for (size_t i = 0; i < cfg->n_parts; i++) {
		unsigned n = cfg->parts[i].number;
		if (n && owner[n])
			r = xc_fail(c, t, NULL, VC_EINVAL,
				    "<partition name=\"%s\" part_id=\"%u\"> (line %u): partition "
				    "%u is taken (%s%s)",
				    cfg->parts[i].name, n, cfg->parts[i].line, n,
				    part[n] ? "by partition " : "", owner[n]);
		else if (n) {
			owner[n] = cfg->parts[i].name;
			part[n] = true;
		}
	}
	return r;
}

/* The overlay's write partition takes the rest of the disk: no <partition
 * size="all"> beside it. */
static int rules_partitions(struct xc_ctx *c, xmlNode *t)
{
	struct vc_config *cfg = c->cfg;

	if (!cfg->overlayroot || !cfg->overlay_write_partition)
		return 0;
	FOR_ELEMENTS(ps, t)
	{
		if (!xc_is(ps, "partitions"))
			continue;
		FOR_ELEMENTS(k, ps)
		{
			const char *v = xc_attr(k, "size");
			if (xc_is(k, "partition") && v && !strcmp(v, "all"))
				return xc_fail(c, k, "size", VC_EINVAL,
					       "the overlayroot write partition takes the rest of "
					       "the disk; give a size");
		}
	}
	return 0;
}

/* ---- child elements ---- */

static int type_children(struct xc_ctx *c, xmlNode *t)
{
	bool seen_bootloader = false, seen_oemconfig = false, seen_size = false,
	     seen_partitions = false;

	FOR_ELEMENTS(k, t)
	{
		int r = 0;
		if (xc_is(k, "bootloader")) {
			if (seen_bootloader)
				r = xc_fail(c, k, NULL, VC_EINVAL, "given twice in one <type>");
			else if (!is_oem(c))
				r = xc_fail(c, k, NULL, VC_EINVAL,
					    "a ddi has no boot loader (image=\"ddi\")");
			else
				r = xc_parse_bootloader(c, k);
			seen_bootloader = true;
		} else if (xc_is(k, "initrd")) {
			if (!is_oem(c))
				r = xc_fail(c, k, NULL, VC_EINVAL, "a ddi has no initrd");
			else
				r = xc_parse_initrd(c, k);
		} else if (xc_is(k, "oemconfig")) {
			if (seen_oemconfig)
				r = xc_fail(c, k, NULL, VC_EINVAL, "given twice in one <type>");
			else
				r = xc_parse_oemconfig(c, k);
			seen_oemconfig = true;
		} else if (xc_is(k, "size")) {
			if (seen_size)
				r = xc_fail(c, k, NULL, VC_EINVAL, "given twice in one <type>");
			else
				r = xc_parse_size(c, k);
			seen_size = true;
		} else if (xc_is(k, "partitions")) {
			if (seen_partitions)
				r = xc_fail(c, k, NULL, VC_EINVAL, "given twice in one <type>");
			else if (!is_oem(c))
				r = xc_fail(c, k, NULL, VC_EINVAL,
					    "a ddi holds one root file system: <partitions> needs "
					    "image=\"oem\"");
			else
				r = xc_parse_partitions(c, k);
			seen_partitions = true;
		} else if (xc_is(k, "systemdisk")) {
			r = xc_fail(
			    c, k, NULL, VC_EUNSUPP,
			    "volumes (LVM, btrfs subvolumes) are not written: the root is one "
			    "EROFS; extra file systems go in <partitions>");
		} else if (xc_is(k, "containerconfig") || xc_is(k, "machine") ||
			   xc_is(k, "vagrantconfig") || xc_is(k, "installmedia") ||
			   xc_is(k, "luksformat")) {
			r = xc_note_element(
			    c, k,
			    "ignored (a setting of container, VM-format, install or "
			    "LUKS output, none of which is made)");
		} else {
			r = xc_unknown_element(c, k, t);
		}
		if (xc_fatal(r))
			return r;
	}
	rules_numbers(c, t);
	return rules_partitions(c, t);
}

int xc_parse_type(struct xc_ctx *c, xmlNode *t)
{
	struct vc_config *cfg = c->cfg;
	const struct xc_type_attr *image = find_attr("image");
	int r;

	cfg->type_line = (unsigned)xc_line(c, t, NULL);
	/* image first: the defaults and rules of the others depend on it */
	if (!xc_attr(t, "image"))
		r = xc_fail(c, t, NULL, VC_EINVAL, "attribute image is required");
	else
		r = read_attr(c, t, image);
	if (xc_fatal(r))
		return r;
	cfg->efi = is_oem(c);
	cfg->initrd = is_oem(c) ? VC_CONFIG_INITRD_DRACUT : VC_CONFIG_INITRD_NONE;

	for (const xmlAttr *x = t->properties; x; x = x->next) {
		const char *an = (const char *)x->name;
		const struct xc_type_attr *a;
		if (x->ns || !strcmp(an, "image"))
			continue;
		a = find_attr(an);
		if (!a)
			r = xc_fail(c, t, an, VC_EINVAL,
				    "unknown attribute (neither KIWI's schema nor vcompose define "
				    "it here)");
		else
			r = read_attr(c, t, a);
		if (xc_fatal(r))
			return r;
	}
	if (!cfg->kernelcmdline) {
		cfg->kernelcmdline = strdup("");
		if (!cfg->kernelcmdline)
			return xc_oom(c);
	}
	rules_root(c, t);
	rules_verity(c, t);
	rules_signature(c, t);
	rules_secure_boot(c, t);
	rules_boot(c, t);
	if (c->err->code == VC_ENOMEM)
		return VC_ENOMEM;
	return type_children(c, t);
}
