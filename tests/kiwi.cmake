# SPDX-License-Identifier: MIT
vc_script_test(kiwi_descriptions tests/kiwi_descriptions.sh)
