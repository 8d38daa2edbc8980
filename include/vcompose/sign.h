/* SPDX-License-Identifier: MIT */
/* Signing: PKCS#7 root-hash signatures, the DPS signature partition,
 * Authenticode for PE32/PE32+ files (through src/pe's parser and checksum),
 * and the one PKCS#7 verifier (signatures made here or elsewhere). All with
 * mbedtls; no OpenSSL.
 *
 * What it writes:
 *  - vc_sign_roothash(): a detached PKCS#7 SignedData (RFC 2315), DER, over the
 *    root hash as lowercase hex text without a newline: the exact string the
 *    kernel's dm-verity checks (root_hash_sig_key_desc) and systemd-veritysetup
 *    passes it. SHA-256, no authenticated attributes, signer named by issuer
 *    and serial, no certificates unless VC_SIGN_INCLUDE_CERT: the bytes of
 *    OpenSSL's PKCS7_sign(DETACHED|NOATTR|BINARY[|NOCERTS]) for RSA keys.
 *  - vc_sign_dps_blob(): the Discoverable Partitions Specification's verity
 *    signature partition content: {"rootHash","certificateFingerprint",
 *    "signature"} compact JSON, NUL-padded to a multiple of 4096 bytes, in the
 *    key order systemd-repart writes.
 *  - vc_sign_pe(): an Authenticode signature (SpcIndirectDataContent with
 *    SpcPeImageData, SHA-256) appended to a PE32/PE32+ file as a
 *    WIN_CERTIFICATE, the security directory and the checksum updated.
 *    Authenticated attributes: with a signing time (vc_sign_pe_options),
 *    exactly sbsign's: contentType, signingTime, messageDigest and OpenSSL
 *    3.0's SMIMECapabilities, so that the bytes equal `sbsign` run at that
 *    time (RSA); without one, contentType, SpcSpOpusInfo (empty) and
 *    messageDigest. Either way the output depends only on key, input and
 *    the given time.
 *
 * Keys: RSA 2048..8192 (PKCS#1 v1.5) and ECDSA P-256/P-384/P-521 (RFC 6979
 * deterministic), PEM or DER, plain or encrypted (passphrase given here, never
 * logged). Signatures depend only on the key and the input.
 *
 *	struct vc_sign_key *k;
 *	struct vc_sign_key_options o = { .key_path = "db.key", .cert_path = "db.crt" };
 *	if (vc_sign_key_load(&o, &k, err) < 0) return err->code;
 *	struct vc_buf p7 = {0};
 *	vc_sign_roothash(k, roothash, 32, 0, &p7, err);
 *	vc_sign_key_free(k);
 */
#ifndef VCOMPOSE_SIGN_H
#define VCOMPOSE_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vcompose/error.h"
#include "vcompose/sink.h"
#include "vcompose/util.h"

#define VC_SIGN_DPS_ALIGN 4096
/* Size to reserve for a DPS signature partition when the signature comes
 * later (deferred signing): what systemd-repart reserves; an RSA-8192
 * signature with its certificate needs about 8 KiB. */
#define VC_SIGN_DPS_RESERVE (16 * 1024)
#define VC_SIGN_FILE_MAX    (1ull << 30) /* keys, certificates, PE files we read */
#define VC_SIGN_CHAIN_MAX   8		 /* extra certificates in a PE signature */

/* A private key and its certificate (and optional chain), checked to match. */
struct vc_sign_key;

struct vc_sign_key_options {
	const char *key_path;	/* PEM or DER private key (PKCS#1, SEC1, PKCS#8) */
	const char *cert_path;	/* PEM or DER X.509 certificate; a PEM file may
				   hold a chain: the first is the signer's.
				   NULL: the certificate(s) in the key's PEM
				   file (openssl req -x509 -keyout F -out F) */
	const char *passphrase; /* for an encrypted key; NULL: none. Borrowed. */
	size_t passphrase_len;
};

int vc_sign_key_load(const struct vc_sign_key_options *o, struct vc_sign_key **ret,
		     struct vc_error *err);
void vc_sign_key_free(struct vc_sign_key *k);

/* The crypto library behind this module, e.g. "mbed TLS 2.28.3" (static text). */
const char *vc_sign_backend_version(void);

