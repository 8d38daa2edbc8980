/* SPDX-License-Identifier: MIT */
/* SHA-256 block function with the x86 SHA extensions (SHA-NI).
 * Reference: Intel, "New Instructions Supporting the Secure Hash Algorithm on
 * Intel Architecture Processors" (2013). The state is kept as the two vectors
 * the SHA256RNDS2 instruction wants, ABEF and CDGH; each group of four rounds
 * adds W+K and runs two double rounds. The 2-way variant runs two independent
 * messages in one loop so the two dependency chains overlap. */
#include "sha256_priv.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>

#define VC_SHA_TARGET __attribute__((target("sha,sse4.1,ssse3")))

struct shani_state {
	__m128i abef, cdgh;
};

VC_SHA_TARGET static inline struct shani_state shani_load(const uint32_t h[8])
{
	__m128i abcd = _mm_loadu_si128((const __m128i *)h);	  /* A B C D (dword 0..3) */
	__m128i efgh = _mm_loadu_si128((const __m128i *)(h + 4)); /* E F G H */
	struct shani_state s;

	abcd = _mm_shuffle_epi32(abcd, 0xB1);	    /* B A D C */
	efgh = _mm_shuffle_epi32(efgh, 0x1B);	    /* H G F E */
	s.abef = _mm_alignr_epi8(abcd, efgh, 8);    /* F E B A */
	s.cdgh = _mm_blend_epi16(efgh, abcd, 0xF0); /* H G D C */
	return s;
}

VC_SHA_TARGET static inline void shani_store(uint32_t h[8], struct shani_state s)
{
	__m128i feba = _mm_shuffle_epi32(s.abef, 0x1B); /* A B E F */
	__m128i dchg = _mm_shuffle_epi32(s.cdgh, 0xB1); /* G H C D */

	_mm_storeu_si128((__m128i *)h, _mm_blend_epi16(feba, dchg, 0xF0));    /* A B C D */
	_mm_storeu_si128((__m128i *)(h + 4), _mm_alignr_epi8(dchg, feba, 8)); /* E F G H */
}

/* Message group g (words 4g..4g+3) from the rolling window w[4]. */
VC_SHA_TARGET static inline __m128i shani_schedule(__m128i w[4], const uint8_t *p, int g)
{
	const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);

	if (g < 4) {
		w[g] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * g)), bswap);
	} else {
		__m128i t = _mm_sha256msg1_epu32(w[g & 3], w[(g + 1) & 3]);
		t = _mm_add_epi32(t, _mm_alignr_epi8(w[(g + 3) & 3], w[(g + 2) & 3], 4));
		w[g & 3] = _mm_sha256msg2_epu32(t, w[(g + 3) & 3]);
	}
	return w[g & 3];
}

VC_SHA_TARGET static inline void shani_rounds(struct shani_state *s, __m128i wk)
{
	s->cdgh = _mm_sha256rnds2_epu32(s->cdgh, s->abef, wk);
	s->abef = _mm_sha256rnds2_epu32(s->abef, s->cdgh, _mm_shuffle_epi32(wk, 0x0E));
}

VC_SHA_TARGET static void shani_blocks(uint32_t h[8], const uint8_t *p, size_t n)
{
	struct shani_state s = shani_load(h);

	for (; n > 0; n--, p += 64) {
		struct shani_state save = s;
		__m128i w[4];

		/* Fully unrolled: w[] stays in registers and g is a constant. */
#pragma GCC unroll 16
		for (int g = 0; g < 16; g++) {
			__m128i k = _mm_loadu_si128((const __m128i *)&vc_sha256_k[4 * g]);
			shani_rounds(&s, _mm_add_epi32(shani_schedule(w, p, g), k));
		}
		s.abef = _mm_add_epi32(s.abef, save.abef);
		s.cdgh = _mm_add_epi32(s.cdgh, save.cdgh);
	}
	shani_store(h, s);
}

VC_SHA_TARGET static void shani_blocks2(uint32_t ha[8], uint32_t hb[8], const uint8_t *a,
					const uint8_t *b, size_t n)
{
	struct shani_state sa = shani_load(ha), sb = shani_load(hb);

	for (; n > 0; n--, a += 64, b += 64) {
		struct shani_state save_a = sa, save_b = sb;
		__m128i wa[4], wb[4];

		/* Fully unrolled: w[] stays in registers and g is a constant. */
#pragma GCC unroll 16
		for (int g = 0; g < 16; g++) {
			__m128i k = _mm_loadu_si128((const __m128i *)&vc_sha256_k[4 * g]);
			__m128i xa = _mm_add_epi32(shani_schedule(wa, a, g), k);
			__m128i xb = _mm_add_epi32(shani_schedule(wb, b, g), k);
			shani_rounds(&sa, xa);
			shani_rounds(&sb, xb);
		}
		sa.abef = _mm_add_epi32(sa.abef, save_a.abef);
		sa.cdgh = _mm_add_epi32(sa.cdgh, save_a.cdgh);
		sb.abef = _mm_add_epi32(sb.abef, save_b.abef);
		sb.cdgh = _mm_add_epi32(sb.cdgh, save_b.cdgh);
	}
	shani_store(ha, sa);
	shani_store(hb, sb);
}

static int have_shani(void)
{
	unsigned a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d))
		return 0;
	if (!(c & bit_SSSE3) || !(c & bit_SSE4_1))
		return 0;
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return 0;
	return (b & (1u << 29)) != 0; /* CPUID.(EAX=7,ECX=0):EBX.SHA[bit 29] */
}

vc_sha256_blocks_fn *vc_sha256_x86_blocks(void)
{
	return have_shani() ? shani_blocks : NULL;
}

vc_sha256_blocks2_fn *vc_sha256_x86_blocks2(void)
{
	return have_shani() ? shani_blocks2 : NULL;
}

#else

vc_sha256_blocks_fn *vc_sha256_x86_blocks(void)
{
	return NULL;
}

vc_sha256_blocks2_fn *vc_sha256_x86_blocks2(void)
{
	return NULL;
}

#endif
