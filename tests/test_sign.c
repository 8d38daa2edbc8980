/* SPDX-License-Identifier: MIT */
/* Unit tests for src/sign: the DER writer, base64 (RFC 4648 section 10), the
 * known answers of vectors/sign (openssl smime and systemd-repart output),
 * the DPS blob, and Authenticode on a small synthetic PE32+ image. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../src/sign/der_priv.h"
#include "vcompose/endian.h"
#include "vcompose/sha256.h"
#include "vcompose/sign.h"
#include "vcompose/util.h"
#include "test_util.h"

#define VEC VC_SOURCE_DIR "/vectors/sign/"

static void read_vec(const char *name, struct vc_buf *b)
{
	char path[512];

	snprintf(path, sizeof(path), VEC "%s", name);
	vc_test_read(path, b);
}

static struct vc_sign_key *test_key(void)
{
	struct vc_sign_key_options o = {
	    .key_path = VEC "TEST-ONLY-rsa2048.key",
	    .cert_path = VEC "TEST-ONLY-rsa2048.crt",
	};
	struct vc_error err = {0};
	struct vc_sign_key *k = NULL;

	if (vc_sign_key_load(&o, &k, &err) < 0)
		fail_msg("%s", err.msg);
	return k;
}

static void der_length_forms(void **state)
{
	static uint8_t zeros[70000];
	struct vc_error err = {0};
	struct vc_buf b = {0};
	struct der d;
	(void)state;

	der_init(&d, &b, &err);
	der_prim(&d, DER_OCTET_STRING, zeros, 127); /* short form */
	assert_int_equal(b.len, 2 + 127);
	assert_memory_equal(b.data, "\x04\x7f", 2);
	b.len = 0;
	der_prim(&d, DER_OCTET_STRING, zeros, 128); /* long form, one octet */
	assert_memory_equal(b.data, "\x04\x81\x80", 3);
	b.len = 0;
	der_prim(&d, DER_OCTET_STRING, zeros, 256); /* two octets */
	assert_memory_equal(b.data, "\x04\x82\x01\x00", 4);
	b.len = 0;
	der_prim(&d, DER_OCTET_STRING, zeros, 65536); /* three octets */
	assert_memory_equal(b.data, "\x04\x83\x01\x00\x00", 5);
	b.len = 0;
	/* nested: SEQUENCE { NULL, SET { INTEGER 1 } } */
	der_begin(&d);
	der_prim(&d, DER_NULL, NULL, 0);
	der_begin(&d);
	der_small_int(&d, 1);
	der_end(&d, DER_SET);
	der_end(&d, DER_SEQUENCE);
	assert_int_equal(der_finish(&d), 0);
	assert_int_equal(b.len, 9);
	assert_memory_equal(b.data, "\x30\x07\x05\x00\x31\x03\x02\x01\x01", 9);
	/* a header that grows past one length octet when closed */
	b.len = 0;
	der_begin(&d);
	der_prim(&d, DER_OCTET_STRING, zeros, 200);
	der_end(&d, DER_SEQUENCE);
	assert_int_equal(der_finish(&d), 0);
	assert_memory_equal(b.data, "\x30\x81\xcb\x04\x81\xc8", 6);
	assert_int_equal(b.len, 3 + 3 + 200);
	/* unbalanced end is an error */
	der_end(&d, DER_SEQUENCE);
	assert_int_not_equal(der_finish(&d), 0);
	vc_buf_fini(&b);
}

static void roothash_matches_openssl_smime(void **state)
{
	struct vc_sign_key *k = test_key();
	struct vc_buf rh, want, got = {0};
	struct vc_error err = {0};
	uint8_t bin[32];
	size_t n;
	(void)state;

	read_vec("roothash.txt", &rh);
	assert_int_equal(rh.len, 64);
	assert_int_equal(vc_hex_decode((const char *)rh.data, bin, 32, &n, &err), 0);

	read_vec("roothash-rsa2048-nocerts.p7s", &want);
	assert_int_equal(vc_sign_roothash(k, bin, n, 0, &got, &err), 0);
	assert_int_equal(got.len, want.len);
	assert_memory_equal(got.data, want.data, want.len);
	vc_buf_fini(&want);

	read_vec("roothash-rsa2048-cert.p7s", &want);
	got.len = 0;
	assert_int_equal(vc_sign_roothash(k, bin, n, VC_SIGN_INCLUDE_CERT, &got, &err), 0);
	assert_int_equal(got.len, want.len);
	assert_memory_equal(got.data, want.data, want.len);

	/* the same over the text directly */
	struct vc_buf d = {0};
	assert_int_equal(vc_sign_detached(k, rh.data, rh.len, VC_SIGN_INCLUDE_CERT, &d, &err), 0);
	assert_int_equal(d.len, want.len);
	assert_memory_equal(d.data, want.data, want.len);

	/* a root hash out of range is refused */
	assert_int_equal(vc_sign_roothash(k, bin, 0, 0, &d, &err), VC_EINVAL);
	vc_buf_fini(&d);
	vc_buf_fini(&rh);
	vc_buf_fini(&want);
	vc_buf_fini(&got);
	vc_sign_key_free(k);
}

