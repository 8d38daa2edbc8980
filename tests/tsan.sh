#!/bin/sh
# SPDX-License-Identifier: MIT
# The threaded paths under ThreadSanitizer: the streaming EROFS writer
# (none, lz4, lz4hc; from a folder, a plain tar and a compressed tar; zstd
# in big pclusters with fragments and dedupe; ztailpacking; chunk-based files) and
# the verity tree, with more threads than cores, on a tree that has
# segments to split, data that does not compress and many small files.
# Each image must also equal the one made with --jobs 1.
# Usage: tests/tsan.sh VCOMPOSE (built with -DVC_SANITIZE=thread)
set -eu
vc=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/vc-tsan.XXXXXX")
trap 'rm -rf "$work"' EXIT
export TSAN_OPTIONS="halt_on_error=1 exitcode=66" SOURCE_DATE_EPOCH=1700000000
t=$work/tree
mkdir -p "$t/small" "$t/big"
for i in $(seq 1 300); do printf 'file %d\n%0*d\n' "$i" $((i * 37)) 0 > "$t/small/f$i"; done
head -c 3000000 /dev/urandom > "$t/big/random"
yes 'a line that compresses well' | head -c 40000000 > "$t/big/text"
ln -s small/f1 "$t/link"
tar -C "$t" -cf "$work/t.tar" .
gzip -1 -c "$work/t.tar" > "$work/t.tar.gz"
U=01234567-89ab-cdef-0123-456789abcdef
for c in none lz4 lz4hc; do
	for src in "--root $t" "--tar $work/t.tar" "--tar $work/t.tar.gz"; do
		"$vc" erofs -q $src --owner root --compress $c --jobs 1 --uuid $U -o "$work/a.img"
		"$vc" erofs -q $src --owner root --compress $c --jobs 6 --uuid $U -o "$work/b.img"
		cmp "$work/a.img" "$work/b.img" || { echo "FAIL: $c $src: --jobs 1 and 6 differ" >&2; exit 1; }
	done
done
# zstd in big pclusters with fragments and dedupe (the plan hashes on the
# pool, the packed inode reads many files)
cp "$t/small/f7" "$t/small/copy-of-f7"
o="--compress zstd --pcluster-size 64k --erofs-features fragments,dedupe --erofs-target 6.12"
"$vc" erofs -q --root "$t" --owner root $o --jobs 1 --uuid $U -o "$work/a.img"
"$vc" erofs -q --root "$t" --owner root $o --jobs 6 --uuid $U -o "$work/b.img"
cmp "$work/a.img" "$work/b.img" || { echo "FAIL: zstd fragments: --jobs 1 and 6 differ" >&2; exit 1; }
# ztailpacking: inodes placed with the data, directories waiting for them
o="--compress lz4 --erofs-features ztailpacking"
"$vc" erofs -q --root "$t" --owner root $o --jobs 1 --uuid $U -o "$work/a.img"
"$vc" erofs -q --root "$t" --owner root $o --jobs 6 --uuid $U -o "$work/b.img"
cmp "$work/a.img" "$work/b.img" || { echo "FAIL: ztailpacking: --jobs 1 and 6 differ" >&2; exit 1; }
# chunk-based files: chunks hashed on the pool, holes found there
cp "$t/big/random" "$t/big/random-copy"
truncate -s 64M "$t/big/sparse"
printf 'end' >>"$t/big/sparse"
o="--erofs-features chunks"
"$vc" erofs -q --root "$t" --owner root $o --jobs 1 --uuid $U -o "$work/a.img"
"$vc" erofs -q --root "$t" --owner root $o --jobs 6 --uuid $U -o "$work/b.img"
cmp "$work/a.img" "$work/b.img" || { echo "FAIL: chunks: --jobs 1 and 6 differ" >&2; exit 1; }
"$vc" verity format --jobs 6 "$work/b.img" "$work/b.hash" > /dev/null
echo "tsan: ok"
