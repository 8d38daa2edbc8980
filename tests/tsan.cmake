# SPDX-License-Identifier: MIT
# The threaded writers under ThreadSanitizer, in a build of their own
# (<build>-tsan): `ctest -L tsan`. tools/test.sh runs it once, after the
# other tests (which it runs with -LE tsan).
if(NOT VC_SANITIZE MATCHES "thread")
  add_test(NAME tsan COMMAND ${PROJECT_SOURCE_DIR}/tests/tsan_build.sh ${PROJECT_SOURCE_DIR}
           ${PROJECT_BINARY_DIR}-tsan)
  set_tests_properties(tsan PROPERTIES LABELS tsan TIMEOUT 3600)
endif()