/* RFC 6979 appendix A.2.5: P-256, SHA-256, message "sample": deterministic
 * ECDSA must give exactly this (r, s), here as the signature inside a PKCS#7
 * over "sample" (the SignerInfo's encryptedDigest ends the DER). */
static void ecdsa_rfc6979_known_answer(void **state)
{
	static const char r_hex[] =
	    "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716";
	static const char s_hex[] =
	    "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8";
	struct vc_sign_key_options o = {
	    .key_path = VEC "TEST-ONLY-rfc6979-p256.key",
	    .cert_path = VEC "TEST-ONLY-rfc6979-p256.crt",
	};
	struct vc_error err = {0};
	struct vc_sign_key *k = NULL;
	struct vc_buf p7 = {0};
	uint8_t want[72], rs[32];
	size_t n;
	(void)state;

	if (vc_sign_key_load(&o, &k, &err) < 0)
		fail_msg("%s", err.msg);
	assert_string_equal(vc_sign_key_describe(k), "ECDSA-P256");
	assert_int_equal(vc_sign_detached(k, "sample", 6, 0, &p7, &err), 0);
	/* Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }; both have the
	 * high bit set, so each INTEGER carries a leading zero octet. */
	memcpy(want, "\x30\x46\x02\x21\x00", 5);
	assert_int_equal(vc_hex_decode(r_hex, rs, 32, &n, &err), 0);
	memcpy(want + 5, rs, 32);
	memcpy(want + 37, "\x02\x21\x00", 3);
	assert_int_equal(vc_hex_decode(s_hex, rs, 32, &n, &err), 0);
	memcpy(want + 40, rs, 32);
	assert_true(p7.len > 72);
	assert_memory_equal(p7.data + p7.len - 72, want, 72);
	assert_memory_equal(p7.data + p7.len - 74, "\x04\x48", 2); /* OCTET STRING of 72 */
	vc_buf_fini(&p7);
	vc_sign_key_free(k);
}

static void dps_matches_systemd_repart(void **state)
{
	struct vc_sign_key *k = test_key();
	struct vc_buf rh, want, p7 = {0}, got = {0};
	struct vc_error err = {0};
	uint8_t bin[32], fp[32];
	size_t n;
	(void)state;

	read_vec("roothash.txt", &rh);
	read_vec("repart-verity-sig.dps", &want);
	assert_int_equal(vc_hex_decode((const char *)rh.data, bin, 32, &n, &err), 0);
	assert_int_equal(vc_sign_roothash(k, bin, n, VC_SIGN_INCLUDE_CERT, &p7, &err), 0);
	vc_sign_key_fingerprint(k, fp);
	assert_int_equal(vc_sign_dps_blob(bin, n, fp, p7.data, p7.len, &got, &err), 0);
	assert_int_equal(got.len, 4096);
	assert_memory_equal(got.data, want.data, 4096);

	/* without a fingerprint the key is left out, the rest stays */
	got.len = 0;
	assert_int_equal(vc_sign_dps_blob(bin, n, NULL, p7.data, p7.len, &got, &err), 0);
	assert_null(memmem(got.data, got.len, "certificateFingerprint", 22));
	assert_memory_equal(got.data, "{\"rootHash\":\"", 13);
	assert_int_equal(got.len % 4096, 0);
	vc_buf_fini(&rh);
	vc_buf_fini(&want);
	vc_buf_fini(&p7);
	vc_buf_fini(&got);
	vc_sign_key_free(k);
}

static void dps_padding_keeps_a_nul(void **state)
{
	struct vc_error err = {0};
	uint8_t rh[32] = {0}, sig[4096];
	(void)state;

	memset(sig, 0x30, sizeof(sig));
	/* {"rootHash":"<64>","signature":"<b64>"}: 12 + 64 + 15 + b64 + 2 = 93 + b64.
	 * For 4095 bytes of text, b64 = 4002 is not a multiple of 4, so try the
	 * sizes around the boundary and check the invariants. */
	for (size_t len = 2990; len < 3010; len++) {
		struct vc_buf b = {0};
		assert_int_equal(vc_sign_dps_blob(rh, 32, NULL, sig, len, &b, &err), 0);
		size_t text = strlen((const char *)b.data);
		assert_int_equal(b.len % 4096, 0);
		assert_true(text < b.len); /* at least one NUL */
		assert_int_equal(b.data[text - 1], '}');
		for (size_t i = text; i < b.len; i++)
			assert_int_equal(b.data[i], 0);
		assert_int_equal(b.len, VC_ROUND_UP(text + 1, 4096));
		vc_buf_fini(&b);
	}
}

