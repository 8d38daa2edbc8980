/* SPDX-License-Identifier: MIT */
/* The composer: config.xml + a tree -> a bootable, verity-protected GPT disk.
 * The only code that knows the order of things (DESIGN.md, the data flow):
 *
 *   xmlcfg -> tree -> [initrd] -> plan the ESP -> erofs -> verity -> sign
 *          -> UKI (roothash= on its command line) -> FAT (ESP) -> GPT (last)
 *
 * Every writer writes straight into the disk image (a sparse file under a
 * temporary name in the output folder) at its partition's offset; the GPT is
 * written last, when every size is known. Beside NAME.raw, OUTDIR gets
 * NAME.qcow2 (format="qcow2": the finished disk read back and written by
 * src/qcow2), NAME.efi (the UKI, oem), NAME.roothash, NAME.roothash.p7s (when signed),
 * NAME.dracut.log (when dracut ran) and NAME.manifest.json (every partition's
 * type, label, UUID, offset, size and sha256; root hash, salt, seed, epoch;
 * library versions; with Secure Boot keys each signed file's Authenticode
 * digest, what the firmware measures into PCR 4). Nothing is renamed into place unless everything
 * succeeded.
 *
 * Disk layout (1 MiB aligned, in this order; types for the target arch;
 * planned without I/O by src/compose/plan.c, docs/compose.md):
 *   oem: esp | root (erofs [+ embedded tree]) | root-verity | root-verity-sig
 *   ddi:       root                           | root-verity | root-verity-sig
 * The root and root-verity partition UUIDs are the first and last 128 bits of
 * the root hash (DPS), so `roothash=` alone lets the initrd find both.
 *
 * Inputs to the bytes: the tree, the config, SOURCE_DATE_EPOCH (or, when it
 * is unset, the newest mtime of the tree), the keys, the stub/kernel/initrd
 * (taken from the tree unless given), vcompose's and liblz4's versions. */
#ifndef VCOMPOSE_COMPOSE_H
#define VCOMPOSE_COMPOSE_H

#include <stdbool.h>
#include <stdint.h>

#include "vcompose/dracut.h"
#include "vcompose/error.h"
#include "vcompose/measure.h"
#include "vcompose/pe.h"
#include "vcompose/progress.h"

struct vc_compose_options {
	const char *config_path; /* config.xml */
	const char *root_dir;	 /* the tree as a folder, or */
	const char *tar;	 /* as an archive ("-": standard input) */
	const char *outdir;	 /* must exist (the CLI makes it) */
	bool have_epoch;	 /* --source-date-epoch / SOURCE_DATE_EPOCH */
	int64_t epoch;
	unsigned jobs;	      /* worker threads; 0: one per CPU */
	const char *key_path; /* signing key and certificate; override the config */
	const char *cert_path;
	bool defer_signature; /* reserve the signature partition, leave it empty */
	/* Secure Boot: systemd-boot (both copies), the UKI and NAME.efi signed
	 * with Authenticode (sbsign's bytes at SOURCE_DATE_EPOCH); override the
	 * config's sb_key/sb_cert. */
	const char *sb_key_path;
	const char *sb_cert_path;
	bool sb_enroll; /* also loader/keys/auto/{PK,KEK,db}.auth, secure-boot-enroll force */
	const char *passphrase; /* for encrypted keys (both); NULL: none. Borrowed. */
	size_t passphrase_len;
	const char *stub_path;		     /* systemd-boot stub; NULL: from the tree */
	const char *sdboot_path;	     /* systemd-boot itself; NULL: from the tree */
	const char *initrd_path;	     /* a ready initrd; NULL: the config's, else dracut */
	enum vc_dracut_method dracut_method; /* the tree's (AUTO: bwrap, else proot), or host */
	const char *cache_dir;		     /* initrd cache (--cache, $VCOMPOSE_CACHE), or NULL */
	const char *const *profiles;	     /* NULL-terminated --profile names, or NULL */
	const char *mtree_path;		     /* overlay for the tree, or NULL */
	/* TPM PCR 11 of the UKI (oem): an RSA key signs the policy (.pcrpkey,
	 * .pcrsig); the manifest lists the banks' predictions either way. */
	const char *pcr_key_path;
	unsigned pcr_banks;			    /* VC_MEASURE_BANK() mask; 0: SHA-256 */
	const struct vc_measure_phases *pcr_phases; /* NULL: systemd-measure's four */
	const char *datadir;			    /* vcompose's data folder (share/vcompose): the
						     * overlayroot initrd generator; NULL: none */
	/* EROFS options over the config's erofscompression, erofs_pcluster_size,
	 * erofs_features and erofs_target, in the same syntax; NULL: the config's */
	const char *erofs_compress;
	const char *erofs_pcluster_size;
	const char *erofs_features;
	const char *erofs_target;
	const char *erofs_chunk_size; /* --chunk-size (no config attribute) */
	/* Warnings for the CLI (may be NULL): something of the description
	 * that is ignored ("config.xml:12: <packages>: ignored offline ..."). */
	void (*note)(void *ctx, const char *text);
	/* Each error of a description that has several (may be NULL; without
	 * it the error vc_compose() returns names the first and the count). */
	void (*error)(void *ctx, const char *text);
	/* The stage starting now ("EROFS root file system"), for a progress line. */
	void (*progress)(void *ctx, const char *stage);
	/* The counters of the stage that just started (EROFS: bytes and files
	 * written; verity: bytes hashed); NULL: none. The CLI resets them when a
	 * stage starts and samples them from another thread (vcompose/progress.h). */
	struct vc_progress *counters;
	void *note_ctx;
};

