/* SPDX-License-Identifier: MIT */
/* Encrypted PKCS#8 keys with PBES2 + PBKDF2 + AES-CBC, the default of
 * OpenSSL 3 ("openssl genpkey -aes256", "openssl pkcs8 -topk8"), which
 * mbedtls 2.28's PKCS#5 code does not decrypt (it knows only DES there).
 * Specs: RFC 5958 section 3 (EncryptedPrivateKeyInfo), RFC 8018 sections
 * 5.2 (PBKDF2), 6.2 (PBES2), A.2 (PBKDF2-params), A.4 (PBES2-params), B.2.5
 * (AES-CBC-Pad); RFC 3565 section 4.1 (AES-CBC OIDs, 16-byte IV). */
#include <string.h>

#include <mbedtls/version.h>
#include <mbedtls/aes.h>
#include <mbedtls/asn1.h>
#include <mbedtls/md.h>
#include <mbedtls/oid.h>
#include <mbedtls/pem.h>
#include <mbedtls/pkcs5.h>
#include <mbedtls/platform_util.h>

#include "sign_priv.h"

#define OID_AES_CBC_PREFIX "\x60\x86\x48\x01\x65\x03\x04\x01" /* 2.16.840.1.101.3.4.1 */

static int oid_is(const mbedtls_asn1_buf *o, const char *oid, size_t len)
{
	return o->len == len && memcmp(o->p, oid, len) == 0;
}

#define OID_IS(o, s) oid_is((o), (s), sizeof(s) - 1)

/* What PBES2 with PBKDF2 and AES-CBC needs, pointing into the DER. */
struct pbes2 {
	const unsigned char *salt, *iv, *enc;
	size_t salt_len, key_len, enc_len; /* key_len 0: not given */
	int iter;
	mbedtls_md_type_t md; /* PBKDF2's PRF */
};

/* PBKDF2-params ::= SEQUENCE { salt OCTET STRING, iterationCount INTEGER,
 * keyLength INTEGER OPTIONAL, prf AlgorithmIdentifier DEFAULT hmacWithSHA1 }
 * (RFC 8018 A.2), the SEQUENCE's content in [q, end). */
static bool parse_pbkdf2(unsigned char *q, unsigned char *end, struct pbes2 *k)
{
	k->md = MBEDTLS_MD_SHA1;
	if (mbedtls_asn1_get_tag(&q, end, &k->salt_len, MBEDTLS_ASN1_OCTET_STRING))
		return false;
	k->salt = q;
	q += k->salt_len;
	if (mbedtls_asn1_get_int(&q, end, &k->iter) || k->iter <= 0 || k->iter > 100000000)
		return false;
	k->key_len = 0;
	if (q < end && *q == MBEDTLS_ASN1_INTEGER) {
		int kl;
		if (mbedtls_asn1_get_int(&q, end, &kl) || kl <= 0)
			return false;
		k->key_len = (size_t)kl;
	}
	if (q < end) {
		mbedtls_asn1_buf prf, prf_params;
		if (mbedtls_asn1_get_alg(&q, end, &prf, &prf_params))
			return false;
		if (OID_IS(&prf, MBEDTLS_OID_HMAC_SHA1))
			k->md = MBEDTLS_MD_SHA1;
		else if (OID_IS(&prf, MBEDTLS_OID_HMAC_SHA256))
			k->md = MBEDTLS_MD_SHA256;
		else if (OID_IS(&prf, MBEDTLS_OID_HMAC_SHA384))
			k->md = MBEDTLS_MD_SHA384;
		else if (OID_IS(&prf, MBEDTLS_OID_HMAC_SHA512))
			k->md = MBEDTLS_MD_SHA512;
		else
			return false;
	}
	return true;
}

/* EncryptedPrivateKeyInfo ::= SEQUENCE { encryptionAlgorithm
 * { PBES2, { keyDerivationFunc { PBKDF2, params }, encryptionScheme {
 * aes{128,192,256}-CBC, iv OCTET STRING (16) } } }, encryptedData } (DER
 * in [p, end)); false when it is not one of these. */
static bool parse_epki(unsigned char *p, unsigned char *end, struct pbes2 *k)
{
	mbedtls_asn1_buf alg, kdf, scheme;
	unsigned char *pend;
	size_t n;

	if (mbedtls_asn1_get_tag(&p, end, &n, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE))
		return false;
	end = p + n;
	if (mbedtls_asn1_get_tag(&p, end, &n, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE))
		return false;
	pend = p + n;
	if (mbedtls_asn1_get_tag(&p, pend, &alg.len, MBEDTLS_ASN1_OID))
		return false;
	alg.p = p;
	p += alg.len;
	if (!OID_IS(&alg, MBEDTLS_OID_PKCS5_PBES2))
		return false;
	if (mbedtls_asn1_get_tag(&p, pend, &n, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE))
		return false;
	if (mbedtls_asn1_get_alg(&p, pend, &kdf, &alg) || !OID_IS(&kdf, MBEDTLS_OID_PKCS5_PBKDF2) ||
	    alg.tag != (MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) ||
	    !parse_pbkdf2(alg.p, alg.p + alg.len, k))
		return false;
	if (mbedtls_asn1_get_alg(&p, pend, &scheme, &alg))
		return false;
	if (scheme.len != 9 || memcmp(scheme.p, OID_AES_CBC_PREFIX, 8) != 0)
		return false;
	switch (scheme.p[8]) {
	case 2: n = 16; break;
	case 22: n = 24; break;
	case 42: n = 32; break;
	default: return false;
	}
	if ((k->key_len && k->key_len != n) || alg.tag != MBEDTLS_ASN1_OCTET_STRING ||
	    alg.len != 16)
		return false;
	k->key_len = n;
	k->iv = alg.p;
	p = pend;
	if (mbedtls_asn1_get_tag(&p, end, &k->enc_len, MBEDTLS_ASN1_OCTET_STRING) ||
	    k->enc_len == 0 || k->enc_len % 16)
		return false;
	k->enc = p;
	return true;
}

