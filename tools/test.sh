#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs what the tests need, builds with AddressSanitizer and
# UndefinedBehaviorSanitizer and -Werror, and runs every test.
# Then, on a full run, the threaded writers under ThreadSanitizer
# (tests/tsan.sh) and every libFuzzer target for VC_FUZZ_SECONDS (30) each.
# Usage: tools/test.sh [ctest arguments, e.g. -R verity]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/tools/deps.sh" test
build=${VC_TEST_BUILD:-$top/build-test}
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVC_WERROR=ON \
	-DVC_SANITIZE=address,undefined >/dev/null
cmake --build "$build" -j "$(nproc)"
# The tests drop to nobody; the build folder must be readable by it.
chmod -R a+rX "$build"
export VC_NO_SKIP=1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
cd "$build"
if [ $# -gt 0 ]; then
	ctest --output-on-failure -j "$(nproc)" "$@"
else
	ctest --output-on-failure -j "$(nproc)" -LE tsan
	# the threaded writers under ThreadSanitizer (the ctest labelled tsan:
	# its own build in $build-tsan), once
	ctest --output-on-failure -L tsan
	VC_FUZZ_BUILD="$build-fuzz" "$top/fuzz/run.sh" "${VC_FUZZ_SECONDS:-30}"
fi