struct vc_compose_result {
	char disk_path[4096];
	char manifest_path[4096];
	uint8_t roothash[32];
	bool verity;
	uint64_t disk_size;
	uint64_t root_size; /* bytes of the EROFS image */
	uint64_t hash_size; /* bytes of the verity area (superblock + tree) */
};

/* The TPM PCR 11 side of a UKI (measure.h): what to predict and sign. */
struct vc_compose_pcr_options {
	const char *key_path;			/* RSA key: .pcrpkey + .pcrsig; NULL: none */
	unsigned banks;				/* VC_MEASURE_BANK() mask; 0: SHA-256 */
	const struct vc_measure_phases *phases; /* NULL: systemd-measure's four */
};

/* What was predicted (and signed) for a UKI. */
struct vc_compose_pcr {
	bool predicted;	  /* false: the stub's measurements are not modelled */
	char why[512];	  /* why not, when !predicted */
	bool signed_;	  /* .pcrpkey and .pcrsig written */
	uint8_t pkfp[32]; /* SHA-256 of the RSAPublicKey DER, when signed */
	struct vc_measure m;
	struct vc_measure_phases phases;
};

/* Assembles a UKI (pe.h) and predicts its PCR 11 from the sections as they
 * will lie in memory; with a key, adds .pcrpkey (measured) and .pcrsig (not
 * measured: systemd-measure sign's JSON), all before the layout. A stub
 * whose measurements are not modelled (or not systemd-stub) is an error only
 * when signing; otherwise ret_pcr says why there is no prediction. */
int vc_compose_uki(const struct vc_uki_options *o, const struct vc_compose_pcr_options *p,
		   const struct vc_sink *out, struct vc_uki_summary *ret_sum,
		   struct vc_compose_pcr *ret_pcr, struct vc_error *err);

/* The "pcr11" JSON object of a result (see vc_measure_json), plus
 * "signed": {"pkfp","banks","phases"} when signed; null when not predicted. */
int vc_compose_pcr_json(const struct vc_compose_pcr *p, struct vc_json *j, struct vc_error *err);

int vc_compose(const struct vc_compose_options *o, struct vc_compose_result *ret,
	       struct vc_error *err);

/* Deferred signing, last step (src/compose/join.c): writes a DPS signature
 * blob into the image's signature partition, found from the GPT: the
 * root/usr partition whose UUID is the first 128 bits of the blob's rootHash,
 * its -verity partition (if any) with the last 128 bits, and the one
 * -verity-sig partition of the same architecture. That partition must be all
 * zeros (or force); nothing else in the image changes. Without a GPT the
 * image must be the signature partition itself (offset 0, the whole file).
 * With a GPT, a given region must equal the partition found. */
#define VC_JOIN_ALIGN 4096
struct vc_join_options {
	const char *image;
	const uint8_t *dps; /* the blob, JSON (its NUL padding may follow) */
	size_t dps_len;
	bool have_region; /* --offset/--size given */
	uint64_t offset, size;
	bool force; /* overwrite a region that is not all zeros */
};
struct vc_join_result {
	uint64_t offset, size;
	unsigned partition; /* 1-based GPT entry; 0 without a GPT */
};
int vc_compose_join(const struct vc_join_options *o, struct vc_join_result *ret,
		    struct vc_error *err);

#endif
