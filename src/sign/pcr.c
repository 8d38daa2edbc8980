/* SPDX-License-Identifier: MIT */
/* Digests of the TPM PCR banks and the RSA key of a signed PCR policy.
 * Specs: FIPS 180-4 (SHA-1, SHA-256, SHA-384, SHA-512); RFC 8017 section 8.2
 * (RSASSA-PKCS1-v1_5, deterministic) and appendix A.1.1 (RSAPublicKey);
 * RFC 5280 section 4.1.2.7 (SubjectPublicKeyInfo) and RFC 7468 (PEM), the
 * form `openssl pkey -pubout` writes and systemd-stub passes on as
 * tpm2-pcr-public-key.pem. SHA-256 goes through the common shim (CPU
 * dispatch); the other banks through mbedtls. */
#include <stdlib.h>
#include <string.h>

#include <mbedtls/version.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/md.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/rsa.h>

#include "vcompose/sha256.h"
#include "vcompose/sign.h"

struct vc_sign_md_ctx {
	enum vc_sign_md md;
	struct vc_sha256 sha256;
	mbedtls_md_context_t mbed;
};

struct vc_sign_rsa_key {
	mbedtls_pk_context pk;
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
};

static int mbed_errorf(struct vc_error *err, int code, int mret, const char *what)
{
	char buf[160];

	mbedtls_strerror(mret, buf, sizeof(buf));
	return vc_errorf(err, code, "%s: %s (mbedtls -0x%04x)", what, buf, (unsigned)-mret);
}

static mbedtls_md_type_t mbed_md(enum vc_sign_md md)
{
	switch (md) {
	case VC_SIGN_SHA1: return MBEDTLS_MD_SHA1;
	case VC_SIGN_SHA256: return MBEDTLS_MD_SHA256;
	case VC_SIGN_SHA384: return MBEDTLS_MD_SHA384;
	case VC_SIGN_SHA512: return MBEDTLS_MD_SHA512;
	}
	return MBEDTLS_MD_NONE;
}

size_t vc_sign_md_len(enum vc_sign_md md)
{
	static const size_t len[] = {20, 32, 48, 64};

	return (unsigned)md < VC_ARRAY_SIZE(len) ? len[md] : 0;
}

const char *vc_sign_md_name(enum vc_sign_md md)
{
	static const char *const names[] = {"sha1", "sha256", "sha384", "sha512"};

	return (unsigned)md < VC_ARRAY_SIZE(names) ? names[md] : "?";
}

int vc_sign_md_new(enum vc_sign_md md, struct vc_sign_md_ctx **ret, struct vc_error *err)
{
	struct vc_sign_md_ctx *c;
	int r;

	if (!vc_sign_md_len(md))
		return vc_errorf(err, VC_EINVAL, "unknown digest %d", (int)md);
	c = calloc(1, sizeof(*c));
	if (!c)
		return vc_errorf(err, VC_ENOMEM, "out of memory");
	c->md = md;
	mbedtls_md_init(&c->mbed);
	if (md == VC_SIGN_SHA256) {
		vc_sha256_init(&c->sha256);
	} else if ((r = mbedtls_md_setup(&c->mbed, mbedtls_md_info_from_type(mbed_md(md)), 0)) ||
		   (r = mbedtls_md_starts(&c->mbed))) {
		vc_sign_md_free(c);
		return mbed_errorf(err, VC_ECRYPTO, r, vc_sign_md_name(md));
	}
	*ret = c;
	return 0;
}

void vc_sign_md_update(struct vc_sign_md_ctx *c, const void *p, size_t n)
{
	if (c->md == VC_SIGN_SHA256)
		vc_sha256_update(&c->sha256, p, n);
	else
		mbedtls_md_update(&c->mbed, p, n); /* fails only on a NULL context */
}

void vc_sign_md_final(struct vc_sign_md_ctx *c, uint8_t *out)
{
	if (c->md == VC_SIGN_SHA256) {
		vc_sha256_final(&c->sha256, out);
		vc_sha256_init(&c->sha256);
	} else {
		mbedtls_md_finish(&c->mbed, out);
		mbedtls_md_starts(&c->mbed);
	}
}

void vc_sign_md_free(struct vc_sign_md_ctx *c)
{
	if (!c)
		return;
	mbedtls_md_free(&c->mbed);
	free(c);
}

