# SPDX-License-Identifier: MIT
vc_test(dracut DEPS vc_dracut)
# One real dracut 059 run (skipped without dracut on the host): 15-20 s.
# VC_DRACUT_REAL=2 runs it twice and compares the bytes.
add_test(NAME dracut_real COMMAND test_dracut)
set_tests_properties(dracut_real PROPERTIES ENVIRONMENT "VC_DRACUT_REAL=1" LABELS "unit;slow")
