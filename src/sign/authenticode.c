/* SPDX-License-Identifier: MIT */
/* Authenticode signatures for PE32 and PE32+ images.
 * Specs: Microsoft "Windows Authenticode Portable Executable Signature
 * Format" (2008), sections "Authenticode-Specific Structures" and
 * "Calculating the PE Image Hash"; Microsoft PE/COFF specification,
 * sections 3.4 (optional header, CheckSum), 3.4.3 (data directories),
 * 4.7 (the attribute certificate table, WIN_CERTIFICATE); RFC 2315.
 *
 * Layout of the result, as sbsign writes it: the image, zero-padded to a
 * multiple of 8 bytes (the padding is part of the hashed image), then one
 * WIN_CERTIFICATE { dwLength, wRevision 0x0200, wCertificateType 0x0002 (PKCS
 * SignedData) } holding the DER, itself zero-padded to 8 bytes; the security
 * directory entry points at it (file offset, padded size) and the CheckSum is
 * recomputed over the final bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pe/pe_disk.h"
#include "sign_priv.h"
#include "vcompose/endian.h"
#include "vcompose/pe.h"
#include "vcompose/sha256.h"
#include "vcompose/sink.h"

/* What Authenticode needs of a PE file, from the one PE parser (src/pe). */
struct pe_layout {
	struct vc_pe_image img;
	size_t checksum_off; /* OptionalHeader.CheckSum, 4 bytes */
	size_t certdir_off;  /* DataDirectory[4], 8 bytes */
	size_t headers_size; /* OptionalHeader.SizeOfHeaders */
	size_t data_len;     /* bytes before the certificate table */
	uint32_t cert_off, cert_size;
};

static int pe_parse(const uint8_t *pe, size_t len, struct pe_layout *l, struct vc_error *err)
{
	const struct vc_pe_image *img = &l->img;
	int r;

	memset(l, 0, sizeof(*l));
	r = vc_pe_parse(pe, len, "PE", &l->img, err);
	if (r < 0)
		return r;
	if (img->pe_offset % 8)
		return vc_errorf(err, VC_EUNSUPP, "PE: e_lfanew 0x%x is not 8-byte aligned",
				 img->pe_offset);
	if (!img->security_dir_offset)
		return vc_errorf(err, VC_EINVAL, "PE: no security data directory (%u directories)",
				 img->n_data_dirs);
	l->checksum_off = img->checksum_offset;
	l->certdir_off = img->security_dir_offset;
	l->headers_size = img->size_of_headers;
	l->cert_off = img->security_offset;
	l->cert_size = img->security_size;
	l->data_len = len;
	if (l->cert_size) {
		if (l->cert_off < l->headers_size)
			return vc_errorf(err, VC_EINVAL,
					 "PE: certificate table at 0x%x (+%u) lies in the headers",
					 l->cert_off, l->cert_size);
		if ((size_t)l->cert_off + l->cert_size != len)
			return vc_errorf(err, VC_EUNSUPP,
					 "PE: certificate table at 0x%x (+%u) is not at the end of "
					 "the file (%zu bytes)",
					 l->cert_off, l->cert_size, len);
		l->data_len = l->cert_off;
		if (img->end_of_raw_data > l->data_len)
			return vc_errorf(err, VC_EINVAL,
					 "PE: section data (to 0x%x) runs into the certificate "
					 "table at 0x%x",
					 img->end_of_raw_data, l->cert_off);
	}
	return 0;
}

static int cmp_sec(const void *a, const void *b)
{
	const uint32_t *x = a, *y = b; /* off, then size */

	if (x[0] != y[0])
		return x[0] < y[0] ? -1 : 1;
	if (x[1] != y[1])
		return x[1] < y[1] ? -1 : 1;
	return 0;
}

/* The image hash of the specification's steps 1-15 over pe[0, data_len),
 * where data_len may exceed the file by zero padding (pad bytes). */