int vc_sign_md(enum vc_sign_md md, const void *p, size_t n, uint8_t *out, struct vc_error *err)
{
	struct vc_sign_md_ctx *c;
	int r = vc_sign_md_new(md, &c, err);

	if (r < 0)
		return r;
	vc_sign_md_update(c, p, n);
	vc_sign_md_final(c, out);
	vc_sign_md_free(c);
	return 0;
}

/* mbedtls reads PEM only from a NUL-terminated buffer whose length counts
 * the NUL. */
static int parse_copy(const uint8_t *data, size_t len, struct vc_buf *b, struct vc_error *err)
{
	if (vc_buf_append(b, data, len, err) < 0 || vc_buf_append(b, "", 1, err) < 0)
		return err->code;
	if (!memmem(data, len, "-----BEGIN ", 11))
		b->len--; /* DER: the exact bytes */
	return 0;
}

static int check_rsa(mbedtls_pk_context *pk, const char *what, struct vc_error *err)
{
	size_t bits;

	if (mbedtls_pk_get_type(pk) != MBEDTLS_PK_RSA)
		return vc_errorf(err, VC_EUNSUPP,
				 "%s: a %s key; TPM PCR policy signatures need an RSA key", what,
				 mbedtls_pk_get_name(pk));
	bits = mbedtls_pk_get_bitlen(pk);
	if (bits < 2048 || bits > 4096)
		return vc_errorf(err, VC_EUNSUPP,
				 "%s: RSA-%zu; a TPM verifies RSA-2048..4096 PCR policy signatures",
				 what, bits);
	return 0;
}

int vc_sign_rsa_key_load(const char *path, struct vc_sign_rsa_key **ret, struct vc_error *err)
{
	static const char pers[] = "vcompose-pcr-blinding";
	struct vc_sign_rsa_key *k;
	struct vc_buf file = {0}, b = {0};
	int r;

	k = calloc(1, sizeof(*k));
	if (!k)
		return vc_errorf(err, VC_ENOMEM, "out of memory");
	mbedtls_pk_init(&k->pk);
	mbedtls_entropy_init(&k->entropy);
	mbedtls_ctr_drbg_init(&k->drbg);
	/* The RNG only blinds the private-key operation: no effect on the bytes. */
	r = mbedtls_ctr_drbg_seed(&k->drbg, mbedtls_entropy_func, &k->entropy,
				  (const unsigned char *)pers, sizeof(pers) - 1);
	if (r) {
		r = mbed_errorf(err, VC_EIO, r, "seeding the blinding RNG");
		goto out;
	}
	if ((r = vc_read_file(path, 1 << 20, &file, err)) < 0 ||
	    (r = parse_copy(file.data, file.len, &b, err)) < 0)
		goto out;
#if MBEDTLS_VERSION_MAJOR >= 3
	r = mbedtls_pk_parse_key(&k->pk, b.data, b.len, NULL, 0, mbedtls_ctr_drbg_random, &k->drbg);
#else
	r = mbedtls_pk_parse_key(&k->pk, b.data, b.len, NULL, 0);
#endif
	if (r == MBEDTLS_ERR_PK_PASSWORD_REQUIRED) {
		r = vc_errorf(err, VC_EUNSUPP, "%s: an encrypted key; the PCR key must be plain",
			      path);
		goto out;
	}
	if (r) {
		r = mbed_errorf(err, VC_ECRYPTO, r, path);
		vc_error_prefix(err, "not a private key (PEM or DER)");
		goto out;
	}
	if ((r = check_rsa(&k->pk, path, err)) < 0)
		goto out;
	*ret = k;
	k = NULL;
out:
	if (file.data)
		mbedtls_platform_zeroize(file.data, file.len);
	if (b.data)
		mbedtls_platform_zeroize(b.data, b.len);
	vc_buf_fini(&file);
	vc_buf_fini(&b);
	vc_sign_rsa_key_free(k);
	return r;
}

void vc_sign_rsa_key_free(struct vc_sign_rsa_key *k)
{
	if (!k)
		return;
	mbedtls_pk_free(&k->pk);
	mbedtls_ctr_drbg_free(&k->drbg);
	mbedtls_entropy_free(&k->entropy);
	free(k);
}

int vc_sign_rsa_public_pem(const struct vc_sign_rsa_key *k, struct vc_buf *out,
			   struct vc_error *err)
{
	unsigned char pem[4096];
	int r;

