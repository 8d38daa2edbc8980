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

int sign_pkcs8_aes_decrypt(const uint8_t *data, size_t len, const uint8_t *pwd, size_t pwd_len,
			   struct vc_buf *out, struct vc_error *err)
{
	mbedtls_pem_context pem;
	mbedtls_md_context_t md;
	mbedtls_aes_context aes;
	mbedtls_asn1_buf alg, kdf, scheme, prf = {0};
	unsigned char *p, *end, *pend, *salt, *iv, *enc;
	size_t n, salt_len, enc_len, key_len;
	int iter, r = VC_EUNSUPP;
	mbedtls_md_type_t md_type = MBEDTLS_MD_SHA1;
	uint8_t key[32];

	mbedtls_pem_init(&pem);
	mbedtls_md_init(&md);
	mbedtls_aes_init(&aes);
	if (memmem(data, len, "-----BEGIN ENCRYPTED PRIVATE KEY-----", 37)) {
		size_t used;
		/* data is NUL-terminated (vc_sign_read_file) */
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
	end = p + n;
	/* EncryptedPrivateKeyInfo ::= SEQUENCE { encryptionAlgorithm, encryptedData } */
	if (mbedtls_asn1_get_tag(&p, end, &n, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE))
		goto out;
	end = p + n;
	/* AlgorithmIdentifier { PBES2, PBES2-params } */
	if (mbedtls_asn1_get_tag(&p, end, &n, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE))
		goto out;
	pend = p + n;
	if (mbedtls_asn1_get_tag(&p, pend, &alg.len, MBEDTLS_ASN1_OID))
		goto out;
	alg.p = p;
	p += alg.len;
	if (!OID_IS(&alg, MBEDTLS_OID_PKCS5_PBES2))
		goto out;
	if (mbedtls_asn1_get_tag(&p, pend, &n, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE))
		goto out;
	/* keyDerivationFunc { PBKDF2, PBKDF2-params } */
	if (mbedtls_asn1_get_alg(&p, pend, &kdf, &alg) || !OID_IS(&kdf, MBEDTLS_OID_PKCS5_PBKDF2) ||
	    alg.tag != (MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE))
		goto out;
	{
		unsigned char *q = alg.p, *qend = alg.p + alg.len;
		if (mbedtls_asn1_get_tag(&q, qend, &salt_len, MBEDTLS_ASN1_OCTET_STRING))
			goto out;
		salt = q;
		q += salt_len;
		if (mbedtls_asn1_get_int(&q, qend, &iter) || iter <= 0 || iter > 100000000)
			goto out;
		key_len = 0;
		if (q < qend && *q == MBEDTLS_ASN1_INTEGER) {
			int kl;
			if (mbedtls_asn1_get_int(&q, qend, &kl) || kl <= 0)
				goto out;
			key_len = (size_t)kl;
		}
		if (q < qend) {
			mbedtls_asn1_buf prf_params;
			if (mbedtls_asn1_get_alg(&q, qend, &prf, &prf_params))
				goto out;
			if (OID_IS(&prf, MBEDTLS_OID_HMAC_SHA1))
				md_type = MBEDTLS_MD_SHA1;
			else if (OID_IS(&prf, MBEDTLS_OID_HMAC_SHA256))
				md_type = MBEDTLS_MD_SHA256;
			else if (OID_IS(&prf, MBEDTLS_OID_HMAC_SHA384))
				md_type = MBEDTLS_MD_SHA384;
			else if (OID_IS(&prf, MBEDTLS_OID_HMAC_SHA512))
				md_type = MBEDTLS_MD_SHA512;
			else
				goto out;
		}
	}
	/* encryptionScheme { aes{128,192,256}-CBC, iv OCTET STRING (16) } */
	if (mbedtls_asn1_get_alg(&p, pend, &scheme, &alg))
		goto out;
	if (scheme.len != 9 || memcmp(scheme.p, OID_AES_CBC_PREFIX, 8) != 0)
		goto out;
	switch (scheme.p[8]) {
	case 2: n = 16; break;
	case 22: n = 24; break;
	case 42: n = 32; break;
	default: goto out;
	}
	if ((key_len && key_len != n) || alg.tag != MBEDTLS_ASN1_OCTET_STRING || alg.len != 16)
		goto out;
	key_len = n;
	iv = alg.p;
	p = pend;
	if (mbedtls_asn1_get_tag(&p, end, &enc_len, MBEDTLS_ASN1_OCTET_STRING) || enc_len == 0 ||
	    enc_len % 16)
		goto out;
	enc = p;

	/* From here on it is our format: failures are the passphrase's. */
	if (!pwd) {
		r = vc_errorf(err, VC_ECRYPTO,
			      "the key is encrypted: give its passphrase "
			      "(--passphrase-file or --passphrase-env)");
		goto out;
	}
#if MBEDTLS_VERSION_MAJOR >= 3
	if (mbedtls_pkcs5_pbkdf2_hmac_ext(md_type, pwd, pwd_len, salt, salt_len, (unsigned)iter,
					  (uint32_t)key_len, key)) {
#else
	if (mbedtls_md_setup(&md, mbedtls_md_info_from_type(md_type), 1) ||
	    mbedtls_pkcs5_pbkdf2_hmac(&md, pwd, pwd_len, salt, salt_len, (unsigned)iter,
				      (uint32_t)key_len, key)) {
#endif
		r = vc_errorf(err, VC_ECRYPTO, "PBKDF2 failed");
		goto out;
	}
	uint8_t ivc[16];
	memcpy(ivc, iv, 16);
	uint8_t *plain = vc_buf_grow(out, enc_len, err);
	if (!plain) {
		r = VC_ENOMEM;
		goto out;
	}
	if (mbedtls_aes_setkey_dec(&aes, key, (unsigned)(key_len * 8)) ||
	    mbedtls_aes_crypt_cbc(&aes, MBEDTLS_AES_DECRYPT, enc_len, ivc, enc, plain)) {
		r = vc_errorf(err, VC_ECRYPTO, "AES-CBC failed");
		goto out;
	}
	/* RFC 8018 B.2.5 padding: 1..16 bytes, each equal to the count. A wrong
	 * passphrase fails here (or in the DER parse after). */
	uint8_t pad = plain[enc_len - 1];
	int bad = pad == 0 || pad > 16;
	for (size_t i = 0; !bad && i < pad; i++)
		bad = plain[enc_len - 1 - i] != pad;
	if (bad || plain[0] != 0x30) {
		r = vc_errorf(err, VC_ECRYPTO, "wrong passphrase for the encrypted key");
		goto out;
	}
	out->len -= pad;
	r = 0;
out:
	mbedtls_platform_zeroize(key, sizeof(key));
	mbedtls_aes_free(&aes);
	mbedtls_md_free(&md);
	mbedtls_pem_free(&pem);
	if (r == VC_EUNSUPP)
		vc_error_clear(err);
	return r;
}
