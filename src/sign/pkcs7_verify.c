/* SPDX-License-Identifier: MIT */
/* The one PKCS#7 verifier: a detached SignedData over some content, checked
 * against a certificate. `vcompose sign verify`, `sign dps`/`join` (deferred
 * signing: a .p7s made elsewhere is checked before it goes into an image) and
 * `vcompose verify` all use it, so they accept the same signatures.
 * Spec: RFC 2315 sections 7, 9.1-9.3 and RFC 5652 section 5 (ContentInfo,
 * SignedData, SignerInfo; with signed attributes the messageDigest attribute
 * must equal the content's digest and the signature covers the attributes'
 * DER with a SET OF tag). mbedtls 2.28 has no PKCS#7 parser: the structure is
 * read with mbedtls's ASN.1 getters, which check every length.
 *
 * Accepted: SHA-256, SHA-384 or SHA-512; any number of SignerInfos (the first
 * naming the certificate by issuer and serial counts; one naming its signer
 * by subjectKeyIdentifier is tried with the certificate's key); RSA PKCS#1
 * v1.5 or ECDSA. Refused: embedded (not detached) content. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/asn1.h>
#include <mbedtls/md.h>
#include <mbedtls/oid.h>
#include <mbedtls/pem.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#include "sign_priv.h"

#define SEQ    (MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE)
#define SET    (MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SET)
#define CTX(n) (MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED | (n))

static const uint8_t oid_signed_data[] = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02};
static const uint8_t oid_data[] = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x01};
static const uint8_t oid_message_digest[] = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x04};
static const uint8_t oid_rsa_encryption[] = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01};
static const uint8_t oid_ec_public_key[] = {0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01};

/* The SignedData around the signers. */
struct p7 {
	bool detached; /* encapContentInfo: id-data without content */
	mbedtls_asn1_buf econtent_type;
	const uint8_t *econtent; /* the TLV inside encapContentInfo's [0], or NULL */
	size_t econtent_len;
	const uint8_t *certs; /* [0] certificates content, or NULL */
	size_t certs_len;
	unsigned char *signers, *signers_end; /* content of the signerInfos SET */
};

/* One SignerInfo. */
struct signer {
	const uint8_t *issuer; /* issuer Name TLV, or NULL (subjectKeyIdentifier) */
	size_t issuer_len;
	const uint8_t *serial; /* INTEGER value bytes */
	size_t serial_len;
	mbedtls_md_type_t md; /* MBEDTLS_MD_NONE: a digest mbedtls does not know */
	mbedtls_asn1_buf sig_alg;
	const uint8_t *attrs; /* signed attributes TLV ([0] tag), or NULL */
	size_t attrs_len;
	const uint8_t *sig;
	size_t sig_len;
};

static int bad(struct vc_error *err, const char *what)
{
	return vc_errorf(err, VC_EINVAL, "PKCS#7: not a PKCS#7 SignedData (malformed DER: %s)",
			 what);
}

static bool oid_is(const mbedtls_asn1_buf *b, const uint8_t *oid, size_t len)
{
	return b->len == len && memcmp(b->p, oid, len) == 0;
}

static int p7_parse(const uint8_t *der, size_t len, struct p7 *ret, struct vc_error *err)
{
	unsigned char *p = (unsigned char *)der, *end = p + len, *ci_end;
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
	if (mbedtls_asn1_get_int(&p, end, &v) || v < 1 || v > 5)
		return bad(err, "version");
	if (mbedtls_asn1_get_tag(&p, end, &l, SET))
		return bad(err, "digestAlgorithms");
	p += l;
	if (mbedtls_asn1_get_tag(&p, end, &l, SEQ))
		return bad(err, "encapContentInfo");
	ci_end = p + l;
	if (mbedtls_asn1_get_tag(&p, ci_end, &l, MBEDTLS_ASN1_OID))
		return bad(err, "eContentType");
	ret->detached = l == sizeof(oid_data) && !memcmp(p, oid_data, l) && p + l == ci_end;
	ret->econtent_type.p = p;
	ret->econtent_type.len = l;
	p += l;
	if (p < ci_end) {
		if (mbedtls_asn1_get_tag(&p, ci_end, &l, CTX(0)) || p + l != ci_end)
			return bad(err, "eContent");
		ret->econtent = p;
		ret->econtent_len = l;
	}
	p = ci_end;
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
	ret->signers = p;
	ret->signers_end = p + l;
	return 0;
}

