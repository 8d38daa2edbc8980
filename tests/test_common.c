/* SPDX-License-Identifier: MIT */
/* Unit tests for src/common: SHA-256 (NIST vectors, fast path vs mbedtls),
 * HMAC (RFC 4231), UUIDs, hex, numbers, JSON, the pool and the sinks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <mbedtls/md.h>

#include "vcompose/error.h"
#include "vcompose/pool.h"
#include "vcompose/sha256.h"
#include "vcompose/sink.h"
#include "vcompose/util.h"

static void hex_of(const uint8_t *d, size_t n, char *out)
{
	vc_hex_encode(d, n, out);
}

static void sha_hex(const void *p, size_t n, char out[65])
{
	uint8_t d[32];
	vc_sha256(p, n, d);
	hex_of(d, 32, out);
}

static void sha256_nist_vectors(void **state)
{
	char h[65];
	(void)state;
	/* FIPS 180-4 examples (NIST CSRC "SHA256.pdf", SHA2 additional vectors). */
	sha_hex("", 0, h);
	assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sha_hex("abc", 3, h);
	assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	const char *m2 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	sha_hex(m2, strlen(m2), h);
	assert_string_equal(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	char *a = malloc(1000000);
	assert_non_null(a);
	memset(a, 'a', 1000000);
	sha_hex(a, 1000000, h);
	assert_string_equal(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	/* The same million bytes fed in odd pieces. */
	struct vc_sha256 c;
	uint8_t d[32];
	vc_sha256_init(&c);
	for (size_t off = 0, step = 1; off < 1000000; off += step, step = step * 7 % 131 + 1)
		vc_sha256_update(&c, a + off, off + step > 1000000 ? 1000000 - off : step);
	vc_sha256_final(&c, d);
	hex_of(d, 32, h);
	assert_string_equal(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(a);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint8_t rng_byte(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint8_t)rng_state;
}

/* mbedtls's SHA-256 through the md layer (stable across 2.28 and 3.x). */
static void ref_sha256(const uint8_t *p, size_t n, uint8_t out[32])
{
	assert_int_equal(mbedtls_md(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), p, n, out), 0);
}

/* Whatever path was dispatched must agree with mbedtls's own SHA-256. */
static void sha256_matches_mbedtls(void **state)
{
	static uint8_t buf[1 << 20];
	uint8_t ours[32], ref[32];
	(void)state;
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = rng_byte();
	for (size_t n = 0; n <= 300; n++) {
		vc_sha256(buf + n, n, ours);
		ref_sha256(buf + n, n, ref);
		assert_memory_equal(ours, ref, 32);
	}
	const size_t big[] = {4096, 4096 + 32, 65535, 65536 + 1, sizeof(buf)};
	for (size_t k = 0; k < VC_ARRAY_SIZE(big); k++) {
		vc_sha256(buf, big[k], ours);
		ref_sha256(buf, big[k], ref);
		assert_memory_equal(ours, ref, 32);
	}
	print_message("sha256 implementation: %s\n", vc_sha256_impl());
}

/* The dispatched path against outputs recorded from the SHA-NI path
 * (x86-64 with SHA extensions, this test's first run): every length 0..300
 * at every offset mod 64 of a fixed pseudo-random buffer, a few multi-block
 * sizes and two messages in lock step (vc_sha256_update2). The digests are
 * folded with mbedtls (not the code under test) into one recorded value.
 * common_portable_sha runs this with VC_SHA256=portable, so the portable
 * path is held to the SHA-NI path's outputs, and both to the NIST vectors
 * above; neither is compared with itself. */
#define SHA_RECORDED "2aa5a630ccc70ad83d39221b771b9e2bfe2bbb3053b244d4a70e9f97ba98ae58"
static void sha256_recorded_outputs(void **state)
{
	static uint8_t buf[70000];
	uint64_t x = 0x0123456789abcdefull;
	mbedtls_md_context_t fold;
	uint8_t d[32], e[32];
	char h[65];
	const char *force = getenv("VC_SHA256");
	(void)state;

	for (size_t i = 0; i < sizeof(buf); i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = (uint8_t)x;
	}
	mbedtls_md_init(&fold);
	assert_int_equal(mbedtls_md_setup(&fold, mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), 0),
			 0);
	assert_int_equal(mbedtls_md_starts(&fold), 0);
	for (size_t n = 0; n <= 300; n++) {
		vc_sha256(buf + n % 64, n, d);
		mbedtls_md_update(&fold, d, 32);
	}
	const size_t big[] = {4096, 4096 + 32, 65535, 65536 + 1};
	for (size_t k = 0; k < VC_ARRAY_SIZE(big); k++) {
		vc_sha256(buf + k, big[k], d);
		mbedtls_md_update(&fold, d, 32);
	}
	for (size_t n = 0; n < 600; n += 37) {
		struct vc_sha256 ca, cb;
		vc_sha256_init(&ca);
		vc_sha256_update(&ca, buf, n % 64);
		cb = ca;
		vc_sha256_update2(&ca, &cb, buf + 1000, buf + 2000, n * 5);
		vc_sha256_final(&ca, d);
		vc_sha256_final(&cb, e);
		mbedtls_md_update(&fold, d, 32);
		mbedtls_md_update(&fold, e, 32);
	}
	mbedtls_md_finish(&fold, d);
	mbedtls_md_free(&fold);
	hex_of(d, 32, h);
	print_message("sha256 path %s: %s\n", vc_sha256_impl(), h);
	if (force && strcmp(force, "portable") == 0)
		assert_string_equal(vc_sha256_impl(), "portable");
	assert_string_equal(h, SHA_RECORDED);
}