/* A minimal PE32+ image: headers (0x200), two sections in reverse table
 * order (.data at 0x400, .text at 0x200), then 5 bytes of trailing data. */
static size_t make_pe(uint8_t *p, size_t cap)
{
	const size_t lfanew = 0x80, opt = lfanew + 24, sect = opt + 240;
	assert_true(cap >= 0x605);
	memset(p, 0, 0x605);
	p[0] = 'M';
	p[1] = 'Z';
	vc_put_le32(p + 0x3c, lfanew);
	memcpy(p + lfanew, "PE\0\0", 4);
	vc_put_le16(p + lfanew + 4, 0x8664);   /* Machine: x86-64 */
	vc_put_le16(p + lfanew + 6, 2);	       /* NumberOfSections */
	vc_put_le16(p + lfanew + 20, 240);     /* SizeOfOptionalHeader */
	vc_put_le16(p + lfanew + 22, 0x0002);  /* Characteristics: executable image */
	vc_put_le16(p + opt, 0x20b);	       /* PE32+ */
	vc_put_le32(p + opt + 32, 0x1000);     /* SectionAlignment */
	vc_put_le32(p + opt + 36, 0x200);      /* FileAlignment */
	vc_put_le32(p + opt + 56, 0x3000);     /* SizeOfImage */
	vc_put_le32(p + opt + 60, 0x200);      /* SizeOfHeaders */
	vc_put_le32(p + opt + 64, 0xdeadbeef); /* CheckSum: excluded from the hash */
	vc_put_le32(p + opt + 108, 16);	       /* NumberOfRvaAndSizes */
	memcpy(p + sect, ".data\0\0\0", 8);
	vc_put_le32(p + sect + 8, 0x200);   /* VirtualSize */
	vc_put_le32(p + sect + 12, 0x1000); /* VirtualAddress */
	vc_put_le32(p + sect + 16, 0x200);  /* SizeOfRawData */
	vc_put_le32(p + sect + 20, 0x400);  /* PointerToRawData */
	memcpy(p + sect + 40, ".text\0\0\0", 8);
	vc_put_le32(p + sect + 40 + 8, 0x200);
	vc_put_le32(p + sect + 40 + 12, 0x2000);
	vc_put_le32(p + sect + 40 + 16, 0x200);
	vc_put_le32(p + sect + 40 + 20, 0x200);
	for (size_t i = 0x200; i < 0x600; i++)
		p[i] = (uint8_t)(i * 7);
	memcpy(p + 0x600, "trail", 5);
	return 0x605;
}

static void pe_digest_by_hand(void **state)
{
	static uint8_t pe[0x700];
	size_t len = make_pe(pe, sizeof(pe));
	const size_t opt = 0x80 + 24, certdir = opt + 112 + 32;
	struct vc_error err = {0};
	struct vc_sha256 c;
	uint8_t want[32], got[32];
	(void)state;

	/* The specification's steps, written out. */
	vc_sha256_init(&c);
	vc_sha256_update(&c, pe, opt + 64);
	vc_sha256_update(&c, pe + opt + 68, certdir - opt - 68);
	vc_sha256_update(&c, pe + certdir + 8, 0x200 - certdir - 8);
	vc_sha256_update(&c, pe + 0x200, 0x400); /* .text then .data: file order */
	vc_sha256_update(&c, pe + 0x600, 5);	 /* trailing data */
	vc_sha256_final(&c, want);
	assert_int_equal(vc_sign_pe_digest(pe, len, got, &err), 0);
	assert_memory_equal(got, want, 32);

	/* the checksum field does not change the digest; a section byte does */
	pe[opt + 64] ^= 0xff;
	assert_int_equal(vc_sign_pe_digest(pe, len, got, &err), 0);
	assert_memory_equal(got, want, 32);
	pe[0x300] ^= 1;
	assert_int_equal(vc_sign_pe_digest(pe, len, got, &err), 0);
	assert_memory_not_equal(got, want, 32);
}

/* With a signing time the signed file equals sbsign's made at that time
 * (vectors/sign/MANIFEST: sbsign 0.9.4 under faketime, the same make_pe). */