/* "RSA-2048", "ECDSA-P256", ... (static text). */
const char *vc_sign_key_describe(const struct vc_sign_key *k);
/* SHA-256 of the signer certificate's DER. */
void vc_sign_key_fingerprint(const struct vc_sign_key *k, uint8_t out[32]);
/* Validity of the signer certificate, seconds since the epoch (UTC). */
void vc_sign_key_validity(const struct vc_sign_key *k, int64_t *ret_not_before,
			  int64_t *ret_not_after);

/* The signer certificate's DER (borrowed, lives as long as k). */
void vc_sign_key_cert_der(const struct vc_sign_key *k, const uint8_t **ret, size_t *ret_len);
/* Whether the signer certificate may sign code: VC_EINVAL naming the
 * reason when its keyUsage lacks digitalSignature or its extendedKeyUsage
 * has neither codeSigning nor anyExtendedKeyUsage (absent extensions allow
 * everything, as in RFC 5280). */
int vc_sign_key_check_code_signing(const struct vc_sign_key *k, struct vc_error *err);
/* Whether the key is RSA (what UEFI firmware verifies). */
bool vc_sign_key_is_rsa(const struct vc_sign_key *k);

/* The subject of a DER certificate as text; VC_EINVAL if it is none. */
int vc_sign_cert_subject(const uint8_t *der, size_t len, char *out, size_t n);

/* The one certificate fingerprint: SHA-256 of the DER of the (first)
 * certificate in cert_path (PEM or DER); with subject, also its subject name
 * as text (RFC 4514-ish). For the DPS certificateFingerprint and verify. */
int vc_sign_cert_fingerprint(const char *cert_path, uint8_t out[32], char *subject,
			     size_t subject_len, struct vc_error *err);

enum {
	VC_SIGN_INCLUDE_CERT = 1 << 0, /* roothash: embed the signer's certificate */
	VC_SIGN_REPLACE = 1 << 1,      /* pe: replace an existing signature */
	VC_SIGN_BARE = 1 << 2,	       /* detached: the SignedData alone, without the
					  ContentInfo around it (UEFI authenticated
					  variables, efitools' i2d_PKCS7_SIGNED) */
};

/* Detached PKCS#7 over arbitrary content (see above); appends DER to out. */
int vc_sign_detached(const struct vc_sign_key *k, const void *content, size_t len, unsigned flags,
		     struct vc_buf *out, struct vc_error *err);
/* The same over the lowercase hex of roothash (1..64 bytes). */
int vc_sign_roothash(const struct vc_sign_key *k, const uint8_t *roothash, size_t len,
		     unsigned flags, struct vc_buf *out, struct vc_error *err);

/* The one PKCS#7 verifier (sign verify, sign dps/join, vcompose verify):
 * a detached PKCS#7/CMS SignedData (DER, ours or made elsewhere) over content,
 * checked with the public key of the certificate at cert_path. A SignerInfo
 * must name that certificate (issuer and serial; one named by
 * subjectKeyIdentifier is tried), its digest be SHA-256/384/512, its signed
 * attributes (if any) carry the content's messageDigest, its signature RSA
 * PKCS#1 v1.5 or ECDSA. VC_ECHECK with the reason when it does not verify,
 * VC_EINVAL when the DER is malformed or the content embedded, VC_EUNSUPP for
 * another digest or algorithm. */
int vc_pkcs7_verify(const uint8_t *p7, size_t p7_len, const void *content, size_t content_len,
		    const char *cert_path, struct vc_error *err);
/* The same over the lowercase hex of roothash (1..64 bytes). */
int vc_sign_verify_roothash(const char *cert_path, const uint8_t *roothash, size_t len,
			    const uint8_t *p7, size_t p7_len, struct vc_error *err);

/* The (first) signer of a PKCS#7 SignedData: issuer (RFC 4514-ish text) and
 * serial (hex), its digest, and when the message embeds the signer's
 * certificate its subject and fingerprint (else "" and has_cert false). */
struct vc_pkcs7_signer {
	char issuer[256];
	char serial[80];
	char digest[16]; /* "SHA256" */
	bool signed_attrs;
	bool has_cert;
	char subject[256];
	uint8_t fingerprint[32];
	/* the message around the signer */
	bool detached;		      /* id-data without content (a root hash signature) */
	unsigned signers;	      /* SignerInfos */
	unsigned certificates;	      /* certificates embedded */
	uint8_t message_digest[64];   /* the signed attributes' messageDigest: the */
	size_t message_digest_len;    /* content's digest; 0 without attributes */
	char signature_algorithm[32]; /* "RSA", "ECDSA", "RSA-SHA256", ... */
};
int vc_pkcs7_signer(const uint8_t *p7, size_t p7_len, struct vc_pkcs7_signer *ret,
		    struct vc_error *err);
