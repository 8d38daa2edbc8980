# SPDX-License-Identifier: MIT
# The real reader of current kernels agrees: Debian 13's Linux 6.12 (the
# linux-image package of trixie, unpacked, never installed; see
# tests/trixie_lib.sh) boots under qemu with a busybox initrd, mounts every
# variant vcompose writes for it in one boot (zstd, microLZMA, DEFLATE; big
# pclusters of LZ4HC and zstd up to 1 MiB; fragments with dedupe; inline
# compressed tails, ztailpacking, alone and with fragments; chunk-based
# files, stored and beside compressed ones) and dumps each tree; every dump
# must equal the one tests/erofs_gen.py wrote for the edge-case tree it
# generated (xattrs, hardlinks, devices, owners and times included). Holes:
# a sparse folder (files ending in a hole, of zeros only, copies) written
# with its holes by default, and from a sparse tar compressed with chunks,
# must dump as the folder does on the host.
. "$VC_SOURCE_DIR/tests/lib.sh"
. "$VC_SOURCE_DIR/tests/trixie_lib.sh"
. "$VC_SOURCE_DIR/tests/erofs_qemu_lib.sh"
skip() { echo "SKIP: $*"; exit 77; }
command -v qemu-system-x86_64 >/dev/null || skip "no qemu-system-x86_64"
[ -x /bin/busybox ] && ldd /bin/busybox 2>&1 | grep -q "not a dynamic" || skip "no busybox-static"
deb=$(trixie_kernel) || skip "cannot fetch Debian 13's kernel"
mkdir -p k
dpkg-deb --fsys-tarfile "$deb" | tar -x -C k --wildcards './boot/vmlinuz-*' \
	'./usr/lib/modules/*/kernel/fs/erofs/*' './usr/lib/modules/*/kernel/lib/libcrc32c*' \
	'./usr/lib/modules/*/kernel/crypto/crc32c_generic*' \
	'./usr/lib/modules/*/kernel/drivers/block/virtio_blk*' || fail "cannot unpack $deb"
kernel=$(ls k/boot/vmlinuz-* | head -n 1)
mods=$(ls -d k/usr/lib/modules/*/kernel | head -n 1)
export SOURCE_DATE_EPOCH=1600000000
python3 "$VC_SOURCE_DIR/tests/erofs_gen.py" gen.tar small want.dump
cc -static -O2 -o treedump "$VC_SOURCE_DIR/tests/erofs_treedump.c" || skip "no static libc"
scratch out
set --
# ALG:PCLUSTER[:FEATURES]
for v in zstd,level=9:4k zstd:128k zstd,level=3:1M lzma,level=6:4k lzma:128k \
	deflate,level=9:4k deflate:64k lz4hc:128k lz4:16k zstd,level=9:128k:fragments,dedupe \
	lz4hc:4k:fragments,dedupe zstd,level=9:128k:ztailpacking lz4hc:4k:ztailpacking \
	lzma:64k:ztailpacking lz4:16k:ztailpacking,fragments none:4k:chunks \
	zstd,level=9:128k:fragments,dedupe,chunks; do
	c=${v%%:*} p=${v#*:} f=
	case $p in *:*) f=${p#*:} p=${p%%:*} ;; esac
	n=$(echo "$v" | tr ',:=' '---')
	vc erofs -q --tar gen.tar --compress "$c" --pcluster-size "$p" ${f:+--erofs-features $f} \
		--erofs-target 6.12 -o out/$n.img
	set -- "$@" "$n=out/$n.img"
done
mkdir -p sp
truncate -s 64M sp/sparse
printf 'middle' | dd of=sp/sparse bs=1 seek=$((32 << 20)) conv=notrunc status=none
truncate -s 12288 sp/zeros
head -c 300000 /dev/urandom >sp/rand
cp sp/rand sp/copy
cat sp/rand sp/rand >sp/twice
chmod -R a+rX sp
find sp -exec touch -h -d @$SOURCE_DATE_EPOCH {} +
./treedump sp | sed 's|^sp||' >sp.dump
tar --sparse -cf sp.tar -C sp .
chmod a+r sp.tar
vc erofs -q --root sp -o out/sp-holes.img
vc erofs -q --tar sp.tar --compress zstd --erofs-features chunks --erofs-target 6.12 \
	-o out/sp-zstd-chunks.img
set -- "$@" sp-holes=out/sp-holes.img sp-zstd-chunks=out/sp-zstd-chunks.img
erofs_guest_dumps "$kernel" "$mods" "$@"
for nv in "$@"; do
	n=${nv%%=*}
	want=want.dump
	case $n in sp-*) want=sp.dump ;; esac
	diff $want guest-$n.dump >d.txt ||
		{ cut -c1-200 d.txt | head -n 20 >&2; fail "$n: Linux 6.12 reads another tree"; }
	echo "ok: Linux 6.12 reads $n as the tree that was written"
done
