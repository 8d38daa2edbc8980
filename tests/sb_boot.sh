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
#        has the firmware load our signed UKI; the initrd reads SecureBoot=1
#        and SetupMode=0 from efivarfs, the kernel reports lockdown, and the
#        command line carrying roothash= is the one inside the signed UKI.
# What it does not show: the verity root mounted (the busybox initrd has no
# veritysetup; build_oem.sh and tests/e2e/boot.sh boot the verity root).
. "$VC_SOURCE_DIR/tests/build_lib.sh"
code=/usr/share/OVMF/OVMF_CODE_4M.secboot.fd
vars0=/usr/share/OVMF/OVMF_VARS_4M.fd
for f in "$code" "$vars0"; do
	[ -e "$f" ] || { echo "SKIP: missing $f"; exit 77; }
done
command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: no qemu"; exit 77; }
export SOURCE_DATE_EPOCH=1700000000
oem_inputs VCOMPOSE-SB-BOOTED
mod=/usr/lib/modules/$kver/kernel/fs/efivarfs/efivarfs.ko
[ -e "$mod" ] || { echo "SKIP: missing $mod"; exit 77; }
bb=/bin/busybox
ev=/sys/firmware/efi/efivars
g=8be4df61-93ca-11d2-aa0d-00e098032b8c
python3 "$VC_SOURCE_DIR/tests/busybox_initrd.py" initrd.img VCOMPOSE-SB-BOOTED "
$bb insmod /efivarfs.ko
$bb mount -t efivarfs efivarfs $ev
v() { $bb dd if=$ev/\$1-$g bs=1 skip=4 count=1 2>/dev/null | $bb od -An -tu1 | $bb tr -d ' '; }
echo \"SECUREBOOT=\$(v SecureBoot)\"
echo \"SETUPMODE=\$(v SetupMode)\"
$bb dmesg | $bb grep -i -E 'secure ?boot|lockdown' | $bb sed 's/^/KLOG: /'
" "$mod:efivarfs.ko"
scratch out
vc build config.xml --root tree -o out --initrd initrd.img --sb-key key.pem --sb-cert cert.pem \
	--sb-enroll -q 2>/dev/null
hash=$(cat out/oem.roothash)
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

# boot NAME SECONDS DISK...: runs qemu on the Secure Boot firmware and
# vars.fd until it exits (at most SECONDS), the disks in boot order
boot() {
	name=$1 secs=$2
	shift 2
	disks="" n=0
	for d in "$@"; do
		disks="$disks -drive if=none,id=d$n,format=raw,file=$d"
		disks="$disks -device virtio-blk-pci,drive=d$n,bootindex=$n"
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
boot enroll 150 out/oem.raw
grep -q "Enrolling secure boot keys from directory" serial.enroll.txt || { show enroll; fail "systemd-boot did not enroll"; }
! grep -q "VCOMPOSE-SB-BOOTED" serial.enroll.txt || { show enroll; fail "booted without a reset after enrollment"; }
! grep -q "Failed to write" serial.enroll.txt || { show enroll; fail "the firmware refused a key"; }

cp out/oem.raw disk.img
boot secure 300 disk.other.img disk.byte.img disk.img
for n in 1 2; do
	grep -E "failed to load Boot000[0-9] .*(Access Denied|Security Violation)" serial.secure.txt |
		sed -n ${n}p | grep . || { show secure; fail "the firmware did not refuse bad UKI $n"; }
done
grep -qx "VCOMPOSE-SB-BOOTED" serial.secure.txt || { show secure; fail "the signed image did not boot under Secure Boot"; }
grep -qx "SECUREBOOT=1" serial.secure.txt || { show secure; fail "SecureBoot is not 1"; }
grep -qx "SETUPMODE=0" serial.secure.txt || { show secure; fail "SetupMode is not 0"; }
grep -q "^CMDLINE=\[.*roothash=$hash" serial.secure.txt || { show secure; fail "no roothash= from the signed UKI"; }
[ $(grep -c "^VCOMPOSE-SB-BOOTED" serial.secure.txt) = 1 ] || fail "booted more than once"
grep "^KLOG: " serial.secure.txt || true
echo ok
