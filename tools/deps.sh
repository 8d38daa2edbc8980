#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs what vcompose needs on Debian 12, idempotently: only missing
# packages are installed. "build" (default): libraries and compiler.
# "test": also the reference tools the tests check our output with.
set -eu
set_=${1:-build}
build="build-essential cmake pkg-config libxml2-dev libarchive-dev libmbedtls-dev zlib1g-dev
liblz4-dev libcmocka-dev libzstd-dev liblzma-dev"
test="$build clang clang-format libclang-rt-14-dev erofs-utils cryptsetup-bin gdisk fdisk mtools dosfstools
sbsigntool osslsigncode openssl python3 python3-pefile zstd xz-utils bzip2 lz4 cpio attr
util-linux e2fsprogs systemd-boot-efi binutils linux-image-amd64 qemu-system-x86 ovmf busybox-static
dracut debootstrap debhelper scdoc lintian man-db efitools faketime dmsetup
systemd swtpm swtpm-tools libtss2-esys-3.0.2-0 libtss2-rc0 libtss2-mu0 libtss2-tctildr0
libtss2-tcti-swtpm0 bubblewrap proot
libseccomp-dev"
case $set_ in
build) want=$build ;;
test) want=$test ;;
*) echo "usage: $0 [build|test]" >&2; exit 2 ;;
esac
missing=""
for p in $want; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing" >&2
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
