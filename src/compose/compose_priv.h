/* SPDX-License-Identifier: MIT */
/* Private to src/compose: the state of one composition. */
#ifndef VC_COMPOSE_PRIV_H
#define VC_COMPOSE_PRIV_H

#include <pthread.h>
#include <stdarg.h>

#include "vcompose/compose.h"
#include "vcompose/dracut.h"
#include "vcompose/gpt.h"
#include "vcompose/pe.h"
#include "vcompose/sign.h"
#include "vcompose/sink.h"
#include "vcompose/util.h"
#include "vcompose/verity.h"
#include "vcompose/xmlcfg.h"

struct out_file {
	struct vc_file_sink *f;
	char *path;
	uint64_t size; /* bytes to commit */
};

enum { ART_UKI, ART_ROOTHASH, ART_P7S, ART_DRACUT_LOG, ART_QCOW2, ART_COUNT };

/* A target architecture: its DPS suffix, PE and ELF machines, the name
 * systemd-boot's files carry and the removable-media boot file name. */
struct arch {
	const char *dps;  /* "x86-64": GPT types "root-x86-64", ... */
	uint16_t pe, elf; /* IMAGE_FILE_MACHINE_*, EM_* */
	const char *efi;  /* "x64": linuxx64.efi.stub, systemd-bootx64.efi */
	const char *boot; /* "BOOTX64.EFI" */
};

/* An extra partition of <partitions>, or the overlayroot write partition. */
struct xpart {
	const struct vc_config_partition *cfg; /* NULL for the write partition */
	bool overlay;			       /* the overlayroot write partition */
	struct vc_node *content;	       /* the tree's content (detached), or NULL */
	uint8_t uuid[16], fs_uuid[16], hash_seed[16];
	uint64_t need; /* bytes its file system needs (MiB multiple) */
};

/* ---- the plan (plan.c): the disk's layout from sizes alone, no I/O ---- */

#define COMPOSE_KIWI_TRAILER 4096 /* KIWI's DM_METADATA_OFFSET: embed_verity_metadata */

/* An extra partition of <partitions>, or the overlay write partition, as
 * the layout sees it. */
struct compose_plan_extra {
	const struct vc_config_partition *cfg; /* NULL: the overlay write partition */
	uint64_t need;			       /* bytes its file system needs (MiB multiple) */
	bool has_content;		       /* it holds the tree's folder (errors say so) */
	const uint8_t *uuid;		       /* its partition UUID */
};

/* What the layout depends on. A size not measured yet is 0: the plan is
 * made again, from scratch, whenever a stage learns one (the offsets it gave
 * before stay: sizes only grow, and each depends only on those before it). */
struct compose_plan_in {
	const struct vc_config *cfg;
	const char *arch;   /* DPS architecture: "x86-64" (types "root-x86-64", ...) */
	uint64_t esp_size;  /* oem: the ESP's bytes (MiB multiple) */
	uint64_t root_size; /* the EROFS image's bytes */
	uint64_t hash_area; /* verity: superblock + hash tree bytes */
	bool signed_;	    /* a root-verity-sig partition */
	uint64_t sig_size;  /* its content's bytes (the DPS blob; MiB when deferred) */
	const uint8_t *root_uuid, *hash_uuid; /* verity: from the root hash */
	struct compose_plan_extra extra[VC_XMLCFG_PARTS_MAX + 1];
	size_t n_extra;
};

enum compose_role { COMPOSE_ESP, COMPOSE_ROOT, COMPOSE_VERITY, COMPOSE_SIG, COMPOSE_EXTRA };

struct compose_plan_part {
	enum compose_role role;
	size_t extra;		/* COMPOSE_EXTRA: its index in compose_plan_in.extra */
	struct vc_gpt_part gpt; /* type, label, number, start, exact size, flags, UUID */
};

struct compose_plan_place {
	uint64_t off, size; /* bytes from the start of the disk */
};

/* The layout, bytes from the start of the disk, every partition 1 MiB
 * aligned; parts[] in disk order, as the GPT lists them. */
struct compose_plan {
	uint64_t esp_off, esp_size;
	uint64_t root_off, root_part_size; /* root_part_size holds an embedded tree */
	uint64_t hash_off, hash_part_size; /* hash_off == root_off: embedded (the tree
					    * after the file system, at root_size) */
	uint64_t sig_off, sig_part_size;
	struct compose_plan_place extra[VC_XMLCFG_PARTS_MAX + 1];
	uint64_t disk_size; /* <size>: the disk's; 0: what the partitions need */
	struct compose_plan_part parts[VC_XMLCFG_PARTS_MAX + 5];
	size_t n_parts;
};

/* The layout of in; errors name the config's line (a size given too small
 * for what it must hold). Does no I/O and keeps no state. */
int compose_plan(const struct compose_plan_in *in, struct compose_plan *p, struct vc_error *err);

