/* SPDX-License-Identifier: MIT */
/* Unit tests for src/measure: PCR 11 predictions and the signed policy JSON
 * against the known answers of vectors/measure (systemd-measure 252
 * calculate and sign), the stub's section lookup (order, prefix match, last
 * match wins, VirtualSize zero fill), phase normalization and the PolicyPCR
 * digest by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "test_util.h"

#include "vcompose/endian.h"
#include "vcompose/measure.h"
#include "vcompose/sha256.h"
#include "vcompose/util.h"

#define VEC VC_SOURCE_DIR "/vectors/measure/"
#define KEY VC_SOURCE_DIR "/vectors/sign/TEST-ONLY-rsa2048.key"

static void read_vec(const char *name, struct vc_buf *b)
{
	char path[512];

	snprintf(path, sizeof(path), VEC "%s", name);
	vc_test_read(path, b);
}

/* The vector sections, in file order different from the stub's order. */
struct secs {
	struct vc_buf buf[7];
	struct vc_measure_section s[7];
	size_t n;
};

static void add(struct secs *x, const char *name, const char *file, size_t len)
{
	struct vc_measure_section *s = &x->s[x->n];

	read_vec(file, &x->buf[x->n]);
	memset(s->name, 0, sizeof(s->name));
	memcpy(s->name, name, strlen(name));
	s->data = x->buf[x->n].data;
	s->size = x->buf[x->n].len;
	s->len = len ? len : x->buf[x->n].len;
	x->n++;
}

static void secs_fini(struct secs *x)
{
	for (size_t i = 0; i < x->n; i++)
		vc_buf_fini(&x->buf[i]);
}

static void all_sections(struct secs *x, bool full)
{
	memset(x, 0, sizeof(*x));
	if (full)
		add(x, ".osrel", "osrel", 0);
	add(x, ".cmdline", "cmdline", 0);
	if (full) {
		add(x, ".dtb", "dtb", 0);
		add(x, ".splash", "splash", 0);
		add(x, ".initrd", "initrd", 0);
	}
	/* linux.mem is 3000 bytes of data then zeros to 8192: give only the
	 * data, the VirtualSize says the rest. */
	add(x, ".linux", "linux.mem", 3000);
	if (full)
		add(x, ".pcrpkey", "pcrpkey.pem", 0);
}

/* systemd-measure calculate --json=short, written from our values. */
static void calculate_json(const struct vc_measure *m, const char *const *phases, size_t n,
			   struct vc_buf *out)
{
	struct vc_error err = {0};
	uint8_t v[VC_SIGN_MD_MAX];
	char hex[2 * VC_SIGN_MD_MAX + 1];
	bool first_bank = true;

	vc_buf_init(out);
	assert_int_equal(vc_buf_append(out, "{", 1, &err), 0);
	for (unsigned b = 0; b < VC_SIGN_N_MD; b++) {
		if (!(m->banks & VC_MEASURE_BANK(b)))
			continue;
		vc_buf_appendf(out, &err, "%s\"%s\":[", first_bank ? "" : ",", vc_sign_md_name(b));
		first_bank = false;
		for (size_t i = 0; i < n; i++) {
			assert_int_equal(vc_measure_phase(m, b, phases[i], v, &err), 0);
			vc_hex_encode(v, vc_sign_md_len(b), hex);
			hex[2 * vc_sign_md_len(b)] = '\0';
			vc_buf_appendf(out, &err, "%s{", i ? "," : "");
			if (*phases[i])
				vc_buf_appendf(out, &err, "\"phase\":\"%s\",", phases[i]);
			vc_buf_appendf(out, &err, "\"pcr\":11,\"hash\":\"%s\"}", hex);
		}
		vc_buf_appendf(out, &err, "]");
	}
	vc_buf_appendf(out, &err, "}\n");
}

static void check_json(const struct vc_buf *got, const char *vector)
{
	struct vc_buf want;

	read_vec(vector, &want);
	if (got->len != want.len || memcmp(got->data, want.data, want.len))
		fail_msg("%s differs:\n got: %.*s\nwant: %.*s", vector, (int)got->len,
			 (const char *)got->data, (int)want.len, (const char *)want.data);
	vc_buf_fini(&want);
}

