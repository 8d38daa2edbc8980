/* SPDX-License-Identifier: MIT */
/* Detached PKCS#7 SignedData for dm-verity root hashes, and the DPS verity
 * signature partition.
 * Specs: RFC 2315 (PKCS #7 v1.5) sections 7, 9.1-9.4; Linux
 * Documentation/admin-guide/device-mapper/verity.rst (root_hash_sig_key_desc:
 * the signed data is the root hash's hex string as given on the table line);
 * UAPI Discoverable Partitions Specification, section "Verity" (JSON object,
 * NUL-padded to a multiple of 4096 bytes). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sign_priv.h"
#include "vcompose/sha256.h"

/*
 * ContentInfo ::= SEQUENCE { contentType signedData,
 *   content [0] EXPLICIT SignedData ::= SEQUENCE {
 *     version 1, digestAlgorithms SET { sha256 },
 *     contentInfo SEQUENCE { data }               -- detached: no content
 *     certificates [0] IMPLICIT ... OPTIONAL,
 *     signerInfos SET { SignerInfo ::= SEQUENCE {
 *       version 1, issuerAndSerialNumber, digestAlgorithm sha256,
 *       digestEncryptionAlgorithm, encryptedDigest OCTET STRING } } } }
 * The signature covers SHA-256(content) directly: without authenticated
 * attributes there is nothing else (RFC 2315 section 9.3).
 */
int vc_sign_detached(const struct vc_sign_key *k, const void *content, size_t len, unsigned flags,
		     struct vc_buf *out, struct vc_error *err)
{
	struct vc_buf sig = {0};
	struct der d;
	uint8_t hash[32];
	size_t start = out->len;
	int r;

	vc_sha256(content, len, hash);
	r = sign_key_sign_sha256(k, hash, &sig, err);
	if (r < 0)
		goto out;

	der_init(&d, out, err);
	der_signed_data_begin(&d);
	der_begin(&d);
	DER_OID_LIT(&d, OID_PKCS7_DATA);
	der_end(&d, DER_SEQUENCE);
	if (flags & VC_SIGN_INCLUDE_CERT) {
		const uint8_t *c;
		size_t cl;

		sign_key_cert(k, &c, &cl);
		der_begin(&d);
		der_raw(&d, c, cl);
		der_end(&d, DER_CTX(0));
	}
	der_begin(&d); /* signerInfos */
	der_begin(&d); /* SignerInfo */
	der_small_int(&d, 1);
	sign_write_issuer_serial(k, &d);
	der_algid(&d, OID_SHA256, sizeof(OID_SHA256) - 1, 1);
	sign_key_write_sigalg(k, &d);
	der_prim(&d, DER_OCTET_STRING, sig.data, sig.len);
	der_end(&d, DER_SEQUENCE); /* SignerInfo */
	der_end(&d, DER_SET);
	der_signed_data_end(&d);
	r = der_finish(&d);
	if (r == 0 && (flags & VC_SIGN_BARE)) {
		/* ContentInfo header, the signedData OID (2 + 9), the [0]
		 * header: what remains is the SignedData */
		uint8_t *p = out->data + start;
		size_t skip = der_header_len(p);

		skip += 2 + 9;
		skip += der_header_len(p + skip);
		memmove(p, p + skip, out->len - start - skip);
		out->len -= skip;
	}
	if (r < 0)
		out->len = start;
out:
	vc_buf_fini(&sig);
	return r;
}

int vc_sign_roothash(const struct vc_sign_key *k, const uint8_t *roothash, size_t len,
		     unsigned flags, struct vc_buf *out, struct vc_error *err)
{
	char hex[2 * 64 + 1];

	if (len == 0 || len > 64)
		return vc_errorf(err, VC_EINVAL, "root hash of %zu bytes: 1 to 64 expected", len);
	/* Lowercase, no newline: what veritysetup prints, what systemd puts on
	 * the kernel command line and in the dm table, what the kernel checks. */
	vc_hex_encode(roothash, len, hex);
	return vc_sign_detached(k, hex, 2 * len, flags, out, err);
}