static void pe_sign_matches_sbsign(void **state)
{
	static uint8_t pe[0x700];
	size_t len = make_pe(pe, sizeof(pe));
	struct vc_sign_key *k = test_key();
	struct vc_sign_pe_options o = {.have_signing_time = true, .signing_time = 1700000000};
	struct vc_error err = {0};
	struct vc_buf out = {0}, want;
	(void)state;

	read_vec("authenticode-sbsign.efi", &want);
	assert_int_equal(vc_sign_pe(k, pe, len, &o, &out, &err), 0);
	assert_int_equal(out.len, want.len);
	assert_memory_equal(out.data, want.data, want.len);
	/* after 2049 the time is a GeneralizedTime (RFC 5280 4.1.2.5) */
	vc_buf_fini(&out);
	o.signing_time = 2569881600; /* 2051-06-09 00:00:00 */
	assert_int_equal(vc_sign_pe(k, pe, len, &o, &out, &err), 0);
	assert_non_null(memmem(out.data, out.len,
			       "\x18\x0f"
			       "20510609",
			       10));
	o.signing_time = -1;
	vc_buf_fini(&out);
	assert_int_equal(vc_sign_pe(k, pe, len, &o, &out, &err), VC_EINVAL);
	vc_buf_fini(&out);
	vc_buf_fini(&want);
	vc_sign_key_free(k);
}

/* vc_sign_pe_verify: signed by the test key it verifies; unsigned, a
 * changed byte and another certificate are each named. */
static void pe_verify_verdicts(void **state)
{
	static uint8_t pe[0x700];
	size_t len = make_pe(pe, sizeof(pe));
	struct vc_sign_key *k = test_key();
	struct vc_sign_pe_options o = {.have_signing_time = true, .signing_time = 1700000000};
	struct vc_sign_pe_check c;
	struct vc_error err = {0};
	struct vc_buf out = {0};
	const char *crt = VEC "TEST-ONLY-rsa2048.crt", *other = VEC "TEST-ONLY-rfc6979-p256.crt";
	(void)state;

	assert_int_equal(vc_sign_pe_verify(pe, len, crt, &c, &err), 0);
	assert_false(c.is_signed);
	assert_false(c.verified);
	assert_non_null(strstr(c.why, "not signed"));
	assert_int_equal(vc_sign_pe(k, pe, len, &o, &out, &err), 0);
	assert_int_equal(vc_sign_pe_verify(out.data, out.len, crt, &c, &err), 0);
	assert_true(c.is_signed && c.digest_ok && c.verified);
	assert_string_equal(c.signer.subject, "CN=vcompose test key - DO NOT TRUST");
	uint8_t d[32];
	assert_int_equal(vc_sign_pe_digest(out.data, out.len, d, &err), 0);
	assert_memory_equal(d, c.digest, 32);
	assert_int_equal(vc_sign_pe_verify(out.data, out.len, other, &c, &err), 0);
	assert_true(c.digest_ok);
	assert_false(c.verified);
	out.data[0x300] ^= 1; /* a byte of .text */
	assert_int_equal(vc_sign_pe_verify(out.data, out.len, crt, &c, &err), 0);
	assert_false(c.digest_ok);
	assert_false(c.verified);
	assert_non_null(strstr(c.why, "changed after it was signed"));
	vc_buf_fini(&out);
	vc_sign_key_free(k);
}

static uint32_t checksum_of(const uint8_t *p, size_t len, size_t off)
{
	uint32_t s = 0;
	for (size_t i = 0; i < len; i += 2) {
		if (i == off || i == off + 2)
			continue;
		s += vc_get_le16(p + i);
		s = (s & 0xffff) + (s >> 16);
	}
	return s + (uint32_t)len;
}

static void pe_sign_layout(void **state)
{
	static uint8_t pe[0x700];
	size_t len = make_pe(pe, sizeof(pe));
	const size_t opt = 0x80 + 24, certdir = opt + 112 + 32;
	struct vc_sign_key *k = test_key();
	struct vc_error err = {0};
	struct vc_buf out = {0}, again = {0};
	uint8_t d_in[32], d_out[32], padded[0x608];
	(void)state;

	assert_int_equal(vc_sign_pe(k, pe, len, NULL, &out, &err), 0);
	/* image padded to 8 with zeros, then the WIN_CERTIFICATE */
	assert_int_equal(vc_get_le32(out.data + certdir), 0x608);
	uint32_t size = vc_get_le32(out.data + certdir + 4);
	assert_int_equal(out.len, 0x608 + size);
	assert_int_equal(size % 8, 0);
	uint32_t dw = vc_get_le32(out.data + 0x608);
	assert_true(dw <= size && dw + 8 > size);
	assert_int_equal(vc_get_le16(out.data + 0x608 + 4), 0x0200);
	assert_int_equal(vc_get_le16(out.data + 0x608 + 6), 0x0002);
	assert_int_equal(out.data[0x608 + 8], 0x30);
	assert_memory_equal(out.data + 0x605, "\0\0\0", 3);
	assert_int_equal(vc_get_le32(out.data + opt + 64),
			 checksum_of(out.data, out.len, opt + 64));
	/* the signed file's digest (certificate table excluded) is that of the
	 * padded input, and it is inside the signature */
	memcpy(padded, pe, len);
	memset(padded + len, 0, 3);
	assert_int_equal(vc_sign_pe_digest(padded, sizeof(padded), d_in, &err), 0);
	assert_int_equal(vc_sign_pe_digest(out.data, out.len, d_out, &err), 0);
	assert_memory_equal(d_in, d_out, 32);
	assert_non_null(memmem(out.data + 0x608, size, d_in, 32));

	/* signed twice: refused, unless replaced, which gives the same bytes */
	assert_int_equal(vc_sign_pe(k, out.data, out.len, NULL, &again, &err), VC_EINVAL);
	assert_non_null(strstr(err.msg, "already signed"));
	assert_int_equal(again.len, 0);
	assert_int_equal(vc_sign_pe(k, out.data, out.len,
				    &(struct vc_sign_pe_options){.flags = VC_SIGN_REPLACE}, &again,
				    &err),
			 0);
	assert_int_equal(again.len, out.len);
	assert_memory_equal(again.data, out.data, out.len);
	vc_buf_fini(&out);
	vc_buf_fini(&again);
	vc_sign_key_free(k);
}

