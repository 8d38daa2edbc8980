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
# inspect names the feature bits as dump.erofs 1.8.6 does (MANIFEST), and
# the oldest Linux that mounts each image.
features() { vc inspect "$1" | awk '/^  feature_(in)?compat:/ { on = 1; next }
	on && /^    - / { printf "%s%s", sep, $2; sep = " "; next } { on = 0 }'; }
for t in "features:sb_csum mtime xattr_filter lz4_0padding compr_cfgs big_pcluster chunked_file fragments dedupe xattr_prefixes:6.4" \
	"ztail:sb_csum mtime xattr_filter lz4_0padding ztailpacking:5.17"; do
	name=${t%%:*}; rest=${t#*:}; want=${rest%:*}; kver=${rest##*:}
	got=$(features "$V/$name.mkfs.img")
	[ "$got" = "$want" ] || fail "$name: inspect names the features '$got', dump.erofs '$want'"
	vc inspect "$V/$name.mkfs.img" | grep -q "^  oldest_linux: $kver\$" ||
		fail "$name: inspect does not name Linux $kver"
done
# The superblock checksum is what the reader checks: one flipped byte fails.
cp out/tiny.img flipped.img
printf '\001' | dd of=flipped.img bs=1 seek=1100 conv=notrunc 2>/dev/null
if fsck_ok flipped.img; then fail "fsck accepts a bad checksum"; fi
echo ok
