/* SPDX-License-Identifier: MIT */
/* Keys and certificates with mbedtls 2.28 (Debian 12) or 3.x.
 * RSA PKCS#1 v1.5 signatures (RFC 8017 section 8.2) are deterministic; ECDSA
 * signatures follow RFC 6979 (deterministic k), so a signature depends only
 * on the key and the message. The RNG below feeds mbedtls's blinding only,
 * which never changes the output bytes. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/version.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/pkcs5.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/x509_crt.h>

#include "sign_priv.h"
#include "vcompose/sha256.h"

#if MBEDTLS_VERSION_MAJOR >= 3
#define VC_MBED(x) MBEDTLS_PRIVATE(x)
#else
#define VC_MBED(x) x
#endif

struct vc_sign_key {
	mbedtls_pk_context pk;
	mbedtls_x509_crt crt; /* the signer first, then any chain */
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	const char *desc;
	uint8_t fingerprint[32];
};

static int mbed_errorf(struct vc_error *err, int code, int mret, const char *what)
{
	char buf[160];

	mbedtls_strerror(mret, buf, sizeof(buf));
	return vc_errorf(err, code, "%s: %s (mbedtls -0x%04x)", what, buf, (unsigned)-mret);
}

static int is_pem(const struct vc_buf *b)
{
	return b->len > 0 && memmem(b->data, b->len, "-----BEGIN ", 11) != NULL;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int64_t x509_time_epoch(const mbedtls_x509_time *t)
{
	return days_from_civil(t->year, t->mon, t->day) * 86400 + t->hour * 3600 + t->min * 60 +
	       t->sec;
}

static int check_key_type(struct vc_sign_key *k, const char *key_path, struct vc_error *err)
{
	mbedtls_pk_type_t t = mbedtls_pk_get_type(&k->pk);
	size_t bits = mbedtls_pk_get_bitlen(&k->pk);

	if (t == MBEDTLS_PK_RSA) {
		static const struct {
			size_t bits;
			const char *name;
		} rsa[] = {
		    {2048, "RSA-2048"}, {3072, "RSA-3072"}, {4096, "RSA-4096"}, {8192, "RSA-8192"}};
		for (size_t i = 0; i < VC_ARRAY_SIZE(rsa); i++)
			if (bits == rsa[i].bits)
				k->desc = rsa[i].name;
		if (!k->desc)
			return vc_errorf(err, VC_EUNSUPP,
					 "%s: RSA key of %zu bits: only 2048, 3072, 4096 or 8192 "
					 "are supported",
					 key_path, bits);
		return 0;
	}
	if (t == MBEDTLS_PK_ECKEY) {
#if !defined(MBEDTLS_ECDSA_DETERMINISTIC)
		return vc_errorf(
		    err, VC_EUNSUPP,
		    "%s: ECDSA key, but this mbedtls lacks deterministic ECDSA "
		    "(MBEDTLS_ECDSA_DETERMINISTIC): signatures would not be reproducible",
		    key_path);
#else
		switch (mbedtls_pk_ec(k->pk)->VC_MBED(grp).id) {
		case MBEDTLS_ECP_DP_SECP256R1: k->desc = "ECDSA-P256"; return 0;
		case MBEDTLS_ECP_DP_SECP384R1: k->desc = "ECDSA-P384"; return 0;
		case MBEDTLS_ECP_DP_SECP521R1: k->desc = "ECDSA-P521"; return 0;
		default:
			return vc_errorf(err, VC_EUNSUPP,
					 "%s: EC key on a curve other than P-256, P-384 or P-521",
					 key_path);
		}
#endif
	}
	return vc_errorf(err, VC_EUNSUPP, "%s: %s key: only RSA and ECDSA keys are supported",
			 key_path, mbedtls_pk_get_name(&k->pk));
}

static int parse_key(struct vc_sign_key *k, const struct vc_sign_key_options *o,
		     const struct vc_buf *b, struct vc_error *err)
{
	const unsigned char *pwd = (const unsigned char *)o->passphrase;
	size_t pwd_len = o->passphrase ? o->passphrase_len : 0;
	size_t len = is_pem(b) ? b->len + 1 : b->len; /* PEM: the NUL counts */
	int r;

#if MBEDTLS_VERSION_MAJOR >= 3
	r = mbedtls_pk_parse_key(&k->pk, b->data, len, pwd, pwd_len, mbedtls_ctr_drbg_random,
				 &k->drbg);
#else
	r = mbedtls_pk_parse_key(&k->pk, b->data, len, pwd, pwd_len);
#endif
	if (r == 0)
		return 0;
#if defined(MBEDTLS_ERR_PKCS5_FEATURE_UNAVAILABLE)
	if (r == MBEDTLS_ERR_PKCS5_FEATURE_UNAVAILABLE ||
	    (r != MBEDTLS_ERR_PK_PASSWORD_MISMATCH && !is_pem(b))) {
		/* PBES2 with AES (OpenSSL 3's default), unknown to mbedtls 2.28 */
		struct vc_buf plain = {0};
		int r2 = sign_pkcs8_aes_decrypt(b->data, b->len, pwd, pwd_len, &plain, err);
		if (r2 == 0) {
#if MBEDTLS_VERSION_MAJOR >= 3
			r = mbedtls_pk_parse_key(&k->pk, plain.data, plain.len, NULL, 0,
						 mbedtls_ctr_drbg_random, &k->drbg);
#else
			r = mbedtls_pk_parse_key(&k->pk, plain.data, plain.len, NULL, 0);
#endif
		}
		if (plain.data)
			mbedtls_platform_zeroize(plain.data, plain.cap);
		vc_buf_fini(&plain);
		if (r2 < 0 && r2 != VC_EUNSUPP) {
			vc_error_prefix(err, "%s", o->key_path);
			return r2;
		}
		if (r == 0)
			return 0;
		if (r2 == 0)
			return vc_errorf(err, VC_ECRYPTO,
					 "%s: wrong passphrase for the encrypted key", o->key_path);
	}
#endif
	if (r == MBEDTLS_ERR_PK_PASSWORD_REQUIRED)
		return vc_errorf(err, VC_ECRYPTO,
				 "%s: the key is encrypted: give its passphrase "
				 "(--passphrase-file or --passphrase-env)",
				 o->key_path);
	if (r == MBEDTLS_ERR_PK_PASSWORD_MISMATCH)
		return vc_errorf(err, VC_ECRYPTO, "%s: wrong passphrase for the encrypted key",
				 o->key_path);
	if (r == MBEDTLS_ERR_PK_UNKNOWN_PK_ALG || r == MBEDTLS_ERR_PK_FEATURE_UNAVAILABLE)
		return vc_errorf(err, VC_EUNSUPP,
				 "%s: unsupported key algorithm or encryption: only RSA and "
				 "ECDSA keys are supported",
				 o->key_path);
	if (r == MBEDTLS_ERR_PK_KEY_INVALID_FORMAT) {
		mbed_errorf(err, VC_ECRYPTO, r, "mbedtls");
		vc_error_prefix(err, "%s: not a private key (PEM or DER: PKCS#1, SEC1 or PKCS#8)",
				o->key_path);
		return err->code;
	}
	return mbed_errorf(err, VC_ECRYPTO, r, o->key_path);
}

int vc_sign_key_load(const struct vc_sign_key_options *o, struct vc_sign_key **ret,
		     struct vc_error *err)
{
	static const char pers[] = "vcompose-sign-blinding";
	struct vc_sign_key *k;
	struct vc_buf kb = {0};
	int r;

	k = calloc(1, sizeof(*k));
	if (!k)
		return vc_errorf(err, VC_ENOMEM, "sign: out of memory");
	mbedtls_pk_init(&k->pk);
	mbedtls_x509_crt_init(&k->crt);
	mbedtls_entropy_init(&k->entropy);
	mbedtls_ctr_drbg_init(&k->drbg);

	r = mbedtls_ctr_drbg_seed(&k->drbg, mbedtls_entropy_func, &k->entropy,
				  (const unsigned char *)pers, sizeof(pers) - 1);
	if (r) {
		r = mbed_errorf(err, VC_EIO, r, "sign: seeding the blinding RNG");
		goto out;
	}

	r = vc_read_file(o->key_path, 1 << 20, &kb, err);
	if (r < 0)
		goto out;
	r = parse_key(k, o, &kb, err);
	if (r < 0)
		goto out;
	r = check_key_type(k, o->key_path, err);
	if (r < 0)
		goto out;

	/* no certificate file: the key's PEM file must hold it */
	const char *cert_path = o->cert_path ? o->cert_path : o->key_path;
	if (!o->cert_path &&
	    (!is_pem(&kb) || !strstr((const char *)kb.data, "-----BEGIN CERTIFICATE-----"))) {
		r = vc_errorf(
		    err, VC_EINVAL,
		    "%s holds a key but no certificate: give its certificate "
		    "(verity_signature_cert, --cert), or append one to the key's PEM "
		    "file: openssl req -x509 -new -key %s -subj /CN=NAME -days 3650 >> %s",
		    o->key_path, o->key_path, o->key_path);
		goto out;
	}
	r = sign_cert_load(cert_path, &k->crt, err);
	if (r < 0)
		goto out;
	size_t n = 0;
	for (const mbedtls_x509_crt *c = &k->crt; c; c = c->next)
		n++;
	if (n > 1 + VC_SIGN_CHAIN_MAX) {
		r = vc_errorf(err, VC_ERANGE, "%s: %zu certificates, at most %d accepted",
			      cert_path, n, 1 + VC_SIGN_CHAIN_MAX);
		goto out;
	}

	if (mbedtls_pk_get_type(&k->crt.pk) != mbedtls_pk_get_type(&k->pk)) {
		r = vc_errorf(err, VC_ECRYPTO,
			      "%s does not match %s: the certificate holds a %s key, the key is %s",
			      o->key_path, cert_path, mbedtls_pk_get_name(&k->crt.pk),
			      mbedtls_pk_get_name(&k->pk));
		goto out;
	}
#if MBEDTLS_VERSION_MAJOR >= 3
	r = mbedtls_pk_check_pair(&k->crt.pk, &k->pk, mbedtls_ctr_drbg_random, &k->drbg);
#else
	r = mbedtls_pk_check_pair(&k->crt.pk, &k->pk);
#endif
	if (r != 0) {
		r = vc_errorf(err, VC_ECRYPTO,
			      "%s does not match %s: the certificate's public key is not the "
			      "key's",
			      o->key_path, cert_path);
		goto out;
	}
	sign_cert_fingerprint(&k->crt, k->fingerprint);
	*ret = k;
	k = NULL;
	r = 0;
out:
	if (kb.data)
		mbedtls_platform_zeroize(kb.data, kb.len);
	vc_buf_fini(&kb);
	vc_sign_key_free(k);
	return r;
}

void vc_sign_key_free(struct vc_sign_key *k)
{
	if (!k)
		return;
	mbedtls_pk_free(&k->pk);
	mbedtls_x509_crt_free(&k->crt);
	mbedtls_ctr_drbg_free(&k->drbg);
	mbedtls_entropy_free(&k->entropy);
	free(k);
}

const char *vc_sign_key_describe(const struct vc_sign_key *k)
{
	return k->desc;
}

void vc_sign_key_fingerprint(const struct vc_sign_key *k, uint8_t out[32])
{
	memcpy(out, k->fingerprint, 32);
}

void vc_sign_key_validity(const struct vc_sign_key *k, int64_t *ret_not_before,
			  int64_t *ret_not_after)
{
	*ret_not_before = x509_time_epoch(&k->crt.valid_from);
	*ret_not_after = x509_time_epoch(&k->crt.valid_to);
}

int vc_sign_cert_subject(const uint8_t *der, size_t len, char *out, size_t n)
{
	mbedtls_x509_crt c;
	int r = VC_EINVAL;

	mbedtls_x509_crt_init(&c);
	if (mbedtls_x509_crt_parse_der(&c, der, len) == 0 &&
	    mbedtls_x509_dn_gets(out, n, &c.subject) >= 0)
		r = 0;
	mbedtls_x509_crt_free(&c);
	return r;
}

void vc_sign_key_cert_der(const struct vc_sign_key *k, const uint8_t **ret, size_t *ret_len)
{
	*ret = k->crt.raw.p;
	*ret_len = k->crt.raw.len;
}

int vc_sign_key_check_code_signing(const struct vc_sign_key *k, struct vc_error *err)
{
	if (mbedtls_x509_crt_check_key_usage(&k->crt, MBEDTLS_X509_KU_DIGITAL_SIGNATURE) != 0)
		return vc_errorf(err, VC_EINVAL,
				 "the certificate's keyUsage does not allow digitalSignature");
	if (mbedtls_x509_crt_check_extended_key_usage(
		&k->crt, MBEDTLS_OID_CODE_SIGNING, MBEDTLS_OID_SIZE(MBEDTLS_OID_CODE_SIGNING)) != 0)
		return vc_errorf(err, VC_EINVAL,
				 "the certificate's extendedKeyUsage does not allow codeSigning");
	return 0;
}

bool vc_sign_key_is_rsa(const struct vc_sign_key *k)
{
	return mbedtls_pk_get_type(&k->pk) == MBEDTLS_PK_RSA;
}

int sign_cert_load(const char *path, mbedtls_x509_crt *crt, struct vc_error *err)
{
	struct vc_buf cb = {0};
	int r;

	r = vc_read_file(path, 1 << 20, &cb, err);
	if (r < 0)
		return r;
	r = mbedtls_x509_crt_parse(crt, cb.data, is_pem(&cb) ? cb.len + 1 : cb.len);
	vc_buf_fini(&cb);
	if (r == 0)
		return 0;
	/* > 0: some certificates of a PEM chain could not be parsed */
	if (r > 0)
		return vc_errorf(err, VC_ECRYPTO, "%s: %d certificate(s) could not be parsed", path,
				 r);
	return mbed_errorf(err, VC_ECRYPTO, r, path);
}

void sign_cert_fingerprint(const mbedtls_x509_crt *crt, uint8_t out[32])
{
	vc_sha256(crt->raw.p, crt->raw.len, out);
}

int vc_sign_cert_fingerprint(const char *cert_path, uint8_t out[32], char *subject,
			     size_t subject_len, struct vc_error *err)
{
	mbedtls_x509_crt crt;
	int r;

	mbedtls_x509_crt_init(&crt);
	r = sign_cert_load(cert_path, &crt, err);
	if (r == 0) {
		sign_cert_fingerprint(&crt, out);
		if (subject && subject_len)
			mbedtls_x509_dn_gets(subject, subject_len, &crt.subject);
	}
	mbedtls_x509_crt_free(&crt);
	return r;
}

int sign_key_sign_sha256(const struct vc_sign_key *k, const uint8_t hash[32], struct vc_buf *out,
			 struct vc_error *err)
{
	/* mbedtls's sign functions take a non-const context (the RNG state) */
	struct vc_sign_key *mk = (struct vc_sign_key *)k;
	unsigned char sig[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
	size_t sig_len = 0;
	int r;

	if (mbedtls_pk_get_type(&mk->pk) == MBEDTLS_PK_ECKEY) {
		/* Called directly (not through mbedtls_pk_sign, which may use
		 * randomized PSA ECDSA in 3.x): RFC 6979 when
		 * MBEDTLS_ECDSA_DETERMINISTIC is on, which check_key_type ensured. */
#if MBEDTLS_VERSION_MAJOR >= 3
		r = mbedtls_ecdsa_write_signature(mbedtls_pk_ec(mk->pk), MBEDTLS_MD_SHA256, hash,
						  32, sig, sizeof(sig), &sig_len,
						  mbedtls_ctr_drbg_random, &mk->drbg);
#else
		r = mbedtls_ecdsa_write_signature(mbedtls_pk_ec(mk->pk), MBEDTLS_MD_SHA256, hash,
						  32, sig, &sig_len, mbedtls_ctr_drbg_random,
						  &mk->drbg);
#endif
	} else {
#if MBEDTLS_VERSION_MAJOR >= 3
		r = mbedtls_pk_sign(&mk->pk, MBEDTLS_MD_SHA256, hash, 32, sig, sizeof(sig),
				    &sig_len, mbedtls_ctr_drbg_random, &mk->drbg);
#else
		r = mbedtls_pk_sign(&mk->pk, MBEDTLS_MD_SHA256, hash, 32, sig, &sig_len,
				    mbedtls_ctr_drbg_random, &mk->drbg);
#endif
	}
	if (r)
		return mbed_errorf(err, VC_ECRYPTO, r, "sign");
	/* Check the signature with the certificate's key before anyone sees it
	 * (catches a faulty computation; cheap next to signing). */
	r = mbedtls_pk_verify(&mk->crt.pk, MBEDTLS_MD_SHA256, hash, 32, sig, sig_len);
	if (r)
		return mbed_errorf(err, VC_ECRYPTO, r, "sign: our own signature does not verify");
	return vc_buf_append(out, sig, sig_len, err);
}

void sign_key_cert(const struct vc_sign_key *k, const uint8_t **der, size_t *der_len)
{
	*der = k->crt.raw.p;
	*der_len = k->crt.raw.len;
}

/* The signer certificate's issuer Name (whole DER) and serial number
 * (INTEGER content octets). */
static void sign_key_issuer(const struct vc_sign_key *k, const uint8_t **der, size_t *len)
{
	*der = k->crt.issuer_raw.p;
	*len = k->crt.issuer_raw.len;
}

static void sign_key_serial(const struct vc_sign_key *k, const uint8_t **p, size_t *len)
{
	*p = k->crt.serial.p;
	*len = k->crt.serial.len;
}

size_t sign_key_n_chain(const struct vc_sign_key *k)
{
	size_t n = 0;

	for (const mbedtls_x509_crt *c = k->crt.next; c; c = c->next)
		n++;
	return n;
}

void sign_key_chain(const struct vc_sign_key *k, size_t i, const uint8_t **der, size_t *len)
{
	const mbedtls_x509_crt *c = k->crt.next;

	while (i-- && c)
		c = c->next;
	*der = c ? c->raw.p : NULL;
	*len = c ? c->raw.len : 0;
}

void sign_key_write_sigalg(const struct vc_sign_key *k, struct der *d)
{
	/* As OpenSSL writes them: rsaEncryption with NULL parameters,
	 * ecdsa-with-SHA256 without (RFC 5758 section 3.2). */
	if (mbedtls_pk_get_type(&k->pk) == MBEDTLS_PK_RSA)
		der_algid(d, OID_RSA_ENCRYPTION, sizeof(OID_RSA_ENCRYPTION) - 1, 1);
	else
		der_algid(d, OID_ECDSA_SHA256, sizeof(OID_ECDSA_SHA256) - 1, 0);
}

void sign_write_issuer_serial(const struct vc_sign_key *k, struct der *d)
{
	const uint8_t *p;
	size_t n;

	der_begin(d);
	sign_key_issuer(k, &p, &n);
	der_raw(d, p, n);
	sign_key_serial(k, &p, &n);
	der_prim(d, DER_INTEGER, p, n);
	der_end(d, DER_SEQUENCE);
}

const char *vc_sign_backend_version(void)
{
	return MBEDTLS_VERSION_STRING_FULL;
}
