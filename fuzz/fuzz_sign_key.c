/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the key and certificate loaders (vc_sign_key_load,
 * vc_sign_cert_fingerprint) on PEM or DER files. Input: the key, then
 * "\n--cut--", then the certificate (chain). A loaded key signs a root hash. */
#include <string.h>

#include "fuzz_util.h"
#include "vcompose/sign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct vc_sign_key_options o = {.passphrase = "fuzz", .passphrase_len = 4};
	struct vc_sign_key *k = NULL;
	struct vc_error err = {0};
	const uint8_t *cert;
	size_t key_len, cert_len;
	char key_path[64], cert_path[64];
	uint8_t fp[32];
	int kfd, cfd;

	fuzz_split(data, len, &key_len, &cert, &cert_len);
	kfd = fuzz_memfile(data, key_len, key_path);
	cfd = fuzz_memfile(cert, cert_len, cert_path);
	o.key_path = key_path;
	o.cert_path = cert_path;
	if (vc_sign_key_load(&o, &k, &err) == 0) {
		static const uint8_t roothash[32] = {1, 2, 3};
		struct vc_buf p7 = {0};
		int64_t nb, na;

		vc_sign_key_describe(k);
		vc_sign_key_validity(k, &nb, &na);
		if (vc_sign_roothash(k, roothash, sizeof(roothash), VC_SIGN_INCLUDE_CERT, &p7,
				     &err) < 0)
			FUZZ_CHECK_MSG(err);
		vc_buf_fini(&p7);
		vc_sign_key_free(k);
	} else if (k) {
		abort();
	}
	FUZZ_CHECK_MSG(err);
	memset(&err, 0, sizeof(err));
	vc_sign_cert_fingerprint(cert_path, fp, NULL, 0, &err);
	FUZZ_CHECK_MSG(err);
	close(kfd);
	close(cfd);
	return 0;
}
