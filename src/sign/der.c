/* SPDX-License-Identifier: MIT */
/* Forward DER writer. Spec: ITU-T X.690 (02/2021), section 10 (DER): definite
 * lengths in the fewest octets; headers encoded with mbedtls asn1write. */
#include <string.h>

#include <mbedtls/asn1write.h>

#include "der_priv.h"

void der_init(struct der *d, struct vc_buf *out, struct vc_error *err)
{
	memset(d, 0, sizeof(*d));
	d->out = out;
	d->err = err;
}

static void der_fail(struct der *d, int code)
{
	if (!d->failed)
		d->failed = code;
}

void der_begin(struct der *d)
{
	if (d->depth >= DER_DEPTH_MAX) {
		vc_errorf(d->err, VC_ERANGE, "der: nesting deeper than %d", DER_DEPTH_MAX);
		der_fail(d, VC_ERANGE);
		return;
	}
	d->open[d->depth++] = d->out->len;
}

/* Writes tag and length into the end of hdr (asn1write goes backwards);
 * returns the header length. */
static size_t der_header(uint8_t hdr[16], uint8_t tag, size_t len)
{
	unsigned char *p = hdr + 16;
	int n = mbedtls_asn1_write_len(&p, hdr, len);
	int m = mbedtls_asn1_write_tag(&p, hdr, tag);

	/* 16 bytes always hold a tag and a length of a size_t */
	return n > 0 && m > 0 ? (size_t)(n + m) : 0;
}

void der_end(struct der *d, uint8_t tag)
{
	uint8_t hdr[16];
	size_t start, len, hl;

	if (d->depth <= 0) {
		vc_errorf(d->err, VC_EINVAL, "der: end without begin");
		der_fail(d, VC_EINVAL);
		return;
	}
	start = d->open[--d->depth];
	if (d->failed)
		return;
	len = d->out->len - start;
	hl = der_header(hdr, tag, len);
	if (!hl || !vc_buf_grow(d->out, hl, d->err)) {
		der_fail(d, VC_ENOMEM);
		return;
	}
	memmove(d->out->data + start + hl, d->out->data + start, len);
	memcpy(d->out->data + start, hdr + 16 - hl, hl);
}

void der_raw(struct der *d, const void *bytes, size_t len)
{
	if (d->failed)
		return;
	if (vc_buf_append(d->out, bytes, len, d->err) < 0)
		der_fail(d, VC_ENOMEM);
}

void der_prim(struct der *d, uint8_t tag, const void *content, size_t len)
{
	uint8_t hdr[16];
	size_t hl;

	if (d->failed)
		return;
	hl = der_header(hdr, tag, len);
	der_raw(d, hdr + 16 - hl, hl);
	der_raw(d, content, len);
}

void der_oid(struct der *d, const char *oid, size_t len)
{
	der_prim(d, DER_OID, oid, len);
}

void der_small_int(struct der *d, uint8_t v)
{
	/* values below 0x80 need no sign octet */
	der_prim(d, DER_INTEGER, &v, 1);
}

void der_algid(struct der *d, const char *oid, size_t len, int with_null)
{
	der_begin(d);
	der_oid(d, oid, len);
	if (with_null)
		der_prim(d, DER_NULL, NULL, 0);
	der_end(d, DER_SEQUENCE);
}

void der_signed_data_begin(struct der *d)
{
	der_begin(d); /* ContentInfo */
	DER_OID_LIT(d, OID_PKCS7_SIGNED);
	der_begin(d); /* [0] EXPLICIT */
	der_begin(d); /* SignedData */
	der_small_int(d, 1);
	der_begin(d);
	der_algid(d, OID_SHA256, sizeof(OID_SHA256) - 1, 1);
	der_end(d, DER_SET);
}

void der_signed_data_end(struct der *d)
{
	der_end(d, DER_SEQUENCE); /* SignedData */
	der_end(d, DER_CTX(0));
	der_end(d, DER_SEQUENCE); /* ContentInfo */
}

size_t der_header_len(const uint8_t *p)
{
	return p[1] < 0x80 ? 2 : 2 + (size_t)(p[1] & 0x7f);
}

int der_finish(struct der *d)
{
	if (!d->failed && d->depth != 0) {
		vc_errorf(d->err, VC_EINVAL, "der: %d values left open", d->depth);
		der_fail(d, VC_EINVAL);
	}
	return d->failed;
}
