# SPDX-License-Identifier: MIT
# Chunk-based files (--erofs-features chunks) and holes (issue 20, issue 15
# item 3), read back by readers we did not write: fsck.erofs 1.8.6 (Debian
# 13's) checks and extracts every image and the tree must equal the input;
# dump.erofs 1.5 shows the chunk-based layout. Equal chunks are stored once,
# chunks of zeros are holes, a sparse input file keeps its holes without
# the feature (compressed builds too: it is stored, its zeros neither
# written nor compressed), a tree without holes gives the bytes it gave
# before, --jobs changes nothing, a target below 5.15 refuses chunks; the
# config's erofs_features="chunks" and build --chunk-size reach the writer.
# fsck.erofs's --extract cannot restore a hole past 2 GiB or at a file's
# end (docs/erofs.md), so the sparse files here end in data under 2 GiB.
. "$VC_SOURCE_DIR/tests/lib.sh"
. "$VC_SOURCE_DIR/tests/trixie_lib.sh"
skip() { echo "SKIP: $*"; exit 77; }
trixie_erofs_utils trixie || skip "cannot fetch erofs-utils 1.8 from Debian 13"
export SOURCE_DATE_EPOCH=1700000000
U=01234567-89ab-cdef-0123-456789abcdef
mkdir t
head -c 300000 /dev/urandom >t/rand
cp t/rand t/copy                       # a copy: all its chunks shared
cat t/rand t/rand >t/twice             # its own chunks twice
head -c 12288 /dev/zero >t/zeros && echo end >>t/zeros   # written zeros, then data
truncate -s 64M t/sparse               # holes, data in the middle and at the end
printf 'middle' | dd of=t/sparse bs=1 seek=$((32 << 20)) conv=notrunc status=none
printf 'END' >>t/sparse
echo small >t/small
chmod -R a+rX t
scratch out
# json KEY FILE: a number of vcompose erofs --json
json() { sed -n "s/^ *\"$1\": \([0-9]*\).*/\1/p" "$2"; }
# check IMG: fsck.erofs 1.8.6 passes and extracts the input tree
check() {
	t_fsck "$1" >fsck.out 2>&1 || { cat fsck.out >&2; fail "$1: fsck.erofs 1.8"; }
	rm -rf x
	t_fsck --extract=x "$1" >fsck.out 2>&1 || { tail -n 5 fsck.out >&2; fail "$1: fsck.erofs --extract"; }
	diff -r t x >/dev/null || fail "$1: fsck.erofs 1.8 extracts another tree"
}

# Default: only the sparse file is chunk-based (its holes), nothing else.
vc erofs --root t --uuid $U --json -o out/default.img >default.json
check out/default.img
[ "$(json chunked_files default.json)" = 1 ] || { cat default.json >&2; fail "default: not one chunk-based file"; }
[ "$(json hole_bytes default.json)" -ge $((60 << 20)) ] || fail "default: the sparse file's holes are not holes"
[ "$(stat -c %s out/default.img)" -lt $((2 << 20)) ] || fail "default: the holes were written"
grep -q '"min_kernel": "5.15"' default.json || fail "default: min_kernel is not 5.15"
dump.erofs --path=/sparse out/default.img | grep -q "Layout: 4" || fail "dump.erofs 1.5: /sparse is not chunk-based"
dump.erofs --path=/copy out/default.img | grep -q "Layout: [02]" || fail "dump.erofs 1.5: /copy is not flat"
vc inspect out/default.img >i.txt
grep -q "oldest_linux: 5.15" i.txt || fail "inspect does not name Linux 5.15"
grep -q "chunked_files: 1$" i.txt || { cat i.txt >&2; fail "inspect does not count one chunk-based file"; }
vc verify out/default.img >/dev/null || fail "verify fails on holes"
echo "default: $(stat -c %s out/default.img) bytes, /sparse chunk-based, fsck.erofs 1.8 extracts the tree"

# Below 5.15 there are no holes, as before: the same tree without its
# sparse file gives the same bytes with either target.
vc erofs -q --root t --uuid $U --erofs-target 5.10 -o out/old.img
dump.erofs --path=/sparse out/old.img | grep -q "Layout: [02]" || fail "target 5.10: /sparse is not flat"
mv t/sparse sparse.keep
vc erofs -q --root t --uuid $U -o out/a.img
vc erofs -q --root t --uuid $U --erofs-target 5.4 -o out/b.img
cmp out/a.img out/b.img || fail "a tree without holes: the target changed the bytes"
mv sparse.keep t/sparse
expect_exit 1 "Linux 5.15" erofs --root t --erofs-features chunks --erofs-target 5.10 -o out/c.img

