#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs the build dependencies, builds vcompose, and runs the main job on
# the bundled example.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/tools/deps.sh" build
cmake -S "$top" -B "$top/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$top/build" -j "$(nproc)"
mkdir -p "$top/out"
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1700000000} "$top/build/src/cli/vcompose" build \
	"$top/examples/minimal/config.xml" --root "$top/examples/minimal/root" -o "$top/out"
ls -l "$top/out"