/* Reads the SignerInfo at *pp (before end) into ret and moves *pp past it. */
static int signer_next(unsigned char **pp, const unsigned char *end, struct signer *ret,
		       struct vc_error *err)
{
	unsigned char *p = *pp, *e2;
	mbedtls_asn1_buf params;
	size_t l;
	int v;

	memset(ret, 0, sizeof(*ret));
	if (mbedtls_asn1_get_tag(&p, end, &l, SEQ))
		return bad(err, "SignerInfo");
	end = p + l;
	*pp = p + l;
	if (mbedtls_asn1_get_int(&p, end, &v) || (v != 1 && v != 3))
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
	mbedtls_asn1_buf alg;
	if (mbedtls_asn1_get_alg(&p, end, &alg, &params))
		return bad(err, "digestAlgorithm");
	if (mbedtls_oid_get_md_alg(&alg, &ret->md))
		ret->md = MBEDTLS_MD_NONE;
	if (p < end && *p == CTX(0)) {
		ret->attrs = p;
		if (mbedtls_asn1_get_tag(&p, end, &l, CTX(0)))
			return bad(err, "signedAttrs");
		p += l;
		ret->attrs_len = (size_t)(p - ret->attrs);
	}
	if (mbedtls_asn1_get_alg(&p, end, &ret->sig_alg, &params))
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

static void serial_hex(const struct signer *s, char *out, size_t n)
{
	out[0] = '\0';
	for (size_t i = 0; i < s->serial_len && 2 * i + 2 < n; i++)
		snprintf(out + 2 * i, 3, "%02x", s->serial[i]);
}

/* Does the signer name this certificate (issuer and serial)? A signer named
 * by subjectKeyIdentifier cannot be matched with mbedtls 2.28: its signature
 * decides. */
static bool signer_is(const struct signer *s, const mbedtls_x509_crt *c)
{
	return !s->issuer ||
	       (c->issuer_raw.len == s->issuer_len &&
		!memcmp(c->issuer_raw.p, s->issuer, s->issuer_len) &&
		c->serial.len == s->serial_len && !memcmp(c->serial.p, s->serial, s->serial_len));
}

/* The first certificate embedded in m that names signer s, parsed into c
 * (the caller frees it either way); false when none does. */
static bool embedded_signer_cert(const struct p7 *m, const struct signer *s, mbedtls_x509_crt *c)
{
	unsigned char *p = (unsigned char *)m->certs, *end = p + m->certs_len;

	mbedtls_x509_crt_init(c);
	while (m->certs && p < end) {
		unsigned char *start = p;
		size_t l;

		if (mbedtls_asn1_get_tag(&p, end, &l, SEQ))
			break;
		p += l;
		if (mbedtls_x509_crt_parse_der(c, start, (size_t)(p - start)) == 0 &&
		    signer_is(s, c))
			return true;
		mbedtls_x509_crt_free(c);
		mbedtls_x509_crt_init(c);
	}
	return false;
}

/* The messageDigest attribute's octets among the signed attributes. */
static int find_message_digest(const struct signer *s, const uint8_t **ret, size_t *ret_len,
			       struct vc_error *err)
{
	unsigned char *p = (unsigned char *)s->attrs, *end = p + s->attrs_len;
	size_t l;

