# SPDX-License-Identifier: MIT
# UKI boot under qemu + OVMF (TCG): its own label so CI can run it as a step.
vc_script_test(pe_boot tests/pe_boot.sh)
set_tests_properties(pe_boot PROPERTIES LABELS boot TIMEOUT 200 SKIP_RETURN_CODE 77)
