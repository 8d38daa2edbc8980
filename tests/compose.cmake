# SPDX-License-Identifier: MIT
vc_script_test(build_ddi tests/build_ddi.sh)
vc_script_test(build_oem tests/build_oem.sh)
vc_script_test(build_repro tests/build_repro.sh)
set_tests_properties(build_oem PROPERTIES LABELS boot TIMEOUT 300 SKIP_RETURN_CODE 77)
vc_script_test(boot_proof tests/e2e/boot.sh)
set_tests_properties(boot_proof PROPERTIES LABELS boot TIMEOUT 1500 SKIP_RETURN_CODE 77)
# Debian 13 (trixie): glibc, dracut, systemd and kernel newer than the host's.
# Built with the tree's dracut (bwrap and proot: the same bytes), --dracut host
# refused, the initrd's modes; not booted yet: its initrd times out waiting for
# the disk's by-partuuid devices (docs/dracut.md, "Open").
vc_script_test(boot_proof_trixie tests/e2e/boot.sh)
set_tests_properties(boot_proof_trixie PROPERTIES LABELS boot TIMEOUT 1500 SKIP_RETURN_CODE 77)
set_property(TEST boot_proof_trixie APPEND PROPERTY ENVIRONMENT VC_E2E_SUITE=trixie VC_E2E_BOOT=0)
vc_script_test(build_embedded tests/build_embedded.sh)
vc_script_test(build_arch tests/build_arch.sh)
vc_script_test(build_sb tests/build_sb.sh)
vc_script_test(build_parts tests/build_parts.sh)
vc_script_test(sb_boot tests/sb_boot.sh)
set_tests_properties(sb_boot PROPERTIES LABELS boot TIMEOUT 600 SKIP_RETURN_CODE 77)
vc_script_test(build_signals tests/build_signals.sh)
