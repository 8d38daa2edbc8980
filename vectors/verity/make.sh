#!/bin/sh
# SPDX-License-Identifier: MIT
# Regenerates cases.tsv (and the few small *.hash files) with veritysetup.
# Run by hand on Debian 12 (cryptsetup-bin 2.6.1); vcompose is not involved.
# Usage: vectors/verity/make.sh  (from anywhere; writes next to itself)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$here/data.sh"

uuid=5f1c2a3b-4d5e-4f60-8172-93a4b5c6d7e8
salt32=0b1d2f3e4c5a6978877665544332211000ffeeddccbbaa998877665544332211
salt63=$(printf '5a%.0s' $(seq 63))
salt256=$(i=0; while [ $i -lt 256 ]; do printf '%02x' $(( (i * 37 + 11) % 256 )); i=$((i + 1)); done)
out="$tmp/cases.tsv"
printf '# name\tdata\tblocks\tdbs\thbs\tsalt\tuuid\tlayout\thash_offset\tsuperblock\troot\tsize\tsha256\n' >"$out"

# case NAME DATA BLOCKS DBS HBS SALT LAYOUT(sep|emb) HASH_OFFSET SB(sb|nosb) [keep]
case_() {
	name=$1 data=$2 blocks=$3 dbs=$4 hbs=$5 salt=$6 layout=$7 off=$8 sb=$9 keep=${10:-}
	gen_data "$data" $((blocks * dbs)) >"$tmp/d"
	flags="--data-block-size $dbs --hash-block-size $hbs --salt $salt --data-blocks $blocks"
	[ "$sb" = sb ] && flags="$flags --uuid $uuid" || flags="$flags --no-superblock"
	[ "$off" = 0 ] || flags="$flags --hash-offset $off"
	if [ "$layout" = emb ]; then
		h="$tmp/d"
	else
		h="$tmp/h"
		rm -f "$h"
	fi
	root=$(veritysetup format "$tmp/d" "$h" $flags | sed -n 's/^Root hash:[[:space:]]*//p')
	size=$(stat -c %s "$h")
	sum=$(sha256sum <"$h" | cut -d' ' -f1)
	[ "$sb" = sb ] && u=$uuid || u=-
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$data" "$blocks" \
		"$dbs" "$hbs" "$salt" "$u" "$layout" "$off" "$sb" "$root" "$size" "$sum" >>"$out"
	echo "veritysetup format DATA $([ "$layout" = emb ] && echo DATA || echo HASH) $flags" \
		>>"$tmp/commands"
	[ -z "$keep" ] || cp "$h" "$here/$name.hash"
}

: >"$tmp/commands"
for n in 1 127 128 129 16383 16384 16385; do
	case_ "b$n-sb" aes $n 4096 4096 $salt32 sep 0 sb $([ $n = 1 ] || [ $n = 127 ] && echo keep)
	case_ "b$n-nosb" aes $n 4096 4096 $salt32 sep 0 nosb $([ $n = 129 ] && echo keep)
done
for n in 1 129 16385; do
	case_ "b$n-emb-sb" aes $n 4096 4096 $salt32 emb $((n * 4096)) sb
	case_ "b$n-emb-nosb" aes $n 4096 4096 $salt32 emb $((n * 4096)) nosb
done
case_ b129-off8192-sb aes 129 4096 4096 $salt32 sep 8192 sb
case_ b1000-d512-h512-sb aes 1000 512 512 $salt32 sep 0 sb
case_ b300-d1024-h4096-nosb aes 300 1024 4096 $salt32 sep 0 nosb
case_ b300-d4096-h1024-sb aes 300 4096 1024 $salt32 sep 0 sb
case_ b129-nosalt-sb aes 129 4096 4096 - sep 0 sb
case_ b129-salt63-nosb aes 129 4096 4096 $salt63 sep 0 nosb
case_ b129-salt256-sb aes 129 4096 4096 $salt256 sep 0 sb
# cryptsetup tests/verity-compat-test: 8 MiB of zeros, format 1, this salt.
case_ zeros-8m-nosb zero 2048 4096 4096 e48da609055204e89ae53b655ca2216dd983cf3cb829f34f63a297d106d53e2d sep 0 nosb

cp "$out" "$here/cases.tsv"
cp "$tmp/commands" "$here/commands.txt"
echo "wrote $(($(wc -l <"$here/cases.tsv") - 1)) cases"
