/* SPDX-License-Identifier: MIT */
/* Checks a detached PKCS#7 SignedData against a certificate and content, for
 * deferred signing: a .p7s made elsewhere is checked before it goes into an
 * image. mbedtls 2.28 has no PKCS#7 parser, so this reads the structure of
 * RFC 2315 sections 7, 9.1 and 9.2 with mbedtls's ASN.1 getters. Accepts one
 * SignerInfo or more (the one naming the certificate counts), with or
 * without authenticated attributes (RFC 2315 section 9.3: then the
 * messageDigest attribute must equal the content's digest and the signature
 * covers the attributes' DER with a SET OF tag), SHA-256 only. */
#include <string.h>

#include <mbedtls/asn1.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#include "sign_priv.h"
#include "vcompose/sha256.h"

#define SEQ	       (MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE)
#define SET	       (MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SET)
#define CTX0	       (MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_CONTEXT_SPECIFIC | 0)
#define CTX1	       (MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_CONTEXT_SPECIFIC | 1)
#define OID_SHA256_RSA "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0b" /* sha256WithRSAEncryption */

static int buf_is(const mbedtls_asn1_buf *b, const char *oid, size_t len)
{
	return b->len == len && memcmp(b->p, oid, len) == 0;
}

/* Finds messageDigest in the attributes [p, end) and compares it. */
static int check_message_digest(unsigned char *p, const unsigned char *end, const uint8_t md[32])
{
	while (p < end) {
		unsigned char *a_end, *q;
		size_t n;

		if (mbedtls_asn1_get_tag(&p, end, &n, SEQ))
			return -1;
		a_end = p + n;
		q = p;
		if (mbedtls_asn1_get_tag(&q, a_end, &n, MBEDTLS_ASN1_OID))
			return -1;
		if (n == sizeof(OID_MESSAGE_DIGEST) - 1 && memcmp(q, OID_MESSAGE_DIGEST, n) == 0) {
			q += n;
			if (mbedtls_asn1_get_tag(&q, a_end, &n, SET) ||
			    mbedtls_asn1_get_tag(&q, a_end, &n, MBEDTLS_ASN1_OCTET_STRING) ||
			    n != 32)
				return -1;
			return memcmp(q, md, 32) == 0 ? 0 : -1;
		}
		p = a_end;
	}
	return -1; /* attributes without messageDigest */
}

