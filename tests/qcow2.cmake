# SPDX-License-Identifier: MIT
vc_test(qcow2 DEPS vc_qcow2)
vc_script_test(qcow2_tools tests/qcow2_tools.sh)
