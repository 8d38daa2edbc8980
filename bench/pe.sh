#!/bin/sh
# SPDX-License-Identifier: MIT
# UKI assembly time: vcompose uki against objcopy --add-section (the way dracut
# builds a UKI), same stub, kernel, initrd and cmdline. Prints the median of N
# runs in milliseconds. Usage: bench/pe.sh [VCOMPOSE] [N]
set -eu
vc=${1:-build/src/cli/vcompose}
n=${2:-7}
stub=/usr/lib/systemd/boot/efi/linuxx64.efi.stub
kernel=$(ls /boot/vmlinuz-* | sort -V | tail -n 1)
initrd=$(ls /boot/initrd.img-* | sort -V | tail -n 1)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf 'console=ttyS0 quiet\0' >"$tmp/cmdline"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ms() { # ms CMD...: wall time of one run in ms
	t0=$(date +%s%N); "$@" >/dev/null 2>&1; t1=$(date +%s%N)
	echo $(( (t1 - t0) / 1000000 ))
}
run() { # run NAME CMD...
	name=$1; shift
	i=0; : >"$tmp/t"
	while [ $i -lt "$n" ]; do ms "$@" >>"$tmp/t"; i=$((i + 1)); done
	printf '%-10s median %5s ms over %s runs\n' "$name" "$(median <"$tmp/t")" "$n"
}
echo "kernel $(stat -c %s "$kernel") B, initrd $(stat -c %s "$initrd") B, $(nproc) CPUs"
run vcompose "$vc" uki --stub "$stub" --linux "$kernel" --initrd "$initrd" \
	--cmdline "console=ttyS0 quiet" -o "$tmp/a.efi" -q
run objcopy objcopy --add-section .cmdline="$tmp/cmdline" --change-section-vma .cmdline=0x30000 \
	--add-section .linux="$kernel" --change-section-vma .linux=0x2000000 \
	--add-section .initrd="$initrd" --change-section-vma .initrd=0x3000000 \
	"$stub" "$tmp/b.efi"
