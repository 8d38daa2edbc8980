/* SPDX-License-Identifier: MIT */
/* EFI signature lists and time-based authenticated variable updates, the
 * files a machine in Secure Boot setup mode enrolls (systemd-boot's
 * loader/keys/auto/{PK,KEK,db}.auth, efi-updatevar, KeyTool).
 * Spec: UEFI 2.10 sections 8.2.2 "Using the EFI_VARIABLE_AUTHENTICATION_2
 * descriptor" (and 8.2.1 for WIN_CERTIFICATE_UEFI_GUID), 32.4.1 "Signature
 * Database" (EFI_SIGNATURE_LIST, EFI_SIGNATURE_DATA, EFI_CERT_X509_GUID),
 * 8.3 (EFI_TIME).
 *
 * What it writes:
 *  - vc_efivar_esl_x509(): one EFI_SIGNATURE_LIST of type EFI_CERT_X509_GUID
 *    holding one certificate and its owner GUID, as efitools'
 *    cert-to-efi-sig-list -g OWNER writes it.
 *  - vc_efivar_auth2(): EFI_VARIABLE_AUTHENTICATION_2 { EFI_TIME,
 *    WIN_CERTIFICATE_UEFI_GUID { PKCS#7 SignedData (DER, without the
 *    ContentInfo around it), detached, over VariableName (UTF-16LE, no
 *    terminator) || VendorGuid || Attributes (le32) || TimeStamp || Data } }
 *    followed by Data: what efitools' sign-efi-sig-list -t TIME writes.
 *  - vc_efivar_sb_auth(): PK, KEK or db from one certificate, with the
 *    attributes NV|BS|RT|TIME_BASED_AUTHENTICATED_WRITE_ACCESS (0x27).
 * The time is a number of seconds since 1970 (SOURCE_DATE_EPOCH), written
 * as UTC with Pad, Nanosecond, TimeZone and Daylight zero, as the spec asks
 * for this descriptor. Nothing random: the same key, certificate, owner and
 * time give the same bytes (RSA PKCS#1 v1.5).
 *
 * vc_efivar_auth_parse() reads such a file back (for inspect): the header
 * fields, the signature's size and each signature list's entries.
 *
 *	struct vc_buf pk = {0};
 *	uint8_t owner[16];   // RFC 4122 byte order, as printed
 *	vc_uuid_derive(seed, 32, "secure-boot-owner", owner);
 *	vc_efivar_sb_auth(key, VC_EFIVAR_PK, cert, cert_len, owner, epoch, &pk, err);
 */
#ifndef VCOMPOSE_EFIVAR_H
#define VCOMPOSE_EFIVAR_H

#include <stddef.h>
#include <stdint.h>

#include "vcompose/error.h"
#include "vcompose/sign.h"
#include "vcompose/util.h"

/* EFI_VARIABLE_* attributes (UEFI 2.10 section 8.2). */
#define VC_EFIVAR_NON_VOLATILE	     0x01u
#define VC_EFIVAR_BOOTSERVICE_ACCESS 0x02u
#define VC_EFIVAR_RUNTIME_ACCESS     0x04u
#define VC_EFIVAR_TIME_BASED_AUTH    0x20u
#define VC_EFIVAR_APPEND_WRITE	     0x40u
#define VC_EFIVAR_SB_ATTRS	     0x27u /* NV|BS|RT|TIME_BASED_AUTHENTICATED_WRITE_ACCESS */
#define VC_EFIVAR_NAME_MAX	     64	   /* ASCII characters of a variable name */
#define VC_EFIVAR_LIST_MAX	     64	   /* entries inspect lists from one file */

/* GUIDs in RFC 4122 byte order (as printed); written mixed-endian. */
extern const uint8_t vc_efivar_global_guid[16];	     /* 8be4df61-93ca-11d2-aa0d-00e098032b8c */
extern const uint8_t vc_efivar_image_db_guid[16];    /* d719b2cb-3d3a-4596-a3bc-dad00e67656f */
extern const uint8_t vc_efivar_cert_x509_guid[16];   /* a5c059a1-94e4-4aa7-87b5-ab155c2bf072 */
extern const uint8_t vc_efivar_cert_sha256_guid[16]; /* c1c41626-504c-4092-aca9-41f936934328 */
extern const uint8_t vc_efivar_pkcs7_guid[16];	     /* 4aafd29d-68df-49ee-8aa9-347d375665a7 */

/* EFI_TIME (16 bytes) of t seconds since 1970, UTC; t in [0, year 9999]. */
int vc_efivar_time(int64_t t, uint8_t out[16], struct vc_error *err);

/* Appends an EFI_SIGNATURE_LIST of one X.509 certificate (DER). */
int vc_efivar_esl_x509(const uint8_t owner[16], const uint8_t *der, size_t der_len,
		       struct vc_buf *out, struct vc_error *err);

/* Appends the authenticated update of variable name (ASCII) of vendor guid
 * with attrs, signed by k at time t, then data. */
int vc_efivar_auth2(const struct vc_sign_key *k, const char *name, const uint8_t guid[16],
		    uint32_t attrs, int64_t t, const uint8_t *data, size_t len, struct vc_buf *out,
		    struct vc_error *err);

enum vc_efivar_sb_var { VC_EFIVAR_PK, VC_EFIVAR_KEK, VC_EFIVAR_DB };
/* "PK", "KEK", "db". */
const char *vc_efivar_sb_name(enum vc_efivar_sb_var v);
/* The .auth of PK, KEK or db holding one certificate (DER) with owner,
 * signed by signer (the PK's key) at time t. */
int vc_efivar_sb_auth(const struct vc_sign_key *signer, enum vc_efivar_sb_var v,
		      const uint8_t *cert_der, size_t cert_len, const uint8_t owner[16], int64_t t,
		      struct vc_buf *out, struct vc_error *err);

/* What an .auth file holds. Pointers point into the parsed buffer. */
struct vc_efivar_auth_info {
	int year, month, day, hour, minute, second; /* EFI_TIME */
	uint32_t cert_len;			    /* WIN_CERTIFICATE dwLength */
	const uint8_t *p7;			    /* the PKCS#7 SignedData */
	size_t p7_len;
	size_t n_entries; /* signatures in the lists (the first VC_EFIVAR_LIST_MAX below) */
	struct {
		uint8_t type[16];  /* SignatureType, RFC 4122 order */
		uint8_t owner[16]; /* SignatureOwner, RFC 4122 order */
		const uint8_t *data;
		size_t len; /* SignatureData bytes (a DER certificate for X.509) */
	} e[VC_EFIVAR_LIST_MAX];
};
/* Parses an EFI_VARIABLE_AUTHENTICATION_2 file: VC_EINVAL naming the field
 * that does not fit. */
int vc_efivar_auth_parse(const uint8_t *buf, size_t len, struct vc_efivar_auth_info *ret,
			 struct vc_error *err);

#endif
