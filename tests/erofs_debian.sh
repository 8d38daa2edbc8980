# SPDX-License-Identifier: MIT
# A real root filesystem: Debian 12 made by `debootstrap --variant=minbase
# bookworm`, as a pax tarball (owners, nanosecond mtimes, xattrs, devices),
# through vcompose erofs with none, lz4, lz4hc and lz4hc with inline
# compressed tails (ztailpacking; and chunks, extracted by fsck.erofs
# 1.8.6): fsck.erofs, then the running kernel's mount (where loop devices
# work) and fsck.erofs --extract compared with the debootstrap folder by
# tests/erofs_treedump.c; the ztailpacking image by fsck.erofs 1.8.6 too.
# The tarball and the folder's dump are cached in $VC_DEBIAN_CACHE (default:
# /var/cache/vcompose when writable, else the build folder); making them
# takes minutes. Skipped, saying why, without root, debootstrap or network.
. "$VC_SOURCE_DIR/tests/lib.sh"
. "$VC_SOURCE_DIR/tests/trixie_lib.sh"
fsck_ok() { fsck.erofs "$@" >fsck.out 2>&1 && ! grep -q '<E>' fsck.out; }
show_diff() { diff "$1" "$2" >d.txt || { cut -c1-200 d.txt | head -n 20 >&2; fail "$3"; }; }
skip() { echo "SKIP: $*"; exit 77; }
cache=${VC_DEBIAN_CACHE:-}
if [ -z "$cache" ]; then
	if mkdir -p /var/cache/vcompose 2>/dev/null && [ -w /var/cache/vcompose ]; then
		cache=/var/cache/vcompose
	else
		cache=$VC_BUILD_DIR/erofs-debian
	fi
fi
tarball=$cache/debian-bookworm-minbase.tar
cc -O2 -o treedump "$VC_SOURCE_DIR/tests/erofs_treedump.c"
if [ ! -s "$tarball" ] || [ ! -s "$tarball.dump" ]; then
	[ "$(id -u)" = 0 ] || skip "making the Debian tree needs root (debootstrap)"
	command -v debootstrap >/dev/null || skip "no debootstrap"
	mkdir -p "$cache"
	echo "making $tarball with debootstrap (minutes; cached afterwards)"
	mirror=$(apt_mirror) || skip "no apt mirror configured for debootstrap"
	debootstrap --variant=minbase bookworm "$VC_TMP/rootfs" "$mirror" \
		>debootstrap.log 2>&1 || { tail -n 5 debootstrap.log; skip "debootstrap cannot reach Debian's packages"; }
	./treedump "$VC_TMP/rootfs" >"$tarball.dump.tmp"
	tar --format=posix --xattrs --xattrs-include='*' --numeric-owner -C "$VC_TMP/rootfs" \
		-cf "$tarball.tmp" .
	mv "$tarball.tmp" "$tarball"
	mv "$tarball.dump.tmp" "$tarball.dump"
	rm -rf "$VC_TMP/rootfs"
fi
# Without SOURCE_DATE_EPOCH every mtime is kept as it is (build time: the
# newest mtime), so the dumps compare exactly.
unset SOURCE_DATE_EPOCH
cp "$tarball" rootfs.tar
chmod a+r rootfs.tar
scratch out
can_mount=no
if [ "$(id -u)" = 0 ] && mkdir -p mnt && mount -t erofs -o loop,ro \
	"$VC_SOURCE_DIR/vectors/erofs/tiny.mkfs.img" mnt 2>/dev/null; then
	umount mnt
	can_mount=yes
fi
fsck_view() { awk '{ d = substr($3, 1, 1) % 2; $3 = d substr($3, 2);
	print $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 }' "$1"; }
fsck_view "$tarball.dump" >want.view
for v in none lz4 lz4hc lz4hc+ztailpacking; do
	c=$v f=${v#*+}
	[ "$f" = "$v" ] && f=none
	vc erofs -q --tar rootfs.tar --compress ${v%%+*} --erofs-features $f -o out/$c.img
	fsck_ok out/$c.img || fail "$c: fsck.erofs"
	echo "$c: $(stat -c %s out/$c.img) bytes"
	if [ $can_mount = yes ]; then
		mount -t erofs -o loop,ro out/$c.img mnt
		./treedump mnt >kern-$c.dump || { umount mnt; fail "$c: dump of the mount"; }
		umount mnt
		show_diff "$tarball.dump" kern-$c.dump "$c: the kernel reads another tree"
	fi
	if [ "$(id -u)" = 0 ]; then
		fsck_ok --extract=ex --preserve out/$c.img || fail "$c: extract"
		./treedump ex >got.dump
		fsck_view got.dump >got.view
		show_diff want.view got.view "$c: fsck.erofs extracts another tree"
		rm -rf ex
	fi
	if [ "$f" != none ] && [ "$(id -u)" = 0 ] && trixie_erofs_utils trixie; then
		t_fsck --extract=ex --preserve out/$c.img >fsck.out 2>&1 ||
			{ tail -n 5 fsck.out >&2; fail "$c: fsck.erofs 1.8 --extract"; }
		./treedump ex >got.dump
		fsck_view got.dump >got.view
		show_diff want.view got.view "$c: fsck.erofs 1.8 extracts another tree"
		rm -rf ex
	fi
	rm -f out/$c.img
done
# Chunk-based files (issue 20): equal chunks stored once, chunks of zeros as
# holes; fsck.erofs 1.5 cannot extract holes (docs/erofs.md), so Debian 13's
# 1.8.6 does, and the tree must be the folder's (minbase has no file ending
# in a chunk of zeros, which 1.8.6 would extract short).
if [ "$(id -u)" = 0 ] && trixie_erofs_utils trixie; then
	vc erofs --tar rootfs.tar --erofs-features chunks --json -o out/chunks.img >chunks.json
	grep -q '"shared_chunks": [1-9]' chunks.json || { cat chunks.json >&2; fail "chunks: none shared"; }
	t_fsck out/chunks.img >fsck.out 2>&1 || { cat fsck.out >&2; fail "chunks: fsck.erofs 1.8"; }
	t_fsck --extract=ex --preserve out/chunks.img >fsck.out 2>&1 || fail "chunks: extract"
	./treedump ex >got.dump
	fsck_view got.dump >got.view
	show_diff want.view got.view "chunks: fsck.erofs 1.8 extracts another tree"
	echo "chunks: $(stat -c %s out/chunks.img) bytes"
	rm -rf ex out/chunks.img
fi
echo ok
