# SPDX-License-Identifier: MIT
vc_test(pe DEPS vc_pe)
# UKI boot under qemu + OVMF (TCG): its own label so CI can run it as a step.
vc_script_test(pe_boot tests/pe_boot.sh)
set_tests_properties(pe_boot PROPERTIES LABELS boot TIMEOUT 360 SKIP_RETURN_CODE 77)
vc_script_test(pe_uki tests/pe_uki.sh)
set_tests_properties(pe_uki PROPERTIES SKIP_RETURN_CODE 77)
vc_script_test(pe_bad tests/pe_bad.sh)
set_tests_properties(pe_bad PROPERTIES SKIP_RETURN_CODE 77)