/* Before anything is written: can a root file system of at least min_root
 * bytes (vc_erofs_min_size) be built? Not past the verity tree's limit, the
 * disk's <size> or overlayroot_readonly_partsize, nor free_bytes (what the
 * output folder's file system has; UINT64_MAX: unknown). what names the
 * largest file ("rootfs.tar: /big.img") and its size, for the one-line
 * message. */
int compose_check_fit(const struct vc_config *cfg, uint64_t min_root, const char *what,
		      uint64_t what_size, const char *outdir, uint64_t free_bytes,
		      struct vc_error *err);

/* ---- the plan's boot side (plan_boot.c): command line, ESP files ---- */

struct compose_cmdline_in {
	const struct vc_config *cfg;	      /* kernelcmdline, console, verity, overlayroot */
	const uint8_t *roothash;	      /* 32 bytes */
	bool final;			      /* the image's root hash, not the planning
					       * dummy: a roothash= word must equal it */
	const uint8_t *root_uuid, *hash_uuid; /* the partitions' (from the root hash) */
	const struct vc_verity_params *vp;    /* embedded verity: its options */
	uint64_t root_size;		      /* the EROFS image: the embedded tree's offset */
	const uint8_t *overlay_uuid;	      /* overlayroot's write partition; NULL: tmpfs */
};

/* The kernel command line: the config's kernelcmdline with its
 * placeholders (<data_device>, <hash_device>, <hash>) filled, then
 * overlayroot's word, console= for the bootloader's console (unless given),
 * roothash= and, for an embedded tree, systemd.verity_root_*. *ret is
 * malloc'd (NUL-terminated). No I/O. */
int compose_cmdline(const struct compose_cmdline_in *in, char **ret, struct vc_error *err);

enum compose_esp_what {
	COMPOSE_ESP_SDBOOT,	 /* systemd-boot */
	COMPOSE_ESP_UKI,	 /* the UKI */
	COMPOSE_ESP_AUTH,	 /* a Secure Boot enrollment file (auth: PK, KEK, db) */
	COMPOSE_ESP_LOADER_CONF, /* compose_esp.loader_conf */
	COMPOSE_ESP_DIR,	 /* an empty folder */
};

struct compose_esp_in {
	const struct vc_config *cfg;   /* bootloader, name, version, timeout */
	const char *boot;	       /* the removable-media boot file: "BOOTX64.EFI" */
	const char *efi;	       /* systemd-boot's architecture: "x64" */
	const char *const *auth_names; /* enrollment: "PK", "KEK", "db" */
	unsigned n_auth;	       /* 0: no enrollment */
};

struct compose_esp {
	struct compose_esp_file {
		enum compose_esp_what what;
		unsigned auth; /* COMPOSE_ESP_AUTH: its index in auth_names */
		char path[VC_XMLCFG_NAME_MAX + 64];
	} files[8];
	size_t n_files;
	char loader_conf[64]; /* loader/loader.conf's text */
};

/* The ESP's files, in the order they are written. No I/O. */
void compose_esp_plan(const struct compose_esp_in *in, struct compose_esp *ret);

/* Items a stage adds to dracut's command (borrowed, static strings). */
enum compose_dracut_kind {
	COMPOSE_DRACUT_MODULE,	/* --add: a dracut module of the tree */
	COMPOSE_DRACUT_DRIVER,	/* --add-drivers: a kernel module */
	COMPOSE_DRACUT_INSTALL, /* --install: a file of the tree */
	COMPOSE_DRACUT_KINDS
};
#define COMPOSE_DRACUT_NEED_MAX 32
struct compose_dracut_list {
	const char *v[COMPOSE_DRACUT_NEED_MAX];
	size_t n;
};

struct cx {
	const struct vc_compose_options *o;
	struct vc_lock *lock;	      /* OUTDIR/.NAME.lock while the build writes */
	const struct arch *arch;      /* the target */
	const struct arch *tree_arch; /* what the tree's programs run on; NULL: unknown */
	const char *tree_prog;	      /* the program that told */
	struct vc_config *cfg;
	struct vc_tree *tree;
	struct vc_pool *pool;
	int64_t epoch;
	uint8_t seed[32];

	/* boot inputs (oem) */
	struct vc_uki_blob stub, kernel, initrd, osrel, sdboot;
	char stub_path[128], sdboot_path[128]; /* in the tree; name the blobs */
	char kver[256];
	char kernel_path[512]; /* in the tree; names c->kernel in messages */
	char *cmdline;
	struct vc_mem_sink uki;
	struct vc_compose_pcr pcr;		  /* its PCR 11 prediction */
	struct vc_uki_blob uki_blob, loader_blob; /* views of uki, esp.loader_conf */
	struct compose_esp esp;			  /* the ESP's files */
	struct vc_buf dracut_log;		  /* kept as NAME.dracut.log */
	struct vc_dracut_result dracut;		  /* what made the initrd (when dracut ran) */
	bool initrd_cached;			  /* it came from --cache */
	/* What the layout adds to dracut's lists (compose_dracut_need), and a
	 * folder of extra files for the initrd ("" = none; at "/" inside). */
	struct compose_dracut_list dracut_need[COMPOSE_DRACUT_KINDS];
	char dracut_include[4096];
	/* dracut on its own thread while EROFS and verity are written (the
	 * ESP's size is known from efipartsize): compose_dracut_wait() joins */
	pthread_t dracut_thread;
	bool dracut_started;
	int dracut_r;
	struct vc_error dracut_err;

