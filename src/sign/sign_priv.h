/* SPDX-License-Identifier: MIT */
/* Shared inside src/sign: the key object and the one signing primitive. */
#ifndef VC_SIGN_PRIV_H
#define VC_SIGN_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include <mbedtls/x509_crt.h>

#include "der_priv.h"
#include "vcompose/sign.h"

/* Signs a SHA-256 digest: PKCS#1 v1.5 for RSA, deterministic ECDSA (DER
 * Ecdsa-Sig-Value) for EC. Appends the signature to out, verified. */
int sign_key_sign_sha256(const struct vc_sign_key *k, const uint8_t hash[32], struct vc_buf *out,
			 struct vc_error *err);

/* The signer certificate's DER. */
void sign_key_cert(const struct vc_sign_key *k, const uint8_t **der, size_t *der_len);
/* The certificate file at path (PEM, possibly a chain, or DER) into crt
 * (initialised by the caller); the one loader of certificates. */
int sign_cert_load(const char *path, mbedtls_x509_crt *crt, struct vc_error *err);
/* The one certificate fingerprint: SHA-256 of the DER (what the DPS signature
 * JSON's certificateFingerprint and systemd hold). */
void sign_cert_fingerprint(const mbedtls_x509_crt *crt, uint8_t out[32]);
/* Extra certificates after the signer's in the certificate file. */
size_t sign_key_n_chain(const struct vc_sign_key *k);
void sign_key_chain(const struct vc_sign_key *k, size_t i, const uint8_t **der, size_t *len);

/* digestEncryptionAlgorithm of a SignerInfo for this key. */
void sign_key_write_sigalg(const struct vc_sign_key *k, struct der *d);

/* SignerInfo.issuerAndSerialNumber (RFC 2315 section 9.2). */
void sign_write_issuer_serial(const struct vc_sign_key *k, struct der *d);

/* Decrypts a PBES2/PBKDF2/AES-CBC EncryptedPrivateKeyInfo (PEM, NUL-
 * terminated, or DER) into out (PKCS#8 DER). VC_EUNSUPP (err untouched) when
 * data is not of that form; VC_ECRYPTO for a missing or wrong passphrase. */
int sign_pkcs8_aes_decrypt(const uint8_t *data, size_t len, const uint8_t *pwd, size_t pwd_len,
			   struct vc_buf *out, struct vc_error *err);

/* Authenticode's SignedData (DER): the signer, the image digest the
 * SpcIndirectDataContent holds (SHA-256, pointing into der), and with
 * cert_path the signature checked, by that certificate or one embedded and
 * chained to it (VC_ECHECK with the reason). */
int sign_p7_authenticode(const uint8_t *der, size_t len, const char *cert_path,
			 const uint8_t **ret_digest, size_t *ret_digest_len,
			 struct vc_pkcs7_signer *ret_signer, struct vc_error *err);

#endif
