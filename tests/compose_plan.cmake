# SPDX-License-Identifier: MIT
# compose's plan on its own (tests/test_compose.c); the build_* script tests
# are in compose.cmake.
vc_test(compose DEPS vc_compose)
