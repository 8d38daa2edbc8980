# SPDX-License-Identifier: MIT
vc_script_test(build_ddi tests/build_ddi.sh)
vc_script_test(build_oem tests/build_oem.sh)
vc_script_test(build_repro tests/build_repro.sh)
set_tests_properties(build_oem PROPERTIES LABELS boot TIMEOUT 300 SKIP_RETURN_CODE 77)
vc_script_test(boot_proof tests/e2e/boot.sh)
set_tests_properties(boot_proof PROPERTIES LABELS boot TIMEOUT 1500 SKIP_RETURN_CODE 77)
# Debian 13 (trixie): glibc, dracut, systemd and kernel newer than the host's;
# the same proof, and --dracut host refused.
vc_script_test(boot_proof_trixie tests/e2e/boot.sh)
set_tests_properties(boot_proof_trixie PROPERTIES LABELS boot TIMEOUT 1500 SKIP_RETURN_CODE 77)
set_property(TEST boot_proof_trixie APPEND PROPERTY ENVIRONMENT VC_E2E_SUITE=trixie)
# overlayroot (persistent, temporary, read-only) and a /var partition: one
# image booted four times (the Debian 12 fixture of boot_proof)
vc_script_test(parts_boot tests/e2e/parts_boot.sh)
set_tests_properties(parts_boot PROPERTIES LABELS boot TIMEOUT 1800 SKIP_RETURN_CODE 77 DEPENDS boot_proof)
vc_script_test(build_embedded tests/build_embedded.sh)
vc_script_test(build_arch tests/build_arch.sh)
vc_script_test(build_sb tests/build_sb.sh)
vc_script_test(build_parts tests/build_parts.sh)
vc_script_test(sb_boot tests/sb_boot.sh)
set_tests_properties(sb_boot PROPERTIES LABELS boot TIMEOUT 600 SKIP_RETURN_CODE 77)
vc_script_test(build_signals tests/build_signals.sh)
