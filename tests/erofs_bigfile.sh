# SPDX-License-Identifier: MIT
# Stored (uncompressed) files at the 2 GiB and 4 GiB edges (issue 15): a
# sparse tree with a 2 GiB file, one of 2 GiB - 1 byte and one of 4 GiB +
# 1 byte, both ending in data. The image must map them as mkfs.erofs 1.5
# does (dump.erofs 1.5: size, layout, compact or extended inode, extents;
# the same tree built by mkfs.erofs 1.5 gives these lines, see
# docs/erofs.md) and the last bytes found through those extents must be
# the files' last bytes. fsck.erofs 1.5 --extract cannot read such files
# from any image (its one pread of the whole extent: docs/erofs.md), so it
# is not used here; Linux 6.1 and 6.12 were checked by hand (docs/erofs.md).
# Flat layouts need a target without chunk-based files (5.10): with the
# default target the same files keep their holes, checked at the end.
. "$VC_SOURCE_DIR/tests/lib.sh"
command -v dump.erofs >/dev/null || { echo "SKIP: no dump.erofs"; exit 77; }
export SOURCE_DATE_EPOCH=1700000000
mkdir root
truncate -s 2147483648 root/a2g
truncate -s $((4294967297 - 16)) root/b4g1
printf 'END-OF-4G-PLUS1\n' >>root/b4g1
truncate -s $((2147483647 - 16)) root/c
printf 'END-OF-2G-MINUS\n' >>root/c
chmod -R a+rX root
scratch out
vc erofs -q --root root -o out/big.img --compress none --erofs-target 5.10
# FILE SIZE LAYOUT INODE_SIZE EXTENT...: what dump.erofs 1.5 reads
check() {
	f=$1 size=$2 layout=$3 isize=$4
	shift 4
	dump.erofs --path="/$f" -e out/big.img >"$f.dump" || fail "dump.erofs /$f"
	grep -q "^Size: $size " "$f.dump" || { cat "$f.dump" >&2; fail "/$f: size is not $size"; }
	grep -q "Layout: $layout " "$f.dump" || { cat "$f.dump" >&2; fail "/$f: layout is not $layout"; }
	grep -q "^Inode size: $isize " "$f.dump" || { cat "$f.dump" >&2; fail "/$f: inode is not $isize bytes"; }
	sed -n 's/^ *[0-9]*: *\([0-9]*\)\.\.\([0-9]*\) *| *\([0-9]*\) *: *\([0-9]*\)\.\..*/\1 \2 \3 \4/p' \
		"$f.dump" >"$f.ext"
	printf '%s\n' "$@" >"$f.want"
	cut -d' ' -f1-3 "$f.ext" | diff "$f.want" - || fail "/$f: other extents (logical start end length)"
	# the last 16 bytes through the extents that hold them
	: >"$f.tail"
	while read -r ls le _ ps; do
		[ "$le" -gt $((size - 16)) ] || continue
		from=$((ls > size - 16 ? ls : size - 16))
		to=$((le < size ? le : size))
		dd if=out/big.img bs=4096 iflag=skip_bytes,count_bytes skip=$((ps + from - ls)) \
			count=$((to - from)) status=none >>"$f.tail"
	done <"$f.ext"
	tail -c 16 "root/$f" | cmp - "$f.tail" || fail "/$f: its last bytes in the image differ"
	echo "ok: /$f: $size bytes, layout $layout, $isize-byte inode, $# extents, last bytes read back"
}
check a2g 2147483648 0 32 "0 2147483648 2147483648"
check c 2147483647 0 32 "0 2147483648 2147483648"
check b4g1 4294967297 2 64 "0 4294967296 4294967296" "4294967296 4294967297 1"

# Holes (issue 15, item 3): with the default target (6.1 reads chunk-based
# files) the 8 GiB of holes stay holes: null chunks (a file of holes only
# is one chunk), a few MiB of chunk map, data blocks only where there is
# data; no zero is read (SEEK_DATA), so it takes well under a second. The
# same from a sparse tar, compressed: the sparse files are stored, their
# zeros never compressed (contents: erofs_chunks.sh, erofs_qemu612.sh).
tar --sparse -cf sparse.tar -C root .
chmod a+r sparse.tar
for v in "--root root" "--tar sparse.tar --compress zstd --erofs-target 6.12"; do
	start=$(date +%s%N)
	vc erofs -q $v -o out/holes.img
	ms=$((($(date +%s%N) - start) / 1000000))
	size=$(stat -c %s out/holes.img)
	[ "$size" -lt $((8 << 20)) ] || fail "$v: $size bytes: holes were written"
	[ "$ms" -lt 20000 ] || fail "$v: $ms ms for 8 GiB of holes"
	dump.erofs --path=/a2g -e out/holes.img >a2g.dump
	grep -q "Layout: 4 " a2g.dump || { cat a2g.dump >&2; fail "/a2g is not chunk-based"; }
	grep -Eq '^ *0: +0\.\. *2147483648 \| *2147483648 : +0\.\.' a2g.dump ||
		{ cat a2g.dump >&2; fail "/a2g is not one hole"; }
	for f in b4g1 c; do
		dump.erofs --path=/$f out/holes.img | grep -q "Layout: 4 " || fail "/$f is not chunk-based"
	done
	vc verify out/holes.img >/dev/null || fail "$v: vcompose verify"
	echo "ok: $v: 8 GiB of sparse files in $size bytes, $ms ms"
done
