# SPDX-License-Identifier: MIT
# Secure Boot proof under OVMF's Secure Boot firmware (q35, SMM, secure
# flash), one image built by vcompose with --sb-key/--sb-cert/--sb-enroll
# and a busybox initrd, two boots on one variable store that starts empty
# (setup mode):
#  1. systemd-boot enrolls loader/keys/auto/{db,KEK,PK}.auth and resets;
#  2. with our PK/KEK/db and Secure Boot on, three disks in boot order:
#     a. the image's ESP with BOOTX64.EFI = the UKI signed by another key:
#        the firmware refuses it;
#     b. BOOTX64.EFI = the signed UKI with one byte changed after signing (a
#        digit of roothash=): refused;
#     c. the image as built: the firmware runs our signed systemd-boot, which
#        has the firmware load our signed UKI; its busybox initrd reads
#        SecureBoot=1 and SetupMode=0 from efivarfs (the kernel reports
#        lockdown), then opens the verity root with the roothash= of the
#        signed UKI's command line (Debian's signed virtio, dm-verity and
#        erofs modules, the host's dmsetup) and reads /etc/os-release from it.
# What it does not show: systemd's own initrd and the Debian userland on
# that root (tests/e2e/boot.sh boots those, without Secure Boot).
. "$VC_SOURCE_DIR/tests/build_lib.sh"
code=/usr/share/OVMF/OVMF_CODE_4M.secboot.fd
vars0=/usr/share/OVMF/OVMF_VARS_4M.fd
for f in "$code" "$vars0"; do
	[ -e "$f" ] || { echo "SKIP: missing $f"; exit 77; }
done
command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: no qemu"; exit 77; }
export SOURCE_DATE_EPOCH=1700000000
oem_inputs VCOMPOSE-SB-BOOTED
# a slow TCG host must not fail the kernel's timer check
sed -i 's/kernelcmdline="panic=-1 quiet"/kernelcmdline="panic=-1 quiet no_timer_check"/' config.xml
[ -x /sbin/dmsetup ] || fail "dmsetup missing (tools/deps.sh test)"
# the verity parameters the initrd needs besides roothash= (salt, data
# blocks) do not depend on the initrd: a first build tells them
scratch plain
vc build config.xml --root tree -o plain --initrd initrd.img -q 2>/dev/null
salt=$(json_get plain/oem.manifest.json verity salt)
blocks=$(json_get plain/oem.manifest.json verity data_blocks)
K=/usr/lib/modules/$kver/kernel
files="" mods=""
for m in fs/efivarfs/efivarfs drivers/virtio/virtio_ring drivers/virtio/virtio \
	drivers/virtio/virtio_pci_legacy_dev drivers/virtio/virtio_pci_modern_dev \
	drivers/virtio/virtio_pci drivers/block/virtio_blk drivers/md/dm-mod drivers/md/dm-bufio \
	lib/reed_solomon/reed_solomon drivers/md/dm-verity crypto/crc32c_generic lib/libcrc32c \
	fs/erofs/erofs; do
	[ -e $K/$m.ko ] || { echo "SKIP: missing $K/$m.ko"; exit 77; }
	files="$files $K/$m.ko:m/${m##*/}.ko"
	mods="$mods ${m##*/}"
done
for l in $(ldd /sbin/dmsetup | grep -o '/[^ ]*'); do files="$files $l:${l#/}"; done
bb=/bin/busybox
ev=/sys/firmware/efi/efivars
g=8be4df61-93ca-11d2-aa0d-00e098032b8c
python3 "$VC_SOURCE_DIR/tests/busybox_initrd.py" initrd.img VCOMPOSE-SB-BOOTED "
for m in $mods; do $bb insmod /m/\$m.ko || echo \"INSMOD-FAILED \$m\"; done
$bb mount -t efivarfs efivarfs $ev
v() { $bb dd if=$ev/\$1-$g bs=1 skip=4 count=1 2>/dev/null | $bb od -An -tu1 | $bb tr -d ' '; }
echo \"SECUREBOOT=\$(v SecureBoot)\"
echo \"SETUPMODE=\$(v SetupMode)\"
$bb dmesg | $bb grep -i -E 'secure ?boot|lockdown' | $bb sed 's/^/KLOG: /'
$bb mount -t devtmpfs devtmpfs /dev
n=0; while [ ! -e /dev/vda3 ] && [ \$n -lt 100 ]; do $bb sleep 0.2; n=\$((n + 1)); done
rh=\$($bb sed -n 's/.* roothash=\\([0-9a-f]*\\).*/\\1/p' /proc/cmdline)
DM_DISABLE_UDEV=1 /sbin/dmsetup create root --readonly --table \"0 $((blocks * 8)) verity 1 /dev/vda2 /dev/vda3 4096 4096 $blocks 1 sha256 \$rh $salt\"
echo \"DM: \$(/sbin/dmsetup status root)\"
$bb mkdir -p /mnt
$bb mount -t erofs -o ro /dev/mapper/root /mnt && echo \"VERITY-ROOT: \$($bb head -n 1 /mnt/etc/os-release)\"
" $files /sbin/dmsetup:sbin/dmsetup
scratch out
vc build config.xml --root tree -o out --initrd initrd.img --sb-key key.pem --sb-cert cert.pem \
	--sb-enroll -q 2>/dev/null
