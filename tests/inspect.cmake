# SPDX-License-Identifier: MIT
vc_test(inspect DEPS vc_inspect)
target_include_directories(test_inspect PRIVATE ${PROJECT_SOURCE_DIR}/src/inspect)
vc_script_test(inspect_ddi tests/inspect_ddi.sh)
