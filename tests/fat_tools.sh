# SPDX-License-Identifier: MIT
# vcompose fat checked by dosfstools, mtools and blkid: mkfs.fat's bytes for
# an empty volume (vectors/fat), fsck.fat -n on FAT12/16/32 images with
# content, mdir with long names, mcopy back byte for byte, blkid label and id,
# reproducibility, bad input.
. "$VC_SOURCE_DIR/tests/lib.sh"
V=$VC_SOURCE_DIR/vectors/fat
PATH=$PATH:/usr/sbin:/sbin
export MTOOLS_SKIP_CHECK=1
scratch out
mkdir empty

# 1. Empty volumes: mkfs.fat's bytes but for its OEM name and boot code.
# (The prefix up to the first data cluster is compared by sha256, the rest must read as zeros.)
grep -E '^[0-9]+[KM] ' "$V/MANIFEST" | while read -r size bytes sum; do
	vc fat --size "$size" --root empty -o "out/e$size.img" --label ESP --volume-id 12345678 \
		--source-date-epoch 1426325213
	[ "$(stat -c %s "out/e$size.img")" = "$bytes" ] || fail "$size: image size"
	cp "out/e$size.img" p.img
	code=62
	[ "$(dd if=p.img bs=1 skip=82 count=5 status=none)" = FAT32 ] && code=90
	for base in 0 3072; do
		[ $base = 3072 ] && [ $code = 62 ] && continue
		dd if="$V/mkfs-$size.boot" of=p.img bs=1 skip=3 seek=$((base + 3)) count=8 conv=notrunc status=none
		dd if="$V/mkfs-$size.boot" of=p.img bs=1 skip=$code seek=$((base + code)) \
			count=$((510 - code)) conv=notrunc status=none
	done
	set -- $(grep "^prefix $size " "$V/MANIFEST")
	[ "$(head -c "$3" p.img | sha256sum | cut -d' ' -f1)" = "$4" ] ||
		fail "$size: differs from mkfs.fat's image"
	echo "p$size.img $3" >>zero-check.txt
	mv p.img "p$size.img"
done
python3 - zero-check.txt <<'PY' || fail "bytes after mkfs.fat's last written cluster are not zero"
import os, sys
for line in open(sys.argv[1]):
    name, start = line.split()
    f = open(name, "rb"); fd = f.fileno(); off = int(start); size = os.fstat(fd).st_size
    while off < size:  # holes read as zero; read only the data segments
        try:
            off = os.lseek(fd, off, os.SEEK_DATA)
        except OSError:
            break
        end = os.lseek(fd, off, os.SEEK_HOLE); f.seek(off)
        while off < end:
            b = f.read(min(1 << 20, end - off)); off += len(b)
            assert b.count(0) == len(b), (name, off)
PY
rm p*.img

# 2. An ESP-like tree with long, Unicode and colliding names.
mkdir -p t/EFI/BOOT t/EFI/Linux t/loader/entries t/deep/a/b/c/d
head -c 300000 /dev/urandom >t/EFI/BOOT/BOOTX64.EFI
head -c 1000000 /dev/urandom >t/EFI/Linux/vcompose-6.1.0-amd64.efi
printf 'timeout 3\n' >t/loader/loader.conf
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
	printf 'title %s\n' $i >"t/loader/entries/vcompose-entry-$i.conf"
done
printf 'x' >"t/Ünïcödé ✓ file name that is rather long, longer than 26 units.txt"
printf 'y' >t/deep/a/b/c/d/f
: >t/empty
printf 'z' >t/README.TXT
# a directory spanning several clusters, ~N tails past 9, leading dots
mkdir t/many
i=0; while [ $i -lt 150 ]; do printf '%s' $i >"t/many/a file with a long name number $i.txt"; i=$((i + 1)); done
printf 'h' >t/many/.hidden.cfg
for size in 2M 100M 600M; do
	vc fat --size $size --root t -o out/t.img --label esp --json >t.json
	grep -q "\"fat_bits\": $(case $size in 2M) echo 12;; 100M) echo 16;; *) echo 32;; esac)" t.json ||
		fail "$size: FAT type"
	fsck.fat -n -v out/t.img >fsck.txt 2>&1 || { cat fsck.txt; fail "$size: fsck.fat -n"; }
	grep -q "182 files" fsck.txt || { cat fsck.txt; fail "$size: fsck.fat file count"; }
	mdir -/ -i out/t.img ::/ >mdir.txt
	grep -q "vcompose-6.1.0-amd64.efi" mdir.txt || fail "$size: mdir lacks the long name"
	grep -q "Ünïcödé ✓ file name that is rather long, longer than 26 units.txt" mdir.txt ||
		fail "$size: mdir lacks the Unicode name"
	grep -q "vcompose-entry-12.conf" mdir.txt || fail "$size: mdir lacks entry 12"
	rm -rf back && mkdir back
	mcopy -s -n -m -i out/t.img ::/ back/
	diff -r t back || fail "$size: mcopy gives other files"
	minfo -i out/t.img :: | grep -q "sector size: 512 bytes" || fail "$size: minfo"
	id=$(sed -n 's/.*"volume_id": "\(.*\)".*/\1/p' t.json)
	blkid -p out/t.img | grep -q "LABEL=\"ESP\" UUID=\"$id\"" ||
		{ blkid -p out/t.img; fail "$size: blkid label/id"; }