int vc_sign_dps_blob(const uint8_t *roothash, size_t roothash_len, const uint8_t *fingerprint,
		     const uint8_t *p7, size_t p7_len, struct vc_buf *out, struct vc_error *err)
{
	struct vc_buf b64 = {0};
	struct vc_json j;
	const char *text;
	size_t start = out->len;
	int r;

	if (roothash_len == 0 || roothash_len > 64)
		return vc_errorf(err, VC_EINVAL, "root hash of %zu bytes: 1 to 64 expected",
				 roothash_len);
	if (p7_len == 0)
		return vc_errorf(err, VC_EINVAL, "empty signature");
	r = vc_base64_encode(p7, p7_len, &b64, err);
	if (r < 0)
		return r;

	/* Compact, keys in systemd-repart's order, no trailing newline. */
	vc_json_init(&j, 0);
	vc_json_begin_object(&j);
	vc_json_key_hex(&j, "rootHash", roothash, roothash_len);
	if (fingerprint) {
		vc_json_key_hex(&j, "certificateFingerprint", fingerprint, 32);
	}
	vc_json_key(&j, "signature");
	vc_json_string_n(&j, (const char *)b64.data, b64.len);
	vc_json_end_object(&j);
	text = vc_json_finish(&j, err);
	if (!text) {
		r = err->code ? err->code : VC_ENOMEM;
		goto out;
	}
	size_t n = strlen(text);
	if (n && text[n - 1] == '\n')
		n--; /* vc_json_finish() adds one; the partition has none */
	/* At least one NUL after the text, as repart writes it. */
	size_t padded = VC_ROUND_UP(n + 1, (size_t)VC_SIGN_DPS_ALIGN);
	uint8_t *p = vc_buf_grow(out, padded, err); /* zero-filled */
	if (!p) {
		r = VC_ENOMEM;
		goto out;
	}
	memcpy(p, text, n);
	r = 0;
out:
	if (r < 0)
		out->len = start;
	vc_json_fini(&j);
	vc_buf_fini(&b64);
	return r;
}

void vc_sign_dps_fini(struct vc_sign_dps *d)
{
	free(d->p7);
	memset(d, 0, sizeof(*d));
}

/* The members of the parsed object into ret (its p7 still base64 in sg). */
static int dps_members(const struct vc_json_value *v, struct vc_sign_dps *ret,
		       const struct vc_json_value **ret_sg, struct vc_error *err)
{
	const struct vc_json_value *rh = vc_json_get(v, "rootHash"),
				   *fp = vc_json_get(v, "certificateFingerprint"),
				   *sg = vc_json_get(v, "signature");
	size_t fl;

	if (v->type != VC_JSON_OBJ)
		return vc_errorf(err, VC_EINVAL, "signature JSON: not an object");
	if (!rh || rh->type != VC_JSON_STR || strlen(rh->str) < 2 || strlen(rh->str) > 128 ||
	    strspn(rh->str, "0123456789abcdef") != strlen(rh->str))
		return vc_errorf(err, VC_EINVAL,
				 "signature JSON: \"rootHash\" missing or not lowercase hex");
	if (!sg || sg->type != VC_JSON_STR)
		return vc_errorf(err, VC_EINVAL, "signature JSON: \"signature\" missing");
	snprintf(ret->roothash, sizeof(ret->roothash), "%s", rh->str);
	if (fp && (fp->type != VC_JSON_STR ||
		   vc_hex_decode(fp->str, ret->fingerprint, 32, &fl, err) < 0 || fl != 32))
		return vc_errorf(err, VC_EINVAL,
				 "signature JSON: \"certificateFingerprint\" is not 64 hex digits");
	ret->has_fingerprint = fp != NULL;
	*ret_sg = sg;
	return 0;
}

int vc_sign_dps_parse(const uint8_t *blob, size_t len, struct vc_sign_dps *ret,
		      struct vc_error *err)
{
	const struct vc_json_value *sg = NULL;
	struct vc_json_value v;
	size_t n = 0;
	int r;

	memset(ret, 0, sizeof(*ret));
	while (n < len && blob[n])
		n++;
	for (size_t i = n; i < len; i++)
		if (blob[i])
			return vc_errorf(err, VC_EINVAL,
					 "signature JSON: non-zero byte at %zu after its end "
					 "(%zu)",
					 i, n);
	r = vc_json_parse((const char *)blob, n, &v, err);
	if (r < 0) {
		vc_error_prefix(err, "signature JSON");
		return r;
	}
	r = dps_members(&v, ret, &sg, err);
	if (r == 0) {
		r = vc_base64_decode(sg->str, &ret->p7, &ret->p7_len, err);
		if (r < 0)
			vc_error_prefix(err, "signature JSON: \"signature\"");
	}
	vc_json_value_free(&v);
	if (r < 0)
		vc_sign_dps_fini(ret);
	return r;
}
