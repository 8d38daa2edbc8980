# SPDX-License-Identifier: MIT
vc_script_test(man_options tests/man_options.sh)
vc_script_test(package tests/package.sh)
set_tests_properties(package PROPERTIES LABELS "script;package" TIMEOUT 600)
vc_script_test(json_docs tests/json_docs.sh)
vc_script_test(user_surface tests/user_surface.sh)
vc_script_test(progress tests/progress.sh)
