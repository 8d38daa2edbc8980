/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the PE32+ reader (vc_pe_parse), then what is done with
 * a parsed image: section lookup and data, checksum, the JSON description,
 * the Authenticode digest. */
#include <string.h>

#include "fuzz_util.h"
#include "vcompose/pe.h"
#include "vcompose/sign.h"
#include "vcompose/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct vc_pe_image img;
	struct vc_error err = {0};
	uint8_t digest[32];

	if (vc_pe_parse(data, len, "fuzz", &img, &err) == 0) {
		for (unsigned i = 0; i < img.n_sections; i++) {
			const uint8_t *p;
			size_t n = vc_pe_section_data(&img, &img.sections[i], &p);
			if (n && (p < data || p + n > data + len))
				abort(); /* section data stays inside the file */
		}
		vc_pe_find_section(&img, ".sbat");
		vc_pe_checksum(data, len, img.checksum_offset);
		struct vc_json j;
		vc_json_init(&j, 2);
		vc_pe_describe_json(&img, &j, &err);
		vc_json_finish(&j, &err);
		vc_json_fini(&j);
		memset(&err, 0, sizeof(err));
		vc_sign_pe_digest(data, len, digest, &err);
	}
	FUZZ_CHECK_MSG(err);
	return 0;
}
