#!/bin/sh
# SPDX-License-Identifier: MIT
# vcompose fat against its peer (mkfs.fat + mcopy) on the same tree: median of 5 runs.
# Usage: bench/fat.sh [path/to/vcompose]   (default: build/src/cli/vcompose)
set -eu
V=${1:-$(dirname "$0")/../build/src/cli/vcompose}
PATH=$PATH:/usr/sbin:/sbin
export MTOOLS_SKIP_CHECK=1
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
mkdir -p "$w/t/EFI/BOOT" "$w/t/EFI/Linux" "$w/t/loader/entries"
head -c $((1 << 20)) /dev/urandom >"$w/t/EFI/BOOT/BOOTX64.EFI"
i=0; while [ $i -lt 4 ]; do head -c $((60 << 20)) /dev/urandom >"$w/t/EFI/Linux/uki-$i.efi"; i=$((i + 1)); done
i=0; while [ $i -lt 200 ]; do echo "title $i" >"$w/t/loader/entries/entry-$i.conf"; i=$((i + 1)); done
ms() { date +%s%N; }
median() { sort -n | sed -n 3p; }
run() { # name command...
	name=$1; shift
	k=0; while [ $k -lt 5 ]; do
		rm -f "$w/o.img"; a=$(ms); "$@" >/dev/null 2>&1; b=$(ms)
		echo $(((b - a) / 1000000)); k=$((k + 1))
	done | median | { read -r t; echo "$name: ${t} ms (median of 5)"; }
}
run "vcompose fat 300M (241 MiB of files)" "$V" fat --size 300M --root "$w/t" -o "$w/o.img"
run "mkfs.fat + mcopy -s" sh -c "truncate -s 300M '$w/o.img' && mkfs.fat '$w/o.img' && mcopy -s -i '$w/o.img' '$w/t'/* ::/"