static void pe_hash(const uint8_t *pe, const struct pe_layout *l, size_t data_len, uint8_t out[32])
{
	static const uint8_t zeros[8];
	struct vc_sha256 c;
	uint32_t(*sec)[2] = NULL;
	uint32_t sorted[VC_PE_MAX_SECTIONS][2];
	size_t n = 0, sum;

	vc_sha256_init(&c);
	vc_sha256_update(&c, pe, l->checksum_off);
	vc_sha256_update(&c, pe + l->checksum_off + 4, l->certdir_off - l->checksum_off - 4);
	vc_sha256_update(&c, pe + l->certdir_off + 8, l->headers_size - l->certdir_off - 8);
	sum = l->headers_size;

	/* Sections with raw data, in file order (by PointerToRawData). */
	for (size_t i = 0; i < l->img.n_sections; i++)
		if (l->img.sections[i].size_of_raw_data) {
			sorted[n][0] = l->img.sections[i].pointer_to_raw_data;
			sorted[n][1] = l->img.sections[i].size_of_raw_data;
			n++;
		}
	sec = sorted;
	qsort(sec, n, sizeof(sec[0]), cmp_sec);
	for (size_t i = 0; i < n; i++) {
		vc_sha256_update(&c, pe + sec[i][0], sec[i][1]);
		sum += sec[i][1];
	}
	/* Whatever follows, up to the certificate table: data after the last
	 * section, and our zero padding to 8 bytes. */
	if (sum < data_len) {
		size_t file_end = l->data_len < data_len ? l->data_len : data_len;
		if (sum < file_end)
			vc_sha256_update(&c, pe + sum, file_end - sum);
		for (size_t p = sum > file_end ? sum : file_end; p < data_len; p += 8) {
			size_t k = data_len - p < 8 ? data_len - p : 8;
			vc_sha256_update(&c, zeros, k);
		}
	}
	vc_sha256_final(&c, out);
}

int vc_sign_pe_digest(const uint8_t *pe, size_t len, uint8_t out[32], struct vc_error *err)
{
	struct pe_layout *l = malloc(sizeof(*l));
	int r;

	if (!l)
		return vc_errorf(err, VC_ENOMEM, "sign: out of memory");
	r = pe_parse(pe, len, l, err);
	if (r == 0)
		pe_hash(pe, l, l->data_len, out);
	free(l);
	return r;
}

/* A signed attribute: SEQUENCE { type, SET { value } }, into its own buffer. */
static int attr_encode(struct vc_buf *b, const char *oid, size_t oid_len, uint8_t tag,
		       const void *value, size_t value_len, struct vc_error *err)
{
	struct der d;

	der_init(&d, b, err);
	der_begin(&d);
	der_oid(&d, oid, oid_len);
	der_begin(&d);
	der_prim(&d, tag, value, value_len);
	der_end(&d, DER_SET);
	der_end(&d, DER_SEQUENCE);
	return der_finish(&d);
}

/* X.690 section 11.6: SET OF components in ascending order of their
 * encodings, compared as octet strings (a prefix sorts first). */
static int cmp_der(const void *a, const void *b)
{
	const struct vc_buf *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->data, y->data, n);

	if (c)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

/* SpcIndirectDataContent with SpcPeImageData (Authenticode spec):
 * SEQUENCE { SEQUENCE { spcPEImageData, SpcPeImageData ::= SEQUENCE {
 *   flags BIT STRING (empty), file [0] EXPLICIT SpcLink: [2] EXPLICIT
 *   SpcString: [0] IMPLICIT BMPString "<<<Obsolete>>>" } },
 *   DigestInfo SEQUENCE { sha256 with NULL, OCTET STRING digest } } */
static int idc_encode(struct vc_buf *b, const uint8_t digest[32], struct vc_error *err)
{
	static const char obsolete[] = "<<<Obsolete>>>";
	uint8_t bmp[2 * sizeof(obsolete)];
	uint8_t no_bits = 0; /* a BIT STRING of no bits: just the unused-bits octet */
	struct der d;

	for (size_t i = 0; i + 1 < sizeof(obsolete); i++) {
		bmp[2 * i] = 0;
		bmp[2 * i + 1] = (uint8_t)obsolete[i];
	}
	der_init(&d, b, err);
	der_begin(&d);
	der_begin(&d);
	DER_OID_LIT(&d, OID_SPC_PE_IMAGE_DATA);
	der_begin(&d);
	der_prim(&d, DER_BIT_STRING, &no_bits, 1);
	der_begin(&d);
	der_begin(&d);
	der_prim(&d, DER_CTX_PRIM(0), bmp, 2 * (sizeof(obsolete) - 1));
	der_end(&d, DER_CTX(2));
	der_end(&d, DER_CTX(0));
	der_end(&d, DER_SEQUENCE);
	der_end(&d, DER_SEQUENCE);
	der_begin(&d);
	der_algid(&d, OID_SHA256, sizeof(OID_SHA256) - 1, 1);
	der_prim(&d, DER_OCTET_STRING, digest, 32);
	der_end(&d, DER_SEQUENCE);
	der_end(&d, DER_SEQUENCE);
	return der_finish(&d);
}

