/* SPDX-License-Identifier: MIT */
/* KIWI image description (config.xml) reader: the parts that matter offline.
 * Spec: KIWI's RELAX NG schema (OSInside/kiwi kiwi/schema/kiwi.rnc, schema
 * 8.x; older schemaversions are read the same way) for <image>, <description>,
 * <preferences>, <profiles>, <type>, <bootloader>, <initrd>/<dracut> and
 * <oemconfig>; plus the verity/UKI/dracut proposal of KIWI issue 2801 as
 * written down in DESIGN.md ("The config").
 *
 * What it reads: the image name and version, the selected <type> (the one
 * with primary="true" in the <preferences> sections that apply, else the
 * first; profiles as KIWI resolves them: --profile names, else the profiles
 * marked import="true", with <requires profile> followed), and from that type
 * the image kind (oem or ddi), the EROFS root, verity, signature, ESP, boot
 * loader and dracut settings. The result is a validated plain-data struct;
 * nothing after vc_xmlcfg_load() reads the config again.
 *
 * What it does not do: fetch anything. The document is parsed with no
 * network, no external entities, no DTD loading and no XInclude: the parser
 * stops at a <!DOCTYPE>, which is refused, as are XInclude and KIWI's
 * <include>. Elements that only make sense when KIWI
 * installs packages (<repository>, <packages>, <users>, scripts such as
 * config.sh, ...) are warnings, once each, kept in `notes`.
 * Features vcompose cannot honour (luks, a root filesystem other than EROFS,
 * BIOS firmware, ...) are errors naming the attribute, never dropped; every
 * <type> attribute of KIWI's schema is honoured, refused or ignored as the
 * table in src/xmlcfg/type.c (and docs/xmlcfg.md) says, and all errors of a
 * description are found in one run.
 *
 * vcompose's own attributes on <type> (not in KIWI's schema):
 *   image="ddi"                  a Discoverable Disk Image (no boot loader)
 *   verity_partition="true"      verity hash tree in its own partition
 *   veritypartsize="MiB"         its size (default: the minimum that fits)
 *   verity_signature_required    "true": a signing key is required
 *   verity_signature_key="PATH"  PEM/DER private key for the root hash signature
 *   verity_signature_cert="PATH" its X.509 certificate
 *   secure_boot_key="PATH"       Secure Boot: Authenticode key for systemd-boot and the UKI
 *   secure_boot_cert="PATH"      its certificate (also what is enrolled)
 *   secure_boot_enroll="true"    PK/KEK/db.auth in loader/keys/auto/ for systemd-boot
 *   seed="TEXT"                  the image seed (1..256 bytes, see vc_xmlcfg_seed())
 *   initrd_file="PATH"           a ready initrd: dracut is not run
 *   pcr_signature_key="PATH"     RSA key (PEM): the UKI's signed TPM PCR 11 policy
 *                                (.pcrpkey + .pcrsig; see measure.h)
 *   <bootloader console="serial|console|none"> (KIWI before schema 8.4 had a
 *     console attribute with GRUB terminal names; those are read too)
 *   <bootloader><dracut> <install paths/> <uki><kernel name/></uki>
 *     <filesystems names/> <add_drivers names/> <force_drivers names/>
 *     <omit_drivers names/> <add modules/> <omit modules/> </dracut>
 * Relative host paths are relative to the config's folder and may not leave
 * it (lexically or through a symlink); absolute paths are taken as given.
 *
 * Errors name file, line, element, attribute and value:
 *   config.xml:7: <type verity_blocks="some">: expected "all" or a number of blocks
 *
 *	struct vc_xmlcfg_options o = { .profiles = NULL };
 *	struct vc_config *cfg;
 *	if (vc_xmlcfg_load("examples/minimal/config.xml", &o, &cfg, err) < 0) ...
 *	for (size_t i = 0; i < cfg->notes.n; i++) puts(cfg->notes.v[i]);
 *	vc_xmlcfg_free(cfg);
 */
#ifndef VCOMPOSE_XMLCFG_H
#define VCOMPOSE_XMLCFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vcompose/erofs.h"
#include "vcompose/error.h"

