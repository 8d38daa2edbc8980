/* SPDX-License-Identifier: MIT */
/* EFI signature lists and EFI_VARIABLE_AUTHENTICATION_2 updates: see
 * include/vcompose/efivar.h. Spec: UEFI 2.10 sections 8.2.1, 8.2.2, 8.3,
 * 32.4.1; the bytes of efitools 1.9 (cert-to-efi-sig-list,
 * sign-efi-sig-list -t) for the same inputs. */
#include <string.h>

#include "efivar_disk.h"
#include "vcompose/efivar.h"
#include "vcompose/endian.h"

const uint8_t vc_efivar_global_guid[16] = {0x8b, 0xe4, 0xdf, 0x61, 0x93, 0xca, 0x11, 0xd2,
					   0xaa, 0x0d, 0x00, 0xe0, 0x98, 0x03, 0x2b, 0x8c};
const uint8_t vc_efivar_image_db_guid[16] = {0xd7, 0x19, 0xb2, 0xcb, 0x3d, 0x3a, 0x45, 0x96,
					     0xa3, 0xbc, 0xda, 0xd0, 0x0e, 0x67, 0x65, 0x6f};
const uint8_t vc_efivar_cert_x509_guid[16] = {0xa5, 0xc0, 0x59, 0xa1, 0x94, 0xe4, 0x4a, 0xa7,
					      0x87, 0xb5, 0xab, 0x15, 0x5c, 0x2b, 0xf0, 0x72};
const uint8_t vc_efivar_cert_sha256_guid[16] = {0xc1, 0xc4, 0x16, 0x26, 0x50, 0x4c, 0x40, 0x92,
						0xac, 0xa9, 0x41, 0xf9, 0x36, 0x93, 0x43, 0x28};
const uint8_t vc_efivar_pkcs7_guid[16] = {0x4a, 0xaf, 0xd2, 0x9d, 0x68, 0xdf, 0x49, 0xee,
					  0x8a, 0xa9, 0x34, 0x7d, 0x37, 0x56, 0x65, 0xa7};

/* RFC 4122 order <-> EFI_GUID's mixed-endian bytes (the swap is its own
 * inverse). */
static void guid_swap(uint8_t out[16], const uint8_t in[16])
{
	static const uint8_t order[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};

	for (int i = 0; i < 16; i++)
		out[i] = in[order[i]];
}

int vc_efivar_time(int64_t t, uint8_t out[16], struct vc_error *err)
{
	struct efi_time_disk d;

	/* 253402300799 = 9999-12-31T23:59:59Z, EFI_TIME's last year */
	if (t < 0 || t > INT64_C(253402300799))
		return vc_errorf(err, VC_ERANGE,
				 "time %lld: outside 1970..9999, which EFI_TIME cannot hold",
				 (long long)t);
	/* civil date from days (H. Hinnant's civil_from_days) */
	int64_t days = t / 86400, sec = t % 86400;
	int64_t z = days + 719468, era = z / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t m = mp < 10 ? mp + 3 : mp - 9;

	memset(&d, 0, sizeof(d));
	vc_put_le16(d.year, (uint16_t)(yoe + era * 400 + (m <= 2)));
	d.month = (uint8_t)m;
	d.day = (uint8_t)(doy - (153 * mp + 2) / 5 + 1);
	d.hour = (uint8_t)(sec / 3600);
	d.minute = (uint8_t)(sec / 60 % 60);
	d.second = (uint8_t)(sec % 60);
	memcpy(out, &d, sizeof(d));
	return 0;
}

int vc_efivar_esl_x509(const uint8_t owner[16], const uint8_t *der, size_t der_len,
		       struct vc_buf *out, struct vc_error *err)
{
	struct efi_sig_list_disk h;
	size_t total = sizeof(h) + EFI_SIG_DATA_OWNER + der_len;
	uint8_t *p;

