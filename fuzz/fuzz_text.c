/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the small text parsers and encoders every command line
 * and config value goes through: hex, UUIDs, integers with suffixes, base64,
 * JSON string escaping. Parsed values must format back to what was read. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz_util.h"
#include "vcompose/sign.h"
#include "vcompose/util.h"

static int b64val(uint8_t c)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c ? strchr(a, c) : NULL;
	return p ? (int)(p - a) : -1;
}

/* Decodes our own base64 output back; aborts on anything malformed. */
static void check_base64(const uint8_t *in, size_t len, const struct vc_buf *b)
{
	size_t n = 0;

	if (b->len != (len + 2) / 3 * 4)
		abort();
	for (size_t i = 0; i < b->len; i += 4) {
		uint32_t v = 0;
		int pad = 0;
		for (int k = 0; k < 4; k++) {
			int x = b->data[i + k] == '=' ? (pad++, 0) : b64val(b->data[i + k]);
			if (x < 0 || (pad && b->data[i + k] != '='))
				abort();
			v = v << 6 | (uint32_t)x;
		}
		for (int k = 0; k < 3 - pad; k++, n++)
			if (n >= len || in[n] != (uint8_t)(v >> (16 - 8 * k)))
				abort();
	}
	if (n != len)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct vc_error err = {0};
	char *s = malloc(len + 1), hex[2 * 64 + 1], ustr[VC_UUID_STR];
	uint8_t out[64], uuid[16];
	size_t n;
	uint64_t v;

	if (!s)
		return 0;
	memcpy(s, data, len);
	s[len] = 0;

	if (vc_hex_decode(s, out, sizeof(out), &n, &err) == 0) {
		vc_hex_encode(out, n, hex);
		if (strlen(s) != 2 * n || strcasecmp(hex, s) != 0)
			abort();
	}
	FUZZ_CHECK_MSG(err);
	memset(&err, 0, sizeof(err));
	if (vc_uuid_parse(s, uuid, &err) == 0) {
		vc_uuid_format(uuid, ustr);
		if (strcasecmp(ustr, s) != 0 && !(strlen(s) == 38 && s[0] == '{'))
			abort();
	}
	FUZZ_CHECK_MSG(err);
	memset(&err, 0, sizeof(err));
	if (vc_parse_u64(s, true, &v, &err) == 0 && s[0] != '0' && !strpbrk(s, "KMGTkmgt")) {
		char back[32];
		snprintf(back, sizeof(back), "%llu", (unsigned long long)v);
		if (strcmp(back, s) != 0)
			abort(); /* plain decimal reads back as itself */
	}
	FUZZ_CHECK_MSG(err);
	memset(&err, 0, sizeof(err));
	vc_parse_u64(s, false, &v, &err);
	FUZZ_CHECK_MSG(err);

	struct vc_buf b = {0};
	memset(&err, 0, sizeof(err));
	if (vc_base64_encode(data, len, &b, &err) == 0)
		check_base64(data, len, &b);
	vc_buf_fini(&b);

	struct vc_json j;
	vc_json_init(&j, 0);
	vc_json_begin_object(&j);
	vc_json_key(&j, s);
	vc_json_string_n(&j, (const char *)data, len);
	vc_json_end_object(&j);
	vc_json_finish(&j, &err);
	vc_json_fini(&j);
	free(s);
	return 0;
}