/* X.509/RFC 5280 section 4.1.2.5 time as OpenSSL's X509_gmtime_adj writes
 * it: UTCTime "YYMMDDHHMMSSZ" for 1950..2049, else GeneralizedTime
 * "YYYYMMDDHHMMSSZ". The civil date from the day count is Howard Hinnant's
 * days_from_civil inverse (proleptic Gregorian, no time zone involved). */
static size_t der_time(int64_t t, uint8_t *tag, char out[32])
{
	int64_t days = t / 86400, sec = t % 86400;
	int64_t z = days + 719468, era = z / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t d = doy - (153 * mp + 2) / 5 + 1;
	int64_t m = mp < 10 ? mp + 3 : mp - 9;
	int64_t y = yoe + era * 400 + (m <= 2);
	int h = (int)(sec / 3600), mi = (int)(sec / 60 % 60), s = (int)(sec % 60);

	if (y >= 1950 && y <= 2049) {
		*tag = DER_UTC_TIME;
		snprintf(out, 32, "%02d%02d%02d%02d%02d%02dZ", (int)(y % 100), (int)m, (int)d, h,
			 mi, s);
		return 13;
	}
	*tag = DER_GEN_TIME;
	snprintf(out, 32, "%04d%02d%02d%02d%02d%02dZ", (int)(y % 10000), (int)m, (int)d, h, mi, s);
	return 15;
}

/* The SMIMECapabilities value OpenSSL 3.0's PKCS7_sign_add_signer() adds
 * (what sbsign signs with): aes-256-cbc, aes-192-cbc, aes-128-cbc,
 * des-ede3-cbc, rc2-cbc 128, rc2-cbc 64, des-cbc, rc2-cbc 40. */
static const uint8_t openssl_smime_caps[] = {
    0x30, 0x6a, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2a, 0x30,
    0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x16, 0x30, 0x0b, 0x06, 0x09,
    0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x02, 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48,
    0x86, 0xf7, 0x0d, 0x03, 0x07, 0x30, 0x0e, 0x06, 0x08, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x03,
    0x02, 0x02, 0x02, 0x00, 0x80, 0x30, 0x0d, 0x06, 0x08, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x03,
    0x02, 0x02, 0x01, 0x40, 0x30, 0x07, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x07, 0x30, 0x0d, 0x06,
    0x08, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x03, 0x02, 0x02, 0x01, 0x28};

/* An attribute whose value is already DER (a SEQUENCE). */
static int attr_encode_raw(struct vc_buf *b, const char *oid, size_t oid_len, const void *value,
			   size_t value_len, struct vc_error *err)
{
	struct der a;

	der_init(&a, b, err);
	der_begin(&a);
	der_oid(&a, oid, oid_len);
	der_begin(&a);
	der_raw(&a, value, value_len);
	der_end(&a, DER_SET);
	der_end(&a, DER_SEQUENCE);
	return der_finish(&a);
}

static int authenticode_signed_data(const struct vc_sign_key *k, const uint8_t digest[32],
				    const struct vc_sign_pe_options *o, struct vc_buf *out,
				    struct vc_error *err)
{
	struct vc_buf idc = {0}, attrs[4] = {{0}}, set = {0}, sig = {0};
	size_t n_attrs = 3;
	uint8_t md[32], h[32];
	struct der d;
	size_t hl;
	int r;

	r = idc_encode(&idc, digest, err);
	if (r < 0)
		goto out;
	/* messageDigest covers the content octets of SpcIndirectDataContent,
	 * without its own tag and length (Authenticode spec, "signerInfos"). */
	hl = der_header_len(idc.data);
	vc_sha256(idc.data + hl, idc.len - hl, md);

