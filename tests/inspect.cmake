# SPDX-License-Identifier: MIT
vc_test(inspect DEPS vc_inspect vc_gpt PkgConfig::zlib)
target_include_directories(test_inspect PRIVATE ${PROJECT_SOURCE_DIR}/src/inspect)
vc_script_test(inspect_ddi tests/inspect_ddi.sh)
vc_script_test(inspect_oem tests/inspect_oem.sh)
set_tests_properties(inspect_oem PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77)
vc_script_test(inspect_tools tests/inspect_tools.sh)
set_tests_properties(inspect_tools PROPERTIES SKIP_RETURN_CODE 77)