hash=$(cat out/oem.roothash)
[ "$hash" = "$(cat plain/oem.roothash)" ] || fail "the initrd changed the root hash"
m=out/oem.manifest.json
esp_off=$(part_field $m 0 offset)

# the two bad disks: BOOTX64.EFI replaced by a bad UKI, the ESP written back
openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other.crt -days 3650 \
	-subj "/CN=another key" 2>/dev/null
extract out/oem.raw $m 0 esp.img
mcopy -n -i esp.img ::EFI/Linux/oem-2.0.efi uki.efi
"$VCOMPOSE" sign pe --replace --key other.key --cert other.crt uki.efi -o other.efi
cp uki.efi byte.efi
python3 - "$hash" <<'PY'
import sys
d = bytearray(open("byte.efi", "rb").read())
i = d.index(b"roothash=" + sys.argv[1].encode()) + 9
d[i] = ord("0") if d[i] != ord("0") else ord("1")   # one hex digit of the root hash
open("byte.efi", "wb").write(d)
PY
sbverify --cert cert.pem byte.efi >/dev/null 2>&1 && fail "sbverify accepts the changed UKI"
for bad in other byte; do
	cp esp.img esp.$bad.img
	mcopy -o -i esp.$bad.img $bad.efi ::EFI/BOOT/BOOTX64.EFI
	cp out/oem.raw disk.$bad.img
	dd if=esp.$bad.img of=disk.$bad.img bs=1M seek=$((esp_off / 1048576)) conv=notrunc status=none
done

# boot NAME SECONDS DISK@BOOTINDEX...: runs qemu on the Secure Boot firmware
# and vars.fd until it exits (at most SECONDS); the first disk is /dev/vda
boot() {
	name=$1 secs=$2
	shift 2
	disks="" n=0
	for d in "$@"; do
		disks="$disks -drive if=none,id=d$n,format=raw,file=${d%@*}"
		disks="$disks -device virtio-blk-pci,drive=d$n,bootindex=${d#*@}"
		n=$((n + 1))
	done
	rm -f serial.$name.log
	t0=$(date +%s)
	set +e
	timeout $secs qemu-system-x86_64 -accel tcg -machine q35,smm=on -m 512 -nographic \
		-no-reboot -global driver=cfi.pflash01,property=secure,value=on \
		-nic none -monitor none -serial file:serial.$name.log \
		-drive if=pflash,format=raw,unit=0,readonly=on,file="$code" \
		-drive if=pflash,format=raw,unit=1,file=vars.fd $disks </dev/null >qemu.$name.out 2>&1
	set -e
	i=$(($(date +%s) - t0))
	tr -d '\r' < serial.$name.log | sed 's/\x1b\[[0-9;]*[A-Za-z]//g' > serial.$name.txt
	echo "boot $name: ${i}s"
}
show() { echo "--- serial log of boot $1:" >&2; tail -n 30 serial.$1.txt >&2; }

cp "$vars0" vars.fd
boot enroll 150 out/oem.raw@0
grep -q "Enrolling secure boot keys from directory" serial.enroll.txt || { show enroll; fail "systemd-boot did not enroll"; }
! grep -q "VCOMPOSE-SB-BOOTED" serial.enroll.txt || { show enroll; fail "booted without a reset after enrollment"; }
! grep -q "Failed to write" serial.enroll.txt || { show enroll; fail "the firmware refused a key"; }

cp out/oem.raw disk.img
# the good disk is /dev/vda for the initrd, and boots last
boot secure 300 disk.img@2 disk.other.img@0 disk.byte.img@1
for n in 1 2; do
	grep -E "failed to load Boot000[0-9] .*(Access Denied|Security Violation)" serial.secure.txt |
		sed -n ${n}p | grep . || { show secure; fail "the firmware did not refuse bad UKI $n"; }
done
grep -qx "VCOMPOSE-SB-BOOTED" serial.secure.txt || { show secure; fail "the signed image did not boot under Secure Boot"; }
grep -qx "SECUREBOOT=1" serial.secure.txt || { show secure; fail "SecureBoot is not 1"; }
grep -qx "SETUPMODE=0" serial.secure.txt || { show secure; fail "SetupMode is not 0"; }
grep -q "^CMDLINE=\[.*roothash=$hash" serial.secure.txt || { show secure; fail "no roothash= from the signed UKI"; }
! grep -q "^INSMOD-FAILED" serial.secure.txt || { show secure; fail "a module did not load under lockdown"; }
grep -q "^DM: 0 $((blocks * 8)) verity V" serial.secure.txt || { show secure; fail "dm-verity did not verify the root"; }
grep -q '^VERITY-ROOT: NAME="vcompose minimal"' serial.secure.txt || { show secure; fail "the verity root was not read"; }
[ $(grep -c "^VCOMPOSE-SB-BOOTED" serial.secure.txt) = 1 ] || fail "booted more than once"
grep -E "^(SECUREBOOT|SETUPMODE|KLOG|DM|VERITY-ROOT)" serial.secure.txt || true
echo ok
