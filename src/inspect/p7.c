/* SPDX-License-Identifier: MIT */
/* PKCS#7 / CMS SignedData verification, for the root-hash signature.
 * Spec: RFC 2315 section 9 and RFC 5652 section 5 (ContentInfo, SignedData,
 * SignerInfo, signed attributes: the signature covers their DER with the SET
 * tag, and the messageDigest attribute must equal the content's digest).
 * Reads DER with mbedtls' ASN.1 parser; every length is checked by it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/asn1.h>
#include <mbedtls/md.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#include "vcompose/sha256.h"
#include "inspect_priv.h"

#define SEQ    (MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE)
#define SET    (MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SET)
#define CTX(n) (MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED | (n))

static const uint8_t oid_signed_data[] = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02};
static const uint8_t oid_message_digest[] = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x04};

struct p7 {
	const uint8_t *certs; /* [0] certificates content, or NULL */
	size_t certs_len;
	const uint8_t *issuer; /* issuer Name TLV, or NULL (subjectKeyIdentifier) */
	size_t issuer_len;
	const uint8_t *serial; /* INTEGER value bytes */
	size_t serial_len;
	mbedtls_md_type_t md;
	const uint8_t *attrs; /* signed attributes TLV ([0] tag), or NULL */
	size_t attrs_len;
	const uint8_t *sig;
	size_t sig_len;
};

static int bad(struct vc_error *err, const char *what)
{
	return vc_errorf(err, VC_EINVAL, "PKCS#7: malformed DER: %s", what);
}

static int p7_parse(const uint8_t *der, size_t len, struct p7 *ret, struct vc_error *err)
{
	unsigned char *p = (unsigned char *)der, *end = p + len, *e2;
	size_t l;
	int v;

	memset(ret, 0, sizeof(*ret));
	if (mbedtls_asn1_get_tag(&p, end, &l, SEQ))
		return bad(err, "ContentInfo");
	end = p + l;
	if (mbedtls_asn1_get_tag(&p, end, &l, MBEDTLS_ASN1_OID))
		return bad(err, "contentType");
	if (l != sizeof(oid_signed_data) || memcmp(p, oid_signed_data, l))
		return vc_errorf(err, VC_EINVAL, "PKCS#7: contentType is not signedData");
	p += l;
	if (mbedtls_asn1_get_tag(&p, end, &l, CTX(0)) || mbedtls_asn1_get_tag(&p, end, &l, SEQ))
		return bad(err, "SignedData");
	end = p + l;
	if (mbedtls_asn1_get_int(&p, end, &v))
		return bad(err, "version");
	if (mbedtls_asn1_get_tag(&p, end, &l, SET))
		return bad(err, "digestAlgorithms");
	p += l;
	if (mbedtls_asn1_get_tag(&p, end, &l, SEQ))
		return bad(err, "encapContentInfo");
	p += l;
	if (p < end && *p == CTX(0)) {
		if (mbedtls_asn1_get_tag(&p, end, &l, CTX(0)))
			return bad(err, "certificates");
		ret->certs = p;
		ret->certs_len = l;
		p += l;
	}
	if (p < end && *p == CTX(1)) {
		if (mbedtls_asn1_get_tag(&p, end, &l, CTX(1)))
			return bad(err, "crls");
		p += l;
	}
	if (mbedtls_asn1_get_tag(&p, end, &l, SET))
		return bad(err, "signerInfos");
	if (l == 0)
		return vc_errorf(err, VC_EINVAL, "PKCS#7: no signer");
	end = p + l;
	if (mbedtls_asn1_get_tag(&p, end, &l, SEQ))
		return bad(err, "SignerInfo");
	end = p + l;
	if (mbedtls_asn1_get_int(&p, end, &v))
		return bad(err, "SignerInfo version");
	if (p < end && *p == SEQ) {
		if (mbedtls_asn1_get_tag(&p, end, &l, SEQ))
			return bad(err, "issuerAndSerialNumber");
		e2 = p + l;
		ret->issuer = p;
		if (mbedtls_asn1_get_tag(&p, e2, &l, SEQ))
			return bad(err, "issuer");
		p += l;
		ret->issuer_len = (size_t)(p - ret->issuer);
		if (mbedtls_asn1_get_tag(&p, e2, &l, MBEDTLS_ASN1_INTEGER))
			return bad(err, "serialNumber");
		ret->serial = p;
		ret->serial_len = l;
		p += l;
		if (p != e2)
			return bad(err, "issuerAndSerialNumber length");
	} else {
		if (mbedtls_asn1_get_tag(&p, end, &l, MBEDTLS_ASN1_CONTEXT_SPECIFIC | 0))
			return bad(err, "subjectKeyIdentifier");
		p += l;
	}
	mbedtls_asn1_buf alg, params;
	if (mbedtls_asn1_get_alg(&p, end, &alg, &params))
		return bad(err, "digestAlgorithm");
	if (mbedtls_oid_get_md_alg(&alg, &ret->md))
		return vc_errorf(err, VC_EUNSUPP, "PKCS#7: unknown digest algorithm");
	if (p < end && *p == CTX(0)) {
		ret->attrs = p;
		if (mbedtls_asn1_get_tag(&p, end, &l, CTX(0)))
			return bad(err, "signedAttrs");
		p += l;
		ret->attrs_len = (size_t)(p - ret->attrs);
	}
	if (mbedtls_asn1_get_alg(&p, end, &alg, &params))
		return bad(err, "signatureAlgorithm");
	if (mbedtls_asn1_get_tag(&p, end, &l, MBEDTLS_ASN1_OCTET_STRING))
		return bad(err, "signature");
	ret->sig = p;
	ret->sig_len = l;
	return 0;
}

