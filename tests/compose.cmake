# SPDX-License-Identifier: MIT
vc_script_test(build_ddi tests/build_ddi.sh)
vc_script_test(build_oem tests/build_oem.sh)
vc_script_test(build_repro tests/build_repro.sh)
set_tests_properties(build_oem PROPERTIES LABELS boot TIMEOUT 300 SKIP_RETURN_CODE 77)
vc_script_test(boot_proof tests/e2e/boot.sh)
set_tests_properties(boot_proof PROPERTIES LABELS boot TIMEOUT 1500 SKIP_RETURN_CODE 77)
vc_script_test(build_embedded tests/build_embedded.sh)
vc_script_test(build_arch tests/build_arch.sh)