/* The same verifier as vc_pkcs7_verify(), with the certificate the message
 * embeds for its signer (the DPS JSON's self-consistency, inspect of a .p7s
 * with its content): no trust, only whether the parts agree. VC_EINVAL
 * ("embeds no certificate of its signer") when there is none. */
int vc_pkcs7_verify_embedded(const uint8_t *p7, size_t p7_len, const void *content,
			     size_t content_len, struct vc_error *err);
/* A PEM PKCS#7 (-----BEGIN PKCS7----- as openssl smime writes it, or
 * -----BEGIN CMS----- of openssl cms) to DER, appended to out; VC_EINVAL when
 * len bytes at pem are neither. */
int vc_pkcs7_pem_decode(const uint8_t *pem, size_t len, struct vc_buf *out, struct vc_error *err);
/* Whether the bytes start like a PKCS#7 ContentInfo of signedData (DER) or
 * its PEM armour: a cheap probe, not a parse. */
bool vc_pkcs7_probe(const uint8_t *b, size_t len);

/* DPS verity signature partition content, appended to out, padded with NULs
 * to a multiple of 4096 bytes. fingerprint may be NULL (the key is optional
 * in the specification). */
int vc_sign_dps_blob(const uint8_t *roothash, size_t roothash_len, const uint8_t *fingerprint,
		     const uint8_t *p7, size_t p7_len, struct vc_buf *out, struct vc_error *err);

/* The one reader of that content (a blob made here or by systemd-repart),
 * for `vcompose sign join`, inspect and verify: a JSON object followed by
 * NUL bytes only, whose "rootHash" is lowercase hex (2 to 128 digits),
 * whose "signature" is base64 (decoded into p7), and whose optional
 * "certificateFingerprint" is 64 hex digits. Other members are ignored.
 * Errors name the member ("signature JSON: ..."). */
struct vc_sign_dps {
	char roothash[129]; /* the hex text, as in the blob */
	bool has_fingerprint;
	uint8_t fingerprint[32]; /* SHA-256 of the signer's certificate (DER) */
	uint8_t *p7;		 /* the PKCS#7 signature, DER (owned) */
	size_t p7_len;
};
int vc_sign_dps_parse(const uint8_t *blob, size_t len, struct vc_sign_dps *ret,
		      struct vc_error *err);
void vc_sign_dps_fini(struct vc_sign_dps *d); /* and zeroes it */

/* Authenticode image digest (SHA-256) of a PE file, as a verifier computes it
 * (an existing certificate table is excluded). */
int vc_sign_pe_digest(const uint8_t *pe, size_t len, uint8_t out[32], struct vc_error *err);

/* Authenticode of a PE file checked as UEFI firmware checks it: the image
 * digest computed over the file (without the certificate table) must equal
 * the one signed, and with cert_path the signature must verify with that
 * certificate or one embedded in the signature that chains to it (dates
 * are not checked, as firmware does not). Returns an error only when the
 * file is no PE; the verdict is in ret (why: the reason it failed). */
struct vc_sign_pe_check {
	bool is_signed;		       /* a WIN_CERTIFICATE with a SignedData */
	uint8_t digest[32];	       /* the image digest computed (SHA-256) */
	bool digest_ok;		       /* equal to the signed one */
	bool verified;		       /* digest_ok and (cert_path: the signature holds) */
	struct vc_pkcs7_signer signer; /* when is_signed */
	char why[400];		       /* when !verified: unsigned, changed, signer ... */
};
int vc_sign_pe_verify(const uint8_t *pe, size_t len, const char *cert_path,
		      struct vc_sign_pe_check *ret, struct vc_error *err);

/* Signing a PE in two steps, so that a large file is never copied: the
 * plan holds everything that differs from the input; vc_sign_pe_write()
 * then writes the input's bytes and the plan through a sink (window). */