	r = attr_encode(&attrs[0], OID_CONTENT_TYPE, sizeof(OID_CONTENT_TYPE) - 1, DER_OID,
			OID_SPC_INDIRECT_DATA, sizeof(OID_SPC_INDIRECT_DATA) - 1, err);
	if (r == 0)
		r = attr_encode(&attrs[1], OID_MESSAGE_DIGEST, sizeof(OID_MESSAGE_DIGEST) - 1,
				DER_OCTET_STRING, md, 32, err);
	if (r == 0 && o && o->have_signing_time) {
		/* sbsign's set: OpenSSL adds signingTime (PKCS7_dataFinal) and
		 * SMIMECapabilities (PKCS7_sign_add_signer) */
		char t[32];
		uint8_t tag;
		size_t tl = der_time(o->signing_time, &tag, t);

		r = attr_encode(&attrs[2], OID_SIGNING_TIME, sizeof(OID_SIGNING_TIME) - 1, tag, t,
				tl, err);
		if (r == 0)
			r = attr_encode_raw(&attrs[3], OID_SMIME_CAPS, sizeof(OID_SMIME_CAPS) - 1,
					    openssl_smime_caps, sizeof(openssl_smime_caps), err);
		n_attrs = 4;
	} else if (r == 0) {
		/* SpcSpOpusInfo ::= SEQUENCE { programName [0] OPTIONAL,
		 * moreInfo [1] OPTIONAL }: both left out. */
		static const uint8_t empty_seq[] = {0x30, 0x00};

		r = attr_encode_raw(&attrs[2], OID_SPC_SP_OPUS_INFO,
				    sizeof(OID_SPC_SP_OPUS_INFO) - 1, empty_seq, sizeof(empty_seq),
				    err);
	}
	if (r < 0)
		goto out;
	qsort(attrs, n_attrs, sizeof(attrs[0]), cmp_der);

	/* The signature covers the attributes encoded as a SET OF (RFC 2315
	 * section 9.3), though they are stored with the [0] IMPLICIT tag. */
	der_init(&d, &set, err);
	der_begin(&d);
	for (size_t i = 0; i < n_attrs; i++)
		der_raw(&d, attrs[i].data, attrs[i].len);
	der_end(&d, DER_SET);
	r = der_finish(&d);
	if (r < 0)
		goto out;
	vc_sha256(set.data, set.len, h);
	r = sign_key_sign_sha256(k, h, &sig, err);
	if (r < 0)
		goto out;

	der_init(&d, out, err);
	der_signed_data_begin(&d);
	der_begin(&d); /* contentInfo */
	DER_OID_LIT(&d, OID_SPC_INDIRECT_DATA);
	der_begin(&d);
	der_raw(&d, idc.data, idc.len);
	der_end(&d, DER_CTX(0));
	der_end(&d, DER_SEQUENCE);
	der_begin(&d); /* certificates: the signer's, then the chain, in file order */
	{
		const uint8_t *c;
		size_t cl;

		sign_key_cert(k, &c, &cl);
		der_raw(&d, c, cl);
		for (size_t i = 0; i < sign_key_n_chain(k); i++) {
			sign_key_chain(k, i, &c, &cl);
			der_raw(&d, c, cl);
		}
	}
	der_end(&d, DER_CTX(0));
	der_begin(&d); /* signerInfos */
	der_begin(&d);
	der_small_int(&d, 1);
	sign_write_issuer_serial(k, &d);
	der_algid(&d, OID_SHA256, sizeof(OID_SHA256) - 1, 1);
	der_begin(&d);
	for (size_t i = 0; i < n_attrs; i++)
		der_raw(&d, attrs[i].data, attrs[i].len);
	der_end(&d, DER_CTX(0));
	sign_key_write_sigalg(k, &d);
	der_prim(&d, DER_OCTET_STRING, sig.data, sig.len);
	der_end(&d, DER_SEQUENCE); /* SignerInfo */
	der_end(&d, DER_SET);
	der_signed_data_end(&d);
	r = der_finish(&d);
out:
	vc_buf_fini(&idc);
	for (size_t i = 0; i < VC_ARRAY_SIZE(attrs); i++)
		vc_buf_fini(&attrs[i]);
	vc_buf_fini(&set);
	vc_buf_fini(&sig);
	return r;
}

