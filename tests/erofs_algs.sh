# SPDX-License-Identifier: MIT
# zstd, microLZMA and DEFLATE, big pclusters, fragments (with dedupe),
# inline compressed tails (ztailpacking) and chunk-based files (the zeros
# of data/sparse become holes), read back by a reader we
# did not write: fsck.erofs of erofs-utils 1.8 (Debian 13's, see
# tests/trixie_lib.sh) checks every image and extracts it, and the extracted
# tree of the edge-case generator (tests/erofs_gen.py) must equal the tree
# that was written (owners, modes, times, xattrs, hardlinks, contents).
# Also: --jobs 1 and --jobs 6 give the same bytes, and the defaults (LZ4,
# 4 KiB) stay what Linux 6.1 reads. Linux 6.12 reads them in erofs_qemu.
. "$VC_SOURCE_DIR/tests/lib.sh"
. "$VC_SOURCE_DIR/tests/trixie_lib.sh"
skip() { echo "SKIP: $*"; exit 77; }
show_diff() { diff "$1" "$2" >d.txt || { cut -c1-200 d.txt | head -n 20 >&2; fail "$3"; }; }
trixie_erofs_utils trixie || skip "cannot fetch erofs-utils 1.8 from Debian 13"
[ "$(id -u)" = 0 ] || skip "extracting owners and devices needs root"
export SOURCE_DATE_EPOCH=1600000000
python3 "$VC_SOURCE_DIR/tests/erofs_gen.py" gen.tar small want.dump
cc -O2 -o treedump "$VC_SOURCE_DIR/tests/erofs_treedump.c"
# Everything but xattrs: a host refuses some of them (security.selinux
# without SELinux, values over its size limit); the kernel in erofs_qemu
# shows them all.
no_xattrs() { awk '{ print $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 }' "$1"; }
no_xattrs want.dump >want.view
scratch out
# ALG:PCLUSTER[:FEATURES]
for v in zstd,level=9:4k zstd:128k lzma,level=6:4k lzma:64k deflate,level=9:4k \
	deflate:64k lz4hc:128k lz4:16k zstd,level=3:1M zstd,level=9:128k:fragments,dedupe \
	lz4hc:4k:fragments lzma:4k:fragments,dedupe zstd,level=9:128k:ztailpacking \
	lz4hc:4k:ztailpacking deflate,level=9:4k:ztailpacking lz4:16k:ztailpacking,fragments \
	none:4k:chunks zstd,level=9:128k:fragments,dedupe,chunks lz4hc:4k:ztailpacking,chunks; do
	c=${v%%:*} p=${v#*:} f=
	case $p in *:*) f=${p#*:} p=${p%%:*} ;; esac
	n=$(echo "$v" | tr ',:=' '---')
	vc erofs -q --tar gen.tar --compress "$c" --pcluster-size "$p" ${f:+--erofs-features $f} \
		--erofs-target 6.12 --jobs 2 -o out/$n.img
	t_fsck out/$n.img >fsck.out 2>&1 || { cat fsck.out >&2; fail "$v: fsck.erofs 1.8"; }
	rm -rf x
	t_fsck --extract=x --preserve out/$n.img >fsck.out 2>&1 ||
		{ tail -n 5 fsck.out >&2; fail "$v: fsck.erofs --extract"; }
	./treedump x | sed 's|^x||' >got.dump
	no_xattrs got.dump >got.view
	show_diff want.view got.view "$v: fsck.erofs 1.8 extracts another tree"
	echo "$v: $(stat -c %s out/$n.img) bytes, fsck.erofs 1.8 extracts the tree"
done
# ztailpacking and chunks in one image: both are used (an inline tail, the
# stored incompressible file in chunks with its zeros as holes)
vc inspect out/lz4hc-4k-ztailpacking-chunks.img >zc.txt
grep -q "^    - ztailpacking$" zc.txt && grep -q "^    - chunked_file$" zc.txt &&
	grep -q "chunked_files: [1-9]" zc.txt || { cat zc.txt >&2; fail "ztailpacking+chunks: not both used"; }
# Fragments: small files share the packed inode, equal ones its bytes.
vc erofs --tar gen.tar --compress zstd --erofs-features fragments,dedupe --erofs-target 6.12 \
	--json -o out/frag.img >frag.json
grep -q '"deduped_fragments": [1-9]' frag.json || { cat frag.json >&2; fail "no fragment deduplicated"; }
t_dump -s out/frag.img | grep -qi "packed" ||
	{ t_dump -s out/frag.img >&2; fail "dump.erofs shows no packed inode"; }
# ... and so do the tails of larger compressed files: dump.erofs shows the
# last extent of data/mixed (318000 bytes) with no blocks (a fragment).
t_dump -e --path=/data/mixed out/frag.img >ext.txt
grep -Eq '^ *[0-9]+: +[0-9]+\.\. +318000 \| +[0-9]+ : +0\.\. +0 \| +0$' ext.txt ||
	{ cat ext.txt >&2; fail "the tail of data/mixed is not a fragment"; }
# ztailpacking: a file that compresses into less than a block keeps it after
# its inode (dump.erofs: an extent of 288 bytes, not a block); with
# fragments, tails go to the packed inode instead (as mkfs.erofs does).
t_dump -e --path=/sizes/t65553 out/lz4hc-4k-ztailpacking.img >ext.txt
grep -Eq '^ *0: +0\.\. +65553 \| +65553 : +[0-9]+\.\. +[0-9]+ \| +[0-9]{1,3}$' ext.txt ||
	{ cat ext.txt >&2; fail "/sizes/t65553 has no inline pcluster"; }
# inspect's reader counts those bytes as the inode's: diff names it
off=$(sed -nE 's/^ *0: .*: +([0-9]+)\.\..*/\1/p' ext.txt)
cp out/lz4hc-4k-ztailpacking.img flip.img
printf '\125' | dd of=flip.img bs=1 seek=$((off + 10)) conv=notrunc 2>/dev/null
vc diff out/lz4hc-4k-ztailpacking.img flip.img >d.txt 2>&1 || :
grep -q "(/sizes/t65553) xattrs and inline data" d.txt ||
	{ cat d.txt >&2; fail "diff does not name the inode of an inline pcluster"; }
t_dump -s out/lz4hc-4k-ztailpacking.img | grep -q "features:.* ztailpacking" ||
	fail "dump.erofs shows no ztailpacking feature"
t_dump -s out/lz4-16k-ztailpacking-fragments.img | grep "features:" | grep -vq ztailpacking ||
	fail "ztailpacking with fragments: the tails are not in the packed inode"
# Thread count never changes the bytes.
U=01234567-89ab-cdef-0123-456789abcdef
F="--erofs-features fragments,dedupe" Z="--erofs-features ztailpacking"
for c in zstd,level=9:128k lzma:4k deflate:4k zstd:64k:F lzma:64k:Z; do
	f=; case $c in *:F) f=$F c=${c%:F} ;; *:Z) f=$Z c=${c%:Z} ;; esac
	vc erofs -q --tar gen.tar --compress "${c%:*}" --pcluster-size "${c##*:}" $f \
		--erofs-target 6.12 --jobs 1 --uuid $U -o out/j1.img
	vc erofs -q --tar gen.tar --compress "${c%:*}" --pcluster-size "${c##*:}" $f \
		--erofs-target 6.12 --jobs 6 --uuid $U -o out/j6.img
	cmp out/j1.img out/j6.img || fail "$c: --jobs 1 and --jobs 6 differ"
done
# What inspect says: the oldest kernel that mounts each image.
vc inspect out/zstd-level-9-4k.img >i.txt
grep -q "oldest_linux: 6.10" i.txt || { cat i.txt >&2; fail "inspect does not name Linux 6.10 for zstd"; }
vc inspect out/lz4hc-4k-ztailpacking.img >i.txt
grep -q "oldest_linux: 5.17" i.txt || { cat i.txt >&2; fail "inspect does not name Linux 5.17 for ztailpacking"; }
vc verify out/lz4hc-4k-ztailpacking.img >v.txt 2>&1 || { cat v.txt >&2; fail "verify rejects a ztailpacking image"; }
vc inspect out/lz4-16k.img >i.txt
grep -q "oldest_linux: 5.13" i.txt || { cat i.txt >&2; fail "inspect does not name Linux 5.13 for big pclusters"; }
echo ok