/* The same image as PE32: 224-byte optional header, directories at +96. */
static void pe32_digest_by_hand(void **state)
{
	static uint8_t pe[0x700];
	const size_t lfanew = 0x80, opt = lfanew + 24, sect = opt + 224, certdir = opt + 96 + 32;
	struct vc_sign_key *k = test_key();
	struct vc_error err = {0};
	struct vc_buf out = {0};
	struct vc_sha256 c;
	uint8_t want[32], got[32];
	(void)state;

	memset(pe, 0, sizeof(pe));
	pe[0] = 'M';
	pe[1] = 'Z';
	vc_put_le32(pe + 0x3c, lfanew);
	memcpy(pe + lfanew, "PE\0\0", 4);
	vc_put_le16(pe + lfanew + 4, 0x14c); /* i386 */
	vc_put_le16(pe + lfanew + 6, 1);
	vc_put_le16(pe + lfanew + 20, 224);
	vc_put_le16(pe + lfanew + 22, 0x0002); /* executable image */
	vc_put_le16(pe + opt, 0x10b);
	vc_put_le32(pe + opt + 32, 0x1000); /* SectionAlignment */
	vc_put_le32(pe + opt + 36, 0x200);  /* FileAlignment */
	vc_put_le32(pe + opt + 56, 0x2000); /* SizeOfImage */
	vc_put_le32(pe + opt + 60, 0x200);
	vc_put_le32(pe + opt + 92, 16);
	memcpy(pe + sect, ".text\0\0\0", 8);
	vc_put_le32(pe + sect + 8, 0x400);
	vc_put_le32(pe + sect + 12, 0x1000);
	vc_put_le32(pe + sect + 16, 0x400);
	vc_put_le32(pe + sect + 20, 0x200);
	for (size_t i = 0x200; i < 0x600; i++)
		pe[i] = (uint8_t)(i * 13);

	vc_sha256_init(&c);
	vc_sha256_update(&c, pe, opt + 64);
	vc_sha256_update(&c, pe + opt + 68, certdir - opt - 68);
	vc_sha256_update(&c, pe + certdir + 8, 0x200 - certdir - 8);
	vc_sha256_update(&c, pe + 0x200, 0x400);
	vc_sha256_final(&c, want);
	assert_int_equal(vc_sign_pe_digest(pe, 0x600, got, &err), 0);
	assert_memory_equal(got, want, 32);
	assert_int_equal(vc_sign_pe(k, pe, 0x600, NULL, &out, &err), 0);
	assert_int_equal(vc_get_le32(out.data + certdir), 0x600);
	assert_int_equal(vc_get_le32(out.data + certdir + 4), out.len - 0x600);
	assert_int_equal(vc_get_le32(out.data + opt + 64),
			 checksum_of(out.data, out.len, opt + 64));
	assert_int_equal(vc_sign_pe_digest(out.data, out.len, got, &err), 0);
	assert_memory_equal(got, want, 32);
	vc_buf_fini(&out);
	vc_sign_key_free(k);
}

