#!/bin/sh
# SPDX-License-Identifier: MIT
# The real proof: a UKI made by vcompose from Debian's systemd-boot stub and
# kernel boots under OVMF (qemu TCG) to a tiny busybox initrd that prints a
# marker and /proc/cmdline on the serial console, then powers off. The ESP
# (mkfs.fat + mcopy) and the GPT (sgdisk) are made by the reference tools here.
. "$VC_SOURCE_DIR/tests/lib.sh"
stub=/usr/lib/systemd/boot/efi/linuxx64.efi.stub
kernel=$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1 || true)
code=/usr/share/OVMF/OVMF_CODE_4M.fd
vars=/usr/share/OVMF/OVMF_VARS_4M.fd
for f in "$stub" "$kernel" "$code" "$vars" /bin/busybox; do
	[ -n "$f" ] && [ -e "$f" ] || { echo "SKIP: missing $f"; exit 77; }
done
for t in qemu-system-x86_64 mkfs.fat mcopy mmd sgdisk python3; do
	command -v $t >/dev/null || { echo "SKIP: missing $t"; exit 77; }
done

# initrd: gzip'd cpio newc with busybox as /init (no root needed)
python3 "$VC_SOURCE_DIR/tests/busybox_initrd.py" initrd.img VCOMPOSE-UKI-BOOTED

cmdline="console=ttyS0 panic=-1 vcompose.test=uki-boot quiet"
scratch out
vc uki --stub "$stub" --linux "$kernel" --initrd initrd.img --cmdline "$cmdline" \
	-o out/uki.efi >/dev/null

# ESP (FAT) in a GPT disk. vcompose's own fat and gpt writers when this build
# has them, else the reference tools (mkfs.fat + mcopy, sgdisk); either way the
# reference readers check the result before qemu runs.
esp_mib=$(( ($(stat -c %s out/uki.efi) + 4*1048576) / 1048576 ))
if "$VCOMPOSE" fat --help >/dev/null 2>&1; then
	scratch espdir
	mkdir -p espdir/EFI/BOOT
	cp out/uki.efi espdir/EFI/BOOT/BOOTX64.EFI
	vc fat --size $((esp_mib * 1048576)) --root espdir -o out/esp.img --label ESP >/dev/null
	cp out/esp.img esp.img
	echo "ESP: vcompose fat"
else
	mkfs.fat -C -F 16 -n ESP esp.img $((esp_mib * 1024)) >/dev/null
	mmd -i esp.img ::EFI ::EFI/BOOT
	mcopy -i esp.img out/uki.efi ::EFI/BOOT/BOOTX64.EFI
	echo "ESP: mkfs.fat + mcopy"
fi
mcopy -i esp.img ::EFI/BOOT/BOOTX64.EFI esp-copy.efi
cmp esp-copy.efi out/uki.efi || fail "the ESP does not hold our UKI"
if "$VCOMPOSE" gpt --help >/dev/null 2>&1; then
	vc gpt -o out/disk.img --part esp:esp.img >/dev/null
	cp out/disk.img disk.img
	echo "GPT: vcompose gpt"
else
	truncate -s $(( (esp_mib + 2) * 1048576 )) disk.img
	sgdisk -n 1:2048:+${esp_mib}M -t 1:ef00 disk.img >/dev/null
	dd if=esp.img of=disk.img bs=1M seek=1 conv=notrunc status=none
	echo "GPT: sgdisk"
fi
sgdisk -v disk.img | grep -q "No problems found" || fail "sgdisk -v: bad GPT"
sgdisk -i 1 disk.img | grep -q "C12A7328-F81F-11D2-BA4B-00A0C93EC93B" || fail "partition 1 is not an ESP"
cp "$vars" vars.fd

set +e
timeout 150 qemu-system-x86_64 -accel tcg -machine q35 -m 512 -nographic -no-reboot \
	-nic none -monitor none -serial file:serial.log \
	-drive if=pflash,format=raw,unit=0,readonly=on,file="$code" \
	-drive if=pflash,format=raw,unit=1,file=vars.fd \
	-drive if=virtio,format=raw,file=disk.img </dev/null >qemu.out 2>&1
rc=$?
set -e
tr -d '\r' <serial.log >serial.txt || true
if ! grep -q '^VCOMPOSE-UKI-BOOTED$' serial.txt; then
	echo "qemu exit $rc; serial log tail:" >&2
	tail -n 40 serial.txt >&2
	cat qemu.out >&2
	fail "the UKI did not boot to the initrd"
fi
grep -qxF "CMDLINE=[$cmdline]" serial.txt ||
	{ grep CMDLINE serial.txt >&2; fail "/proc/cmdline differs from the .cmdline we embedded"; }
echo "booted: $(grep -c . serial.txt) serial lines, qemu exit $rc"
