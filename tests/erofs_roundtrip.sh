# SPDX-License-Identifier: MIT
# Round trip of the edge-case tree (tests/erofs_gen.py) through our writer and
# erofs-utils 1.5: fsck.erofs, fsck.erofs --extract, dump.erofs; the Linux
# kernel too where this machine can mount a loop device. For none, lz4 and
# lz4hc. Also: --jobs 1 and --jobs 4 give the same bytes.
. "$VC_SOURCE_DIR/tests/lib.sh"
# fsck.erofs 1.5 exits 0 after some errors: look at what it prints too.
fsck_ok() { fsck.erofs "$@" >fsck.out 2>&1 && ! grep -q '<E>' fsck.out; }
export SOURCE_DATE_EPOCH=1600000000
python3 "$VC_SOURCE_DIR/tests/erofs_gen.py" gen.tar
scratch out
"$VCOMPOSE" tree --dump --tar gen.tar >want.dump
# fsck.erofs 1.5 extracts neither xattrs nor hardlinks (it copies), and its
# chown clears set-id bits: compare those with the kernel below instead.
norm() { sed -E -e 's/ xattr\.[^ ]*//g' -e 's/ (nlink|hardlink)=[0-9]+//g' \
	-e 's/ mode=[0-7]([0-7]{3})/ mode=\1/' "$1"; }
norm want.dump >want.norm
can_mount=no
if [ "$(id -u)" = 0 ] && mkdir -p mnt && mount -t erofs -o loop,ro \
	"$VC_SOURCE_DIR/vectors/erofs/tiny.mkfs.img" mnt 2>/dev/null; then
	umount mnt
	can_mount=yes
else
	echo "note: cannot mount EROFS here (needs root and loop devices): kernel check skipped"
fi
for c in none lz4 lz4hc; do
	vc erofs -q --tar gen.tar --compress $c --jobs 2 -o out/$c.img
	fsck_ok out/$c.img || fail "$c: fsck.erofs"
	dump.erofs -s out/$c.img | grep -q "inode count: *10112" || fail "$c: dump.erofs -s"
	dump.erofs --path=/data/text out/$c.img | grep -q "Size: 3233180" ||
		fail "$c: dump.erofs --path"
	# extraction is slow (10,000 files): once, unless the kernel cannot check
	if [ $c != lz4hc ] && [ $can_mount = yes ]; then
		:
	elif [ "$(id -u)" = 0 ]; then
		fsck_ok --extract=ex-$c --preserve out/$c.img || fail "$c: extract"
		"$VCOMPOSE" tree --dump --root ex-$c --owner keep >got-$c.dump
		norm got-$c.dump >got-$c.norm
		diff want.norm got-$c.norm || fail "$c: extracted tree differs"
	else
		fsck_ok --extract=ex-$c out/$c.img || fail "$c: extract"
		"$VCOMPOSE" tree --dump --root ex-$c | sed -E 's/ (mode|uid|gid|mtime)=[^ ]*//g' \
			>got-$c.norm
		norm want.dump | sed -E 's/ (mode|uid|gid|mtime)=[^ ]*//g' >want-c.norm
		diff want-c.norm got-$c.norm || fail "$c: extracted contents differ"
	fi
	rm -rf ex-$c
	if [ $can_mount = yes ]; then
		mount -t erofs -o loop,ro out/$c.img mnt
		"$VCOMPOSE" tree --dump --root mnt --owner keep >kern-$c.dump || { umount mnt; fail "$c: dump of the mount"; }
		umount mnt
		diff want.dump kern-$c.dump || fail "$c: the kernel reads another tree"
	fi
done
# Thread count never changes the bytes.
U=01234567-89ab-cdef-0123-456789abcdef
for c in none lz4hc; do
	vc erofs -q --tar gen.tar --compress $c --jobs 1 --uuid $U -o out/j1.img
	vc erofs -q --tar gen.tar --compress $c --jobs 4 --uuid $U -o out/j4.img
	cmp out/j1.img out/j4.img || fail "$c: --jobs 1 and --jobs 4 differ"
done
# mkfs.erofs on the same folder (the data and sizes parts of the tree): both
# images extract to the same files, and ours is no larger
# than 1.02x theirs.
mkdir src cmp
(cd src && tar xf ../gen.tar data sizes) || fail "tar xf"
mv src/data src/sizes cmp/
chmod -R a+rX cmp
for c in lz4hc; do
	vc erofs -q --root cmp --compress $c -o out/ours-$c.img
	if [ $c = none ]; then z=""; else z=-z$c; fi
	mkfs.erofs $z -T$SOURCE_DATE_EPOCH --all-root theirs-$c.img cmp >/dev/null ||
		fail "mkfs.erofs failed"
	fsck_ok --extract=x-ours-$c out/ours-$c.img || fail "$c: extract ours"
	fsck_ok --extract=x-theirs-$c theirs-$c.img || fail "$c: extract theirs"
	diff -r x-ours-$c x-theirs-$c || fail "$c: ours and mkfs.erofs's extract differently"
	ours=$(stat -c %s out/ours-$c.img); theirs=$(stat -c %s theirs-$c.img)
	echo "$c: ours $ours bytes, mkfs.erofs $theirs bytes"
	[ "$ours" -le $((theirs * 102 / 100)) ] || fail "$c: image over 1.02x mkfs.erofs's"
	rm -rf x-ours-$c x-theirs-$c
done
echo ok