	if (mbedtls_asn1_get_tag(&p, end, &l, CTX(0)))
		return bad(err, "signedAttrs");
	while (p < end) {
		unsigned char *ae;
		if (mbedtls_asn1_get_tag(&p, end, &l, SEQ))
			return bad(err, "attribute");
		ae = p + l;
		if (mbedtls_asn1_get_tag(&p, ae, &l, MBEDTLS_ASN1_OID))
			return bad(err, "attribute type");
		if (l == sizeof(oid_message_digest) && !memcmp(p, oid_message_digest, l)) {
			size_t ol;
			p += l;
			if (mbedtls_asn1_get_tag(&p, ae, &l, SET) ||
			    mbedtls_asn1_get_tag(&p, ae, &ol, MBEDTLS_ASN1_OCTET_STRING))
				return bad(err, "messageDigest");
			*ret = p;
			*ret_len = ol;
			return 0;
		}
		p = ae;
	}
	return vc_errorf(err, VC_EINVAL, "PKCS#7: signed attributes without messageDigest");
}

int vc_pkcs7_signer(const uint8_t *der, size_t len, struct vc_pkcs7_signer *ret,
		    struct vc_error *err)
{
	struct p7 m;
	struct signer s;
	int r = p7_parse(der, len, &m, err);

	if (r == 0)
		r = signer_next(&m.signers, m.signers_end, &s, err);
	if (r < 0)
		return r;
	memset(ret, 0, sizeof(*ret));
	if (s.issuer)
		name_text(s.issuer, s.issuer_len, ret->issuer, sizeof(ret->issuer));
	serial_hex(&s, ret->serial, sizeof(ret->serial));
	snprintf(ret->digest, sizeof(ret->digest), "%s", md_name(s.md));
	ret->signed_attrs = s.attrs != NULL;
	ret->detached = m.detached;
	const uint8_t *md;
	size_t ml;
	struct vc_error e2 = {0};
	if (s.attrs && find_message_digest(&s, &md, &ml, &e2) == 0 &&
	    ml <= sizeof(ret->message_digest)) {
		memcpy(ret->message_digest, md, ml);
		ret->message_digest_len = ml;
	}
	mbedtls_md_type_t smd;
	mbedtls_pk_type_t spk;
	if (oid_is(&s.sig_alg, oid_rsa_encryption, sizeof(oid_rsa_encryption)))
		snprintf(ret->signature_algorithm, sizeof(ret->signature_algorithm), "RSA");
	else if (oid_is(&s.sig_alg, oid_ec_public_key, sizeof(oid_ec_public_key)))
		snprintf(ret->signature_algorithm, sizeof(ret->signature_algorithm), "ECDSA");
	else if (mbedtls_oid_get_sig_alg(&s.sig_alg, &smd, &spk) == 0)
		snprintf(ret->signature_algorithm, sizeof(ret->signature_algorithm), "%s-%s",
			 spk == MBEDTLS_PK_ECDSA ? "ECDSA"
			 : spk == MBEDTLS_PK_RSA ? "RSA"
						 : "?",
			 md_name(smd));
	else
		snprintf(ret->signature_algorithm, sizeof(ret->signature_algorithm), "unknown");
	ret->signers = 1;
	for (unsigned char *q = m.signers; q < m.signers_end && ret->signers < 1000;) {
		struct signer o;
		if (signer_next(&q, m.signers_end, &o, &e2) < 0)
			break;
		if (q < m.signers_end)
			ret->signers++;
	}
	/* the embedded certificates, and the first that names the signer */
	unsigned char *end = (unsigned char *)m.certs + m.certs_len;
	for (unsigned char *q = (unsigned char *)m.certs; m.certs && q < end;) {
		size_t l;
		if (mbedtls_asn1_get_tag(&q, end, &l, SEQ))
			break;
		q += l;
		ret->certificates++;
	}
	mbedtls_x509_crt c;
	if (embedded_signer_cert(&m, &s, &c)) {
		ret->has_cert = true;
		mbedtls_x509_dn_gets(ret->subject, sizeof(ret->subject), &c.subject);
		sign_cert_fingerprint(&c, ret->fingerprint);
	}
	mbedtls_x509_crt_free(&c);
	return 0;
}

/* messageDigest in the signed attributes must be h (hl bytes). */
static int check_message_digest(const struct signer *s, const uint8_t *h, size_t hl,
				struct vc_error *err)
{
	const uint8_t *md;
	size_t ml;
	int r = find_message_digest(s, &md, &ml, err);

