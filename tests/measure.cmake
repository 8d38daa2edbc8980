# SPDX-License-Identifier: MIT
vc_test(measure DEPS vc_measure vc_sign)
vc_script_test(measure_uki tests/measure_uki.sh)
set_tests_properties(measure_uki PROPERTIES SKIP_RETURN_CODE 77)
# measured boot of the Debian 12 bootable example under OVMF + swtpm: PCR 11
# as predicted, a secret sealed to .pcrpkey unseals with the UKI's .pcrsig
vc_script_test(measured_boot tests/e2e/measured.sh)
set_tests_properties(measured_boot PROPERTIES LABELS boot TIMEOUT 1200 SKIP_RETURN_CODE 77 DEPENDS boot_proof)