static const char *md_name(mbedtls_md_type_t md)
{
	const mbedtls_md_info_t *i = mbedtls_md_info_from_type(md);
	return i ? mbedtls_md_get_name(i) : "?";
}

static void name_text(const uint8_t *tlv, size_t len, char *out, size_t n)
{
	unsigned char *p = (unsigned char *)tlv, *end = p + len;
	mbedtls_x509_name name;
	size_t l;

	memset(&name, 0, sizeof(name));
	snprintf(out, n, "?");
	if (mbedtls_asn1_get_tag(&p, end, &l, SEQ) == 0 &&
	    mbedtls_x509_get_name(&p, p + l, &name) == 0)
		mbedtls_x509_dn_gets(out, n, &name);
	mbedtls_x509_name *c = name.next;
	while (c) {
		mbedtls_x509_name *nx = c->next;
		free(c);
		c = nx;
	}
}

int vc_pkcs7_signer(const uint8_t *der, size_t len, struct vc_pkcs7_signer *ret,
		    struct vc_error *err)
{
	struct p7 s;
	int r = p7_parse(der, len, &s, err);

	if (r < 0)
		return r;
	memset(ret, 0, sizeof(*ret));
	if (s.issuer)
		name_text(s.issuer, s.issuer_len, ret->issuer, sizeof(ret->issuer));
	for (size_t i = 0; i < s.serial_len && 2 * i + 2 < sizeof(ret->serial); i++)
		snprintf(ret->serial + 2 * i, 3, "%02x", s.serial[i]);
	snprintf(ret->digest, sizeof(ret->digest), "%s", md_name(s.md));
	ret->signed_attrs = s.attrs != NULL;
	if (s.certs) {
		/* the first certificate whose issuer and serial name the signer */
		unsigned char *p = (unsigned char *)s.certs, *end = p + s.certs_len;
		while (p < end) {
			unsigned char *start = p;
			size_t l;
			if (mbedtls_asn1_get_tag(&p, end, &l, SEQ))
				break;
			p += l;
			mbedtls_x509_crt c;
			mbedtls_x509_crt_init(&c);
			if (mbedtls_x509_crt_parse_der(&c, start, (size_t)(p - start)) == 0 &&
			    (!s.issuer || (c.issuer_raw.len == s.issuer_len &&
					   !memcmp(c.issuer_raw.p, s.issuer, s.issuer_len) &&
					   c.serial.len == s.serial_len &&
					   !memcmp(c.serial.p, s.serial, s.serial_len)))) {
				ret->has_cert = true;
				mbedtls_x509_dn_gets(ret->subject, sizeof(ret->subject),
						     &c.subject);
				vc_sha256(c.raw.p, c.raw.len, ret->fingerprint);
			}
			mbedtls_x509_crt_free(&c);
			if (ret->has_cert)
				break;
		}
	}
	return 0;
}

static int load_cert(const char *path, mbedtls_x509_crt *c, struct vc_error *err)
{
	mbedtls_x509_crt_init(c);
	int m = mbedtls_x509_crt_parse_file(c, path);
	if (m != 0) {
		mbedtls_x509_crt_free(c);
		FILE *f = fopen(path, "rb");
		if (!f)
			return vc_errorf(err, VC_EIO, "%s: cannot open the certificate", path);
		fclose(f);
		return vc_errorf(err, VC_ECRYPTO,
				 "%s: not a PEM or DER X.509 certificate (mbedtls "
				 "-0x%04x)",
				 path, (unsigned)-m);
	}
	return 0;
}

