# SPDX-License-Identifier: MIT
vc_test(fat DEPS vc_fat)
vc_script_test(fat_tools tests/fat_tools.sh)
vc_script_test(disk_ovmf tests/disk_ovmf.sh)
# about 20 s under TCG: also labelled for the slow boot step
set_tests_properties(disk_ovmf PROPERTIES LABELS "script;boot")
