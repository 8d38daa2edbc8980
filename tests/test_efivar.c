/* SPDX-License-Identifier: MIT */
/* src/efivar: EFI_TIME, signature lists and authenticated variables against
 * efitools' output for the same key, owner and time (vectors/efivar), and
 * the parser on good and damaged files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "vcompose/efivar.h"
#include "vcompose/sign.h"
#include "vcompose/util.h"

#define VEC  VC_SOURCE_DIR "/vectors/efivar/"
#define SIGN VC_SOURCE_DIR "/vectors/sign/"
#define T    1700000000 /* 2023-11-14 22:13:20 UTC, sign-efi-sig-list -t */

static void read_vec(const char *path, struct vc_buf *b)
{
	struct vc_error err = {0};

	vc_buf_init(b);
	if (vc_read_file(path, 1 << 20, b, &err) < 0)
		fail_msg("%s", err.msg);
}

static struct vc_sign_key *test_key(void)
{
	struct vc_sign_key_options o = {
	    .key_path = SIGN "TEST-ONLY-rsa2048.key",
	    .cert_path = SIGN "TEST-ONLY-rsa2048.crt",
	};
	struct vc_error err = {0};
	struct vc_sign_key *k = NULL;

	if (vc_sign_key_load(&o, &k, &err) < 0)
		fail_msg("%s", err.msg);
	return k;
}

static const uint8_t owner[16] = {0x0f, 0x5c, 0x8e, 0x1a, 0x1b, 0x7e, 0x4d, 0x7c,
				  0x9a, 0x39, 0x3e, 0x8c, 0x9d, 0x0d, 0x5b, 0x11};

static void efi_time_fields(void **state)
{
	struct vc_error err = {0};
	uint8_t t[16];
	(void)state;

	assert_int_equal(vc_efivar_time(T, t, &err), 0);
	/* 2023 (le16), 11, 14, 22:13:20, pad, ns, zone, daylight, pad: zero */
	assert_memory_equal(t, "\xe7\x07\x0b\x0e\x16\x0d\x14\0\0\0\0\0\0\0\0\0", 16);
	assert_int_equal(vc_efivar_time(0, t, &err), 0);
	assert_memory_equal(t, "\xb2\x07\x01\x01\0\0\0", 7);	 /* 1970-01-01 */
	assert_int_equal(vc_efivar_time(951782400, t, &err), 0); /* leap day 2000-02-29 */
	assert_memory_equal(t, "\xd0\x07\x02\x1d\0\0\0", 7);
	assert_int_equal(vc_efivar_time(-1, t, &err), VC_ERANGE);
	assert_int_equal(vc_efivar_time(INT64_C(253402300800), t, &err), VC_ERANGE);
}

static void esl_matches_cert_to_efi_sig_list(void **state)
{
	struct vc_buf want, got = {0};
	struct vc_error err = {0};
	(void)state;

	read_vec(VEC "cert.esl", &want);
	/* the certificate's DER, as the key object holds it */
	struct vc_sign_key *k = test_key();
	const uint8_t *der;
	size_t der_len;
	vc_sign_key_cert_der(k, &der, &der_len);
	assert_int_equal(vc_efivar_esl_x509(owner, der, der_len, &got, &err), 0);
	assert_int_equal(got.len, want.len);
	assert_memory_equal(got.data, want.data, want.len);
	vc_sign_key_free(k);
	vc_buf_fini(&want);
	vc_buf_fini(&got);
}

static void auth_matches_sign_efi_sig_list(void **state)
{
	static const char *files[] = {"PK.auth", "KEK.auth", "db.auth"};
	struct vc_sign_key *k = test_key();
	struct vc_error err = {0};
	const uint8_t *der;
	size_t der_len;
	(void)state;

	vc_sign_key_cert_der(k, &der, &der_len);
	for (int v = VC_EFIVAR_PK; v <= VC_EFIVAR_DB; v++) {
		struct vc_buf want, got = {0};
		char path[512];

		snprintf(path, sizeof(path), VEC "%s", files[v]);
		read_vec(path, &want);
		assert_int_equal(vc_efivar_sb_auth(k, (enum vc_efivar_sb_var)v, der, der_len, owner,
						   T, &got, &err),
				 0);
		assert_int_equal(got.len, want.len);
		assert_memory_equal(got.data, want.data, want.len);

		struct vc_efivar_auth_info info;
		assert_int_equal(vc_efivar_auth_parse(got.data, got.len, &info, &err), 0);
		assert_int_equal(info.year, 2023);
		assert_int_equal(info.second, 20);
		assert_int_equal(info.n_entries, 1);
		assert_memory_equal(info.e[0].owner, owner, 16);
		assert_memory_equal(info.e[0].type, vc_efivar_cert_x509_guid, 16);
		assert_int_equal(info.e[0].len, der_len);
		assert_memory_equal(info.e[0].data, der, der_len);
		assert_int_equal(info.p7[0], 0x30); /* a bare SignedData */

		/* damage: truncated list, wrong certificate type, huge dwLength */
		assert_int_equal(vc_efivar_auth_parse(got.data, got.len - 1, &info, &err),
				 VC_EINVAL);
		got.data[22] ^= 1;
		assert_int_equal(vc_efivar_auth_parse(got.data, got.len, &info, &err), VC_EINVAL);
		got.data[22] ^= 1;
		got.data[19] = 0x7f;
		assert_int_equal(vc_efivar_auth_parse(got.data, got.len, &info, &err), VC_EINVAL);
		assert_int_equal(vc_efivar_auth_parse(got.data, 39, &info, &err), VC_EINVAL);
		vc_buf_fini(&want);
		vc_buf_fini(&got);
	}
	/* a name that is not ASCII, an empty one */
	struct vc_buf b = {0};
	assert_int_equal(vc_efivar_auth2(k, "d\xc3\xa9", vc_efivar_image_db_guid,
					 VC_EFIVAR_SB_ATTRS, T, NULL, 0, &b, &err),
			 VC_EINVAL);
	assert_int_equal(b.len, 0);
	assert_int_equal(vc_efivar_auth2(k, "", vc_efivar_image_db_guid, VC_EFIVAR_SB_ATTRS, T,
					 NULL, 0, &b, &err),
			 VC_EINVAL);
	vc_buf_fini(&b);
	vc_sign_key_free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(efi_time_fields),
	    cmocka_unit_test(esl_matches_cert_to_efi_sig_list),
	    cmocka_unit_test(auth_matches_sign_efi_sig_list),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