static void calculate_matches_systemd_measure(void **state)
{
	static const char *const phases[] = {"", "enter-initrd", "enter-initrd:leave-initrd",
					     "enter-initrd:leave-initrd:sysinit",
					     "enter-initrd:leave-initrd:sysinit:ready"};
	struct vc_error err = {0};
	struct vc_measure m;
	struct vc_buf j;
	struct secs x;

	(void)state;
	all_sections(&x, true);
	assert_int_equal(
	    vc_measure_uki(x.s, x.n, VC_MEASURE_STUB_252, VC_MEASURE_ALL_BANKS, &m, &err), 0);
	/* The stub's order, not the file's. */
	assert_int_equal(m.n_measured, 7);
	assert_string_equal(m.measured[0], ".linux");
	assert_string_equal(m.measured[3], ".initrd");
	assert_string_equal(m.measured[6], ".pcrpkey");
	calculate_json(&m, phases, 5, &j);
	check_json(&j, "calculate-all.json");
	vc_buf_fini(&j);
	secs_fini(&x);

	all_sections(&x, false);
	assert_int_equal(vc_measure_uki(x.s, x.n, VC_MEASURE_STUB_252,
					VC_MEASURE_BANK(VC_SIGN_SHA256), &m, &err),
			 0);
	calculate_json(&m, phases, 2, &j);
	check_json(&j, "calculate-min.json");
	vc_buf_fini(&j);
	secs_fini(&x);
}

static void sign(const struct secs *x, unsigned banks, const char *const *phases, size_t n,
		 const char *vector)
{
	struct vc_error err = {0};
	struct vc_measure_phases ph = {0};
	struct vc_sign_rsa_key *k = NULL;
	struct vc_buf pem = {0}, got = {0};
	struct vc_measure m;

	if (phases)
		for (size_t i = 0; i < n; i++)
			assert_int_equal(vc_measure_phases_add(&ph, phases[i], &err), 0);
	else
		vc_measure_phases_default(&ph);
	assert_int_equal(vc_measure_uki(x->s, x->n, VC_MEASURE_STUB_252, banks, &m, &err), 0);
	if (vc_sign_rsa_key_load(KEY, &k, &err) < 0)
		fail_msg("%s", err.msg);
	/* Our public PEM is OpenSSL's, byte for byte (it is measured). */
	assert_int_equal(vc_sign_rsa_public_pem(k, &pem, &err), 0);
	check_json(&pem, "pcrpkey.pem");
	if (vc_measure_pcrsig(&m, &ph, k, pem.data, pem.len, &got, &err) < 0)
		fail_msg("%s", err.msg);
	check_json(&got, vector);
	vc_buf_fini(&pem);
	vc_buf_fini(&got);
	vc_sign_rsa_key_free(k);
}

static void sign_matches_systemd_measure(void **state)
{
	/* Given out of order and with surplus ':': normalized and sorted. */
	static const char *const stub[] = {"enter-initrd::", ":", "enter-initrd"};
	struct secs x;

	(void)state;
	memset(&x, 0, sizeof(x));
	add(&x, ".linux", "linux.mem", 3000);
	add(&x, ".cmdline", "cmdline", 0);
	add(&x, ".pcrpkey", "pcrpkey.pem", 0);
	sign(&x, VC_MEASURE_BANK(VC_SIGN_SHA256), NULL, 0, "sign-sha256.json");
	sign(&x, VC_MEASURE_BANK(VC_SIGN_SHA256), stub, 3, "sign-stub.json");
	secs_fini(&x);

	all_sections(&x, true);
	sign(&x, VC_MEASURE_ALL_BANKS, NULL, 0, "sign-all.json");
	secs_fini(&x);
}

/* locate_sections(): prefix compare on the 8-byte name, last match wins,
 * VirtualSize 0 skipped; the data are VirtualSize bytes, zero-filled. */
static void stub_lookup_rules(void **state)
{
	static const uint8_t data[] = "kernel";
	uint8_t padded[4096] = "kernel";
	struct vc_measure_section a[3], b[1];
	struct vc_measure ma, mb;
	struct vc_error err = {0};
	const unsigned bank = VC_MEASURE_BANK(VC_SIGN_SHA256);

	(void)state;
	memset(a, 0, sizeof(a));
	memcpy(a[0].name, ".linux", 6); /* shadowed by the next */
	a[0].data = data;
	a[0].len = 3;
	a[0].size = 3;
	memcpy(a[1].name, ".linuxXY", 8); /* prefix ".linux" matches */
	a[1].data = data;
	a[1].len = 6;
	a[1].size = sizeof(padded);
	memcpy(a[2].name, ".initrd", 7); /* VirtualSize 0: not measured */
	a[2].data = data;
	a[2].len = 6;
	a[2].size = 0;
	assert_int_equal(vc_measure_uki(a, 3, VC_MEASURE_STUB_252, bank, &ma, &err), 0);
	assert_int_equal(ma.n_measured, 1);

	memset(b, 0, sizeof(b));
	memcpy(b[0].name, ".linux", 6);
	b[0].data = padded;
	b[0].len = sizeof(padded);
	b[0].size = sizeof(padded);
	assert_int_equal(vc_measure_uki(b, 1, VC_MEASURE_STUB_252, bank, &mb, &err), 0);
	assert_memory_equal(ma.value[VC_SIGN_SHA256], mb.value[VC_SIGN_SHA256], 32);

	/* By hand: extend(H(".linux\0")), extend(H(data)). */
	uint8_t pcr[32] = {0}, h[32];
	vc_sha256(".linux", 7, h);
	assert_int_equal(vc_measure_extend(VC_SIGN_SHA256, pcr, h, &err), 0);
	vc_sha256(padded, sizeof(padded), h);
	assert_int_equal(vc_measure_extend(VC_SIGN_SHA256, pcr, h, &err), 0);
	assert_memory_equal(pcr, mb.value[VC_SIGN_SHA256], 32);

	/* 254's stub also measures .uname and .sbat, 252's does not. */
	struct vc_measure_section u[2];
	memset(u, 0, sizeof(u));
	u[0] = b[0];
	memcpy(u[1].name, ".uname", 6);
	u[1].data = data;
	u[1].len = u[1].size = 6;
	assert_int_equal(vc_measure_uki(u, 2, VC_MEASURE_STUB_252, bank, &ma, &err), 0);
	assert_memory_equal(ma.value[VC_SIGN_SHA256], mb.value[VC_SIGN_SHA256], 32);
	assert_int_equal(vc_measure_uki(u, 2, VC_MEASURE_STUB_254, bank, &ma, &err), 0);
	assert_int_equal(ma.n_measured, 2);
	assert_memory_not_equal(ma.value[VC_SIGN_SHA256], mb.value[VC_SIGN_SHA256], 32);
}

