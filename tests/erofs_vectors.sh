# SPDX-License-Identifier: MIT
# Known answers: images made by mkfs.erofs 1.5 (vectors/erofs/MANIFEST) must
# come out of vcompose byte for byte from the same tree; fsck.erofs checks ours.
. "$VC_SOURCE_DIR/tests/lib.sh"
# fsck.erofs 1.5 exits 0 after some errors: look at what it prints too.
fsck_ok() { fsck.erofs "$1" >fsck.out 2>&1 && ! grep -q '<E>' fsck.out; }
V=$VC_SOURCE_DIR/vectors/erofs
U=01234567-89ab-cdef-0123-456789abcdef
scratch out
export SOURCE_DATE_EPOCH=1000
for t in tiny:tiny.tar:none xattrs:xattrs.tar:none compress.lz4hc:compress.tar.gz:lz4hc \
	compress.lz4:compress.tar.gz:lz4; do
	name=${t%%:*}; rest=${t#*:}; tar=${rest%%:*}; c=${rest#*:}
	vc erofs -q --tar "$V/$tar" --owner root --uuid $U --compress "$c" -o "out/$name.img"
	fsck_ok "out/$name.img" || fail "$name: fsck.erofs rejects our image"
	cmp "out/$name.img" "$V/$name.mkfs.img" || fail "$name: differs from mkfs.erofs's image"
done
# The superblock checksum is what the reader checks: one flipped byte fails.
cp out/tiny.img flipped.img
printf '\001' | dd of=flipped.img bs=1 seek=1100 conv=notrunc 2>/dev/null
if fsck_ok flipped.img; then fail "fsck accepts a bad checksum"; fi
echo ok