/* Limits on what a user controls. */
#define VC_XMLCFG_FILE_MAX     (4u << 20) /* bytes of config.xml */
#define VC_XMLCFG_LIST_MAX     256	  /* items in one list (drivers, modules, ...) */
#define VC_XMLCFG_VALUE_MAX    4096	  /* bytes of one attribute value */
#define VC_XMLCFG_SEED_MAX     256	  /* bytes of seed="" */
#define VC_XMLCFG_NAME_MAX     128	  /* bytes of <image name> (an output file name) */
#define VC_XMLCFG_PART_MIB_MAX (1u << 20) /* efipartsize / veritypartsize: 1 TiB */
#define VC_XMLCFG_DISK_MIB_MAX (1u << 24) /* <size>, <partition size>: 16 TiB */
#define VC_XMLCFG_PARTS_MAX    16	  /* <partition> elements */

/* An owned list of owned strings; v[n] is NULL (v itself is NULL when empty),
 * so v can be passed where a NULL-terminated list is wanted. */
struct vc_strv {
	char **v;
	size_t n;
};

enum vc_config_image {
	VC_CONFIG_IMAGE_OEM, /* bootable disk: ESP + root (+ verity, signature) */
	VC_CONFIG_IMAGE_DDI, /* Discoverable Disk Image: root + verity + signature, no ESP */
};

enum vc_config_format {
	VC_CONFIG_FORMAT_RAW,	/* NAME.raw only */
	VC_CONFIG_FORMAT_QCOW2, /* format="qcow2": NAME.qcow2 beside NAME.raw */
};

enum vc_config_bootloader {
	VC_CONFIG_BOOT_NONE,	     /* ddi, or oem without <bootloader>: the UKI is BOOTX64.EFI */
	VC_CONFIG_BOOT_SYSTEMD_BOOT, /* systemd-boot as BOOTX64.EFI, the UKI in EFI/Linux/ */
};

enum vc_config_console {
	VC_CONFIG_CONSOLE_DEFAULT, /* nothing added to the command line */
	VC_CONFIG_CONSOLE_SERIAL,  /* console=ttyS0,115200 */
	VC_CONFIG_CONSOLE_VGA,	   /* console=tty0 (console="console") */
};

enum vc_config_initrd {
	VC_CONFIG_INITRD_DRACUT, /* initrd_system="dracut" (the default for oem) */
	VC_CONFIG_INITRD_NONE,	 /* initrd_system="none": no initrd (the default for ddi) */
};

/* Which placeholders kernelcmdline holds (the composer fills them in). */
#define VC_CONFIG_CMDLINE_DATA_DEVICE 0x1u /* <data_device> */
#define VC_CONFIG_CMDLINE_HASH_DEVICE 0x2u /* <hash_device> */
#define VC_CONFIG_CMDLINE_HASH	      0x4u /* <hash> */

/* dracut settings gathered from <bootloader><dracut> and <initrd>:
 *   install        <install paths>: absolute paths in the tree
 *   filesystems    <filesystems names>
 *   add_drivers    <add_drivers names>, <initrd action="add"><dracut driver>
 *   force_drivers  <force_drivers names>
 *   omit_drivers   <omit_drivers names>, <initrd action="omit"><dracut driver>
 *   add_modules    <add modules>, <initrd action="add"><dracut module>
 *   omit_modules   <omit modules>, <initrd action="omit"><dracut module>
 *   set_modules    <initrd action="set">: the only modules (dracut --modules)
 *   uki_kernel     <uki><kernel name>: a file name in the tree's /boot or
 *                  /usr/lib/modules/KVER/; NULL = the tree's only kernel
 *   uefi           <initrd action="setup"><dracut uefi="true"/>: a UKI is wanted
 * Lists keep the order of the config, without duplicates. */
struct vc_config_dracut {
	struct vc_strv install;
	struct vc_strv filesystems;
	struct vc_strv add_drivers;
	struct vc_strv force_drivers;
	struct vc_strv omit_drivers;
	struct vc_strv add_modules;
	struct vc_strv omit_modules;
	struct vc_strv set_modules;
	/* the config line that named each add_modules / set_modules item */
	unsigned *add_modules_line, *set_modules_line;
	char *uki_kernel;
	bool uefi;
};