/* Two messages in lock step equal two separate hashes, for every prefix
 * length mod 64 (a verity salt) and every length up to a few blocks. */
static void sha256_update2_equals_update(void **state)
{
	static uint8_t a[600], b[600];
	(void)state;
	for (size_t i = 0; i < sizeof(a); i++) {
		a[i] = rng_byte();
		b[i] = rng_byte();
	}
	for (size_t pre = 0; pre < 70; pre += 3) {
		for (size_t n = 0; n < 300; n += 7) {
			struct vc_sha256 ca, cb, ra, rb;
			uint8_t da[32], db[32], ea[32], eb[32];
			vc_sha256_init(&ca);
			vc_sha256_update(&ca, a + 500, pre);
			cb = ca;
			vc_sha256_update2(&ca, &cb, a, b, n);
			vc_sha256_final(&ca, da);
			vc_sha256_final(&cb, db);
			vc_sha256_init(&ra);
			vc_sha256_update(&ra, a + 500, pre);
			rb = ra;
			vc_sha256_update(&ra, a, n);
			vc_sha256_update(&rb, b, n);
			vc_sha256_final(&ra, ea);
			vc_sha256_final(&rb, eb);
			assert_memory_equal(da, ea, 32);
			assert_memory_equal(db, eb, 32);
		}
	}
}

