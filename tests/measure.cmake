# SPDX-License-Identifier: MIT
vc_test(measure DEPS vc_measure vc_sign)
vc_script_test(measure_uki tests/measure_uki.sh)
set_tests_properties(measure_uki PROPERTIES SKIP_RETURN_CODE 77)