/* PBKDF2, AES-CBC, the padding (RFC 8018 B.2.5): the PrivateKeyInfo into out. */
static int pbes2_decrypt(const struct pbes2 *k, const uint8_t *pwd, size_t pwd_len,
			 struct vc_buf *out, struct vc_error *err)
{
	mbedtls_md_context_t md;
	mbedtls_aes_context aes;
	uint8_t key[32], ivc[16];
	int r = 0;

	mbedtls_md_init(&md);
	mbedtls_aes_init(&aes);
#if MBEDTLS_VERSION_MAJOR >= 3
	if (mbedtls_pkcs5_pbkdf2_hmac_ext(k->md, pwd, pwd_len, k->salt, k->salt_len,
					  (unsigned)k->iter, (uint32_t)k->key_len, key)) {
#else
	if (mbedtls_md_setup(&md, mbedtls_md_info_from_type(k->md), 1) ||
	    mbedtls_pkcs5_pbkdf2_hmac(&md, pwd, pwd_len, k->salt, k->salt_len, (unsigned)k->iter,
				      (uint32_t)k->key_len, key)) {
#endif
		r = vc_errorf(err, VC_ECRYPTO, "PBKDF2 failed");
		goto out;
	}
	memcpy(ivc, k->iv, 16);
	uint8_t *plain = vc_buf_grow(out, k->enc_len, err);
	if (!plain) {
		r = VC_ENOMEM;
		goto out;
	}
	if (mbedtls_aes_setkey_dec(&aes, key, (unsigned)(k->key_len * 8)) ||
	    mbedtls_aes_crypt_cbc(&aes, MBEDTLS_AES_DECRYPT, k->enc_len, ivc, k->enc, plain)) {
		r = vc_errorf(err, VC_ECRYPTO, "AES-CBC failed");
		goto out;
	}
	/* 1..16 bytes, each equal to the count. A wrong passphrase fails here
	 * (or in the DER parse after). */
	uint8_t pad = plain[k->enc_len - 1];
	int bad = pad == 0 || pad > 16;
	for (size_t i = 0; !bad && i < pad; i++)
		bad = plain[k->enc_len - 1 - i] != pad;
	if (bad || plain[0] != 0x30) {
		r = vc_errorf(err, VC_ECRYPTO, "wrong passphrase for the encrypted key");
		goto out;
	}
	out->len -= pad;
out:
	mbedtls_platform_zeroize(key, sizeof(key));
	mbedtls_aes_free(&aes);
	mbedtls_md_free(&md);
	return r;
}

int sign_pkcs8_aes_decrypt(const uint8_t *data, size_t len, const uint8_t *pwd, size_t pwd_len,
			   struct vc_buf *out, struct vc_error *err)
{
	mbedtls_pem_context pem;
	struct pbes2 k;
	unsigned char *p;
	size_t n;
	int r = VC_EUNSUPP;

	mbedtls_pem_init(&pem);
	if (memmem(data, len, "-----BEGIN ENCRYPTED PRIVATE KEY-----", 37)) {
		size_t used;
		/* data is NUL-terminated (vc_read_file) */
		if (mbedtls_pem_read_buffer(&pem, "-----BEGIN ENCRYPTED PRIVATE KEY-----",
					    "-----END ENCRYPTED PRIVATE KEY-----", data, NULL, 0,
					    &used) != 0)
			goto out;
#if MBEDTLS_VERSION_MAJOR >= 3
		p = (unsigned char *)mbedtls_pem_get_buffer(&pem, &n);
#else
		p = pem.buf;
		n = pem.buflen;
#endif
	} else {
		p = (unsigned char *)data;
		n = len;
	}
	if (!parse_epki(p, p + n, &k))
		goto out;
	/* From here on it is our format: failures are the passphrase's. */
	if (!pwd)
		r = vc_errorf(err, VC_ECRYPTO,
			      "the key is encrypted: give its passphrase "
			      "(--passphrase-file or --passphrase-env)");
	else
		r = pbes2_decrypt(&k, pwd, pwd_len, out, err);
out:
	mbedtls_pem_free(&pem);
	if (r == VC_EUNSUPP)
		vc_error_clear(err);
	return r;
}
