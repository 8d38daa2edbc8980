/* SPDX-License-Identifier: MIT */
/* Base64. Spec: RFC 4648, section 4 (the standard alphabet, with padding). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vcompose/util.h"

int vc_base64_encode(const uint8_t *in, size_t len, struct vc_buf *out, struct vc_error *err)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = (len + 2) / 3 * 4;
	uint8_t *p = vc_buf_grow(out, n, err);

	if (!p)
		return VC_ENOMEM;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		size_t left = len - i;

		if (left > 1)
			v |= (uint32_t)in[i + 1] << 8;
		if (left > 2)
			v |= in[i + 2];
		*p++ = (uint8_t)tab[v >> 18 & 63];
		*p++ = (uint8_t)tab[v >> 12 & 63];
		*p++ = left > 1 ? (uint8_t)tab[v >> 6 & 63] : '=';
		*p++ = left > 2 ? (uint8_t)tab[v & 63] : '=';
	}
	return 0;
}

int vc_base64_decode(const char *in, uint8_t **ret, size_t *ret_len, struct vc_error *err)
{
	size_t n = strlen(in), o = 0;
	uint32_t acc = 0;
	int bits = 0, pad = 0;
	uint8_t *out = malloc(n / 4 * 3 + 3);

	if (!out)
		return vc_errorf(err, VC_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		char c = in[i];
		int v;
		if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= 'a' && c <= 'z')
			v = c - 'a' + 26;
		else if (c >= '0' && c <= '9')
			v = c - '0' + 52;
		else if (c == '+')
			v = 62;
		else if (c == '/')
			v = 63;
		else if (c == '=') {
			pad++;
			continue;
		} else {
			free(out);
			return vc_errorf(err, VC_EINVAL, "base64: bad character at %zu", i);
		}
		if (pad) {
			free(out);
			return vc_errorf(err, VC_EINVAL, "base64: data after '='");
		}
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	if (pad > 2 || (n - (size_t)pad) % 4 == 1) {
		free(out);
		return vc_errorf(err, VC_EINVAL, "base64: bad length");
	}
	*ret = out;
	*ret_len = o;
	return 0;
}
