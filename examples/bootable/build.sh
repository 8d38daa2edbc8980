#!/bin/sh
# SPDX-License-Identifier: MIT
# Makes a Debian 12 root tree (debootstrap: needs root) and builds the
# bootable example from it as an unprivileged user, into out/.
# Usage: examples/bootable/build.sh [ROOTFS.tar]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
tar=${1:-$top/out/bootable-rootfs.tar}
mkdir -p "$top/out"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
[ -s "$tar" ] || $SUDO sh "$here/make-rootfs.sh" "$tar"
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1700000000} "$top/build/src/cli/vcompose" build \
	"$here/config.xml" --tar "$tar" -o "$top/out"
