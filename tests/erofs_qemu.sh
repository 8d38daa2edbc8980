# SPDX-License-Identifier: MIT
# The real reader agrees: Debian 12's kernel (6.1) under qemu (TCG) loads its
# erofs module, mounts our images read-only in one boot (tests/erofs_qemu_lib.sh)
# and a static helper (tests/erofs_treedump.c) prints every entry (type,
# mode, owner, mtime, size, content hash, link target, rdev, nlink, xattrs).
# Each dump must equal the one tests/erofs_gen.py writes for the tree it
# generated. The images: none, lz4hc, and what the default target (6.1)
# allows beyond them: LZ4HC in 64 KiB pclusters with fragments and dedupe,
# LZ4HC with chunk-based stored files (shared chunks, holes), and LZ4HC in
# 64 KiB pclusters with inline compressed tails (ztailpacking, 5.17).
# Skipped (77), saying why, where qemu, the 6.1 kernel, its modules,
# busybox-static or a static libc are missing.
. "$VC_SOURCE_DIR/tests/lib.sh"
. "$VC_SOURCE_DIR/tests/erofs_qemu_lib.sh"
kver=$(ls /boot | sed -n 's/^vmlinuz-\(6\.1\..*\)$/\1/p' | head -n 1)
mods=/lib/modules/$kver/kernel
skip() { echo "SKIP: $*"; exit 77; }
command -v qemu-system-x86_64 >/dev/null || skip "no qemu-system-x86_64"
[ -n "$kver" ] && [ -r "/boot/vmlinuz-$kver" ] || skip "no Debian 6.1 kernel in /boot"
[ -e "$mods/fs/erofs/erofs.ko" ] || skip "no erofs module for $kver"
[ -x /bin/busybox ] && ldd /bin/busybox 2>&1 | grep -q "not a dynamic" || skip "no busybox-static"
export SOURCE_DATE_EPOCH=1600000000
python3 "$VC_SOURCE_DIR/tests/erofs_gen.py" gen.tar small want.dump
scratch out
vc erofs -q --tar gen.tar --compress none -o out/none.img
vc erofs -q --tar gen.tar --compress lz4hc -o out/lz4hc.img
vc erofs -q --tar gen.tar --compress lz4hc --pcluster-size 64k \
	--erofs-features fragments,dedupe -o out/big-frag.img
# chunk-based files (5.15): the stored copies share chunks, zeros are holes
vc erofs -q --tar gen.tar --compress lz4hc --erofs-features fragments,dedupe,chunks \
	-o out/chunks.img
vc erofs -q --tar gen.tar --compress lz4hc --pcluster-size 64k --erofs-features ztailpacking \
	-o out/ztail.img
cc -static -O2 -o treedump "$VC_SOURCE_DIR/tests/erofs_treedump.c" || skip "no static libc"
erofs_guest_dumps "/boot/vmlinuz-$kver" "$mods" none=out/none.img lz4hc=out/lz4hc.img \
	big-frag=out/big-frag.img chunks=out/chunks.img ztail=out/ztail.img
for n in none lz4hc big-frag chunks ztail; do
	diff want.dump guest-$n.dump >d.txt ||
		{ cut -c1-200 d.txt | head -n 20 >&2; fail "$n: Linux $kver reads another tree"; }
done
echo "ok: Linux $kver reads none, lz4hc, big-frag, chunks and ztail as the tree that was written"
