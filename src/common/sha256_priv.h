/* SPDX-License-Identifier: MIT */
/* Private: the compression functions behind vc_sha256_*. Each processes n
 * whole 64-byte blocks into the state h (FIPS 180-4 section 6.2.2). */
#ifndef VC_SHA256_PRIV_H
#define VC_SHA256_PRIV_H

#include <stddef.h>
#include <stdint.h>

typedef void vc_sha256_blocks_fn(uint32_t h[8], const uint8_t *p, size_t n);
typedef void vc_sha256_blocks2_fn(uint32_t ha[8], uint32_t hb[8], const uint8_t *a,
				  const uint8_t *b, size_t n);

extern const uint32_t vc_sha256_k[64];

/* NULL when the CPU or the build lacks the extension. */
vc_sha256_blocks_fn *vc_sha256_x86_blocks(void);
vc_sha256_blocks2_fn *vc_sha256_x86_blocks2(void);
vc_sha256_blocks_fn *vc_sha256_arm_blocks(void);
vc_sha256_blocks2_fn *vc_sha256_arm_blocks2(void);

#endif
