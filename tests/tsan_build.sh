#!/bin/sh
# SPDX-License-Identifier: MIT
# The ctest "tsan" (label tsan; `ctest -L tsan`): builds vcompose with
# -DVC_SANITIZE=thread in its own folder, then runs tests/tsan.sh with it.
# Usage: tests/tsan_build.sh SOURCE_DIR TSAN_BUILD_DIR
set -eu
src=$1 build=$2
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVC_WERROR=ON \
	-DVC_SANITIZE=thread >/dev/null
cmake --build "$build" -j "$(nproc)" --target vcompose >/dev/null
exec "$src/tests/tsan.sh" "$build/src/cli/vcompose"
