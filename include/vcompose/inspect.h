/* SPDX-License-Identifier: MIT */
/* Readers that dissect and check an image offline: inspect, verify, diff.
 * Specs: UEFI 2.10 section 5.3 (GPT: headers, entries, CRC32s, the backup);
 * Linux fs/erofs/erofs_fs.h (superblock, inodes, directories); Linux
 * device-mapper/verity.rst and cryptsetup's superblock; Microsoft fatgen103
 * (boot sector, FAT, directories, long names); the UAPI Discoverable
 * Partitions Specification (types, the verity signature partition's JSON);
 * RFC 5652 / RFC 2315 (SignedData, for the root-hash signature).
 *
 * Every byte read here comes from a file that may be hostile: every offset,
 * size and count is checked against the file and against its neighbours
 * before it is used, and every walk is bounded (entries, depth, bytes). The
 * readers never write and never trust one structure to vouch for another.
 *
 * What it reads: a GPT disk (any of its partitions' contents below), a bare
 * EROFS image, a verity hash file or partition (with superblock), a FAT file
 * system, a PE/UKI, the DPS signature JSON, a PKCS#7 signature (.p7s). What it does not: MBR-only
 *disks, compressed-file contents of EROFS (their blocks are named, not decoded), verity without a
 *superblock (nothing says where its tree starts).
 *
 *	struct vc_json j;
 *	vc_json_init(&j, 2);
 *	vc_inspect_describe("disk.raw", &j, NULL, err); // the stable JSON (docs/inspect.md)
 *
 *	struct vc_inspect_report rep = {0};
 *	struct vc_inspect_verify_options vo = { .cert_path = "db.crt" };
 *	vc_inspect_verify("disk.raw", &vo, &rep, err);  // rep.n_failed == 0: all held
 *	vc_inspect_diff("a.raw", "b.raw", 40, &rep, err);
 *	vc_inspect_report_fini(&rep);
 */
#ifndef VCOMPOSE_INSPECT_H
#define VCOMPOSE_INSPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vcompose/error.h"
#include "vcompose/util.h"

/* Limits on what a hostile image can make us do. */
#define VC_INSPECT_MAX_FILE_READ   (UINT64_C(1) << 30) /* one file/section read whole */
#define VC_INSPECT_MAX_INODES	   4000000u	       /* EROFS inodes walked */
#define VC_INSPECT_MAX_DEPTH	   256		       /* directory depth */
#define VC_INSPECT_MAX_FAT_ENTRIES 200000u	       /* FAT directory entries walked */

/* What a file is, by its magic numbers. */
enum vc_inspect_kind {
	VC_INSPECT_UNKNOWN,
	VC_INSPECT_DISK, /* GPT */
	VC_INSPECT_EROFS,
	VC_INSPECT_VERITY, /* a hash area starting with the verity superblock */
	VC_INSPECT_FAT,
	VC_INSPECT_PE,
	VC_INSPECT_SIG,	 /* DPS signature JSON */
	VC_INSPECT_EXT4, /* ext2/3/4 (e2fsprogs made it: extra and write partitions) */
	VC_INSPECT_P7S,	 /* a detached PKCS#7 SignedData, DER or PEM (NAME.roothash.p7s) */
};
const char *vc_inspect_kind_name(enum vc_inspect_kind k);

/* A list of findings: what held, what failed and where. */
struct vc_inspect_report_item {
	bool failed;
	bool not_checked; /* not made: it depends on one that failed (verify's
			   * trust order: a root hash claim is not compared with
			   * a root whose verity check failed); never failed */
	char where[96];	  /* "gpt", "root (partition 2)", "ESP /EFI/Linux/x.efi" */
	char what[416];	  /* "primary header CRC32 0x... != computed 0x..." */
};
struct vc_inspect_report {
	struct vc_inspect_report_item *items;
	size_t n, cap;
	size_t n_failed;
	size_t n_not_checked;
};
void vc_inspect_report_fini(struct vc_inspect_report *r);
/* Appends a finding (ENOMEM is the only error). */
int vc_inspect_report_add(struct vc_inspect_report *r, bool failed, const char *where,
			  const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Appends a check that was not made because one it depends on failed. */
int vc_inspect_report_not_checked(struct vc_inspect_report *r, const char *where, const char *fmt,
				  ...) __attribute__((format(printf, 3, 4)));

/* Describes path as one JSON object (schema: docs/inspect.md); bad input is
 * described as far as it can be, with "errors" listing what could not be
 * read or does not hold (a directory cycle, an inconsistent signature ...);
 * ret_errors (may be NULL) receives their number: `vcompose inspect` exits 1
 * when it is not 0. Fails only on I/O errors and an unrecognised file. */
int vc_inspect_describe(const char *path, struct vc_json *j, size_t *ret_errors,
			struct vc_error *err);

/* The text form of a JSON document (inspect without --json): one
 * "key: value" per line, nesting by indentation; appended to out, NUL-ended. */
int vc_inspect_json_to_text(const char *json, struct vc_buf *out, struct vc_error *err);

struct vc_inspect_verify_options {
	const char *cert_path;	  /* PEM or DER certificate to check PKCS#7 signatures
				   * against; NULL: signatures are parsed, not checked */
	const char *sb_cert_path; /* Secure Boot: every PE must be Authenticode-signed by
				   * it (or a certificate chained to it); NULL: signed
				   * PEs are checked for changes only */
	const uint8_t *roothash;  /* expected root hash, or NULL */
	size_t roothash_len;
	unsigned jobs; /* threads for verity hashing; 0: one per CPU */
};

/* Checks everything checkable in path (see docs/inspect.md): returns 0 when
 * the checks ran (rep->n_failed says whether they held) or an error when the
 * file cannot be read at all. */
int vc_inspect_verify(const char *path, const struct vc_inspect_verify_options *o,
		      struct vc_inspect_report *rep, struct vc_error *err);

/* Compares two images, structure by structure; appends one item (failed =
 * true) per differing structure, at most max (0: 64), in disk order.
 * rep->n_failed == 0: identical. */
int vc_inspect_diff(const char *a, const char *b, size_t max, struct vc_inspect_report *rep,
		    struct vc_error *err);

#endif
