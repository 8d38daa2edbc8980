/* SPDX-License-Identifier: MIT */
/* SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104) with runtime CPU dispatch.
 *
 * The compression function is chosen once per process: our SHA-NI code on
 * x86-64 CPUs that have it, ARMv8 crypto extensions on aarch64, mbedtls
 * otherwise. VC_SHA256=portable in the environment forces the mbedtls path
 * (tests use it to check that both give the same bytes).
 *
 * vc_sha256_update2() hashes two independent messages of equal length in
 * lock step; the fast paths interleave the two dependency chains, which is
 * what makes verity hashing run near the machine's bound. */
#ifndef VCOMPOSE_SHA256_H
#define VCOMPOSE_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define VC_SHA256_LEN	32
#define VC_SHA256_BLOCK 64

/* A plain value without interior pointers: copy it to fork a prefix. */
struct vc_sha256 {
	uint32_t h[8];
	uint64_t n_bytes; /* total bytes fed so far */
	uint8_t buf[64];  /* partial block */
};

void vc_sha256_init(struct vc_sha256 *c);
void vc_sha256_update(struct vc_sha256 *c, const void *data, size_t len);
void vc_sha256_final(struct vc_sha256 *c, uint8_t out[VC_SHA256_LEN]);
void vc_sha256(const void *data, size_t len, uint8_t out[VC_SHA256_LEN]);

/* Feeds a to ca and b to cb, both of length len. Fastest when ca and cb hold
 * the same number of bytes (e.g. both were copied from one salted prefix). */
void vc_sha256_update2(struct vc_sha256 *ca, struct vc_sha256 *cb, const void *a, const void *b,
		       size_t len);

/* Which compression function runs: "sha-ni", "armv8-ce" or "portable". */
const char *vc_sha256_impl(void);

void vc_hmac_sha256(const void *key, size_t key_len, const void *msg, size_t msg_len,
		    uint8_t out[VC_SHA256_LEN]);

#endif
