/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the KIWI config.xml reader (vc_xmlcfg_parse) from memory,
 * with and without profiles and a command-line key. */
#include <string.h>

#include "fuzz_util.h"
#include "vcompose/xmlcfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const char *const profiles[] = {"a", "Live", NULL};
	struct vc_xmlcfg_options opts = {.profiles = NULL};
	struct vc_config *cfg = NULL;
	struct vc_error err = {0};
	uint8_t seed[32];

	/* The first byte picks the options, so both paths are fuzzed. */
	if (len && (data[0] & 1))
		opts.profiles = profiles;
	if (len && (data[0] & 2))
		opts.have_key = true;
	if (len && (data[0] & 4))
		opts.arch = "aarch64";
	if (vc_xmlcfg_parse((const char *)data, len, "fuzz.xml", "/nonexistent", &opts, &cfg,
			    &err) == 0) {
		if (!cfg)
			abort();
		vc_xmlcfg_seed(cfg, 1700000000, seed, &err);
		vc_xmlcfg_free(cfg);
	} else if (cfg) {
		abort(); /* outputs are written only on success */
	}
	FUZZ_CHECK_MSG(err);
	return 0;
}
