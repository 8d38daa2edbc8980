# SPDX-License-Identifier: MIT
vc_test(sign DEPS vc_sign)
vc_script_test(sign_roothash tests/sign_roothash.sh)
vc_script_test(sign_pe tests/sign_pe.sh)