	if (der_len == 0 || total > UINT32_MAX)
		return vc_errorf(err, VC_EINVAL, "signature list: a certificate of %zu bytes",
				 der_len);
	guid_swap(h.signature_type, vc_efivar_cert_x509_guid);
	vc_put_le32(h.signature_list_size, (uint32_t)total);
	vc_put_le32(h.signature_header_size, 0);
	vc_put_le32(h.signature_size, (uint32_t)(EFI_SIG_DATA_OWNER + der_len));
	p = vc_buf_grow(out, total, err);
	if (!p)
		return VC_ENOMEM;
	memcpy(p, &h, sizeof(h));
	guid_swap(p + sizeof(h), owner); /* EFI_SIGNATURE_DATA.SignatureOwner */
	memcpy(p + sizeof(h) + EFI_SIG_DATA_OWNER, der, der_len);
	return 0;
}

int vc_efivar_auth2(const struct vc_sign_key *k, const char *name, const uint8_t guid[16],
		    uint32_t attrs, int64_t t, const uint8_t *data, size_t len, struct vc_buf *out,
		    struct vc_error *err)
{
	struct efi_var_auth2_disk h;
	struct vc_buf signed_ = {0}, p7 = {0};
	size_t n = strlen(name), start = out->len;
	uint8_t g[16], a[4], *p;
	int r;

	if (n == 0 || n > VC_EFIVAR_NAME_MAX)
		return vc_errorf(err, VC_EINVAL, "variable name '%s': 1 to %d characters", name,
				 VC_EFIVAR_NAME_MAX);
	memset(&h, 0, sizeof(h));
	r = vc_efivar_time(t, (uint8_t *)&h.timestamp, err);
	if (r < 0)
		return r;
	/* The signed bundle, section 8.2.2 step 2: VariableName (no NUL),
	 * VendorGuid, Attributes, TimeStamp, Data. */
	for (size_t i = 0; r == 0 && i < n; i++) {
		uint8_t c[2] = {(uint8_t)name[i], 0};
		if ((uint8_t)name[i] < 0x20 || (uint8_t)name[i] > 0x7e)
			r = vc_errorf(err, VC_EINVAL, "variable name: not printable ASCII");
		else
			r = vc_buf_append(&signed_, c, 2, err);
	}
	guid_swap(g, guid);
	vc_put_le32(a, attrs);
	if (r == 0)
		r = vc_buf_append(&signed_, g, 16, err);
	if (r == 0)
		r = vc_buf_append(&signed_, a, 4, err);
	if (r == 0)
		r = vc_buf_append(&signed_, &h.timestamp, 16, err);
	if (r == 0 && len)
		r = vc_buf_append(&signed_, data, len, err);
	if (r == 0)
		r = vc_sign_detached(k, signed_.data, signed_.len,
				     VC_SIGN_INCLUDE_CERT | VC_SIGN_BARE, &p7, err);
	if (r < 0)
		goto out;
	if (p7.len > UINT32_MAX - EFI_WIN_CERT_GUID_HDR) {
		r = vc_errorf(err, VC_ERANGE, "authenticated variable: signature too large");
		goto out;
	}
	vc_put_le32(h.dw_length, (uint32_t)(EFI_WIN_CERT_GUID_HDR + p7.len));
	vc_put_le16(h.w_revision, WIN_CERT_REVISION_2_0);
	vc_put_le16(h.w_certificate_type, WIN_CERT_TYPE_EFI_GUID);
	guid_swap(h.cert_type, vc_efivar_pkcs7_guid);
	p = vc_buf_grow(out, sizeof(h) + p7.len + len, err);
	if (!p) {
		r = VC_ENOMEM;
		goto out;
	}
	memcpy(p, &h, sizeof(h));
	memcpy(p + sizeof(h), p7.data, p7.len);
	if (len)
		memcpy(p + sizeof(h) + p7.len, data, len);
out:
	if (r < 0)
		out->len = start;
	vc_buf_fini(&signed_);
	vc_buf_fini(&p7);
	return r;
}

const char *vc_efivar_sb_name(enum vc_efivar_sb_var v)
{
	return v == VC_EFIVAR_PK ? "PK" : v == VC_EFIVAR_KEK ? "KEK" : "db";
}

int vc_efivar_sb_auth(const struct vc_sign_key *signer, enum vc_efivar_sb_var v,
		      const uint8_t *cert_der, size_t cert_len, const uint8_t owner[16], int64_t t,
		      struct vc_buf *out, struct vc_error *err)
{
	struct vc_buf esl = {0};
	int r = vc_efivar_esl_x509(owner, cert_der, cert_len, &esl, err);

