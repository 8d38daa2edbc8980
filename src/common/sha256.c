/* SPDX-License-Identifier: MIT */
/* SHA-256 (FIPS 180-4) streaming, dispatch, and HMAC-SHA256 (RFC 2104).
 * Padding and buffering are ours; the block function is SHA-NI, ARMv8 CE or
 * mbedtls's, chosen once per process (VC_SHA256=portable forces mbedtls). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/sha256.h>

#include "sha256_priv.h"
#include "vcompose/endian.h"
#include "vcompose/sha256.h"

#ifndef MBEDTLS_PRIVATE /* mbedtls 2.x: fields are public */
#define MBEDTLS_PRIVATE(member) member
#endif

const uint32_t vc_sha256_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static const uint32_t sha256_iv[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

/* The portable block function: mbedtls's, fed our state. */
static void portable_blocks(uint32_t h[8], const uint8_t *p, size_t n)
{
	mbedtls_sha256_context m;

	mbedtls_sha256_init(&m);
	memcpy(m.MBEDTLS_PRIVATE(state), h, 32);
	for (; n > 0; n--, p += 64)
		mbedtls_internal_sha256_process(&m, p);
	memcpy(h, m.MBEDTLS_PRIVATE(state), 32);
	mbedtls_sha256_free(&m);
}

static void portable_blocks2(uint32_t ha[8], uint32_t hb[8], const uint8_t *a, const uint8_t *b,
			     size_t n)
{
	portable_blocks(ha, a, n);
	portable_blocks(hb, b, n);
}

static vc_sha256_blocks_fn *blocks_fn = portable_blocks;
static vc_sha256_blocks2_fn *blocks2_fn = portable_blocks2;
static const char *impl_name = "portable";
static pthread_once_t dispatch_once = PTHREAD_ONCE_INIT;

static void dispatch(void)
{
	const char *force = getenv("VC_SHA256");

	if (force && strcmp(force, "portable") == 0)
		return;
	if (vc_sha256_x86_blocks()) {
		blocks_fn = vc_sha256_x86_blocks();
		blocks2_fn = vc_sha256_x86_blocks2();
		impl_name = "sha-ni";
	} else if (vc_sha256_arm_blocks()) {
		blocks_fn = vc_sha256_arm_blocks();
		blocks2_fn = vc_sha256_arm_blocks2();
		impl_name = "armv8-ce";
	}
}

const char *vc_sha256_impl(void)
{
	pthread_once(&dispatch_once, dispatch);
	return impl_name;
}

void vc_sha256_init(struct vc_sha256 *c)
{
	pthread_once(&dispatch_once, dispatch);
	memcpy(c->h, sha256_iv, sizeof(c->h));
	c->n_bytes = 0;
	memset(c->buf, 0, sizeof(c->buf));
}

void vc_sha256_update(struct vc_sha256 *c, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t used = (size_t)(c->n_bytes % 64);

	c->n_bytes += len;
	if (used) {
		size_t take = 64 - used < len ? 64 - used : len;
		memcpy(c->buf + used, p, take);
		p += take;
		len -= take;
		if (used + take < 64)
			return;
		blocks_fn(c->h, c->buf, 1);
	}
	if (len >= 64) {
		blocks_fn(c->h, p, len / 64);
		p += len / 64 * 64;
		len %= 64;
	}
	memcpy(c->buf, p, len);
}

void vc_sha256_update2(struct vc_sha256 *ca, struct vc_sha256 *cb, const void *a, const void *b,
		       size_t len)
{
	const uint8_t *pa = a, *pb = b;
	size_t used = (size_t)(ca->n_bytes % 64);

	if (used != cb->n_bytes % 64) {
		vc_sha256_update(ca, a, len);
		vc_sha256_update(cb, b, len);
		return;
	}
	/* Both contexts are at the same block offset: fill the partial blocks
	 * one by one, run the whole blocks in lock step, keep the tails. */
	if (used) {
		size_t take = 64 - used < len ? 64 - used : len;
		vc_sha256_update(ca, pa, take);
		vc_sha256_update(cb, pb, take);
		pa += take;
		pb += take;
		len -= take;
	}
	if (len >= 64) {
		size_t n = len / 64;
		blocks2_fn(ca->h, cb->h, pa, pb, n);
		ca->n_bytes += n * 64;
		cb->n_bytes += n * 64;
		pa += n * 64;
		pb += n * 64;
		len %= 64;
	}
	vc_sha256_update(ca, pa, len);
	vc_sha256_update(cb, pb, len);
}

void vc_sha256_final(struct vc_sha256 *c, uint8_t out[VC_SHA256_LEN])
{
	uint8_t pad[72] = {0x80};
	uint8_t len_be[8];
	size_t used = (size_t)(c->n_bytes % 64);
	size_t pad_len = used < 56 ? 56 - used : 120 - used;
	uint64_t bits = c->n_bytes * 8;

	vc_put_be64(len_be, bits);
	vc_sha256_update(c, pad, pad_len);
	vc_sha256_update(c, len_be, 8);
	for (int i = 0; i < 8; i++)
		vc_put_be32(out + 4 * i, c->h[i]);
}

void vc_sha256(const void *data, size_t len, uint8_t out[VC_SHA256_LEN])
{
	struct vc_sha256 c;

	vc_sha256_init(&c);
	vc_sha256_update(&c, data, len);
	vc_sha256_final(&c, out);
}

void vc_hmac_sha256(const void *key, size_t key_len, const void *msg, size_t msg_len,
		    uint8_t out[VC_SHA256_LEN])
{
	uint8_t k[64] = {0}, pad[64], inner[VC_SHA256_LEN];
	struct vc_sha256 c;

	if (key_len > 64)
		vc_sha256(key, key_len, k);
	else if (key_len > 0)
		memcpy(k, key, key_len);
	for (int i = 0; i < 64; i++)
		pad[i] = k[i] ^ 0x36;
	vc_sha256_init(&c);
	vc_sha256_update(&c, pad, 64);
	vc_sha256_update(&c, msg, msg_len);
	vc_sha256_final(&c, inner);
	for (int i = 0; i < 64; i++)
		pad[i] = k[i] ^ 0x5c;
	vc_sha256_init(&c);
	vc_sha256_update(&c, pad, 64);
	vc_sha256_update(&c, inner, sizeof(inner));
	vc_sha256_final(&c, out);
}