	if (r < 0)
		return r;
	if (ml != hl || memcmp(md, h, hl))
		return vc_errorf(err, VC_ECHECK,
				 "PKCS#7: messageDigest does not match the content "
				 "(the signed root hash differs)");
	return 0;
}

/* RSA PKCS#1 v1.5 or ECDSA, named by the key type or by a signature
 * algorithm with the signer's digest. */
static bool sig_alg_ok(const struct signer *s)
{
	mbedtls_md_type_t md;
	mbedtls_pk_type_t pk;

	if (oid_is(&s->sig_alg, oid_rsa_encryption, sizeof(oid_rsa_encryption)) ||
	    oid_is(&s->sig_alg, oid_ec_public_key, sizeof(oid_ec_public_key)))
		return true;
	return mbedtls_oid_get_sig_alg(&s->sig_alg, &md, &pk) == 0 && md == s->md &&
	       (pk == MBEDTLS_PK_RSA || pk == MBEDTLS_PK_ECDSA);
}

static int verify_signer(const struct signer *s, const void *content, size_t content_len,
			 const mbedtls_x509_crt *c, const char *cert_path, struct vc_error *err)
{
	const mbedtls_md_info_t *mi = mbedtls_md_info_from_type(s->md);
	uint8_t h[MBEDTLS_MD_MAX_SIZE], ah[MBEDTLS_MD_MAX_SIZE];
	const uint8_t *signed_hash = h;
	int r;

	if (!mi || (s->md != MBEDTLS_MD_SHA256 && s->md != MBEDTLS_MD_SHA384 &&
		    s->md != MBEDTLS_MD_SHA512))
		return vc_errorf(err, VC_EUNSUPP, "PKCS#7: digest %s not accepted", md_name(s->md));
	if (!sig_alg_ok(s))
		return vc_errorf(err, VC_EUNSUPP, "PKCS#7: unsupported signature algorithm");
	size_t hl = mbedtls_md_get_size(mi);
	mbedtls_md(mi, content, content_len, h);
	if (s->attrs) {
		/* the signature covers the attributes re-tagged as a SET */
		uint8_t *attrs;
		if ((r = check_message_digest(s, h, hl, err)) < 0)
			return r;
		attrs = malloc(s->attrs_len);
		if (!attrs)
			return vc_errorf(err, VC_ENOMEM, "out of memory");
		memcpy(attrs, s->attrs, s->attrs_len);
		attrs[0] = SET;
		mbedtls_md(mi, attrs, s->attrs_len, ah);
		free(attrs);
		signed_hash = ah;
	}
	int m = mbedtls_pk_verify((mbedtls_pk_context *)&c->pk, s->md, signed_hash, hl, s->sig,
				  s->sig_len);
	if (m != 0)
		return vc_errorf(err, VC_ECHECK,
				 "PKCS#7: the signature does not verify with the key of %s "
				 "(mbedtls -0x%04x)",
				 cert_path, (unsigned)-m);
	return 0;
}

/* The SignerInfo of m that names c, verified over content with c's key. */
static int verify_with(const struct p7 *m, const mbedtls_x509_crt *c, const char *cert_name,
		       const void *content, size_t content_len, struct vc_error *err)
{
	struct signer s, first = {0};
	bool have_first = false;
	int r;

	for (unsigned char *p = m->signers; p < m->signers_end;) {
		if ((r = signer_next(&p, m->signers_end, &s, err)) < 0)
			return r;
		if (!have_first) {
			first = s;
			have_first = true;
		}
		if (signer_is(&s, c))
			return verify_signer(&s, content, content_len, c, cert_name, err);
	}
	char want[256], got[256], ser[80];
	name_text(first.issuer, first.issuer_len, want, sizeof(want));
	mbedtls_x509_dn_gets(got, sizeof(got), &c->issuer);
	serial_hex(&first, ser, sizeof(ser));
	return vc_errorf(err, VC_ECHECK,
			 "signed by issuer '%s' serial %s, not by the certificate %s (issuer "
			 "'%s'): no signer matches it",
			 want, ser, cert_name, got);
}

static int parse_detached(const uint8_t *der, size_t len, struct p7 *m, struct vc_error *err)
{
	int r = p7_parse(der, len, m, err);

	if (r == 0 && !m->detached)
		r = vc_errorf(err, VC_EINVAL,
			      "PKCS#7: not a detached signature of data (content embedded "
			      "or not id-data)");
	return r;
}

int vc_pkcs7_verify(const uint8_t *der, size_t len, const void *content, size_t content_len,
		    const char *cert_path, struct vc_error *err)
{
	struct p7 m;
	mbedtls_x509_crt c;
	int r = parse_detached(der, len, &m, err);

	if (r < 0)
		return r;
	mbedtls_x509_crt_init(&c);
	r = sign_cert_load(cert_path, &c, err);
	if (r == 0)
		r = verify_with(&m, &c, cert_path, content, content_len, err);
	mbedtls_x509_crt_free(&c);
	return r;
}

int vc_pkcs7_verify_embedded(const uint8_t *der, size_t len, const void *content,
			     size_t content_len, struct vc_error *err)
{
	struct p7 m;
	struct signer s;
	int r = parse_detached(der, len, &m, err);

	if (r == 0) {
		unsigned char *sp = m.signers;
		r = signer_next(&sp, m.signers_end, &s, err);
	}
	if (r < 0)
		return r;
	mbedtls_x509_crt c;
	if (embedded_signer_cert(&m, &s, &c))
		r = verify_signer(&s, content, content_len, &c,
				  "the certificate embedded in the signature", err);
	else
		r = vc_errorf(err, VC_EINVAL, "PKCS#7: embeds no certificate of its signer");
	mbedtls_x509_crt_free(&c);
	return r;
}

bool vc_pkcs7_probe(const uint8_t *b, size_t len)
{
	static const char *const pem[] = {"-----BEGIN PKCS7-----", "-----BEGIN CMS-----"};

	for (size_t i = 0; i < 2; i++)
		if (len >= strlen(pem[i]) && memcmp(b, pem[i], strlen(pem[i])) == 0)
			return true;
	/* SEQUENCE (any length form), OID signedData */
	if (len < 2 + sizeof(oid_signed_data) + 2 || b[0] != SEQ)
		return false;
	size_t at = 2;
	if (b[1] & 0x80)
		at += b[1] & 0x7f;
	return at + 2 + sizeof(oid_signed_data) <= len && b[at] == MBEDTLS_ASN1_OID &&
	       b[at + 1] == sizeof(oid_signed_data) &&
	       memcmp(b + at + 2, oid_signed_data, sizeof(oid_signed_data)) == 0;
}

int vc_pkcs7_pem_decode(const uint8_t *in, size_t len, struct vc_buf *out, struct vc_error *err)
{
	static const char *const armour[][2] = {
	    {"-----BEGIN PKCS7-----", "-----END PKCS7-----"},
	    {"-----BEGIN CMS-----", "-----END CMS-----"},
	};
	mbedtls_pem_context pem;
	char *text = malloc(len + 1);
	int r = VC_EINVAL;

	if (!text)
		return vc_errorf(err, VC_ENOMEM, "out of memory");
	memcpy(text, in, len);
	text[len] = '\0'; /* mbedtls reads PEM up to a NUL */
	mbedtls_pem_init(&pem);
	for (size_t i = 0; i < 2 && r == VC_EINVAL; i++) {
		size_t used;
		if (!strstr(text, armour[i][0]) ||
		    mbedtls_pem_read_buffer(&pem, armour[i][0], armour[i][1],
					    (const unsigned char *)text, NULL, 0, &used) != 0)
			continue;
#if MBEDTLS_VERSION_MAJOR >= 3
		size_t n;
		const unsigned char *d = mbedtls_pem_get_buffer(&pem, &n);
#else
		const unsigned char *d = pem.buf;
		size_t n = pem.buflen;
#endif
		r = vc_buf_append(out, d, n, err);
	}
	if (r == VC_EINVAL)
		vc_errorf(err, VC_EINVAL,
			  "PKCS#7: no readable -----BEGIN PKCS7----- or -----BEGIN CMS----- block");
	mbedtls_pem_free(&pem);
	free(text);
	return r;
}

int vc_sign_verify_roothash(const char *cert_path, const uint8_t *roothash, size_t len,
			    const uint8_t *p7, size_t p7_len, struct vc_error *err)
{
	char hex[2 * 64 + 1];

	if (len == 0 || len > 64)
		return vc_errorf(err, VC_EINVAL, "root hash of %zu bytes: 1 to 64 expected", len);
	vc_hex_encode(roothash, len, hex);
	return vc_pkcs7_verify(p7, p7_len, hex, 2 * len, cert_path, err);
}

/* Authenticode (Microsoft "Windows Authenticode Portable Executable
 * Signature Format"): a SignedData whose encapsulated content is an
 * SpcIndirectDataContent { data, messageDigest DigestInfo }; the signer's
 * messageDigest attribute covers the content octets of that SEQUENCE. */
static const uint8_t oid_spc_indirect[] = {0x2b, 0x06, 0x01, 0x04, 0x01,
					   0x82, 0x37, 0x02, 0x01, 0x04};

/* The chain from the signer's embedded certificate x to the trust anchor
 * ca, with the other embedded certificates as intermediates; dates are not
 * checked (UEFI firmware does not). */
static int chain_to(const struct p7 *m, const uint8_t *x, size_t xl, mbedtls_x509_crt *ca,
		    const char *cert_path, struct vc_error *err)
{
	mbedtls_x509_crt chain;
	uint32_t flags = 0;
	int r = 0;

	mbedtls_x509_crt_init(&chain);
	if (mbedtls_x509_crt_parse_der(&chain, x, xl) != 0) {
		r = bad(err, "signer certificate");
		goto out;
	}
	unsigned char *p = (unsigned char *)m->certs, *end = p + m->certs_len;
	while (p < end) {
		unsigned char *start = p;
		size_t l;
		if (mbedtls_asn1_get_tag(&p, end, &l, SEQ))
			break;
		p += l;
		if ((size_t)(p - start) != xl || memcmp(start, x, xl))
			mbedtls_x509_crt_parse_der(&chain, start, (size_t)(p - start));
	}
	mbedtls_x509_crt_verify(&chain, ca, NULL, NULL, &flags, NULL, NULL);
	flags &= ~(uint32_t)(MBEDTLS_X509_BADCERT_EXPIRED | MBEDTLS_X509_BADCERT_FUTURE |
			     MBEDTLS_X509_BADCRL_EXPIRED | MBEDTLS_X509_BADCRL_FUTURE);
	if (flags) {
		char subj[256], why[256];
		mbedtls_x509_dn_gets(subj, sizeof(subj), &chain.subject);
		mbedtls_x509_crt_verify_info(why, sizeof(why), "", flags);
		for (char *c = why; *c; c++)
			if (*c == '\n')
				*c = ';';
		r = vc_errorf(err, VC_ECHECK, "the signer '%s' does not chain to %s (%s)", subj,
			      cert_path, why);
	}
out:
	mbedtls_x509_crt_free(&chain);
	return r;
}

int sign_p7_authenticode(const uint8_t *der, size_t len, const char *cert_path,
			 const uint8_t **ret_digest, size_t *ret_digest_len,
			 struct vc_pkcs7_signer *ret_signer, struct vc_error *err)
{
	struct p7 m;
	struct signer s;
	unsigned char *p, *end, *ie;
	const unsigned char *content;
	size_t l, content_len;
	mbedtls_asn1_buf alg, params;
	mbedtls_x509_crt c;
	int r = p7_parse(der, len, &m, err);