	if (r == 0)
		r = vc_efivar_auth2(signer, vc_efivar_sb_name(v),
				    v == VC_EFIVAR_DB ? vc_efivar_image_db_guid
						      : vc_efivar_global_guid,
				    VC_EFIVAR_SB_ATTRS, t, esl.data, esl.len, out, err);
	if (r < 0)
		vc_error_prefix(err, "%s.auth", vc_efivar_sb_name(v));
	vc_buf_fini(&esl);
	return r;
}

int vc_efivar_auth_parse(const uint8_t *buf, size_t len, struct vc_efivar_auth_info *ret,
			 struct vc_error *err)
{
	struct vc_efivar_auth_info info;
	struct efi_var_auth2_disk h;
	uint8_t g[16];
	size_t off;

	memset(&info, 0, sizeof(info));
	if (len < sizeof(h))
		return vc_errorf(err, VC_EINVAL, "authenticated variable: %zu bytes, no header",
				 len);
	memcpy(&h, buf, sizeof(h));
	info.year = vc_get_le16(h.timestamp.year);
	info.month = h.timestamp.month;
	info.day = h.timestamp.day;
	info.hour = h.timestamp.hour;
	info.minute = h.timestamp.minute;
	info.second = h.timestamp.second;
	info.cert_len = vc_get_le32(h.dw_length);
	if (vc_get_le16(h.w_revision) != WIN_CERT_REVISION_2_0 ||
	    vc_get_le16(h.w_certificate_type) != WIN_CERT_TYPE_EFI_GUID)
		return vc_errorf(err, VC_EINVAL,
				 "authenticated variable: WIN_CERTIFICATE revision 0x%04x type "
				 "0x%04x, expected 0x0200 0x0ef1",
				 vc_get_le16(h.w_revision), vc_get_le16(h.w_certificate_type));
	guid_swap(g, h.cert_type);
	if (memcmp(g, vc_efivar_pkcs7_guid, 16) != 0)
		return vc_errorf(
		    err, VC_EINVAL,
		    "authenticated variable: CertType is not EFI_CERT_TYPE_PKCS7_GUID");
	if (info.cert_len < EFI_WIN_CERT_GUID_HDR || info.cert_len > len - 16)
		return vc_errorf(err, VC_EINVAL,
				 "authenticated variable: dwLength %u outside the file (%zu bytes)",
				 info.cert_len, len);
	info.p7 = buf + sizeof(h);
	info.p7_len = info.cert_len - EFI_WIN_CERT_GUID_HDR;
	off = 16 + (size_t)info.cert_len;
	while (off < len) {
		struct efi_sig_list_disk l;
		uint32_t lsize, hsize, ssize;

		if (len - off < sizeof(l))
			return vc_errorf(err, VC_EINVAL,
					 "signature list at %zu: %zu bytes, header needs 28", off,
					 len - off);
		memcpy(&l, buf + off, sizeof(l));
		lsize = vc_get_le32(l.signature_list_size);
		hsize = vc_get_le32(l.signature_header_size);
		ssize = vc_get_le32(l.signature_size);
		if (lsize > len - off || lsize < sizeof(l) || hsize > lsize - sizeof(l) ||
		    ssize < EFI_SIG_DATA_OWNER || (lsize - sizeof(l) - hsize) % ssize != 0)
			return vc_errorf(err, VC_EINVAL,
					 "signature list at %zu: SignatureListSize %u, "
					 "SignatureHeaderSize %u, SignatureSize %u do not fit "
					 "(%zu bytes left)",
					 off, lsize, hsize, ssize, len - off);
		for (size_t e = off + sizeof(l) + hsize; e < off + lsize; e += ssize) {
			if (info.n_entries < VC_EFIVAR_LIST_MAX) {
				size_t i = info.n_entries;
				guid_swap(info.e[i].type, l.signature_type);
				guid_swap(info.e[i].owner, buf + e);
				info.e[i].data = buf + e + EFI_SIG_DATA_OWNER;
				info.e[i].len = ssize - EFI_SIG_DATA_OWNER;
			}
			info.n_entries++;
		}
		off += lsize;
	}
	*ret = info;
	return 0;
}
