/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the EROFS reader of `vcompose inspect` and `verify`
 * (src/inspect/erofs_read.c through vc_inspect_describe and
 * vc_inspect_verify), on a bare EROFS image. The superblock checksum is
 * recomputed first, so that mutations reach the inodes and directories:
 * directory cycles, "." and "..", nids inside other inodes, file types, sizes
 * and block addresses (issue 15, item 6). Both must end (libFuzzer's timeout
 * catches an endless walk), describe must give JSON. */
#include <string.h>

#include "fuzz_util.h"
#include "vcompose/erofs.h"
#include "vcompose/inspect.h"
#include "vcompose/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct vc_error err = {0};
	struct vc_inspect_report rep = {0};
	struct vc_inspect_verify_options o = {.jobs = 1};
	struct vc_json j;
	uint8_t *img;
	char path[64];

	if (len > (1u << 20))
		return 0;
	img = malloc(len ? len : 1);
	if (!img)
		abort();
	memcpy(img, data, len);
	if (len >= 4096 && (img[1024 + 8] & 1)) { /* feature_compat SB_CHKSUM */
		memset(img + 1024 + 4, 0, 4);
		uint32_t c = vc_erofs_crc32c(~0u, img + 1024, 4096 - 1024);
		img[1024 + 4] = (uint8_t)c, img[1024 + 5] = (uint8_t)(c >> 8);
		img[1024 + 6] = (uint8_t)(c >> 16), img[1024 + 7] = (uint8_t)(c >> 24);
	}
	int fd = fuzz_memfile(img, len, path);
	vc_json_init(&j, 0);
	if (vc_inspect_describe(path, &j, NULL, &err) == 0) {
		if (!vc_json_finish(&j, &err))
			abort();
	} else {
		FUZZ_CHECK_MSG(err);
	}
	vc_json_fini(&j);
	vc_error_clear(&err);
	if (vc_inspect_verify(path, &o, &rep, &err) < 0)
		FUZZ_CHECK_MSG(err);
	vc_inspect_report_fini(&rep);
	close(fd);
	free(img);
	return 0;
}