int vc_inspect_cert_fingerprint(const char *cert_path, uint8_t out[32], char *subject,
				size_t subject_len, struct vc_error *err)
{
	mbedtls_x509_crt c;
	int r = load_cert(cert_path, &c, err);

	if (r < 0)
		return r;
	vc_sha256(c.raw.p, c.raw.len, out);
	if (subject && subject_len)
		mbedtls_x509_dn_gets(subject, subject_len, &c.subject);
	mbedtls_x509_crt_free(&c);
	return 0;
}

int vc_pkcs7_verify(const uint8_t *der, size_t len, const void *content, size_t content_len,
		    const char *cert_path, struct vc_error *err)
{
	struct p7 s;
	mbedtls_x509_crt c;
	uint8_t h[MBEDTLS_MD_MAX_SIZE], ah[MBEDTLS_MD_MAX_SIZE];
	uint8_t *attrs = NULL;
	int r = p7_parse(der, len, &s, err);

	if (r < 0)
		return r;
	const mbedtls_md_info_t *mi = mbedtls_md_info_from_type(s.md);
	if (!mi ||
	    (s.md != MBEDTLS_MD_SHA256 && s.md != MBEDTLS_MD_SHA384 && s.md != MBEDTLS_MD_SHA512))
		return vc_errorf(err, VC_EUNSUPP, "PKCS#7: digest %s not accepted", md_name(s.md));
	r = load_cert(cert_path, &c, err);
	if (r < 0)
		return r;
	size_t hl = mbedtls_md_get_size(mi);
	mbedtls_md(mi, content, content_len, h);
	if (s.issuer &&
	    (c.issuer_raw.len != s.issuer_len || memcmp(c.issuer_raw.p, s.issuer, s.issuer_len) ||
	     c.serial.len != s.serial_len || memcmp(c.serial.p, s.serial, s.serial_len))) {
		char want[256], got[256], ser[80] = "";
		name_text(s.issuer, s.issuer_len, want, sizeof(want));
		mbedtls_x509_dn_gets(got, sizeof(got), &c.issuer);
		for (size_t i = 0; i < s.serial_len && 2 * i + 2 < sizeof(ser); i++)
			snprintf(ser + 2 * i, 3, "%02x", s.serial[i]);
		r = vc_errorf(err, VC_ECHECK,
			      "signed by issuer '%s' serial %s, not by the certificate "
			      "%s (issuer '%s')",
			      want, ser, cert_path, got);
		goto out;
	}
	const uint8_t *signed_hash = h;
	if (s.attrs) {
		/* messageDigest must be the content's digest; the signature covers
		 * the attributes re-tagged as a SET */
		unsigned char *p = (unsigned char *)s.attrs, *end = p + s.attrs_len;
		size_t l;
		bool found = false;
		mbedtls_asn1_get_tag(&p, end, &l, CTX(0));
		while (p < end && r == 0) {
			unsigned char *ae;
			if (mbedtls_asn1_get_tag(&p, end, &l, SEQ)) {
				r = bad(err, "attribute");
				break;
			}
			ae = p + l;
			if (mbedtls_asn1_get_tag(&p, ae, &l, MBEDTLS_ASN1_OID)) {
				r = bad(err, "attribute type");
				break;
			}
			bool md_attr =
			    l == sizeof(oid_message_digest) && !memcmp(p, oid_message_digest, l);
			p += l;
			if (md_attr) {
				size_t ol;
				if (mbedtls_asn1_get_tag(&p, ae, &l, SET) ||
				    mbedtls_asn1_get_tag(&p, ae, &ol, MBEDTLS_ASN1_OCTET_STRING)) {
					r = bad(err, "messageDigest");
					break;
				}
				if (ol != hl || memcmp(p, h, hl)) {
					r = vc_errorf(err, VC_ECHECK,
						      "PKCS#7: messageDigest does not match the "
						      "content (the signed root hash differs)");
					break;
				}
				found = true;
			}
			p = ae;
		}
		if (r == 0 && !found)
			r = vc_errorf(err, VC_EINVAL,
				      "PKCS#7: signed attributes without messageDigest");
		if (r < 0)
			goto out;
		attrs = malloc(s.attrs_len);
		if (!attrs) {
			r = vc_errorf(err, VC_ENOMEM, "out of memory");
			goto out;
		}
		memcpy(attrs, s.attrs, s.attrs_len);
		attrs[0] = SET;
		mbedtls_md(mi, attrs, s.attrs_len, ah);
		signed_hash = ah;
	}
	int m = mbedtls_pk_verify(&c.pk, s.md, signed_hash, hl, s.sig, s.sig_len);
	if (m != 0)
		r = vc_errorf(err, VC_ECHECK,
			      "PKCS#7: the signature does not verify with the key of %s "
			      "(mbedtls -0x%04x)",
			      cert_path, (unsigned)-m);
out:
	free(attrs);
	mbedtls_x509_crt_free(&c);
	return r;
}
