/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the dm-verity superblock reader
 * (vc_verity_superblock_parse). An accepted superblock must survive a round
 * trip through the writer, and, when it covers few blocks, a tree must be
 * formatted and verified with its parameters (data: the fuzz input). */
#include <string.h>

#include "fuzz_util.h"
#include "vcompose/sink.h"
#include "vcompose/verity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	uint8_t sb[VC_VERITY_SB_LEN] = {0}, again[VC_VERITY_SB_LEN], root[32];
	struct vc_verity_params p, q;
	struct vc_verity_plan plan;
	struct vc_error err = {0};

	memcpy(sb, data, len < sizeof(sb) ? len : sizeof(sb));
	vc_verity_params_init(&p);
	if (vc_verity_superblock_parse(sb, &p, &err) < 0) {
		FUZZ_CHECK_MSG(err);
		return 0;
	}
	p.superblock = true;
	p.hash_offset = 0;
	vc_verity_superblock(&p, again);
	vc_verity_params_init(&q);
	if (vc_verity_superblock_parse(again, &q, &err) < 0 ||
	    q.data_block_size != p.data_block_size || q.hash_block_size != p.hash_block_size ||
	    q.data_blocks != p.data_blocks || q.salt_len != p.salt_len ||
	    memcmp(q.salt, p.salt, p.salt_len) || memcmp(q.uuid, p.uuid, 16)) {
		fprintf(stderr, "superblock round trip changed the parameters: %s\n", err.msg);
		abort();
	}
	if (vc_verity_params_check(&p, &err) < 0 || vc_verity_plan(&p, &plan, &err) < 0) {
		FUZZ_CHECK_MSG(err);
		return 0;
	}
	if (p.data_blocks <= 64) {
		struct vc_mem_sink d, h;
		vc_mem_sink_init(&d);
		vc_mem_sink_init(&h);
		if (vc_sink_pwrite(&d.sink, data, len, 0, &err) == 0 &&
		    vc_sink_pwrite(&d.sink, "", 1, plan.data_size - 1, &err) == 0) {
			struct vc_verity_src src = {.sink = &d.sink};
			if (vc_verity_format(&p, &src, &h.sink, NULL, root, &err) < 0 ||
			    vc_verity_verify(&p, &src, &h.sink, NULL, root, NULL, &err) < 0) {
				fprintf(stderr, "format/verify failed: %s\n", err.msg);
				abort();
			}
		}
		vc_mem_sink_fini(&d);
		vc_mem_sink_fini(&h);
	}
	return 0;
}