static void pe_bad_inputs(void **state)
{
	static uint8_t pe[0x700];
	size_t len = make_pe(pe, sizeof(pe));
	const size_t opt = 0x80 + 24, sect = opt + 240;
	struct vc_error err = {0};
	uint8_t d[32];
	(void)state;

	assert_int_equal(vc_sign_pe_digest(pe, 10, d, &err), VC_EINVAL);
	assert_non_null(strstr(err.msg, "MZ"));
	assert_int_equal(vc_sign_pe_digest(pe, 0x90, d, &err), VC_EINVAL); /* truncated */
	pe[0x80] = 'X';
	assert_int_equal(vc_sign_pe_digest(pe, len, d, &err), VC_EINVAL);
	assert_non_null(strstr(err.msg, "'PE\\0\\0' signature"));
	pe[0x80] = 'P';
	vc_put_le16(pe + opt, 0x107);
	assert_int_equal(vc_sign_pe_digest(pe, len, d, &err), VC_EINVAL);
	assert_non_null(strstr(err.msg, "magic"));
	vc_put_le16(pe + opt, 0x20b);
	vc_put_le32(pe + sect + 16, 0x1000); /* .data runs past the end */
	assert_int_equal(vc_sign_pe_digest(pe, len, d, &err), VC_EINVAL);
	assert_non_null(strstr(err.msg, ".data"));
	vc_put_le32(pe + sect + 16, 0x200);
	vc_put_le32(pe + opt + 108, 4); /* no security directory */
	assert_int_equal(vc_sign_pe_digest(pe, len, d, &err), VC_EINVAL);
	vc_put_le32(pe + opt + 108, 16);
	assert_int_equal(vc_sign_pe_digest(pe, len, d, &err), 0);
}

/* Damage to the synthetic PE, class by class, with the outcome each class
 * must have: a digest that is the same (a field Authenticode skips), a
 * different digest (a hashed byte), or a refusal naming the field. Then
 * random damage to the headers (fixed seed): refused or digested, never a
 * read outside the buffer (ASan). */
static void pe_mutations_are_safe(void **state)
{
	static uint8_t pe[0x700], m[0x700];
	size_t len = make_pe(pe, sizeof(pe));
	const size_t lfanew = 0x80, opt = lfanew + 24, sect = opt + 240;
	struct vc_error err = {0};
	uint8_t want[32], d[32];
	(void)state;

	assert_int_equal(vc_sign_pe_digest(pe, len, want, &err), 0);
	/* truncation: refused while a section's raw data is cut (it ends at
	 * 0x600), digested (a different trailer) from there on */
	for (size_t n = 0; n < len; n++) {
		int r = vc_sign_pe_digest(pe, n, d, &err);
		if (n < 0x600) {
			assert_int_equal(r, VC_EINVAL);
		} else {
			assert_int_equal(r, 0);
			assert_memory_not_equal(d, want, 32);
		}
	}
	/* the DOS magic, e_lfanew, the PE signature and the optional header
	 * magic: every other value of every byte is refused */
	const struct {
		size_t off, n;
		const char *msg;
	} refuse[] = {
	    {0, 2, "MZ"}, {0x3c, 4, "e_lfanew"}, {lfanew, 4, "signature"}, {opt, 2, "magic"}};
	for (size_t k = 0; k < VC_ARRAY_SIZE(refuse); k++)
		for (size_t b = 0; b < refuse[k].n; b++)
			for (unsigned v = 0; v < 256; v += 17) {
				memcpy(m, pe, len);
				if (m[refuse[k].off + b] == v)
					continue;
				m[refuse[k].off + b] = (uint8_t)v;
				int r = vc_sign_pe_digest(m, len, d, &err);
				if (refuse[k].off == opt && b == 0 && v == 0x0b &&
				    m[opt + 1] == 0x01)
					assert_non_null(strstr(err.msg, "security")); /* PE32 */
				else if (r != VC_EINVAL || !strstr(err.msg, refuse[k].msg))
					fail_msg("byte 0x%zx = 0x%02x: %d '%s', expected '%s'",
						 refuse[k].off + b, v, r, err.msg, refuse[k].msg);
			}
	/* the CheckSum field is not hashed: any value, the same digest */
	for (size_t b = 0; b < 4; b++) {
		memcpy(m, pe, len);
		m[opt + 64 + b] ^= 0x5a;
		assert_int_equal(vc_sign_pe_digest(m, len, d, &err), 0);
		assert_memory_equal(d, want, 32);
	}
	/* a byte of the time stamp, of section data or of the trailer is
	 * hashed: another digest */
	const size_t hashed[] = {lfanew + 8, 0x200, 0x3ff, 0x400, 0x5ff, 0x600, 0x604};
	for (size_t k = 0; k < VC_ARRAY_SIZE(hashed); k++) {
		memcpy(m, pe, len);
		m[hashed[k]] ^= 1;
		assert_int_equal(vc_sign_pe_digest(m, len, d, &err), 0);
		assert_memory_not_equal(d, want, 32);
	}
	/* a section whose raw data leaves the file, or overlaps another */
	memcpy(m, pe, len);
	vc_put_le32(m + sect + 20, 0x700); /* .data PointerToRawData past the end */
	assert_int_equal(vc_sign_pe_digest(m, len, d, &err), VC_EINVAL);
	assert_non_null(strstr(err.msg, ".data"));
	memcpy(m, pe, len);
	vc_put_le32(m + sect + 20, 0x200); /* .data over .text */
	assert_int_equal(vc_sign_pe_digest(m, len, d, &err), VC_EINVAL);
	assert_non_null(strstr(err.msg, "overlaps"));

	uint32_t x = 12345;
	int ok = 0, bad = 0;
	for (int round = 0; round < 20000; round++) {
		memcpy(m, pe, len);
		for (int i = 0; i < 4; i++) {
			x = x * 1103515245u + 12345u;
			size_t at = (x >> 8) % 0x200;
			x = x * 1103515245u + 12345u;
			m[at] = (uint8_t)(x >> 16);
		}
		x = x * 1103515245u + 12345u;
		size_t n = round % 8 ? len : (x >> 8) % (len + 1); /* sometimes truncated */
		if (vc_sign_pe_digest(m, n, d, &err) == 0)
			ok++;
		else
			bad++;
	}
	assert_true(ok > 0 && bad > 0);
}

