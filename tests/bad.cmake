# SPDX-License-Identifier: MIT
# The bad-input corpus (tests/bad/cases), run as nobody under CI.
vc_script_test(bad tests/bad/run.sh)
set_tests_properties(bad PROPERTIES TIMEOUT 600)
