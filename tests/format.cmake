# SPDX-License-Identifier: MIT
vc_script_test(format tests/format.sh)
