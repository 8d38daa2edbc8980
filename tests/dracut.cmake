# SPDX-License-Identifier: MIT
vc_test(dracut DEPS vc_dracut)
# The host's dracut 059, with the host's / as the tree (skipped without dracut).
# VC_DRACUT_REAL=2: under bwrap and under proot, the bytes compared.
add_test(NAME dracut_real COMMAND test_dracut)
set_tests_properties(dracut_real PROPERTIES ENVIRONMENT "VC_DRACUT_REAL=2" LABELS "unit;slow")
# The methods of running the tree's dracut (bwrap, proot, none), with a
# stand-in dracut; nouserns refuses user namespaces as Docker's default
# seccomp profile does.
pkg_check_modules(seccomp IMPORTED_TARGET libseccomp)
if(seccomp_FOUND)
  add_executable(nouserns ${PROJECT_SOURCE_DIR}/tests/nouserns.c)
  target_link_libraries(nouserns PRIVATE PkgConfig::seccomp)
  target_compile_options(nouserns PRIVATE ${VC_WARNINGS})
  target_compile_definitions(nouserns PRIVATE _GNU_SOURCE)
endif()
vc_script_test(dracut_methods tests/dracut_methods.sh)