struct vc_sign_pe_plan {
	uint64_t image_len;    /* input bytes kept (an old certificate table dropped) */
	uint64_t padded_len;   /* image_len rounded up to 8: the table's offset */
	uint64_t total_len;    /* size of the signed file */
	uint64_t checksum_off; /* OptionalHeader.CheckSum */
	uint64_t certdir_off;  /* DataDirectory[IMAGE_DIRECTORY_ENTRY_SECURITY] */
	uint8_t checksum[4];   /* new CheckSum, le32 */
	uint8_t certdir[8];    /* new security entry: offset, size (le32 each) */
	struct vc_buf cert;    /* WIN_CERTIFICATE with the DER, padded to 8 */
	uint8_t digest[32];    /* the Authenticode image digest signed */
};
/* How a PE is signed; NULL or all zero: no signing time, no replacing. */
struct vc_sign_pe_options {
	unsigned flags;		/* VC_SIGN_REPLACE */
	bool have_signing_time; /* sbsign's attributes with this signingTime */
	int64_t signing_time;	/* seconds since the epoch, >= 0 (SOURCE_DATE_EPOCH) */
};
int vc_sign_pe_plan(const struct vc_sign_key *k, const uint8_t *pe, size_t len,
		    const struct vc_sign_pe_options *o, struct vc_sign_pe_plan *ret,
		    struct vc_error *err);
void vc_sign_pe_plan_fini(struct vc_sign_pe_plan *p);
/* pe must be the buffer the plan was made from. */
int vc_sign_pe_write(const struct vc_sign_pe_plan *p, const uint8_t *pe, const struct vc_sink *s,
		     struct vc_error *err);

/* Signs a PE file: out receives the whole signed file. An already signed
 * input is refused unless VC_SIGN_REPLACE. */
int vc_sign_pe(const struct vc_sign_key *k, const uint8_t *pe, size_t len,
	       const struct vc_sign_pe_options *o, struct vc_buf *out, struct vc_error *err);

/* ---- TPM PCR banks and the signed PCR policy key (src/sign/pcr.c) ---- */

/* The digests of the TPM PCR banks systemd knows, in its (sorted) order. */
enum vc_sign_md { VC_SIGN_SHA1, VC_SIGN_SHA256, VC_SIGN_SHA384, VC_SIGN_SHA512 };
#define VC_SIGN_N_MD   4
#define VC_SIGN_MD_MAX 64 /* bytes of the longest digest */

size_t vc_sign_md_len(enum vc_sign_md md);	 /* 20, 32, 48, 64 */
const char *vc_sign_md_name(enum vc_sign_md md); /* "sha1", "sha256", ... */

/* A streaming digest; vc_sign_md_final() writes vc_sign_md_len() bytes and
 * starts over. */
struct vc_sign_md_ctx;
int vc_sign_md_new(enum vc_sign_md md, struct vc_sign_md_ctx **ret, struct vc_error *err);
void vc_sign_md_update(struct vc_sign_md_ctx *c, const void *p, size_t n);
void vc_sign_md_final(struct vc_sign_md_ctx *c, uint8_t *out);
void vc_sign_md_free(struct vc_sign_md_ctx *c);
int vc_sign_md(enum vc_sign_md md, const void *p, size_t n, uint8_t *out, struct vc_error *err);

/* An RSA-2048..4096 private key without certificate (PEM or DER: PKCS#1 or
 * PKCS#8, not encrypted), for systemd's signed PCR policies. */
struct vc_sign_rsa_key;
int vc_sign_rsa_key_load(const char *path, struct vc_sign_rsa_key **ret, struct vc_error *err);
void vc_sign_rsa_key_free(struct vc_sign_rsa_key *k);
/* Its public key as SubjectPublicKeyInfo PEM (64-column base64, final
 * newline: the bytes of `openssl pkey -pubout`), appended to out. */
int vc_sign_rsa_public_pem(const struct vc_sign_rsa_key *k, struct vc_buf *out,
			   struct vc_error *err);
/* SHA-256 of the RSAPublicKey DER (RFC 8017 A.1.1) of a PEM or DER public
 * key: the "pkfp" of systemd's .pcrsig. */
int vc_sign_rsa_public_fingerprint(const uint8_t *pem, size_t len, uint8_t out[32],
				   struct vc_error *err);
/* RSASSA-PKCS1-v1_5 over md(msg), appended to out (checked before). */
int vc_sign_rsa_sign(const struct vc_sign_rsa_key *k, enum vc_sign_md md, const void *msg,
		     size_t len, struct vc_buf *out, struct vc_error *err);
/* Checks such a signature with a PEM or DER public key: VC_ECHECK when it
 * does not verify, VC_EINVAL when the key cannot be read. */
int vc_sign_rsa_verify(const uint8_t *pem, size_t pem_len, enum vc_sign_md md, const void *msg,
		       size_t len, const uint8_t *sig, size_t sig_len, struct vc_error *err);

#endif
