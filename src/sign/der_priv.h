/* SPDX-License-Identifier: MIT */
/* A small forward DER writer (ITU-T X.690, section 10) over a vc_buf.
 *
 * Constructed values are opened with der_begin(), which remembers where their
 * content starts, and closed with der_end(), which inserts the tag and the
 * definite length in front of the content once its size is known. The header
 * bytes come from mbedtls's asn1write. Errors (only ENOMEM) are sticky: check
 * d->failed, or the return of der_finish(), once at the end. Private to sign. */
#ifndef VC_SIGN_DER_PRIV_H
#define VC_SIGN_DER_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "vcompose/error.h"
#include "vcompose/util.h"

/* Tags used here (X.690 identifier octets). */
#define DER_INTEGER	 0x02
#define DER_BIT_STRING	 0x03
#define DER_OCTET_STRING 0x04
#define DER_NULL	 0x05
#define DER_OID		 0x06
#define DER_UTC_TIME	 0x17
#define DER_GEN_TIME	 0x18
#define DER_SEQUENCE	 0x30
#define DER_SET		 0x31
#define DER_CTX(n)	 (0xa0 | (n)) /* [n] constructed, context-specific */
#define DER_CTX_PRIM(n)	 (0x80 | (n)) /* [n] primitive, context-specific */

#define DER_DEPTH_MAX 16

struct der {
	struct vc_buf *out;
	size_t open[DER_DEPTH_MAX]; /* content start of each open value */
	int depth;
	int failed; /* 0, or the first VC_E* code */
	struct vc_error *err;
};

void der_init(struct der *d, struct vc_buf *out, struct vc_error *err);
void der_begin(struct der *d);
void der_end(struct der *d, uint8_t tag);
/* A whole primitive value: tag, length, content. */
void der_prim(struct der *d, uint8_t tag, const void *content, size_t len);
/* Bytes already DER-encoded (a certificate, a Name), copied as they are. */
void der_raw(struct der *d, const void *bytes, size_t len);
/* An OBJECT IDENTIFIER from its content octets. */
void der_oid(struct der *d, const char *oid, size_t len);
#define DER_OID_LIT(d, s) der_oid((d), (s), sizeof(s) - 1)
void der_small_int(struct der *d, uint8_t v);
/* AlgorithmIdentifier: SEQUENCE { oid, NULL if with_null }. */
void der_algid(struct der *d, const char *oid, size_t len, int with_null);
/* Length of the header (tag + length octets) of the DER value at p, which
 * we wrote (definite length, one-byte tag). */
size_t der_header_len(const uint8_t *p);
/* Returns 0 or the sticky error code (the message is in err). */
int der_finish(struct der *d);

/* Opens ContentInfo { signedData, [0] SignedData { version 1,
 * digestAlgorithms { sha256 }, and leaves three values open (ContentInfo,
 * [0], SignedData) for the caller's encapContentInfo, certificates and
 * signerInfos; close them with der_signed_data_end(). RFC 2315 section 9.1. */
void der_signed_data_begin(struct der *d);
void der_signed_data_end(struct der *d);

/* Object identifiers (content octets). */
#define OID_PKCS7_DATA	   "\x2a\x86\x48\x86\xf7\x0d\x01\x07\x01" /* 1.2.840.113549.1.7.1 */
#define OID_PKCS7_SIGNED   "\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02" /* 1.2.840.113549.1.7.2 */
#define OID_SHA256	   "\x60\x86\x48\x01\x65\x03\x04\x02\x01" /* 2.16.840.1.101.3.4.2.1 */
#define OID_RSA_ENCRYPTION "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01" /* 1.2.840.113549.1.1.1 */
#define OID_ECDSA_SHA256   "\x2a\x86\x48\xce\x3d\x04\x03\x02"	  /* 1.2.840.10045.4.3.2 */
#define OID_CONTENT_TYPE   "\x2a\x86\x48\x86\xf7\x0d\x01\x09\x03" /* 1.2.840.113549.1.9.3 */
#define OID_MESSAGE_DIGEST "\x2a\x86\x48\x86\xf7\x0d\x01\x09\x04" /* 1.2.840.113549.1.9.4 */
#define OID_SIGNING_TIME   "\x2a\x86\x48\x86\xf7\x0d\x01\x09\x05" /* 1.2.840.113549.1.9.5 */
#define OID_SMIME_CAPS	   "\x2a\x86\x48\x86\xf7\x0d\x01\x09\x0f" /* 1.2.840.113549.1.9.15 */
#define OID_SPC_INDIRECT_DATA                                                                      \
	"\x2b\x06\x01\x04\x01\x82\x37\x02\x01\x04" /* 1.3.6.1.4.1.311.2.1.4                        \
						    */
#define OID_SPC_PE_IMAGE_DATA                                                                      \
	"\x2b\x06\x01\x04\x01\x82\x37\x02\x01\x0f" /* 1.3.6.1.4.1.311.2.1.15 */
#define OID_SPC_SP_OPUS_INFO                                                                       \
	"\x2b\x06\x01\x04\x01\x82\x37\x02\x01\x0c" /* 1.3.6.1.4.1.311.2.1.12                       \
						    */

#endif