	/* sizes measured by the stages, and the layout made from them
	 * (compose_plan, made again by each stage that learns a size) */
	uint64_t esp_size;  /* the ESP: efipartsize, or what its files need */
	uint64_t root_size; /* the EROFS image */
	uint64_t hash_size; /* verity superblock + hash tree */
	uint64_t sig_size;  /* the signature partition's content */
	struct compose_plan plan;
	uint64_t disk_size; /* as written (the GPT's) */
	uint8_t disk_guid[16];

	/* verity and signature */
	struct vc_verity_params vp;
	uint8_t roothash[32];
	uint8_t root_uuid[16], hash_uuid[16];
	bool signed_;
	struct vc_buf p7s, dps;

	struct {
		uint64_t offset, size;
		uint8_t uuid[16], type[16];
		char label[VC_GPT_LABEL_MAX + 1];
	} parts[VC_XMLCFG_PARTS_MAX + 8];
	size_t n_parts;

	/* Secure Boot: the Authenticode key, the signed files' digests, the
	 * enrollment files */
	struct vc_sign_key *sb_key;
	uint8_t sdboot_digest[32], uki_digest[32]; /* Authenticode SHA-256 */
	struct vc_buf sb_auth[3];		   /* PK, KEK, db */
	struct vc_uki_blob sb_auth_blob[3];	   /* views of sb_auth for the FAT writer */
	uint8_t sb_owner[16];

	/* The disk image every stage writes into: NAME.raw's file sink
	 * (vc_compose), or the caller's (compose_image: a memory sink in
	 * tests/test_compose.c). disk.f is NULL then: no file, no path. */
	const struct vc_sink *image;
	struct out_file disk, art[ART_COUNT], manifest;

	/* writable state (compose_parts.c) */
	struct xpart xparts[VC_XMLCFG_PARTS_MAX + 1];
	size_t n_xparts;
	/* the <partitions>' indexes in xparts[], outer mount points before
	 * inner ones (/var before /var/log), those without one last */
	size_t part_order[VC_XMLCFG_PARTS_MAX];
	struct vc_buf overlay_cpio;	 /* vcompose's initrd generator, a cpio */
	struct vc_uki_blob overlay_blob; /* over overlay_cpio */
};

/* The disk image alone, written by vc_compose()'s stages (inputs, boot
 * inputs, EROFS, verity, signature, extra partitions, UKI and ESP, GPT)
 * into disk instead of NAME.raw: the same bytes, disk_size of them (the
 * backup GPT is the last). None of vc_compose()'s outputs (no lock, no
 * NAME.efi, roothash, manifest; o->outdir only for dracut's log, when
 * dracut runs, and the free-space check). ext4 partitions (<partitions>, the
 * overlay write partition) are refused: mke2fs writes them into a file, by
 * its name. For tests: tests/test_compose.c writes an image to memory. */
struct compose_image {
	struct compose_plan plan; /* the layout the GPT was written from */
	uint64_t disk_size;	  /* bytes (the GPT's) */
	uint64_t root_size;	  /* the EROFS image's bytes */
	uint64_t hash_size;	  /* verity superblock + tree bytes; 0: no verity */
	struct vc_verity_params vp;
	uint8_t roothash[32];
	uint8_t seed[32];
};
int compose_image(const struct vc_compose_options *o, const struct vc_sink *disk,
		  struct compose_image *ret, struct vc_error *err);

/* Writable state (compose_parts.c, in this order). */
int parts_prepare(struct cx *c, struct vc_error *err);
void parts_plan_in(const struct cx *c, struct compose_plan_in *in);
const uint8_t *parts_overlay_uuid(const struct cx *c); /* NULL: none (tmpfs) */
int parts_write(struct cx *c, struct vc_error *err);

/* Builds the initrd with dracut into c->initrd (compose_dracut.c): checks
 * the config's modules against the tree and adds what the layout needs,
 * then runs dracut, here or (background) on a thread of its own; then
 * compose_dracut_wait() gives its result (0 when none was started). */
int compose_dracut(struct cx *c, bool background, struct vc_error *err);
int compose_dracut_wait(struct cx *c, struct vc_error *err);

/* Asks for a dracut module, kernel driver or file in the initrd, on top of
 * the config's (once each; name is borrowed for the composition). A stage
 * that needs something in the initrd (overlayroot: its module and units)
 * calls this before compose_dracut() runs, and may put files in a folder
 * named by c->dracut_include (added to the initrd at "/"). */
int compose_dracut_need(struct cx *c, enum compose_dracut_kind kind, const char *name,
			struct vc_error *err);

#endif