int vc_sign_pe_plan(const struct vc_sign_key *k, const uint8_t *pe, size_t len,
		    const struct vc_sign_pe_options *o, struct vc_sign_pe_plan *ret,
		    struct vc_error *err)
{
	unsigned flags = o ? o->flags : 0;
	struct vc_sign_pe_plan p = {0};
	struct pe_layout *l;
	struct vc_buf p7 = {0};
	size_t padded, cert_len;
	uint8_t *c;
	int r;

	l = malloc(sizeof(*l));
	if (!l)
		return vc_errorf(err, VC_ENOMEM, "sign: out of memory");
	r = pe_parse(pe, len, l, err);
	if (r < 0)
		goto out;
	if (l->cert_size && !(flags & VC_SIGN_REPLACE)) {
		r = vc_errorf(err, VC_EINVAL,
			      "PE is already signed (%u bytes of certificates at 0x%x); "
			      "--replace drops the old signature",
			      l->cert_size, l->cert_off);
		goto out;
	}
	padded = VC_ROUND_UP(l->data_len, (size_t)8);
	if (padded > UINT32_MAX) {
		r = vc_errorf(err, VC_ERANGE, "PE of %zu bytes: too large to sign", padded);
		goto out;
	}
	pe_hash(pe, l, padded, p.digest);
	if (o && o->have_signing_time && o->signing_time < 0) {
		r = vc_errorf(err, VC_EINVAL, "signing time %lld: before 1970",
			      (long long)o->signing_time);
		goto out;
	}
	r = authenticode_signed_data(k, p.digest, o, &p7, err);
	if (r < 0)
		goto out;
	cert_len = VC_ROUND_UP(8 + p7.len, (size_t)8);
	if (cert_len > UINT32_MAX - padded) {
		r = vc_errorf(err, VC_ERANGE, "signed PE too large");
		goto out;
	}
	c = vc_buf_grow(&p.cert, cert_len, err); /* zero-filled: the padding */
	if (!c) {
		r = VC_ENOMEM;
		goto out;
	}
	/* WIN_CERTIFICATE: dwLength counts the header and the DER, not the pad. */
	struct win_certificate_disk *wc = (void *)c;
	vc_put_le32(wc->dw_length, (uint32_t)(sizeof(*wc) + p7.len));
	vc_put_le16(wc->w_revision, WIN_CERT_REVISION_2_0);
	vc_put_le16(wc->w_certificate_type, WIN_CERT_TYPE_PKCS_SIGNED_DATA);
	memcpy(c + sizeof(*wc), p7.data, p7.len);

	p.image_len = l->data_len;
	p.padded_len = padded;
	p.total_len = padded + cert_len;
	p.checksum_off = l->checksum_off;
	p.certdir_off = l->certdir_off;
	vc_put_le32(p.certdir, (uint32_t)padded);
	vc_put_le32(p.certdir + 4, (uint32_t)cert_len);

	/* CheckSum of the result without building it: the kept image with the
	 * new security entry and without the CheckSum field, zero padding
	 * (adds nothing; an odd image ends in a low byte either way), the
	 * certificate table (starts 8-aligned), then the size. */
	uint64_t sum = vc_pe_checksum_add(0, pe, l->checksum_off, 0);
	size_t after_ck = l->checksum_off + 4, after_dir = l->certdir_off + 8;
	sum = vc_pe_checksum_add(sum, pe + after_ck, l->certdir_off - after_ck, after_ck);
	sum = vc_pe_checksum_add(sum, p.certdir, 8, l->certdir_off);
	sum = vc_pe_checksum_add(sum, pe + after_dir, l->data_len - after_dir, after_dir);
	sum = vc_pe_checksum_add(sum, c, cert_len, padded);
	vc_put_le32(p.checksum, vc_pe_checksum_finish(sum, p.total_len));
	*ret = p;
	p.cert = (struct vc_buf){0};
	r = 0;
out:
	vc_buf_fini(&p.cert);
	vc_buf_fini(&p7);
	free(l);
	return r;
}

void vc_sign_pe_plan_fini(struct vc_sign_pe_plan *p)
{
	vc_buf_fini(&p->cert);
}

