# SPDX-License-Identifier: MIT
vc_test(verity DEPS vc_verity vc_common)
# The same unit tests with the portable (mbedtls) SHA-256 forced.
add_test(NAME verity_portable_sha COMMAND test_verity)
set_tests_properties(verity_portable_sha PROPERTIES ENVIRONMENT "VC_SHA256=portable" LABELS unit)
vc_script_test(verity_vectors tests/verity_vectors.sh)
vc_script_test(verity_roundtrip tests/verity_roundtrip.sh)