static void pkcs7_refuses_garbage(void **state)
{
	struct vc_pkcs7_signer s;
	struct vc_error err = {0};
	static const uint8_t not_der[] = {0x30, 0x82, 0xff, 0xff, 0x06};
	static const uint8_t wrong_oid[] = {0x30, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48,
					    0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01};

	(void)state;
	assert_int_equal(vc_pkcs7_signer(not_der, sizeof(not_der), &s, &err), VC_EINVAL);
	assert_int_equal(vc_pkcs7_signer(wrong_oid, sizeof(wrong_oid), &s, &err), VC_EINVAL);
	assert_non_null(strstr(err.msg, "not signedData"));
	assert_int_equal(vc_pkcs7_verify(not_der, sizeof(not_der), "x", 1, "/nonexistent", &err),
			 VC_EINVAL);
}

/* vc_sign_verify_*: the openssl-made vectors verify, a changed root hash or
 * certificate does not, and damaged DER is refused without reading past the
 * buffer (ASan). */
static void verify_vectors_and_damage(void **state)
{
	const char *crt = VEC "TEST-ONLY-rsa2048.crt";
	struct vc_buf rh, p7;
	struct vc_error err = {0};
	uint8_t bin[32], m[4096];
	uint32_t x = 777;
	size_t n;
	int refused = 0;
	(void)state;

	read_vec("roothash.txt", &rh);
	read_vec("roothash-rsa2048-cert.p7s", &p7);
	assert_int_equal(vc_hex_decode((const char *)rh.data, bin, 32, &n, &err), 0);
	assert_int_equal(vc_sign_verify_roothash(crt, bin, n, p7.data, p7.len, &err), 0);
	vc_buf_fini(&p7);
	read_vec("roothash-rsa2048-nocerts.p7s", &p7);
	assert_int_equal(vc_sign_verify_roothash(crt, bin, n, p7.data, p7.len, &err), 0);
	assert_int_equal(vc_pkcs7_verify(p7.data, p7.len, rh.data, rh.len, crt, &err), 0);
	assert_int_equal(vc_pkcs7_verify(p7.data, p7.len, rh.data, rh.len - 1, crt, &err),
			 VC_ECHECK);
	bin[0] ^= 1;
	assert_int_equal(vc_sign_verify_roothash(crt, bin, n, p7.data, p7.len, &err), VC_ECHECK);
	bin[0] ^= 1;
	assert_int_equal(vc_sign_verify_roothash(VEC "TEST-ONLY-rfc6979-p256.crt", bin, n, p7.data,
						 p7.len, &err),
			 VC_ECHECK);
	assert_non_null(strstr(err.msg, "no signer"));

	assert_true(p7.len <= sizeof(m));
	for (int round = 0; round < 3000; round++) {
		memcpy(m, p7.data, p7.len);
		x = x * 1103515245u + 12345u;
		m[(x >> 8) % p7.len] ^= (uint8_t)(1 + (x >> 20) % 255);
		x = x * 1103515245u + 12345u;
		size_t len = round % 4 ? p7.len : (x >> 8) % (p7.len + 1);
		if (vc_sign_verify_roothash(crt, bin, n, m, len, &err) != 0)
			refused++;
	}
	/* a flipped byte in a field the check skips (the digestAlgorithms
	 * set, the parameters of an algorithm) may pass; nearly all others
	 * must be refused */
	assert_true(refused > 2800);
	vc_buf_fini(&rh);
	vc_buf_fini(&p7);
}