static void hmac_rfc4231(void **state)
{
	uint8_t d[32];
	char h[65];
	uint8_t key[131];
	(void)state;
	/* RFC 4231 test case 2 */
	vc_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, d);
	hex_of(d, 32, h);
	assert_string_equal(h, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	/* Test case 6: a 131-byte key, longer than the block. */
	memset(key, 0xaa, sizeof(key));
	const char *m = "Test Using Larger Than Block-Size Key - Hash Key First";
	vc_hmac_sha256(key, sizeof(key), m, strlen(m), d);
	hex_of(d, 32, h);
	assert_string_equal(h, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

static void uuid_derive_and_format(void **state)
{
	uint8_t u[16], v[16];
	char s[VC_UUID_STR];
	struct vc_error err = {0};
	(void)state;
	vc_uuid_derive("seed", 4, "disk-guid", u);
	assert_int_equal(u[6] >> 4, 4);	     /* version 4 */
	assert_int_equal(u[8] & 0xc0, 0x80); /* RFC 4122 variant */
	vc_uuid_derive("seed", 4, "disk-guid", v);
	assert_memory_equal(u, v, 16); /* deterministic */
	vc_uuid_derive("seed", 4, "erofs-uuid", v);
	assert_memory_not_equal(u, v, 16); /* the label matters */
	vc_uuid_format(u, s);
	assert_int_equal(strlen(s), 36);
	assert_int_equal(vc_uuid_parse(s, v, &err), 0);
	assert_memory_equal(u, v, 16);
	assert_int_equal(vc_uuid_parse("not-a-uuid", v, &err), VC_EINVAL);
	assert_non_null(strstr(err.msg, "not a UUID"));
	/* HMAC-SHA256(key="seed", "disk-guid") computed with openssl:
	 * printf disk-guid | openssl dgst -sha256 -hmac seed */
	uint8_t mac[32];
	vc_hmac_sha256("seed", 4, "disk-guid", 9, mac);
	mac[6] = (mac[6] & 0x0f) | 0x40;
	mac[8] = (mac[8] & 0x3f) | 0x80;
	assert_memory_equal(mac, u, 16);
}

static void hex_and_numbers(void **state)
{
	uint8_t b[4];
	size_t n;
	uint64_t v;
	char s[9];
	struct vc_error err = {0};
	(void)state;
	assert_int_equal(vc_hex_decode("00fFa5", b, sizeof(b), &n, &err), 0);
	assert_int_equal(n, 3);
	vc_hex_encode(b, 3, s);
	assert_string_equal(s, "00ffa5");
	assert_int_equal(vc_hex_decode("abc", b, sizeof(b), &n, &err), VC_EINVAL);
	assert_int_equal(vc_hex_decode("zz", b, sizeof(b), &n, &err), VC_EINVAL);
	assert_int_equal(vc_hex_decode("0011223344", b, sizeof(b), &n, &err), VC_ERANGE);
	assert_int_equal(vc_parse_u64("4096", false, &v, &err), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(vc_parse_u64("0x10", false, &v, &err), 0);
	assert_int_equal(v, 16);
	assert_int_equal(vc_parse_u64("100M", true, &v, &err), 0);
	assert_int_equal(v, 100ull << 20);
	assert_int_equal(vc_parse_u64("100M", false, &v, &err), VC_EINVAL);
	assert_int_equal(vc_parse_u64("-1", false, &v, &err), VC_EINVAL);
	assert_int_equal(vc_parse_u64("", false, &v, &err), VC_EINVAL);
	assert_int_equal(vc_parse_u64("18446744073709551616", false, &v, &err), VC_ERANGE);
	assert_int_equal(vc_parse_u64("17179869184G", true, &v, &err), VC_ERANGE);
}

static void utf8_to_utf16(void **state)
{
	uint16_t u[4];
	(void)state;
	/* "é" and U+1F600 (a surrogate pair) */
	assert_int_equal(vc_utf8_to_utf16("\xc3\xa9\xf0\x9f\x98\x80", 6, u, 4), 3);
	assert_int_equal(u[0], 0x00e9);
	assert_int_equal(u[1], 0xd83d);
	assert_int_equal(u[2], 0xde00);
	assert_int_equal(vc_utf8_to_utf16("abc", 3, NULL, 0), 3);		/* counting only */
	assert_int_equal(vc_utf8_to_utf16("\xc0\xaf", 2, NULL, 0), -1);		/* overlong */
	assert_int_equal(vc_utf8_to_utf16("\xed\xa0\x80", 3, NULL, 0), -1);	/* surrogate */
	assert_int_equal(vc_utf8_to_utf16("\xc3", 1, NULL, 0), -1);		/* truncated */
	assert_int_equal(vc_utf8_to_utf16("\xf4\x90\x80\x80", 4, NULL, 0), -1); /* > U+10FFFF */
}

static void json_writer(void **state)
{
	struct vc_json j;
	struct vc_error err = {0};
	const uint8_t bytes[] = {0xde, 0xad};
	(void)state;
	vc_json_init(&j, 0);
	vc_json_begin_object(&j);
	vc_json_key(&j, "name");
	vc_json_string(&j, "a\"b\\c\n\x01\xff\xc3\xa9");
	vc_json_key(&j, "list");
	vc_json_begin_array(&j);
	vc_json_uint(&j, 18446744073709551615ull);
	vc_json_int(&j, -5);
	vc_json_bool(&j, true);
	vc_json_null(&j);
	vc_json_begin_object(&j);
	vc_json_end_object(&j);
	vc_json_end_array(&j);
	vc_json_key(&j, "hex");
	vc_json_hex(&j, bytes, 2);
	vc_json_end_object(&j);
	const char *s = vc_json_finish(&j, &err);
	assert_non_null(s);
	assert_string_equal(s,
			    "{\"name\":\"a\\\"b\\\\c\\n\\u0001\\u00ff\xc3\xa9\","
			    "\"list\":[18446744073709551615,-5,true,null,{}],\"hex\":\"dead\"}\n");
	vc_json_fini(&j);
	vc_json_init(&j, 2);
	vc_json_begin_object(&j);
	vc_json_key(&j, "a");
	vc_json_begin_array(&j);
	vc_json_uint(&j, 1);
	vc_json_end_array(&j);
	vc_json_end_object(&j);
	s = vc_json_finish(&j, &err);
	assert_string_equal(s, "{\n  \"a\": [\n    1\n  ]\n}\n");
	vc_json_fini(&j);
}

struct pool_ctx {
	uint64_t out[1000];
};

static int square(void *ctx, size_t i, struct vc_error *err)
{
	struct pool_ctx *c = ctx;
	if (i == 700 || i == 300)
		return vc_errorf(err, VC_EINVAL, "item %zu failed", i);
	c->out[i] = (uint64_t)i * i;
	return 0;
}

static int square_ok(void *ctx, size_t i, struct vc_error *err)
{
	struct pool_ctx *c = ctx;
	(void)err;
	c->out[i] = (uint64_t)i * i + 1;
	return 0;
}

static void pool_results_and_lowest_error(void **state)
{
	(void)state;
	for (unsigned t = 1; t <= 8; t *= 2) {
		struct vc_pool *p = NULL;
		struct vc_error err = {0};
		struct pool_ctx *c = calloc(1, sizeof(*c));
		assert_int_equal(vc_pool_new(t, &p, &err), 0);
		assert_int_equal(vc_pool_threads(p), t);
		for (int round = 0; round < 20; round++) {
			assert_int_equal(vc_pool_for(p, 1000, square_ok, c, &err), 0);
			for (size_t i = 0; i < 1000; i++)
				assert_int_equal(c->out[i], (uint64_t)i * i + 1);
			assert_int_equal(vc_pool_for(p, 1000, square, c, &err), VC_EINVAL);
			assert_string_equal(err.msg, "item 300 failed");
		}
		vc_pool_free(p);
		free(c);
	}
	struct vc_error err = {0};
	struct vc_pool *p;
	assert_int_equal(vc_pool_new(VC_POOL_MAX_THREADS + 1, &p, &err), VC_ERANGE);
}

static void sink_window_refuses_outside(void **state)
{
	struct vc_mem_sink m;
	struct vc_error err = {0};
	uint8_t b[8] = {1, 2, 3, 4, 5, 6, 7, 8}, r[8];
	(void)state;
	vc_mem_sink_init(&m);
	struct vc_sink w = vc_sink_window(&m.sink, 4096, 16, "gpt");
	assert_int_equal(vc_sink_pwrite(&w, b, 8, 8, &err), 0);
	assert_int_equal(m.len, 4096 + 16);
	assert_int_equal(m.data[4096 + 8], 1);
	assert_int_equal(m.data[4095], 0); /* untouched bytes are zero */
	assert_int_equal(vc_sink_pwrite(&w, b, 8, 9, &err), VC_ERANGE);
	assert_non_null(strstr(err.msg, "gpt: write of 8 bytes at offset 9"));
	assert_int_equal(vc_sink_pread(&w, r, 8, 8, &err), 0);
	assert_memory_equal(r, b, 8);
	struct vc_sink inner = vc_sink_window(&w, 4, 100, "inner");
	assert_int_equal(inner.limit, 12); /* clipped to the parent */
	vc_mem_sink_fini(&m);
}

static void file_sink_commit_and_abort(void **state)
{
	char dir[] = "/tmp/vcsinkXXXXXX";
	char path[64], name[80];
	struct vc_file_sink *f;
	struct vc_error err = {0};
	struct stat st;
	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/disk.raw", dir);
	/* Abort: nothing is left. */
	assert_int_equal(vc_file_sink_open(path, &f, &err), 0);
	assert_int_equal(vc_sink_pwrite(vc_file_sink_sink(f), "x", 1, 100, &err), 0);
	vc_file_sink_free(f);
	assert_int_equal(rmdir(dir), 0); /* empty: the temporary file is gone */
	assert_non_null(mkdtemp(strcpy(dir, "/tmp/vcsinkXXXXXX")));
	snprintf(path, sizeof(path), "%s/disk.raw", dir);
	/* Commit: renamed, sized, sparse. */
	assert_int_equal(vc_file_sink_open(path, &f, &err), 0);
	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(vc_sink_pwrite(vc_file_sink_sink(f), "x", 1, 100, &err), 0);
	assert_int_equal(vc_file_sink_end(f), 101);
	assert_int_equal(vc_file_sink_commit(f, 64 << 20, &err), 0);
	vc_file_sink_free(f);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 64 << 20);
	assert_true(st.st_blocks * 512 < (1 << 20)); /* holes stay holes */
	unlink(path);
	/* A path in a missing folder: an I/O error naming the path. */
	snprintf(name, sizeof(name), "%s/missing/x.raw", dir);
	assert_int_equal(vc_file_sink_open(name, &f, &err), VC_EIO);
	assert_non_null(strstr(err.msg, name));
	/* A bare name (the current folder) that exists already: replaced, the
	 * new file unnamed until the commit, like any other. */
	char cwd[4096];
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(dir), 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(vc_file_sink_open("bare.raw", &f, &err), 0);
		assert_int_equal(vc_sink_pwrite(vc_file_sink_sink(f), "y", 1, i, &err), 0);
		assert_int_equal(vc_file_sink_commit(f, 2, &err), 0);
		vc_file_sink_free(f);
	}
	assert_int_equal(stat("bare.raw", &st), 0);
	assert_int_equal(st.st_size, 2);
	unlink("bare.raw");
	/* vc_write_file: a new file, whole; never over an existing one */
	struct vc_buf b = {0};
	assert_int_equal(vc_write_file("w.txt", "hello", 5, 0600, &err), 0);
	assert_int_equal(vc_read_file("w.txt", 100, &b, &err), 0);
	assert_int_equal(b.len, 5);
	assert_memory_equal(b.data, "hello", 5);
	vc_buf_fini(&b);
	assert_int_equal(vc_write_file("w.txt", "x", 1, 0600, &err), VC_EIO);
	assert_non_null(strstr(err.msg, "w.txt"));
	unlink("w.txt");
	assert_int_equal(chdir(cwd), 0);
	rmdir(dir);
}

/* vc_sink_copy_fd: by the kernel into a file sink, through a buffer into a
 * memory sink; the same bytes at the same place either way. */
static void sink_copy_fd(void **state)
{
	char dir[] = "/tmp/vcsinkXXXXXX";
	char src[64], path[64];
	size_t n = (3u << 20) + 123;
	uint8_t *data = malloc(n), *back = malloc(n);
	struct vc_file_sink *f;
	struct vc_mem_sink m;
	struct vc_error err = {0};
	FILE *fp;
	int fd;
	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(src, sizeof(src), "%s/src", dir);
	snprintf(path, sizeof(path), "%s/out", dir);
	for (size_t i = 0; i < n; i++)
		data[i] = (uint8_t)(i * 2654435761u >> 13);
	assert_non_null(fp = fopen(src, "wb"));
	assert_int_equal(fwrite(data, 1, n, fp), n);
	fclose(fp);
	assert_true((fd = open(src, O_RDONLY)) >= 0);

	assert_int_equal(vc_file_sink_open(path, &f, &err), 0);
	struct vc_sink w = vc_sink_window(vc_file_sink_sink(f), 4096, n, "part");
	assert_int_equal(vc_sink_copy_fd(&w, fd, 7, n - 7, 0, "src", &err), 0);
	assert_int_equal(vc_file_sink_end(f), 4096 + n - 7);
	assert_int_equal(vc_sink_pread(&w, back, n - 7, 0, &err), 0);
	assert_memory_equal(back, data + 7, n - 7);
	/* past the window, or past the end of the source: errors that say so */
	assert_int_equal(vc_sink_copy_fd(&w, fd, 0, n, 1, "src", &err), VC_ERANGE);
	assert_non_null(strstr(err.msg, "part:"));
	assert_int_equal(vc_sink_copy_fd(&w, fd, 8, n - 7, 0, "src", &err), VC_EIO);
	assert_string_equal(err.msg, "src: file shrank while being read");
	vc_file_sink_free(f);

	vc_mem_sink_init(&m);
	assert_int_equal(vc_sink_copy_fd(&m.sink, fd, 7, n - 7, 100, "src", &err), 0);
	assert_int_equal(m.len, 100 + n - 7);
	assert_memory_equal(m.data + 100, data + 7, n - 7);
	vc_mem_sink_fini(&m);
	close(fd);
	unlink(src);
	rmdir(dir);
	free(data);
	free(back);
}

/* vc_sink_copy_fd skips the source's holes (the range it writes was never
 * written, so it reads zero) but writes the last 4 KiB, so the file covers
 * the range; vc_sink_next_data finds the data again. */
static void sink_copy_fd_holes(void **state)
{
	char dir[] = "/tmp/vcsinkXXXXXX";
	char src[64], path[64];
	const size_t n = 8u << 20, at = 1u << 20;
	uint8_t *back = malloc(n), pat[4096];
	struct vc_file_sink *f;
	struct vc_error err = {0};
	int fd;
	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(src, sizeof(src), "%s/src", dir);
	snprintf(path, sizeof(path), "%s/out", dir);
	for (size_t i = 0; i < sizeof(pat); i++)
		pat[i] = (uint8_t)(i * 7 + 1);
	assert_true((fd = open(src, O_RDWR | O_CREAT | O_TRUNC, 0600)) >= 0);
	assert_int_equal(pwrite(fd, pat, sizeof(pat), (off_t)at), sizeof(pat));
	assert_int_equal(ftruncate(fd, (off_t)n), 0);
	bool holes = lseek(fd, 0, SEEK_DATA) == (off_t)at;

	assert_int_equal(vc_file_sink_open(path, &f, &err), 0);
	struct vc_sink w = vc_sink_window(vc_file_sink_sink(f), 4096, n, "part");
	assert_int_equal(vc_sink_copy_fd(&w, fd, 0, n, 0, "src", &err), 0);
	assert_int_equal(vc_file_sink_end(f), 4096 + n); /* the last 4 KiB written */
	assert_int_equal(vc_sink_pread(&w, back, n, 0, &err), 0);
	for (size_t i = 0; i < n; i++)
		if (back[i] != (i >= at && i < at + sizeof(pat) ? pat[i - at] : 0))
			fail_msg("byte %zu differs", i);
	if (holes) {
		/* the hole before the data was not written: the output has it too */
		assert_int_equal(vc_sink_next_data(&w, 0), at);
		assert_true(vc_sink_next_data(&w, at + sizeof(pat)) >= at + sizeof(pat));
	}
	vc_file_sink_free(f);
	struct vc_mem_sink m;
	vc_mem_sink_init(&m);
	assert_int_equal(vc_sink_next_data(&m.sink, 5), 5); /* memory cannot tell */
	vc_mem_sink_fini(&m);
	close(fd);
	unlink(src);
	rmdir(dir);
	free(back);
}

static void error_prefix(void **state)
{
	struct vc_error err = {0};
	(void)state;
	vc_errorf(&err, VC_ERANGE, "ESP too small: %d MiB given", 1);
	vc_error_prefix(&err, "fat");
	vc_error_prefix(&err, "config.xml:%d: <type efipartsize>", 12);
	assert_string_equal(err.msg,
			    "config.xml:12: <type efipartsize>: fat: ESP too small: 1 MiB given");
	assert_int_equal(err.code, VC_ERANGE);
}

static void base64_rfc4648(void **state)
{
	static const char *in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
	static const char *want[] = {"",	 "Zg==",     "Zm8=",	"Zm9v",
				     "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
	struct vc_error err = {0};
	(void)state;

	for (size_t i = 0; i < VC_ARRAY_SIZE(in); i++) {
		struct vc_buf b = {0};
		assert_int_equal(vc_base64_encode((const uint8_t *)in[i], strlen(in[i]), &b, &err),
				 0);
		assert_int_equal(b.len, strlen(want[i]));
		if (b.len)
			assert_memory_equal(b.data, want[i], b.len);
		vc_buf_fini(&b);
	}
}

static void base64_decodes_and_refuses(void **state)
{
	uint8_t *out;
	size_t n;
	struct vc_error err = {0};

	(void)state;
	assert_int_equal(vc_base64_decode("aGVsbG8=", &out, &n, &err), 0);
	assert_int_equal(n, 5);
	assert_memory_equal(out, "hello", 5);
	free(out);
	assert_int_equal(vc_base64_decode("", &out, &n, &err), 0);
	assert_int_equal(n, 0);
	free(out);
	assert_int_equal(vc_base64_decode("aGV*", &out, &n, &err), VC_EINVAL);
	assert_int_equal(vc_base64_decode("aGVsb", &out, &n, &err),
			 VC_EINVAL); /* 5 chars: 1 mod 4 */
	assert_int_equal(vc_base64_decode("aG=Vs", &out, &n, &err), VC_EINVAL); /* data after '=' */
}

/* The one seed recipe (vc_seed_derive), against SHA-256 of its text
 * computed by python's hashlib; the second is the minimal example's seed
 * in its manifest. */
static void seed_recipe(void **state)
{
	uint8_t s[VC_SEED_LEN];
	char hex[2 * VC_SEED_LEN + 1];
	struct vc_error err = {0};
	(void)state;

	assert_int_equal(vc_seed_derive("once", "ignored", "ignored", -1, s, &err), 0);
	vc_hex_encode(s, sizeof(s), hex);
	assert_string_equal(hex,
			    "21d04cbabc4cd496463a7e5eeb3af9d7644ade8a15c6b15f159487ffb571d6d3");
	assert_int_equal(vc_seed_derive(NULL, "minimal", "1.0.0", 1700000000, s, &err), 0);
	vc_hex_encode(s, sizeof(s), hex);
	assert_string_equal(hex,
			    "6005d2eb8d6b36327f6475e39bf4d3cf243c487634d3bbd386d86955bd2c70dc");
	assert_int_equal(vc_seed_derive(NULL, "minimal", "1.0.0", -1, s, &err), VC_EINVAL);
}

/* issue 15, item 9: a long path never pushes the reason out */
static void error_keeps_reason(void **state)
{
	struct vc_error err = {0};
	char path[4096];
	(void)state;
	memset(path, 'd', sizeof(path) - 1);
	path[sizeof(path) - 1] = 0;
	for (size_t i = 100; i < sizeof(path) - 1; i += 100)
		path[i] = '/';
	vc_errorf_errno(&err, VC_EIO, EACCES, "%s", path);
	assert_true(strlen(err.msg) < sizeof(err.msg));
	assert_non_null(strstr(err.msg, "..."));
	assert_non_null(strstr(err.msg, ": Permission denied"));
	assert_int_equal(strncmp(err.msg, "dddd", 4), 0);
	vc_errorf(&err, VC_EINVAL, "%s: expected at most 4095 bytes", path);
	vc_error_prefix(&err, "%s", path);
	assert_non_null(strstr(err.msg, "expected at most 4095 bytes"));
	/* cuts fall between UTF-8 sequences */
	char wide[3000] = "";
	for (int i = 0; i < 900; i++)
		strcat(wide, "\xc3\xa9");
	vc_errorf(&err, VC_EINVAL, "%s: reason", wide);
	size_t n = strlen(err.msg);
	assert_string_equal(err.msg + n - 8, ": reason");
	char esc[4096];
	assert_non_null(vc_escape(err.msg, esc, sizeof(esc)));
	assert_null(strstr(esc, "\\x")); /* all well-formed UTF-8 */
}

/* issue 15, item 5: untrusted text in a message cannot move the cursor */
static void escape_untrusted(void **state)
{
	char out[256];
	(void)state;
	assert_string_equal(vc_escape("a\nb\tc\rd\\e", out, sizeof(out)), "a\\nb\\tc\\rd\\e");
	assert_string_equal(vc_escape("\x1b[2J\x7f\x01", out, sizeof(out)), "\\x1b[2J\\x7f\\x01");
	assert_string_equal(vc_escape("caf\xc3\xa9 \xe2\x82\xac", out, sizeof(out)),
			    "caf\xc3\xa9 \xe2\x82\xac");
	assert_string_equal(vc_escape("\xff\xc0\xaf\xed\xa0\x80", out, sizeof(out)),
			    "\\xff\\xc0\\xaf\\xed\\xa0\\x80");
	assert_string_equal(vc_escape("\xc2\x9b"
				      "1m\xe2\x80\xae",
				      out, sizeof(out)),
			    "\\u009b1m\\u202e");
	/* whole escapes only when the buffer ends */
	assert_string_equal(vc_escape("ab\x1b", out, 5), "ab");
}

/* ---- the JSON reader (json_read.c) ---- */

static void json_reads_nested_values(void **state)
{
	const char *t =
	    " {\"a\": [1, -2.5e1, true, false, null], \"b\": {\"c\": \"x\\u00e9\\n\\\"\"}} ";
	struct vc_json_value v;
	struct vc_error err = {0};

	(void)state;
	assert_int_equal(vc_json_parse(t, strlen(t), &v, &err), 0);
	const struct vc_json_value *a = vc_json_get(&v, "a"), *b = vc_json_get(&v, "b");
	assert_non_null(a);
	assert_int_equal(a->type, VC_JSON_ARR);
	assert_int_equal(a->n_kids, 5);
	assert_true(a->kids[1].num == -25.0); /* number with exponent */
	assert_true(a->kids[2].b && a->kids[2].type == VC_JSON_BOOL);
	assert_int_equal(a->kids[4].type, VC_JSON_NULL);
	assert_string_equal(vc_json_get(b, "c")->str, "x\xc3\xa9\n\""); /* \u00e9 as UTF-8 */
	assert_null(vc_json_get(&v, "zz"));
	vc_json_value_free(&v);
}

static void json_refuses_bad_text(void **state)
{
	static const char *const bad[] = {
	    "",	       "{",	    "{\"a\"}",	"{\"a\":}", "[1,]",  "\"abc", "{\"a\":1} x", "tru",
	    "\"\\x\"", "\"\\u12\"", "\"a\tb\"", "{1:2}",    "[1 2]", "-",     "\"\\u00zz\"",
	};
	struct vc_error err = {0};
	struct vc_json_value v;

	(void)state;
	for (size_t i = 0; i < VC_ARRAY_SIZE(bad); i++) {
		int r = vc_json_parse(bad[i], strlen(bad[i]), &v, &err);
		if (r == 0)
			fail_msg("accepted '%s'", bad[i]);
		assert_int_equal(r, VC_EINVAL);
	}
	/* nesting is bounded */
	char deep[200];
	memset(deep, '[', sizeof(deep));
	assert_int_equal(vc_json_parse(deep, sizeof(deep), &v, &err), VC_EINVAL);
	assert_non_null(strstr(err.msg, "nested too deeply"));
	/* NUL escapes never reach a C string */
	assert_int_equal(vc_json_parse("\"a\\u0000b\"", 10, &v, &err), 0);
	assert_string_equal(v.str, "a\xef\xbf\xbd"
				   "b");
	vc_json_value_free(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(json_reads_nested_values),
	    cmocka_unit_test(json_refuses_bad_text),
	    cmocka_unit_test(sha256_nist_vectors),
	    cmocka_unit_test(sha256_matches_mbedtls),
	    cmocka_unit_test(sha256_recorded_outputs),
	    cmocka_unit_test(sha256_update2_equals_update),
	    cmocka_unit_test(hmac_rfc4231),
	    cmocka_unit_test(uuid_derive_and_format),
	    cmocka_unit_test(hex_and_numbers),
	    cmocka_unit_test(utf8_to_utf16),
	    cmocka_unit_test(json_writer),
	    cmocka_unit_test(pool_results_and_lowest_error),
	    cmocka_unit_test(sink_window_refuses_outside),
	    cmocka_unit_test(file_sink_commit_and_abort),
	    cmocka_unit_test(sink_copy_fd),
	    cmocka_unit_test(sink_copy_fd_holes),
	    cmocka_unit_test(error_prefix),
	    cmocka_unit_test(error_keeps_reason),
	    cmocka_unit_test(escape_untrusted),
	    cmocka_unit_test(base64_rfc4648),
	    cmocka_unit_test(base64_decodes_and_refuses),
	    cmocka_unit_test(seed_recipe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
