/* SPDX-License-Identifier: MIT */
/* SHA-256 block function with the ARMv8 cryptography extensions
 * (SHA256H, SHA256H2, SHA256SU0, SHA256SU1; Arm ARM, "SHA256 instructions").
 * The state is two vectors, ABCD and EFGH; each group of four rounds adds
 * W+K, and SU0/SU1 extend the schedule. Built only on aarch64 and selected
 * at run time from the hardware capabilities (HWCAP_SHA2). */
#include "sha256_priv.h"

#if defined(__aarch64__) && defined(__GNUC__)
#include <arm_neon.h>
#include <sys/auxv.h>
#ifndef HWCAP_SHA2
#define HWCAP_SHA2 (1 << 6)
#endif

#define VC_CE_TARGET __attribute__((target("+crypto")))

VC_CE_TARGET static inline void ce_block(uint32x4_t *abcd, uint32x4_t *efgh, const uint8_t *p)
{
	uint32x4_t w[4], save0 = *abcd, save1 = *efgh;

	for (int g = 0; g < 4; g++)
		w[g] = vreinterpretq_u32_u8(vrev32q_u8(vld1q_u8(p + 16 * g)));
	for (int g = 0; g < 16; g++) {
		uint32x4_t wk = vaddq_u32(w[g & 3], vld1q_u32(&vc_sha256_k[4 * g]));
		uint32x4_t a0 = *abcd;

		if (g < 12) /* the group four ahead */
			w[g & 3] = vsha256su1q_u32(vsha256su0q_u32(w[g & 3], w[(g + 1) & 3]),
						   w[(g + 2) & 3], w[(g + 3) & 3]);
		*abcd = vsha256hq_u32(*abcd, *efgh, wk);
		*efgh = vsha256h2q_u32(*efgh, a0, wk);
	}
	*abcd = vaddq_u32(*abcd, save0);
	*efgh = vaddq_u32(*efgh, save1);
}

VC_CE_TARGET static void ce_blocks(uint32_t h[8], const uint8_t *p, size_t n)
{
	uint32x4_t abcd = vld1q_u32(h), efgh = vld1q_u32(h + 4);

	for (; n > 0; n--, p += 64)
		ce_block(&abcd, &efgh, p);
	vst1q_u32(h, abcd);
	vst1q_u32(h + 4, efgh);
}

VC_CE_TARGET static void ce_blocks2(uint32_t ha[8], uint32_t hb[8], const uint8_t *a,
				    const uint8_t *b, size_t n)
{
	uint32x4_t a0 = vld1q_u32(ha), a1 = vld1q_u32(ha + 4);
	uint32x4_t b0 = vld1q_u32(hb), b1 = vld1q_u32(hb + 4);

	for (; n > 0; n--, a += 64, b += 64) {
		ce_block(&a0, &a1, a);
		ce_block(&b0, &b1, b);
	}
	vst1q_u32(ha, a0);
	vst1q_u32(ha + 4, a1);
	vst1q_u32(hb, b0);
	vst1q_u32(hb + 4, b1);
}

vc_sha256_blocks_fn *vc_sha256_arm_blocks(void)
{
	return (getauxval(AT_HWCAP) & HWCAP_SHA2) ? ce_blocks : NULL;
}

vc_sha256_blocks2_fn *vc_sha256_arm_blocks2(void)
{
	return (getauxval(AT_HWCAP) & HWCAP_SHA2) ? ce_blocks2 : NULL;
}

#else

vc_sha256_blocks_fn *vc_sha256_arm_blocks(void)
{
	return NULL;
}

vc_sha256_blocks2_fn *vc_sha256_arm_blocks2(void)
{
	return NULL;
}

#endif
