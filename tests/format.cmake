# SPDX-License-Identifier: MIT
vc_script_test(format tests/format.sh)
vc_script_test(once tests/once.sh)