static void stub_versions(void **state)
{
	static const char m252[] = "#### LoaderInfo: systemd-stub 252.39-1~deb12u2 ####";
	static const char m255[] = "#### LoaderInfo: systemd-stub 255.4-1 ####";
	static const char m257[] = "#### LoaderInfo: systemd-stub 257.1 ####";
	enum vc_measure_stub s;
	struct vc_error err = {0};

	(void)state;
	assert_int_equal(vc_measure_stub_from_magic((const uint8_t *)m252, sizeof(m252), &s, &err),
			 0);
	assert_int_equal(s, VC_MEASURE_STUB_252);
	assert_int_equal(vc_measure_stub_from_magic((const uint8_t *)m255, sizeof(m255), &s, &err),
			 0);
	assert_int_equal(s, VC_MEASURE_STUB_254);
	assert_int_equal(vc_measure_stub_from_magic((const uint8_t *)m257, sizeof(m257), &s, &err),
			 VC_EUNSUPP);
	/* not systemd-stub's magic: no prediction (the build goes on without one) */
	assert_int_equal(vc_measure_stub_from_magic((const uint8_t *)"junk", 4, &s, &err),
			 VC_EUNSUPP);
}

static void phases_normalized(void **state)
{
	struct vc_measure_phases p = {0};
	struct vc_error err = {0};
	char long_path[400];

	(void)state;
	assert_int_equal(vc_measure_phases_add(&p, "b::c:", &err), 0);
	assert_int_equal(vc_measure_phases_add(&p, ":", &err), 0);
	assert_int_equal(vc_measure_phases_add(&p, "a", &err), 0);
	assert_int_equal(vc_measure_phases_add(&p, "b:c", &err), 0); /* duplicate */
	assert_int_equal(p.n, 3);
	assert_string_equal(p.path[0], "");
	assert_string_equal(p.path[1], "a");
	assert_string_equal(p.path[2], "b:c");
	memset(long_path, 'x', sizeof(long_path) - 1);
	long_path[sizeof(long_path) - 1] = '\0';
	assert_int_equal(vc_measure_phases_add(&p, long_path, &err), VC_ERANGE);
}

/* TPM 2.0 Part 3 section 23.7 written out once more, independently. */
static void policy_pcr_by_hand(void **state)
{
	uint8_t value[32], buf[32 + 4 + 10 + 32], want[32], got[32];

	(void)state;
	memset(value, 0xab, sizeof(value));
	memset(buf, 0, sizeof(buf));
	memcpy(buf + 32, "\x00\x00\x01\x7f", 4);			  /* TPM_CC_PolicyPCR */
	memcpy(buf + 36, "\x00\x00\x00\x01\x00\x0b\x03\x00\x08\x00", 10); /* sha256, PCR 11 */
	vc_sha256(value, 32, buf + 46);
	vc_sha256(buf, sizeof(buf), want);
	vc_measure_policy_pcr(VC_SIGN_SHA256, value, got);
	assert_memory_equal(got, want, 32);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(calculate_matches_systemd_measure),
	    cmocka_unit_test(sign_matches_systemd_measure),
	    cmocka_unit_test(stub_lookup_rules),
	    cmocka_unit_test(stub_versions),
	    cmocka_unit_test(phases_normalized),
	    cmocka_unit_test(policy_pcr_by_hand),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