	r = mbedtls_pk_write_pubkey_pem((mbedtls_pk_context *)&k->pk, pem, sizeof(pem));
	if (r)
		return mbed_errorf(err, VC_ECRYPTO, r, "writing the public key");
	return vc_buf_append(out, pem, strlen((const char *)pem), err);
}

/* RSAPublicKey DER of pk into buf; returns its start and length. */
static int rsa_public_der(mbedtls_pk_context *pk, unsigned char *buf, size_t size,
			  const unsigned char **ret, size_t *ret_len, struct vc_error *err)
{
	unsigned char *p = buf + size;
	int n = mbedtls_pk_write_pubkey(&p, buf, pk);

	if (n < 0)
		return mbed_errorf(err, VC_ECRYPTO, n, "writing the public key");
	*ret = p;
	*ret_len = (size_t)n;
	return 0;
}

static int parse_public(const uint8_t *pem, size_t len, mbedtls_pk_context *pk,
			struct vc_error *err)
{
	struct vc_buf b = {0};
	int r;

	if ((r = parse_copy(pem, len, &b, err)) < 0)
		goto out;
	r = mbedtls_pk_parse_public_key(pk, b.data, b.len);
	if (r) {
		r = mbed_errorf(err, VC_EINVAL, r, "public key");
		goto out;
	}
	r = check_rsa(pk, "public key", err);
out:
	vc_buf_fini(&b);
	return r;
}

int vc_sign_rsa_public_fingerprint(const uint8_t *pem, size_t len, uint8_t out[32],
				   struct vc_error *err)
{
	mbedtls_pk_context pk;
	unsigned char buf[2048];
	const unsigned char *der = NULL;
	size_t der_len = 0;
	int r;

	mbedtls_pk_init(&pk);
	if ((r = parse_public(pem, len, &pk, err)) == 0 &&
	    (r = rsa_public_der(&pk, buf, sizeof(buf), &der, &der_len, err)) == 0)
		vc_sha256(der, der_len, out);
	mbedtls_pk_free(&pk);
	return r;
}

int vc_sign_rsa_sign(const struct vc_sign_rsa_key *k, enum vc_sign_md md, const void *msg,
		     size_t len, struct vc_buf *out, struct vc_error *err)
{
	struct vc_sign_rsa_key *mk = (struct vc_sign_rsa_key *)k; /* RNG state */
	unsigned char sig[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
	uint8_t hash[64];
	size_t sig_len = 0, hlen = vc_sign_md_len(md);
	int r;

	if ((r = vc_sign_md(md, msg, len, hash, err)) < 0)
		return r;
#if MBEDTLS_VERSION_MAJOR >= 3
	r = mbedtls_pk_sign(&mk->pk, mbed_md(md), hash, hlen, sig, sizeof(sig), &sig_len,
			    mbedtls_ctr_drbg_random, &mk->drbg);
#else
	r = mbedtls_pk_sign(&mk->pk, mbed_md(md), hash, hlen, sig, &sig_len,
			    mbedtls_ctr_drbg_random, &mk->drbg);
#endif
	if (r)
		return mbed_errorf(err, VC_ECRYPTO, r, "RSA signature");
	r = mbedtls_pk_verify(&mk->pk, mbed_md(md), hash, hlen, sig, sig_len);
	if (r)
		return mbed_errorf(err, VC_ECRYPTO, r, "our own RSA signature does not verify");
	return vc_buf_append(out, sig, sig_len, err);
}

int vc_sign_rsa_verify(const uint8_t *pem, size_t pem_len, enum vc_sign_md md, const void *msg,
		       size_t len, const uint8_t *sig, size_t sig_len, struct vc_error *err)
{
	mbedtls_pk_context pk;
	uint8_t hash[64];
	int r;

	mbedtls_pk_init(&pk);
	if ((r = parse_public(pem, pem_len, &pk, err)) < 0 ||
	    (r = vc_sign_md(md, msg, len, hash, err)) < 0)
		goto out;
	r = mbedtls_pk_verify(&pk, mbed_md(md), hash, vc_sign_md_len(md), sig, sig_len);
	if (r)
		r = vc_errorf(err, VC_ECHECK, "RSA PKCS#1 v1.5 %s signature does not verify",
			      vc_sign_md_name(md));
out:
	mbedtls_pk_free(&pk);
	return r;
}