int vc_sign_verify_detached(const char *cert_path, const void *content, size_t len,
			    const uint8_t *p7, size_t p7_len, struct vc_error *err)
{
	mbedtls_x509_crt crt;
	struct vc_buf cb = {0};
	unsigned char *p, *end, *sd_end, *si_set_end;
	size_t n;
	int v, r, found = 0;
	uint8_t md[32];

	mbedtls_x509_crt_init(&crt);
	r = vc_sign_read_file(cert_path, 1 << 20, &cb, err);
	if (r < 0)
		goto out;
	r = mbedtls_x509_crt_parse(
	    &crt, cb.data, memmem(cb.data, cb.len, "-----BEGIN ", 11) ? cb.len + 1 : cb.len);
	if (r != 0) {
		r = vc_errorf(err, VC_ECRYPTO, "%s: not a certificate", cert_path);
		goto out;
	}
	vc_sha256(content, len, md);

	p = (unsigned char *)p7;
	end = p + p7_len;
	r = VC_EINVAL;
	if (mbedtls_asn1_get_tag(&p, end, &n, SEQ))
		goto bad;
	end = p + n;
	if (mbedtls_asn1_get_tag(&p, end, &n, MBEDTLS_ASN1_OID) ||
	    n != sizeof(OID_PKCS7_SIGNED) - 1 || memcmp(p, OID_PKCS7_SIGNED, n) != 0)
		goto bad;
	p += n;
	if (mbedtls_asn1_get_tag(&p, end, &n, CTX0) || mbedtls_asn1_get_tag(&p, end, &n, SEQ))
		goto bad;
	sd_end = p + n;
	if (mbedtls_asn1_get_int(&p, sd_end, &v) || v != 1 ||
	    mbedtls_asn1_get_tag(&p, sd_end, &n, SET)) /* version, digestAlgorithms */
		goto bad;
	p += n;
	/* contentInfo: detached data, SEQUENCE { id-data } */
	{
		unsigned char *ci;
		size_t ci_len;
		if (mbedtls_asn1_get_tag(&p, sd_end, &n, SEQ))
			goto bad;
		ci = p;
		p += n;
		if (mbedtls_asn1_get_tag(&ci, p, &ci_len, MBEDTLS_ASN1_OID) ||
		    ci_len != sizeof(OID_PKCS7_DATA) - 1 ||
		    memcmp(ci, OID_PKCS7_DATA, ci_len) != 0 || ci + ci_len != p) {
			r = vc_errorf(err, VC_EINVAL,
				      "signature: not a detached signature of data");
			goto out;
		}
	}
	if (p < sd_end && *p == CTX0) { /* certificates */
		if (mbedtls_asn1_get_tag(&p, sd_end, &n, CTX0))
			goto bad;
		p += n;
	}
	if (p < sd_end && *p == CTX1) { /* crls */
		if (mbedtls_asn1_get_tag(&p, sd_end, &n, CTX1))
			goto bad;
		p += n;
	}
	if (mbedtls_asn1_get_tag(&p, sd_end, &n, SET))
		goto bad;
	si_set_end = p + n;
	while (p < si_set_end) {
		unsigned char *si_end, *attrs = NULL, *q;
		size_t ias_len, attrs_len = 0, sig_len;
		mbedtls_asn1_buf alg, params;
		uint8_t h[32];

		if (mbedtls_asn1_get_tag(&p, si_set_end, &n, SEQ))
			goto bad;
		si_end = p + n;
		q = p;
		p = si_end;
		if (mbedtls_asn1_get_int(&q, si_end, &v) || v != 1)
			goto bad;
		/* issuerAndSerialNumber: is it our certificate? */
		if (mbedtls_asn1_get_tag(&q, si_end, &ias_len, SEQ))
			goto bad;
		{
			unsigned char *s = q, *s_end = q + ias_len, *name = q;
			size_t name_len, serial_len;
			if (mbedtls_asn1_get_tag(&s, s_end, &name_len, SEQ))
				goto bad;
			s += name_len;
			name_len = (size_t)(s - name);
			if (mbedtls_asn1_get_tag(&s, s_end, &serial_len, MBEDTLS_ASN1_INTEGER))
				goto bad;
			q = s_end;
			if (name_len != crt.issuer_raw.len ||
			    memcmp(name, crt.issuer_raw.p, name_len) != 0 ||
			    serial_len != crt.serial.len ||
			    memcmp(s, crt.serial.p, serial_len) != 0)
				continue;
		}
		found = 1;
		if (mbedtls_asn1_get_alg(&q, si_end, &alg, &params) ||
		    !buf_is(&alg, OID_SHA256, sizeof(OID_SHA256) - 1)) {
			r = vc_errorf(err, VC_EUNSUPP,
				      "signature: digest algorithm is not SHA-256");
			goto out;
		}
		if (q < si_end && *q == CTX0) {
			size_t content_len;

			attrs = q; /* attrs_len: the whole attribute block, header included */
			if (mbedtls_asn1_get_tag(&q, si_end, &content_len, CTX0))
				goto bad;
			if (check_message_digest(q, q + content_len, md) < 0) {
				r = vc_errorf(err, VC_ECHECK,
					      "signature: its messageDigest is not the content's");
				goto out;
			}
			q += content_len;
			attrs_len = (size_t)(q - attrs);
		}
		if (mbedtls_asn1_get_alg(&q, si_end, &alg, &params))
			goto bad;
		if (!buf_is(&alg, OID_RSA_ENCRYPTION, sizeof(OID_RSA_ENCRYPTION) - 1) &&
		    !buf_is(&alg, OID_SHA256_RSA, sizeof(OID_SHA256_RSA) - 1) &&
		    !buf_is(&alg, OID_ECDSA_SHA256, sizeof(OID_ECDSA_SHA256) - 1)) {
			r = vc_errorf(err, VC_EUNSUPP,
				      "signature: unsupported signature algorithm");
			goto out;
		}
		if (mbedtls_asn1_get_tag(&q, si_end, &sig_len, MBEDTLS_ASN1_OCTET_STRING))
			goto bad;
		if (attrs) {
			/* the attributes as signed: SET OF instead of [0] IMPLICIT */
			struct vc_sha256 c;
			uint8_t tag = 0x31;
			vc_sha256_init(&c);
			vc_sha256_update(&c, &tag, 1);
			vc_sha256_update(&c, attrs + 1, attrs_len - 1);
			vc_sha256_final(&c, h);
		} else {
			memcpy(h, md, 32);
		}
		if (mbedtls_pk_verify(&crt.pk, MBEDTLS_MD_SHA256, h, 32, q, sig_len) != 0) {
			r = vc_errorf(err, VC_ECHECK,
				      "signature does not verify with %s for this content",
				      cert_path);
			goto out;
		}
		r = 0;
		goto out;
	}
	if (!found) {
		r = vc_errorf(err, VC_ECHECK, "signature: no signer matches %s (issuer and serial)",
			      cert_path);
		goto out;
	}
bad:
	r = vc_errorf(err, VC_EINVAL, "signature: not a PKCS#7 SignedData (DER)");
out:
	mbedtls_x509_crt_free(&crt);
	vc_buf_fini(&cb);
	return r;
}

int vc_sign_verify_roothash(const char *cert_path, const uint8_t *roothash, size_t len,
			    const uint8_t *p7, size_t p7_len, struct vc_error *err)
{
	char hex[2 * 64 + 1];

	if (len == 0 || len > 64)
		return vc_errorf(err, VC_EINVAL, "root hash of %zu bytes: 1 to 64 expected", len);
	vc_hex_encode(roothash, len, hex);
	return vc_sign_verify_detached(cert_path, hex, 2 * len, p7, p7_len, err);
}