# chunks: equal chunks stored once, zeros are holes.
vc erofs --root t --uuid $U --erofs-features chunks --json --jobs 1 -o out/chunks.img >chunks.json
check out/chunks.img
[ "$(json shared_chunks chunks.json)" -ge 140 ] || { cat chunks.json >&2; fail "chunks: copies not shared"; }
[ "$(stat -c %s out/chunks.img)" -lt "$(($(stat -c %s out/default.img) - 500000))" ] ||
	fail "chunks: the image is not smaller by the copies"
dump.erofs --path=/rand out/chunks.img | grep -q "Layout: 4" || fail "dump.erofs 1.5: /rand (a copy of /copy) is not chunk-based"
vc erofs -q --root t --uuid $U --erofs-features chunks --jobs 4 -o out/chunks4.img
cmp out/chunks.img out/chunks4.img || fail "chunks: --jobs 1 and --jobs 4 differ"
echo "chunks: $(stat -c %s out/chunks.img) bytes, $(json shared_chunks chunks.json) shared chunks"
# --chunk-size: holes by 64 KiB chunks: all of /sparse but the 64 KiB
# around "middle" and its 3-byte last chunk; /zeros (12 KiB of zeros and
# 4 bytes) is one chunk of data (with 4 KiB chunks: 3 holes)
[ "$(json hole_bytes chunks.json)" = $((67108867 - 4096 - 3 + 12288)) ] ||
	fail "4 KiB chunks: $(json hole_bytes chunks.json) bytes of holes"
vc erofs --root t --erofs-features chunks --chunk-size 64k --json -o out/c64.img >c64.json
check out/c64.img
[ "$(json hole_bytes c64.json)" = $((67108867 - 65536 - 3)) ] ||
	fail "--chunk-size 64k: $(json hole_bytes c64.json) bytes of holes"
expect_exit 1 "expected a power of two from 4096" erofs --root t --chunk-size 5000 -o out/c.img

# A compressed build of a sparse tar: the sparse member is stored with its
# holes (quickly: nothing of its 64 MiB of zeros compressed), the copies
# of incompressible files share their chunks.
tar --sparse -cf sparse.tar -C t .
chmod a+r sparse.tar
start=$(date +%s%N)
vc erofs --tar sparse.tar --uuid $U --compress zstd --erofs-target 6.12 --erofs-features chunks \
	--json -o out/z.img >z.json
ms=$((($(date +%s%N) - start) / 1000000))
check out/z.img
[ "$(json hole_bytes z.json)" -ge $((60 << 20)) ] || { cat z.json >&2; fail "zstd: holes not kept"; }
[ "$(json shared_chunks z.json)" -ge 140 ] || { cat z.json >&2; fail "zstd: stored copies not shared"; }
[ "$(stat -c %s out/z.img)" -lt $((1 << 20)) ] || fail "zstd: image of $(stat -c %s out/z.img) bytes"
echo "zstd + chunks from a sparse tar: $(stat -c %s out/z.img) bytes in $ms ms"

# vcompose build: the config's erofs_features="chunks" (the same strings),
# --chunk-size over it; inspect names chunked_file and Linux 5.15.
sed 's/erofscompression="lz4hc"/erofscompression="none" erofs_features="chunks"/' \
	"$VC_SOURCE_DIR/examples/minimal/config.xml" >ch.xml
chmod a+r ch.xml
scratch outb
scratch outb64
vc build ch.xml --root t -o outb -q
vc build ch.xml --root t --chunk-size 64k -o outb64 -q
vc inspect outb/minimal.raw >i.txt
grep -q -- "- chunked_file" i.txt && grep -q "oldest_linux: 5.15" i.txt ||
	{ cat i.txt >&2; fail "build with erofs_features=chunks: no chunk-based root"; }
! cmp -s outb/minimal.raw outb64/minimal.raw || fail "build --chunk-size 64k changed nothing"
vc verify outb64/minimal.raw >/dev/null || fail "verify of the chunk-based build"
echo ok
