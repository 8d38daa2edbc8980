# SPDX-License-Identifier: MIT
# erofs_guest_dumps KERNEL MODDIR NAME=IMG...: boots KERNEL under qemu (TCG)
# with a busybox initrd that loads the erofs module (and what it needs)
# from MODDIR (a kernel's lib/modules/VERSION/kernel), attaches every IMG
# as a read-only virtio disk, mounts each and dumps its tree with
# tests/erofs_treedump.c (built static into ./treedump by the caller): one
# boot for all images. Writes guest-NAME.dump for each; fails when the
# guest printed none. Sourced after tests/lib.sh.
erofs_guest_dumps() {
	kernel=$1 mods=$2
	shift 2
	rm -rf initrd && mkdir -p initrd/bin initrd/mod initrd/mnt initrd/proc initrd/sys initrd/dev
	cp /bin/busybox initrd/bin/busybox
	cp treedump initrd/bin/treedump
	order=
	for m in crypto/crc32c_generic lib/libcrc32c fs/erofs/erofs drivers/virtio/virtio \
		drivers/virtio/virtio_ring drivers/virtio/virtio_pci_legacy_dev \
		drivers/virtio/virtio_pci_modern_dev drivers/virtio/virtio_pci drivers/block/virtio_blk; do
		f=$(ls "$mods/$m.ko"* 2>/dev/null | head -n 1)
		[ -n "$f" ] || continue # built in
		b=$(basename "$m")
		case $f in
		*.xz) xz -dc "$f" >initrd/mod/$b.ko ;;
		*.zst) zstd -qdc "$f" >initrd/mod/$b.ko ;;
		*) cp "$f" initrd/mod/$b.ko ;;
		esac
		order="$order $b"
	done
	# the load order: what erofs and virtio_blk need first
	load=
	for b in crc32c_generic libcrc32c virtio_ring virtio virtio_pci_legacy_dev \
		virtio_pci_modern_dev virtio_pci virtio_blk erofs; do
		case " $order " in *" $b "*) load="$load $b" ;; esac
	done
	drives= disks= i=0
	for nv in "$@"; do
		d=vd$(printf "\\$(printf %o $((97 + i)))")
		drives="$drives -drive file=${nv#*=},format=raw,if=virtio,readonly=on"
		disks="$disks ${nv%%=*}:$d"
		mkdir -p "initrd/mnt/${nv%%=*}"
		i=$((i + 1))
	done
	last=${disks##*:}
	cat >initrd/init <<INIT
#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sys /sys
/bin/busybox mount -t devtmpfs dev /dev
for m in $load; do
	/bin/busybox insmod /mod/\$m.ko || echo "insmod \$m failed"
done
i=0
while [ ! -b /dev/$last ] && [ \$i -lt 100 ]; do /bin/busybox sleep 0.2; i=\$((i + 1)); done
for d in $disks; do
	echo "=== begin \${d%%:*}"
	/bin/busybox mount -t erofs -o ro /dev/\${d#*:} /mnt/\${d%%:*} && /bin/treedump /mnt/\${d%%:*}
	echo "=== end \${d%%:*}"
done
/bin/busybox poweroff -f
INIT
	chmod +x initrd/init
	(cd initrd && find . | cpio -o -H newc --quiet) | gzip -1 >initrd.img
	# shellcheck disable=SC2086
	timeout 900 qemu-system-x86_64 -accel tcg -m 768 -nodefaults -no-reboot -display none \
		-kernel "$kernel" -initrd initrd.img \
		-append "console=ttyS0 panic=-1 quiet" -serial file:serial.log $drives ||
		fail "qemu failed"
	tr -d '\r' <serial.log >serial.txt
	for nv in "$@"; do
		n=${nv%%=*}
		sed -n "/^=== begin $n\$/,/^=== end $n\$/p" serial.txt | sed '1d;$d' |
			sed "s|^/mnt/$n||" >guest-$n.dump
		[ -s guest-$n.dump ] || { tail -n 30 serial.txt >&2; fail "$n: no dump from the guest"; }
	done
}