	if (r < 0)
		return r;
	if (!m.econtent || !oid_is(&m.econtent_type, oid_spc_indirect, sizeof(oid_spc_indirect)))
		return vc_errorf(err, VC_EINVAL,
				 "Authenticode: the content is not an SpcIndirectDataContent");
	/* SpcIndirectDataContent ::= SEQUENCE { data SpcAttributeTypeAndOptionalValue,
	 *   messageDigest DigestInfo ::= SEQUENCE { AlgorithmIdentifier, OCTET STRING } } */
	p = (unsigned char *)m.econtent;
	end = p + m.econtent_len;
	if (mbedtls_asn1_get_tag(&p, end, &l, SEQ))
		return bad(err, "SpcIndirectDataContent");
	content = p;
	content_len = l;
	ie = p + l;
	if (mbedtls_asn1_get_tag(&p, ie, &l, SEQ))
		return bad(err, "SpcIndirectDataContent.data");
	p += l;
	if (mbedtls_asn1_get_tag(&p, ie, &l, SEQ) || mbedtls_asn1_get_alg(&p, ie, &alg, &params) ||
	    mbedtls_asn1_get_tag(&p, ie, &l, MBEDTLS_ASN1_OCTET_STRING))
		return bad(err, "SpcIndirectDataContent.messageDigest");
	mbedtls_md_type_t md;
	if (mbedtls_oid_get_md_alg(&alg, &md) || md != MBEDTLS_MD_SHA256)
		return vc_errorf(err, VC_EUNSUPP,
				 "Authenticode: the image digest is not SHA-256 (the only one "
				 "checked here)");
	*ret_digest = p;
	*ret_digest_len = l;
	r = vc_pkcs7_signer(der, len, ret_signer, err);
	if (r < 0 || !cert_path)
		return r;