/* The file systems vcompose makes with e2fsprogs' mke2fs (reproducibly):
 * extra partitions and the overlayroot write partition. */
enum vc_config_fs {
	VC_CONFIG_FS_NONE, /* no file system: the partition is left zeroed */
	VC_CONFIG_FS_EXT2,
	VC_CONFIG_FS_EXT3,
	VC_CONFIG_FS_EXT4,
};

/* <partitions><partition .../></partitions> (KIWI's element), in config order:
 *   name            KIWI's map name ([A-Za-z0-9._+-], not a reserved name)
 *   size_mib        size="N|NM|NG" in MiB; 0 with fill
 *   fill            size="all": the rest of the disk (one partition at most)
 *   mountpoint      absolute, normalised, not "/"; NULL: not mounted
 *   fs              filesystem="ext2|ext3|ext4"; NONE when not given
 *   label           label="" (file system label), else NAME in upper case
 *   partition_name  partition_name="" (GPT name), else "p.lx" NAME (KIWI)
 *   line            of the <partition> start tag, for messages */
struct vc_config_partition {
	char *name;
	uint64_t size_mib;
	bool fill;
	char *mountpoint;
	enum vc_config_fs fs;
	char *label;
	char *partition_name;
	unsigned line;
	unsigned number; /* part_id: its GPT entry number, 1..128; 0: the lowest free */
};

struct vc_config {
	char *path;		 /* the config file as given */
	char *dir;		 /* its folder (as given, "." if none); relative paths start here */
	char *name;		 /* <image name>: [A-Za-z0-9._+-], not starting with '.' */
	char *displayname;	 /* <image displayname> or NULL */
	char *version;		 /* <preferences><version>, "" if none */
	char *description;	 /* <description><specification> text or NULL */
	struct vc_strv profiles; /* profiles in effect, resolution order */
	unsigned type_line;	 /* line of the selected <type> */

	enum vc_config_image image;
	enum vc_config_format format;	 /* format */
	enum vc_erofs_compress compress; /* erofscompression */
	unsigned compress_level;	 /* its level; 0 = the algorithm's default */
	uint32_t erofs_pcluster_size;	 /* erofs_pcluster_size; 0 = 4096 */
	unsigned erofs_features;	 /* erofs_features: VC_EROFS_FEATURE_* */
	unsigned erofs_target;		 /* erofs_target; 0 = VC_EROFS_KVER_DEFAULT */
	bool efi;			 /* firmware="efi"/"uefi" (always true for oem) */
	uint64_t efipart_mib;		 /* efipartsize; 0 = the minimum that fits */
	/* GPT entry numbers (the N of /dev/sdaN), 1..128; 0: the lowest free one
	 * in disk order. The disk order stays the layout's. */
	unsigned esp_number;  /* efipart_id */
	unsigned root_number; /* rootpart_id */
	char *rootfs_label;   /* rootfs_label or NULL */
	char *boot_title;     /* <oemconfig><oem-boot-title> or NULL */

	/* verity */
	bool verity;		    /* verity_blocks or verity_partition given */
	uint64_t verity_blocks;	    /* 0 = "all" (the whole filesystem), else 4 KiB blocks */
	bool embed_verity_metadata; /* KIWI's 4 KiB trailer after the hash tree */
	bool verity_partition;	    /* hash tree in its own partition */
	uint64_t veritypart_mib;    /* veritypartsize; 0 = the minimum that fits */
	bool signature_required;    /* verity_signature_required="true" */
	char *signature_key;	    /* resolved path or NULL */
	char *signature_cert;	    /* resolved path or NULL */

	/* Secure Boot (vcompose's own attributes) */
	char *sb_key;	/* secure_boot_key: Authenticode key, resolved, or NULL */
	char *sb_cert;	/* secure_boot_cert: its certificate */
	bool sb_enroll; /* secure_boot_enroll="true": enrollment files for systemd-boot */