int vc_sign_pe_write(const struct vc_sign_pe_plan *p, const uint8_t *pe, const struct vc_sink *s,
		     struct vc_error *err)
{
	static const uint8_t zeros[8];
	int r;

	r = vc_sink_pwrite(s, pe, p->image_len, 0, err);
	if (r == 0 && p->padded_len > p->image_len)
		r = vc_sink_pwrite(s, zeros, p->padded_len - p->image_len, p->image_len, err);
	if (r == 0)
		r = vc_sink_pwrite(s, p->checksum, 4, p->checksum_off, err);
	if (r == 0)
		r = vc_sink_pwrite(s, p->certdir, 8, p->certdir_off, err);
	if (r == 0)
		r = vc_sink_pwrite(s, p->cert.data, p->cert.len, p->padded_len, err);
	return r;
}

int vc_sign_pe(const struct vc_sign_key *k, const uint8_t *pe, size_t len,
	       const struct vc_sign_pe_options *o, struct vc_buf *out, struct vc_error *err)
{
	struct vc_sign_pe_plan p;
	uint8_t *img;
	int r;

	r = vc_sign_pe_plan(k, pe, len, o, &p, err);
	if (r < 0)
		return r;
	img = vc_buf_grow(out, p.total_len, err); /* zero-filled */
	if (!img) {
		r = VC_ENOMEM;
		goto out;
	}
	memcpy(img, pe, p.image_len);
	memcpy(img + p.checksum_off, p.checksum, 4);
	memcpy(img + p.certdir_off, p.certdir, 8);
	memcpy(img + p.padded_len, p.cert.data, p.cert.len);
out:
	vc_sign_pe_plan_fini(&p);
	return r;
}

int vc_sign_pe_verify(const uint8_t *pe, size_t len, const char *cert_path,
		      struct vc_sign_pe_check *ret, struct vc_error *err)
{
	struct vc_sign_pe_check c;
	struct pe_layout *l = malloc(sizeof(*l));
	struct vc_error e = {0};
	const uint8_t *d;
	size_t dl;
	int r;

	memset(&c, 0, sizeof(c));
	if (!l)
		return vc_errorf(err, VC_ENOMEM, "sign: out of memory");
	r = pe_parse(pe, len, l, err);
	if (r < 0)
		goto out;
	pe_hash(pe, l, l->data_len, c.digest);
	if (!l->cert_size) {
		snprintf(c.why, sizeof(c.why), "not signed (no certificate table)");
		goto done;
	}
	/* WIN_CERTIFICATE: dwLength (header + DER), revision 2.0, PKCS SignedData */
	const uint8_t *w = pe + l->cert_off;
	const struct win_certificate_disk *wc = (const void *)w;
	uint32_t wl = l->cert_size >= sizeof(*wc) ? vc_get_le32(wc->dw_length) : 0;
	if (wl < sizeof(*wc) || wl > l->cert_size ||
	    vc_get_le16(wc->w_revision) != WIN_CERT_REVISION_2_0 ||
	    vc_get_le16(wc->w_certificate_type) != WIN_CERT_TYPE_PKCS_SIGNED_DATA) {
		snprintf(c.why, sizeof(c.why),
			 "not signed: the certificate table holds no WIN_CERTIFICATE of a PKCS "
			 "SignedData (revision 2.0)");
		goto done;
	}
	c.is_signed = true;
	if (sign_p7_authenticode(w + sizeof(*wc), wl - sizeof(*wc), NULL, &d, &dl, &c.signer, &e) <
	    0) {
		snprintf(c.why, sizeof(c.why), "%.390s", e.msg);
		goto done;
	}
	c.digest_ok = dl == 32 && memcmp(d, c.digest, 32) == 0;
	if (!c.digest_ok) {
		snprintf(c.why, sizeof(c.why),
			 "the image digest differs from the one signed: the file was changed "
			 "after it was signed");
		goto done;
	}
	if (cert_path && sign_p7_authenticode(w + sizeof(*wc), wl - sizeof(*wc), cert_path, &d, &dl,
					      &c.signer, &e) < 0) {
		snprintf(c.why, sizeof(c.why), "%.390s", e.msg);
		goto done;
	}
	c.verified = true;
done:
	*ret = c;
	r = 0;
out:
	free(l);
	return r;
}