	unsigned char *sp = m.signers;
	if ((r = signer_next(&sp, m.signers_end, &s, err)) < 0)
		return r;
	mbedtls_x509_crt_init(&c);
	r = sign_cert_load(cert_path, &c, err);
	if (r < 0)
		goto out;
	if (signer_is(&s, &c)) {
		r = verify_signer(&s, content, content_len, &c, cert_path, err);
		goto out;
	}
	/* signed by another certificate: embedded, and chained to cert_path */
	r = -1;
	unsigned char *cp = (unsigned char *)m.certs, *cend = cp + m.certs_len;
	while (m.certs && cp < cend && r == -1) {
		unsigned char *start = cp;
		mbedtls_x509_crt x;
		mbedtls_x509_crt_init(&x);
		if (mbedtls_asn1_get_tag(&cp, cend, &l, SEQ))
			break;
		cp += l;
		if (mbedtls_x509_crt_parse_der(&x, start, (size_t)(cp - start)) == 0 &&
		    signer_is(&s, &x)) {
			r = verify_signer(&s, content, content_len, &x, "the embedded signer", err);
			if (r == 0)
				r = chain_to(&m, start, (size_t)(cp - start), &c, cert_path, err);
		}
		mbedtls_x509_crt_free(&x);
	}
	if (r == -1) {
		char ser[80];
		serial_hex(&s, ser, sizeof(ser));
		r = vc_errorf(err, VC_ECHECK,
			      "signed by issuer '%s' serial %s, neither the certificate %s nor "
			      "one chained to it",
			      ret_signer->issuer, ser, cert_path);
	}
out:
	mbedtls_x509_crt_free(&c);
	return r;
}
