#!/bin/sh
# SPDX-License-Identifier: MIT
# vcompose gpt against sgdisk and sfdisk writing the same 3-partition table on a
# 10 GiB sparse disk (table only), and vcompose gpt copying 512 MiB of partition
# images: median of 5 runs.
# Usage: bench/gpt.sh [path/to/vcompose]
set -eu
V=${1:-$(dirname "$0")/../build/src/cli/vcompose}
PATH=$PATH:/usr/sbin:/sbin
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
head -c $((512 << 20)) /dev/urandom >"$w/root.img"
ms() { date +%s%N; }
median() { sort -n | sed -n 3p; }
run() {
	name=$1; shift
	k=0; while [ $k -lt 5 ]; do
		rm -f "$w/d.img"; a=$(ms); "$@" >/dev/null 2>&1; b=$(ms)
		echo $(((b - a) / 1000000)); k=$((k + 1))
	done | median | { read -r t; echo "$name: ${t} ms (median of 5)"; }
}
run "vcompose gpt (table only)" "$V" gpt -o "$w/d.img" --size 10G --part esp:,size=100M \
	--part root:,size=5G --part root-verity:,size=500M
run "sgdisk (table only)" sh -c "truncate -s 10G '$w/d.img' && sgdisk -n 1:0:+100M -t 1:ef00 -n 2:0:+5G -n 3:0:+500M '$w/d.img'"
run "sfdisk (table only)" sh -c "truncate -s 10G '$w/d.img' && printf 'label: gpt\n,100M,U\n,5G,L\n,500M,L\n' | sfdisk -q '$w/d.img'"
run "vcompose gpt (+512 MiB root image copied)" "$V" gpt -o "$w/d.img" --part esp:,size=100M --part root:"$w/root.img"