static void key_errors(void **state)
{
	struct vc_sign_key_options o = {
	    .key_path = VEC "TEST-ONLY-rsa2048.key",
	    .cert_path = VEC "MANIFEST", /* not a certificate */
	};
	struct vc_error err = {0};
	struct vc_sign_key *k = NULL;
	(void)state;

	assert_int_equal(vc_sign_key_load(&o, &k, &err), VC_ECRYPTO);
	assert_null(k);
	assert_non_null(strstr(err.msg, "MANIFEST"));
	o.cert_path = VEC "TEST-ONLY-rsa2048.crt";
	o.key_path = VEC "TEST-ONLY-rsa2048.crt"; /* a certificate is no key */
	assert_true(vc_sign_key_load(&o, &k, &err) < 0);
	assert_null(k);
	o.key_path = VEC "no-such.key";
	assert_int_equal(vc_sign_key_load(&o, &k, &err), VC_EINVAL);
	assert_non_null(strstr(err.msg, "no-such.key"));
	o.key_path = VEC "TEST-ONLY-rsa2048.key";
	assert_int_equal(vc_sign_key_load(&o, &k, &err), 0);
	assert_string_equal(vc_sign_key_describe(k), "RSA-2048");
	int64_t nb, na;
	vc_sign_key_validity(k, &nb, &na);
	assert_true(nb > 1700000000 && na > nb + 50ll * 365 * 86400);
	vc_sign_key_free(k);
}

/* The DPS signature partition's JSON, read by vc_sign_dps_parse. */
static void signature_json_is_checked(void **state)
{
	struct vc_sign_dps s;
	struct vc_error err = {0};
	char blob[4096];
	const char *good = "{\"rootHash\":\"00ff\",\"certificateFingerprint\":"
			   "\"0000000000000000000000000000000000000000000000000000000000000001\","
			   "\"signature\":\"aGVsbG8=\"}";

	(void)state;
	memset(blob, 0, sizeof(blob));
	memcpy(blob, good, strlen(good));
	assert_int_equal(vc_sign_dps_parse((uint8_t *)blob, sizeof(blob), &s, &err), 0);
	assert_string_equal(s.roothash, "00ff");
	assert_true(s.has_fingerprint);
	assert_int_equal(s.fingerprint[31], 1);
	assert_int_equal(s.p7_len, 5);
	vc_sign_dps_fini(&s);
	blob[4000] = 'x'; /* junk in the padding */
	assert_int_equal(vc_sign_dps_parse((uint8_t *)blob, sizeof(blob), &s, &err), VC_EINVAL);
	assert_non_null(strstr(err.msg, "non-zero byte at 4000"));
	static const char *const bad[] = {
	    "{\"rootHash\":\"00FF\",\"signature\":\"\"}",    /* not lowercase */
	    "{\"rootHash\":\"00ff\"}",			     /* no signature */
	    "{\"rootHash\":\"00ff\",\"signature\":\"###\"}", /* not base64 */
	    "{\"rootHash\":\"00ff\",\"signature\":\"\",\"certificateFingerprint\":\"12\"}",
	    "[1]",
	    "{\"rootHash\":1,\"signature\":\"\"}",
	};
	for (size_t i = 0; i < VC_ARRAY_SIZE(bad); i++) {
		if (vc_sign_dps_parse((const uint8_t *)bad[i], strlen(bad[i]), &s, &err) == 0)
			fail_msg("accepted %s", bad[i]);
	}
	/* what vc_sign_dps_blob writes reads back */
	uint8_t rh[32], fp[32], p7[300];
	struct vc_buf dps = {0};
	char hex[65];
	for (size_t i = 0; i < sizeof(p7); i++)
		p7[i] = (uint8_t)(i * 13);
	memset(rh, 0xab, sizeof(rh));
	memset(fp, 0x5c, sizeof(fp));
	assert_int_equal(vc_sign_dps_blob(rh, 32, fp, p7, sizeof(p7), &dps, &err), 0);
	assert_int_equal(vc_sign_dps_parse(dps.data, dps.len, &s, &err), 0);
	vc_hex_encode(rh, 32, hex);
	assert_string_equal(s.roothash, hex);
	assert_true(s.has_fingerprint);
	assert_memory_equal(s.fingerprint, fp, 32);
	assert_int_equal(s.p7_len, sizeof(p7));
	assert_memory_equal(s.p7, p7, sizeof(p7));
	vc_sign_dps_fini(&s);
	vc_buf_fini(&dps);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(signature_json_is_checked),
	    cmocka_unit_test(der_length_forms),
	    cmocka_unit_test(roothash_matches_openssl_smime),
	    cmocka_unit_test(ecdsa_rfc6979_known_answer),
	    cmocka_unit_test(dps_matches_systemd_repart),
	    cmocka_unit_test(dps_padding_keeps_a_nul),
	    cmocka_unit_test(pe_digest_by_hand),
	    cmocka_unit_test(pe_sign_layout),
	    cmocka_unit_test(pe_sign_matches_sbsign),
	    cmocka_unit_test(pe_verify_verdicts),
	    cmocka_unit_test(pe32_digest_by_hand),
	    cmocka_unit_test(pe_bad_inputs),
	    cmocka_unit_test(pe_mutations_are_safe),
	    cmocka_unit_test(pkcs7_refuses_garbage),
	    cmocka_unit_test(verify_vectors_and_damage),
	    cmocka_unit_test(key_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