	/* boot */
	enum vc_config_initrd initrd;
	char *initrd_file;	       /* initrd_file resolved, or NULL: run dracut */
	char *pcr_key;		       /* pcr_signature_key resolved, or NULL */
	char *kernelcmdline;	       /* as given (placeholders kept), "" if none */
	unsigned cmdline_placeholders; /* VC_CONFIG_CMDLINE_* bits */
	enum vc_config_bootloader bootloader;
	enum vc_config_console console;
	int timeout; /* seconds; -1 = not given */
	struct vc_config_dracut dracut;

	/* overlayroot="true" (KIWI): / is an overlayfs, the EROFS root (on
	 * verity) its lower layer, a write partition (or tmpfs) its upper. */
	bool overlayroot;
	bool overlay_write_partition;  /* overlayroot_write_partition (default true) */
	enum vc_config_fs overlay_fs;  /* <type filesystem>: the write partition's */
	uint64_t overlay_readonly_mib; /* overlayroot_readonly_partsize; 0: what fits */

	/* <size unit="M|G" additive="" unpartitioned="">N</size>: the disk */
	uint64_t disk_mib;	    /* 0: no <size>, the disk is what its partitions need */
	bool disk_additive;	    /* N is added to what the partitions need */
	uint64_t unpartitioned_mib; /* left free at the end of the disk */
	unsigned size_line;

	struct vc_config_partition *parts; /* <partitions> */
	size_t n_parts;

	char *seed; /* seed="" or NULL */
	unsigned seed_line;

	/* "config.xml:12: <packages>: ignored offline (...)", once per element name. */
	struct vc_strv notes;
};

/* What a message about the description is. */
enum vc_xmlcfg_level {
	VC_XMLCFG_WARNING = 1, /* something of the description is ignored; the image is built */
	VC_XMLCFG_ERROR = 2,   /* refused or invalid; vc_xmlcfg_load() fails */
};

struct vc_xmlcfg_options {
	const char *const *profiles; /* --profile names (NULL-terminated), or NULL */
	const char *arch;	     /* for <preferences arch=...> and profiles; NULL = "x86_64" */
	bool have_key;		     /* a key comes from the command line (--key/--cert):
				      * verity_signature_required needs none in the config */
	/* May be NULL. Receives each warning as it is found (they are also kept
	 * in cfg->notes) and, when the description has two or more errors, each
	 * error before vc_xmlcfg_load() returns; err then says how many. */
	void (*report)(void *ctx, enum vc_xmlcfg_level level, const char *msg);
	void *report_ctx;
};

/* Every problem of the description is found in one run: each refused or
 * invalid item is an error "FILE:LINE: <elem attr="value">: why", the parse
 * goes on, and the load fails at the end with the first error's code. With
 * one error, err holds it; with more, opts->report receives each and err
 * says "FILE: N errors" (without opts->report, err holds the first and the
 * count of the others).
 *
 * Reads and validates path. On success *ret owns the result (vc_xmlcfg_free). */
int vc_xmlcfg_load(const char *path, const struct vc_xmlcfg_options *opts, struct vc_config **ret,
		   struct vc_error *err);

/* The same from memory: name is used in messages and dir resolves relative paths. */
int vc_xmlcfg_parse(const char *buf, size_t len, const char *name, const char *dir,
		    const struct vc_xmlcfg_options *opts, struct vc_config **ret,
		    struct vc_error *err);

void vc_xmlcfg_free(struct vc_config *cfg);

/* The <type> attributes xmlcfg knows (KIWI's schema and vcompose's own), in
 * the order of its table; for docs/xmlcfg.md's table test. */
size_t vc_xmlcfg_type_attr_count(void);
const char *vc_xmlcfg_type_attr_name(size_t i);

/* The image seed, 32 bytes, from which every UUID and salt is derived:
 *   with seed="S":  SHA-256("vcompose-seed-v1\n" "seed=" S "\n")
 *   without:        SHA-256("vcompose-seed-v1\n" "name=" NAME "\n" "version=" VERSION "\n"
 *                           "source_date_epoch=" DECIMAL "\n")
 * where DECIMAL is the epoch in base 10 without sign or leading zeros ("0" for
 * zero) and VERSION is "" when the config has none. Fails only for a
 * negative epoch. */
int vc_xmlcfg_seed(const struct vc_config *cfg, int64_t source_date_epoch, uint8_t out[32],
		   struct vc_error *err);

#endif
