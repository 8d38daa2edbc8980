# SPDX-License-Identifier: MIT
# Round trip of the edge-case tree (tests/erofs_gen.py, which also writes the
# dump a reader must see, want.dump) through our writer and erofs-utils 1.5:
# fsck.erofs, fsck.erofs --extract, dump.erofs; and the running kernel where
# this machine can mount a loop device. For none, lz4 and lz4hc. Dumps are
# made by tests/erofs_treedump.c. Also: --jobs 1 and --jobs 8 give the same
# bytes, and the image is no larger than 1.02x mkfs.erofs's.
. "$VC_SOURCE_DIR/tests/lib.sh"
# fsck.erofs 1.5 exits 0 after some errors: look at what it prints too.
fsck_ok() { fsck.erofs "$@" >fsck.out 2>&1 && ! grep -q '<E>' fsck.out; }
# show_diff A B WHAT: fails with the start of the difference.
show_diff() { diff "$1" "$2" >d.txt || { cut -c1-200 d.txt | head -n 20 >&2; fail "$3"; }; }
export SOURCE_DATE_EPOCH=1600000000
python3 "$VC_SOURCE_DIR/tests/erofs_gen.py" gen.tar want.dump
cc -O2 -o treedump "$VC_SOURCE_DIR/tests/erofs_treedump.c"
scratch out
# fsck.erofs 1.5 extracts neither xattrs nor hardlinks (it copies), and its
# chown clears set-id bits: the kernel checks those.
fsck_view() { awk '{ d = substr($3, 1, 1) % 2; $3 = d substr($3, 2);
	print $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 }' "$1"; }
# Extracted as nobody: no owners, modes or times either.
content_view() { awk '{ print $1, $2, $7, $8, $9, $10 }' "$1"; }
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
	dump.erofs -s out/$c.img | grep -q "inode count: *10115" || fail "$c: dump.erofs -s"
	dump.erofs --path=/data/text out/$c.img | grep -q "Size: 3233180" ||
		fail "$c: dump.erofs --path"
	if [ $can_mount = yes ]; then
		mount -t erofs -o loop,ro out/$c.img mnt
		./treedump mnt >kern-$c.dump || { umount mnt; fail "$c: dump of the mount"; }
		umount mnt
		show_diff want.dump kern-$c.dump "$c: the kernel reads another tree"
	fi
	# extraction is slow (10,000 files): once, unless the kernel cannot check
	[ $c = lz4hc ] || [ $can_mount = no ] || continue
	if [ "$(id -u)" = 0 ]; then
		fsck_ok --extract=ex-$c --preserve out/$c.img || fail "$c: extract"
		./treedump ex-$c >got-$c.dump
		fsck_view want.dump >want.view
		fsck_view got-$c.dump >got.view
	else
		fsck_ok --extract=ex-$c out/$c.img || fail "$c: extract"
		./treedump ex-$c >got-$c.dump
		content_view want.dump >want.view
		content_view got-$c.dump >got.view
	fi
	show_diff want.view got.view "$c: fsck.erofs extracts another tree"
	rm -rf ex-$c
done
# Thread count never changes the bytes.
U=01234567-89ab-cdef-0123-456789abcdef
for c in none lz4hc; do
	vc erofs -q --tar gen.tar --compress $c --jobs 1 --uuid $U -o out/j1.img
	vc erofs -q --tar gen.tar --compress $c --jobs 8 --uuid $U -o out/j8.img
	cmp out/j1.img out/j8.img || fail "$c: --jobs 1 and --jobs 8 differ"
done
# mkfs.erofs on the same folder (the data and sizes parts of the tree): both
# images extract to the same files, and ours is no larger than 1.02x theirs.
mkdir src cmp
(cd src && tar xf ../gen.tar data sizes) || fail "tar xf"
mv src/data src/sizes cmp/
chmod -R a+rX cmp
vc erofs -q --root cmp --compress lz4hc -o out/ours.img
mkfs.erofs -zlz4hc -T$SOURCE_DATE_EPOCH --all-root theirs.img cmp >/dev/null ||
	fail "mkfs.erofs failed"
fsck_ok --extract=x-ours out/ours.img || fail "extract ours"
fsck_ok --extract=x-theirs theirs.img || fail "extract theirs"
diff -r x-ours x-theirs || fail "ours and mkfs.erofs's extract differently"
ours=$(stat -c %s out/ours.img); theirs=$(stat -c %s theirs.img)
echo "lz4hc: ours $ours bytes, mkfs.erofs $theirs bytes"
[ "$ours" -le $((theirs * 102 / 100)) ] || fail "lz4hc: image over 1.02x mkfs.erofs's"
echo ok
