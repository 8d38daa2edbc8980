# SPDX-License-Identifier: MIT
vc_test(fat DEPS vc_fat)
vc_script_test(fat_tools tests/fat_tools.sh)