done

# 3. Reproducible: another folder with the files made in another order, other
# umask, TZ and locale, gives the same bytes; another epoch changes only times and id.
mkdir -p u/loader/entries u/EFI/Linux u/EFI/BOOT u/deep/a/b/c/d
cp t/README.TXT u/; : >u/empty
mkdir u/many; cp t/many/.hidden.cfg u/many/
(cd t/many && ls -r) | while IFS= read -r f; do cp "t/many/$f" u/many/; done
for i in 12 11 10 9 8 7 6 5 4 3 2 1; do cp "t/loader/entries/vcompose-entry-$i.conf" u/loader/entries/; done
cp t/loader/loader.conf u/loader/; cp t/deep/a/b/c/d/f u/deep/a/b/c/d/
cp t/*.txt u/; cp t/EFI/Linux/* u/EFI/Linux/; cp t/EFI/BOOT/* u/EFI/BOOT/
touch -d @1 u/README.TXT
scratch out/a; scratch out/b; scratch out/c
SOURCE_DATE_EPOCH=1700000000 vc fat --size 8M --root t -o out/a/r.img --label ESP
(umask 077; SOURCE_DATE_EPOCH=1700000000 TZ=Asia/Tokyo LC_ALL=C.UTF-8 vc fat --size 8M --root u -o out/b/r.img --label ESP)
cmp out/a/r.img out/b/r.img || fail "same tree, other order/umask/TZ: bytes differ"
SOURCE_DATE_EPOCH=1800000000 vc fat --size 8M --root t -o out/c/r.img --label ESP
# every differing byte is a volume-id byte or a time/date field of a directory entry
cmp -l out/a/r.img out/c/r.img >epoch.diff || true
python3 - epoch.diff <<'PY' || fail "another epoch changed more than times and the volume id"
import sys
offs = [int(l.split()[0]) - 1 for l in open(sys.argv[1])]
assert offs, "nothing changed"
for o in offs:
    assert 39 <= o <= 42 or (o >= 512 and o % 32 in (14, 15, 16, 17, 18, 19, 22, 23, 24, 25)), o
PY
mdir -i out/c/r.img ::/ | grep -q "2027-01-15" || fail "another epoch: dates"

# 4. An ESP inside a GPT disk, as the composer makes it: mtools and fsck.fat
# read it at its offset, blkid finds the partition's file system.
vc fat --size 8M --root t -o out/esp.img --label ESP --hidden-sectors 2048
vc gpt -o out/disk.img --part esp:out/esp.img,label=ESP
mdir -/ -i out/disk.img@@1M ::/EFI/Linux | grep -q "vcompose-6.1.0-amd64.efi" || fail "mdir in the disk"
dd if=out/disk.img of=part.img bs=1M skip=1 count=8 status=none
cmp part.img out/esp.img || fail "the ESP moved in the disk"
fsck.fat -n part.img >/dev/null || fail "fsck.fat of the ESP in the disk"
blkid -p -O 1048576 out/disk.img | grep -q 'TYPE="vfat"' || fail "blkid of the ESP in the disk"

# 5. Bad input: clear message, exit 1 (2 for usage), no output left behind.
expect_exit 1 "MiB needed" fat --size 1M --root t -o out/bad.img
mkdir n1; printf 1 >n1/README; printf 2 >n1/readme
expect_exit 1 "differs only in case" fat --size 2M --root n1 -o out/bad.img
mkdir n2; printf 1 >"n2/a:b"
expect_exit 1 "cannot store the character 0x3a" fat --size 2M --root n2 -o out/bad.img
mkdir n3; printf 1 >"n3/dot."
expect_exit 1 "ending in a dot" fat --size 2M --root n3 -o out/bad.img
mkdir n4; ln -s x n4/link
expect_exit 1 "directories and regular files only" fat --size 2M --root n4 -o out/bad.img
mkdir n5; truncate -s 5G n5/big
expect_exit 1 "too big for FAT" fat --size 2M --root n5 -o out/bad.img
expect_exit 1 "at most 11" fat --size 2M --root empty -o out/bad.img --label ABCDEFGHIJKL
expect_exit 1 "multiple of 512" fat --size 1000000 --root empty -o out/bad.img
expect_exit 2 "are required" fat --root empty -o out/bad.img
[ ! -e out/bad.img ] || fail "a failed run left out/bad.img"
[ -z "$(ls -A out | grep '^\.')" ] || fail "a failed run left a temporary file"
echo ok
