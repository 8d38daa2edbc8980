# SPDX-License-Identifier: MIT
# The real reader agrees: Debian 12's kernel (6.1) under qemu (TCG) loads its
# erofs module, mounts our images (none and lz4hc, virtio disks) read-only,
# and a static helper (tests/erofs_treedump.c) prints every entry (type,
# mode, owner, mtime, size, content hash, link target, rdev, nlink, xattrs).
# That dump must equal the one tests/erofs_gen.py writes for the tree it
# generated. Skipped, saying why, where qemu, the 6.1 kernel, its modules,
# busybox-static or a static libc are missing.
. "$VC_SOURCE_DIR/tests/lib.sh"
kver=$(ls /boot | sed -n 's/^vmlinuz-\(6\.1\..*\)$/\1/p' | head -n 1)
mods=/lib/modules/$kver/kernel
skip() { echo "SKIP: $*"; exit 0; }
command -v qemu-system-x86_64 >/dev/null || skip "no qemu-system-x86_64"
[ -n "$kver" ] && [ -r "/boot/vmlinuz-$kver" ] || skip "no Debian 6.1 kernel in /boot"
[ -e "$mods/fs/erofs/erofs.ko" ] || skip "no erofs module for $kver"
[ -x /bin/busybox ] && ldd /bin/busybox 2>&1 | grep -q "not a dynamic" || skip "no busybox-static"
export SOURCE_DATE_EPOCH=1600000000
python3 "$VC_SOURCE_DIR/tests/erofs_gen.py" gen.tar small want.dump
scratch out
vc erofs -q --tar gen.tar --compress none -o out/none.img
vc erofs -q --tar gen.tar --compress lz4hc -o out/lz4hc.img
cc -static -O2 -o treedump "$VC_SOURCE_DIR/tests/erofs_treedump.c" || skip "no static libc"
# initrd: busybox, the helper, the modules, an init that mounts and dumps
mkdir -p initrd/bin initrd/mod initrd/mnt/a initrd/mnt/b initrd/proc initrd/sys initrd/dev
cp /bin/busybox initrd/bin/busybox
cp treedump initrd/bin/treedump
for m in crypto/crc32c_generic lib/libcrc32c fs/erofs/erofs drivers/virtio/virtio \
	drivers/virtio/virtio_ring drivers/virtio/virtio_pci_legacy_dev \
	drivers/virtio/virtio_pci_modern_dev drivers/virtio/virtio_pci drivers/block/virtio_blk; do
	f=$(ls "$mods/$m.ko"* | head -n 1)
	case $f in
	*.xz) xz -dc "$f" >initrd/mod/$(basename $m).ko ;;
	*.zst) zstd -qdc "$f" >initrd/mod/$(basename $m).ko ;;
	*) cp "$f" initrd/mod/ ;;
	esac
done
cat >initrd/init <<'INIT'
#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sys /sys
/bin/busybox mount -t devtmpfs dev /dev
for m in crc32c_generic libcrc32c virtio_ring virtio virtio_pci_legacy_dev \
	virtio_pci_modern_dev virtio_pci virtio_blk erofs; do
	/bin/busybox insmod /mod/$m.ko || echo "insmod $m failed"
done
i=0
while [ ! -b /dev/vdb ] && [ $i -lt 50 ]; do /bin/busybox sleep 0.2; i=$((i + 1)); done
for d in a:vda b:vdb; do
	echo "=== begin ${d%%:*}"
	/bin/busybox mount -t erofs -o ro /dev/${d#*:} /mnt/${d%%:*} && /bin/treedump /mnt/${d%%:*}
	echo "=== end ${d%%:*}"
done
/bin/busybox poweroff -f
INIT
chmod +x initrd/init
(cd initrd && find . | cpio -o -H newc --quiet) | gzip -1 >initrd.img
timeout 600 qemu-system-x86_64 -accel tcg -m 512 -nodefaults -no-reboot -display none \
	-kernel "/boot/vmlinuz-$kver" -initrd initrd.img \
	-append "console=ttyS0 panic=-1 quiet" -serial file:serial.log \
	-drive file=out/none.img,format=raw,if=virtio,readonly=on \
	-drive file=out/lz4hc.img,format=raw,if=virtio,readonly=on ||
	fail "qemu failed"
tr -d '\r' <serial.log >serial.txt
for p in a:none b:lz4hc; do
	sed -n "/^=== begin ${p%%:*}\$/,/^=== end ${p%%:*}\$/p" serial.txt | sed '1d;$d' \
		| sed "s|^/mnt/${p%%:*}||" >guest-${p#*:}.dump
	[ -s guest-${p#*:}.dump ] || { tail -n 30 serial.txt >&2; fail "${p#*:}: no dump from the guest"; }
	diff want.dump guest-${p#*:}.dump >d.txt ||
		{ cut -c1-200 d.txt | head -n 20 >&2; fail "${p#*:}: Linux $kver reads another tree"; }
done
echo "ok: Linux $kver reads both images as the tree that was written"
