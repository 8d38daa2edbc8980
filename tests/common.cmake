# SPDX-License-Identifier: MIT
vc_test(common DEPS vc_common vc_mbedtls)
# The same unit tests with the portable (mbedtls) SHA-256 forced.
add_test(NAME common_portable_sha COMMAND test_common)
set_tests_properties(common_portable_sha PROPERTIES ENVIRONMENT "VC_SHA256=portable" LABELS unit)
vc_script_test(cli_basics tests/cli_basics.sh)
